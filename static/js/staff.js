/* Staff pages: select all pending rows, confirm before destructive buttons, print. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-select-all]").forEach(function (box) {
      var name = box.dataset.selectAll;
      box.addEventListener("change", function () {
        box.form.querySelectorAll("input[name='" + name + "']").forEach(function (item) {
          item.checked = box.checked;
        });
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // A site's location from the device of staff standing there (shown only with GPS).
    document.querySelectorAll("[data-geo-here]").forEach(function (box) {
      if (!navigator.geolocation) return;
      box.hidden = false;
      var status = box.querySelector(".geo-here-status");
      var form = box.closest("form");
      box.querySelector("button").addEventListener("click", function () {
        status.textContent = box.dataset.locating;
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.querySelector("input[name=latitude]").value = pos.coords.latitude.toFixed(6);
          form.querySelector("input[name=longitude]").value = pos.coords.longitude.toFixed(6);
          status.textContent = box.dataset.located.replace("__M__", Math.round(pos.coords.accuracy));
        }, function () {
          status.textContent = box.dataset.failed;
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
      });
    });
    // Copy a link (the kiosk's one-time activation link) with one tap.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          button.textContent = button.dataset.copied;
        });
      });
    });
  });
})();

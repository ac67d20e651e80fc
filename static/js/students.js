// Import page: a large class list takes a while; keep a second tap from sending it again.
(function () {
  "use strict";
  var form = document.querySelector("form.import-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    // Disable after the submit has been dispatched, so the click still sends the form.
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = button.getAttribute("data-busy") || button.textContent;
    }, 0);
  });
})();

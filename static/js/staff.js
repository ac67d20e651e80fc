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
  });
})();

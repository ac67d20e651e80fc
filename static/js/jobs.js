// Job page: poll the job's status until it has finished, then reload to show the result.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var status = box.getAttribute("data-status");
  if (status === "done" || status === "failed") return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var percent = box.querySelector(".job-percent");
  function show(state) {
    box.querySelectorAll("[data-state]").forEach(function (el) {
      el.hidden = el.getAttribute("data-state") !== state;
    });
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { window.setTimeout(poll, 5000); return; }
        bar.value = job.progress;
        percent.textContent = Math.round(job.progress * 100);
        show(job.status);
        if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
})();

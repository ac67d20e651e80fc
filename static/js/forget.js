/* The login page: whoever was logged in on this browser is not any more, so the pages
   the student app kept for offline use (their name, their hours) are forgotten. The
   scans still waiting to be sent stay: each is sent only under its own student. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !navigator.serviceWorker.controller) return;
  navigator.serviceWorker.controller.postMessage("forget");
})();

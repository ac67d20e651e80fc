/* Kiosk and staff code screen: refresh the QR every 30-second step without a reload,
   keep a clock and the checked-in count, say so when offline or revoked. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) return;
  var qr = document.getElementById("kiosk-qr");
  var clock = document.getElementById("kiosk-clock");
  var dateEl = document.getElementById("kiosk-date");
  var count = document.getElementById("kiosk-count");
  var status = document.getElementById("kiosk-status");
  var tz = root.dataset.tz || "Asia/Shanghai";
  var lang = document.documentElement.lang || "zh-CN"; // the page's language
  var offset = Date.parse(root.dataset.now) - Date.now(); // server minus this device
  var lastOk = Date.now();
  var timer = null;

  function serverNow() { return new Date(Date.now() + offset); }

  function tick() {
    var now = serverNow();
    try {
      clock.textContent = now.toLocaleTimeString(lang, { timeZone: tz, hour12: false });
      dateEl.textContent = now.toLocaleDateString(lang, {
        timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long" });
    } catch (e) {
      clock.textContent = now.toTimeString().slice(0, 8);
    }
    // A code older than its acceptance window must not invite scans.
    var stale = Date.now() - lastOk > 55000;
    root.classList.toggle("stale", stale);
    if (stale) status.textContent = root.dataset.stale;
  }

  function schedule(seconds) {
    clearTimeout(timer);
    timer = setTimeout(poll, Math.max(500, seconds * 1000 + 250));
  }

  function revoked() {
    clearTimeout(timer);
    root.hidden = true;
    document.getElementById("kiosk-revoked").hidden = false;
  }

  function poll() {
    fetch(root.dataset.poll, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 403) { revoked(); return null; }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        qr.innerHTML = data.svg;
        count.textContent = data.present;
        offset = Date.parse(data.now) - Date.now();
        lastOk = Date.now();
        status.textContent = data.site_active ? "" : root.dataset.inactive;
        schedule(data.refresh_in);
      })
      .catch(function () {
        status.textContent = root.dataset.offline;
        schedule(5);
      });
  }

  function keepAwake() {
    if (navigator.wakeLock && navigator.wakeLock.request) {
      navigator.wakeLock.request("screen").catch(function () {});
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { keepAwake(); poll(); }
  });
  tick();
  setInterval(tick, 1000);
  keepAwake();
  schedule(Number(root.dataset.refreshIn) || 1);
})();

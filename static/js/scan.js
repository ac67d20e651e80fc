/* Scan page: ask for the location when the site has one, then submit anyway (R9);
   running timers on the scan result, the student's home and the roster. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function startTimers() {
    var timers = document.querySelectorAll(".timer[data-since]");
    if (!timers.length) return;
    var loaded = Date.now();
    function tick() {
      timers.forEach(function (el) {
        var serverNow = Number(el.dataset.now) * 1000 + (Date.now() - loaded);
        var secs = Math.max(0, Math.floor((serverNow - Number(el.dataset.since) * 1000) / 1000));
        el.textContent = pad(Math.floor(secs / 3600)) + ":" + pad(Math.floor(secs / 60) % 60) + ":" + pad(secs % 60);
      });
    }
    tick();
    setInterval(tick, 1000);
  }

  function setupScanForm() {
    var form = document.getElementById("scan-form");
    if (!form) return;
    var button = form.querySelector("button[type=submit]");
    var status = document.getElementById("geo-status");
    var wantsGeo = form.dataset.geo === "1" && "geolocation" in navigator;
    var located = false;
    var pending = null;
    var sent = false;

    function say(text) { if (status) status.textContent = text; }

    function fill(pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.elements.accuracy_m.value = Math.round(pos.coords.accuracy);
      located = true;
    }

    var offset = window.VolunteerQueue ? window.VolunteerQueue.clockOffset(form)
      : Number(form.dataset.now || 0) * 1000 - Date.now(); // server minus phone

    function keepOnPhone() {
      // No network now (R41): the scan waits in the phone with its own time.
      var m = location.pathname.match(/^\/s\/([A-Za-z0-9_-]+)$/);
      var item = { nonce: form.elements.nonce.value, token: m && m[1], action: form.elements.action.value,
                   scanned_at: new Date(Date.now() + offset).toISOString() };
      if (form.elements.latitude.value) {
        item.latitude = form.elements.latitude.value;
        item.longitude = form.elements.longitude.value;
        item.accuracy_m = form.elements.accuracy_m.value;
      }
      window.VolunteerQueue.add(item).then(function () {
        button.textContent = form.dataset.kept;
        say(form.dataset.kept);
      });
    }

    function submitNow() {
      if (sent) return;
      sent = true;
      button.disabled = true;
      if (!navigator.onLine && window.VolunteerQueue) { keepOnPhone(); return; }
      form.submit();
    }

    if (wantsGeo) {
      say(form.dataset.locating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        fill(pos);
        say(form.dataset.located);
        if (pending) { clearTimeout(pending); submitNow(); }
      }, function () {
        say(form.dataset.unlocated);
        if (pending) { clearTimeout(pending); submitNow(); }
      }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sent) return;
      if (!wantsGeo || located) { submitNow(); return; }
      button.disabled = true;
      button.textContent = form.dataset.locating;
      // Never hold a scan hostage to the location: submit without it after a few seconds.
      pending = setTimeout(submitNow, 6000);
    });
  }

  function setupAutosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll(".no-js-only").forEach(function (el) { el.hidden = true; });
  }

  function fullStyles() {
    // The scan page paints from its inline styles; the whole sheet joins when it is here.
    var link = document.getElementById("full-css");
    if (!link) return;
    if (link.sheet) { link.media = "all"; return; }
    link.addEventListener("load", function () { link.media = "all"; });
  }

  fullStyles();
  document.addEventListener("DOMContentLoaded", function () {
    startTimers();
    setupScanForm();
    setupAutosubmit();
  });
})();

/* Kiosk and staff code screen: refresh the QR every 30-second step without a reload,
   keep a clock and the checked-in count, say so when offline or revoked. An activated
   kiosk holds a key of its own (R41): while its network is down it derives each step's
   code with Web Crypto (HMAC-SHA256, the format of volunteer/checkin/tokens.py) and
   draws the QR itself, in 离线模式. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) return;
  var qr = document.getElementById("kiosk-qr");
  var clock = document.getElementById("kiosk-clock");
  var dateEl = document.getElementById("kiosk-date");
  var count = document.getElementById("kiosk-count");
  var status = document.getElementById("kiosk-status");
  var offlineBadge = document.getElementById("kiosk-offline");
  var tz = root.dataset.tz || "Asia/Shanghai";
  var lang = document.documentElement.lang || "zh-CN"; // the page's language
  var offset = Date.parse(root.dataset.now) - Date.now(); // server minus this device
  var lastOk = Date.now();
  var timer = null;
  var localTimer = null;
  var offline = false;
  var shownStep = null;
  var STEP_MS = (Number(root.dataset.step) || 30) * 1000;
  var canDerive = !!(root.dataset.key && window.crypto && crypto.subtle && window.TextEncoder);
  var hmacKey = null;

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
    var stale = !offline && Date.now() - lastOk > 55000;
    root.classList.toggle("stale", stale);
    if (stale) status.textContent = root.dataset.stale;
  }

  // --- codes derived on the kiosk (R41) -------------------------------------------
  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function toB64url(bytes) {
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function importKey() {
    if (hmacKey) return Promise.resolve(hmacKey);
    return crypto.subtle.importKey("raw", fromB64url(root.dataset.key),
      { name: "HMAC", hash: "SHA-256" }, false, ["sign"]).then(function (k) { hmacKey = k; return k; });
  }

  function kioskToken(step) {
    // b"K" + site id + kiosk id + step (big-endian u32), sealed by HMAC(key, context + body)[:10]
    var body = new Uint8Array(13), view = new DataView(body.buffer);
    body[0] = 0x4b;
    view.setUint32(1, Number(root.dataset.siteId));
    view.setUint32(5, Number(root.dataset.kioskId));
    view.setUint32(9, step);
    var context = new TextEncoder().encode("volunteer.checkin.v1\u0000");
    var message = new Uint8Array(context.length + body.length);
    message.set(context); message.set(body, context.length);
    return importKey().then(function (key) { return crypto.subtle.sign("HMAC", key, message); })
      .then(function (mac) {
        var raw = new Uint8Array(23);
        raw.set(body); raw.set(new Uint8Array(mac).slice(0, 10), 13);
        return toB64url(raw);
      });
  }

  function drawLocal() {
    clearTimeout(localTimer);
    if (!offline) return;
    var nowMs = serverNow().getTime();
    var step = Math.floor(nowMs / STEP_MS);
    localTimer = setTimeout(drawLocal, STEP_MS - (nowMs % STEP_MS) + 200);
    if (step === shownStep) return;
    kioskToken(step).then(function (token) {
      if (!offline || typeof qrcode !== "function") return;
      var code = qrcode(0, "M");
      code.addData(root.dataset.urlPrefix + token);
      code.make();
      qr.innerHTML = code.createSvgTag({ cellSize: 4, margin: 12, scalable: true });
      qr.dataset.token = token;
      shownStep = step;
    });
  }

  function goOffline() {
    if (!canDerive) { status.textContent = root.dataset.offline; return; }
    if (!offline) {
      offline = true;
      root.classList.add("offline");
      offlineBadge.hidden = false;
      status.textContent = root.dataset.offlineMode;
      drawLocal();
    }
  }

  function goOnline() {
    if (!offline) return;
    offline = false;
    shownStep = null;
    clearTimeout(localTimer);
    root.classList.remove("offline");
    offlineBadge.hidden = true;
  }

  // --- polling ----------------------------------------------------------------------
  function schedule(seconds) {
    clearTimeout(timer);
    timer = setTimeout(poll, Math.max(500, seconds * 1000 + 250));
  }

  function revoked() {
    clearTimeout(timer);
    goOnline();
    root.hidden = true;
    document.getElementById("kiosk-revoked").hidden = false;
  }

  function poll() {
    // The browser knows it has no network: no request to fail, straight to 离线模式.
    if (navigator.onLine === false) { goOffline(); schedule(5); return; }
    fetch(root.dataset.poll, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 403) { revoked(); return null; }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        goOnline();
        qr.innerHTML = data.svg;
        qr.dataset.token = data.token;
        count.textContent = data.present;
        offset = Date.parse(data.now) - Date.now();
        lastOk = Date.now();
        status.textContent = data.site_active ? "" : root.dataset.inactive;
        schedule(data.refresh_in);
      })
      .catch(function () {
        // Only a network failure lands here; the server's own refusals are answered above.
        goOffline();
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
  window.addEventListener("offline", goOffline);
  window.addEventListener("online", poll);
  tick();
  setInterval(tick, 1000);
  keepAwake();
  schedule(Number(root.dataset.refreshIn) || 1);
})();

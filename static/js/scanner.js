/* The in-page scanner (R41): when the camera app cannot reach the page, or there is no
   network, scan the kiosk's QR here. The decoder (jsQR, static/vendor) is loaded only
   when the camera starts. Online, a code opens its scan page as the camera app would;
   offline, the student picks 签到 or 签退 and the scan waits in the phone (queue.js). */
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;
  var video = document.getElementById("scanner-video");
  var startButton = document.getElementById("scanner-start");
  var status = document.getElementById("scanner-status");
  var choice = document.getElementById("scanner-choice");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  // Server minus this phone; from the last page the server sent when this one is a copy.
  var offset = window.VolunteerQueue ? window.VolunteerQueue.clockOffset(root)
    : Number(root.dataset.now) * 1000 - Date.now();
  var stream = null, found = null, place = null;

  function say(text) { status.textContent = text; }

  function nonce() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  function tokenOf(text) {
    try {
      var url = new URL(text, location.href);
      var m = url.pathname.match(/^\/s\/([A-Za-z0-9_-]{10,64})$/);
      return m ? m[1] : null;
    } catch (e) { return null; }
  }

  function loadDecoder() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.dataset.decoder;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
  }

  function locate() {
    if (!("geolocation" in navigator)) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      place = { latitude: pos.coords.latitude.toFixed(6), longitude: pos.coords.longitude.toFixed(6),
                accuracy_m: Math.round(pos.coords.accuracy) };
    }, function () {}, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  }

  function handle(token, at) {
    if (navigator.onLine && location.pathname.indexOf("/s/") !== 0) {
      say(root.dataset.opening);
      location.href = "/s/" + token;
      return;
    }
    found = { token: token, at: at };
    // Online here means the service worker gave up waiting for a very slow network.
    say(navigator.onLine ? root.dataset.slow : root.dataset.offline);
    choice.hidden = false;
    var likely = root.dataset.open === "1" ? "check_out" : "check_in";
    choice.querySelectorAll("button").forEach(function (b) {
      b.classList.toggle("primary", b.value === likely);
    });
    locate();
  }

  function frame() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      var token = code && tokenOf(code.data);
      if (token) { stop(); handle(token, new Date(Date.now() + offset)); return; }
      if (code) say(root.dataset.notOurs);
    }
    requestAnimationFrame(frame);
  }

  startButton.addEventListener("click", function () {
    choice.hidden = true;
    say(root.dataset.loading);
    loadDecoder().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      video.setAttribute("playsinline", "");
      return video.play();
    }).then(function () {
      say(root.dataset.aim);
      requestAnimationFrame(frame);
    }).catch(function (error) {
      stop();
      if (window.console) console.warn("scanner:", error && (error.name || error));
      say(root.dataset.noCamera);
    });
  });

  choice.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !found) return;
    var item = { nonce: nonce(), token: found.token, action: button.value,
                 scanned_at: found.at.toISOString() };
    if (place) { item.latitude = place.latitude; item.longitude = place.longitude; item.accuracy_m = place.accuracy_m; }
    window.VolunteerQueue.add(item).then(function () {
      root.dataset.open = button.value === "check_in" ? "1" : "0";
      found = null;
      choice.hidden = true;
      say(root.dataset.saved);
      window.VolunteerQueue.flush();
    });
  });

  // Opened from a kiosk link without network, or on one too slow to wait for (the
  // service worker served this page).
  var direct = tokenOf(location.href);
  if (direct) {
    startButton.hidden = true;  // the code is known: what is left is to choose
    handle(direct, new Date(Date.now() + offset));
  }
})();

/* The phone's memory of scans made without network (R41) and its device id (R42).
   A scan kept here (token, action, nonce, time, location) waits in IndexedDB, shown as
   待上传, and is sent — oldest first, so a check-in goes before its check-out — as the
   scan page's own form with scanned_at and offline=1, whenever the network is back.
   Each scan belongs to the account that made it: on a phone shared by two students, a
   scan is sent only while its own student is logged in. */
(function () {
  "use strict";
  var DB = "volunteer-scans", STORE = "scans", OUTCOMES = "scan_outcomes";
  var flushing = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function deviceId() {
    try {
      var id = localStorage.getItem("device_id");
      if (!id) { id = uuid(); localStorage.setItem("device_id", id); }
      return id;
    } catch (e) { return ""; }
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "nonce" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var req = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function owner() {
    var box = document.getElementById("scan-queue");
    return (box && box.dataset.owner) || "";
  }

  function clockOffset(el) {
    // Server minus phone, in ms. A page the service worker kept (data-stale) carries the
    // server's time of when it was kept: use the offset last measured on a fresh page.
    var now = Number(el && el.dataset.now) * 1000;
    if (now && !(el.dataset.stale === "1")) {
      var measured = now - Date.now();
      try { localStorage.setItem("clock_offset", String(measured)); } catch (e) { /* full */ }
      return measured;
    }
    var kept = Number(localStorage.getItem("clock_offset"));
    return isFinite(kept) ? kept : 0;
  }

  function mine() {
    var me = owner();
    return all().then(function (items) {
      return items.filter(function (item) { return me && item.owner === me; });
    });
  }

  function all() { return withStore("readonly", function (s) { return s.getAll(); }); }
  function add(item) {
    item.owner = owner();
    return withStore("readwrite", function (s) { s.put(item); }).then(render);
  }
  function remove(nonce) { return withStore("readwrite", function (s) { s.delete(nonce); }); }

  function outcomes() {
    try { return JSON.parse(localStorage.getItem(OUTCOMES) || "[]"); } catch (e) { return []; }
  }

  function remember(item, ok, data) {
    var list = outcomes();
    var error = data && data.error;
    list.unshift({ nonce: item.nonce, action: item.action, at: item.scanned_at, ok: ok,
                   owner: item.owner, message: error ? error.message : "" });
    try { localStorage.setItem(OUTCOMES, JSON.stringify(list.slice(0, 5))); } catch (e) { /* full */ }
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function send(item) {
    var body = new FormData();
    body.append("csrf_token", csrf());
    body.append("action", item.action);
    body.append("nonce", item.nonce);
    body.append("scanned_at", item.scanned_at);
    body.append("offline", "1");
    body.append("device_id", deviceId());
    if (item.latitude != null) {
      body.append("latitude", item.latitude);
      body.append("longitude", item.longitude);
      body.append("accuracy_m", item.accuracy_m);
    }
    return fetch("/s/" + encodeURIComponent(item.token), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json" }, redirect: "manual"
    });
  }

  function settle(item, resp) {
    var type = resp.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) { setHint("login"); return null; } // kept
    return resp.json().then(function (data) {
      var code = data.error && data.error.code;
      if (resp.status === 429 || code === "conflict") return null; // kept, tried again later
      return remove(item.nonce).then(function () { remember(item, resp.ok, data); });
    });
  }

  function flush() {
    if (flushing || !navigator.onLine || !csrf()) return Promise.resolve();
    flushing = true;
    return mine().then(function (items) {
      items.sort(function (a, b) { return a.scanned_at < b.scanned_at ? -1 : 1; });
      return items.reduce(function (done, item) {
        return done.then(function () {
          return send(item).then(function (resp) { return settle(item, resp); })
            .catch(function () { /* no network after all: kept */ });
        });
      }, Promise.resolve());
    }).then(function () { flushing = false; render(); }, function () { flushing = false; });
  }

  var hint = "";
  function setHint(kind) { hint = kind; }

  function when(iso) {
    // In the business time zone, as every page shows times, whatever the phone's own zone.
    var box = document.getElementById("scan-queue");
    var options = { timeZone: (box && box.dataset.tz) || "Asia/Shanghai", hour12: false,
                    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" };
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", options).formatToParts(new Date(iso))
        .forEach(function (p) { parts[p.type] = p.value; });
      return parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
    } catch (e) { return iso.slice(5, 16).replace("T", " "); }
  }

  function render() {
    var box = document.getElementById("scan-queue");
    if (!box) return Promise.resolve();
    return mine().then(function (items) {
      var list = box.querySelector("ul");
      list.innerHTML = "";
      function line(text, cls) {
        var li = document.createElement("li");
        li.className = cls; li.textContent = text; list.appendChild(li);
      }
      items.sort(function (a, b) { return a.scanned_at < b.scanned_at ? -1 : 1; });
      items.forEach(function (item) {
        line(when(item.scanned_at) + " " + box.dataset[item.action === "check_out" ? "out" : "in"] +
             " · " + box.dataset.pending, "queue-pending");
      });
      var me = owner();
      outcomes().filter(function (o) { return me && o.owner === me; }).forEach(function (o) {
        line(when(o.at) + " " + box.dataset[o.action === "check_out" ? "out" : "in"] + " · " +
             (o.ok ? box.dataset.sent : box.dataset.refused + (o.message ? "：" + o.message : "")),
             o.ok ? "queue-sent" : "queue-refused");
      });
      box.hidden = !list.children.length;
      var note = box.querySelector(".queue-hint");
      if (note) note.textContent = items.length ? (hint === "login" ? box.dataset.login : box.dataset.wait) : "";
    }).catch(function () { /* IndexedDB unavailable (private mode): nothing kept to show */ });
  }

  window.VolunteerQueue = { add: add, flush: flush, render: render, deviceId: deviceId,
                           clockOffset: clockOffset };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[name=device_id]").forEach(function (el) { el.value = deviceId(); });
    var clock = document.querySelector("[data-now]");
    if (clock) clockOffset(clock);
    render().then(flush);
    var box = document.getElementById("scan-queue");
    if (box && box.dataset.sw === "1" && "serviceWorker" in navigator) {
      // After the page is up: the install downloads the app shell in the background.
      window.addEventListener("load", function () {
        setTimeout(function () { navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {}); }, 500);
      });
    }
  });
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
})();

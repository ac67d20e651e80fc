/* The student's app offline (R41): keep the shell (home, the in-page scanner, styles and
   scripts, the QR decoder) so that a phone without network can still open the scanner —
   also from a kiosk link (/s/<token>) its camera app opened — and queue the scan. */
var CACHE = "volunteer-app-v1";
var SHELL = [
  "/checkin/scan", "/checkin/me", "/static/css/app.css", "/static/js/scan.js",
  "/static/js/queue.js", "/static/js/scanner.js", "/static/vendor/jsQR.min.js",
  "/static/img/logo.svg", "/static/img/icon-192.png", "/manifest.webmanifest"
];
var PAGES = ["/checkin/scan", "/checkin/me"];

function keep(cache, url, response) {
  // A redirect (to the login page) is not the page: never cache it under the page's name.
  if (response.ok && !response.redirected && response.type === "basic") {
    return cache.put(url, response);
  }
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(SHELL.map(function (url) {
      return fetch(url, { credentials: "same-origin" })
        .then(function (response) { return keep(cache, url, response); })
        .catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      if (PAGES.indexOf(url.pathname) !== -1) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { keep(cache, url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        if (url.pathname.indexOf("/s/") === 0) return cache.match("/checkin/scan");
        return cache.match(url.pathname).then(function (hit) { return hit || cache.match("/checkin/me"); });
      }).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    // Stale while revalidate: instant from the cache, refreshed for the next time.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: true }).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          keep(cache, request, response.clone());
          return response;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
  }
});

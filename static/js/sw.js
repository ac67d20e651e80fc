/* The student's app offline (R41): keep the shell (home, the in-page scanner, styles and
   scripts, the QR decoder) so that a phone without network can still open the scanner —
   also from a kiosk link (/s/<token>) its camera app opened — and queue the scan. On a
   network too slow to answer a kiosk link within SLOW_MS, the kept scanner answers it:
   the student scans at once and the scan is sent as the network allows. The pages kept
   are the student's own: they are forgotten when the student logs out (forget.js). */
var CACHE = "volunteer-app-v1";
var SLOW_MS = 1500;
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

function kept(path) {
  // A page from the cache says so (data-stale): its server time is that of the day it
  // was kept, and the scripts must not measure the phone's clock against it.
  return caches.open(CACHE).then(function (cache) { return cache.match(path); })
    .then(function (hit) {
      if (!hit) return null;
      return hit.text().then(function (html) {
        return new Response(html.replace(/ data-now="/g, ' data-stale="1" data-now="'), {
          status: hit.status, statusText: hit.statusText, headers: hit.headers
        });
      });
    });
}

function forgetPages() {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(PAGES.map(function (path) { return cache.delete(path); }));
  });
}

function fromNetwork(request, url) {
  return fetch(request).then(function (response) {
    if (response.redirected && new URL(response.url).pathname === "/login") {
      forgetPages();  // logged out or expired: the kept pages are no longer anyone's
    } else if (PAGES.indexOf(url.pathname) !== -1) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) {
        keep(cache, url.pathname, copy);
        // The home keeps the scanner fresh too: it is the page a link opens offline.
        if (url.pathname === "/checkin/me") {
          return fetch("/checkin/scan", { credentials: "same-origin" })
            .then(function (r) { return keep(cache, "/checkin/scan", r); });
        }
      }).catch(function () {});
    }
    return response;
  });
}

function kioskLink(network) {
  // Whichever comes first: the server's page, or after SLOW_MS the kept scanner.
  return new Promise(function (resolve) {
    var done = false;
    function answer(response) { if (!done && response) { done = true; resolve(response); } }
    var timer = setTimeout(function () { kept("/checkin/scan").then(answer); }, SLOW_MS);
    network.then(function (response) { clearTimeout(timer); answer(response); }, function () {
      clearTimeout(timer);
      kept("/checkin/scan").then(function (hit) { answer(hit || Response.error()); });
    });
  });
}

self.addEventListener("message", function (event) {
  if (event.data === "forget") event.waitUntil(forgetPages());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    var network = fromNetwork(request, url);
    if (url.pathname.indexOf("/s/") === 0) {
      event.respondWith(kioskLink(network));
      return;
    }
    event.respondWith(network.catch(function () {
      return kept(url.pathname).then(function (hit) { return hit || kept("/checkin/me"); })
        .then(function (hit) { return hit || Response.error(); });
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

// Service worker of the venue scanner (served as /checkin/sw.js, scope /orgs/<id>/checkin/).
// It keeps the scanner's pages and their files so a reload works without the network. It never
// touches the API: scans, the list and the queue are the page's business (IndexedDB).
const CACHE = "kakawari-scanner-v1";
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((n) => n.startsWith("kakawari-scanner-") && n !== CACHE).map((n) => caches.delete(n))
      );
      await self.clients.claim(); // control the page that registered us, without a reload
    })()
  );
});

const sameOrigin = (url) => new URL(url, self.location.href).origin === self.location.origin;

async function store(cache, url, response) {
  // Only real answers: not a login redirect, not an error page.
  if (response.ok && !response.redirected && response.type === "basic") {
    await cache.put(url, response);
  }
}

// The page sends the files it was built from (itself, its scripts and the modules they import,
// named by modulepreload links, its styles and icon).
self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "cache") return;
  const port = event.ports[0];
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const urls = (event.data.urls || []).filter(sameOrigin);
      const results = await Promise.allSettled(
        urls.map(async (url) => store(cache, url, await fetch(url, { cache: "no-cache" })))
      );
      if (port) port.postMessage({ ok: results.every((r) => r.status === "fulfilled") });
    })()
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

// The network first, so a page and its files always come from the same release; the kept copy
// when the network fails or hangs (the venue Wi-Fi dropped).
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    await store(cache, request.url, response.clone());
    return response;
  } catch (err) {
    const kept = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
    if (kept) return kept;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !sameOrigin(request.url)) return;
  const path = new URL(request.url).pathname;
  if (path.startsWith("/api/")) return;
  if (request.mode === "navigate" || path.startsWith("/static/")) {
    event.respondWith(networkFirst(request));
  }
});

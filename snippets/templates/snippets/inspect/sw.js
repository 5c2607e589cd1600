/* Service worker of /inspect/ (rendered by snippets.offline.views.service_worker).
 *
 * Two caches: the shared static assets, and the signed-in inspector's own responses (the page and
 * its data.json), tagged by the X-Inspect-User header the server sends. A response for another
 * user, a redirect to the login page or a 401/403 empties the user cache, so nobody is ever served
 * someone else's rounds; the page's logout button empties it too. Queued work lives in IndexedDB
 * (the page's app.js), not here.
 */
"use strict";

const VERSION = "{{ version }}";
const STATIC_CACHE = "inspect-static-" + VERSION;
const USER_CACHE = "inspect-user";
const META_CACHE = "inspect-meta";
const ASSETS = {{ assets|safe }};
const SCOPE = "{{ scope }}";
const DATA_URL = "{{ data_url }}";
const USER_HEADER = "{{ user_header }}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(ASSETS))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("inspect-static-") && key !== STATIC_CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

async function cachedUser() {
  const meta = await caches.open(META_CACHE);
  const hit = await meta.match("user");
  return hit ? hit.text() : null;
}

async function setUser(user) {
  const meta = await caches.open(META_CACHE);
  if (user === null) {
    await meta.delete("user");
  } else {
    await meta.put("user", new Response(user));
  }
}

async function forgetUser() {
  await caches.delete(USER_CACHE);
  await setUser(null);
}

/* Keep a response only if it is this user's; a different user empties the cache first. */
async function remember(request, response) {
  const user = response.headers.get(USER_HEADER);
  if (!response.ok || !user) {
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403 || response.redirected) {
      await forgetUser();
    }
    return;
  }
  if ((await cachedUser()) !== user) {
    await forgetUser();
    await setUser(user);
  }
  const cache = await caches.open(USER_CACHE);
  await cache.put(request.url.split("?")[0], response);
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    await remember(request, response.clone());
    return response;
  } catch (error) {
    const cache = await caches.open(USER_CACHE);
    const hit = await cache.match(request.url.split("?")[0], { ignoreVary: true });
    if (hit) {
      return hit;
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname === SCOPE || url.pathname === DATA_URL) {
    event.respondWith(networkFirst(request));
    return;
  }
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(
      caches.match(request, { cacheName: STATIC_CACHE }).then((hit) => hit || fetch(request))
    );
  }
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "logout") {
    event.waitUntil(forgetUser());
  }
});

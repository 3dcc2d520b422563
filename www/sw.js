// Offline wallet: the page shell and the wasm module come from this cache, so
// the wallet opens and rotates codes with the network off. Each response
// served from the cache is refreshed in the background for the next load.
// Bump VERSION when the list of files changes; old caches are deleted.

const VERSION = 'v1';
const CACHE = `paycode-wallet-${VERSION}`;
const SHELL = [
  './',
  'index.html',
  'manifest.webmanifest',
  'css/wallet.css',
  'js/app.js',
  'js/bridge.js',
  'js/code-card.js',
  'js/i18n.js',
  'js/offline.js',
  'js/provision.js',
  'js/scan-aids.js',
  'js/storage.js',
  'pkg/paycode_wallet.js',
  'pkg/paycode_wallet_bg.wasm',
  'icons/icon.svg',
  'icons/icon-192.png',
  'icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith('paycode-wallet-') && name !== CACHE).map((name) => caches.delete(name)),
      ))
      .then(() => self.clients.claim()),
  );
});

function isShellRequest(request) {
  if (request.method !== 'GET') return false;
  const url = new URL(request.url);
  // The issuer's API is never cached: its answers are per request.
  return url.origin === self.location.origin && !url.pathname.includes('/api/');
}

async function fromCacheThenRefresh(event) {
  const { request } = event;
  const cache = await caches.open(CACHE);
  // A navigation (with or without a query) is the page itself.
  const cached = await cache.match(request, { ignoreSearch: request.mode === 'navigate' }) ??
    (request.mode === 'navigate' ? await cache.match('index.html') : undefined);
  const refresh = fetch(request).then((response) => {
    if (response.ok && response.type === 'basic') cache.put(request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => {}));
    return cached;
  }
  return refresh;
}

self.addEventListener('fetch', (event) => {
  if (isShellRequest(event.request)) event.respondWith(fromCacheThenRefresh(event));
});

// Offline wallet: the page shell and the wasm module come from this cache, so
// the wallet opens and rotates codes with the network off, and opens at once
// on a poor connection at the till.
//
// Updates are all-or-nothing: each page load (online) fetches the whole shell
// again in the background and replaces the cached copy only when every file
// arrived, so the JS glue and its wasm never come from two different builds.
// Bump VERSION when the list of files changes; old caches are deleted.

const VERSION = 'v3';
const CACHE = `paycode-wallet-${VERSION}`;
const SHELL = [
  './',
  'index.html',
  'manifest.webmanifest',
  'css/wallet.css',
  'js/app.js',
  'js/bridge.js',
  'js/code-card.js',
  'js/history.js',
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
const SHELL_URLS = new Set(SHELL.map((path) => new URL(path, self.registration.scope).href));

/** Download the whole shell; store it only if every file came. */
async function fetchShell() {
  const responses = await Promise.all(SHELL.map(async (path) => {
    // no-cache: revalidate with the server (cheap 304s where it supports them).
    const response = await fetch(new Request(path, { cache: 'no-cache' }));
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return [path, response];
  }));
  const cache = await caches.open(CACHE);
  await Promise.all(responses.map(([path, response]) => cache.put(path, response)));
}

self.addEventListener('install', (event) => {
  event.waitUntil(fetchShell().then(() => self.skipWaiting()));
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

let refreshing = null;

async function fromCache(event) {
  const { request } = event;
  const cache = await caches.open(CACHE);
  if (request.mode === 'navigate') {
    // One background refresh at a time; a failure (offline) keeps the cached shell.
    refreshing ??= fetchShell().catch(() => {}).finally(() => {
      refreshing = null;
    });
    event.waitUntil(refreshing);
    // The page itself, whatever its query (the fragment never reaches us).
    return (await cache.match('index.html')) ?? fetch(request);
  }
  return (await cache.match(request)) ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  url.search = '';
  // Only the shell is ours to serve; everything else (the issuer's /api/, other pages) goes to the network.
  if (request.mode === 'navigate' ? SHELL_URLS.has(url.href) : SHELL_URLS.has(request.url)) {
    event.respondWith(fromCache(event));
  }
});

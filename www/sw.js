// Offline wallet: the page shell and the wasm module come from this cache, so
// the wallet opens and rotates codes with the network off, and opens at once
// on a poor connection at the till.
//
// Updates are all-or-nothing: each page load (online) fetches the whole shell
// again in the background and replaces the cached copy only when every file
// arrived, so the JS glue and its wasm never come from two different builds.
// The background fetch starts once the page says it has settled (its first
// code is on screen), so it does not compete with the page for the CPU and
// this cache while the page opens; a page that never says so is not waited
// for longer than SETTLE_MS.
// Bump VERSION when the list of files changes; old caches are deleted.

const VERSION = 'v5';
const SETTLE_MS = 3000;
const CACHE = `paycode-wallet-${VERSION}`;
const SHELL = [
  './',
  'index.html',
  'manifest.webmanifest',
  'css/wallet.css',
  'pkg/wallet.js', // www/js/*.js and the wasm glue, bundled by `make build`
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

/** One background refresh at a time; a failure (offline) keeps the cached shell. */
function refreshShell() {
  refreshing ??= fetchShell().catch(() => {}).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// Navigations waiting for their page to settle before the shell is refreshed.
const settling = new Set();

function refreshOnceSettled() {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      settling.delete(done);
      resolve();
    };
    const timer = setTimeout(done, SETTLE_MS);
    settling.add(done);
  }).then(refreshShell);
}

self.addEventListener('message', (event) => {
  if (event.data?.type === 'settled') for (const done of [...settling]) done();
});

async function fromCache(event) {
  const { request } = event;
  const cache = await caches.open(CACHE);
  if (request.mode === 'navigate') {
    event.waitUntil(refreshOnceSettled());
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

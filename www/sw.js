// Offline wallet: the page shell and the wasm module come from this cache, so
// the wallet opens and rotates codes with the network off, and opens at once
// on a poor connection at the till.
//
// Integrity: the build lists every file of the shell with the SHA-256 of its
// bytes (pkg/precache.js, written by .ci/precache.mjs and imported below). A
// file is stored only if its bytes hash to the listed value, and a set only
// when every file matched. Only listed paths are answered here, and only
// with those stored bytes; nothing else (the issuer's /v1/ and /api/
// answers, other pages, anything unlisted) is ever cached.
//
// Each build's set lives in a cache of its own, named by the build id. A new
// build is a new precache.js, so the browser installs a new worker, which
// fills its cache whole before it activates and deletes every other set:
// the JS glue and its wasm never come from two builds, and a copy that did
// not match its hash cannot outlive the next good one.
//
// Each navigation (online) also fetches this build's files again in the
// background, once the page says it has settled (its first code is on
// screen; a page that never says so is not waited for longer than
// SETTLE_MS), and stores them only if every one matches; a page can ask for
// that refresh itself ({type: 'refresh'} with a reply port).

importScripts('pkg/precache.js');

const { build: BUILD, files: FILES } = self.PRECACHE;
const CACHE = `paycode-wallet-${BUILD}`;
const SETTLE_MS = 3000;
const SCOPE = self.registration.scope;
const PAGE = 'index.html';
// Each listed file's full URL → its path in the list.
const LISTED = new Map(Object.keys(FILES).map((path) => [new URL(path, SCOPE).href, path]));
// The page's addresses: the scope itself is index.html.
const NAVIGATIONS = new Set([SCOPE, new URL(PAGE, SCOPE).href]);

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One listed file from the network, as a response to store; throws unless its bytes are the listed ones. */
async function fetchVerified(path) {
  // no-cache: revalidate with the server (cheap 304s where it supports them).
  const response = await fetch(new Request(path, { cache: 'no-cache' }));
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  const bytes = await response.arrayBuffer();
  if ((await sha256Hex(bytes)) !== FILES[path]) throw new Error(`${path}: not the bytes the build lists`);
  // The body is stored decoded: its transfer headers no longer describe it.
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  return new Response(bytes, { status: 200, headers });
}

/** Download the whole shell and check every file; store it only if all matched. */
async function fetchShell() {
  const verified = await Promise.all(Object.keys(FILES).map(async (path) => [path, await fetchVerified(path)]));
  const cache = await caches.open(CACHE);
  await Promise.all(verified.map(([path, response]) => cache.put(path, response)));
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

/** One background refresh at a time; resolves to null when stored, else why not (offline, a mismatch). */
function refreshShell() {
  refreshing ??= fetchShell().then(() => null, (error) => String(error?.message ?? error)).finally(() => {
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
  if (event.data?.type === 'refresh' && event.ports[0]) {
    const port = event.ports[0];
    event.waitUntil(refreshShell().then((failure) => port.postMessage({ build: BUILD, stored: failure === null, failure })));
  }
});

/** A listed file from this build's cache; one missing there is taken from the network only if it matches. */
async function fromCache(event, path) {
  const cached = await (await caches.open(CACHE)).match(path);
  if (event.request.mode === 'navigate') event.waitUntil(refreshOnceSettled());
  return cached ?? fetchVerified(path);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    // The page itself, whatever its query (the fragment never reaches us).
    const url = new URL(request.url);
    url.search = '';
    if (NAVIGATIONS.has(url.href)) event.respondWith(fromCache(event, PAGE));
    return;
  }
  // Only the listed files, at their exact address; everything else goes to the network untouched.
  const path = LISTED.get(request.url);
  if (path !== undefined) event.respondWith(fromCache(event, path));
});

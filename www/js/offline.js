// Offline use: after one online load the service worker (sw.js) serves the
// page, its scripts, styles and the wasm module from its cache.

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {
    // No service worker (private mode, http origin): the wallet still works online.
  });
}

/**
 * Tell the service worker serving this page that the page has settled (its
 * code is on screen or its error shown): the worker refreshes its cached
 * shell from the network then, not while the page is still opening.
 */
export function pageSettled() {
  navigator.serviceWorker?.controller?.postMessage({ type: 'settled' });
}

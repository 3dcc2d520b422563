// Offline use: after one online load the service worker (sw.js) serves the
// page, its scripts, styles and the wasm module from its cache.

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {
    // No service worker (private mode, http origin): the wallet still works online.
  });
}

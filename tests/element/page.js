// The <paycode-view> test page: loads the element from the installed
// package and records what the tests look at: every event the element
// fires, and every error that reached the page uncaught.

import 'paycode-wallet/element';

window.events = [];
window.uncaught = [];
addEventListener('error', (e) => window.uncaught.push(`error: ${e.message}`));
addEventListener('unhandledrejection', (e) => window.uncaught.push(`unhandledrejection: ${e.reason?.message ?? e.reason}`));

const pay = document.getElementById('pay');
pay.addEventListener('rotate', (e) => window.events.push({ type: 'rotate', ...e.detail }));
pay.addEventListener('error', (e) => window.events.push({ type: 'error', kind: e.kind, message: e.message }));

await customElements.whenDefined('paycode-view');
document.documentElement.dataset.ready = 'true';

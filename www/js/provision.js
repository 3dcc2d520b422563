// Where a provisioning or activation link can come from besides the paste
// box: the URL fragment (never sent to a server, and wiped from the address
// bar when this script starts) and the demo issuer's POST /api/cards.

const FRAGMENT_KEY = 'provision';
const DEMO_TIMEOUT_MS = 8000;

/**
 * The link in `#provision=<encodeURIComponent(link)>` or `#paycode://…`, or null. The fragment is
 * removed from the address bar and history entry before anything else happens.
 */
export function takeFragmentLink() {
  const hash = window.location.hash;
  // `#provision=<encoded link>`, or a link as it is (`#paycode://activate?…`).
  const bare = hash.slice(0, 11).toLowerCase() === '#paycode://';
  if (!bare && !hash.startsWith(`#${FRAGMENT_KEY}=`)) return null;
  const url = new URL(window.location.href);
  url.hash = '';
  window.history.replaceState(window.history.state, '', url.pathname + url.search);
  if (bare) return hash.slice(1);
  const raw = hash.slice(FRAGMENT_KEY.length + 2);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // Not percent-encoded properly: let the link parser explain what is wrong.
  }
}

/** Error with a `.kind` the page maps to a message. */
function failure(kind) {
  const error = new Error(kind);
  error.kind = kind;
  return error;
}

/**
 * Ask the demo issuer serving this page for a card; resolves to {link}: its
 * activation link (one-time, no key), or from an older demo issuer the
 * provisioning link itself. The card comes without a PIN: the payer
 * chooses one on the wallet page.
 */
export async function fetchDemoLink() {
  let response;
  try {
    response = await fetch('api/cards', {
      method: 'POST',
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'same-origin',
      signal: AbortSignal.timeout(DEMO_TIMEOUT_MS),
    });
  } catch {
    throw failure('no_demo_server');
  }
  // A plain static server answers 404/405 (or an HTML page): no demo issuer here.
  const type = response.headers.get('content-type') || '';
  if ([404, 405, 501].includes(response.status) || !type.includes('json')) throw failure('no_demo_server');
  if (!response.ok) throw failure('demo_failed');
  let body;
  try {
    body = await response.json();
  } catch {
    throw failure('demo_failed');
  }
  const link = body?.activation ?? body?.link;
  if (typeof link !== 'string') throw failure('demo_failed');
  return { link };
}

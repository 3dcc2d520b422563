// Activation links (docs/FORMAT.md §8.1): `paycode://activate?v=1&issuer=…
// &url=…&code=…` carries a one-time code, not the card's key. The wallet
// posts the code to `{url}/v1/activations/redeem` and gets the card's
// provisioning link back, once. Read here in JavaScript rather than in the
// wasm module, whose gzipped size has no room left for a second link
// reader; the rules are those of core::activation (src/core/activation.rs).

const START = 'paycode://activate?';
const REDEEM_PATH = '/v1/activations/redeem';
const REDEEM_TIMEOUT_MS = 8000;
const MAX_LINK_CHARS = 2048;
const MAX_ISSUER_CHARS = 64;
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'];

/** Error with a `.kind` the page maps to a message. */
function failure(kind) {
  const error = new Error(kind);
  error.kind = kind;
  return error;
}

/** Whether `text` is meant as an activation link (it may still be a bad one). */
export function isActivationLink(text) {
  return String(text).slice(0, START.length).toLowerCase() === START;
}

/**
 * `text` as an issuer origin without a trailing `/`: https:// and a host
 * name, or http:// on a loopback host or on this page's own origin; an
 * optional port. Null for anything else.
 */
function originOf(text) {
  if (text.length > 200) return null;
  const origin = text.toLowerCase().replace(/\/$/, '');
  const match = /^(https?):\/\/([a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:([0-9]{1,5}))?$/.exec(origin);
  if (!match) return null;
  const port = match[5];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  const secure = match[1] === 'https';
  if (secure || LOOPBACK_HOSTS.includes(match[2]) || origin === window.location.origin) return origin;
  return null;
}

// As core::text::is_printable_name: not blank, at most 64 characters, no control character.
const isPrintableName = (name) => {
  const chars = [...name];
  return chars.length <= MAX_ISSUER_CHARS && name.trim() !== '' && !chars.some((c) => /\p{Cc}/u.test(c));
};

/** {issuer, url, code} of an activation link; throws (kind set) when it is not a good one. */
export function parseActivationLink(text) {
  if (text.length > MAX_LINK_CHARS) throw failure('too_long');
  if (!isActivationLink(text)) throw failure('wrong_scheme');
  const query = text.slice(START.length).split('#')[0];
  const fields = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (!['v', 'issuer', 'url', 'code'].includes(key)) continue; // later versions may add fields
    if (key in fields) throw failure('duplicate_field');
    fields[key] = value;
  }
  for (const field of ['v', 'issuer', 'url', 'code']) {
    if (!(field in fields)) throw failure('missing_field');
  }
  if (fields.v !== '1') throw failure('unsupported_version');
  if (!isPrintableName(fields.issuer)) throw failure('bad_issuer');
  const url = originOf(fields.url);
  if (!url) throw failure('bad_activation_url');
  if (!/^[0-9a-f]{32}$/.test(fields.code)) throw failure('bad_activation_code');
  return { issuer: fields.issuer, url, code: fields.code };
}

/**
 * Redeem the activation: resolves to the card's provisioning link. A card
 * from another origin's issuer gets that origin as its `api` (docs/FORMAT.md
 * §8), so that its history and results are asked there. Throws (kind set):
 * activation_used, activation_expired, activation_unknown, card_revoked,
 * activation_offline, activation_failed.
 */
export async function redeemActivation({ url, code }) {
  let response;
  try {
    response = await fetch(`${url}${REDEEM_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ code }),
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(REDEEM_TIMEOUT_MS),
    });
  } catch {
    throw failure('activation_offline');
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a failure below
  }
  if (!response.ok) {
    const kind = {
      ACTIVATION_USED: 'activation_used',
      ACTIVATION_EXPIRED: 'activation_expired',
      ACTIVATION_UNKNOWN: 'activation_unknown',
      CARD_REVOKED: 'card_revoked',
    }[body?.error?.code];
    throw failure(kind ?? 'activation_failed');
  }
  const link = body?.link;
  if (typeof link !== 'string') throw failure('activation_failed');
  if (url === window.location.origin || /[?&]api=/.test(link)) return link;
  return `${link}&api=${encodeURIComponent(url)}`;
}

// The card-signed channel to the issuer (docs/FORMAT.md §11): the wallet's
// requests carry
//   Authorization: PAYCODE-CARD prefix=P,token=T,ts=…,nonce=…,sig=…
// signed like the merchant API's, under the card's channel key. The wasm
// view derives that key from the card secret (HKDF-SHA256), which never
// leaves wasm; the key bytes are imported at once as a non-extractable
// WebCrypto HMAC key and wiped, so scripts can sign with it but not read it.
//
// A card's issuer answers at the page's own origin, or at the origin its
// link names (`api`, docs/FORMAT.md §8): the requests go there, without
// cookies, since the signature is all the issuer accepts.

import { sign, newNonce } from './merchant-api.js';

const SCHEME = 'PAYCODE-CARD';

/**
 * The channel of card {prefix, token, api}: `keyBytes` from the code card's
 * channelKey() (imported, then wiped here), and `issuerNowMs()` the
 * wallet's current estimate of the issuer's clock. `api` (parseLink's, an
 * origin) is where the card's issuer answers; absent, the page's origin.
 */
export function openChannel(keyBytes, { prefix, token, api }, issuerNowMs) {
  const key = crypto.subtle
    .importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    .finally(() => keyBytes.fill(0));
  key.catch(() => {}); // a failed import shows as a request that cannot be signed
  const base = typeof api === 'string' && api ? `${api}/` : document.baseURI;
  return { prefix, token, key, issuerNowMs, base };
}

/** The Authorization value for this request on `channel`. */
export async function cardAuthorization(channel, { method, pathAndQuery, body }) {
  const parts = {
    method,
    pathAndQuery,
    ts: Math.floor(channel.issuerNowMs() / 1000),
    nonce: newNonce(),
    body,
  };
  const sig = await sign(await channel.key, parts);
  return `${SCHEME} prefix=${channel.prefix},token=${channel.token},ts=${parts.ts},nonce=${parts.nonce},sig=${sig}`;
}

/**
 * fetch() of `relative` (resolved against the channel's issuer: the page
 * itself, or the card's `api` origin) signed on `channel`. The signature
 * covers the path and query exactly as sent.
 */
export async function signedFetch(channel, relative, { method = 'GET', json, headers: extra = {}, ...init } = {}) {
  const url = new URL(relative, channel.base);
  const body = json === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(json));
  const authorization = await cardAuthorization(channel, { method, pathAndQuery: url.pathname + url.search, body });
  const headers = { Accept: 'application/json', ...extra, Authorization: authorization };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(url, {
    method,
    headers,
    body: json === undefined ? undefined : body,
    cache: 'no-store',
    credentials: 'omit',
    ...init,
  });
}

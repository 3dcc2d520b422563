// The cashier page's client of the signed merchant API (docs/MERCHANT_API.md).
//
// The merchant's API key is imported once as a WebCrypto HMAC-SHA-256 key
// with extractable: false and kept in IndexedDB (CryptoKey objects are
// structured-cloneable): scripts on the page can sign with it but never read
// it back, and it goes to no URL, cookie, localStorage, DOM or console.
// Its own database, apart from the wallet's on the same origin.
//
// Everything here takes its clock, nonces and fetch as options, so the
// Node test can check the doc's worked example and the till rule.

const SCHEME = 'PAYCODE-HMAC-SHA256';
const DB_NAME = 'paycode-till';
const STORE = 'kv';
const KEY_ID = 'merchant-key';
const TOKEN = /^[A-Za-z0-9_-]{1,32}$/;

const utf8 = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

function bytesFromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new TypeError('the API key must be hex digits');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Imports the raw API key (hex text, as `paycode merchant add` prints it, or
 * bytes) as a non-extractable HMAC-SHA-256 key. The caller drops the text.
 */
export async function importMerchantKey(raw) {
  const bytes = typeof raw === 'string' ? bytesFromHex(raw.trim()) : new Uint8Array(raw);
  if (bytes.length < 16 || bytes.length > 64) {
    throw new RangeError(`an API key is 16 to 64 bytes, not ${bytes.length}`);
  }
  try {
    return await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  } finally {
    bytes.fill(0);
  }
}

/** Lowercase hex SHA-256 of the body bytes. */
export async function bodySha256Hex(bytes) {
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/** The five lines that are signed, joined by "\n", no final newline. */
export async function canonicalString({ method, pathAndQuery, ts, nonce, body }) {
  return [method, pathAndQuery, String(ts), nonce, await bodySha256Hex(body)].join('\n');
}

/** Lowercase hex HMAC-SHA-256 of the canonical string under `key` (a CryptoKey). */
export async function sign(key, parts) {
  const canonical = await canonicalString(parts);
  return hex(await crypto.subtle.sign('HMAC', key, utf8.encode(canonical)));
}

/** The whole Authorization value for these parts. */
export async function authorization(key, merchant, parts) {
  const sig = await sign(key, parts);
  return `${SCHEME} merchant=${merchant},ts=${parts.ts},nonce=${parts.nonce},sig=${sig}`;
}

/** 16 random bytes as base64url: 22 characters of [A-Za-z0-9_-]. */
export function newNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh out_trade_no: T, unix seconds, 10 random characters. */
export function newOutTradeNo(nowMs = Date.now()) {
  return `T${Math.floor(nowMs / 1000)}-${newNonce().slice(0, 10)}`;
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function openDb() {
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

/** Imports the key and keeps it, with the merchant id, in IndexedDB. */
export async function storeMerchantKey(merchant, raw) {
  const key = await importMerchantKey(raw);
  const db = await openDb();
  const tx = db.transaction(STORE, 'readwrite');
  await request(tx.objectStore(STORE).put({ merchant, key }, KEY_ID));
  return { merchant, key };
}

/** `{merchant, key}` as stored, or null. */
export async function loadMerchantKey() {
  const db = await openDb();
  return (await request(db.transaction(STORE).objectStore(STORE).get(KEY_ID))) ?? null;
}

/**
 * Other things the till keeps beside its key (its recent sales), by name.
 * Only plain data: the key's own slot is refused here.
 */
export async function loadTillRecord(name) {
  if (name === KEY_ID) throw new RangeError('the key is read with loadMerchantKey');
  const db = await openDb();
  return (await request(db.transaction(STORE).objectStore(STORE).get(name))) ?? null;
}

export async function saveTillRecord(name, value) {
  if (name === KEY_ID) throw new RangeError('the key is stored with storeMerchantKey');
  const db = await openDb();
  await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(value, name));
}

/** A fresh out_refund_no: R, unix seconds, 10 random characters. */
export function newOutRefundNo(nowMs = Date.now()) {
  return `R${Math.floor(nowMs / 1000)}-${newNonce().slice(0, 10)}`;
}

export async function forgetMerchantKey() {
  const db = await openDb();
  await request(db.transaction(STORE, 'readwrite').objectStore(STORE).delete(KEY_ID));
}

/** Why a request got no usable answer: `kind` is 'timeout', 'network', 'api' or 'bad_answer'. */
export class MerchantApiError extends Error {
  constructor(kind, message, { status = 0, code = null } = {}) {
    super(message);
    this.name = 'MerchantApiError';
    this.kind = kind;
    this.status = status;
    this.code = code;
  }

  /** No answer, a server failure or rate limited: the payment's outcome is not known. */
  get outcomeUnknown() {
    return this.kind !== 'api' || this.status >= 500 || this.status === 429;
  }
}

/**
 * A client for one merchant. Options: `base` (origin, '' for this page's),
 * `timeoutMs` (10 s), `clockOffsetMs` (added to Date.now(), for a till whose
 * clock is off), and for tests `now`, `nonce` and `fetch`.
 */
export function createClient({ merchant, key }, options = {}) {
  const base = options.base ?? '';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => Date.now() + (options.clockOffsetMs ?? 0));
  const nonce = options.nonce ?? newNonce;
  const doFetch = options.fetch ?? ((...args) => globalThis.fetch(...args));

  /** Signs and sends one request; resolves `{status, body}` (body parsed JSON or null). */
  async function signedFetch(method, pathAndQuery, bodyText = '') {
    const body = utf8.encode(bodyText);
    const parts = { method, pathAndQuery, ts: Math.floor(now() / 1000), nonce: nonce(), body };
    const headers = { Authorization: await authorization(key, merchant, parts) };
    if (body.length > 0) headers['Content-Type'] = 'application/json';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let response;
    let text;
    try {
      response = await doFetch(base + pathAndQuery, {
        method,
        headers,
        body: body.length > 0 ? body : undefined,
        signal: abort.signal,
        cache: 'no-store',
      });
      text = await response.text();
    } catch (err) {
      if (abort.signal.aborted) throw new MerchantApiError('timeout', 'the issuer did not answer in time');
      throw new MerchantApiError('network', `could not reach the issuer: ${err?.message ?? err}`);
    } finally {
      clearTimeout(timer);
    }
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Stays null: reported below as a bad answer.
    }
    return { status: response.status, body: json };
  }

  async function call(method, pathAndQuery, value) {
    const { status, body } = await signedFetch(method, pathAndQuery, value === undefined ? '' : JSON.stringify(value));
    if (status === 200 && body && typeof body === 'object') return body;
    const error = body?.error;
    if (error && typeof error.code === 'string') {
      throw new MerchantApiError('api', error.message ?? error.code, { status, code: error.code });
    }
    throw new MerchantApiError('bad_answer', `the issuer's answer (${status}) is not readable`, { status });
  }

  function checkNo(no, what) {
    if (!TOKEN.test(no)) throw new TypeError(`${what} must be 1 to 32 of A-Z, a-z, 0-9, _ and -`);
    return no;
  }

  return {
    merchant,
    signedFetch,
    pay: ({ outTradeNo, authCode, amount, description }) =>
      call('POST', '/v1/payments', {
        out_trade_no: checkNo(outTradeNo, 'out_trade_no'),
        auth_code: authCode,
        amount,
        currency: 'CNY',
        ...(description ? { description } : {}),
      }),
    query: (outTradeNo) => call('GET', `/v1/payments/${checkNo(outTradeNo, 'out_trade_no')}`),
    reverse: (outTradeNo) => call('POST', `/v1/payments/${checkNo(outTradeNo, 'out_trade_no')}/reverse`, {}),
    refund: ({ outTradeNo, outRefundNo, amount }) =>
      call('POST', '/v1/refunds', {
        out_trade_no: checkNo(outTradeNo, 'out_trade_no'),
        out_refund_no: checkNo(outRefundNo, 'out_refund_no'),
        amount,
      }),
  };
}

const FINAL = new Set(['SUCCESS', 'FAILED', 'CLOSED', 'REVERSED', 'REFUNDED', 'PARTIALLY_REFUNDED']);
const PAID = new Set(['SUCCESS', 'REFUNDED', 'PARTIALLY_REFUNDED']);

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/**
 * Takes a payment by the till rule (docs/MERCHANT_API.md, "The till rule"):
 * on a timeout, a network or server error, 429 or USERPAYING, query every
 * `pollIntervalMs` (5 s) until `pollForMs` (30 s) after sending, then
 * reverse (up to `reverseTries`, 3, `reversePauseMs`, 2 s, apart).
 * `onProgress(state, payment)` hears 'waiting' (USERPAYING: the customer
 * confirms on their phone), 'checking' and 'reversing'; aborting `signal`
 * (the cashier's cancel) reverses at once.
 *
 * Resolves `{outcome: 'settled'|'reversed'|'unresolved', paid, payment, error}`;
 * rejects only when the issuer refused the request (a 4xx other than 429:
 * nothing was charged) or the input was bad.
 */
export async function payByTillRule(client, sale, options = {}) {
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const pollForMs = options.pollForMs ?? 30_000;
  const reverseTries = Math.max(1, options.reverseTries ?? 3);
  const reversePauseMs = options.reversePauseMs ?? 2_000;
  const onProgress = options.onProgress ?? (() => {});
  const signal = options.signal;
  const clock = options.monotonic ?? (() => performance.now());
  const settled = (outcome, payment) => ({ outcome, paid: PAID.has(payment.status), payment, error: null });

  const started = clock();
  let lastError = null;
  try {
    const payment = await client.pay(sale);
    if (FINAL.has(payment.status)) return settled('settled', payment);
    onProgress('waiting', payment);
  } catch (err) {
    if (!(err instanceof MerchantApiError) || !err.outcomeUnknown) throw err;
    lastError = err;
    onProgress('checking', null);
  }
  const deadline = started + pollForMs;
  // At least one query, even if the payment itself used all the time.
  do {
    await sleep(Math.max(0, Math.min(pollIntervalMs, deadline - clock())), signal);
    if (signal?.aborted) break;
    try {
      const payment = await client.query(sale.outTradeNo);
      if (FINAL.has(payment.status)) return settled('settled', payment);
      onProgress('waiting', payment);
    } catch (err) {
      // NOT_FOUND too: the payment may still be on its way.
      if (!(err instanceof MerchantApiError)) throw err;
      lastError = err;
    }
  } while (clock() < deadline);

  onProgress('reversing', null);
  for (let attempt = 0; attempt < reverseTries; attempt++) {
    if (attempt > 0) await sleep(reversePauseMs);
    try {
      const payment = await client.reverse(sale.outTradeNo);
      return PAID.has(payment.status) ? settled('settled', payment) : settled('reversed', payment);
    } catch (err) {
      if (!(err instanceof MerchantApiError)) throw err;
      lastError = err;
      if (!err.outcomeUnknown) break;
    }
  }
  return { outcome: 'unresolved', paid: false, payment: null, error: lastError };
}

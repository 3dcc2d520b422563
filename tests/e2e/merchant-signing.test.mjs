// The cashier page's merchant API client (www/js/merchant-api.js) in plain
// Node (no browser): WebCrypto signs docs/MERCHANT_API.md's worked examples
// to the documented bytes and hex, the imported key cannot be read back,
// and the till rule queries, then reverses, exactly when the outcome is
// unknown. Every request the rule sends is checked with node:crypto's HMAC,
// independently of the module's own signing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, createHmac } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  authorization,
  canonicalString,
  createClient,
  importMerchantKey,
  MerchantApiError,
  newNonce,
  newOutTradeNo,
  payByTillRule,
  sign,
} from '../../www/js/merchant-api.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = readFileSync(path.join(ROOT, 'docs/MERCHANT_API.md'), 'utf8');

/** The doc's fenced blocks tagged `example:NAME`, by NAME (as issuer/tests/signing_doc.rs reads them). */
function examples() {
  const blocks = new Map();
  const lines = DOC.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('```')) continue;
    const name = lines[i].slice(3).split(/\s+/).find((w) => w.startsWith('example:'))?.slice('example:'.length);
    const body = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    if (name) {
      assert.ok(!blocks.has(name), `example:${name} appears twice`);
      blocks.set(name, body.join('\n'));
    }
  }
  return blocks;
}

function block(name) {
  const text = examples().get(name);
  assert.ok(text !== undefined, `docs/MERCHANT_API.md has no example:${name} block`);
  return text;
}

function headerFields(value) {
  const [scheme, rest] = value.split(' ');
  assert.equal(scheme, 'PAYCODE-HMAC-SHA256');
  return Object.fromEntries(rest.split(',').map((kv) => kv.split('=')));
}

const KEY_HEX = () => block('key');
const MERCHANT = 'm_7f3a9c2e4b1d8f60';

for (const [name, method, pathAndQuery, bodyText] of [
  ['pay', 'POST', '/v1/payments', () => block('pay:body')],
  ['query', 'GET', '/v1/payments/T20260101-0001', () => ''],
]) {
  test(`WebCrypto signs the doc's ${name} example to the documented bytes and hex`, async () => {
    const shown = block(`${name}:authorization`);
    const fields = headerFields(shown);
    const parts = {
      method,
      pathAndQuery,
      ts: Number(fields.ts),
      nonce: fields.nonce,
      body: new TextEncoder().encode(bodyText()),
    };
    assert.equal(await canonicalString(parts), block(`${name}:canonical`));
    const key = await importMerchantKey(KEY_HEX());
    assert.equal(await sign(key, parts), block(`${name}:sig`));
    assert.equal(await authorization(key, fields.merchant, parts), shown);
  });
}

test('the signed client sends the doc example exactly', async () => {
  const key = await importMerchantKey(KEY_HEX());
  const sent = [];
  const client = createClient(
    { merchant: MERCHANT, key },
    {
      now: () => 1767225600 * 1000 + 999,
      nonce: () => '8fJq2LmZ-x_T4vNc',
      fetch: async (url, init) => {
        sent.push({ url, init });
        return new Response('{"status":"SUCCESS","out_trade_no":"T20260101-0001"}', { status: 200 });
      },
    },
  );
  const { status } = await client.signedFetch('POST', '/v1/payments', block('pay:body'));
  assert.equal(status, 200);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].url, '/v1/payments');
  assert.equal(sent[0].init.headers.Authorization, block('pay:authorization'));
  assert.equal(sent[0].init.headers['Content-Type'], 'application/json');
  assert.equal(new TextDecoder().decode(sent[0].init.body), block('pay:body'));
});

test('the imported key cannot be exported', async () => {
  const key = await importMerchantKey(KEY_HEX());
  assert.equal(key.extractable, false);
  assert.deepEqual(key.usages, ['sign']);
  await assert.rejects(crypto.subtle.exportKey('raw', key));
  await assert.rejects(crypto.subtle.exportKey('jwk', key));
});

test('the key survives the structured clone IndexedDB stores it by, still unreadable', async () => {
  const key = await importMerchantKey(KEY_HEX());
  const stored = structuredClone({ merchant: MERCHANT, key });
  assert.equal(stored.key.extractable, false);
  await assert.rejects(crypto.subtle.exportKey('raw', stored.key));
  const fields = headerFields(block('query:authorization'));
  const parts = { method: 'GET', pathAndQuery: '/v1/payments/T20260101-0001', ts: Number(fields.ts), nonce: fields.nonce, body: new Uint8Array() };
  assert.equal(await sign(stored.key, parts), block('query:sig'));
});

test('bad keys are refused', async () => {
  await assert.rejects(importMerchantKey('xyz'), TypeError);
  await assert.rejects(importMerchantKey('abc'), TypeError);
  await assert.rejects(importMerchantKey('00'.repeat(15)), RangeError);
  await assert.rejects(importMerchantKey('00'.repeat(65)), RangeError);
});

test('nonces and order numbers have the documented form and differ', () => {
  const a = newNonce();
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a, newNonce());
  const no = newOutTradeNo(1767225600123);
  assert.match(no, /^T1767225600-[A-Za-z0-9_-]{10}$/);
});

// The till rule against a scripted fetch. Every request is verified with
// node:crypto; a hung answer never resolves until the client's timeout
// aborts it.

const RULE_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const OUT_TRADE_NO = 'T1767225600-TEST01';
const PAY = 'POST /v1/payments';
const QUERY = `GET /v1/payments/${OUT_TRADE_NO}`;
const REVERSE = `POST /v1/payments/${OUT_TRADE_NO}/reverse`;
const RULE = { pollIntervalMs: 20, pollForMs: 150, reverseTries: 3, reversePauseMs: 10 };

function verifies(method, url, headers, bodyBytes) {
  const fields = headerFields(headers.Authorization);
  const bodyHash = createHash('sha256').update(bodyBytes ?? new Uint8Array()).digest('hex');
  const canonical = [method, url, fields.ts, fields.nonce, bodyHash].join('\n');
  const want = createHmac('sha256', Buffer.from(RULE_KEY_HEX, 'hex')).update(canonical).digest('hex');
  const skew = Math.abs(Number(fields.ts) - Math.floor(Date.now() / 1000));
  return fields.merchant === MERCHANT && fields.sig === want && skew <= 300 && /^[A-Za-z0-9_-]{16,64}$/.test(fields.nonce);
}

const payment = (status) => ({ status, payment_id: 'p_1', out_trade_no: OUT_TRADE_NO, amount: '12.50', currency: 'CNY' });
const fail = (status, code) => ({ status, json: { error: { code, message: code } } });
const HANG = Symbol('hang');

async function scripted(script, { timeoutMs = 1000, rule = RULE } = {}) {
  const seen = [];
  const nonces = new Set();
  const fetch = (url, init) => {
    const route = `${init.method} ${url}`;
    assert.ok(verifies(init.method, url, init.headers, init.body), `${route} does not verify`);
    const nonce = headerFields(init.headers.Authorization).nonce;
    assert.ok(!nonces.has(nonce), 'a nonce was used twice');
    nonces.add(nonce);
    seen.push({ route, body: init.body ? JSON.parse(new TextDecoder().decode(init.body)) : null });
    const action = script(seen.length - 1, route);
    if (action === HANG) {
      return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    const { status = 200, json } = 'json' in action ? action : { json: action };
    return Promise.resolve(new Response(JSON.stringify(json), { status }));
  };
  const key = await importMerchantKey(RULE_KEY_HEX);
  const client = createClient({ merchant: MERCHANT, key }, { fetch, timeoutMs });
  const progress = [];
  const sale = { outTradeNo: OUT_TRADE_NO, authCode: '134617201123456789', amount: '12.50' };
  const result = await payByTillRule(client, sale, { ...rule, onProgress: (state) => progress.push(state) });
  return { result, seen, routes: seen.map((s) => s.route), progress };
}

test('a success is one signed request with the documented body', async () => {
  const { result, seen } = await scripted(() => payment('SUCCESS'));
  assert.equal(result.outcome, 'settled');
  assert.equal(result.paid, true);
  assert.deepEqual(seen, [{
    route: PAY,
    body: { out_trade_no: OUT_TRADE_NO, auth_code: '134617201123456789', amount: '12.50', currency: 'CNY' },
  }]);
});

test('a timed-out payment is queried until it is found', async () => {
  // Polling lasts from when the payment was sent, so it must outlast the
  // timeout here; the margin only matters if the test fails.
  const { result, routes, progress } = await scripted(
    (i) => [HANG, fail(404, 'NOT_FOUND')][i] ?? payment('SUCCESS'),
    { timeoutMs: 300, rule: { ...RULE, pollForMs: 5300 } },
  );
  assert.equal(result.outcome, 'settled');
  assert.equal(result.payment.status, 'SUCCESS');
  assert.deepEqual(routes, [PAY, QUERY, QUERY]);
  assert.equal(progress[0], 'checking');
});

test('USERPAYING shows as waiting and is polled until the payer confirms', async () => {
  // The script confirms on the second query; a poll window far longer than
  // that keeps a slow machine from reaching the reverse first.
  const { result, routes, progress } = await scripted(
    (i) => payment(i < 2 ? 'USERPAYING' : 'SUCCESS'),
    { rule: { ...RULE, pollForMs: 60_000 } },
  );
  assert.equal(result.payment.status, 'SUCCESS');
  assert.deepEqual(routes, [PAY, QUERY, QUERY]);
  assert.deepEqual(progress, ['waiting', 'waiting']);
});

test('USERPAYING past the polling time is reversed', async () => {
  const started = performance.now();
  const { result, routes, progress } = await scripted((_, route) => payment(route === REVERSE ? 'CLOSED' : 'USERPAYING'));
  assert.ok(performance.now() - started >= RULE.pollForMs);
  assert.equal(result.outcome, 'reversed');
  assert.equal(result.paid, false);
  assert.equal(result.payment.status, 'CLOSED');
  assert.equal(routes[0], PAY);
  assert.equal(routes.at(-1), REVERSE);
  const queries = routes.slice(1, -1);
  assert.ok(queries.length >= 1 && queries.length <= Math.floor(RULE.pollForMs / RULE.pollIntervalMs) + 1, String(queries.length));
  assert.ok(queries.every((r) => r === QUERY));
  assert.equal(progress.at(-1), 'reversing');
});

test('server errors and rate limits leave the outcome open', async () => {
  for (const [status, code] of [[500, 'SYSTEMERROR'], [429, 'RATE_LIMITED']]) {
    const { result, routes } = await scripted((i) => (i === 0 ? fail(status, code) : payment('SUCCESS')));
    assert.equal(result.payment.status, 'SUCCESS', code);
    assert.deepEqual(routes, [PAY, QUERY], code);
  }
});

test('a refusal stops without a query or a reverse', async () => {
  const err = await scripted(() => fail(409, 'OUT_TRADE_NO_CONFLICT')).catch((e) => e);
  assert.ok(err instanceof MerchantApiError);
  assert.equal(err.code, 'OUT_TRADE_NO_CONFLICT');
  assert.equal(err.status, 409);
});

test('a failed reverse is sent again; one that never answers leaves the sale unresolved', async () => {
  let reverses = 0;
  const retried = await scripted((_, route) => {
    if (route !== REVERSE) return payment('USERPAYING');
    return reverses++ === 0 ? fail(500, 'SYSTEMERROR') : payment('REVERSED');
  });
  assert.equal(retried.result.outcome, 'reversed');
  assert.deepEqual(retried.routes.slice(-2), [REVERSE, REVERSE]);

  const down = await scripted(() => fail(503, 'SYSTEMERROR'));
  assert.equal(down.result.outcome, 'unresolved');
  assert.equal(down.result.paid, false);
  assert.equal(down.result.error.code, 'SYSTEMERROR');
  assert.equal(down.routes.filter((r) => r === REVERSE).length, RULE.reverseTries);
});

test('the cashier cancelling reverses at once', async () => {
  const abort = new AbortController();
  const key = await importMerchantKey(RULE_KEY_HEX);
  const routes = [];
  const fetch = (url, init) => {
    routes.push(`${init.method} ${url}`);
    const status = url.endsWith('/reverse') ? 'CLOSED' : 'USERPAYING';
    return Promise.resolve(new Response(JSON.stringify(payment(status)), { status: 200 }));
  };
  const client = createClient({ merchant: MERCHANT, key }, { fetch });
  const sale = { outTradeNo: OUT_TRADE_NO, authCode: '1346', amount: '1.00' };
  const result = await payByTillRule(client, sale, {
    ...RULE,
    pollIntervalMs: 60_000,
    pollForMs: 600_000,
    signal: abort.signal,
    onProgress: (state) => state === 'waiting' && abort.abort(),
  });
  assert.equal(result.outcome, 'reversed');
  assert.deepEqual(routes, [PAY, REVERSE]);
});

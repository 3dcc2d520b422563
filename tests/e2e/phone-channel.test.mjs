// The card-signed channel in Chromium as a phone: the wallet page signs its
// history requests with the card's channel key (a signature Node recomputes
// from the link by HKDF), and the issuer answers only such requests: no
// signature, a bad one, a replayed one or another card's → 401.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { startServe } from './lib/serve.mjs';
import { waitForCode } from './lib/fixture.mjs';
import { cardAuthorization, channelKeyOfLink, demoCardIssued, parseCardAuthorization, phoneWithCard } from './lib/phone.mjs';

/** The wallet's first history request and its answer. */
async function firstHistory(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
  const asked = page.waitForRequest((r) => r.url().includes('/v1/wallet/history'));
  const answered = page.waitForResponse((r) => r.url().includes('/v1/wallet/history'));
  const issued = demoCardIssued(page);
  await page.click('#demo');
  const card = await issued;
  await waitForCode(page);
  return { page, card, request: await asked, response: await answered };
}

test('phone channel: the page signs history with the channel key; unsigned, forged and replayed requests get the one 401', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-phone-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const context = await phoneContext(browser, { locale: 'en-US' });
    const { card, request, response } = await firstHistory(context, serve.url);
    assert.equal(response.status(), 200, 'the signed history request was refused');
    assert.deepEqual((await response.json()).charges, []);
    const url = new URL(request.url());
    assert.equal(url.pathname, '/v1/wallet/history', 'the history URL names no card');
    const auth = request.headers().authorization;
    assert.match(auth, /^PAYCODE-CARD prefix=13,token=\d+,ts=\d+,nonce=[A-Za-z0-9_-]{16,64},sig=[0-9a-f]{64}$/);
    const fields = parseCardAuthorization(auth);
    assert.equal(Number(fields.token), card.token);
    assert.ok(Math.abs(Number(fields.ts) - Date.now() / 1000) < 60, `ts ${fields.ts} is not the issuer's time`);

    // Node recomputes the signature from the link: HKDF-SHA256 of the secret, then HMAC.
    const key = channelKeyOfLink(card.link);
    const target = url.pathname + url.search;
    const expected = cardAuthorization(key, card, { method: 'GET', target, ts: fields.ts, nonce: fields.nonce });
    assert.equal(auth, expected, 'the page signed something else than FORMAT.md §11 says');

    const get = (authorization) => fetch(`${serve.url}${target}`, { headers: authorization ? { authorization } : {} });
    const refusals = [];
    // The page's own request again: its nonce is spent.
    refusals.push(await get(auth));
    // No signature.
    refusals.push(await get(null));
    // One hex digit of the signature changed.
    refusals.push(await get(auth.replace(/.$/, (c) => (c === '0' ? '1' : '0'))));
    // Another card's key, claiming to be this card.
    const other = await phoneWithCard(await phoneContext(browser), serve.url);
    const ts = Math.floor(Date.now() / 1000);
    refusals.push(await get(cardAuthorization(channelKeyOfLink(other.card.link), card, { method: 'GET', target, ts, nonce: 'othercardnonce-0001' })));
    const bodies = [];
    for (const reply of refusals) {
      assert.equal(reply.status, 401);
      bodies.push(await reply.text());
    }
    assert.ok(bodies.every((b) => b === bodies[0]), `the 401s differ: ${bodies.join(' | ')}`);
    assert.equal(JSON.parse(bodies[0]).error.code, 'UNAUTHORIZED');
    // A fresh signature from Node with this card's key is accepted: the 401s were about the signatures.
    const fresh = await get(cardAuthorization(key, card, { method: 'GET', target, ts, nonce: 'nodesignednonce-0001' }));
    assert.equal(fresh.status, 200);
    // The token alone reads nothing: the old route is gone.
    assert.equal((await fetch(`${serve.url}/api/cards/${card.token}/history?prefix=13`)).status, 404);
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

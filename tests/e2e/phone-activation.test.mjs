// One-time activation in Chromium as a phone (docs/FORMAT.md §8.1): "Get a
// demo card" receives an activation link with no key, the wallet redeems
// it, and the card's code, decoded from the screenshot by zxing-cpp, pays.
// The used link opened again shows why it fails and loses no card. A link
// that would replace the stored card (same prefix and token, another key)
// asks first; "Keep my card" keeps the old one, which still pays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { startServe } from './lib/serve.mjs';
import { ensureTimeLeft, waitForCode } from './lib/fixture.mjs';
import { decodeImages } from './lib/decoders.mjs';
import { demoCardIssued, demoTill, tillPay } from './lib/phone.mjs';
import { nextCode } from './lib/cashier.mjs';

/** The code on screen, as a till's scanner reads it. */
async function scannedCode(page, dir, name) {
  await ensureTimeLeft(page, 10);
  const file = path.join(dir, `${name}.png`);
  await page.locator('#card').screenshot({ path: file });
  const found = (await decodeImages([file]))[file];
  const codes = new Set(found.map((symbol) => symbol.text));
  assert.equal(codes.size, 1, `one code on screen: ${JSON.stringify(found)}`);
  return [...codes][0];
}

const query = (link) => new URLSearchParams(link.slice(link.indexOf('?') + 1));

test('the demo card comes by activation, pays, and its used link fails clearly without losing the card', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-activation-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const till = await demoTill(serve.url);
    const context = await phoneContext(browser, { locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(serve.url);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    const issued = demoCardIssued(page);
    await page.click('#demo');
    const card = await issued;
    await waitForCode(page);

    // The demo answer is an activation link: a code, no key.
    assert.match(card.activation, /^paycode:\/\/activate\?/);
    assert.equal(query(card.activation).get('url'), serve.url);
    assert.match(query(card.activation).get('code'), /^[0-9a-f]{32}$/);
    const secret = query(card.link).get('secret');
    assert.ok(secret && secret.length >= 26, 'the redeemed link holds the key: test premise');
    assert.ok(!card.activation.toUpperCase().includes(secret.toUpperCase()), 'the activation link holds the key');
    assert.equal(query(card.activation).get('secret'), null);

    const code = await scannedCode(page, dir, 'activated');
    const paid = await tillPay(serve.url, till, 'T-act-1', code, '2.00');
    assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));

    // The code is dead: a second redemption is refused, by the issuer and on the page.
    const again = await fetch(`${serve.url}/v1/activations/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: query(card.activation).get('code') }),
    });
    assert.equal(again.status, 410);
    assert.equal((await again.json()).error.code, 'ACTIVATION_USED');
    await page.evaluate((link) => { window.location.hash = link; }, card.activation);
    await page.waitForFunction(() => /used already/.test(document.getElementById('message').textContent), null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => window.location.hash), '', 'the fragment stayed in the address bar');
    assert.ok(await page.isVisible('#wallet'), 'the card is gone after a failed redemption');
    const after = await nextCode(page, code);
    const paidAgain = await tillPay(serve.url, till, 'T-act-2', after, '1.00');
    assert.equal(paidAgain.body.status, 'SUCCESS', JSON.stringify(paidAgain.body));
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a link that would replace the stored card asks first, and "Keep my card" keeps it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-activation-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const till = await demoTill(serve.url);
    const context = await phoneContext(browser, { locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(serve.url);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    const issued = demoCardIssued(page);
    await page.click('#demo');
    const card = await issued;
    await waitForCode(page);
    const first = await scannedCode(page, dir, 'stored');

    // Same prefix and token, another key: what a leaked or stale link would bring.
    const key = query(card.link).get('secret');
    const otherKey = key.startsWith('A') ? `B${key.slice(1)}` : `A${key.slice(1)}`;
    const replacing = card.link.replace(`secret=${key}`, `secret=${otherKey}`);
    assert.notEqual(replacing, card.link);
    await page.evaluate((link) => { window.location.hash = `provision=${encodeURIComponent(link)}`; }, replacing);
    await page.waitForSelector('#confirm-replace[open]', { timeout: 10_000 });
    assert.match(await page.textContent('#replace-card'), /Demo Bank/);
    await page.click('#replace-keep');
    await page.waitForFunction(() => /Kept your card/.test(document.getElementById('message').textContent), null, { timeout: 10_000 });

    // The old card is still the one stored and shown: its codes pay, also after a reload.
    const kept = await nextCode(page, first);
    const paid = await tillPay(serve.url, till, 'T-keep-1', kept, '1.50');
    assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    await waitForCode(page);
    // The page resumes at the code it showed (used just now): a swipe brings the next one.
    const reloaded = await nextCode(page, await scannedCode(page, dir, 'reloaded'));
    const paidAfter = await tillPay(serve.url, till, 'T-keep-2', reloaded, '1.50');
    assert.equal(paidAfter.body.status, 'SUCCESS', JSON.stringify(paidAfter.body));
    assert.equal(await page.isHidden('#switcher'), true, 'a second card was added beside the kept one');
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

// Issue #4/#5, in each engine (E2E_ENGINE): a card provisioned from a link in
// the URL fragment shows a code whose Code 128 and QR both decode (zxing-cpp,
// from a screenshot: Chromium's 360×740 @3x phone, the others' 480×900 @1x
// window) to the digits the page reveals, and the issuer approves it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, openWallet, waitForCode, revealDigits, ensureTimeLeft, MASKED } from '../lib/fixture.mjs';
import { charge } from '../lib/issuer.mjs';
import { decodeImages } from '../lib/decoders.mjs';
import { engineFromEnv, openPage } from '../lib/webdriver.mjs';

const ENGINE = engineFromEnv();

let fx;
let page;
before(async () => {
  fx = await startFixture({ browser: false });
  page = await openPage(ENGINE);
});
after(async () => {
  await page?.close();
  await fx?.close();
});

test('fragment link → code on screen → both symbols decode to the shown digits → charge approved', async () => {
  const link = await fx.newLink();
  await openWallet(page, fx.server, link);

  // The link left the address bar at once.
  const url = await page.evaluate(() => location.href);
  assert.ok(!url.includes('#'), `fragment still in the URL: ${url}`);
  assert.ok(!url.includes('provision'), 'link still in the URL');

  await waitForCode(page);
  // The reveal, the screenshot and the charge fall in one time step (the real clock: may wait ≤ 15 s).
  await ensureTimeLeft(page, 15);
  const masked = await page.textContent('#digits');
  assert.match(masked, MASKED);
  const digits = await revealDigits(page);
  assert.equal(digits.slice(0, 4), masked.slice(0, 4));
  assert.equal(digits.slice(-2), masked.slice(-2));

  // What a scanner sees: the whole screen.
  const shot = path.join(fx.shots, `${ENGINE}-screen.png`);
  await page.screenshot({ path: shot });
  const found = (await decodeImages([shot]))[shot];
  const code128 = found.filter((b) => /128/.test(b.format)).map((b) => b.text);
  const qr = found.filter((b) => /QR/i.test(b.format)).map((b) => b.text);
  assert.deepEqual(code128, [digits], `Code 128 decoded: ${JSON.stringify(found)}`);
  assert.deepEqual(qr, [digits], `QR decoded: ${JSON.stringify(found)}`);

  const approved = await charge(fx.db, digits, '12.50');
  assert.equal(approved.status, 0, `charge not approved: ${approved.stdout} ${approved.stderr}`);

  // The same code cannot pay twice.
  const replay = await charge(fx.db, digits, '12.50');
  assert.equal(replay.status, 3, `replayed code not rejected: ${replay.stdout}`);

  // Page errors are collected where the driver reports them: Playwright's (Chromium).
  if (page.log) assert.deepEqual(page.log.filter((line) => line.startsWith('pageerror')), []);
});

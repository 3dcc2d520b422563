// The wallet's estimate of the issuer's clock, corrected online: in
// Chromium as a phone, the device clock jumps 5 minutes ahead after the card
// is added; the page notices, measures the issuer's clock again on its
// event stream (RTT/2), and its codes are accepted by the issuer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { startServe } from './lib/serve.mjs';
import { revealDigits, waitForCode } from './lib/fixture.mjs';
import { nextCode } from './lib/cashier.mjs';
import { demoTill, phoneWithCard, tillPay } from './lib/phone.mjs';

const AHEAD_MS = 5 * 60 * 1000;

test('clock: the device clock set 5 min ahead after provisioning, the page online: its codes are still accepted', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-phone-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const till = await demoTill(serve.url);
    const context = await phoneContext(browser, { locale: 'en-US' });
    // The device clock as the page sees it: the real one plus a skew the test sets.
    await context.addInitScript(() => {
      const realNow = Date.now.bind(Date);
      window.deviceClockSkewMs = 0;
      Date.now = () => realNow() + window.deviceClockSkewMs;
    });
    const page = await context.newPage();
    const streams = [];
    page.on('response', (r) => {
      if (r.url().includes('/v1/wallet/events') && r.status() === 200) streams.push(r);
    });
    await page.goto(serve.url);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    const issued = page.waitForResponse((r) => r.url().endsWith('/api/cards') && r.request().method() === 'POST');
    await page.click('#demo');
    await issued;
    await waitForCode(page);
    await page.waitForFunction(() => document.documentElement.dataset.clockOffsetMs !== undefined);
    const before = Number(await page.getAttribute('html', 'data-clock-offset-ms'));
    assert.ok(Math.abs(before) < 5000, `offset ${before} ms before the jump`);
    const first = await revealDigits(page);
    assert.equal((await tillPay(serve.url, till, 'T-clock-0', first, '1.00')).body.status, 'SUCCESS');

    // The phone's clock jumps 5 minutes ahead.
    const streamsBefore = streams.length;
    await page.evaluate((ms) => {
      window.deviceClockSkewMs = ms;
    }, AHEAD_MS);
    await page.waitForFunction(
      (ms) => Math.abs(Number(document.documentElement.dataset.clockOffsetMs) + ms) < 5000,
      AHEAD_MS,
      { timeout: 15_000 },
    );
    assert.ok(streams.length > streamsBefore, 'the offset changed without a new measurement on the stream');
    const after = Number(await page.getAttribute('html', 'data-clock-offset-ms'));
    console.log(`clock offset ${before} ms before the jump, ${after} ms after (device ${AHEAD_MS} ms ahead)`);

    // Fresh codes on the corrected clock pay.
    let code = first;
    for (let n = 1; n <= 2; n += 1) {
      code = await nextCode(page, code);
      const paid = await tillPay(serve.url, till, `T-clock-${n}`, code, '2.00');
      assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
    }
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

// Live results on the phone, in Chromium as a phone (360×740, touch): a till
// pays the wallet's code through the signed merchant API and the result
// sheet appears (amount, the merchant as the issuer knows it, funding, time),
// within 1 s at p95 over 20 payments, measured and printed. With the event
// endpoint down the codes still pay, the page says results cannot be
// confirmed, and the result shows from history once the endpoint is back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { startServe } from './lib/serve.mjs';
import { revealDigits, waitForCode } from './lib/fixture.mjs';
import { nextCode } from './lib/cashier.mjs';
import { demoTill, percentile, phoneWithCard, tillPay, watchSheet } from './lib/phone.mjs';

const PAYMENTS = 20;
const PHONES = 2; // 10 payments each: within one step's 16 codes per card

/** Resolves once the page's event stream has answered (its first `hello`). */
async function streamOpen(page) {
  await page.waitForResponse((r) => r.url().includes('/v1/wallet/events') && r.status() === 200, { timeout: 10_000 });
}

test('result sheet: 20 payments through the signed merchant API, each on the phone within 1 s at p95', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-phone-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const till = await demoTill(serve.url);
    const phones = [];
    for (let i = 0; i < PHONES; i += 1) {
      const context = await phoneContext(browser, { locale: i === 0 ? 'en-US' : 'zh-CN' });
      context.on('page', (page) => {
        page.streamOpen = streamOpen(page);
      });
      const { page } = await phoneWithCard(context, serve.url);
      await waitForCode(page);
      await page.streamOpen;
      await watchSheet(page);
      phones.push({ page, context, code: await revealDigits(page) });
    }
    const latencies = [];
    for (let n = 0; n < PAYMENTS; n += 1) {
      const phone = phones[n % PHONES];
      const amount = `${10 + n}.${String(n).padStart(2, '0')}`;
      const paid = await tillPay(serve.url, till, `T-sheet-${n}`, phone.code, amount);
      assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
      const id = paid.body.payment_id;
      const shownAt = await phone.page.waitForFunction((charge) => window.sheetShownAt[charge], id, { timeout: 5000 });
      latencies.push(Math.max(0, (await shownAt.jsonValue()) - paid.at));
      assert.equal(await phone.page.textContent('#result-amount'), `¥${amount}`);
      assert.equal(await phone.page.textContent('#result-merchant'), till.name, 'the merchant as the issuer knows it');
      assert.notEqual((await phone.page.textContent('#result-time')).trim(), '');
      assert.match(await phone.page.textContent('#result-funding'), /\S/);
      await phone.page.click('#result-close');
      assert.equal(await phone.page.isHidden('#result-sheet'), true);
      phone.code = await nextCode(phone.page, phone.code);
    }
    const p95 = percentile(latencies, 95);
    console.log(`result sheet after the till's answer: p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms over ${latencies.length} payments`);
    assert.ok(p95 <= 1000, `p95 ${p95} ms is over 1 s`);
    // Titles in both languages, and the screen-reader announcement.
    assert.equal(await phones[0].page.textContent('#result-title'), 'Payment approved');
    assert.equal(await phones[1].page.textContent('#result-title'), '付款成功');
    assert.match(await phones[1].page.textContent('#announce-result'), /^付款成功: ¥\d+\.\d{2}, /);
    assert.equal(await phones[0].page.getAttribute('#announce-result', 'aria-live'), 'assertive');
    for (const { context } of phones) assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('stream down: codes still pay, the page says so, and the result comes from history once the stream is back', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-phone-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const till = await demoTill(serve.url);
    const context = await phoneContext(browser, { locale: 'en-US' });
    // The event endpoint is down from the start (history still answers).
    await context.route('**/v1/wallet/events', (route) => route.abort('connectionrefused'));
    const { page } = await phoneWithCard(context, serve.url);
    await waitForCode(page);
    await page.waitForSelector('#stream-notice:not([hidden])', { timeout: 10_000 });
    assert.match(await page.textContent('#stream-notice'), /cannot be confirmed right now/);

    const code = await revealDigits(page);
    const paid = await tillPay(serve.url, till, 'T-down-1', code, '42.00');
    assert.equal(paid.body.status, 'SUCCESS', 'a code shown with the stream down must still pay');
    assert.equal(await page.isHidden('#result-sheet'), true, 'a sheet without a stream');

    await context.unroute('**/v1/wallet/events');
    await page.waitForSelector('#stream-notice', { state: 'hidden', timeout: 15_000 });
    await page.waitForFunction(
      () => [...document.querySelectorAll('#history-list .amount')].some((el) => el.textContent === '¥42.00'),
      null,
      { timeout: 10_000 },
    );
    // And live again: the next payment shows its sheet.
    await watchSheet(page);
    const again = await tillPay(serve.url, till, 'T-down-2', await nextCode(page, code), '43.00');
    assert.equal(again.body.status, 'SUCCESS');
    await page.waitForFunction((charge) => window.sheetShownAt[charge], again.body.payment_id, { timeout: 5000 });
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

// USERPAYING confirmed on the phone, in Chromium as a phone (360×740,
// touch): the payer chooses a PIN when the card is added; past the no-PIN
// allowance the till gets USERPAYING, the phone's sheet asks for the PIN,
// and the till's query sees SUCCESS within 1 s of the PIN being sent. No
// request or answer of the till carries the PIN, and the phone keeps none.
// Three wrong PINs block PIN payments, the right one included, until
// `paycode pin reset CARD`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { run } from './lib/issuer.mjs';
import { startServe } from './lib/serve.mjs';
import { revealDigits, waitForCode } from './lib/fixture.mjs';
import { nextCode } from './lib/cashier.mjs';
import { dumpBrowserState } from './lib/secrets.mjs';
import { demoTill, phoneWithCard, tillPay, tillRequest } from './lib/phone.mjs';

const PIN = '358024';

/** Waits for the sheet to ask for the PIN of `paymentId`. */
async function sheetAsksPin(page, paymentId) {
  await page.waitForFunction(
    (id) => {
      const sheet = document.getElementById('result-sheet');
      return !sheet.hidden && sheet.dataset.charge === id && !document.getElementById('result-pin').hidden;
    },
    paymentId,
    { timeout: 5000 },
  );
}

/** Types `pin` into the sheet and sends it; resolves once the issuer has answered and the sheet is ready again. */
async function typePin(page, pin) {
  await page.fill('#result-pin-input', pin);
  const answered = page.waitForResponse((r) => /\/v1\/wallet\/payments\/[^/]+\/confirm$/.test(r.url()));
  await page.click('#result-pay');
  const response = await answered;
  await page.waitForFunction(() => !document.getElementById('result-pin-input').disabled);
  return response.status();
}

async function pinMessage(page, pattern) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById('result-pin-error').textContent),
    pattern.source,
    { timeout: 5000 },
  );
}

test('large payment: USERPAYING at the till, the PIN on the phone, SUCCESS at the till; three wrong PINs block until pin reset', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-phone-'));
  const db = path.join(dir, 'paycode.db');
  const serve = await startServe(db);
  const browser = await launch();
  try {
    const till = await demoTill(serve.url);
    const tillTraffic = []; // every header and body the till sent or received
    const asTill = async (call) => {
      const reply = await call();
      tillTraffic.push(reply.wire);
      return reply;
    };
    const context = await phoneContext(browser, { locale: 'en-US' });
    const { page, card } = await phoneWithCard(context, serve.url);
    await waitForCode(page);
    await page.waitForSelector('#pin-setup:not([hidden])', { timeout: 10_000 });
    await page.fill('#pin-new', PIN);
    await page.click('#pin-set');
    await page.waitForSelector('#pin-setup', { state: 'hidden', timeout: 10_000 });
    let code = await revealDigits(page);

    // Over the allowance: the till waits, the phone asks.
    const waiting = await asTill(() => tillPay(serve.url, till, 'T-big-1', code, '300.01'));
    assert.equal(waiting.body.status, 'USERPAYING', JSON.stringify(waiting.body));
    await sheetAsksPin(page, waiting.body.payment_id);
    assert.equal(await page.textContent('#result-title'), 'Confirm this payment');
    assert.equal(await page.textContent('#result-amount'), '¥300.01');
    assert.equal(await page.textContent('#result-merchant'), till.name);
    await page.fill('#result-pin-input', PIN);
    const confirmed = page.waitForResponse((r) => r.url().endsWith(`/v1/wallet/payments/${waiting.body.payment_id}/confirm`));
    const sentAt = Date.now();
    await page.click('#result-pay');
    assert.equal((await confirmed).status(), 200);
    const query = await asTill(() => tillRequest(serve.url, till, 'GET', '/v1/payments/T-big-1'));
    assert.equal(query.body.status, 'SUCCESS');
    const elapsed = query.at - sentAt;
    console.log(`till query SUCCESS ${elapsed} ms after the phone's PIN went out`);
    assert.ok(elapsed <= 1000, `${elapsed} ms`);
    await page.waitForFunction(() => document.getElementById('result-sheet').dataset.result === 'approved', null, { timeout: 5000 });
    assert.equal(await page.textContent('#result-title'), 'Payment approved');
    await page.click('#result-close');

    // Three wrong PINs: blocked, and the right PIN is refused afterwards.
    code = await nextCode(page, code);
    const second = await asTill(() => tillPay(serve.url, till, 'T-big-2', code, '320.00'));
    assert.equal(second.body.status, 'USERPAYING');
    await sheetAsksPin(page, second.body.payment_id);
    assert.equal(await typePin(page, '000000'), 403);
    await pinMessage(page, /Wrong PIN\. 2 tries left\./);
    assert.equal(await typePin(page, '000001'), 403);
    await pinMessage(page, /Wrong PIN\. 1 try left\./);
    assert.equal(await typePin(page, '000002'), 423);
    await pinMessage(page, /blocked/);
    assert.equal(await typePin(page, PIN), 423, 'the right PIN was accepted while blocked');
    await pinMessage(page, /blocked/);
    assert.equal((await asTill(() => tillRequest(serve.url, till, 'GET', '/v1/payments/T-big-2'))).body.status, 'USERPAYING');

    // The issuer resets; the right PIN is accepted.
    const reset = await run(['pin', 'reset', `${card.prefix}:${card.token}`, '--db', db]);
    assert.equal(reset.status, 0, reset.stdout);
    assert.equal(await typePin(page, PIN), 200);
    await page.waitForFunction(() => document.getElementById('result-sheet').dataset.result === 'approved', null, { timeout: 5000 });
    assert.equal((await asTill(() => tillRequest(serve.url, till, 'GET', '/v1/payments/T-big-2'))).body.status, 'SUCCESS');
    await page.click('#result-close');

    // A decline on the phone: FAILED at the till.
    code = await nextCode(page, code);
    const third = await asTill(() => tillPay(serve.url, till, 'T-big-3', code, '330.00'));
    await sheetAsksPin(page, third.body.payment_id);
    await page.click('#result-decline');
    await page.waitForFunction(() => document.getElementById('result-sheet').dataset.result === 'failed', null, { timeout: 5000 });
    const declined = await asTill(() => tillRequest(serve.url, till, 'GET', '/v1/payments/T-big-3'));
    assert.equal(declined.body.status, 'FAILED');
    assert.equal(declined.body.error.code, 'PAYER_DECLINED');

    // The PIN went through no request or answer of the till, and the phone keeps none.
    for (const line of tillTraffic) assert.ok(!line.includes(PIN), `the till saw the PIN: ${line}`);
    const dump = await dumpBrowserState(page, context);
    assert.ok(!dump.includes(PIN), 'the PIN is stored on the phone');
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

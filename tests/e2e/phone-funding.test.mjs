// The payer's order of funding sources, in Chromium as a phone (360×740,
// touch). A card of three sources (balance, ICBC, CMB) with fall-through,
// the balance empty: the payer moves CMB up (a tap, then the keyboard),
// the page sends the order signed over the card channel and draws the
// issuer's answer; after a reload the issuer's order is shown again. Then a
// till pays a code that names the empty balance, and both the till's
// answer and the phone's result sheet name CMB, the source the payer put
// next (in index order it would have been ICBC).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { startServe } from './lib/serve.mjs';
import { run } from './lib/issuer.mjs';
import { ensureTimeLeft, waitForCode } from './lib/fixture.mjs';
import { decodeImages } from './lib/decoders.mjs';
import { demoTill, parseCardAuthorization, tillPay } from './lib/phone.mjs';

const ROUTE = '/v1/wallet/funding-order';

async function threeSourceCard(db) {
  const made = await run(['provision', '--db', db, '--funding', 'balance,debit:ICBC:1234,debit:CMB:5678', '--fall-through', 'yes']);
  assert.equal(made.status, 0, made.stdout + made.stderr);
  for (const source of ['1', '2']) {
    const funded = await run(['topup', `13:${made.json.token}`, '100.00', '--source', source, '--db', db]);
    assert.equal(funded.status, 0, funded.stdout + funded.stderr);
  }
  return made.json;
}

/** The list as drawn: the source names, top first. */
function shownOrder(page) {
  return page.$$eval('#funding-order-list li', (items) => items.map((li) => li.querySelector('.funding-order-name').textContent));
}

async function orderIs(page, names) {
  await page.waitForFunction(
    (want) => JSON.stringify([...document.querySelectorAll('#funding-order-list .funding-order-name')].map((n) => n.textContent)) === JSON.stringify(want),
    names,
    { timeout: 5000 },
  );
}

/** The code on screen, as a till's scanner reads it: zxing-cpp on a screenshot of the card. */
async function scannedCode(page, dir, name) {
  await ensureTimeLeft(page, 10);
  const file = path.join(dir, `${name}.png`);
  await page.locator('#card').screenshot({ path: file });
  const found = (await decodeImages([file]))[file];
  const codes = new Set(found.map((symbol) => symbol.text));
  assert.equal(codes.size, 1, JSON.stringify(found));
  return [...codes][0];
}

test('the payer orders the funding sources, the issuer keeps the order, and an empty source falls through to the one put next', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-funding-'));
  const db = path.join(dir, 'issuer.db');
  const server = await startServe(db);
  const browser = await launch();
  try {
    const till = await demoTill(server.url);
    const made = await threeSourceCard(db);
    const context = await phoneContext(browser, { locale: 'en-US' });
    const page = await context.newPage();
    const puts = [];
    page.on('request', (r) => {
      if (r.url().endsWith(ROUTE) && r.method() === 'PUT') puts.push({ body: r.postData(), auth: r.headers().authorization });
    });
    await page.goto(`${server.url}/`);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    await page.fill('#paste', made.link);
    await page.tap('#paste-add');
    await waitForCode(page);

    // Never set: index order, from the issuer. Fall-through is on: the hint says so.
    await page.waitForSelector('#funding-order:not([hidden])', { timeout: 5000 });
    await orderIs(page, ['Balance', 'ICBC •••• 1234', 'CMB •••• 5678']);
    assert.match(await page.textContent('#funding-order-hint'), /tries the others in this order/);
    assert.equal(await page.getAttribute('#funding-order', 'aria-labelledby'), 'funding-order-title');

    // A tap moves CMB up; the page draws the issuer's answer and says it.
    await page.tap('#funding-order-list li[data-index="2"] button[data-move="-1"]');
    await orderIs(page, ['Balance', 'CMB •••• 5678', 'ICBC •••• 1234']);
    await page.waitForFunction(() => document.getElementById('funding-order-status').textContent
      === 'Order saved: 1. Balance, 2. CMB •••• 5678, 3. ICBC •••• 1234.');
    assert.equal(await page.getAttribute('#funding-order-status', 'role'), 'status');
    // Sent signed, as the card channel signs: the order in the body, nothing of the secret.
    assert.equal(puts.length, 1);
    assert.deepEqual(JSON.parse(puts[0].body), { order: [0, 2, 1] });
    const fields = parseCardAuthorization(puts[0].auth);
    assert.equal(Number(fields.token), made.token);
    assert.match(fields.sig, /^[0-9a-f]{64}$/);

    // The keyboard: focus stayed on the moved source; Enter moves it to the top,
    // then Tab to its "down" button and Enter puts it back.
    assert.equal(await page.evaluate(() => document.activeElement.closest('li')?.dataset.index), '2');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move CMB •••• 5678 up');
    await page.keyboard.press('Enter');
    await orderIs(page, ['CMB •••• 5678', 'Balance', 'ICBC •••• 1234']);
    assert.equal(await page.evaluate(() => document.activeElement.closest('li')?.dataset.index), '2');
    // At the top, its "up" is inert (and says so), so focus went to "down".
    assert.equal(await page.getAttribute('#funding-order-list li[data-index="2"] button[data-move="-1"]', 'aria-disabled'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.move), '1');
    await page.keyboard.press('Enter');
    await orderIs(page, ['Balance', 'CMB •••• 5678', 'ICBC •••• 1234']);
    assert.deepEqual(puts.map((p) => JSON.parse(p.body).order), [[0, 2, 1], [2, 0, 1], [0, 2, 1]]);

    // zh-CN: the section and the buttons' names.
    await page.tap('#lang');
    assert.equal(await page.textContent('#funding-order-title'), '扣款顺序');
    assert.equal(await page.getAttribute('#funding-order-list li[data-index="2"] button[data-move="-1"]', 'aria-label'), '将CMB •••• 5678上移');
    assert.match(await page.textContent('#funding-order-hint'), /按此顺序/);
    await page.tap('#lang');

    // After a reload the page shows the issuer's order (nothing of it is kept on the phone).
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await waitForCode(page);
    await page.waitForSelector('#funding-order:not([hidden])', { timeout: 5000 });
    await orderIs(page, ['Balance', 'CMB •••• 5678', 'ICBC •••• 1234']);
    assert.deepEqual(await shownOrder(page), ['Balance', 'CMB •••• 5678', 'ICBC •••• 1234']);

    // The code names the balance (empty); the issuer falls through to CMB, the payer's next.
    assert.equal(await page.inputValue('#funding'), '0');
    await page.waitForFunction(() => window.PayCodeWallet !== undefined);
    const code = await scannedCode(page, dir, 'funding');
    const paid = await tillPay(server.url, till, 'T-funding-1', code, '7.00');
    assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
    assert.equal(paid.body.funding.label, 'CMB ••5678', JSON.stringify(paid.body));
    await page.waitForSelector(`#result-sheet:not([hidden])[data-charge="${paid.body.payment_id}"]`, { timeout: 5000 });
    assert.equal(await page.textContent('#result-amount'), '¥7.00');
    assert.equal(await page.textContent('#result-funding'), 'CMB ••5678');

    const cmb = await run(['balance', `13:${made.token}`, '--source', '2', '--db', db]);
    const icbc = await run(['balance', `13:${made.token}`, '--source', '1', '--db', db]);
    assert.deepEqual([cmb.json.balance_fen, icbc.json.balance_fen], [9300, 10000]);
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
    await context.close();
  } finally {
    await browser.close();
    server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

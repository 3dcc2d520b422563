// The cashier page as a client of the signed merchant API, against the real
// `paycode serve --demo`: the wallet page shows a code, the till pays it,
// and the issuer's own ledger and a signed query say what happened. The
// network is broken on purpose (page.route) before and after the issuer got
// the payment, to see the page follow the till rule.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { run } from './lib/issuer.mjs';
import { startServe } from './lib/serve.mjs';
import { dumpBrowserState } from './lib/secrets.mjs';
import {
  answerOf, assertLedgerClean, balanceFen, enterSale, nextCode, openTill, phoneWithDemoCard,
  queryAsTill, recentRows, recordVerdicts, topup, waitForVerdict,
} from './lib/cashier.mjs';

const AUTH = /^PAYCODE-HMAC-SHA256 merchant=[A-Za-z0-9_-]+,ts=\d+,nonce=[A-Za-z0-9_-]{16,64},sig=[0-9a-f]{64}$/;

let dir;
let db;
let serve;
let browser;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'paycode-cashier-'));
  db = path.join(dir, 'paycode.db');
  serve = await startServe(db);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  serve?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A phone with a demo card topped up by `amount`, and a till on its own profile. */
async function phoneAndTill({ locale = 'en-US', amount = '500.00' } = {}) {
  const phone = await phoneWithDemoCard(await phoneContext(browser, { locale: 'en-US' }), serve.url);
  await topup(db, phone.token, amount);
  const tillContext = await browser.newContext({ locale });
  const log = [];
  tillContext.on('page', (page) => {
    page.on('console', (msg) => log.push(`console.${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (error) => log.push(`pageerror: ${error.message}`));
  });
  const till = await openTill(tillContext, serve.url);
  return { phone, till, tillContext, log };
}

/** The next POST /v1/payments the till sends: resolves to {request, body}. */
function nextPayment(page) {
  return page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/payments')
    .then((request) => ({ request, body: JSON.parse(request.postData()) }));
}

test('end to end: the wallet’s code paid at the cashier page through the signed API, Approved with the funding source, one debit in the ledger', async () => {
  const { phone, till, tillContext, log } = await phoneAndTill();
  const before = await balanceFen(db, phone.token);
  const sent = nextPayment(till.page);
  const answered = till.page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/payments');
  await enterSale(till.page, phone.code, '12.50');
  const { request, body } = await sent;
  const payment = await (await answered).json();
  await till.minted;

  assert.match(request.headers().authorization ?? '', AUTH);
  assert.ok(request.headers().authorization.includes(`merchant=${till.merchant},`));
  assert.deepEqual(Object.keys(body).sort(), ['amount', 'auth_code', 'currency', 'out_trade_no']);
  assert.equal(body.auth_code, phone.code);
  assert.equal(body.amount, '12.50');
  assert.match(body.out_trade_no, /^[A-Za-z0-9_-]{1,32}$/);
  assert.equal(payment.status, 'SUCCESS', JSON.stringify(payment));

  const shown = await waitForVerdict(till.page, /^Approved$/);
  assert.equal(shown.tone, 'good');
  assert.match(payment.funding?.label ?? '', /\S/, 'the issuer named no funding source');
  assert.equal(shown.detail, `¥12.50 from ${payment.funding.label}`);
  assert.equal(shown.saleNo, `Sale ${body.out_trade_no}`);

  assert.equal(await balanceFen(db, phone.token), before - 1250, 'the card was not debited 12.50 exactly once');
  assert.equal(await balanceFen(db, till.merchant), 1250, 'the till’s merchant was not credited 12.50');
  await assertLedgerClean(db);
  assert.equal((await queryAsTill(dir, till, serve.url, body.out_trade_no)).status, 'SUCCESS');

  const rows = await recentRows(till.page);
  assert.equal(rows.length, 1);
  assert.deepEqual({ ...rows[0], result: undefined }, {
    outTradeNo: body.out_trade_no, status: 'SUCCESS', amount: '¥12.50', statusText: 'Paid',
    funding: payment.funding.label, result: undefined, refundShown: true, reverseShown: true,
  });
  assert.deepEqual(log.filter((line) => line.startsWith('pageerror')), []);
  await tillContext.close();
});

test('the merchant key: a non-extractable CryptoKey in IndexedDB, nowhere in the DOM, storage, URLs or the console; a reload reuses it, setting the till up again mints a new one', async () => {
  const { phone, till, tillContext, log } = await phoneAndTill();
  const requests = [];
  tillContext.on('request', (r) => requests.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
  const mints = () => requests.filter((line) => line.includes('/api/demo/till')).length;
  assert.equal(mints(), 0, 'opening the till minted a merchant before any sale');
  await enterSale(till.page, phone.code, '1.00');
  await waitForVerdict(till.page, /^Approved$/);
  await till.minted;

  const stored = await till.page.evaluate(async () => {
    const db = await new Promise((ok, fail) => {
      const req = indexedDB.open('paycode-till');
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
    const record = await new Promise((ok, fail) => {
      const req = db.transaction('kv').objectStore('kv').get('merchant-key');
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
    let exported = 'exported';
    try {
      await crypto.subtle.exportKey('raw', record.key);
    } catch (error) {
      exported = error.name;
    }
    return {
      merchant: record.merchant,
      isCryptoKey: record.key instanceof CryptoKey,
      extractable: record.key.extractable,
      usages: record.key.usages,
      algorithm: record.key.algorithm.name,
      exported,
    };
  });
  assert.deepEqual(stored, {
    merchant: till.merchant, isCryptoKey: true, extractable: false, usages: ['sign'], algorithm: 'HMAC', exported: 'InvalidAccessError',
  });

  const key = till.key.toLowerCase();
  const dump = (await dumpBrowserState(till.page, tillContext)).toLowerCase();
  assert.ok(dump.includes(till.merchant.toLowerCase()), 'the dump does not even hold the merchant id: test premise broken');
  assert.ok(!dump.includes(key), 'the key’s hex is in the browser state');
  assert.ok(!dump.includes(Buffer.from(key, 'hex').toString('base64').toLowerCase()), 'the key’s base64 is in the browser state');
  for (const line of requests) assert.ok(!line.toLowerCase().includes(key), `the key went out: ${line.slice(0, 80)}`);
  for (const line of log) assert.ok(!line.toLowerCase().includes(key), 'the key is in the console');

  await till.page.reload();
  await till.page.waitForFunction((id) => document.getElementById('merchant-id').textContent === id, till.merchant);
  const second = await phoneWithDemoCard(await phoneContext(browser), serve.url);
  await topup(db, second.token, '10.00');
  const sent = nextPayment(till.page);
  await enterSale(till.page, second.code, '2.00');
  assert.ok((await sent).request.headers().authorization.includes(`merchant=${till.merchant},`));
  await waitForVerdict(till.page, /^Approved$/);
  assert.equal(mints(), 1, 'the till minted a new merchant after the reload');
  assert.equal((await recentRows(till.page)).length, 2, 'the recent payments did not survive the reload');

  // Set up again: the key and its sales are gone, the next sale mints a new merchant.
  await till.page.click('.settings summary');
  await till.page.click('#forget-key');
  await waitForVerdict(till.page, /^This till’s key is gone/);
  assert.deepEqual(await recentRows(till.page), []);
  assert.equal(await till.page.textContent('#merchant-id'), '');
  const third = await nextCode(second.page, second.code);
  const renewed = till.page.waitForResponse((r) => r.url().endsWith('/api/demo/till'));
  const resent = nextPayment(till.page);
  await enterSale(till.page, third, '2.00');
  const fresh = await (await renewed).json();
  assert.notEqual(fresh.merchant, till.merchant);
  assert.ok((await resent).request.headers().authorization.includes(`merchant=${fresh.merchant},`));
  await waitForVerdict(till.page, /^Approved$/);
  assert.equal(mints(), 2);
  assert.equal(await balanceFen(db, fresh.merchant), 200);
  await tillContext.close();
});

test('till rule: the answer to the payment is lost after the issuer took it → the page checks, finds it paid, Approved; one debit', async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  const before = await balanceFen(db, phone.token);
  let forwarded = 0;
  await till.page.route('**/v1/payments', async (route) => {
    forwarded += 1;
    await route.fetch(); // the issuer gets the payment and answers; the page never hears it
    await route.abort('connectionreset');
  });
  const sent = nextPayment(till.page);
  await enterSale(till.page, phone.code, '12.50');
  const { body } = await sent;
  const checking = await waitForVerdict(till.page, /^No answer yet — checking…$/);
  assert.equal(checking.cancelShown, true, 'no Cancel while checking');
  assert.equal(checking.saleNo, `Sale ${body.out_trade_no}`);
  const shown = await waitForVerdict(till.page, /^Approved$/, 20_000);
  assert.match(shown.detail, /^¥12\.50 from \S/);
  assert.equal(forwarded, 1, 'the page sent the payment again instead of querying');
  assert.equal(await balanceFen(db, phone.token), before - 1250);
  assert.equal((await queryAsTill(dir, till, serve.url, body.out_trade_no)).status, 'SUCCESS');
  await assertLedgerClean(db);
  await tillContext.close();
});

test('till rule: the payment never reaches the issuer → the page checks for 30 s, then reverses: Cancelled, no money taken', { timeout: 90_000 }, async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  const before = await balanceFen(db, phone.token);
  await till.page.route('**/v1/payments', (route) => route.abort('connectionrefused'));
  const verdicts = await recordVerdicts(till.page);
  const sent = nextPayment(till.page);
  const started = Date.now();
  await enterSale(till.page, phone.code, '12.50');
  const { body } = await sent;
  const reversed = till.page.waitForRequest((r) => new URL(r.url()).pathname === `/v1/payments/${body.out_trade_no}/reverse`, { timeout: 60_000 });
  await reversed;
  assert.ok(Date.now() - started >= 29_000, `reversed after ${Date.now() - started} ms, before the 30 s of checking`);
  const shown = await waitForVerdict(till.page, /^Cancelled: no money was taken$/);
  assert.equal(shown.detail, 'Start again with a fresh code.');
  assert.deepEqual((await verdicts()).filter((v) => !/^(Setting up|Asking)/.test(v)), [
    'No answer yet — checking…', 'Not confirmed — cancelling the payment…', 'Cancelled: no money was taken',
  ]);
  assert.equal((await queryAsTill(dir, till, serve.url, body.out_trade_no)).status, 'CLOSED');
  assert.equal(await balanceFen(db, phone.token), before);
  await assertLedgerClean(db);
  assert.equal((await recentRows(till.page))[0].status, 'CLOSED');
  await tillContext.close();
});

test('till rule: Cancel while checking reverses at once; the issuer records the sale CLOSED', async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  await till.page.route('**/v1/payments', (route) => route.abort('connectionrefused'));
  const sent = nextPayment(till.page);
  await enterSale(till.page, phone.code, '12.50');
  const { body } = await sent;
  await waitForVerdict(till.page, /^No answer yet — checking…$/);
  const started = Date.now();
  await till.page.click('#cancel-sale');
  await waitForVerdict(till.page, /^Cancelled: no money was taken$/, 10_000);
  assert.ok(Date.now() - started < 10_000, 'the cancel waited for the polling to end');
  assert.equal((await queryAsTill(dir, till, serve.url, body.out_trade_no)).status, 'CLOSED');
  await assertLedgerClean(db);
  await tillContext.close();
});

test('USERPAYING: past the no-PIN allowance the page waits for the phone; confirmed issuer-side → Approved', async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  const before = await balanceFen(db, phone.token);
  const answered = till.page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/payments');
  await enterSale(till.page, phone.code, '300.01');
  const payment = await (await answered).json();
  assert.equal(payment.status, 'USERPAYING', JSON.stringify(payment));
  const waiting = await waitForVerdict(till.page, /^Waiting for the customer to confirm on their phone$/);
  assert.equal(waiting.cancelShown, true, 'no Cancel while waiting');
  assert.equal(await till.page.$('#pin, input[type="password"]'), null, 'the till still asks for a PIN');
  assert.equal(await balanceFen(db, phone.token), before, 'money moved before the payer confirmed');

  const confirmed = await run(['payment', 'confirm', payment.payment_id, '--db', db]);
  assert.equal(confirmed.status, 0, `paycode payment confirm: ${confirmed.stdout} ${confirmed.stderr}`);
  const shown = await waitForVerdict(till.page, /^Approved$/, 15_000);
  assert.match(shown.detail, /^¥300\.01 from \S/);
  assert.equal(await balanceFen(db, phone.token), before - 30001);
  await assertLedgerClean(db);
  await tillContext.close();
});

test('USERPAYING in Chinese: 等待顾客在手机上确认, and 撤销 closes it with no money taken', async () => {
  const { phone, till, tillContext } = await phoneAndTill({ locale: 'zh-CN' });
  const before = await balanceFen(db, phone.token);
  const sent = nextPayment(till.page);
  await enterSale(till.page, phone.code, '300.01');
  const { body } = await sent;
  await waitForVerdict(till.page, /^等待顾客在手机上确认$/);
  assert.equal((await till.page.textContent('#cancel-sale')).trim(), '撤销这笔收款');
  await till.page.click('#cancel-sale');
  const shown = await waitForVerdict(till.page, /^已撤销：未扣款$/, 10_000);
  assert.equal(shown.saleNo, `交易号 ${body.out_trade_no}`);
  assert.equal((await queryAsTill(dir, till, serve.url, body.out_trade_no)).status, 'CLOSED');
  assert.equal(await balanceFen(db, phone.token), before);
  await assertLedgerClean(db);
  await tillContext.close();
});

test('Recent payments: a partial refund, the rest by default, and a reverse, each shown and in the ledger', async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  const before = await balanceFen(db, phone.token);
  await enterSale(till.page, phone.code, '12.50');
  await waitForVerdict(till.page, /^Approved$/);
  const row = (no) => till.page.locator(`#recent-list li[data-out-trade-no="${no}"]`);
  const [first] = await recentRows(till.page);

  await row(first.outTradeNo).locator('.refund-amount').fill('5.00');
  await row(first.outTradeNo).locator('.refund').click();
  await till.page.waitForFunction((no) => document.querySelector(`#recent-list li[data-out-trade-no="${no}"] .sale-result`).textContent === 'Refunded ¥5.00', first.outTradeNo);
  let [shown] = await recentRows(till.page);
  assert.equal(shown.statusText, 'Partly refunded · ¥5.00 refunded');
  assert.equal(await row(first.outTradeNo).locator('.refund-amount').getAttribute('placeholder'), '7.50');
  assert.equal(await balanceFen(db, phone.token), before - 750);

  await row(first.outTradeNo).locator('.refund').click(); // empty amount: the rest
  await till.page.waitForFunction((no) => document.querySelector(`#recent-list li[data-out-trade-no="${no}"] .sale-result`).textContent === 'Refunded ¥7.50', first.outTradeNo);
  [shown] = await recentRows(till.page);
  assert.equal(shown.status, 'REFUNDED');
  assert.equal(shown.refundShown, false, 'Refund still offered on a fully refunded payment');
  assert.equal(shown.reverseShown, false, 'Reverse offered on a refunded payment');
  assert.equal(await balanceFen(db, phone.token), before);
  assert.equal((await queryAsTill(dir, till, serve.url, first.outTradeNo)).status, 'REFUNDED');

  const code = await nextCode(phone.page, phone.code);
  await enterSale(till.page, code, '3.00');
  await waitForVerdict(till.page, /^Approved$/);
  const [second] = await recentRows(till.page);
  assert.notEqual(second.outTradeNo, first.outTradeNo, 'two sales shared an out_trade_no');
  assert.equal(await balanceFen(db, phone.token), before - 300);
  await row(second.outTradeNo).locator('.reverse').click();
  await till.page.waitForFunction((no) => document.querySelector(`#recent-list li[data-out-trade-no="${no}"] .sale-result`).textContent === 'Reverse: Reversed', second.outTradeNo);
  assert.equal((await recentRows(till.page))[0].status, 'REVERSED');
  assert.equal(await balanceFen(db, phone.token), before);
  assert.equal((await queryAsTill(dir, till, serve.url, second.outTradeNo)).status, 'REVERSED');
  await assertLedgerClean(db);
  await tillContext.close();
});

test('declines in plain words: a used code, an empty balance; foreign codes are stopped before anything is sent', async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  await enterSale(till.page, phone.code, '1.00');
  await waitForVerdict(till.page, /^Approved$/);
  await enterSale(till.page, phone.code, '1.00');
  const used = await waitForVerdict(till.page, /^Declined: /);
  assert.equal(used.verdict, 'Declined: code already used — ask for a fresh code');

  // A card of its own with nothing on it.
  const provisioned = await run(['provision', '--db', db, '--funding', 'balance']);
  assert.equal(provisioned.status, 0, provisioned.stdout);
  assert.equal(await balanceFen(db, provisioned.json.token), 0, 'a new card is not empty: test premise broken');
  const code = await run(['code', '--link', provisioned.json.link]);
  assert.equal(code.status, 0, code.stdout);
  await enterSale(till.page, code.json.code, '1.00');
  const empty = await waitForVerdict(till.page, /^Declined: /);
  assert.equal(empty.verdict, 'Declined: not enough money in that source — the customer can pick another one or pay another way');

  const asked = [];
  till.page.on('request', (r) => asked.push(r.url()));
  await enterSale(till.page, '281234567890123456', '1.00');
  assert.equal((await answerOf(till.page)).verdict, 'Not sent: Alipay-format code: not ours, take it on the Alipay terminal');
  await enterSale(till.page, '621234567890123456', '1.00');
  assert.equal((await answerOf(till.page)).verdict, 'Not sent: UnionPay code: not ours, take it on the UnionPay terminal');
  await enterSale(till.page, '1312345', '1.00');
  assert.equal((await answerOf(till.page)).verdict, 'Not sent: a payment code has 16 to 24 digits');
  assert.deepEqual(asked.filter((url) => url.includes('/v1/')), [], 'a pre-checked code was sent');
  await assertLedgerClean(db);
  await tillContext.close();
});

test('a refund whose answer was lost is sent again as the same refund: the money goes back once', async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  const before = await balanceFen(db, phone.token);
  await enterSale(till.page, phone.code, '12.50');
  await waitForVerdict(till.page, /^Approved$/);
  const [sale] = await recentRows(till.page);
  const row = till.page.locator(`#recent-list li[data-out-trade-no="${sale.outTradeNo}"]`);
  const refundNos = [];
  await till.page.route('**/v1/refunds', async (route) => {
    refundNos.push(JSON.parse(route.request().postData()).out_refund_no);
    await route.fetch(); // the issuer refunds; the page never hears it
    await route.abort('connectionreset');
  });
  await row.locator('.refund-amount').fill('5.00');
  await row.locator('.refund').click();
  await till.page.waitForFunction((no) => /no answer/.test(document.querySelector(`#recent-list li[data-out-trade-no="${no}"] .sale-result`).textContent), sale.outTradeNo);
  assert.equal(await balanceFen(db, phone.token), before - 750, 'the issuer did not make the first refund: test premise broken');
  assert.equal((await row.locator('.refund').textContent()), 'Retry refund of ¥5.00');
  assert.equal(await row.locator('.refund-amount').isDisabled(), true, 'the amount of a refund in doubt can be changed');

  await till.page.unroute('**/v1/refunds');
  const retried = till.page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/refunds');
  await row.locator('.refund').click();
  refundNos.push(JSON.parse((await retried).postData()).out_refund_no);
  await till.page.waitForFunction((no) => document.querySelector(`#recent-list li[data-out-trade-no="${no}"] .sale-result`).textContent === 'Refunded ¥5.00', sale.outTradeNo);
  assert.equal(refundNos[0], refundNos[1], 'the retry was a new refund');
  assert.equal(await balanceFen(db, phone.token), before - 750, 'the refund was made twice');
  assert.equal((await recentRows(till.page))[0].statusText, 'Partly refunded · ¥5.00 refunded');
  await assertLedgerClean(db);
  await tillContext.close();
});

test('till rule: no answer at all, not even to the reverse → Unknown, kept in Recent payments; its Reverse later closes it', { timeout: 90_000 }, async () => {
  const { phone, till, tillContext } = await phoneAndTill();
  const before = await balanceFen(db, phone.token);
  await till.page.route('**/v1/**', (route) => route.abort('connectionrefused'));
  const verdicts = await recordVerdicts(till.page);
  const sent = nextPayment(till.page);
  await enterSale(till.page, phone.code, '12.50');
  const { body } = await sent;
  const shown = await waitForVerdict(till.page, /^Unknown: the issuer cannot be reached$/, 60_000);
  assert.deepEqual((await verdicts()).filter((v) => !/^(Setting up|Asking)/.test(v)), [
    'No answer yet — checking…', 'Not confirmed — cancelling the payment…', 'Unknown: the issuer cannot be reached',
  ]);
  assert.equal(shown.detail, 'Do not hand over the goods. Reverse this sale in Recent payments once the issuer answers.');
  const [row] = await recentRows(till.page);
  assert.deepEqual([row.outTradeNo, row.status, row.statusText, row.reverseShown, row.refundShown],
    [body.out_trade_no, 'UNKNOWN', 'Unknown: reverse it', true, false]);

  await till.page.unroute('**/v1/**');
  await till.page.locator(`#recent-list li[data-out-trade-no="${body.out_trade_no}"] .reverse`).click();
  await till.page.waitForFunction((no) => document.querySelector(`#recent-list li[data-out-trade-no="${no}"] .sale-result`).textContent === 'Reverse: Closed, not paid', body.out_trade_no);
  assert.equal((await queryAsTill(dir, till, serve.url, body.out_trade_no)).status, 'CLOSED');
  assert.equal(await balanceFen(db, phone.token), before);
  await assertLedgerClean(db);
  await tillContext.close();
});

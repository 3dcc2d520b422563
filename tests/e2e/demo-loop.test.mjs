// The whole demo on one machine, as `make run` serves it: the real
// `paycode serve` (wallet, cashier page and API from one SQLite file), a phone
// that gets a demo card, and a till that charges the code the phone shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { PAYCODE, ROOT } from './lib/issuer.mjs';
import { revealDigits, waitForCode } from './lib/fixture.mjs';
import { dumpBrowserState, secretForms } from './lib/secrets.mjs';

/** Starts `paycode serve` on a free loopback port; resolves once it listens. */
async function startServe(db) {
  const child = spawn(PAYCODE, ['serve', '--addr', '127.0.0.1:0', '--db', db, '--www', path.join(ROOT, 'www'), '--demo'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`paycode serve did not start:\n${output}`)), 15_000);
    const read = (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`paycode serve exited with ${code}:\n${output}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Types the code and amount into the till as a scanner would (Enter submits); resolves to the verdict. */
async function chargeAtTill(till, url, code, amount) {
  await till.goto(`${url}/cashier.html`);
  await till.fill('#amount', amount);
  await till.fill('#code', '');
  await till.type('#code', code);
  await till.press('#code', 'Enter');
  // The till shows "Asking the issuer…" (tone "wait") until the issuer answers.
  await till.waitForSelector('#answer:not([hidden]):not([data-tone="wait"])', { timeout: 10_000 });
  await till.waitForFunction(() => document.getElementById('verdict').textContent.trim() !== '');
  return till.textContent('#verdict');
}

test('make run demo: demo card on the phone, charged once at the till, refused the second time', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-demo-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const phone = await (await phoneContext(browser)).newPage();
    await phone.goto(serve.url);
    await phone.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    await phone.click('#demo');
    await waitForCode(phone);
    const code = await revealDigits(phone);
    assert.match(code, /^13\d{16}$/, 'a demo card shows an 18-digit code with prefix 13');

    const till = await (await browser.newContext({ locale: 'en-US' })).newPage();
    assert.match(await chargeAtTill(till, serve.url, code, '12.50'), /approved/i);
    const again = await chargeAtTill(till, serve.url, code, '12.50');
    assert.doesNotMatch(again, /approved/i, 'a used code must not be approved again');
    assert.match(again, /declined|used|rejected/i);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

/** The rows of the wallet's "Recent payments" list, as text per column. */
function historyRows(phone) {
  return phone.$$eval('#history-list li', (items) => items.map((li) => ({
    amount: li.querySelector('.amount').textContent,
    merchant: li.querySelector('.merchant').textContent,
    when: li.querySelector('.when').textContent,
    result: li.querySelector('.result').textContent,
  })));
}

/** Waits until the wallet lists a payment of `amount` ("¥12.50"); resolves to its row. */
async function waitForPayment(phone, amount, timeout) {
  await phone.waitForFunction(
    (wanted) => [...document.querySelectorAll('#history-list .amount')].some((el) => el.textContent === wanted),
    amount,
    { timeout },
  );
  return (await historyRows(phone)).find((row) => row.amount === amount);
}

/** Taps "New code" until the phone shows digits other than `previous`; resolves to them. */
async function nextCode(phone, previous) {
  for (let i = 0; i < 5; i += 1) {
    await phone.click('#refresh');
    const digits = await revealDigits(phone);
    if (digits !== previous) return digits;
  }
  throw new Error('the wallet kept showing the same code');
}

/** Types `pin` into the till's PIN form and confirms; resolves to the new verdict. */
async function enterPin(till, pin) {
  const before = await till.textContent('#verdict');
  await till.fill('#pin', pin);
  await till.press('#pin', 'Enter');
  await till.waitForFunction((old) => document.getElementById('verdict').textContent !== old, before, { timeout: 10_000 });
  return till.textContent('#verdict');
}

test('demo PIN and recent payments: the wallet shows its PIN, the till needs it past 300.00, the history lists each charge', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-demo-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const context = await phoneContext(browser, { locale: 'en-US' });
    const phone = await context.newPage();
    const sent = []; // every request the wallet makes: URL and body
    phone.on('request', (request) => sent.push(`${request.method()} ${request.url()} ${request.postData() ?? ''}`));
    await phone.goto(serve.url);
    await phone.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    const issued = phone.waitForResponse((response) => response.url().endsWith('/api/cards'));
    await phone.click('#demo');
    const card = await (await issued).json();
    await waitForCode(phone);

    // The PIN the issuer returned is on the page, with what it is for.
    await phone.waitForSelector('#demo-pin:not([hidden])', { timeout: 5_000 });
    const pin = (await phone.textContent('#demo-pin-value')).trim();
    assert.match(card.pin, /^\d{6}$/, 'the demo issuer gave no PIN: test premise broken');
    assert.equal(pin, card.pin, 'the wallet shows another PIN than the issuer gave');
    assert.match((await phone.textContent('#demo-pin')).replace(/\s+/g, ' '), /Demo PIN: \d{6} — the till asks for it/);

    // The history section answers at once for a new card: empty.
    await phone.waitForSelector('#history:not([hidden])', { timeout: 10_000 });
    assert.deepEqual(await historyRows(phone), []);
    assert.equal(await phone.isVisible('#history-empty'), true, 'no "No payments yet." for a new card');

    // A charge at the till, from a named shop.
    const till = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await till.goto(`${serve.url}/cashier.html`);
    await till.click('.settings summary');
    await till.fill('#merchant', 'Corner Shop');
    await till.press('#merchant', 'Tab'); // the till keeps its shop name on change
    const first = await revealDigits(phone);
    assert.match(await chargeAtTill(till, serve.url, first, '12.50'), /approved/i);
    await phone.click('#history-refresh');
    const paid = await waitForPayment(phone, '¥12.50', 10_000);
    assert.equal(paid.merchant, 'Corner Shop');
    assert.equal(paid.result, 'Approved');
    assert.match(paid.when, /\d{1,2}:\d{2}/, 'no local time on the payment');
    assert.equal(await phone.isVisible('#history-empty'), false);

    // Past the no-PIN allowance the till asks for the PIN: a wrong one is refused, the wallet's one approves.
    const second = await nextCode(phone, first);
    assert.match(await chargeAtTill(till, serve.url, second, '300.01'), /PIN required/i);
    assert.equal(await till.isVisible('#pin-form'), true, 'the till shows no PIN form');
    const wrong = pin.slice(0, 5) + String((Number(pin[5]) + 1) % 10);
    const refused = await enterPin(till, wrong);
    assert.doesNotMatch(refused, /approved/i, 'a wrong PIN was accepted');
    assert.match(refused, /wrong PIN/i);
    assert.match(await enterPin(till, pin), /approved/i, 'the PIN the wallet shows was refused');

    // The wallet finds the new payment on its own (polling while visible), newest first.
    const big = await waitForPayment(phone, '¥300.01', 15_000);
    assert.equal(big.result, 'Approved');
    assert.deepEqual((await historyRows(phone)).map((row) => row.amount), ['¥300.01', '¥12.50']);

    // After a reload: the same PIN, the history loaded on open; both in Chinese too.
    await phone.reload();
    await phone.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    assert.equal((await phone.textContent('#demo-pin-value')).trim(), pin, 'the demo PIN is gone after a reload');
    await waitForPayment(phone, '¥300.01', 10_000);
    await phone.click('#lang');
    assert.match(await phone.textContent('#demo-pin'), /演示密码/);
    assert.equal((await phone.textContent('#history-title')).trim(), '最近付款');
    assert.equal((await historyRows(phone))[0].result, '已付款');

    // The history requests carry the token and prefix only; the secret went nowhere.
    const secret = new URL(card.link.replace(/^paycode:/, 'http:')).searchParams.get('secret');
    assert.ok(secret && secret.length >= 26, 'the demo link holds no secret: test premise broken');
    const forms = secretForms(secret);
    const asked = sent.filter((line) => line.includes('/history?'));
    assert.ok(asked.length >= 3, 'the wallet did not ask for its history');
    for (const line of asked) assert.match(line, new RegExp(`^GET \\S+/api/cards/${card.token}/history\\?prefix=13&limit=\\d+ $`));
    for (const line of sent) {
      assert.ok(!/secret=|paycode:/i.test(line.replace(/^POST \S+\/api\/cards $/, '')), `link sent to the server: ${line}`);
      assert.ok(!forms.all.some((form) => line.includes(form)), `secret sent to the server: ${line}`);
    }
    const dump = await dumpBrowserState(phone, context);
    assert.ok(dump.includes(pin), 'the demo PIN is not stored beside the card: test premise broken');
    for (const form of forms.all) assert.ok(!dump.toLowerCase().includes(form.toLowerCase()), 'secret found in browser state');
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

// Several cards in the wallet, from two issuers, in Chromium as a phone
// (360×740, touch). Issuer A (prefix 13) serves the wallet page and its demo
// card; issuer B (prefix 14, its own database and port) issues a card whose
// link names B's origin (`api`). The payer switches between the cards from
// the bar at the bottom (touch, keyboard and the host API); each card's code,
// decoded from the screenshot by zxing-cpp, pays through its own issuer's
// signed merchant API, and the result sheet comes over the card's own
// channel (B's answers cross origins). One card is removed after the page
// asks; after a reload the other still pays. A version 1 wallet (one card
// under 'card') is moved into the new layout without losing its card.

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
import { demoCardLink, demoTill, phoneWithCard, tillPay } from './lib/phone.mjs';
import { nextCode } from './lib/cashier.mjs';

const B_ISSUER = 'River Bank';

/** A prefix-14 card at issuer B with money on it, its link naming B's origin. */
async function cardOfB(db, url) {
  const made = await run(['provision', '--db', db, '--prefix', '14', '--issuer', B_ISSUER, '--funding', 'balance', '--api', url]);
  assert.equal(made.status, 0, made.stdout + made.stderr);
  const funded = await run(['topup', `14:${made.json.token}`, '500.00', '--db', db]);
  assert.equal(funded.status, 0, funded.stdout + funded.stderr);
  return made.json;
}

/** The code on screen, as a till's scanner reads it: zxing-cpp on a screenshot of the page. */
async function scannedCode(page, dir, name, { minLeft = 10 } = {}) {
  await ensureTimeLeft(page, minLeft);
  const file = path.join(dir, `${name}.png`);
  // As the payer holds it up: the card scrolled into view (the paste box may have scrolled it away).
  await page.locator('#card').screenshot({ path: file });
  const found = (await decodeImages([file]))[file];
  const codes = new Set(found.map((symbol) => symbol.text));
  assert.equal(codes.size, 1, `one code on screen, Code 128 and QR alike: ${JSON.stringify(found)}`);
  assert.ok(found.some((symbol) => /128/.test(symbol.format)), JSON.stringify(found));
  return [...codes][0];
}

/** Waits for the result sheet of payment `id`, checks it, and closes it. */
async function sheetShows(page, id, amount, merchant) {
  await page.waitForSelector(`#result-sheet:not([hidden])[data-charge="${id}"]`, { timeout: 5000 });
  assert.equal(await page.textContent('#result-amount'), `¥${amount}`);
  assert.equal(await page.textContent('#result-merchant'), merchant);
  await page.tap('#result-close');
}

async function switcherState(page) {
  return page.evaluate(() => ({
    hidden: document.getElementById('switcher').hidden,
    buttons: [...document.querySelectorAll('#switcher-list button')].map((b) => ({
      id: b.dataset.cardId,
      text: b.textContent,
      current: b.getAttribute('aria-current') === 'true',
    })),
    issuer: document.getElementById('issuer').textContent,
  }));
}

test('two cards from two issuers: switch, each pays through its own issuer, remove one, the other pays after a reload', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-cards-'));
  // B first: the wallet's issuer A may have to name B's origin in its CSP header.
  const b = await startServe(path.join(dir, 'b.db'));
  const a = await startServe(path.join(dir, 'a.db'), { args: ['--connect-origin', b.url] });
  const browser = await launch();
  try {
    const [tillA, tillB] = [await demoTill(a.url), await demoTill(b.url)];
    const cardB = await cardOfB(path.join(dir, 'b.db'), b.url);
    assert.match(cardB.link, /&api=http%3A%2F%2F127\.0\.0\.1%3A\d+/);

    const context = await phoneContext(browser, { locale: 'en-US' });
    const { page, card: cardA } = await phoneWithCard(context, `${a.url}/`);
    assert.equal(cardA.prefix, 13);
    await waitForCode(page);
    assert.equal((await switcherState(page)).hidden, true, 'one card: no switcher');

    // Card B comes by the paste box, as from a bank's message.
    await page.fill('#paste', cardB.link);
    // B's event stream, across origins: the page's channel goes to the link's `api`.
    const streamB = page.waitForResponse((r) => r.url().startsWith(`${b.url}/v1/wallet/events`) && r.status() === 200);
    await page.tap('#paste-add');
    await page.waitForFunction((issuer) => document.getElementById('issuer').textContent === issuer, B_ISSUER);
    let state = await switcherState(page);
    assert.equal(state.hidden, false);
    assert.deepEqual(state.buttons.map((x) => [x.text.startsWith('Demo Bank'), x.text.startsWith(B_ISSUER), x.current]),
      [[true, false, false], [false, true, true]]);
    const [idA, idB] = state.buttons.map((x) => x.id);
    // The bar is at the bottom of the screen, in the thumb's reach, and covers no control.
    const bar = await page.evaluate(() => document.getElementById('switcher').getBoundingClientRect().toJSON());
    assert.ok(bar.bottom >= 739 && bar.top > 740 / 2, JSON.stringify(bar));
    assert.deepEqual(await page.evaluate(() => window.PayCodeWallet.cards().map((c) => [c.issuer, c.prefix, c.selected])),
      [['Demo Bank', 13, false], [B_ISSUER, 14, true]]);

    // B's code pays at B; the sheet comes over B's channel, across origins.
    await streamB;
    const codeB = await scannedCode(page, dir, 'b');
    assert.match(codeB, /^14\d{16}$/);
    const paidB = await tillPay(b.url, tillB, 'T-cards-b1', codeB, '3.20');
    assert.equal(paidB.body.status, 'SUCCESS', JSON.stringify(paidB.body));
    await sheetShows(page, paidB.body.payment_id, '3.20', tillB.name);
    // A's issuer does not know B's card.
    const wrong = await tillPay(a.url, tillA, 'T-cards-wrong', codeB, '1.00');
    assert.notEqual(wrong.body.status, 'SUCCESS');

    // A tap on A's button in the bar shows A's card; its code pays at A.
    await page.tap(`#switcher-list button[data-card-id="${idA}"]`);
    await page.waitForFunction(() => document.getElementById('issuer').textContent === 'Demo Bank');
    await page.waitForFunction(() => document.getElementById('announce-card').textContent === 'Showing the card from Demo Bank.');
    state = await switcherState(page);
    assert.deepEqual(state.buttons.map((x) => x.current), [true, false]);
    const codeA = await scannedCode(page, dir, 'a');
    assert.match(codeA, /^13\d{16}$/);
    const paidA = await tillPay(a.url, tillA, 'T-cards-a1', codeA, '4.50');
    assert.equal(paidA.body.status, 'SUCCESS', JSON.stringify(paidA.body));
    await sheetShows(page, paidA.body.payment_id, '4.50', tillA.name);

    // The keyboard: arrow to B's button, Enter shows it.
    await page.focus(`#switcher-list button[data-card-id="${idA}"]`);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.cardId), idB);
    await page.keyboard.press('Enter');
    await page.waitForFunction((issuer) => document.getElementById('issuer').textContent === issuer, B_ISSUER);
    // And the host API: select(id) resolves true, an unknown id false.
    assert.equal(await page.evaluate((id) => window.PayCodeWallet.select(id), idA), true);
    assert.equal(await page.textContent('#issuer'), 'Demo Bank');
    assert.equal(await page.evaluate(() => window.PayCodeWallet.select('c_nope')), false);

    // zh-CN: the bar's name and the remove dialog in Chinese.
    await page.tap('#lang');
    assert.equal(await page.getAttribute('#switcher', 'aria-label'), '我的卡片');
    // Remove A, after the page asks (and names the card); B stays.
    await page.tap('#remove');
    assert.equal(await page.isVisible('#confirm-remove'), true);
    assert.equal(await page.textContent('#confirm-card'), 'Demo Bank 的卡片。其他卡片会保留。');
    await page.tap('#confirm-ok');
    await page.waitForFunction((issuer) => document.getElementById('issuer').textContent === issuer, B_ISSUER);
    state = await switcherState(page);
    assert.equal(state.hidden, true, 'one card left: no switcher');
    assert.deepEqual(await page.evaluate(() => window.PayCodeWallet.cards().map((c) => c.id)), [idB]);

    // After a reload B is there, alone, and still pays at B.
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await waitForCode(page);
    assert.equal(await page.textContent('#issuer'), B_ISSUER);
    assert.deepEqual(await page.evaluate(() => window.PayCodeWallet.cards().map((c) => c.id)), [idB]);
    // The code it showed before (within the step, the same one, paid already) or a later one;
    // a swipe gives the next, as the payer would after a payment.
    await ensureTimeLeft(page, 20);
    const codeB2 = await nextCode(page, codeB);
    assert.equal(await scannedCode(page, dir, 'b2', { minLeft: 5 }), codeB2);
    assert.match(codeB2, /^14/);
    const paidB2 = await tillPay(b.url, tillB, 'T-cards-b2', codeB2, '5.00');
    assert.equal(paidB2.body.status, 'SUCCESS', JSON.stringify(paidB2.body));
    await sheetShows(page, paidB2.body.payment_id, '5.00', tillB.name);
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
    await context.close();
  } finally {
    await browser.close();
    a.stop();
    b.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a version 1 wallet (one card under "card") moves to the new layout and keeps its card and funding choice', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-cards-'));
  const a = await startServe(path.join(dir, 'a.db'));
  const browser = await launch();
  try {
    const till = await demoTill(a.url);
    const made = await demoCardLink(a.url);
    const context = await phoneContext(browser, { locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${a.url}/`);
    await page.waitForSelector('html[data-ready="true"]');
    // What the version 1 page stored: the link sealed under 'card' with the v1 binding, funding 1.
    await page.evaluate(async (link) => {
      const db = await new Promise((ok, no) => {
        const req = indexedDB.open('paycode-wallet', 1);
        req.onupgradeneeded = () => req.result.createObjectStore('kv');
        req.onsuccess = () => ok(req.result);
        req.onerror = () => no(req.error);
      });
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const aad = new TextEncoder().encode('paycode-card-link-v1');
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, new TextEncoder().encode(link));
      const tx = db.transaction('kv', 'readwrite');
      tx.objectStore('kv').put(key, 'aes-key');
      tx.objectStore('kv').put({ version: 1, iv, sealed, fundingIndex: 1, clockOffsetMs: 0 }, 'card');
      await new Promise((ok) => { tx.oncomplete = ok; });
      db.close();
    }, made.link);
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await waitForCode(page);
    assert.equal(await page.inputValue('#funding'), '1', 'the funding choice came along');
    const layout = await page.evaluate(async () => {
      const db = await new Promise((ok) => { indexedDB.open('paycode-wallet', 1).onsuccess = (e) => ok(e.target.result); });
      const store = db.transaction('kv').objectStore('kv');
      const get = (id) => new Promise((ok) => { store.get(id).onsuccess = (e) => ok(e.target.result); });
      const index = await get('cards');
      const record = await get(`card:${index.ids[0]}`);
      return { old: await get('card'), index, record: { version: record.version, fundingIndex: record.fundingIndex, sealed: record.sealed instanceof ArrayBuffer } };
    });
    assert.equal(layout.old, undefined, 'the version 1 record is gone');
    assert.equal(layout.index.version, 2);
    assert.equal(layout.index.ids.length, 1);
    assert.equal(layout.index.selected, layout.index.ids[0]);
    assert.deepEqual(layout.record, { version: 2, fundingIndex: 1, sealed: true });
    const dump = JSON.stringify(layout);
    assert.ok(!dump.includes(new URL(made.link.replace('paycode:', 'http:')).searchParams.get('secret')), 'nothing of the secret in clear');
    const code = await scannedCode(page, dir, 'migrated');
    const paid = await tillPay(a.url, till, 'T-cards-m1', code, '2.00');
    assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
    assert.equal(paid.body.funding?.label, 'ICBC ••1234', 'paid from the source chosen before the move');
    await context.close();
  } finally {
    await browser.close();
    a.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

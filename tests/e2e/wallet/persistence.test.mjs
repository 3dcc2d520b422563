// The card survives a reload (sealed in IndexedDB) and works offline once the
// service worker controls the page; nothing secret is readable in IndexedDB,
// localStorage, cookies, the DOM, the URL, the console or requests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, revealDigits, nextRotation, ensureTimeLeft } from './lib/fixture.mjs';
import { secretOf } from './lib/issuer.mjs';
import { secretForms, dumpBrowserState } from './lib/secrets.mjs';

let fx;
let context;
let page;
let link;
let firstIssuer;

before(async () => {
  fx = await startFixture();
  context = await fx.newContext();
  page = await context.newPage();
  await page.clock.install({ time: new Date() });
  link = await fx.newLink();
  await openWallet(page, fx.server, link);
  await waitForCode(page);
  firstIssuer = await page.textContent('#issuer');
});
after(async () => {
  await context?.close();
  await fx?.close();
});

test('reload → the same card, funding choice and clock offset kept', async () => {
  const options = await page.locator('#funding option').count();
  const choice = options > 1 ? 1 : 0;
  await page.selectOption('#funding', String(choice));
  const label = await page.textContent('#funding-label');
  await ensureTimeLeft(page, 20, { fastForward: true }); // the reload must happen within the same time step
  const digitsBefore = await revealDigits(page);

  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  await waitForCode(page);
  assert.equal(await page.textContent('#issuer'), firstIssuer);
  assert.equal(await page.inputValue('#funding'), String(choice));
  assert.equal(await page.textContent('#funding-label'), label);
  // Same card, step, funding and clock offset, no swipe: the very same code.
  const digitsAfter = await revealDigits(page);
  assert.equal(digitsAfter, digitsBefore);
});

test('offline reload (service worker) → still shows a code and rotates', async () => {
  // Offline-ready means an active service worker for the scope: the next
  // navigation goes through it even if this page loaded (or reloaded) while
  // the worker was still installing and so was never claimed.
  await page.evaluate(() => Promise.race([
    navigator.serviceWorker.ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no active service worker in 15 s')), 15_000)),
  ]));
  await context.setOffline(true);
  try {
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    const masked = await waitForCode(page);
    assert.match(masked, /^\d{4} /);
    const before = await revealDigits(page);
    const rotated = nextRotation(page);
    await page.clock.fastForward(60_000);
    await rotated;
    const after = await revealDigits(page);
    assert.notEqual(after, before, 'no rotation while offline');
    const online = await page.evaluate(() => navigator.onLine);
    assert.equal(online, false, 'the browser was not offline: test premise broken');
  } finally {
    await context.setOffline(false);
  }
});

test('no secret bytes in IndexedDB, localStorage, cookies, DOM, URL, console or requests', async () => {
  const secret = secretOf(link);
  assert.ok(secret && secret.length >= 26, 'the link holds no secret: test premise broken');
  const forms = secretForms(secret);

  // The dump must be able to see a secret where one is: plant one in a scratch database first.
  await page.evaluate(async (hexBytes) => {
    const bytes = new Uint8Array(hexBytes.match(/../g).map((h) => parseInt(h, 16)));
    const req = indexedDB.open('e2e-canary', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('s');
    const db = await new Promise((ok) => { req.onsuccess = () => ok(req.result); });
    const tx = db.transaction('s', 'readwrite');
    tx.objectStore('s').put({ raw: bytes.buffer }, 'k');
    await new Promise((ok) => { tx.oncomplete = ok; });
    db.close();
  }, forms.hex);
  const canary = await dumpBrowserState(page, context);
  assert.ok(forms.all.some((form) => canary.toLowerCase().includes(form.toLowerCase())), 'the dump cannot see planted secret bytes');
  await page.evaluate(() => new Promise((ok) => { indexedDB.deleteDatabase('e2e-canary').onsuccess = ok; }));

  const dump = await dumpBrowserState(page, context);
  assert.ok(dump.includes('paycode-wallet'), 'the wallet database was not dumped: test premise broken');
  assert.match(dump, /"cryptoKey":\{[^}]*"extractable":false/, 'the sealing key is missing or extractable');
  assert.doesNotMatch(dump, /"extractable":true/, 'an extractable key is stored');
  for (const form of forms.all) {
    assert.ok(!dump.toLowerCase().includes(form.toLowerCase()), `secret found in browser state (${form.slice(0, 4)}…)`);
  }
  for (const line of context.log) {
    for (const form of forms.all) assert.ok(!line.includes(form), 'secret in the console');
  }
  for (const request of fx.server.requests) {
    assert.ok(!/secret=|paycode:/i.test(request) && !forms.all.some((f) => request.includes(f)), `secret sent to the server: ${request}`);
  }
});

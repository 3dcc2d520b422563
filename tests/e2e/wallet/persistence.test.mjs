// In each engine (E2E_ENGINE): the card survives a reload (sealed in
// IndexedDB) and works offline once the service worker controls the page;
// nothing secret is readable in IndexedDB, localStorage, cookies, the DOM,
// the URL, the console or requests.
//
// Only Chromium (Playwright) has a page clock and an offline switch. The
// other engines wait out the real time step, and "offline" is the server
// dropping every connection (see setOffline in ../lib/fixture.mjs); the
// tests' names say which.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, revealDigits, watchRotation, ensureTimeLeft, setOffline } from '../lib/fixture.mjs';
import { secretOf } from '../lib/issuer.mjs';
import { secretForms, dumpBrowserState } from '../lib/secrets.mjs';
import { engineFromEnv, openPage } from '../lib/webdriver.mjs';

const ENGINE = engineFromEnv();
const CLOCK = ENGINE === 'chromium';

let fx;
let page;
let link;
let firstIssuer;

before(async () => {
  fx = await startFixture({ browser: false });
  page = await openPage(ENGINE);
  if (CLOCK) await page.clock.install({ time: new Date() });
  link = await fx.newLink();
  await openWallet(page, fx.server, link);
  await waitForCode(page);
  firstIssuer = await page.textContent('#issuer');
});
after(async () => {
  await page?.close();
  await fx?.close();
});

test('reload → the same card, funding choice and clock offset kept', async () => {
  const options = await page.evaluate(() => document.querySelectorAll('#funding option').length);
  const choice = options > 1 ? 1 : 0;
  await page.selectOption('#funding', String(choice));
  const label = await page.textContent('#funding-label');
  await ensureTimeLeft(page, 20, { fastForward: CLOCK }); // the reload must happen within the same time step
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

// geckodriver's Refresh bypasses the service worker, as a forced reload does
// (seen with Firefox 153 ESR: the page is not controlled after it, and the
// request goes to the network); opening the page's address again goes
// through it, as opening the wallet from the home screen does.
const REOPEN = ENGINE === 'firefox';
const reopen = () => (REOPEN ? page.goto(fx.server.url) : page.reload());

const offlineName = [
  REOPEN ? 'offline reopen (its address again: geckodriver\'s Refresh skips the service worker)' : 'offline reload',
  CLOCK
    ? '(service worker; browser offline, server unreachable) → a code, a new one on the button, and a time step (page clock +60 s)'
    : '(service worker; server unreachable — no offline switch in WebDriver) → a code, a new one on the button, and a real time step (no clock control in WebDriver)',
].join(' ');

test(offlineName, async () => {
  // Offline-ready means an active service worker for the scope: the next
  // navigation goes through it even if this page loaded (or reloaded) while
  // the worker was still installing and so was never claimed.
  await page.evaluate(() => Promise.race([
    navigator.serviceWorker.ready.then(() => true),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no active service worker in 15 s')), 15_000)),
  ]));
  const served = fx.server.requests.length;
  await setOffline(page, fx.server, true);
  try {
    await reopen();
    await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    const masked = await waitForCode(page);
    assert.match(masked, /^\d{4} /);
    assert.deepEqual(fx.server.requests.slice(served), [], 'the server answered while offline: test premise broken');
    if (CLOCK) assert.equal(await page.evaluate(() => navigator.onLine), false, 'the browser was not offline: test premise broken');

    const first = await revealDigits(page);
    await page.tap('#refresh');
    const second = await revealDigits(page);
    assert.notEqual(second, first, 'no new code on the button while offline');

    const rotation = await watchRotation(page);
    if (CLOCK) await page.clock.fastForward(60_000);
    await rotation.next();
    const third = await revealDigits(page);
    assert.notEqual(third, second, 'no rotation on the time step while offline');
  } finally {
    await setOffline(page, fx.server, false);
  }
});

test('no secret bytes in IndexedDB, localStorage, cookies, DOM, URL, console or requests', async () => {
  // The wallet as it opens with its stored card (whatever the test before left on screen).
  await openWallet(page, fx.server);
  await waitForCode(page);
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
  const canary = await dumpBrowserState(page);
  assert.ok(forms.all.some((form) => canary.toLowerCase().includes(form.toLowerCase())), 'the dump cannot see planted secret bytes');
  await page.evaluate(() => new Promise((ok) => { indexedDB.deleteDatabase('e2e-canary').onsuccess = ok; }));

  const dump = await dumpBrowserState(page);
  assert.ok(dump.includes('paycode-wallet'), 'the wallet database was not dumped: test premise broken');
  // Its fields in any order (Firefox's come back sorted, the algorithm first).
  assert.match(dump, /"cryptoKey":\{(?:[^{}]|\{[^{}]*\})*"extractable":false/, 'the sealing key is missing or extractable');
  assert.doesNotMatch(dump, /"extractable":true/, 'an extractable key is stored');
  for (const form of forms.all) {
    assert.ok(!dump.toLowerCase().includes(form.toLowerCase()), `secret found in browser state (${form.slice(0, 4)}…)`);
  }
  // The console is Playwright's to collect (Chromium); the other drivers do not report it.
  for (const line of page.log ?? []) {
    for (const form of forms.all) assert.ok(!line.includes(form), 'secret in the console');
  }
  for (const request of fx.server.requests) {
    assert.ok(!/secret=|paycode:/i.test(request) && !forms.all.some((f) => request.includes(f)), `secret sent to the server: ${request}`);
  }
});

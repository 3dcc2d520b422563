// <paycode-view> from the npm package `make build` leaves, in one engine
// (E2E_ENGINE=chromium|firefox|webkit; .ci/test.sh runs all three): the
// package packed and installed into a scratch project, a test page and the
// README's examples served from it, what the screen shows decoded by
// zxing-cpp and charged at the issuer. The package itself (its files and
// types, no browser) is tested once, in ../npm-package.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveStatic } from '../lib/server.mjs';
import { ROOT, issuerDb, provision, charge, secretOf } from '../lib/issuer.mjs';
import { decodeImages } from '../lib/decoders.mjs';
import { secretForms } from '../lib/secrets.mjs';
import { installPackage } from '../lib/npm-package.mjs';
import { engineFromEnv, openPage } from '../lib/webdriver.mjs';
import { MASKED } from '../lib/fixture.mjs';
import { readmeExamples, pageFor } from './readme.mjs';

const ENGINE = engineFromEnv();

let installed;
let issuer;
let server;
let page;
let shots;

// Cards with a 300 s step: a test rarely has to wait for a boundary to pass.
const newLink = () => provision(issuer.db, ['--issuer', 'Demo Bank', '--period', '300', '--funding', 'balance,debit:ICBC:1234']);

before(async () => {
  installed = await installPackage();
  issuer = await issuerDb();
  const readme = await readmeExamples();
  await Promise.all(readme.map((html, i) => writeFile(path.join(installed.project, `readme-${i + 1}.html`), pageFor(html))));
  server = await serveStatic(installed.project, {
    mounts: { '/element/': path.join(ROOT, 'tests/element'), '/wallet/js/': path.join(ROOT, 'www/js') },
    demoCard: newLink,
  });
  shots = await mkdtemp(path.join(tmpdir(), 'paycode-element-'));
  page = await openPage(ENGINE, { width: 480, height: 900 });
});

after(async () => {
  await page?.close();
  await server?.close();
  await issuer?.cleanup();
  await installed?.cleanup();
  if (shots) await rm(shots, { recursive: true, force: true });
});

/** Polls `predicate(arg)` in the page until it returns something truthy; resolves to that. */
function waitIn(predicate, arg = null, what = 'the page') {
  return page.run(async (source, arg, what) => {
    const predicate = (0, eval)(`(${source})`);
    const until = Date.now() + 20_000;
    for (;;) {
      const value = await predicate(arg);
      if (value) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, predicate.toString(), arg, what);
}

async function openTestPage() {
  await page.goto(`${server.url}element/index.html`);
  await waitIn(() => document.documentElement.dataset.ready === 'true', null, 'the test page');
}

/** Shows a new card through `el.show(link)`; resolves to the link once its first code is drawn. */
async function showNewCard() {
  const link = await newLink();
  await page.run(async (link) => document.getElementById('pay').show(link), link);
  await waitIn(() => window.events.some((e) => e.type === 'rotate' && e.reason === 'show'), null, 'the first code');
  return link;
}

/** Waits out the step if fewer than `seconds` remain, so what follows falls in one step. */
async function ensureTimeLeft(seconds) {
  const ms = await page.run(() => document.getElementById('pay').msUntilRotate);
  if (ms < seconds * 1000) {
    await waitIn((seconds) => document.getElementById('pay').msUntilRotate > seconds * 1000, seconds, 'the next step');
  }
}

/** Taps the digits to show them; resolves to the digits without spaces. */
async function revealDigits() {
  const text = await page.run(() => {
    const button = document.getElementById('pay').shadowRoot.querySelector('.digits');
    button.click();
    return button.textContent;
  });
  const digits = text.replace(/\s+/g, '');
  assert.match(digits, /^\d{16,24}$/, `revealed digits look wrong: ${JSON.stringify(text)}`);
  return digits;
}

/** Screenshot → zxing-cpp: resolves to {code128: [...], qr: [...]} texts. */
async function scan(name) {
  const shot = path.join(shots, `${ENGINE}-${name}.png`);
  await page.screenshot({ path: shot });
  const found = (await decodeImages([shot]))[shot];
  return {
    code128: found.filter((b) => /128/.test(b.format)).map((b) => b.text),
    qr: found.filter((b) => /QR/i.test(b.format)).map((b) => b.text),
    found,
  };
}

/**
 * The whole code on screen, read by tapping the digits open and shut again.
 * Two codes differ in more than their masked form shows: that form keeps six
 * digits, so two different codes share it once in a hundred.
 */
const wholeCode = () =>
  page.run(() => {
    const button = document.getElementById('pay').shadowRoot.querySelector('.digits');
    button.click();
    const text = button.textContent;
    button.click();
    return text.replace(/\s+/g, '');
  });

const uncaught = () => page.run(() => window.uncaught);
const errorEvents = () => page.run(() => window.events.filter((e) => e.type === 'error'));

test('draws both symbols: they decode to the digits it shows, and the issuer approves the code', async () => {
  await openTestPage();
  await showNewCard();
  await ensureTimeLeft(20);
  const masked = await page.run(() => document.getElementById('pay').maskedDigits);
  assert.match(masked, MASKED);
  const countdown = await page.run(() => document.getElementById('pay').shadowRoot.querySelector('.left').textContent);
  assert.match(countdown, /^New code in \d+ s$/);
  const digits = await revealDigits();
  assert.equal(digits.slice(0, 4), masked.slice(0, 4));
  assert.equal(digits.slice(-2), masked.slice(-2));
  assert.equal(digits.length, masked.replace(/\s/g, '').length);

  const { code128, qr, found } = await scan('drawn');
  assert.deepEqual(code128, [digits], `Code 128 decoded: ${JSON.stringify(found)}`);
  assert.deepEqual(qr, [digits], `QR decoded: ${JSON.stringify(found)}`);
  const approved = await charge(issuer.db, digits);
  assert.equal(approved.status, 0, `charge not approved: ${approved.stdout} ${approved.stderr}`);
  assert.deepEqual(await uncaught(), []);
  assert.deepEqual(await errorEvents(), []);
});

test('the link never reaches the DOM: not an attribute, not in the markup, not readable back', async () => {
  await openTestPage();
  const link = await newLink();
  await page.run((link) => {
    document.getElementById('pay').link = link;
  }, link);
  await waitIn(() => window.events.some((e) => e.type === 'rotate'), null, 'the first code');
  const seen = await page.run(() => {
    const pay = document.getElementById('pay');
    return {
      markup: document.documentElement.outerHTML + pay.shadowRoot.innerHTML,
      attributes: pay.getAttributeNames(),
      readBack: String(pay.link),
    };
  });
  for (const form of secretForms(secretOf(link)).all) {
    assert.ok(!seen.markup.includes(form), 'the secret is in the markup');
  }
  assert.ok(!seen.markup.includes('paycode://'), 'the link is in the markup');
  assert.deepEqual(seen.attributes, ['id']);
  assert.equal(seen.readBack, 'undefined');
});

test('attributes: funding picks the funding source, the text attributes label the parts; the button and a swipe make new codes', async () => {
  await openTestPage();
  await showNewCard();
  await ensureTimeLeft(10);
  const before = await wholeCode();
  const after = await page.run(async () => {
    const pay = document.getElementById('pay');
    const rotated = new Promise((resolve) => pay.addEventListener('rotate', (e) => resolve(e.detail), { once: true }));
    pay.setAttribute('funding', '1');
    return rotated;
  });
  assert.equal(after.reason, 'funding');
  const funded = await wholeCode();
  assert.match(funded, /^\d{16,24}$/);
  assert.notEqual(funded, before, 'another funding source, the same code');
  assert.equal(await page.run(() => document.getElementById('pay').funding), 1);

  const labels = await page.run(() => {
    const pay = document.getElementById('pay');
    pay.setAttribute('label', '付款码');
    pay.setAttribute('qr-label', '付款二维码');
    pay.setAttribute('refresh-label', '换一个');
    pay.setAttribute('countdown-label', '{s} 秒后更新');
    const root = pay.shadowRoot;
    return {
      group: root.querySelector('[role=group]').getAttribute('aria-label'),
      barcode: root.querySelector('canvas.barcode').getAttribute('aria-label'),
      qr: root.querySelector('canvas.qr').getAttribute('aria-label'),
      refresh: root.querySelector('button.refresh').textContent,
      countdown: root.querySelector('.left').textContent,
      buttons: [...root.querySelectorAll('button')].map((b) => b.tabIndex),
    };
  });
  const { countdown, ...named } = labels;
  assert.deepEqual(named, { group: '付款码', barcode: 'Payment barcode', qr: '付款二维码', refresh: '换一个', buttons: [0, 0] });
  assert.match(countdown, /^\d+ 秒后更新$/);

  const refreshed = await page.run(async () => {
    const pay = document.getElementById('pay');
    const rotated = new Promise((resolve) => pay.addEventListener('rotate', (e) => resolve(e.detail), { once: true }));
    pay.shadowRoot.querySelector('button.refresh').click();
    return rotated;
  });
  assert.equal(refreshed.reason, 'swipe');
  const buttoned = await wholeCode();
  assert.notEqual(buttoned, funded, 'the refresh button kept the code');

  const swiped = await page.run(async () => {
    const pay = document.getElementById('pay');
    const card = pay.shadowRoot.querySelector('[role=group]');
    const rotated = new Promise((resolve) => pay.addEventListener('rotate', (e) => resolve(e.detail), { once: true }));
    const at = (x) => ({ bubbles: true, composed: true, pointerId: 7, isPrimary: true, pointerType: 'touch', clientX: x, clientY: 60 });
    card.dispatchEvent(new PointerEvent('pointerdown', at(60)));
    card.dispatchEvent(new PointerEvent('pointerup', at(160)));
    return rotated;
  });
  assert.equal(swiped.reason, 'swipe');
  assert.notEqual(await wholeCode(), buttoned, 'the swipe kept the code');
  assert.deepEqual(await errorEvents(), []);
});

test('bad input: an error event with .kind, a rejected show(), nothing uncaught', async () => {
  await openTestPage();
  const outcome = await page.run(async () => {
    const pay = document.getElementById('pay');
    const rejected = async (source) => {
      try {
        await pay.show(source);
        return 'resolved';
      } catch (error) {
        return error.kind;
      }
    };
    return {
      wrongScheme: await rejected('https://example.com/?secret=X'),
      noCard: await rejected(() => null),
      unreadable: await rejected(async () => {
        throw new Error('The sealing key is missing.');
      }),
      badCard: await rejected(42),
      missingField: await rejected('paycode://provision?v=1'),
    };
  });
  assert.deepEqual(outcome, {
    wrongScheme: 'wrong_scheme', noCard: 'no_card', unreadable: 'stored_unreadable', badCard: 'bad_card', missingField: 'missing_field',
  });
  // The property setter cannot return an error: it fires one.
  await page.run(() => {
    document.getElementById('pay').link = 'paycode://provision?v=9';
  });
  await waitIn(() => window.events.filter((e) => e.type === 'error').length === 6, null, 'the sixth error event');

  const link = await showNewCard();
  const kept = await page.run(async (link) => {
    const pay = document.getElementById('pay');
    const before = pay.maskedDigits;
    const kind = await pay.show({ link, fundingIndex: 5 }).then(() => 'resolved', (error) => error.kind);
    return { kind, before, after: pay.maskedDigits };
  }, link);
  assert.equal(kept.kind, 'funding_out_of_range');
  assert.equal(kept.after, kept.before, 'a card that cannot be shown replaced the one on screen');
  await page.run(() => {
    const pay = document.getElementById('pay');
    pay.setAttribute('funding', 'two');
    pay.setAttribute('funding', '7');
  });
  const kinds = (await errorEvents()).map((e) => e.kind);
  assert.deepEqual(kinds, [
    'wrong_scheme', 'no_card', 'stored_unreadable', 'bad_card', 'missing_field', 'unsupported_version',
    'funding_out_of_range', 'bad_options', 'funding_out_of_range',
  ]);
  for (const event of await errorEvents()) assert.ok(event.message.length > 10, `no message: ${JSON.stringify(event)}`);
  // After the bad funding attributes the code on screen is still the card's.
  assert.match(await page.run(() => document.getElementById('pay').maskedDigits), MASKED);
  assert.deepEqual(await uncaught(), []);
});

test("a stored card: show() takes the wallet storage's loadCard, and keeps its funding and clock offset", async () => {
  await openTestPage();
  const link = await newLink();
  const shown = await page.run(async (link) => {
    const { saveCard, loadCard, removeCard } = await import('/wallet/js/storage.js');
    await saveCard({ link, fundingIndex: 1, clockOffsetMs: 4000 });
    const pay = document.getElementById('pay');
    await pay.show(loadCard);
    await removeCard();
    return { funding: pay.funding, clockOffsetMs: pay.clockOffsetMs, masked: pay.maskedDigits };
  }, link);
  assert.equal(shown.funding, 1);
  assert.equal(shown.clockOffsetMs, 4000);
  assert.match(shown.masked, MASKED);
  assert.deepEqual(await errorEvents(), []);
});

test('made by script: show() before it is in the document accepts the card, and it draws once attached', async () => {
  await openTestPage();
  const link = await newLink();
  const made = await page.run(async (link) => {
    const pay = document.createElement('paycode-view');
    const events = [];
    pay.addEventListener('rotate', (e) => events.push(e.detail.reason));
    await pay.show(link);
    const before = { masked: pay.maskedDigits, events: [...events] };
    document.getElementById('elsewhere').append(pay);
    return { before, after: { masked: pay.maskedDigits, events } };
  }, link);
  assert.deepEqual(made.before, { masked: '', events: [] });
  assert.match(made.after.masked, MASKED);
  assert.deepEqual(made.after.events, ['show']);
});

test('moved in the document it goes on; removed it stops; attached again it goes on from the same code', async () => {
  await openTestPage();
  await showNewCard();
  await ensureTimeLeft(15);
  const moved = await page.run(async () => {
    const pay = document.getElementById('pay');
    pay.refresh(); // counter 1: the code a re-made view must not go back from
    const masked = pay.maskedDigits;
    const pixels = pay.shadowRoot.querySelector('canvas.barcode').toDataURL();
    const shows = window.events.filter((e) => e.reason === 'show').length;
    document.getElementById('elsewhere').append(pay);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return {
      masked,
      after: pay.maskedDigits,
      samePixels: pay.shadowRoot.querySelector('canvas.barcode').toDataURL() === pixels,
      newShows: window.events.filter((e) => e.reason === 'show').length - shows,
    };
  });
  assert.equal(moved.after, moved.masked, 'the code changed on a move');
  assert.ok(moved.samePixels, 'the barcode changed on a move');
  assert.equal(moved.newShows, 0, 'a move made a new view');
  const movedCode = await wholeCode();

  const removed = await page.run(async () => {
    const pay = document.getElementById('pay');
    pay.remove();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const detached = { masked: pay.maskedDigits, noTimeLeft: Number.isNaN(pay.msUntilRotate) };
    document.getElementById('here').append(pay);
    return { detached, again: pay.maskedDigits, lastEvent: window.events.at(-1) };
  });
  assert.deepEqual(removed.detached, { masked: '', noTimeLeft: true }, 'a removed element still has a live view');
  assert.equal(removed.again, moved.masked, 'attached again within the step, it went back to an earlier code');
  assert.equal(await wholeCode(), movedCode, 'attached again within the step, it went back to an earlier code');
  assert.equal(removed.lastEvent.reason, 'show');
  assert.deepEqual(await uncaught(), []);
});

test('sizes itself: a 20rem box by default, the host CSS wins, the symbols follow and still decode', async () => {
  await openTestPage();
  await showNewCard();
  await ensureTimeLeft(15);
  const measure = () => page.run(() => {
    const pay = document.getElementById('pay');
    const width = (selector) => pay.shadowRoot.querySelector(selector).getBoundingClientRect().width;
    return { host: pay.getBoundingClientRect().width, barcode: width('canvas.barcode'), qr: width('canvas.qr') };
  });
  const intrinsic = await measure();
  assert.equal(intrinsic.host, 320);
  assert.ok(intrinsic.barcode > 200 && intrinsic.barcode <= 296, `barcode ${intrinsic.barcode} px in a 296 px box`);
  await page.run(() => {
    document.getElementById('pay').style.width = '440px';
  });
  const wide = await waitIn(() => {
    const pay = document.getElementById('pay');
    const width = pay.shadowRoot.querySelector('canvas.barcode').getBoundingClientRect().width;
    return width > 296 && { host: pay.getBoundingClientRect().width, barcode: width, qr: pay.shadowRoot.querySelector('canvas.qr').getBoundingClientRect().width };
  }, null, 'the barcode to widen');
  assert.equal(wide.host, 440);
  assert.ok(wide.barcode <= 416 && wide.qr > intrinsic.qr, `after widening: ${JSON.stringify(wide)}`);
  const digits = await revealDigits();
  const { code128, qr, found } = await scan('wide');
  assert.deepEqual(code128, [digits], `Code 128 decoded: ${JSON.stringify(found)}`);
  assert.deepEqual(qr, [digits], `QR decoded: ${JSON.stringify(found)}`);
});

test('while the page is hidden the countdown sleeps; shown again it catches up', async () => {
  await openTestPage();
  await showNewCard();
  await ensureTimeLeft(10);
  const countdown = () => page.run(() => document.getElementById('pay').shadowRoot.querySelector('.left').textContent);
  await page.run(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const hidden = await countdown();
  await new Promise((resolve) => setTimeout(resolve, 2200));
  assert.equal(await countdown(), hidden, 'the countdown ran while the page was hidden');
  await page.run(() => {
    delete document.visibilityState;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const shown = await countdown();
  const seconds = (text) => Number(text.match(/\d+/)[0]);
  assert.ok(seconds(shown) <= seconds(hidden) - 2, `back from hidden: ${hidden} → ${shown}`);
});

for (const [index, name] of ['the element', 'PaymentCode on canvases of its own'].entries()) {
  test(`README example ${index + 1} (${name}) works against the installed package as written`, async () => {
    await page.goto(`${server.url}readme-${index + 1}.html`);
    await waitIn(() => {
      const pay = document.querySelector('paycode-view');
      if (pay) return pay.maskedDigits !== '';
      return document.querySelectorAll('canvas[data-paycode-host-size]').length === 2;
    }, null, 'the example to draw');
    const { code128, qr, found } = await scan(`readme-${index + 1}`);
    assert.equal(code128.length, 1, `Code 128 decoded: ${JSON.stringify(found)}`);
    assert.deepEqual(qr, code128, `QR decoded: ${JSON.stringify(found)}`);
    // A step boundary between the screenshot and the charge is still accepted by the issuer's window.
    const approved = await charge(issuer.db, code128[0]);
    assert.equal(approved.status, 0, `charge not approved: ${approved.stdout} ${approved.stderr}`);
    assert.deepEqual(await uncaught(), []);
  });
}

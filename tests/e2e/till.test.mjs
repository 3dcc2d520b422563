// Codes a till reads at arm's length. On a 360×740 CSS px phone (1 CSS px ≈
// 0.18 mm) the symbols follow Alipay+'s guidance for codes on phone screens,
// counted without the quiet zone (start to stop bar; QR finder to finder):
// the Code 128 at least 45 × 14 mm (250 × 78 CSS px), the QR 25–31 mm
// (140–170 CSS px), every module a whole number of device pixels, measured
// from the screenshot. Both symbols decode from it, also at half size. A tap
// on the barcode shows it full screen, landscape, with the digits; a tap,
// Back or Escape returns.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, openWallet, waitForCode, revealDigits, ensureTimeLeft, barcodePixels, watchRotation } from './lib/fixture.mjs';
import { decodeImages, measureSymbols } from './lib/decoders.mjs';

const CSS_PX_MM = 0.18;
const BARCODE_MIN = { width: 250, height: 78 }; // 45 × 14 mm
const QR_RANGE = [140, 170]; // 25–31 mm
const QUIET = { code128: 10, qr: 4 }; // modules each side

/** Modules of the Code 128 (set C, start to stop) for an even number of digits. */
const code128Modules = (digits) => 11 * (digits.length / 2 + 2) + 13;

let fx;
before(async () => {
  fx = await startFixture();
});
after(() => fx?.close());

/** The element's box after the draw, in CSS px and in the screenshot's device px. */
async function boxOf(page, selector) {
  return page.evaluate((sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    const dpr = window.devicePixelRatio;
    return {
      css: { x: r.x, y: r.y, width: r.width, height: r.height },
      device: [r.x, r.y, r.width, r.height].map((v) => Math.round(v * dpr)),
    };
  }, selector);
}

/** Decoded texts by symbology, from the full screenshot and from it at half size. */
async function decodeBoth(file) {
  const texts = (found, pattern) => found.filter((b) => pattern.test(b.format)).map((b) => b.text);
  const full = (await decodeImages([file]))[file];
  const half = (await decodeImages([file], { scale: 0.5 }))[file];
  return {
    full: { code128: texts(full, /128/), qr: texts(full, /QR/i) },
    half: { code128: texts(half, /128/), qr: texts(half, /QR/i) },
  };
}

/** A phone of 360×740 CSS px at `dpr`, with a fresh card; resolves to {context, page, digits}. */
async function phoneWithCode(dpr, options = {}) {
  const context = await fx.newContext({ deviceScaleFactor: dpr, locale: 'en-US', ...options });
  const page = await context.newPage();
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  // Measuring, screenshots and decoding fall in one time step (the real clock: may wait ≤ 20 s).
  await ensureTimeLeft(page, 20);
  const digits = options.hasTouch === false ? null : await revealDigits(page);
  return { context, page, digits };
}

// Half size is asserted where halving leaves whole pixels per module or more
// than two: at DPR 1.5 the Code 128's 3 device px modules become 1.5 px,
// which averaging blurs past reading (and a phone at DPR 1.5 has no larger
// whole module that fits a 360 px screen: 4 px would need 411 CSS px).
const SCREENS = [
  { dpr: 1, halfSize: true },
  { dpr: 2, halfSize: true },
  { dpr: 3, halfSize: true },
  { dpr: 1.5, halfSize: false },
  { dpr: 2.625, halfSize: true },
];

for (const { dpr, halfSize } of SCREENS) {
  test(`360×740 at DPR ${dpr}: Code 128 ≥ 45 × 14 mm and QR 25–31 mm, whole device pixels per module, both decode${halfSize ? ' also at half size' : ''}`, async (t) => {
    const { context, page, digits } = await phoneWithCode(dpr);
    const shot = path.join(fx.shots, `till-dpr${dpr}.png`);
    await page.screenshot({ path: shot });
    const barcodeBox = await boxOf(page, '#barcode');
    const qrBox = await boxOf(page, '#qr');
    const m = await measureSymbols(shot, { barcode: { box: barcodeBox.device }, qr: { box: qrBox.device } });
    const note = JSON.stringify({ barcodeBox, qrBox, m });

    // Code 128: every bar and space a whole number of modules of whole device pixels, no grey edge.
    const bars = m.barcode;
    assert.ok(bars.found, `no barcode: ${note}`);
    assert.equal(bars.grey, 0, `grey pixels between bars: ${note}`);
    assert.deepEqual(bars.uneven, [], `bars not a whole number of modules: ${note}`);
    assert.equal(bars.modules, code128Modules(digits), `bars are not the ${digits.length}-digit Code 128: ${note}`);
    assert.ok(Number.isInteger(bars.module) && bars.module >= 1, note);
    const barsCss = bars.bars_px / dpr;
    assert.ok(barsCss >= BARCODE_MIN.width, `Code 128 is ${barsCss} CSS px (${(barsCss * CSS_PX_MM).toFixed(1)} mm) wide without its quiet zone: ${note}`);
    assert.ok(bars.height_px / dpr >= BARCODE_MIN.height, `Code 128 bars are ${bars.height_px / dpr} CSS px tall: ${note}`);
    assert.ok(bars.quiet_left_px >= QUIET.code128 * bars.module && bars.quiet_right_px >= QUIET.code128 * bars.module, `quiet zone short: ${note}`);
    // The drawn canvas box holds it, on the 360 px screen.
    assert.ok(barcodeBox.css.width >= barsCss && barcodeBox.css.height >= BARCODE_MIN.height, note);
    assert.ok(barcodeBox.css.x >= 0 && barcodeBox.css.x + barcodeBox.css.width <= 360, `barcode off screen: ${note}`);

    // QR: square modules of whole device pixels, the symbol 25–31 mm.
    const qr = m.qr;
    assert.ok(qr.found, `no QR: ${note}`);
    assert.equal(qr.grey, 0, `grey pixels in the QR: ${note}`);
    assert.ok(Number.isInteger(qr.module) && qr.module >= 1, `QR module ${qr.module} device px: ${note}`);
    assert.equal(qr.run_gcd, qr.module, `QR runs not whole modules: ${note}`);
    assert.equal(qr.width_px, qr.height_px, note);
    assert.ok(Number.isInteger(qr.modules) && (qr.modules - 17) % 4 === 0, `QR is ${qr.modules} modules: ${note}`);
    const qrCss = qr.width_px / dpr;
    assert.ok(qrCss >= QR_RANGE[0] && qrCss <= QR_RANGE[1], `QR is ${qrCss} CSS px (${(qrCss * CSS_PX_MM).toFixed(1)} mm) without its quiet zone: ${note}`);
    assert.ok(qr.quiet_px >= QUIET.qr * qr.module, `QR quiet zone short: ${note}`);
    assert.ok(qrBox.css.width >= qrCss && qrBox.css.x >= 0 && qrBox.css.x + qrBox.css.width <= 360, note);

    const mm = (css) => (css * CSS_PX_MM).toFixed(1);
    t.diagnostic(`Code 128: ${bars.module} device px/module, bars ${barsCss.toFixed(1)} × ${(bars.height_px / dpr).toFixed(1)} CSS px `
      + `(${mm(barsCss)} × ${mm(bars.height_px / dpr)} mm), canvas ${barcodeBox.css.width.toFixed(2)} CSS px; `
      + `QR: ${qr.modules} modules of ${qr.module} device px, ${qrCss.toFixed(1)} CSS px (${mm(qrCss)} mm), canvas ${qrBox.css.width.toFixed(2)} CSS px`);

    const decoded = await decodeBoth(shot);
    assert.deepEqual(decoded.full, { code128: [digits], qr: [digits] }, `decoded from the screenshot: ${JSON.stringify(decoded)}`);
    if (halfSize) assert.deepEqual(decoded.half, { code128: [digits], qr: [digits] }, `decoded at half size: ${JSON.stringify(decoded)}`);
    else assert.deepEqual(decoded.half.qr, [digits], `QR decoded at half size: ${JSON.stringify(decoded)}`);
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
    await context.close();
  });
}

/** Open the full-screen barcode with a tap; resolves once it is up and settled (two frames). */
async function openFull(page) {
  await page.tap('#barcode-open');
  await page.waitForFunction(() => document.getElementById('barcode-full').open);
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
}

/** Waits until the dialog is closed and the canvas is back in the card (fails by timeout if it never is). */
async function fullIsClosed(page) {
  await page.waitForFunction(() => !document.getElementById('barcode-full').open
    && document.getElementById('barcode').parentElement.id === 'barcode-open');
  // A viewport the test turned back to portrait reaches the page as a resize
  // event in its next frame, where the view redraws for the card; two frames
  // later that has run (the close itself drew for the landscape viewport).
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  return page.evaluate(() => ({
    canvasHome: document.getElementById('barcode').parentElement.id,
    digits: document.getElementById('barcode-full-digits').textContent,
    ours: Boolean(history.state?.paycodeFullBarcode),
    width: document.getElementById('barcode').getBoundingClientRect().width,
  }));
}

/** Screenshot and measure the full-screen barcode; asserts it is landscape, whole pixels, decodes. */
async function checkFull(page, { dpr, digits, name }) {
  const facts = await page.evaluate(() => {
    const rect = (id) => document.getElementById(id).getBoundingClientRect();
    return {
      viewport: { width: innerWidth, height: innerHeight },
      canvas: rect('barcode'),
      frameLandscape: document.getElementById('barcode-full-frame').offsetWidth > document.getElementById('barcode-full-frame').offsetHeight,
      turned: document.getElementById('barcode-full-frame').classList.contains('turned'),
      digits: document.getElementById('barcode-full-digits').textContent,
      parent: document.getElementById('barcode').parentElement.id,
    };
  });
  const note = JSON.stringify(facts);
  assert.equal(facts.parent, 'barcode-full-slot', note);
  assert.ok(facts.frameLandscape, `the frame is not laid out landscape: ${note}`);
  // Landscape on the screen: the bars run along the screen's long side.
  const screenPortrait = facts.viewport.height > facts.viewport.width;
  const bars = screenPortrait ? 'down' : 'across';
  const along = screenPortrait ? facts.canvas.height : facts.canvas.width;
  const across = screenPortrait ? facts.canvas.width : facts.canvas.height;
  assert.ok(along > across, `the barcode does not lie along the long side: ${note}`);
  assert.equal(facts.turned, screenPortrait, `turned ${facts.turned} on a ${screenPortrait ? 'portrait' : 'landscape'} screen: ${note}`);
  assert.equal(facts.digits, digits, 'the digits under the full-screen barcode');

  const shot = path.join(fx.shots, `${name}.png`);
  await page.screenshot({ path: shot });
  const box = [facts.canvas.x, facts.canvas.y, facts.canvas.width, facts.canvas.height].map((v) => Math.round(v * dpr));
  const m = (await measureSymbols(shot, { barcode: { box, bars } })).barcode;
  const mNote = JSON.stringify({ facts, m });
  assert.ok(m.found, mNote);
  assert.equal(m.grey, 0, `grey pixels between bars: ${mNote}`);
  assert.deepEqual(m.uneven, [], `bars not a whole number of modules: ${mNote}`);
  assert.equal(m.modules, code128Modules(digits), mNote);
  // As large as fits: one more device pixel per module would not fit the long side.
  const long = Math.max(facts.viewport.width, facts.viewport.height) * dpr;
  const total = code128Modules(digits) + 2 * QUIET.code128;
  assert.ok((m.module + 1) * total > long, `${m.module} device px per module, and ${m.module + 1} would fit ${long}: ${mNote}`);
  assert.ok(m.bars_px / dpr > 1.5 * BARCODE_MIN.width, mNote);
  const decoded = await decodeBoth(shot);
  assert.deepEqual(decoded.full.code128, [digits], `decoded full screen: ${JSON.stringify(decoded)}`);
  assert.deepEqual(decoded.half.code128, [digits], `decoded full screen at half size: ${JSON.stringify(decoded)}`);
  return m;
}

// The turn of a portrait screen is checked at a fractional DPR too.
for (const [lock, dpr] of [['granted', 3], ['refused', 3], ['refused', 2.625]]) {
  test(`tap → barcode full screen, landscape (orientation lock ${lock}, DPR ${dpr}), digits under it; tap, Back and Escape return`, async () => {
    const { context, page, digits } = await phoneWithCode(dpr, { locale: 'zh-CN' });
    // What the clock may do meanwhile: rotate the code once its step ends
    // (this test can outlast the 20 s phoneWithCode leaves on a slow machine).
    const stepLeft = Number(((await page.textContent('#countdown')).match(/\d+/) ?? ['0'])[0]);
    const started = Date.now();
    await page.evaluate(() => {
      window.__rotations = 0;
      window.PayCodeWallet.on('rotated', () => { window.__rotations += 1; });
    });
    await page.evaluate((refuse) => {
      window.__locks = [];
      const orientation = screen.orientation;
      orientation.lock = refuse
        ? async () => {
          window.__locks.push('refused');
          throw new DOMException('no lock here', 'NotSupportedError');
        }
        : (() => {
          // A phone's lock: the screen turns landscape. Headless Chromium has no
          // screen to turn, so the test turns the viewport as the phone would.
          return async (kind) => {
            window.__locks.push(kind);
            await window.__turnViewport?.();
          };
        })();
      orientation.unlock = () => window.__locks.push('unlock');
    }, lock === 'refused');
    if (lock === 'granted') {
      await page.exposeFunction('__turnViewport', () => page.setViewportSize({ width: 740, height: 360 }));
    }

    const widthInCard = (await boxOf(page, '#barcode')).css.width;
    await openFull(page);
    if (lock === 'granted') await page.waitForFunction(() => innerWidth > innerHeight);
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const full = await checkFull(page, { dpr, digits, name: `full-${lock}-dpr${dpr}` });
    assert.ok(full.bars_px / dpr > widthInCard, 'the full-screen barcode is no larger than the card’s');
    assert.equal(await page.textContent('#barcode-full-back'), '轻触任意处返回');
    assert.equal((await page.evaluate(() => window.__locks))[0], lock === 'granted' ? 'landscape' : 'refused');
    assert.ok(await page.evaluate(() => history.state?.paycodeFullBarcode), 'no history entry for Back');

    // A tap returns: the canvas is back in the card, drawn for it, the digits gone.
    await page.tap('#barcode-full');
    if (lock === 'granted') await page.setViewportSize({ width: 360, height: 740 });
    let closed = await fullIsClosed(page);
    assert.deepEqual({ ...closed, width: Math.round(closed.width) }, { canvasHome: 'barcode-open', digits: '', ours: false, width: Math.round(widthInCard) });
    if (lock === 'granted') assert.ok((await page.evaluate(() => window.__locks)).includes('unlock'), 'the lock was kept');

    // Back returns.
    await openFull(page);
    await page.goBack();
    if (lock === 'granted') await page.setViewportSize({ width: 360, height: 740 });
    closed = await fullIsClosed(page);
    assert.equal(closed.canvasHome, 'barcode-open');

    // Escape returns (the page left full screen with it, or the dialog took the key).
    await openFull(page);
    await page.keyboard.press('Escape');
    if (lock === 'granted') await page.setViewportSize({ width: 360, height: 740 });
    closed = await fullIsClosed(page);
    assert.equal(closed.canvasHome, 'barcode-open');
    assert.equal(closed.ours, false, 'Escape left the history entry behind');

    // The card's barcode decodes again after all that: the same code, unless
    // its time step ended meanwhile (then the one the wallet shows now).
    const rotations = await page.evaluate(() => window.__rotations);
    if ((Date.now() - started) / 1000 < stepLeft - 1) assert.equal(rotations, 0, 'the code changed within its time step');
    const expected = rotations === 0 ? digits : await revealDigits(page);
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const shot = path.join(fx.shots, `after-full-${lock}-dpr${dpr}.png`);
    await page.screenshot({ path: shot });
    assert.deepEqual((await decodeBoth(shot)).full, { code128: [expected], qr: [expected] });
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
    await context.close();
  });
}

test('full screen: a new code (time step) shows at once, bars and digits; opened from the wallet\'s own full screen it leaves that on', async () => {
  const dpr = 2;
  const context = await fx.newContext({ deviceScaleFactor: dpr, locale: 'en-US' });
  const page = await context.newPage();
  await page.clock.install({ time: new Date() });
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  const first = await revealDigits(page);
  await openFull(page);
  assert.equal(await page.textContent('#barcode-full-digits'), first);
  const rotation = await watchRotation(page);
  await page.clock.fastForward(60_000);
  await rotation.next();
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const second = await page.textContent('#barcode-full-digits');
  assert.notEqual(second, first, 'the full screen kept the old digits');
  await checkFull(page, { dpr, digits: second, name: 'full-rotated' });
  await page.tap('#barcode-full');
  await fullIsClosed(page);

  await page.tap('#fullscreen');
  await page.waitForFunction(() => document.fullscreenElement?.id === 'wallet');
  await openFull(page);
  await checkFull(page, { dpr, digits: second, name: 'full-from-wallet-fullscreen' });
  await page.tap('#barcode-full');
  await fullIsClosed(page);
  assert.equal(await page.evaluate(() => document.fullscreenElement?.id), 'wallet', 'closing the barcode left the wallet\'s full screen');
  assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  await context.close();
});

test('with a mouse: a click on the barcode opens the full screen, a drag across it is a swipe (new code) and does not; a click reveals the digits', async () => {
  const { context, page } = await phoneWithCode(2, { isMobile: false, hasTouch: false });
  const box = (await boxOf(page, '#barcode-open')).css;
  const y = box.y + box.height / 2;
  const before = await barcodePixels(page);
  await page.mouse.move(box.x + box.width / 2 - 60, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, y, { steps: 6 });
  await page.mouse.up();
  assert.notEqual(await barcodePixels(page), before, 'the drag brought no new code');
  assert.equal(await page.evaluate(() => document.getElementById('barcode-full').open), false, 'a swipe opened the full screen');
  await page.click('#barcode-open');
  await page.waitForFunction(() => document.getElementById('barcode-full').open);
  await page.mouse.click(20, 20);
  assert.equal((await fullIsClosed(page)).canvasHome, 'barcode-open');
  // The digits, inside the same swipeable card, take a mouse click too.
  await page.click('#digits');
  assert.equal(await page.getAttribute('#digits', 'aria-pressed'), 'true', 'a click did not reveal the digits');
  assert.match((await page.textContent('#digits')).replace(/\s/g, ''), /^\d{16,24}$/);
  await context.close();
});

test('the barcode is a button: the keyboard opens the full screen, its back button has the focus and closes it', async () => {
  const { context, page, digits } = await phoneWithCode(2);
  assert.equal(await page.getAttribute('#barcode-open', 'aria-label'), 'Payment barcode: show it full screen');
  await page.focus('#barcode-open');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('barcode-full').open);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'barcode-full-back');
  assert.equal(await page.textContent('#barcode-full-digits'), digits);
  await page.keyboard.press('Enter');
  let closed = await fullIsClosed(page);
  assert.equal(closed.canvasHome, 'barcode-open');
  assert.equal(closed.ours, false);
  // Closed by the browser itself (no cancel event first): the page still puts everything back.
  await page.focus('#barcode-open');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('barcode-full').open);
  await page.evaluate(() => document.getElementById('barcode-full').close());
  closed = await fullIsClosed(page);
  await page.waitForFunction(() => !history.state?.paycodeFullBarcode);
  assert.deepEqual({ home: closed.canvasHome, digits: closed.digits }, { home: 'barcode-open', digits: '' });
  await context.close();
});

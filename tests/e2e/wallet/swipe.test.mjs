// Swiping the code card (real touch input through CDP, which Chromium turns
// into pointer events with pointerType "touch") brings a new code within one
// animation frame; a vertical drag scrolls the page and leaves the code alone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, barcodePixels, canvasFingerprint, ensureTimeLeft } from './lib/fixture.mjs';

let fx;
let context;
let page;
let cdp;

before(async () => {
  fx = await startFixture();
  context = await fx.newContext();
  page = await context.newPage();
  cdp = await context.newCDPSession(page);
  await page.clock.install({ time: new Date() }); // so a test can skip a time-step boundary that would blur it
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  // Watch from inside the page: when the finger lifts, and when a new code is announced.
  await page.evaluate(() => {
    window.__e2e = { ups: [], rotations: [], frame: 0 };
    // Counts animation frames, so the test can tell whether one went by between the lift and the new code.
    const count = () => {
      window.__e2e.frame += 1;
      requestAnimationFrame(count);
    };
    requestAnimationFrame(count);
    window.addEventListener('pointerup', (e) => window.__e2e.ups.push({ t: performance.now(), frame: window.__e2e.frame, type: e.pointerType }), true);
    window.PayCodeWallet.on('rotated', () => window.__e2e.rotations.push({
      t: performance.now(),
      frame: window.__e2e.frame,
      animating: document.getElementById('card').getAnimations().length,
    }));
  });
});
after(async () => {
  await context?.close();
  await fx?.close();
});

async function drag(from, to, steps = 8) {
  const point = (p) => [{ x: p.x, y: p.y, id: 1, radiusX: 8, radiusY: 8, force: 1 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(from) });
  for (let i = 1; i <= steps; i += 1) {
    const at = { x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(at) });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

async function cardCenter() {
  const box = await page.locator('#card').boundingBox();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** No time rotation during the next seconds, and no rotation on record yet. */
async function quietPeriod() {
  await ensureTimeLeft(page, 10, { fastForward: true });
  await page.evaluate(() => {
    window.__e2e.rotations.length = 0;
    window.__e2e.ups.length = 0;
  });
}

test('horizontal touch swipe on the card → new code within one animation frame', async () => {
  await quietPeriod();
  const before = await barcodePixels(page);
  const maskedBefore = await page.textContent('#digits');
  const c = await cardCenter();
  await drag({ x: c.x + 80, y: c.y }, { x: c.x - 80, y: c.y + 6 });
  // By the next frame the new code must be drawn.
  const after = await page.evaluate(`new Promise((resolve) => {
    requestAnimationFrame(() => resolve((${canvasFingerprint.toString()})()));
  })`);
  const seen = await page.evaluate(() => window.__e2e);
  assert.ok(seen.ups.some((u) => u.type === 'touch'), `no touch pointerup reached the page: ${JSON.stringify(seen.ups)}`);
  assert.equal(seen.rotations.length, 1, `expected one rotation, saw ${seen.rotations.length}`);
  const lastUp = seen.ups[seen.ups.length - 1];
  const rotation = seen.rotations[0];
  const delay = rotation.t - lastUp.t;
  // The new code is drawn while the lift is handled: no animation frame goes by in between,
  // so the very next frame shows it (wall time depends on the machine, frames do not).
  assert.equal(rotation.frame, lastUp.frame, `an animation frame passed before the new code (${delay.toFixed(1)} ms)`);
  assert.notEqual(after, before, 'the barcode did not change');
  assert.ok(rotation.animating >= 1, 'no swipe animation on the card');
  const maskedAfter = await page.textContent('#digits');
  assert.match(maskedAfter, /^\d{4} /);
  console.log(`swipe → new code in ${delay.toFixed(2)} ms (masked ${maskedBefore} → ${maskedAfter})`);
});

test('vertical drag on the card scrolls and keeps the code', async () => {
  await quietPeriod();
  await page.evaluate(() => window.scrollTo(0, 0));
  const before = await barcodePixels(page);
  const c = await cardCenter();
  await drag({ x: c.x, y: c.y + 120 }, { x: c.x + 4, y: c.y - 120 }, 12);
  await page.waitForTimeout(400); // let the scroll settle
  const scrolled = await page.evaluate(() => window.scrollY);
  const rotations = await page.evaluate(() => window.__e2e.rotations.length);
  assert.ok(scrolled > 0, 'the vertical drag did not scroll the page: test premise broken');
  assert.equal(rotations, 0, 'a vertical drag changed the code');
  assert.equal(await barcodePixels(page), before, 'the barcode changed on a vertical drag');
});

test('refresh button and the R key give a new code too', async () => {
  await quietPeriod();
  const before = await barcodePixels(page);
  await page.tap('#refresh');
  const afterButton = await barcodePixels(page);
  assert.notEqual(afterButton, before, 'refresh button did not change the code');
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('r');
  assert.notEqual(await barcodePixels(page), afterButton, 'R key did not change the code');
  assert.equal(await page.evaluate(() => window.__e2e.rotations.length), 2);
});

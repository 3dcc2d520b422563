// Swiping the code card brings a new code within one animation frame; a
// vertical drag leaves the code alone. In each engine (E2E_ENGINE), with the
// input each driver really sends: touch in Chromium (CDP touch events, which
// it turns into pointer events of pointerType "touch") and Firefox
// (geckodriver's touch pointer actions); in WebKit a mouse drag, since
// WebKitWebDriver delivers touch pointer actions as mouse events. The tests'
// names say which.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, barcodePixels, canvasFingerprint, ensureTimeLeft } from '../lib/fixture.mjs';
import { engineFromEnv, openPage } from '../lib/webdriver.mjs';

const ENGINE = engineFromEnv();
const CLOCK = ENGINE === 'chromium';
const POINTER = ENGINE === 'webkit' ? 'mouse' : 'touch';
const INPUT = POINTER === 'touch' ? 'touch swipe' : 'mouse drag (WebKitWebDriver sends no touch)';

let fx;
let page;

before(async () => {
  fx = await startFixture({ browser: false });
  page = await openPage(ENGINE);
  if (CLOCK) await page.clock.install({ time: new Date() }); // so a test can skip a time-step boundary that would blur it
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  // Watch from inside the page: when the finger lifts, and when a new code is announced.
  await page.evaluate(() => {
    window.__e2e = { downs: [], ups: [], rotations: [], frame: 0 };
    // Counts animation frames, so the test can tell whether one went by between the lift and the new code.
    const count = () => {
      window.__e2e.frame += 1;
      requestAnimationFrame(count);
    };
    requestAnimationFrame(count);
    window.addEventListener('pointerdown', (e) => window.__e2e.downs.push(e.pointerType), true);
    window.addEventListener('pointerup', (e) => window.__e2e.ups.push({ t: performance.now(), frame: window.__e2e.frame, type: e.pointerType }), true);
    window.PayCodeWallet.on('rotated', () => window.__e2e.rotations.push({
      t: performance.now(),
      frame: window.__e2e.frame,
      animating: document.getElementById('card').getAnimations().length,
    }));
  });
});
after(async () => {
  await page?.close();
  await fx?.close();
});

function cardCenter() {
  return page.evaluate(() => {
    const box = document.getElementById('card').getBoundingClientRect();
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  });
}

/** No time rotation during the next seconds, and no rotation on record yet. */
async function quietPeriod() {
  await ensureTimeLeft(page, 10, { fastForward: CLOCK });
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    window.__e2e.rotations.length = 0;
    window.__e2e.downs.length = 0;
    window.__e2e.ups.length = 0;
  });
}

test(`horizontal ${INPUT} on the card → new code within one animation frame`, async () => {
  await quietPeriod();
  const before = await barcodePixels(page);
  const maskedBefore = await page.textContent('#digits');
  const c = await cardCenter();
  await page.drag({ x: c.x + 80, y: c.y }, { x: c.x - 80, y: c.y + 6 }, { pointerType: POINTER });
  // By the next frame the new code must be drawn.
  const after = await page.evaluate(`new Promise((resolve) => {
    requestAnimationFrame(() => resolve((${canvasFingerprint.toString()})()));
  })`);
  const seen = await page.evaluate(() => window.__e2e);
  assert.ok(seen.ups.some((u) => u.type === POINTER), `no ${POINTER} pointerup reached the page: ${JSON.stringify(seen.ups)}`);
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
  console.log(`${ENGINE}: swipe → new code in ${delay.toFixed(2)} ms (masked ${maskedBefore} → ${maskedAfter})`);
});

// Only Chromium's touch scrolls the page: geckodriver's touch actions reach
// the page's handlers but not Firefox's scrolling, and a mouse drag scrolls nowhere.
const SCROLLS = ENGINE === 'chromium';
const verticalName = {
  chromium: 'vertical touch drag on the card scrolls and keeps the code',
  firefox: 'vertical touch drag on the card keeps the code (geckodriver\'s touch actions do not scroll the page)',
  webkit: 'vertical mouse drag on the card keeps the code (WebKitWebDriver sends no touch, and a mouse drag does not scroll)',
}[ENGINE];

test(verticalName, async () => {
  await quietPeriod();
  const before = await barcodePixels(page);
  const c = await cardCenter();
  await page.drag({ x: c.x, y: c.y + 120 }, { x: c.x + 4, y: c.y - 120 }, { steps: 12, pointerType: POINTER });
  if (SCROLLS) {
    await page.waitForFunction(() => window.scrollY > 0, null, { timeout: 5_000 })
      .catch(() => assert.fail('the vertical drag did not scroll the page: test premise broken'));
  }
  const seen = await page.evaluate(() => window.__e2e);
  assert.deepEqual(seen.downs, [POINTER], `the drag did not reach the page as one ${POINTER} pointer: test premise broken`);
  assert.equal(seen.rotations.length, 0, 'a vertical drag changed the code');
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

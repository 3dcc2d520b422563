// A throttled tab catches up on its wake-up events. Chromium only: the test
// stops the page's timers with Playwright's page clock, which WebDriver has
// no counterpart of. Rotation itself runs in all three engines
// (wallet/rotation.test.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, revealDigits, ensureTimeLeft, pauseSoon } from './lib/fixture.mjs';

let fx;
before(async () => {
  fx = await startFixture();
});
after(() => fx?.close());

for (const wake of ['visibilitychange', 'pageshow', 'focus']) {
  test(`a throttled tab catches up at once on ${wake} (no timer needed; Chromium only: page clock)`, async () => {
    const context = await fx.newContext();
    const page = await context.newPage();
    await page.clock.install({ time: new Date() });
    await openWallet(page, fx.server, await fx.newLink());
    await waitForCode(page);
    await ensureTimeLeft(page, 10, { fastForward: true });
    const before = await revealDigits(page);
    // Stop the timers and move the clock a step on, as a throttled background tab experiences it.
    const now = await pauseSoon(page, 500);
    await page.clock.setSystemTime(now + 60_000);
    const stillOld = (await page.textContent('#digits')).replace(/\s+/g, '');
    assert.equal(stillOld, before, 'timers ran although the clock was paused: test premise broken');
    await page.evaluate((type) => {
      const target = type === 'visibilitychange' ? document : window;
      target.dispatchEvent(new Event(type));
    }, wake);
    const after = (await page.textContent('#digits')).replace(/[\s•]+/g, '');
    assert.notEqual(after, before, `${wake} did not replace an expired code`);
    await context.close();
  });
}

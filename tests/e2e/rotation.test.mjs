// Rotation on the issuer's time steps: moving the page clock 60 s brings a new
// code; once that one is charged, the older code is refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, revealDigits, nextRotation, ensureTimeLeft, pauseSoon } from './lib/fixture.mjs';
import { charge } from './lib/issuer.mjs';

let fx;
before(async () => {
  fx = await startFixture();
});
after(() => fx?.close());

test('page clock +60 s → new code; charging it makes the older code rejected', async () => {
  const context = await fx.newContext();
  const page = await context.newPage();
  await page.clock.install({ time: new Date() });
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  const older = await revealDigits(page);

  const countdown = await page.textContent('#countdown');
  assert.match(countdown, /\d+/, 'no visible countdown');

  const rotated = nextRotation(page);
  await page.clock.fastForward(60_000);
  const masked = await rotated;
  assert.match(masked, /^\d{4} /);
  const newer = await revealDigits(page);
  assert.notEqual(newer, older, 'the code did not change after 60 s');

  const approved = await charge(fx.db, newer);
  assert.equal(approved.status, 0, `new code not approved: ${approved.stdout} ${approved.stderr}`);
  const stale = await charge(fx.db, older);
  assert.equal(stale.status, 3, `older code not rejected: ${stale.stdout} ${stale.stderr}`);
  await context.close();
});

for (const wake of ['visibilitychange', 'pageshow', 'focus']) {
  test(`a throttled tab catches up at once on ${wake} (no timer needed)`, async () => {
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

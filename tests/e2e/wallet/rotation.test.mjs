// Rotation on the issuer's time steps, in each engine (E2E_ENGINE): a new code
// on the next step; once that one is charged, the older code is refused.
// Chromium moves its page clock 60 s (Playwright); WebDriver has no clock
// control, so Firefox and WebKit show a card with the shortest step the
// links allow (15 s) and wait for its real boundary. The test's name says which.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, revealDigits, watchRotation } from '../lib/fixture.mjs';
import { charge } from '../lib/issuer.mjs';
import { engineFromEnv, openPage } from '../lib/webdriver.mjs';

const ENGINE = engineFromEnv();
const CLOCK = ENGINE === 'chromium';
const SHORTEST_PERIOD_S = 15; // src/core/limits.rs PERIODS

let fx;
let page;
before(async () => {
  fx = await startFixture({ browser: false });
  page = await openPage(ENGINE);
});
after(async () => {
  await page?.close();
  await fx?.close();
});

const name = CLOCK
  ? 'page clock +60 s → new code; charging it makes the older code rejected'
  : `the real ${SHORTEST_PERIOD_S} s step passes (no clock control in WebDriver) → new code; charging it makes the older code rejected`;

test(name, async () => {
  if (CLOCK) await page.clock.install({ time: new Date() });
  await openWallet(page, fx.server, await fx.newLink(CLOCK ? [] : ['--period', String(SHORTEST_PERIOD_S)]));
  await waitForCode(page);
  const older = await revealDigits(page);

  const countdown = await page.textContent('#countdown');
  assert.match(countdown, /\d+/, 'no visible countdown');

  const rotation = await watchRotation(page);
  if (CLOCK) await page.clock.fastForward(60_000);
  const masked = await rotation.next();
  assert.match(masked, /^\d{4} /);
  const newer = await revealDigits(page);
  assert.notEqual(newer, older, 'the code did not change on the next step');

  const approved = await charge(fx.db, newer);
  assert.equal(approved.status, 0, `new code not approved: ${approved.stdout} ${approved.stderr}`);
  const stale = await charge(fx.db, older);
  assert.equal(stale.status, 3, `older code not rejected: ${stale.stdout} ${stale.stderr}`);
});

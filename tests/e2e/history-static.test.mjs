// Where no demo issuer answers the history request (a static host, another
// bank's card) the wallet shows no "Recent payments" section, no error, no
// demo PIN, and stops asking after the first answer.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode } from './lib/fixture.mjs';

let fx;

before(async () => {
  fx = await startFixture(); // a static server whose POST /api/cards gives a link and no PIN
});
after(async () => {
  await fx?.close();
});

const historyRequests = () => fx.server.requests.filter((r) => /^GET \/v1\/wallet\/history$/.test(r));

test('static host: no history section, no error, one history request only, no demo PIN', async () => {
  const context = await fx.newContext({ locale: 'en-US' });
  try {
    const page = await context.newPage();
    await page.clock.install({ time: new Date() });
    const before = historyRequests().length;
    await openWallet(page, fx.server, await fx.newLink());
    await waitForCode(page);
    await page.waitForFunction(() => document.getElementById('history-refresh').disabled === false);
    assert.equal(historyRequests().length, before + 1, 'the wallet did not ask for its history once on open');
    assert.equal(await page.isHidden('#history'), true, 'a history section without an issuer behind it');
    assert.equal(await page.isHidden('#demo-pin'), true, 'a demo PIN for a card that came without one');
    const message = page.locator('#message');
    if (await message.isVisible()) assert.doesNotMatch(await message.getAttribute('class'), /error/);

    // Polling does not keep knocking on a server that has no history.
    await page.clock.fastForward(35_000);
    await page.evaluate(() => new Promise((ok) => setTimeout(ok, 0)));
    assert.equal(historyRequests().length, before + 1, 'the wallet kept asking a server without history');
    assert.equal(await page.isHidden('#history'), true);

    // A demo card whose issuer gave no PIN shows none.
    await page.click('#demo');
    await page.waitForFunction(() => /added/i.test(document.getElementById('message').textContent));
    assert.equal(await page.isHidden('#demo-pin'), true);
    assert.deepEqual(context.log.filter((line) => line.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});

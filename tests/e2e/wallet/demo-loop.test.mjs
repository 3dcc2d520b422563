// The whole demo on one machine, as `make run` serves it, in each engine
// (E2E_ENGINE): the real `paycode serve --demo` (wallet, cashier page and API
// from one SQLite file), a phone that gets a demo card, and a till, in the
// same engine, that takes the code the phone shows through the signed
// merchant API.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServe } from '../lib/serve.mjs';
import { revealDigits, waitForCode } from '../lib/fixture.mjs';
import { chargeAtTill } from '../lib/cashier.mjs';
import { engineFromEnv, openPage } from '../lib/webdriver.mjs';

const ENGINE = engineFromEnv();

test('make run demo: demo card on the phone, charged once at the till, refused the second time', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-demo-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const pages = [];
  try {
    const phone = await openPage(ENGINE);
    pages.push(phone);
    await phone.goto(serve.url);
    await phone.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    await phone.click('#demo');
    await waitForCode(phone);
    const code = await revealDigits(phone);
    assert.match(code, /^13\d{16}$/, 'a demo card shows an 18-digit code with prefix 13');

    const till = await openPage(ENGINE, { locale: 'en-US' });
    pages.push(till);
    await till.goto(`${serve.url}/cashier.html`);
    assert.equal(await chargeAtTill(till, code, '12.50'), 'Approved');
    const again = await chargeAtTill(till, code, '12.50');
    assert.equal(again, 'Declined: code already used — ask for a fresh code', 'a used code must not be approved again');
  } finally {
    await Promise.all(pages.map((page) => page.close()));
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

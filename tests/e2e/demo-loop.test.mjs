// The whole demo on one machine, as `make run` serves it: the real
// `paycode serve` (wallet, cashier page and API from one SQLite file), a phone
// that gets a demo card, and a till that charges the code the phone shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, phoneContext } from './lib/browser.mjs';
import { PAYCODE, ROOT } from './lib/issuer.mjs';
import { revealDigits, waitForCode } from './lib/fixture.mjs';

/** Starts `paycode serve` on a free loopback port; resolves once it listens. */
async function startServe(db) {
  const child = spawn(PAYCODE, ['serve', '--addr', '127.0.0.1:0', '--db', db, '--www', path.join(ROOT, 'www')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`paycode serve did not start:\n${output}`)), 15_000);
    const read = (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`paycode serve exited with ${code}:\n${output}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Types the code and amount into the till as a scanner would (Enter submits); resolves to the verdict. */
async function chargeAtTill(till, url, code, amount) {
  await till.goto(`${url}/cashier.html`);
  await till.fill('#amount', amount);
  await till.fill('#code', '');
  await till.type('#code', code);
  await till.press('#code', 'Enter');
  await till.waitForSelector('#answer:not([hidden])', { timeout: 10_000 });
  await till.waitForFunction(() => document.getElementById('verdict').textContent.trim() !== '');
  return till.textContent('#verdict');
}

test('make run demo: demo card on the phone, charged once at the till, refused the second time', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-demo-'));
  const serve = await startServe(path.join(dir, 'paycode.db'));
  const browser = await launch();
  try {
    const phone = await (await phoneContext(browser)).newPage();
    await phone.goto(serve.url);
    await phone.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
    await phone.click('#demo');
    await waitForCode(phone);
    const code = await revealDigits(phone);
    assert.match(code, /^13\d{16}$/, 'a demo card shows an 18-digit code with prefix 13');

    const till = await (await browser.newContext({ locale: 'en-US' })).newPage();
    assert.match(await chargeAtTill(till, serve.url, code, '12.50'), /approved/i);
    const again = await chargeAtTill(till, serve.url, code, '12.50');
    assert.doesNotMatch(again, /approved/i, 'a used code must not be approved again');
    assert.match(again, /declined|used|rejected/i);
  } finally {
    await browser.close();
    serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

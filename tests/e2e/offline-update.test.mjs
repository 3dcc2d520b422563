// A half-deployed update (the new wasm is up, its JS glue is not) must not
// reach the offline cache: the service worker takes a new shell whole or not
// at all, so the wallet still opens offline afterwards.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveStatic } from './lib/server.mjs';
import { launch, phoneContext } from './lib/browser.mjs';
import { issuerDb, provision, ROOT } from './lib/issuer.mjs';
import { WWW, openWallet, waitForCode } from './lib/fixture.mjs';

let browser;
let server;
let pkg;
let issuer;

before(async () => {
  pkg = await mkdtemp(path.join(tmpdir(), 'paycode-pkg-'));
  await cp(process.env.E2E_PKG_DIR ?? path.join(ROOT, 'www/pkg'), pkg, { recursive: true });
  server = await serveStatic(WWW, { mounts: { '/pkg/': pkg } });
  browser = await launch();
  issuer = await issuerDb();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await issuer?.cleanup();
  await rm(pkg, { recursive: true, force: true });
});

test('a half-deployed update is not cached; the wallet still opens offline', async () => {
  const context = await phoneContext(browser);
  const page = await context.newPage();
  await openWallet(page, server, await provision(issuer.db));
  await waitForCode(page);
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 15_000 });

  // Half an update: a new (here: broken) wasm is served, the page's script (with the glue) is gone.
  await writeFile(path.join(pkg, 'paycode_wallet_bg.wasm'), 'not a wasm module');
  await rm(path.join(pkg, 'wallet.js'));
  const refreshed = server.requests.length;
  await page.reload(); // online: served from the cache, with a background refresh that must fail whole
  await page.waitForSelector('html[data-ready="true"]');
  await waitForCode(page);
  await page.waitForTimeout(500); // the background refresh runs after the page is served
  assert.ok(server.requests.slice(refreshed).some((r) => r.endsWith('/pkg/paycode_wallet_bg.wasm')), 'no background refresh happened: test premise broken');

  await context.setOffline(true);
  try {
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    const masked = await waitForCode(page);
    assert.match(masked, /^\d{4} /, 'the wallet did not open offline after a half-deployed update');
  } finally {
    await context.setOffline(false);
  }
  await context.close();
});

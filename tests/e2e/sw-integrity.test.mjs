// The service worker keeps only the files its build lists, byte for byte
// (pkg/precache.js, SHA-256 each): a tampered file served once is not kept
// and never answered from the cache, an unlisted path is never cached, and
// a new build's set replaces the old one whole.
//
// www/ is copied so its files can be tampered with; the copy is served by
// the test server (lib/server.mjs) on 127.0.0.1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serveStatic } from './lib/server.mjs';
import { launch, phoneContext } from './lib/browser.mjs';
import { issuerDb, provision, ROOT } from './lib/issuer.mjs';
import { WWW, openWallet, waitForCode, setOffline } from './lib/fixture.mjs';

const TAMPERED = 'icons/icon-512.png'; // in the list, and not loaded by the page itself

let browser;
let server;
let www;
let issuer;
let context;
let page;
let original;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The list the copy's build wrote: {build, files: {path: sha256}}. */
async function precache() {
  const text = await readFile(path.join(www, 'pkg/precache.js'), 'utf8');
  return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
}

// Each page load records what became of the worker its register() call
// installs (or finds): 'activated' or 'redundant' (its install failed).
function recordWorkerOutcome() {
  const container = navigator.serviceWorker;
  const register = container.register.bind(container);
  window.swOutcome = new Promise((resolve) => {
    container.register = async (...args) => {
      const registration = await register(...args);
      const worker = registration.installing ?? registration.waiting ?? registration.active;
      const check = () => {
        if (worker.state === 'activated' || worker.state === 'redundant') resolve(worker.state);
      };
      worker.addEventListener('statechange', check);
      check();
      return registration;
    };
  });
}

/** Every entry of every cache of this origin: {cacheName: [path relative to the scope]}. */
function cacheContents(p) {
  return p.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) {
      const keys = await (await caches.open(name)).keys();
      out[name] = keys.map((request) => new URL(request.url).pathname.slice(1)).sort();
    }
    return out;
  });
}

/** SHA-256 (hex) of the cached copy of `file`, or null when no cache holds it. */
function cachedHash(p, file) {
  return p.evaluate(async (f) => {
    const response = await caches.match(f);
    if (!response) return null;
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }, file);
}

/** What the page gets for `file` through fetch(): {status, sha256}, or {error} when the fetch fails. */
function pageFetch(p, file) {
  return p.evaluate(async (f) => {
    try {
      const response = await fetch(f);
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
      return { status: response.status, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
    } catch (error) {
      return { error: String(error) };
    }
  }, file);
}

/** Asks the controlling worker to refresh its set now; resolves to its answer. */
function askRefresh(p) {
  return p.evaluate(() => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    navigator.serviceWorker.controller.postMessage({ type: 'refresh' }, [channel.port2]);
  }));
}

function served(file, since = 0) {
  return server.requests.slice(since).filter((r) => r === `GET /${file}`).length;
}

before(async () => {
  www = await mkdtemp(path.join(tmpdir(), 'paycode-www-'));
  await cp(WWW, www, { recursive: true, filter: (src) => path.relative(WWW, src) !== 'pkg' });
  await cp(process.env.E2E_PKG_DIR ?? path.join(WWW, 'pkg'), path.join(www, 'pkg'), { recursive: true });
  original = await readFile(path.join(www, TAMPERED));
  server = await serveStatic(www);
  browser = await launch();
  issuer = await issuerDb();
  context = await phoneContext(browser);
  await context.addInitScript(recordWorkerOutcome);
  page = await context.newPage();
});
after(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  await issuer?.cleanup();
  await rm(www, { recursive: true, force: true });
});

test('a tampered file served once is not kept and never answered from the cache', async () => {
  const list = await precache();
  assert.equal(list.files[TAMPERED], sha256(original), 'the copy is not the build the list was written for: test premise broken');

  // First visit: the server hands out a tampered icon. The install must fail whole.
  await writeFile(path.join(www, TAMPERED), Buffer.concat([original, Buffer.from('tampered')]));
  await openWallet(page, server, await provision(issuer.db));
  assert.equal(await page.evaluate(() => window.swOutcome), 'redundant', 'a worker was installed from a tampered file');
  assert.ok(served(TAMPERED) >= 1, 'the worker never fetched the tampered file: test premise broken');
  assert.deepEqual(await cacheContents(page), {}, 'something was cached from a failed install');
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null);

  // The server is fixed: the next load installs the listed bytes, all of them and only them.
  await writeFile(path.join(www, TAMPERED), original);
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  assert.equal(await page.evaluate(() => window.swOutcome), 'activated');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
  assert.deepEqual(await cacheContents(page), { [`paycode-wallet-${list.build}`]: Object.keys(list.files).sort() });
  assert.equal(await cachedHash(page, TAMPERED), list.files[TAMPERED]);

  // Tampered again, and fetched by a refresh: refused, the good copy kept and served.
  await writeFile(path.join(www, TAMPERED), Buffer.concat([original, Buffer.from('tampered again')]));
  const before = server.requests.length;
  const answer = await askRefresh(page);
  assert.equal(served(TAMPERED, before), 1, 'the refresh did not fetch the tampered file: test premise broken');
  assert.equal(answer.stored, false, 'a refresh with a tampered file was stored');
  assert.match(answer.failure, new RegExp(`${TAMPERED}: not the bytes the build lists`));
  assert.equal(await cachedHash(page, TAMPERED), list.files[TAMPERED], 'the cached copy changed');
  const seen = server.requests.length;
  assert.deepEqual(await pageFetch(page, TAMPERED), { status: 200, sha256: list.files[TAMPERED] });
  assert.equal(server.requests.length, seen, 'a listed file was not answered from the cache');

  // A navigation's background refresh refuses it too, and offline the wallet still opens from the good set.
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  await waitForCode(page);
  assert.equal(await cachedHash(page, TAMPERED), list.files[TAMPERED]);
  await setOffline(page, server, true);
  try {
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    assert.match(await waitForCode(page), /^\d{4} /, 'the wallet did not open offline');
    assert.deepEqual(await pageFetch(page, TAMPERED), { status: 200, sha256: list.files[TAMPERED] });
  } finally {
    await setOffline(page, server, false);
    await writeFile(path.join(www, TAMPERED), original);
  }
});

test('unlisted paths and API answers are never cached nor answered by the worker', async () => {
  const list = await precache();
  const unlisted = ['cashier.html', 'js/app.js', 'sw.js', 'api/cards', 'index.html?v=2', 'css/wallet.css?x'];
  for (const file of unlisted) {
    const before = server.requests.length;
    const answer = await pageFetch(page, file);
    assert.ok(!answer.error, `${file}: ${answer.error}`);
    assert.ok(server.requests.length > before, `${file} was not fetched from the server`);
  }
  assert.deepEqual(await cacheContents(page), { [`paycode-wallet-${list.build}`]: Object.keys(list.files).sort() }, 'an unlisted path was cached');

  await setOffline(page, server, true);
  try {
    for (const file of unlisted) {
      const answer = await pageFetch(page, file);
      assert.ok(answer.error, `${file} was answered offline (from a cache): ${JSON.stringify(answer)}`);
    }
  } finally {
    await setOffline(page, server, false);
  }
});

test('a listed file missing from the cache is served from the network only if it matches', async () => {
  const list = await precache();
  const dropCached = () => page.evaluate(async ([name, file]) => (await caches.open(name)).delete(file), [`paycode-wallet-${list.build}`, TAMPERED]);
  assert.equal(await dropCached(), true, 'the file was not cached: test premise broken');
  await writeFile(path.join(www, TAMPERED), Buffer.concat([original, Buffer.from('tampered')]));
  try {
    const before = server.requests.length;
    const answer = await pageFetch(page, TAMPERED);
    assert.equal(served(TAMPERED, before), 1, 'the worker did not go to the network: test premise broken');
    assert.ok(answer.error, `a tampered file was served: ${JSON.stringify(answer)}`);
  } finally {
    await writeFile(path.join(www, TAMPERED), original);
  }
  assert.deepEqual(await pageFetch(page, TAMPERED), { status: 200, sha256: list.files[TAMPERED] });
  // Served, not stored: only a whole verified set is.
  assert.equal(await cachedHash(page, TAMPERED), null);
  assert.equal((await askRefresh(page)).stored, true);
  assert.equal(await cachedHash(page, TAMPERED), list.files[TAMPERED]);
});

test('a new build replaces the whole cached set with a cache of its own', async () => {
  const old = await precache();
  await appendFile(path.join(www, 'css/wallet.css'), '\n/* the next build */\n');
  await promisify(execFile)(process.execPath, [path.join(ROOT, '.ci/precache.mjs'), path.join(www, 'pkg'), www]);
  const next = await precache();
  assert.notEqual(next.build, old.build, 'the list did not change with a file: test premise broken');

  const outcome = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration.update();
    const worker = registration.installing ?? registration.waiting ?? registration.active;
    return new Promise((resolve) => {
      const check = () => {
        if (worker.state === 'activated' || worker.state === 'redundant') resolve(worker.state);
      };
      worker.addEventListener('statechange', check);
      check();
    });
  });
  assert.equal(outcome, 'activated');
  assert.deepEqual(await cacheContents(page), { [`paycode-wallet-${next.build}`]: Object.keys(next.files).sort() }, 'the old set was not replaced whole');
  assert.equal(await cachedHash(page, 'css/wallet.css'), next.files['css/wallet.css']);
});

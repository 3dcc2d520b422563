// Who may frame the pages `paycode serve` answers (its frame-ancestors
// headers, as Chromium enforces them): the wallet only by an origin given
// with --embed-origin, the cashier page by no one.
//
// Two host pages on other origins (other ports of 127.0.0.1) each frame a
// page of the issuer: one host's origin is the configured embed origin, the
// other's is not.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launch, phoneContext } from './lib/browser.mjs';
import { issuerDb } from './lib/issuer.mjs';
import { startServe } from './lib/serve.mjs';

let browser;
let issuer;
let serve;
let allowed;
let stranger;

/** A host page server: GET /?src=URL answers a page that frames URL. */
function hostServer() {
  const server = http.createServer((req, res) => {
    const src = new URL(req.url, 'http://127.0.0.1').searchParams.get('src') ?? '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>host</title><iframe id="f" src="${src.replace(/["<>&]/g, '')}"></iframe>`);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((ok) => server.close(ok)) });
    });
  });
}

before(async () => {
  allowed = await hostServer();
  stranger = await hostServer();
  issuer = await issuerDb();
  serve = await startServe(issuer.db, { demo: false, args: ['--embed-origin', allowed.url] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  serve?.stop();
  await allowed?.close();
  await stranger?.close();
  await issuer?.cleanup();
});

/**
 * Opens `host` framing the issuer's `page`; resolves to {title, refusal}:
 * the title of the document in the frame once it has one (Chromium's error
 * page when it refused the frame) and, when `refused`, the console's report
 * of the frame-ancestors refusal, waited for (else null).
 */
async function frame(host, page, { refused }) {
  const context = await phoneContext(browser);
  const tab = await context.newPage();
  const refusal = new Promise((resolve) => {
    tab.on('console', (msg) => {
      if (/frame-ancestors/.test(msg.text())) resolve(msg.text());
    });
  });
  await tab.goto(`${host.url}/?src=${encodeURIComponent(`${serve.url}/${page}`)}`);
  const title = tab.frameLocator('#f').locator('head > title');
  await title.waitFor({ state: 'attached', timeout: 15_000 });
  const result = { title: await title.textContent(), refusal: refused ? await refusal : null };
  await context.close();
  return result;
}

test('the wallet is framed by the configured embed origin', async () => {
  const { title } = await frame(allowed, '', { refused: false });
  assert.equal(title, 'PayCode Wallet');
});

test('the wallet refuses any other framing origin', async () => {
  const { title, refusal } = await frame(stranger, '', { refused: true });
  assert.notEqual(title, 'PayCode Wallet');
  assert.match(refusal, new RegExp(`"frame-ancestors ${allowed.url}".*blocked`, 's'));
});

test('the cashier page refuses every framing origin, the embed origin too', async () => {
  for (const host of [allowed, stranger]) {
    const { title, refusal } = await frame(host, 'cashier.html', { refused: true });
    assert.notEqual(title, 'PayCode Till');
    assert.match(refusal, /"frame-ancestors 'none'".*blocked/s);
  }
});

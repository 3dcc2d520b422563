// What every e2e test file needs: www/ served on 127.0.0.1, Chromium, an
// issuer database, and helpers to drive the wallet page like a person would.
// The helpers take Playwright's page or a WebDriverPage (lib/webdriver-page.mjs)
// alike, so the three-engine suite (wallet/) uses them as they are.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveStatic } from './server.mjs';
import { launch, phoneContext } from './browser.mjs';
import { ROOT, issuerDb, provision } from './issuer.mjs';

export const WWW = path.join(ROOT, 'www');

/**
 * Start the server (with a demo issuer answering POST /api/cards from the same
 * database), Chromium (unless `browser` is false: a test that opens its
 * pages with lib/webdriver.mjs) and a temporary issuer database.
 */
export async function startFixture({ demoIssuer = true, browser: withBrowser = true } = {}) {
  const { db, cleanup } = await issuerDb();
  const mounts = process.env.E2E_PKG_DIR ? { '/pkg/': process.env.E2E_PKG_DIR } : {};
  const server = await serveStatic(WWW, { mounts, demoCard: demoIssuer ? () => provision(db) : null });
  const browser = withBrowser ? await launch() : null;
  const shots = await mkdtemp(path.join(tmpdir(), 'paycode-shots-'));
  return {
    db,
    server,
    browser,
    shots,
    // Two funding sources, so the picker has a real choice.
    newLink: (extra = []) => provision(db, ['--issuer', 'Demo Bank', '--funding', 'balance,debit:ICBC:1234', ...extra]),
    newContext: (options) => phoneContext(browser, options),
    async close() {
      await browser?.close();
      await server.close();
      await cleanup();
    },
  };
}

/**
 * Cuts the wallet's network (`offline` true) or gives it back: the server
 * drops every connection unanswered, and Chromium (Playwright) also goes
 * offline itself. geckodriver and WebKitWebDriver cannot switch a browser
 * offline, so for them the unreachable server is the whole of it.
 */
export async function setOffline(page, server, offline) {
  server.setOffline(offline);
  if (typeof page.context === 'function') await page.context().setOffline(offline); // a Playwright page
}

/** Open the wallet, optionally provisioning `link` through the URL fragment, and wait until it settles. */
export async function openWallet(page, server, link = null) {
  const url = link === null ? server.url : `${server.url}#provision=${encodeURIComponent(link)}`;
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
}

/** Masked digits: first 4 and last 2 shown, the rest •, in groups of 4 ("1345 •••• •••• ••68"). */
export const MASKED = /^(?=[\d• ]{19,29}$)\d{4}(?: ••••)* ?•{0,3}\d{2}$/;

/** Wait until a code is on screen; resolves to the masked digits. */
export async function waitForCode(page) {
  await page.waitForFunction(() => /\d{4}/.test(document.getElementById('digits')?.textContent ?? ''), null, { timeout: 10_000 });
  return page.textContent('#digits');
}

/** Tap the masked digits to reveal them, as a person would; resolves to the digits without spaces. */
export async function revealDigits(page) {
  // The digits as shown while revealed, else null: state and text read in one step of the page.
  const revealed = () => page.evaluate(() => {
    const el = document.getElementById('digits');
    return el?.getAttribute('aria-pressed') === 'true' ? el.textContent : null;
  });
  let text = await revealed();
  if (text === null) {
    await page.tap('#digits');
    // The click a touch becomes may arrive after tap() has returned: wait for the reveal.
    const until = Date.now() + 5_000;
    while ((text = await revealed()) === null) {
      if (Date.now() > until) throw new Error('tapping the digits did not reveal them');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const digits = text.replace(/\s+/g, '');
  assert.match(digits, /^\d{16,24}$/, `revealed digits look wrong: ${JSON.stringify(text)}`);
  return digits;
}

/**
 * Starts watching for the next `rotated` event (through the public page
 * API); resolves to {next()}, which resolves to that event's masked digits.
 * Watching and waiting are two calls: a WebDriver session runs one command
 * at a time, so the page cannot be waited on while the test acts on it.
 */
export async function watchRotation(page) {
  await page.evaluate(() => {
    window.__nextRotation = null;
    const off = window.PayCodeWallet.on('rotated', (event) => {
      off();
      window.__nextRotation = event.masked;
    });
  });
  return {
    next: async () => {
      await page.waitForFunction(() => window.__nextRotation !== null, null, { timeout: 70_000 });
      return page.evaluate(() => window.__nextRotation);
    },
  };
}

/** A short fingerprint (SHA-256, hex) of what the barcode canvas shows right now. */
export function barcodePixels(page) {
  return page.evaluate(canvasFingerprint);
}

/** In-page: SHA-256 of the barcode canvas's PNG (short enough for assertion messages). */
export async function canvasFingerprint() {
  const url = document.getElementById('barcode').toDataURL();
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Make sure at least `seconds` remain before the next time-step rotation; if
 * not, wait for it (with an installed page clock, jump to it instead).
 */
export async function ensureTimeLeft(page, seconds, { fastForward = false } = {}) {
  const text = await page.textContent('#countdown');
  const left = Number((text.match(/\d+/) ?? ['0'])[0]);
  if (left >= seconds) return;
  const rotation = await watchRotation(page);
  if (fastForward) await page.clock.fastForward(left * 1000 + 200);
  await rotation.next();
}

/**
 * Pauses the page's installed clock a moment ahead of its own now. The page
 * clock runs on while the call travels, so on a busy machine the moment may
 * already be past when it arrives ("Cannot fast-forward to the past"): then
 * it is read again and retried. Resolves to the paused time.
 */
export async function pauseSoon(page, ahead = 100) {
  for (let attempt = 1; ; attempt++) {
    try {
      const at = (await page.evaluate(() => Date.now())) + ahead;
      await page.clock.pauseAt(at);
      return at;
    } catch (error) {
      if (attempt === 10 || !/past/.test(String(error))) throw error;
    }
  }
}

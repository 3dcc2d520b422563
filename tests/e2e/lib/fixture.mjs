// What every e2e test file needs: www/ served on 127.0.0.1, Chromium, an
// issuer database, and helpers to drive the wallet page like a person would.

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
 * database), the browser and a temporary issuer database.
 */
export async function startFixture({ demoIssuer = true } = {}) {
  const { db, cleanup } = await issuerDb();
  const mounts = process.env.E2E_PKG_DIR ? { '/pkg/': process.env.E2E_PKG_DIR } : {};
  const server = await serveStatic(WWW, { mounts, demoCard: demoIssuer ? () => provision(db) : null });
  const browser = await launch();
  const shots = await mkdtemp(path.join(tmpdir(), 'paycode-shots-'));
  return {
    db,
    server,
    browser,
    shots,
    // Two funding sources, so the picker has a real choice.
    newLink: () => provision(db, ['--issuer', 'Demo Bank', '--funding', 'balance,debit:ICBC:1234']),
    newContext: (options) => phoneContext(browser, options),
    async close() {
      await browser.close();
      await server.close();
      await cleanup();
    },
  };
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
  const pressed = await page.getAttribute('#digits', 'aria-pressed');
  if (pressed !== 'true') await page.tap('#digits');
  const text = await page.textContent('#digits');
  const digits = text.replace(/\s+/g, '');
  assert.match(digits, /^\d{16,24}$/, `revealed digits look wrong: ${JSON.stringify(text)}`);
  return digits;
}

/** Resolves when `fn` is called with a `rotated` event (through the public page API). */
export function nextRotation(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const off = window.PayCodeWallet.on('rotated', (event) => {
      off();
      resolve(event.masked);
    });
  }));
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
  const rotated = nextRotation(page);
  if (fastForward) await page.clock.fastForward(left * 1000 + 200);
  await rotated;
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

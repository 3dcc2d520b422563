// Debian's Chromium driven by playwright-core (no browser download is needed),
// emulating a phone: 360×740 CSS px at devicePixelRatio 3, touch.

import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../../../.ci/chromium-flags.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

export const PHONE = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 3,
  hasTouch: true,
  isMobile: true,
};

/** A fresh phone-like context; page errors and console output are collected for the test to check. */
export async function phoneContext(browser, options = {}) {
  const context = await browser.newContext({ ...PHONE, serviceWorkers: 'allow', ...options });
  const log = [];
  context.on('page', (page) => watch(page, log));
  context.log = log;
  return context;
}

function watch(page, log) {
  page.on('console', (msg) => log.push(`console.${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (error) => log.push(`pageerror: ${error.message}`));
}

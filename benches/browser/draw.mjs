#!/usr/bin/env node
// Times ways of drawing the two symbols (draw.js) in the benchmark's
// Chromium at DPR 3 and 1. Diagnosis for the refresh benchmark, not part of
// `make bench-browser`. Needs benches/browser/vendor (made by run.mjs).
//
// Usage: node benches/browser/draw.mjs [--n 1000]

import { HERE, launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';

const n = Number(process.argv[process.argv.indexOf('--n') + 1] || 1000) || 1000;

const server = await serve({ '/bench/': HERE });
const browser = await launchChromium();
try {
  for (const dpr of [3, 1]) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: dpr, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${server.url}/bench/draw.html`);
    await page.waitForFunction(() => window.drawReady === true);
    const result = await page.evaluate((count) => window.runDraw({ n: count }), n);
    console.log(`DPR ${dpr}: both symbols drawn + settled, ms per draw (batches of 20, N = ${n})`);
    for (const [name, t] of Object.entries(result)) {
      console.log(`  ${name.padEnd(16)} mean ${t.mean.toFixed(3)}  p50 ${t.p50.toFixed(3)}  p99 ${t.p99.toFixed(3)}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}

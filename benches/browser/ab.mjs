#!/usr/bin/env node
// A/B of two wasm builds in one page (ab.html): settled refreshes, batches
// alternating, at each DPR; several rounds, each in a fresh context, which
// of the two loads first alternating. Diagnosis, not part of
// `make bench-browser`; run.mjs --pkg gives the ratio to the JS stack.
//
// Usage: node benches/browser/ab.mjs --a DIR --b DIR [--n 2000] [--batch 20] [--rounds 3] [--dpr 3,1]

import os from 'node:os';
import path from 'node:path';
import { HERE, launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';

const o = { a: null, b: null, n: 2000, batch: 20, warmup: 100, rounds: 3, dpr: '3,1' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in o) || argv[i + 1] === undefined) throw new Error(`bad option ${argv[i]}`);
  o[key] = typeof o[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
}
if (!o.a || !o.b) throw new Error('--a DIR and --b DIR are required');
if (o.n % o.batch !== 0) throw new Error('--n must be a multiple of --batch');

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const server = await serve({ '/a/': path.resolve(o.a), '/b/': path.resolve(o.b), '/bench/': HERE });
const browser = await launchChromium();
console.log(`A = ${o.a}, B = ${o.b}; settled refresh, ms; N = ${o.n} each per round, batches of ${o.batch}; load average at start ${load()}`);
try {
  for (const dpr of o.dpr.split(',').map(Number)) {
    for (let round = 0; round < o.rounds; round += 1) {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: dpr, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto(`${server.url}/bench/ab.html`);
      await page.waitForFunction(() => window.abReady === true);
      const r = await page.evaluate((opts) => window.runAb(opts), { n: o.n, batch: o.batch, warmup: o.warmup });
      const f = (t) => `mean ${t.mean.toFixed(3)}  p50 ${t.p50.toFixed(3)}  p99 ${t.p99.toFixed(3)}`;
      console.log(`DPR ${dpr} round ${round + 1}: A ${f(r.a)} | B ${f(r.b)} | B/A mean ${(r.b.mean / r.a.mean).toFixed(3)}; backing stores ${JSON.stringify(r.sizes.a)}; load ${load()}`);
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}

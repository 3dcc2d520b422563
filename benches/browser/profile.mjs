#!/usr/bin/env node
// Where a refresh's time goes: the V8 sampling profiler (Chrome DevTools
// Protocol, through playwright's CDP session) over many refreshes of one
// stack on the benchmark page. Prints the functions with the most self time;
// browser work called from JS (putImageData, layout, canvas resizes) is
// charged to the JS function that called it, here wasm-bindgen's `__wbg_*`
// import shims.
//
// Usage: node benches/browser/profile.mjs [--stack ours|js] [--n 1000] [--dpr 3] [--pkg www/pkg]

import path from 'node:path';
import { HERE, ROOT, launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';


const o = { stack: 'ours', n: 1000, dpr: 3, pkg: path.join(ROOT, 'www/pkg'), top: 25 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in o)) throw new Error(`unknown option ${argv[i]}`);
  o[key] = typeof o[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
}
o.pkg = path.resolve(o.pkg);

const server = await serve({ '/': path.join(ROOT, 'www'), '/pkg/': o.pkg, '/bench/': HERE });
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: o.dpr, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/bench/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  // Set up and warm both stacks (the vendor bundles must exist: run run.mjs once).
  await page.evaluate(() => window.runBench({ n: 20, batch: 20, warmup: 50, settle: true }));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await page.evaluate(({ stack, n }) => window.profileRefreshes(stack, n), { stack: o.stack, n: o.n });
  const { profile } = await cdp.send('Profiler.stop');

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url ? path.basename(f.url) : ''}`.trim();
    const dt = (deltas[i + 1] ?? 0) / 1000;
    total += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  const idle = (self.get('(idle)') ?? 0) + (self.get('(program)') ?? 0);
  console.log(`${o.stack}: ${o.n} settled refreshes at DPR ${o.dpr}; ${total.toFixed(1)} ms sampled (${(total / o.n).toFixed(3)} ms per refresh), ${idle.toFixed(1)} ms idle/program`);
  console.log('  self ms   per refresh   share  function');
  for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, o.top)) {
    console.log(`  ${t.toFixed(1).padStart(7)}   ${(t / o.n).toFixed(4).padStart(9)}   ${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
} finally {
  await browser.close();
  await server.close();
}

// Two wasm builds of the wallet (A at /a/, B at /b/) on one page, each with
// its own PaymentCode on canvases of the same CSS boxes, timed like
// bench.js's settled refresh: batches alternating A and B (which goes first
// alternates too), so both see the same machine load.

import { LINK, PERIOD_S } from './fixture.js';

const $ = (id) => document.getElementById(id);
const CODE = /^\d{18}$/;

// As in bench.js: a page clock moved 4 s before each refresh, so every
// refresh is a fresh code within or across steps, for both builds alike.
let pageClock = Date.now();
Date.now = () => pageClock;
const CLOCK_STEP_MS = (PERIOD_S * 1000) / 15;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

async function build(name) {
  const glue = await import(`/${name}/paycode_wallet.js`);
  await glue.default();
  const canvases = [$(`${name}-barcode`), $(`${name}-qr`)];
  const view = glue.PaymentCode.fromLink(LINK, { barcode: canvases[0], qr: canvases[1] });
  return {
    canvases,
    digits: () => view.digits,
    refresh() {
      pageClock += CLOCK_STEP_MS;
      view.refresh();
    },
  };
}

window.runAb = async ({ n, batch, warmup }) => {
  const stacks = { a: await build('a'), b: await build('b') };
  const flush = (canvases) => {
    for (const canvas of canvases) canvas.getContext('2d').getImageData(0, 0, 1, 1);
    return document.documentElement.offsetHeight;
  };
  for (const stack of Object.values(stacks)) {
    for (let i = 0; i < warmup; i += 1) {
      stack.refresh();
      flush(stack.canvases);
    }
  }
  const means = { a: [], b: [] };
  const last = { a: stacks.a.digits(), b: stacks.b.digits() };
  for (let k = 0; k < n / batch; k += 1) {
    for (const name of k % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const stack = stacks[name];
      document.documentElement.offsetHeight;
      const t0 = performance.now();
      for (let i = 0; i < batch; i += 1) {
        stack.refresh();
        flush(stack.canvases);
      }
      means[name].push((performance.now() - t0) / batch);
      const digits = stack.digits();
      if (!CODE.test(digits) || digits === last[name]) throw new Error(`${name}: batch ${k} without a new code`);
      last[name] = digits;
    }
    await nextFrame();
  }
  const out = {};
  for (const [name, m] of Object.entries(means)) {
    const sorted = [...m].sort((x, y) => x - y);
    out[name] = { mean: m.reduce((x, y) => x + y, 0) / m.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }
  out.sizes = Object.fromEntries(Object.entries(stacks).map(([k, s]) => [k, s.canvases.map((c) => [c.width, c.height])]));
  return out;
};
window.abReady = true;

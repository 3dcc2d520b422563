// The refresh benchmark page: our PaymentCode and the JS stack on the same
// page, in the same CSS boxes, drawing the same device pixels on screen
// (ours keeps the barcode's backing store one row, which layout stretches
// to the CSS height; JsBarcode draws every row). The runner
// calls window.runBench(); it resolves to timings and checks, or rejects if
// any refresh failed to produce a code.

import init, { PaymentCode } from '/pkg/paycode_wallet.js';
import { LINK, SECRET, TOKEN, ISSUER_TIME, PERIOD_S } from './fixture.js';
import { createJsStack, plan } from './stack.js';

const $ = (id) => document.getElementById(id);
const CODE = /^\d{18}$/;

// A page clock the benchmark moves: PaymentCode reads Date.now(), and a step
// has at most 16 codes, so 2000 refreshes need the clock to go forward.
// 15 refreshes per step keeps every refresh a fresh code (counter ≤ 14).
const realNow = Date.now.bind(Date);
let pageClock = realNow();
Date.now = () => pageClock;
const CLOCK_STEP_MS = (PERIOD_S * 1000) / 15;

function percentile(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summary(batchMeans, singles) {
  const sorted = [...batchMeans].sort((a, b) => a - b);
  const singleSorted = [...singles].sort((a, b) => a - b);
  const mean = batchMeans.reduce((a, b) => a + b, 0) / batchMeans.length;
  return {
    mean,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    single: {
      p50: percentile(singleSorted, 50),
      p99: percentile(singleSorted, 99),
      max: singleSorted[singleSorted.length - 1],
    },
  };
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/**
 * After the frame between batches, how long to wait before the next batch.
 * The rAF callback runs before the frame is rastered and composited, on
 * other threads; without the wait that work overlaps the first refreshes
 * of the next batch on this 2-core machine (docs/BENCHMARKS.md).
 */
const FRAME_SETTLE_MS = 20;
const settleFrame = async () => {
  await nextFrame();
  await new Promise((resolve) => setTimeout(resolve, FRAME_SETTLE_MS));
};

/** The smallest step performance.now() shows here (it is coarsened). */
function timerResolution() {
  let smallest = Infinity;
  let last = performance.now();
  for (let i = 0; i < 200_000 && smallest > 0.001; i += 1) {
    const now = performance.now();
    if (now !== last) {
      smallest = Math.min(smallest, now - last);
      last = now;
    }
  }
  return smallest;
}

/** A canvas's size on screen in device pixels: its CSS box × DPR. */
function screenPixels(canvas) {
  const rect = canvas.getBoundingClientRect();
  return [Math.round(rect.width * devicePixelRatio), Math.round(rect.height * devicePixelRatio)];
}

async function setup() {
  await init();
  let oursRotations = 0;
  const ours = PaymentCode.fromLink(LINK, {
    barcode: $('ours-barcode'),
    qr: $('ours-qr'),
    onRotate: () => {
      oursRotations += 1;
    },
  });
  const oursBar = $('ours-barcode');
  const oursQr = $('ours-qr');
  const sizes = {
    barcodeWidth: oursBar.width,
    // Not oursBar.height: that backing store is one row.
    barcodeHeight: screenPixels(oursBar)[1],
    qrSide: Math.min(oursQr.width, oursQr.height),
    sampleDigits: ours.digits,
  };
  let jsRotations = 0;
  const js = createJsStack({
    secretBase32: SECRET,
    token: TOKEN,
    step: Math.floor(ISSUER_TIME / PERIOD_S),
    barcode: $('js-barcode'),
    qr: $('js-qr'),
    options: plan(sizes),
    onRotate: () => {
      jsRotations += 1;
    },
  });
  js.refresh();
  const canvases = ['ours-barcode', 'ours-qr', 'js-barcode', 'js-qr'].map((id) => $(id));
  const contexts = canvases.map((c) => c.getContext('2d'));
  return {
    sizes,
    canvases,
    contexts,
    ours: {
      refresh() {
        pageClock += CLOCK_STEP_MS;
        ours.refresh();
      },
      digits: () => ours.digits,
      rotations: () => oursRotations,
      canvases: canvases.slice(0, 2),
    },
    js: {
      refresh: () => js.refresh(),
      digits: () => js.digits,
      rotations: () => jsRotations,
      canvases: canvases.slice(2),
    },
  };
}

/**
 * Time `n` refreshes of each stack in batches of `batch`, alternating which
 * stack goes first. `settle`: after each refresh read one pixel back from
 * both of its canvases and force style/layout, so work the browser defers
 * (recorded canvas commands, style changes) is paid inside the timed region.
 */
async function measure(env, { n, batch, warmup, settle }) {
  const stacks = { ours: env.ours, js: env.js };
  const flush = (canvases) => {
    for (const canvas of canvases) canvas.getContext('2d').getImageData(0, 0, 1, 1);
    return document.documentElement.offsetHeight;
  };
  for (const stack of Object.values(stacks)) {
    for (let i = 0; i < warmup; i += 1) {
      stack.refresh();
      if (settle) flush(stack.canvases);
    }
  }
  const results = {};
  const last = {};
  const startRotations = {};
  for (const [name, stack] of Object.entries(stacks)) {
    results[name] = { batchMeans: [], singles: [] };
    last[name] = stack.digits();
    startRotations[name] = stack.rotations();
  }
  const batches = Math.ceil(n / batch);
  const stamps = new Float64Array(batch + 1);
  for (let b = 0; b < batches; b += 1) {
    const order = b % 2 === 0 ? ['ours', 'js'] : ['js', 'ours'];
    for (const name of order) {
      const stack = stacks[name];
      document.documentElement.offsetHeight; // start from a clean layout
      stamps[0] = performance.now();
      if (settle) {
        for (let i = 1; i <= batch; i += 1) {
          stack.refresh();
          flush(stack.canvases);
          stamps[i] = performance.now();
        }
      } else {
        for (let i = 1; i <= batch; i += 1) {
          stack.refresh();
          stamps[i] = performance.now();
        }
      }
      const r = results[name];
      r.batchMeans.push((stamps[batch] - stamps[0]) / batch);
      for (let i = 1; i <= batch; i += 1) r.singles.push(stamps[i] - stamps[i - 1]);
      const digits = stack.digits();
      if (!CODE.test(digits) || digits === last[name]) {
        throw new Error(`${name}: batch ${b} ended without a new 18-digit code (${digits.length} chars)`);
      }
      last[name] = digits;
    }
    await settleFrame(); // let the page paint between batches, outside the timed region
  }
  const out = {};
  for (const [name, stack] of Object.entries(stacks)) {
    const made = stack.rotations() - startRotations[name];
    if (made !== batches * batch) {
      throw new Error(`${name}: ${made} codes from ${batches * batch} refreshes`);
    }
    out[name] = { refreshes: made, ...summary(results[name].batchMeans, results[name].singles) };
  }
  return out;
}

let envPromise = null;

window.runBench = async (options) => {
  envPromise ??= setup();
  const env = await envPromise;
  const [ob, oq, jb, jq] = env.canvases;
  // Backing stores, and the device pixels each canvas covers on screen.
  const canvasSizes = {
    ours: { barcode: [ob.width, ob.height], qr: [oq.width, oq.height] },
    js: { barcode: [jb.width, jb.height], qr: [jq.width, jq.height] },
    screen: {
      ours: { barcode: screenPixels(ob), qr: screenPixels(oq) },
      js: { barcode: screenPixels(jb), qr: screenPixels(jq) },
    },
  };
  const same = (a, b) => a[0] === b[0] && a[1] === b[1];
  const { screen } = canvasSizes;
  // Both stacks cover the same device pixels; the JS stack's backing stores
  // are those device pixels one for one, ours are across (and down but for
  // our barcode's one row), so both stacks draw as many pixels across.
  const fair =
    same(screen.ours.barcode, screen.js.barcode) &&
    same(screen.ours.qr, screen.js.qr) &&
    same(canvasSizes.js.barcode, screen.js.barcode) &&
    same(canvasSizes.js.qr, screen.js.qr) &&
    same(canvasSizes.ours.qr, screen.ours.qr) &&
    ob.width === screen.ours.barcode[0] &&
    (ob.height === screen.ours.barcode[1] || ob.height === 1);
  if (!fair) {
    throw new Error(`canvas sizes differ: ${JSON.stringify(canvasSizes)}`);
  }
  const timings = await measure(env, options);
  return {
    timings,
    canvasSizes,
    timerResolutionMs: timerResolution(),
    devicePixelRatio: window.devicePixelRatio,
    userAgent: navigator.userAgent,
  };
};

/** For profile.mjs: `n` settled refreshes of one stack, untimed. */
window.profileRefreshes = async (name, n) => {
  const env = await envPromise;
  const stack = env[name];
  for (let i = 0; i < n; i += 1) {
    stack.refresh();
    for (const canvas of stack.canvases) canvas.getContext('2d').getImageData(0, 0, 1, 1);
    void document.documentElement.offsetHeight;
  }
};

window.benchReady = true;

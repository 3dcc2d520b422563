#!/usr/bin/env node
// Browser benchmarks of the wallet against the JavaScript stack a web
// developer would use instead (otpauth + jsbarcode + qrcode), in one headless
// Chromium run on a loopback static server:
//   1. refresh: new code + Code 128 + QR on canvas, N times each, timed in batches
//   2. bytes shipped, gzip -9
//   3. time to first code drawn, from navigation start, cold (fresh context each load)
// Prints a table. Exits 1 if a refresh fails to produce a code or a page never
// draws one; timings are reported, never asserted.
//
// Usage: node benches/browser/run.mjs [--n 2000] [--batch 20] [--warmup 100]
//        [--loads 15] [--dpr 3,1] [--pkg www/pkg] [--www www] [--json out.json]
// (--pkg / --www: measure another build or page, e.g. a candidate fix, the same way)

import { execFileSync } from 'node:child_process';
import { readFile, mkdir, copyFile, stat, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { HERE, ROOT, launchChromium } from './chromium.mjs';
import { build } from 'esbuild';
import { serve } from './server.mjs';
import { LINK } from './fixture.js';

const VENDOR = path.join(HERE, 'vendor');
const MODULES = path.join(HERE, 'node_modules');


function options(argv) {
  const o = { n: 2000, batch: 20, warmup: 100, loads: 15, dpr: [3, 1], pkg: path.join(ROOT, 'www/pkg'), www: path.join(ROOT, 'www'), json: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${key} needs a value`);
    if (key === '--n') o.n = Number(value);
    else if (key === '--batch') o.batch = Number(value);
    else if (key === '--warmup') o.warmup = Number(value);
    else if (key === '--loads') o.loads = Number(value);
    else if (key === '--dpr') o.dpr = value.split(',').map(Number);
    else if (key === '--pkg') o.pkg = path.resolve(value);
    else if (key === '--www') o.www = path.resolve(value);
    else if (key === '--json') o.json = path.resolve(value);
    else throw new Error(`unknown option ${key}`);
  }
  for (const k of ['n', 'batch', 'warmup', 'loads']) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} must be a positive integer`);
  }
  if (o.n % o.batch !== 0) throw new Error('--n must be a multiple of --batch');
  return o;
}

// The three libraries as a web developer ships them: the minified browser
// builds the packages publish, and for qrcode (whose package has none since
// 1.5) the same made by esbuild from its browser entry.
const LIBRARIES = [
  { name: 'otpauth 9.5.2', file: 'otpauth.umd.min.js', from: 'otpauth/dist/otpauth.umd.min.js' },
  { name: 'jsbarcode 3.12.3', file: 'JsBarcode.code128.min.js', from: 'jsbarcode/dist/barcodes/JsBarcode.code128.min.js' },
  { name: 'qrcode 1.5.4', file: 'qrcode.min.js', esbuild: true },
];

async function vendor() {
  await mkdir(VENDOR, { recursive: true });
  for (const lib of LIBRARIES) {
    const out = path.join(VENDOR, lib.file);
    if (lib.esbuild) {
      await build({
        stdin: { contents: "module.exports = require('qrcode');", resolveDir: HERE, sourcefile: 'qrcode-entry.js' },
        bundle: true,
        minify: true,
        format: 'iife',
        globalName: 'QRCode',
        platform: 'browser',
        target: 'es2018',
        outfile: out,
        logLevel: 'error',
      });
    } else {
      await copyFile(path.join(MODULES, lib.from), out);
    }
  }
}

/** gzip -9 size: the gzip program when there is one (as .ci/size-budget.sh measures), else zlib. */
function gzipSize(file, body) {
  try {
    return execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 64 << 20 }).length;
  } catch {
    return gzipSync(body, { level: 9 }).length;
  }
}

async function sizeOf(file) {
  const body = await readFile(file);
  return { file, raw: body.length, gzip: gzipSize(file, body) };
}

async function sizes(pkg) {
  const ours = [];
  for (const f of ['paycode_wallet_bg.wasm', 'paycode_wallet.js']) ours.push(await sizeOf(path.join(pkg, f)));
  const theirs = [];
  for (const lib of LIBRARIES) theirs.push({ name: lib.name, ...(await sizeOf(path.join(VENDOR, lib.file))) });
  return { ours, theirs };
}

const PHONE = { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true };

// The machine's CPU time in ticks: all, and stolen by the hypervisor (the
// 8th field of /proc/stat's "cpu" line). Stolen time stalls a refresh for
// a whole slice; the share is printed with each run, for reading its tail.
async function cpuTicks() {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '');
  const fields = (stat.match(/^cpu\s+(.+)$/m)?.[1] ?? '').trim().split(/\s+/).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

async function refreshBench(browser, base, dpr, o) {
  const context = await browser.newContext({ ...PHONE, deviceScaleFactor: dpr });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${base}/bench/bench.html`);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 15_000 });
    const run = (settle) => page.evaluate(
      (args) => window.runBench(args),
      { n: o.n, batch: o.batch, warmup: o.warmup, settle },
    );
    const measured = async (settle) => {
      const before = await cpuTicks();
      const result = await run(settle);
      const after = await cpuTicks();
      const total = after.total - before.total;
      return { ...result, stealShare: total > 0 ? (after.steal - before.steal) / total : null };
    };
    const settled = await measured(true);
    const calls = await measured(false);
    if (errors.length) throw new Error(errors.join('; '));
    return { dpr, settled, calls };
  } finally {
    await context.close();
  }
}

// Records, in the page, when both #barcode and #qr have been drawn on, and
// the first animation frame after that. Installed before any page script.
function firstCodeProbe() {
  const last = {};
  let armed = true;
  window.__firstCode = null;
  const mark = (ctx) => {
    const id = ctx.canvas?.id;
    if (id !== 'barcode' && id !== 'qr') return;
    last[id] = performance.now();
    if (armed && last.barcode !== undefined && last.qr !== undefined) {
      armed = false;
      // The rAF timestamp is the frame's begin time, which may predate the
      // draw; the callback's own clock reading is when that frame runs.
      requestAnimationFrame(() => {
        window.__firstCode = { drawn: Math.max(last.barcode, last.qr), frame: performance.now() };
      });
    }
  };
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of ['putImageData', 'fillRect']) {
    const original = proto[name];
    proto[name] = function drawAndMark(...args) {
      const result = original.apply(this, args);
      mark(this);
      return result;
    };
  }
}

const FIRST_CODE_PAGES = [
  { key: 'wallet', label: 'wallet www/index.html (#provision=)', path: `/#provision=${encodeURIComponent(LINK)}` },
  { key: 'wasmMin', label: 'wasm, minimal page', path: '/bench/wasm-first.html' },
  { key: 'jsMin', label: 'JS stack, minimal page', path: '/bench/js-first.html' },
];

async function firstCode(browser, base, loads) {
  const samples = Object.fromEntries(FIRST_CODE_PAGES.map((p) => [p.key, []]));
  for (let i = 0; i < loads; i += 1) {
    for (const target of FIRST_CODE_PAGES) {
      const context = await browser.newContext({ ...PHONE, deviceScaleFactor: 3 });
      await context.addInitScript(firstCodeProbe);
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(`${base}${target.path}`);
        const handle = await page.waitForFunction(() => window.__firstCode, null, { timeout: 15_000 })
          .catch(() => null);
        if (!handle) throw new Error(`${target.label}: no code drawn within 15 s ${errors.join('; ')}`);
        const mark = await handle.jsonValue();
        const timing = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
          return {
            domContentLoaded: nav?.domContentLoadedEventEnd,
            wasmStart: wasm?.startTime,
            wasmEnd: wasm?.responseEnd,
          };
        });
        samples[target.key].push({ ...mark, ...timing });
      } finally {
        await context.close();
      }
    }
  }
  return samples;
}

// --- printing ----------------------------------------------------------------

const ms = (x) => (x === undefined || x === null || Number.isNaN(x) ? '   -   ' : x.toFixed(3).padStart(7));
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function printRefresh(run, o) {
  for (const mode of ['settled', 'calls']) {
    const r = run[mode];
    const { ours, js } = r.timings;
    const title = mode === 'settled'
      ? 'refresh, settled (each refresh + 1-px readback of both canvases + layout)'
      : 'refresh, calls only (deferred canvas/layout work not forced)';
    const { ours: store, screen } = r.canvasSizes;
    const bar = `barcode ${screen.ours.barcode.join('×')} px (ours stores ${store.barcode.join('×')})`;
    console.log(`\n${title}; DPR ${run.dpr}; ${bar}, QR ${screen.ours.qr.join('×')} px`);
    const steal = r.stealShare === null ? 'unknown' : `${(r.stealShare * 100).toFixed(1)} %`;
    console.log(`  N = ${o.n} per stack, batches of ${o.batch}, stacks alternating; timer step ${r.timerResolutionMs.toFixed(3)} ms; CPU stolen by the hypervisor ${steal}`);
    console.log('  stack                        mean ms   p50 ms   p99 ms   max ms | single p50  p99 ms');
    for (const [name, t] of [['wasm PaymentCode.refresh()', ours], ['JS otpauth+jsbarcode+qrcode', js]]) {
      console.log(`  ${name.padEnd(27)} ${ms(t.mean)}  ${ms(t.p50)}  ${ms(t.p99)}  ${ms(t.max)} |   ${ms(t.single.p50)} ${ms(t.single.p99)}`);
    }
    console.log(`  JS / wasm                   ${(js.mean / ours.mean).toFixed(2).padStart(6)}×  ${(js.p50 / ours.p50).toFixed(2).padStart(6)}×  ${(js.p99 / ours.p99).toFixed(2).padStart(6)}×`);
  }
}

function printSizes(s) {
  console.log('\nbytes shipped (gzip -9)');
  let ours = 0;
  for (const f of s.ours) {
    ours += f.gzip;
    console.log(`  wasm  ${path.relative(ROOT, f.file).padEnd(44)} ${String(f.raw).padStart(7)} raw ${String(f.gzip).padStart(7)} gz`);
  }
  console.log(`  wasm  total                                        ${String(ours).padStart(15)} gz (${kb(ours)})`);
  let theirs = 0;
  for (const f of s.theirs) {
    theirs += f.gzip;
    console.log(`  JS    ${f.name.padEnd(17)} ${path.relative(ROOT, f.file).padEnd(26)} ${String(f.raw).padStart(7)} raw ${String(f.gzip).padStart(7)} gz`);
  }
  console.log(`  JS    total                                        ${String(theirs).padStart(15)} gz (${kb(theirs)})`);
  console.log(`  wasm / JS = ${(ours / theirs).toFixed(2)}×`);
  return { ours, theirs };
}

function printFirstCode(samples) {
  console.log('\nfirst code on canvas, ms from navigation start (cold: fresh context per load; DPR 3)');
  console.log('  page                                   drawn p50   min    max | next frame p50 | DOMContentLoaded p50 | wasm requested, fetched p50');
  for (const target of FIRST_CODE_PAGES) {
    const s = samples[target.key];
    const drawn = s.map((x) => x.drawn);
    const frame = s.map((x) => x.frame);
    const dcl = s.map((x) => x.domContentLoaded);
    const wasmStart = s.map((x) => x.wasmStart).filter((x) => x !== undefined);
    const wasmEnd = s.map((x) => x.wasmEnd).filter((x) => x !== undefined);
    const wasm = wasmEnd.length ? `${ms(median(wasmStart))}, ${ms(median(wasmEnd))}` : '   -   ';
    console.log(`  ${target.label.padEnd(37)} ${ms(median(drawn))} ${ms(Math.min(...drawn))} ${ms(Math.max(...drawn))} |       ${ms(median(frame))} |              ${ms(median(dcl))} | ${wasm}`);
  }
}

async function machine(browser) {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return { cores: os.cpus().length, cpu: model, chromium: browser.version(), node: process.version };
}

async function main() {
  const o = options(process.argv.slice(2));
  for (const f of ['paycode_wallet.js', 'paycode_wallet_bg.wasm']) {
    if (!(await stat(path.join(o.pkg, f)).catch(() => null))) {
      throw new Error(`${path.join(o.pkg, f)} is missing: run \`make build\` first`);
    }
  }
  await vendor();
  const server = await serve({ '/': o.www, '/pkg/': o.pkg, '/bench/': HERE });
  const browser = await launchChromium();
  try {
    const info = await machine(browser);
    console.log(`machine: ${info.cores} cores, ${info.cpu}; Chromium ${info.chromium}; Node ${info.node}`);
    console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (other work on the machine inflates every number)`);
    const refresh = [];
    for (const dpr of o.dpr) refresh.push(await refreshBench(browser, server.url, dpr, o));
    const byteSizes = await sizes(o.pkg);
    const first = await firstCode(browser, server.url, o.loads);

    for (const run of refresh) printRefresh(run, o);
    const totals = printSizes(byteSizes);
    printFirstCode(first);
    console.log(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    if (o.json) {
      await writeFile(o.json, JSON.stringify({ machine: info, options: o, refresh, sizes: byteSizes, totals, firstCode: first }, null, 2));
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error) => {
  console.error(`bench-browser: ${error.message}`);
  process.exit(1);
});

#!/usr/bin/env node
// Where the first code's time goes: the wallet page loaded many times, each
// load instrumented by an init script (no change to the page) that records,
// from navigation start, when the page's own steps happen; plus resource and
// navigation timing. Optionally one Chrome trace per page, summarised as main
// thread time per trace event (HTML parsing, script compile and run, wasm
// compile, style, layout, paint).
//
// Scenarios:
//   provision  www/index.html#provision=<link>, cold: fresh context, empty
//              HTTP cache, IndexedDB and service worker (as run.mjs)
//   stored     a card provisioned and stored, its service worker active, then
//              a new navigation to www/index.html (a phone user opening the
//              wallet again: the page, modules and wasm come from the
//              service worker's cache, the card from IndexedDB)
//   wasmMin, jsMin   run.mjs's minimal pages, cold, for comparison
//   floor      one HTML file whose inline script fills both canvases: the
//              browser's own cost of a navigation and a frame
//
// Usage: node benches/browser/first-code.mjs [--loads 15] [--pages provision,stored,wasmMin,jsMin,floor]
//        [--www www[,DIR[:PKG]...]] [--pkg www/pkg] [--trace DIR] [--json out.json]
// Several --www directories (a candidate page beside the tree's, each with
// --pkg or its own PKG directory as /pkg/) are measured
// in the same run, load by load in turn, each from its own server, so a busy
// machine weighs on all of them alike.

import { writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HERE, ROOT, launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';
import { LINK } from './fixture.js';

const PHONE = { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 };

function options(argv) {
  const o = { loads: 15, pages: ['provision', 'stored', 'wasmMin', 'jsMin', 'floor'], www: [[path.join(ROOT, 'www')]], pkg: path.join(ROOT, 'www/pkg'), trace: null, json: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${key} needs a value`);
    if (key === '--loads') o.loads = Number(value);
    else if (key === '--pages') o.pages = value.split(',');
    else if (key === '--www') o.www = value.split(',').map((dir) => dir.split(':').map((d) => path.resolve(d)));
    else if (key === '--pkg') o.pkg = path.resolve(value);
    else if (key === '--trace') o.trace = path.resolve(value);
    else if (key === '--json') o.json = path.resolve(value);
    else throw new Error(`unknown option ${key}`);
  }
  return o;
}

// Installed before any page script, in every document. Each probe records
// the first time (performance.now(), origin = navigation start) something
// happens; wrappers call the original and change nothing else.
function probe() {
  if (window.top !== window) return;
  const marks = {};
  window.__marks = marks;
  const mark = (name) => {
    if (!(name in marks)) marks[name] = performance.now();
  };
  const after = (name, promise) => {
    promise.then(() => mark(name), () => mark(`${name} (failed)`));
    return promise;
  };
  // app.js's first statement (a #provision= link leaves the address bar).
  const replaceState = History.prototype.replaceState;
  History.prototype.replaceState = function replaceStateMarked(...args) {
    mark('app.js runs (replaceState)');
    return replaceState.apply(this, args);
  };
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function openMarked(...args) {
    mark('IndexedDB open called');
    const req = open.apply(this, args);
    req.addEventListener('success', () => mark('IndexedDB opened'));
    return req;
  };
  const get = IDBObjectStore.prototype.get;
  IDBObjectStore.prototype.get = function getMarked(...args) {
    const req = get.apply(this, args);
    req.addEventListener('success', () => mark(`IndexedDB get ${args[0]} done`));
    return req;
  };
  if (globalThis.crypto?.subtle) {
    const decrypt = SubtleCrypto.prototype.decrypt;
    SubtleCrypto.prototype.decrypt = function decryptMarked(...args) {
      mark('decrypt called');
      return after('decrypt done', decrypt.apply(this, args));
    };
  }
  for (const name of ['instantiateStreaming', 'instantiate', 'compileStreaming']) {
    const original = WebAssembly[name];
    if (!original) continue;
    WebAssembly[name] = function wasmMarked(...args) {
      mark(`wasm ${name} called`);
      return after(`wasm ${name} done`, original.apply(this, args));
    };
  }
  const getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function getContextMarked(...args) {
    if (this.id === 'barcode' || this.id === 'qr') mark('first draw starts (getContext)');
    return getContext.apply(this, args);
  };
  const drawn = {};
  let armed = true;
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of ['putImageData', 'fillRect']) {
    const original = proto[name];
    proto[name] = function drawMarked(...args) {
      const result = original.apply(this, args);
      const id = this.canvas?.id;
      if (id === 'barcode' || id === 'qr') {
        drawn[id] = performance.now();
        if (armed && drawn.barcode !== undefined && drawn.qr !== undefined) {
          armed = false;
          marks['first code drawn'] = Math.max(drawn.barcode, drawn.qr);
          requestAnimationFrame(() => mark('next frame'));
        }
      }
      return result;
    };
  }
  const register = globalThis.ServiceWorkerContainer?.prototype.register;
  if (register) {
    ServiceWorkerContainer.prototype.register = function registerMarked(...args) {
      mark('service worker register called');
      return register.apply(this, args);
    };
  }
  document.addEventListener('DOMContentLoaded', () => mark('DOMContentLoaded'));
}

// The resources, navigation timing and marks of the page as it is now.
function collect() {
  const nav = performance.getEntriesByType('navigation')[0];
  const out = { ...window.__marks };
  out['HTML response start'] = nav.responseStart;
  out['HTML response end'] = nav.responseEnd;
  out['DOM interactive'] = nav.domInteractive;
  for (const r of performance.getEntriesByType('resource')) {
    const name = new URL(r.name).pathname.split('/').slice(-2).join('/');
    if (!/\.(js|wasm|css)$/.test(name)) continue;
    out[`  ${name} requested`] = r.startTime;
    out[`  ${name} received`] = r.responseEnd;
  }
  return out;
}

const PAGES = {
  provision: { label: 'wallet, #provision= link, cold', path: `/#provision=${encodeURIComponent(LINK)}` },
  stored: { label: 'wallet, stored card, service worker', path: '/', prepare: true },
  wasmMin: { label: 'wasm, minimal page, cold', path: '/bench/wasm-first.html' },
  jsMin: { label: 'JS stack, minimal page, cold', path: '/bench/js-first.html' },
  floor: { label: 'floor: inline script fills both canvases, cold', path: '/bench/floor-first.html' },
};

// Main-thread time of a Chrome trace between navigation and `until` (ms from
// navigation start), per top-level event name.
function summariseTrace(trace, until) {
  const events = JSON.parse(trace).traceEvents;
  const threads = new Map();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
  }
  const start = events.find((e) => e.name === 'navigationStart' && e.args?.data?.isLoadingMainFrame && e.args?.data?.documentLoaderURL?.startsWith('http'));
  if (!start) return null;
  const t0 = start.ts;
  const main = events.filter((e) => e.ph === 'X' && threads.get(`${e.pid}:${e.tid}`) === 'CrRendererMain' && e.ts >= t0 && e.ts <= t0 + until * 1000);
  main.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // Self time per event name, nested events subtracted from their parent.
  const self = new Map();
  const stack = [];
  for (const e of main) {
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur);
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur);
    stack.push(e);
  }
  // Busy time: the union of the events' intervals.
  let top = 0;
  let end = -Infinity;
  for (const e of main) {
    if (e.ts >= end) {
      top += e.dur;
      end = e.ts + e.dur;
    } else if (e.ts + e.dur > end) {
      top += e.ts + e.dur - end;
      end = e.ts + e.dur;
    }
  }
  return {
    busy: top / 1000,
    self: [...self].map(([name, us]) => [name, us / 1000]).filter(([, t]) => t >= 0.5).sort((a, b) => b[1] - a[1]),
  };
}

const TRACE_CATEGORIES = [
  'devtools.timeline', 'v8.execute', 'disabled-by-default-devtools.timeline', 'v8', 'v8.wasm',
  'blink', 'loading', 'navigation', 'blink.user_timing',
];

async function storedCard(context, base) {
  // Provision once, wait until the card is stored and the service worker
  // controls this origin; the measured navigation is the next one.
  const page = await context.newPage();
  await page.goto(`${base}/#provision=${encodeURIComponent(LINK)}`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 15_000 });
  await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    if (!reg.active) throw new Error('no active service worker');
  });
  await page.close();
}

async function load(browser, base, key, traceFile) {
  const target = PAGES[key];
  const context = await browser.newContext(PHONE);
  try {
    if (target.prepare) await storedCard(context, base);
    await context.addInitScript(probe);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (traceFile) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    await page.goto(`${base}${target.path}`);
    const ok = await page.waitForFunction(() => window.__marks?.['next frame'] !== undefined, null, { timeout: 15_000 })
      .catch(() => null);
    if (!ok) throw new Error(`${target.label}: no code drawn within 15 s ${errors.join('; ')}`);
    const marks = await page.evaluate(collect);
    let trace = null;
    if (traceFile) {
      const buffer = await browser.stopTracing();
      await writeFile(traceFile, buffer);
      trace = summariseTrace(buffer.toString(), marks['next frame']);
    }
    return { marks, trace };
  } finally {
    await context.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (x) => (x === undefined ? '      -' : x.toFixed(1).padStart(7));

function print(key, samples, variant) {
  console.log(`\n${PAGES[key].label}${variant}: ${samples.length} loads, ms from navigation start`);
  console.log('  step                                                p50      min      max');
  const names = new Set(samples.flatMap((s) => Object.keys(s.marks)));
  const rows = [...names].map((name) => {
    const xs = samples.map((s) => s.marks[name]).filter((x) => typeof x === 'number' && x > 0);
    return { name, xs, p50: xs.length ? median(xs) : undefined };
  }).filter((r) => r.xs.length);
  rows.sort((a, b) => a.p50 - b.p50);
  for (const r of rows) {
    const n = r.xs.length === samples.length ? '' : `  (${r.xs.length} of ${samples.length})`;
    console.log(`  ${r.name.padEnd(48)} ${ms(r.p50)}  ${ms(Math.min(...r.xs))}  ${ms(Math.max(...r.xs))}${n}`);
  }
}

function printTrace(key, trace, variant) {
  if (!trace) return;
  console.log(`\n${PAGES[key].label}${variant}: one traced load, renderer main thread until the next frame: ${trace.busy.toFixed(1)} ms busy`);
  for (const [name, t] of trace.self.slice(0, 18)) console.log(`  ${t.toFixed(1).padStart(7)} ms  ${name}`);
}

async function main() {
  const o = options(process.argv.slice(2));
  const variants = [];
  for (const [www, pkg = o.pkg] of o.www) {
    const server = await serve({ '/': www, '/pkg/': pkg, '/bench/': HERE });
    variants.push({ www, name: path.relative(ROOT, www).startsWith('..') ? www.split(path.sep).slice(-2).join('/') : path.relative(ROOT, www) || '.', server, samples: Object.fromEntries(o.pages.map((k) => [k, []])), traces: {} });
  }
  const label = (v) => (variants.length > 1 ? ` [${v.name}]` : '');
  const browser = await launchChromium();
  try {
    console.log(`Chromium ${browser.version()}; www ${variants.map((v) => v.name).join(', ')}; pkg ${path.relative(ROOT, o.pkg)}`);
    console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (let i = 0; i < o.loads; i += 1) {
      for (const key of o.pages) {
        for (const v of variants) v.samples[key].push(await load(browser, v.server.url, key, null));
      }
    }
    if (o.trace) {
      await mkdir(o.trace, { recursive: true });
      for (const [n, v] of variants.entries()) {
        for (const key of o.pages) {
          v.traces[key] = (await load(browser, v.server.url, key, path.join(o.trace, `${key}-${n}.json`))).trace;
        }
      }
    }
    for (const v of variants) for (const key of o.pages) print(key, v.samples[key], label(v));
    for (const v of variants) for (const key of o.pages) printTrace(key, v.traces[key], label(v));
    console.log('\nsummary, ms from navigation start            code drawn  min    p25    p50 | next frame  min    p25    p50');
    for (const key of o.pages) {
      for (const v of variants) {
        const drawn = v.samples[key].map((s) => s.marks['first code drawn']);
        const frame = v.samples[key].map((s) => s.marks['next frame']);
        console.log(`  ${(PAGES[key].label + label(v)).padEnd(44)} ${ms(Math.min(...drawn))}${ms(quantile(drawn, 0.25))}${ms(median(drawn))} |  ${ms(Math.min(...frame))}${ms(quantile(frame, 0.25))}${ms(median(frame))}`);
      }
    }
    console.log(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    if (o.json) await writeFile(o.json, JSON.stringify(variants.map(({ www, samples, traces }) => ({ www, samples, traces })), null, 2));
  } finally {
    await browser.close();
    for (const v of variants) await v.server.close();
  }
}

main().catch((error) => {
  console.error(`first-code: ${error.message}`);
  process.exit(1);
});

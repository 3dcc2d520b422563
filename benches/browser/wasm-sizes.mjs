#!/usr/bin/env node
// What takes the bytes in a wasm file: code size per function, from the
// "name" custom section (present in rustc's own output,
// target/wasm32-unknown-unknown/release/paycode_wallet.wasm, before
// wasm-bindgen and wasm-opt strip it), grouped by crate. Sizes are before
// wasm-opt, so they rank the culprits rather than give final bytes.
//
// Usage: node benches/browser/wasm-sizes.mjs [file.wasm] [--top 30]

import { readFileSync } from 'node:fs';

const file = process.argv[2] && !process.argv[2].startsWith('--')
  ? process.argv[2]
  : 'target/wasm32-unknown-unknown/release/paycode_wallet.wasm';
const topIndex = process.argv.indexOf('--top');
const TOP = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 30;
const bytes = readFileSync(file);

let pos = 8;
function leb() {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return result;
  }
}
function name() {
  const len = leb();
  const s = bytes.toString('utf8', pos, pos + len);
  pos += len;
  return s;
}

let imported = 0;
const bodies = [];
const names = new Map();
const sections = [];
let dataBytes = 0;
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = leb();
  const start = pos;
  const end = pos + size;
  if (id === 0) {
    const custom = name();
    sections.push({ id: `custom:${custom}`, size });
    if (custom === 'name') {
      while (pos < end) {
        const sub = bytes[pos++];
        const subSize = leb();
        const subEnd = pos + subSize;
        if (sub === 1) {
          const count = leb();
          for (let i = 0; i < count; i += 1) {
            const index = leb();
            names.set(index, name());
          }
        }
        pos = subEnd;
      }
    }
  } else {
    sections.push({ id, size });
    if (id === 2) {
      const count = leb();
      for (let i = 0; i < count; i += 1) {
        name();
        name();
        const kind = bytes[pos++];
        if (kind === 0) { leb(); imported += 1; }
        else if (kind === 1) { pos += 1; const f = leb(); leb(); if (f & 1) leb(); }
        else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); }
        else if (kind === 3) { pos += 2; }
        else if (kind === 4) { pos += 1; leb(); }
      }
    } else if (id === 10) {
      const count = leb();
      for (let i = 0; i < count; i += 1) {
        const bodySize = leb();
        bodies.push(bodySize);
        pos += bodySize;
      }
    } else if (id === 11) {
      dataBytes = size;
    }
  }
  pos = end;
}

/** The crate and path of a legacy-mangled Rust symbol (_ZN…E), else the name. */
function demangle(raw) {
  if (!raw.startsWith('_ZN')) return raw;
  const parts = [];
  let i = 3;
  while (i < raw.length && raw[i] !== 'E') {
    let n = 0;
    while (raw[i] >= '0' && raw[i] <= '9') n = n * 10 + Number(raw[i++]);
    parts.push(raw.slice(i, i + n));
    i += n;
  }
  if (/^h[0-9a-f]{16}$/.test(parts.at(-1))) parts.pop();
  return parts.join('::').replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ')
    .replace(/\$C\$/g, ',').replace(/\.\./g, '::').replace(/\$RF\$/g, '&').replace(/\$u7b\$/g, '{').replace(/\$u7d\$/g, '}');
}

function crateOf(fn) {
  const m = fn.match(/^<?(?:&(?:mut )?)?([A-Za-z_][A-Za-z0-9_]*)/);
  return m ? m[1] : fn;
}

const rows = bodies.map((size, i) => ({ size, fn: demangle(names.get(i + imported) ?? `func[${i + imported}]`) }));
const codeTotal = rows.reduce((a, r) => a + r.size, 0);
console.log(`${file}: ${bytes.length} bytes; code ${codeTotal} in ${rows.length} functions; data ${dataBytes}`);
const byCrate = new Map();
for (const r of rows) byCrate.set(crateOf(r.fn), (byCrate.get(crateOf(r.fn)) ?? 0) + r.size);
console.log('\ncode bytes by crate (first path segment; generic code lands in the crate that instantiates it or the trait impl)');
for (const [crate, size] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`  ${String(size).padStart(7)}  ${(100 * size / codeTotal).toFixed(1).padStart(5)}%  ${crate}`);
}
console.log(`\nlargest ${TOP} functions`);
for (const r of [...rows].sort((a, b) => b.size - a.size).slice(0, TOP)) {
  console.log(`  ${String(r.size).padStart(7)}  ${r.fn.slice(0, 150)}`);
}

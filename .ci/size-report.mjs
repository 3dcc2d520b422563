#!/usr/bin/env node
// What the wallet costs a phone, printed by `make build`:
//   node .ci/size-report.mjs PKG_DIR NAMED_WASM
//
// 1. The whole first load, gzipped (level 9, as the size budget counts):
//    the service worker, its precache list (PKG_DIR/precache.js, written by
//    .ci/precache.mjs) and every file on that list (the page, its CSS, the
//    bundled script, the wasm, the manifest and the icons), which a first
//    visit downloads in full.
// 2. Where the wasm's bytes go, crate by crate: twiggy's `top` of NAMED_WASM,
//    the shipped wasm before its name section was stripped (build-wasm.sh
//    strips it and nothing else), so each item's size is its size in the
//    shipped file. Items are grouped by the first path segment of their
//    demangled name: generic code lands in the crate of the type it was
//    instantiated for, or of the trait impl.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [pkgArg, namedWasm] = process.argv.slice(2);
if (!pkgArg || !namedWasm) {
  console.error('usage: node .ci/size-report.mjs PKG_DIR NAMED_WASM');
  process.exit(2);
}
const www = path.join(ROOT, 'www');
const pkg = path.resolve(pkgArg);

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

// --- first load -------------------------------------------------------------
const precache = path.join(pkg, 'precache.js');
const listed = readFileSync(precache, 'utf8').match(/self\.PRECACHE = (\{[\s\S]*\});/);
if (!listed) {
  console.error(`size: no PRECACHE list in ${path.relative(ROOT, precache)} (run .ci/precache.mjs)`);
  process.exit(1);
}
const shell = Object.keys(JSON.parse(listed[1]).files)
  .map((p) => (p.startsWith('pkg/') ? path.join(pkg, p.slice(4)) : path.join(www, p)));
const files = [path.join(www, 'sw.js'), precache, ...shell];
let total = 0;
console.log('size: first load, gzipped');
for (const file of files) {
  const bytes = gz(file);
  total += bytes;
  console.log(`  ${String(bytes).padStart(7)}  ${path.relative(ROOT, file)}`);
}
console.log(`size: first load = ${total} bytes gzipped (${kb(total)}) in ${files.length} files`);

// --- wasm by crate ----------------------------------------------------------
let items;
try {
  const json = execFileSync('twiggy', ['top', '-n', '1000000', '-f', 'json', namedWasm], {
    encoding: 'utf8', maxBuffer: 64 << 20,
  });
  items = JSON.parse(json);
} catch (error) {
  console.error(`size: twiggy failed on ${namedWasm} (run 'make setup'): ${error.message}`);
  process.exit(1);
}

const PRIMITIVE = /^(?:[A-Z]|bool|char|str|[iuf](?:8|16|32|64|128|size)|\[.*\]|\(.*\))$/;

/** The crate an item's bytes belong to, from its demangled name. */
function owner(name) {
  if (name.startsWith('data segment')) return '(data: constants, tables, strings)';
  if (name.startsWith('import ')) return '(imports from JS)';
  if (name.startsWith('export ')) return '(exports to JS)';
  if (/^(?:type|elem|table|memory|global|code)\[/.test(name)) return '(wasm structure)';
  if (!name.includes('::')) {
    // compiler-builtins' intrinsics keep C names; the rest are the glue
    // wasm-bindgen generates around each exported method.
    return /^(?:__multi3|__[a-z0-9]+[tdsf][if]\d?|round|fmax|fmin|mem(?:cpy|set|move|cmp))$/.test(name)
      ? 'compiler_builtins' : 'wasm_bindgen';
  }
  // <Type as crate::Trait>::f: the Type's crate, or the trait's where the
  // type is a primitive or a generic parameter.
  const impl = name.match(/^<+(?:&(?:mut )?)?(?:dyn )?(.+?) as (?:&(?:mut )?)?([A-Za-z_][A-Za-z0-9_]*)/);
  const self = impl?.[1];
  if (impl && PRIMITIVE.test(self)) return impl[2];
  const m = (self ?? name).match(/^<*(?:&(?:mut )?)?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)/);
  if (!m) return '(other)';
  if (PRIMITIVE.test(m[1])) return 'core'; // <str>::find and the like
  return m[1] === '__rustc' ? 'std' : m[1];
}

// The name section and the custom sections are stripped from the shipped file.
const stripped = /^"[a-z ]+" (?:sub)?section$|^custom section /;
const shipped = items.filter((item) => !stripped.test(item.name));
const codeTotal = shipped.reduce((sum, item) => sum + item.shallow_size, 0);
const byCrate = new Map();
for (const item of shipped) {
  const crate = owner(item.name);
  byCrate.set(crate, (byCrate.get(crate) ?? 0) + item.shallow_size);
}
console.log(`size: the shipped wasm's ${codeTotal} bytes (before gzip) by crate (twiggy top)`);
for (const [crate, bytes] of [...byCrate].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${String(bytes).padStart(7)}  ${(100 * bytes / codeTotal).toFixed(1).padStart(5)}%  ${crate}`);
}

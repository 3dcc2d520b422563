// Gives the wasm's imports and exports short names, in the .wasm and in its
// JS glue together:  node .ci/short-names.mjs PKG_DIR
//
// wasm-bindgen names each import `__wbg_<name>_<16 hex digits>` and its
// closure shims after their full Rust paths with hashes, and spells every
// name twice, in the wasm and in the glue. Hex digits do not compress: the
// names cost about 2 KB of the gzipped bundle. Emscripten ships short
// names for the same reason. Each name becomes a base-36 number. The script
// stops with an error, leaving both files untouched, if a name is not found
// in the glue exactly where expected (the bundle would not instantiate):
// an import once, as a key of the import object; an export only as a
// property (`.name`) of the exports object.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'www/pkg';
const wasmPath = join(dir, 'paycode_wallet_bg.wasm');
const gluePath = join(dir, 'paycode_wallet.js');
const wasm = readFileSync(wasmPath);
let glue = readFileSync(gluePath, 'utf8');

function leb(bytes, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}
function uleb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}
function fail(message) {
  console.error(`short-names: ${message}`);
  process.exit(1);
}

if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);
const parts = [wasm.subarray(0, 8)];
let at = 8;
let renamed = 0;
let renamedExports = 0;
const exportRenames = [];
while (at < wasm.length) {
  const id = wasm[at];
  const [size, body] = leb(wasm, at + 1);
  const end = body + size;
  if (id === 7) {
    parts.push(exportSection(body, end));
    at = end;
    continue;
  }
  if (id !== 2) {
    parts.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  // The import section: (module, name, kind, description) per import.
  let [count, p] = leb(wasm, body);
  const out = [uleb(count)];
  const used = new Set();
  for (let i = 0; i < count; i++) {
    const start = p;
    let len;
    [len, p] = leb(wasm, p);
    const module = wasm.subarray(p, p + len).toString();
    p += len;
    const moduleBytes = wasm.subarray(start, p);
    [len, p] = leb(wasm, p);
    const name = wasm.subarray(p, p + len).toString();
    p += len;
    const descStart = p;
    const kind = wasm[p++];
    if (kind === 0) [, p] = leb(wasm, p); // function: type index
    else if (kind === 1 || kind === 2) {  // table: reftype, limits; memory: limits
      if (kind === 1) p++;
      const flags = wasm[p++];
      [, p] = leb(wasm, p);
      if (flags & 1) [, p] = leb(wasm, p);
    } else if (kind === 3) p += 2;        // global: valtype, mutability
    else fail(`import kind ${kind} is not handled`);
    let newName = name;
    // Only the glue's own imports, each a key of its import object, and
    // only names that are plain identifiers (they go into regular expressions).
    if (module === './paycode_wallet_bg.js' && /^\w+$/.test(name)) {
      newName = (renamed++).toString(36);
      const pattern = new RegExp(`\\b${name}\\b`, 'g');
      const hits = glue.match(pattern)?.length ?? 0;
      if (hits !== 1) fail(`"${name}" appears ${hits} times in ${gluePath}, not once`);
      if (used.has(newName)) fail('duplicate short name');
      used.add(newName);
      glue = glue.replace(pattern, `"${newName}"`);
    }
    out.push(moduleBytes, uleb(Buffer.byteLength(newName)), Buffer.from(newName), wasm.subarray(descStart, p));
  }
  if (p !== end) fail('the import section did not parse to its end');
  const section = Buffer.concat(out);
  parts.push(Buffer.from([2]), uleb(section.length), section);
  at = end;
}
// The exports the glue calls: wasm-bindgen's own and the class methods.
// `memory` and `parseLink` keep their names (both are words the glue
// also uses for other things).
function exportSection(body, end) {
  let [count, p] = leb(wasm, body);
  const out = [uleb(count)];
  for (let i = 0; i < count; i++) {
    let len;
    [len, p] = leb(wasm, p);
    const name = wasm.subarray(p, p + len).toString();
    p += len;
    const descStart = p;
    p++;
    [, p] = leb(wasm, p);
    let newName = name;
    if (/^(__wbindgen_|__wbg_|wasm_bindgen_|paymentcode_)\w*$/.test(name)) {
      const anywhere = glue.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
      const asProperty = glue.match(new RegExp(`\\.${name}\\b`, 'g'))?.length ?? 0;
      if (anywhere !== asProperty) fail(`"${name}" is used in ${gluePath} other than as a property`);
      if (anywhere > 0) {
        newName = `_${(renamedExports++).toString(36)}`;
        glue = glue.replace(new RegExp(`\\.${name}\\b`, 'g'), `.${newName}`);
        exportRenames.push([name, newName]);
      }
    }
    out.push(uleb(Buffer.byteLength(newName)), Buffer.from(newName), wasm.subarray(descStart, p));
  }
  if (p !== end) fail('the export section did not parse to its end');
  const section = Buffer.concat(out);
  return Buffer.concat([Buffer.from([7]), uleb(section.length), section]);
}

writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(gluePath, glue);
// The TypeScript declarations of the raw exports follow the new names.
for (const file of ['paycode_wallet.d.ts', 'paycode_wallet_bg.wasm.d.ts']) {
  const path = join(dir, file);
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    continue;
  }
  for (const [from, to] of exportRenames) text = text.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
  writeFileSync(path, text);
}
console.log(`short-names: ${renamed} imports and ${renamedExports} exports renamed`);

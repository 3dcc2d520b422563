#!/usr/bin/env node
// The service worker's file list: every file of the offline wallet with the
// SHA-256 of its bytes, and a build id made from them, as PKG_DIR/precache.js
// (www/sw.js imports it). The worker stores a file only if its bytes hash
// to the value here, and keeps each build's set in a cache of its own.
//   node .ci/precache.mjs PKG_DIR [WWW_DIR]
// WWW_DIR (default www/) holds the pages, styles and icons; PKG_DIR the
// built bundle and wasm. Run after the bundle is written (build-wasm.sh
// does), and again after changing any listed file.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = path.resolve(process.argv[2] ?? path.join(ROOT, 'www/pkg'));
const www = path.resolve(process.argv[3] ?? path.join(ROOT, 'www'));

// As the worker requests them, relative to its scope (the www/ root). The
// page's own address ('./') is served as index.html and is not a file here.
const FILES = [
  'index.html',
  'manifest.webmanifest',
  'css/wallet.css',
  'pkg/wallet.js', // www/js/*.js and the wasm glue, bundled by bundle-page.mjs
  'pkg/paycode_wallet_bg.wasm',
  'icons/icon.svg',
  'icons/icon-192.png',
  'icons/icon-512.png',
];

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const source = (file) => (file.startsWith('pkg/') ? path.join(pkg, file.slice('pkg/'.length)) : path.join(www, file));

const files = {};
for (const file of FILES) files[file] = sha256(await readFile(source(file)));
// Names the build's cache: any changed byte in any file is a new set.
const build = sha256(JSON.stringify(files)).slice(0, 16);

await writeFile(path.join(pkg, 'precache.js'), `// The offline wallet's files and their SHA-256, written by .ci/precache.mjs.
self.PRECACHE = ${JSON.stringify({ build, files }, null, 2)};
`);

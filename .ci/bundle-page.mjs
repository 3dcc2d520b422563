#!/usr/bin/env node
// The wallet page's script: www/js/app.js, the modules it imports and the
// wasm glue, as one minified ES module, PKG_DIR/wallet.js.
//   node .ci/bundle-page.mjs PKG_DIR
//
// Why one file: a cold page fetched app.js, then its eight modules, then
// the glue, each a request the browser had to find, compile and link before
// the next could run; the first code waited for all of them
// (docs/BENCHMARKS.md, "First code"). The bundle sits beside the wasm, so
// the glue's default `new URL('paycode_wallet_bg.wasm', import.meta.url)`
// still finds it. The sources in www/js stay as they are and are what the
// tests import; run this (or `make build`) after changing them.
import path from 'node:path';
import { ROOT, bundleWithGlue } from './esbuild-glue.mjs';

const pkg = path.resolve(process.argv[2] ?? path.join(ROOT, 'www/pkg'));

// app.js imports the glue as '../pkg/paycode_wallet.js'; the glue bundled
// is the one in PKG_DIR, whatever directory that is.
await bundleWithGlue({
  entry: path.join(ROOT, 'www/js/app.js'),
  outfile: path.join(pkg, 'wallet.js'),
  glue: { path: path.join(pkg, 'paycode_wallet.js') },
  failure: `bundle: ${path.join(pkg, 'wallet.js')} not written (run .ci/build-wasm.sh first if the glue is missing)`,
});

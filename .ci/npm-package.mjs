#!/usr/bin/env node
// Makes PKG_DIR (www/pkg) an npm package: the wasm module, its glue and
// types, and the <paycode-view> element, with a package.json.
//   node .ci/npm-package.mjs PKG_DIR
//
// The element's source, www/js/paycode-view.js, imports the glue as
// '../pkg/paycode_wallet.js' (its place in www/); the packaged copy
// imports the glue beside it, './paycode_wallet.js'. Name, version,
// description and licence come from Cargo.toml, through `cargo metadata`.
// wallet.js, this wallet page's own bundle, is in PKG_DIR too but not in
// the package (`files`).
import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, bundleWithGlue } from './esbuild-glue.mjs';

const pkg = path.resolve(process.argv[2] ?? path.join(ROOT, 'www/pkg'));

const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--no-deps', '--format-version', '1', '--offline',
  '--manifest-path', path.join(ROOT, 'Cargo.toml')], { encoding: 'utf8' }));
const crate = metadata.packages.find((p) => p.name === 'paycode-wallet');

// The glue import, wherever the source puts it, becomes the file beside the element.
await bundleWithGlue({
  entry: path.join(ROOT, 'www/js/paycode-view.js'),
  outfile: path.join(pkg, 'paycode-view.js'),
  glue: { path: './paycode_wallet.js', external: true },
  failure: `npm package: ${path.join(pkg, 'paycode-view.js')} not written`,
});
copyFileSync(path.join(ROOT, 'www/js/paycode-view.d.ts'), path.join(pkg, 'paycode-view.d.ts'));

const manifest = {
  name: crate.name,
  version: crate.version,
  description: crate.description,
  license: crate.license,
  type: 'module',
  module: './paycode_wallet.js',
  types: './paycode_wallet.d.ts',
  exports: {
    '.': { types: './paycode_wallet.d.ts', default: './paycode_wallet.js' },
    './element': { types: './paycode-view.d.ts', default: './paycode-view.js' },
    './paycode_wallet_bg.wasm': './paycode_wallet_bg.wasm',
    './package.json': './package.json',
  },
  files: ['paycode_wallet.js', 'paycode_wallet_bg.wasm', 'paycode_wallet.d.ts', 'paycode-view.js', 'paycode-view.d.ts'],
  // Importing the element defines <paycode-view>; the module itself has no side effects.
  sideEffects: ['./paycode-view.js'],
};
writeFileSync(path.join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

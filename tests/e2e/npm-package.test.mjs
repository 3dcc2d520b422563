// The npm package `make build` leaves in www/pkg, as a web developer
// installs it (packed, then installed into a scratch project, offline): its
// files, its package.json, the names node resolves, and its TypeScript
// types. No browser: what the element does in one is
// element/paycode-view.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from './lib/issuer.mjs';
import { installPackage } from './lib/npm-package.mjs';

const FILES = ['package.json', 'paycode-view.d.ts', 'paycode-view.js', 'paycode_wallet.d.ts', 'paycode_wallet.js', 'paycode_wallet_bg.wasm'];

let installed;
before(async () => {
  installed = await installPackage();
});
after(() => installed?.cleanup());

test('the package: npm pack lists its files, package.json names them, node resolves the exports', async () => {
  const { packed, project } = installed;
  assert.deepEqual(packed.files.map((f) => f.path).sort(), FILES);
  const cargo = await readFile(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const version = cargo.match(/^\[package\][^[]*?^version = "([^"]+)"/m)?.[1];
  assert.equal(packed.name, 'paycode-wallet');
  assert.equal(packed.version, version, 'the package version is not the crate version');

  const manifest = JSON.parse(await readFile(path.join(project, 'node_modules/paycode-wallet/package.json'), 'utf8'));
  assert.equal(manifest.type, 'module');
  for (const field of ['module', 'types']) assert.ok(FILES.includes(path.normalize(manifest[field])), `${field}: ${manifest[field]}`);
  assert.deepEqual(manifest.sideEffects, ['./paycode-view.js']);
  const require = createRequire(path.join(project, 'package.json'));
  const dir = path.join(project, 'node_modules/paycode-wallet');
  assert.equal(require.resolve('paycode-wallet'), path.join(dir, 'paycode_wallet.js'));
  assert.equal(require.resolve('paycode-wallet/element'), path.join(dir, 'paycode-view.js'));
  // The packaged element imports the glue beside it, not the wallet page's path.
  const element = await readFile(path.join(dir, 'paycode-view.js'), 'utf8');
  assert.match(element, /from\s*["']\.\/paycode_wallet\.js["']/);
});

test("the package's types: a strict TypeScript project using both entry points compiles, and misuse does not", async () => {
  const types = path.join(ROOT, 'tests/element/types');
  for (const file of ['check.ts', 'tsconfig.json']) await copyFile(path.join(types, file), path.join(installed.project, file));
  const tsc = path.join(ROOT, 'tests/e2e/node_modules/typescript/bin/tsc');
  const result = await new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: installed.project, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? error.code : 0, output: stdout + stderr });
    });
  });
  assert.equal(result.status, 0, `tsc:\n${result.output}`);
});

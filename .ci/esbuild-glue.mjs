// One esbuild call for the two scripts that bundle a www/js entry point
// with the wasm glue: .ci/bundle-page.mjs (the wallet page) and
// .ci/npm-package.mjs (the <paycode-view> element). Sources import the
// glue as '../pkg/paycode_wallet.js'; `glue` says what that import becomes
// in the output (esbuild's onResolve answer: a path to bundle, or an
// external name to keep).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, '.ci/node/package.json'));
const esbuild = require('esbuild');

/** Bundles `entry` into `outfile`, minified ESM; on failure says `failure` and exits 1. */
export async function bundleWithGlue({ entry, outfile, glue, failure }) {
  const resolveGlue = {
    name: 'glue',
    setup(build) {
      build.onResolve({ filter: /\/pkg\/paycode_wallet\.js$/ }, () => glue);
    },
  };
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: 'esm',
      minify: true, // shipped minified, as the glue is
      plugins: [resolveGlue],
      logLevel: 'warning',
    });
  } catch {
    // esbuild has printed what went wrong, where.
    console.error(failure);
    process.exit(1);
  }
}

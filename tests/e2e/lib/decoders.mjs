// Runs lib/decode.py (zxing-cpp) and lib/measure.py in the project's venv on screenshots.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './issuer.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PYTHON = process.env.E2E_PYTHON ?? path.join(ROOT, '.venv/bin/python');

function runPython(script, args) {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [path.join(HERE, script), ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/**
 * Decode the PNG files; resolves to {file: [{format, text}]}. `scale` (0.5,
 * say) shrinks each image first, as a camera further away sees it.
 */
export function decodeImages(files, { scale = 1 } = {}) {
  return runPython('decode.py', [...(scale === 1 ? [] : [`--scale=${scale}`]), ...files]);
}

/**
 * Measure the symbols in a screenshot (lib/measure.py says what): `spec` is
 * {barcode: {box, bars}, qr: {box}} with boxes [x, y, w, h] in its pixels.
 */
export function measureSymbols(file, spec) {
  return runPython('measure.py', [file, JSON.stringify(spec)]);
}

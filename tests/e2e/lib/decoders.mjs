// Runs lib/decode.py (zxing-cpp) in the project's venv on screenshots.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './issuer.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PYTHON = process.env.E2E_PYTHON ?? path.join(ROOT, '.venv/bin/python');

/** Decode the PNG files; resolves to {file: [{format, text}]}. */
export function decodeImages(files) {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [path.join(HERE, 'decode.py'), ...files], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`decoder failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

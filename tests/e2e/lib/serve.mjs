// The real `paycode serve` for the tests that need the whole issuer: www/,
// the wallet's API and the signed merchant API from one SQLite file.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { PAYCODE, ROOT } from './issuer.mjs';

/**
 * Starts `paycode serve [--demo] [ARGS]` on a free loopback port; resolves to
 * {url, stop()} once it listens. `args`: more flags for the server.
 */
export async function startServe(db, { demo = true, args: extra = [] } = {}) {
  const args = ['serve', '--addr', '127.0.0.1:0', '--db', db, '--www', path.join(ROOT, 'www'), ...(demo ? ['--demo'] : []), ...extra];
  const child = spawn(PAYCODE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`paycode serve did not start:\n${output}`)), 15_000);
    const read = (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`paycode serve exited with ${code}:\n${output}`)));
  });
  return { url, output: () => output, stop: () => child.kill('SIGTERM') };
}

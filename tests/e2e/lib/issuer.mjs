// The issuer CLI (target/release/paycode) as the e2e tests use it: make a
// card, charge a code. Each call prints JSON; charge's exit status says
// approved (0), pin_required (2) or rejected (3).

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PAYCODE = process.env.PAYCODE_BIN ?? path.join(ROOT, 'target/release/paycode');

/** Runs `paycode ARGS`; resolves to {status, json, stdout, stderr}. */
export function run(args) {
  return new Promise((resolve) => {
    execFile(PAYCODE, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      let json = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        // Left null: the caller's assertion reports stdout/stderr.
      }
      resolve({ status, json, stdout, stderr });
    });
  });
}

/** A temporary issuer database; `cleanup()` removes it. */
export async function issuerDb() {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-e2e-'));
  return { db: path.join(dir, 'issuer.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Provision a card; resolves to its link (throws with the CLI's output if it fails). */
export async function provision(db, extra = []) {
  const result = await run(['provision', '--db', db, ...extra]);
  const link = result.json?.link;
  if (result.status !== 0 || typeof link !== 'string') {
    throw new Error(`paycode provision failed (${result.status}): ${result.stdout} ${result.stderr}`);
  }
  return link;
}

/** Charge `code`; resolves to {status, json, stdout, stderr}. */
export function charge(db, code, amount = '12.50') {
  return run(['charge', code, '--amount', amount, '--db', db]);
}

/** The base32 secret inside a provisioning link (for the tests that look for leaks). */
export function secretOf(link) {
  const query = link.slice(link.indexOf('?') + 1);
  return new URLSearchParams(query).get('secret');
}

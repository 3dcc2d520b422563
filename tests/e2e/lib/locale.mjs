// WebKitGTK takes navigator.languages from its process's C locale, and a
// machine may have none but C installed: the locale a test asks for is
// compiled once (glibc's localedef, from Debian's `locales` sources) into a
// directory of its own, and named to the browser through LOCPATH.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const LOCALES = path.join(tmpdir(), 'paycode-e2e-locales');

/** The environment that gives a GLib program `locale` ("zh-CN"): LOCPATH, LC_ALL, LANGUAGE. */
export async function localeEnv(locale) {
  const name = locale.replace('-', '_');
  const compiled = path.join(LOCALES, `${name}.UTF-8`);
  if (!existsSync(compiled)) {
    const scratch = `${compiled}.${process.pid}`;
    await mkdir(LOCALES, { recursive: true });
    try {
      await promisify(execFile)('localedef', ['-i', name, '-f', 'UTF-8', scratch], { timeout: 120_000 });
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw new Error(`cannot compile the ${name}.UTF-8 locale for WebKitGTK (Debian package 'locales'; run 'make setup'): ${error.stderr || error.message}`);
    }
    // Another run may have compiled it meanwhile: either copy will do.
    await rename(scratch, compiled).catch(() => rm(scratch, { recursive: true, force: true }));
  }
  return { LOCPATH: LOCALES, LC_ALL: `${name}.UTF-8`, LANGUAGE: name };
}

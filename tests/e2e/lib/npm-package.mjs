// The npm package `make build` leaves in www/pkg, as a web developer gets
// it: `npm pack` to a tarball, then `npm install` of that tarball into a
// scratch project. Both work offline (the package has no dependencies).

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './issuer.mjs';

const run = promisify(execFile);
export const PKG_DIR = process.env.E2E_PKG_DIR ?? path.join(ROOT, 'www/pkg');

async function npm(args, cwd) {
  try {
    return (await run('npm', [...args, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, timeout: 120_000 })).stdout;
  } catch (error) {
    throw new Error(`npm ${args.join(' ')} failed: ${error.stderr || error.message}`);
  }
}

/**
 * Packs PKG_DIR and installs the tarball into a new scratch project.
 * Resolves to {project, packed, cleanup}: `project` is the scratch
 * directory (node_modules/paycode-wallet inside), `packed` what
 * `npm pack --json` reported (name, version, files…).
 */
export async function installPackage() {
  const dir = await mkdtemp(path.join(tmpdir(), 'paycode-npm-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const [packed] = JSON.parse(await npm(['pack', PKG_DIR, '--json', '--pack-destination', dir], dir));
    const project = path.join(dir, 'project');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    await npm(['install', '--ignore-scripts', path.join(dir, packed.filename)], project);
    return { project, packed, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

// A page in any of the three engines, behind one small interface:
// Chromium through playwright-core (as the other e2e tests drive it),
// Firefox through geckodriver and WebKitGTK's MiniBrowser through
// WebKitWebDriver, both with selenium-webdriver. The engines' options come
// from webdriver.json (Firefox's as they are; see webkitDriver()).
// A missing browser or driver is an error, never a skip.
//
//   const page = await openPage('firefox');
//   await page.goto(url);
//   const title = await page.run(() => document.title);
//   await page.screenshot('/tmp/shot.png');
//   await page.close();

import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Builder } from 'selenium-webdriver';
import { launch, phoneContext } from './browser.mjs';
import { ROOT } from './issuer.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];
export const ENGINE_NAMES = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit (WebKitGTK)' };

const WEBDRIVER_JSON = JSON.parse(readFileSync(path.join(ROOT, 'webdriver.json'), 'utf8'));
const DRIVER_START_MS = 30_000;

/** The engine named by E2E_ENGINE (a test file run once per engine). */
export function engineFromEnv() {
  const engine = process.env.E2E_ENGINE;
  if (!ENGINES.includes(engine)) throw new Error(`E2E_ENGINE must be one of ${ENGINES.join(', ')} (is ${JSON.stringify(engine)})`);
  return engine;
}

/** Opens a fresh page in `engine`. Resolves to {engine, goto, run, screenshot, close}. */
export function openPage(engine, options = {}) {
  if (engine === 'chromium') return openPlaywright(options);
  if (engine === 'firefox') return openWebDriver(engine, firefoxDriver(), options);
  if (engine === 'webkit') return openWebDriver(engine, webkitDriver(), options);
  throw new Error(`no such engine: ${engine}`);
}

/**
 * In-page code for run(): `fn` is sent as source text with JSON arguments,
 * may be async, and its JSON result comes back; a throw or rejection in the
 * page rejects run() with the page's message.
 */
function callSource(fn, args) {
  return `Promise.resolve().then(() => (${fn})(...${JSON.stringify(args)}))
    .then((value) => ({ value }), (error) => ({ error: error instanceof Error ? \`\${error.message}\n\${error.stack}\` : String(error) }))`;
}

function afterTwoFrames() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

function unwrap(result) {
  if (result && 'error' in result) throw new Error(`in the page: ${result.error}`);
  return result?.value;
}

async function openPlaywright({ width = 360, height = 740 } = {}) {
  const browser = await launch();
  const context = await phoneContext(browser, { viewport: { width, height } });
  const page = await context.newPage();
  return {
    engine: 'chromium',
    goto: (url) => page.goto(url),
    run: async (fn, ...args) => unwrap(await page.evaluate(callSource(fn, args))),
    screenshot: (file) => page.screenshot({ path: file }),
    close: () => browser.close(),
  };
}

function need(file) {
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new Error(`missing: ${file} (run 'make setup')`);
  }
  return file;
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      const file = path.join(dir, command);
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`missing: ${command} on PATH (run 'make setup')`);
}

function firefoxDriver() {
  onPath('firefox');
  const geckodriver = process.env.GECKODRIVER ?? onPath('geckodriver');
  return {
    command: (port) => [geckodriver, '--host', '127.0.0.1', '--port', String(port)],
    env: {},
    capabilities: { browserName: 'firefox', 'moz:firefoxOptions': WEBDRIVER_JSON['moz:firefoxOptions'] },
  };
}

function webkitDriver() {
  // webdriver.json's binary, with `--automation` only: Debian's MiniBrowser
  // (2.50) refuses `--headless` ("Unknown option") and the session then
  // fails; it runs on an Xvfb display of its own instead.
  // No accelerated 2D canvas: it is what makes the web process compile SkSL
  // on its main thread, where JavaScriptCore's signals clobber errno and
  // kill it at random (.ci/webkit.env says more; the wasm suites, which
  // cannot pass browser options, turn compositing off instead, which would
  // stall WebKitWebDriver's screenshots of a page that does not change).
  // tests/webkit/errno-window.sh checks that SkSL never runs here.
  const browserOptions = {
    binary: need(WEBDRIVER_JSON['webkitgtk:browserOptions'].binary),
    args: ['--automation', '--enable-2d-canvas-acceleration=false'],
  };
  const driver = need(process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver');
  // Canvas in CPU memory: under Xvfb the GL canvas path runs on software GL,
  // where it has been seen to kill the web process.
  return {
    command: (port) => [onPath('xvfb-run'), '-a', driver, `--port=${port}`],
    env: { WEBKIT_SKIA_ENABLE_CPU_RENDERING: '1' },
    capabilities: { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': browserOptions },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the driver in its own process group (so close() ends it and what it started) and waits until it answers. */
async function startDriver({ command, env }) {
  const port = await freePort();
  const [file, ...args] = command(port);
  const child = spawn(file, args, { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + DRIVER_START_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${file} exited at start (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    const ready = await fetch(`${url}/status`).then((r) => r.ok, () => false);
    if (ready) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${file} did not answer on ${url} within ${DRIVER_START_MS} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function openWebDriver(engine, driverSpec, { width = 480, height = 900 } = {}) {
  const driver = await startDriver(driverSpec);
  let session;
  try {
    session = await new Builder().disableEnvironmentOverrides().usingServer(driver.url).withCapabilities(driverSpec.capabilities).build();
    await session.manage().setTimeouts({ script: 60_000, pageLoad: 30_000 });
    await session.manage().window().setRect({ width, height });
  } catch (error) {
    await session?.quit().catch(() => {});
    await driver.stop();
    throw error;
  }
  return {
    engine,
    goto: (url) => session.get(url),
    run: async (fn, ...args) => unwrap(await session.executeAsyncScript(
      `const done = arguments[arguments.length - 1]; ${callSource(fn, args)}.then(done);`,
    )),
    async screenshot(file) {
      // WebKitWebDriver's snapshot can be of a frame painted before the last
      // DOM change (a redrawn canvas seen at its old size): let two frames
      // pass first, so the one taken shows what the page holds now.
      await this.run(afterTwoFrames);
      await writeFile(file, Buffer.from(await session.takeScreenshot(), 'base64'));
    },
    async close() {
      await session.quit().catch(() => {});
      await driver.stop();
    },
  };
}

// A page in any of the three engines, behind one interface: Chromium is
// Playwright's own page (playwright-core, a phone context), Firefox
// (geckodriver) and WebKitGTK's MiniBrowser (WebKitWebDriver) are a
// WebDriverPage (selenium-webdriver; ./webdriver-page.mjs) with the same
// methods the tests use. The engines' options come from webdriver.json
// (Firefox's as they are; see webkitDriver()). A missing browser or driver
// is an error, never a skip.
//
//   const page = await openPage('firefox', { locale: 'zh-CN' });
//   await page.goto(url);
//   const title = await page.run(() => document.title);
//   await page.screenshot({ path: '/tmp/shot.png' });
//   await page.close();

import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Builder } from 'selenium-webdriver';
import { launch, phoneContext } from './browser.mjs';
import { ROOT } from './issuer.mjs';
import { localeEnv } from './locale.mjs';
import { WebDriverPage, callSource, unwrap } from './webdriver-page.mjs';

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

/**
 * Opens a fresh page in `engine` ({width, height} of the window or viewport,
 * {locale} the browser's language). Chromium's is Playwright's page, the
 * others a WebDriverPage with the same methods the tests use; each has
 * engine, run(fn, ...args), cookies() and close() (ends the browser).
 */
export function openPage(engine, options = {}) {
  if (engine === 'chromium') return openPlaywright(options);
  if (engine === 'firefox') return openWebDriver(engine, firefoxDriver(options), options);
  if (engine === 'webkit') return openWebDriver(engine, webkitDriver(options), options);
  throw new Error(`no such engine: ${engine}`);
}

/**
 * Chromium: Playwright's own page in a phone context (360×740 at DPR 3,
 * touch), with run(), cookies() and a close() that ends the browser; its
 * `log` holds page errors and console lines.
 */
async function openPlaywright({ width = 360, height = 740, locale } = {}) {
  const browser = await launch();
  const context = await phoneContext(browser, { viewport: { width, height }, ...(locale ? { locale } : {}) });
  const page = await context.newPage();
  return Object.assign(page, {
    engine: 'chromium',
    log: context.log,
    run: async (fn, ...args) => unwrap(await page.evaluate(callSource(String(fn), args))),
    cookies: () => context.cookies(),
    drag: (from, to, options) => playwrightDrag(page, from, to, options),
    close: () => browser.close(),
  });
}

/**
 * A drag in `steps` moves: touch through CDP (Chromium turns it into
 * pointer events with pointerType "touch", and scrolls on it), or the mouse.
 */
async function playwrightDrag(page, from, to, { steps = 8, pointerType = 'mouse' } = {}) {
  const along = (i) => ({ x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps });
  if (pointerType === 'mouse') {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    for (let i = 1; i <= steps; i += 1) await page.mouse.move(along(i).x, along(i).y);
    await page.mouse.up();
    return;
  }
  const cdp = await page.context().newCDPSession(page);
  const point = (p) => [{ x: p.x, y: p.y, id: 1, radiusX: 8, radiusY: 8, force: 1 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(from) });
  for (let i = 1; i <= steps; i += 1) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(along(i)) });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
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

function firefoxDriver({ locale }) {
  onPath('firefox');
  const geckodriver = process.env.GECKODRIVER ?? onPath('geckodriver');
  // navigator.languages is the Accept-Language list.
  const prefs = locale ? { 'intl.accept_languages': locale } : {};
  return {
    command: (port) => [geckodriver, '--host', '127.0.0.1', '--port', String(port)],
    env: async () => ({}),
    capabilities: { browserName: 'firefox', 'moz:firefoxOptions': { ...WEBDRIVER_JSON['moz:firefoxOptions'], prefs } },
  };
}

function webkitDriver({ locale }) {
  // webdriver.json's binary without its `--headless`: Debian's MiniBrowser
  // (2.50) has refused it ("Unknown option") and the session then failed;
  // it runs on an Xvfb display of its own instead.
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
    env: async () => ({ WEBKIT_SKIA_ENABLE_CPU_RENDERING: '1', ...(locale ? await localeEnv(locale) : {}) }),
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
  const child = spawn(file, args, { env: { ...process.env, ...(await env()) }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
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
  return new WebDriverPage(engine, session, driver.stop);
}

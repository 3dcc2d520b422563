// The part of Playwright's Page that the wallet's tests use, over a
// selenium-webdriver session (geckodriver, WebKitWebDriver), so one test
// drives Chromium's Playwright page and these alike. Input goes through
// WebDriver (element click, key and pointer actions); reading the page goes
// through scripts in it. What WebDriver cannot do (touch on these drivers,
// clock control, going offline) is not faked here: the tests say so by name.

import { writeFile } from 'node:fs/promises';
import { By, Key } from 'selenium-webdriver';
import { Origin, Pointer } from 'selenium-webdriver/lib/input.js';

// Under the session's script timeout (webdriver.mjs), so a wait that runs out says what it waited for.
const LONGEST_WAIT_MS = 55_000;
const POLL_MS = 50;

const KEYS = { Enter: Key.ENTER, Escape: Key.ESCAPE, Tab: Key.TAB, Backspace: Key.BACK_SPACE };

/**
 * In-page code for run(): a function's source text called with JSON
 * arguments; it may be async, and its JSON result comes back; a throw or
 * rejection in the page rejects run() with the page's message. Code goes into
 * the page as the script's own text, never through eval: the wallet's CSP
 * forbids eval, and WebKit holds WebDriver's scripts to it.
 */
export function callSource(source, args) {
  return `Promise.resolve().then(() => (${source})(...${JSON.stringify(args)}))
    .then((value) => ({ value }), (error) => ({ error: error instanceof Error ? \`\${error.message}\n\${error.stack}\` : String(error) }))`;
}

export function unwrap(result) {
  if (result && 'error' in result) throw new Error(`in the page: ${result.error}`);
  return result?.value;
}

function afterTwoFrames() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

/** In-page source: polls `predicate(arg)` until truthy or `ms` pass; resolves to the value. */
const pollSource = (predicate) => `async (arg, ms, what, pollMs) => {
  const predicate = (${predicate});
  const until = Date.now() + ms;
  for (;;) {
    const value = await predicate(arg);
    if (value) return value;
    if (Date.now() > until) throw new Error(\`timed out after \${ms} ms waiting for \${what}\`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}`;

/** The source of `fn`, or of a function returning the expression `fn`. */
const sourceOf = (fn) => (typeof fn === 'string' ? `() => (${fn})` : String(fn));

/** In-page: what Playwright calls visible (a box on screen, not visibility: hidden). */
function visibleIn(selector) {
  const el = document.querySelector(selector);
  return Boolean(el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
}

export class WebDriverPage {
  constructor(engine, session, stop) {
    this.engine = engine;
    this.session = session;
    this.stop = stop;
    this.keyboard = { press: (key) => session.actions({ async: true }).sendKeys(KEYS[key] ?? key).perform() };
  }

  goto(url) {
    return this.session.get(url);
  }

  reload() {
    return this.session.navigate().refresh();
  }

  run(fn, ...args) {
    return this.runSource(String(fn), args);
  }

  async runSource(source, args) {
    return unwrap(await this.session.executeAsyncScript(
      `const done = arguments[arguments.length - 1]; ${callSource(source, args)}.then(done);`,
    ));
  }

  evaluate(fn, arg) {
    return this.runSource(sourceOf(fn), arg === undefined ? [] : [arg]);
  }

  $$eval(selector, fn) {
    return this.runSource(`(selector) => (${fn})([...document.querySelectorAll(selector)])`, [selector]);
  }

  /** Polls in the page; a wait longer than one script may run is several scripts in a row. */
  async waitForFunction(fn, arg = null, { timeout = 30_000, what = null } = {}) {
    const source = sourceOf(fn);
    const until = Date.now() + timeout;
    for (;;) {
      const ms = Math.max(0, Math.min(until - Date.now(), LONGEST_WAIT_MS));
      try {
        return await this.runSource(pollSource(source), [arg, ms, what ?? source.slice(0, 120), POLL_MS]);
      } catch (error) {
        if (Date.now() >= until || !/timed out after/.test(String(error))) throw error;
      }
    }
  }

  waitForSelector(selector, { timeout = 30_000, state = 'visible' } = {}) {
    const test = state === 'attached' ? (s) => document.querySelector(s) !== null : visibleIn;
    return this.waitForFunction(test, selector, { timeout, what: `${selector} (${state})` });
  }

  async element(selector) {
    await this.waitForSelector(selector, { state: 'attached' });
    return this.session.findElement(By.css(selector));
  }

  textContent(selector) {
    return this.run((s) => document.querySelector(s)?.textContent ?? null, selector);
  }

  inputValue(selector) {
    return this.run((s) => document.querySelector(s).value, selector);
  }

  getAttribute(selector, name) {
    return this.run((s, n) => document.querySelector(s)?.getAttribute(n) ?? null, selector, name);
  }

  isVisible(selector) {
    return this.run(visibleIn, selector);
  }

  async isHidden(selector) {
    return !(await this.isVisible(selector));
  }

  /** A WebDriver element click: scrolled into view, checked to be the element hit, then a mouse click. */
  async click(selector) {
    await (await this.element(selector)).click();
  }

  /** No touch through these drivers: a tap is the element click (pointerType "mouse"). */
  tap(selector) {
    return this.click(selector);
  }

  /** Like Playwright's fill: the value set at once (an input event), not typed key by key. */
  async fill(selector, text) {
    await this.element(selector);
    await this.run((s, text) => {
      const el = document.querySelector(s);
      el.focus();
      el.value = text;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, selector, text);
  }

  /** Typed key by key through WebDriver, as a keyboard (or a scanner) would. */
  async type(selector, text) {
    await (await this.element(selector)).sendKeys(text);
  }

  async press(selector, key) {
    await (await this.element(selector)).sendKeys(KEYS[key] ?? key);
  }

  /** Like Playwright's selectOption: the value set and input/change dispatched (no native menu). */
  async selectOption(selector, value) {
    await this.run((s, value) => {
      const el = document.querySelector(s);
      el.value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, selector, value);
  }

  /**
   * Drags a pointer of `pointerType` ('touch' or 'mouse') from `from` to `to`
   * (viewport CSS px) in `steps` moves. Rejects if the driver refuses the type.
   */
  async drag(from, to, { steps = 8, pointerType = 'mouse' } = {}) {
    const pointer = new Pointer(`e2e-${pointerType}`, pointerType);
    const actions = this.session.actions({ async: true });
    const at = (p) => ({ x: Math.round(p.x), y: Math.round(p.y), duration: 16, origin: Origin.VIEWPORT });
    actions.insert(pointer, pointer.move(at(from)), pointer.press());
    for (let i = 1; i <= steps; i += 1) {
      actions.insert(pointer, pointer.move(at({ x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps })));
    }
    actions.insert(pointer, pointer.release());
    await actions.perform();
  }

  async screenshot(target) {
    // WebKitWebDriver's snapshot can be of a frame painted before the last
    // DOM change (a redrawn canvas seen at its old size): let two frames
    // pass first, so the one taken shows what the page holds now.
    await this.run(afterTwoFrames);
    const file = typeof target === 'string' ? target : target.path;
    await writeFile(file, Buffer.from(await this.session.takeScreenshot(), 'base64'));
  }

  cookies() {
    return this.session.manage().getCookies();
  }

  async close() {
    await this.session.quit().catch(() => {});
    await this.stop();
  }
}

// The rest of the page a person touches: demo card, funding picker, remove
// with confirmation, language, announcements, dark theme, CSP, and the
// embedding bridge through the example host page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode, MASKED, pauseSoon } from './lib/fixture.mjs';
import { serveStatic } from './lib/server.mjs';

let fx;
before(async () => {
  fx = await startFixture();
});
after(() => fx?.close());

/** Collects CSP violations from the page's start (they would mean inline code or foreign sources). */
async function watchCsp(page) {
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

test('"Get a demo card" provisions from the demo issuer; funding labels are bank + last 4', async () => {
  const context = await fx.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await watchCsp(page);
  await openWallet(page, fx.server);
  assert.ok(await page.isHidden('#wallet'), 'a card is shown before any was added');
  await page.tap('#demo');
  await waitForCode(page);
  assert.ok((await page.textContent('#issuer')).length > 0);
  const labels = await page.locator('#funding option').allTextContents();
  assert.ok(labels.length >= 1);
  for (const label of labels) assert.match(label, /^(Balance|\S.* •••• \d{4})$/, `funding label: ${label}`);
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
  await context.close();
});

test('no demo issuer → a plain message, nothing else changes', async () => {
  const bare = await serveStatic(fx.server.url && (await import('./lib/fixture.mjs')).WWW, {
    mounts: process.env.E2E_PKG_DIR ? { '/pkg/': process.env.E2E_PKG_DIR } : {},
  });
  try {
    const context = await fx.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await openWallet(page, bare);
    await page.tap('#demo');
    await page.waitForFunction(() => !document.getElementById('message').hidden && !document.getElementById('demo').disabled);
    assert.equal(await page.textContent('#message'), 'No demo bank is answering here. Paste a link from your bank instead.');
    assert.ok(await page.isHidden('#wallet'));
    await context.close();
  } finally {
    await bare.close();
  }
});

test('remove card asks first; cancel keeps it, confirm removes it for good', async () => {
  const context = await fx.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  await page.tap('#remove');
  assert.ok(await page.evaluate(() => document.getElementById('confirm-remove').open), 'no confirmation dialog');
  await page.tap('#confirm-cancel');
  assert.ok(await page.isVisible('#wallet'), 'cancel removed the card');
  await page.tap('#remove');
  await page.tap('#confirm-ok');
  assert.ok(await page.isHidden('#wallet'), 'the card is still shown');
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  assert.ok(await page.isHidden('#wallet'), 'the card came back after a reload');
  await context.close();
});

test('language from the browser, switchable, remembered; rotation announced politely without digits', async () => {
  const context = await fx.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.textContent('#refresh'), '换一个码');
  await page.tap('#refresh');
  await page.waitForFunction(() => document.getElementById('announce').textContent !== '');
  assert.equal(await page.textContent('#announce'), '新付款码已生成');
  assert.equal(await page.getAttribute('#announce', 'aria-live'), 'polite');

  await page.tap('#lang');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('#refresh'), 'New code');
  assert.match(await page.textContent('#countdown'), /^New code in \d+ s$/);
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  assert.equal(await page.textContent('#refresh'), 'New code', 'language choice not remembered');
  await page.tap('#refresh');
  await page.waitForFunction(() => document.getElementById('announce').textContent === 'New code ready');
  assert.doesNotMatch(await page.textContent('#announce'), /\d/);
  await context.close();
});

test('opened in the language of its HTML, the page rewrites none of its labels before the first code', async () => {
  const context = await fx.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  // Every change to a translated element or the root's lang, from the page
  // parsed until the first code is drawn (each would be laid out again before
  // the code could be measured and drawn).
  await page.addInitScript(() => {
    window.__relabelled = [];
    window.__firstCode = false;
    const note = (records) => {
      if (window.__firstCode) return;
      for (const r of records) {
        const el = r.target.nodeType === Node.ELEMENT_NODE ? r.target : r.target.parentElement;
        const translated = el?.closest?.('[data-i18n], [data-i18n-label], [data-i18n-placeholder], #lang');
        if (r.type === 'attributes' && r.target === document.documentElement && r.attributeName === 'lang') {
          window.__relabelled.push(`html lang → ${document.documentElement.lang}`);
        } else if (translated && (r.type === 'childList' || r.type === 'characterData' || ['lang', 'aria-label', 'placeholder', 'aria-pressed'].includes(r.attributeName))) {
          window.__relabelled.push(`#${translated.id || translated.dataset.i18n}: ${r.type} ${r.attributeName ?? ''}`.trim());
        }
      }
    };
    const observer = new MutationObserver(note);
    // From the end of parsing (the parser's own insertions are not rewrites),
    // which comes before the page's module script runs.
    document.addEventListener('readystatechange', () => {
      if (document.readyState !== 'interactive') return;
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    // Records are delivered later: those made before the first code are taken at once.
    const putImageData = CanvasRenderingContext2D.prototype.putImageData;
    CanvasRenderingContext2D.prototype.putImageData = function putImageDataMarked(...args) {
      note(observer.takeRecords());
      window.__firstCode = true;
      return putImageData.apply(this, args);
    };
  });
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  assert.deepEqual(await page.evaluate(() => window.__relabelled), []);
  // The test sees rewrites: switching language does rewrite the labels.
  await page.evaluate(() => { window.__firstCode = false; });
  await page.tap('#lang');
  await page.waitForFunction(() => window.__relabelled.length > 0);
  await context.close();
});

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a, b) {
  const lum = (css) => {
    const [r, g, bl] = css.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

for (const colorScheme of ['light', 'dark']) {
  test(`${colorScheme} theme: the card stays white, text meets WCAG AA, focus is visible`, async () => {
    const context = await fx.newContext({ colorScheme, locale: 'en-US' });
    const page = await context.newPage();
    await openWallet(page, fx.server, await fx.newLink());
    await waitForCode(page);
    const colors = await page.evaluate(() => {
      const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
      return {
        page: css('body', 'backgroundColor'),
        pageText: css('body', 'color'),
        card: css('#card', 'backgroundColor'),
        digits: css('#digits', 'color'),
        countdown: css('#countdown', 'color'),
        button: css('#refresh', 'backgroundColor'),
        buttonText: css('#refresh', 'color'),
        remove: css('#remove', 'color'),
      };
    });
    assert.equal(colors.card, 'rgb(255, 255, 255)');
    if (colorScheme === 'dark') assert.ok(contrast(colors.page, 'rgb(255, 255, 255)') > 7, `page not dark: ${colors.page}`);
    for (const [fg, bg] of [
      [colors.pageText, colors.page],
      [colors.digits, colors.card],
      [colors.countdown, colors.card],
      [colors.buttonText, colors.button],
      [colors.remove, colors.page],
    ]) {
      assert.ok(contrast(fg, bg) >= 4.5, `contrast ${fg} on ${bg} is ${contrast(fg, bg).toFixed(2)}`);
    }
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const el = document.activeElement;
      return { tag: el.tagName, style: getComputedStyle(el).outlineStyle, width: getComputedStyle(el).outlineWidth };
    });
    assert.equal(outline.tag, 'BUTTON');
    assert.notEqual(outline.style, 'none', 'no visible focus');
    await context.close();
  });
}

test('CSP: only self and wasm-unsafe-eval; no inline script or style', async () => {
  const context = await fx.newContext();
  const page = await context.newPage();
  await watchCsp(page);
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  const facts = await page.evaluate(() => ({
    csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '',
    inlineScripts: [...document.scripts].filter((s) => !s.src).length,
    violations: window.__csp,
  }));
  assert.match(facts.csp, /script-src 'self' 'wasm-unsafe-eval'/);
  // connect-src: the origins a card's issuer may answer at (a link's `api`, docs/FORMAT.md §8),
  // exactly these; the only wildcard anywhere is the port of the two loopback hosts.
  assert.match(facts.csp, /; connect-src 'self' https: http:\/\/127\.0\.0\.1:\* http:\/\/localhost:\*;/);
  assert.doesNotMatch(facts.csp.replace(/ http:\/\/(127\.0\.0\.1|localhost):\*/g, ''), /'unsafe-inline'|'unsafe-eval'|\*/);
  assert.equal(facts.inlineScripts, 0);
  // The markup itself has no inline style (scripts may still set styles through the CSSOM, which CSP allows).
  for (const file of ['index.html', 'embed-example.html']) {
    const html = await (await fetch(new URL(file, fx.server.url))).text();
    assert.doesNotMatch(html, /<style|\sstyle=|<script(?![^>]*\ssrc=)[^>]*>/i, `inline style or script in ${file}`);
  }
  // And nothing was blocked while the wallet started, drew and rotated.
  await page.tap('#refresh');
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  await context.close();
});

test('embedded in the example host: provision, refresh and setFunding by postMessage; events come back', async () => {
  const context = await fx.newContext({ viewport: { width: 1000, height: 900 }, isMobile: false });
  const page = await context.newPage();
  await page.goto(`${fx.server.url}embed-example.html`);
  const frame = page.frameLocator('#wallet');
  await frame.locator('html[data-ready="true"]').waitFor();
  await page.fill('#link', await fx.newLink());
  await page.click('#send-provision');
  await frame.locator('#digits').filter({ hasText: /\d{4}/ }).waitFor();
  const events = async () => (await page.locator('#events li').allTextContents()).map((t) => JSON.parse(t));
  await page.waitForFunction(() => document.querySelectorAll('#events li').length >= 2);
  let seen = await events();
  assert.ok(seen.some((e) => e.type === 'provisioned'), JSON.stringify(seen));
  assert.ok(seen.some((e) => e.type === 'brightness' && e.level === 'max'), 'no brightness request');
  assert.equal(await page.textContent('#brightness'), 'maximum');

  const before = seen.filter((e) => e.type === 'rotated').length;
  await page.click('#send-refresh');
  await page.waitForFunction((n) => [...document.querySelectorAll('#events li')].filter((li) => li.textContent.includes('"rotated"')).length > n, before);
  seen = await events();
  const rotated = seen.find((e) => e.type === 'rotated');
  assert.match(rotated.masked, MASKED);

  const last = (await frame.locator('#funding option').count()) - 1;
  await page.fill('#funding-index', String(last));
  await page.click('#send-funding');
  await page.waitForFunction((i) => document.getElementById('wallet').contentDocument.getElementById('funding').value === String(i), last);

  await page.fill('#link', 'paycode://provision?v=1');
  await page.click('#send-provision');
  await page.waitForFunction(() => document.querySelector('#events li')?.textContent.includes('"error"'));
  seen = await events();
  assert.equal(seen[0].type, 'error');
  assert.equal(seen[0].kind, 'missing_field');
  assert.ok(await frame.locator('#wallet').isVisible(), 'a bad link from the host removed the card');
  await context.close();
});

test('digits are masked; a tap shows them for 5 s, then they are masked again', async () => {
  const context = await fx.newContext();
  const page = await context.newPage();
  await page.clock.install({ time: new Date() });
  await openWallet(page, fx.server, await fx.newLink());
  const masked = await waitForCode(page);
  assert.match(masked, MASKED);
  // From here the page's clock moves only when the test says so: a busy
  // machine's real time must not eat into the 5 s being measured.
  await pauseSoon(page);
  await page.tap('#digits');
  const shown = await page.textContent('#digits');
  assert.match(shown.replace(/\s/g, ''), /^\d{16,24}$/);
  assert.equal(await page.getAttribute('#digits', 'aria-pressed'), 'true');
  await page.clock.runFor(4_800);
  // Still revealed (a time step may have brought a new code meanwhile: then its digits show).
  assert.match((await page.textContent('#digits')).replace(/\s/g, ''), /^\d{16,24}$/, 'masked again before 5 s');
  await page.clock.runFor(400);
  assert.match(await page.textContent('#digits'), MASKED, 'still revealed after 5 s');
  assert.equal(await page.getAttribute('#digits', 'aria-pressed'), 'false');
  await context.close();
});

test('installable: Chromium reports no installability errors once the service worker runs', async () => {
  const context = await fx.newContext();
  const page = await context.newPage();
  await openWallet(page, fx.server);
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 15_000 });
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  // Playwright's contexts are incognito profiles, which Chromium never installs from: that one is ours, not the app's.
  assert.deepEqual(installabilityErrors.filter((e) => e.errorId !== 'in-incognito'), []);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, []);
  await context.close();
});

test('screen wake lock: held while a code is shown, let go when hidden, taken again when visible', async () => {
  const context = await fx.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    // Watch the real API; and let the test play at hiding the page (headless pages never hide).
    const request = navigator.wakeLock.request.bind(navigator.wakeLock);
    window.__locks = [];
    navigator.wakeLock.request = async (type) => {
      const sentinel = await request(type);
      window.__locks.push(sentinel);
      return sentinel;
    };
    window.__hidden = false;
    Object.defineProperty(document, 'visibilityState', { get: () => (window.__hidden ? 'hidden' : 'visible') });
  });
  await openWallet(page, fx.server, await fx.newLink());
  await waitForCode(page);
  await page.waitForFunction(() => window.__locks.length === 1);
  const held = () => page.evaluate(() => window.__locks.filter((l) => !l.released).length);
  assert.equal(await held(), 1, 'no wake lock while a code is shown');

  await page.evaluate(() => {
    window.__hidden = true;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForFunction(() => window.__locks.every((l) => l.released));
  assert.equal(await held(), 0, 'wake lock kept while hidden');

  await page.evaluate(() => {
    window.__hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForFunction(() => window.__locks.length === 2);
  assert.equal(await held(), 1, 'wake lock not taken again when visible');

  // No card, no lock.
  await page.tap('#remove');
  await page.tap('#confirm-ok');
  await page.waitForFunction(() => window.__locks.every((l) => l.released));
  await context.close();
});

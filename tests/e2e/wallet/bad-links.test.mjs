// In each engine (E2E_ENGINE): every bad provisioning link gets its own
// plain-words message (en and zh-CN, the browser's language), and none of
// them removes the card already on the phone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, openWallet, waitForCode } from '../lib/fixture.mjs';
import { secretOf, provision } from '../lib/issuer.mjs';
import { engineFromEnv, openPage } from '../lib/webdriver.mjs';

const ENGINE = engineFromEnv();

const START = 'paycode://provision?';

/** `link` with its query changed by `edit(params)`. */
function variant(link, edit) {
  const params = new URLSearchParams(link.slice(START.length));
  edit(params);
  return START + params.toString();
}

/** Ten links, each wrong in one way, and the LinkError kind each must produce (docs: API.md / core::link). */
function malformed(good) {
  return [
    ['wrong_scheme', 'https://bank.example/provision?card=1'],
    ['unsupported_version', variant(good, (p) => p.set('v', '2'))],
    ['missing_field', variant(good, (p) => p.delete('secret'))],
    ['duplicate_field', `${good}&token=7`],
    ['bad_base32', variant(good, (p) => p.set('secret', '0189-NOT-BASE32'))],
    ['secret_length', variant(good, (p) => p.set('secret', 'AAAAAAAA'))],
    ['bad_prefix', variant(good, (p) => p.set('prefix', '09'))],
    ['unsupported_algorithm', variant(good, (p) => p.set('algorithm', 'MD5'))],
    ['bad_period', variant(good, (p) => p.set('period', '5'))],
    ['credit_refused', variant(good, (p) => p.append('funding', 'credit:CMB:8888'))],
  ];
}

let fx;
before(async () => {
  fx = await startFixture({ browser: false });
});
after(() => fx?.close());

/** The whole check in one page opened in `locale`. */
async function badLinks(page, locale) {
  const good = await fx.newLink();
  await openWallet(page, fx.server, good);
  await waitForCode(page);
  const issuer = await page.textContent('#issuer');
  const lang = await page.getAttribute('html', 'lang');
  assert.equal(lang, locale === 'zh-CN' ? 'zh-CN' : 'en');
  await page.evaluate(() => {
    window.__errors = [];
    window.PayCodeWallet.on('error', (event) => window.__errors.push(event));
  });
  const fallback = await page.evaluate(async () => (await import('./js/i18n.js')).errorMessage('no_such_kind'));

  const messages = [];
  const cases = malformed(good);
  assert.equal(cases.length, 10);
  for (const [kind, link] of cases) {
    await page.fill('#paste', link);
    await page.tap('#paste-add');
    await page.waitForFunction((n) => window.__errors.length === n, messages.length + 1);
    const shown = await page.textContent('#message');
    const event = await page.evaluate(() => window.__errors.at(-1));
    assert.equal(event.kind, kind, `link for ${kind} reported as ${event.kind}`);
    assert.equal(event.message, shown);
    assert.notEqual(shown, fallback, `no specific message for ${kind}`);
    assert.ok(shown.length > 10, `message for ${kind} too short: ${shown}`);
    if (locale === 'zh-CN') assert.match(shown, /[\u4e00-\u9fff]/, `message for ${kind} is not in Chinese`);
    const secret = secretOf(link);
    if (secret) assert.ok(!shown.includes(secret), 'the message quotes the secret');
    assert.equal(await page.inputValue('#paste'), '', 'the pasted link stayed in the page');
    // The card is still the old one, still showing a code.
    assert.equal(await page.textContent('#issuer'), issuer);
    assert.ok(await page.isVisible('#wallet'));
    await waitForCode(page);
    messages.push(shown);
  }
  assert.equal(new Set(messages).size, 10, `messages are not distinct:\n${messages.join('\n')}`);

  // Also through the fragment and the host API: same rules.
  await page.goto(`${fx.server.url}#provision=${encodeURIComponent(variant(good, (p) => p.delete('funding')))}`);
  await page.waitForSelector('html[data-ready="true"]');
  assert.equal(await page.textContent('#issuer'), issuer, 'a bad fragment link replaced the stored card');
  assert.equal(await page.textContent('#message'), await page.evaluate(async () => (await import('./js/i18n.js')).errorMessage('no_funding')));
  const rejected = await page.evaluate(
    (link) => window.PayCodeWallet.provision(link).then(() => 'accepted', (e) => e.kind),
    variant(good, (p) => p.set('funding', 'debit:ICBC:12')),
  );
  assert.equal(rejected, 'bad_last4');
  assert.equal(await page.textContent('#issuer'), issuer);

  // And after a reload the stored card is the good one.
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  assert.equal(await page.textContent('#issuer'), issuer);
  await waitForCode(page);

  // A good pasted link does replace the card (and leaves the paste box empty).
  await page.fill('#paste', await provision(fx.db, ['--issuer', 'Other Bank']));
  await page.tap('#paste-add');
  await page.waitForFunction(() => document.getElementById('issuer').textContent === 'Other Bank');
  assert.equal(await page.inputValue('#paste'), '');
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  assert.equal(await page.textContent('#issuer'), 'Other Bank');
}

for (const locale of ['en-US', 'zh-CN']) {
  test(`10 malformed links → 10 distinct specific messages, card kept (${locale})`, async () => {
    const page = await openPage(ENGINE, { locale });
    try {
      await badLinks(page, locale);
    } finally {
      await page.close();
    }
  });
}

// The phone side of the card channel (docs/FORMAT.md §11), computed again in
// Node from the card's link: HKDF-SHA256 of the secret, then the merchant
// API's string to sign. The tests check the page's own signatures with it.

import { createHash, createHmac, hkdfSync } from 'node:crypto';

/** The card secret's bytes from a paycode: link (RFC 4648 base32, any case, unpadded). */
export function secretOfLink(link) {
  const text = new URL(link.replace(/^paycode:/, 'http:')).searchParams.get('secret').toUpperCase().replace(/=+$/, '');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function channelKeyOfLink(link) {
  return Buffer.from(hkdfSync('sha256', secretOfLink(link), Buffer.alloc(0), 'paycode/v1/card-channel', 32));
}

/** The PAYCODE-CARD value for a request, signed under `key` (a channel key). */
export function cardAuthorization(key, { prefix, token }, { method, target, body = '', ts, nonce }) {
  const canonical = [method, target, String(ts), nonce, createHash('sha256').update(body).digest('hex')].join('\n');
  const sig = createHmac('sha256', key).update(canonical).digest('hex');
  return `PAYCODE-CARD prefix=${prefix},token=${token},ts=${ts},nonce=${nonce},sig=${sig}`;
}

/** Reads a PAYCODE-CARD value into its fields (null when it is not one). */
export function parseCardAuthorization(value) {
  const match = /^PAYCODE-CARD (.*)$/.exec(value ?? '');
  if (!match) return null;
  return Object.fromEntries(match[1].split(',').map((part) => part.split('=')));
}

/**
 * Call before the wallet asks for a demo card; resolves to the demo issuer's
 * answer with `link` added: the card's provisioning link, from the wallet's
 * redemption of the answer's activation link (docs/FORMAT.md §8.1).
 */
export function demoCardIssued(page) {
  const issued = page.waitForResponse((r) => r.url().endsWith('/api/cards') && r.request().method() === 'POST');
  const redeemed = page.waitForResponse((r) => r.url().endsWith('/v1/activations/redeem') && r.request().method() === 'POST');
  return (async () => ({ ...(await (await issued).json()), link: (await (await redeemed).json()).link }))();
}

/** A demo card's provisioning link, asked for and redeemed from Node, as a wallet would. */
export async function demoCardLink(url) {
  const made = await (await fetch(`${url}/api/cards`, { method: 'POST' })).json();
  const code = new URLSearchParams(made.activation.slice(made.activation.indexOf('?') + 1)).get('code');
  const redeemed = await fetch(`${url}/v1/activations/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  if (!redeemed.ok) throw new Error(`redeem: ${redeemed.status}`);
  return { ...made, link: (await redeemed.json()).link };
}

/** A phone with a demo card from `url`; resolves to {page, card} where card is the issuer's answer (link included). */
export async function phoneWithCard(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
  const issued = demoCardIssued(page);
  await page.click('#demo');
  const card = await issued;
  return { page, card };
}

/** A demo merchant from `POST /api/demo/till`: {merchant, name, key (hex)}. */
export async function demoTill(url) {
  const response = await fetch(`${url}/api/demo/till`, { method: 'POST' });
  if (!response.ok) throw new Error(`demo till: ${response.status}`);
  return response.json();
}

/** A signed merchant-API request as a till sends it; resolves to {status, body, at, wire} (at: Date.now() on the answer, wire: everything sent and received). */
export async function tillRequest(url, till, method, target, json) {
  const body = json === undefined ? '' : JSON.stringify(json);
  const ts = Math.floor(Date.now() / 1000);
  const nonce = `till${Math.random().toString(36).slice(2)}${Date.now()}`.slice(0, 32).padEnd(16, 'x');
  const canonical = [method, target, String(ts), nonce, createHash('sha256').update(body).digest('hex')].join('\n');
  const sig = createHmac('sha256', Buffer.from(till.key, 'hex')).update(canonical).digest('hex');
  const headers = { authorization: `PAYCODE-HMAC-SHA256 merchant=${till.merchant},ts=${ts},nonce=${nonce},sig=${sig}` };
  if (body) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${target}`, { method, headers, body: body || undefined });
  const at = Date.now();
  const text = await response.text();
  // What went over the wire both ways, for tests that search it.
  const wire = JSON.stringify({ sent: { target, headers, body }, got: { headers: Object.fromEntries(response.headers), text } });
  return { status: response.status, body: JSON.parse(text), at, wire };
}

/** Pays `code` for `amount` ("12.50") at `till`. */
export function tillPay(url, till, outTradeNo, code, amount) {
  return tillRequest(url, till, 'POST', '/v1/payments', { out_trade_no: outTradeNo, auth_code: code, amount, currency: 'CNY' });
}

/** Records on the page when the result sheet shows each charge: window.sheetShownAt[charge_id] = epoch ms. */
export async function watchSheet(page) {
  await page.evaluate(() => {
    window.sheetShownAt = {};
    const sheet = document.getElementById('result-sheet');
    new MutationObserver(() => {
      if (!sheet.hidden && sheet.dataset.charge && !(sheet.dataset.charge in window.sheetShownAt)) {
        window.sheetShownAt[sheet.dataset.charge] = performance.timeOrigin + performance.now();
      }
    }).observe(sheet, { attributes: true, attributeFilter: ['hidden', 'data-charge'] });
  });
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

// Driving the cashier page (www/cashier.html) like a cashier (in any engine's
// page of lib/webdriver.mjs, but for openTill and phoneWithDemoCard, which
// watch Playwright's responses), and asking the
// issuer's CLI what really happened: balances, the ledger check, and the
// signed query of a sale (`paycode till query` with the till's own key).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './issuer.mjs';
import { revealDigits, waitForCode } from './fixture.mjs';

/**
 * Opens the till in `context` on a fresh browser profile. Resolves to
 * {page, minted}: `minted` resolves, once the first sale has made the page
 * ask the demo issuer for its merchant, to {merchant, key} as the issuer
 * handed them over (captured here so the test can sign a query and look for
 * the key where it must not be); they are also set on the returned object.
 */
export async function openTill(context, url, { shop = null } = {}) {
  const page = await context.newPage();
  const till = { page };
  till.minted = page.waitForResponse((r) => r.url().endsWith('/api/demo/till') && r.request().method() === 'POST', { timeout: 60_000 })
    .then(async (response) => {
      const answer = await response.json();
      assert.match(answer.merchant ?? '', /^[A-Za-z0-9_-]{1,64}$/, `demo till answer: ${JSON.stringify(Object.keys(answer))}`);
      assert.match(answer.key ?? '', /^[0-9a-f]{32,128}$/i, 'the demo till answer holds no hex key');
      await page.waitForFunction((id) => document.getElementById('merchant-id').textContent === id, answer.merchant);
      return Object.assign(till, { merchant: answer.merchant, key: answer.key });
    });
  // Awaited by the test when it needs the key; a test that fails first must not also crash the run.
  till.minted.catch(() => {});
  await page.goto(`${url}/cashier.html`);
  if (shop !== null) {
    await page.click('.settings summary');
    await page.fill('#shop', shop);
  }
  return till;
}

/** Types the amount, then the code as a scanner would (Enter charges). */
export async function enterSale(page, code, amount) {
  await page.fill('#amount', amount);
  await page.fill('#code', '');
  await page.type('#code', code);
  await page.press('#code', 'Enter');
}

/** Types the code and amount into the till's page as a scanner would (Enter submits); resolves to the final verdict. */
export async function chargeAtTill(page, code, amount, until = /^(Approved|Declined: .*|Refused: .*)$/) {
  await enterSale(page, code, amount);
  return (await waitForVerdict(page, until)).verdict;
}

/** Waits until the verdict matches `pattern`; resolves to {verdict, detail, saleNo, tone}. */
export async function waitForVerdict(page, pattern, timeout = 15_000) {
  await page.waitForFunction(
    ([source, flags]) => new RegExp(source, flags).test(document.getElementById('verdict').textContent),
    [pattern.source, pattern.flags],
    { timeout },
  );
  return answerOf(page);
}

/**
 * Starts keeping every verdict the till shows, in order: some stages (the
 * reverse on loopback) last less than a frame, too short to catch by polling.
 * Resolves to a function that resolves to the verdicts so far.
 */
export async function recordVerdicts(page) {
  await page.evaluate(() => {
    window.__verdicts = [];
    const verdict = document.getElementById('verdict');
    new MutationObserver(() => {
      if (window.__verdicts.at(-1) !== verdict.textContent) window.__verdicts.push(verdict.textContent);
    }).observe(verdict, { childList: true, characterData: true, subtree: true });
  });
  return () => page.evaluate(() => [...window.__verdicts]);
}

export function answerOf(page) {
  return page.evaluate(() => ({
    verdict: document.getElementById('verdict').textContent,
    detail: document.getElementById('detail').textContent,
    saleNo: document.getElementById('sale-no').textContent,
    tone: document.getElementById('answer').dataset.tone,
    cancelShown: !document.getElementById('cancel-sale').hidden,
  }));
}

/** The till's "Recent payments" rows. */
export function recentRows(page) {
  return page.$$eval('#recent-list li', (items) => items.map((li) => ({
    outTradeNo: li.dataset.outTradeNo,
    status: li.dataset.status,
    amount: li.querySelector('.sale-amount').textContent,
    statusText: li.querySelector('.sale-status').textContent,
    funding: li.querySelector('.sale-funding').textContent,
    result: li.querySelector('.sale-result').textContent,
    refundShown: !li.querySelector('.refund').hidden,
    reverseShown: !li.querySelector('.reverse').hidden,
  })));
}

/** The balance of a card (token) or a merchant (m_ id) in fen. */
export async function balanceFen(db, account) {
  const out = await run(['balance', account, '--db', db]);
  assert.equal(out.status, 0, `paycode balance ${account}: ${out.stdout} ${out.stderr}`);
  assert.ok(Number.isInteger(out.json?.balance_fen), `paycode balance ${account}: ${out.stdout}`);
  return out.json.balance_fen;
}

/** Asserts `paycode ledger check` is clean. */
export async function assertLedgerClean(db) {
  const out = await run(['ledger', 'check', '--db', db]);
  assert.equal(out.status, 0, `ledger check: ${out.stdout} ${out.stderr}`);
  assert.equal(out.json?.result, 'clean', out.stdout);
}

export async function topup(db, token, amount) {
  const out = await run(['topup', token, amount, '--db', db]);
  assert.equal(out.status, 0, `paycode topup: ${out.stdout} ${out.stderr}`);
}

/** The issuer's answer to a signed query of `outTradeNo`, by the native client with the till's key. */
export async function queryAsTill(dir, till, url, outTradeNo) {
  await till.minted;
  const keyFile = path.join(dir, `till-${till.merchant}.json`);
  await writeFile(keyFile, JSON.stringify({ merchant: till.merchant, key: till.key }), { mode: 0o600 });
  const out = await run(['till', 'query', outTradeNo, '--key-file', keyFile, '--url', url]);
  assert.ok(out.json && typeof out.json === 'object', `paycode till query: ${out.stdout} ${out.stderr}`);
  return out.json;
}

/** A phone on the wallet page with a demo card; resolves to {page, token, code}. */
export async function phoneWithDemoCard(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
  const issued = page.waitForResponse((r) => r.url().endsWith('/api/cards') && r.request().method() === 'POST');
  await page.click('#demo');
  const card = await (await issued).json();
  assert.ok(Number.isInteger(card.token) && Number.isInteger(card.prefix), `demo card answer: ${JSON.stringify(Object.keys(card))}`);
  await waitForCode(page);
  // The CLI's CARD: PREFIX:TOKEN.
  return { page, token: `${card.prefix}:${card.token}`, code: await revealDigits(page) };
}

/** Taps "New code" until the phone shows digits other than `previous`; resolves to them. */
export async function nextCode(phone, previous) {
  for (let i = 0; i < 5; i += 1) {
    await phone.click('#refresh');
    const digits = await revealDigits(phone);
    if (digits !== previous) return digits;
  }
  throw new Error('the wallet kept showing the same code');
}

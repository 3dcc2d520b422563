// The wallet page: a thin shell around the wasm module, which generates,
// draws, rotates and swipes the codes. This file wires the page together:
// provisioning, the funding picker, digits, countdown, persistence, the
// payer's PIN (sent to the issuer, never kept), the card's recent payments,
// live results and the barcode full screen.

import { takeFragmentLink, fetchDemoLink } from './provision.js';
import { t, applyTranslations, setIfChanged, setLanguage, otherLanguage, errorMessage } from './i18n.js';
import * as storage from './storage.js';
import { installBridge, isEmbedded } from './bridge.js';
import { installScanAids } from './scan-aids.js';
import { installFullBarcode } from './full-barcode.js';
import { registerServiceWorker, pageSettled } from './offline.js';
import { createCodeCard } from './code-card.js';
import { createHistory } from './history.js';
import { openChannel, signedFetch } from './card-channel.js';
import { createLiveResults } from './live-results.js';
import { createResultSheet } from './result-sheet.js';

// First of all: a link in the fragment leaves the address bar before anything can leak it.
const fragmentLink = takeFragmentLink();
// Started at once and side by side: the first code waits for both. A link
// in the fragment is drawn without the stored card, which is read only if
// that link turns out bad: reading it would first create the database on a
// first visit, work the first code would share the machine with.
const wasmLoading = loadWasm();
let storedLoading = fragmentLink === null ? storage.loadCard() : null;
storedLoading?.catch(() => {}); // handled in restoreStoredCard

const $ = (id) => document.getElementById(id);
const els = {
  wallet: $('wallet'),
  issuer: $('issuer'),
  fundingLabel: $('funding-label'),
  funding: $('funding'),
  message: $('message'),
  paste: $('paste'),
  pasteAdd: $('paste-add'),
  demo: $('demo'),
  remove: $('remove'),
  confirm: $('confirm-remove'),
  lang: $('lang'),
  provisionTitle: $('provision-title'),
  pinSetup: $('pin-setup'),
  pinNew: $('pin-new'),
  pinSetupError: $('pin-setup-error'),
};

let wasm = null; // the wasm module's exports once loaded
let card = null; // the code card (view + digits + countdown) of the current card
let info = null; // parseLink() of the current card: no secret in it
let lastMessage = null; // {kind} or {key, args}: re-rendered on a language switch
let link = null; // the current card's link, to draw it again with a corrected clock
let channel = null; // the current card's signed channel to its issuer (card-channel.js)
let pinSet = null; // whether the issuer has the payer's PIN for this card (null: not known)
let pinSetupMessage = null; // {key, args} under the PIN field

/** How far the issuer's clock may drift from the wallet's estimate before the codes are redrawn on it. */
const CLOCK_TOLERANCE_MS = 2000;

const payments = createHistory({ // "Recent payments" (not window.history)
  section: $('history'),
  list: $('history-list'),
  empty: $('history-empty'),
  refreshButton: $('history-refresh'),
  onPinSet: (set) => {
    pinSet = set;
    renderPinSetup();
  },
});

const sheet = createResultSheet({
  sheet: $('result-sheet'),
  title: $('result-title'),
  amount: $('result-amount'),
  merchant: $('result-merchant'),
  funding: $('result-funding'),
  time: $('result-time'),
  close: $('result-close'),
  announce: $('announce-result'),
  pinForm: $('result-pin'),
  pinInput: $('result-pin-input'),
  pinError: $('result-pin-error'),
  declineButton: $('result-decline'),
  confirm: (row, pin) => answerPayment(row, 'confirm', { pin }),
  decline: (row) => answerPayment(row, 'decline'),
});

/**
 * The payer's answer to a payment that waits (USERPAYING), over the card
 * channel: the PIN goes to the issuer from this phone only. Resolves to null
 * when the issuer took it (the stream then brings the new result), or to
 * the message to show.
 */
async function answerPayment(row, action, json) {
  if (!channel || typeof row.charge_id !== 'string') return { key: 'pinFailed' };
  const response = await signedFetch(channel, `v1/wallet/payments/${encodeURIComponent(row.charge_id)}/${action}`, {
    method: 'POST',
    json,
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a failure below
  }
  if (response.ok) {
    const result = { SUCCESS: 'approved', FAILED: 'failed', CLOSED: 'closed' }[body?.status];
    if (result) sheet.show({ ...row, result });
    payments.refresh();
    return null;
  }
  const code = body?.error?.code;
  if (code === 'PIN_INCORRECT') return { key: 'pinWrong', args: [body.error.attempts_left] };
  if (code === 'PIN_BLOCKED') return { key: 'pinBlocked' };
  if (code === 'NO_PIN') return { key: 'pinNone' };
  return { key: 'pinFailed' };
}

function renderPinSetup() {
  els.pinSetup.hidden = !card || pinSet !== false;
  els.pinSetupError.hidden = !pinSetupMessage;
  els.pinSetupError.textContent = pinSetupMessage ? t(pinSetupMessage.key, ...(pinSetupMessage.args ?? [])) : '';
}

async function choosePin(pin) {
  if (!/^[0-9]{6}$/.test(pin)) {
    pinSetupMessage = { key: 'pinFormat' };
    renderPinSetup();
    return;
  }
  let response = null;
  try {
    response = await signedFetch(channel, 'v1/wallet/pin', { method: 'POST', json: { pin } });
  } catch {
    // offline: said below
  }
  // 409: the issuer already has one (set from another tab): nothing to ask.
  if (response && (response.ok || response.status === 409)) {
    pinSet = true;
    pinSetupMessage = null;
    showMessage({ key: 'pinChosen' }, false);
  } else {
    pinSetupMessage = { key: 'pinFailed' };
  }
  renderPinSetup();
}

const live = createLiveResults({
  onResult: (row) => {
    sheet.show(row);
    payments.refresh();
  },
  // false: the stream is down, the page says so; true or null (no issuer to ask): nothing to say.
  onOnline: (up) => {
    $('stream-notice').hidden = up !== false;
  },
  onBack: () => payments.refresh(),
  onClock: (offsetMs) => correctClock(offsetMs),
});

const emit = installBridge({
  provision: (link) => enqueue(() => provision(link)),
  setFunding: (index) => chooseFunding(index),
  refresh: () => card?.refresh(),
});

const scanAids = installScanAids({
  emit,
  embedded: isEmbedded(),
  fullscreenButton: $('fullscreen'),
  fullscreenTarget: els.wallet,
  labels: { enter: () => t('fullscreen'), exit: () => t('exitFullscreen') },
});

const fullBarcode = installFullBarcode({
  openButton: $('barcode-open'),
  canvas: $('barcode'),
  dialog: $('barcode-full'),
  frame: $('barcode-full-frame'),
  slot: $('barcode-full-slot'),
  digitsEl: $('barcode-full-digits'),
  redraw: () => card?.render(),
  digits: () => card?.digits ?? '',
});

// Provisioning steps run one at a time (fragment, paste, demo and host may race).
let queue = Promise.resolve();
function enqueue(step) {
  const run = queue.then(step);
  queue = run.catch(() => {});
  return run;
}

function showMessage(message, isError) {
  lastMessage = message;
  els.message.textContent = message.kind ? errorMessage(message.kind) : t(message.key, ...(message.args ?? []));
  els.message.classList.toggle('error', Boolean(isError));
  els.message.hidden = false;
}

function clearMessage() {
  lastMessage = null;
  els.message.hidden = true;
  els.message.textContent = '';
}

/** Report a failure on the page and to the host; returns the error to reject with. */
function fail(kind) {
  showMessage({ kind }, true);
  const message = errorMessage(kind);
  emit({ type: 'error', kind, message });
  const error = new Error(message);
  error.kind = kind;
  return error;
}

/** The stable kind of an error thrown by the wasm API (LinkError::kind) or by this page. */
function kindOf(error) {
  return typeof error?.kind === 'string' && error.kind ? error.kind : 'unknown';
}

function fundingText(source) {
  if (source.kind === 'balance') return t('balance');
  if (source.bank && source.last4) return `${source.bank} •••• ${source.last4}`;
  return source.label ?? '';
}

function renderFunding() {
  els.funding.replaceChildren(
    ...info.funding.map((source) => new Option(fundingText(source), String(source.index))),
  );
  const index = card.fundingIndex;
  els.funding.value = String(index);
  const chosen = info.funding.find((source) => source.index === index);
  els.fundingLabel.textContent = chosen ? fundingText(chosen) : '';
}

function renderCard() {
  const hasCard = Boolean(card);
  els.wallet.hidden = !hasCard;
  els.remove.hidden = !hasCard;
  els.provisionTitle.textContent = t(hasCard ? 'replaceCard' : 'addCard');
  if (hasCard) {
    els.issuer.textContent = info.issuer;
    renderFunding();
  }
  renderPinSetup();
  scanAids.codeShown(hasCard);
}

/** Make the code card for `link`; throws (kind set) without touching the current card. */
function openCard(link, { fundingIndex, clockOffsetMs }) {
  const parsed = wasm.parseLink(link);
  const wasHidden = els.wallet.hidden;
  els.wallet.hidden = false; // the canvases need a laid-out size before the first draw
  try {
    const next = createCodeCard(wasm, link, {
      fundingIndex: fundingIndex < parsed.funding.length ? fundingIndex : 0,
      clockOffsetMs,
      periodMs: parsed.period * 1000,
      onRotate: (masked) => {
        // A new step brings new codes: the "no more codes for now" notice is over.
        if (lastMessage?.kind === 'counter_exhausted') clearMessage();
        fullBarcode.codeChanged();
        emit({ type: 'rotated', masked });
      },
      onError: (kind) => fail(kind),
    });
    return { next, parsed };
  } catch (error) {
    els.wallet.hidden = wasHidden;
    throw error;
  }
}

function swapIn({ next, parsed }, cardLink, { sameCard = false } = {}) {
  fullBarcode.close(); // it shows the replaced card's code
  const replaced = card;
  replaced?.destroy();
  card = next;
  info = parsed;
  link = cardLink;
  // The new view drew its code in fromLink: a first card goes to the screen as
  // drawn, without a second measure-and-draw before its first frame.
  if (replaced) card.render();
  renderCard();
  // For hosts and tests: the issuer-clock estimate the codes are drawn on.
  document.documentElement.dataset.clockOffsetMs = String(Math.round(card.clockOffsetMs));
  if (sameCard) return; // the same card on a corrected clock: same channel, same stream
  sheet.hide();
  pinSet = null;
  pinSetupMessage = null;
  renderPinSetup();
  // Signed with the card channel's key; the card key stays in wasm.
  const bytes = card.channelKey();
  channel = openChannel(bytes, { token: info.token, prefix: info.prefix }, () => Date.now() + (card?.clockOffsetMs ?? 0));
  payments.show(channel);
  live.show(channel);
}

/**
 * The issuer's clock, measured online, differs from the wallet's estimate
 * (a link pasted late, the phone's clock changed): draw the codes on it.
 */
function correctClock(offsetMs) {
  if (!card || !link || !Number.isFinite(offsetMs)) return;
  if (Math.abs(offsetMs - card.clockOffsetMs) < CLOCK_TOLERANCE_MS) return;
  enqueue(() => {
    if (!card || !link) return;
    const opened = openCard(link, { fundingIndex: card.fundingIndex, clockOffsetMs: offsetMs });
    swapIn(opened, link, { sameCard: true });
    storage.updateCard({ clockOffsetMs: card.clockOffsetMs }).catch(() => {});
  }).catch(() => {});
}

/** Keep `rawLink` as the card. */
async function provision(rawLink) {
  const link = String(rawLink ?? '').trim();
  if (!wasm) throw fail('wasm_failed');
  if (!link) throw fail('empty_link');
  let opened;
  try {
    opened = openCard(link, { fundingIndex: 0 });
  } catch (error) {
    throw fail(kindOf(error)); // a bad link never removes the existing card
  }
  swapIn(opened, link);
  showMessage({ key: 'added', args: [info.issuer] }, false);
  try {
    await storage.saveCard({ link, fundingIndex: card.fundingIndex, clockOffsetMs: card.clockOffsetMs });
    navigator.storage?.persist?.().catch(() => {});
  } catch {
    showMessage({ kind: storage.canSeal() ? 'storage_failed' : 'no_crypto' }, true);
  }
  const summary = { issuer: info.issuer, funding: info.funding.map(({ index, kind, label }) => ({ index, kind, label })) };
  emit({ type: 'provisioned', ...summary });
  return summary;
}

function chooseFunding(index) {
  if (!card || !info || !Number.isInteger(index) || index < 0 || index >= info.funding.length) return false;
  if (!card.setFunding(index)) return false;
  renderFunding();
  storage.updateCard({ fundingIndex: index }).catch(() => {});
  return true;
}

async function removeCurrentCard() {
  fullBarcode.close();
  card?.destroy();
  card = null;
  info = null;
  link = null;
  channel = null;
  pinSet = null;
  $('digits').textContent = '';
  renderCard();
  payments.show(null);
  live.show(null);
  sheet.hide();
  try {
    await storage.removeCard();
  } catch {
    // The card is gone from the page either way; a stale record fails to load next time.
  }
  showMessage({ key: 'removed' }, false);
  emit({ type: 'removed' });
}

async function restoreStoredCard() {
  let stored;
  try {
    stored = await (storedLoading ??= storage.loadCard());
  } catch {
    showMessage({ kind: 'stored_unreadable' }, true);
    return;
  }
  if (!stored) return;
  try {
    swapIn(openCard(stored.link, stored), stored.link);
  } catch (error) {
    showMessage({ kind: kindOf(error) }, true);
  }
}

function wireControls() {
  els.lang.addEventListener('click', () => {
    setLanguage(otherLanguage());
    relabel();
  });
  $('refresh').addEventListener('click', () => card?.refresh());
  els.funding.addEventListener('change', () => chooseFunding(Number(els.funding.value)));
  els.pasteAdd.addEventListener('click', () => {
    const link = els.paste.value;
    // The pasted text holds a secret: out of the DOM whatever happens next.
    els.paste.value = '';
    enqueue(() => provision(link)).then(() => {}, () => {});
  });
  els.demo.addEventListener('click', async () => {
    els.demo.disabled = true;
    showMessage({ key: 'demoWait' }, false);
    try {
      const { link: demoLink } = await fetchDemoLink();
      await enqueue(() => provision(demoLink));
    } catch (error) {
      // provision() has reported link errors itself; only the request's own failures are left.
      if (error?.kind === 'no_demo_server' || error?.kind === 'demo_failed') fail(error.kind);
    } finally {
      els.demo.disabled = false;
    }
  });
  els.pinSetup.addEventListener('submit', (event) => {
    event.preventDefault();
    const pin = els.pinNew.value;
    els.pinNew.value = ''; // the PIN goes to the issuer, not into the page
    choosePin(pin);
  });
  els.remove.addEventListener('click', () => els.confirm.showModal());
  $('confirm-cancel').addEventListener('click', () => els.confirm.close());
  $('confirm-ok').addEventListener('click', () => {
    els.confirm.close();
    removeCurrentCard();
  });
  window.addEventListener('hashchange', () => {
    const link = takeFragmentLink();
    if (link !== null) enqueue(() => provision(link)).then(() => {}, () => {});
  });
  document.addEventListener('keydown', (event) => {
    if (!card || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (els.confirm.open) return;
    // Keys typed into a control, or activating a focused button, are theirs.
    if (event.target.closest?.('button, select, textarea, input, a[href], [contenteditable]')) return;
    if (event.key === ' ' || event.key === 'Enter' || event.key === 'r' || event.key === 'R') {
      event.preventDefault();
      card.refresh();
    }
  });
}

function relabel() {
  applyTranslations();
  setIfChanged(els.lang, 'textContent', t('langButton'));
  setIfChanged(els.lang, 'lang', otherLanguage()); // the button names the other language in that language
  scanAids.relabel();
  payments.render();
  sheet.render();
  if (card) {
    renderCard();
    card.render();
  } else {
    setIfChanged(els.provisionTitle, 'textContent', t('addCard'));
  }
  if (lastMessage) showMessage(lastMessage, els.message.classList.contains('error'));
}

async function loadWasm() {
  try {
    const module = await import('../pkg/paycode_wallet.js');
    await module.default();
    return module;
  } catch {
    showMessage({ kind: 'wasm_failed' }, true);
    return null;
  }
}

async function start() {
  relabel();
  wireControls();
  // Queued first (synchronously, before any host message can arrive), so every
  // provisioning request waits for the module and the stored card.
  await enqueue(async () => {
    wasm = await wasmLoading;
    if (!wasm) return;
    // A link in the fragment replaces the stored card: its code is drawn without
    // waiting for IndexedDB, and the stored card is restored only if the link is bad.
    if (fragmentLink !== null) {
      try {
        await provision(fragmentLink);
        return;
      } catch {
        // provision() has shown and sent why; the stored card stays.
      }
    }
    await restoreStoredCard();
  });
  // Offline support after the first code, not competing with it: installing
  // the service worker downloads the whole shell, and a controlling one
  // refreshes its copy once told the page has settled.
  registerServiceWorker();
  pageSettled();
  document.documentElement.dataset.ready = 'true'; // for hosts and tests: the wallet has settled
}

start();

// The wallet page: a thin shell around the wasm module, which generates,
// draws, rotates and swipes the codes. This file wires the page together:
// provisioning, the funding picker, digits, countdown, persistence, the demo
// card's PIN, the card's recent payments and the barcode full screen.

import { takeFragmentLink, fetchDemoLink } from './provision.js';
import { t, applyTranslations, setIfChanged, setLanguage, otherLanguage, errorMessage } from './i18n.js';
import * as storage from './storage.js';
import { installBridge, isEmbedded } from './bridge.js';
import { installScanAids } from './scan-aids.js';
import { installFullBarcode } from './full-barcode.js';
import { registerServiceWorker, pageSettled } from './offline.js';
import { createCodeCard } from './code-card.js';
import { createHistory } from './history.js';
import { openChannel } from './card-channel.js';
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
  demoPin: $('demo-pin'),
  demoPinValue: $('demo-pin-value'),
};

let wasm = null; // the wasm module's exports once loaded
let card = null; // the code card (view + digits + countdown) of the current card
let info = null; // parseLink() of the current card: no secret in it
let lastMessage = null; // {kind} or {key, args}: re-rendered on a language switch
let demoPin = null; // the demo issuer's PIN for this card (a shown demo value, not its secret), or null
let link = null; // the current card's link, to draw it again with a corrected clock

/** How far the issuer's clock may drift from the wallet's estimate before the codes are redrawn on it. */
const CLOCK_TOLERANCE_MS = 2000;

const payments = createHistory({ // "Recent payments" (not window.history)
  section: $('history'),
  list: $('history-list'),
  empty: $('history-empty'),
  refreshButton: $('history-refresh'),
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
});

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
  els.demoPin.hidden = !hasCard || !demoPin;
  els.demoPinValue.textContent = hasCard && demoPin ? demoPin : '';
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

function swapIn({ next, parsed }, pin, cardLink, { sameCard = false } = {}) {
  fullBarcode.close(); // it shows the replaced card's code
  const replaced = card;
  replaced?.destroy();
  card = next;
  info = parsed;
  demoPin = pin ?? null;
  link = cardLink;
  // The new view drew its code in fromLink: a first card goes to the screen as
  // drawn, without a second measure-and-draw before its first frame.
  if (replaced) card.render();
  renderCard();
  if (sameCard) return; // the same card on a corrected clock: same channel, same stream
  sheet.hide();
  // Signed with the card channel's key; the card key stays in wasm.
  const bytes = card.channelKey();
  const channel = openChannel(bytes, { token: info.token, prefix: info.prefix }, () => Date.now() + (card?.clockOffsetMs ?? 0));
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
    swapIn(opened, demoPin, link, { sameCard: true });
    storage.updateCard({ clockOffsetMs: card.clockOffsetMs }).catch(() => {});
  }).catch(() => {});
}

/** Keep `rawLink` as the card; `demoPin` is the PIN a demo issuer gave with it. */
async function provision(rawLink, { demoPin: pin = null } = {}) {
  const link = String(rawLink ?? '').trim();
  if (!wasm) throw fail('wasm_failed');
  if (!link) throw fail('empty_link');
  let opened;
  try {
    opened = openCard(link, { fundingIndex: 0 });
  } catch (error) {
    throw fail(kindOf(error)); // a bad link never removes the existing card
  }
  swapIn(opened, pin, link);
  showMessage({ key: 'added', args: [info.issuer] }, false);
  try {
    await storage.saveCard({ link, fundingIndex: card.fundingIndex, clockOffsetMs: card.clockOffsetMs, demoPin });
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
  demoPin = null;
  link = null;
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
    swapIn(openCard(stored.link, stored), stored.demoPin, stored.link);
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
      const { link, pin } = await fetchDemoLink();
      await enqueue(() => provision(link, { demoPin: pin }));
    } catch (error) {
      // provision() has reported link errors itself; only the request's own failures are left.
      if (error?.kind === 'no_demo_server' || error?.kind === 'demo_failed') fail(error.kind);
    } finally {
      els.demo.disabled = false;
    }
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

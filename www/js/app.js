// The wallet page: a thin shell around the wasm module, which generates,
// draws, rotates and swipes the codes. This file wires the page together:
// provisioning, the cards and their switcher, the funding picker and the
// payer's order of funding sources, digits,
// countdown, persistence, the payer's PIN (sent to the issuer, never kept),
// the card's recent payments, live results and the barcode full screen.
// One card is shown at a time; each talks to its own issuer.

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
import { createSwitcher } from './switcher.js';
import { createFundingOrder } from './funding-order.js';
import { isActivationLink, parseActivationLink, redeemActivation } from './activation.js';
import { askToReplace } from './replace-prompt.js';

// First of all: a link in the fragment leaves the address bar before anything can leak it.
const fragmentLink = takeFragmentLink();
// Started at once and side by side: the first code waits for both. A link
// in the fragment waits for the stored cards too: it may replace one, which
// the payer is asked about first.
const wasmLoading = loadWasm();
let storedLoading = storage.loadCards();
storedLoading.catch(() => {}); // handled in listStoredCards

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
/**
 * The wallet's cards, in the switcher's order: {id (null until stored),
 * link, info (parseLink(): no secret in it), fundingIndex, clockOffsetMs}.
 */
let entries = [];
let listed = null; // resolves once the stored cards are in `entries`
let shown = null; // the entry on screen
let card = null; // the code card (view + digits + countdown) of the shown card
let info = null; // parseLink() of the shown card
let lastMessage = null; // {kind} or {key, args}: re-rendered on a language switch
let link = null; // the shown card's link, to draw it again with a corrected clock
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

// The order in which the issuer tries the card's other sources (issuer-side, signed).
const fundingOrder = createFundingOrder({
  section: $('funding-order'),
  list: $('funding-order-list'),
  hint: $('funding-order-hint'),
  status: $('funding-order-status'),
  sourceText: (source) => fundingText(source),
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
  cards: () => cardList(),
  select: (id) => enqueue(() => selectCard(id)),
  remove: (id) => enqueue(() => removeCard(id)),
});

const switcher = createSwitcher({
  nav: $('switcher'),
  list: $('switcher-list'),
  onSelect: (id) => enqueue(() => selectCard(id)).catch(() => {}),
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
  els.provisionTitle.textContent = t(hasCard ? 'addAnother' : 'addCard');
  if (hasCard) {
    els.issuer.textContent = info.issuer;
    renderFunding();
  }
  renderPinSetup();
  renderSwitcher();
  scanAids.codeShown(hasCard);
}

/** What the switcher and the host see of a card: no secret, no token. */
function summaryOf(entry) {
  const chosen = entry.info.funding.find((source) => source.index === entry.fundingIndex) ?? entry.info.funding[0];
  return {
    id: entry.id,
    issuer: entry.info.issuer,
    prefix: entry.info.prefix,
    fundingIndex: entry.fundingIndex,
    funding: entry.info.funding.map(({ index, kind, label }) => ({ index, kind, label })),
    fundingText: chosen ? fundingText(chosen) : '',
    selected: entry === shown,
  };
}

/** The cards for the host (PayCodeWallet.cards()): stored ones only, each with its id. */
function cardList() {
  return entries.filter((entry) => entry.id).map(summaryOf);
}

function renderSwitcher() {
  switcher.render(entries.filter((entry) => entry.id).map(summaryOf));
  // Room under the page for the bar, so that it covers nothing.
  document.body.classList.toggle('has-switcher', !$('switcher').hidden);
}

/** Same prefix, token and issuer origin: the same card, provisioned again. */
function isSameCard(a, b) {
  return a.prefix === b.prefix && a.token === b.token && (a.api ?? '') === (b.api ?? '');
}

/** Make the code card for `link`; throws (kind set) without touching the current card. */
function openCard(link, { fundingIndex, clockOffsetMs, resume }) {
  const parsed = wasm.parseLink(link);
  const wasHidden = els.wallet.hidden;
  els.wallet.hidden = false; // the canvases need a laid-out size before the first draw
  try {
    const next = createCodeCard(wasm, link, {
      fundingIndex: fundingIndex < parsed.funding.length ? fundingIndex : 0,
      clockOffsetMs,
      resume,
      periodMs: parsed.period * 1000,
      onRotate: (masked) => {
        rememberPosition();
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

function swapIn({ next, parsed }, entry, { sameCard = false } = {}) {
  fullBarcode.close(); // it shows the replaced card's code
  const replaced = card;
  replaced?.destroy();
  card = next;
  info = parsed;
  shown = entry;
  link = entry.link;
  entry.info = parsed;
  entry.fundingIndex = card.fundingIndex;
  entry.clockOffsetMs = card.clockOffsetMs;
  rememberPosition();
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
  channel = openChannel(bytes, { token: info.token, prefix: info.prefix, api: info.api }, () => Date.now() + (card?.clockOffsetMs ?? 0));
  payments.show(channel);
  live.show(channel);
  fundingOrder.show(channel, info.funding);
}

/** Keep the shown card's code position, so that the card shown again goes on past it. */
function rememberPosition() {
  if (!card || !shown) return;
  shown.resume = card.position;
  if (shown.id) storage.updateCard(shown.id, { resume: shown.resume }).catch(() => {});
}

/**
 * The issuer's clock, measured online, differs from the wallet's estimate
 * (a link pasted late, the phone's clock changed): draw the codes on it.
 */
function correctClock(offsetMs) {
  if (!card || !link || !Number.isFinite(offsetMs)) return;
  if (Math.abs(offsetMs - card.clockOffsetMs) < CLOCK_TOLERANCE_MS) return;
  const entry = shown;
  enqueue(() => {
    if (!card || !link || shown !== entry) return; // another card is shown now: its own stream measures
    const opened = openCard(link, { fundingIndex: card.fundingIndex, clockOffsetMs: offsetMs, resume: card.position });
    swapIn(opened, entry, { sameCard: true });
    if (entry.id) storage.updateCard(entry.id, { clockOffsetMs: card.clockOffsetMs }).catch(() => {});
  }).catch(() => {});
}

/** The stored cards, read once into `entries` (before any is added, changed or removed). */
function listStoredCards() {
  listed ??= (async () => {
    let stored;
    try {
      stored = await (storedLoading ??= storage.loadCards());
    } catch {
      showMessage({ kind: 'stored_unreadable' }, true);
      return null;
    }
    if (stored.unreadable > 0) showMessage({ kind: 'stored_unreadable' }, true);
    const known = [];
    for (const { id, link: storedLink, fundingIndex, clockOffsetMs, resume } of stored.cards) {
      try {
        known.push({ id, link: storedLink, info: wasm.parseLink(storedLink), fundingIndex, clockOffsetMs, resume });
      } catch (error) {
        showMessage({ kind: kindOf(error) }, true);
      }
    }
    // Cards added meanwhile (a link in the fragment) go after the stored ones.
    entries = [...known, ...entries];
    return stored.selected;
  })();
  return listed;
}

/** Show the stored card `id` (a switcher tap, the host's select(id)); false when there is none. */
async function selectCard(id) {
  await listStoredCards();
  const entry = entries.find((candidate) => candidate.id === id && id);
  if (!entry) return false;
  if (entry !== shown) {
    try {
      swapIn(openCard(entry.link, entry), entry);
    } catch (error) {
      fail(kindOf(error));
      return false;
    }
    announce(t('cardShown', entry.info.issuer));
    storage.selectCard(id).catch(() => {});
  }
  emit({ type: 'selected', id });
  return true;
}

function announce(text) {
  const region = $('announce-card'); // its own region: a new code's announcement does not replace it
  region.textContent = '';
  // A new node on the next frame: screen readers announce a change, not a repeat.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

/**
 * The provisioning link of `link`: itself, or for an activation link the
 * card's link, redeemed from its issuer (once: the code is dead after).
 * Throws (kind set) without touching any card.
 */
async function cardLinkOf(link) {
  if (!isActivationLink(link)) return link;
  const activation = parseActivationLink(link);
  showMessage({ key: 'activating', args: [activation.issuer] }, false);
  return redeemActivation(activation);
}

/** Declining a replacement: the old card stays, the caller is told why. */
function keepOldCard(old) {
  showMessage({ key: 'replaceKept', args: [old.info.issuer] }, false);
  const message = errorMessage('replace_declined');
  emit({ type: 'error', kind: 'replace_declined', message });
  const error = new Error(message);
  error.kind = 'replace_declined';
  return error;
}

/**
 * Add the card of `rawLink` (a provisioning or activation link) to the
 * wallet and show it. The same card provisioned again (same prefix, token
 * and issuer) takes the place of the stored one only if the payer agrees
 * (the same link again is no replacement and asks nothing); a bad link, a
 * failed redemption or a "keep" changes nothing.
 */
async function provision(rawLink) {
  let link = String(rawLink ?? '').trim();
  if (!wasm) throw fail('wasm_failed');
  if (!link) throw fail('empty_link');
  let parsed;
  try {
    link = await cardLinkOf(link);
    parsed = wasm.parseLink(link);
  } catch (error) {
    throw fail(kindOf(error)); // a bad link or a failed redemption never removes a card
  }
  await listStoredCards();
  const stored = entries.find((other) => other.id && isSameCard(other.info, parsed));
  if (stored && stored.link !== link) {
    const replace = await askToReplace({ dialog: $('confirm-replace'), which: $('replace-card') }, t('replaceWhich', stored.info.issuer));
    if (!replace) throw keepOldCard(stored);
  }
  let opened;
  try {
    opened = openCard(link, { fundingIndex: 0 });
  } catch (error) {
    throw fail(kindOf(error));
  }
  const entry = { id: null, link, info: opened.parsed, fundingIndex: 0, clockOffsetMs: undefined };
  swapIn(opened, entry);
  showMessage({ key: 'added', args: [info.issuer] }, false);
  const old = entries.find((other) => other !== entry && isSameCard(other.info, entry.info));
  if (old) {
    entry.id = old.id;
    entries[entries.indexOf(old)] = entry;
  } else {
    entries.push(entry);
  }
  try {
    entry.id = await storage.saveCard({ id: entry.id ?? undefined, link, fundingIndex: entry.fundingIndex, clockOffsetMs: entry.clockOffsetMs });
    navigator.storage?.persist?.().catch(() => {});
  } catch {
    showMessage({ kind: storage.canSeal() ? 'storage_failed' : 'no_crypto' }, true);
  }
  renderSwitcher();
  const summary = { id: entry.id, issuer: info.issuer, funding: info.funding.map(({ index, kind, label }) => ({ index, kind, label })) };
  emit({ type: 'provisioned', ...summary });
  return summary;
}

function chooseFunding(index) {
  if (!card || !info || !Number.isInteger(index) || index < 0 || index >= info.funding.length) return false;
  if (!card.setFunding(index)) return false;
  shown.fundingIndex = index;
  renderFunding();
  renderSwitcher();
  if (shown.id) storage.updateCard(shown.id, { fundingIndex: index }).catch(() => {});
  return true;
}

function clearShownCard() {
  fullBarcode.close();
  card?.destroy();
  card = null;
  info = null;
  shown = null;
  link = null;
  channel = null;
  pinSet = null;
  $('digits').textContent = '';
  payments.show(null);
  live.show(null);
  fundingOrder.show(null);
  sheet.hide();
}

/**
 * Remove card `id` (by default the one shown); the others stay, and the
 * next one is shown. Resolves to false when there is no such card.
 */
async function removeCard(id = shown?.id) {
  await listStoredCards();
  const entry = id ? entries.find((candidate) => candidate.id === id) : shown;
  if (!entry) return false;
  const at = entries.indexOf(entry);
  entries = entries.filter((other) => other !== entry);
  // Gone from the screen at once; the store follows.
  let following = null;
  if (entry === shown) {
    clearShownCard();
    following = entries[Math.min(at, entries.length - 1)] ?? null;
    if (following) {
      try {
        swapIn(openCard(following.link, following), following);
      } catch (error) {
        showMessage({ kind: kindOf(error) }, true);
      }
    }
  }
  renderCard();
  showMessage({ key: 'removed' }, false);
  try {
    if (entry.id) await storage.removeCard(entry.id);
    if (following?.id) await storage.selectCard(following.id);
  } catch {
    // The card is gone from the page either way; a stale record fails to load next time.
  }
  emit({ type: 'removed', id: entry.id });
  return true;
}

async function restoreStoredCards() {
  const selected = await listStoredCards();
  if (shown) {
    renderSwitcher(); // a card from the fragment is on screen: the stored ones join the switcher
    return;
  }
  const entry = entries.find((candidate) => candidate.id === selected) ?? entries[0];
  if (!entry) return;
  try {
    swapIn(openCard(entry.link, entry), entry);
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
  els.remove.addEventListener('click', () => {
    if (!shown) return;
    // The dialog names the card it removes, and keeps its id: the shown card may change meanwhile.
    els.confirm.dataset.issuer = shown.info.issuer;
    els.confirm.dataset.cardId = shown.id ?? '';
    $('confirm-card').textContent = t('removeWhich', shown.info.issuer);
    els.confirm.showModal();
  });
  $('confirm-cancel').addEventListener('click', () => els.confirm.close());
  $('confirm-ok').addEventListener('click', () => {
    els.confirm.close();
    const id = els.confirm.dataset.cardId || undefined;
    enqueue(() => removeCard(id)).catch(() => {});
  });
  window.addEventListener('hashchange', () => {
    const link = takeFragmentLink();
    if (link !== null) enqueue(() => provision(link)).then(() => {}, () => {});
  });
  document.addEventListener('keydown', (event) => {
    if (!card || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (els.confirm.open || $('confirm-replace').open) return;
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
  fundingOrder.render();
  sheet.render();
  if (els.confirm.dataset.issuer) $('confirm-card').textContent = t('removeWhich', els.confirm.dataset.issuer);
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
    // A link in the fragment joins the stored cards and is shown. A bad one,
    // a failed redemption or a declined replacement leaves them as they were.
    if (fragmentLink !== null) {
      try {
        await provision(fragmentLink);
      } catch {
        // provision() has shown and sent why.
      }
    }
    await restoreStoredCards();
  });
  // Offline support after the first code, not competing with it: installing
  // the service worker downloads the whole shell, and a controlling one
  // refreshes its copy once told the page has settled.
  registerServiceWorker();
  pageSettled();
  document.documentElement.dataset.ready = 'true'; // for hosts and tests: the wallet has settled
}

start();

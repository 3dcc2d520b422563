// "Recent payments": the card's latest charges from the demo issuer serving
// this page (GET api/cards/{token}/history?prefix=P). The request names only
// the card's token and prefix, which every code already shows the till;
// never the link or its secret. Where no demo issuer answers (a static host,
// another bank's card, offline) the section stays hidden and quiet.

import { t, language } from './i18n.js';

const POLL_MS = 10_000;
const TIMEOUT_MS = 8000;
const LIMIT = 10;

/** Why a history request gave nothing to show. */
class Unavailable extends Error {
  constructor(final) {
    super('history unavailable');
    // final: this server will not have it (no demo issuer, unknown card) — stop asking until the page opens again.
    this.final = final;
  }
}

async function fetchCharges(token, prefix) {
  let response;
  try {
    response = await fetch(`api/cards/${token}/history?prefix=${prefix}&limit=${LIMIT}`, {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'same-origin',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new Unavailable(false); // offline or the server is gone for now
  }
  const json = (response.headers.get('content-type') || '').includes('json');
  if (!json || response.status === 404 || response.status === 405) throw new Unavailable(true);
  if (!response.ok) throw new Unavailable(false); // busy, rate limited: try again later
  try {
    const body = await response.json();
    if (Array.isArray(body?.charges)) return body.charges;
  } catch {
    // fall through: not an answer we understand
  }
  throw new Unavailable(true);
}

/** "12.50" as the issuer writes amounts; anything else is not shown as money. */
function amountText(amount) {
  return typeof amount === 'string' && /^\d{1,12}\.\d{2}$/.test(amount) ? `¥${amount}` : '—';
}

function timeText(seconds) {
  if (!Number.isFinite(seconds)) return '';
  return new Intl.DateTimeFormat(language(), {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(new Date(seconds * 1000));
}

const RESULT_TEXT = {
  approved: 'paidApproved',
  pin_required: 'paidPinWaiting',
  failed: 'paidFailed',
  closed: 'paidClosed',
  reversed: 'paidReversed',
  refunded: 'paidRefunded',
};

function resultText(result) {
  return t(RESULT_TEXT[result] ?? 'paidUnknown');
}

function row(charge) {
  const item = document.createElement('li');
  item.className = `payment ${charge.result === 'approved' ? 'ok' : 'pending'}`;
  const parts = [
    ['amount', amountText(charge.amount)],
    ['merchant', typeof charge.merchant === 'string' && charge.merchant ? charge.merchant : t('noMerchant')],
    ['when', timeText(charge.time)],
    ['result', resultText(charge.result)],
  ];
  for (const [name, text] of parts) {
    const span = document.createElement('span');
    span.className = name;
    span.textContent = text;
    item.append(span);
  }
  if (Number.isFinite(charge.time)) item.querySelector('.when').title = new Date(charge.time * 1000).toISOString();
  return item;
}

/**
 * Wire the section. `show(card)` starts (card = {token, prefix}) or stops
 * (null) it; `render()` re-renders in the current language.
 */
export function createHistory({ section, list, empty, refreshButton }) {
  let card = null;
  let charges = null; // the last answer, or null while there is none to show
  let generation = 0; // bumped on every card change: late answers for an old card are dropped
  let final = false; // this server has no history for this card: stop asking
  let inFlight = null;

  function render() {
    section.hidden = !card || charges === null;
    if (section.hidden) return;
    list.replaceChildren(...charges.map(row));
    empty.hidden = charges.length > 0;
  }

  function refresh() {
    if (!card || final) return Promise.resolve();
    if (inFlight) return inFlight;
    const asked = generation;
    const { token, prefix } = card;
    refreshButton.disabled = true;
    const run = fetchCharges(token, prefix)
      .then((answer) => {
        if (asked === generation) charges = answer;
      }, (error) => {
        if (asked !== generation) return;
        // Offline or busy: keep what is shown. No issuer here: hide the section for good.
        if (error.final) {
          final = true;
          charges = null;
        }
      })
      .finally(() => {
        if (inFlight === run) inFlight = null;
        if (asked !== generation) return;
        refreshButton.disabled = false;
        render();
      });
    inFlight = run;
    return run;
  }

  const visibleAndOnline = () => document.visibilityState === 'visible' && navigator.onLine !== false;

  setInterval(() => {
    if (visibleAndOnline()) refresh();
  }, POLL_MS);
  document.addEventListener('visibilitychange', () => {
    if (visibleAndOnline()) refresh();
  });
  window.addEventListener('online', () => refresh());
  refreshButton.addEventListener('click', () => refresh());

  return {
    show(next) {
      generation += 1;
      card = next && Number.isInteger(next.token) && Number.isInteger(next.prefix) ? next : null;
      charges = null;
      final = false;
      inFlight = null;
      refreshButton.disabled = false;
      render();
      return refresh();
    },
    refresh,
    render,
  };
}

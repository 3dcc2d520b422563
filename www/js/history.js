// "Recent payments": the card's latest charges from the issuer serving this
// page (GET v1/wallet/history, signed on the card channel: card-channel.js).
// The token alone reads nothing; the request carries a signature made with
// the card's channel key, never the link or its secret. Where no issuer
// answers (a static host, another bank's card, offline) the section stays
// hidden and quiet.

import { t, language } from './i18n.js';
import { signedFetch } from './card-channel.js';

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

async function fetchCharges(channel) {
  let response;
  try {
    response = await signedFetch(channel, `v1/wallet/history?limit=${LIMIT}`, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new Unavailable(false); // offline or the server is gone for now
  }
  const json = (response.headers.get('content-type') || '').includes('json');
  // 401: this issuer does not know the card (another bank's card on this page).
  if (!json || [401, 404, 405].includes(response.status)) throw new Unavailable(true);
  if (!response.ok) throw new Unavailable(false); // busy, rate limited: try again later
  try {
    const body = await response.json();
    if (Array.isArray(body?.charges)) return { charges: body.charges, pinSet: body.pin_set };
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
 * Wire the section. `show(card)` starts (card = a channel from
 * card-channel.js' openChannel: {token, prefix, key, issuerNowMs}) or stops
 * (null) it; `render()` re-renders in the current language.
 */
export function createHistory({ section, list, empty, refreshButton, onPinSet = () => {} }) {
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
    refreshButton.disabled = true;
    const run = fetchCharges(card)
      .then((answer) => {
        if (asked !== generation) return;
        charges = answer.charges;
        // Whether the payer has chosen a PIN for this card (false: ask for one).
        if (typeof answer.pinSet === 'boolean') onPinSet(answer.pinSet);
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

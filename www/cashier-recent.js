// The till's "Recent payments": its own sales, newest first, kept in
// IndexedDB beside the key (no secrets: no codes, no key, only what the
// receipt shows), each with Refund and Reverse over the signed API.

import { loadTillRecord, saveTillRecord, newOutRefundNo, MerchantApiError } from './js/merchant-api.js';

const RECORD = 'recent-sales';
const KEEP = 20;
const REFUNDABLE = new Set(['SUCCESS', 'PARTIALLY_REFUNDED']);
const PAID = new Set(['SUCCESS', 'PARTIALLY_REFUNDED', 'REFUNDED']);
const REVERSIBLE = new Set(['SUCCESS', 'USERPAYING', 'UNKNOWN', 'PENDING']);

/** "12.50" → 1250 fen; null for anything that is not yuan with at most two decimals. */
export function yuanToFen(text) {
  const match = /^(0|[1-9][0-9]{0,7})(?:\.([0-9]{1,2}))?$/.exec(String(text ?? '').trim().replace(/^¥/, ''));
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export function fenToYuan(fen) {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/**
 * The list and its buttons. `client()` resolves to the signed client;
 * `t(path, ...args)` gives the words in the page's language.
 */
export function recentPayments({ list, empty, template, client, t }) {
  let sales = [];
  // Per sale, what its row last said ({key, args} or null), for re-rendering in another language.
  const results = new Map();
  const busy = new Set();
  // Sales whose typed refund amount was used up: the next draw shows the field empty.
  const usedAmounts = new Set();

  async function load() {
    try {
      sales = (await loadTillRecord(RECORD)) ?? [];
    } catch {
      sales = []; // IndexedDB blocked: the list lasts until the page closes.
    }
    render();
  }

  async function save() {
    try {
      await saveTillRecord(RECORD, sales);
    } catch {
      // Not fatal: the list stays in memory.
    }
  }

  /** Adds a sale or updates it from an answer (`payment` as the API gives it). */
  function record(outTradeNo, changes) {
    let sale = sales.find((s) => s.outTradeNo === outTradeNo);
    if (!sale) {
      sale = { outTradeNo, amount: null, status: 'PENDING', funding: null, refunded: '0.00', at: Date.now(), pendingRefund: null };
      sales.unshift(sale);
      sales = sales.slice(0, KEEP);
    }
    Object.assign(sale, changes);
    save();
    render();
  }

  /** Drops a sale the issuer refused outright (nothing was charged under it). */
  function forget(outTradeNo) {
    sales = sales.filter((s) => s.outTradeNo !== outTradeNo);
    results.delete(outTradeNo);
    save();
    render();
  }

  /** Empties the list: its sales belonged to a merchant key the till no longer has. */
  function clear() {
    sales = [];
    results.clear();
    save();
    render();
  }

  function fromPayment(outTradeNo, payment, amount) {
    record(outTradeNo, {
      status: payment.status,
      amount: payment.amount ?? amount,
      funding: payment.funding?.label ?? null,
      refunded: payment.refunded ?? '0.00',
    });
  }

  function leftToRefund(sale) {
    return Math.max(0, (yuanToFen(sale.amount) ?? 0) - (yuanToFen(sale.refunded) ?? 0));
  }

  function say(sale, key, ...args) {
    results.set(sale.outTradeNo, key ? { key, args } : null);
    render();
  }

  function errorWords(err) {
    if (err instanceof MerchantApiError) {
      const words = t(`errors.${err.kind === 'api' ? err.code : err.kind}`);
      return words || err.message;
    }
    return String(err?.message ?? err);
  }

  async function refund(sale, input) {
    // A refund that got no answer is sent again as the same refund (same
    // out_refund_no and amount): the issuer makes it once, whatever happened.
    let pending = sale.pendingRefund;
    if (!pending) {
      const fen = yuanToFen(input.value || fenToYuan(leftToRefund(sale)));
      if (!fen) return say(sale, 'errors.AMOUNT_INVALID');
      if (fen > leftToRefund(sale)) return say(sale, 'refundTooMuch');
      pending = { outRefundNo: newOutRefundNo(), amount: fenToYuan(fen) };
      record(sale.outTradeNo, { pendingRefund: pending });
    }
    say(sale, 'working');
    try {
      const answer = await (await client()).refund({ outTradeNo: sale.outTradeNo, outRefundNo: pending.outRefundNo, amount: pending.amount });
      usedAmounts.add(sale.outTradeNo);
      record(sale.outTradeNo, { status: answer.payment_status, refunded: answer.refunded, pendingRefund: null });
      say(sale, 'refundDone', answer.amount);
    } catch (err) {
      if (err instanceof MerchantApiError && err.outcomeUnknown) return say(sale, 'refundUnknown', pending.amount);
      record(sale.outTradeNo, { pendingRefund: null });
      say(sale, 'refused', errorWords(err));
    }
  }

  async function reverse(sale) {
    say(sale, 'working');
    try {
      const payment = await (await client()).reverse(sale.outTradeNo);
      fromPayment(sale.outTradeNo, payment, sale.amount);
      say(sale, 'reverseDone', t(`status.${payment.status}`) || payment.status);
    } catch (err) {
      if (err instanceof MerchantApiError && err.outcomeUnknown) return say(sale, 'reverseUnknown');
      say(sale, 'refused', errorWords(err));
    }
  }

  async function act(sale, action) {
    if (busy.has(sale.outTradeNo)) return;
    busy.add(sale.outTradeNo);
    render();
    try {
      await action();
    } finally {
      busy.delete(sale.outTradeNo);
      render();
    }
  }

  function render() {
    empty.hidden = sales.length > 0;
    // What the cashier typed into a refund amount survives the redraw.
    const typed = new Map([...list.querySelectorAll('li')].map((li) => [li.dataset.outTradeNo, li.querySelector('.refund-amount').value]));
    list.replaceChildren(...sales.map((sale) => {
      const row = template.content.firstElementChild.cloneNode(true);
      const part = (name) => row.querySelector(`.${name}`);
      row.dataset.outTradeNo = sale.outTradeNo;
      row.dataset.status = sale.status;
      part('sale-amount').textContent = sale.amount ? `¥${sale.amount}` : '';
      const refunded = yuanToFen(sale.refunded) > 0 ? ` · ${t('refundedSoFar', sale.refunded)}` : '';
      part('sale-status').textContent = (t(`status.${sale.status}`) || sale.status) + refunded;
      // Which source paid, only while money is with the merchant (a USERPAYING answer names the source too).
      part('sale-funding').textContent = PAID.has(sale.status) ? sale.funding ?? '' : '';
      part('sale-when').textContent = new Date(sale.at).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
      part('sale-trade-no').textContent = sale.outTradeNo;

      const input = part('refund-amount');
      const refundButton = part('refund');
      const reverseButton = part('reverse');
      const canRefund = REFUNDABLE.has(sale.status) && leftToRefund(sale) > 0;
      input.hidden = !canRefund;
      refundButton.hidden = !canRefund;
      reverseButton.hidden = !REVERSIBLE.has(sale.status);
      input.setAttribute('aria-label', t('refundAmountLabel'));
      input.placeholder = fenToYuan(leftToRefund(sale));
      input.value = usedAmounts.delete(sale.outTradeNo) ? '' : typed.get(sale.outTradeNo) ?? '';
      if (sale.pendingRefund) {
        input.value = sale.pendingRefund.amount;
        input.disabled = true;
      }
      refundButton.textContent = sale.pendingRefund ? t('refundRetry', sale.pendingRefund.amount) : t('refund');
      reverseButton.textContent = t('reverse');
      const working = busy.has(sale.outTradeNo);
      refundButton.disabled = working;
      reverseButton.disabled = working;
      refundButton.addEventListener('click', () => act(sale, () => refund(sale, input)));
      reverseButton.addEventListener('click', () => act(sale, () => reverse(sale)));

      const result = results.get(sale.outTradeNo);
      part('sale-result').textContent = result ? t(result.key, ...result.args) : '';
      return row;
    }));
  }

  return { load, record, forget, clear, fromPayment, render };
}

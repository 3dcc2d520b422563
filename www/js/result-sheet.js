// The result sheet: what the issuer says about a payment of this card,
// shown over the code within a second of the till's answer: the amount, the
// merchant as the issuer knows it (not as the till says), the funding
// source and the time. It is announced to screen readers and takes focus
// so a keyboard reaches its button; Escape or the button closes it.

import { t, language } from './i18n.js';

const TITLE = {
  approved: 'sheetApproved',
  pin_required: 'sheetPin',
  failed: 'sheetFailed',
  closed: 'sheetClosed',
  reversed: 'sheetReversed',
  refunded: 'sheetRefunded',
};

function amountText(amount) {
  return typeof amount === 'string' && /^\d{1,12}\.\d{2}$/.test(amount) ? `¥${amount}` : '—';
}

function timeText(seconds) {
  if (!Number.isFinite(seconds)) return '';
  return new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .format(new Date(seconds * 1000));
}

function fundingText(funding) {
  if (!funding?.source) return '—';
  if (funding.source === 'balance') return t('balance');
  return typeof funding.label === 'string' ? funding.label : '—';
}

/**
 * `confirm(row, pin)` and `decline(row)` send the payer's answer to a
 * payment that waits for it (USERPAYING); each resolves to null when sent,
 * or to {key, args} of the message to show.
 */
export function createResultSheet({
  sheet, title, amount, merchant, funding, time, close, announce,
  pinForm, pinInput, pinError, declineButton, confirm, decline,
}) {
  let shown = null; // the row on the sheet, re-rendered on a language switch
  let pinMessage = null; // {key, args} under the PIN field

  function render() {
    if (!shown) return;
    title.textContent = t(TITLE[shown.result] ?? 'sheetUnknown');
    amount.textContent = amountText(shown.amount);
    merchant.textContent = typeof shown.merchant === 'string' && shown.merchant ? shown.merchant : t('noMerchant');
    funding.textContent = fundingText(shown.funding);
    time.textContent = timeText(shown.time);
    pinForm.hidden = shown.result !== 'pin_required';
    pinError.hidden = !pinMessage;
    pinError.textContent = pinMessage ? t(pinMessage.key, ...(pinMessage.args ?? [])) : '';
  }

  async function answer(send) {
    if (!shown) return;
    const row = shown;
    for (const control of pinForm.elements) control.disabled = true;
    try {
      pinMessage = await send(row);
    } catch {
      pinMessage = { key: 'pinFailed' };
    } finally {
      for (const control of pinForm.elements) control.disabled = false;
    }
    if (shown !== row) return;
    pinInput.value = '';
    render();
    if (pinMessage) pinInput.focus();
  }

  pinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const pin = pinInput.value;
    // The PIN lives in this field only until it is sent.
    pinInput.value = '';
    if (!/^[0-9]{6}$/.test(pin)) {
      pinMessage = { key: 'pinFormat' };
      render();
      return;
    }
    answer((row) => confirm(row, pin));
  });
  declineButton.addEventListener('click', () => answer((row) => decline(row)));

  function hide() {
    shown = null;
    pinMessage = null;
    pinInput.value = '';
    sheet.hidden = true;
  }

  close.addEventListener('click', hide);
  sheet.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') hide();
  });

  return {
    /** Shows `row` (a history row with `kind`) and announces it. */
    show(row) {
      if (shown?.charge_id !== row.charge_id) pinMessage = null;
      shown = row;
      render();
      sheet.hidden = false;
      sheet.dataset.charge = String(row.charge_id ?? '');
      sheet.dataset.result = String(row.result ?? '');
      // Re-setting the same text is not re-announced by some readers: clear, then set.
      announce.textContent = '';
      requestAnimationFrame(() => {
        announce.textContent = `${title.textContent}: ${amount.textContent}, ${merchant.textContent}`;
      });
      (row.result === 'pin_required' ? pinInput : close).focus({ preventScroll: true });
    },
    hide,
    render,
    get charge() {
      return shown?.charge_id ?? null;
    },
  };
}

// The till: amount + payment code → a signed POST /v1/payments
// (docs/MERCHANT_API.md), and the answer in large plain words. A
// USB/Bluetooth scanner "types" the code and presses Enter, so the code
// field keeps the focus and Enter charges. When the answer does not come,
// the page follows the till rule (query, then reverse) and says at each
// stage what it is doing; it never shows "Approved" on an unknown outcome.

import { language, setLanguage, otherLanguage } from './js/i18n.js';
import {
  createClient, loadMerchantKey, storeMerchantKey, forgetMerchantKey, loadTillRecord, saveTillRecord, payByTillRule, newOutTradeNo, MerchantApiError,
} from './js/merchant-api.js';
import { TEXT } from './cashier-text.js';
import { recentPayments } from './cashier-recent.js';

const $ = (id) => document.getElementById(id);
const els = {
  form: $('charge'), amount: $('amount'), code: $('code'), scan: $('scan'), submit: $('submit'),
  answer: $('answer'), verdict: $('verdict'), detail: $('detail'), saleNo: $('sale-no'), cancelSale: $('cancel-sale'),
  merchantId: $('merchant-id'), shop: $('shop'), forgetKey: $('forget-key'), lang: $('lang'),
  recentList: $('recent-list'), recentEmpty: $('recent-empty'), recentRow: $('recent-row'),
  camera: $('camera'), video: $('video'), cameraClose: $('camera-close'),
};

let sale = null;       // the sale in progress: {outTradeNo, cancel: AbortController}
let lastAnswer = null; // {tone, verdict(), detail(), saleNo} for re-rendering in the other language

function strings() {
  return TEXT[language()] ?? TEXT.en;
}

function t(path, ...args) {
  const find = (table) => path.split('.').reduce((node, key) => node?.[key], table);
  const value = find(strings()) ?? find(TEXT.en);
  if (typeof value === 'function') return value(...args);
  return typeof value === 'string' ? value : '';
}

const recent = recentPayments({
  list: els.recentList,
  empty: els.recentEmpty,
  template: els.recentRow,
  client: () => tillClient(),
  t,
});

function translatePage() {
  document.documentElement.lang = language();
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  document.title = t('title');
  els.lang.textContent = t('lang');
  if (lastAnswer) render(lastAnswer);
  recent.render();
}

function render(answer) {
  lastAnswer = answer;
  els.answer.hidden = false;
  els.answer.dataset.tone = answer.tone;
  els.verdict.textContent = answer.verdict();
  els.detail.textContent = answer.detail ? answer.detail() : '';
  els.saleNo.textContent = answer.saleNo ? t('saleNo', answer.saleNo) : '';
}

function show(tone, verdict, detail = null, saleNo = null) {
  render({ tone, verdict, detail, saleNo });
}

/** What the till knows about a code without asking anyone. */
export function recognise(raw) {
  const code = raw.replace(/\s+/g, '');
  if (code === '') return { error: 'empty' };
  if (!/^[0-9]+$/.test(code)) return { error: 'notDigits' };
  const prefix = Number(code.slice(0, 2));
  if (prefix >= 25 && prefix <= 30) return { error: 'alipay' };
  if (code.startsWith('62')) return { error: 'unionpay' };
  if (prefix < 10 || prefix > 15) return { error: 'foreign' };
  if (code.length < 16 || code.length > 24) return { error: 'length' };
  return { code };
}

/** Yuan with at most two decimals, as the issuer reads it ("12.5" → ok). */
export function validAmount(raw) {
  const amount = raw.trim().replace(/^¥/, '');
  return /^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$/.test(amount) && Number(amount) > 0 ? amount : null;
}

// --- the merchant key ---

class NoTillKey extends Error {}

let clientPromise = null;

const SHOP_RECORD = 'shop-name';

/**
 * The signed client. On the first sale in this browser the demo issuer
 * mints a merchant for the till (named as the settings say); its key goes
 * straight into a non-extractable CryptoKey in IndexedDB and the hex text
 * is dropped. Later sales and page loads reuse it.
 */
function tillClient() {
  clientPromise ??= setUpTill().catch((err) => {
    clientPromise = null;
    throw err;
  });
  return clientPromise;
}

async function setUpTill() {
  let stored = await loadMerchantKey();
  if (!stored) {
    const name = els.shop.value.trim();
    let minted;
    try {
      const response = await fetch('api/demo/till', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(name ? { name } : {}),
        cache: 'no-store',
        credentials: 'same-origin',
      });
      if (!response.ok) throw new NoTillKey(`status ${response.status}`);
      minted = await response.json();
    } catch (err) {
      throw err instanceof NoTillKey ? err : new NoTillKey('no answer');
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(minted?.merchant ?? '')) throw new NoTillKey('no merchant id');
    stored = await storeMerchantKey(minted.merchant, minted.key);
    await saveTillRecord(SHOP_RECORD, String(minted.name ?? name)).catch(() => {});
  }
  await showMerchant(stored);
  return createClient(stored);
}

/** The settings show who this till is once it has a key; the name is fixed from then on. */
async function showMerchant(stored) {
  els.merchantId.textContent = stored.merchant;
  els.shop.value = (await loadTillRecord(SHOP_RECORD).catch(() => null)) ?? '';
  els.shop.disabled = true;
}

// A demo database that was reset no longer knows this till's merchant (every
// request answers UNAUTHORIZED): the cashier starts the till over.
els.forgetKey.addEventListener('click', async () => {
  if (sale) return;
  await clientPromise?.catch(() => {});
  clientPromise = null;
  await forgetMerchantKey().catch(() => {});
  recent.clear();
  els.merchantId.textContent = '';
  els.shop.disabled = false;
  show('warn', () => t('forgotten'));
});

// --- a sale ---

function focusCode() {
  if (!sale && !els.camera.open) els.code.focus();
}

function errorWords(error) {
  const code = error?.code;
  return (code && t(`errors.${code}`)) || error?.message || code || t('errors.bad_answer');
}

function requestErrorWords(err) {
  if (err instanceof MerchantApiError) return errorWords(err.kind === 'api' ? err : { code: err.kind, message: err.message });
  return String(err?.message ?? err);
}

function progress(outTradeNo, state) {
  if (state === 'waiting') {
    recent.record(outTradeNo, { status: 'USERPAYING' });
    show('warn', () => t('waiting'), null, outTradeNo);
  } else if (state === 'checking') {
    show('wait', () => t('checking'), null, outTradeNo);
  } else {
    show('wait', () => t('reversing'), null, outTradeNo);
  }
  els.cancelSale.hidden = state === 'reversing';
}

function showResult(outTradeNo, amount, result) {
  const { outcome, payment } = result;
  if (outcome === 'unresolved') {
    recent.record(outTradeNo, { status: 'UNKNOWN' });
    show('bad', () => t('unresolved'), () => t('unresolvedDetail'), outTradeNo);
    return;
  }
  recent.fromPayment(outTradeNo, payment, amount);
  if (outcome === 'reversed') {
    const detail = payment.status === 'REVERSED' ? 'cancelledReversed' : 'cancelledClosed';
    show('bad', () => t('cancelled'), () => t(detail), outTradeNo);
  } else if (payment.status === 'SUCCESS') {
    show('good', () => t('approved'), () => t('paidWith', payment.amount ?? amount, payment.funding?.label ?? ''), outTradeNo);
  } else if (payment.status === 'FAILED') {
    show('bad', () => t('declined', errorWords(payment.error)), null, outTradeNo);
  } else if (payment.status === 'CLOSED') {
    show('bad', () => t('closed'), () => t('closedDetail'), outTradeNo);
  } else if (payment.status === 'REVERSED') {
    show('bad', () => t('reversedAlready'), () => t('closedDetail'), outTradeNo);
  } else {
    show('warn', () => t(`status.${payment.status}`) || payment.status, null, outTradeNo);
  }
}

async function charge() {
  if (sale) return;
  const recognised = recognise(els.code.value);
  if (recognised.error) {
    show('bad', () => t('notSent', t(`local.${recognised.error}`)));
    els.code.select();
    return;
  }
  const amount = validAmount(els.amount.value);
  if (!amount) {
    show('bad', () => t('notSent', t(els.amount.value.trim() ? 'local.amount' : 'local.noAmount')));
    els.amount.focus();
    return;
  }
  const outTradeNo = newOutTradeNo();
  sale = { outTradeNo, cancel: new AbortController() };
  els.submit.disabled = true;
  els.code.value = '';
  if (!clientPromise) show('wait', () => t('settingUp'));
  try {
    let client;
    try {
      client = await tillClient();
    } catch {
      show('bad', () => t('noKey'), () => t('noKeyDetail'));
      return;
    }
    // Kept before sending: an unanswered sale must stay reversible (the till rule's last step).
    recent.record(outTradeNo, { amount, status: 'PENDING' });
    show('wait', () => t('sending'), null, outTradeNo);
    try {
      const result = await payByTillRule(client, { outTradeNo, authCode: recognised.code, amount }, {
        signal: sale.cancel.signal,
        onProgress: (state) => progress(outTradeNo, state),
      });
      showResult(outTradeNo, amount, result);
    } catch (err) {
      // Refused outright (a 4xx other than 429): nothing was charged under this sale.
      recent.forget(outTradeNo);
      show('bad', () => t('refused', requestErrorWords(err)), null, outTradeNo);
    }
  } finally {
    sale = null;
    els.cancelSale.hidden = true;
    els.submit.disabled = false;
    focusCode();
  }
}

els.form.addEventListener('submit', (event) => {
  event.preventDefault();
  charge();
});

// Enter in the amount goes on to the code (or charges if a code is waiting).
els.amount.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter') return;
  event.preventDefault();
  if (els.code.value.trim()) charge();
  else els.code.focus();
});

// The cashier gives up waiting: the till rule reverses at once.
els.cancelSale.addEventListener('click', () => {
  els.cancelSale.hidden = true;
  sale?.cancel.abort();
});

// A click on empty page space gives the focus back to the code field, so
// the next scan lands there.
document.addEventListener('click', (event) => {
  if (!event.target.closest('input, button, select, textarea, summary, details, dialog, li')) focusCode();
});

els.lang.addEventListener('click', () => {
  setLanguage(otherLanguage());
  translatePage();
  focusCode();
});

// --- camera scanning, where the browser has BarcodeDetector ---

let stream = null;
let scanTimer = null;

function stopCamera() {
  clearTimeout(scanTimer);
  scanTimer = null;
  stream?.getTracks().forEach((track) => track.stop());
  stream = null;
  els.video.srcObject = null;
  if (els.camera.open) els.camera.close();
}

async function startCamera() {
  let detector;
  try {
    const supported = await BarcodeDetector.getSupportedFormats();
    const formats = ['code_128', 'qr_code'].filter((f) => supported.includes(f));
    if (formats.length === 0) return;
    detector = new BarcodeDetector({ formats });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    stopCamera();
    show('bad', () => t('notSent', t('local.camera')));
    return;
  }
  els.camera.showModal();
  els.video.srcObject = stream;
  await els.video.play().catch(() => {});
  const look = async () => {
    if (!stream) return;
    try {
      const found = await detector.detect(els.video);
      const digits = found.map((b) => b.rawValue.replace(/\s+/g, '')).find((v) => /^[0-9]{16,24}$/.test(v));
      if (digits) {
        stopCamera();
        els.code.value = digits;
        charge();
        return;
      }
    } catch {
      // A frame that could not be read: try the next one.
    }
    scanTimer = setTimeout(look, 150);
  };
  look();
}

if ('BarcodeDetector' in window && navigator.mediaDevices?.getUserMedia) {
  els.scan.hidden = false;
  els.scan.addEventListener('click', startCamera);
}
els.cameraClose.addEventListener('click', () => {
  stopCamera();
  focusCode();
});
els.camera.addEventListener('close', () => {
  stopCamera();
  focusCode();
});

translatePage();
focusCode();
recent.load();
loadMerchantKey().then((stored) => stored && showMerchant(stored)).catch(() => {
  // IndexedDB blocked: the first sale says so.
});

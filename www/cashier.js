// The till: amount + payment code → the demo issuer's POST /api/charge, and
// the answer in large plain words. A USB/Bluetooth scanner "types" the code
// and presses Enter, so the code field keeps the focus and Enter charges.

import { language, setLanguage, otherLanguage } from './js/i18n.js';

const TEXT = {
  en: {
    title: 'PayCode Till',
    lang: '中文',
    amountLabel: 'Amount (yuan)',
    codeLabel: 'Payment code: scan or type, then Enter',
    codeHint: 'A barcode scanner types the code and presses Enter for you.',
    scan: 'Scan',
    charge: 'Charge',
    pinLabel: "Payer's PIN",
    pinConfirm: 'Confirm PIN',
    pinCancel: 'Cancel',
    settings: 'Till settings',
    merchantLabel: 'Shop name (sent with each charge)',
    cameraTitle: 'Point the camera at the payment code',
    cancel: 'Cancel',
    sending: 'Asking the issuer…',
    approved: 'Approved',
    pinRequired: 'PIN required',
    declined: (why) => `Declined: ${why}`,
    notSent: (why) => `Not sent: ${why}`,
    paidWith: (amount, source) => `¥${amount} from ${source}`,
    askPin: 'Ask the payer to enter the PIN.',
    pinWhy: { daily_count: 'Over today’s charges without PIN.', amount_limit: 'Over the amount without PIN.' },
    cancelled: 'Cancelled: the payer did not give the PIN.',
    reasons: {
      replayed: 'code already used',
      superseded: 'a newer code of this card was used; ask for a fresh code',
      expired: 'code expired; ask for a fresh code',
      bad_mac: 'code not valid (mistyped or misread)',
      malformed: 'not a valid payment code',
      unknown_prefix: 'not a code of this issuer',
      unknown_card: 'card not known to this issuer',
      locked: 'card locked for now (too many failures)',
      wrong_pin: 'wrong PIN',
      rate_limited: 'too many charges from this till; wait a moment',
      not_pending: 'this charge is no longer waiting for a PIN',
      unknown_charge: 'charge not found',
      bad_pin: 'the PIN is 6 digits',
      no_pin: 'this card has no PIN here',
      network: 'no answer from the issuer; check the connection',
      server: 'the issuer failed; try again',
    },
    local: {
      empty: 'scan or type the code first',
      noAmount: 'enter the amount first',
      amount: 'the amount is not valid (like 12.50, at most two decimals)',
      alipay: 'Alipay-format code: not ours, take it on the Alipay terminal',
      unionpay: 'UnionPay code: not ours, take it on the UnionPay terminal',
      notDigits: 'a payment code has only digits',
      length: 'a payment code has 16 to 24 digits',
      foreign: 'not a payment code of this issuer (they start with 10 to 15)',
      camera: 'the camera could not be opened; type or scan the code instead',
    },
    amountError: 'the amount is not valid',
  },
  'zh-CN': {
    title: '付款码收银台',
    lang: 'English',
    amountLabel: '金额（元）',
    codeLabel: '付款码：扫码或输入后按回车',
    codeHint: '扫码枪会自动输入付款码并按回车。',
    scan: '扫码',
    charge: '收款',
    pinLabel: '付款人密码',
    pinConfirm: '确认密码',
    pinCancel: '取消',
    settings: '收银台设置',
    merchantLabel: '商户名称（随每笔收款发送）',
    cameraTitle: '请将摄像头对准付款码',
    cancel: '取消',
    sending: '正在请求发卡方…',
    approved: '收款成功',
    pinRequired: '需要输入密码',
    declined: (why) => `交易失败：${why}`,
    notSent: (why) => `未发送：${why}`,
    paidWith: (amount, source) => `¥${amount}，付款方式：${source}`,
    askPin: '请付款人输入支付密码。',
    pinWhy: { daily_count: '已超过今日免密次数。', amount_limit: '金额超过免密限额。' },
    cancelled: '已取消：付款人未输入密码。',
    reasons: {
      replayed: '付款码已被使用',
      superseded: '该卡已使用更新的付款码，请刷新付款码',
      expired: '付款码已过期，请刷新付款码',
      bad_mac: '付款码无效（输错或识别错误）',
      malformed: '不是有效的付款码',
      unknown_prefix: '不是本发卡方的付款码',
      unknown_card: '发卡方不认识这张卡',
      locked: '该卡暂时锁定（失败次数过多）',
      wrong_pin: '密码错误',
      rate_limited: '本收银台请求过多，请稍候',
      not_pending: '这笔交易已不需要密码',
      unknown_charge: '找不到这笔交易',
      bad_pin: '密码为 6 位数字',
      no_pin: '这张卡在此没有设置密码',
      network: '发卡方无响应，请检查网络',
      server: '发卡方出错，请重试',
    },
    local: {
      empty: '请先扫码或输入付款码',
      noAmount: '请先输入金额',
      amount: '金额无效（如 12.50，最多两位小数）',
      alipay: '支付宝格式付款码：非本行，请使用支付宝收款设备',
      unionpay: '银联付款码：非本行，请使用银联收款设备',
      notDigits: '付款码只包含数字',
      length: '付款码为 16 到 24 位数字',
      foreign: '不是本发卡方的付款码（本行付款码以 10 到 15 开头）',
      camera: '无法打开摄像头，请输入或用扫码枪扫码',
    },
    amountError: '金额无效',
  },
};

const MERCHANT_KEY = 'paycode.till.merchant';
const REQUEST_TIMEOUT_MS = 10000;

const $ = (id) => document.getElementById(id);
const els = {
  form: $('charge'), amount: $('amount'), code: $('code'), scan: $('scan'), submit: $('submit'),
  answer: $('answer'), verdict: $('verdict'), detail: $('detail'),
  pinForm: $('pin-form'), pin: $('pin'), pinCancel: $('pin-cancel'),
  merchant: $('merchant'), lang: $('lang'),
  camera: $('camera'), video: $('video'), cameraClose: $('camera-close'),
};

let busy = false;
let pendingCharge = null; // charge id waiting for the PIN
let lastAnswer = null;    // {tone, verdict: [key, ...args], detail: [key, ...args]} for re-rendering

function strings() {
  return TEXT[language()] ?? TEXT.en;
}

function t(path, ...args) {
  const value = path.split('.').reduce((node, key) => node?.[key], strings()) ??
    path.split('.').reduce((node, key) => node?.[key], TEXT.en);
  if (typeof value === 'function') return value(...args);
  return value ?? '';
}

function translatePage() {
  document.documentElement.lang = language();
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  document.title = t('title');
  els.lang.textContent = t('lang');
  if (lastAnswer) render(lastAnswer);
}

/** A reason kind as words; unknown kinds fall back to the server's message. */
function reasonText(kind, message) {
  const known = strings().reasons[kind];
  if (known) return known;
  if (kind?.startsWith('amount_')) return t('amountError');
  return message || t('reasons.server');
}

function render(answer) {
  lastAnswer = answer;
  els.answer.hidden = false;
  els.answer.dataset.tone = answer.tone;
  els.verdict.textContent = answer.verdict();
  els.detail.textContent = answer.detail ? answer.detail() : '';
}

function show(tone, verdict, detail = null) {
  render({ tone, verdict, detail });
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

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    return { error: 'network' };
  }
  try {
    return await response.json();
  } catch {
    return { error: 'server' };
  }
}

function focusCode() {
  if (!pendingCharge && !els.camera.open) els.code.focus();
}

function paidDetail(body) {
  const source = body.funding?.label ?? '';
  return () => t('paidWith', body.amount ?? '', source);
}

function showDecline(body) {
  const kind = body.reason ?? body.error;
  show('bad', () => t('declined', reasonText(kind, body.message)));
}

async function charge() {
  if (busy || pendingCharge) return;
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
  busy = true;
  els.submit.disabled = true;
  show('wait', () => t('sending'));
  const merchant = els.merchant.value.trim();
  const body = await post('api/charge', { code: recognised.code, amount, ...(merchant ? { merchant } : {}) });
  busy = false;
  els.submit.disabled = false;
  els.code.value = '';
  if (body.result === 'approved') {
    show('good', () => t('approved'), paidDetail(body));
  } else if (body.result === 'pin_required' && body.charge_id) {
    pendingCharge = body.charge_id;
    const why = body.reason;
    show('warn', () => t('pinRequired'), () => `${t(`pinWhy.${why}`)} ${t('askPin')}`);
    els.pinForm.hidden = false;
    els.pin.value = '';
    els.pin.focus();
    return;
  } else {
    showDecline(body);
  }
  focusCode();
}

async function submitPin() {
  if (busy || !pendingCharge) return;
  const pin = els.pin.value.trim();
  if (!/^[0-9]{6}$/.test(pin)) {
    show('warn', () => t('pinRequired'), () => t('reasons.bad_pin'));
    els.pin.select();
    return;
  }
  busy = true;
  const body = await post(`api/charge/${encodeURIComponent(pendingCharge)}/pin`, { pin });
  busy = false;
  els.pin.value = '';
  if (body.result === 'approved') {
    endPin();
    show('good', () => t('approved'), paidDetail(body));
  } else if ((body.reason ?? body.error) === 'wrong_pin' && !body.locked) {
    show('warn', () => t('declined', t('reasons.wrong_pin')), () => t('askPin'));
    els.pin.focus();
    return;
  } else {
    endPin();
    showDecline(body.locked ? { reason: 'locked' } : body);
  }
  focusCode();
}

function endPin() {
  pendingCharge = null;
  els.pinForm.hidden = true;
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

els.pinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  submitPin();
});

els.pinCancel.addEventListener('click', () => {
  endPin();
  show('bad', () => t('cancelled'));
  focusCode();
});

// A click on empty page space gives the focus back to the code field, so
// the next scan lands there.
document.addEventListener('click', (event) => {
  if (!event.target.closest('input, button, select, textarea, summary, details, dialog')) focusCode();
});

els.lang.addEventListener('click', () => {
  setLanguage(otherLanguage());
  translatePage();
  focusCode();
});

try {
  els.merchant.value = localStorage.getItem(MERCHANT_KEY) ?? '';
} catch {
  // Storage blocked: the name lasts until the page closes.
}
els.merchant.addEventListener('change', () => {
  try {
    localStorage.setItem(MERCHANT_KEY, els.merchant.value.trim());
  } catch {
    // Not fatal.
  }
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

// Page text in English and Simplified Chinese. The language comes from the
// browser unless the user picked one (kept in localStorage: not a secret).

const STRINGS = {
  en: {
    title: 'PayCode Wallet',
    langButton: '中文',
    langHint: 'Switch language to Chinese',
    barcodeLabel: 'Payment barcode',
    barcodeOpen: 'Payment barcode: show it full screen',
    barcodeBack: 'Tap anywhere to go back',
    qrLabel: 'Payment QR code',
    revealHint: 'Show the digits for 5 seconds',
    swipeHint: 'Swipe the card for a new code',
    refresh: 'New code',
    fullscreen: 'Full screen',
    exitFullscreen: 'Exit full screen',
    fundingLabel: 'Pay with',
    balance: 'Balance',
    addCard: 'Add a card',
    addAnother: 'Add another card',
    switcherLabel: 'Your cards',
    switcherHint: 'Choose the card to pay with',
    cardShown: (issuer) => `Showing the card from ${issuer}.`,
    removeWhich: (issuer) => `The card from ${issuer}. Your other cards stay.`,
    pasteLabel: 'Paste the provisioning link from your bank',
    pastePlaceholder: 'paycode://provision?…',
    pasteAdd: 'Add card',
    demo: 'Get a demo card',
    remove: 'Remove card',
    removeTitle: 'Remove this card?',
    removeBody: 'The card is deleted from this device. You need a new link from your bank to add it again.',
    cancel: 'Keep card',
    removeConfirm: 'Remove',
    countdown: (s) => `New code in ${s} s`,
    announceNew: 'New code ready',
    added: (issuer) => `Card from ${issuer} added.`,
    removed: 'Card removed.',
    demoWait: 'Asking the demo bank…',
    historyTitle: 'Recent payments',
    historyRefresh: 'Refresh',
    historyEmpty: 'No payments yet.',
    fundingOrderTitle: 'Order of funding sources',
    fundingOrderHint: 'When the source you pay with cannot cover a payment, your bank tries the others in this order.',
    fundingOrderOff: 'This card pays only from the source you choose; this order applies if your bank lets it try the others.',
    fundingOrderUp: (name) => `Move ${name} up`,
    fundingOrderDown: (name) => `Move ${name} down`,
    fundingOrderSaved: (order) => `Order saved: ${order}.`,
    fundingOrderFailed: 'The order could not be saved. Check the connection and try again.',
    paidApproved: 'Approved',
    paidPinWaiting: 'Waiting for confirmation',
    paidFailed: 'Declined',
    paidClosed: 'Cancelled, not paid',
    paidReversed: 'Reversed, money back',
    paidRefunded: 'Refunded',
    paidUnknown: 'Unknown',
    noMerchant: 'Shop',
    streamDown: 'Payment results cannot be confirmed right now. Your codes still work; results appear here when the connection is back.',
    sheetApproved: 'Payment approved',
    sheetPin: 'Confirm this payment',
    sheetFailed: 'Payment declined',
    sheetClosed: 'Payment cancelled, not paid',
    sheetReversed: 'Payment reversed, money back',
    sheetRefunded: 'Payment refunded',
    sheetUnknown: 'Payment',
    sheetMerchant: 'Merchant',
    sheetFunding: 'Paid with',
    sheetTime: 'Time',
    sheetClose: 'Done',
    sheetPinLabel: 'Your PIN',
    sheetPay: 'Pay',
    sheetDecline: 'Decline',
    pinWrong: (left) => `Wrong PIN. ${left} ${left === 1 ? 'try' : 'tries'} left.`,
    pinBlocked: 'Too many wrong PINs: PIN payments are blocked until your bank unblocks them.',
    pinNone: 'Choose your PIN first (below the code).',
    pinFailed: 'The PIN could not be sent. Check the connection and try again.',
    pinFormat: 'A PIN is 6 digits.',
    pinChooseLabel: 'Choose a 6-digit PIN for payments past the no-PIN allowance. You type it on this phone only, never at the till.',
    pinChooseButton: 'Set PIN',
    pinChosen: 'PIN set.',
    replaceTitle: 'Replace this card?',
    replaceWhich: (issuer) => `The card from ${issuer} is already on this device.`,
    replaceBody: 'This link holds a new key for a card already on this device. Replace it only if your bank sent you this link just now.',
    replaceKeep: 'Keep my card',
    replaceConfirm: 'Replace',
    replaceKept: (issuer) => `Kept your card from ${issuer}.`,
    activating: (issuer) => `Fetching your card from ${issuer}…`,
    errors: {
      replace_declined: 'The card on this device was kept; the link was not used.',
      activation_used: 'This activation link was used already. Each link adds a card once: ask your bank for a new one.',
      activation_expired: 'This activation link has expired (links are valid 10 minutes). Ask your bank for a new one.',
      activation_unknown: 'The bank does not know this activation link. Copy the whole link again or ask for a new one.',
      activation_offline: 'The bank could not be reached to fetch the card. Check the connection and open the link again.',
      activation_failed: 'The bank did not give the card. Try again later or ask for a new link.',
      card_revoked: 'The bank has blocked this card. Ask your bank for a new one.',
      bad_activation_url: 'The bank address in the activation link is not a secure (https) address.',
      bad_activation_code: 'The activation link is damaged. Copy the whole link again.',
      no_demo_server: 'No demo bank is answering here. Paste a link from your bank instead.',
      demo_failed: 'The demo bank did not give a card. Try again later.',
      empty_link: 'Paste a link first.',
      storage_failed: 'This browser would not store the card safely, so it will be gone after a reload.',
      no_crypto: 'This browser cannot encrypt the card (it needs a secure https page).',
      wasm_failed: 'The wallet could not start in this browser.',
      stored_unreadable: 'The saved card could not be opened on this device. Add it again with a new link.',
      counter_exhausted: 'No more new codes for now. The next one comes when the countdown ends.',
      bad_clock: 'This device\'s clock is not usable. Set the date and time, then reload.',
      bad_options: 'The wallet page is damaged. Reload it.',
      busy: 'The code is being updated. Try again.',
      destroyed: 'This code is no longer shown. Reload the page.',
      too_long: 'This text is far too long to be a card link. Copy only the link.',
      wrong_scheme: 'This is not a payment-card link. It must start with paycode://activate? or paycode://provision?',
      unsupported_version: 'This card link is for a newer wallet. Update the wallet or ask your bank for a new link.',
      missing_field: 'Part of the card link is missing. Copy the whole link again.',
      duplicate_field: 'The card link repeats a part that may appear only once. Ask your bank for a new link.',
      bad_issuer: 'The bank name in the link is missing or too long.',
      bad_prefix: 'The code prefix in the link is not supported (it must be 10 to 15).',
      bad_length: 'The code length in the link is not supported (it must be 16 to 24 digits).',
      bad_token: 'The card id in the link is not valid.',
      bad_base32: 'The card key in the link is damaged. Copy the whole link again.',
      secret_length: 'The card key in the link has the wrong length. Ask your bank for a new link.',
      unsupported_algorithm: 'The link asks for a security algorithm this wallet does not support.',
      bad_period: 'The code refresh time in the link must be 15 to 300 seconds.',
      bad_time: 'The bank time in the link is not valid.',
      no_funding: 'The link names no way to pay (no balance and no debit card).',
      too_many_funding: 'The link names more than 8 ways to pay.',
      credit_refused: 'Credit cards cannot pay by payment code. Use your balance or a debit card.',
      bad_funding: 'A way to pay in the link is not understood (only balance or a debit card).',
      bad_bank: 'The bank name of a debit card in the link is missing or too long.',
      bad_last4: 'A debit card in the link does not show exactly its last 4 digits.',
      bad_api: 'The issuer address in the link is not a secure (https) address.',
    },
    unknownLinkError: 'This link cannot be used. Ask your bank for a new link.',
  },
  'zh-CN': {
    title: '付款码钱包',
    langButton: 'English',
    langHint: '切换为英文',
    barcodeLabel: '付款条形码',
    barcodeOpen: '付款条形码：点按全屏显示',
    barcodeBack: '轻触任意处返回',
    qrLabel: '付款二维码',
    revealHint: '显示数字 5 秒',
    swipeHint: '滑动卡片可换新码',
    refresh: '换一个码',
    fullscreen: '全屏',
    exitFullscreen: '退出全屏',
    fundingLabel: '付款方式',
    balance: '余额',
    addCard: '添加卡片',
    addAnother: '添加另一张卡片',
    switcherLabel: '我的卡片',
    switcherHint: '选择用来付款的卡片',
    cardShown: (issuer) => `正在显示 ${issuer} 的卡片。`,
    removeWhich: (issuer) => `${issuer} 的卡片。其他卡片会保留。`,
    pasteLabel: '粘贴银行发给您的开通链接',
    pastePlaceholder: 'paycode://provision?…',
    pasteAdd: '添加卡片',
    demo: '领取演示卡',
    remove: '删除卡片',
    removeTitle: '删除这张卡片？',
    removeBody: '卡片将从本设备删除。要再次添加，需要银行重新发送链接。',
    cancel: '保留卡片',
    removeConfirm: '删除',
    countdown: (s) => `${s} 秒后更新`,
    announceNew: '新付款码已生成',
    added: (issuer) => `已添加 ${issuer} 的卡片。`,
    removed: '卡片已删除。',
    demoWait: '正在向演示银行申请…',
    historyTitle: '最近付款',
    historyRefresh: '刷新',
    historyEmpty: '暂无付款记录。',
    fundingOrderTitle: '扣款顺序',
    fundingOrderHint: '所选付款方式不足以支付时，银行按此顺序尝试其他付款方式。',
    fundingOrderOff: '此卡只从您选择的付款方式扣款；银行允许改用其他方式时，按此顺序扣款。',
    fundingOrderUp: (name) => `将${name}上移`,
    fundingOrderDown: (name) => `将${name}下移`,
    fundingOrderSaved: (order) => `扣款顺序已保存：${order}。`,
    fundingOrderFailed: '扣款顺序未能保存，请检查网络后重试。',
    paidApproved: '已付款',
    paidPinWaiting: '等待确认',
    paidFailed: '未成功',
    paidClosed: '已关闭，未付款',
    paidReversed: '已撤销，已退回',
    paidRefunded: '已退款',
    paidUnknown: '未知',
    noMerchant: '商户',
    streamDown: '暂时无法确认付款结果。付款码仍可使用；连接恢复后结果会显示在这里。',
    sheetApproved: '付款成功',
    sheetPin: '请确认这笔付款',
    sheetFailed: '付款未成功',
    sheetClosed: '付款已关闭，未扣款',
    sheetReversed: '付款已撤销，已退回',
    sheetRefunded: '付款已退款',
    sheetUnknown: '付款',
    sheetMerchant: '商户',
    sheetFunding: '付款方式',
    sheetTime: '时间',
    sheetClose: '完成',
    sheetPinLabel: '支付密码',
    sheetPay: '付款',
    sheetDecline: '拒绝',
    pinWrong: (left) => `密码错误，还可以再试 ${left} 次。`,
    pinBlocked: '密码错误次数过多，需银行解除后才能用密码付款。',
    pinNone: '请先设置支付密码（在付款码下方）。',
    pinFailed: '密码未能发送。请检查网络后重试。',
    pinFormat: '支付密码为 6 位数字。',
    pinChooseLabel: '设置 6 位支付密码，用于超过免密额度的付款。只在本机输入，绝不在收银台输入。',
    pinChooseButton: '设置密码',
    pinChosen: '支付密码已设置。',
    replaceTitle: '替换这张卡片？',
    replaceWhich: (issuer) => `${issuer} 的这张卡片已在本设备上。`,
    replaceBody: '此链接含有本设备上已有卡片的新密钥。只有在银行刚刚发给您这个链接时才替换。',
    replaceKeep: '保留我的卡片',
    replaceConfirm: '替换',
    replaceKept: (issuer) => `已保留您在 ${issuer} 的卡片。`,
    activating: (issuer) => `正在从 ${issuer} 获取您的卡片…`,
    errors: {
      replace_declined: '已保留本设备上的卡片，未使用此链接。',
      activation_used: '此激活链接已被使用。每个链接只能添加一次卡片，请向银行索取新链接。',
      activation_expired: '此激活链接已过期（有效期 10 分钟），请向银行索取新链接。',
      activation_unknown: '银行不认识此激活链接。请重新复制完整链接或索取新链接。',
      activation_offline: '无法连接银行获取卡片。请检查网络后重新打开链接。',
      activation_failed: '银行没有发卡，请稍后再试或索取新链接。',
      card_revoked: '银行已停用此卡片，请向银行索取新卡。',
      bad_activation_url: '激活链接中的银行地址不是安全的（https）地址。',
      bad_activation_code: '激活链接已损坏，请重新复制完整链接。',
      no_demo_server: '这里没有可用的演示银行。请粘贴银行发给您的链接。',
      demo_failed: '演示银行没有发卡，请稍后再试。',
      empty_link: '请先粘贴链接。',
      storage_failed: '此浏览器无法安全保存卡片，刷新后卡片将消失。',
      no_crypto: '此浏览器无法加密卡片（需要安全的 https 页面）。',
      wasm_failed: '钱包无法在此浏览器中启动。',
      stored_unreadable: '无法在本设备上打开已保存的卡片，请用新链接重新添加。',
      counter_exhausted: '暂时不能再换新码，倒计时结束后会生成新码。',
      bad_clock: '本设备的时钟不可用，请设置日期和时间后刷新页面。',
      bad_options: '钱包页面已损坏，请刷新。',
      busy: '付款码正在更新，请再试一次。',
      destroyed: '此付款码已不再显示，请刷新页面。',
      too_long: '内容太长，不是卡片链接。请只复制链接。',
      wrong_scheme: '这不是付款卡片链接，链接应以 paycode://activate? 或 paycode://provision? 开头。',
      unsupported_version: '此卡片链接需要更新版本的钱包。请更新钱包或向银行索取新链接。',
      missing_field: '卡片链接不完整，请重新复制完整链接。',
      duplicate_field: '卡片链接中有只能出现一次的内容重复了，请向银行索取新链接。',
      bad_issuer: '链接中的银行名称缺失或过长。',
      bad_prefix: '不支持链接中的付款码前缀（应为 10 到 15）。',
      bad_length: '不支持链接中的付款码长度（应为 16 到 24 位）。',
      bad_token: '链接中的卡片编号无效。',
      bad_base32: '链接中的卡片密钥已损坏，请重新复制完整链接。',
      secret_length: '链接中的卡片密钥长度不对，请向银行索取新链接。',
      unsupported_algorithm: '链接要求的安全算法本钱包不支持。',
      bad_period: '链接中的刷新时间应为 15 到 300 秒。',
      bad_time: '链接中的银行时间无效。',
      no_funding: '链接中没有付款方式（没有余额，也没有借记卡）。',
      too_many_funding: '链接中的付款方式超过 8 个。',
      credit_refused: '信用卡不能用于付款码，请使用余额或借记卡。',
      bad_funding: '链接中的付款方式无法识别（只能是余额或借记卡）。',
      bad_bank: '链接中借记卡的银行名称缺失或过长。',
      bad_last4: '链接中的借记卡没有正好给出卡号后 4 位。',
      bad_api: '链接中的发卡行地址不是安全的（https）地址。',
    },
    unknownLinkError: '此链接无法使用，请向银行索取新链接。',
  },
};

const LANG_KEY = 'paycode.lang';
const SUPPORTED = Object.keys(STRINGS);

function browserLanguage() {
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of wanted) {
    if (/^zh\b/i.test(tag)) return 'zh-CN';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'en';
}

function storedLanguage() {
  try {
    const lang = localStorage.getItem(LANG_KEY);
    return SUPPORTED.includes(lang) ? lang : null;
  } catch {
    return null; // storage blocked (private mode, sandboxed frame): fall back to the browser
  }
}

let current = storedLanguage() || browserLanguage();

export function language() {
  return current;
}

/** The text for `key`; functions are called with `args`. */
export function t(key, ...args) {
  const value = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return typeof value === 'function' ? value(...args) : value;
}

/** A plain-words message for a LinkError kind or a page-level error kind. */
export function errorMessage(kind) {
  return STRINGS[current].errors[kind] ?? t('unknownLinkError');
}

/**
 * Fill every element marked data-i18n / data-i18n-label / data-i18n-placeholder.
 * Each is written only where it differs: the page opens with its English text
 * in place, and a node rewritten with its own text (or `lang` set again) is
 * laid out and shaped anew before the first code can be measured and drawn.
 */
export function applyTranslations(root = document) {
  setIfChanged(document.documentElement, 'lang', current);
  for (const el of root.querySelectorAll('[data-i18n]')) setIfChanged(el, 'textContent', t(el.dataset.i18n));
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    const label = t(el.dataset.i18nLabel);
    if (el.getAttribute('aria-label') !== label) el.setAttribute('aria-label', label);
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) setIfChanged(el, 'placeholder', t(el.dataset.i18nPlaceholder));
  setIfChanged(document, 'title', t('title'));
}

/** `target[property] = value`, unless it already is. */
export function setIfChanged(target, property, value) {
  if (target[property] !== value) target[property] = value;
}

export function setLanguage(lang) {
  if (!SUPPORTED.includes(lang)) return;
  current = lang;
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Not fatal: the choice lasts until the page closes.
  }
}

export function otherLanguage() {
  return current === 'en' ? 'zh-CN' : 'en';
}

// The stack a web developer would pick instead of our wasm module, doing the
// same work per refresh: an HMAC-SHA256 code padded to 18 digits, a Code 128
// barcode of those digits and a QR code (EC level M) of them, each drawn on
// its canvas at the same backing-store size as ours. Uses the globals the
// three libraries' browser bundles define: OTPAuth, JsBarcode, QRCode.

const PREFIX = '13';
const COUNTERS_PER_STEP = 16;
const CODE128_QUIET_MODULES = 10; // as ours (ISO/IEC 15417 asks for at least 10)
const MIN_BAR_HEIGHT_PERCENT = 15; // as ours
const QR_QUIET_MODULES = 4;

/** "1345 •••• •••• ••68", as PaymentCode.maskedDigits. */
export function mask(digits) {
  let out = '';
  for (let i = 0; i < digits.length; i += 1) {
    if (i > 0 && i % 4 === 0) out += ' ';
    out += i < 4 || i + 2 >= digits.length ? digits[i] : '•';
  }
  return out;
}

/**
 * Canvas options so that the JS libraries fill exactly `barcode` (w × h) and
 * `qr` (side) device pixels, with modules sized by the same rules as ours.
 */
export function plan({ barcodeWidth, barcodeHeight, qrSide, sampleDigits }) {
  const { QRCode } = globalThis;
  // Code set C: start + one character per digit pair + check + stop (13 modules).
  const barModules = 11 * (sampleDigits.length / 2 + 2) + 13;
  const withQuiet = barModules + 2 * CODE128_QUIET_MODULES;
  const widest = Math.floor(barcodeWidth / withQuiet);
  const tallestAllowed = Math.floor((barcodeHeight * 100) / (MIN_BAR_HEIGHT_PERCENT * withQuiet));
  const module = Math.max(1, Math.min(widest, tallestAllowed));
  const marginLeft = Math.floor((barcodeWidth - barModules * module) / 2);
  const marginRight = barcodeWidth - barModules * module - marginLeft;
  const qrModules = QRCode.create(sampleDigits, { errorCorrectionLevel: 'M' }).modules.size + 2 * QR_QUIET_MODULES;
  const qrScale = Math.max(1, Math.floor(qrSide / qrModules));
  return {
    barcode: {
      format: 'CODE128C',
      width: module,
      height: barcodeHeight,
      margin: 0,
      marginTop: 0,
      marginBottom: 0,
      marginLeft,
      marginRight,
      displayValue: false,
      background: '#ffffff',
      lineColor: '#000000',
    },
    qr: { errorCorrectionLevel: 'M', margin: QR_QUIET_MODULES, scale: qrScale },
  };
}

/**
 * A refreshable code on two canvases, like PaymentCode.refresh(): the next
 * counter in the step (a new step after 16), new code, both symbols redrawn.
 */
export function createJsStack({ secretBase32, token, step, barcode, qr, options, onRotate }) {
  const { OTPAuth, JsBarcode, QRCode } = globalThis;
  const hotp = new OTPAuth.HOTP({
    algorithm: 'SHA256',
    digits: 8,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  });
  const tokenDigits = String(token % 10_000).padStart(4, '0');
  let counter = -1;
  const state = { digits: '' };

  function codeFor(funding) {
    // One HMAC-SHA256 per code, as ours; fields then MAC digits, 2 + 4 + 4 + 8 = 18.
    const mac = hotp.generate({ counter: step * COUNTERS_PER_STEP + counter });
    const fields = String(((step % 8) * COUNTERS_PER_STEP + counter) * 8 + funding).padStart(4, '0');
    return PREFIX + tokenDigits + fields + mac;
  }

  state.refresh = function refresh() {
    counter += 1;
    if (counter >= COUNTERS_PER_STEP) {
      step += 1;
      counter = 0;
    }
    const digits = codeFor(0);
    JsBarcode(barcode, digits, options.barcode);
    let failure = null;
    // With a callback, toCanvas runs synchronously.
    QRCode.toCanvas(qr, digits, options.qr, (error) => {
      failure = error;
    });
    if (failure) throw failure;
    state.digits = digits;
    if (onRotate) onRotate({ masked: mask(digits), reason: 'swipe' });
  };
  return state;
}

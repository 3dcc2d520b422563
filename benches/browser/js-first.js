// The JS stack's first code: size the canvases from their CSS box at the
// screen's pixel ratio (as ours does), make a code, draw both symbols.

import { SECRET, TOKEN, ISSUER_TIME, PERIOD_S } from './fixture.js';
import { createJsStack, plan } from './stack.js';

const barcode = document.getElementById('barcode');
const qr = document.getElementById('qr');
const dpr = window.devicePixelRatio || 1;
const bar = barcode.getBoundingClientRect();
const square = qr.getBoundingClientRect();
const options = plan({
  barcodeWidth: Math.floor(bar.width * dpr),
  barcodeHeight: Math.floor(bar.height * dpr),
  qrSide: Math.floor(Math.min(square.width, square.height) * dpr),
  sampleDigits: '0'.repeat(18),
});
window.view = createJsStack({
  secretBase32: SECRET,
  token: TOKEN,
  step: Math.floor(ISSUER_TIME / PERIOD_S),
  barcode,
  qr,
  options,
});
window.view.refresh();

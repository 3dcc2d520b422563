// Our module alone on a page as small as the JS stack's: load, read the
// link, draw the first code.

import init, { PaymentCode } from '/pkg/paycode_wallet.js';
import { LINK } from './fixture.js';

await init();
window.view = PaymentCode.fromLink(LINK, {
  barcode: document.getElementById('barcode'),
  qr: document.getElementById('qr'),
});

// Compiled against the installed package (tsc --noEmit, strict): the types
// a developer gets from `paycode-wallet` and `paycode-wallet/element`. The
// last three calls must be type errors: tsc fails on an expected error that
// is not one.
import init, { PaymentCode, parseLink, type LinkInfo, type RotateEvent } from 'paycode-wallet';
import { PaycodeViewElement, PaycodeErrorEvent, type PaycodeCard } from 'paycode-wallet/element';

export async function host(link: string): Promise<void> {
  await init();
  const info: LinkInfo = parseLink(link);
  const canvas = document.createElement('canvas');
  const view = PaymentCode.fromLink(link, { barcode: canvas, qr: canvas, onRotate: (e: RotateEvent) => e.masked });
  const masked: string = view.maskedDigits;

  const pay = document.querySelector('paycode-view');
  if (!pay) return;
  const element: PaycodeViewElement = pay;
  element.link = link;
  element.link = null;
  element.addEventListener('rotate', (event) => {
    const text: string = event.detail.masked;
    const reason: 'show' | 'time' | 'swipe' | 'funding' | 'tick' = event.detail.reason;
    console.log(text, reason, info.issuer, masked);
  });
  element.addEventListener('error', (event) => {
    const kind: string = event.kind;
    const error: PaycodeErrorEvent = event;
    console.log(kind, error.message);
  });
  const stored: PaycodeCard = { link, fundingIndex: 1, clockOffsetMs: 0 };
  await element.show(stored);
  await element.show(async () => null);
  const refreshed: boolean = element.refresh();
  const left: number = element.msUntilRotate + element.clockOffsetMs + element.funding;
  element.funding = 1;
  console.log(refreshed, left);

  // @ts-expect-error a number is not a card
  await element.show(42);
  // @ts-expect-error the link cannot be read back
  const secret: string = element.link;
  // @ts-expect-error read only
  element.maskedDigits = '';
  console.log(secret);
}

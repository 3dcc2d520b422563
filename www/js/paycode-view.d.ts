/** Types of `paycode-wallet/element`: importing it defines `<paycode-view>`. */

/** What `show()` takes: a provisioning link, or a card as the wallet stores it. */
export type PaycodeCard = string | {
  /** The paycode://provision?… link (it holds the card's secret). */
  link: string;
  /** Funding source index; the `funding` attribute, when set, wins. */
  fundingIndex?: number;
  /** Issuer clock minus Date.now(), as kept from when the card was added. */
  clockOffsetMs?: number;
};

export interface PaycodeRotateDetail {
  /** "1345 •••• •••• ••68" */
  masked: string;
  /** `show`: a view was made (a card shown, or the element attached again). */
  reason: 'show' | 'time' | 'swipe' | 'funding' | 'tick';
}

/** Fired as `error`; `kind` is stable and snake_case. */
export declare class PaycodeErrorEvent extends ErrorEvent {
  readonly kind: string;
}

export declare class PaycodeViewElement extends HTMLElement {
  /** Write only: shows the card of this link; null or '' removes the card. */
  set link(value: string | null);
  /** Resolves when the card is accepted (and drawn, when in the document); rejects with an Error with `.kind`. */
  show(card: PaycodeCard | null | (() => PaycodeCard | null | Promise<PaycodeCard | null>)): Promise<void>;
  /** Removes the card: stops, blanks the canvases, forgets the link. */
  clear(): void;
  /** A new code within the time step; false (and an `error` event) when none can be had. */
  refresh(): boolean;
  /** '' when no code is on screen. */
  readonly maskedDigits: string;
  /** NaN when no code is on screen. */
  readonly msUntilRotate: number;
  readonly clockOffsetMs: number;
  /** Reflects the `funding` attribute. */
  funding: number;
  addEventListener<K extends keyof PaycodeViewEventMap>(
    type: K, listener: (this: PaycodeViewElement, event: PaycodeViewEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions): void;
}

export interface PaycodeViewEventMap extends HTMLElementEventMap {
  rotate: CustomEvent<PaycodeRotateDetail>;
  error: PaycodeErrorEvent;
}

declare global {
  interface HTMLElementTagNameMap {
    'paycode-view': PaycodeViewElement;
  }
}

// <paycode-view>: one tag that shows a card's payment code: Code 128, QR,
// masked digits and a countdown, sized by its own CSS box.
//
// The card reaches the element only through `el.link = …` or `el.show(…)`,
// never an attribute: a provisioning link carries the card's secret, and
// attributes are in the DOM for every script, devtools and serialisation
// to read. The element keeps the link in a private field (to draw again
// when it is attached again); attributes carry only the funding index and
// the texts.

import init, { PaymentCode, parseLink } from '../pkg/paycode_wallet.js';

const REVEAL_MS = 5000;

/** Attribute → default text. `{s}` in countdown-label is the seconds left. */
const TEXTS = {
  label: 'Payment code',
  'barcode-label': 'Payment barcode',
  'qr-label': 'Payment QR code',
  'reveal-label': 'Show the digits for 5 seconds',
  'refresh-label': 'New code',
  'countdown-label': 'New code in {s} s',
  'announce-label': 'New code ready',
};

const STYLE = `
:host {
  display: inline-block;
  box-sizing: border-box;
  width: 20rem;
  max-width: 100%;
  padding: 0.75rem;
  background: #ffffff;
  color: #1a1d21;
  font: 1rem/1.3 system-ui, sans-serif;
  --paycode-barcode-height: 6rem;
  --paycode-qr-size: 62%;
  --paycode-accent: #0b5cad;
}
:host([hidden]) { display: none; }
/* A swipe on the card makes a new code: it must not select text or open a callout. */
.card { user-select: none; -webkit-user-select: none; -webkit-touch-callout: none; }
.bars { height: var(--paycode-barcode-height); }
.square { width: var(--paycode-qr-size); aspect-ratio: 1; margin: 0.5rem auto 0; }
.bars, .square { display: flex; align-items: center; justify-content: center; }
canvas { display: block; width: 100%; height: 100%; background: #ffffff; }
.digits {
  display: block; width: 100%; min-height: 44px; margin: 0.35rem 0 0; padding: 0.35rem;
  border: 0; border-radius: 8px; background: transparent; color: inherit; cursor: pointer;
  font: 600 1.2rem/1.3 ui-monospace, Menlo, Consolas, monospace; letter-spacing: 0.06em;
}
.countdown { display: flex; align-items: center; gap: 0.75rem; margin-top: 0.75rem; font-size: 0.9rem; }
.meter { flex: 1; height: 4px; border-radius: 2px; background: #dde2ea; overflow: hidden; }
.fill { height: 100%; background: var(--paycode-accent); transform-origin: left center; transition: transform 1s linear; }
.refresh {
  display: block; width: 100%; min-height: 44px; margin-top: 0.75rem; border: 0; border-radius: 8px;
  background: var(--paycode-accent); color: #ffffff; font: inherit; font-weight: 600; cursor: pointer;
}
.card:not(.shown) :is(.digits, .countdown, .refresh) { visibility: hidden; }
.hidden-text { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media (prefers-reduced-motion: reduce) { .fill { transition: none; } }
`;

const TEMPLATE = document.createElement('template');
TEMPLATE.innerHTML = `<style>${STYLE}</style>
<div class="card" part="card" role="group">
  <div class="bars"><canvas class="barcode" part="barcode" role="img"></canvas></div>
  <button type="button" class="digits" part="digits" aria-pressed="false" aria-describedby="reveal-hint"></button>
  <span id="reveal-hint" class="hidden-text"></span>
  <div class="square"><canvas class="qr" part="qr" role="img"></canvas></div>
  <div class="countdown" part="countdown">
    <div class="meter" aria-hidden="true"><div class="fill"></div></div>
    <span class="left"></span>
  </div>
  <button type="button" class="refresh" part="refresh"></button>
  <span class="announce hidden-text" aria-live="polite"></span>
</div>`;

let wasmLoading = null;

/** Instantiates the wasm module once per page (a failed load may be tried again). */
function loadWasm() {
  wasmLoading ??= init().catch((cause) => {
    wasmLoading = null;
    throw paycodeError('wasm_failed', `the payment code module could not be loaded: ${cause?.message ?? cause}`);
  });
  return wasmLoading;
}

function paycodeError(kind, message) {
  return Object.assign(new Error(message), { kind });
}

/**
 * The `error` event: an ErrorEvent whose `kind` is stable (the module's own
 * kinds, or the element's). It does not bubble, as an <img>'s does not: a
 * bubbling ErrorEvent would reach window.onerror as if the page had thrown.
 */
export class PaycodeErrorEvent extends ErrorEvent {
  constructor(error) {
    super('error', { error, message: String(error?.message ?? error) });
    this.kind = typeof error?.kind === 'string' ? error.kind : 'unknown';
  }
}

/**
 * A card as show() takes it: a provisioning link, or the object the
 * wallet's storage loads ({link, fundingIndex, clockOffsetMs}).
 */
function cardOf(value) {
  if (typeof value === 'string') return { link: value };
  if (value && typeof value === 'object' && typeof value.link === 'string') {
    return {
      link: value.link,
      fundingIndex: Number.isInteger(value.fundingIndex) ? value.fundingIndex : undefined,
      clockOffsetMs: Number.isFinite(value.clockOffsetMs) ? value.clockOffsetMs : undefined,
    };
  }
  if (value === null || value === undefined) throw paycodeError('no_card', 'there is no card to show');
  throw paycodeError('bad_card', 'a card is a provisioning link or an object with a `link` string');
}

/** Runs a card loader (such as loadCard); a failure without a `kind` of its own is `stored_unreadable`. */
async function loadFrom(loader) {
  try {
    return await loader();
  } catch (error) {
    if (typeof error?.kind === 'string') throw error;
    throw paycodeError('stored_unreadable', `the card could not be loaded: ${error?.message ?? error}`);
  }
}

/** The funding attribute as an index, null when absent; throws on anything else. */
function fundingAttribute(text) {
  if (text === null) return null;
  if (!/^[0-9]{1,9}$/.test(text.trim())) {
    throw paycodeError('bad_options', 'the funding attribute must be a funding source index (0, 1, …)');
  }
  return Number(text);
}

export class PaycodeViewElement extends HTMLElement {
  static observedAttributes = ['funding', ...Object.keys(TEXTS)];

  /** {link, fundingIndex, clockOffsetMs}: what the next view is made from. */
  #card = null;
  #periodMs = 60_000;
  #view = null;
  /** The step and counter of the last view, so that a view made again within that step goes on from its code. */
  #resume = null;
  /** Incremented by every show() and clear(), so a slow show() never overrides a later one. */
  #generation = 0;
  #leaving = false;
  #attached = false;
  #countdownTimer = 0;
  #revealTimer = 0;
  #shownSeconds = null;
  #lastSize = '';
  #parts;
  #resizeObserver = new ResizeObserver((entries) => this.#resized(entries));
  #onVisibility = () => {
    if (document.visibilityState === 'visible') this.#catchUp();
    else this.#stopCountdown();
  };
  #onWake = () => this.#catchUp();

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.append(TEMPLATE.content.cloneNode(true));
    const part = (name) => root.querySelector(`.${name}`);
    this.#parts = {
      card: part('card'),
      barcode: part('barcode'),
      qr: part('qr'),
      digits: part('digits'),
      revealHint: root.getElementById('reveal-hint'),
      fill: part('fill'),
      left: part('left'),
      refresh: part('refresh'),
      announce: part('announce'),
    };
    this.#parts.digits.addEventListener('click', () => this.#toggleReveal());
    this.#parts.refresh.addEventListener('click', () => this.refresh());
    this.#applyTexts();
  }

  /** Shows the card of this provisioning link (`null` or '' removes the card). Errors arrive as `error` events. */
  set link(value) {
    if (value === null || value === undefined || value === '') this.clear();
    else this.show(value).catch(() => {}); // show() has fired the error event
  }

  /**
   * Shows a card: a provisioning link, an object {link, fundingIndex?,
   * clockOffsetMs?}, or a function resolving to either (such as the
   * wallet's loadCard). Resolves once the card is accepted (and drawn, when
   * the element is in the document); rejects with an Error with `.kind`,
   * which is also fired as an `error` event.
   */
  async show(source) {
    const generation = ++this.#generation;
    try {
      const card = cardOf(typeof source === 'function' ? await loadFrom(source) : source);
      await loadWasm();
      if (generation !== this.#generation) return; // a later show() or clear() won
      // A card that cannot be shown leaves the one on screen as it was.
      const info = parseLink(card.link);
      if (this.#attached) {
        this.#start(card, null);
      } else {
        if (this.#fundingIndex(card) >= info.funding.length) {
          throw paycodeError('funding_out_of_range', 'the card has no funding source with this index');
        }
        this.#forgetView();
        this.#card = card;
        this.#resume = null;
      }
      this.#periodMs = info.period * 1000;
    } catch (error) {
      if (generation === this.#generation) this.#fail(error);
      throw error;
    }
  }

  /** Removes the card: the view stops, the canvases are blanked, the link is forgotten. */
  clear() {
    this.#generation++;
    this.#forgetView();
    this.#card = null;
    this.#resume = null;
    for (const canvas of [this.#parts.barcode, this.#parts.qr]) canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  }

  /** A new code within the time step, as a swipe makes. False (and an `error` event) when none can be had. */
  refresh() {
    if (!this.#view) {
      this.#fail(paycodeError('no_card', 'there is no card on screen'));
      return false;
    }
    return this.#guarded(() => this.#view.refresh());
  }

  /** "1345 •••• •••• ••68", or '' when no code is on screen. */
  get maskedDigits() {
    return this.#view?.maskedDigits ?? '';
  }

  /** Milliseconds until the next code, or NaN when no code is on screen. */
  get msUntilRotate() {
    return this.#view ? this.#view.msUntilRotate : NaN;
  }

  /** The issuer clock minus Date.now() this card is shown with (store it with the card). */
  get clockOffsetMs() {
    return this.#view?.clockOffsetMs ?? this.#card?.clockOffsetMs ?? NaN;
  }

  /** The funding source index of the code on screen (the `funding` attribute, reflected). */
  get funding() {
    if (this.#view) return this.#view.fundingIndex;
    try {
      return this.#fundingIndex(this.#card);
    } catch {
      return 0; // a bad attribute has fired its error event already
    }
  }

  set funding(index) {
    this.setAttribute('funding', String(index));
  }

  connectedCallback() {
    if (this.#leaving) {
      this.#leaving = false; // moved within the document: the same view goes on
      return;
    }
    this.#attached = true;
    document.addEventListener('visibilitychange', this.#onVisibility);
    window.addEventListener('pageshow', this.#onWake);
    window.addEventListener('focus', this.#onWake);
    this.#resizeObserver.observe(this);
    if (this.#card) {
      try {
        this.#start(this.#card, this.#resume);
      } catch (error) {
        this.#fail(error);
      }
    }
  }

  disconnectedCallback() {
    // A move (removal and insertion with no await between) reconnects before this microtask runs.
    this.#leaving = true;
    queueMicrotask(() => {
      if (!this.#leaving) return;
      this.#leaving = false;
      this.#detach();
    });
  }

  /** moveBefore() keeps the element connected: nothing to stop or start. */
  connectedMoveCallback() {}

  attributeChangedCallback(name) {
    if (name !== 'funding') {
      this.#applyTexts();
      return;
    }
    if (!this.#view) return;
    try {
      const index = this.#fundingIndex(this.#card);
      if (index !== this.#view.fundingIndex) this.#guarded(() => this.#view.setFunding(index));
    } catch (error) {
      this.#fail(error);
    }
  }

  #detach() {
    this.#attached = false;
    document.removeEventListener('visibilitychange', this.#onVisibility);
    window.removeEventListener('pageshow', this.#onWake);
    window.removeEventListener('focus', this.#onWake);
    this.#resizeObserver.disconnect();
    this.#lastSize = '';
    this.#forgetView();
  }

  /** Destroys the view (remembering where it was) and stops every timer. */
  #forgetView() {
    this.#stopCountdown();
    clearTimeout(this.#revealTimer);
    this.#revealTimer = 0;
    if (this.#view) {
      this.#resume = { step: this.#view.step, counter: this.#view.counter };
      if (this.#card) this.#card.clockOffsetMs = this.#view.clockOffsetMs;
      // destroy(), not free(): free() from inside a `rotate` listener would
      // meet the view still borrowed by the call that fired it.
      this.#view.destroy();
      this.#view = null;
    }
    this.#parts.card.classList.remove('shown');
    this.#parts.digits.textContent = '';
  }

  /** The `funding` attribute, else the card's own index, else 0. */
  #fundingIndex(card) {
    return fundingAttribute(this.getAttribute('funding')) ?? card?.fundingIndex ?? 0;
  }

  /**
   * Makes a view for `card` and draws it, then lets the old view go. With
   * `resume` (the element attached again) and still in that step, it goes
   * on from the code shown then, not from one already used. Throws what
   * PaymentCode.fromLink throws, leaving the old view as it was.
   */
  #start(card, resume) {
    const { barcode, qr, card: area } = this.#parts;
    let view = null;
    const options = {
      barcode,
      qr,
      funding: this.#fundingIndex(card),
      swipeArea: area,
      onRotate: ({ reason }) => {
        if (view !== null && view === this.#view) this.#rotated(reason);
      },
    };
    if (Number.isFinite(card.clockOffsetMs)) options.clockOffsetMs = card.clockOffsetMs;
    view = PaymentCode.fromLink(card.link, options);
    if (resume && view.step === resume.step) {
      while (view.counter < resume.counter) view.refresh();
    }
    this.#forgetView();
    card.clockOffsetMs = view.clockOffsetMs;
    this.#card = card;
    this.#resume = null;
    this.#view = view;
    area.classList.add('shown');
    this.#rotated('show');
  }

  #rotated(reason) {
    this.#showDigits();
    this.#shownSeconds = null;
    this.#updateCountdown();
    if (reason !== 'show' && reason !== 'funding') this.#announce();
    this.dispatchEvent(new CustomEvent('rotate', { bubbles: true, detail: { masked: this.#view.maskedDigits, reason } }));
  }

  #fail(error) {
    this.dispatchEvent(new PaycodeErrorEvent(error));
  }

  /** Runs a view call; its failure becomes an `error` event. */
  #guarded(call) {
    try {
      call();
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  #showDigits() {
    const revealed = this.#revealTimer !== 0;
    this.#parts.digits.textContent = revealed ? this.#view.digits : this.#view.maskedDigits;
    this.#parts.digits.setAttribute('aria-pressed', String(revealed));
  }

  #toggleReveal() {
    if (!this.#view) return;
    clearTimeout(this.#revealTimer);
    if (this.#revealTimer) {
      this.#revealTimer = 0;
    } else {
      this.#revealTimer = setTimeout(() => {
        this.#revealTimer = 0;
        if (this.#view) this.#showDigits();
      }, REVEAL_MS);
    }
    this.#showDigits();
  }

  #announce() {
    // The same text set again is not read again by some screen readers: clear, then set.
    const { announce } = this.#parts;
    announce.textContent = '';
    requestAnimationFrame(() => {
      announce.textContent = this.#text('announce-label');
    });
  }

  /** Shows the seconds left and sleeps until they change; nothing runs while the page is hidden. */
  #updateCountdown() {
    this.#stopCountdown();
    if (!this.#view || document.visibilityState === 'hidden') return;
    const ms = this.#view.msUntilRotate;
    if (ms <= 0) {
      // The view's own timer is late (a throttled tab): catch up now.
      if (this.#guarded(() => this.#view.tick()) && this.#view.msUntilRotate > 0) return; // #rotated updated it
      this.#countdownTimer = setTimeout(() => this.#updateCountdown(), 250);
      return;
    }
    const seconds = Math.ceil(ms / 1000);
    if (seconds !== this.#shownSeconds) {
      this.#shownSeconds = seconds;
      this.#parts.left.textContent = this.#text('countdown-label').replace('{s}', String(seconds));
      this.#parts.fill.style.transform = `scaleX(${Math.min(1, (seconds - 1) / (this.#periodMs / 1000))})`;
    }
    this.#countdownTimer = setTimeout(() => this.#updateCountdown(), ms - (seconds - 1) * 1000 + 5);
  }

  #stopCountdown() {
    clearTimeout(this.#countdownTimer);
    this.#countdownTimer = 0;
  }

  /** Back from a hidden tab, a bfcache restore or a blur: the code may be stale. */
  #catchUp() {
    if (!this.#view) return;
    if (this.#guarded(() => this.#view.tick())) this.#updateCountdown();
  }

  #resized(entries) {
    const box = entries[entries.length - 1].contentRect;
    const size = `${box.width}x${box.height}`;
    if (size === this.#lastSize) return;
    this.#lastSize = size;
    if (this.#view) this.#guarded(() => this.#view.redraw());
  }

  #text(name) {
    return this.getAttribute(name) ?? TEXTS[name];
  }

  #applyTexts() {
    const { card, barcode, qr, revealHint, refresh } = this.#parts;
    card.setAttribute('aria-label', this.#text('label'));
    barcode.setAttribute('aria-label', this.#text('barcode-label'));
    qr.setAttribute('aria-label', this.#text('qr-label'));
    revealHint.textContent = this.#text('reveal-label');
    refresh.textContent = this.#text('refresh-label');
    if (this.#view) {
      this.#shownSeconds = null;
      this.#updateCountdown();
    }
  }
}

if (!customElements.get('paycode-view')) customElements.define('paycode-view', PaycodeViewElement);

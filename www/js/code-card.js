// The code card on screen: the wasm view (it draws, rotates and handles the
// swipe) plus what the page adds around it: masked digits with a 5 s reveal,
// the countdown, the swipe animation, and the polite "new code" announcement.

import { t } from './i18n.js';
import { onTap } from './tap.js';

const REVEAL_MS = 5000;
const COUNTDOWN_MS = 250;

const $ = (id) => document.getElementById(id);

/** The highest swipe counter within a time step (docs/FORMAT.md §2). */
const MAX_COUNTER = 15;

/**
 * Create the view for `link` on the page's canvases. Throws what
 * PaymentCode.fromLink throws (an Error with .kind); nothing on screen changes then.
 * `resume` ({step, counter} of the card's last code on screen): within that
 * step the view goes on from that code (another card was shown meanwhile,
 * the page was reloaded), as `<paycode-view>` does when attached again,
 * instead of going back to an earlier code that the issuer would refuse.
 */
export function createCodeCard(wasm, link, { fundingIndex, clockOffsetMs, periodMs, resume, onRotate, onError }) {
  const cardEl = $('card');
  const digitsEl = $('digits');
  const countdownEl = $('countdown');
  const meterEl = $('meter-fill');
  const announceEl = $('announce');

  let view = null;
  let revealTimer = 0;
  let shownSeconds = null;

  function showDigits() {
    if (!view) return;
    const revealed = revealTimer !== 0;
    digitsEl.textContent = revealed ? view.digits : view.maskedDigits;
    digitsEl.setAttribute('aria-pressed', String(revealed));
  }

  function announce() {
    // Re-setting the same text is not re-announced by some readers: clear, then set.
    announceEl.textContent = '';
    requestAnimationFrame(() => {
      announceEl.textContent = t('announceNew');
    });
  }

  // Web Animations, not a CSS class: no forced layout on the swipe's path, and quick swipes restart cleanly.
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
  function animate() {
    const frames = reducedMotion.matches
      ? [{ opacity: 0.6 }, { opacity: 1 }]
      : [{ transform: 'translateX(18px)', opacity: 0.55 }, { transform: 'none', opacity: 1 }];
    cardEl.animate(frames, { duration: reducedMotion.matches ? 160 : 220, easing: 'ease-out' });
  }

  let resuming = false;
  function rotated({ masked, reason }) {
    if (resuming) return;
    showDigits();
    updateCountdown();
    if (reason === 'swipe') animate();
    if (reason !== 'funding') announce();
    onRotate(masked);
  }

  /** Run a view call; its failures (an Error with .kind) go to the page, never uncaught. */
  function guarded(call) {
    try {
      call();
      return true;
    } catch (error) {
      onError(typeof error?.kind === 'string' ? error.kind : 'unknown');
      return false;
    }
  }

  function updateCountdown() {
    if (!view) return;
    const ms = view.msUntilRotate;
    if (ms <= 0) {
      guarded(() => view.tick()); // the view's own timer was late (throttled): catch up now
      return;
    }
    const seconds = Math.ceil(ms / 1000);
    if (seconds !== shownSeconds) {
      shownSeconds = seconds;
      countdownEl.textContent = t('countdown', seconds);
    }
    meterEl.style.transform = `scaleX(${Math.min(1, ms / periodMs)})`;
  }

  function catchUp() {
    // Background tabs throttle timers: the code on screen may be stale by now.
    if (view) guarded(() => view.tick());
    updateCountdown();
  }

  function onVisibility() {
    if (document.visibilityState === 'visible') catchUp();
  }

  function toggleReveal() {
    if (revealTimer) {
      clearTimeout(revealTimer);
      revealTimer = 0;
    } else {
      revealTimer = setTimeout(() => {
        revealTimer = 0;
        showDigits();
      }, REVEAL_MS);
    }
    showDigits();
  }

  const options = {
    barcode: $('barcode'),
    qr: $('qr'),
    funding: fundingIndex,
    swipeArea: cardEl,
    onRotate: rotated,
  };
  if (Number.isFinite(clockOffsetMs)) options.clockOffsetMs = clockOffsetMs;
  view = wasm.PaymentCode.fromLink(link, options);
  if (resume && view.step === resume.step) {
    const target = Math.min(resume.counter, MAX_COUNTER);
    resuming = true;
    try {
      while (view.counter < target) view.refresh();
    } catch {
      // cannot happen below MAX_COUNTER; the code reached stays
    } finally {
      resuming = false;
    }
  }

  const stopRevealTaps = onTap(digitsEl, toggleReveal);
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('pageshow', catchUp);
  window.addEventListener('focus', catchUp);
  const onFullscreen = () => view && guarded(() => view.redraw()); // the canvases' CSS size changes
  document.addEventListener('fullscreenchange', onFullscreen);
  const countdownTimer = setInterval(updateCountdown, COUNTDOWN_MS);
  showDigits();
  updateCountdown();

  return {
    /** The card channel's key bytes (wasm derives them; the card key stays there): import, then wipe. */
    channelKey() {
      return view.channelKey();
    },
    get fundingIndex() {
      return view.fundingIndex;
    },
    get clockOffsetMs() {
      return view.clockOffsetMs;
    },
    /** The code on screen's time step and swipe counter (for `resume`). */
    get position() {
      return { step: view.step, counter: view.counter };
    },
    /** The current code's digits, for the barcode full screen. */
    get digits() {
      return view?.digits ?? '';
    },
    refresh() {
      return guarded(() => view.refresh());
    },
    setFunding(index) {
      return guarded(() => view.setFunding(index));
    },
    /** Draw everything again (after another card's view let go of the same canvases). */
    render() {
      guarded(() => view.redraw());
      showDigits();
      shownSeconds = null;
      updateCountdown();
    },
    destroy() {
      clearInterval(countdownTimer);
      clearTimeout(revealTimer);
      revealTimer = 0;
      stopRevealTaps();
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('pageshow', catchUp);
      window.removeEventListener('focus', catchUp);
      document.removeEventListener('fullscreenchange', onFullscreen);
      view.destroy();
      view = null;
    },
  };
}

// The barcode full screen, as a cashier expects it from WeChat and Alipay:
// a tap on the card's barcode shows it landscape, on white, as large as fits,
// with the digits under it; another tap, Back or Escape returns.
//
// The card's own canvas moves into the dialog and is drawn again there (the
// view draws on that canvas only, so the code stays one and the same). The
// page asks for full screen and a landscape lock (phones grant both after a
// tap); where the screen stays portrait, the dialog's frame is laid out
// landscape and turned a quarter onto it. The draw measures the canvas's
// on-screen box, which a turn would swap, so every draw here happens with
// the turn off and the turn goes back on before the frame is painted.

import { onTap } from './tap.js';

/**
 * Wire the full-screen barcode. `redraw()` draws the current code again for
 * the canvases' present boxes; `digits()` is the current code's digits.
 * Returns {close(), codeChanged()}: close it (before the card goes), and tell
 * it that a new code is on screen.
 */
export function installFullBarcode({ openButton, canvas, dialog, frame, slot, digitsEl, redraw, digits }) {
  let open = false;
  let historyEntry = false; // our history entry is the current one
  let backsPending = 0; // popstates still to come from our own history.back()
  let ownFullscreen = false; // the page went full screen for the dialog
  let locked = false;
  let layoutFrame = 0;

  function showDigits() {
    digitsEl.textContent = open ? digits() : '';
  }

  /** Size the frame for the screen, draw the code for it, then turn it if the screen is portrait. */
  function layout() {
    layoutFrame = 0;
    if (!open) return;
    const portrait = dialog.clientHeight > dialog.clientWidth;
    frame.classList.remove('turned');
    frame.classList.toggle('landscape', portrait);
    redraw();
    frame.classList.toggle('turned', portrait);
  }

  // Resize and fullscreenchange listeners (the view's own among them) may
  // redraw with the turn on; an animation frame comes after all of them and
  // before the paint.
  function scheduleLayout() {
    if (open && !layoutFrame) layoutFrame = requestAnimationFrame(layout);
  }

  async function goFullscreen() {
    const root = document.documentElement;
    try {
      if (!document.fullscreenElement && document.fullscreenEnabled && root.requestFullscreen) {
        await root.requestFullscreen({ navigationUI: 'hide' });
        ownFullscreen = true;
      }
    } catch {
      // Refused: the dialog covers the page all the same.
    }
    if (!open) {
      leaveFullscreen();
      return;
    }
    try {
      if (screen.orientation?.lock) {
        await screen.orientation.lock('landscape');
        locked = true;
      }
    } catch {
      // No lock here (desktops, iOS, no full screen): the frame turns instead.
    }
    if (!open) leaveFullscreen();
  }

  function leaveFullscreen() {
    if (locked) {
      locked = false;
      try {
        screen.orientation.unlock();
      } catch {
        // Nothing was locked after all.
      }
    }
    if (ownFullscreen) {
      ownFullscreen = false;
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    }
  }

  function onFullscreenChange() {
    // Left full screen by the system (Back or Escape there): the dialog goes with it.
    if (ownFullscreen && !document.fullscreenElement) {
      ownFullscreen = false;
      close();
      return;
    }
    scheduleLayout();
  }

  function show() {
    if (open) return;
    open = true;
    slot.append(canvas);
    showDigits();
    dialog.showModal();
    history.pushState({ paycodeFullBarcode: true }, '');
    historyEntry = true;
    window.addEventListener('resize', scheduleLayout);
    document.addEventListener('fullscreenchange', onFullscreenChange);
    screen.orientation?.addEventListener?.('change', scheduleLayout);
    layout();
    goFullscreen();
  }

  function teardown() {
    open = false;
    cancelAnimationFrame(layoutFrame);
    layoutFrame = 0;
    window.removeEventListener('resize', scheduleLayout);
    document.removeEventListener('fullscreenchange', onFullscreenChange);
    screen.orientation?.removeEventListener?.('change', scheduleLayout);
    leaveFullscreen();
    frame.classList.remove('landscape', 'turned');
    dialog.close();
    openButton.append(canvas);
    showDigits(); // the digits leave the page with the dialog
    redraw();
  }

  function close() {
    if (!open) return;
    teardown();
    if (historyEntry) {
      historyEntry = false;
      backsPending += 1;
      history.back();
    }
  }

  onTap(openButton, show);
  dialog.addEventListener('click', () => close());
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault(); // closed here, with its history entry
    close();
  });
  // Closed by the browser without a cancel first (Chrome does that to a
  // dialog asked to close again and again without a tap in between).
  dialog.addEventListener('close', () => close());
  window.addEventListener('popstate', () => {
    if (backsPending > 0) {
      backsPending -= 1;
      return;
    }
    if (open) {
      historyEntry = false;
      teardown();
    }
  });

  return {
    close,
    codeChanged: showDigits,
  };
}

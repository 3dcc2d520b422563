// Helping the cashier's scanner: keep the screen on while a code is shown,
// full screen on request, and ask the host app (when embedded) for full
// brightness, since a page cannot set screen brightness itself.

let wakeLock = null;
let wanted = false;
let brightnessSent = null;

async function acquireWakeLock() {
  if (!wanted || wakeLock || document.visibilityState !== 'visible' || !navigator.wakeLock) return;
  try {
    wakeLock = await navigator.wakeLock.request('screen');
    // The system drops the lock when the page is hidden; forget it then so we re-acquire.
    wakeLock.addEventListener('release', () => {
      wakeLock = null;
    });
  } catch {
    wakeLock = null; // Denied (battery saver, no user gesture yet): the code still works.
  }
}

function releaseWakeLock() {
  const lock = wakeLock;
  wakeLock = null;
  lock?.release().catch(() => {});
}

/**
 * Start the aids. `emit` sends bridge events; returns {codeShown(bool)} for the
 * page to say whether a code is on screen.
 */
export function installScanAids({ emit, embedded, fullscreenButton, fullscreenTarget, labels }) {
  function brightness(level) {
    if (!embedded || brightnessSent === level) return;
    brightnessSent = level;
    emit({ type: 'brightness', level });
  }

  function update() {
    const showing = wanted && document.visibilityState === 'visible';
    if (showing) acquireWakeLock();
    else releaseWakeLock();
    brightness(showing ? 'max' : 'restore');
  }

  document.addEventListener('visibilitychange', update);
  window.addEventListener('pageshow', update);
  // A click is a user activation: a lock refused earlier (no gesture yet) may be granted now.
  document.addEventListener('pointerup', () => acquireWakeLock());

  const canFullscreen = Boolean(document.fullscreenEnabled && fullscreenTarget.requestFullscreen);
  fullscreenButton.hidden = !canFullscreen;
  function syncFullscreenButton() {
    const on = document.fullscreenElement === fullscreenTarget;
    const label = on ? labels.exit() : labels.enter();
    // Unchanged text is left alone: rewriting it would relayout the page before the first code.
    if (fullscreenButton.textContent !== label) fullscreenButton.textContent = label;
    if (fullscreenButton.getAttribute('aria-pressed') !== String(on)) fullscreenButton.setAttribute('aria-pressed', String(on));
  }
  fullscreenButton.addEventListener('click', async () => {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await fullscreenTarget.requestFullscreen({ navigationUI: 'hide' });
    } catch {
      // Refused by the browser or host: nothing to undo.
    }
  });
  document.addEventListener('fullscreenchange', syncFullscreenButton);

  return {
    codeShown(on) {
      wanted = on;
      update();
    },
    relabel: syncFullscreenButton,
  };
}

// A tap on a control inside the code card. The card captures the pointer
// for its swipe, so the browser delivers a mouse click that began on the
// control to the card; a touch tap or a key press reaches the control. Both
// count as a tap on it; a drag across it (a swipe for a new code) does not.

const SLOP_PX = 10;

function moved(start, event) {
  return Math.hypot(event.clientX - start.x, event.clientY - start.y) > SLOP_PX;
}

function inside(element, event) {
  const r = element.getBoundingClientRect();
  return event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
}

/** Call `handler` on every tap on `element`; returns the function that stops listening. */
export function onTap(element, handler) {
  let press = null; // where the pointer went down on the element
  const down = (event) => {
    press = { x: event.clientX, y: event.clientY };
  };
  // In the capture phase: before any handler along the way can move the
  // element or what was clicked (the full-screen barcode does both).
  const click = (event) => {
    const started = press;
    press = null;
    const tapped = element.contains(event.target)
      ? event.detail === 0 || !started || !moved(started, event) // a key, or a tap
      : Boolean(started) && event.target.contains(element) && !moved(started, event) && inside(element, event);
    if (tapped) handler(event);
  };
  element.addEventListener('pointerdown', down);
  document.addEventListener('click', click, true);
  return () => {
    element.removeEventListener('pointerdown', down);
    document.removeEventListener('click', click, true);
  };
}

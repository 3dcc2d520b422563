// The wallet as a component of a host app: `window.PayCodeWallet` for hosts
// that run script in the page, a postMessage bridge for iframe hosts, and the
// React Native / WKWebView message channels for native shells.
// Events carry no secret and no full code: only masked digits, a brightness
// wish and error kinds. See docs/EMBEDDING.md.

const EVENTS = ['rotated', 'brightness', 'error', 'provisioned', 'removed', 'selected', 'cards'];

const embeddedInFrame = window.parent !== window;

/** Origin of the page that frames us, when the browser tells (Chromium/Safari, else the referrer). */
function parentOrigin() {
  if (!embeddedInFrame) return null;
  const ancestors = window.location.ancestorOrigins;
  if (ancestors?.length) return ancestors[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
}

const hostOrigin = parentOrigin();

function nativeChannels() {
  const channels = [];
  if (window.ReactNativeWebView?.postMessage) {
    channels.push((event) => window.ReactNativeWebView.postMessage(JSON.stringify(event)));
  }
  const webkitHandler = window.webkit?.messageHandlers?.paycode;
  if (webkitHandler?.postMessage) channels.push((event) => webkitHandler.postMessage(event));
  return channels;
}

/** True when a host app (frame parent or native shell) may act on our events. */
export function isEmbedded() {
  return embeddedInFrame || nativeChannels().length > 0;
}

/**
 * Install the API and the bridge. `actions` = {provision(link) → Promise,
 * setFunding(i), refresh(), cards() → [summary], select(id) → Promise,
 * remove(id) → Promise}; returns emit(event) for the page to send events.
 */
export function installBridge(actions) {
  const listeners = new Map(EVENTS.map((name) => [name, new Set()]));

  function emit(event) {
    for (const fn of listeners.get(event.type) ?? []) {
      try {
        fn(event);
      } catch {
        // A host's listener must not break the wallet.
      }
    }
    if (embeddedInFrame) {
      // Events hold no secret; still, address them to the framing origin when known.
      window.parent.postMessage(event, hostOrigin ?? '*');
    }
    for (const send of nativeChannels()) {
      try {
        send(event);
      } catch {
        // A broken native channel must not break the wallet.
      }
    }
  }

  const api = Object.freeze({
    provision: (link) => actions.provision(String(link)),
    setFunding: (index) => actions.setFunding(Number(index)),
    refresh: () => actions.refresh(),
    cards: () => actions.cards(),
    select: (id) => actions.select(String(id)),
    remove: (id) => actions.remove(String(id)),
    on(type, fn) {
      const set = listeners.get(type);
      if (!set || typeof fn !== 'function') throw new TypeError(`Unknown event "${type}" or listener not a function`);
      set.add(fn);
      return () => set.delete(fn);
    },
  });
  Object.defineProperty(window, 'PayCodeWallet', { value: api, enumerable: true });

  function onMessage(event) {
    // Only the framing page (or a native shell injecting into this window) may drive the wallet.
    const fromParent = embeddedInFrame && event.source === window.parent &&
      (hostOrigin === null || event.origin === hostOrigin);
    const fromNative = !embeddedInFrame && (event.source === null || event.source === window) && nativeChannels().length > 0;
    if (!fromParent && !fromNative) return;
    let data = event.data;
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        return;
      }
    }
    if (!data || typeof data !== 'object') return;
    switch (data.type) {
      case 'provision':
        if (typeof data.link === 'string') actions.provision(data.link).catch(() => {}); // failures are emitted as 'error'
        break;
      case 'setFunding':
        if (Number.isInteger(data.index)) actions.setFunding(data.index);
        break;
      case 'refresh':
        actions.refresh();
        break;
      case 'select':
        if (typeof data.id === 'string') actions.select(data.id).catch(() => {});
        break;
      case 'remove':
        if (typeof data.id === 'string') actions.remove(data.id).catch(() => {});
        break;
      case 'listCards':
        // A message has no answer: the list comes back as an event.
        emit({ type: 'cards', cards: actions.cards() });
        break;
      default:
        break;
    }
  }
  window.addEventListener('message', onMessage);
  // React Native's WebView on Android delivers host messages on document, not window.
  document.addEventListener('message', onMessage);

  return emit;
}

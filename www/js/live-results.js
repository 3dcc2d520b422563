// Live results on the phone: while the page is visible, a signed stream of
// the card's results (GET v1/wallet/events, Server-Sent Events read through
// fetch, since EventSource cannot send the Authorization header).
//
// The stream is only about knowing: the codes never depend on it. When it
// is down the page says results cannot be confirmed now; when it is back,
// history is read again, so nothing missed meanwhile stays unseen.

import { signedFetch } from './card-channel.js';

const RETRY_MS = 3000;
/** How often, and by how much, the device clock is checked for a jump. */
const CLOCK_CHECK_MS = 2000;
const CLOCK_JUMP_MS = 1500;
/** Longer than the issuer's 15 s keep-alive: a stream this quiet is dead. */
const SILENCE_MS = 40_000;

/** Splits SSE text into {event, data} blocks; returns what is left over. */
function parseBlocks(buffer, onBlock) {
  let end;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) onBlock(event, data.join('\n'));
  }
  return buffer;
}

/**
 * `onResult(row)`: a result of the card (history row + kind). `onOnline(up)`:
 * whether results can be confirmed right now (null: no issuer to ask).
 * `onBack()`: the stream is (re)established: read history for anything
 * missed. `onClock(offsetMs)`: the issuer's clock minus the device's,
 * corrected by half the round trip.
 */
export function createLiveResults({ onResult, onOnline, onBack, onClock }) {
  let channel = null;
  let generation = 0;
  let abort = null;
  let retry = null;

  function stop() {
    abort?.abort();
    abort = null;
    clearTimeout(retry);
    retry = null;
  }

  async function connect(asked) {
    const controller = new AbortController();
    abort = controller;
    let silence = null;
    const quiet = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), SILENCE_MS);
    };
    let final = false;
    try {
      const sent = performance.now();
      const response = await signedFetch(channel, 'v1/wallet/events', {
        headers: { Accept: 'text/event-stream' },
        signal: controller.signal,
      });
      const type = response.headers.get('content-type') || '';
      if (!response.ok || !type.startsWith('text/event-stream')) {
        // No issuer here for this card (a static host, another bank): stop asking.
        final = [401, 404, 405].includes(response.status) || (response.ok && !type.includes('json'));
        throw new Error(`events: ${response.status}`);
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      quiet();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || asked !== generation) break;
        quiet();
        buffer = parseBlocks(buffer + decoder.decode(value, { stream: true }), (event, data) => {
          let body;
          try {
            body = JSON.parse(data);
          } catch {
            return;
          }
          if (event === 'hello') {
            const now = performance.now();
            if (Number.isFinite(body.time_ms)) onClock(body.time_ms + (now - sent) / 2 - (Date.now()));
            onOnline(true);
            onBack();
          } else if (event === 'result') {
            onResult(body);
          } else if (event === 'gap') {
            onBack();
          }
        });
      }
    } catch {
      // Offline, refused, or aborted: handled below.
    } finally {
      clearTimeout(silence);
      if (abort === controller) abort = null;
    }
    if (asked !== generation) return;
    if (final) {
      onOnline(null);
      return;
    }
    onOnline(false);
    if (visible()) retry = setTimeout(() => start(asked), RETRY_MS);
  }

  const visible = () => document.visibilityState === 'visible';

  function start(asked) {
    if (asked !== generation || !channel || !visible() || abort) return; // abort: one stream is open
    connect(asked);
  }

  // The device clock jumped (set by hand, or by the network): the stream's
  // next hello measures the issuer's clock again. Date.now() moves with the
  // device clock, performance.now() does not.
  let drift = Date.now() - performance.now();
  setInterval(() => {
    const now = Date.now() - performance.now();
    if (Math.abs(now - drift) < CLOCK_JUMP_MS) return;
    drift = now;
    if (!channel || !visible()) return;
    generation += 1;
    stop();
    start(generation);
  }, CLOCK_CHECK_MS);

  document.addEventListener('visibilitychange', () => {
    if (visible()) {
      start(generation);
    } else {
      // Hidden: no stream. Results seen on return come from history.
      generation += 1;
      stop();
    }
  });
  window.addEventListener('online', () => start(generation));

  return {
    /** Listen for `next` (a channel from openChannel) or stop (null). */
    show(next) {
      generation += 1;
      stop();
      channel = next;
      if (channel) start(generation);
      else onOnline(null);
    },
  };
}

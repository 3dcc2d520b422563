// The payer's order of the card's funding sources (docs/FORMAT.md §11):
// when the source a code names cannot pay and the card allows it, the
// issuer tries the others in this order. The order lives at the issuer
// (GET / PUT v1/wallet/funding-order, signed on the card channel), so the
// list shows the issuer's answer, never a guess: after a move it is drawn
// again from what the issuer stored. Where no issuer answers for the card
// (a static host, offline) the section stays hidden.
//
// Each source has "Move up" and "Move down" buttons named after it; focus
// stays on the moved source, and a polite status says the new order.

import { t } from './i18n.js';
import { signedFetch } from './card-channel.js';

const ROUTE = 'v1/wallet/funding-order';
const TIMEOUT_MS = 8000;

/** `{order, fallThrough}` from an answer, or null when it is not one for `count` sources. */
function orderOf(body, count) {
  const order = body?.order;
  if (!Array.isArray(order) || order.length !== count) return null;
  const seen = new Set(order);
  if (seen.size !== count || !order.every((i) => Number.isInteger(i) && i >= 0 && i < count)) return null;
  return { order, fallThrough: body.fall_through === true };
}

async function ask(channel, init) {
  const response = await signedFetch(channel, ROUTE, { signal: AbortSignal.timeout(TIMEOUT_MS), ...init });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: handled as a failure below
  }
  return { ok: response.ok, status: response.status, body };
}

/**
 * Wire the section. `show(channel, sources)` reads the order of the card on
 * `channel` (sources: parseLink's funding list) or hides it (null);
 * `render()` draws it again in the current language. `sourceText(source)`
 * names a source as the funding picker does.
 */
export function createFundingOrder({ section, list, hint, status, sourceText }) {
  let channel = null;
  let sources = [];
  let state = null; // {order, fallThrough} as the issuer last answered
  let generation = 0; // bumped on each card change: late answers for an old card are dropped
  let busy = false;
  let message = null; // {key, args} in the status line

  const nameOf = (index) => sourceText(sources.find((s) => s.index === index) ?? { label: String(index) });

  function render(focus) {
    section.hidden = !channel || !state || sources.length < 2;
    if (section.hidden) return;
    hint.textContent = t(state.fallThrough ? 'fundingOrderHint' : 'fundingOrderOff');
    const items = state.order.map((index, at) => {
      const item = document.createElement('li');
      item.className = 'funding-order-item';
      item.dataset.index = String(index);
      // The list itself tells screen readers the position; the number is for the eye.
      const position = document.createElement('span');
      position.className = 'funding-order-pos';
      position.setAttribute('aria-hidden', 'true');
      position.textContent = `${at + 1}.`;
      item.append(position);
      const name = document.createElement('span');
      name.className = 'funding-order-name';
      name.textContent = nameOf(index);
      item.append(name);
      for (const [direction, key, edge] of [[-1, 'fundingOrderUp', 0], [1, 'fundingOrderDown', state.order.length - 1]]) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'quiet funding-order-move';
        button.dataset.move = String(direction);
        button.textContent = direction < 0 ? '↑' : '↓';
        button.setAttribute('aria-label', t(key, nameOf(index)));
        button.title = t(key, nameOf(index));
        // At the edge the button is inert but stays in place (and focusable), so focus never falls off the list.
        button.setAttribute('aria-disabled', String(at === edge || busy));
        button.addEventListener('click', () => move(index, direction));
        item.append(button);
      }
      return item;
    });
    list.replaceChildren(...items);
    status.textContent = message ? t(message.key, ...(message.args ?? [])) : '';
    if (focus) {
      const item = list.querySelector(`[data-index="${focus.index}"]`);
      const buttons = item ? [...item.querySelectorAll('button')] : [];
      const wanted = buttons.find((b) => b.dataset.move === String(focus.direction) && b.getAttribute('aria-disabled') !== 'true');
      (wanted ?? buttons.find((b) => b.getAttribute('aria-disabled') !== 'true') ?? buttons[0])?.focus();
    }
  }

  async function load() {
    const asked = generation;
    try {
      const answer = await ask(channel, { method: 'GET' });
      if (asked !== generation) return;
      state = answer.ok ? orderOf(answer.body, sources.length) : null;
    } catch {
      if (asked !== generation) return;
      state = null; // offline: nothing to show that the issuer confirmed
    }
    render();
  }

  async function move(index, direction) {
    if (!channel || !state || busy) return;
    const at = state.order.indexOf(index);
    const to = at + direction;
    if (at < 0 || to < 0 || to >= state.order.length) return;
    const wanted = [...state.order];
    [wanted[at], wanted[to]] = [wanted[to], wanted[at]];
    const asked = generation;
    busy = true;
    render({ index, direction });
    let answer = null;
    try {
      answer = await ask(channel, { method: 'PUT', json: { order: wanted } });
    } catch {
      // offline: said below
    }
    if (asked !== generation) return;
    busy = false;
    const stored = answer?.ok ? orderOf(answer.body, sources.length) : null;
    if (stored) {
      state = stored;
      message = { key: 'fundingOrderSaved', args: [stored.order.map((i, n) => `${n + 1}. ${nameOf(i)}`).join(', ')] };
    } else {
      message = { key: 'fundingOrderFailed' };
    }
    render({ index, direction });
  }

  return {
    show(next, nextSources) {
      generation += 1;
      channel = next;
      sources = Array.isArray(nextSources) ? nextSources : [];
      state = null;
      busy = false;
      message = null;
      render();
      if (channel && sources.length >= 2) return load();
      return Promise.resolve();
    },
    render: () => render(),
    /** The order as the issuer last answered (for hosts and tests), or null. */
    get order() {
      return state ? [...state.order] : null;
    },
  };
}

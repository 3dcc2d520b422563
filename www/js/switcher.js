// The card switcher: a bar at the bottom of the screen, where the thumb
// reaches, with one button per card (the issuer and the funding source it
// pays from). The shown card's button is marked aria-current; the arrow
// keys move between the buttons, Enter or Space shows that card. Hidden
// while the wallet holds fewer than two cards.

/**
 * `nav` (the bar), `list` (its <ul>), `onSelect(id)` when the payer picks
 * a card. `render(cards)` draws the summaries ({id, issuer, fundingText,
 * selected}) in their order.
 */
export function createSwitcher({ nav, list, onSelect }) {
  list.addEventListener('click', (event) => {
    const button = event.target.closest?.('button[data-card-id]');
    if (button) onSelect(button.dataset.cardId);
  });
  list.addEventListener('keydown', (event) => {
    const buttons = [...list.querySelectorAll('button[data-card-id]')];
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    let to = null;
    if (step) to = (at + step + buttons.length) % buttons.length;
    else if (event.key === 'Home') to = 0;
    else if (event.key === 'End') to = buttons.length - 1;
    if (to === null) return;
    event.preventDefault();
    buttons[to].focus();
  });

  function button(summary) {
    const item = document.createElement('li');
    const choose = document.createElement('button');
    choose.type = 'button';
    choose.className = 'switch-card';
    choose.dataset.cardId = summary.id;
    if (summary.selected) choose.setAttribute('aria-current', 'true');
    const issuer = document.createElement('span');
    issuer.className = 'switch-issuer';
    issuer.textContent = summary.issuer;
    const source = document.createElement('span');
    source.className = 'switch-funding';
    source.textContent = summary.fundingText;
    choose.append(issuer, source);
    item.append(choose);
    return item;
  }

  return {
    render(cards) {
      nav.hidden = cards.length < 2;
      const focused = document.activeElement?.dataset?.cardId;
      list.replaceChildren(...cards.map(button));
      // Redrawn under the payer's finger or keyboard: the focus stays on the same card.
      if (focused) list.querySelector(`button[data-card-id="${CSS.escape(focused)}"]`)?.focus();
    },
  };
}

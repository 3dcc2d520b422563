// The question asked before a link replaces a card already stored (same
// prefix and token): a new key for the same card would otherwise silently
// take the old one's place. Declining, or Escape, keeps the old card.

/**
 * `dialog` holds a `<form method="dialog">` whose buttons have the values
 * "keep" and "replace"; `which` is the element naming the card. Resolves to
 * true when the payer chose to replace.
 */
export function askToReplace({ dialog, which }, text) {
  which.textContent = text;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'replace'), { once: true });
    dialog.showModal();
  });
}

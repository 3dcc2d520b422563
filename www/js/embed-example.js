// The host side of docs/EMBEDDING.md: drive the framed wallet with
// postMessage and listen to its events. A real host would set the screen
// brightness on {type:'brightness'}; this page only shows what it would do.

const frame = document.getElementById('wallet');
const walletOrigin = new URL(frame.src, window.location.href).origin;
const events = document.getElementById('events');

function send(message) {
  frame.contentWindow.postMessage(message, walletOrigin);
}

window.addEventListener('message', (event) => {
  // Only the framed wallet speaks to us.
  if (event.source !== frame.contentWindow || event.origin !== walletOrigin) return;
  const data = event.data;
  if (!data || typeof data.type !== 'string') return;
  if (data.type === 'brightness') {
    document.getElementById('brightness').value = data.level === 'max' ? 'maximum' : 'normal';
  }
  const item = document.createElement('li');
  item.textContent = JSON.stringify(data);
  events.prepend(item);
});

document.getElementById('send-provision').addEventListener('click', () => {
  const link = document.getElementById('link');
  send({ type: 'provision', link: link.value.trim() });
  link.value = ''; // the link holds the card's secret: don't leave it on screen
});
document.getElementById('send-funding').addEventListener('click', () => {
  send({ type: 'setFunding', index: Number(document.getElementById('funding-index').value) });
});
document.getElementById('send-refresh').addEventListener('click', () => send({ type: 'refresh' }));

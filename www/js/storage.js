// The card on this device: IndexedDB, with the link (it holds the card's
// secret) sealed by AES-GCM under a key that JavaScript can use but never
// read (extractable: false). CryptoKey objects are structured-cloneable, so
// the key lives in IndexedDB too. Nothing secret goes to localStorage,
// cookies, the DOM, URLs or the console.

const DB_NAME = 'paycode-wallet';
const STORE = 'kv';
const KEY_ID = 'aes-key';
const CARD_ID = 'card';
// Binds the ciphertext to its purpose: a blob sealed for something else won't open as a card.
const AAD = new TextEncoder().encode('paycode-card-link-v1');

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    dbPromise = request(req).catch((err) => {
      dbPromise = null;
      throw err;
    });
  }
  return dbPromise;
}

async function get(id) {
  const db = await openDb();
  return request(db.transaction(STORE).objectStore(STORE).get(id));
}

async function put(id, value) {
  const db = await openDb();
  const tx = db.transaction(STORE, 'readwrite');
  tx.objectStore(STORE).put(value, id);
  return done(tx);
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

async function sealingKey() {
  const existing = await get(KEY_ID);
  if (existing) return existing;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  await put(KEY_ID, key);
  return key;
}

/** True when this browser can keep the card sealed (WebCrypto needs a secure context). */
export function canSeal() {
  return Boolean(globalThis.crypto?.subtle && globalThis.indexedDB);
}

/**
 * Store a card: the link sealed, the funding choice and clock offset beside
 * it (neither is secret; they change without touching the sealed link). No
 * PIN is ever stored: the payer types it for each payment that needs it.
 */
export async function saveCard({ link, fundingIndex, clockOffsetMs }) {
  const key = await sealingKey();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: AAD },
    key,
    new TextEncoder().encode(link),
  );
  await put(CARD_ID, { version: 1, iv, sealed, fundingIndex, clockOffsetMs });
}

/** Change the non-secret settings of the stored card. */
export async function updateCard(changes) {
  const db = await openDb();
  const tx = db.transaction(STORE, 'readwrite');
  const store = tx.objectStore(STORE);
  const card = await request(store.get(CARD_ID));
  if (card) {
    if (Number.isInteger(changes.fundingIndex)) card.fundingIndex = changes.fundingIndex;
    if (Number.isFinite(changes.clockOffsetMs)) card.clockOffsetMs = changes.clockOffsetMs;
    delete card.demoPin; // the demo PIN an older page kept here
    store.put(card, CARD_ID);
  }
  return done(tx);
}

/**
 * The stored card as {link, fundingIndex, clockOffsetMs}, or null when there is
 * none. Throws when a card is stored but cannot be opened (key gone, data damaged).
 */
export async function loadCard() {
  const db = await openDb();
  const store = db.transaction(STORE).objectStore(STORE);
  // Both reads in one transaction, side by side: the first code waits for them.
  const [card, key] = await Promise.all([request(store.get(CARD_ID)), request(store.get(KEY_ID))]);
  if (!card) return null;
  if (!key) throw new Error('The sealing key is missing.');
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: card.iv, additionalData: AAD }, key, card.sealed);
  return {
    link: new TextDecoder().decode(plain),
    fundingIndex: Number.isInteger(card.fundingIndex) ? card.fundingIndex : 0,
    clockOffsetMs: Number.isFinite(card.clockOffsetMs) ? card.clockOffsetMs : undefined,
  };
}

/** Forget the card and its key (a new card gets a new key). */
export async function removeCard() {
  const db = await openDb();
  const tx = db.transaction(STORE, 'readwrite');
  tx.objectStore(STORE).delete(CARD_ID);
  tx.objectStore(STORE).delete(KEY_ID);
  return done(tx);
}

// The cards on this device: IndexedDB, one record per card, each with its
// link (it holds the card's secret) sealed by AES-GCM under a key that
// JavaScript can use but never read (extractable: false). CryptoKey objects
// are structured-cloneable, so the key lives in IndexedDB too. Nothing
// secret goes to localStorage, cookies, the DOM, URLs or the console.
//
// Layout (version 2):
//   'aes-key'    the sealing key, shared by the cards
//   'cards'      {version: 2, ids: [id…] in the switcher's order, selected: id | null}
//   'card:<id>'  {version: 2, iv, sealed, fundingIndex, clockOffsetMs, resume?}
//                resume: {step, counter} of the card's last code on screen
// Version 1 kept one card under 'card'; it is moved into this layout, under
// a new id, the first time the store is opened.

const DB_NAME = 'paycode-wallet';
const STORE = 'kv';
const KEY_ID = 'aes-key';
const INDEX_ID = 'cards';
const V1_CARD_ID = 'card';
const VERSION = 2;
// Binds the ciphertext to its purpose (and, since version 2, to its card
// id): a blob sealed for something else, or moved under another id, won't open.
const V1_AAD = new TextEncoder().encode('paycode-card-link-v1');
const aadOf = (id) => new TextEncoder().encode(`paycode-card-link-v2:${id}`);
const recordId = (id) => `card:${id}`;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
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

/** The values of `ids`, read side by side in one transaction. */
async function getAll(ids) {
  const db = await openDb();
  const store = db.transaction(STORE).objectStore(STORE);
  return Promise.all(ids.map((id) => request(store.get(id))));
}

/** `change(store)` in one read-write transaction; resolves when it has committed. */
async function write(change) {
  const db = await openDb();
  const tx = db.transaction(STORE, 'readwrite');
  const store = tx.objectStore(STORE);
  const committed = done(tx);
  try {
    await change(store);
  } catch (error) {
    committed.catch(() => {});
    try {
      tx.abort();
    } catch {
      // already finished: nothing to undo
    }
    throw error;
  }
  return committed;
}

async function sealingKey() {
  const [existing] = await getAll([KEY_ID]);
  if (existing) return existing;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  await write((store) => store.put(key, KEY_ID));
  return key;
}

async function seal(key, id, link) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadOf(id) }, key, new TextEncoder().encode(link));
  return { iv, sealed };
}

async function unseal(key, record, aad) {
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv, additionalData: aad }, key, record.sealed);
  return new TextDecoder().decode(plain);
}

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `c_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const isPosition = (p) => Number.isFinite(p?.step) && Number.isInteger(p?.counter);

function settingsOf(record) {
  return {
    fundingIndex: Number.isInteger(record.fundingIndex) ? record.fundingIndex : 0,
    clockOffsetMs: Number.isFinite(record.clockOffsetMs) ? record.clockOffsetMs : undefined,
    resume: isPosition(record.resume) ? { step: record.resume.step, counter: record.resume.counter } : undefined,
  };
}

/** True when this browser can keep the cards sealed (WebCrypto needs a secure context). */
export function canSeal() {
  return Boolean(globalThis.crypto?.subtle && globalThis.indexedDB);
}

/**
 * Version 1's single card, moved into the version 2 layout: opened with the
 * old binding, sealed again under its new id, and the old record deleted in
 * the same transaction that writes the new ones (a crash before it leaves
 * the old record, and the move runs again).
 */
async function migrate(old, key) {
  const link = await unseal(key, old, V1_AAD);
  const id = newId();
  const sealed = await seal(key, id, link);
  await write((store) => {
    store.put({ version: VERSION, ...sealed, ...settingsOf(old) }, recordId(id));
    store.put({ version: VERSION, ids: [id], selected: id }, INDEX_ID);
    store.delete(V1_CARD_ID); // with it any demoPin an old page kept there
  });
  return { version: VERSION, ids: [id], selected: id };
}

/** The index, after moving a version 1 card into it when there is one. */
async function index() {
  const [stored, old, key] = await getAll([INDEX_ID, V1_CARD_ID, KEY_ID]);
  if (stored) return { ids: stored.ids, selected: stored.selected ?? null, key };
  if (old && key) return { ...(await migrate(old, key)), key };
  if (old) throw new Error('The sealing key is missing.');
  return { ids: [], selected: null, key };
}

/**
 * The stored cards: {cards: [{id, link, fundingIndex, clockOffsetMs, resume}] in
 * the switcher's order, selected (an id or null), unreadable (how many
 * records could not be opened: key gone, data damaged)}.
 */
export async function loadCards() {
  const { ids, selected, key } = await index();
  if (ids.length === 0) return { cards: [], selected: null, unreadable: 0 };
  const records = await getAll(ids.map(recordId));
  let unreadable = 0;
  const cards = [];
  await Promise.all(records.map(async (record, i) => {
    try {
      if (!record || !key) throw new Error('missing');
      cards[i] = { id: ids[i], link: await unseal(key, record, aadOf(ids[i])), ...settingsOf(record) };
    } catch {
      unreadable += 1;
    }
  }));
  const readable = cards.filter(Boolean);
  const chosen = readable.some((card) => card.id === selected) ? selected : (readable[0]?.id ?? null);
  return { cards: readable, selected: chosen, unreadable };
}

/**
 * The selected card as {id, link, fundingIndex, clockOffsetMs}, or null when
 * none is stored: what `<paycode-view>`'s show() takes (docs/EMBEDDING.md).
 * Throws when that card cannot be opened.
 */
export async function loadCard() {
  const { cards, selected, unreadable } = await loadCards();
  if (unreadable > 0 && cards.length === 0) throw new Error('The stored card cannot be opened.');
  return cards.find((card) => card.id === selected) ?? null;
}

/**
 * Store a card: the link sealed, its funding choice and clock offset beside
 * it (neither is secret; they change without touching the sealed link). A
 * new card (no `id`) goes last and is selected; resolves to its id. No PIN
 * is ever stored: the payer types it for each payment that needs it.
 */
export async function saveCard({ id: given, link, fundingIndex, clockOffsetMs }) {
  const key = await sealingKey();
  const id = given ?? newId();
  const sealed = await seal(key, id, link);
  await write(async (store) => {
    const current = (await request(store.get(INDEX_ID))) ?? { ids: [] };
    const ids = current.ids.includes(id) ? current.ids : [...current.ids, id];
    store.put({ version: VERSION, ...sealed, fundingIndex, clockOffsetMs }, recordId(id));
    store.put({ version: VERSION, ids, selected: id }, INDEX_ID);
  });
  return id;
}

/** Change the non-secret settings of card `id`. */
export function updateCard(id, changes) {
  return write(async (store) => {
    const card = await request(store.get(recordId(id)));
    if (!card) return;
    if (Number.isInteger(changes.fundingIndex)) card.fundingIndex = changes.fundingIndex;
    if (Number.isFinite(changes.clockOffsetMs)) card.clockOffsetMs = changes.clockOffsetMs;
    if (isPosition(changes.resume)) card.resume = { step: changes.resume.step, counter: changes.resume.counter };
    store.put(card, recordId(id));
  });
}

/** Remember `id` as the card shown when the wallet opens. */
export function selectCard(id) {
  return write(async (store) => {
    const current = await request(store.get(INDEX_ID));
    if (!current?.ids.includes(id)) return;
    store.put({ ...current, selected: id }, INDEX_ID);
  });
}

/**
 * Forget card `id` (by default the selected one); the others stay. Resolves
 * to the id selected now (the next card in the order, else the previous
 * one, else null). With the last card goes the key too (a new card gets a
 * new key).
 */
export async function removeCard(given) {
  let selected = null;
  await write(async (store) => {
    const current = (await request(store.get(INDEX_ID))) ?? { ids: [] };
    const id = given ?? current.selected;
    const at = current.ids.indexOf(id);
    const ids = current.ids.filter((other) => other !== id);
    selected = current.selected !== id && ids.includes(current.selected)
      ? current.selected
      : (ids[Math.min(Math.max(at, 0), ids.length - 1)] ?? null);
    store.delete(recordId(id));
    if (ids.length === 0) {
      store.delete(INDEX_ID);
      store.delete(KEY_ID);
    } else {
      store.put({ version: VERSION, ids, selected }, INDEX_ID);
    }
  });
  return selected;
}

// Looking for a card secret where it must not be: every textual form of the
// secret, and a dump of everything a page keeps in the browser.

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 → bytes (written here, independent of the code under test). */
export function base32Decode(text) {
  const clean = text.replace(/=+$/, '').toUpperCase();
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The secret as base32, hex, base64, base64url and raw bytes (latin1). */
export function secretForms(base32) {
  const bytes = base32Decode(base32);
  const hex = bytes.toString('hex');
  const forms = {
    base32: base32.replace(/=+$/, ''),
    hex,
    base64: bytes.toString('base64').replace(/=+$/, ''),
    base64url: bytes.toString('base64url'),
    latin1: bytes.toString('latin1'),
  };
  return { ...forms, all: Object.values(forms) };
}

/**
 * Everything the wallet's origin keeps, as one string: IndexedDB (every
 * database, store and record; binary as hex), local/session storage,
 * cookies, the DOM (with form values), the URL, history state, cache keys.
 * The cookies come from `context` (Playwright) or else the page's own
 * cookies() (lib/webdriver.mjs pages: the WebDriver cookie list).
 */
export async function dumpBrowserState(page, context = null) {
  const inPage = await page.evaluate(async () => {
    const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
    const latin1 = (buf) => String.fromCharCode(...new Uint8Array(buf));
    // By tag, not instanceof: Firefox runs WebDriver scripts in a realm of
    // their own, where the page's ArrayBuffer and CryptoKey are not instances.
    const tag = (value) => Object.prototype.toString.call(value);
    function plain(value) {
      if (tag(value) === '[object ArrayBuffer]') return { hex: hex(value), latin1: latin1(value) };
      if (ArrayBuffer.isView(value)) {
        const buf = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
        return { hex: hex(buf), latin1: latin1(buf) };
      }
      if (tag(value) === '[object CryptoKey]') {
        return { cryptoKey: { type: value.type, extractable: value.extractable, algorithm: value.algorithm, usages: value.usages } };
      }
      if (Array.isArray(value)) return value.map(plain);
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
      return value;
    }
    const idb = {};
    for (const { name, version } of await indexedDB.databases()) {
      const db = await new Promise((ok, fail) => {
        const req = indexedDB.open(name, version);
        req.onsuccess = () => ok(req.result);
        req.onerror = () => fail(req.error);
      });
      idb[name] = {};
      for (const store of db.objectStoreNames) {
        const tx = db.transaction(store);
        const records = [];
        await new Promise((ok) => {
          tx.objectStore(store).openCursor().onsuccess = (e) => {
            const cursor = e.target.result;
            if (!cursor) return ok();
            records.push({ key: plain(cursor.key), value: plain(cursor.value) });
            cursor.continue();
          };
        });
        idb[name][store] = records;
      }
      db.close();
    }
    const fields = [...document.querySelectorAll('input, textarea, select')].map((el) => el.value);
    const caches = [];
    if (self.caches) {
      for (const name of await self.caches.keys()) {
        const cache = await self.caches.open(name);
        caches.push(name, ...(await cache.keys()).map((r) => r.url));
      }
    }
    return {
      idb,
      localStorage: Object.entries(localStorage),
      sessionStorage: Object.entries(sessionStorage),
      cookie: document.cookie,
      dom: document.documentElement.outerHTML,
      fields,
      url: location.href,
      historyState: history.state,
      caches,
    };
  });
  const cookies = await (context ? context.cookies() : page.cookies());
  return JSON.stringify({ ...inPage, cookies });
}

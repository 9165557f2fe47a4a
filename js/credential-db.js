// The Expensify entry's IndexedDB and WebCrypto calls: used by the package's
// ExpensifyCredentialStore and limiter (expensify.js) and, through wasm-bindgen, by the Rust
// store (src/web/expensify.rs). One file for both. The store's database holds two object stores:
// `credentials` (records by id) and `keys` (the non-extractable AES-GCM key, `master`); the
// limiter's, `expensicat-auth:expensify-limits`, one: `sent` (send times by partnerUserID hash).

const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
const store = (db, name, mode) => db.transaction(name, mode).objectStore(name);

/** Opens (creating if needed) the database `name`. */
export function idbOpen(name) {
  const r = indexedDB.open(name, 1);
  r.onupgradeneeded = () => { r.result.createObjectStore("credentials", { keyPath: "id" }); r.result.createObjectStore("keys"); };
  return req(r);
}
export function idbGetAll(db) { return req(store(db, "credentials", "readonly").getAll()); }
export function idbGet(db, id) { return req(store(db, "credentials", "readonly").get(id)); }
export function idbPut(db, record) { return req(store(db, "credentials", "readwrite").put(record)); }
export function idbDelete(db, id) { return req(store(db, "credentials", "readwrite").delete(id)); }

/** The database's AES-GCM key, generated (non-extractable) on first use. Two pages that race to
 * create it both end with the one that was stored first. */
export async function masterKey(db) {
  const found = await req(store(db, "keys", "readonly").get("master"));
  if (found) return found;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  try { await req(store(db, "keys", "readwrite").add(key, "master")); return key; }
  catch { return req(store(db, "keys", "readonly").get("master")); }
}

/** Seals `plain` (zeroed afterwards) with a fresh 96-bit IV and `aad`: `[iv, ciphertext]`. */
export async function seal(key, plain, aad) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  try {
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, plain);
    return [iv, new Uint8Array(ct)];
  } finally {
    plain.fill(0);
  }
}

/** Opens a seal; rejects when the key, IV, ciphertext or `aad` do not match. */
export async function unseal(key, iv, ct, aad) {
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, ct));
}

let limitsDb;

/**
 * The shared half of the Expensify limiter: lets `limiter` (an ExpensifyLimiter) decide on a
 * request by `partnerUserId` at `Date.now()` from the send times that every tab and worker of the
 * origin recorded, and records this one when it may go. The read, the decision and the write are
 * one IndexedDB readwrite transaction, and such transactions on one store run one at a time
 * across all the origin's connections: no two pages decide on the same times. The times are kept
 * under the SHA-256 of the partnerUserID (not the ID itself), and are only numbers. Resolves to
 * the wait (0: go now); rejects where IndexedDB or WebCrypto is missing or fails (the caller then
 * keeps to the limits with the page's own times).
 */
export async function sharedTake(limiter, partnerUserId) {
  if (!limitsDb) {
    const r = indexedDB.open("expensicat-auth:expensify-limits", 1);
    r.onupgradeneeded = () => r.result.createObjectStore("sent");
    limitsDb = req(r);
  }
  const db = await limitsDb;
  const key = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(partnerUserId));
  return new Promise((ok, fail) => {
    const t = db.transaction("sent", "readwrite");
    const s = t.objectStore("sent");
    const got = s.get(key);
    let wait;
    got.onsuccess = () => {
      const now = Date.now();
      // A record that is not a limiter's `sent` (rewritten by other script) is replaced by this
      // page's own times, rather than failing every later request.
      try {
        wait = limiter.take(now, got.result);
      } catch {
        wait = limiter.take(now);
      }
      wait || s.put(limiter.sent, key);
    };
    t.oncomplete = () => ok(wait);
    // A failed request aborts the transaction (its error event is not prevented).
    t.onabort = fail;
  });
}

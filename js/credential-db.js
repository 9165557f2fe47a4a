// The Expensify credential store's IndexedDB and WebCrypto calls: used by the package's
// ExpensifyCredentialStore (expensify.js) and, through wasm-bindgen, by the Rust store
// (src/web/expensify.rs). One file for both. The database holds two object stores:
// `credentials` (records by id) and `keys` (the non-extractable AES-GCM key, `master`).

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

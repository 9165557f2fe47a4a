// What the in-page suites (session.spec.mjs, expensify.spec.mjs) share: assertions, the
// emulator's control and counters, and the error check that no secret is visible.

/** The emulator's URL, from the page's `?emu=`. */
export const emu = new URLSearchParams(location.search).get("emu");

export function assert(ok, message) {
  if (!ok) throw new Error("assertion failed: " + message);
}
export function eq(actual, expected, message = "") {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export async function call(url, method = "GET", body) {
  const res = await fetch(url, { method, headers: { "Content-Type": "application/json" }, body: method === "GET" ? undefined : body });
  return res.json().catch(() => null);
}
export const control = (path, body) => call(`${emu}/__emulator/${path}`, "POST", JSON.stringify(body));
export async function counter(clientId, name) {
  const c = await call(`${emu}/__emulator/counters?client_id=${clientId}`);
  return c?.[name] ?? 0;
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const unique = (name) => `${name}-${Math.floor(Math.random() * 1e9)}`;

/** The error's code, after checking it is a real Error whose visible text holds no secret. */
export function codeOf(err, secrets = []) {
  // A real Error, from this page or from a reloaded one (another realm).
  assert(Object.prototype.toString.call(err) === "[object Error]", `not an Error: ${err}`);
  const text = `${err.message} ${String(err)} ${JSON.stringify(err)} ${err.stack ?? ""}`;
  for (const s of secrets) assert(!text.includes(s), `secret leaked: ${text}`);
  return err.code;
}
export async function rejection(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

/** Runs `op` on the object store `store` of the IndexedDB database `db` (version 1), as script
 * with access to the origin could: resolves to the request's result once the transaction
 * completes. */
export function idbStore(db, store, mode, op) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(db, 1);
    r.onsuccess = () => {
      const tx = r.result.transaction(store, mode);
      const req = op(tx.objectStore(store));
      tx.oncomplete = () => {
        r.result.close();
        resolve(req.result);
      };
      tx.onerror = () => reject(tx.error);
    };
    r.onerror = () => reject(r.error);
  });
}

/** Runs `tests[name]` after `setup`; resolves to `{ ok }` or `{ ok: false, error }`. */
export async function runOne(tests, name, setup) {
  try {
    await setup();
    await tests[name]();
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `${e && e.name}: ${e && e.message}${e && e.code ? ` (code ${e.code})` : ""}\n${e && e.stack}` };
  }
}

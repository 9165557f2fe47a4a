// The browser session of the package's sign-in entry: `ExpensicatAuth`. A driver of the session
// machine in the core (src/protocol/session_machine.rs, through `SessionCore`): it performs the
// machine's actions (fetch, BroadcastChannel, Web Locks, IndexedDB, sessionStorage, timers,
// WebCrypto) and feeds their results back as events. Which token to use, when to refresh, what
// another tab's message, a stored record or a late answer is worth, what a logout cancels: the
// machine decides all of it. What stays here is the page itself: the login transactions in
// sessionStorage, the address bar, and the API calls' retry loop, whose every step the core
// names (`nextStep`).
//
// Tokens live in the machine (wasm memory), in sessionStorage or sealed in IndexedDB by opt-in,
// and in messages to the other tabs of the origin; never in `session`, `toString`, `toJSON` or
// an error.

// @ts-check
/** @typedef {import("./session-types").SessionAction} SessionAction */
/** @typedef {import("./session-types").SessionEvent} SessionEvent */
/** @typedef {import("./session-types").SessionInfo} SessionInfo */
/** @typedef {import("./session-types").SessionListener} SessionListener */
/** @typedef {import("./session-types").SharedRecord} SharedRecord */
/** @typedef {import("./session-types").Core} Core */
/** @typedef {import("./session-types").Client} Client */
/** @typedef {import("./session-types").LoginResult} LoginResult */

import { ExpensicatClient, sessionError } from "./glue.mjs";
import { deadline, isStream, post, postAndRead, readBody, readLimited, timedOut } from "./http.js";

const PREFIX = "expensicat-auth:";
const TX = PREFIX + "tx:";
const DONE = PREFIX + "done:";

/** Callbacks in flight or finished in this page, by `state`: React StrictMode runs effects twice.
 * @type {Map<string, Promise<LoginResult>>} */
const callbacks = new Map();
/** The address bar as this page cleaned it, and what it showed before.
 * @type {[string, string] | undefined} */
let cleaned;

/** @param {unknown} v */
const absent = (v) => v === undefined || v === null;

function store() {
  try {
    return globalThis.sessionStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/** @param {string} key */
function get(key) {
  const s = store();
  if (!s) throw sessionError("no_storage", undefined);
  try {
    return s.getItem(key);
  } catch {
    throw sessionError("storage_read", undefined);
  }
}

/** @param {string} key @param {string} value */
function set(key, value) {
  const s = store();
  if (!s) throw sessionError("no_storage", undefined);
  try {
    s.setItem(key, value);
  } catch {
    throw sessionError("storage_write", undefined);
  }
}

/** @param {string} key */
function remove(key) {
  try {
    store()?.removeItem(key);
  } catch {
    // Nothing to remove where storage is unavailable.
  }
}

/** @param {string} prefix */
function keys(prefix) {
  const s = store();
  const out = [];
  try {
    for (let i = 0; s && i < s.length; i++) {
      const k = s.key(i);
      if (k && k.startsWith(prefix)) out.push(k);
    }
  } catch {
    // As if empty.
  }
  return out;
}

/** A timer that does not keep Node's event loop alive. @param {() => void} fn @param {number} ms */
function later(fn, ms) {
  const t = setTimeout(fn, ms);
  /** @type {any} */ (t)?.unref?.();
  return t;
}

/** Resolves after `ms`, or rejects with the reason of `signal` when it aborts first.
 * @param {number} ms @param {AbortSignal | undefined} signal @returns {Promise<void>} */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = later(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

/** `p`, or the reason of `signal` when it aborts first. @template T
 * @param {Promise<T>} p @param {AbortSignal | undefined} signal @returns {Promise<T>} */
function unlessAborted(p, signal) {
  if (!signal) return p;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    p.then(resolve, reject);
  });
}

// The library's IndexedDB database: store `seq` holds the shared record of each client (the
// machine's `SharedRecord`: newest version, ended login, spent and revoked refresh tokens), store
// `sealed` the session of `storage: "indexedDB"` (`rec:<client>`) and its sealing keys, one per
// login (`key:<client>:<login>`), which a logout destroys.
/** @type {Promise<IDBDatabase> | undefined} */
let db;
/** How long one IndexedDB operation may take, ms: a database that hangs (an open blocked by
 * an old connection, a WebKit storage process gone) fails instead of stalling every call. */
const IDB_MS = 5000;

/** @template T @param {string | string[]} name @param {IDBTransactionMode} mode
 * @param {(s: IDBObjectStore, tx: IDBTransaction) => IDBRequest<T> | void} op @returns {Promise<T | undefined>} */
function idb(name, mode, op) {
  db ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(PREFIX + "sessions", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("seq");
      r.result.createObjectStore("sealed");
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const opened = db;
  return new Promise((resolve, reject) => {
    const t = later(() => reject(new DOMException("IndexedDB did not answer", "TimeoutError")), IDB_MS);
    opened
      .then(
        (d) =>
          new Promise((done, fail) => {
            const tx = d.transaction(name, mode);
            const req = op(tx.objectStore(Array.isArray(name) ? name[0] : name), tx);
            tx.oncomplete = () => done(req ? req.result : undefined);
            tx.onerror = tx.onabort = () => fail(tx.error);
          }),
      )
      .then(resolve, (e) => {
        // A database that failed (closed, connection lost) is opened again next time.
        if (db === opened) db = undefined;
        reject(e);
      })
      .finally(() => clearTimeout(t));
  });
}

const ZERO = { nl: 0, ns: 0, el: 0, es: 0, sl: 0, ss: 0, rl: 0, rs: 0, t: 0, a: 0 };
const PAIRS = /** @type {const} */ ([["nl", "ns"], ["el", "es"], ["sl", "ss"], ["rl", "rs"]]);

/** The shared record; `null` where it cannot be kept (no IndexedDB, Web Locks or
 * BroadcastChannel: nothing could order one tab's use of it after another's, and the tabs work
 * without it, in the machine's mode where only a session's producer refreshes); `undefined`
 * when this read failed (an error, or no answer in time).
 * @param {string} id @returns {Promise<SharedRecord | null | undefined>} */
async function readShared(id) {
  if (!globalThis.navigator?.locks || typeof BroadcastChannel !== "function" || typeof indexedDB === "undefined" || !indexedDB) return null;
  try {
    const r = await idb("seq", "readonly", (s) => s.get(id));
    // Nothing yet (or a value of the previous layout, a plain number): the zero record.
    return r && typeof r === "object" ? r : ZERO;
  } catch (e) {
    // A database that cannot be opened at all (a private mode) is unavailable; one that fails
    // now and then is a failed read.
    const name = /** @type {any} */ (e)?.name;
    return name === "InvalidStateError" || name === "SecurityError" ? null : undefined;
  }
}

/** Merges `w` into the shared record in one transaction: each version keeps the larger.
 * Resolves to whether it was written. @param {string} id @param {SharedRecord} w */
function writeShared(id, w) {
  return idb("seq", "readwrite", (s) => {
    const req = s.get(id);
    req.onsuccess = () => {
      const r = req.result && typeof req.result === "object" ? { ...req.result } : { ...ZERO };
      for (const [l, q] of PAIRS) if (w[l] > r[l] || (w[l] === r[l] && w[q] > r[q])) [r[l], r[q]] = [w[l], w[q]];
      for (const k of /** @type {const} */ (["t", "a"])) r[k] = Math.max(Number(r[k]) || 0, w[k]);
      s.put(r, id);
    };
  }).then(
    () => true,
    () => false,
  );
}

// `storage: "indexedDB"`: the session record sealed with AES-GCM under a key of its login
// (256-bit, generated in the browser, non-extractable), a fresh 96-bit IV per write. The
// additional data binds the ciphertext to the client, the login and the version, so a record
// changed in any way does not open, and one written back after its login ended has no key.
/** @param {string} id @param {number} login @param {number} seq */
const aad = (id, login, seq) => new TextEncoder().encode(`${PREFIX}session:v2:${id}:${login}:${seq}`);

/** @param {string} id @param {number} login @param {boolean} create @returns {Promise<CryptoKey | undefined>} */
async function loginKey(id, login, create) {
  const name = `key:${id}:${login}`;
  /** @type {CryptoKey | undefined} */
  let key = await idb("sealed", "readonly", (s) => s.get(name));
  if (!key && create) {
    const made = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    // `add`, not `put`: a key another tab made first for the same login wins.
    await idb("sealed", "readwrite", (s) => s.add(made, name)).catch(() => {});
    key = await idb("sealed", "readonly", (s) => s.get(name));
  }
  return key;
}

/** @param {string} id @param {object} rec @param {number} login @param {number} seq */
async function seal(id, rec, login, seq) {
  const key = await loginKey(id, login, true);
  if (!key) return;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(id, login, seq) }, key, new TextEncoder().encode(JSON.stringify(rec)));
  // In one transaction with the shared record: a login that another tab has ended meanwhile is
  // not written back.
  await idb(["sealed", "seq"], "readwrite", (s, tx) => {
    const ended = tx.objectStore("seq").get(id);
    ended.onsuccess = () => {
      if (!(ended.result?.el >= login)) s.put({ v: 2, iv, login, seq, ct }, "rec:" + id);
    };
  });
}

/** Erases the sealed session when it is of a login up to `upTo` (a newer login's record is
 * another tab's), and the keys of every login up to `ended`.
 * @param {string} id @param {number} upTo @param {number} ended */
async function unsealable(id, upTo, ended) {
  const prefix = `key:${id}:`;
  const all = /** @type {IDBValidKey[]} */ ((await idb("sealed", "readonly", (s) => s.getAllKeys())) ?? []);
  await idb("sealed", "readwrite", (s) => {
    const rec = s.get("rec:" + id);
    rec.onsuccess = () => {
      if (!(rec.result?.login > upTo)) s.delete("rec:" + id);
    };
    for (const k of all) if (typeof k === "string" && k.startsWith(prefix) && Number(k.slice(prefix.length)) <= ended) s.delete(k);
  });
}

/** The sealed session as the machine reads it: `"nothing"`, `"corrupt"` or `{rec, login, seq}`.
 * @param {string} id */
async function unseal(id) {
  /** @type {any} */
  const sealed = await idb("sealed", "readonly", (s) => s.get("rec:" + id));
  if (sealed === undefined) return "nothing";
  try {
    const { v, iv, login, seq, ct } = sealed;
    if (v !== 2 || !(iv instanceof Uint8Array) || iv.length !== 12 || !Number.isSafeInteger(login) || !Number.isSafeInteger(seq)) return "corrupt";
    const key = await loginKey(id, login, false);
    if (!key) return "corrupt";
    const text = await crypto.subtle.decrypt({ name: "AES-GCM", iv: new Uint8Array(iv), additionalData: aad(id, login, seq) }, key, ct);
    return { rec: JSON.parse(new TextDecoder().decode(text)), login, seq };
  } catch {
    return "corrupt";
  }
}

// DPoP (RFC 9449, `dpop: true`): one ES256 key pair per login, generated here non-extractable,
// kept in store `sealed` under `dpop:<thumbprint>` so that every tab and worker of the origin
// signs with the same key, and deleted when the machine says its login is over (`forget`). The
// core builds each proof's header, claims and signing input; this driver signs.
/** @typedef {{ keys: CryptoKeyPair, x: string, y: string }} DpopPair */

/** A new key pair for a login, with its public key's coordinates. @returns {Promise<DpopPair>} */
async function newDpopKey() {
  try {
    const keys = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]));
    const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
    return { keys, x: String(jwk.x), y: String(jwk.y) };
  } catch {
    throw sessionError("no_dpop", undefined);
  }
}

/** The newest `DPoP-Nonce` of each server: by origin, the API's apart from the token and
 * revocation endpoints' even on one origin (RFC 9449 section 9: a nonce is accepted only by
 * the server that issued it). @type {Map<string, string>} */
const nonces = new Map();

/** @param {string} url @param {boolean} api */
const nonceKey = (url, api) => (api ? "api " : "") + new URL(url).origin;

/** Keeps the answer's `DPoP-Nonce` for the server of `url` (the core leaves out of a proof a
 * value that is not a nonce). @param {string} url @param {Response} res @param {boolean} api */
function keepNonce(url, res, api) {
  const n = res.headers.get("DPoP-Nonce");
  if (n !== null) nonces.set(nonceKey(url, api), n);
}

/**
 * The client for `issuer` from its metadata (RFC 8414 section 3.1, then OpenID Connect
 * Discovery): the core says where to look, judges each answer (exact issuer, HTTPS endpoints,
 * PKCE S256) and makes the client; this performs the GETs, under one deadline over both and
 * their bodies, without cookies and never following a redirect.
 * @param {unknown} issuer @param {unknown} config
 * @returns {Promise<ExpensicatClient>}
 */
async function discoverClient(issuer, config) {
  const plan = /** @type {import("./session-types").DiscoveryPlan} */ (ExpensicatClient.discovery(/** @type {string} */ (issuer), /** @type {any} */ (config)));
  const c = deadline(plan.timeoutMs);
  for (let attempt = 0; ; attempt++) {
    let status = 0;
    let body = "";
    try {
      const res = await fetch(plan.urls[attempt], { headers: { Accept: "application/json" }, redirect: "manual", signal: c.signal, credentials: "omit", cache: "no-store" });
      status = res.status;
      body = await readLimited(res, plan.maxBytes, c);
    } catch (e) {
      if (e === "too_large") throw sessionError("too_large", status);
      if (timedOut(c)) throw sessionError("timeout", undefined);
      // No answer here (refused, dropped, CORS): the core decides whether to look elsewhere.
      status = 0;
      body = "";
    }
    const found = ExpensicatClient.discovery(/** @type {string} */ (issuer), /** @type {any} */ (config), attempt, status, body);
    if (found) return /** @type {ExpensicatClient} */ (found);
  }
}

/** @type {any} */ (ExpensicatClient).discover = discoverClient;

/** The client `ExpensicatAuth.discover` made, for the constructor it calls at once.
 * @type {ExpensicatClient | undefined} */
let made;

/**
 * A signed-in Expensicat session for a single-page app: login, callback, tokens kept in memory
 * (or `sessionStorage` or sealed IndexedDB by opt-in), one session for every tab of the origin,
 * single-flight refresh, and a `fetch` that signs only API requests.
 */
export class ExpensicatAuth {
  /** @type {Client} */
  #c;
  /** @type {Core} */
  #core;
  /** @type {{ clientId: string, storage: string, timeoutMs: number, transactionTtlMs: number, maxTokenResponseBytes: number, maxResponseBytes: number, shareAcrossTabs: boolean, dpop: boolean }} */
  #s;
  /** @type {Set<{ listener: SessionListener }>} */
  #listeners = new Set();
  /** Calls waiting for the machine, by id. @type {Map<number, { resolve: (v: any) => void, reject: (e: unknown) => void }>} */
  #calls = new Map();
  #nextCall = 0;
  /** @type {BroadcastChannel | undefined} */
  #bc;
  /** Releases of the locks held, by purpose. @type {Map<string, () => void>} */
  #held = new Map();
  /** The lock requests still waiting. @type {Set<AbortController>} */
  #waits = new Set();
  /** The newest login whose sealed record this session wrote or read: an erase removes the
   * record up to it (any record, after one that did not open). */
  #mine = 0;
  /** The IndexedDB operations, in the order the machine asked for them. @type {Promise<unknown>} */
  #io = Promise.resolve();
  /** @type {Promise<void>} */
  #ready;
  /** @type {() => void} */
  #isReady = () => {};
  #closed = false;
  /** The DPoP key pairs loaded, by thumbprint. @type {Map<string, Promise<DpopPair | undefined>>} */
  #dpop = new Map();

  /**
   * A session configured from `issuer` alone: its metadata (RFC 8414, then OpenID Connect
   * Discovery) gives the endpoints, and `config` the rest. Rejects with `issuer_mismatch` when the
   * metadata names another issuer, `invalid_response` (or `insecure_url`, `invalid_url`) when it
   * cannot be used (no PKCE S256, a plain-HTTP endpoint...), `timeout` or `network`.
   * @param {string} issuer @param {import("./session-types").DiscoveryConfig} config
   * @returns {Promise<ExpensicatAuth>}
   */
  static async discover(issuer, config) {
    made = await discoverClient(issuer, config);
    return new ExpensicatAuth(/** @type {any} */ (made));
  }

  /**
   * Validates `config` (HTTPS endpoints, registered redirect URI, known scopes, a storage mode
   * with `shareAcrossTabs`) and starts the session: asks the other tabs and reads storage.
   * @param {import("./session-types").ClientConfig} config
   */
  constructor(config) {
    // The client `discover` made is taken as it is; the app's argument is only ever read as a
    // configuration (no `instanceof`: it would run a Proxy's trap, and take any object that
    // inherits the prototype, or a freed client, for a client).
    this.#c = /** @type {Client} */ (/** @type {unknown} */ (made ?? new ExpensicatClient(config)));
    made = undefined;
    this.#s = this.#c.settings;
    this.#core = this.#c.sessionCore();
    this.#ready = new Promise((resolve) => (this.#isReady = resolve));
    if (this.#s.shareAcrossTabs && typeof BroadcastChannel === "function") {
      this.#bc = new BroadcastChannel(PREFIX + this.#s.clientId);
      this.#bc.onmessage = (e) => this.#feed({ t: "message", m: e.data });
      /** @type {any} */ (this.#bc).unref?.();
    }
    this.#perform(this.#core.start());
    const id = this.#s.clientId;
    if (this.#s.storage === "sessionStorage") {
      let stored = "nothing";
      let ended = [0, 0];
      try {
        const text = get(this.#key("session:"));
        if (text !== null) stored = JSON.parse(text);
        ended = String(get(this.#key("ended:")) ?? "0/0").split("/").map(Number);
      } catch {
        stored = "corrupt";
      }
      this.#feed({ t: "loaded", stored, el: ended[0] || 0, es: ended[1] || 0 });
    } else if (this.#s.storage === "indexedDB") {
      this.#queue(() =>
        unseal(id)
          .catch(() => "nothing")
          .then((stored) => {
            this.#mine = typeof stored === "object" ? stored.login : stored === "corrupt" ? Number.MAX_SAFE_INTEGER : 0;
            this.#feed({ t: "loaded", stored, el: 0, es: 0 });
          }),
      );
    }
  }

  /** @param {string} kind */
  #key(kind) {
    return PREFIX + kind + this.#s.clientId;
  }

  /** @param {() => Promise<unknown> | unknown} op */
  #queue(op) {
    this.#io = this.#io.then(op).catch(() => {});
  }

  /** Feeds an event to the machine and performs what it says. @param {SessionEvent} event */
  #feed(event) {
    if (this.#closed) return;
    let actions;
    try {
      actions = this.#core.handle(event, Date.now());
    } catch {
      // A message that cannot be read as JSON: dropped, like any the core refuses.
      return;
    }
    this.#perform(actions);
  }

  /** @param {SessionAction[]} actions */
  #perform(actions) {
    const id = this.#s.clientId;
    for (const a of actions) {
      switch (a.a) {
        case "send":
          this.#request(a);
          break;
        case "revoke":
          this.#revoke(a);
          break;
        case "post":
          this.#bc?.postMessage(a.m);
          break;
        case "store":
          this.#store(a);
          break;
        case "lock":
          this.#lock(a.p);
          break;
        case "unlock": {
          const p = a.p;
          // After every IndexedDB write asked before it: the next holder reads them.
          this.#queue(() => {
            this.#held.get(p)?.();
            this.#held.delete(p);
          });
          break;
        }
        case "read": {
          const p = a.p;
          this.#queue(() => readShared(id).then((r) => this.#feed(r === undefined ? { t: "shared", p, r: null, failed: true } : { t: "shared", p, r })));
          break;
        }
        case "write": {
          const r = a.r;
          this.#queue(() => writeShared(id, r));
          break;
        }
        case "mark": {
          const { p, r } = a;
          this.#queue(() => writeShared(id, r).then((ok) => this.#feed({ t: "marked", p, ok })));
          break;
        }
        case "emit":
          this.#emit(a);
          break;
        case "settle":
          this.#settle(a);
          break;
        case "timer": {
          const { name, n } = a;
          later(() => this.#feed({ t: "timer", name, n }), a.ms);
          break;
        }
        case "forget": {
          // After the key loads of the requests before it.
          const jkt = a.jkt;
          this.#queue(() => {
            this.#dpop.delete(jkt);
            return idb("sealed", "readwrite", (s) => s.delete("dpop:" + jkt));
          });
          break;
        }
      }
    }
  }

  /** The DPoP key pair of thumbprint `jkt`, loaded once, in order with the other IndexedDB
   * operations (a `forget` after a request deletes it only once that request has it).
   * @param {string} jkt @returns {Promise<DpopPair | undefined>} */
  #dpopKey(jkt) {
    let p = this.#dpop.get(jkt);
    if (!p) {
      /** @type {Promise<DpopPair | undefined>} */
      p = new Promise((resolve) => this.#queue(() => idb("sealed", "readonly", (s) => s.get("dpop:" + jkt)).then(resolve, () => resolve(undefined))));
      this.#dpop.set(jkt, p);
      p.then((k) => k || this.#dpop.delete(jkt));
    }
    return p;
  }

  /** The DPoP proof of `method url` by the key `jkt` (with `ath` for `token`), with the
   * server's newest nonce. Rejects when the key is gone or cannot sign.
   * @param {string} jkt @param {string} method @param {string} url @param {string} [token] */
  async #proof(jkt, method, url, token) {
    const k = await this.#dpopKey(jkt);
    if (!k) throw sessionError("no_dpop", undefined);
    const input = this.#c.dpopSigningInput({ jkt, x: k.x, y: k.y, method, url, nowMs: Date.now(), accessToken: token, nonce: nonces.get(nonceKey(url, token !== undefined)) });
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, k.keys.privateKey, new TextEncoder().encode(input)));
    // The JWS compact serialization: the signature (r || s) in base64url.
    return input + "." + btoa(String.fromCharCode(...sig)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** The headers of a token or revocation request, with its DPoP proof when it names a key.
   * @param {{ url: string, dpop?: string }} a @param {Record<string, string>} headers */
  async #proofHeaders(a, headers) {
    return a.dpop === undefined ? headers : { ...headers, DPoP: await this.#proof(a.dpop, "POST", a.url) };
  }

  /** A token-endpoint request; its answer or failure goes back to the machine.
   * @param {{ id: number, url: string, contentType: string, body: string, dpop?: string }} a */
  #request(a) {
    if (globalThis.navigator?.onLine === false) {
      // Not sent: the machine knows its refresh token is unspent.
      queueMicrotask(() => this.#feed({ t: "unsent", id: a.id }));
      return;
    }
    const headers = { Accept: "application/json", "Content-Type": a.contentType };
    /** @param {string} what @param {number} [status] */
    const marker = (what, status) => ({ what, status });
    let sent = false;
    this.#proofHeaders(a, headers)
      .then((h) => ((sent = true), postAndRead(a.url, h, a.body, this.#s.timeoutMs, this.#s.maxTokenResponseBytes, marker)))
      .then(
      ([res, body]) => {
        keepNonce(a.url, res, false);
        this.#feed({ t: "answer", id: a.id, status: res.status, body });
      },
      // A proof that could not be made: nothing went out.
      (e) => this.#feed(sent ? { t: "failed", id: a.id, what: String(e?.what ?? "network"), status: Number(e?.status) || 0 } : { t: "unsent", id: a.id }),
    );
  }

  /** A revocation (RFC 7009), best effort, within the timeout.
   * @param {{ id: number, url: string, contentType: string, body: string, dpop?: string }} a */
  #revoke(a) {
    const c = deadline(this.#s.timeoutMs, undefined);
    this.#proofHeaders(a, { "Content-Type": a.contentType })
      .then((h) => post(a.url, h, a.body, c))
      .then(
        (res) => {
          keepNonce(a.url, res, false);
          res.body?.cancel().catch(() => {});
          // What came back; the machine decides whether it goes once more with a new nonce.
          return { status: res.status, nonce: res.headers.has("DPoP-Nonce") };
        },
        // No answer: status 0.
        () => {},
      )
      .then((r) => this.#feed({ t: "revoked", id: a.id, ...r }));
  }

  /** @param {{ rec?: object, login?: number, seq?: number, el: number, es: number }} a */
  #store(a) {
    const id = this.#s.clientId;
    if (this.#s.storage === "indexedDB") {
      const { rec, login, seq, el } = a;
      this.#queue(() => (rec && login !== undefined && seq !== undefined ? seal(id, rec, login, seq) : unsealable(id, Math.max(el, this.#mine), el)));
      if (login !== undefined) this.#mine = Math.max(this.#mine, login);
    } else if (this.#s.storage === "sessionStorage") {
      try {
        if (a.rec) set(this.#key("session:"), JSON.stringify({ rec: a.rec, login: a.login, seq: a.seq }));
        else remove(this.#key("session:"));
        set(this.#key("ended:"), `${a.el}/${a.es}`);
      } catch {
        // The session goes on in memory.
      }
    }
  }

  /** The refresh lock of this client (Web Locks), waited for at most twice the timeout (a
   * frozen holder must not block this tab for ever). @param {"refresh" | "logout"} p */
  #lock(p) {
    const locks = globalThis.navigator?.locks;
    if (!locks) {
      // One tab at a time is all a browser without Web Locks can have of this.
      this.#held.set(p, () => {});
      queueMicrotask(() => this.#feed({ t: "locked", p, ok: true }));
      return;
    }
    const wait = deadline(2 * this.#s.timeoutMs, undefined);
    this.#waits.add(wait);
    locks
      .request(this.#key("refresh:"), { signal: wait.signal }, () => {
        this.#waits.delete(wait);
        wait.abort();
        // Granted after close(): released at once, never held by a session that is gone.
        if (this.#closed) return;
        return new Promise((release) => {
          this.#held.set(p, () => release(undefined));
          this.#feed({ t: "locked", p, ok: true });
        });
      })
      .catch(() => {
        this.#waits.delete(wait);
        // Timed out, or refused for any other reason: the machine is told either way.
        this.#feed({ t: "locked", p, ok: false });
      });
  }

  /** @param {{ type: string, reason?: string, session?: SessionInfo }} a */
  #emit(a) {
    if (a.type === "ready") return this.#isReady();
    /** @type {import("./session-types").SessionChange} */
    const event = { type: /** @type {"started" | "refreshed" | "ended"} */ (a.type) };
    if (a.reason !== undefined) event.reason = a.reason;
    if (a.session !== undefined) event.session = a.session;
    for (const entry of [...this.#listeners]) {
      try {
        entry.listener(event);
      } catch {
        // A throwing listener must not break the session.
      }
    }
  }

  /** @param {{ id: number, token?: string, session?: SessionInfo, error?: unknown }} a */
  #settle(a) {
    const call = this.#calls.get(a.id);
    if (!call) return;
    this.#calls.delete(a.id);
    if ("error" in a) call.reject(a.error);
    else call.resolve(a.token ?? a.session);
  }

  /** A call to the machine: resolves or rejects when it settles. @param {(id: number) => SessionAction[]} feed
   * @returns {Promise<any>} */
  #call(feed) {
    if (this.#closed) return Promise.reject(sessionError("login_required", undefined));
    const id = ++this.#nextCall;
    const p = new Promise((resolve, reject) => this.#calls.set(id, { resolve, reject }));
    this.#perform(feed(id));
    return p;
  }

  /** @param {"token" | "refresh" | "logout"} call @param {string} [stale] */
  #ask(call, stale) {
    return this.#call((id) => this.#core.handle(stale === undefined ? { t: "call", id, call } : { t: "call", id, call, stale }, Date.now()));
  }

  /** Removes expired login transactions and old "handled" markers. @param {number} now */
  #sweep(now) {
    for (const k of keys(TX)) {
      let keep = false;
      try {
        keep = JSON.parse(String(get(k))).expiresAt > now;
      } catch {
        // Unreadable: removed.
      }
      if (!keep) remove(k);
    }
    for (const k of keys(DONE)) {
      let until = 0;
      try {
        until = Number(get(k));
      } catch {
        // Removed.
      }
      if (!(until > now)) remove(k);
    }
  }

  /**
   * Creates PKCE + state, stores the login transaction in `sessionStorage` (keyed by state,
   * expired ones swept) with the app's `appState`, and resolves to the authorize URL to navigate
   * to. With `par`, first pushes the authorize parameters to the server (RFC 9126): the URL then
   * carries `client_id` and `request_uri` only, and must be opened before the request_uri expires
   * (call this when the user starts the login, not ahead of it); a push that fails rejects, and
   * keeps nothing.
   * @param {import("./session-types").LoginOptions} [options]
   * @returns {Promise<string>}
   */
  async startLogin(options) {
    this.#sweep(Date.now());
    // With DPoP, the login's key pair first: its thumbprint goes in the authorize request, and
    // the pair is kept under it for every tab and worker of the origin.
    const dpop = this.#s.dpop ? await newDpopKey() : undefined;
    let o = options;
    try {
      if (dpop) o = { ...options, dpopKey: { x: dpop.x, y: dpop.y } };
    } catch {
      // An options object that cannot be read: beginLogin says what is wrong with it.
    }
    const start = this.#c.beginLogin(o);
    let url;
    if ("push" in start) {
      // PAR (RFC 9126): the parameters go to the server first; the URL names them by the
      // request_uri of its answer. The transaction is kept only once the push succeeded.
      const { push } = start;
      const [res, body] = await postAndRead(push.url, push.headers, push.body ?? "", this.#s.timeoutMs, this.#s.maxTokenResponseBytes, sessionError);
      url = this.#c.pushedAuthorizeUrl(res.status, body).url;
    } else {
      url = start.url;
    }
    if (dpop) {
      // Kept once the push succeeded, like the transaction.
      await idb("sealed", "readwrite", (s) => s.put(dpop, "dpop:" + start.dpopJkt)).catch(() => {
        throw sessionError("no_dpop", undefined);
      });
    }
    set(TX + start.state, start.transaction);
    return url;
  }

  /**
   * Handles the redirect back (default: `location.href`). Cleans `code`/`state`/`iss` from the
   * address bar before any await, checks the callback against its stored transaction (consumed
   * once, even on failure), exchanges the code, and resolves to the session. Called twice with
   * the same URL it makes one token request and both calls share the outcome; a callback already
   * handled in an earlier page load rejects with `callback_already_handled`. A `logout()` made
   * while the code is exchanged ends that login: the call rejects with `login_required`. The
   * session comes with the login's `appState`, when it was given one.
   * @param {string} [url]
   * @returns {Promise<LoginResult>}
   */
  handleCallback(url) {
    if (!absent(url) && typeof url !== "string") return Promise.reject(sessionError("url", undefined));
    const href = absent(url) ? currentCallbackUrl() : /** @type {string} */ (url);
    this.#cleanAddressBar();
    let state;
    try {
      state = this.#c.callbackState(href);
    } catch (e) {
      return Promise.reject(e);
    }
    let p = callbacks.get(state);
    if (!p) {
      p = this.#exchange(href, state);
      callbacks.set(state, p);
    }
    return p;
  }

  /**
   * Whether `url` (default: the address bar, as it was before `handleCallback` cleaned it) is
   * the redirect URI with an authorization response on it: what `handleCallback` is for.
   * @param {string} [url]
   * @returns {boolean}
   */
  isCallback(url) {
    if (!absent(url) && typeof url !== "string") throw sessionError("url", undefined);
    return this.#c.cleanedAddressBar(absent(url) ? currentCallbackUrl() : /** @type {string} */ (url)) !== undefined;
  }

  #cleanAddressBar() {
    const w = globalThis.window;
    if (!w || !w.location || !w.history) return;
    const href = w.location.href;
    const to = this.#c.cleanedAddressBar(href);
    if (to === undefined) return;
    try {
      w.history.replaceState(null, "", to);
      cleaned = [to, href];
    } catch {
      // The bar stays as it was.
    }
  }

  /** @param {string} href @param {string} state @returns {Promise<LoginResult>} */
  #exchange(href, state) {
    let validated;
    try {
      const stored = get(TX + state);
      if (stored === null) {
        let handled = false;
        try {
          handled = get(DONE + state) !== null;
        } catch {
          // Not known as handled.
        }
        throw sessionError(handled ? "callback_already_handled" : "state_mismatch", undefined);
      }
      // Consumed once, even when the checks below fail.
      remove(TX + state);
      try {
        set(DONE + state, String(Date.now() + this.#s.transactionTtlMs));
      } catch {
        // The transaction is gone all the same.
      }
      validated = this.#c.parseCallback(href, stored);
    } catch (e) {
      return Promise.reject(e);
    }
    // Read before the exchange consumes the callback.
    const appState = validated.appState;
    return this.#call((id) => this.#core.exchange(id, validated, Date.now())).then((session) =>
      appState === undefined ? session : { ...session, appState },
    );
  }

  /**
   * Refreshes now (sharing a refresh already in flight, in any tab) and resolves to the session.
   * `invalid_grant` ends the session (event `ended`, reason `invalid_grant`).
   * @returns {Promise<SessionInfo>}
   */
  refresh() {
    return this.#ask("refresh");
  }

  /**
   * A valid access token, refreshed when it expires within the clock skew (checked against the
   * clock on every call). Concurrent callers share one refresh. Waits while the tab is still
   * loading the session; rejects with `login_required` when there is none.
   * @returns {Promise<string>}
   */
  accessToken() {
    return this.#ask("token");
  }

  /** The signed exchange behind `fetch` and `fetchJson`: the response, its deadline, the method.
   * @param {unknown} input @param {RequestInit | undefined} init
   * @returns {Promise<[Response, AbortController, string]>} */
  async #send(input, init) {
    if (typeof input !== "string") throw sessionError("input", undefined);
    if (!absent(init) && typeof init !== "object") throw sessionError("init", undefined);
    let method, user, replayable;
    try {
      // The app's object, read once: a getter or Proxy trap that throws is an argument error.
      init = absent(init) ? undefined : Object.assign({}, init);
      method = typeof init?.method === "string" ? init.method : "GET";
      user = typeof AbortSignal !== "undefined" && init?.signal instanceof AbortSignal ? init.signal : undefined;
      replayable = !isStream(init?.body);
    } catch {
      throw sessionError("init", undefined);
    }
    // Refuse a foreign URL before touching the token: no refresh, no request.
    this.#c.checkApiUrl(input);
    let token = await unlessAborted(this.#ask("token"), user);
    let refreshed = false;
    let waited = false;
    let nonced = false;
    for (;;) {
      // A DPoP-bound token is presented as such, with a proof of this request (none when its key
      // is gone: the server refuses the call), for the URL as the browser sends it (dot segments
      // resolved, the path percent-encoded).
      const jkt = this.#core.dpopKey;
      const signed = this.#c.signRequest(token, method, input, jkt);
      const proof = jkt === undefined ? undefined : await unlessAborted(this.#proof(jkt, signed.method, new URL(signed.url).href, token).catch(() => undefined), user);
      const [res, c] = await sendApi(signed, init, this.#s.timeoutMs, proof);
      keepNonce(signed.url, res, true);
      const canRefresh = this.#core.session?.hasRefreshToken === true;
      const header = (/** @type {string} */ name) => res.headers.get(name) ?? undefined;
      const next = this.#c.nextStep(res.status, header("Retry-After"), header("WWW-Authenticate"), Date.now(), { replayable, canRefresh, refreshed, waited, dpop: jkt !== undefined, nonced });
      if (next.step === "return") return [res, c, method];
      res.body?.cancel().catch(() => {});
      if (next.step === "nonce") {
        nonced = true;
      } else if (next.step === "refresh") {
        refreshed = true;
        token = await unlessAborted(this.#ask("token", token), user);
      } else {
        waited = true;
        await sleep(next.ms, user);
      }
    }
  }

  /**
   * `fetch` for the Expensicat API: `input` is a path below the API base (`/v1/transactions`)
   * or an absolute URL on the API origin (anything else rejects with `origin_not_allowed` before
   * any request). Adds `Authorization: Bearer`, never follows redirects, times out, refreshes
   * and retries once on 401, waits once on 429 when `Retry-After` is within `maxRetryAfterMs`.
   * The app's headers and body pass through unchanged; its `signal` cancels the call at any
   * point, also while it waits for a refresh or a `Retry-After`.
   * @param {string} input @param {RequestInit} [init] @returns {Promise<Response>}
   */
  async fetch(input, init) {
    return (await this.#send(input, init))[0];
  }

  /**
   * Like `fetch`, then resolves to the parsed JSON body of a 2xx answer, or rejects with a typed
   * error: `unauthorized`, `insufficient_scope` (with `requiredScope`), `rate_limited` (with
   * `retryAfterMs`), `api_error` (with `status`, `apiCode`), `invalid_response`.
   * @param {string} input @param {RequestInit} [init] @returns {Promise<unknown>}
   */
  async fetchJson(input, init) {
    const [res, c, method] = await this.#send(input, init);
    const status = res.status;
    const retryAfter = res.headers.get("Retry-After") ?? undefined;
    const challenge = res.headers.get("WWW-Authenticate") ?? undefined;
    const body = await readBody(res, this.#s.maxResponseBytes, c, sessionError);
    if (status >= 200 && status < 300) {
      if (body === "") return null;
      try {
        return JSON.parse(body);
      } catch {
        throw sessionError("not_json", status);
      }
    }
    throw this.#c.apiError(status, body, retryAfter, challenge, Date.now(), method, input);
  }

  /**
   * Direct bearer mode: use a token the app already has (an Expensicat session JWT) for signed
   * calls. It is never refreshed; `expiresAt` (ms since the epoch) is checked on each use.
   * Throws `invalid_token` for a token that is not an RFC 6750 `b64token`.
   * @param {string} token @param {number} [expiresAt]
   */
  useBearerToken(token, expiresAt) {
    if (typeof token !== "string") throw sessionError("token", undefined);
    if (!absent(expiresAt) && !Number.isSafeInteger(expiresAt)) throw sessionError("expiresAt", undefined);
    const id = ++this.#nextCall;
    this.#perform(this.#core.handle(expiresAt === undefined || expiresAt === null ? { t: "bearer", id, token } : { t: "bearer", id, token, expiresAt }, Date.now()));
  }

  /**
   * Ends the session in every tab: forgets the tokens and any pending login transactions (event
   * `ended`, reason `logout`), cancels a code exchange or refresh in flight, and ends every
   * login made before it, also one this tab has not heard of yet (a logout made while the tab
   * is still loading applies to what it finds). Then, with a `revocationEndpoint`, revokes the
   * refresh token (where this tab holds the newest) and the access token (RFC 7009), best
   * effort, each within the timeout. The promise settles when that is done, and never rejects.
   * @returns {Promise<void>}
   */
  logout() {
    for (const k of keys(TX)) remove(k);
    // A callback handled before is that login's: it no longer answers for this page.
    callbacks.clear();
    return this.#ask("logout").then(() => {}, () => {});
  }

  /**
   * Stops this session object, as a page that goes away does: it no longer hears or answers the
   * other tabs, and releases the locks it holds. Tokens stay where the storage mode keeps them;
   * call `logout()` first to end the session. For apps that create and drop sessions (a React
   * provider that unmounts) and for tests.
   */
  close() {
    this.#closed = true;
    // Every call settles: those still waiting, with `login_required`.
    for (const call of this.#calls.values()) call.reject(sessionError("login_required", undefined));
    this.#calls.clear();
    this.#isReady();
    this.#bc?.close();
    this.#bc = undefined;
    for (const wait of this.#waits) wait.abort();
    this.#waits.clear();
    for (const release of this.#held.values()) release();
    this.#held.clear();
  }

  /** Resolves when the tab knows whether a session exists (it asks the other tabs and reads
   * storage first). @returns {Promise<void>} */
  ready() {
    return this.#ready;
  }

  /** `loading` until the tab knows whether a session exists, then `signed_in` or `signed_out`.
   * @returns {"loading" | "signed_in" | "signed_out"} */
  get status() {
    return this.#core.loading ? "loading" : this.#core.session ? "signed_in" : "signed_out";
  }

  /** The current session (scopes, expiry, whether it can refresh), or `undefined`. Never a token.
   * @returns {SessionInfo | undefined} */
  get session() {
    return this.#core.session;
  }

  /** Calls `listener` on every session change; returns a function that unsubscribes.
   * @param {SessionListener} listener @returns {() => void} */
  onSessionChange(listener) {
    if (typeof listener !== "function") throw sessionError("listener", undefined);
    const entry = { listener };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Never reveals a token. */
  toString() {
    return "ExpensicatAuth { [redacted] }";
  }

  /** The session info (never a token), for `JSON.stringify`. */
  toJSON() {
    return this.session;
  }
}

/** The callback URL for `handleCallback()` without an argument: the address bar, or what it
 * showed before this page cleaned it. */
function currentCallbackUrl() {
  const href = globalThis.location?.href ?? "";
  return cleaned && cleaned[0] === href ? cleaned[1] : href;
}

/**
 * Sends the API request the core signed: the app's `init` is copied, the method set to the one
 * the core names (upper-cased, as a DPoP proof's `htm` says; `fetch` itself upper-cases only the
 * standard methods), `Authorization` (and `DPoP`) set, `redirect` forced to `manual`, and a
 * deadline's signal added (linked to the app's own `signal`). Resolves to the response and the
 * deadline, which goes on covering the body. The app's own abort rejects with its reason,
 * unchanged.
 * @param {import("./session-types").HttpRequest} signed @param {RequestInit | undefined} init @param {number} ms
 * @param {string | undefined} proof
 * @returns {Promise<[Response, AbortController]>}
 */
async function sendApi(signed, init, ms, proof) {
  const url = signed.url;
  /** @type {RequestInit} */
  const o = Object.assign({}, init);
  o.method = signed.method;
  let headers;
  try {
    headers = new Headers(o.headers ?? undefined);
  } catch {
    throw sessionError("headers", undefined);
  }
  headers.set("Authorization", signed.headers.Authorization);
  if (proof !== undefined) headers.set("DPoP", proof);
  const user = typeof AbortSignal !== "undefined" && o.signal instanceof AbortSignal ? o.signal : undefined;
  const c = deadline(ms, user);
  o.headers = headers;
  o.redirect = "manual";
  o.signal = c.signal;
  let request;
  try {
    request = new Request(url, o);
  } catch {
    throw sessionError("init", undefined);
  }
  let res;
  try {
    res = await fetch(request);
  } catch (e) {
    if (user?.aborted && !timedOut(c)) throw e;
    throw sessionError(timedOut(c) ? "timeout" : "network", undefined);
  }
  if (res.type === "opaqueredirect") throw sessionError("redirect", undefined);
  return [res, c];
}

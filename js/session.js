// The browser session of the package's sign-in entry: `ExpensicatAuth`. It keeps the tokens,
// runs `fetch` and the timers, and stores what the app opted into; every protocol decision
// (which token to use, what a 401 or 429 means, what a refresh's failure does, what the address
// bar shows, what a callback or a stored record is worth) is made by the Rust core through the
// exports of the WebAssembly module. It is JavaScript because a session in Rust costs the page
// about 26 KB gzip of async machinery (measured, README "Benchmark"), and the same orchestration here
// costs a tenth of that.
//
// Tokens are kept in this object's private fields (or in sessionStorage by opt-in), never shown
// by `session`, `toString`, `toJSON` or an error.

import {
  ExpensicatClient,
  apiError,
  bearerSessionRecord,
  readSessionRecord,
  refreshVerdict,
  sessionError,
} from "./glue.mjs";
import { deadline, isStream, post, postAndRead, readBody, timedOut } from "./http.js";

const PREFIX = "expensicat-auth:";
const TX = PREFIX + "tx:";
const DONE = PREFIX + "done:";
/** How long a tab without a session waits for a live tab to send one, ms. */
const ASK_MS = 300;
/** How long a tab that finds a newer session elsewhere waits to receive it, ms. */
const CATCH_UP_MS = 2000;

/** Callbacks in flight or finished in this page, by `state`: React StrictMode runs effects twice. */
const callbacks = new Map();
/** The address bar as this page cleaned it, and what it showed before. */
let cleaned;

const absent = (v) => v === undefined || v === null;

function store() {
  try {
    return globalThis.sessionStorage ?? undefined;
  } catch {
    return undefined;
  }
}

function get(key) {
  const s = store();
  if (!s) throw sessionError("no_storage");
  try {
    return s.getItem(key);
  } catch {
    throw sessionError("storage_read");
  }
}

function set(key, value) {
  const s = store();
  if (!s) throw sessionError("no_storage");
  try {
    s.setItem(key, value);
  } catch {
    throw sessionError("storage_write");
  }
}

function remove(key) {
  try {
    store()?.removeItem(key);
  } catch {
    // Nothing to remove where storage is unavailable.
  }
}

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

/** The error of a failed fetch or read under `c`: its deadline, else the network. */
const failure = (c) => sessionError(timedOut(c) ? "timeout" : "network");


const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A timer that does not keep Node's event loop alive. */
function later(fn, ms) {
  const t = setTimeout(fn, ms);
  t?.unref?.();
}

// The library's IndexedDB database for sessions: the newest session's sequence number per
// client (store `seq`), and with `storage: "indexedDB"` the sealed session and its key (store
// `sealed`).
//
// The sequence number is not a secret, but the one value the tabs must agree on before a
// refresh. A tab holding the refresh lock reads it there (a committed IndexedDB write is visible
// to every later transaction of the origin, which a BroadcastChannel message racing the lock's
// release is not), so it never sends a refresh token that another tab has rotated away.
let db;
function idb(store, mode, op) {
  db ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(PREFIX + "sessions", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("seq");
      r.result.createObjectStore("sealed");
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return db.then(
    (d) =>
      new Promise((resolve, reject) => {
        const tx = d.transaction(store, mode);
        const req = op(tx.objectStore(store));
        tx.oncomplete = () => resolve(req.result);
        tx.onerror = tx.onabort = () => reject(tx.error);
      }),
  );
}
const seqGet = (key) => idb("seq", "readonly", (s) => s.get(key)).catch(() => undefined);
// Without IndexedDB the tabs still coordinate through the lock and the channel.
const seqPut = (key, value) => idb("seq", "readwrite", (s) => s.put(value, key)).catch(() => {});

// `storage: "indexedDB"`: the session record sealed with AES-GCM (256-bit key, generated in the
// browser, non-extractable, kept in the same database), a fresh 96-bit IV per write. The
// additional data binds the ciphertext to the client and to the sequence numbers stored beside
// it, so every field is authenticated: a record changed in any way does not open
// (`corrupt_record`).
const aad = (clientId, seq, login) => new TextEncoder().encode(`${PREFIX}session:v1:${clientId}:${seq}:${login}`);

async function sessionKey(clientId, create) {
  const id = "key:" + clientId;
  let key = await idb("sealed", "readonly", (s) => s.get(id));
  if (!key && create) {
    key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    await idb("sealed", "readwrite", (s) => s.put(key, id));
  }
  return key;
}

async function seal(clientId, record, seq, login) {
  const key = await sessionKey(clientId, true);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(clientId, seq, login) }, key, new TextEncoder().encode(JSON.stringify(record)));
  await idb("sealed", "readwrite", (s) => s.put({ v: 1, iv, seq, login, ct }, "rec:" + clientId));
}

/** The stored session: `undefined` when there is none, `null` when it does not open. */
async function unseal(clientId) {
  const sealed = await idb("sealed", "readonly", (s) => s.get("rec:" + clientId));
  if (sealed === undefined) return undefined;
  try {
    const key = await sessionKey(clientId, false);
    const { v, iv, seq, login, ct } = sealed;
    if (v !== 1 || !(iv instanceof Uint8Array) || iv.length !== 12 || !Number.isSafeInteger(seq) || !Number.isSafeInteger(login)) return null;
    const text = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad(clientId, seq, login) }, key, ct);
    return { record: readSessionRecord(new TextDecoder().decode(text)), seq, login };
  } catch {
    return null;
  }
}

/** What the app may see of a session record: never a token. */
function info(t) {
  const out = { scopes: t.scopes.slice() };
  if (t.expiresAt !== undefined) out.expiresAt = t.expiresAt;
  out.hasRefreshToken = t.refresh !== undefined;
  out.mode = t.mode;
  return out;
}

/**
 * A signed-in Expensicat session for a single-page app: login, callback, tokens kept in memory
 * (or `sessionStorage` by opt-in), single-flight refresh, and a `fetch` that signs only API
 * requests.
 */
export class ExpensicatAuth {
  #c;
  #s;
  /** The session record `{v, access, expiresAt?, refresh?, scopes, mode}`, or undefined. */
  #t;
  /** The refresh in flight: `{id, p}`. */
  #refreshing;
  #refreshes = 0;
  /** Bumped by logout and session end, so a refresh finishing afterwards is discarded. */
  #generation = 0;
  #listeners = new Set();
  /** The session's sequence number: a login sets it from the clock, each refresh adds one. */
  #seq = 0;
  /** The sequence number of the login this session comes from (refreshes keep it). */
  #login = 0;
  /** The channel to the other tabs of this origin and client (`shareAcrossTabs`). */
  #bc;
  /** Settles when a live tab answered this one's request for the session, or after ASK_MS. */
  #asked;
  #answered;
  /** With `storage: "indexedDB"`: settles when the stored session is read. */
  #loaded;
  /** A stored session that did not open: the next call rejects with `corrupt_record`, once. */
  #corrupt = false;
  /** The sealed writes, in order. */
  #writes = Promise.resolve();

  /**
   * Validates `config` (HTTPS endpoints, registered redirect URI, known scopes) and picks up a
   * stored session when `storage: "sessionStorage"`.
   */
  constructor(config) {
    this.#c = new ExpensicatClient(config);
    this.#s = this.#c.settings;
    if (this.#s.storage === "sessionStorage") {
      try {
        const text = get(this.#key());
        if (text !== null) {
          this.#t = readSessionRecord(text);
          const [seq, login] = String(get(this.#key("seq:"))).split("/");
          this.#seq = Number(seq) || 0;
          this.#login = Number(login) || 0;
        }
      } catch {
        // No storage, or a corrupt record: no session.
      }
    }
    if (this.#s.storage === "indexedDB") this.#loaded = this.#load();
    if (this.#s.shareAcrossTabs && typeof BroadcastChannel === "function") {
      this.#bc = new BroadcastChannel(PREFIX + this.#s.clientId);
      this.#bc.onmessage = (e) => this.#receive(e.data);
      this.#bc.unref?.();
      // Ask the live tabs for their session (a newer one than a stored copy, too).
      this.#asked = new Promise((resolve) => {
        this.#answered = resolve;
        later(resolve, ASK_MS);
      });
      this.#bc.postMessage({ t: "ask" });
    }
  }

  /** Reads the sealed session (`storage: "indexedDB"`). One that does not open is removed, and
   * ends the session with reason `corrupt_record`; the next call rejects with that code. */
  async #load() {
    const id = this.#s.clientId;
    let stored;
    try {
      stored = await unseal(id);
    } catch {
      return; // No IndexedDB here: a session in memory.
    }
    if (stored === null) {
      await idb("sealed", "readwrite", (s) => s.delete("rec:" + id)).catch(() => {});
      if (this.#t) return;
      this.#corrupt = true;
      this.#emit("ended", "corrupt_record");
    } else if (stored && (!this.#t || stored.seq > this.#seq)) {
      this.#t = stored.record;
      this.#seq = stored.seq;
      this.#login = stored.login;
      this.#emit("started", "restored");
    }
  }

  /** A message from another tab: `ask` (send the session), `session` (a newer one), `ended`. */
  #receive(m) {
    if (!m || typeof m !== "object") return;
    if (m.t === "ask") {
      if (this.#t) this.#share();
    } else if (m.t === "session" && typeof m.seq === "number" && (!this.#t || m.seq > this.#seq)) {
      let record;
      try {
        // Checked like a stored record: only what this library would have written.
        record = readSessionRecord(JSON.stringify(m.rec));
      } catch {
        return;
      }
      const had = this.#t !== undefined;
      this.#generation++;
      this.#t = record;
      this.#seq = m.seq;
      this.#login = Number(m.login) || 0;
      this.#persist();
      this.#answered?.();
      this.#emit(had ? "refreshed" : "started", had ? undefined : "tab");
    } else if (m.t === "ended" && this.#t && typeof m.seq === "number" && m.seq >= this.#login) {
      // The session another tab ended is this one (same login, whether or not this tab has seen
      // its latest refresh) or an older one; a login made after it stays.
      this.#end(String(m.reason), true);
    }
  }

  /** Tells the other tabs about this tab's (new) session. */
  #share() {
    this.#bc?.postMessage({ t: "session", rec: this.#t, seq: this.#seq, login: this.#login });
  }

  #key(kind = "session:") {
    return PREFIX + kind + this.#s.clientId;
  }

  #persist() {
    if (this.#s.storage === "indexedDB") {
      // A copy: the record is written as it is now, with the numbers it has now.
      const [id, t, seq, login] = [this.#s.clientId, this.#t && { ...this.#t }, this.#seq, this.#login];
      this.#writes = this.#writes
        .then(() => (t ? seal(id, t, seq, login) : idb("sealed", "readwrite", (s) => s.delete("rec:" + id))))
        .catch(() => {
          // Not stored: the session goes on in memory.
        });
      return;
    }
    if (this.#s.storage !== "sessionStorage") return;
    try {
      if (this.#t) {
        set(this.#key(), JSON.stringify(this.#t));
        set(this.#key("seq:"), `${this.#seq}/${this.#login}`);
      } else {
        remove(this.#key());
        remove(this.#key("seq:"));
      }
    } catch {
      // The session goes on in memory.
    }
  }

  #emit(type, reason) {
    const event = { type };
    if (reason !== undefined) event.reason = reason;
    if (this.#t) event.session = info(this.#t);
    for (const entry of [...this.#listeners]) {
      try {
        entry.listener(event);
      } catch {
        // A throwing listener must not break the session.
      }
    }
  }

  /** Ends the session here, and in the other tabs unless they told this one. */
  #end(reason, fromTab) {
    const had = this.#t !== undefined;
    this.#t = undefined;
    this.#generation++;
    this.#refreshing = undefined;
    this.#persist();
    if (had && !fromTab) this.#bc?.postMessage({ t: "ended", reason, seq: this.#seq });
    if (had) this.#emit("ended", reason);
  }

  #start(record, reason) {
    this.#generation++;
    this.#t = record;
    // Newer than any session before it, in any tab.
    this.#seq = Math.max(Date.now() * 1000, this.#seq + 1);
    this.#login = this.#seq;
    this.#refreshing = undefined;
    this.#persist();
    if (this.#bc) seqPut(this.#s.clientId, this.#seq);
    this.#share();
    this.#emit("started", reason);
  }

  /** Removes expired login transactions and old "handled" markers. */
  #sweep(now) {
    for (const k of keys(TX)) {
      let keep = false;
      try {
        keep = JSON.parse(get(k)).expiresAt > now;
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
   * expired ones swept) and resolves to the authorize URL to navigate to.
   */
  async startLogin(options) {
    this.#sweep(Date.now());
    const start = this.#c.createLogin(options);
    set(TX + start.state, start.transaction);
    return start.url;
  }

  /**
   * Handles the redirect back (default: `location.href`). Cleans `code`/`state`/`iss` from the
   * address bar before any await, checks the callback against its stored transaction (consumed
   * once, even on failure), exchanges the code, and resolves to the session. Called twice with
   * the same URL it makes one token request and both calls share the outcome; a callback already
   * handled in an earlier page load rejects with `callback_already_handled`.
   */
  handleCallback(url) {
    if (!absent(url) && typeof url !== "string") return Promise.reject(sessionError("url"));
    const href = absent(url) ? currentCallbackUrl() : url;
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

  #exchange(href, state) {
    let request, requested;
    try {
      const stored = get(TX + state);
      if (stored === null) {
        let handled = false;
        try {
          handled = get(DONE + state) !== null;
        } catch {
          // Not known as handled.
        }
        throw sessionError(handled ? "callback_already_handled" : "state_mismatch");
      }
      // Consumed once, even when the checks below fail.
      remove(TX + state);
      try {
        set(DONE + state, String(Date.now() + this.#s.transactionTtlMs));
      } catch {
        // The transaction is gone all the same.
      }
      const validated = this.#c.parseCallback(href, stored);
      requested = validated.requestedScopes;
      request = this.#c.tokenRequest(validated);
    } catch (e) {
      return Promise.reject(e);
    }
    return (async () => {
      const got = await this.#tokenCall(request);
      const record = { v: 1, access: got.accessToken, expiresAt: got.expiresAt, refresh: got.refreshToken, scopes: got.scope ?? requested, mode: "oauth" };
      this.#start(record, "login");
      return info(record);
    })();
  }

  /** Sends a token request within the timeout and validates the answer within the size limit. */
  async #tokenCall(req) {
    const [res, body] = await postAndRead(req.url, req.headers, req.body, this.#s.timeoutMs, this.#s.maxTokenResponseBytes, sessionError);
    return this.#c.parseTokenResponse(res.status, body);
  }

  /** The single in-flight refresh, started if none is running; resolves to the session. */
  #refreshShared() {
    if (this.#refreshing) return this.#refreshing.p;
    const id = ++this.#refreshes;
    const p = this.#doRefresh().finally(() => {
      if (this.#refreshing?.id === id) this.#refreshing = undefined;
    });
    this.#refreshing = { id, p };
    return p;
  }

  /** One refresh at a time across the tabs (Web Locks): inside the lock, a tab whose session is
   * older than the newest one (another tab refreshed or signed in meanwhile) takes that one
   * instead of sending its own refresh token, which has been rotated away. The lock goes with a
   * closed tab, and each refresh has its timeout. */
  async #doRefresh() {
    const locks = globalThis.navigator?.locks;
    if (!this.#bc || !locks) return this.#refreshNow();
    // The session this refresh was asked for: if a newer one arrived by the time the lock is
    // held (another tab refreshed meanwhile), it is the answer, without a request.
    const from = this.#seq;
    // A tab frozen while it holds the lock must not block this one for ever: the wait is bounded
    // (twice the timeout: the holder's own refresh has the timeout), then `timeout`, with no
    // request sent.
    const wait = deadline(2 * this.#s.timeoutMs);
    return locks.request(this.#key("refresh:"), { signal: wait.signal }, async () => {
      wait.abort();
      const stored = await seqGet(this.#s.clientId);
      const newest = Math.max(typeof stored === "number" ? stored : 0, this.#seq);
      if (newest > from) {
        this.#bc.postMessage({ t: "ask" });
        for (let waited = 0; this.#seq < newest && waited < CATCH_UP_MS; waited += 25) await sleep(25);
        if (this.#seq < newest) {
          // The tab that holds the newer tokens is gone: this tab's refresh token is spent.
          this.#end("expired", true);
          throw sessionError("login_required");
        }
        if (!this.#t) throw sessionError("login_required");
        return info(this.#t);
      }
      return this.#refreshNow();
    }).catch((e) => {
      throw timedOut(wait) ? sessionError("timeout") : e;
    });
  }

  async #refreshNow() {
    const generation = this.#generation;
    const rt = this.#t?.refresh;
    if (rt === undefined) throw sessionError("login_required");
    const request = this.#c.refreshTokenRequest(rt);
    let got, err;
    try {
      got = await this.#tokenCall(request);
    } catch (e) {
      err = e;
    }
    const failed = err !== undefined;
    switch (refreshVerdict(failed ? String(err?.code) : undefined, failed ? err?.status : undefined, this.#generation !== generation)) {
      case 0: {
        const t = this.#t;
        t.access = got.accessToken;
        t.expiresAt = got.expiresAt;
        if (got.refreshToken !== undefined) t.refresh = got.refreshToken;
        if (got.scope !== undefined) t.scopes = got.scope;
        this.#seq++;
        this.#persist();
        if (this.#bc) {
          // Recorded before the lock is released, so the next holder sees it.
          await seqPut(this.#s.clientId, this.#seq);
          this.#share();
        }
        this.#emit("refreshed");
        return info(t);
      }
      case 1:
        this.#end("invalid_grant");
        throw err;
      case 2:
        throw err;
      default:
        throw sessionError("login_required");
    }
  }

  /**
   * Refreshes now (sharing a refresh already in flight) and resolves to the session.
   * `invalid_grant` ends the session (event `ended`, reason `invalid_grant`).
   */
  async refresh() {
    if (!this.#t) await this.#settled();
    if (this.#t?.refresh === undefined) throw sessionError("login_required");
    return this.#refreshShared();
  }

  /** Settles when the session that may be on its way (from a live tab, from IndexedDB) is here. */
  #settled() {
    return Promise.all([this.#asked, this.#loaded]);
  }

  /**
   * A valid access token: the cached one while fresh (checked against the clock on every call),
   * else one refresh shared by all callers. `stale` is a token the API just refused.
   */
  async #token(stale) {
    // A new tab or a reload: the session may be on its way from a live tab or from IndexedDB.
    if (!this.#t) await this.#settled();
    if (this.#corrupt && !this.#t) {
      this.#corrupt = false;
      throw sessionError("corrupt_record");
    }
    const t = this.#t;
    if (!t) throw sessionError("login_required");
    const which = stale === undefined ? 0 : stale === t.access ? 1 : 2;
    const step = this.#c.tokenStep(t.expiresAt, t.refresh !== undefined, which, Date.now());
    if (step === 0) return t.access;
    if (step === 2) {
      this.#end("expired");
      throw sessionError("login_required");
    }
    await this.#refreshShared();
    if (!this.#t) throw sessionError("login_required");
    return this.#t.access;
  }

  /**
   * A valid access token, refreshed when it expires within the clock skew (checked against the
   * clock on every call). Concurrent callers share one refresh. Rejects with `login_required`
   * when there is no session.
   */
  async accessToken() {
    return this.#token();
  }

  /** The signed exchange behind `fetch` and `fetchJson`: the response and its deadline. */
  async #send(input, init) {
    if (typeof input !== "string") throw sessionError("input");
    if (!absent(init) && typeof init !== "object") throw sessionError("init");
    const method = typeof init?.method === "string" ? init.method : "GET";
    // Refuse a foreign URL before touching the token: no refresh, no request.
    this.#c.checkApiUrl(input);
    const replayable = !isStream(init?.body);
    let token = await this.#token();
    let refreshed = false;
    let waited = false;
    for (;;) {
      const signed = this.#c.signRequest(token, method, input);
      const [res, c] = await sendApi(signed.url, signed.headers.Authorization, init, this.#s.timeoutMs);
      const attempt = (replayable ? 1 : 0) | (this.#t?.refresh !== undefined ? 2 : 0) | (refreshed ? 4 : 0) | (waited ? 8 : 0);
      const step = this.#c.nextStep(res.status, res.headers.get("Retry-After") ?? undefined, Date.now(), attempt);
      if (step === -1) return [res, c, method];
      if (step === -2) {
        refreshed = true;
        token = await this.#token(token);
      } else {
        waited = true;
        await sleep(step);
      }
    }
  }

  /**
   * `fetch` for the Expensicat API: `input` is a path below the API base (`/v1/transactions`)
   * or an absolute URL on the API origin (anything else rejects with `origin_not_allowed` before
   * any request). Adds `Authorization: Bearer`, never follows redirects, times out, refreshes
   * and retries once on 401, waits once on 429 when `Retry-After` is within `maxRetryAfterMs`.
   * The app's headers and body pass through unchanged.
   */
  async fetch(input, init) {
    return (await this.#send(input, init))[0];
  }

  /**
   * Like `fetch`, then resolves to the parsed JSON body of a 2xx answer, or rejects with a typed
   * error: `unauthorized`, `insufficient_scope` (with `requiredScope`), `rate_limited` (with
   * `retryAfterMs`), `api_error` (with `status`, `apiCode`), `invalid_response`.
   */
  async fetchJson(input, init) {
    const [res, c, method] = await this.#send(input, init);
    const status = res.status;
    const retryAfter = res.headers.get("Retry-After") ?? undefined;
    const body = await readBody(res, this.#s.maxResponseBytes, c, sessionError);
    if (status >= 200 && status < 300) {
      if (body === "") return null;
      try {
        return JSON.parse(body);
      } catch {
        throw sessionError("not_json", status);
      }
    }
    const at = input.indexOf("/api");
    throw apiError(status, body, retryAfter, Date.now(), method, at < 0 ? input : input.slice(at + 4));
  }

  /**
   * Direct bearer mode: use a token the app already has (an Expensicat session JWT) for signed
   * calls. It is never refreshed; `expiresAt` (ms since the epoch) is checked on each use.
   */
  useBearerToken(token, expiresAt) {
    this.#start(bearerSessionRecord(token, expiresAt), "bearer");
  }

  /**
   * Ends the session at once: forgets the tokens and any pending login transactions (event
   * `ended`, reason `logout`, in every tab of a shared session). Then, with a
   * `revocationEndpoint`, revokes the refresh token and the access token (RFC 7009), best effort,
   * each within the timeout. The promise settles when that is done, and never rejects: the local
   * session is over whatever the server answers.
   */
  logout() {
    const t = this.#t;
    for (const k of keys(TX)) remove(k);
    this.#end("logout");
    return this.#revoke(t);
  }

  async #revoke(t) {
    // A token the app supplied (bearer mode) is the app's to revoke.
    if (!t || t.mode !== "oauth") return;
    for (const [token, hint] of [[t.refresh, "refresh_token"], [t.access, "access_token"]]) {
      if (token === undefined) continue;
      const req = this.#c.revocationRequest(token, hint);
      if (!req) return;
      const c = deadline(this.#s.timeoutMs);
      try {
        const res = await post(req.url, req.headers, req.body, c);
        await res.body?.cancel();
      } catch {
        // Best effort: the next one is still tried.
      }
    }
  }

  /** The current session (scopes, expiry, whether it can refresh), or `undefined`. Never a token. */
  get session() {
    return this.#t ? info(this.#t) : undefined;
  }

  /** Calls `listener` on every session change; returns a function that unsubscribes. */
  onSessionChange(listener) {
    if (typeof listener !== "function") throw sessionError("listener");
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
 * Sends an API request: the app's `init` is copied, `Authorization` set, `redirect` forced to
 * `manual`, and a deadline's signal added (linked to the app's own `signal`). Resolves to the
 * response and the deadline, which goes on covering the body. The app's own abort rejects with
 * its reason, unchanged.
 */
async function sendApi(url, authorization, init, ms) {
  const o = Object.assign({}, init);
  let headers;
  try {
    headers = new Headers(o.headers ?? undefined);
  } catch {
    throw sessionError("headers");
  }
  headers.set("Authorization", authorization);
  const user = typeof AbortSignal !== "undefined" && o.signal instanceof AbortSignal ? o.signal : undefined;
  const c = deadline(ms, user);
  o.headers = headers;
  o.redirect = "manual";
  o.signal = c.signal;
  let request;
  try {
    request = new Request(url, o);
  } catch {
    throw sessionError("init");
  }
  let res;
  try {
    res = await fetch(request);
  } catch (e) {
    if (user?.aborted && !timedOut(c)) throw e;
    throw failure(c);
  }
  if (res.type === "opaqueredirect") throw sessionError("redirect");
  return [res, c];
}

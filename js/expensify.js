// The Expensify entry's classes: `ExpensifyCredential` (jobs through the Integration Server) and
// `ExpensifyCredentialStore` (sealed records in IndexedDB). They run `fetch`, the timers,
// IndexedDB and WebCrypto; every decision (validation, the job JSON with the credentials
// inside, the client-side limits, what an answer or a stored record is worth) is made by the
// Rust core through the exports of the WebAssembly module. JavaScript because the same
// orchestration in Rust costs the page about 11.6 KB gzip of async machinery (measured, README
// "Benchmark").
//
// The secret stays in the WebAssembly object (`ExpensifyClient`) that each credential keeps in a
// private field: no property, `toString` or `toJSON` returns it. It crosses into JavaScript only
// inside a request body on its way to `fetch`, and as the bytes sealed by WebCrypto (zeroed).

import {
  ExpensifyClient,
  connectionStatus,
  expensifyError,
  parseExpensifyResponse,
  readCredentialRecord,
} from "./glue.mjs";
import { postAndRead } from "./http.js";
import { idbDelete, idbGet, idbGetAll, idbOpen, idbPut, masterKey, seal, sharedTake, unseal } from "./credential-db.js";

const absent = (v) => v === undefined || v === null;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The limiter of each partnerUserID in this page: Expensify counts requests per ID. */
const limiters = new Map();

/**
 * Waits until the limits let a request by `c` go (or refuses, with `onRateLimit: "refuse"`).
 * The limits hold across the tabs and workers of the origin: the core decides on the send times
 * they all recorded for the partnerUserID, kept in IndexedDB (`sharedTake`). Where IndexedDB or
 * WebCrypto is missing or fails (Node, an insecure origin, some private modes), the limits hold
 * per page only: the page's limiter decides on its own times.
 */
async function underLimit(c) {
  const id = c.partnerUserId;
  let limiter = limiters.get(id);
  if (!limiter) limiters.set(id, (limiter = c.limiter()));
  for (;;) {
    const delay = await sharedTake(limiter, id).catch(() => limiter.take(Date.now()));
    if (delay === 0) return;
    if (c.refusesAtLimit) throw expensifyError("rate_limited", delay);
    await sleep(delay);
  }
}

/** Sends an `ExpensifyHttpRequest` under one deadline (body included) and reads the answer. */
async function post(req, ms) {
  const headers = { "Content-Type": req.contentType, Accept: "application/json" };
  const [res, body] = await postAndRead(req.url, headers, req.body, ms, req.maxBytes, expensifyError);
  return parseExpensifyResponse(res.status, body, req.expects, res.headers.get("Retry-After"), Date.now());
}

let coreOf;
/** Marks the construction of a stored credential (never reachable from outside the module). */
const STORED = Symbol("stored");

/**
 * An Expensify partner credential. The secret is never readable back; it is used only to sign
 * Integration Server requests.
 */
export class ExpensifyCredential {
  /** The validated credential (WebAssembly). */
  #c;
  #id;

  static {
    coreOf = (x) => (x !== null && typeof x === "object" && #c in x ? x.#c : undefined);
  }

  /**
   * Validates the fields (name required; HTTPS server URL, loopback allowed for development, no
   * user info, query or fragment; IDs and secret trimmed and non-empty). Errors carry the
   * offending `field`.
   */
  constructor(input, options) {
    if (input === STORED) [this.#c, this.#id] = options;
    else this.#c = new ExpensifyClient(input, options);
  }

  /** Forgets the credential now: the WebAssembly object, and the secret in it, is zeroed and
   * freed. Later calls reject with `invalid_parameter` (`credential`). */
  free() {
    this.#c?.free();
    this.#c = undefined;
  }

  /** The WebAssembly credential; `invalid_parameter` once freed. */
  get #core() {
    if (!this.#c) throw expensifyError("credential");
    return this.#c;
  }

  /** The store id, when this credential came from a store. */
  get id() {
    return this.#id;
  }
  /** Credential Name. */
  get name() {
    return this.#core.name;
  }
  /** Credential Description. */
  get description() {
    return this.#core.description;
  }
  /** The normalised Integration Server URL (without the API path). */
  get serverUrl() {
    return this.#core.serverUrl;
  }
  /** The endpoint requests go to. */
  get endpoint() {
    return this.#core.endpoint;
  }
  /** The partnerUserID. */
  get partnerUserId() {
    return this.#core.partnerUserId;
  }

  /** Builds the request (argument errors reject), keeps to the limits, sends, reads. */
  async #run(build) {
    const c = this.#core;
    const req = build(c);
    await underLimit(c);
    return post(req, c.timeoutMs);
  }

  /** Sends any job (a caller-supplied `credentials` key is refused). */
  send(job, extraFields) {
    return this.#run((c) => c.jobRequest(job, extraFields));
  }
  /** `get`/`policyList`. */
  policyList(adminOnly) {
    return this.#run((c) => c.policyListRequest(adminOnly));
  }
  /** `get`/`policy`: details of `policyIds`. */
  policyDetails(policyIds, fields) {
    return this.#run((c) => c.policyDetailsRequest(policyIds, fields));
  }
  /** `file`: resolves to the generated file name. */
  exportReports(filters, template, fileExtension) {
    return this.#run((c) => c.exportReportsRequest(filters, template, fileExtension));
  }
  /** `download`: resolves to the file's contents. */
  download(fileName) {
    return this.#run((c) => c.downloadRequest(fileName));
  }
  /** `create`/`expenses`. */
  createExpenses(employeeEmail, transactions) {
    return this.#run((c) => c.createExpensesRequest(employeeEmail, transactions));
  }
  /** `create`/`report`. */
  createReport(employeeEmail, policyId, title, expenses) {
    return this.#run((c) => c.createReportRequest(employeeEmail, policyId, title, expenses));
  }

  /** A `policyList` call that tells apart valid credentials, invalid credentials and an
   * unreachable server. Never rejects. */
  async testConnection() {
    try {
      await this.policyList();
      return { status: "valid" };
    } catch (e) {
      const code = typeof e?.code === "string" ? e.code : "error";
      return { status: connectionStatus(code), code, message: String(e?.message ?? e) };
    }
  }

  /** `ExpensifyCredential { "name", "partnerUserId", [secret redacted] }`. */
  toString() {
    return `ExpensifyCredential { ${JSON.stringify(this.name)}, ${JSON.stringify(this.partnerUserId)}, [secret redacted] }`;
  }

  /** Metadata only, for `JSON.stringify`: never the secret. */
  toJSON() {
    return { name: this.name, description: this.description, serverUrl: this.serverUrl, partnerUserId: this.partnerUserId };
  }
}

/** An IndexedDB call whose failure is `storage`. */
async function idb(call) {
  try {
    return await call();
  } catch {
    throw expensifyError("storage");
  }
}

/** The client of a stored record, its seal opened with every stored field as additional data;
 * `corrupt_record` when anything does not match. */
async function opened(key, record, id, options) {
  const { aad } = readCredentialRecord(record);
  let plain;
  try {
    plain = await unseal(key, record.iv, record.secret, aad);
  } catch {
    throw expensifyError("corrupt_record");
  }
  try {
    return ExpensifyClient.fromRecord(record, id, plain, options);
  } finally {
    plain.fill(0);
  }
}

const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Saved Expensify credentials in IndexedDB. Secrets are sealed with AES-GCM under a
 * non-extractable WebCrypto key kept in IndexedDB, and the seal authenticates every stored
 * field; `list` never returns a secret.
 */
export class ExpensifyCredentialStore {
  #db;

  /** Use `ExpensifyCredentialStore.open()`. */
  constructor(db) {
    this.#db = db;
  }

  /** Closes the database connection. */
  free() {
    this.#db?.close?.();
  }

  /** Opens the store (database `expensicat-auth` unless `name` is given). */
  static async open(name) {
    if (!absent(name) && typeof name !== "string") throw expensifyError("name");
    return new ExpensifyCredentialStore(await idb(() => idbOpen(name ?? "expensicat-auth")));
  }

  /** Saves `credential` (sealing its secret) and resolves to its new id. */
  async save(credential) {
    const c = coreOf(credential);
    if (!c) throw expensifyError("credential");
    const { record, aad, secret } = c.storeRecord(Date.now());
    try {
      const key = await idb(() => masterKey(this.#db));
      [record.iv, record.secret] = await idb(() => seal(key, secret, aad));
    } finally {
      secret.fill(0);
    }
    await idb(() => idbPut(this.#db, record));
    return record.id;
  }

  /** Every stored credential's metadata, oldest first; records that do not open are listed as
   * `{ id, error: "corrupt_record" }` after the others. */
  async list() {
    const all = await idb(() => idbGetAll(this.#db));
    const key = await idb(() => masterKey(this.#db));
    const ok = [];
    const corrupt = [];
    for (const record of all) {
      try {
        // Listed only when the seal opens: a rewritten field is reported, not shown.
        const { info, aad } = readCredentialRecord(record);
        (await unseal(key, record.iv, record.secret, aad)).fill(0);
        ok.push(info);
      } catch {
        corrupt.push({ id: typeof record?.id === "string" ? record.id : "", error: "corrupt_record" });
      }
    }
    ok.sort((a, b) => a.createdAt - b.createdAt || byId(a, b));
    return [...ok, ...corrupt.sort(byId)];
  }

  /** Loads a credential that can send jobs; rejects with `credential_not_found` or
   * `corrupt_record`. */
  async get(id, options) {
    if (typeof id !== "string") throw expensifyError("id");
    const record = await idb(() => idbGet(this.#db, id));
    if (absent(record)) throw expensifyError("credential_not_found");
    const key = await idb(() => masterKey(this.#db));
    return new ExpensifyCredential(STORED, [await opened(key, record, id, options), id]);
  }

  /** Deletes a credential (no error when there is none). */
  async delete(id) {
    if (typeof id !== "string") throw expensifyError("id");
    await idb(() => idbDelete(this.#db, id));
  }
}

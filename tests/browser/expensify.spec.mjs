// The package's Expensify classes (`ExpensifyCredential`, `ExpensifyCredentialStore` of the
// Expensify entry) in a real browser, against the emulator's Integration Server: the scenarios of
// tests/expensify.rs (which cover the Rust client), written for the classes the package ships.
// Run by tests/e2e/expensify.test.mjs in Chromium and Firefox, each test in a fresh page. Every
// failure path asserts the exact error code, that no error shows the secret, and the emulator's
// request counters.
import init, { ExpensifyCredential, ExpensifyCredentialStore, parseExpensifyResponse } from "/pkg/expensify/expensicat_auth_expensify.js";

import { assert, codeOf, control, counter, emu, eq, idbStore, rejection, runOne, unique } from "./harness.mjs";

let ready;

/** A partner registered with the emulator under a fresh ID (so limiters do not interfere). */
async function partner(name) {
  const id = unique(`aa_${name}`);
  const secret = unique("s3cr3t-partner-pass");
  await control("expensify-credentials", { partnerUserID: id, partnerUserSecret: secret });
  return [id, secret];
}

const credential = (id, secret, options) =>
  new ExpensifyCredential({ name: "Acme", description: "Nightly sync", serverUrl: emu, partnerUserId: id, partnerUserSecret: secret }, options);

const expensifyRequests = () => counter("expensify", "expensifyRequests");

/** The store's raw IndexedDB records, read and written as script with access to the origin could. */
const rawStore = (db, mode, op) => idbStore(db, "credentials", mode, op);
const rawRecords = (db) => rawStore(db, "readonly", (s) => s.getAll());
const rawPut = (db, record) => rawStore(db, "readwrite", (s) => s.put(record));

export const tests = {
  async every_job_type_against_the_emulator() {
    const [id, secret] = await partner("jobs");
    // Eight jobs in a row: the default 5-per-10 s limit would (rightly) make this test wait.
    const c = credential(id, secret, { rateLimits: [[100, 1000]] });
    eq(c.endpoint, `${emu}/Integration-Server/ExpensifyIntegrations`, "endpoint");
    const policies = await c.policyList();
    eq(policies.responseCode, 200, "responseCode");
    eq(policies.policyList.length, 2, "policies");
    const pid = policies.policyList[0].id;
    const details = await c.policyDetails([pid]);
    assert(typeof details.policyInfo[pid] === "object", "policy details");
    const file = await c.exportReports({ startDate: "2026-01-01" }, "<#list reports as r>${r.reportName}</#list>");
    eq(file, "exportedReport_emulator.csv", "file name");
    const csv = await c.download(file);
    assert(csv.startsWith("Merchant,Amount"), csv);
    const created = await c.createExpenses("e@example.com", [{ merchant: "Cafe", amount: 450, currency: "USD", created: "2026-10-01" }]);
    eq(created.transactionList[0].transactionID, "1000", "transactionID");
    const report = await c.createReport("e@example.com", pid, "Trip", []);
    eq(report.reportName, "Trip", "reportName");
    const generic = await c.send({ type: "get", inputSettings: { type: "policyList" } });
    eq(generic.responseCode, 200, "generic send");
  },

  async response_codes_in_the_body_decide() {
    const [id, secret] = await partner("codes");
    const c = credential(id, secret);
    eq(codeOf(await rejection(c.policyDetails(["NOPE"])), [secret]), "missing_or_not_found", "missing policy");
    const unknown = await rejection(c.send({ type: "frobnicate" }));
    eq(codeOf(unknown, [secret]), "expensify_error", "unknown job");
    eq(unknown.responseCode, 500, "responseCode");
    const noTemplate = await rejection(c.send({ type: "file", inputSettings: { type: "combinedReportData" } }));
    eq(codeOf(noTemplate, [secret]), "missing_or_not_found", "file without template");
    eq(codeOf(await rejection(credential(id, "not-the-secret").policyList()), [secret]), "invalid_credentials", "wrong secret");
    const injected = await rejection(c.send({ type: "get", credentials: { partnerUserID: "x", partnerUserSecret: "y" } }));
    eq(codeOf(injected, [secret]), "invalid_job", "caller credentials");
  },

  async test_connection_tells_the_three_cases_apart() {
    const [id, secret] = await partner("conn");
    eq((await credential(id, secret).testConnection()).status, "valid", "valid");
    eq((await credential(id, "wrong-secret").testConnection()).status, "invalid_credentials", "invalid");
    const down = new ExpensifyCredential({ name: "x", serverUrl: "http://127.0.0.1:9", partnerUserId: id, partnerUserSecret: secret }, { timeoutMs: 2000 });
    const res = await down.testConnection();
    eq(res.status, "unreachable", "unreachable");
    eq(res.code, "network", "code");
  },

  async server_429_timeout_and_html() {
    const [id, secret] = await partner("faults");
    const c = credential(id, secret, { timeoutMs: 400 });
    await control("faults", { endpoint: "expensify", status: 429, headers: { "Retry-After": "7" }, body: "Too Many Requests" });
    const e = await rejection(c.policyList());
    eq(codeOf(e, [secret]), "rate_limited", "429");
    eq(e.retryAfterMs, 7000, "retryAfterMs");
    await control("faults", { endpoint: "expensify", delayMs: 1500 });
    eq(codeOf(await rejection(c.policyList()), [secret]), "timeout", "slow server");
    await control("faults", { endpoint: "expensify", html: true });
    eq(codeOf(await rejection(c.policyList()), [secret]), "invalid_response", "HTML");
  },

  async client_side_limiter_refuses_or_waits() {
    let [id, secret] = await partner("limit");
    const refuse = credential(id, secret, { rateLimits: [[2, 60000]], onRateLimit: "refuse" });
    const before = await expensifyRequests();
    await refuse.policyList();
    await refuse.policyList();
    const e = await rejection(refuse.policyList());
    eq(codeOf(e), "rate_limited", "third call");
    assert(e.retryAfterMs > 59_000, `retryAfterMs ${e.retryAfterMs}`);
    eq((await expensifyRequests()) - before, 2, "the refused call sent nothing");
    // Another credential object for the same partnerUserID shares the page's limiter.
    const twin = credential(id, secret, { onRateLimit: "refuse" });
    eq(codeOf(await rejection(twin.policyList())), "rate_limited", "same partnerUserID");

    [id, secret] = await partner("wait");
    const waiter = credential(id, secret, { rateLimits: [[1, 300]] });
    const t0 = Date.now();
    await waiter.policyList();
    await waiter.policyList();
    assert(Date.now() - t0 >= 280, "the second call waited for the window");
  },

  async the_limiter_counts_the_sends_other_tabs_recorded() {
    // Issue 20 defect 11 within one page: the limiter decides on the send times kept in
    // IndexedDB for the partnerUserID (under its SHA-256), which every tab and worker records.
    const limits = (mode, op) =>
      new Promise((resolve, reject) => {
        // Never creates the database: without the library's, this fails at once.
        const r = indexedDB.open("expensicat-auth:expensify-limits");
        r.onupgradeneeded = () => r.transaction.abort();
        r.onerror = () => reject(new Error(`no limiter database: ${r.error}`));
        r.onsuccess = () => {
          try {
            const tx = r.result.transaction("sent", mode);
            const q = op(tx.objectStore("sent"));
            tx.oncomplete = () => resolve(q.result);
            tx.onabort = () => reject(tx.error);
          } catch (e) {
            reject(e);
          } finally {
            r.result.close();
          }
        };
      });
    const hash = (id) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(id));
    let [id, secret] = await partner("shared");
    const c = credential(id, secret, { onRateLimit: "refuse" });
    await c.policyList();
    const key = await hash(id);
    const recorded = await limits("readonly", (s) => s.get(key));
    assert(/^\d+$/.test(recorded), `the send is recorded: ${recorded}`);
    // Another tab's five sends, a second ago: this page may not send for about 9 s more.
    const now = Date.now();
    await limits("readwrite", (s) => s.put([5, 4, 3, 2, 1].map((i) => now - 1000 - i).join(","), key));
    const before = await expensifyRequests();
    const e = await rejection(c.policyList());
    eq(codeOf(e, [secret]), "rate_limited", "the other tab's sends count");
    assert(e.retryAfterMs > 8000 && e.retryAfterMs <= 9000, `retryAfterMs ${e.retryAfterMs}`);
    eq(await expensifyRequests(), before, "nothing sent");
    // A record that no limiter wrote is replaced by this page's own times: neither trusted nor
    // fatal to later requests.
    [id, secret] = await partner("rewritten");
    const d = credential(id, secret);
    await d.policyList();
    const key2 = await hash(id);
    await limits("readwrite", (s) => s.put({ not: "a list" }, key2));
    await d.policyList();
    assert(/^\d+,\d+$/.test(await limits("readonly", (s) => s.get(key2))), "an object replaced by the two sends");
    await limits("readwrite", (s) => s.put("not,a,list", key2));
    await d.policyList();
    assert(/^\d+,\d+,\d+$/.test(await limits("readonly", (s) => s.get(key2))), "a malformed list replaced by the three sends");
  },

  async validation_and_redaction() {
    const secret = "hunter2-partner-secret";
    const cases = [
      [{ name: "  " }, "invalid_credential", "name"],
      [{ partnerUserId: "" }, "invalid_credential", "partnerUserId"],
      [{ partnerUserSecret: " " }, "invalid_credential", "partnerUserSecret"],
      [{ serverUrl: "http://integrations.expensify.com" }, "insecure_url", "serverUrl"],
      [{ serverUrl: "https://u:p@integrations.expensify.com" }, "invalid_credential", "serverUrl"],
      [{ serverUrl: "https://integrations.expensify.com/?a=1" }, "invalid_credential", "serverUrl"],
      [{ extra: "x" }, "invalid_config", "credential"],
    ];
    for (const [patch, code, field] of cases) {
      let err;
      try {
        new ExpensifyCredential({ name: "n", partnerUserId: "id", partnerUserSecret: secret, ...patch });
      } catch (e) {
        err = e;
      }
      assert(err, `no error for ${JSON.stringify(patch)}`);
      eq(codeOf(err, [secret]), code, JSON.stringify(patch));
      eq(err.field, field, JSON.stringify(patch));
    }
    const c = new ExpensifyCredential({
      name: "n",
      serverUrl: "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations",
      partnerUserId: "id",
      partnerUserSecret: secret,
    });
    eq(c.endpoint, "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations", "pasted endpoint");
    eq(c.serverUrl, "https://integrations.expensify.com", "serverUrl");
    const shown = `${c} ${String(c)} ${JSON.stringify(c)} ${JSON.stringify({ c })}`;
    assert(!shown.includes(secret), shown);
    for (const key of ["partnerUserSecret", "secret", "partner_user_secret"]) eq(c[key], undefined, key);
    for (const key of [...Object.getOwnPropertyNames(c), ...Object.getOwnPropertySymbols(c)]) {
      assert(!String(c[key]).includes(secret), `own property ${String(key)}`);
    }
    // Freed: the secret is gone and every use is a typed error.
    c.free();
    eq(codeOf(await rejection(c.policyList())), "invalid_parameter", "a freed credential");
    let getter;
    try {
      void c.name;
    } catch (e) {
      getter = e;
    }
    eq(codeOf(getter), "invalid_parameter", "a freed credential's name");
  },

  async parse_expensify_response_reads_retry_after() {
    const now = Date.parse("2026-11-24T10:00:00Z");
    const e = (() => {
      try {
        parseExpensifyResponse(429, "", "json", "Tue, 24 Nov 2026 10:00:30 GMT", now);
      } catch (err) {
        return err;
      }
    })();
    eq(codeOf(e), "rate_limited", "429");
    eq(e.retryAfterMs, 30_000, "HTTP-date");
    eq(parseExpensifyResponse(200, '{"responseCode":200,"x":1}').x, 1, "JSON");
    eq(parseExpensifyResponse(200, "export.csv", "fileName"), "export.csv", "file name");
  },

  async encrypted_store_survives_reopen_and_reports_corruption() {
    const db = unique("store-test");
    const [id, secret] = await partner("store");
    let store = await ExpensifyCredentialStore.open(db);
    const first = await store.save(credential(id, secret));
    const second = await store.save(credential(id, secret));
    eq(codeOf(await rejection(store.save({ name: "not a credential" }))), "invalid_parameter", "save of a plain object");
    // A new connection, as after a reload, sees both.
    store = await ExpensifyCredentialStore.open(db);
    let list = await store.list();
    eq(list.length, 2, "listed");
    const item = list[0];
    eq(item.id, first, "oldest first");
    eq(item.name, "Acme", "name");
    eq(item.partnerUserId, id, "partnerUserId");
    eq(item.serverUrl, emu, "serverUrl");
    assert(item.createdAt > 0, "createdAt");
    assert(!JSON.stringify(list).includes(secret), "the listing shows no secret");
    // The raw IndexedDB records hold no plaintext secret anywhere.
    const raw = await rawRecords(db);
    for (const r of raw) {
      assert(r.secret instanceof Uint8Array && r.secret.length > 0, "a ciphertext");
      assert(!String.fromCharCode(...r.secret).includes(secret), "ciphertext is not the secret");
      assert(!JSON.stringify(r).includes(secret), "record shows no secret");
    }
    // A stored credential sends without the secret coming back to JS.
    const loaded = await store.get(first);
    eq(loaded.id, first, "id");
    eq((await loaded.testConnection()).status, "valid", "stored credential works");
    // Corruption: a junk record and a tampered ciphertext are reported; the rest still work.
    await rawPut(db, { id: "junk", name: 5 });
    const tampered = raw.find((r) => r.id === second);
    tampered.secret[0] ^= 1;
    await rawPut(db, tampered);
    list = await store.list();
    eq(list.length, 3, "listed with corrupt ones");
    eq(list[0].id, first, "the good one first");
    // Both the junk record and the tampered one are listed as corrupt: the listing opens every
    // seal, so a record is never shown with fields that do not authenticate.
    eq(JSON.stringify(list.slice(1).map((x) => x.id).sort()), JSON.stringify(["junk", second].sort()), "corrupt ids");
    assert(list.slice(1).every((x) => x.error === "corrupt_record"), "corrupt entries");
    eq(codeOf(await rejection(store.get("junk"))), "corrupt_record", "junk");
    eq(codeOf(await rejection(store.get(second))), "corrupt_record", "tampered");
    await store.get(first);
    // Delete.
    await store.delete(second);
    await store.delete("junk");
    eq((await store.list()).length, 1, "after deletes");
    await store.delete(first);
    eq(codeOf(await rejection(store.get(first))), "credential_not_found", "deleted");
  },

  async a_rewritten_record_field_is_corrupt_and_nothing_is_sent() {
    const db = unique("tamper");
    const [id, secret] = await partner("tamper");
    const store = await ExpensifyCredentialStore.open(db);
    const saved = await store.save(credential(id, secret));
    const [original] = await rawRecords(db);
    const capture = `${emu}/capture`;
    const capturedBefore = await counter("capture", "captured");
    // Script that can write the page's IndexedDB rewrites one stored field at a time.
    const rewrites = [
      ["serverUrl", capture],
      ["name", "Evil"],
      ["description", "changed"],
      ["partnerUserId", "aa_someone_else"],
      ["createdAt", 1],
      ["v", 1],
    ];
    for (const [field, value] of rewrites) {
      await rawPut(db, { ...original, [field]: value });
      eq(codeOf(await rejection(store.get(saved)), [secret]), "corrupt_record", field);
      eq((await store.list())[0].error, "corrupt_record", `${field} listed`);
    }
    // The sealed record copied under another id does not open either.
    await rawPut(db, { ...original, id: "moved-record" });
    eq(codeOf(await rejection(store.get("moved-record")), [secret]), "corrupt_record", "moved");
    // The untouched record still works, and talks to its own server.
    await rawPut(db, original);
    await (await store.get(saved)).policyList();
    eq(await counter("capture", "captured"), capturedBefore, "nothing reached the capture server");
    // The capture server does count what reaches it (so the check above can fail).
    await new ExpensifyCredential({ name: "x", serverUrl: capture, partnerUserId: "aa_capture_probe", partnerUserSecret: "probe-secret" }).policyList();
    eq(await counter("capture", "captured"), capturedBefore + 1, "the probe was captured");
  },

  async without_cors_headers_the_network_error_names_cors() {
    const [id, secret] = await partner("cors");
    const c = credential(id, secret);
    await control("settings", { expensifyCors: false });
    let err;
    let verdict;
    try {
      err = await rejection(c.policyList());
      verdict = await c.testConnection();
    } finally {
      await control("settings", { expensifyCors: true });
    }
    eq(codeOf(err, [secret]), "network", "without CORS");
    assert(err.message.includes("CORS") && err.message.includes("serverUrl"), err.message);
    eq(verdict.status, "unreachable", "testConnection");
    await c.policyList();
  },

  async expensify_bodies_are_bounded_and_under_the_deadline() {
    const [id, secret] = await partner("bounded");
    let c = credential(id, secret, { timeoutMs: 800, rateLimits: [[100, 1000]] });
    // Headers, then a stall: the deadline covers the body.
    await control("faults", { endpoint: "expensify", stall: true });
    const t0 = Date.now();
    eq(codeOf(await rejection(c.policyList()), [secret]), "timeout", "stall after headers");
    assert(Date.now() - t0 < 5000, "within the deadline");
    // 40 MiB declared, and 40 MiB streamed without a length: the read stops at 1 MiB (see
    // tests/expensify.rs for why the pace is slow and the deadline long).
    c = credential(id, secret, { timeoutMs: 20000, rateLimits: [[100, 1000]] });
    for (const [spec, name] of [
      [{ endpoint: "expensify", hugeBytes: 41943040, paceMs: 8, counter: "xDeclared" }, "xDeclared"],
      [{ endpoint: "expensify", hugeBytes: 41943040, undeclared: true, paceMs: 8, counter: "xUndeclared" }, "xUndeclared"],
    ]) {
      await control("faults", spec);
      const err = await rejection(c.policyList());
      const sent = await counter("*", name);
      eq(codeOf(err, [secret]), "invalid_response", name);
      assert(sent < 8 * 1024 * 1024, `${name}: the server wrote ${sent} B before the client gave up`);
      assert(sent > 0, `${name}: the body was written (the counter works)`);
    }
  },
};

/** Runs one test; resolves to `{ ok }` or `{ ok: false, error }`. */
export function run(name) {
  return runOne(tests, name, async () => {
    ready ??= init();
    await ready;
  });
}

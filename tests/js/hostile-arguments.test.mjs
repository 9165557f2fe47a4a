// Issue 20 defect 9: an argument whose reading runs the caller's code, and that code throws (a
// getter on an array index, a Proxy trap, `toJSON`), or that JSON cannot write (a BigInt, a
// cycle). Every export of both entries that reads an array or object argument is called with each
// one (Node, the built package): the answer is an ExpensicatAuthError naming the argument, and the
// object called stays usable (a valid call afterwards works, `free()` works, and a refresh token
// passed in the failed call is not left in wasm memory).
//
// On the main before the fix (8846a1a) this fails: `client.refreshTokenRequest(token, arr)` with a
// throwing getter at `arr[0]` threw the caller's own Error out of the middle of the wasm call; the
// client stayed borrowed, so `free()` threw "attempted to take ownership of Rust value while it was
// borrowed", and the refresh token stayed in wasm memory. The same for every array argument
// (`policyIds`, `fields`, `scopes`) and for a Proxy as the `callback` of `tokenRequest`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { loadLib } from "./helpers.mjs";
import { startEmulator } from "../../scripts/emulator.mjs";

const lib = await loadLib();
let emu;
before(async () => {
  emu = await startEmulator({ quiet: true });
});
after(async () => emu?.close());

const boom = () => {
  throw new Error("the caller's code threw");
};

/** Arrays whose reading throws, or that JSON cannot write. Fresh each time. */
function hostileArrays() {
  const getter = ["x"];
  Object.defineProperty(getter, 0, { get: boom });
  const revoked = Proxy.revocable(["x"], {});
  revoked.revoke();
  const cycle = ["x"];
  cycle.push(cycle);
  return {
    "a getter on index 0 that throws": getter,
    "a Proxy whose get trap throws": new Proxy(["x"], { get: boom }),
    "a Proxy whose length throws": new Proxy(["x"], { get: (t, k) => (k === "length" ? boom() : t[k]) }),
    "a revoked Proxy": revoked.proxy,
    "an item whose toJSON throws": ["x", { toJSON: boom }],
    "a BigInt item": ["x", 10n],
    "a cycle": cycle,
  };
}

/** Objects whose reading throws, or that JSON cannot write. Fresh each time. */
function hostileObjects() {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const cycle = { name: "x" };
  cycle.self = cycle;
  return {
    "a getter that throws": { get name() { return boom(); } },
    "a toJSON that throws": { toJSON: boom },
    "a Proxy whose ownKeys trap throws": new Proxy({ name: "x" }, { ownKeys: boom }),
    "a Proxy whose get trap throws": new Proxy({ name: "x" }, { get: boom }),
    "a revoked Proxy": revoked.proxy,
    "a BigInt member": { name: "x", n: 10n },
    "a member array with a throwing getter": { scopes: hostileArrays()["a getter on index 0 that throws"] },
    "a cycle": cycle,
  };
}

/** `fn()` throws (or rejects with) an ExpensicatAuthError `code` (naming `field`, if given). */
async function typedError(fn, code, field, what) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what}: no error`);
  assert.equal(err.name, "ExpensicatAuthError", `${what}: a raw ${err?.constructor?.name}: ${err?.message}`);
  assert.equal(err.code, code, `${what}: ${err.message}`);
  if (field) assert.equal(err.field, field, `${what}: field`);
}

/** Whether the UTF-8 bytes of `text` are anywhere in the wasm module's memory. */
function inMemory(memory, text) {
  return Buffer.from(memory.buffer).includes(Buffer.from(text));
}

const config = { clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] };

test("issue 20 defect 9: the sign-in entry answers throwing and unwritable arguments with invalid_parameter, and stays usable", async () => {
  const client = new lib.ExpensicatClient(config);
  for (const [what, arr] of Object.entries(hostileArrays())) {
    const token = `rt-${Math.random().toString(36).slice(2)}-refresh-token`;
    await typedError(() => client.refreshTokenRequest(token, arr), "invalid_parameter", "scopes", `refreshTokenRequest, ${what}`);
    assert.ok(!inMemory(lib.wasm.signin.memory, token), `refreshTokenRequest, ${what}: the refresh token is still in wasm memory`);
    // The client was not left borrowed: the next call works.
    const req = client.refreshTokenRequest("rt-valid", ["transactions:read"]);
    assert.equal(JSON.parse(req.body).refresh_token, "rt-valid");
    await typedError(() => client.createLogin({ scopes: arr }), "invalid_parameter", "options", `createLogin, ${what}`);
    await typedError(() => new lib.ExpensicatClient({ ...config, scopes: arr }), "invalid_parameter", "config", `new ExpensicatClient, ${what}`);
  }
  for (const [what, obj] of Object.entries(hostileObjects())) {
    await typedError(() => client.createLogin(obj), "invalid_parameter", "options", `createLogin, ${what}`);
    await typedError(() => new lib.ExpensicatClient(obj), "invalid_parameter", "config", `new ExpensicatClient, ${what}`);
    await typedError(() => lib.buildAuthorizeUrl(obj), "invalid_parameter", "params", `buildAuthorizeUrl, ${what}`);
  }
  // A Proxy as the callback: `instanceof` runs its getPrototypeOf trap.
  for (const [what, callback] of Object.entries({
    "a Proxy whose getPrototypeOf trap throws": new Proxy({}, { getPrototypeOf: boom }),
    ...hostileObjects(),
  })) {
    await typedError(() => client.tokenRequest(callback), "invalid_parameter", "callback", `tokenRequest, ${what}`);
  }
  const start = client.createLogin();
  assert.ok(start.url.startsWith("https://api.expensicat.com/"));
  client.free();
});

test("issue 20 defect 9: the Expensify entry answers throwing and unwritable arguments with invalid_parameter, and stays usable", async () => {
  const secret = "demo-partner-secret-7c1f";
  const input = { name: "Acme", serverUrl: emu.url, partnerUserId: "aa_demo_partner", partnerUserSecret: secret };
  const options = { rateLimits: [[1000, 1000]] };
  const xc = new lib.ExpensifyClient(input, options);
  const cred = new lib.ExpensifyCredential(input, options);
  const job = { type: "get", inputSettings: { type: "policyList" } };
  for (const [what, arr] of Object.entries(hostileArrays())) {
    await typedError(() => xc.policyDetailsRequest(arr), "invalid_parameter", "policyIds", `policyDetailsRequest, ${what}`);
    await typedError(() => xc.policyDetailsRequest(["P1"], arr), "invalid_parameter", "fields", `policyDetailsRequest fields, ${what}`);
    await typedError(() => xc.createExpensesRequest("e@example.com", arr), "invalid_parameter", "transactions", `createExpensesRequest, ${what}`);
    await typedError(() => xc.createReportRequest("e@example.com", "P1", "Trip", arr), "invalid_parameter", "expenses", `createReportRequest, ${what}`);
    await typedError(() => cred.policyDetails(arr), "invalid_parameter", "policyIds", `credential.policyDetails, ${what}`);
    await typedError(() => cred.createExpenses("e@example.com", arr), "invalid_parameter", "transactions", `credential.createExpenses, ${what}`);
    await typedError(() => new lib.ExpensifyClient(input, { rateLimits: arr }), "invalid_parameter", "options", `new ExpensifyClient options, ${what}`);
    // Still usable.
    assert.match(xc.policyDetailsRequest(["P1"]).body, /policyIDList/);
  }
  for (const [what, obj] of Object.entries(hostileObjects())) {
    await typedError(() => new lib.ExpensifyClient(obj), "invalid_parameter", "credential", `new ExpensifyClient, ${what}`);
    await typedError(() => new lib.ExpensifyCredential(obj), "invalid_parameter", "credential", `new ExpensifyCredential, ${what}`);
    await typedError(() => xc.jobRequest(obj), "invalid_parameter", "job", `jobRequest, ${what}`);
    await typedError(() => xc.jobRequest(job, obj), "invalid_parameter", "extraFields", `jobRequest extraFields, ${what}`);
    await typedError(() => xc.exportReportsRequest(obj, "<#list reports as r>x</#list>"), "invalid_parameter", "filters", `exportReportsRequest, ${what}`);
    await typedError(() => cred.send(obj), "invalid_parameter", "job", `credential.send, ${what}`);
    await typedError(() => cred.exportReports(obj, "t"), "invalid_parameter", "filters", `credential.exportReports, ${what}`);
    // A stored record that cannot be read is a corrupt one.
    await typedError(() => lib.readCredentialRecord(obj), "corrupt_record", undefined, `readCredentialRecord, ${what}`);
  }
  // The sealed secret's bytes: only a real Uint8Array, copied without running the caller's code.
  const { record, secret: bytes } = xc.storeRecord(Date.now());
  // A real Uint8Array is copied through its internal slots: its own `length` getter never runs.
  const lying = new Uint8Array(bytes);
  Object.defineProperty(lying, "length", { get: boom });
  lib.ExpensifyClient.fromRecord(record, record.id, lying, options).free();
  for (const [what, b] of Object.entries({
    "a Proxy of a Uint8Array whose get trap throws": new Proxy(new Uint8Array(bytes), { get: boom }),
    "a Proxy whose getPrototypeOf trap throws": new Proxy(new Uint8Array(bytes), { getPrototypeOf: boom }),
  })) {
    await typedError(() => lib.ExpensifyClient.fromRecord(record, record.id, b, options), "corrupt_record", undefined, `fromRecord, ${what}`);
  }
  assert.equal(lib.ExpensifyClient.fromRecord(record, record.id, bytes, options).partnerUserId, "aa_demo_partner");
  // Both still work against the emulator, and free.
  assert.match(xc.jobRequest(job).body, /policyList/);
  const policies = await cred.policyList();
  assert.equal(policies.responseCode, 200);
  xc.free();
  cred.free();
});

test("issue 20 defect 11: ExpensifyLimiter.take decides on the send times other pages recorded, and reads them like any argument", async () => {
  const options = { rateLimits: [[2, 10_000]] };
  const xc = new lib.ExpensifyClient({ name: "Acme", partnerUserId: "aa_limits", partnerUserSecret: "limits-secret" }, options);
  // Two pages' limiters: what one records, the other counts.
  const [a, b] = [xc.limiter(), xc.limiter()];
  const now = Date.now();
  assert.equal(a.take(now), 0);
  assert.equal(b.take(now + 1, a.sent), 0);
  assert.equal(b.sent, `${now},${now + 1}`);
  assert.equal(a.take(now + 2, b.sent), 10_000 - 2, "the second page's send counts in the first");
  assert.equal(a.take(now + 2), 10_000 - 2, "and stays counted");
  // Wrong types are invalid_parameter; a string no limiter wrote is corrupt_record, and the
  // limiter keeps its own times.
  const c = xc.limiter();
  assert.equal(c.take(now, `${now - 20_000}`), 0);
  for (const [what, bad] of Object.entries({ number: 5, object: {}, array: [now], symbol: Symbol("s"), bigint: 10n, function: () => 1, ...hostileObjects() })) {
    await typedError(() => c.take(now, bad), "invalid_parameter", "sent", `take, ${what}`);
  }
  for (const bad of ["x", "1,,2", "1,", " 1", "[1]", "-5", "99999999999999999999"]) {
    await typedError(() => c.take(now, bad), "corrupt_record", undefined, `take, ${JSON.stringify(bad)}`);
  }
  assert.equal(c.sent, `${now}`, "its own times are kept");
  assert.equal(c.take(now + 1, undefined), 0);
  assert.equal(c.take(now + 2, null), 10_000 - 2);
  for (const l of [a, b, c]) l.free();
  xc.free();
});

// `new ExpensicatAuth(config)` reads its argument only as a configuration, as
// `new ExpensicatClient(config)` does (the client `ExpensicatAuth.discover` made reaches it
// another way): no `instanceof`, which would run a Proxy's trap and take an object inheriting
// the prototype, or a freed client, for a client.
/** What `fn()` throws: "ok" when it returns, else the error's name and code. */
function outcome(fn) {
  try {
    const v = fn();
    v?.close?.();
    return "ok";
  } catch (e) {
    return `${e?.name}${e?.code === undefined ? "" : " " + e.code}`;
  }
}

test("new ExpensicatAuth(hostile config) answers as new ExpensicatClient does: a typed error or a session, never a raw exception", () => {
  const config = { clientId: "c", redirectUri: "https://app.example/cb", scopes: ["transactions:read"], storage: "memory" };
  const revoked = Proxy.revocable({ ...config }, {});
  revoked.revoke();
  const freed = new lib.ExpensicatClient(config);
  freed.free();
  const cases = {
    "a revoked Proxy": revoked.proxy,
    "a Proxy whose getPrototypeOf trap throws": new Proxy({ ...config }, { getPrototypeOf: () => { throw new Error("the caller's code threw"); } }),
    "a Proxy claiming ExpensicatClient.prototype": new Proxy({ ...config }, { getPrototypeOf: () => lib.ExpensicatClient.prototype }),
    "an object inheriting from ExpensicatClient.prototype": Object.assign(Object.create(lib.ExpensicatClient.prototype), config),
    "a freed client": freed,
  };
  const wrong = [];
  for (const [what, value] of Object.entries(cases)) {
    const client = outcome(() => new lib.ExpensicatClient(value));
    const auth = outcome(() => new lib.ExpensicatAuth(value));
    if (auth !== client) wrong.push(`${what}: ExpensicatAuth ${auth}, ExpensicatClient ${client}`);
  }
  assert.deepEqual(wrong, []);
  // The module still works.
  assert.equal(lib.codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

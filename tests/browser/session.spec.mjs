// The package's JavaScript session (`ExpensicatAuth` of the sign-in entry) in a real browser,
// against the local emulator: the scenarios of tests/session.rs (which cover the Rust session),
// written for the class the package ships. Run by tests/e2e/session.test.mjs in Chromium and
// Firefox, each test in a fresh page. Every failure path asserts the exact error code and the
// emulator's request counters.
import init, { ExpensicatAuth, ExpensicatClient } from "/pkg/expensicat_auth.js";

import { assert, call, codeOf, control, counter, emu, eq, idbStore, rejection, runOne, sleep, unique } from "./harness.mjs";

const here = location.origin + location.pathname;
let wasm;

const fault = (clientId, spec) => control("faults", { clientId, ...spec });

/** `?dpop=1`: every client of the suite uses DPoP (tests/e2e/session.test.mjs runs it so in Chromium). */
const DPOP = new URLSearchParams(location.search).get("dpop") === "1" ? { dpop: true } : {};

/** A fresh client registered with the emulator, and an `ExpensicatAuth` for it. */
async function client(name, extra = {}, Auth = ExpensicatAuth) {
  const id = unique(name);
  await control("clients", { clientId: id, redirectUris: [here] });
  const config = { clientId: id, redirectUri: here, issuer: emu, scopes: ["transactions:read"], ...DPOP, ...extra };
  return { auth: new Auth(config), id, config };
}

/** The callback URL the emulator redirects to ("json" to allow, "deny-json" to deny). */
async function authorize(auth, approve = "json") {
  const url = await auth.startLogin({ extraParams: [["auto_approve", approve]] });
  return (await call(url)).location;
}

async function signedIn(name, extra) {
  const c = await client(name, extra);
  await c.auth.handleCallback(await authorize(c.auth));
  return c;
}

const param = (url, name) => new URL(url).searchParams.get(name);

/** The package loaded again in a same-origin frame: a new page load (the module state of a
 * reload), sharing this tab's sessionStorage. */
async function reloaded() {
  const frame = document.createElement("iframe");
  frame.src = `/tests/browser/frame.html`;
  const ready = new Promise((resolve) => addEventListener("message", function on(e) {
    if (e.data === "frame-ready") {
      removeEventListener("message", on);
      resolve();
    }
  }));
  document.body.append(frame);
  await ready;
  return frame.contentWindow.lib;
}

const ALWAYS_STALE = { clockSkewMs: 3_600_000 };

/** The library's IndexedDB store of sealed sessions, read and written as an attacker with
 * script access to the origin could. */
const sealedStore = (mode, op) => idbStore("expensicat-auth:sessions", "sealed", mode, op);
const sealedRecord = (clientId) => sealedStore("readonly", (s) => s.get("rec:" + clientId));
const putSealed = (clientId, record) => sealedStore("readwrite", (s) => s.put(record, "rec:" + clientId));
/** A login's DPoP key pair as the library keeps it (`{keys, x, y}`), or undefined. */
const dpopKey = (jkt) => sealedStore("readonly", (s) => s.get("dpop:" + jkt));


/** Runs tests/browser/worker.mjs in a dedicated worker with `config`; resolves to its report. */
async function inWorker(config) {
  const worker = new Worker("/tests/browser/worker.mjs", { type: "module" });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      worker.postMessage({ config });
    });
  } finally {
    worker.terminate();
  }
}

export const tests = {
  async happy_path_login_fetch_and_clean_address_bar() {
    const { auth, id } = await client("happy");
    const cb = await authorize(auth);
    assert(cb.includes("code=") && cb.includes("iss="), cb);
    history.pushState(null, "", `${cb}&tab=keep`);
    const p = auth.handleCallback();
    eq(location.search, "?tab=keep", "cleaned synchronously, the app's own parameter kept");
    const info = await p;
    eq(info.scopes[0], "transactions:read");
    eq(info.hasRefreshToken, true);
    eq(await counter(id, "tokenRequests"), 1);
    const page = await auth.fetchJson("/v1/transactions?limit=5");
    eq(page.data.length, 5);
    eq(await counter(id, "apiCalls"), 1);
    history.replaceState(null, "", here);
    const shown = JSON.stringify(auth.session) + JSON.stringify(auth) + String(auth);
    assert(!shown.includes("at_") && !shown.includes("rt_"), shown);
  },

  async callback_twice_at_once_makes_one_token_request() {
    const { auth, id, config } = await client("twice");
    const cb = await authorize(auth);
    const [a, b] = await Promise.all([auth.handleCallback(cb), auth.handleCallback(cb)]);
    eq(JSON.stringify(a), JSON.stringify(b));
    eq(await counter(id, "tokenRequests"), 1);
    await auth.handleCallback(cb);
    // After a reload: already handled.
    const lib = await reloaded();
    eq(codeOf(await rejection(new lib.ExpensicatAuth(config).handleCallback(cb))), "callback_already_handled");
    eq(await counter(id, "tokenRequests"), 1);
  },

  async denied_consent_is_access_denied_without_token_request() {
    const { auth, id } = await client("deny");
    const url = await auth.startLogin();
    const state = param(url, "state");
    const cb = `${here}?error=access_denied&error_description=The+user+denied&state=${state}&iss=${encodeURIComponent(emu)}`;
    const err = await rejection(auth.handleCallback(cb));
    eq(codeOf(err), "access_denied");
    eq(err.description, "The user denied");
    eq(await counter(id, "tokenRequests"), 0);
    const cb2 = await authorize(auth, "deny-json");
    eq(codeOf(await rejection(auth.handleCallback(cb2))), "access_denied");
    eq(await counter(id, "tokenRequests"), 0);
  },

  async bad_states_make_no_token_request() {
    const { auth, id, config } = await client("states");
    const cb = await authorize(auth);
    const state = param(cb, "state");
    const missing = cb.replace(`state=${state}`, "x=1");
    const mismatched = cb.replace(state, "A".repeat(43));
    eq(codeOf(await rejection(auth.handleCallback(missing))), "missing_state");
    eq(codeOf(await rejection(auth.handleCallback(mismatched))), "state_mismatch");
    await auth.handleCallback(cb);
    const lib = await reloaded();
    eq(codeOf(await rejection(new lib.ExpensicatAuth(config).handleCallback(cb))), "callback_already_handled");
    eq(await counter(id, "tokenRequests"), 1);

    const expired = await client("expired", { transactionTtlMs: 1 });
    const cb2 = await authorize(expired.auth);
    await sleep(20);
    eq(codeOf(await rejection(expired.auth.handleCallback(cb2))), "transaction_expired");
    eq(await counter(expired.id, "tokenRequests"), 0);
  },

  async replayed_code_is_invalid_grant_and_revokes_the_first_session() {
    const { auth, id } = await client("reuse");
    const cb = await authorize(auth);
    await auth.handleCallback(cb);
    const code = param(cb, "code");
    const cb2 = await authorize(auth);
    const forged = `${here}?code=${code}&state=${param(cb2, "state")}`;
    eq(codeOf(await rejection(auth.handleCallback(forged)), [code]), "invalid_grant");
    eq(await counter(id, "tokenRequests"), 2);
    // The tokens issued from the replayed code are revoked: the API refuses them.
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "invalid_grant");
  },

  async token_endpoint_failures_have_exact_codes() {
    const cases = [
      [{ endpoint: "token", status: 400, body: { error: "invalid_grant", error_description: "nope" } }, "invalid_grant"],
      [{ endpoint: "token", status: 500 }, "server_error"],
      [{ endpoint: "token", status: 502, body: "oops" }, "invalid_response"],
      [{ endpoint: "token", html: true }, "invalid_response"],
      [{ endpoint: "token", truncated: true }, "invalid_response"],
      [{ endpoint: "token", delayMs: 1500 }, "timeout"],
      [{ endpoint: "token", drop: true }, "network"],
    ];
    for (const [spec, code] of cases) {
      const { auth, id } = await client("tokfail", { timeoutMs: 400 });
      const cb = await authorize(auth);
      await fault(id, spec);
      eq(codeOf(await rejection(auth.handleCallback(cb)), [param(cb, "code")]), code, JSON.stringify(spec));
      eq(await counter(id, "tokenRequests"), 1, JSON.stringify(spec));
      eq(auth.session, undefined);
    }
  },

  async concurrent_fetches_share_one_refresh_and_rotation_works() {
    const { auth, id } = await signedIn("flight", ALWAYS_STALE);
    await Promise.all(Array.from({ length: 20 }, () => auth.fetchJson("/v1/transactions?limit=1")));
    eq(await counter(id, "refreshes"), 1);
    eq(await counter(id, "apiCalls"), 20);
    for (let i = 0; i < 3; i++) await auth.refresh();
    eq(await counter(id, "refreshes"), 4);
    eq(await counter(id, "refreshReuseDetected"), 0);
    assert(auth.session !== undefined, "still signed in");
  },

  async refresh_token_reuse_ends_the_session_with_an_event() {
    const { auth, id } = await signedIn("reusert", { storage: "sessionStorage" });
    const key = `expensicat-auth:session:${id}`;
    const stolen = JSON.parse(sessionStorage.getItem(key)).rec.refresh;
    await auth.refresh();
    const replay = await call(`${emu}/api/auth/oauth2/token`, "POST", JSON.stringify({ grant_type: "refresh_token", refresh_token: stolen, client_id: id }));
    if (DPOP.dpop) {
      // DPoP: the stolen token is bound to the login's key, which the thief does not have.
      eq(replay.error, "invalid_dpop_proof");
      await auth.refresh();
      eq(await counter(id, "refreshReuseDetected"), 0);
      return;
    }
    const events = [];
    const unsubscribe = auth.onSessionChange((e) => events.push(e));
    eq(codeOf(await rejection(auth.refresh()), [stolen]), "invalid_grant");
    eq(auth.session, undefined);
    eq(sessionStorage.getItem(key), null, "the stored session is removed");
    eq(events.length, 1);
    eq(events[0].type, "ended");
    eq(events[0].reason, "invalid_grant");
    const before = await counter(id, "tokenRequests");
    eq(codeOf(await rejection(auth.accessToken())), "login_required");
    eq(await counter(id, "tokenRequests"), before, "no retry loop");
    unsubscribe();
  },

  async api_401_once_then_success_after_one_refresh() {
    const { auth, id } = await signedIn("once401");
    await fault(id, { endpoint: "api", status: 401, body: { error: { code: "invalid_token", message: "expired" } } });
    eq((await auth.fetchJson("/v1/transactions?limit=2")).data.length, 2);
    eq(await counter(id, "refreshes"), 1);
    eq(await counter(id, "apiCalls"), 2);
    await fault(id, { endpoint: "api", status: 401, times: 5 });
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "unauthorized");
    eq(await counter(id, "refreshes"), 2);
    eq(await counter(id, "apiCalls"), 4);
  },

  async api_403_names_the_missing_scope() {
    const { auth, id } = await signedIn("scope403");
    const init = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ merchant: "x", amount: 1 }) };
    const err = await rejection(auth.fetchJson("/v1/transactions", init));
    eq(codeOf(err), "insufficient_scope");
    eq(err.requiredScope, "transactions:write");
    eq(await counter(id, "refreshes"), 0);
  },

  async api_403_is_read_as_rfc_6750_says() {
    const { auth, id } = await signedIn("read403");
    // invalid_token in the challenge: a refused token, as a 401 (one refresh, one retry).
    const expired = { endpoint: "api", status: 403, headers: { "WWW-Authenticate": 'Bearer realm="expensicat", error="invalid_token"' }, body: { error: { code: "invalid_token", message: "expired" } } };
    await fault(id, expired);
    eq((await auth.fetchJson("/v1/transactions?limit=2")).data.length, 2);
    eq(await counter(id, "refreshes"), 1);
    eq(await counter(id, "apiCalls"), 2);
    await fault(id, { ...expired, times: 2 });
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "unauthorized");
    eq(await counter(id, "refreshes"), 2);
    eq(await counter(id, "apiCalls"), 4);
    // insufficient_scope in the challenge alone: its scope.
    await fault(id, { endpoint: "api", status: 403, headers: { "WWW-Authenticate": 'Bearer error="insufficient_scope", scope="team:read"' }, body: {} });
    let err = await rejection(auth.fetchJson("/v1/transactions"));
    eq(codeOf(err), "insufficient_scope");
    eq(err.requiredScope, "team:read");
    // Expensicat's error body alone (a server that does not expose WWW-Authenticate).
    await fault(id, { endpoint: "api", status: 403, body: { error: { code: "insufficient_scope", message: "no", details: { required_scope: "invoices:read" } } } });
    err = await rejection(auth.fetchJson("/v1/transactions"));
    eq(codeOf(err), "insufficient_scope");
    eq(err.requiredScope, "invoices:read");
    // Any other 403: the API's own error, with its status, and no refresh.
    await fault(id, { endpoint: "api", status: 403, body: { error: { code: "account_suspended", message: "Suspended" } } });
    err = await rejection(auth.fetchJson("/v1/transactions"));
    eq(codeOf(err), "api_error");
    eq(err.status, 403);
    eq(err.apiCode, "account_suspended");
    await fault(id, { endpoint: "api", status: 403, headers: { "WWW-Authenticate": 'Bearer error="insufficient_scope", error="invalid_token"' }, body: {} });
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "api_error", "a malformed challenge says nothing");
    eq(await counter(id, "refreshes"), 2);
    eq(await counter(id, "apiCalls"), 8);
  },

  async token_requests_are_forms_for_a_server_other_than_expensicat() {
    // The emulator is not api.expensicat.com: RFC 6749's form, for the code and the refresh.
    const { auth, id } = await signedIn("form");
    await auth.refresh();
    eq(await counter(id, "formTokenRequests"), 2);
    eq(await counter(id, "jsonTokenRequests"), 0);
    // The setting wins.
    const json = await signedIn("json", { tokenRequestEncoding: "json" });
    eq(await counter(json.id, "jsonTokenRequests"), 1);
    eq(await counter(json.id, "formTokenRequests"), 0);
    // A JSON request refused as malformed names the setting; the same answer to a form does not.
    const refused = { endpoint: "token", status: 400, body: { error: "unsupported_grant_type" } };
    await fault(json.id, refused);
    let err = await rejection(json.auth.refresh());
    eq(codeOf(err), "unsupported_grant_type");
    assert(err.message.endsWith('(sent as JSON: try tokenRequestEncoding "form")'), err.message);
    await fault(id, refused);
    err = await rejection(auth.refresh());
    eq(codeOf(err), "unsupported_grant_type");
    assert(!err.message.includes("tokenRequestEncoding"), err.message);
  },

  async api_429_waits_within_bound_else_reports_the_delay() {
    const { auth, id } = await signedIn("rate");
    await fault(id, { endpoint: "api", status: 429, headers: { "Retry-After": "0" }, body: { error: { code: "rate_limited", message: "slow" } } });
    await auth.fetchJson("/v1/transactions?limit=1");
    eq(await counter(id, "apiCalls"), 2);
    await fault(id, { endpoint: "api", status: 429, headers: { "Retry-After": "120" } });
    let err = await rejection(auth.fetchJson("/v1/transactions"));
    eq(codeOf(err), "rate_limited");
    eq(err.retryAfterMs, 120_000);
    eq(await counter(id, "apiCalls"), 3);
    await fault(id, { endpoint: "api", status: 429, headers: { "Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT" } });
    await auth.fetchJson("/v1/transactions?limit=1");
    eq(await counter(id, "apiCalls"), 5);
    await fault(id, { endpoint: "api", status: 429, headers: { "Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT" } });
    err = await rejection(auth.fetchJson("/v1/transactions"));
    eq(codeOf(err), "rate_limited");
    assert(err.retryAfterMs > 2.5e14, "about 8000 years");
  },

  async api_failures_html_timeout_drop() {
    const { auth, id } = await signedIn("apifail", { timeoutMs: 400 });
    await fault(id, { endpoint: "api", html: true });
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "invalid_response");
    await fault(id, { endpoint: "api", delayMs: 1500 });
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "timeout");
    await fault(id, { endpoint: "api", drop: true });
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "network");
    await fault(id, { endpoint: "api", status: 500, body: { error: { code: "boom", message: "<b>down</b>" } } });
    const err = await rejection(auth.fetchJson("/v1/transactions"));
    eq(codeOf(err), "api_error");
    eq(err.status, 500);
    eq(err.apiCode, "boom");
    await fault(id, { endpoint: "api", status: 404 });
    eq((await auth.fetch("/v1/transactions")).status, 404, "fetch hands the app the Response for any status");
  },

  async other_origins_are_refused_without_any_request() {
    const { auth, id } = await signedIn("origin", ALWAYS_STALE);
    for (const url of ["https://evil.example/api/v1/transactions", "//evil.example/x", "http://localhost:1/api/v1/x"]) {
      eq(codeOf(await rejection(auth.fetch(url))), "origin_not_allowed", url);
    }
    eq(await counter(id, "apiCalls"), 0);
    eq(await counter(id, "refreshes"), 0, "not even a refresh for a foreign URL");
  },

  async app_headers_and_body_pass_through() {
    const { auth } = await signedIn("passthru", { scopes: ["transactions:read", "transactions:write"] });
    const init = { method: "POST", headers: { "Content-Type": "application/json", "X-Request-Id": "r1" }, body: JSON.stringify({ merchant: "Cafe", amount: 3.5 }) };
    eq((await auth.fetchJson("/v1/transactions", init)).data.merchant, "Cafe");
  },

  async bearer_mode_logout_and_no_secret_in_errors() {
    const { auth, id } = await signedIn("bearer", { storage: "sessionStorage" });
    const stored = JSON.parse(sessionStorage.getItem(`expensicat-auth:session:${id}`));
    const { access, refresh } = stored.rec;
    const direct = (await client("direct")).auth;
    if (DPOP.dpop) {
      // DPoP: the login's access token is bound to its key; as a bearer token it is refused.
      direct.useBearerToken(access);
      eq(codeOf(await rejection(direct.fetchJson("/v1/transactions?limit=1")), [access, refresh]), "unauthorized");
      return;
    }
    direct.useBearerToken(access);
    eq(direct.session.mode, "bearer");
    await direct.fetchJson("/v1/transactions?limit=1");
    let thrown;
    try {
      direct.useBearerToken("not a token");
    } catch (e) {
      thrown = e;
    }
    eq(codeOf(thrown), "invalid_token");
    const secrets = [access, refresh];
    codeOf(await rejection(auth.fetch("https://evil.example/")), secrets);
    const shown = `${auth} ${JSON.stringify(auth)} ${Object.keys(auth)}`;
    assert(!shown.includes(access) && !shown.includes(refresh), shown);
    auth.logout();
    eq(auth.session, undefined);
    eq(codeOf(await rejection(auth.accessToken()), secrets), "login_required");
  },

  async a_stored_session_survives_a_reload_and_a_tampered_one_is_dropped() {
    const { auth, id, config } = await signedIn("restore", { storage: "sessionStorage" });
    const key = `expensicat-auth:session:${id}`;
    // A reload: this page's session goes, a new one starts from what sessionStorage holds.
    auth.close();
    const lib = await reloaded();
    const again = new lib.ExpensicatAuth(config);
    eq(again.status, "loading", "the tab first learns whether a session exists");
    await again.ready();
    eq(JSON.stringify(again.session), JSON.stringify(auth.session === undefined ? again.session : auth.session));
    await again.fetchJson("/v1/transactions?limit=1");
    for (const tampered of [
      sessionStorage.getItem(key).replace('"mode":"oauth"', '"mode":"root"'),
      sessionStorage.getItem(key).replace('"v":1', '"v":1,"extra":true'),
      sessionStorage.getItem(key).replace(/"access":"[^"]*"/, '"access":"a b"'),
      "{",
      "",
    ]) {
      sessionStorage.setItem(key, tampered);
      eq(new lib.ExpensicatAuth(config).session, undefined, tampered);
    }
  },

  async logout_revokes_the_refresh_token_then_the_access_token() {
    const revocationEndpoint = `${emu}/api/auth/oauth2/revoke`;
    const { auth, id } = await signedIn("revoke", { revocationEndpoint });
    const at = await auth.accessToken();
    const events = [];
    auth.onSessionChange((e) => events.push(`${e.type}:${e.reason}`));
    const done = auth.logout();
    eq(auth.session, undefined, "the local session ends at once");
    eq(events.join(), "ended:logout");
    eq(await done, undefined);
    eq(await counter(id, "revocations"), 2);
    eq(await counter(id, "revokedRefreshTokens"), 1);
    eq(await counter(id, "revokedAccessTokens"), 1);
    eq((await fetch(`${emu}/api/v1/transactions?limit=1`, { headers: { Authorization: `Bearer ${at}` } })).status, 401, "the revoked token no longer calls the API");
    // A revocation endpoint that fails or hangs: logout still ends the session, and settles
    // within the timeout of each request, without rejecting.
    for (const spec of [{ status: 503 }, { drop: true }, { delayMs: 3000 }]) {
      const s2 = await signedIn("revokefail", { revocationEndpoint, timeoutMs: 300 });
      await fault(s2.id, { endpoint: "revoke", times: 2, ...spec });
      const t0 = Date.now();
      eq(await s2.auth.logout(), undefined, JSON.stringify(spec));
      assert(Date.now() - t0 < 2000, `settled within the timeouts (${JSON.stringify(spec)})`);
      eq(s2.auth.session, undefined);
      eq(await counter(s2.id, "revocations"), 2, "the access token is tried after a failed refresh token");
    }
    // Without an endpoint, logout sends nothing.
    const s3 = await signedIn("norevoke");
    await s3.auth.logout();
    eq(await counter(s3.id, "revocations"), 0);
  },

  async discovered_from_the_issuer_alone_logs_in_refreshes_and_revokes() {
    const id = unique("discover");
    await control("clients", { clientId: id, redirectUris: [here] });
    const auth = await ExpensicatAuth.discover(emu, { clientId: id, redirectUri: here, scopes: ["transactions:read"], tokenRequestEncoding: "form" });
    await auth.handleCallback(await authorize(auth));
    eq((await auth.fetchJson("/v1/transactions?limit=2")).data.length, 2);
    await auth.refresh();
    eq(await counter(id, "refreshes"), 1);
    await auth.logout();
    eq(await counter(id, "revokedRefreshTokens"), 1, "the metadata's revocation endpoint is used");
    // A document naming another issuer configures nothing.
    await control("settings", { metadata: { issuer: "https://evil.example" } });
    try {
      eq(codeOf(await rejection(ExpensicatAuth.discover(emu, { clientId: id, redirectUri: here }))), "issuer_mismatch");
      eq(codeOf(await rejection(ExpensicatClient.discover(emu, { clientId: id, redirectUri: here }))), "issuer_mismatch");
    } finally {
      await control("settings", { metadata: {} });
    }
  },

  async par_pushes_the_parameters_and_the_url_names_only_the_request_uri() {
    const pushedAuthorizationRequestEndpoint = `${emu}/api/auth/oauth2/par`;
    const { auth, id } = await client("par", { par: true, pushedAuthorizationRequestEndpoint, tokenRequestEncoding: "form" });
    const url = await auth.startLogin({ extraParams: [["auto_approve", "json"]] });
    eq([...new URL(url).searchParams.keys()].join(), "client_id,request_uri", url);
    eq(await counter(id, "parRequests"), 1);
    await auth.handleCallback((await call(url)).location);
    eq(await counter(id, "parUsed"), 1);
    eq((await auth.fetchJson("/v1/transactions?limit=1")).data.length, 1);
    // A request_uri is used once: the same URL again is refused by the server.
    await fetch(url, { mode: "no-cors" });
    eq(await counter(id, "parRefused"), 1);
    // Without the endpoint, par is a configuration error.
    eq(codeOf(await rejection((async () => new ExpensicatAuth({ clientId: id, redirectUri: here, issuer: emu, par: true }))())), "invalid_config");
    // The low-level createLogin cannot skip the push.
    const low = new ExpensicatClient({ clientId: id, redirectUri: here, issuer: emu, scopes: ["transactions:read"], par: true, pushedAuthorizationRequestEndpoint });
    eq(codeOf(await rejection((async () => low.createLogin())())), "invalid_config");
    eq(typeof low.beginLogin().push.body, "string");
  },

  async a_failed_push_keeps_no_transaction_and_an_expired_request_uri_is_refused() {
    const pushedAuthorizationRequestEndpoint = `${emu}/api/auth/oauth2/par`;
    const { auth, id } = await client("parfail", { par: true, pushedAuthorizationRequestEndpoint, tokenRequestEncoding: "form", timeoutMs: 500 });
    const stored = () => Object.keys(sessionStorage).filter((k) => k.startsWith("expensicat-auth:tx:")).length;
    const before = stored();
    for (const [spec, code] of [[{ status: 400, body: { error: "invalid_request", error_description: "no" } }, "invalid_request"], [{ html: true, status: 503 }, "invalid_response"], [{ delayMs: 2000 }, "timeout"], [{ drop: true }, "network"]]) {
      await fault(id, { endpoint: "par", ...spec });
      eq(codeOf(await rejection(auth.startLogin({ extraParams: [["auto_approve", "json"]] }))), code, JSON.stringify(spec));
      eq(stored(), before, "nothing kept for a push that failed");
    }
    // The server's request_uri lives one second: after it, the URL is refused at the server.
    await control("settings", { parTtl: 1 });
    try {
      const url = await auth.startLogin({ extraParams: [["auto_approve", "json"]] });
      await sleep(1100);
      await fetch(url, { mode: "no-cors" });
      eq(await counter(id, "parRefused"), 1);
      // A fresh startLogin pushes again and works.
      const fresh = await auth.startLogin({ extraParams: [["auto_approve", "json"]] });
      await auth.handleCallback((await call(fresh)).location);
      eq(auth.status, "signed_in");
    } finally {
      await control("settings", { parTtl: 60 });
    }
  },

  async discovery_of_a_server_that_requires_par_pushes() {
    const id = unique("discpar");
    await control("clients", { clientId: id, redirectUris: [here] });
    await control("settings", { requirePar: true });
    try {
      const auth = await ExpensicatAuth.discover(emu, { clientId: id, redirectUri: here, scopes: ["transactions:read"], tokenRequestEncoding: "form" });
      const url = await auth.startLogin({ extraParams: [["auto_approve", "json"]] });
      eq([...new URL(url).searchParams.keys()].join(), "client_id,request_uri", url);
      await auth.handleCallback((await call(url)).location);
      eq(await counter(id, "parUsed"), 1);
      eq(auth.status, "signed_in");
    } finally {
      await control("settings", { requirePar: false });
    }
  },

  async indexeddb_keeps_the_session_across_reloads_and_a_changed_record_is_corrupt_record() {
    const { auth, id, config } = await signedIn("idb", { storage: "indexedDB" });
    const access = await auth.accessToken();
    const raw = () => sealedRecord(id);
    for (let i = 0; i < 100 && !(await raw()); i++) await sleep(10);
    const original = await raw();
    assert(original, "the session is stored");
    assert(!new TextDecoder().decode(new Uint8Array(original.ct)).includes(access), "sealed, not readable");
    assert(!JSON.stringify(original).includes(access), "no token beside the ciphertext");
    // A reload: this page's session goes; a new instance of the package finds the session,
    // without a redirect.
    auth.close();
    const lib = await reloaded();
    const again = new lib.ExpensicatAuth(config);
    const seen = [];
    again.onSessionChange((e) => seen.push(`${e.type}:${e.reason}`));
    eq(await again.accessToken(), access);
    eq(seen.join(), "started:restored");
    await again.fetchJson("/v1/transactions?limit=1");
    eq(await counter(id, "tokenRequests"), 1, "no second code exchange");
    again.close();
    // Each field changed in turn: the record does not open, the session ends with its code, once.
    const tampers = {
      ciphertext: (r) => new Uint8Array(r.ct).fill(1, 0, 1),
      iv: (r) => (r.iv[0] ^= 1),
      seq: (r) => (r.seq += 1),
      version: (r) => (r.v = 3),
      "another client's record": (r) => Object.assign(r, { seq: r.seq }),
    };
    for (const [what, change] of Object.entries(tampers)) {
      const copy = structuredClone(original);
      change(copy);
      const target = what === "another client's record" ? `${id}-other` : id;
      await putSealed(target, copy);
      const fresh = new lib.ExpensicatAuth(what === "another client's record" ? { ...config, clientId: target } : config);
      const events = [];
      fresh.onSessionChange((e) => events.push(`${e.type}:${e.reason}`));
      eq(codeOf(await rejection(fresh.accessToken()), [access]), "corrupt_record", what);
      eq(fresh.session, undefined, what);
      eq(events.join(), "ended:corrupt_record", what);
      eq(await sealedRecord(target), undefined, `${what}: the record is removed`);
      eq(codeOf(await rejection(fresh.accessToken())), "login_required", what);
      fresh.close();
    }
    // A logout removes the record.
    await putSealed(id, original);
    const last = new lib.ExpensicatAuth(config);
    await last.accessToken();
    await last.logout();
    for (let i = 0; i < 100 && (await sealedRecord(id)); i++) await sleep(10);
    eq(await sealedRecord(id), undefined, "logout removes the stored session");
  },

  async a_dedicated_worker_takes_the_pages_session_refreshes_and_calls_the_api() {
    const { auth, id, config } = await signedIn("worker");
    const seen = [];
    auth.onSessionChange((e) => seen.push(e.type));
    const result = await inWorker(config);
    assert(result.ok, result.error);
    eq(result.hasWindow, false);
    eq(result.n, 1);
    eq(await counter(id, "tokenRequests"), 2, "the page's code exchange, the worker's refresh");
    eq(await counter(id, "refreshes"), 1);
    eq(await counter(id, "apiCalls"), 1);
    // The page follows the worker's refresh: its next call needs no refresh of its own.
    eq(seen.join(), "refreshed");
    await auth.fetchJson("/v1/transactions?limit=1");
    eq(await counter(id, "refreshes"), 1);
    eq(await counter(id, "refreshReuseDetected"), 0);
  },

  async a_logout_from_a_tab_behind_on_refreshes_ends_the_session_but_not_a_newer_login() {
    const { auth, id } = await signedIn("behind", { storage: "sessionStorage" });
    await auth.refresh();
    const { login, seq } = JSON.parse(sessionStorage.getItem(`expensicat-auth:session:${id}`));
    eq(seq, 1, "a refresh moves the session's version within its login");
    // What other tabs would send: a logout of an older login, then of this login from a tab that
    // has not seen the latest refresh yet.
    const channel = new BroadcastChannel(`expensicat-auth:${id}`);
    const ended = new Promise((r) => auth.onSessionChange((e) => e.type === "ended" && r(e.reason)));
    channel.postMessage({ t: "ended", reason: "logout", login: login - 1, seq: 0 });
    await sleep(150);
    assert(auth.session !== undefined, "an older login's logout leaves this session");
    channel.postMessage({ t: "ended", reason: "logout", login, seq: 0 });
    eq(await Promise.race([ended, sleep(2000).then(() => "still signed in after 2 s")]), "logout");
    eq(auth.session, undefined);
    channel.close();
  },

  async callback_twice_in_one_tick_without_argument_and_mixed() {
    const { auth, id } = await client("strictmode");
    for (let mix = 0; mix < 3; mix++) {
      const cb = await authorize(auth);
      history.pushState(null, "", cb);
      const [p1, p2] =
        mix === 0 ? [auth.handleCallback(), auth.handleCallback()] : mix === 1 ? [auth.handleCallback(), auth.handleCallback(cb)] : [auth.handleCallback(cb), auth.handleCallback()];
      eq(location.search + location.hash, "", `cleaned before any await (${mix})`);
      const [a, b] = await Promise.all([p1, p2]);
      eq(JSON.stringify(a), JSON.stringify(b));
      eq(await counter(id, "tokenRequests"), mix + 1, `one token request per callback (${mix})`);
    }
    history.replaceState(null, "", here);
  },

  async address_bar_is_cleaned_whatever_the_callback_holds() {
    const { auth } = await client("cleanbar");
    const other = "A".repeat(43);
    const cases = [
      [`${here}?code=secretcode&state=${other}&error_description=a\\b&keep=1`, "?keep=1"],
      [`${here}?%63ode=secretcode&st%61te=${other}&keep=1`, "?keep=1"],
      [`${here}#code=secretcode&state=${other}`, ""],
      [`${here}?code=secretcode&code=again&state=${other}`, ""],
    ];
    for (const [url, left] of cases) {
      history.pushState(null, "", url);
      const p = auth.handleCallback();
      eq(location.search + location.hash, left, url);
      assert(!location.href.includes("secretcode"), url);
      await rejection(p);
    }
    history.replaceState(null, "", here);
  },

  async a_late_refresh_does_not_clear_a_newer_one() {
    const { auth, id } = await signedIn("lateslot");
    await fault(id, { endpoint: "token", delayMs: 600 });
    const first = auth.refresh();
    await sleep(100);
    auth.logout();
    await auth.handleCallback(await authorize(auth));
    await fault(id, { endpoint: "token", delayMs: 1500 });
    const second = auth.refresh();
    await first.catch(() => {});
    const third = auth.refresh();
    await second;
    await third;
    eq(await counter(id, "refreshes"), 2, "login 1, refresh RT1, login 2, refresh RT2");
    eq(await counter(id, "refreshReuseDetected"), 0);
    await auth.fetchJson("/v1/transactions?limit=1");
  },

  async the_deadline_covers_the_body() {
    const { auth, id } = await signedIn("stallbody", { timeoutMs: 600 });
    await fault(id, { endpoint: "api", stall: true });
    const t0 = Date.now();
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "timeout");
    assert(Date.now() - t0 < 5000, "within the deadline");
    await fault(id, { endpoint: "api", stall: true });
    const res = await auth.fetch("/v1/transactions");
    await rejection(res.text());
    const tok = await client("stalltoken", { timeoutMs: 600 });
    const cb = await authorize(tok.auth);
    await fault(tok.id, { endpoint: "token", stall: true });
    eq(codeOf(await rejection(tok.auth.handleCallback(cb))), "timeout");
  },

  async oversized_bodies_stop_at_the_limit() {
    for (const [spec, name] of [
      [{ endpoint: "token", hugeBytes: 41943040, paceMs: 8, counter: "jsDeclared" }, "jsDeclared"],
      [{ endpoint: "token", hugeBytes: 41943040, undeclared: true, paceMs: 8, counter: "jsUndeclared" }, "jsUndeclared"],
    ]) {
      const { auth, id } = await client("hugetoken");
      const cb = await authorize(auth);
      await fault(id, spec);
      const err = await rejection(auth.handleCallback(cb));
      const sent = await counter("*", name);
      eq(codeOf(err), "invalid_response", JSON.stringify(spec));
      assert(sent < 8 * 1024 * 1024, `${sent} B written before the client gave up`);
      assert(sent > 0, "the body was written (the counter works)");
    }
    const { auth, id } = await signedIn("hugeapi", { maxResponseBytes: 4096 });
    await fault(id, { endpoint: "api", hugeBytes: 10485760, undeclared: true, paceMs: 2 });
    eq(codeOf(await rejection(auth.fetchJson("/v1/transactions"))), "invalid_response");
    await auth.fetchJson("/v1/transactions?limit=1");
  },

  async the_apps_signal_works_without_abort_signal_any() {
    const { auth, id } = await signedIn("signal", { timeoutMs: 5000 });
    await fault(id, { endpoint: "api", delayMs: 1500 });
    const saved = AbortSignal.any;
    delete AbortSignal.any;
    try {
      const c = new AbortController();
      setTimeout(() => c.abort(new DOMException("the app gave up", "AbortError")), 100);
      const t0 = Date.now();
      const err = await rejection(auth.fetchJson("/v1/transactions", { signal: c.signal }));
      assert(Date.now() - t0 < 1400, "cancelled by the app's signal, not by the server's answer");
      eq(err.name, "AbortError", "the app's own abort reason comes back unchanged");
    } finally {
      if (saved) AbortSignal.any = saved;
    }
  },

  async no_token_stays_in_webassembly_memory_after_logout() {
    const { auth, id, config } = await signedIn("zeroed", { storage: "sessionStorage" });
    const first = JSON.parse(sessionStorage.getItem(`expensicat-auth:session:${id}`)).rec;
    await auth.refresh();
    await auth.fetchJson("/v1/transactions?limit=1");
    // A second session in the page gets the tokens through a tab message and the stored record.
    const other = new ExpensicatAuth(config);
    await other.ready();
    assert(other.session !== undefined, "the second session has the tokens");
    const { access, refresh } = JSON.parse(sessionStorage.getItem(`expensicat-auth:session:${id}`)).rec;
    await auth.logout();
    for (let i = 0; i < 100 && other.session; i++) await sleep(10);
    eq(other.session, undefined, "the logout reached the other session");
    other.close();
    const hay = new Uint8Array(wasm.memory.buffer);
    const has = (needle) => {
      const n = new TextEncoder().encode(needle);
      outer: for (let i = 0; i + n.length <= hay.length; i++) {
        for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
        return true;
      }
      return false;
    };
    // The scan finds what the module holds (so it can fail): a live client's ID.
    const probe = unique("probe-client-id");
    const live = new ExpensicatClient({ ...config, clientId: probe });
    assert(has(probe), "the scan finds a live value");
    live.free();
    for (const [what, token] of [["access", access], ["refresh", refresh], ["first access", first.access], ["first refresh", first.refresh]]) {
      assert(!has(token), `the ${what} token is left in wasm memory after logout`);
    }
  },

  // Issue 20: the defects of the session before it became a state machine in the core, each
  // reproduced through the public API and the emulator's counters (each failed on the session
  // of js/session.js before the machine).

  async issue20_defect1_a_logout_before_the_session_has_loaded_ends_it_everywhere() {
    const { auth, id, config } = await signedIn("d1");
    // A new tab (here a second session object of the page: one BroadcastChannel apart) whose
    // /logout route calls logout() as it loads, before the live tab has answered.
    const other = new ExpensicatAuth(config);
    eq(other.status, "loading");
    await other.logout();
    eq(other.session, undefined, "the new tab is signed out");
    for (let i = 0; i < 100 && auth.session; i++) await sleep(10);
    eq(auth.session, undefined, "and so is the live tab");
    eq(codeOf(await rejection(auth.accessToken())), "login_required");
    await sleep(400);
    eq(other.session, undefined, "nothing arrives afterwards");
    other.close();
    // The same with storage: a logout right after a reload does not let the stored session back.
    const stored = await signedIn("d1idb", { storage: "indexedDB" });
    await stored.auth.accessToken();
    stored.auth.close();
    const lib = await reloaded();
    const again = new lib.ExpensicatAuth(stored.config);
    const seen = [];
    again.onSessionChange((e) => seen.push(`${e.type}:${e.reason}`));
    await again.logout();
    await sleep(300);
    eq(again.session, undefined, "the stored session is not restored after the logout");
    assert(!seen.includes("started:restored"), seen.join());
    again.close();
    void id;
  },

  async issue20_defect3_stored_sessions_need_the_tabs_to_coordinate() {
    const id = unique("d3");
    for (const storage of ["indexedDB", "sessionStorage"]) {
      let thrown;
      try {
        new ExpensicatAuth({ clientId: id, redirectUri: here, issuer: emu, storage, shareAcrossTabs: false });
      } catch (e) {
        thrown = e;
      }
      eq(codeOf(thrown), "invalid_config", storage);
      eq(thrown.field, "shareAcrossTabs", storage);
    }
  },

  async issue20_defect6_a_record_written_back_after_logout_is_not_a_session() {
    const { auth, id, config } = await signedIn("d6", { storage: "indexedDB" });
    await auth.accessToken();
    for (let i = 0; i < 100 && !(await sealedRecord(id)); i++) await sleep(10);
    // Everything of the library's sealed store, as a script with access to the origin copies it.
    const copy = await sealedStore("readonly", (s) => s.getAll());
    const names = await sealedStore("readonly", (s) => s.getAllKeys());
    await auth.logout();
    await sealedStore("readwrite", (s) => {
      names.forEach((k, i) => s.put(copy[i], k));
      return s.count();
    });
    auth.close();
    const lib = await reloaded();
    const again = new lib.ExpensicatAuth(config);
    const seen = [];
    again.onSessionChange((e) => seen.push(`${e.type}:${e.reason}`));
    await again.ready();
    eq(again.session, undefined, "the ended login is not restored");
    assert(!seen.some((e) => e.startsWith("started")), seen.join());
    eq(codeOf(await rejection(again.accessToken())), "login_required");
    again.close();
  },

  async issue20_defect7_a_logout_during_the_code_exchange_ends_that_login() {
    const { auth, id } = await client("d7", { revocationEndpoint: `${emu}/api/auth/oauth2/revoke` });
    const cb = await authorize(auth);
    await fault(id, { endpoint: "token", delayMs: 400, times: 1 });
    const seen = [];
    auth.onSessionChange((e) => seen.push(`${e.type}:${e.reason}`));
    const login = auth.handleCallback(cb);
    await sleep(50);
    await auth.logout();
    eq(codeOf(await rejection(login)), "login_required", "the login is over");
    await sleep(200);
    eq(auth.session, undefined, "no session after the exchange answers");
    assert(!seen.some((e) => e.startsWith("started")), seen.join());
    for (let i = 0; i < 100 && (await counter(id, "revokedRefreshTokens")) < 1; i++) await sleep(10);
    eq(await counter(id, "revokedRefreshTokens"), 1, "the tokens the late answer brought are revoked");
  },

  async a_callback_handled_before_a_logout_no_longer_answers_for_the_page() {
    // Review of the Rust driver, the same in this one: the page's memory of handled callbacks
    // (React StrictMode's second call shares the first one's outcome) outlived a logout, so the
    // same callback URL resolved to a session that no longer existed.
    const { auth, id } = await client("cbafterlogout");
    const cb = await authorize(auth);
    await auth.handleCallback(cb);
    await auth.logout();
    eq(codeOf(await rejection(auth.handleCallback(cb))), "callback_already_handled", "not the old login's outcome");
    eq(auth.status, "signed_out");
    eq(await counter(id, "tokenRequests"), 1);
  },

  async issue20_defect8_the_apps_signal_cancels_a_retry_after_wait_and_a_refresh_wait() {
    const { auth, id } = await signedIn("d8");
    await fault(id, { endpoint: "api", status: 429, headers: { "Retry-After": "5" }, body: { error: { code: "rate_limited", message: "slow down" } }, times: 1 });
    const c = new AbortController();
    const started = Date.now();
    const p = auth.fetch("/v1/transactions?limit=1", { signal: c.signal });
    setTimeout(() => c.abort(new DOMException("stop", "AbortError")), 150);
    const e = await rejection(p);
    eq(e.name, "AbortError", "the app's own reason");
    assert(Date.now() - started < 2000, `settled ${Date.now() - started} ms after the call, not after the 5 s wait`);
    // While the call waits for a refresh.
    await control("expire-tokens", { clientId: id });
    await fault(id, { endpoint: "token", delayMs: 3000, times: 1 });
    const c2 = new AbortController();
    const t2 = Date.now();
    const p2 = auth.fetch("/v1/transactions?limit=1", { signal: c2.signal });
    setTimeout(() => c2.abort(new DOMException("stop", "AbortError")), 150);
    eq((await rejection(p2)).name, "AbortError");
    assert(Date.now() - t2 < 2000, `settled ${Date.now() - t2} ms after the call, not after the refresh`);
  },

  async issue20_defect10_an_absolute_url_names_the_scope_it_needs() {
    const { auth, id, config } = await signedIn("d10");
    await fault(id, { endpoint: "api", status: 403, body: { error: { code: "insufficient_scope", message: "no" } }, times: 1 });
    const e = await rejection(auth.fetchJson(`${config.issuer}/api/v1/transactions?limit=1`));
    eq(codeOf(e), "insufficient_scope");
    eq(e.requiredScope, "transactions:read", "from /v1/transactions, not from the host name");
  },

  // ---- DPoP (RFC 9449) ----------------------------------------------------------------------

  async dpop_binds_the_tokens_to_one_non_extractable_key_per_login_and_logout_destroys_it() {
    const { auth, id, config } = await client("dpop", { dpop: true, revocationEndpoint: `${emu}/api/auth/oauth2/revoke` });
    const url = await auth.startLogin({ extraParams: [["auto_approve", "json"]] });
    const jkt = param(url, "dpop_jkt");
    assert(/^[A-Za-z0-9_-]{43}$/.test(jkt ?? ""), `dpop_jkt ${jkt}`);
    const stored = await dpopKey(jkt);
    assert(stored && stored.keys.privateKey instanceof CryptoKey, "the key pair is in IndexedDB under its thumbprint");
    eq(stored.keys.privateKey.extractable, false, "the private key cannot be exported");
    await auth.handleCallback((await call(url)).location);
    eq(await counter(id, "dpopBoundTokens"), 1, "the code exchange was signed with that key");
    eq((await auth.fetchJson("/v1/transactions?limit=2")).data.length, 2);
    await auth.refresh();
    eq((await auth.fetchJson("/v1/transactions?limit=1")).data.length, 1);
    eq(await counter(id, "dpopBoundTokens"), 2, "the refresh too");
    eq(await counter(id, "dpopApiCalls"), 2, "each API call presented its token as DPoP with a proof");
    eq(await counter(id, "dpopApiRefused"), 0);
    // Another tab of the origin (a second session object) gets the session and signs with the
    // same key: the emulator accepts only that key's proofs for these tokens.
    const other = new ExpensicatAuth(config);
    await other.ready();
    eq(other.status, "signed_in");
    eq((await other.fetchJson("/v1/transactions?limit=1")).data.length, 1);
    eq(await counter(id, "dpopApiCalls"), 3);
    other.close();
    // A token without its proof is refused: the binding is real.
    const token = await auth.accessToken();
    const bare = await fetch(`${emu}/api/v1/transactions`, { headers: { Authorization: `Bearer ${token}` } });
    eq(bare.status, 401);
    await auth.logout();
    eq(await counter(id, "dpopRevocations"), 2, "the refresh and access tokens revoked with proofs");
    eq(await dpopKey(jkt), undefined, "logout destroys the login's key");
  },

  async dpop_server_nonces_are_used_after_one_retry_at_the_token_endpoint_and_the_api() {
    await control("settings", { dpopNonce: true });
    try {
      const { auth, id } = await client("dpop-nonce", { dpop: true });
      await auth.handleCallback(await authorize(auth));
      eq(await counter(id, "tokenRequests"), 2, "use_dpop_nonce, then the exchange with the nonce");
      eq(await counter(id, "dpopBoundTokens"), 1);
      eq((await auth.fetchJson("/v1/transactions?limit=1")).data.length, 1);
      // RFC 9449 section 9: the token endpoint's nonce is not the API's to use (they may be
      // two servers on one origin); the API gives its own.
      eq(await counter(id, "apiCalls"), 2, "401 use_dpop_nonce, then one retry with the API's nonce");
      eq((await auth.fetchJson("/v1/transactions?limit=1")).data.length, 1);
      eq(await counter(id, "apiCalls"), 3, "the API's nonce kept");
      await control("dpop-nonce", {});
      eq((await auth.fetchJson("/v1/transactions?limit=1")).data.length, 1);
      eq(await counter(id, "apiCalls"), 5, "a stale nonce: 401 use_dpop_nonce, then one retry with the new one");
      await auth.refresh();
      eq(await counter(id, "refreshes"), 1);
      eq(await counter(id, "tokenRequests"), 4, "the token endpoint's nonce went stale too: the refresh went once more");
      await control("dpop-nonce", {});
      await auth.refresh();
      eq(await counter(id, "tokenRequests"), 6, "a refresh answered use_dpop_nonce is sent once more");
      eq(await counter(id, "refreshReuseDetected"), 0, "a use_dpop_nonce answer leaves the refresh token unspent");
    } finally {
      await control("settings", { dpopNonce: false });
    }
  },

  async dpop_nonces_of_the_token_endpoint_and_the_api_are_not_confused() {
    // RFC 9449 section 9: "the nonces provided by an authorization server and a resource
    // server are different and should not be confused with one another since nonces will be
    // only accepted by the server that issued them". By default the token endpoint and the API
    // share an origin (api.expensicat.com); here each demands its own nonce.
    await control("settings", { dpopNonce: true, dpopApiNonce: true });
    try {
      const { auth, id } = await client("dpop-apart", { dpop: true });
      await auth.handleCallback(await authorize(auth));
      eq(await counter(id, "tokenRequests"), 2, "use_dpop_nonce, then the exchange with the nonce");
      // The server ends the access token early: the call gets the API's nonce, is refused as
      // expired, refreshes, and goes once more with the API's nonce.
      await control("expire-tokens", { clientId: id });
      eq((await auth.fetchJson("/v1/transactions?limit=1")).data.length, 1);
      eq(await counter(id, "refreshes"), 1);
      eq(await counter(id, "tokenRequests"), 3, "the refresh signed with the token endpoint's nonce");
      eq(await counter(id, "apiCalls"), 3, "use_dpop_nonce, expired, then the call with the API's nonce");
    } finally {
      await control("settings", { dpopNonce: false, dpopApiNonce: false });
    }
  },

  async dpop_proofs_name_the_url_the_browser_sends() {
    // RFC 9449 section 4.2: htu is the target URI of the request the proof is attached to. The
    // browser resolves dot segments (and percent-encodes what a URL path may not hold) before
    // it sends; a call that works with a bearer token works with a DPoP-bound one.
    const { auth, id } = await signedIn("dpop-htu", { dpop: true });
    for (const path of ["/v1/./transactions?limit=1", "/v1/x/../transactions?limit=1"]) {
      eq((await auth.fetchJson(path)).data.length, 1, path);
    }
    eq(await counter(id, "dpopApiRefused"), 0);
  },

  async dpop_a_lowercase_method_goes_as_its_proof_names_it() {
    // RFC 9449 section 4.3: htm is the method of the request. fetch upper-cases only the
    // standard methods and sends "patch" as written (refused by CORS, and by a server matching
    // htm "PATCH"); the session sends the method the core signed.
    const { auth, id } = await signedIn("dpop-htm", { dpop: true });
    const res = await auth.fetch("/v1/transactions", { method: "patch", body: "{}" });
    eq(res.status, 404, "the PATCH reached the API, which has no such route");
    eq(await counter(id, "dpopApiRefused"), 0, "its proof's htm matched the method sent");
  },

  async a_failed_push_keeps_no_dpop_key_either() {
    // startLogin's contract: "a push that fails rejects, and keeps nothing". With DPoP the
    // login's private key is stored before the push; nothing ever uses or deletes it after.
    const pushedAuthorizationRequestEndpoint = `${emu}/api/auth/oauth2/par`;
    const { auth, id } = await client("dpop-parfail", { dpop: true, par: true, pushedAuthorizationRequestEndpoint, tokenRequestEncoding: "form" });
    const keys = async () => (await sealedStore("readonly", (s) => s.getAllKeys())).filter((k) => String(k).startsWith("dpop:")).length;
    const before = await keys();
    await fault(id, { endpoint: "par", status: 400, body: { error: "invalid_request", error_description: "no" } });
    eq(codeOf(await rejection(auth.startLogin({ extraParams: [["auto_approve", "json"]] }))), "invalid_request");
    eq(await keys(), before, "no DPoP key kept for a login whose push failed");
  },

  async dpop_a_refresh_answering_after_logout_has_its_tokens_revoked_with_the_key() {
    // A logout while a DPoP refresh is out: the logout revokes the access token (the refresh
    // token may be rotated already); the refresh lands later and its new tokens are revoked,
    // with proofs of the login's key, which is destroyed only after them.
    const { auth, id } = await client("dpop-race", { dpop: true, shareAcrossTabs: false, revocationEndpoint: `${emu}/api/auth/oauth2/revoke` });
    const url = await auth.startLogin({ extraParams: [["auto_approve", "json"]] });
    const jkt = param(url, "dpop_jkt");
    await auth.handleCallback((await call(url)).location);
    await fault(id, { endpoint: "token", delayMs: 600 });
    const refreshing = auth.refresh().catch((e) => e);
    await sleep(100);
    await auth.logout();
    await refreshing;
    for (let i = 0; i < 50 && (await counter(id, "dpopRevocations")) < 3; i++) await sleep(100);
    eq(await counter(id, "refreshes"), 1);
    eq(await counter(id, "dpopRevocations"), 3, "the logout's access token, then the refresh's two tokens");
    eq(await counter(id, "revokedRefreshTokens"), 1, "the rotated refresh token is revoked");
    eq(await dpopKey(jkt), undefined, "the key is gone at the end");
  },

  async a_dedicated_worker_signs_with_the_dpop_key_of_the_pages_login() {
    const { auth, id, config } = await signedIn("dpop-worker", { dpop: true });
    const result = await inWorker(config);
    assert(result.ok, result.error);
    eq(result.n, 1);
    eq(await counter(id, "dpopBoundTokens"), 2, "the page's exchange and the worker's refresh, one key");
    eq(await counter(id, "dpopApiCalls"), 1);
    await auth.fetchJson("/v1/transactions?limit=1");
    eq(await counter(id, "dpopApiCalls"), 2);
    eq(await counter(id, "refreshReuseDetected"), 0);
  },
};

/** Runs one test; resolves to `{ ok }` or `{ ok: false, error }`. */
export function run(name) {
  return runOne(tests, name, async () => {
    wasm ??= await init();
  });
}

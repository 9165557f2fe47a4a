// Every export and method called the way plain JavaScript can call it: each argument replaced in
// turn by a value of the wrong type. Each call must work or throw (or reject with) an
// ExpensicatAuthError; never a WebAssembly trap or a glue TypeError. Runs in Node and in
// Chromium (tests/e2e/browser-api.test.mjs), so it only uses what both have.

export const WRONG = () => [
  ["undefined", undefined],
  ["null", null],
  ["number", 12345],
  ["NaN", NaN],
  ["boolean", true],
  ["object", {}],
  ["array", []],
  ["function", () => 1],
  ["symbol", Symbol("s")],
  ["bigint", 10n],
  ["1 MiB string", "x".repeat(1 << 20)],
];

/**
 * The calls, each with valid arguments (a function, so consumed values are made afresh).
 * `ctx.issuer` is where network calls go (a refused port is fine: errors are typed).
 */
export function calls(lib, ctx) {
  const config = { clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"], issuer: ctx.issuer, timeoutMs: 2000 };
  const auth = new lib.ExpensicatAuth(config);
  const client = new lib.ExpensicatClient(config);
  const parClient = new lib.ExpensicatClient({ ...config, par: true, pushedAuthorizationRequestEndpoint: `${ctx.issuer}/par` });
  const callbackArgs = () => {
    const start = client.createLogin();
    return [`https://app.example/callback?code=abc&state=${start.state}&iss=${encodeURIComponent(ctx.issuer)}`, start.transaction];
  };
  const credInput = { name: "Acme", serverUrl: ctx.issuer, partnerUserId: "aa_matrix", partnerUserSecret: "matrix-secret" };
  const credOptions = { timeoutMs: 2000, onRateLimit: "refuse", rateLimits: [[1000, 1000]] };
  const cred = new lib.ExpensifyCredential(credInput, credOptions);
  const xc = new lib.ExpensifyClient(credInput, credOptions);
  const limiter = xc.limiter();
  const list = [
    ["codeChallengeS256", () => ["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"], (a) => lib.codeChallengeS256(...a)],
    [
      "buildAuthorizeUrl",
      () => [{ clientId: "c", redirectUri: "https://app.example/cb", scopes: ["transactions:read"], codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", state: "A".repeat(43) }],
      (a) => lib.buildAuthorizeUrl(...a),
    ],
    ["parseTokenResponse", () => [200, '{"access_token":"a","token_type":"Bearer"}', 0], (a) => lib.parseTokenResponse(...a)],
    ["requiredScope", () => ["GET", "/v1/transactions"], (a) => lib.requiredScope(...a)],
    ["stripCallbackParams", () => ["https://a.example/cb?code=x"], (a) => lib.stripCallbackParams(...a)],
    ["parseExpensifyResponse", () => [429, '{"responseCode":200}', "json", "5", Date.now()], (a) => lib.parseExpensifyResponse(...a)],
    // What the package's Expensify classes ask the core (and a custom client may).
    ["new ExpensifyClient", () => [credInput, credOptions], (a) => new lib.ExpensifyClient(...a)],
    ["xc.jobRequest", () => [{ type: "get", inputSettings: { type: "policyList" } }, { template: "x" }], (a) => xc.jobRequest(...a)],
    ["xc.policyListRequest", () => [true], (a) => xc.policyListRequest(...a)],
    ["xc.policyDetailsRequest", () => [["P1"], ["categories"]], (a) => xc.policyDetailsRequest(...a)],
    ["xc.exportReportsRequest", () => [{ startDate: "2026-01-01" }, "<#list reports as r>x</#list>", "csv"], (a) => xc.exportReportsRequest(...a)],
    ["xc.downloadRequest", () => ["export.csv"], (a) => xc.downloadRequest(...a)],
    ["xc.createExpensesRequest", () => ["e@example.com", [{ merchant: "Cafe" }]], (a) => xc.createExpensesRequest(...a)],
    ["xc.createReportRequest", () => ["e@example.com", "P1", "Trip", []], (a) => xc.createReportRequest(...a)],
    ["xc.storeRecord", () => [Date.now()], (a) => xc.storeRecord(...a)],
    ["ExpensifyClient.fromRecord", () => { const { record, secret } = xc.storeRecord(Date.now()); return [record, record.id, secret, credOptions]; }, (a) => lib.ExpensifyClient.fromRecord(...a)],
    ["limiter.take", () => [Date.now()], (a) => limiter.take(...a)],
    ["readCredentialRecord", () => [xc.storeRecord(Date.now()).record], (a) => lib.readCredentialRecord(...a)],
    ["connectionStatus", () => ["network"], (a) => lib.connectionStatus(...a)],
    ["expensifyError", () => ["rate_limited", 1000], (a) => lib.expensifyError(...a)],
    ["new ExpensicatAuth", () => [config], (a) => new lib.ExpensicatAuth(...a)],
    ["new ExpensicatClient", () => [config], (a) => new lib.ExpensicatClient(...a)],
    ["client.createLogin", () => [{ scopes: ["transactions:read"] }], (a) => client.createLogin(...a)],
    ["client.parseCallback", callbackArgs, (a) => client.parseCallback(...a)],
    ["client.tokenRequest", () => [client.parseCallback(...callbackArgs())], (a) => client.tokenRequest(...a)],
    ["client.refreshTokenRequest", () => ["rt-token", ["transactions:read"]], (a) => client.refreshTokenRequest(...a)],
    ["client.signRequest", () => ["token", "GET", "/v1/transactions"], (a) => client.signRequest(...a)],
    // What the package's session asks the core (and a custom session may).
    ["client.callbackState", () => [callbackArgs()[0]], (a) => client.callbackState(...a)],
    ["client.cleanedAddressBar", () => ["https://app.example/callback?code=x&state=y"], (a) => client.cleanedAddressBar(...a)],
    ["client.checkApiUrl", () => ["/v1/transactions"], (a) => client.checkApiUrl(...a)],
    ["client.parseTokenResponse", () => [200, '{"access_token":"a","token_type":"Bearer"}'], (a) => client.parseTokenResponse(...a)],
    ["client.revocationRequest", () => ["rt-token", "refresh_token"], (a) => client.revocationRequest(...a)],
    ["client.nextStep", () => [429, "1", 'Bearer error="invalid_token"', Date.now(), { replayable: true, canRefresh: true }], (a) => client.nextStep(...a)],
    ["client.apiError", () => [403, "{}", "1", 'Bearer error="insufficient_scope"', Date.now(), "GET", "/v1/transactions"], (a) => client.apiError(...a)],
    ["apiError", () => [403, "{}", "1", 'Bearer error="insufficient_scope"', Date.now(), "GET", "/v1/transactions"], (a) => lib.apiError(...a)],
    ["core.handle", () => [{ t: "call", id: 1, call: "token" }, Date.now()], (a) => client.sessionCore().handle(...a)],
    ["core.exchange", () => [1, client.parseCallback(...callbackArgs()), Date.now()], (a) => client.sessionCore().exchange(...a)],
    // Discovery and PAR (issue 22): the static steps of `discover`, and the pushed login.
    ["ExpensicatClient.discovery", () => [ctx.issuer, { clientId: "c", redirectUri: "https://app.example/cb" }], (a) => lib.ExpensicatClient.discovery(...a)],
    ["ExpensicatClient.discovery(answer)", () => [ctx.issuer, { clientId: "c", redirectUri: "https://app.example/cb" }, 1, 404, "{}"], (a) => lib.ExpensicatClient.discovery(...a)],
    ["ExpensicatClient.discover", () => [ctx.issuer, { clientId: "c", redirectUri: "https://app.example/cb", timeoutMs: 2000 }], (a) => lib.ExpensicatClient.discover(...a)],
    ["ExpensicatAuth.discover", () => [ctx.issuer, { clientId: "c", redirectUri: "https://app.example/cb", timeoutMs: 2000 }], (a) => lib.ExpensicatAuth.discover(...a)],
    ["parClient.beginLogin", () => [{ scopes: ["transactions:read"] }], (a) => parClient.beginLogin(...a)],
    ["parClient.pushedAuthorizeUrl", () => [201, '{"request_uri":"urn:x","expires_in":60}'], (a) => parClient.pushedAuthorizeUrl(...a)],
    ["auth.logout", () => [], (a) => auth.logout(...a)],
    ["sessionError", () => ["too_large", 200], (a) => lib.sessionError(...a)],
    ["auth.startLogin", () => [{ scopes: ["transactions:read"] }], (a) => auth.startLogin(...a)],
    ["auth.handleCallback", () => [callbackArgs()[0]], (a) => auth.handleCallback(...a)],
    ["auth.isCallback", () => [callbackArgs()[0]], (a) => auth.isCallback(...a)],
    ["auth.fetch", () => ["/v1/transactions", { method: "GET" }], (a) => auth.fetch(...a)],
    ["auth.fetchJson", () => ["/v1/transactions", { method: "GET" }], (a) => auth.fetchJson(...a)],
    ["auth.useBearerToken", () => ["token", Date.now() + 60_000], (a) => auth.useBearerToken(...a)],
    ["auth.onSessionChange", () => [() => {}], (a) => auth.onSessionChange(...a)],
    ["new ExpensifyCredential", () => [credInput, credOptions], (a) => new lib.ExpensifyCredential(...a)],
    ["cred.send", () => [{ type: "get", inputSettings: { type: "policyList" } }, { template: "x" }], (a) => cred.send(...a)],
    ["cred.policyList", () => [true], (a) => cred.policyList(...a)],
    ["cred.policyDetails", () => [["P1"], ["categories"]], (a) => cred.policyDetails(...a)],
    ["cred.exportReports", () => [{ startDate: "2026-01-01" }, "<#list reports as r>x</#list>", "csv"], (a) => cred.exportReports(...a)],
    ["cred.download", () => ["export.csv"], (a) => cred.download(...a)],
    ["cred.createExpenses", () => ["e@example.com", [{ merchant: "Cafe", amount: 1, currency: "USD", created: "2026-01-01" }]], (a) => cred.createExpenses(...a)],
    ["cred.createReport", () => ["e@example.com", "P1", "Trip", []], (a) => cred.createReport(...a)],
  ];
  if (ctx.store) {
    const store = ctx.store;
    list.push(
      ["ExpensifyCredentialStore.open", () => ["matrix-db"], (a) => lib.ExpensifyCredentialStore.open(...a)],
      ["store.save", () => [cred], (a) => store.save(...a)],
      ["store.get", () => ["no-such-id", credOptions], (a) => store.get(...a)],
      ["store.delete", () => ["no-such-id"], (a) => store.delete(...a)],
    );
  }
  return list;
}

/** Runs one call; resolves to null when it worked or failed typed, else a description. */
async function outcome(fn) {
  let value;
  try {
    value = fn();
    if (value && typeof value.then === "function") value = await value;
    return null;
  } catch (e) {
    if (e instanceof Error && e.name === "ExpensicatAuthError" && typeof e.code === "string") {
      if (e.code === "invalid_parameter" && typeof e.field !== "string") return `invalid_parameter without field: ${e.message}`;
      return null;
    }
    return `${e?.constructor?.name ?? typeof e}: ${String(e?.message ?? e).slice(0, 160)}`;
  }
}

/** The whole matrix; resolves to { total, failures: [description...] }. */
export async function runMatrix(lib, ctx) {
  const failures = [];
  let total = 0;
  for (const [name, args, call] of calls(lib, ctx)) {
    const n = args().length;
    for (let i = 0; i < n; i++) {
      for (const [label, bad] of WRONG()) {
        const a = args();
        a[i] = bad;
        total++;
        const problem = await outcome(() => call(a));
        if (problem) failures.push(`${name} argument ${i} = ${label}: ${problem}`);
      }
    }
  }
  return { total, failures };
}

/** A wrong-typed argument names itself: `field` is the argument's name. */
export function namesTheArgument(lib) {
  const out = [];
  const check = (fn, field) => {
    try {
      fn();
      out.push(`${field}: no error`);
    } catch (e) {
      if (e.code !== "invalid_parameter" || e.field !== field) out.push(`${field}: ${e.code} ${e.field}`);
    }
  };
  check(() => lib.codeChallengeS256(12345), "verifier");
  const client = new lib.ExpensicatClient({ clientId: "c", redirectUri: "https://a.example/cb" });
  check(() => client.signRequest({}, "GET", "/v1/x"), "token");
  check(() => lib.parseTokenResponse(200, { access_token: "a" }), "body");
  check(() => lib.parseTokenResponse("200", "{}"), "status");
  check(() => client.parseCallback(null, "{}"), "callbackUrl");
  check(() => new lib.ExpensicatClient("nope"), "config");
  check(() => client.nextStep(429, 1, undefined, 0, {}), "retryAfter");
  check(() => client.nextStep(403, "1", 1, 0, {}), "wwwAuthenticate");
  check(() => client.nextStep(429, "1", undefined, 0, 3), "attempt");
  check(() => lib.apiError(500, "{}", undefined, undefined, 0, Symbol("GET"), "/v1/x"), "method");
  check(() => lib.apiError(403, "{}", undefined, ["Bearer"], 0, "GET", "/v1/x"), "wwwAuthenticate");
  return out;
}

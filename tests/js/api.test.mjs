// The published JavaScript API, loaded from the built package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadLib, pkgUrl, throwsCode } from "./helpers.mjs";

const lib = await loadLib();
const config = { clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] };
// The low-level functions that need the configuration are methods of a client that validated it.
const client = (c = config) => new lib.ExpensicatClient(c);

test("RFC 7636 Appendix B through codeChallengeS256", () => {
  assert.equal(lib.codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  throwsCode(assert, () => lib.codeChallengeS256("too-short"), "invalid_verifier");
});

test("createPkce and generateState are random and well-formed", () => {
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const { verifier, challenge, method } = lib.createPkce();
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(challenge, lib.codeChallengeS256(verifier));
    assert.equal(method, "S256");
    seen.add(verifier);
    seen.add(lib.generateState());
  }
  assert.equal(seen.size, 400);
});

test("createLogin -> parseCallback -> tokenRequest, exact body", () => {
  const c = client();
  const start = c.createLogin();
  const u = new URL(start.url);
  assert.equal(u.origin + u.pathname, "https://api.expensicat.com/api/auth/oauth2/authorize");
  assert.deepEqual([...u.searchParams.keys()], ["client_id", "redirect_uri", "response_type", "scope", "code_challenge", "code_challenge_method", "state"]);
  assert.equal(u.searchParams.get("state"), start.state);
  const { verifier } = JSON.parse(start.transaction);
  assert.equal(u.searchParams.get("code_challenge"), lib.codeChallengeS256(verifier));
  const cb = c.parseCallback(`https://app.example/callback?code=abc&state=${start.state}`, start.transaction);
  assert.equal(String(cb), "ValidatedCallback { [redacted] }");
  assert.deepEqual(cb.requestedScopes, ["transactions:read"]);
  assert.equal(JSON.stringify({ cb }), '{"cb":"[redacted]"}');
  const req = c.tokenRequest(cb);
  assert.deepEqual(req, {
    url: "https://api.expensicat.com/api/auth/oauth2/token",
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({ grant_type: "authorization_code", code: "abc", redirect_uri: "https://app.example/callback", client_id: "demo-client", code_verifier: verifier }),
  });
  // The callback object is consumed: a second exchange is impossible.
  assert.throws(() => c.tokenRequest(cb));
});

test("a bad state never yields something tokenRequest accepts", () => {
  const c = client();
  const start = c.createLogin();
  const { verifier } = JSON.parse(start.transaction);
  throwsCode(assert, () => c.parseCallback("https://app.example/callback?code=abc&state=" + "A".repeat(43), start.transaction), "state_mismatch", [verifier]);
  throwsCode(assert, () => c.parseCallback("https://app.example/callback?code=abc", start.transaction), "missing_state", [verifier]);
});

test("config is strict: misspelt keys and insecure URLs are refused", () => {
  throwsCode(assert, () => client({ ...config, clientSecret: "hunter2" }), "invalid_config", ["hunter2"]);
  throwsCode(assert, () => client({ ...config, redirectUri: "http://app.example/cb" }), "insecure_url");
  // A config of the wrong JavaScript type is an argument error naming the argument.
  assert.equal(throwsCode(assert, () => client("nope"), "invalid_parameter").field, "config");
  throwsCode(assert, () => client({ ...config, scopes: ["admin"] }), "invalid_scope");
});

test("issue 20 defect 3: stored sessions need the tabs to coordinate (storage without shareAcrossTabs is invalid_config)", () => {
  for (const storage of ["indexedDB", "sessionStorage"]) {
    const e = throwsCode(assert, () => client({ ...config, storage, shareAcrossTabs: false }), "invalid_config");
    assert.equal(e.field, "shareAcrossTabs");
    client({ ...config, storage });
  }
  client({ ...config, shareAcrossTabs: false });
});

test("config errors name the key, never the value", () => {
  for (const [bad, field] of [
    [{ timeoutMs: "soon-SECRETvalue" }, "timeoutMs"],
    [{ storage: "localStorage" }, "storage"],
    [{ scopes: "transactions:read" }, "scopes"],
    [{ allowCustomScopes: "yes" }, "allowCustomScopes"],
    [{ clientSecret: "SECRETvalue" }, "config"],
  ]) {
    const e = throwsCode(assert, () => client({ ...config, ...bad }), "invalid_config", ["SECRETvalue"]);
    assert.equal(e.field, field, JSON.stringify(bad));
  }
  const e = throwsCode(assert, () => client().createLogin({ extraParams: [["prompt"]] }), "invalid_config");
  assert.equal(e.field, "extraParams");
});

test("each client keeps the configuration it validated", () => {
  const cfg = { ...config };
  const first = client(cfg);
  cfg.apiBaseUrl = "https://api2.example/api";
  const second = client(cfg);
  assert.equal(first.signRequest("t0k", "GET", "/v1/x").url, "https://api.expensicat.com/api/v1/x");
  assert.equal(second.signRequest("t0k", "GET", "/v1/x").url, "https://api2.example/api/v1/x");
  throwsCode(assert, () => second.signRequest("t0k", "GET", "https://api.expensicat.com/api/v1/x"), "origin_not_allowed");
  cfg.apiBaseUrl = "http://api2.example/api";
  throwsCode(assert, () => client(cfg), "insecure_url");
  // Alternating clients: each call sees its own configuration.
  const third = client({ ...config, apiBaseUrl: "https://api3.example" });
  for (let i = 0; i < 3; i++) {
    assert.equal(first.signRequest("t0k", "GET", "/v1/x").url, "https://api.expensicat.com/api/v1/x");
    assert.equal(third.signRequest("t0k", "GET", "/v1/x").url, "https://api3.example/v1/x");
  }
});

test("form-encoded token requests and refresh", () => {
  const form = { ...config, tokenRequestEncoding: "form" };
  const req = client(form).refreshTokenRequest("rt-123", ["transactions:read"]);
  assert.equal(req.headers["Content-Type"], "application/x-www-form-urlencoded;charset=UTF-8");
  assert.equal(req.body, "grant_type=refresh_token&refresh_token=rt-123&client_id=demo-client&scope=transactions%3Aread");
  throwsCode(assert, () => client(form).refreshTokenRequest(""), "invalid_token");
});

test("token requests follow the server: JSON for Expensicat's, a form for any other, the setting wins", () => {
  const other = { ...config, issuer: "https://as.example/" };
  const form = client(other).refreshTokenRequest("rt-123");
  assert.equal(form.url, "https://as.example/api/auth/oauth2/token");
  assert.equal(form.headers["Content-Type"], "application/x-www-form-urlencoded;charset=UTF-8");
  assert.equal(form.body, "grant_type=refresh_token&refresh_token=rt-123&client_id=demo-client");
  const c = client(other);
  const start = c.createLogin();
  const exchange = c.tokenRequest(c.parseCallback(`https://app.example/callback?code=abc&state=${start.state}&iss=https%3A%2F%2Fas.example%2F`, start.transaction));
  assert.equal(exchange.headers["Content-Type"], "application/x-www-form-urlencoded;charset=UTF-8");
  assert.match(exchange.body, /^grant_type=authorization_code&code=abc&/);
  assert.equal(client({ ...config, tokenEndpoint: "https://proxy.example/token" }).refreshTokenRequest("rt").headers["Content-Type"], "application/x-www-form-urlencoded;charset=UTF-8");
  assert.equal(client().refreshTokenRequest("rt").headers["Content-Type"], "application/json");
  assert.equal(client({ ...other, tokenRequestEncoding: "json" }).refreshTokenRequest("rt").headers["Content-Type"], "application/json");
  assert.equal(client({ ...config, tokenRequestEncoding: "form" }).refreshTokenRequest("rt").headers["Content-Type"], "application/x-www-form-urlencoded;charset=UTF-8");
  const revoke = client({ ...config, revocationEndpoint: "https://api.expensicat.com/revoke" }).revocationRequest("rt", "refresh_token");
  assert.equal(revoke.headers["Content-Type"], "application/x-www-form-urlencoded;charset=UTF-8");
});

test("a JSON token request refused as malformed names tokenRequestEncoding", () => {
  for (const error of ["unsupported_grant_type", "invalid_request"]) {
    const body = JSON.stringify({ error });
    const json = throwsCode(assert, () => client({ ...config, issuer: "https://as.example", tokenRequestEncoding: "json" }).parseTokenResponse(400, body), error);
    assert.match(json.message, /\(sent as JSON: try tokenRequestEncoding "form"\)$/);
    const form = throwsCode(assert, () => client({ ...config, issuer: "https://as.example" }).parseTokenResponse(400, body), error);
    assert.doesNotMatch(form.message, /tokenRequestEncoding/);
  }
  const grant = throwsCode(assert, () => client().parseTokenResponse(400, '{"error":"invalid_grant"}'), "invalid_grant");
  assert.doesNotMatch(grant.message, /tokenRequestEncoding/);
});

test("parseTokenResponse: success, RFC 6749 errors, garbage", () => {
  const t = lib.parseTokenResponse(200, '{"access_token":"at","token_type":"bearer","expires_in":"60","scope":"a b"}', 1000);
  assert.deepEqual(t, { accessToken: "at", tokenType: "Bearer", expiresAt: 61000, scope: ["a", "b"] });
  const e = throwsCode(assert, () => lib.parseTokenResponse(400, '{"error":"invalid_grant","error_description":"used"}'), "invalid_grant");
  assert.equal(e.status, 400);
  assert.equal(e.description, "used");
  throwsCode(assert, () => lib.parseTokenResponse(200, "<!doctype html><p>login"), "invalid_response");
});

test("signRequest refuses other origins", () => {
  const s = client().signRequest("at-9f8e7d6c", "GET", "/v1/transactions");
  assert.deepEqual(s, { url: "https://api.expensicat.com/api/v1/transactions", method: "GET", headers: { Authorization: "Bearer at-9f8e7d6c" } });
  throwsCode(assert, () => client().signRequest("at-9f8e7d6c", "GET", "https://evil.example/api/v1/transactions"), "origin_not_allowed", ["at-9f8e7d6c"]);
});

test("scope helpers", () => {
  assert.equal(lib.listScopes().length, 13);
  assert.deepEqual(lib.listScopes()[0], { name: "transactions:read", description: "Read transactions" });
  assert.equal(lib.requiredScope("GET", "/v1/invoices"), "invoices:read");
  assert.equal(lib.stripCallbackParams("https://a.example/cb?x=1&code=c&state=s#h"), "https://a.example/cb?x=1#h");
});

test("the public .d.ts has no `any` and documents every export", () => {
  const dts = readFileSync(new URL("expensicat_auth.d.ts", pkgUrl), "utf8");
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  assert.ok(!/\bany\b/.test(code), "found `any` in the .d.ts");
  for (const m of dts.matchAll(/^export function (\w+)/gm)) {
    const before = dts.slice(0, m.index).trimEnd();
    assert.ok(before.endsWith("*/"), `export ${m[1]} has no doc comment`);
  }
});

test("ExpensifyCredential never gives its secret back", () => {
  const secret = "hunter2-partner-secret";
  const c = new lib.ExpensifyCredential({ name: " Acme ", partnerUserId: " aa_x ", partnerUserSecret: ` ${secret} `, serverUrl: "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations/" });
  assert.equal(c.name, "Acme");
  assert.equal(c.partnerUserId, "aa_x");
  assert.equal(c.endpoint, "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations");
  const shown = [String(c), JSON.stringify(c), JSON.stringify({ ...c }), Object.keys(c).join(), c.partnerUserSecret].join("|");
  assert.ok(!shown.includes(secret), shown);
  assert.deepEqual(JSON.parse(JSON.stringify(c)), { name: "Acme", description: "", serverUrl: "https://integrations.expensify.com", partnerUserId: "aa_x" });
  const e = throwsCode(assert, () => new lib.ExpensifyCredential({ name: "", partnerUserId: "x", partnerUserSecret: secret }), "invalid_credential", [secret]);
  assert.equal(e.field, "name");
});

test("ExpensicatClient: the configuration checked once, then only the arguments", () => {
  const c = client();
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
  assert.deepEqual(c.signRequest(jwt, "GET", "/v1/transactions?limit=20"), {
    url: "https://api.expensicat.com/api/v1/transactions?limit=20",
    method: "GET",
    headers: { Authorization: `Bearer ${jwt}` },
  });
  // Both ways the result is made (from the caller's strings when the method is as given, from
  // the core's otherwise) give the same request.
  assert.deepEqual(c.signRequest(jwt, "get", "/v1/transactions?limit=20"), c.signRequest(jwt, "GET", "/v1/transactions?limit=20"));
  assert.deepEqual(c.signRequest(jwt, "GET", "https://API.expensicat.com/api/v1/x"), {
    url: "https://api.expensicat.com/api/v1/x",
    method: "GET",
    headers: { Authorization: `Bearer ${jwt}` },
  });
  throwsCode(assert, () => c.signRequest(`${jwt}\r\nX-Evil: 1`, "GET", "/v1/x"), "invalid_token", [jwt]);
  const start = c.createLogin();
  const cb = c.parseCallback(`https://app.example/callback?code=abc&state=${start.state}`, start.transaction);
  assert.equal(JSON.parse(c.tokenRequest(cb).body).code, "abc");
  assert.deepEqual(JSON.parse(c.refreshTokenRequest("rt", ["transactions:read"]).body), {
    grant_type: "refresh_token",
    refresh_token: "rt",
    client_id: "demo-client",
    scope: "transactions:read",
  });
  throwsCode(assert, () => c.signRequest(jwt, "GET", "https://evil.example/x"), "origin_not_allowed", [jwt]);
  throwsCode(assert, () => client({ ...config, clientSecret: "SECRETvalue" }), "invalid_config", ["SECRETvalue"]);
  // The configuration was copied when validated: changing the object later changes nothing.
  const cfg = { ...config };
  const fixed = client(cfg);
  cfg.apiBaseUrl = "https://evil.example/api";
  assert.equal(fixed.signRequest(jwt, "GET", "/v1/x").url, "https://api.expensicat.com/api/v1/x");
  // The free functions that took a config are gone: the client is the one way to them.
  for (const name of ["createLogin", "parseCallback", "tokenRequest", "refreshTokenRequest", "signRequest"]) assert.equal(lib[name], undefined, name);
});


// The emulator's own tests: it must behave like a strict OAuth server, or the library's tests
// against it prove nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { startEmulator } from "../../scripts/emulator.mjs";

let emu;
const redirect = "http://127.0.0.1:9/callback";
before(async () => {
  emu = await startEmulator({ quiet: true, redirectUris: [redirect] });
});
after(() => emu.close());

const pkce = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};
const authorizeUrl = (p, extra = {}) => {
  const u = new URL("/api/auth/oauth2/authorize", emu.url);
  const params = { client_id: "demo-client", redirect_uri: redirect, response_type: "code", scope: "transactions:read", code_challenge: p.challenge, code_challenge_method: "S256", state: "s".repeat(43), ...extra };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
};
const getCode = async (p, extra) => {
  const r = await fetch(authorizeUrl(p, { auto_approve: "1", ...extra }), { redirect: "manual" });
  assert.equal(r.status, 302);
  const loc = new URL(r.headers.get("location"));
  return { code: loc.searchParams.get("code"), loc };
};
const post = (path, body, type = "application/json") =>
  fetch(new URL(path, emu.url), { method: "POST", redirect: "manual", headers: { "Content-Type": type }, body: type === "application/json" ? JSON.stringify(body) : new URLSearchParams(body).toString() });
const exchange = (code, verifier, type) => post("/api/auth/oauth2/token", { grant_type: "authorization_code", code, redirect_uri: redirect, client_id: "demo-client", code_verifier: verifier }, type);
const counters = async (id = "demo-client") => (await fetch(`${emu.url}/__emulator/counters?client_id=${id}`)).json();

test("start line names URL, client, redirect URI and partner credentials", () => {
  assert.match(emu.line, /^listening on http:\/\/127\.0\.0\.1:\d+ client_id=demo-client redirect_uri=http:\/\/127\.0\.0\.1:9\/callback partnerUserID=\S+ partnerUserSecret=\S+$/);
});

test("consent page, then redirect with code, state and iss", async () => {
  const p = pkce();
  const page = await (await fetch(authorizeUrl(p))).text();
  assert.match(page, /Allow/);
  assert.match(page, /transactions:read/);
  const id = /name="request" value="([^"]+)"/.exec(page)[1];
  const r = await post("/api/auth/oauth2/authorize/decision", { request: id, decision: "allow" }, "application/x-www-form-urlencoded");
  const loc = new URL(r.headers.get("location"));
  assert.equal(loc.origin + loc.pathname, redirect);
  assert.equal(loc.searchParams.get("state"), "s".repeat(43));
  assert.equal(loc.searchParams.get("iss"), emu.url);
  assert.ok(loc.searchParams.get("code"));
  const deny = await post("/api/auth/oauth2/authorize/decision", { request: id, decision: "allow" }, "application/x-www-form-urlencoded");
  assert.equal(deny.status, 400, "a consent request is single-use");
});

test("authorize validation", async () => {
  const p = pkce();
  const bad = await fetch(authorizeUrl(p, { redirect_uri: "http://127.0.0.1:9/other" }), { redirect: "manual" });
  assert.equal(bad.status, 400, "unregistered redirect_uri is never redirected to");
  const cases = [
    [{ response_type: "token" }, "unsupported_response_type"],
    [{ code_challenge_method: "plain" }, "invalid_request"],
    [{ scope: "transactions:read root" }, "invalid_scope"],
    [{ auto_approve: "deny" }, "access_denied"],
  ];
  for (const [extra, error] of cases) {
    const r = await fetch(authorizeUrl(p, { auto_approve: "1", ...extra }), { redirect: "manual" });
    assert.equal(new URL(r.headers.get("location")).searchParams.get("error"), error, JSON.stringify(extra));
  }
});

test("code exchange verifies PKCE, is single-use, and a reused code revokes its tokens", async () => {
  const p = pkce();
  const { code } = await getCode(p);
  const wrong = await exchange(code, pkce().verifier);
  assert.equal((await wrong.json()).error, "invalid_grant");
  const p2 = pkce();
  const { code: code2 } = await getCode(p2);
  const ok = await exchange(code2, p2.verifier, "application/x-www-form-urlencoded");
  assert.equal(ok.status, 200);
  const tokens = await ok.json();
  assert.equal(tokens.token_type, "Bearer");
  assert.equal(tokens.scope, "transactions:read");
  const api = () => fetch(`${emu.url}/api/v1/transactions?limit=2`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal((await api()).status, 200);
  const again = await exchange(code2, p2.verifier);
  assert.equal((await again.json()).error, "invalid_grant");
  assert.equal((await api()).status, 401, "tokens from a replayed code are revoked");
});

test("refresh rotates, and reuse of an old refresh token revokes the family", async () => {
  const p = pkce();
  const { code } = await getCode(p);
  const t1 = await (await exchange(code, p.verifier)).json();
  const refresh = (rt) => post("/api/auth/oauth2/token", { grant_type: "refresh_token", refresh_token: rt, client_id: "demo-client" });
  const t2 = await (await refresh(t1.refresh_token)).json();
  assert.notEqual(t2.refresh_token, t1.refresh_token);
  const reuse = await refresh(t1.refresh_token);
  assert.equal((await reuse.json()).error, "invalid_grant");
  assert.equal((await refresh(t2.refresh_token)).status, 400, "the whole family is revoked");
});

test("revocation (RFC 7009): a revoked refresh token no longer refreshes, a revoked access token no longer calls the API", async () => {
  const form = "application/x-www-form-urlencoded";
  const revoke = (token, hint) => post("/api/auth/oauth2/revoke", { token, token_type_hint: hint, client_id: "demo-client" }, form);
  const api = (at) => fetch(new URL("/api/v1/transactions?limit=1", emu.url), { headers: { Authorization: `Bearer ${at}` } });
  const refresh = (rt) => post("/api/auth/oauth2/token", { grant_type: "refresh_token", refresh_token: rt, client_id: "demo-client" });
  const login = async () => {
    const p = pkce();
    const { code } = await getCode(p);
    return (await exchange(code, p.verifier)).json();
  };
  // An access token alone.
  const t1 = await login();
  assert.equal((await api(t1.access_token)).status, 200);
  assert.equal((await revoke(t1.access_token, "access_token")).status, 200);
  assert.equal((await api(t1.access_token)).status, 401);
  assert.equal((await refresh(t1.refresh_token)).status, 200, "revoking an access token leaves its refresh token");
  // A refresh token: its whole family, access tokens included.
  const t2 = await login();
  assert.equal((await revoke(t2.refresh_token, "refresh_token")).status, 200);
  assert.equal((await (await refresh(t2.refresh_token)).json()).error, "invalid_grant");
  assert.equal((await api(t2.access_token)).status, 401);
  // Unknown tokens: 200, nothing learnt. A missing token or an unknown client: an OAuth error.
  assert.equal((await revoke("nope", "refresh_token")).status, 200);
  assert.equal((await post("/api/auth/oauth2/revoke", { client_id: "demo-client" }, form)).status, 400);
  assert.equal((await post("/api/auth/oauth2/revoke", { token: "x", client_id: "nobody" }, form)).status, 401);
  const c = await counters();
  assert.ok(c.revokedRefreshTokens >= 1 && c.revokedAccessTokens >= 1, JSON.stringify(c));
});

test("API: bearer, scopes, pagination, errors, 429", async () => {
  const p = pkce();
  const { code } = await getCode(p, { scope: "transactions:read" });
  const t = await (await exchange(code, p.verifier)).json();
  const h = { Authorization: `Bearer ${t.access_token}` };
  const page1 = await (await fetch(`${emu.url}/api/v1/transactions?limit=50`, { headers: h })).json();
  assert.equal(page1.data.length, 50);
  const page2 = await (await fetch(`${emu.url}/api/v1/transactions?limit=50&cursor=${page1.meta.next_cursor}`, { headers: h })).json();
  assert.equal(page2.data.length, 7);
  assert.equal(page2.meta.next_cursor, null);
  const noAuth = await fetch(`${emu.url}/api/v1/transactions`);
  assert.equal(noAuth.status, 401);
  assert.deepEqual(Object.keys((await noAuth.json()).error), ["code", "message"]);
  const write = await fetch(`${emu.url}/api/v1/transactions`, { method: "POST", headers: { ...h, "Content-Type": "application/json" }, body: "{}" });
  assert.equal(write.status, 403);
  assert.equal((await write.json()).error.details.required_scope, "transactions:write");
  await post("/__emulator/settings", { apiRateLimit: 1 });
  await fetch(`${emu.url}/api/v1/transactions`, { headers: h });
  const limited = await fetch(`${emu.url}/api/v1/transactions`, { headers: h });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "1");
  await post("/__emulator/settings", { apiRateLimit: 1000 });
  await post("/__emulator/expire-tokens", {});
  const expired = await fetch(`${emu.url}/api/v1/transactions`, { headers: h });
  assert.equal((await expired.json()).error.code, "token_expired");
});

test("faults: status, HTML, truncated JSON, delay, dropped connection; counters", async () => {
  await post("/__emulator/clients", { clientId: "fault-client", redirectUris: [redirect] });
  const tokenReq = () => post("/api/auth/oauth2/token", { grant_type: "refresh_token", refresh_token: "x", client_id: "fault-client" });
  await post("/__emulator/faults", { endpoint: "token", clientId: "fault-client", status: 503 });
  assert.equal((await tokenReq()).status, 503);
  await post("/__emulator/faults", { endpoint: "token", clientId: "fault-client", html: true });
  assert.match(await (await tokenReq()).text(), /<html>/);
  await post("/__emulator/faults", { endpoint: "token", clientId: "fault-client", truncated: true });
  await assert.rejects((await tokenReq()).json());
  await post("/__emulator/faults", { endpoint: "token", clientId: "fault-client", drop: true });
  await assert.rejects((await tokenReq()).text());
  await post("/__emulator/faults", { endpoint: "token", clientId: "fault-client", reset: true });
  await assert.rejects(tokenReq());
  await post("/__emulator/faults", { endpoint: "token", clientId: "fault-client", delayMs: 150 });
  const t0 = Date.now();
  await tokenReq();
  assert.ok(Date.now() - t0 >= 140);
  assert.equal((await tokenReq()).status, 400, "faults are used up");
  const c = await counters("fault-client");
  assert.equal(c.tokenRequests, 7);
  assert.equal(c.refreshes, 2, JSON.stringify(c));
});

test("CORS only for loopback origins", async () => {
  const ok = await fetch(`${emu.url}/api/auth/oauth2/token`, { method: "OPTIONS", headers: { Origin: "http://127.0.0.1:8080" } });
  assert.equal(ok.headers.get("access-control-allow-origin"), "http://127.0.0.1:8080");
  const evil = await fetch(`${emu.url}/api/auth/oauth2/token`, { method: "OPTIONS", headers: { Origin: "https://evil.example" } });
  assert.equal(evil.headers.get("access-control-allow-origin"), null);
});

test("metadata (RFC 8414, OpenID Connect Discovery) at both well-known addresses, switchable", async () => {
  const settings = (s) => post("/__emulator/settings", s);
  for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
    const m = await (await fetch(new URL(path, emu.url))).json();
    assert.equal(m.issuer, emu.url);
    assert.equal(m.token_endpoint, `${emu.url}/api/auth/oauth2/token`);
    assert.equal(m.pushed_authorization_request_endpoint, `${emu.url}/api/auth/oauth2/par`);
    assert.deepEqual(m.code_challenge_methods_supported, ["S256"]);
    assert.equal(m.require_pushed_authorization_requests, false);
  }
  await settings({ metadataAt: "openid", metadata: { issuer: "https://evil.example" } });
  assert.equal((await fetch(`${emu.url}/.well-known/oauth-authorization-server`)).status, 404);
  assert.equal((await (await fetch(`${emu.url}/.well-known/openid-configuration`)).json()).issuer, "https://evil.example");
  await settings({ metadataAt: "both", metadata: {} });
});

test("PAR (RFC 9126): 201 with a one-time request_uri that expires; the authorize endpoint takes it, and only it when required", async () => {
  const p = pkce();
  const form = { client_id: "demo-client", redirect_uri: redirect, response_type: "code", scope: "transactions:read", code_challenge: p.challenge, code_challenge_method: "S256", state: "s".repeat(43), auto_approve: "1" };
  const push = (body, type = "application/x-www-form-urlencoded") => post("/api/auth/oauth2/par", body, type);
  const r = await push(form);
  assert.equal(r.status, 201);
  const { request_uri, expires_in } = await r.json();
  assert.match(request_uri, /^urn:ietf:params:oauth:request_uri:/);
  assert.equal(expires_in, 60);
  const go = (uri, client = "demo-client") => fetch(`${emu.url}/api/auth/oauth2/authorize?client_id=${client}&request_uri=${encodeURIComponent(uri)}`, { redirect: "manual" });
  const first = await go(request_uri);
  assert.equal(first.status, 302);
  const code = new URL(first.headers.get("location")).searchParams.get("code");
  assert.equal((await exchange(code, p.verifier, "application/x-www-form-urlencoded")).status, 200, "the pushed challenge is the one checked");
  assert.equal((await go(request_uri)).status, 400, "used once");
  assert.equal((await push(form, "application/json")).status, 400, "a form only");
  assert.equal((await push({ ...form, request_uri: "urn:x" })).status, 400);
  assert.equal((await push({ ...form, client_id: "nobody" })).status, 401);
  assert.equal((await (await push({ ...form, code_challenge_method: "plain" })).json()).error, "invalid_request");
  const other = await (await push(form)).json();
  assert.equal((await go(other.request_uri, "someone-else")).status, 400, "bound to its client");
  await post("/__emulator/settings", { requirePar: true });
  try {
    assert.equal((await fetch(authorizeUrl(p, { auto_approve: "1" }), { redirect: "manual" })).status, 400, "required: the plain authorize request is refused");
    assert.equal((await (await fetch(`${emu.url}/.well-known/openid-configuration`)).json()).require_pushed_authorization_requests, true);
  } finally {
    await post("/__emulator/settings", { requirePar: false });
  }
});

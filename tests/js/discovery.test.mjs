// Discovery through the npm package in Node (RFC 8414, then OpenID Connect Discovery):
// `ExpensicatClient.discover` and `ExpensicatAuth.discover` against the emulator's metadata at
// either well-known address, and every way a metadata answer can be refused, with its exact code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { loadLib } from "./helpers.mjs";
import { startEmulator } from "../../scripts/emulator.mjs";

const lib = await loadLib();
let emu;
const redirectUri = "http://127.0.0.1:9/callback";
const config = { clientId: "demo-client", redirectUri, scopes: ["transactions:read"], tokenRequestEncoding: "form" };

before(async () => {
  emu = await startEmulator({ quiet: true, redirectUris: [redirectUri] });
});
after(() => emu.close());

const settings = (s) => fetch(`${emu.url}/__emulator/settings`, { method: "POST", body: JSON.stringify(s) }).then((r) => r.json());
const fault = (spec) => fetch(`${emu.url}/__emulator/faults`, { method: "POST", body: JSON.stringify(spec) });
const counters = async () => (await fetch(`${emu.url}/__emulator/counters`)).json();
const reset = () => Promise.all([settings({ metadataAt: "both", metadata: {}, requirePar: false }), fetch(`${emu.url}/__emulator/reset`, { method: "POST" })]);

async function rejects(p, code) {
  let err;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof Error, `expected ${code}`);
  assert.equal(err.code, code, err.message);
  return err;
}

test("the plan: RFC 8414 address first, OpenID Connect second, the configuration checked first", () => {
  const plan = lib.ExpensicatClient.discovery("https://as.example/tenant/", { clientId: "c", redirectUri: "https://app.example/cb" });
  assert.deepEqual(plan, {
    urls: ["https://as.example/.well-known/oauth-authorization-server/tenant", "https://as.example/tenant/.well-known/openid-configuration"],
    timeoutMs: 15000,
    maxBytes: 65536,
  });
  const code = (fn) => {
    try {
      fn();
    } catch (e) {
      return e.code;
    }
    return "ok";
  };
  const plan2 = (issuer, c) => () => lib.ExpensicatClient.discovery(issuer, c);
  const ok = { clientId: "c", redirectUri: "https://app.example/cb" };
  assert.equal(code(plan2("http://as.example", ok)), "insecure_url");
  assert.equal(code(plan2("https://as.example?x=1", ok)), "invalid_url");
  assert.equal(code(plan2("https://as.example", { ...ok, tokenEndpoint: "https://evil.example/t" })), "invalid_config");
  assert.equal(code(plan2("https://as.example", { ...ok, issuer: "https://as.example" })), "invalid_config");
  assert.equal(code(plan2("https://as.example", { ...ok, clientSecret: "x" })), "invalid_config");
  assert.equal(code(plan2("https://as.example", { ...ok, redirectUri: "http://app.example/cb" })), "insecure_url");
  assert.equal(code(plan2(7, ok)), "invalid_parameter");
  assert.equal(code(plan2("https://as.example", "config")), "invalid_parameter");
});

test("a client from the issuer alone, metadata at both addresses: the RFC 8414 one is used", async () => {
  await reset();
  const client = await lib.ExpensicatClient.discover(emu.url, config);
  assert.ok(client instanceof lib.ExpensicatClient);
  const start = client.createLogin();
  assert.ok(start.url.startsWith(`${emu.url}/api/auth/oauth2/authorize?`), start.url);
  const c = await counters();
  assert.equal(c["metadata:oauth"], 1);
  assert.equal(c["metadata:openid"], undefined);
  assert.equal(client.revocationRequest("rt", "refresh_token").url, `${emu.url}/api/auth/oauth2/revoke`);
});

test("only the OpenID Connect address: the fallback finds it", async () => {
  await reset();
  await settings({ metadataAt: "openid" });
  const client = await lib.ExpensicatClient.discover(emu.url, config);
  assert.ok(client.createLogin().url.startsWith(`${emu.url}/api/auth/oauth2/authorize?`));
  const c = await counters();
  assert.equal(c["metadata:oauth"], 1);
  assert.equal(c["metadata:openid"], 1);
  await reset();
});

test("ExpensicatAuth.discover makes a session", async () => {
  await reset();
  const auth = await lib.ExpensicatAuth.discover(emu.url, config);
  assert.ok(auth instanceof lib.ExpensicatAuth);
  await auth.ready();
  assert.equal(auth.status, "signed_out");
  auth.close();
});

test("refused metadata: exact codes, and a 2xx answer at the first address is final", async () => {
  const cases = [
    [{ metadataAt: "none" }, "invalid_response"],
    [{ metadata: { issuer: `${emu.url}/` } }, "issuer_mismatch"],
    [{ metadata: { issuer: "https://evil.example" } }, "issuer_mismatch"],
    [{ metadata: { code_challenge_methods_supported: ["plain"] } }, "invalid_response"],
    [{ metadata: { code_challenge_methods_supported: null } }, "invalid_response"],
    [{ metadata: { token_endpoint: "http://evil.example/token" } }, "insecure_url"],
    [{ metadata: { authorization_endpoint: `${emu.url}/a#x` } }, "invalid_url"],
    [{ metadata: { token_endpoint: 42 } }, "invalid_response"],
    [{ metadata: { pushed_authorization_request_endpoint: null, require_pushed_authorization_requests: true } }, "invalid_response"],
  ];
  for (const [s, code] of cases) {
    await reset();
    await settings(s);
    await rejects(lib.ExpensicatClient.discover(emu.url, config), code);
    await rejects(lib.ExpensicatAuth.discover(emu.url, config), code);
  }
  // The first address answers with a bad document: the second is never asked.
  await reset();
  await settings({ metadata: { issuer: "https://evil.example" } });
  await rejects(lib.ExpensicatClient.discover(emu.url, config), "issuer_mismatch");
  assert.equal((await counters())["metadata:openid"], undefined);
  await reset();
});

test("the network: HTML, a huge body, a dropped first address, a deadline over both", async () => {
  await reset();
  await fault({ endpoint: "metadata:oauth", html: true });
  await rejects(lib.ExpensicatClient.discover(emu.url, config), "invalid_response");
  await reset();
  await fault({ endpoint: "metadata:oauth", hugeBytes: 10 * 1024 * 1024 });
  await rejects(lib.ExpensicatClient.discover(emu.url, config), "invalid_response");
  await reset();
  await fault({ endpoint: "metadata:oauth", reset: true });
  const client = await lib.ExpensicatClient.discover(emu.url, config);
  assert.ok(client.createLogin().url.startsWith(emu.url));
  await reset();
  await fault({ endpoint: "metadata:oauth", reset: true });
  await fault({ endpoint: "metadata:openid", reset: true });
  await rejects(lib.ExpensicatClient.discover(emu.url, config), "network");
  await reset();
  await fault({ endpoint: "metadata:oauth", status: 404, delayMs: 300 });
  await fault({ endpoint: "metadata:openid", delayMs: 300 });
  const t0 = Date.now();
  await rejects(lib.ExpensicatClient.discover(emu.url, { ...config, timeoutMs: 450 }), "timeout");
  assert.ok(Date.now() - t0 < 1500);
  await reset();
});

test("a redirect is never followed: the next address is asked", async () => {
  await reset();
  await fault({ endpoint: "metadata:oauth", status: 302, headers: { Location: "https://evil.example/.well-known/oauth-authorization-server" } });
  const client = await lib.ExpensicatClient.discover(emu.url, config);
  assert.ok(client.createLogin().url.startsWith(emu.url));
  assert.equal((await counters())["metadata:openid"], 1);
  await reset();
});

test("a server that requires PAR: the discovered client pushes, and the URL names only the request_uri", async () => {
  await reset();
  await settings({ requirePar: true });
  const client = await lib.ExpensicatClient.discover(emu.url, { ...config, par: false });
  assert.throws(() => client.createLogin(), (e) => e.code === "invalid_config" && e.field === "par");
  const start = client.beginLogin({ extraParams: [["auto_approve", "1"]] });
  assert.equal(start.push.url, `${emu.url}/api/auth/oauth2/par`);
  assert.equal(start.push.headers["Content-Type"], "application/x-www-form-urlencoded;charset=UTF-8");
  const res = await fetch(start.push.url, { method: "POST", headers: start.push.headers, body: start.push.body });
  const before = Date.now();
  const { url, expiresAt } = client.pushedAuthorizeUrl(res.status, await res.text());
  assert.deepEqual([...new URL(url).searchParams.keys()], ["client_id", "request_uri"]);
  assert.ok(expiresAt >= before + 59_000 && expiresAt <= Date.now() + 60_000, `${expiresAt - before}`);
  const back = await fetch(url, { redirect: "manual" });
  assert.equal(back.status, 302);
  const cb = back.headers.get("location");
  const validated = client.parseCallback(cb, start.transaction);
  const exchange = client.tokenRequest(validated);
  const tokens = await fetch(exchange.url, { method: "POST", headers: exchange.headers, body: exchange.body });
  assert.equal(client.parseTokenResponse(tokens.status, await tokens.text()).tokenType, "Bearer");
  await reset();
});

test("the app opts in to PAR where the server lists the endpoint without requiring it", async () => {
  await reset();
  const client = await lib.ExpensicatClient.discover(emu.url, { ...config, par: true });
  assert.ok(client.beginLogin().push);
  const plain = await lib.ExpensicatClient.discover(emu.url, config);
  assert.ok(plain.beginLogin().url.includes("code_challenge="), "without par: the usual authorize URL");
  await settings({ metadata: { pushed_authorization_request_endpoint: null } });
  await rejects(lib.ExpensicatClient.discover(emu.url, { ...config, par: true }), "invalid_config");
  await reset();
});

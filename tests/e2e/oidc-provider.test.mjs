// Interoperability with an authorization server nobody here wrote: node `oidc-provider`
// (panva), configured strictly (PKCE required, RFC 9207 `iss` in every authorization response,
// refresh-token rotation, revocation, a public client with token_endpoint_auth_method none),
// started on 127.0.0.1 on a free port. In Chromium, Firefox and WebKit the package discovers
// the server from its issuer alone, signs in, calls a small resource server of this test (which
// checks each token with the provider's own `AccessToken.find`), refreshes, shares the session
// with a second tab, and logs out with revocation. A second run makes the server require pushed
// authorization requests (RFC 9126), and a third DPoP-bound tokens (RFC 9449: the client
// registered with dpop_bound_access_tokens, the server demanding a nonce in every proof, the
// resource server accepting only `Authorization: DPoP` with a valid proof of the token's key).
//
// The front channel (the user's visit to the authorize endpoint) is the one part a browser app
// does not perform itself: here Node follows it with a cookie jar, and an interaction that logs
// in a fixed account and grants what was asked stands in for the login and consent pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { fileURLToPath } from "node:url";
import Provider from "oidc-provider";
import { startStaticServer } from "../../scripts/serve.mjs";
import { browsers } from "./webdriver.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const ACCOUNT = "alice";

let server; // the static server of the repository (the app's origin)
let drivers;
const tabUrl = () => `http://127.0.0.1:${server.address().port}/tests/browser/tab.html`;

/** Listens on a free port of 127.0.0.1; resolves to the server. */
function listen(handler) {
  const s = createServer(handler);
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}

/** The key thumbprint (RFC 7638) of a valid DPoP proof of `method url` for `token` (RFC 9449
 * section 4.3, checked as a resource server does), or undefined. */
function dpopProofKey(proof, method, url, token) {
  try {
    const [h, c, sig] = proof.split(".");
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const claims = JSON.parse(Buffer.from(c, "base64url").toString());
    const { kty, crv, x, y } = header.jwk;
    const key = createPublicKey({ key: { kty, crv, x, y }, format: "jwk" });
    const ok =
      header.typ === "dpop+jwt" &&
      header.alg === "ES256" &&
      !("d" in header.jwk) &&
      verify("sha256", Buffer.from(`${h}.${c}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(sig, "base64url")) &&
      claims.htm === method &&
      claims.htu === url &&
      Math.abs(claims.iat - Date.now() / 1000) < 60 &&
      claims.ath === createHash("sha256").update(token).digest("base64url");
    return ok ? createHash("sha256").update(JSON.stringify({ crv, kty, x, y })).digest("base64url") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The authorization server: oidc-provider on 127.0.0.1, and the resource server the app calls.
 * `requirePar`: the server takes pushed authorization requests only. `dpop`: DPoP-bound tokens
 * only, a server nonce in every proof.
 */
async function startServers({ requirePar, dpop = false }) {
  const stats = { apiCalls: 0, apiRefused: 0, tokenRequests: 0, refreshes: 0, revoked: new Set(), par: 0, dpopApiCalls: 0, tokenTypes: [], refreshTokens: [] };
  const http = await listen(() => {});
  const issuer = `http://127.0.0.1:${http.address().port}`;
  const jwk = { ...generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }), kid: "k1", alg: "ES256", use: "sig" };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "interop-app",
        token_endpoint_auth_method: "none",
        application_type: "web",
        redirect_uris: [tabUrl()],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        require_pushed_authorization_requests: requirePar,
        dpop_bound_access_tokens: dpop,
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ["interop-test-cookie-key-0123456789"] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      introspection: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: requirePar },
      dPoP: { enabled: dpop, nonceSecret: randomBytes(32), requireNonce: () => dpop },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // CORS for the app's origin only; a client revokes only its own tokens.
    clientBasedCORS: (_ctx, origin) => origin === new URL(tabUrl()).origin,
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => true,
    ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, RefreshToken: 3600, Grant: 3600, Interaction: 600, Session: 3600, PushedAuthorizationRequest: 60 },
  });
  provider.on("grant.success", (ctx) => {
    stats.tokenRequests++;
    stats.tokenTypes.push(ctx.body?.token_type);
    stats.refreshTokens.push(ctx.body?.refresh_token);
    if (ctx.oidc.params?.grant_type === "refresh_token") stats.refreshes++;
  });
  // The tokens of the revocation requests the server answered 200 (an unknown token too, RFC 7009).
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === "revocation" && ctx.status === 200) stats.revoked.add(ctx.oidc.params.token);
  });
  provider.on("pushed_authorization_request.success", () => stats.par++);
  provider.on("server_error", (_ctx, e) => console.error("oidc-provider server_error", e));
  const callback = provider.callback();
  http.on("request", async (req, res) => {
    try {
      if (req.url.startsWith("/interaction/")) return await approve(provider, req, res);
      return callback(req, res);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });

  // The resource server: every token is checked with the provider itself.
  const api = await listen(async (req, res) => {
    const cors = { "Access-Control-Allow-Origin": req.headers.origin ?? "*", "Access-Control-Allow-Headers": "Authorization, DPoP", "Access-Control-Expose-Headers": "WWW-Authenticate" };
    if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
    stats.apiCalls++;
    const m = /^(Bearer|DPoP) (\S+)$/.exec(req.headers.authorization ?? "");
    let token = m ? await provider.AccessToken.find(m[2]) : undefined;
    if (token?.jkt !== undefined || m?.[1] === "DPoP") {
      // A DPoP-bound token: only as DPoP, with a proof of its key for this request.
      const url = `http://127.0.0.1:${api.address().port}${req.url.split("?")[0]}`;
      const jkt = m?.[1] === "DPoP" && typeof req.headers.dpop === "string" ? dpopProofKey(req.headers.dpop, req.method, url, m[2]) : undefined;
      if (!jkt || jkt !== token?.jkt) token = undefined;
      else stats.dpopApiCalls++;
    }
    if (!token || token.isExpired) {
      stats.apiRefused++;
      return res.writeHead(401, { ...cors, "Content-Type": "application/json", "WWW-Authenticate": 'Bearer error="invalid_token"' }).end('{"error":{"code":"invalid_token","message":"bad token"}}');
    }
    res.writeHead(200, { ...cors, "Content-Type": "application/json" }).end(JSON.stringify({ sub: token.accountId, scope: token.scope, path: req.url }));
  });
  return {
    issuer,
    provider,
    stats,
    apiBase: `http://127.0.0.1:${api.address().port}/api`,
    close: () => Promise.all([http, api].map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r))))),
  };
}

/** The interaction: logs in the fixed account, then grants the scopes the client asked for. */
async function approve(provider, req, res) {
  const { prompt, params, grantId } = await provider.interactionDetails(req, res);
  if (prompt.name === "login") return provider.interactionFinished(req, res, { login: { accountId: ACCOUNT } }, { mergeWithLastSubmission: false });
  const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: ACCOUNT, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
  return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/** Follows the front channel from `authorizeUrl` as a browser would (cookies, redirects) until
 * it leaves the authorization server: resolves to the callback URL. */
async function frontChannel(authorizeUrl, issuer) {
  const jar = new Map();
  let url = authorizeUrl;
  for (let hops = 0; hops < 10; hops++) {
    if (!url.startsWith(issuer)) return url;
    const res = await fetch(url, { redirect: "manual", headers: { Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.get("location");
    if (!location) assert.fail(`the authorization server answered ${res.status} at ${url}: ${(await res.text()).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").slice(-400)}`);
    url = new URL(location, url).href;
  }
  assert.fail("too many redirects");
}

// Page-side steps (each runs in a tab of tests/browser/tab.html).
const ready = () => new Promise((r) => {
  const check = () => (document.body?.dataset.ready ? r() : setTimeout(check, 20));
  check();
});
const discoverStep = async ({ issuer, config }) => {
  window.auth = await window.lib.ExpensicatAuth.discover(issuer, config);
  window.auth.onSessionChange((e) => window.events.push({ type: e.type, reason: e.reason }));
  await window.auth.ready();
  return window.auth.status;
};
const startLoginStep = () => window.auth.startLogin();
const callbackStep = (cb) => window.outcome(window.auth.handleCallback(cb));
const callStep = (path) => window.outcome(window.auth.fetchJson(path));
const refreshStep = () => window.outcome(window.auth.refresh());
const tokenStep = () => window.auth.accessToken();
const logoutStep = () => window.auth.logout();
const sessionStep = () => window.auth.session ?? null;
const eventsStep = () => window.events.map((e) => `${e.type}:${e.reason}`);

const waitFor = async (what, check, ms = 5000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (await check()) return;
  assert.fail(`timed out waiting for ${what}`);
};

before(async () => {
  server = await startStaticServer({ port: 0, root: repo });
  drivers = await browsers();
});
after(async () => {
  await drivers?.close();
  server?.closeAllConnections?.();
  server?.close();
});

/** The scenario in one engine against a fresh server. */
async function interop(driver, { requirePar, dpop = false }) {
  const as = await startServers({ requirePar, dpop });
  const context = await driver.context();
  try {
    const config = {
      clientId: "interop-app",
      redirectUri: tabUrl(),
      scopes: ["openid", "offline_access"],
      allowCustomScopes: true,
      requireIssuer: true,
      apiBaseUrl: as.apiBase,
      // Until form-encoded token requests are the default for servers other than Expensicat.
      tokenRequestEncoding: "form",
      dpop,
    };
    const tab = async (status) => {
      const t = await context.open(tabUrl());
      await t.run(ready);
      assert.equal(await t.run(discoverStep, { issuer: as.issuer, config }), status);
      return t;
    };
    // Discovery and login.
    const a = await tab("signed_out");
    const authorizeUrl = await a.run(startLoginStep);
    const u = new URL(authorizeUrl);
    if (requirePar) {
      assert.deepEqual([...u.searchParams.keys()].sort(), ["client_id", "request_uri"], authorizeUrl);
      assert.equal(as.stats.par, 1);
      // The server does require it: the same request in the URL gets no code.
      const plain = new URL(u.origin + u.pathname);
      for (const [k, v] of Object.entries({ client_id: "interop-app", redirect_uri: tabUrl(), response_type: "code", scope: "openid", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256", state: "x".repeat(43) })) plain.searchParams.set(k, v);
      const refused = await fetch(plain, { redirect: "manual" });
      const to = refused.headers.get("location") ?? "";
      assert.ok(!to.includes("code=") && (refused.status === 400 || to.includes("error=")), `${refused.status} ${to}`);
    } else {
      assert.equal(u.searchParams.get("code_challenge_method"), "S256");
    }
    if (dpop) assert.match(u.searchParams.get("dpop_jkt") ?? "", /^[A-Za-z0-9_-]{43}$/, "dpop_jkt in the authorize request");
    const cb = await frontChannel(authorizeUrl, as.issuer);
    assert.equal(new URL(cb).searchParams.get("iss"), as.issuer, "RFC 9207 iss in the authorization response");
    const signed = await a.run(callbackStep, cb);
    assert.ok(signed.ok, JSON.stringify(signed));
    assert.equal(signed.v.hasRefreshToken, true);
    assert.equal(as.stats.tokenRequests, 1);
    // API calls, checked by the resource server against the provider.
    const r1 = await a.run(callStep, "/v1/me");
    assert.ok(r1.ok, JSON.stringify(r1));
    assert.equal(r1.v.sub, ACCOUNT);
    assert.equal(r1.v.path, "/api/v1/me");
    // Refresh, with rotation: the first refresh token is spent at the server.
    const before = await a.run(tokenStep);
    const refreshed = await a.run(refreshStep);
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.equal(as.stats.refreshes, 1);
    const after = await a.run(tokenStep);
    assert.notEqual(after, before);
    assert.ok((await a.run(callStep, "/v1/me")).ok);
    // A second tab gets the session without a login and calls the API.
    const b = await tab("signed_in");
    const r2 = await b.run(callStep, "/v1/second-tab");
    assert.ok(r2.ok, JSON.stringify(r2));
    assert.equal(as.stats.tokenRequests, 2, "one code exchange and one refresh for both tabs");
    // Logout in tab B: both tabs end, and the server no longer honours the tokens.
    await b.run(logoutStep);
    await waitFor("tab A to end", async () => (await a.run(sessionStep)) === null);
    assert.ok((await a.run(eventsStep)).includes("ended:logout"));
    // Both tokens revoked (a revocation refused for want of the server's DPoP nonce goes once
    // more). The two requests race: oidc-provider, revoking the access token first, also drops
    // the grant's refresh tokens, so the refresh token's revocation then finds nothing. What is
    // checked is therefore what the server still honours, not which request revoked what.
    const newest = as.stats.refreshTokens.at(-1);
    await waitFor("the refresh token and the access token to be revoked", () => as.stats.revoked.has(newest) && as.stats.revoked.has(after));
    assert.equal(await as.provider.RefreshToken.find(newest), undefined, "the refresh token is revoked");
    assert.equal(await as.provider.AccessToken.find(after), undefined, "the access token is revoked");
    const refused = as.stats.apiRefused;
    const res = await fetch(`${as.apiBase}/v1/me`, { headers: { Authorization: `Bearer ${after}` } });
    assert.equal(res.status, 401);
    assert.equal(as.stats.apiRefused, refused + 1);
    const r3 = await a.run(callStep, "/v1/me");
    assert.equal(r3.code, "login_required");
    if (dpop) {
      assert.deepEqual(as.stats.tokenTypes, ["DPoP", "DPoP"], "the code exchange and the refresh gave DPoP-bound tokens");
      assert.equal(as.stats.dpopApiCalls, 3, "each API call of both tabs with a valid proof of the token's key");
    }
  } finally {
    await context.close();
    await as.close();
  }
}

for (const requirePar of [false, true]) {
  test(`oidc-provider${requirePar ? ", pushed authorization requests required" : ""}: discovery, login, API, refresh, two tabs, logout with revocation`, async (t) => {
    for (const driver of drivers.list) await t.test(driver.name, () => interop(driver, { requirePar }));
  });
}

test("oidc-provider with DPoP-bound tokens and server nonces: discovery, login, API, refresh, two tabs, logout with revocation", async (t) => {
  for (const driver of drivers.list) await t.test(driver.name, () => interop(driver, { requirePar: false, dpop: true }));
});

// In-browser timing harness (served with COOP/COEP so performance.now() is precise).
import init, { createPkce, buildAuthorizeUrl, ExpensicatClient, parseTokenResponse } from "/pkg/expensicat_auth.js";
import { peers } from "/bench/dist/peers.js";

const wasm = await init();
const config = { clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] };
const pair = createPkce();
const state = "af0ifjsldkjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const urlParams = { clientId: "demo-client", redirectUri: config.redirectUri, scopes: ["transactions:read"], codeChallenge: pair.challenge, state };
// The configuration validated once, as an app holds it.
const client = new ExpensicatClient(config);
const login = client.createLogin();
const callbackUrl = `${config.redirectUri}?code=SplxlOBeZQQYbYS6WxSbIA&state=${login.state}&iss=${encodeURIComponent("https://api.expensicat.com")}`;
const tokenBody = JSON.stringify({ access_token: "2YotnFZFEjr1zCsicMWpAA", token_type: "Bearer", expires_in: 3600, refresh_token: "tGzv3JOkF0XG5Qx2TlKWIA", scope: "transactions:read" });
const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

const scenarios = {
  "PKCE pair": { "expensicat-auth": () => createPkce(), oauth4webapi: peers.oauth4webapi.pkce, "pkce-challenge": peers["pkce-challenge"].pkce },
  "authorize URL build": { "expensicat-auth": () => buildAuthorizeUrl(urlParams), "oauth4webapi": () => peers.oauth4webapi.url(pair.challenge, state) },
  "PKCE + state + authorize URL": {
    "expensicat-auth": () => client.createLogin(),
    oauth4webapi: peers.oauth4webapi.login,
    "@badgateway/oauth2-client": peers["@badgateway/oauth2-client"].login,
    "@auth0/auth0-spa-js": peers["@auth0/auth0-spa-js"].login,
    "oidc-client-ts": peers["oidc-client-ts"].login,
  },
  "callback validation": {
    // free() is timed too: a ValidatedCallback holds wasm memory until freed or collected.
    "expensicat-auth": () => client.parseCallback(callbackUrl, login.transaction).free(),
    oauth4webapi: () => peers.oauth4webapi.callback(callbackUrl, login.state),
    "@badgateway/oauth2-client": () => peers["@badgateway/oauth2-client"].callback(callbackUrl, login.state),
  },
  "token response parsing": { "expensicat-auth": () => parseTokenResponse(200, tokenBody, 0), oauth4webapi: () => peers.oauth4webapi.token(tokenBody) },
  "signing a request": { "expensicat-auth": () => client.signRequest(token, "GET", "/v1/transactions?limit=20"), "hand-written JS": () => peers["hand-written JS"].sign(token, "/v1/transactions?limit=20") },
};

async function runFor(fn, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = fn();
    if (r && typeof r.then === "function") await r;
  }
  return performance.now() - t0;
}

async function measure(fn, rounds) {
  let n = 1;
  while ((await runFor(fn, n)) < 15 && n < 1e6) n *= 2; // calibrate: each round takes >= ~15 ms
  await runFor(fn, n); // warm-up
  const us = [];
  for (let r = 0; r < rounds; r++) us.push(((await runFor(fn, n)) / n) * 1000);
  us.sort((a, b) => a - b);
  return { median: us[Math.floor(us.length / 2)], min: us[0], max: us[us.length - 1], iterations: n };
}

window.runBench = async (rounds = 7) => {
  const out = {};
  for (const [name, libs] of Object.entries(scenarios)) {
    out[name] = {};
    for (const [lib, fn] of Object.entries(libs)) {
      try {
        out[name][lib] = await measure(fn, rounds);
      } catch (e) {
        out[name][lib] = { error: String(e?.message ?? e) };
      }
    }
  }
  // Memory: linear memory after warm-up, then after 100,000 PKCE pairs and 100,000 signatures.
  const mem = () => wasm.memory.buffer.byteLength;
  for (let i = 0; i < 2000; i++) createPkce(), client.signRequest(token, "GET", "/v1/x");
  const afterWarmup = mem();
  for (let i = 0; i < 100_000; i++) createPkce();
  const afterPkce = mem();
  for (let i = 0; i < 100_000; i++) client.signRequest(token, "GET", "/v1/transactions?limit=20");
  out.memory = { afterWarmup, afterPkce, afterSign: mem() };
  return out;
};
window.benchReady = true;

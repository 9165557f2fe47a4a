// Plain JavaScript with wrong types (Node): every export and method, each argument replaced in
// turn by undefined, null, a number, NaN, a boolean, {}, [], a function, a Symbol, a BigInt and a
// 1 MiB string, answers with an ExpensicatAuthError or works: never a WebAssembly trap. After the
// whole matrix, the module and a live session still work.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { loadLib } from "./helpers.mjs";
import { runMatrix, namesTheArgument } from "./matrix.mjs";
import { startEmulator } from "../../scripts/emulator.mjs";

const lib = await loadLib();
const redirectUri = "https://app.example/callback";
let emu;
before(async () => {
  emu = await startEmulator({ quiet: true, redirectUris: [redirectUri] });
});
after(async () => emu?.close());

/** A real login against the emulator through the low-level functions: the access token. */
async function login(config) {
  const client = new lib.ExpensicatClient(config);
  const start = client.createLogin();
  const { location } = await (await fetch(`${start.url}&auto_approve=json`)).json();
  const req = client.tokenRequest(client.parseCallback(location, start.transaction));
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  return lib.parseTokenResponse(res.status, await res.text());
}

test("every export and method answers wrong-typed arguments with a typed error, never a trap", async () => {
  const { total, failures } = await runMatrix(lib, { issuer: emu.url });
  assert.ok(total > 300, `the matrix ran ${total} calls`);
  assert.deepEqual(failures, [], `${failures.length} of ${total} calls were neither a typed error nor a normal return`);
  assert.deepEqual(namesTheArgument(lib), []);
  // The module is intact: a known answer, and a live session against the emulator.
  assert.equal(lib.codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const config = { clientId: emu.clientId, redirectUri, scopes: ["transactions:read"], issuer: emu.url };
  const tokens = await login(config);
  const auth = new lib.ExpensicatAuth(config);
  auth.useBearerToken(tokens.accessToken);
  const page = await auth.fetchJson("/v1/transactions?limit=2");
  assert.equal(page.data.length, 2);
});

test("a ReadableStream body is sent once: a 429 is returned as it is, not retried", async () => {
  const config = { clientId: emu.clientId, redirectUri, scopes: ["transactions:read", "transactions:write"], issuer: emu.url };
  const tokens = await login(config);
  const auth = new lib.ExpensicatAuth(config);
  auth.useBearerToken(tokens.accessToken);
  const counters = async () => (await fetch(`${emu.url}/__emulator/counters?client_id=${emu.clientId}`)).json();
  const before = (await counters()).apiCalls ?? 0;
  await fetch(`${emu.url}/__emulator/faults`, {
    method: "POST",
    body: JSON.stringify({ endpoint: "api", clientId: emu.clientId, status: 429, headers: { "Retry-After": "0" } }),
  });
  const body = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(JSON.stringify({ merchant: "Cafe", amount: 1 })));
      c.close();
    },
  });
  const res = await auth.fetch("/v1/transactions", { method: "POST", body, duplex: "half", headers: { "Content-Type": "application/json" } });
  assert.equal(res.status, 429);
  assert.equal((await counters()).apiCalls, before + 1, "sent once");
  // A replayable body is retried after the wait, as before.
  await fetch(`${emu.url}/__emulator/faults`, {
    method: "POST",
    body: JSON.stringify({ endpoint: "api", clientId: emu.clientId, status: 429, headers: { "Retry-After": "0" } }),
  });
  const again = await auth.fetch("/v1/transactions?limit=1");
  assert.equal(again.status, 200);
  assert.equal((await counters()).apiCalls, before + 3);
});

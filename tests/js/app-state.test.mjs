// A login's app state through the npm package (Node): kept in the stored transaction and never in
// the authorize URL, handed back by parseCallback and by ExpensicatAuth.handleCallback beside the
// session once the callback passed every check, and never by a failed one; values JSON cannot
// hold are refused as invalid_parameter. ExpensicatAuth.isCallback names the redirect URI with a
// response on it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { loadLib, throwsCode } from "./helpers.mjs";
import { startEmulator } from "../../scripts/emulator.mjs";

const lib = await loadLib();
const redirectUri = "https://app.example/callback";
const config = { clientId: "demo-client", redirectUri, scopes: ["transactions:read"] };
const appState = { returnTo: "/reports?month=2026-11&q=caf%C3%A9#row-3", n: [1, -2.5e3, true, null, {}], s: "\u0000é😀" };
let emu;
before(async () => {
  emu = await startEmulator({ quiet: true, redirectUris: [redirectUri] });
});
after(async () => emu?.close());

test("createLogin keeps the app state in the transaction, not the URL; parseCallback hands it back", () => {
  const client = new lib.ExpensicatClient(config);
  const start = client.createLogin({ appState });
  assert.ok(!start.url.includes("returnTo") && !start.url.includes("reports"), start.url);
  assert.deepEqual(JSON.parse(start.transaction).appState, appState);
  const cb = client.parseCallback(`${redirectUri}?code=abc&state=${start.state}`, start.transaction);
  assert.deepEqual(cb.appState, appState);
  // Without one: none, and no member in the transaction.
  const plain = client.createLogin({ appState: undefined });
  assert.ok(!("appState" in JSON.parse(plain.transaction)));
  assert.equal(client.parseCallback(`${redirectUri}?code=abc&state=${plain.state}`, plain.transaction).appState, undefined);
  assert.ok(!("appState" in JSON.parse(client.createLogin({ appState: null }).transaction)), "null is no state");
});

test("a failed callback never hands the app state back; oversized or unwritable states are refused", () => {
  const client = new lib.ExpensicatClient(config);
  const start = client.createLogin({ appState: { returnTo: "/SECRETplace" } });
  const err = throwsCode(assert, () => client.parseCallback(`${redirectUri}?error=access_denied&state=${start.state}`, start.transaction), "access_denied", ["SECRETplace"]);
  assert.equal(err.appState, undefined);
  throwsCode(assert, () => client.parseCallback(`${redirectUri}?code=abc&state=${"A".repeat(43)}`, start.transaction), "state_mismatch", ["SECRETplace"]);
  const big = throwsCode(assert, () => client.createLogin({ appState: "a".repeat(4095) }), "invalid_parameter");
  assert.equal(big.field, "appState");
  assert.ok(client.createLogin({ appState: "a".repeat(4094) }));
  throwsCode(assert, () => client.createLogin({ appState: 1n }), "invalid_parameter");
  const cycle = {};
  cycle.self = cycle;
  throwsCode(assert, () => client.createLogin({ appState: cycle }), "invalid_parameter");
});

test("ExpensicatAuth: startLogin({ appState }), then handleCallback resolves with it beside the session, once", async () => {
  // Node has no sessionStorage: a plain one, as a browser tab has.
  const items = new Map();
  globalThis.sessionStorage = {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => void items.set(k, String(v)),
    removeItem: (k) => void items.delete(k),
    key: (i) => [...items.keys()][i] ?? null,
    get length() {
      return items.size;
    },
  };
  try {
    const auth = new lib.ExpensicatAuth({ ...config, clientId: emu.clientId, issuer: emu.url });
    await auth.ready();
    const url = await auth.startLogin({ appState, extraParams: [["auto_approve", "json"]] });
    assert.ok(!url.includes("returnTo"));
    const { location } = await (await fetch(url)).json();
    assert.equal(auth.isCallback(location), true);
    assert.equal(auth.isCallback(redirectUri), false, "the redirect URI without a response");
    assert.equal(auth.isCallback("https://app.example/reports?code=x&state=y"), false, "another page");
    const counters = async () => (await fetch(`${emu.url}/__emulator/counters?client_id=${emu.clientId}`)).json();
    const before = (await counters()).tokenRequests ?? 0;
    const [a, b] = await Promise.all([auth.handleCallback(location), auth.handleCallback(location)]);
    assert.deepEqual(a.appState, appState);
    assert.deepEqual(a.scopes, ["transactions:read"]);
    assert.equal(a.mode, "oauth");
    assert.equal(b, a, "a second call shares the first one's outcome");
    assert.equal((await counters()).tokenRequests - before, 1);
    assert.equal(auth.session?.appState, undefined, "the session itself does not keep it");
    auth.close();
  } finally {
    delete globalThis.sessionStorage;
  }
});

// Adversarial review of the discovery cut (c2b8639): `new ExpensicatAuth(config)` must answer a
// hostile `config` as `new ExpensicatClient(config)` does, with an ExpensicatAuthError (or a
// session, for a valid configuration), never the caller's own exception or a WebAssembly trap.
// At 2aa52cd the constructor only called `new ExpensicatClient(config)`. Since c2b8639 it first
// asks `config instanceof ExpensicatClient` (to take the client `ExpensicatAuth.discover` made):
// that runs a Proxy's getPrototypeOf trap (a revoked Proxy throws a raw TypeError), and an object
// that merely inherits from ExpensicatClient.prototype (or a freed client) is used as a client,
// its `settings` read through a null pointer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadLib } from "./helpers.mjs";

const lib = await loadLib();
const config = { clientId: "c", redirectUri: "https://app.example/cb", scopes: ["transactions:read"], storage: "memory" };

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

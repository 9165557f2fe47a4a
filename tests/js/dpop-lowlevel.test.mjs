// Adversarial review of DPoP (RFC 9449) in the low-level client: a client configured with
// `dpop: true` (createLogin then needs the login's dpopKey and puts its dpop_jkt in the
// authorize request; dpopSigningInput and signRequest's dpopKey sign the rest) must accept the
// DPoP-bound token response that its server answers (RFC 9449 section 5: token_type "DPoP"),
// and refuse a Bearer one, as the session does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadLib, throwsCode } from "./helpers.mjs";

const lib = await loadLib();

test("a dpop client's parseTokenResponse takes a DPoP token response and refuses a Bearer one", async () => {
  const c = new lib.ExpensicatClient({ clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"], dpop: true });
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const { x, y } = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const start = c.createLogin({ dpopKey: { x, y } });
  assert.equal(new URL(start.url).searchParams.get("dpop_jkt"), start.dpopJkt);
  c.tokenRequest(c.parseCallback(`https://app.example/callback?code=abc&state=${start.state}`, start.transaction));
  const answer = (tokenType) => JSON.stringify({ access_token: "at", token_type: tokenType, expires_in: 60, refresh_token: "rt" });
  const t = c.parseTokenResponse(200, answer("DPoP"));
  assert.equal(t.tokenType, "DPoP");
  assert.equal(t.accessToken, "at");
  throwsCode(assert, () => c.parseTokenResponse(200, answer("Bearer")), "unsupported_token_type");
});

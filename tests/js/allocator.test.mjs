// The shipped wasm's allocator under a long, mixed workload, in both entry points: logins,
// callbacks (good and tampered), token responses from a few bytes to the configured limit,
// signed requests, Expensify credentials, jobs and responses, every size drawn from a fixed
// pseudo-random sequence. Every result is checked against what the inputs say it must be (a
// block handed out twice, or freed while in use, shows up as a wrong value or a trap), and the
// linear memory must reach a steady state: a second run of the same workload grows it by at most
// one 64 KiB page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadLib } from "./helpers.mjs";

const { signin, expensify, wasm } = await loadLib();
const { signin: signinWasm, expensify: expensifyWasm } = wasm;

/** xorshift32: the same sequence every run. */
function generator(seed) {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
const text = (next, len) => Array.from({ length: len }, () => B64[next(B64.length)]).join("");
const SCOPES = signin.listScopes().map((s) => s.name);

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return "no error";
}

function signinRound(next, client) {
  const scopes = SCOPES.filter(() => next(3) === 0);
  const extraParams = Array.from({ length: next(4) }, (_, i) => [`x${i}`, text(next, 1 + next(2000))]);
  const login = client.createLogin({ scopes: scopes.length ? scopes : ["transactions:read"], extraParams });
  assert.ok(login.url.startsWith("https://api.expensicat.com/api/auth/oauth2/authorize?client_id=demo-client&"));
  const query = new URL(login.url).searchParams;
  for (const [name, value] of extraParams) assert.equal(query.get(name), value);
  const code = text(next, 1 + next(300));
  const callback = `https://app.example/callback?code=${code}&state=${login.state}&iss=https%3A%2F%2Fapi.expensicat.com`;
  if (next(4) === 0) {
    assert.equal(codeOf(() => client.parseCallback(callback.replace(login.state, text(next, 43)), login.transaction)), "state_mismatch");
  } else {
    const validated = client.parseCallback(callback, login.transaction);
    const body = JSON.parse(client.tokenRequest(validated).body);
    assert.equal(body.code, code);
    assert.equal(body.grant_type, "authorization_code");
  }
  const access = text(next, 1 + next(5000));
  const padding = " ".repeat(next(4) === 0 ? next(200_000) : next(100));
  const response = `{"access_token":"${access}","token_type":"Bearer","expires_in":${next(100_000)},"refresh_token":"${text(next, 1 + next(500))}"}${padding}`;
  const limit = client.settings.maxTokenResponseBytes;
  if (response.length > limit) {
    assert.equal(codeOf(() => client.parseTokenResponse(200, response)), "invalid_response");
  } else {
    assert.equal(client.parseTokenResponse(200, response).accessToken, access);
  }
  assert.equal(codeOf(() => client.parseTokenResponse(200, `{"access_token":"${access}","access_token":"x"}`)), "invalid_response");
  const path = `/v1/${text(next, 1 + next(1000))}`;
  const signed = client.signRequest(access, "GET", path);
  assert.equal(signed.url, `https://api.expensicat.com/api${path}`);
  assert.equal(signed.headers.Authorization, `Bearer ${access}`);
}

function expensifyRound(next) {
  const partnerUserId = text(next, 1 + next(256));
  const secret = text(next, 1 + next(1024));
  const credential = new expensify.ExpensifyClient({ name: text(next, 1 + next(200)), partnerUserId, partnerUserSecret: secret });
  const filler = text(next, next(20_000));
  const request = credential.jobRequest({ type: "get", inputSettings: { type: "policyList", note: filler } });
  const job = JSON.parse(new URLSearchParams(request.body).get("requestJobDescription"));
  assert.deepEqual(job.credentials, { partnerUserID: partnerUserId, partnerUserSecret: secret });
  assert.equal(job.inputSettings.note, filler);
  const message = text(next, next(3000));
  assert.deepEqual(expensify.parseExpensifyResponse(200, `{"responseCode":200,"policyList":[],"m":"${message}"}`), { responseCode: 200, policyList: [], m: message });
  assert.equal(codeOf(() => expensify.parseExpensifyResponse(200, `{"responseCode":401,"responseMessage":"${message}"}`)), "invalid_credentials");
  credential.free();
}

function run(rounds) {
  const next = generator(0x9e3779b9);
  const client = new signin.ExpensicatClient({ clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] });
  for (let i = 0; i < rounds; i++) {
    signinRound(next, client);
    expensifyRound(next);
  }
  client.free();
}

test("the allocator stays correct and reaches a steady state under a mixed workload", () => {
  run(300);
  const pages = [signinWasm.memory.buffer.byteLength, expensifyWasm.memory.buffer.byteLength];
  run(300);
  const after = [signinWasm.memory.buffer.byteLength, expensifyWasm.memory.buffer.byteLength];
  for (const i of [0, 1]) assert.ok(after[i] - pages[i] <= 65536, `linear memory grew from ${pages[i]} to ${after[i]} B on the same workload`);
  console.log(`# linear memory: sign-in ${after[0]} B, Expensify ${after[1]} B`);
});

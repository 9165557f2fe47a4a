// The hostile-input corpus through the npm package: exact codes, and no secret in an error's
// message, code, toString, JSON.stringify, stack, or anything written to the console.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadLib } from "./helpers.mjs";

const lib = await loadLib();
const { cases } = JSON.parse(readFileSync(new URL("../corpus/hostile.json", import.meta.url), "utf8"));
const config = { clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] };

const expand = (t, state) =>
  t
    .replaceAll("{CB}", "https://app.example/callback")
    .replaceAll("{STATE}", state)
    .replaceAll("{ISS}", "https%3A%2F%2Fapi.expensicat.com")
    .replace(/\{(.)\*(\d+)\}/gu, (_, c, n) => c.repeat(Number(n)));
const secretMarkers = (s) => s.match(/SECRET[A-Za-z0-9_-]*/g) ?? [];

test(`${cases.length} hostile inputs get their exact codes and leak nothing`, () => {
  assert.ok(cases.length >= 60);
  const logged = [];
  const saved = {};
  for (const m of ["log", "info", "warn", "error", "debug", "trace"]) {
    saved[m] = console[m];
    console[m] = (...args) => logged.push(args.map(String).join(" "));
  }
  try {
    for (const c of cases) {
      // A case may name the client's issuer (the default is Expensicat's).
      const client = new lib.ExpensicatClient(c.issuer === undefined ? config : { ...config, issuer: c.issuer });
      const start = client.createLogin();
      const { verifier } = JSON.parse(start.transaction);
      let input;
      let run;
      if (c.kind === "callback") {
        input = expand(c.url, start.state);
        run = () => client.parseCallback(input, start.transaction);
      } else if (c.kind === "token") {
        input = expand(c.body, start.state);
        run = () => lib.parseTokenResponse(c.status, input, 0);
      } else if (c.kind === "expensify") {
        input = expand(c.body, start.state);
        run = () => lib.parseExpensifyResponse(c.status, input, c.expects === "file_name" ? "fileName" : c.expects);
      } else if (c.kind === "api") {
        const [body, header] = [expand(c.body, start.state), expand(c.header, start.state)];
        input = `${header}\n${body}`;
        run = () => {
          throw lib.apiError(c.status, body, undefined, header, 0, "GET", "/v1/transactions");
        };
      } else if (c.kind === "par") {
        input = expand(c.body, start.state);
        const par = new lib.ExpensicatClient({ ...config, par: true, pushedAuthorizationRequestEndpoint: "https://api.expensicat.com/par" });
        run = () => par.pushedAuthorizeUrl(c.status, input);
      } else if (c.kind === "dpop_key") {
        input = `${c.x} ${c.y}`;
        run = () => client.dpopSigningInput({ jkt: c.jkt, x: c.x, y: c.y, method: "GET", url: "https://api.expensicat.com/api/v1/x", nowMs: 0 });
      } else if (c.kind === "metadata") {
        input = expand(c.body, start.state);
        run = () => lib.ExpensicatClient.discovery(c.issuer, config, 1, c.status, input);
      } else if (c.kind === "login") {
        input = expand(c.options, start.state);
        run = () => client.createLogin(JSON.parse(input));
      } else if (c.kind === "transaction") {
        const url = expand(c.url, start.state);
        const appState = expand(c.appState, start.state);
        input = url + appState;
        run = () => client.parseCallback(url, `${start.transaction.slice(0, -1)},"appState":${appState}}`);
      } else {
        input = JSON.stringify(c.input);
        run = () => new lib.ExpensifyCredential(c.input);
      }
      let err;
      try {
        run();
      } catch (e) {
        err = e;
      }
      if (c.code === "ok") {
        assert.equal(err, undefined, `${c.kind}: ${c.note}: ${err?.message}`);
        continue;
      }
      assert.ok(err instanceof Error, `${c.kind}: ${c.note}: expected ${c.code}`);
      assert.equal(err.code, c.code, `${c.kind}: ${c.note}`);
      if (c.kind === "credential") assert.equal(err.field, c.field, c.note);
      const visible = [err.message, err.code, String(err), JSON.stringify(err), JSON.stringify({ ...err }), err.stack ?? "", err.description ?? ""].join("\n");
      for (const secret of [...secretMarkers(input), verifier]) assert.ok(!visible.includes(secret), `${c.note}: ${secret} leaked`);
    }
  } finally {
    Object.assign(console, saved);
  }
  assert.deepEqual(logged, [], "the library wrote to the console");
});

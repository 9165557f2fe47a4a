// The package in Chromium, outside the demo: the wrong-type matrix (the same one Node runs), and
// the Content-Security-Policy it needs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../scripts/emulator.mjs";
import { startStaticServer, strictCsp } from "../../scripts/serve.mjs";
import { launch } from "./browser.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const redirectUri = "https://app.example/callback";
let emulator;
let browser;
let server;
let policy = () => undefined;

before(async () => {
  emulator = await startEmulator({ quiet: true, redirectUris: [redirectUri] });
  server = await startStaticServer({ port: 0, root: repo, csp: () => policy() });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.closeAllConnections?.();
  server?.close();
  await emulator?.close();
});

const origin = () => `http://127.0.0.1:${server.address().port}`;

async function open(csp) {
  policy = () => csp;
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${origin()}/tests/e2e/pages/index.html`);
  await page.waitForSelector("body[data-result]", { state: "attached", timeout: 20_000 });
  return { page, errors, result: await page.getAttribute("body", "data-result") };
}

test("the strict policy the README documents is enough to load the package", async () => {
  const { page, result, errors } = await open(strictCsp([emulator.url]));
  assert.equal(result, "ok");
  assert.deepEqual(errors, []);
  await page.close();
});

test("without 'wasm-unsafe-eval', init() says what the policy lacks", async () => {
  const { page, result } = await open("default-src 'self'; script-src 'self'");
  const [name, code, ...rest] = result.split(":");
  const message = rest.join(":");
  assert.equal(name, "ExpensicatAuthError");
  assert.equal(code, "csp_blocked");
  assert.match(message, /wasm-unsafe-eval/);
  await page.close();
});

test("wrong-typed arguments in Chromium: typed errors, never a trap; the module and a session still work", async () => {
  const { page } = await open(strictCsp([emulator.url]));
  const out = await page.evaluate(
    async ({ issuer, redirectUri, clientId }) => {
      const signin = await import("/pkg/expensicat_auth.js");
      const expensify = await import("/pkg/expensify/expensicat_auth_expensify.js");
      await signin.default();
      await expensify.default();
      const lib = { ...signin, ...expensify };
      const { runMatrix, namesTheArgument } = await import("/tests/js/matrix.mjs");
      const store = await lib.ExpensifyCredentialStore.open("matrix-db");
      const { total, failures } = await runMatrix(lib, { issuer, store });
      const named = namesTheArgument(lib);
      // A live login and API call after the matrix.
      const config = { clientId, redirectUri, scopes: ["transactions:read"], issuer };
      const client = new lib.ExpensicatClient(config);
      const start = client.createLogin();
      const { location } = await (await fetch(`${start.url}&auto_approve=json`)).json();
      const req = client.tokenRequest(client.parseCallback(location, start.transaction));
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
      const tokens = lib.parseTokenResponse(res.status, await res.text());
      const auth = new lib.ExpensicatAuth(config);
      auth.useBearerToken(tokens.accessToken);
      const data = (await auth.fetchJson("/v1/transactions?limit=2")).data.length;
      const saved = await store.save(new lib.ExpensifyCredential({ name: "x", serverUrl: issuer, partnerUserId: "aa_demo_partner", partnerUserSecret: "demo-partner-secret-7c1f" }));
      const stored = (await (await store.get(saved)).testConnection()).status;
      return { total, failures, named, data, stored };
    },
    { issuer: emulator.url, redirectUri, clientId: emulator.clientId },
  );
  assert.ok(out.total > 300, `${out.total} calls`);
  assert.deepEqual(out.failures, [], `${out.failures.length} of ${out.total} calls were neither a typed error nor a normal return`);
  assert.deepEqual(out.named, []);
  assert.equal(out.data, 2);
  assert.equal(out.stored, "valid");
  await page.close();
});

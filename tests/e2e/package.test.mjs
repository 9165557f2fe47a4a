// The npm package as a user gets it: `npm pack`, installed into a fresh plain-ESM page and a
// fresh Vite app, each signing in against the emulator in Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { startEmulator } from "../../scripts/emulator.mjs";
import { startStaticServer } from "../../scripts/serve.mjs";
import { launch } from "./browser.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
let work;
let tarball;
let packed;
let emulator;
let browser;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "expensicat-pack-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const info = JSON.parse(out)[0];
  tarball = join(work, info.filename);
  packed = info.files.map((f) => f.path).sort();
  emulator = await startEmulator({ quiet: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await emulator?.close();
  rmSync(work, { recursive: true, force: true });
});

test("the tarball holds only the built package", () => {
  // The inline snippets are bundled into the glue: one JS file, one request before the wasm.
  assert.deepEqual(packed, [
    "README.md",
    "package.json",
    "pkg/expensicat_auth.d.ts",
    "pkg/expensicat_auth.js",
    "pkg/expensicat_auth_bg.wasm",
    "pkg/expensicat_auth_bg.wasm.d.ts",
    "pkg/expensicat_auth_react.d.ts",
    "pkg/expensicat_auth_react.js",
    "pkg/expensify/expensicat_auth_expensify.d.ts",
    "pkg/expensify/expensicat_auth_expensify.js",
    "pkg/expensify/expensicat_auth_expensify_bg.wasm",
    "pkg/expensify/expensicat_auth_expensify_bg.wasm.d.ts",
  ]);
});

const appScript = `
import init, { ExpensicatAuth } from "expensicat-auth";
try {
  await init();
  const cfg = await (await fetch("/config.json")).json();
  const auth = new ExpensicatAuth({ clientId: cfg.clientId, redirectUri: cfg.redirectUri, issuer: cfg.issuer, scopes: ["transactions:read"] });
  if (new URLSearchParams(location.search).has("code")) {
    await auth.handleCallback();
    const page = await auth.fetchJson("/v1/transactions?limit=3");
    document.body.dataset.result = "ok:" + page.data.length + ":" + location.search;
  } else {
    location.assign(await auth.startLogin({ extraParams: [["auto_approve", "1"]] }));
  }
} catch (e) {
  document.body.dataset.result = "error:" + e.code + ":" + e.message;
}
`;

/** Installs the tarball into a fresh app folder. */
function app(name) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: dir, stdio: "ignore" });
  return dir;
}

async function loginIn(root, clientId, onPage) {
  let server;
  server = await startStaticServer({
    port: 0,
    root,
    config: () => ({ clientId, issuer: emulator.url, redirectUri: `http://127.0.0.1:${server.address().port}/` }),
  });
  const origin = `http://127.0.0.1:${server.address().port}/`;
  emulator.addClient(clientId, [origin]);
  const page = await browser.newPage();
  onPage?.(page);
  if (process.env.DEBUG_E2E) {
    page.on("console", (m) => console.log("console:", m.text()));
    page.on("response", (r) => console.log("response:", r.status(), r.url()));
  }
  try {
    await page.goto(origin);
    await page.waitForSelector("body[data-result]", { state: "attached", timeout: 20_000 });
    return await page.getAttribute("body", "data-result");
  } finally {
    await page.close();
    server.closeAllConnections?.();
    server.close();
  }
}

test("a plain <script type=module> page with an import map", async () => {
  const dir = app("plain-app");
  writeFileSync(
    join(dir, "index.html"),
    `<!doctype html><html><head><link rel="icon" href="data:,"><script type="importmap">{"imports":{"expensicat-auth":"/node_modules/expensicat-auth/pkg/expensicat_auth.js"}}</script></head><body><script type="module">${appScript}</script></body></html>`,
  );
  assert.equal(await loginIn(dir, "plain-app"), "ok:3:", "signed in, fetched, address bar cleaned");
});

test("a Vite 7 app", async () => {
  const dir = app("vite-app");
  writeFileSync(join(dir, "index.html"), `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(dir, "main.js"), appScript);
  await build({ root: dir, logLevel: "silent", build: { outDir: join(dir, "dist"), target: "es2022" } });
  assert.equal(await loginIn(join(dir, "dist"), "vite-app"), "ok:3:");
});

// React 19 under <StrictMode> (a development build, where effects run twice): the callback
// route calls `auth.handleCallback()` with no argument in an effect, as the README writes it.
// Both runs share one outcome, the emulator sees exactly one token request, no error reaches the
// page, and the address bar is clean.
const reactScript = `
import { StrictMode, createElement, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import init, { ExpensicatAuth } from "expensicat-auth";
await init();
const cfg = await (await fetch("/config.json")).json();
const auth = new ExpensicatAuth({ clientId: cfg.clientId, redirectUri: cfg.redirectUri, issuer: cfg.issuer, scopes: ["transactions:read"] });
window.__effects = 0;
function Callback() {
  const [state, setState] = useState("pending");
  useEffect(() => {
    window.__effects++;
    let live = true;
    auth.handleCallback().then(
      (s) => live && setState("ok:" + s.scopes.join(",")),
      (e) => live && setState("error:" + e.code),
    );
    return () => { live = false; };
  }, []);
  useEffect(() => {
    if (state !== "pending") document.body.dataset.result = state + ":" + window.__effects + ":" + location.search;
  }, [state]);
  return createElement("p", null, state);
}
if (new URLSearchParams(location.search).has("code")) {
  createRoot(document.getElementById("root")).render(createElement(StrictMode, null, createElement(Callback)));
} else {
  location.assign(await auth.startLogin({ extraParams: [["auto_approve", "1"]] }));
}
`;

test("a React 19 StrictMode callback route: one token request, no error", async () => {
  const dir = app("react-app");
  writeFileSync(join(dir, "index.html"), `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><div id="root"></div><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(dir, "main.js"), reactScript);
  const modules = join(repo, "node_modules");
  await build({
    root: dir,
    mode: "development",
    logLevel: "silent",
    define: { "process.env.NODE_ENV": JSON.stringify("development") },
    resolve: { alias: { react: join(modules, "react"), "react-dom": join(modules, "react-dom") } },
    build: { outDir: join(dir, "dist"), target: "es2022", minify: false },
  });
  const errors = [];
  const onPage = (page) => {
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  };
  const before = (await (await fetch(`${emulator.url}/__emulator/counters?client_id=react-app`)).json()).tokenRequests ?? 0;
  const result = await loginIn(join(dir, "dist"), "react-app", onPage);
  const after = (await (await fetch(`${emulator.url}/__emulator/counters?client_id=react-app`)).json()).tokenRequests;
  assert.equal(result, "ok:transactions:read:2:", "both effect runs share one outcome; the address bar is clean");
  assert.equal(after - before, 1, "exactly one token request");
  assert.deepEqual(errors, []);
});

// One session per browser, not per tab (`shareAcrossTabs`, on by default): several pages of
// one Chromium context against the emulator, each a tab of the same app. Every claim is checked
// on the emulator's counters: token requests, refreshes, refresh-token reuse.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../scripts/emulator.mjs";
import { startStaticServer } from "../../scripts/serve.mjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { launch, ARGS } from "./browser.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
let emulator;
let server;
let browser;

before(async () => {
  emulator = await startEmulator({ quiet: true });
  server = await startStaticServer({ port: 0, root: repo });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.closeAllConnections?.();
  server?.close();
  await emulator?.close();
});

const tabUrl = () => `http://127.0.0.1:${server.address().port}/tests/browser/tab.html`;

async function control(path, body) {
  const res = await fetch(`${emulator.url}/__emulator/${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return res.json();
}
async function counters(clientId) {
  return (await fetch(`${emulator.url}/__emulator/counters?client_id=${clientId}`)).json();
}

/** A client registered with the emulator, and a browser context (the tabs share it). */
async function app(name, extra = {}) {
  const clientId = `${name}-${Math.floor(Math.random() * 1e9)}`;
  await control("clients", { clientId, redirectUris: [tabUrl()] });
  const context = await browser.newContext();
  const config = { clientId, redirectUri: tabUrl(), issuer: emulator.url, scopes: ["transactions:read"], ...extra };
  return { clientId, context, config };
}

/** A new tab of the app with its `ExpensicatAuth`. */
async function tab({ context, config }, page) {
  page ??= await context.newPage();
  await page.goto(tabUrl());
  await page.waitForSelector("body[data-ready]", { state: "attached" });
  await page.evaluate((c) => window.open_(c), config);
  return page;
}

/** Signs in in `page` through the emulator's consent (auto-approved). */
async function signIn(page) {
  return page.evaluate(async () => {
    const url = await window.auth.startLogin({ extraParams: [["auto_approve", "json"]] });
    const { location: cb } = await (await fetch(url)).json();
    return window.auth.handleCallback(cb);
  });
}

const calls = (page, n) =>
  page.evaluate((k) => Promise.all(Array.from({ length: k }, () => window.outcome(window.auth.fetchJson("/v1/transactions?limit=1")))), n);

const session = (page) => page.evaluate(() => window.auth.session ?? null);
const waitFor = async (what, check, ms = 3000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await check()) return;
  assert.fail(`timed out waiting for ${what}`);
};

test("new tabs get the session without a redirect; expired tokens, 20 calls over three tabs: one refresh", async () => {
  const a = await app("three");
  try {
    const tabA = await tab(a);
    await signIn(tabA);
    // Tabs opened after the login: no redirect, no second code exchange.
    const tabB = await tab(a);
    const tabC = await tab(a);
    for (const t of [tabB, tabC]) {
      const r = await t.evaluate(() => window.outcome(window.auth.fetchJson("/v1/transactions?limit=1")));
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal((await session(t))?.hasRefreshToken, true);
      assert.deepEqual(await t.evaluate(() => window.events.map((e) => `${e.type}:${e.reason}`)), ["started:tab"]);
    }
    let c = await counters(a.clientId);
    assert.equal(c.tokenRequests, 1, "one code exchange for three tabs");
    assert.equal(c.apiCalls, 2);
    // Every tab's access token now expires at the server; 20 calls spread over the tabs.
    await control("expire-tokens", { clientId: a.clientId });
    const results = (await Promise.all([calls(tabA, 7), calls(tabB, 7), calls(tabC, 6)])).flat();
    assert.equal(results.length, 20);
    for (const r of results) assert.ok(r.ok, JSON.stringify(r));
    c = await counters(a.clientId);
    assert.equal(c.refreshes, 1, "exactly one refresh for the three tabs");
    assert.equal(c.refreshReuseDetected ?? 0, 0);
    assert.equal(c.apiCalls, 2 + 20 + 20, "each call: one 401, then one success");
  } finally {
    await a.context.close();
  }
});

test("a duplicated tab in sessionStorage mode: no invalid_grant, one refresh", async () => {
  const a = await app("dup", { storage: "sessionStorage" });
  try {
    const tabA = await tab(a);
    await signIn(tabA);
    // "Duplicate tab": window.open copies the opener's sessionStorage, refresh token included.
    const [dup] = await Promise.all([a.context.waitForEvent("page"), tabA.evaluate((u) => window.open(u), tabUrl())]);
    await tab(a, dup);
    assert.equal((await session(dup))?.hasRefreshToken, true, "the copy is restored from sessionStorage");
    await control("expire-tokens", { clientId: a.clientId });
    const results = (await Promise.all([calls(tabA, 3), calls(dup, 3)])).flat();
    for (const r of results) assert.ok(r.ok, JSON.stringify(r));
    const c = await counters(a.clientId);
    assert.equal(c.refreshes, 1);
    assert.equal(c.refreshReuseDetected ?? 0, 0, "the copied refresh token is never sent after its rotation");
    // And again, the other way round: the duplicate refreshes, the first tab follows.
    await control("expire-tokens", { clientId: a.clientId });
    const again = (await Promise.all([calls(dup, 2), calls(tabA, 2)])).flat();
    for (const r of again) assert.ok(r.ok, JSON.stringify(r));
    const c2 = await counters(a.clientId);
    assert.equal(c2.refreshes, 2);
    assert.equal(c2.refreshReuseDetected ?? 0, 0);
  } finally {
    await a.context.close();
  }
});

test("logout in one tab ends the session in all; a login in one reaches the others", async () => {
  const a = await app("logout");
  try {
    const tabA = await tab(a);
    const tabB = await tab(a);
    await signIn(tabA);
    await waitFor("tab B to get the login", async () => (await session(tabB)) !== null);
    assert.deepEqual(await tabB.evaluate(() => window.events.map((e) => `${e.type}:${e.reason}`)), ["started:tab"]);
    const t0 = Date.now();
    await tabA.evaluate(() => window.auth.logout());
    await waitFor("tab B's session to end", async () => (await session(tabB)) === null, 1000);
    const r = await tabB.evaluate(() => window.outcome(window.auth.fetchJson("/v1/transactions")));
    assert.equal(r.code, "login_required");
    assert.ok(Date.now() - t0 < 1000, "within 1 s");
    assert.deepEqual(await tabB.evaluate(() => window.events.map((e) => `${e.type}:${e.reason}`)), ["started:tab", "ended:logout"]);
    // A new login in B reaches A.
    await signIn(tabB);
    await waitFor("tab A to get the new login", async () => (await session(tabA)) !== null);
    const ok = await tabA.evaluate(() => window.outcome(window.auth.fetchJson("/v1/transactions?limit=1")));
    assert.ok(ok.ok, JSON.stringify(ok));
  } finally {
    await a.context.close();
  }
});

test("the refresh lock holder closed in the middle of a refresh: another tab completes one", async () => {
  const a = await app("closed");
  try {
    const tabA = await tab(a);
    const tabB = await tab(a);
    await signIn(tabA);
    await waitFor("tab B to get the login", async () => (await session(tabB)) !== null);
    // A's refresh hangs at the server (and never reaches its logic once A is gone).
    await control("faults", { clientId: a.clientId, endpoint: "token", delayMs: 1500, lostIfAbandoned: true, times: 1 });
    await tabA.evaluate(() => {
      window.auth.refresh().catch(() => {});
    });
    await new Promise((r) => setTimeout(r, 200));
    await tabA.close();
    const t0 = Date.now();
    const r = await tabB.evaluate(() => window.outcome(window.auth.refresh()));
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(Date.now() - t0 < 1400, "the closed tab's lock was released at once, not after its request");
    const ok = await tabB.evaluate(() => window.outcome(window.auth.fetchJson("/v1/transactions?limit=1")));
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal((await counters(a.clientId)).refreshReuseDetected ?? 0, 0);
  } finally {
    await a.context.close();
  }
});

test("shareAcrossTabs: false keeps each tab to itself", async () => {
  const a = await app("alone", { shareAcrossTabs: false });
  try {
    const tabA = await tab(a);
    await signIn(tabA);
    const tabB = await tab(a);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await session(tabB), null);
    const r = await tabB.evaluate(() => window.outcome(window.auth.fetchJson("/v1/transactions")));
    assert.equal(r.code, "login_required");
  } finally {
    await a.context.close();
  }
});

test("indexedDB mode: a reload and a browser restart keep the session, with no redirect", async () => {
  const a = await app("restart", { storage: "indexedDB" });
  await a.context.close();
  const profile = mkdtempSync(join(tmpdir(), "expensicat-profile-"));
  const start = () => chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", headless: true, args: ARGS });
  let context = await start();
  try {
    let page = await tab({ context, config: a.config });
    await signIn(page);
    const api = () => page.evaluate(() => window.outcome(window.auth.fetchJson("/v1/transactions?limit=1")));
    // The sealed write is asynchronous: wait until it is in IndexedDB.
    const stored = (id) =>
      page.evaluate(
        (key) =>
          new Promise((resolve) => {
            const r = indexedDB.open("expensicat-auth:sessions", 1);
            r.onsuccess = () => {
              const get = r.result.transaction("sealed").objectStore("sealed").get(key);
              get.onsuccess = () => resolve(get.result !== undefined);
              get.onerror = () => resolve(false);
            };
            r.onerror = () => resolve(false);
          }),
        "rec:" + id,
      );
    await waitFor("the sealed session", () => stored(a.clientId));
    await page.reload();
    await tab({ context, config: a.config }, page);
    let r = await api();
    assert.ok(r.ok, `after a reload: ${JSON.stringify(r)}`);
    assert.deepEqual(await page.evaluate(() => window.events.map((e) => `${e.type}:${e.reason}`)), ["started:restored"]);
    await context.close();
    context = await start();
    page = await tab({ context, config: a.config });
    r = await api();
    assert.ok(r.ok, `after a browser restart: ${JSON.stringify(r)}`);
    const c = await counters(a.clientId);
    assert.equal(c.tokenRequests, 1, "one code exchange for the whole test");
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test("a service worker takes the page's session, refreshes it and calls the API", async () => {
  const a = await app("sw");
  try {
    const page = await tab(a);
    await signIn(page);
    const result = await page.evaluate(async (config) => {
      const reg = await navigator.serviceWorker.register("/tests/browser/worker.mjs", { type: "module", scope: "/tests/browser/" });
      const sw = reg.installing || reg.waiting || reg.active;
      if (sw.state !== "activated") await new Promise((r) => sw.addEventListener("statechange", () => sw.state === "activated" && r()));
      const answer = new Promise((r) => navigator.serviceWorker.addEventListener("message", (e) => r(e.data), { once: true }));
      sw.postMessage({ config });
      return answer;
    }, a.config);
    assert.ok(result.ok, result.error);
    assert.equal(result.hasWindow, false);
    const c = await counters(a.clientId);
    assert.equal(c.refreshes, 1);
    assert.equal(c.apiCalls, 1);
    assert.equal(c.refreshReuseDetected ?? 0, 0);
  } finally {
    await a.context.close();
  }
});

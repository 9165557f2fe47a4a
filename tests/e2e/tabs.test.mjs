// One session per browser, not per tab (`shareAcrossTabs`, on by default): several tabs of one
// browser profile against the emulator, in Chromium (playwright-core), Firefox (geckodriver) and
// WebKit (WebKitWebDriver), the same scenario code in all three. Every claim is checked on the emulator's counters: token
// requests, refreshes, refresh-token reuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ARGS } from "./browser.mjs";
import { ENGINES } from "./webdriver.mjs";
import { tabWorld } from "./tab-world.mjs";

const world = tabWorld();
const tabUrl = world.tabUrl;

async function control(path, body) {
  const res = await fetch(`${world.emulator.url}/__emulator/${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return res.json();
}
async function counters(clientId) {
  return (await fetch(`${world.emulator.url}/__emulator/counters?client_id=${clientId}`)).json();
}

/** A client registered with the emulator, its configuration, and a fresh browser profile. */
async function app(driver, name, extra = {}) {
  const clientId = `${name}-${Math.floor(Math.random() * 1e9)}`;
  await control("clients", { clientId, redirectUris: [tabUrl()] });
  const config = { clientId, redirectUri: tabUrl(), issuer: world.emulator.url, scopes: ["transactions:read"], ...extra };
  return { clientId, config, context: await driver.context() };
}

// Page-side steps (each runs in a tab of tests/browser/tab.html).
const ready = () => new Promise((r) => {
  const check = () => (document.body?.dataset.ready ? r() : setTimeout(check, 20));
  check();
});
const openAuth = (config) => window.open_(config);
const signInStep = async () => {
  const url = await window.auth.startLogin({ extraParams: [["auto_approve", "json"]] });
  const { location: cb } = await (await fetch(url)).json();
  await window.auth.handleCallback(cb);
};
const callsStep = (k) => Promise.all(Array.from({ length: k }, () => window.outcome(window.auth.fetchJson("/v1/transactions?limit=1"))));
const sessionStep = () => window.auth.session ?? null;
const eventsStep = () => window.events.map((e) => `${e.type}:${e.reason}`);

/** A new tab of the app with its `ExpensicatAuth`. */
async function tab(a, from) {
  const t = from ? await a.context.openFrom(from, tabUrl()) : await a.context.open(tabUrl());
  await t.run(ready);
  await t.run(openAuth, a.config);
  // The tab knows whether a session exists once the live tabs answered and storage was read.
  await t.run(() => window.auth.ready());
  return t;
}
const signIn = (t) => t.run(signInStep);
const session = (t) => t.run(sessionStep);
const waitFor = async (what, check, ms = 3000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await check()) return;
  assert.fail(`timed out waiting for ${what}`);
};
/** Tabs A and B, open before the login; A signs in and B has received the session. */
async function twoTabsSignedIn(a) {
  const tabA = await tab(a);
  const tabB = await tab(a);
  await signIn(tabA);
  await waitFor("tab B to get the login", async () => (await session(tabB)) !== null);
  return [tabA, tabB];
}

/** `n` API calls in each tab, all started before any is awaited. */
async function callsInTabs(pairs) {
  const jobs = pairs.map(([t, n]) => t.start(callsStep, n));
  return (await Promise.all(jobs.map((j) => j.join()))).flat();
}

const scenarios = {
  async "DPoP: the tabs sign with the login's one key, expired tokens bring one refresh, a logout destroys the key"(driver) {
    const a = await app(driver, "dpop-tabs", { dpop: true, revocationEndpoint: `${world.emulator.url}/api/auth/oauth2/revoke` });
    try {
      const [tabA, tabB] = await twoTabsSignedIn(a);
      await control("expire-tokens", { clientId: a.clientId });
      for (const r of await callsInTabs([[tabA, 3], [tabB, 3]])) assert.ok(r.ok, JSON.stringify(r));
      const c = await counters(a.clientId);
      assert.equal(c.refreshes, 1, "one refresh for the two tabs");
      assert.equal(c.refreshReuseDetected ?? 0, 0);
      assert.equal(c.dpopBoundTokens, 2, "the exchange and the refresh, bound to one key");
      assert.ok(c.dpopApiCalls >= 6, `every call from both tabs signed with the key (${c.dpopApiCalls})`);
      assert.equal(c.dpopApiRefused ?? 0, 0);
      const keys = () =>
        tabB.run(
          () =>
            new Promise((resolve, reject) => {
              const r = indexedDB.open("expensicat-auth:sessions", 1);
              r.onsuccess = () => {
                const q = r.result.transaction("sealed", "readonly").objectStore("sealed").getAllKeys();
                q.onsuccess = () => (r.result.close(), resolve(q.result.filter((k) => String(k).startsWith("dpop:")).length));
              };
              r.onerror = () => reject(r.error);
            }),
        );
      assert.equal(await keys(), 1, "one key pair for the login, shared by the tabs");
      await tabA.run(() => window.auth.logout());
      assert.equal(await keys(), 0, "the logout destroyed it");
      // Each revocation signed (how many tokens a logout revokes is the machine's business).
      const r = await counters(a.clientId);
      assert.ok(r.dpopRevocations >= 2 && r.dpopRevocations === r.revocations, JSON.stringify(r));
    } finally {
      await a.context.close();
    }
  },

  async "new tabs get the session without a redirect; expired tokens, 20 calls over three tabs: one refresh"(driver) {
    const a = await app(driver, "three");
    try {
      const tabA = await tab(a);
      await signIn(tabA);
      // Tabs opened after the login: no redirect, no second code exchange.
      const tabB = await tab(a);
      const tabC = await tab(a);
      for (const t of [tabB, tabC]) {
        const [r] = await t.run(callsStep, 1);
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal((await session(t))?.hasRefreshToken, true);
        assert.deepEqual(await t.run(eventsStep), ["started:tab"]);
      }
      let c = await counters(a.clientId);
      assert.equal(c.tokenRequests, 1, "one code exchange for three tabs");
      assert.equal(c.apiCalls, 2);
      // Every tab's access token now expires at the server; 20 calls spread over the tabs.
      await control("expire-tokens", { clientId: a.clientId });
      const results = await callsInTabs([[tabA, 7], [tabB, 7], [tabC, 6]]);
      assert.equal(results.length, 20);
      for (const r of results) assert.ok(r.ok, JSON.stringify(r));
      c = await counters(a.clientId);
      assert.equal(c.refreshes, 1, "exactly one refresh for the three tabs");
      assert.equal(c.refreshReuseDetected ?? 0, 0);
      // Each call sent with the expired token got a 401 and was sent again; how many did depends
      // on how far each tab's calls had started when the refresh landed (WebDriver starts them
      // one tab after another).
      assert.ok(c.apiCalls > 2 + 20 && c.apiCalls <= 2 + 20 + 20, `${c.apiCalls} API requests`);
    } finally {
      await a.context.close();
    }
  },

  async "a duplicated tab in sessionStorage mode: no invalid_grant, one refresh"(driver) {
    const a = await app(driver, "dup", { storage: "sessionStorage" });
    try {
      const tabA = await tab(a);
      await signIn(tabA);
      // "Duplicate tab": window.open copies the opener's sessionStorage, refresh token included.
      const dup = await tab(a, tabA);
      assert.equal((await session(dup))?.hasRefreshToken, true, "the copy is restored from sessionStorage");
      await control("expire-tokens", { clientId: a.clientId });
      for (const r of await callsInTabs([[tabA, 3], [dup, 3]])) assert.ok(r.ok, JSON.stringify(r));
      const c = await counters(a.clientId);
      assert.equal(c.refreshes, 1);
      assert.equal(c.refreshReuseDetected ?? 0, 0, "the copied refresh token is never sent after its rotation");
      // And again, the other way round: the duplicate refreshes, the first tab follows.
      await control("expire-tokens", { clientId: a.clientId });
      for (const r of await callsInTabs([[dup, 2], [tabA, 2]])) assert.ok(r.ok, JSON.stringify(r));
      const c2 = await counters(a.clientId);
      assert.equal(c2.refreshes, 2);
      assert.equal(c2.refreshReuseDetected ?? 0, 0);
    } finally {
      await a.context.close();
    }
  },

  async "logout in one tab ends the session in all; a login in one reaches the others"(driver) {
    const a = await app(driver, "logout");
    try {
      const [tabA, tabB] = await twoTabsSignedIn(a);
      assert.deepEqual(await tabB.run(eventsStep), ["started:tab"]);
      await tabA.run(() => void window.auth.logout());
      // Tab B's next call, from the moment of the logout: login_required within 1 s.
      const r = await tabB.run(async () => {
        const t0 = Date.now();
        while (window.auth.session && Date.now() - t0 < 1000) await new Promise((res) => setTimeout(res, 10));
        return { ...(await window.outcome(window.auth.fetchJson("/v1/transactions"))), ms: Date.now() - t0 };
      });
      assert.equal(r.code, "login_required");
      assert.ok(r.ms < 1000, `within 1 s (${r.ms} ms)`);
      assert.deepEqual(await tabB.run(eventsStep), ["started:tab", "ended:logout"]);
      // A new login in B reaches A.
      await signIn(tabB);
      await waitFor("tab A to get the new login", async () => (await session(tabA)) !== null);
      const [ok] = await tabA.run(callsStep, 1);
      assert.ok(ok.ok, JSON.stringify(ok));
    } finally {
      await a.context.close();
    }
  },

  async "the refresh lock holder closed in the middle of a refresh: no tab sends its refresh token again"(driver) {
    const a = await app(driver, "closed");
    try {
      const [tabA, tabB] = await twoTabsSignedIn(a);
      // A's refresh hangs at the server (and never reaches its logic once A is gone). Whether a
      // request reached the server is something no tab can know: the refresh token it carried
      // counts as spent, and sending it again could only trip reuse detection.
      await control("faults", { clientId: a.clientId, endpoint: "token", delayMs: 1500, lostIfAbandoned: true, times: 1 });
      await tabA.run(() => void window.auth.refresh().catch(() => {}));
      await new Promise((r) => setTimeout(r, 200));
      await tabA.close();
      const r = await tabB.run(async () => {
        const t0 = Date.now();
        return { ...(await window.outcome(window.auth.refresh())), ms: Date.now() - t0 };
      });
      assert.equal(r.code, "login_required", JSON.stringify(r));
      assert.ok(r.ms < 1400, `the closed tab's lock was released at once, and no wait follows (${r.ms} ms)`);
      const c = await counters(a.clientId);
      assert.equal(c.refreshReuseDetected ?? 0, 0);
      assert.equal(c.refreshes ?? 0, 0, "no refresh token reached the token endpoint's logic twice (nor once)");
      // Signing in again works at once.
      await signIn(tabB);
      const [ok] = await tabB.run(callsStep, 1);
      assert.ok(ok.ok, JSON.stringify(ok));
    } finally {
      await a.context.close();
    }
  },

  async "a lock holder that never lets go (a frozen tab): the others get timeout, send nothing, and go on once it is free"(driver) {
    const a = await app(driver, "frozen", { timeoutMs: 300 });
    try {
      const [tabA, tabB] = await twoTabsSignedIn(a);
      // Tab A takes the refresh lock and keeps it, as a tab frozen mid-refresh would.
      await tabA.run(
        (name) =>
          new Promise((held) => {
            navigator.locks.request(name, () => {
              held();
              return new Promise((release) => (window.releaseLock = release));
            });
          }),
        `expensicat-auth:refresh:${a.clientId}`,
      );
      const before = (await counters(a.clientId)).tokenRequests;
      const r = await tabB.run(async () => {
        const t0 = Date.now();
        return { ...(await window.outcome(window.auth.refresh())), ms: Date.now() - t0 };
      });
      assert.equal(r.code, "timeout");
      assert.ok(r.ms >= 500 && r.ms < 3000, `bounded by twice the timeout (${r.ms} ms)`);
      assert.equal((await counters(a.clientId)).tokenRequests, before, "no refresh sent without the lock");
      await tabA.run(() => window.releaseLock());
      const ok = await tabB.run(() => window.outcome(window.auth.refresh()));
      assert.ok(ok.ok, JSON.stringify(ok));
      assert.equal((await counters(a.clientId)).refreshes, 1);
    } finally {
      await a.context.close();
    }
  },

  async "shareAcrossTabs: false keeps each tab to itself"(driver) {
    const a = await app(driver, "alone", { shareAcrossTabs: false });
    try {
      const tabA = await tab(a);
      await signIn(tabA);
      const tabB = await tab(a);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await session(tabB), null);
      const [r] = await tabB.run(callsStep, 1);
      assert.equal(r.code, "login_required");
    } finally {
      await a.context.close();
    }
  },

  async "indexedDB mode: a reload keeps the session, with no redirect"(driver) {
    const a = await app(driver, "reload", { storage: "indexedDB" });
    try {
      const t = await tab(a);
      await signIn(t);
      await waitFor("the sealed session", () => t.run(sealedStored, a.clientId));
      await t.goto(tabUrl());
      await t.run(ready);
      await t.run(openAuth, a.config);
      const [r] = await t.run(callsStep, 1);
      assert.ok(r.ok, `after a reload: ${JSON.stringify(r)}`);
      assert.deepEqual(await t.run(eventsStep), ["started:restored"]);
      assert.equal((await counters(a.clientId)).tokenRequests, 1, "one code exchange");
    } finally {
      await a.context.close();
    }
  },

  // Issue 20: the races of the session before it became a state machine in the core.
  async "issue 20 defect 2: a message that crosses a logout signs no tab back in"(driver) {
    const a = await app(driver, "d2");
    try {
      const [tabA, tabB] = await twoTabsSignedIn(a);
      // Tab A's main thread is busy while tab C opens (it asks for the session) and tab B logs
      // out: A answers C's question before it reads B's `ended`.
      const busy = tabA.start(() => {
        const end = Date.now() + 1500;
        while (Date.now() < end);
      });
      const tabC = await tab(a);
      const before = (await tabB.run(eventsStep)).length;
      await tabB.run(() => window.auth.logout());
      await busy.join();
      await new Promise((r) => setTimeout(r, 1500));
      for (const [name, t] of [["A", tabA], ["B", tabB], ["C", tabC]]) assert.equal(await session(t), null, `tab ${name} is signed out`);
      const after = (await tabB.run(eventsStep)).slice(before);
      assert.deepEqual(after, ["ended:logout"], "the tab that logged out adopted nothing afterwards");
      const [r] = await tabC.run(callsStep, 1);
      assert.equal(r.code, "login_required");
    } finally {
      await a.context.close();
    }
  },

  async "issue 20 defect 4: without IndexedDB, late tab messages and a slow server: no refresh token is sent twice"(driver) {
    const a = await app(driver, "d4");
    // Each tab loses IndexedDB before the package starts (some private modes, embedded browsers);
    // tab A's BroadcastChannel messages arrive 100 ms late.
    const noIdb = (late) => {
      Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });
      if (late) {
        const post = BroadcastChannel.prototype.postMessage;
        BroadcastChannel.prototype.postMessage = function (m) {
          setTimeout(() => post.call(this, m), 100);
        };
      }
    };
    try {
      const first = await a.context.open(tabUrl());
      await first.run(ready);
      await first.run(noIdb, true);
      await first.run(openAuth, a.config);
      const second = await a.context.open(tabUrl());
      await second.run(ready);
      await second.run(noIdb, false);
      await second.run(openAuth, a.config);
      await signIn(first);
      await waitFor("the second tab to get the login", async () => (await session(second)) !== null);
      await control("faults", { clientId: a.clientId, endpoint: "token", delayMs: 400, times: 6 });
      for (let round = 0; round < 3; round++) {
        await control("expire-tokens", { clientId: a.clientId });
        for (const r of await callsInTabs([[first, 2], [second, 2]])) assert.ok(r.ok, JSON.stringify(r));
      }
      const c = await counters(a.clientId);
      assert.equal(c.refreshReuseDetected ?? 0, 0, "no refresh token sent after its rotation");
      assert.ok(c.refreshes >= 1 && c.refreshes <= 3, `${c.refreshes} refreshes for three expiries`);
    } finally {
      await a.context.close();
    }
  },

  async "issue 20 defect 5: two tabs signing in at once in indexedDB mode leave a session a new tab restores"(driver) {
    const a = await app(driver, "d5", { storage: "indexedDB" });
    try {
      const tabA = await tab(a);
      const tabB = await tab(a);
      await Promise.all([signIn(tabA), signIn(tabB)]);
      // Both tabs go (a blank window keeps the browser open: WebDriver ends its session with the
      // last window); a new one finds the stored session without a redirect.
      await new Promise((r) => setTimeout(r, 300));
      const blank = await a.context.open("about:blank");
      await tabA.close();
      await tabB.close();
      await blank.run(() => 0);
      const tabC = await tab(a);
      const [r] = await tabC.run(callsStep, 1);
      assert.ok(r.ok, `restored: ${JSON.stringify(r)}`);
      const events = await tabC.run(eventsStep);
      assert.ok(!events.includes("ended:corrupt_record"), events.join());
      assert.deepEqual(events, ["started:restored"]);
    } finally {
      await a.context.close();
    }
  },

  async "a service worker takes the page's session, refreshes it and calls the API"(driver) {
    const a = await app(driver, "sw");
    try {
      const t = await tab(a);
      await signIn(t);
      const result = await t.run(async (config) => {
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
  },
};

/** Whether the sealed session of `clientId` is in IndexedDB (page side). */
function sealedStored(clientId) {
  return new Promise((resolve) => {
    const r = indexedDB.open("expensicat-auth:sessions", 1);
    r.onsuccess = () => {
      const get = r.result.transaction("sealed").objectStore("sealed").get("rec:" + clientId);
      get.onsuccess = () => resolve(get.result !== undefined);
      get.onerror = () => resolve(false);
    };
    r.onerror = () => resolve(false);
  });
}

for (const name of ["Chromium", ...ENGINES.map((e) => e.name)]) {
  test(`${name}: one session per browser`, async (t) => {
    const driver = world.drivers.list.find((d) => d.name === name);
    for (const [title, run] of Object.entries(scenarios)) await t.test(title, () => run(driver));
  });
}

// Chromium only: geckodriver and WebKitWebDriver start every session from a new, empty profile, so
// a browser restarted over the same profile cannot be driven there.
test("Chromium: indexedDB mode survives a browser restart", async () => {
  const clientId = `restart-${Math.floor(Math.random() * 1e9)}`;
  await control("clients", { clientId, redirectUris: [tabUrl()] });
  const config = { clientId, redirectUri: tabUrl(), issuer: world.emulator.url, scopes: ["transactions:read"], storage: "indexedDB" };
  const profile = mkdtempSync(join(tmpdir(), "expensicat-profile-"));
  const start = () => chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", headless: true, args: ARGS });
  const openTab = async (context) => {
    const page = await context.newPage();
    await page.goto(tabUrl());
    await page.evaluate(ready);
    await page.evaluate(openAuth, config);
    return page;
  };
  let context = await start();
  try {
    let page = await openTab(context);
    await page.evaluate(signInStep);
    await waitFor("the sealed session", () => page.evaluate(sealedStored, clientId));
    await context.close();
    context = await start();
    page = await openTab(context);
    const [r] = await page.evaluate(callsStep, 1);
    assert.ok(r.ok, `after a browser restart: ${JSON.stringify(r)}`);
    assert.deepEqual(await page.evaluate(eventsStep), ["started:restored"]);
    assert.equal((await counters(clientId)).tokenRequests, 1, "one code exchange for the whole test");
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

// Issue 20 defect 11: Expensify's limits (5 requests per 10 s, 20 per 60 s) are per
// partnerUserID, so they must hold for all the tabs of a browser together, not for each tab. Two
// tabs of one browser profile each send 5 jobs at once with the same partnerUserID; the
// emulator's Integration Server records when each arrived: at most 5 in any 10 s, all 10 answered.
// In every engine of tests/e2e/webdriver.mjs's `browsers()` (Chromium, Firefox, WebKit).
//
// On the main before the fix (96bbdcb) this fails: each tab had its own limiter (a module-level
// Map), so all 10 requests arrived within a few ms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tabWorld } from "./tab-world.mjs";

const world = tabWorld();
const tabUrl = world.tabUrl;

/** A partner registered with the emulator under a fresh ID. */
async function partner(name) {
  const partnerUserID = `aa_${name}_${Math.floor(Math.random() * 1e9)}`;
  const partnerUserSecret = `secret-${Math.random().toString(36).slice(2)}`;
  await fetch(`${world.emulator.url}/__emulator/expensify-credentials`, { method: "POST", body: JSON.stringify({ partnerUserID, partnerUserSecret }) });
  return { partnerUserID, partnerUserSecret };
}

// Page-side steps (each runs in a tab of tests/browser/tab.html).
const ready = () => new Promise((r) => {
  const check = () => (document.body?.dataset.ready ? r() : setTimeout(check, 20));
  check();
});
/** Loads the Expensify entry and makes the credential (the default limits). */
const prepare = async ({ emu, partnerUserID, partnerUserSecret }) => {
  const x = await import("/pkg/expensify/expensicat_auth_expensify.js");
  await x.default();
  window.credential = new x.ExpensifyCredential({ name: "Tabs", serverUrl: emu, partnerUserId: partnerUserID, partnerUserSecret });
};
/** `n` policyList jobs at once: each one's outcome. */
const sendJobs = (n) =>
  Promise.all(Array.from({ length: n }, () => window.credential.policyList().then((r) => ({ ok: r.responseCode === 200 }), (e) => ({ ok: false, code: e.code, message: String(e.message) }))));
/** What the limiter keeps in IndexedDB, as text: keys (hex) and values. */
const limitsDb = () =>
  new Promise((resolve, reject) => {
    const r = indexedDB.open("expensicat-auth:expensify-limits");
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const s = r.result.transaction("sent").objectStore("sent");
      const keys = s.getAllKeys();
      const values = s.getAll();
      values.onsuccess = () => {
        const hex = (k) => [...new Uint8Array(k)].map((b) => b.toString(16).padStart(2, "0")).join("");
        const text = (k) => new TextDecoder().decode(k);
        resolve({ keys: keys.result.map(hex), keyTexts: keys.result.map(text), values: values.result });
      };
    };
  });

/** The most arrivals within any `windowMs` (arrivals sorted). */
function mostWithin(times, windowMs) {
  let most = 0;
  for (let i = 0; i < times.length; i++) most = Math.max(most, times.filter((t) => t >= times[i] && t - times[i] < windowMs).length);
  return most;
}

// Arrivals are timed at the server, so they include each request's trip there: the windows are
// checked 250 ms short of 10 s (without the fix, all 10 arrive within a few ms).
const JITTER_MS = 250;

test("issue 20 defect 11: the Expensify limits hold across the tabs of a browser (5 per 10 s for two tabs together)", async (t) => {
  for (const driver of world.drivers.list) {
    await t.test(driver.name, async () => {
      const p = await partner(driver.name.toLowerCase());
      const context = await driver.context();
      try {
        const tabs = [await context.open(tabUrl()), await context.open(tabUrl())];
        for (const tab of tabs) {
          await tab.run(ready);
          await tab.run(prepare, { emu: world.emulator.url, ...p });
        }
        const t0 = Date.now();
        const jobs = tabs.map((tab) => tab.start(sendJobs, 5));
        const results = (await Promise.all(jobs.map((j) => j.join()))).flat();
        assert.equal(results.length, 10);
        for (const r of results) assert.ok(r.ok, JSON.stringify(r));
        const { times } = await (await fetch(`${world.emulator.url}/__emulator/expensify-arrivals?partnerUserID=${p.partnerUserID}`)).json();
        assert.equal(times.length, 10, "every job sent once");
        times.sort((a, b) => a - b);
        const rel = times.map((x) => x - times[0]);
        assert.ok(mostWithin(times, 10_000 - JITTER_MS) <= 5, `at most 5 in any 10 s; arrivals (ms after the first): ${rel}`);
        assert.ok(Date.now() - t0 >= 9_500, "the second five waited for the window");
        // The shared record: one key, the SHA-256 of the partnerUserID, never the ID itself.
        const db = await tabs[0].run(limitsDb);
        const digest = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(p.partnerUserID))).toString("hex");
        assert.ok(db.keys.includes(digest), JSON.stringify(db));
        assert.ok(!JSON.stringify(db).includes(p.partnerUserID), "the partnerUserID is not stored");
        assert.match(db.values[db.keys.indexOf(digest)], /^\d+(,\d+){9}$/, "the ten send times (up to 20, the largest count, are kept)");
      } finally {
        await context.close();
      }
    });
  }
});

// The demo, clicked through in a real Chromium against the local emulator.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo } from "../../scripts/demo.mjs";
import { launch, shot } from "./browser.mjs";

let demo;
let browser;
before(async () => {
  demo = await startDemo({ port: 0, quiet: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

const counters = async () => (await fetch(`${demo.emulator.url}/__emulator/counters?client_id=${demo.emulator.clientId}`)).json();

async function openDemo() {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
  return { context, page, errors };
}

async function signIn(page, decision = "#allow") {
  await page.click("#sign-in");
  await page.waitForSelector(decision);
  await shot(page, decision === "#allow" ? "2-consent" : "consent-deny");
  await page.click(decision);
  await page.waitForSelector("body[data-ready=true]");
}

test("sign in, consent, transactions, load more, refresh, sign out", async () => {
  const { context, page, errors } = await openDemo();
  await shot(page, "1-signed-out");
  const before = await counters();
  let callbackUrl;
  page.on("request", (r) => r.url().includes("/callback?") && (callbackUrl = r.url()));
  await signIn(page);
  await page.waitForSelector("#signed-in:not([hidden])");
  assert.equal(await page.textContent("#status"), "Signed in.");
  assert.ok(callbackUrl?.includes("code="), "the emulator redirected back with a code");
  assert.ok(!page.url().includes("code=") && !page.url().includes("state="), `address bar cleaned: ${page.url()}`);
  assert.equal(await page.textContent("#granted"), "transactions:read");
  await page.click("#load");
  await page.waitForSelector("#transactions tbody tr");
  assert.equal(await page.locator("#transactions tbody tr").count(), 10);
  await page.click("#more");
  await page.waitForFunction(() => document.querySelectorAll("#transactions tbody tr").length === 20);
  await shot(page, "3-transactions");
  await page.click("#refresh");
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Tokens refreshed"));
  const html = await page.content();
  assert.ok(!/at_[A-Za-z0-9_-]{20}|rt_[A-Za-z0-9_-]{20}/.test(html), "no token in the page");
  await page.click("#sign-out");
  await page.waitForSelector("#signed-out:not([hidden])");
  const after = await counters();
  assert.equal(after.codeExchanges - (before.codeExchanges ?? 0), 1);
  assert.equal(after.refreshes - (before.refreshes ?? 0), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test("open in a new tab: the session arrives without a redirect; signing out there signs every tab out", async () => {
  const { context, page, errors } = await openDemo();
  await signIn(page);
  await page.waitForSelector("#signed-in:not([hidden])");
  const before = await counters();
  const [second] = await Promise.all([context.waitForEvent("page"), page.click("#new-tab")]);
  await second.waitForSelector("body[data-ready=true]");
  await second.waitForSelector("#signed-in:not([hidden])");
  assert.equal(await second.textContent("#status"), "Signed in: the session came from another tab.");
  await second.click("#load");
  await second.waitForSelector("#transactions tbody tr");
  await shot(second, "5-second-tab");
  const after = await counters();
  assert.equal(after.codeExchanges ?? 0, before.codeExchanges ?? 0, "no second code exchange");
  await second.click("#sign-out");
  await page.waitForSelector("#signed-out:not([hidden])", { timeout: 1000 });
  assert.equal(await page.textContent("#status"), "Signed out in another tab.");
  assert.deepEqual(errors, []);
  await context.close();
});

test("denied consent shows access_denied", async () => {
  const { context, page } = await openDemo();
  const before = await counters();
  await signIn(page, "#deny");
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await page.textContent("#error"), /^access_denied: /);
  await shot(page, "4-denied");
  assert.equal((await counters()).tokenRequests ?? 0, before.tokenRequests ?? 0);
  await context.close();
});

test("reopening the callback URL after success makes no second exchange", async () => {
  const { context, page, errors } = await openDemo();
  let callbackUrl;
  page.on("request", (r) => r.url().includes("/callback?") && (callbackUrl = r.url()));
  await signIn(page);
  await page.waitForSelector("#signed-in:not([hidden])");
  const before = await counters();
  await page.goto(callbackUrl);
  await page.waitForSelector("body[data-ready=true]");
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await page.goto(callbackUrl);
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await page.textContent("#error"), /^callback_already_handled: /);
  assert.ok(await page.locator("#error.info").count(), "shown as information, not a failure");
  assert.equal((await counters()).tokenRequests, before.tokenRequests, "no second token request");
  assert.ok(!(await page.isHidden("#signed-in")), "the session survives (sessionStorage mode)");
  assert.deepEqual(errors, []);
  await context.close();
});

test("two tabs log in at once", async () => {
  const context = await browser.newContext();
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const p of [a, b]) {
    await p.goto(demo.url);
    await p.waitForSelector("body[data-ready=true]");
  }
  const before = await counters();
  await Promise.all([a.click("#sign-in"), b.click("#sign-in")]);
  await Promise.all([a.waitForSelector("#allow"), b.waitForSelector("#allow")]);
  await Promise.all([a.click("#allow"), b.click("#allow")]);
  await Promise.all([a.waitForSelector("#signed-in:not([hidden])"), b.waitForSelector("#signed-in:not([hidden])")]);
  assert.equal((await counters()).codeExchanges - before.codeExchanges, 2);
  await context.close();
});

test("Expensify: add credential overlay, field errors, tile, reload, test connection, delete", async () => {
  const { context, page, errors } = await openDemo();
  const { partnerUserID, partnerUserSecret } = demo.emulator.partner;
  await page.click("#add-credential");
  await page.waitForSelector("#cred-dialog[open]");
  assert.equal(await page.inputValue("#f-serverUrl"), demo.emulator.url, "pre-filled with the configured default");
  await page.click("#cred-save");
  assert.match(await page.textContent("#e-name"), /name is required/);
  assert.equal(await page.getAttribute("#f-name", "aria-invalid"), "true");
  await shot(page, "5-credential-errors");
  await page.fill("#f-name", "Acme Expensify");
  await page.fill("#f-description", "Nightly policy sync");
  await page.click("#cred-save");
  assert.match(await page.textContent("#e-partnerUserId"), /partnerUserId is required/);
  await page.fill("#f-partnerUserId", partnerUserID);
  await page.fill("#f-partnerUserSecret", partnerUserSecret);
  await page.click("#cred-save");
  await page.waitForSelector("#cred-dialog", { state: "hidden" });
  await page.waitForSelector(".tile h3:text('Acme Expensify')");
  assert.ok(!(await page.content()).includes(partnerUserSecret), "the secret is never shown again");
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  const tile = page.locator("li.tile", { hasText: "Acme Expensify" });
  await tile.waitFor();
  await tile.getByRole("button", { name: "Test connection" }).click();
  await tile.locator(".result:text('Connection OK')").waitFor();
  await shot(page, "6-credential-tile");
  // A wrong secret: the test tells invalid credentials apart.
  await page.click("#add-credential");
  await page.fill("#f-name", "Wrong secret");
  await page.fill("#f-partnerUserId", partnerUserID);
  await page.fill("#f-partnerUserSecret", "not-the-secret");
  await page.click("#cred-save");
  const wrong = page.locator("li.tile", { hasText: "Wrong secret" });
  await wrong.waitFor();
  await wrong.getByRole("button", { name: "Test connection" }).click();
  await wrong.locator(".result:text('invalid_credentials')").waitFor();
  // Escape closes the overlay.
  await page.click("#add-credential");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#cred-dialog", { state: "hidden" });
  await wrong.getByRole("button", { name: "Delete" }).click();
  await page.waitForFunction(() => ![...document.querySelectorAll(".tile h3")].some((h) => h.textContent === "Wrong secret"));
  await tile.getByRole("button", { name: "Delete" }).click();
  await page.waitForFunction(() => document.querySelectorAll("li.tile[data-id]").length === 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the preload hints are used: each entry's glue and wasm are fetched once each, without warnings", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const fetched = [];
  const warnings = [];
  page.on("request", (r) => /expensicat_auth(_expensify)?(_bg\.wasm|\.js)$/.test(r.url()) && fetched.push(r.url().split("/").pop()));
  page.on("console", (m) => /preload/i.test(m.text()) && warnings.push(m.text()));
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
  assert.deepEqual(fetched.sort(), ["expensicat_auth.js", "expensicat_auth_bg.wasm", "expensicat_auth_expensify.js", "expensicat_auth_expensify_bg.wasm"]);
  assert.deepEqual(warnings, []);
  await context.close();
});

test("phone-width layout has no horizontal scroll", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const page = await context.newPage();
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  await shot(page, "7-phone");
  await context.close();
});

test("the demo is served with the strict Content-Security-Policy the README documents", async () => {
  const policy = (await fetch(demo.url)).headers.get("content-security-policy") ?? "";
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.match(policy, /default-src 'self'/);
});

// expensicat-auth/react in a React 19 + React Router app under <StrictMode> (a development build,
// where effects run twice), installed from the packed tarball as a user installs it, in Chromium,
// Firefox and WebKit against the emulator, every claim checked on its counters: a deep link to a
// protected route signs in (the emulator's consent page, clicked) and lands back on that route
// (path, query and hash) with data from the API and exactly one code exchange; a second tab is
// signed in without a redirect, going from loading straight to signed_in; a logout in one tab
// turns the other's UI to signed out within 1 s; a denied login shows access_denied, makes no
// token request and starts no other login; and (Chromium) a session passed to the provider with
// onRedirectCallback. The app (tests/e2e/react-app/, .tsx) also type-checks
// under tsc --strict against the installed package.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { tabWorld } from "./tab-world.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const world = tabWorld();
let dir;
let server;
/** The client the app's /config.json names: each scenario registers its own. */
let current = "";

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };
const origin = () => `http://127.0.0.1:${server.address().port}`;

before(async () => {
  // Under the repository (target/), so that the app resolves React, React Router and their types
  // from the repository's devDependencies; the package itself from its own node_modules.
  mkdirSync(join(repo, "target"), { recursive: true });
  dir = mkdtempSync(join(repo, "target", "react-e2e-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const tarball = join(dir, JSON.parse(out)[0].filename);
  const app = join(dir, "app");
  cpSync(join(repo, "tests/e2e/react-app"), app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "react-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: app, stdio: "ignore" });
  await build({
    root: app,
    mode: "development",
    logLevel: "silent",
    define: { "process.env.NODE_ENV": JSON.stringify("development") },
    esbuild: { jsx: "automatic" },
    build: { outDir: join(app, "dist"), target: "es2022", minify: false },
  });
  // The built app, every path without a file extension answered with index.html (a router's
  // deep links), and /config.json naming the emulator and the current client.
  const dist = join(app, "dist");
  server = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    const headers = { "Cache-Control": "no-store" };
    if (url.pathname === "/config.json") {
      const config = { clientId: current, issuer: world.emulator.url, redirectUri: `${origin()}/callback`, scopes: ["transactions:read"] };
      return res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify(config));
    }
    const file = extname(url.pathname) ? normalize(join(dist, decodeURIComponent(url.pathname))) : join(dist, "index.html");
    if (!file.startsWith(dist + sep)) return res.writeHead(404, headers).end();
    try {
      res.writeHead(200, { ...headers, "Content-Type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
});

after(() => {
  server?.closeAllConnections?.();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A client registered with the emulator, which the app's configuration now names. */
function client(name) {
  current = `${name}-${Math.floor(Math.random() * 1e9)}`;
  world.emulator.addClient(current, [`${origin()}/callback`]);
  return current;
}
const counters = async (clientId) => (await fetch(`${world.emulator.url}/__emulator/counters?client_id=${clientId}`)).json();

/** Polls `check` in the tab (navigations in between are waited out) until it returns a truthy value. */
async function waitIn(tab, what, check, arg, ms = 15_000) {
  let last;
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    try {
      last = await tab.run(check, arg);
      if (last) return last;
    } catch (e) {
      last = e;
    }
  }
  const page = await tab.run(() => `${location.href}: ${document.body?.innerText.slice(0, 300)}`).catch((e) => String(e));
  assert.fail(`timed out waiting for ${what} (last: ${last}; the page: ${page})`);
}

// Page-side steps.
const onConsentPage = () => !!document.getElementById("allow");
/** Clicks `button` after this script has returned, so that the navigation it starts does not
 * cut off the script's answer (WebDriver reads it in a second call). */
const clickSoon = (button) => void setTimeout(() => document.getElementById(button).click(), 300);
/** The user allows (or denies) on the emulator's consent page, once the tab is there. */
async function consent(tab, button) {
  await waitIn(tab, "the consent page", onConsentPage);
  await tab.run(clickSoon, button);
}
const reportsShown = () => {
  const m = document.querySelector("#reports[data-count]:not([data-count=''])");
  return m && { count: Number(m.dataset.count), at: m.dataset.at, href: location.pathname + location.search + location.hash };
};
const statusIs = (status) =>
  document.querySelector("#status")?.dataset.status === status && {
    statuses: window.statuses,
    mounts: window.mounts,
    error: document.querySelector("#status").dataset.error,
    href: location.pathname + location.search + location.hash,
  };
/** Resolves with the time the status bar turns to `status`. */
const whenStatus = (status) =>
  new Promise((resolve) => {
    const check = () => document.querySelector("#status")?.dataset.status === status && (resolve(Date.now()), true);
    if (check()) return;
    const o = new MutationObserver(() => check() && o.disconnect());
    o.observe(document.body, { subtree: true, attributes: true, childList: true });
  });
const goHome = () => {
  history.pushState(null, "", "/");
  dispatchEvent(new PopStateEvent("popstate"));
};
const clickLogout = () => {
  const at = Date.now();
  document.getElementById("logout").click();
  return at;
};

const scenarios = {
  async "a deep link signs in and lands back on its route; a second tab is signed in without a redirect; a logout reaches it within 1 s"(driver) {
    const id = client("react-deep");
    const context = await driver.context();
    try {
      const deep = "/reports?month=2026-11&q=caf%C3%A9#row-3";
      const tabA = await context.open(`${origin()}${deep}`);
      // RequireAuth started the login: the emulator's consent page, where the user allows.
      await consent(tabA, "allow");
      const shown = await waitIn(tabA, "the reports page with data", reportsShown);
      assert.deepEqual(shown, { count: 2, at: deep, href: deep }, "back on the deep link, path, query and hash");
      let c = await counters(id);
      assert.equal(c.authorizeRequests, 1);
      assert.equal(c.codeExchanges, 1, "exactly one code exchange under StrictMode");
      assert.equal(c.tokenRequests, 1);

      const tabB = await context.open(`${origin()}/`);
      const b = await waitIn(tabB, "tab B signed in", statusIs, "signed_in");
      assert.deepEqual(b.statuses, ["loading", "signed_in"], "from loading straight to signed_in");
      assert.equal(b.mounts, 2, "StrictMode ran the effects twice (a development build)");
      assert.equal(b.href, "/");
      c = await counters(id);
      assert.equal(c.authorizeRequests, 1, "no redirect for the second tab");
      assert.equal(c.tokenRequests, 1);

      // Tab A leaves the protected route first (its RequireAuth would start a login when signed out).
      await tabA.run(goHome);
      await waitIn(tabA, "tab A on the public page", () => !!document.getElementById("public"));
      const seen = tabB.start(whenStatus, "signed_out");
      const clicked = await tabA.run(clickLogout);
      const signedOutAt = await seen.join();
      assert.ok(signedOutAt - clicked <= 1000, `tab B showed signed_out ${signedOutAt - clicked} ms after the logout`);
      const after = await tabB.run(statusIs, "signed_out");
      assert.deepEqual(after.statuses, ["loading", "signed_in", "signed_out"]);
    } finally {
      await context.close();
    }
  },

  async "a denied login shows access_denied, makes no token request and starts no other login"(driver) {
    const id = client("react-denied");
    const context = await driver.context();
    try {
      const tab = await context.open(`${origin()}/reports?x=1#y`);
      await consent(tab, "deny");
      const shown = await waitIn(tab, "signed out with the error", statusIs, "signed_out");
      assert.equal(shown.error, "access_denied");
      assert.equal(shown.href, "/callback", "the response is gone from the address bar, and returnTo is not followed");
      // Long enough for a loop back into another login to show.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await tab.run(statusIs, "signed_out")).href, "/callback");
      const c = await counters(id);
      assert.equal(c.authorizeRequests, 1, "no second login");
      assert.equal(c.tokenRequests ?? 0, 0, "no token request");
    } finally {
      await context.close();
    }
  },
};

// The provider's own logic, the same in every engine: Chromium only, to keep the suite's time.
async function injectedSession(driver) {
  const id = client("react-injected");
  const context = await driver.context();
  try {
    const tab = await context.open(`${origin()}/`);
    await tab.run(() => sessionStorage.setItem("app-mode", "injected"));
    const deep = "/reports?from=injected#top";
    await tab.goto(`${origin()}${deep}`);
    await consent(tab, "allow");
    const shown = await waitIn(tab, "the reports page with data", reportsShown);
    assert.deepEqual(shown, { count: 2, at: deep, href: deep });
    assert.deepEqual(await tab.run(() => window.redirects), [{ returnTo: deep }], "one call, with the appState RequireAuth gave the login");
    assert.equal((await counters(id)).codeExchanges, 1);
  } finally {
    await context.close();
  }
}

for (const name of ["Chromium", "Firefox", "WebKit"]) {
  test(`${name}: expensicat-auth/react in a React Router app`, async (t) => {
    const driver = world.drivers.list.find((d) => d.name === name);
    assert.ok(driver, `no ${name} among ${world.drivers.list.map((d) => d.name)}`);
    for (const [title, run] of Object.entries(scenarios)) await t.test(title, () => run(driver));
    if (name === "Chromium") await t.test("a session passed to the provider: onRedirectCallback is called once, with the login's appState", () => injectedSession(driver));
  });
}

test("the app type-checks under tsc --strict against the installed package", () => {
  const r = spawnSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(dir, "app", "tsconfig.json")], { encoding: "utf8" });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});

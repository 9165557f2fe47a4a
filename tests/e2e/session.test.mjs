// The package's JavaScript session in Chromium (through playwright-core) and Firefox (through
// geckodriver's WebDriver): the in-page suite of tests/browser/session.spec.mjs against the
// emulator, each test in a freshly loaded page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../scripts/emulator.mjs";
import { startStaticServer } from "../../scripts/serve.mjs";
import { launch } from "./browser.mjs";
import { firefoxSession, startGeckodriver } from "./webdriver.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
// The test names, read from the spec without a browser (it imports the package by URL).
const spec = await import("node:fs").then((fs) => fs.readFileSync(new URL("../browser/session.spec.mjs", import.meta.url), "utf8"));
const names = [...spec.matchAll(/^  async (\w+)\(\) \{$/gm)].map((m) => m[1]);

let emulator;
let server;
const page = () => `http://127.0.0.1:${server.address().port}/tests/browser/index.html?emu=${encodeURIComponent(emulator.url)}`;

before(async () => {
  emulator = await startEmulator({ quiet: true });
  server = await startStaticServer({ port: 0, root: repo });
});
after(async () => {
  server?.closeAllConnections?.();
  server?.close();
  await emulator?.close();
});

test("the suite lists the scenarios", () => assert.ok(names.length >= 20, `${names.length} tests found`));

// --- Chromium
let chromium;
test("Chromium: the JavaScript session", async (t) => {
  chromium = await launch();
  try {
    for (const name of names) {
      await t.test(name, async () => {
        const p = await chromium.newPage();
        try {
          await p.goto(page());
          await p.waitForSelector("body[data-ready]", { state: "attached", timeout: 20_000 });
          const r = await p.evaluate((n) => window.runTest(n), name);
          assert.ok(r.ok, r.error);
        } finally {
          await p.close();
        }
      });
    }
  } finally {
    await chromium.close();
  }
});

// --- Firefox, through geckodriver
test("Firefox: the JavaScript session", async (t) => {
  const { child, base } = await startGeckodriver();
  let session;
  try {
    session = await firefoxSession(base);
    for (const name of names) {
      await t.test(name, async () => {
        await session.call("POST", "/url", { url: page() });
        const r = await session.call("POST", "/execute/async", {
          script: `const done = arguments[arguments.length - 1];
            (async () => { for (let i = 0; i < 200 && !window.runTest; i++) await new Promise((r) => setTimeout(r, 50)); return window.runTest(arguments[0]); })().then(done, (e) => done({ ok: false, error: String(e) }));`,
          args: [name],
        });
        assert.ok(r.ok, r.error);
      });
    }
  } finally {
    await session?.close();
    child.kill();
  }
});

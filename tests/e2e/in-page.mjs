// Runs an in-page suite (tests/browser/<spec>.spec.mjs) against the emulator in Chromium (through
// playwright-core), and in Firefox and WebKit (through their WebDriver drivers), each test in a
// freshly loaded page of tests/browser/index.html.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../scripts/emulator.mjs";
import { startStaticServer } from "../../scripts/serve.mjs";
import { launch } from "./browser.mjs";
import { ENGINES, newSession, startDriver } from "./webdriver.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** Declares the tests of `spec` (at least `min` scenarios), titled `title`. `extra`: a
 * `query` the page gets (`dpop=1`), and `chromiumOnly` to run the suite in Chromium alone. */
export function suite(spec, min, title, extra = {}) {
  // The test names, read from the spec without a browser (it imports the package by URL).
  const text = readFileSync(new URL(`../browser/${spec}.spec.mjs`, import.meta.url), "utf8");
  const names = [...text.matchAll(/^  async (\w+)\(\) \{$/gm)].map((m) => m[1]);

  let emulator;
  let server;
  const query = extra.query ? `&${extra.query}` : "";
  const page = () => `http://127.0.0.1:${server.address().port}/tests/browser/index.html?spec=${spec}${query}&emu=${encodeURIComponent(emulator.url)}`;

  before(async () => {
    emulator = await startEmulator({ quiet: true });
    server = await startStaticServer({ port: 0, root: repo });
  });
  after(async () => {
    server?.closeAllConnections?.();
    server?.close();
    await emulator?.close();
  });

  test("the suite lists the scenarios", () => assert.ok(names.length >= min, `${names.length} tests found`));

  test(`Chromium: ${title}`, async (t) => {
    const chromium = await launch();
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

  for (const engine of extra.chromiumOnly ? [] : ENGINES) {
    test(`${engine.name}: ${title}`, async (t) => {
      const driver = await startDriver(engine);
      let session;
      try {
        session = await newSession(driver);
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
        await driver.close();
      }
    });
  }
}

// The demo's preload hints (www/index.html), counted at the server in each engine: how many
// times each entry's glue and wasm are downloaded for one page load. `<link rel=modulepreload>`
// of the glue is reused by the import in all three. `<link rel=preload as=fetch crossorigin>` of
// the wasm is reused by init()'s fetch in Chromium and Firefox, never in WebKit (WebKitGTK 2.50:
// a second download of each wasm, also when the response is cacheable; a modulepreload of the
// wasm is downloaded twice in all three engines, and no wasm hint once in all three but late).
// The README's paragraph on preload hints says so; when WebKit starts reusing the preload, this
// test fails and that paragraph should change.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo } from "../../scripts/demo.mjs";
import { launch } from "./browser.mjs";
import { ENGINES, newSession, startDriver } from "./webdriver.mjs";

const FILES = /\/(expensicat_auth(_expensify)?(_bg\.wasm|\.js))$/;
let demo;
let fetched = [];
before(async () => {
  demo = await startDemo({ port: 0, quiet: true });
  demo.server.on("request", (req) => {
    const m = new URL(req.url, demo.url).pathname.match(FILES);
    if (m) fetched.push(m[1]);
  });
});
after(() => demo?.close());

/** How many times each file was downloaded while `load()` opened the demo. */
async function downloads(load) {
  fetched = [];
  await load();
  // Anything still in flight from the hints has arrived by now on loopback.
  await new Promise((r) => setTimeout(r, 300));
  const counts = {};
  for (const f of fetched) counts[f] = (counts[f] ?? 0) + 1;
  return counts;
}

const once = { "expensicat_auth.js": 1, "expensicat_auth_bg.wasm": 1, "expensicat_auth_expensify.js": 1, "expensicat_auth_expensify_bg.wasm": 1 };
const expected = {
  Chromium: once,
  Firefox: once,
  WebKit: { ...once, "expensicat_auth_bg.wasm": 2, "expensicat_auth_expensify_bg.wasm": 2 },
};

test("Chromium: the demo's preload hints, downloads counted", async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const counts = await downloads(async () => {
      await page.goto(demo.url);
      await page.waitForSelector("body[data-ready=true]");
    });
    assert.deepEqual(counts, expected.Chromium);
  } finally {
    await browser.close();
  }
});

for (const engine of ENGINES) {
  test(`${engine.name}: the demo's preload hints, downloads counted`, async () => {
    const driver = await startDriver(engine);
    let session;
    try {
      session = await newSession(driver);
      const counts = await downloads(async () => {
        await session.call("POST", "/url", { url: demo.url });
        const ready = await session.call("POST", "/execute/async", {
          script: `const done = arguments[0];
            (async () => { for (let i = 0; i < 400 && document.body.dataset.ready !== "true"; i++) await new Promise((r) => setTimeout(r, 25)); })().then(() => done(document.body.dataset.ready));`,
          args: [],
        });
        assert.equal(ready, "true", "the demo loaded");
      });
      assert.deepEqual(counts, expected[engine.name]);
    } finally {
      await session?.close();
      await driver.close();
    }
  });
}

// What the multi-tab test files share: the emulator, a static server for the repository, and
// every engine's tabs (`browsers()` of webdriver.mjs), started before the file's tests and
// stopped after them. `tabUrl()` is tests/browser/tab.html, one tab of an app.
import { before, after } from "node:test";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../scripts/emulator.mjs";
import { startStaticServer } from "../../scripts/serve.mjs";
import { browsers } from "./webdriver.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** Registers the file's set-up and tear-down; its members are there once `before` has run. */
export function tabWorld() {
  const world = {
    emulator: undefined,
    server: undefined,
    drivers: undefined,
    tabUrl: () => `http://127.0.0.1:${world.server.address().port}/tests/browser/tab.html`,
  };
  before(async () => {
    world.emulator = await startEmulator({ quiet: true });
    world.server = await startStaticServer({ port: 0, root: repo });
    world.drivers = await browsers();
  });
  after(async () => {
    await world.drivers?.close();
    world.server?.closeAllConnections?.();
    world.server?.close();
    await world.emulator?.close();
  });
  return world;
}

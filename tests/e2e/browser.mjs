// Launches Debian's Chromium through playwright-core (never a downloaded browser).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

export const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", headless: true, args: ARGS });
}

export const outDir = new URL("../../test-output/e2e/", import.meta.url);
mkdirSync(outDir, { recursive: true });
export const shot = (page, name) => page.screenshot({ path: new URL(`${name}.png`, outDir).pathname, fullPage: true });

// The size budget: the shipped package (wasm + JS glue), gzip -9, must stay within the
// threshold in bench/size-budget.json. Lower the threshold when the package shrinks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { packageFiles } from "../../scripts/package-files.mjs";

const budget = JSON.parse(readFileSync(new URL("../../bench/size-budget.json", import.meta.url), "utf8"));

test("the package stays within its gzip size budget", () => {
  const gz = gzipSync(Buffer.concat(packageFiles().map((f) => readFileSync(f))), { level: 9 }).length;
  assert.ok(gz <= budget.maxGzipBytes, `package is ${gz} B gzip, over the budget of ${budget.maxGzipBytes} B`);
  console.log(`# package size: ${gz} B gzip (budget ${budget.maxGzipBytes} B)`);
});

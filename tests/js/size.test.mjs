// The size budget, one per entry point: each entry's wasm + JS glue, gzip -9, must stay within
// its threshold in bench/size-budget.json. Lower a threshold when its entry shrinks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { entries } from "../../scripts/package-files.mjs";

const budget = JSON.parse(readFileSync(new URL("../../bench/size-budget.json", import.meta.url), "utf8"));

for (const [entry, files] of Object.entries(entries)) {
  test(`${entry} stays within its gzip size budget`, () => {
    const max = budget.maxGzipBytes[entry];
    assert.ok(Number.isInteger(max), `no budget for ${entry}`);
    const gz = gzipSync(Buffer.concat(files.map((f) => readFileSync(f))), { level: 9 }).length;
    assert.ok(gz <= max, `${entry} is ${gz} B gzip, over its budget of ${max} B`);
    console.log(`# ${entry}: ${gz} B gzip (budget ${max} B)`);
  });
}

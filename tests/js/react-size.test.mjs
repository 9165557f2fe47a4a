// expensicat-auth/react weighs at most 1.5 KB gzip on top of the sign-in entry: the adapter alone
// (what a page downloads besides the sign-in entry), and the entry as one download against the
// sign-in entry's. The entries' own budgets are in bench/size-budget.json (tests/js/size.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { entries, reactAdapter } from "../../scripts/package-files.mjs";

const LIMIT = 1536;
const gz = (files) => gzipSync(Buffer.concat(files.map((f) => readFileSync(f))), { level: 9 }).length;

test("the React adapter adds at most 1.5 KB gzip to the sign-in entry", () => {
  const alone = gz([reactAdapter]);
  const added = gz(entries["expensicat-auth/react"]) - gz(entries["expensicat-auth"]);
  console.log(`# expensicat-auth/react: the adapter ${alone} B gzip, +${added} B on the sign-in entry as one download`);
  assert.ok(alone <= LIMIT, `the adapter is ${alone} B gzip`);
  assert.ok(added <= LIMIT, `the React entry adds ${added} B gzip`);
});

test("the React adapter bundles neither React nor the session", () => {
  const text = readFileSync(reactAdapter, "utf8");
  assert.match(text, /from"react"/, "React is imported, the app's own copy");
  assert.match(text, /import\("\.\/expensicat_auth\.js"\)/, "the session is imported lazily, from the sign-in entry next to it");
  assert.doesNotMatch(text, /__wbg|useSyncExternalStoreWithSelector|react\.production/, "nothing of the wasm glue or of React is bundled in");
});

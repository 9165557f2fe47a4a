// TypeScript users: every JavaScript snippet of the README type-checks against the shipped .d.ts
// with `tsc --strict`, `skipLibCheck: false` and `lib: ["es2022", "dom"]`, exactly as a user
// types it (no-argument calls included), and so does every React snippet (`jsx` as checked
// JavaScript, `tsx` as TypeScript) against React's own types; and the error type carries its documented fields, with
// `code` a union of the README's error table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The README's snippets of `lang` (`js`, `jsx` or `tsx`). */
export function readmeSnippets(lang = "js") {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  return [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
}

// What the snippets take from the app around them.
const AMBIENT = `declare const txn: { merchant: string; amount: number };
declare function showSignIn(reason?: string): void;
declare const partnerUserId: string;
declare const partnerUserSecret: string;
// The backend snippet's framework, as far as it uses it (Express-like).
interface Reply { status(code: number): Reply; type(contentType: string): Reply; send(body: string): void }
declare const app: { post(path: string, handler: (req: { rawBody: string }, res: Reply) => unknown): void };
`;

const EXTRA = `import init, { ExpensicatAuth, ExpensicatClient, type ExpensicatAuthError, createPkce, parseTokenResponse } from "expensicat-auth";
await init();
const auth = new ExpensicatAuth({ clientId: "c", redirectUri: "https://a.example/cb" });
try {
  await auth.fetchJson("/v1/transactions");
} catch (e) {
  const err = e as ExpensicatAuthError;
  if (err.code === "rate_limited") console.log(err.retryAfterMs);
  if (err.code === "insufficient_scope") console.log(err.requiredScope);
  if (err.code === "api_error") console.log(err.status, err.apiCode);
  if (err.code === "expensify_error") console.log(err.responseCode);
  if (err.code === "invalid_parameter") console.log(err.field);
  // @ts-expect-error: not one of the documented codes
  if (err.code === "no_such_code") console.log(err);
}
const pkce: { verifier: string; challenge: string; method: "S256" } = createPkce();
const tokens = parseTokenResponse(200, "{}");
const at: string = tokens.accessToken;
auth.fetch("/v1/x");
auth.logout();
const discovered: ExpensicatAuth = await ExpensicatAuth.discover("https://as.example", { clientId: "c", redirectUri: "https://a.example/cb", par: true });
const lowLevel: ExpensicatClient = await ExpensicatClient.discover("https://as.example", { clientId: "c", redirectUri: "https://a.example/cb" });
// @ts-expect-error: the endpoints come from the server's metadata
ExpensicatAuth.discover("https://as.example", { clientId: "c", redirectUri: "https://a.example/cb", tokenEndpoint: "https://as.example/t" });
export { pkce, at, discovered, lowLevel };
`;

test("every README snippet type-checks under tsc --strict", () => {
  const snippets = readmeSnippets();
  assert.ok(snippets.length >= 2, "the README has JavaScript snippets");
  const react = [...readmeSnippets("jsx").map((code) => ["jsx", code]), ...readmeSnippets("tsx").map((code) => ["tsx", code])];
  assert.ok(react.length >= 2, "the README has React snippets");
  // Under the repository, so that React's types resolve from its node_modules.
  mkdirSync(join(root, "target"), { recursive: true });
  const dir = mkdtempSync(join(root, "target", "readme-ts-"));
  const files = [];
  snippets.forEach((code, i) => {
    const file = join(dir, `snippet${i}.ts`);
    writeFileSync(file, AMBIENT + code + (/^\s*(import|export)\b/m.test(code) ? "" : "\nexport {};\n"));
    files.push(file);
  });
  react.forEach(([ext, code], i) => {
    const file = join(dir, `react${i}.${ext}`);
    writeFileSync(file, (ext === "jsx" ? "// @ts-check\n" : "") + code + (/^\s*(import|export)\b/m.test(code) ? "" : "\nexport {};\n"));
    files.push(file);
  });
  writeFileSync(join(dir, "extra.ts"), EXTRA);
  files.push(join(dir, "extra.ts"));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        lib: ["es2022", "dom"],
        target: "es2022",
        module: "es2022",
        moduleResolution: "bundler",
        noEmit: true,
        allowJs: true,
        checkJs: true,
        jsx: "react-jsx",
        types: [],
        paths: {
          "expensicat-auth": [join(root, "pkg/expensicat_auth.d.ts")],
          "expensicat-auth/expensify": [join(root, "pkg/expensify/expensicat_auth_expensify.d.ts")],
          "expensicat-auth/react": [join(root, "pkg/expensicat_auth_react.d.ts")],
        },
      },
      files,
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});

test("the error code union is the README's error table", () => {
  const dts = readFileSync(join(root, "pkg/expensicat_auth.d.ts"), "utf8");
  const union = dts.split("export type ExpensicatAuthErrorCode =")[1].split(";")[0];
  const codes = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  for (const c of ["invalid_parameter", "state_mismatch", "rate_limited", "csp_blocked", "corrupt_record"]) assert.ok(codes.includes(c), c);
  assert.ok(!/[:<(|,]\s*any\b/.test(dts.split("export interface InitOutput")[0]), "no any in the public types");
});

// The package's JavaScript is checked too: js/session.js (the session machine's driver) and
// js/http.js carry JSDoc types (`// @ts-check`), read against the built package's declarations
// (js/glue.d.mts, js/session-types.d.ts), so the shipped code and its .d.ts cannot drift apart.
test("the shipped JavaScript (js/session.js, js/http.js) type-checks under tsc --strict", () => {
  const dir = mkdtempSync(join(tmpdir(), "expensicat-jsdoc-"));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, allowJs: true, checkJs: true, target: "es2022", module: "es2022", moduleResolution: "bundler", lib: ["es2022", "dom"], skipLibCheck: false, types: [] },
      files: [join(root, "js/session.js"), join(root, "js/http.js")],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});

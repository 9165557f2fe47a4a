// expensicat-auth/react's types: the module (js/react.js, `// @ts-check` JSDoc) type-checks under
// tsc --strict against the sign-in entry's built declarations and React's, and its hand-written
// declarations (js/react.d.ts, shipped as pkg/expensicat_auth_react.d.ts) say the same, both
// ways, so neither can drift from the other.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs tsc --strict on `files` (in a directory under the repository, so `react` resolves from
 * its node_modules), with `expensicat-auth` the built package. */
function tsc(dir, files) {
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        allowJs: true,
        checkJs: true,
        skipLibCheck: false,
        target: "es2022",
        module: "es2022",
        moduleResolution: "bundler",
        lib: ["es2022", "dom"],
        types: [],
        paths: {
          "expensicat-auth": [join(root, "pkg/expensicat_auth.d.ts")],
          "expensicat-auth/react": [join(root, "pkg/expensicat_auth_react.d.ts")],
        },
      },
      files,
    }),
  );
  const r = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
}

function scratch() {
  mkdirSync(join(root, "target"), { recursive: true });
  return mkdtempSync(join(root, "target", "react-types-"));
}

// One tsc run for the three checks (each tsc start costs seconds): errors name their file.
test("js/react.js type-checks, js/react.d.ts says the same both ways, and a user's file type-checks against the shipped declarations", () => {
  const shipped = readFileSync(join(root, "pkg/expensicat_auth_react.d.ts"), "utf8");
  assert.match(shipped, / from "\.\/expensicat_auth\.js";/);
  assert.doesNotMatch(shipped, /"expensicat-auth"/);
  const dir = scratch();
  try {
    copyFileSync(join(root, "js/react.js"), join(dir, "impl.js"));
    copyFileSync(join(root, "js/react.d.ts"), join(dir, "decl.d.ts"));
    writeFileSync(
      join(dir, "check.ts"),
      `import * as impl from "./impl.js";
import type * as decl from "./decl.js";
// Every export, both ways.
export const toDecl: typeof decl = impl;
export const toImpl: typeof impl = null as unknown as typeof decl;
// The named types too.
type Both<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const state: Both<impl.ExpensicatAuthState, decl.ExpensicatAuthState> = true;
export const props: Both<impl.ExpensicatAuthProviderProps, decl.ExpensicatAuthProviderProps> = true;
`,
    );
    writeFileSync(
      join(dir, "use.ts"),
      `import { createElement } from "react";
import { ExpensicatAuthProvider, RequireAuth, useExpensicatAuth, withRequireAuth } from "expensicat-auth/react";
export function Page(props: { id: number }) {
  const { status, session, error, login, fetchJson } = useExpensicatAuth();
  if (error) console.log(error.code);
  if (status === "signed_out") void login({ appState: { returnTo: "/x" }, scopes: ["transactions:read"] });
  void fetchJson("/v1/transactions");
  return createElement("p", null, props.id, session?.scopes.join(" "));
}
export const Guarded = withRequireAuth(Page, { fallback: "..." });
export const app = createElement(
  ExpensicatAuthProvider,
  { config: { clientId: "c", redirectUri: "https://a.example/cb" }, onRedirectCallback: (s: unknown) => console.log(s) },
  createElement(RequireAuth, { fallback: "..." }, createElement(Guarded, { id: 1 })),
);
// @ts-expect-error: the wrapped component keeps its props type
createElement(Guarded, { id: "1" });
`,
    );
    tsc(dir, [join(root, "js/react.js"), join(dir, "check.ts"), join(dir, "use.ts")]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

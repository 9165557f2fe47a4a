// After wasm-pack: make the package what the README promises.
// - The raw wasm exports in `InitOutput` are typed `any` by wasm-bindgen; they are ABI details,
//   so type them `unknown` to keep `any` out of the public .d.ts.
// - `[Symbol.dispose]` members need TypeScript's `esnext.disposable` lib; with the common
//   `lib: ["es2022", "dom"]` the .d.ts would not type-check. The runtime keeps the method.
// - `ExpensicatAuthErrorCode` becomes the union of the codes in the README's error table, so the
//   documented table and the type cannot drift apart.
// - `init()` is wrapped so that a page whose Content-Security-Policy forbids WebAssembly gets an
//   ExpensicatAuthError (`csp_blocked`) that says what to add, not a bare CompileError.
// - One minified JS file (the inline snippets bundled in): a module graph of two files costs a
//   second sequential request before the wasm fetch can start.
import { readFileSync, writeFileSync, rmSync, renameSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build, buildSync } from "esbuild";

export function readmeErrorCodes() {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.split("\n## Error codes\n")[1]?.split("\n## ")[0];
  if (!section) throw new Error("postbuild: no '## Error codes' section in the README");
  const codes = [];
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `")) continue;
    // The codes, without the fields they carry, which stand in parentheses.
    const first = line.split("|")[1].replace(/\([^)]*\)/g, "");
    for (const m of first.matchAll(/`([^`]+)`/g)) codes.push(m[1]);
  }
  if (codes.length < 30) throw new Error(`postbuild: only ${codes.length} codes found in the README's error table`);
  return codes;
}

// `layer`: the JavaScript classes an entry adds over its glue (a file of js/, bundled in as
// `<file>.mjs`), the names it exports, its declarations, and the leaf modules it imports.
function finish(pkg, name, layer) {
const dts = new URL(`${name}.d.ts`, pkg);
let text = readFileSync(dts, "utf8");
const start = text.indexOf("export interface InitOutput {");
const end = text.indexOf("}", start);
if (start < 0 || end < 0) throw new Error("postbuild: InitOutput not found in the .d.ts");
text = text.slice(0, start) + text.slice(start, end).replace(/\bany\b/g, "unknown") + text.slice(end);
text = text.replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/gm, "");
// ExpensicatClient.discovery is one export (one shim) with two uses: typed as two overloads, the
// plan without an answer and the client (or undefined) with one, so no caller casts.
const discovery = "static discovery(issuer: string, config: DiscoveryConfig, attempt?: number, status?: number, body?: string): DiscoveryPlan | ExpensicatClient | undefined;";
if (name === "expensicat_auth") {
  if (!text.includes(discovery)) throw new Error("postbuild: ExpensicatClient.discovery's declaration changed");
  text = text.replace(discovery, "static discovery(issuer: string, config: DiscoveryConfig): DiscoveryPlan;\n    static discovery(issuer: string, config: DiscoveryConfig, attempt: number, status: number, body: string): ExpensicatClient | undefined;");
}


const placeholder = "export type ExpensicatAuthErrorCode = string;";
if (!text.includes(placeholder)) throw new Error("postbuild: ExpensicatAuthErrorCode placeholder not found");
text = text.replace(placeholder, `export type ExpensicatAuthErrorCode =\n  | ${readmeErrorCodes().map((c) => JSON.stringify(c)).join("\n  | ")};`);
text = text.replace(
  "export default function __wbg_init",
  "/**\n * Loads the WebAssembly module. Rejects with an ExpensicatAuthError `csp_blocked` when the page's\n * Content-Security-Policy forbids WebAssembly (add `'wasm-unsafe-eval'` to `script-src`).\n */\nexport default function __wbg_init",
);
text += "\n" + readFileSync(new URL(`../js/${layer.dts}`, import.meta.url), "utf8");
writeFileSync(dts, text);

// wasm-pack copies the crate README and a .gitignore into pkg/; the package ships neither.
for (const f of ["README.md", ".gitignore"]) rmSync(new URL(f, pkg), { force: true });

const glue = new URL(`${name}.js`, pkg);
const inner = new URL("glue.mjs", pkg);
const entry = new URL("entry.mjs", pkg);
renameSync(glue, inner);
// Each entry's classes are JavaScript (js/session.js, js/expensify.js, over the glue's exports
// and the leaf modules they import), bundled into the same file.
const layerModule = layer.js.replace(/\.js$/, ".mjs");
const extra = [layerModule, ...layer.leaves];
writeFileSync(new URL(layerModule, pkg), readFileSync(new URL(`../js/${layer.js}`, import.meta.url)));
for (const leaf of layer.leaves) writeFileSync(new URL(leaf, pkg), readFileSync(new URL(`../js/${leaf}`, import.meta.url)));
writeFileSync(
  entry,
  `import wbgInit from "./glue.mjs";
export * from "./glue.mjs";
export { ${layer.exports.join(", ")} } from "./${layerModule}";
function blocked(e) {
  const text = String(e && e.message);
  if (!/Content.Security.Policy|unsafe-eval|CSP/i.test(text)) return e;
  const err = new Error("WebAssembly is blocked by this page's Content-Security-Policy: add 'wasm-unsafe-eval' to script-src (see the README's Install section)", { cause: e });
  err.name = "ExpensicatAuthError";
  err.code = "csp_blocked";
  return err;
}
export default async function init(options) {
  try {
    return await wbgInit(options);
  } catch (e) {
    throw blocked(e);
  }
}
`,
);
const { outputFiles } = buildSync({
  entryPoints: [fileURLToPath(entry)],
  bundle: true,
  write: false,
  format: "esm",
  platform: "browser",
  minify: true,
  target: "es2022",
  legalComments: "none",
  logLevel: "silent",
});
// The glue finds the wasm with `new URL("expensicat_auth_bg.wasm", import.meta.url)`, which
// stays right because the bundle is written where the glue was.
writeFileSync(glue, outputFiles[0].text);
rmSync(inner);
rmSync(entry);
for (const f of extra) rmSync(new URL(f, pkg));
rmSync(new URL("snippets/", pkg), { recursive: true, force: true });
}

finish(new URL("../pkg/", import.meta.url), "expensicat_auth", { js: "session.js", exports: ["ExpensicatAuth"], dts: "session.d.ts", leaves: ["http.js"] });
finish(new URL("../pkg/expensify/", import.meta.url), "expensicat_auth_expensify", {
  js: "expensify.js",
  exports: ["ExpensifyCredential", "ExpensifyCredentialStore"],
  dts: "expensify.d.ts",
  leaves: ["http.js", "credential-db.js"],
});

// `expensicat-auth/react` (js/react.js): minified, next to the sign-in entry, which it imports
// lazily as "./expensicat_auth.js" (a server render never loads it). React is the app's own (a
// peer dependency), never bundled.
const react = await build({
  entryPoints: [fileURLToPath(new URL("../js/react.js", import.meta.url))],
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  minify: true,
  target: "es2022",
  legalComments: "none",
  logLevel: "silent",
  external: ["react"],
  plugins: [{ name: "sign-in entry", setup: (b) => b.onResolve({ filter: /^expensicat-auth$/ }, () => ({ path: "./expensicat_auth.js", external: true })) }],
});
writeFileSync(new URL("../pkg/expensicat_auth_react.js", import.meta.url), react.outputFiles[0].text);
const reactTypes = readFileSync(new URL("../js/react.d.ts", import.meta.url), "utf8").replace(/^\/\/.*\n/gm, "");
if (!reactTypes.includes(' from "expensicat-auth";')) throw new Error("postbuild: js/react.d.ts no longer imports expensicat-auth");
writeFileSync(new URL("../pkg/expensicat_auth_react.d.ts", import.meta.url), reactTypes.replace(' from "expensicat-auth";', ' from "./expensicat_auth.js";'));

// After wasm-pack: the raw wasm exports in `InitOutput` are typed `any` by wasm-bindgen; they
// are ABI details, so type them `unknown` to keep `any` out of the public .d.ts.
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const dts = new URL("../pkg/expensicat_auth.d.ts", import.meta.url);
const text = readFileSync(dts, "utf8");
const start = text.indexOf("export interface InitOutput {");
const end = text.indexOf("}", start);
if (start < 0 || end < 0) throw new Error("postbuild: InitOutput not found in the .d.ts");
const fixed = text.slice(0, start) + text.slice(start, end).replace(/\bany\b/g, "unknown") + text.slice(end);
writeFileSync(dts, fixed);
// wasm-pack copies the crate README and a .gitignore into pkg/; the package ships neither.
for (const f of ["README.md", ".gitignore"]) rmSync(new URL(`../pkg/${f}`, import.meta.url), { force: true });

// One JS file: bundle the inline snippets (IndexedDB + WebCrypto helpers) into the glue and minify
// it. A module graph of two files costs a second sequential request before the wasm fetch can
// start, which showed in the cold-start benchmark. `import.meta.url` (the wasm's location) is kept.
const glue = new URL("../pkg/expensicat_auth.js", import.meta.url);
const { outputFiles } = buildSync({
  entryPoints: [fileURLToPath(glue)],
  bundle: true,
  write: false,
  format: "esm",
  platform: "browser",
  minify: true,
  target: "es2022",
  legalComments: "none",
  logLevel: "silent",
});
writeFileSync(glue, outputFiles[0].text);
rmSync(new URL("../pkg/snippets/", import.meta.url), { recursive: true, force: true });

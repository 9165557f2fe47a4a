// After wasm-pack: the raw wasm exports in `InitOutput` are typed `any` by wasm-bindgen; they
// are ABI details, so type them `unknown` to keep `any` out of the public .d.ts.
import { readFileSync, writeFileSync, rmSync, readdirSync, existsSync } from "node:fs";
import { transformSync } from "esbuild";

const dts = new URL("../pkg/expensicat_auth.d.ts", import.meta.url);
const text = readFileSync(dts, "utf8");
const start = text.indexOf("export interface InitOutput {");
const end = text.indexOf("}", start);
if (start < 0 || end < 0) throw new Error("postbuild: InitOutput not found in the .d.ts");
const fixed = text.slice(0, start) + text.slice(start, end).replace(/\bany\b/g, "unknown") + text.slice(end);
writeFileSync(dts, fixed);
// wasm-pack copies the crate README and a .gitignore into pkg/; the package ships neither.
for (const f of ["README.md", ".gitignore"]) rmSync(new URL(`../pkg/${f}`, import.meta.url), { force: true });

// Minify the JS glue and snippets the browser downloads (the .d.ts documents the API).
const minify = (url) => {
  const { code } = transformSync(readFileSync(url, "utf8"), { loader: "js", format: "esm", minify: true, target: "es2022", legalComments: "none" });
  writeFileSync(url, code);
};
minify(new URL("../pkg/expensicat_auth.js", import.meta.url));
const snippets = new URL("../pkg/snippets/", import.meta.url);
if (existsSync(snippets)) for (const d of readdirSync(snippets)) for (const f of readdirSync(new URL(`${d}/`, snippets))) minify(new URL(`${d}/${f}`, snippets));

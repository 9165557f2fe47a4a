// The sign-in wasm's extra wasm-opt pass, after wasm-pack's (the profile's flags in Cargo.toml):
// flattening the code and running the relooper again before -Oz finds 0.3 KB gzip more in that
// module, at the same speed in the bench's calls. The Expensify wasm grows by 27 B with it, so it
// keeps the profile's passes alone.
//
//   node scripts/wasm-opt-extra.mjs <file.wasm> [-g]   (in place; -g keeps the name section)
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

// binaryen's wasm-opt from devDependencies (wasm-pack cannot download its own here).
const local = fileURLToPath(new URL("../node_modules/.bin/wasm-opt", import.meta.url));
const wasmOpt = existsSync(local) ? local : "wasm-opt";

export const EXTRA_PASSES = ["--flatten", "--rereloop", "-Oz", "-Oz", "--converge"];

/** The profile's wasm-opt flags (Cargo.toml), which the extra pass repeats around its own. */
export function profileFlags() {
  const toml = readFileSync(new URL("../Cargo.toml", import.meta.url), "utf8");
  return JSON.parse(toml.match(/^wasm-opt = (\[.*\])$/m)?.[1] ?? "[]");
}

/** Runs the extra pass on `file` in place; `keepNames` keeps the name section (bench builds). */
export function extraPass(file, keepNames = false) {
  const flags = profileFlags().filter((f) => f !== "-Oz" && f !== "--converge" && !(keepNames && f === "--strip-debug"));
  execFileSync(wasmOpt, [...(keepNames ? ["-g"] : []), ...flags, ...EXTRA_PASSES, file, "-o", file], { stdio: "inherit" });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  extraPass(process.argv[2], process.argv.includes("-g"));
}

// The files the browser downloads, per entry point of the package: each entry's wasm and its JS
// glue (the inline snippets are bundled into the glue by scripts/postbuild.mjs).
const pkg = new URL("../pkg/", import.meta.url);

export const entries = {
  "expensicat-auth": [new URL("expensicat_auth_bg.wasm", pkg), new URL("expensicat_auth.js", pkg)],
  "expensicat-auth/expensify": [new URL("expensify/expensicat_auth_expensify_bg.wasm", pkg), new URL("expensify/expensicat_auth_expensify.js", pkg)],
};

/** Everything shipped that a browser may download. */
export function packageFiles() {
  return Object.values(entries).flat();
}

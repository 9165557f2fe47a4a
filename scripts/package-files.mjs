// The files the browser downloads, per entry point of the package: each entry's wasm and its JS
// glue (the inline snippets are bundled into the glue by scripts/postbuild.mjs). The React entry
// is the sign-in entry and its adapter, which imports the session lazily.
const pkg = new URL("../pkg/", import.meta.url);

export const entries = {
  "expensicat-auth": [new URL("expensicat_auth_bg.wasm", pkg), new URL("expensicat_auth.js", pkg)],
  "expensicat-auth/react": [new URL("expensicat_auth_bg.wasm", pkg), new URL("expensicat_auth.js", pkg), new URL("expensicat_auth_react.js", pkg)],
  "expensicat-auth/expensify": [new URL("expensify/expensicat_auth_expensify_bg.wasm", pkg), new URL("expensify/expensicat_auth_expensify.js", pkg)],
};

/** The React adapter alone: what `expensicat-auth/react` adds to the sign-in entry. */
export const reactAdapter = new URL("expensicat_auth_react.js", pkg);

/** Everything shipped that a browser may download, each file once. */
export function packageFiles() {
  return [...new Set(Object.values(entries).flat().map(String))].map((u) => new URL(u));
}

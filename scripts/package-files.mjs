// The files the package ships that the browser downloads: the wasm and its JS glue (the inline
// snippets are bundled into the glue by scripts/postbuild.mjs).
export function packageFiles() {
  const pkg = new URL("../pkg/", import.meta.url);
  return [new URL("expensicat_auth_bg.wasm", pkg), new URL("expensicat_auth.js", pkg)];
}

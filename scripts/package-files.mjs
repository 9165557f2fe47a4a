// The files the package ships that the browser downloads: wasm, JS glue, inline snippets.
import { readdirSync, existsSync } from "node:fs";

export function packageFiles() {
  const pkg = new URL("../pkg/", import.meta.url);
  const files = [new URL("expensicat_auth_bg.wasm", pkg), new URL("expensicat_auth.js", pkg)];
  const snippets = new URL("snippets/", pkg);
  if (existsSync(snippets)) for (const d of readdirSync(snippets)) for (const f of readdirSync(new URL(`${d}/`, snippets))) files.push(new URL(`${d}/${f}`, snippets));
  return files;
}

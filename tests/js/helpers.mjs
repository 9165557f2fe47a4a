// Loads the built package (pkg/, from `npm run build`) into Node, which has WebCrypto and fetch:
// both entry points, each initialised, as one object (the tests call functions by name).
import { readFileSync } from "node:fs";

export const pkgUrl = new URL("../../pkg/", import.meta.url);

export async function loadLib() {
  const signin = await import(new URL("expensicat_auth.js", pkgUrl));
  const signinWasm = await signin.default({ module_or_path: readFileSync(new URL("expensicat_auth_bg.wasm", pkgUrl)) });
  const expensify = await import(new URL("expensify/expensicat_auth_expensify.js", pkgUrl));
  const expensifyWasm = await expensify.default({ module_or_path: readFileSync(new URL("expensify/expensicat_auth_expensify_bg.wasm", pkgUrl)) });
  // `wasm`: each module's raw exports (its linear memory included), for the allocator test.
  return { ...signin, ...expensify, signin, expensify, wasm: { signin: signinWasm, expensify: expensifyWasm } };
}

/** Asserts `fn` throws an ExpensicatAuthError with `code`, whose text carries none of `secrets`. */
export function throwsCode(assert, fn, code, secrets = []) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof Error, `expected an Error with code ${code}`);
  assert.equal(err.name, "ExpensicatAuthError");
  assert.equal(err.code, code, err.message);
  const visible = [err.message, String(err), JSON.stringify(err), JSON.stringify({ ...err }), err.stack ?? ""].join("\n");
  for (const s of secrets) assert.ok(!visible.includes(s), `secret leaked in ${code}: ${visible}`);
  return err;
}

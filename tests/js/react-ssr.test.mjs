// expensicat-auth/react on a server: importing the module and rendering the provider with
// react-dom/server in Node (no `window`) renders the `loading` state, and loads neither the
// sign-in entry's JavaScript nor its WebAssembly (the module imports the session lazily, in an
// effect, which a server render never runs).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";

const resolved = [];
const instantiated = [];

before(() => {
  // Every module Node resolves from now on, told to this thread.
  const { port1, port2 } = new MessageChannel();
  port1.on("message", (m) => resolved.push(m));
  port1.unref();
  const hooks = `let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}`;
  register("data:text/javascript," + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
  for (const name of ["instantiate", "instantiateStreaming", "compile", "compileStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = (...args) => (instantiated.push(name), original.apply(WebAssembly, args));
  }
});

const config = { clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] };

test("the provider renders `loading` on a server, without the wasm or any browser API", async () => {
  assert.equal(typeof window, "undefined");
  assert.equal(typeof sessionStorage, "undefined");
  const { createElement } = await import("react");
  const { renderToString } = await import("react-dom/server");
  const { ExpensicatAuthProvider, RequireAuth, useExpensicatAuth, withRequireAuth } = await import("../../pkg/expensicat_auth_react.js");
  function Status() {
    const a = useExpensicatAuth();
    return createElement("p", { id: "status" }, `${a.status} ${a.isLoading} ${a.isAuthenticated} ${a.session === undefined} ${a.error === undefined}`);
  }
  const Private = withRequireAuth((/** @type {{ name: string }} */ p) => createElement("b", null, `private ${p.name}`), { fallback: "wait for it" });
  const html = renderToString(
    createElement(
      ExpensicatAuthProvider,
      { config, onRedirectCallback: () => assert.fail("no callback on a server") },
      createElement(Status),
      createElement(RequireAuth, { fallback: createElement("i", null, "checking") }, "the secret page"),
      createElement(Private, { name: "x" }),
    ),
  );
  assert.equal(html, '<p id="status">loading true false true true</p><i>checking</i>wait for it');
  // Long enough for anything an effect or a lazy import would have started.
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(resolved.some((u) => u.endsWith("/pkg/expensicat_auth_react.js")), `the hook saw the imports: ${resolved.join(" ")}`);
  assert.deepEqual(resolved.filter((u) => /\/expensicat_auth(_bg)?\.(js|wasm)$/.test(u)), [], "the sign-in entry was loaded");
  assert.deepEqual(instantiated, [], "WebAssembly was compiled");
});

test("useExpensicatAuth outside a provider throws an error that says so", async () => {
  const { createElement } = await import("react");
  const { renderToString } = await import("react-dom/server");
  const { useExpensicatAuth } = await import("../../pkg/expensicat_auth_react.js");
  function Lost() {
    useExpensicatAuth();
    return null;
  }
  assert.throws(() => renderToString(createElement(Lost)), /useExpensicatAuth\(\) must be called inside <ExpensicatAuthProvider>/);
});

// Cold start: head script to first authorize URL, with oauth4webapi (its own esbuild bundle).
const t0 = performance.now();
const { login } = await import("/bench/dist/cold-oauth4webapi-entry.js");
await login();
window.coldResult = performance.now() - t0;
// From navigation start (the throttled-network figure): the HTML, every script and the wasm.
window.coldFromNavigation = performance.now();

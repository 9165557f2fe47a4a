// Cold start of the reference crate (bench/floor): head script to its first PKCE pair.
const t0 = performance.now();
const { default: init, createPkce } = await import("/bench/dist/floor/floor.js");
await init();
createPkce();
window.coldResult = performance.now() - t0;
// From navigation start (the throttled-network figure): the HTML, every script and the wasm.
window.coldFromNavigation = performance.now();

// Cold start: head script to first authorize URL, with expensicat-auth.
const t0 = performance.now();
const { default: init, createLogin } = await import("/pkg/expensicat_auth.js");
await init();
createLogin({ clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] });
window.coldResult = performance.now() - t0;
// From navigation start (the throttled-network figure): the HTML, every script and the wasm.
window.coldFromNavigation = performance.now();

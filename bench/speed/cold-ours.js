// Cold start: head script to first authorize URL, with expensicat-auth.
const t0 = performance.now();
const { default: init, ExpensicatClient } = await import("/pkg/expensicat_auth.js");
await init();
new ExpensicatClient({ clientId: "demo-client", redirectUri: "https://app.example/callback", scopes: ["transactions:read"] }).createLogin();
window.coldResult = performance.now() - t0;
// From navigation start (the throttled-network figure): the HTML, every script and the wasm.
window.coldFromNavigation = performance.now();

// Cold start: head script to first authorize URL, with auth0-spa-js (its own esbuild bundle).
const t0 = performance.now();
const { login } = await import("/bench/dist/cold-auth0-entry.js");
await login();
window.coldResult = performance.now() - t0;
window.coldFromNavigation = performance.now();

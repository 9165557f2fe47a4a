// Cold start: head script to first authorize URL, with oauth4webapi (its own esbuild bundle).
const t0 = performance.now();
const { login } = await import("/bench/dist/cold-oauth4webapi-entry.js");
await login();
window.coldResult = performance.now() - t0;

// The package in a worker (dedicated or service worker): no window, no sessionStorage. It gets
// the session of the page that signed in (shareAcrossTabs), refreshes it and calls the API.
import init, { ExpensicatAuth } from "/pkg/expensicat_auth.js";

async function work(config) {
  try {
    await init();
    const auth = new ExpensicatAuth(config);
    const info = await auth.refresh();
    const page = await auth.fetchJson("/v1/transactions?limit=1");
    return { ok: true, n: page.data.length, info, hasWindow: typeof window !== "undefined" };
  } catch (e) {
    return { ok: false, error: `${e && e.code}: ${e && e.message}` };
  }
}

addEventListener("message", (e) => {
  const reply = (r) => (e.source ? e.source.postMessage(r) : postMessage(r));
  const done = work(e.data.config).then(reply);
  // A service worker stays alive until the answer is out.
  if (e.waitUntil) e.waitUntil(done);
});

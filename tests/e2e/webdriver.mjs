// A minimal W3C WebDriver client for Firefox through geckodriver (Playwright drives only its own
// Firefox build, which cannot be downloaded here), and one "tab" interface over it and over
// Playwright's Chromium pages, so that the multi-tab tests run the same code in both browsers.
import { spawn } from "node:child_process";
import { launch } from "./browser.mjs";

async function call(base, method, path, body) {
  const res = await fetch(base + path, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

/** Starts geckodriver on a free port; resolves to `{ child, base }`. */
export async function startGeckodriver() {
  const child = spawn("geckodriver", ["--port", "0", "--host", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise((resolve, reject) => {
    let text = "";
    const on = (chunk) => {
      text += chunk;
      const m = text.match(/Listening on 127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.on("exit", (code) => reject(new Error(`geckodriver exited (${code}): ${text}`)));
    setTimeout(() => reject(new Error(`geckodriver did not start: ${text}`)), 20_000);
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

/** A Firefox session (a fresh profile), with `call(method, path, body)` on it. */
export async function firefoxSession(base) {
  const binary = process.env.FIREFOX_PATH || "/usr/bin/firefox-esr";
  const { sessionId } = await call(base, "POST", "/session", {
    capabilities: { alwaysMatch: { browserName: "firefox", "moz:firefoxOptions": { binary, args: ["-headless"] } } },
  });
  await call(base, "POST", `/session/${sessionId}/timeouts`, { script: 120_000, pageLoad: 30_000 });
  return {
    id: sessionId,
    call: (method, path, body) => call(base, method, `/session/${sessionId}${path}`, body),
    close: () => call(base, "DELETE", `/session/${sessionId}`).catch(() => {}),
  };
}

// The script every tab runs: `f` (a function's source) applied to `arg`, settled as {ok, v} or
// {ok: false, e}. A started job is kept in the page until it is joined.
const START = `const [src, arg] = arguments;
  window.__jobs ??= {}; const id = String(Math.random());
  window.__jobs[id] = Promise.resolve().then(() => (0, eval)("(" + src + ")")(arg)).then((v) => ({ ok: true, v }), (e) => ({ ok: false, e: String(e && e.stack || e) }));
  return id;`;
const JOIN = `const [id, done] = arguments; window.__jobs[id].then(done);`;

function unwrap(r) {
  if (!r.ok) throw new Error(`in the page: ${r.e}`);
  return r.v;
}

/** Tabs of one browser context: `open(url)`, `openFrom(tab, url)` (window.open), `close()`. */
export async function browsers() {
  const chromium = await launch();
  const gecko = await startGeckodriver();
  return {
    list: [
      {
        name: "Chromium",
        async context() {
          const ctx = await chromium.newContext();
          const wrap = (page) => ({
            page,
            start(f, arg) {
              const p = page.evaluate(([src, a]) => (0, eval)(`(${src})`)(a), [f.toString(), arg]);
              p.catch(() => {});
              return { join: () => p };
            },
            run(f, arg) {
              return this.start(f, arg).join();
            },
            goto: (url) => page.goto(url),
            close: () => page.close(),
          });
          return {
            async open(url) {
              const page = await ctx.newPage();
              await page.goto(url);
              return wrap(page);
            },
            async openFrom(tab, url) {
              const [page] = await Promise.all([ctx.waitForEvent("page"), tab.page.evaluate((u) => window.open(u), url)]);
              await page.waitForLoadState();
              return wrap(page);
            },
            close: () => ctx.close(),
          };
        },
      },
      {
        name: "Firefox",
        async context() {
          const s = await firefoxSession(gecko.base);
          // WebDriver commands act on the current window: one at a time, each switching first.
          let queue = Promise.resolve();
          const serial = (op) => {
            const p = queue.then(op);
            queue = p.catch(() => {});
            return p;
          };
          const wrap = (handle) => {
            const on = (op) => serial(async () => {
              await s.call("POST", "/window", { handle });
              return op();
            });
            return {
              handle,
              start(f, arg) {
                const id = on(() => s.call("POST", "/execute/sync", { script: START, args: [f.toString(), arg] }));
                return { join: () => id.then((i) => on(() => s.call("POST", "/execute/async", { script: JOIN, args: [i] }))).then(unwrap) };
              },
              run(f, arg) {
                return this.start(f, arg).join();
              },
              goto: (url) => on(() => s.call("POST", "/url", { url })),
              close: () => on(() => s.call("DELETE", "/window")),
            };
          };
          let first = (await s.call("GET", "/window/handles"))[0];
          return {
            async open(url) {
              let handle = first;
              first = undefined;
              if (!handle) handle = (await serial(() => s.call("POST", "/window/new", { type: "window" }))).handle;
              const tab = wrap(handle);
              await tab.goto(url);
              return tab;
            },
            async openFrom(tab, url) {
              const before = await serial(() => s.call("GET", "/window/handles"));
              await tab.run((u) => void window.open(u), url);
              let handle;
              for (let i = 0; i < 100 && !handle; i++) {
                handle = (await serial(() => s.call("GET", "/window/handles"))).find((h) => !before.includes(h));
                if (!handle) await new Promise((r) => setTimeout(r, 50));
              }
              const opened = wrap(handle);
              await opened.run(() => new Promise((r) => (document.readyState === "complete" ? r() : addEventListener("load", () => r()))));
              return opened;
            },
            close: () => s.close(),
          };
        },
      },
    ],
    async close() {
      await chromium.close();
      gecko.child.kill();
    },
  };
}

// A minimal W3C WebDriver client for the engines Playwright cannot drive here (it drives only its
// own browser builds, which cannot be downloaded): Firefox through geckodriver, and WebKit (the
// engine of Safari) through WebKitGTK's WebKitWebDriver under Xvfb. One "engine" description
// serves both (how to start its driver, the capabilities of a session). Over them, the "tab"
// interface of the multi-tab tests (`browsers()`, which spans Playwright's Chromium pages too) and
// the part of Playwright's page API the demo test uses (`pageContext()`), so that each test runs
// the same scenario code in all three engines.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { launch } from "./browser.mjs";

async function call(base, method, path, body) {
  const res = await fetch(base + path, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on 127.0.0.1 at the time of asking. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Spawns `cmd`, keeping the end of its output for error messages (`child.output()`). */
function run(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let text = "";
  const keep = (chunk) => (text = (text + chunk).slice(-4000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.output = () => text;
  child.on("error", (e) => keep(`\n${cmd}: ${e.message}`));
  return child;
}

/** Kills `child` and resolves once it has exited. */
function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", resolve);
    child.kill();
  });
}

/** An X display of its own (Xvfb picks a free number and reports it on fd 3): `{ child, display }`. */
async function startXvfb() {
  const child = run("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], { stdio: ["ignore", "pipe", "pipe", "pipe"] });
  const display = await new Promise((resolve, reject) => {
    let text = "";
    child.stdio[3].on("data", (chunk) => {
      text += chunk;
      if (text.includes("\n")) resolve(`:${text.trim()}`);
    });
    child.on("exit", (code) => reject(new Error(`Xvfb exited (${code}): ${child.output()}`)));
    child.on("error", (e) => reject(new Error(`Xvfb: ${e.message}`)));
  });
  return { child, display };
}

/** WebKitWebDriver: on PATH, or beside MiniBrowser (/usr/lib/<arch>/webkit2gtk-<api>/ or /usr/libexec/webkit2gtk-<api>/). */
function webkitDriverPath() {
  const dirs = (process.env.PATH ?? "").split(":");
  for (const lib of ["/usr/libexec", ...(existsSync("/usr/lib") ? readdirSync("/usr/lib").map((d) => `/usr/lib/${d}`) : [])]) {
    try {
      dirs.push(...readdirSync(lib).filter((d) => d.startsWith("webkit2gtk-")).map((d) => `${lib}/${d}`));
    } catch {
      // Not a directory.
    }
  }
  return process.env.WEBKIT_WEBDRIVER_PATH || dirs.map((d) => `${d}/WebKitWebDriver`).find((f) => existsSync(f)) || "WebKitWebDriver";
}

/**
 * The plain W3C WebDriver engines: `spawn(port)` starts the driver listening on `port` (and
 * whatever it needs) and returns the processes to kill; `capabilities` opens a session.
 */
export const ENGINES = [
  {
    name: "Firefox",
    spawn: async (port) => [run("geckodriver", ["--port", String(port), "--host", "127.0.0.1"])],
    capabilities: () => ({ browserName: "firefox", "moz:firefoxOptions": { binary: process.env.FIREFOX_PATH || "/usr/bin/firefox-esr", args: ["-headless"] } }),
  },
  {
    // WebKitGTK's MiniBrowser, which needs an X display. Loopback pages are secure contexts there
    // (Web Locks, BroadcastChannel, IndexedDB, SubtleCrypto, WebAssembly all exist). The driver
    // has no console-log endpoint, and every automation session starts from an empty profile.
    name: "WebKit",
    spawn: async (port) => {
      const x = await startXvfb();
      return [run(webkitDriverPath(), [`--port=${port}`, "--host=127.0.0.1"], { env: { ...process.env, DISPLAY: x.display } }), x.child];
    },
    // --javascript-can-open-windows-automatically: window.open works without a user gesture.
    capabilities: () => ({ "webkitgtk:browserOptions": { args: ["--automation", "--javascript-can-open-windows-automatically=true"] } }),
  },
];

/** Starts `engine`'s driver on a free port: `{ engine, base, close() }`, ready for sessions. */
export async function startDriver(engine) {
  const port = await freePort();
  const children = await engine.spawn(port);
  const close = () => Promise.all(children.map(stop));
  const base = `http://127.0.0.1:${port}`;
  for (const end = Date.now() + 20_000; ; await sleep(50)) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) {
      await close();
      throw new Error(`${engine.name}: ${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}): ${dead.output()}`);
    }
    if (await fetch(`${base}/status`).then((r) => r.ok, () => false)) return { engine, base, close };
    if (Date.now() > end) {
      await close();
      throw new Error(`${engine.name}: the driver did not start: ${children[0].output()}`);
    }
  }
}

/** A new browser session (a fresh profile) on `driver`, with `call(method, path, body)` on it. */
export async function newSession(driver) {
  const { base } = driver;
  const { sessionId } = await call(base, "POST", "/session", { capabilities: { alwaysMatch: driver.engine.capabilities() } });
  await call(base, "POST", `/session/${sessionId}/timeouts`, { script: 120_000, pageLoad: 30_000 });
  return {
    id: sessionId,
    call: (method, path, body) => call(base, method, `/session/${sessionId}${path}`, body),
    close: () => call(base, "DELETE", `/session/${sessionId}`).catch(() => {}),
  };
}

/**
 * The windows of one new session. WebDriver commands act on the current window, so they run one
 * at a time, each after switching to its window: `on(handle, op)`. `take()` is a window for a new
 * page (the session's first, then new ones); `opened(action)` the window that `action` opens.
 */
export async function windows(driver) {
  const s = await newSession(driver);
  let queue = Promise.resolve();
  const serial = (op) => {
    const p = queue.then(op);
    queue = p.catch(() => {});
    return p;
  };
  let first = (await s.call("GET", "/window/handles"))[0];
  const handles = () => serial(() => s.call("GET", "/window/handles"));
  return {
    call: s.call,
    on: (handle, op) => serial(async () => {
      await s.call("POST", "/window", { handle });
      return op();
    }),
    async take() {
      const handle = first;
      first = undefined;
      return handle ?? (await serial(() => s.call("POST", "/window/new", { type: "window" }))).handle;
    },
    async opened(action) {
      const before = await handles();
      await action();
      for (let i = 0; i < 100; i++, await sleep(50)) {
        const handle = (await handles()).find((h) => !before.includes(h));
        if (handle) return handle;
      }
      throw new Error("no new window opened");
    },
    close: () => s.close(),
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
  const started = await Promise.allSettled([launch(), ...ENGINES.map(startDriver)]);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(started.map((r) => r.status === "fulfilled" && r.value.close()));
    throw failed.reason;
  }
  const [chromium, ...drivers] = started.map((r) => r.value);
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
      ...drivers.map((driver) => ({
        name: driver.engine.name,
        async context() {
          const w = await windows(driver);
          const wrap = (handle) => {
            const on = (op) => w.on(handle, op);
            return {
              handle,
              start(f, arg) {
                const id = on(() => w.call("POST", "/execute/sync", { script: START, args: [f.toString(), arg] }));
                return { join: () => id.then((i) => on(() => w.call("POST", "/execute/async", { script: JOIN, args: [i] }))).then(unwrap) };
              },
              run(f, arg) {
                return this.start(f, arg).join();
              },
              goto: (url) => on(() => w.call("POST", "/url", { url })),
              close: () => on(() => w.call("DELETE", "/window")),
            };
          };
          return {
            async open(url) {
              const tab = wrap(await w.take());
              await tab.goto(url);
              return tab;
            },
            async openFrom(tab, url) {
              const opened = wrap(await w.opened(() => tab.run((u) => void window.open(u), url)));
              await opened.run(() => new Promise((r) => (document.readyState === "complete" ? r() : addEventListener("load", () => r()))));
              return opened;
            },
            close: () => w.close(),
          };
        },
      })),
    ],
    async close() {
      await Promise.all([chromium.close(), ...drivers.map((d) => d.close())]);
    },
  };
}

// Finds the element of a CSS selector, or of an XPath one (starting with "//"), in the page.
const FIND = `const find = (sel) => sel.startsWith("//") ? document.evaluate(sel, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue : document.querySelector(sel);
  const visible = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";`;
const KEYS = { Escape: "\uE00C", Enter: "\uE007", Tab: "\uE004" };

/**
 * A browser context of a WebDriver engine with the part of Playwright's API the demo test uses,
 * so that one scenario code drives Chromium's Playwright pages and these: `newPage()`,
 * `opened(action)` (the page that `action` opens), `close()`. Selectors are CSS, or XPath when
 * they start with "//". `page.errors()` is what WebDriver lets a test see of the page's errors:
 * uncaught errors and unhandled rejections since the last `goto` or `reload` (WebKitWebDriver
 * has no console log).
 */
export async function pageContext(driver, { viewport } = {}) {
  const w = await windows(driver);
  const page = (handle) => {
    const on = (op) => w.on(handle, op);
    const exec = (script, args = []) => on(() => w.call("POST", "/execute/sync", { script, args }));
    const state = (sel) => exec(`${FIND} const el = find(arguments[0]); return el ? (visible(el) ? "visible" : "attached") : "detached";`, [sel]);
    const watchErrors = () => exec(`window.__errors = [];
      addEventListener("error", (e) => window.__errors.push(String(e.message)));
      addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));`);
    const element = async (sel) => {
      await p.waitForSelector(sel);
      return Object.values(await on(() => w.call("POST", "/element", { using: sel.startsWith("//") ? "xpath" : "css selector", value: sel })))[0];
    };
    const property = async (sel, expr) => {
      await p.waitForSelector(sel, { state: "attached" });
      return exec(`${FIND} const el = find(arguments[0]); return ${expr};`, [sel]);
    };
    const p = {
      async goto(url) {
        await on(() => w.call("POST", "/url", { url }));
        await watchErrors();
      },
      async reload() {
        await on(() => w.call("POST", "/refresh", {}));
        await watchErrors();
      },
      url: () => on(() => w.call("GET", "/url")),
      content: () => on(() => w.call("GET", "/source")),
      evaluate: (f, arg) => on(() => w.call("POST", "/execute/async", {
        script: `const done = arguments[1]; Promise.resolve().then(() => (${f})(arguments[0])).then(done, (e) => done({ __error: String(e) }));`,
        args: [arg],
      })).then((r) => {
        if (r && r.__error) throw new Error(`in the page: ${r.__error}`);
        return r;
      }),
      async waitForFunction(f, arg, { timeout = 30_000 } = {}) {
        for (const end = Date.now() + timeout; !(await p.evaluate(f, arg)); await sleep(50)) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${f}`);
        }
      },
      async waitForSelector(sel, { state: want = "visible", timeout = 30_000 } = {}) {
        const ok = { visible: (s) => s === "visible", attached: (s) => s !== "detached", hidden: (s) => s !== "visible", detached: (s) => s === "detached" }[want];
        for (const end = Date.now() + timeout; !ok(await state(sel)); await sleep(50)) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${sel} to be ${want}`);
        }
      },
      isHidden: async (sel) => (await state(sel)) !== "visible",
      textContent: (sel) => property(sel, "el.textContent"),
      inputValue: (sel) => property(sel, "el.value"),
      getAttribute: (sel, name) => property(sel, `el.getAttribute(${JSON.stringify(name)})`),
      async click(sel) {
        const id = await element(sel);
        await on(() => w.call("POST", `/element/${id}/click`, {}));
      },
      async fill(sel, text) {
        const id = await element(sel);
        await on(() => w.call("POST", `/element/${id}/clear`, {}));
        await on(() => w.call("POST", `/element/${id}/value`, { text }));
      },
      keyboard: {
        press: (key) => on(() => w.call("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions: [{ type: "keyDown", value: KEYS[key] ?? key }, { type: "keyUp", value: KEYS[key] ?? key }] }] })),
      },
      async screenshot({ path }) {
        writeFileSync(path, Buffer.from(await on(() => w.call("GET", "/screenshot")), "base64"));
      },
      errors: () => exec("return window.__errors ?? [];"),
      close: () => on(() => w.call("DELETE", "/window")),
    };
    return p;
  };
  return {
    async newPage() {
      const handle = await w.take();
      if (viewport) {
        // The window's size, corrected by what the browser's own frame takes.
        const set = (width, height) => w.on(handle, () => w.call("POST", "/window/rect", { width, height }));
        await set(viewport.width, viewport.height);
        const [iw, ih] = await w.on(handle, () => w.call("POST", "/execute/sync", { script: "return [innerWidth, innerHeight];", args: [] }));
        if (iw !== viewport.width || ih !== viewport.height) await set(2 * viewport.width - iw, 2 * viewport.height - ih);
      }
      return page(handle);
    },
    opened: async (action) => page(await w.opened(action)),
    close: () => w.close(),
  };
}

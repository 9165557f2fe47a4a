// A minimal W3C WebDriver client for the engines Playwright cannot drive here (it drives only its
// own browser builds, which cannot be downloaded): Firefox through geckodriver, and WebKit (the
// engine of Safari) through WebKitGTK's WebKitWebDriver under Xvfb. One "engine" description
// serves both (how to start its driver, the capabilities of a session), and one "tab" interface
// spans them and Playwright's Chromium pages, so the multi-tab tests run the same code in all.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
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
  });
  return { child, display };
}

/** WebKitWebDriver: on PATH, or where Debian's webkit2gtk-driver puts it. */
function webkitDriverPath() {
  if (process.env.WEBKIT_WEBDRIVER_PATH) return process.env.WEBKIT_WEBDRIVER_PATH;
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && existsSync(`${dir}/WebKitWebDriver`)) return `${dir}/WebKitWebDriver`;
  for (const lib of ["/usr/lib", "/usr/libexec"]) {
    for (const arch of existsSync(lib) ? readdirSync(lib) : []) {
      for (const dir of existsSync(`${lib}/${arch}`) && arch.includes("linux") ? readdirSync(`${lib}/${arch}`).filter((d) => d.startsWith("webkit2gtk")) : []) {
        if (existsSync(`${lib}/${arch}/${dir}/WebKitWebDriver`)) return `${lib}/${arch}/${dir}/WebKitWebDriver`;
      }
    }
  }
  return "WebKitWebDriver";
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
          const s = await newSession(driver);
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
      })),
    ],
    async close() {
      await Promise.all([chromium.close(), ...drivers.map((d) => d.close())]);
    },
  };
}

// `npm run bench`: builds the release package and measures it beside the JavaScript peers in one
// run. Prints a table and writes bench/results.json (untracked).
import { execSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { fileURLToPath } from "node:url";
import os from "node:os";
import * as esbuild from "esbuild";
import { startStaticServer } from "../scripts/serve.mjs";
import { entries, packageFiles } from "../scripts/package-files.mjs";
import { launch } from "../tests/e2e/browser.mjs";
import { whereBytesGo } from "./where-bytes.mjs";
import { extraPass, profileFlags } from "../scripts/wasm-opt-extra.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = new URL("dist/", import.meta.url);
const rounds = Math.max(5, Number(process.env.BENCH_ROUNDS || 7));
/** The reference row: neither ours nor a peer, so never the baseline of a ratio. */
const REFERENCE = "reference: minimal wasm crate";
mkdirSync(dist, { recursive: true });

if (!process.argv.includes("--no-build")) execSync("npm run --silent build", { cwd: root, stdio: "inherit" });

// The reference crate (bench/floor): the smallest useful wasm-bindgen package, built with the same
// profile and tools, so the fixed cost of any Rust/wasm package is measured beside ours.
const floorOut = new URL("floor/", dist);
const toolEnv = { ...process.env, PATH: `${root}node_modules/.bin:${os.homedir()}/.cargo/bin:${process.env.PATH}` };
const run = (cmd) => execSync(cmd, { cwd: root, stdio: "inherit", env: toolEnv });
const wasmOptFlags = profileFlags();
const floorWasm = fileURLToPath(new URL("floor_bg.wasm", floorOut));
run("cargo build --release --target wasm32-unknown-unknown --manifest-path bench/floor/Cargo.toml --quiet");
run(`wasm-bindgen --target web --out-dir ${fileURLToPath(floorOut)} bench/floor/target/wasm32-unknown-unknown/release/floor.wasm`);
run(`wasm-opt ${wasmOptFlags.join(" ")} ${floorWasm} -o ${floorWasm}`);
await esbuild.build({ entryPoints: [fileURLToPath(new URL("floor.js", floorOut))], outfile: fileURLToPath(new URL("floor.js", floorOut)), allowOverwrite: true, minify: true, format: "esm", logLevel: "silent" });

// ---- where the bytes go: each entry rebuilt with the same profile and wasm-opt flags, names kept --
const named = {};
for (const [entry, feature] of [["expensicat-auth", "signin"], ["expensicat-auth/expensify", "expensify"]]) {
  const out = fileURLToPath(new URL(`named-${feature}/`, dist));
  run(`cargo build --release --target wasm32-unknown-unknown --no-default-features --features ${feature},lean --quiet`);
  run(`wasm-bindgen --target web --keep-debug --out-dir ${out} --out-name named target/wasm32-unknown-unknown/release/expensicat_auth.wasm`);
  run(`wasm-opt -g ${wasmOptFlags.filter((f) => f !== "--strip-debug").join(" ")} ${out}named_bg.wasm -o ${out}named_bg.wasm`);
  if (feature === "signin") extraPass(`${out}named_bg.wasm`, true);
  named[entry] = whereBytesGo(readFileSync(`${out}named_bg.wasm`));
}

const sizes = (buf) => ({ raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length, brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length });

// ---- sizes ---------------------------------------------------------------------------------
// Per entry point (each its own wasm + glue), then everything the package ships.
const size = {};
for (const [entry, files] of Object.entries(entries)) size[`${entry} (wasm + glue)`] = { ...sizes(Buffer.concat(files.map((f) => readFileSync(f)))), wasm: sizes(readFileSync(files[0])) };
size["expensicat-auth, all entries"] = sizes(Buffer.concat(packageFiles().map((f) => readFileSync(f))));
for (const peer of ["oauth4webapi", "badgateway", "oidc-client-ts", "auth0-spa-js"]) {
  const r = await esbuild.build({ entryPoints: [fileURLToPath(new URL(`entries/${peer}.js`, import.meta.url))], bundle: true, minify: true, format: "esm", platform: "browser", write: false, logLevel: "silent" });
  size[peer] = sizes(Buffer.from(r.outputFiles[0].contents));
}
size[REFERENCE] = sizes(Buffer.concat(["floor_bg.wasm", "floor.js"].map((f) => readFileSync(new URL(f, floorOut)))));

// ---- speed, memory, cold start --------------------------------------------------------------
for (const [entry, out] of [["speed/peers.js", "peers.js"], ["speed/cold-oauth4webapi-entry.js", "cold-oauth4webapi-entry.js"], ["speed/cold-auth0-entry.js", "cold-auth0-entry.js"]]) {
  await esbuild.build({ entryPoints: [fileURLToPath(new URL(entry, import.meta.url))], bundle: true, minify: true, format: "esm", platform: "browser", outfile: fileURLToPath(new URL(out, dist)), logLevel: "silent" });
}
const server = await startStaticServer({ port: 0, root, isolated: true });
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await launch();
let speed;
const cold = {};
try {
  const page = await browser.newPage();
  await page.goto(`${base}/bench/page.html`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
  if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error("the bench page is not cross-origin isolated: timers would be coarse");
  speed = await page.evaluate((r) => window.runBench(r), rounds);
  // Each page once as a plain module script and once with preload hints for every file the
  // library loads (ours: the glue and the wasm; oauth4webapi: its bundle), so neither side is
  // favoured: without hints a wasm package pays one more sequential request (glue, then wasm).
  const hinted = {};
  for (const lib of ["ours", "oauth4webapi", "floor", "ours-hinted", "oauth4webapi-hinted"]) {
    const times = [];
    // Loopback cold starts are noisy (a few ms, scheduling decides): at least 15 samples.
    for (let i = 0; i < Math.max(rounds, 15) + 1; i++) {
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      await p.goto(`${base}/bench/cold-${lib}.html`);
      await p.waitForFunction(() => typeof window.coldResult === "number", null, { timeout: 30_000 });
      times.push(await p.evaluate(() => window.coldResult));
      await ctx.close();
    }
    times.shift(); // the first round also warms the HTTP server and disk cache
    times.sort((a, b) => a - b);
    const page = lib.replace("-hinted", "");
    const name = { ours: "expensicat-auth", floor: REFERENCE }[page] ?? page;
    (lib.endsWith("-hinted") ? hinted : cold)[name] = { median: times[Math.floor(times.length / 2)] * 1000, min: times[0] * 1000, max: times.at(-1) * 1000 };
  }
  speed["cold start: head script to first authorize URL"] = cold;
  speed["cold start, with <link rel=preload> hints"] = hinted;
  // The same on a phone's network: Lighthouse's mobile profile (150 ms RTT, 1.6 Mbps down,
  // 750 kbps up) through Chromium's network emulation, every file served gzip -9, timed from
  // navigation start (the HTML, the scripts and the wasm all cross the slow link).
  const slow = await startStaticServer({ port: 0, root, gzip: true });
  try {
    const slowBase = `http://127.0.0.1:${slow.address().port}`;
    const throttled = {};
    const throttledHinted = {};
    for (const lib of ["ours", "oauth4webapi", "auth0", "floor", "ours-hinted", "oauth4webapi-hinted"]) {
      const times = [];
      for (let i = 0; i < 6; i++) {
        const ctx = await browser.newContext();
        const p = await ctx.newPage();
        const cdp = await ctx.newCDPSession(p);
        await cdp.send("Network.enable");
        await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 });
        await p.goto(`${slowBase}/bench/cold-${lib}.html`);
        await p.waitForFunction(() => typeof window.coldFromNavigation === "number", null, { timeout: 60_000 });
        times.push(await p.evaluate(() => window.coldFromNavigation));
        await ctx.close();
      }
      times.shift();
      times.sort((a, b) => a - b);
      const page = lib.replace("-hinted", "");
      const name = { ours: "expensicat-auth", floor: REFERENCE, auth0: "auth0-spa-js" }[page] ?? page;
      (lib.endsWith("-hinted") ? throttledHinted : throttled)[name] = { median: times[Math.floor(times.length / 2)] * 1000, min: times[0] * 1000, max: times.at(-1) * 1000 };
    }
    speed["cold start on slow 4G (150 ms RTT, 1.6 Mbps, gzip), navigation to authorize URL"] = throttled;
    speed["the same on slow 4G, with preload hints"] = throttledHinted;
  } finally {
    slow.closeAllConnections?.();
    slow.close();
  }
} finally {
  await browser.close();
  server.closeAllConnections?.();
  server.close();
}
const memory = speed.memory;
delete speed.memory;

// ---- report --------------------------------------------------------------------------------
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const us = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${n.toFixed(2)} us`);
console.log(`\nexpensicat-auth benchmark: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}, Chromium ${browser.version()}, ${rounds} rounds\n`);
console.log(`Size (whole login scenario; ours: each entry point, then both; "${REFERENCE}": a PKCE pair only, bench/floor)`);
const fastestPeerGzip = Math.min(...Object.entries(size).filter(([k]) => !k.startsWith("expensicat") && k !== REFERENCE).map(([, v]) => v.gzip));
for (const [name, s] of Object.entries(size)) console.log(`  ${name.padEnd(32)} raw ${kb(s.raw).padStart(9)}  gzip ${kb(s.gzip).padStart(8)}  brotli ${kb(s.brotli).padStart(8)}  x${(s.gzip / fastestPeerGzip).toFixed(2)} of the smallest peer`);
console.log("\nWhere the bytes go (uncompressed bytes of function bodies, grouped by crate and module, from a build that keeps names; data is the .rodata and other segments)");
for (const [entry, r] of Object.entries(named)) {
  console.log(`  ${entry}: code ${kb(r.code)}, data ${kb(r.data)}`);
  for (const [group, bytes] of r.groups.slice(0, 12)) console.log(`    ${kb(bytes).padStart(9)}  ${((100 * bytes) / r.code).toFixed(1).padStart(5)}%  ${group}`);
}
console.log(`\nSpeed in headless Chromium: median (min-max) per call (loopback cold starts: median of ${Math.max(rounds, 15)} fresh browser contexts); ratio = time / fastest peer's time`);
for (const [scenario, libs] of Object.entries(speed)) {
  console.log(`  ${scenario}`);
  const peerMedians = Object.entries(libs).filter(([k, v]) => k !== "expensicat-auth" && k !== REFERENCE && v.median).map(([, v]) => v.median);
  const best = Math.min(...peerMedians);
  for (const [lib, r] of Object.entries(libs)) {
    if (r.error) console.log(`    ${lib.padEnd(28)} failed: ${r.error}`);
    else console.log(`    ${lib.padEnd(28)} ${us(r.median).padStart(10)}  (${us(r.min)} - ${us(r.max)})  x${(r.median / best).toFixed(2)}`);
  }
}
console.log(`\nMemory (wasm linear memory): after warm-up ${kb(memory.afterWarmup)}, after 100,000 PKCE pairs ${kb(memory.afterPkce)}, after 100,000 signed requests ${kb(memory.afterSign)}${memory.afterSign === memory.afterWarmup ? " (no growth)" : " (GREW)"}`);
const results = { date: new Date().toISOString(), machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, chromium: browser.version() }, rounds, size, whereBytes: Object.fromEntries(Object.entries(named).map(([e, r]) => [e, { code: r.code, data: r.data, groups: r.groups.slice(0, 30) }])), speed, memory };
writeFileSync(new URL("results.json", import.meta.url), JSON.stringify(results, null, 2));
console.log("\nwrote bench/results.json");

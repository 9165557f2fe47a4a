// A tiny static server for the demo: www/ at /, the built package at /pkg/. Listens on
// 127.0.0.1 only. Usage: node scripts/serve.mjs [--port N]   (default PORT or 8080)
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
};

/** Maps a URL path to a file under www/ or pkg/, or null when it is outside them. */
export function resolvePath(pathname) {
  let rel = decodeURIComponent(pathname);
  if (rel === "/" || rel === "/callback") rel = "/index.html";
  if (rel.startsWith("/node_modules/") || rel.includes("\0")) return null;
  const base = rel.startsWith("/pkg/") ? root : join(root, "www");
  const file = normalize(join(base, rel));
  const allowed = [join(root, "www") + sep, join(root, "pkg") + sep];
  return allowed.some((dir) => file.startsWith(dir)) ? file : null;
}

/**
 * Serves www/ and pkg/ on 127.0.0.1. `config` (a function) answers /config.json, which tells the
 * demo where the emulator is. `isolated` adds COOP/COEP (for precise timers in benchmarks).
 */
/** Maps a URL path to a file under `dir`, or null when it escapes it. */
export function resolveIn(dir, pathname) {
  let rel = decodeURIComponent(pathname);
  if (rel.endsWith("/")) rel += "index.html";
  const base = resolve(dir);
  const file = normalize(join(base, rel));
  return file.startsWith(base + sep) ? file : null;
}

/**
 * The Content-Security-Policy this package needs, and nothing more: scripts only from the page's
 * own origin plus `'wasm-unsafe-eval'` (WebAssembly compilation), and `connect-src` for the
 * page itself and the servers the library talks to (`origins`).
 */
export function strictCsp(origins = []) {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src 'self' ${origins.join(" ")}`.trim(),
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function startStaticServer({ port = 8080, host = "127.0.0.1", config, isolated = false, root: rootDir, csp, gzip = false } = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const headers = {
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cross-Origin-Opener-Policy": "same-origin",
      ...(isolated ? { "Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Resource-Policy": "same-origin" } : {}),
    };
    const policy = typeof csp === "function" ? csp(url.pathname) : csp;
    if (policy) headers["Content-Security-Policy"] = policy;
    if (url.pathname === "/config.json") {
      res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify(config ? config() : {}));
      return;
    }
    const file = rootDir ? resolveIn(rootDir, url.pathname) : resolvePath(url.pathname);
    if (!file) {
      res.writeHead(404, headers).end("not found");
      return;
    }
    try {
      let body = await readFile(file);
      // As a CDN would serve it (gzip -9), for the throttled-network benchmark.
      if (gzip && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
        body = gzipSync(body, { level: 9 });
        headers["Content-Encoding"] = "gzip";
      }
      res.writeHead(200, { ...headers, "Content-Type": types[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404, headers).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--port");
  const port = Number(i > 0 ? process.argv[i + 1] : process.env.PORT || 8080);
  const server = await startStaticServer({ port });
  console.log(`demo: http://127.0.0.1:${server.address().port}/`);
}

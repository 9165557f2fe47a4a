// fetch under a deadline, and bounded body reads: used by the JavaScript classes (session.js,
// expensify.js) and, through wasm-bindgen, by the Rust layer (src/web/http.rs). One file for
// all, so the package carries one copy.
// @ts-check

/** An AbortController fired `ms` after now (reason: a `TimeoutError`), or when `user` aborts.
 * @param {number} ms @param {AbortSignal} [user] */
export function deadline(ms, user) {
  const c = new AbortController();
  /** @type {any} */
  const t = setTimeout(() => c.abort(new DOMException("deadline", "TimeoutError")), ms);
  if (typeof t === "object" && t && t.unref) t.unref();
  if (user) {
    if (user.aborted) c.abort(user.reason);
    else user.addEventListener("abort", () => c.abort(user.reason), { once: true });
  }
  return c;
}

/** Whether `c` fired because of its deadline. @param {AbortController} c */
export function timedOut(c) {
  const r = c.signal.reason;
  return c.signal.aborted && !!r && r.name === "TimeoutError";
}

/** Whether `body` is a ReadableStream, which fetch consumes: such a request is never sent twice.
 * @param {unknown} body */
export function isStream(body) {
  return typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
}

/**
 * The body of `response` as text, at most `limit` bytes: a larger Content-Length is refused
 * before reading, and a longer stream is cut there (`c` aborted). Throws "too_large"; a body
 * that ends short of its Content-Length throws something else (a network failure to callers).
 * The bytes read are zeroed once decoded.
 * @param {Response} response @param {number} limit @param {AbortController} c @returns {Promise<string>}
 */
export async function readLimited(response, limit, c) {
  /** @type {any} */
  const declared = response.headers.get("Content-Length");
  // Compared as numbers (absent: null, never over; not a number: NaN, never over nor under).
  if (declared > limit) { c.abort(); throw "too_large"; }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > limit) { for (const x of chunks) x.fill(0); value.fill(0); c.abort(); throw "too_large"; }
    chunks.push(value);
  }
  const all = new Uint8Array(n);
  let at = 0;
  for (const x of chunks) { all.set(x, at); at += x.length; x.fill(0); }
  const text = new TextDecoder().decode(all);
  all.fill(0);
  // WebKit ends a body cut short by a dropped connection without an error: fewer bytes than the
  // Content-Length are a network failure (JSON.parse throws), unless they are whole JSON (a
  // compressed body, counted compressed in the Content-Length, can decode to fewer bytes).
  if (n < declared) JSON.parse(text);
  return text;
}

/** POSTs `body` with `headers` to `url` under `c`: no cookies, no cache, no redirects.
 * @param {string} url @param {Record<string, string>} headers @param {string} body @param {AbortController} c */
export function post(url, headers, body, c) {
  return fetch(url, { method: "POST", headers, body, redirect: "manual", signal: c.signal, credentials: "omit", cache: "no-store" });
}

/** The body of `res` as text within `limit` bytes and the deadline of `c`; a failure is
 * `error("too_large", status)`, else `error("timeout")` or `error("network")`.
 * @param {Response} res @param {number} limit @param {AbortController} c
 * @param {(what: string, status?: number) => unknown} error @returns {Promise<string>} */
export async function readBody(res, limit, c, error) {
  try {
    return await readLimited(res, limit, c);
  } catch (e) {
    throw e === "too_large" ? error("too_large", res.status) : error(timedOut(c) ? "timeout" : "network");
  }
}

/**
 * POSTs `body` to `url` and reads the answer within `limit` bytes, all under one deadline of
 * `ms`: resolves to `[response, body]`. Failures are `error(what)` for `timeout`, `network` and
 * `redirect` (never followed), and as `readBody` says for the body.
 * @param {string} url @param {Record<string, string>} headers @param {string} body @param {number} ms
 * @param {number} limit @param {(what: string, status?: number) => unknown} error
 * @returns {Promise<[Response, string]>}
 */
export async function postAndRead(url, headers, body, ms, limit, error) {
  const c = deadline(ms);
  let res;
  try {
    res = await post(url, headers, body, c);
  } catch {
    throw error(timedOut(c) ? "timeout" : "network");
  }
  if (res.type === "opaqueredirect") throw error("redirect");
  return [res, await readBody(res, limit, c, error)];
}

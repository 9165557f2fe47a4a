//! The JavaScript the wasm calls, in two modules: the result and error constructors here, and
//! `js/http.js` (deadlines and bounded reads), which the package's JavaScript session imports
//! too. The test runner loads each module as a file of its own, and the fewer the page's
//! parallel module requests, the better (the package's bundle inlines them anyway; what an
//! entry does not use is dropped there).

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, Response};

#[wasm_bindgen(inline_js = r#"
export function authError(message, props) {
  const e = new Error(message);
  e.name = "ExpensicatAuthError";
  return Object.assign(e, JSON.parse(props));
}
// The result objects of the hot low-level calls, each made in one call across the boundary:
// cheaper than JSON text parsed again in JS (a login's JSON embeds the transaction's own JSON,
// every quote escaped), and than setting members one by one from wasm (one crossing each).
// A login's start: its authorize URL, or with PAR the push to make first (`push` given).
export function loginStart(url, push, state, expiresAt, transaction, dpopJkt) {
  const start = push === undefined ? { url, state, expiresAt, transaction } : { push, state, expiresAt, transaction };
  if (dpopJkt !== undefined) start.dpopJkt = dpopJkt;
  return start;
}
export function signed(url, method, authorization) { return { url, method, headers: { Authorization: authorization } }; }
// The same when the core's method is the method as the caller gave it (checked in wasm); the
// header is always the scheme's prefix ("Bearer " or "DPoP ") + the token.
export function signedAsGiven(url, method, scheme, token) { return { url, method, headers: { Authorization: scheme + token } }; }
export function tokenHttp(url, contentType, body) {
  return { url, method: "POST", headers: { Accept: "application/json", "Content-Type": contentType }, body };
}
export function pkce(verifier, challenge) { return { verifier, challenge, method: "S256" }; }
export function expensifyHttp(url, contentType, body, expects, maxBytes) { return { url, contentType, body, expects, maxBytes }; }
"#)]
extern "C" {
    /// An `Error` named `ExpensicatAuthError` with `message`, and the members of the JSON object
    /// `props` as its own properties.
    #[wasm_bindgen(js_name = authError)]
    pub fn auth_error(message: &str, props: &str) -> JsValue;
    /// The `LoginStart` object of `createLogin`, or with PAR (`push` not `undefined`) the
    /// `PushedLoginStart` of `beginLogin`: the push to make first instead of the URL.
    #[wasm_bindgen(js_name = loginStart)]
    pub fn login_start(url: &str, push: &JsValue, state: &str, expires_at: f64, transaction: &str, dpop_jkt: Option<&str>) -> JsValue;
    pub fn signed(url: &str, method: &str, authorization: &str) -> JsValue;
    /// `signed(url, method, scheme + token)` from the caller's JS strings (`scheme`: `"Bearer "`
    /// or `"DPoP "`).
    #[wasm_bindgen(js_name = signedAsGiven)]
    pub fn signed_as_given(url: &str, method: &JsValue, scheme: &str, token: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = tokenHttp)]
    pub fn token_http(url: &str, content_type: &str, body: &str) -> JsValue;
    pub fn pkce(verifier: &str, challenge: &str) -> JsValue;
    /// The `ExpensifyHttpRequest` of `ExpensifyClient`'s request builders.
    #[wasm_bindgen(js_name = expensifyHttp)]
    pub fn expensify_http(url: &str, content_type: &str, body: &str, expects: &str, max_bytes: f64) -> JsValue;
}

#[wasm_bindgen(module = "/js/http.js")]
extern "C" {
    pub fn deadline(ms: f64, user: &JsValue) -> AbortController;
    #[wasm_bindgen(js_name = timedOut)]
    pub fn timed_out(controller: &AbortController) -> bool;
    /// Whether `body` is a `ReadableStream`, which `fetch` consumes: such a request cannot be
    /// sent twice, so the session does not retry it.
    #[wasm_bindgen(js_name = isStream)]
    pub fn is_stream_body(body: &JsValue) -> bool;
    #[wasm_bindgen(js_name = readLimited)]
    pub fn read_limited(response: &Response, limit: f64, controller: &AbortController) -> Promise;
}

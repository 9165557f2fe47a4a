//! The Rust session (`web::session::Session`, a driver of the session machine for Rust
//! front-ends) against the local emulator, in headless Chromium and Firefox, through its Rust API
//! as a Leptos or Yew app calls it. The test command starts the emulator and passes its URL at
//! compile time (EXPENSICAT_EMULATOR_URL). Every failure path asserts the exact error code and
//! the emulator's request counters.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use expensicat_auth::protocol::json::FromJson;
use expensicat_auth::web::session::{Change, FetchError, Session};
use expensicat_auth::web::shared::Shared;
use expensicat_auth::{ClientConfig, ClientConfigInput, Error, LoginRequest};
use js_sys::{Array, Function, Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod common;
use common::*;

async fn fault(client: &str, spec: &str) {
    control("faults", &format!(r#"{{"clientId":"{client}",{spec}}}"#)).await;
}

fn redirect_uri() -> String {
    let loc = web_sys::window().unwrap().location();
    format!("{}{}", loc.origin().unwrap(), loc.pathname().unwrap())
}

fn unique(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random().to_bits() % 1_000_000_007)
}

fn config(id: &str, extra: &str) -> Result<ClientConfig, Error> {
    let scopes = if extra.contains(r#""scopes""#) { "" } else { r#","scopes":["transactions:read"]"# };
    let text =
        format!(r#"{{"clientId":"{id}","redirectUri":"{}","issuer":"{}","shareAcrossTabs":false{scopes}{extra}}}"#, redirect_uri(), emu());
    ClientConfig::new(ClientConfigInput::from_json(&text).expect("config JSON"))
}

/// A fresh client registered with the emulator, and a session for it.
async fn client(name: &str, extra: &str) -> (Rc<Session>, String) {
    let id = unique(name);
    control("clients", &format!(r#"{{"clientId":"{id}","redirectUris":["{}"]}}"#, redirect_uri())).await;
    let auth = Session::new(config(&id, extra).unwrap()).unwrap();
    auth.ready().await;
    (auth, id)
}

/// The callback URL the emulator redirects to (`approve` = "json" to allow, "deny-json" to deny).
async fn authorize(auth: &Session, approve: &str) -> String {
    let request = LoginRequest { extra_params: vec![("auto_approve".into(), approve.into())], ..LoginRequest::default() };
    let url = auth.start_login(&request).unwrap();
    get_str(&call(&url, "GET", "").await, "location")
}

async fn signed_in(name: &str, extra: &str) -> (Rc<Session>, String) {
    let (auth, id) = client(name, extra).await;
    let cb = authorize(&auth, "json").await;
    auth.handle_callback(Some(&cb)).await.unwrap();
    (auth, id)
}

/// The error's code, after checking that neither its message nor its debug form holds any of
/// `secrets`.
fn code(e: &Error, secrets: &[String]) -> &'static str {
    let text = format!("{} {e:?}", e.message());
    for s in secrets {
        assert!(!text.contains(s.as_str()), "secret leaked: {text}");
    }
    e.code()
}

/// A fetch error's code (an app abort is a test failure here).
fn fcode(e: &FetchError) -> &'static str {
    match e {
        FetchError::Auth(e) => code(e, &[]),
        FetchError::Aborted(r) => panic!("aborted: {r:?}"),
    }
}

fn fetch_json(auth: &Rc<Session>, path: &str) -> impl std::future::Future<Output = Result<JsValue, FetchError>> {
    auth.clone().fetch_json(path.into(), JsValue::UNDEFINED)
}

/// The changes a session reports, as `type:reason` texts.
fn record_changes(auth: &Session) -> Rc<RefCell<Vec<String>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    auth.on(move |change, _| {
        s.borrow_mut().push(match change {
            Change::Started(r) => format!("started:{}", r.as_str()),
            Change::Refreshed => "refreshed".into(),
            Change::Ended(r) => format!("ended:{}", r.as_str()),
            Change::Ready => "ready".into(),
        })
    });
    seen
}

#[wasm_bindgen_test]
fn settings_the_rust_session_lacks_are_refused() {
    // DPoP: this session signs no proofs (the JavaScript session does).
    for extra in
        [r#","shareAcrossTabs":true"#, r#","storage":"sessionStorage","shareAcrossTabs":true"#, r#","shareAcrossTabs":false,"dpop":true"#]
    {
        let cfg =
            format!(r#"{{"clientId":"c","redirectUri":"{}","issuer":"{}","scopes":["transactions:read"]{extra}}}"#, redirect_uri(), emu());
        let cfg = ClientConfig::new(ClientConfigInput::from_json(&cfg).unwrap()).unwrap();
        let err = Session::new(cfg).err().expect("refused");
        assert_eq!(err.code(), "invalid_config", "{extra}");
    }
}

#[wasm_bindgen_test]
async fn happy_path_login_fetch_and_clean_address_bar() {
    let (auth, id) = client("happy", "").await;
    let changes = record_changes(&auth);
    let cb = authorize(&auth, "json").await;
    assert!(cb.contains("code=") && cb.contains("iss="));
    // Land on the callback URL like a browser would, then let handle_callback read location.href.
    let history = web_sys::window().unwrap().history().unwrap();
    history.push_state_with_url(&JsValue::NULL, "", Some(&format!("{cb}&tab=keep"))).unwrap();
    let p = auth.handle_callback(None);
    // Cleaned synchronously, before any await; the app's own parameter stays.
    let search = web_sys::window().unwrap().location().search().unwrap();
    assert_eq!(search, "?tab=keep");
    let info = p.await.unwrap();
    assert_eq!(info.scopes, ["transactions:read"]);
    assert!(info.has_refresh_token);
    assert_eq!(counter(&id, "tokenRequests").await, 1);
    let page = fetch_json(&auth, "/v1/transactions?limit=5").await.unwrap();
    assert_eq!(Array::from(&get(&page, "data")).length(), 5);
    assert_eq!(counter(&id, "apiCalls").await, 1);
    history.replace_state_with_url(&JsValue::NULL, "", Some(&redirect_uri())).unwrap();
    assert_eq!(*changes.borrow(), ["started:login"]);
    // What the app sees of the session never holds a token.
    let shown = format!("{:?} {}", auth.info(), auth.info().unwrap().to_json());
    assert!(!shown.contains("at_") && !shown.contains("rt_"), "{shown}");
}

#[wasm_bindgen_test]
async fn callback_twice_at_once_makes_one_token_request() {
    let (auth, id) = client("twice", "").await;
    let cb = authorize(&auth, "json").await;
    let (p1, p2) = (auth.handle_callback(Some(&cb)), auth.handle_callback(Some(&cb)));
    let (a, b) = (p1.await.unwrap(), p2.await.unwrap());
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(counter(&id, "tokenRequests").await, 1);
    // A later call (same page) shares the outcome; after a reload it is "already handled".
    assert!(auth.handle_callback(Some(&cb)).await.is_ok());
    expensicat_auth::web::session::forget_handled_callbacks();
    let err = auth.handle_callback(Some(&cb)).await.unwrap_err();
    assert_eq!(code(&err, &[]), "callback_already_handled");
    assert_eq!(counter(&id, "tokenRequests").await, 1);
}

#[wasm_bindgen_test]
async fn denied_consent_is_access_denied_without_token_request() {
    let (auth, id) = client("deny", "").await;
    let url = auth.start_login(&LoginRequest::default()).unwrap();
    let state = url.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let cb = format!(
        "{}?error=access_denied&error_description=The+user+denied&state={state}&iss={}",
        redirect_uri(),
        js_sys::encode_uri_component(emu())
    );
    let err = auth.handle_callback(Some(&cb)).await.unwrap_err();
    assert_eq!(code(&err, &[]), "access_denied");
    assert!(matches!(&err, Error::OAuth(o) if o.description.as_deref() == Some("The user denied")), "{err:?}");
    assert_eq!(counter(&id, "tokenRequests").await, 0);
    // The same through the emulator's own denial redirect.
    let cb = authorize(&auth, "deny-json").await;
    let err = auth.handle_callback(Some(&cb)).await.unwrap_err();
    assert_eq!(code(&err, &[]), "access_denied");
    assert_eq!(counter(&id, "tokenRequests").await, 0);
}

#[wasm_bindgen_test]
async fn bad_states_make_no_token_request() {
    let (auth, id) = client("states", "").await;
    let cb = authorize(&auth, "json").await;
    let other_state = "A".repeat(43);
    let state = cb.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let missing = cb.replace(&format!("state={state}"), "x=1");
    let mismatched = cb.replace(&state, &other_state);
    for (url, want) in [(missing, "missing_state"), (mismatched, "state_mismatch")] {
        let err = auth.handle_callback(Some(&url)).await.unwrap_err();
        assert_eq!(code(&err, &[]), want);
    }
    // Replayed after success: same page shares the result, a reload says already handled.
    auth.handle_callback(Some(&cb)).await.unwrap();
    expensicat_auth::web::session::forget_handled_callbacks();
    assert_eq!(code(&auth.handle_callback(Some(&cb)).await.unwrap_err(), &[]), "callback_already_handled");
    assert_eq!(counter(&id, "tokenRequests").await, 1);

    let (auth, id) = client("expired", r#","transactionTtlMs":1"#).await;
    let cb = authorize(&auth, "json").await;
    super_sleep(20).await;
    assert_eq!(code(&auth.handle_callback(Some(&cb)).await.unwrap_err(), &[]), "transaction_expired");
    assert_eq!(counter(&id, "tokenRequests").await, 0);
}

async fn super_sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

#[wasm_bindgen_test]
async fn replayed_code_is_invalid_grant_and_revokes_the_first_session() {
    let (auth, id) = client("reuse", "").await;
    let cb = authorize(&auth, "json").await;
    auth.handle_callback(Some(&cb)).await.unwrap();
    let code_value = cb.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let cb2 = authorize(&auth, "json").await;
    let state2 = cb2.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let forged = format!("{}?code={code_value}&state={state2}", redirect_uri());
    let err = auth.handle_callback(Some(&forged)).await.unwrap_err();
    assert_eq!(code(&err, std::slice::from_ref(&code_value)), "invalid_grant");
    assert_eq!(counter(&id, "tokenRequests").await, 2);
    // The tokens issued from the replayed code are revoked: the API refuses them, the refresh
    // too, and the session ends.
    let err = fetch_json(&auth, "/v1/transactions").await.unwrap_err();
    assert_eq!(fcode(&err), "invalid_grant");
    assert!(auth.info().is_none());
}

#[wasm_bindgen_test]
async fn token_endpoint_failures_have_exact_codes() {
    let cases = [
        (r#""endpoint":"token","status":400,"body":{"error":"invalid_grant","error_description":"nope"}"#, "invalid_grant"),
        (r#""endpoint":"token","status":500"#, "server_error"),
        (r#""endpoint":"token","status":502,"body":"oops""#, "invalid_response"),
        (r#""endpoint":"token","html":true"#, "invalid_response"),
        (r#""endpoint":"token","truncated":true"#, "invalid_response"),
        (r#""endpoint":"token","delayMs":1500"#, "timeout"),
        (r#""endpoint":"token","drop":true"#, "network"),
    ];
    for (spec, want) in cases {
        let (auth, id) = client("tokfail", r#","timeoutMs":400"#).await;
        let cb = authorize(&auth, "json").await;
        fault(&id, spec).await;
        let err = auth.handle_callback(Some(&cb)).await.unwrap_err();
        let c = cb.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        assert_eq!(code(&err, &[c]), want, "{spec}");
        assert_eq!(counter(&id, "tokenRequests").await, 1, "{spec}");
        assert!(auth.info().is_none());
    }
}

/// A skew of one hour makes the emulator's one-hour tokens count as expiring: every read refreshes.
const ALWAYS_STALE: &str = r#","clockSkewMs":3600000"#;

#[wasm_bindgen_test]
async fn concurrent_fetches_share_one_refresh_and_rotation_works() {
    let (auth, id) = signed_in("flight", ALWAYS_STALE).await;
    // Started together, as promises would be (a Rust future does nothing until polled).
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let call = fetch_json(&auth, "/v1/transactions?limit=1");
            Shared::spawn(async move { call.await.map_err(|e| if let FetchError::Auth(e) = e { e } else { Error::Network }) })
        })
        .collect();
    for c in calls {
        c.wait().await.unwrap();
    }
    assert_eq!(counter(&id, "refreshes").await, 1);
    assert_eq!(counter(&id, "apiCalls").await, 20);
    // Rotation: each refresh uses the newest refresh token (the emulator would revoke on reuse).
    for _ in 0..3 {
        auth.refresh().await.unwrap();
    }
    assert_eq!(counter(&id, "refreshes").await, 4);
    assert_eq!(counter(&id, "refreshReuseDetected").await, 0);
    assert!(auth.info().is_some());
}

#[wasm_bindgen_test]
async fn a_refused_refresh_ends_the_session_with_an_event() {
    let (auth, id) = signed_in("reusert", "").await;
    auth.refresh().await.unwrap();
    let changes = record_changes(&auth);
    // The server refuses the refresh token (as after reuse detection revoked its family).
    fault(&id, r#""endpoint":"token","status":400,"body":{"error":"invalid_grant","error_description":"reuse"}"#).await;
    let err = auth.refresh().await.unwrap_err();
    assert_eq!(code(&err, &[]), "invalid_grant");
    assert!(auth.info().is_none());
    assert_eq!(*changes.borrow(), ["ended:invalid_grant"]);
    // No retry loop: later calls fail fast with login_required, without requests.
    let before = counter(&id, "tokenRequests").await;
    assert_eq!(code(&auth.valid_token(None).await.unwrap_err(), &[]), "login_required");
    assert_eq!(counter(&id, "tokenRequests").await, before);
}

#[wasm_bindgen_test]
async fn api_401_once_then_success_after_one_refresh() {
    let (auth, id) = signed_in("once401", "").await;
    fault(&id, r#""endpoint":"api","status":401,"body":{"error":{"code":"invalid_token","message":"expired"}}"#).await;
    let page = fetch_json(&auth, "/v1/transactions?limit=2").await.unwrap();
    assert_eq!(Array::from(&get(&page, "data")).length(), 2);
    assert_eq!(counter(&id, "refreshes").await, 1);
    assert_eq!(counter(&id, "apiCalls").await, 2);
    // A 401 that persists: one refresh, one retry, then the error.
    fault(&id, r#""endpoint":"api","status":401,"times":5"#).await;
    let err = fetch_json(&auth, "/v1/transactions").await.unwrap_err();
    assert_eq!(fcode(&err), "unauthorized");
    assert_eq!(counter(&id, "refreshes").await, 2);
    assert_eq!(counter(&id, "apiCalls").await, 4);
}

#[wasm_bindgen_test]
async fn api_403_names_the_missing_scope() {
    let (auth, id) = signed_in("scope403", "").await;
    let init = json(r#"{"method":"POST","headers":{"Content-Type":"application/json"},"body":"{\"merchant\":\"x\",\"amount\":1}"}"#);
    let err = auth.clone().fetch_json("/v1/transactions".into(), init).await.unwrap_err();
    assert!(matches!(&err, FetchError::Auth(Error::InsufficientScope { required_scope: Some(s) }) if s == "transactions:write"), "{err:?}");
    assert_eq!(counter(&id, "refreshes").await, 0);
}

/// The Rust session reads a 403 as RFC 6750 says, like the JavaScript one: `invalid_token` in the
/// challenge is a refused token (one refresh, one retry), and a 403 that names no scope is an API
/// error with its status.
#[wasm_bindgen_test]
async fn api_403_is_read_as_rfc_6750_says() {
    let (auth, id) = signed_in("read403", "").await;
    let expired = r#""endpoint":"api","status":403,"headers":{"WWW-Authenticate":"Bearer error=\"invalid_token\""},"body":{}"#;
    fault(&id, expired).await;
    let page = fetch_json(&auth, "/v1/transactions?limit=2").await.unwrap();
    assert_eq!(Array::from(&get(&page, "data")).length(), 2);
    assert_eq!(counter(&id, "refreshes").await, 1);
    assert_eq!(counter(&id, "apiCalls").await, 2);
    fault(&id, r#""endpoint":"api","status":403,"body":{"error":{"code":"account_suspended","message":"Suspended"}}"#).await;
    let err = fetch_json(&auth, "/v1/transactions").await.unwrap_err();
    assert!(matches!(&err, FetchError::Auth(Error::Api { status: 403, .. })), "{err:?}");
    assert_eq!(counter(&id, "refreshes").await, 1);
}

#[wasm_bindgen_test]
async fn api_429_waits_within_bound_else_reports_the_delay() {
    let (auth, id) = signed_in("rate", "").await;
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"0"},"body":{"error":{"code":"rate_limited","message":"slow"}}"#)
        .await;
    assert!(fetch_json(&auth, "/v1/transactions?limit=1").await.is_ok());
    assert_eq!(counter(&id, "apiCalls").await, 2);
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"120"}"#).await;
    let err = fetch_json(&auth, "/v1/transactions").await.unwrap_err();
    assert!(matches!(err, FetchError::Auth(Error::RateLimited { retry_after_ms: Some(120_000) })), "{err:?}");
    assert_eq!(counter(&id, "apiCalls").await, 3);
    // The HTTP-date form: a date already past means retry now; a far one is reported.
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"Thu, 01 Jan 1970 00:00:00 GMT"}"#).await;
    assert!(fetch_json(&auth, "/v1/transactions?limit=1").await.is_ok());
    assert_eq!(counter(&id, "apiCalls").await, 5);
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"Fri, 31 Dec 9999 23:59:59 GMT"}"#).await;
    let err = fetch_json(&auth, "/v1/transactions").await.unwrap_err();
    assert!(
        matches!(err, FetchError::Auth(Error::RateLimited { retry_after_ms: Some(ms) }) if ms > 250_000_000_000_000),
        "about 8000 years"
    );
}

#[wasm_bindgen_test]
async fn api_failures_html_timeout_drop() {
    let (auth, id) = signed_in("apifail", r#","timeoutMs":400"#).await;
    fault(&id, r#""endpoint":"api","html":true"#).await;
    assert_eq!(fcode(&fetch_json(&auth, "/v1/transactions").await.unwrap_err()), "invalid_response");
    fault(&id, r#""endpoint":"api","delayMs":1500"#).await;
    assert_eq!(fcode(&fetch_json(&auth, "/v1/transactions").await.unwrap_err()), "timeout");
    fault(&id, r#""endpoint":"api","drop":true"#).await;
    assert_eq!(fcode(&fetch_json(&auth, "/v1/transactions").await.unwrap_err()), "network");
    fault(&id, r#""endpoint":"api","status":500,"body":{"error":{"code":"boom","message":"<b>down</b>"}}"#).await;
    let err = fetch_json(&auth, "/v1/transactions").await.unwrap_err();
    assert!(matches!(&err, FetchError::Auth(Error::Api { status: 500, api_code, .. }) if api_code == "boom"), "{err:?}");
    // fetch (not fetch_json) hands the app the Response for any status.
    fault(&id, r#""endpoint":"api","status":404"#).await;
    let res = auth.clone().fetch("/v1/transactions".into(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(res.status(), 404);
}

#[wasm_bindgen_test]
async fn other_origins_are_refused_without_any_request() {
    let (auth, id) = signed_in("origin", ALWAYS_STALE).await;
    for url in ["https://evil.example/api/v1/transactions", "//evil.example/x", "http://localhost:1/api/v1/x"] {
        let err = auth.clone().fetch(url.into(), JsValue::UNDEFINED).await.unwrap_err();
        assert_eq!(fcode(&err), "origin_not_allowed", "{url}");
    }
    assert_eq!(counter(&id, "apiCalls").await, 0);
    assert_eq!(counter(&id, "refreshes").await, 0, "not even a refresh for a foreign URL");
}

#[wasm_bindgen_test]
async fn app_headers_and_body_pass_through() {
    let (auth, _id) = signed_in("passthru", r#","scopes":["transactions:read","transactions:write"]"#).await;
    let init = json(
        r#"{"method":"POST","headers":{"Content-Type":"application/json","X-Request-Id":"r1"},"body":"{\"merchant\":\"Cafe\",\"amount\":3.5}"}"#,
    );
    let created = auth.clone().fetch_json("/v1/transactions".into(), init).await.unwrap();
    assert_eq!(get_str(&get(&created, "data"), "merchant"), "Cafe");
}

#[wasm_bindgen(inline_js = r#"
const seen = [];
let saved;
// Records the tokens the token endpoint hands out, read in JS only (the test must not copy a
// token into wasm memory).
export function spyTokens() {
  saved = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await saved(input, init);
    const url = typeof input === "string" ? input : input.url;
    if (url.includes("/oauth2/token")) {
      res.clone().json().then((b) => { if (b.access_token) seen.push(b.access_token); if (b.refresh_token) seen.push(b.refresh_token); }, () => {});
    }
    return res;
  };
  return seen;
}
export function unspy() {
  if (saved) globalThis.fetch = saved;
  saved = undefined;
}
export function inMemory(memory, needle) {
  const hay = new Uint8Array(memory.buffer);
  const n = new TextEncoder().encode(needle);
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}
export function withoutAbortSignalAny(run) {
  const saved = AbortSignal.any;
  delete AbortSignal.any;
  return run().finally(() => { if (saved) AbortSignal.any = saved; });
}
export function abortSoon(ms) {
  const c = new AbortController();
  setTimeout(() => c.abort(new DOMException("the app gave up", "AbortError")), ms);
  return { signal: c.signal };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = spyTokens)]
    fn spy_tokens() -> Array;
    fn unspy();
    #[wasm_bindgen(js_name = inMemory)]
    fn in_memory(memory: &JsValue, needle: &JsValue) -> bool;
    #[wasm_bindgen(js_name = withoutAbortSignalAny)]
    fn without_abort_signal_any(run: &Function) -> Promise;
    #[wasm_bindgen(js_name = abortSoon)]
    fn abort_soon(ms: u32) -> JsValue;
}

#[wasm_bindgen_test]
async fn bearer_mode_logout_and_no_secret_in_errors() {
    let tokens = spy_tokens();
    let (auth, _id) = signed_in("bearer", "").await;
    unspy();
    super_sleep(10).await;
    let (access, refresh) = (tokens.get(tokens.length() - 2).as_string().unwrap(), tokens.get(tokens.length() - 1).as_string().unwrap());
    // Direct bearer mode with a token the app already has.
    let (direct, _) = client("direct", "").await;
    direct.use_bearer_token(&access, None).unwrap();
    assert_eq!(direct.info().unwrap().mode.as_str(), "bearer");
    assert!(fetch_json(&direct, "/v1/transactions?limit=1").await.is_ok());
    assert_eq!(code(&direct.use_bearer_token("not a token", None).unwrap_err(), &[]), "invalid_token");
    // No error or debug form reveals a token.
    let secrets = [access.clone(), refresh.clone()];
    let err = auth.clone().fetch("https://evil.example/".into(), JsValue::UNDEFINED).await.unwrap_err();
    let FetchError::Auth(err) = err else { panic!("aborted") };
    code(&err, &secrets);
    let shown = format!("{:?}", auth.info());
    assert!(!shown.contains(&access) && !shown.contains(&refresh), "{shown}");
    let changes = record_changes(&auth);
    auth.logout().await;
    assert!(auth.info().is_none());
    assert_eq!(*changes.borrow(), ["ended:logout"]);
    assert_eq!(code(&auth.valid_token(None).await.unwrap_err(), &secrets), "login_required");
}

fn location_search_and_hash() -> String {
    let loc = web_sys::window().unwrap().location();
    format!("{}{}", loc.search().unwrap(), loc.hash().unwrap())
}

/// React StrictMode runs an effect twice in the same tick: `handle_callback(None)`, then again;
/// and the two forms mixed.
#[wasm_bindgen_test]
async fn callback_twice_in_one_tick_without_argument_and_mixed() {
    let (auth, id) = client("strictmode", "").await;
    let history = web_sys::window().unwrap().history().unwrap();
    for mix in 0..3 {
        let cb = authorize(&auth, "json").await;
        history.push_state_with_url(&JsValue::NULL, "", Some(&cb)).unwrap();
        let (p1, p2) = match mix {
            0 => (auth.handle_callback(None), auth.handle_callback(None)),
            1 => (auth.handle_callback(None), auth.handle_callback(Some(&cb))),
            _ => (auth.handle_callback(Some(&cb)), auth.handle_callback(None)),
        };
        assert_eq!(location_search_and_hash(), "", "cleaned before any await ({mix})");
        let (a, b) = (p1.await, p2.await);
        let (a, b) = (a.unwrap_or_else(|e| panic!("{mix}: {e:?}")), b.unwrap_or_else(|e| panic!("{mix}: {e:?}")));
        assert_eq!(a.to_json(), b.to_json());
        assert_eq!(counter(&id, "tokenRequests").await, mix + 1, "one token request per callback ({mix})");
    }
    history.replace_state_with_url(&JsValue::NULL, "", Some(&redirect_uri())).unwrap();
}

/// The address bar loses the response whatever the callback holds: a raw backslash the strict
/// parser refuses, percent-encoded names the parser decodes, parameters in the fragment.
#[wasm_bindgen_test]
async fn address_bar_is_cleaned_whatever_the_callback_holds() {
    let (auth, _id) = client("cleanbar", "").await;
    let history = web_sys::window().unwrap().history().unwrap();
    let other = "A".repeat(43);
    let cases = [
        (format!("{}?code=secretcode&state={other}&error_description=a\\b&keep=1", redirect_uri()), "?keep=1"),
        (format!("{}?%63ode=secretcode&st%61te={other}&keep=1", redirect_uri()), "?keep=1"),
        (format!("{}#code=secretcode&state={other}", redirect_uri()), ""),
        (format!("{}?code=secretcode&code=again&state={other}", redirect_uri()), ""),
    ];
    for (url, left) in cases {
        history.push_state_with_url(&JsValue::NULL, "", Some(&url)).unwrap();
        let p = auth.handle_callback(None);
        let shown = location_search_and_hash();
        assert_eq!(shown, left, "{url}");
        assert!(!web_sys::window().unwrap().location().href().unwrap().contains("secretcode"), "{url}");
        assert!(p.await.is_err(), "{url}");
    }
    history.replace_state_with_url(&JsValue::NULL, "", Some(&redirect_uri())).unwrap();
}

/// A refresh that finishes late (after a logout and a new login) is the ended login's: its
/// answer is discarded (its tokens revoked), and it never clears or doubles the new login's
/// refresh, which would send one refresh token twice.
#[wasm_bindgen_test]
async fn a_late_refresh_does_not_clear_a_newer_one() {
    let (auth, id) = signed_in("lateslot", "").await;
    fault(&id, r#""endpoint":"token","delayMs":600"#).await;
    let me = auth.clone();
    let first = Shared::spawn(async move { me.refresh().await });
    super_sleep(100).await; // RT1's request is at the (slow) server
    auth.logout().await;
    let cb = authorize(&auth, "json").await;
    auth.handle_callback(Some(&cb)).await.unwrap();
    fault(&id, r#""endpoint":"token","delayMs":1500"#).await;
    let me = auth.clone();
    let second = Shared::spawn(async move { me.refresh().await });
    assert_eq!(code(&first.wait().await.unwrap_err(), &[]), "login_required", "the ended login's refresh");
    let me = auth.clone();
    let third = Shared::spawn(async move { me.refresh().await });
    second.wait().await.unwrap();
    third.wait().await.unwrap();
    // Login 1, refresh with RT1, login 2, refresh with RT2: nothing more.
    let all = call(&format!("{}/__emulator/counters?client_id={id}", emu()), "GET", "").await;
    assert_eq!(counter(&id, "refreshes").await, 2, "{:?}", JSON::stringify(&all));
    assert_eq!(counter(&id, "refreshReuseDetected").await, 0);
    assert!(fetch_json(&auth, "/v1/transactions?limit=1").await.is_ok());
}

/// A logout during the callback's code exchange ends that login (issue 20, defect 7, in the
/// Rust driver): the exchange's tokens are never adopted.
#[wasm_bindgen_test]
async fn logout_during_the_code_exchange_ends_that_login() {
    let (auth, id) = client("exchlogout", "").await;
    let cb = authorize(&auth, "json").await;
    fault(&id, r#""endpoint":"token","delayMs":400"#).await;
    let exchange = auth.handle_callback(Some(&cb));
    super_sleep(100).await;
    auth.logout().await;
    assert_eq!(code(&exchange.await.unwrap_err(), &[]), "login_required");
    super_sleep(50).await;
    assert!(auth.info().is_none());
    assert_eq!(fcode(&fetch_json(&auth, "/v1/transactions").await.unwrap_err()), "login_required");
}

/// One deadline covers the whole exchange: a server that sends headers and then stalls.
#[wasm_bindgen_test]
async fn the_deadline_covers_the_body() {
    let (auth, id) = signed_in("stallbody", r#","timeoutMs":600"#).await;
    fault(&id, r#""endpoint":"api","stall":true"#).await;
    let t0 = js_sys::Date::now();
    let err = fetch_json(&auth, "/v1/transactions").await.unwrap_err();
    assert_eq!(fcode(&err), "timeout");
    assert!(js_sys::Date::now() - t0 < 5000.0);
    // The raw Response of `fetch`: its body read is cut by the same deadline.
    fault(&id, r#""endpoint":"api","stall":true"#).await;
    let res = auth.clone().fetch("/v1/transactions".into(), JsValue::UNDEFINED).await.unwrap();
    assert!(JsFuture::from(res.text().unwrap()).await.is_err());
    // The token endpoint: headers, then nothing.
    let (auth, id) = client("stalltoken", r#","timeoutMs":600"#).await;
    let cb = authorize(&auth, "json").await;
    fault(&id, r#""endpoint":"token","stall":true"#).await;
    assert_eq!(code(&auth.handle_callback(Some(&cb)).await.unwrap_err(), &[]), "timeout");
}

/// Bodies over their limit are refused without being read in full.
#[wasm_bindgen_test]
async fn oversized_bodies_stop_at_the_limit() {
    // Both bodies come at 8 MB/s (5 s in all): only the size limit can stop them early (the
    // default deadline is 15 s), and neither a busy machine's lag before the abort nor what a
    // browser buffers from a loopback socket at full speed (8 MiB in Firefox) decides it.
    // Each body's figure under its own counter: an earlier socket's late close cannot overwrite it.
    for (spec, name) in [
        (r#""endpoint":"token","hugeBytes":41943040,"paceMs":8,"counter":"tDeclared""#, "tDeclared"),
        (r#""endpoint":"token","hugeBytes":41943040,"undeclared":true,"paceMs":8,"counter":"tUndeclared""#, "tUndeclared"),
    ] {
        let (auth, id) = client("hugetoken", "").await;
        let cb = authorize(&auth, "json").await;
        fault(&id, spec).await;
        let err = auth.handle_callback(Some(&cb)).await.unwrap_err();
        // What the server had written when the error came back: the limit (64 KiB) and what the
        // browser buffered, nowhere near the 40 MiB.
        let sent = counter("*", name).await;
        assert_eq!(code(&err, &[]), "invalid_response", "{spec}");
        assert!(sent < 8 * 1024 * 1024, "{spec}: {sent} B written before the client gave up");
        assert!(sent > 0, "{spec}: the body was written (the counter works)");
    }
    let (auth, id) = signed_in("hugeapi", r#","maxResponseBytes":4096"#).await;
    fault(&id, r#""endpoint":"api","hugeBytes":10485760,"undeclared":true,"paceMs":2"#).await;
    assert_eq!(fcode(&fetch_json(&auth, "/v1/transactions").await.unwrap_err()), "invalid_response");
    // Within the limit, the same call works.
    assert!(fetch_json(&auth, "/v1/transactions?limit=1").await.is_ok());
}

/// Without `AbortSignal.any`, the app's own signal still cancels the request.
#[wasm_bindgen_test]
async fn the_apps_signal_works_without_abort_signal_any() {
    let (auth, id) = signed_in("signal", r#","timeoutMs":5000"#).await;
    fault(&id, r#""endpoint":"api","delayMs":1500"#).await;
    let run = Closure::once_into_js(move || {
        wasm_bindgen_futures::future_to_promise(async move {
            match auth.fetch_json("/v1/transactions".into(), abort_soon(100)).await {
                Ok(v) => Ok(v),
                Err(FetchError::Aborted(reason)) => Err(reason),
                Err(FetchError::Auth(e)) => Err(JsValue::from_str(e.code())),
            }
        })
    });
    let t0 = js_sys::Date::now();
    let err = resolve(without_abort_signal_any(run.unchecked_ref())).await.unwrap_err();
    assert!(js_sys::Date::now() - t0 < 1400.0, "cancelled by the app's signal, not by the server's answer");
    assert_eq!(get_str(&err, "name"), "AbortError", "the app's own abort reason comes back unchanged");
}

/// After logout and drop, the tokens the session held are gone from WebAssembly memory.
#[wasm_bindgen_test]
async fn tokens_are_zeroed_after_logout_and_drop() {
    let tokens = spy_tokens();
    let (auth, _id) = signed_in("zeroed", "").await;
    auth.refresh().await.unwrap();
    fetch_json(&auth, "/v1/transactions?limit=1").await.unwrap();
    unspy();
    super_sleep(10).await;
    let memory = wasm_bindgen::memory();
    let live = tokens.get(tokens.length() - 2);
    assert!(in_memory(&memory, &live), "the scan finds a live token (so it can fail)");
    auth.logout().await;
    drop(auth);
    super_sleep(10).await;
    for t in tokens.iter() {
        assert!(!in_memory(&memory, &t), "a token is still in wasm memory after logout and drop");
    }
}

/// A logout made right after `handle_callback` returns, before anything is awaited, ends that
/// login: the exchange is the machine's from the call on (review of the Rust driver). The same
/// callback then no longer answers for the page.
#[wasm_bindgen_test]
async fn a_logout_right_after_handle_callback_ends_that_login() {
    let (auth, id) = client("synclogout", "").await;
    let changes = record_changes(&auth);
    let cb = authorize(&auth, "json").await;
    let exchange = auth.handle_callback(Some(&cb));
    auth.logout().await;
    assert_eq!(code(&exchange.await.unwrap_err(), &[]), "login_required");
    super_sleep(50).await;
    assert!(auth.info().is_none());
    assert!(changes.borrow().is_empty(), "never signed in: {:?}", changes.borrow());
    assert_eq!(code(&auth.handle_callback(Some(&cb)).await.unwrap_err(), &[]), "callback_already_handled");
    assert_eq!(counter(&id, "tokenRequests").await, 1);
}

/// With a `revocationEndpoint`, logout revokes the refresh and the access token (RFC 7009), and
/// an answer whose body stalls does not hold the logout up: its body is not waited for.
#[wasm_bindgen_test]
async fn logout_revokes_and_a_stalled_revocation_body_does_not_hold_it() {
    let extra = format!(r#","revocationEndpoint":"{}/api/auth/oauth2/revoke","timeoutMs":3000"#, emu());
    let (auth, id) = signed_in("rustrevoke", &extra).await;
    auth.logout().await;
    assert_eq!(counter(&id, "revocations").await, 2);
    assert_eq!(fcode(&fetch_json(&auth, "/v1/transactions").await.unwrap_err()), "login_required");

    let (auth, id) = signed_in("rustrevokestall", &extra).await;
    fault(&id, r#""endpoint":"revoke","stall":true,"times":2"#).await;
    let t0 = js_sys::Date::now();
    auth.logout().await;
    assert!(js_sys::Date::now() - t0 < 2000.0, "the logout waited for a stalled body");
    assert!(auth.info().is_none());
}

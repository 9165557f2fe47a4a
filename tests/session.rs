//! The browser session against the local emulator, in headless Chromium and Firefox. The test
//! command starts the emulator and passes its URL at compile time (EXPENSICAT_EMULATOR_URL).
//! Every failure path asserts the exact error code and the emulator's request counters.
#![cfg(target_arch = "wasm32")]

use expensicat_auth::bindings::ExpensicatAuth;
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

/// A fresh client registered with the emulator, and an `ExpensicatAuth` for it.
async fn client(name: &str, extra: &str) -> (ExpensicatAuth, String) {
    let id = unique(name);
    control("clients", &format!(r#"{{"clientId":"{id}","redirectUris":["{}"]}}"#, redirect_uri())).await;
    let cfg =
        format!(r#"{{"clientId":"{id}","redirectUri":"{}","issuer":"{}","scopes":["transactions:read"]{extra}}}"#, redirect_uri(), emu());
    (ExpensicatAuth::new(json(&cfg)).unwrap(), id)
}

/// The callback URL the emulator redirects to (`approve` = "json" to allow, "deny-json" to deny).
async fn authorize(auth: &ExpensicatAuth, approve: &str) -> String {
    let opts = json(&format!(r#"{{"extraParams":[["auto_approve","{approve}"]]}}"#));
    let url = resolve(auth.start_login(Some(opts))).await.unwrap().as_string().unwrap();
    get_str(&call(&url, "GET", "").await, "location")
}

async fn signed_in(name: &str, extra: &str) -> (ExpensicatAuth, String) {
    let (auth, id) = client(name, extra).await;
    let cb = authorize(&auth, "json").await;
    resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap();
    (auth, id)
}

#[wasm_bindgen_test]
async fn happy_path_login_fetch_and_clean_address_bar() {
    let (auth, id) = client("happy", "").await;
    let cb = authorize(&auth, "json").await;
    assert!(cb.contains("code=") && cb.contains("iss="));
    // Land on the callback URL like a browser would, then let handleCallback read location.href.
    let history = web_sys::window().unwrap().history().unwrap();
    history.push_state_with_url(&JsValue::NULL, "", Some(&format!("{cb}&tab=keep"))).unwrap();
    let p = auth.handle_callback(None);
    // Cleaned synchronously, before any await; the app's own parameter stays.
    let search = web_sys::window().unwrap().location().search().unwrap();
    assert_eq!(search, "?tab=keep");
    let info = resolve(p).await.unwrap();
    assert_eq!(Array::from(&get(&info, "scopes")).get(0).as_string().unwrap(), "transactions:read");
    assert_eq!(get(&info, "hasRefreshToken"), JsValue::TRUE);
    assert_eq!(counter(&id, "tokenRequests").await, 1);
    let page = resolve(auth.fetch_json("/v1/transactions?limit=5".into(), None)).await.unwrap();
    assert_eq!(Array::from(&get(&page, "data")).length(), 5);
    assert_eq!(counter(&id, "apiCalls").await, 1);
    history.replace_state_with_url(&JsValue::NULL, "", Some(&redirect_uri())).unwrap();
    // The session object never shows a token.
    let shown = JSON::stringify(&auth.session()).unwrap().as_string().unwrap();
    assert!(!shown.contains("at_") && !shown.contains("rt_"), "{shown}");
}

#[wasm_bindgen_test]
async fn callback_twice_at_once_makes_one_token_request() {
    let (auth, id) = client("twice", "").await;
    let cb = authorize(&auth, "json").await;
    let (p1, p2) = (auth.handle_callback(Some(s(&cb.clone()))), auth.handle_callback(Some(s(&cb.clone()))));
    let (a, b) = (resolve(p1).await.unwrap(), resolve(p2).await.unwrap());
    assert_eq!(JSON::stringify(&a).unwrap(), JSON::stringify(&b).unwrap());
    assert_eq!(counter(&id, "tokenRequests").await, 1);
    // A later call (same page) shares the outcome; after a reload it is "already handled".
    assert!(resolve(auth.handle_callback(Some(s(&cb.clone())))).await.is_ok());
    expensicat_auth::web::session::forget_handled_callbacks();
    let err = resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "callback_already_handled");
    assert_eq!(counter(&id, "tokenRequests").await, 1);
}

#[wasm_bindgen_test]
async fn denied_consent_is_access_denied_without_token_request() {
    let (auth, id) = client("deny", "").await;
    let url = resolve(auth.start_login(None)).await.unwrap().as_string().unwrap();
    let state = url.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let cb = format!(
        "{}?error=access_denied&error_description=The+user+denied&state={state}&iss={}",
        redirect_uri(),
        js_sys::encode_uri_component(emu())
    );
    let err = resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "access_denied");
    assert_eq!(get_str(&err, "description"), "The user denied");
    assert_eq!(counter(&id, "tokenRequests").await, 0);
    // The same through the emulator's own denial redirect.
    let cb = authorize(&auth, "deny-json").await;
    let err = resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "access_denied");
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
    for (url, code) in [(missing, "missing_state"), (mismatched, "state_mismatch")] {
        let err = resolve(auth.handle_callback(Some(s(&url)))).await.unwrap_err();
        assert_eq!(code_of(&err, &[]), code);
    }
    // Replayed after success: same page shares the result, a reload says already handled.
    resolve(auth.handle_callback(Some(s(&cb.clone())))).await.unwrap();
    expensicat_auth::web::session::forget_handled_callbacks();
    assert_eq!(code_of(&resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap_err(), &[]), "callback_already_handled");
    assert_eq!(counter(&id, "tokenRequests").await, 1);

    let (auth, id) = client("expired", r#","transactionTtlMs":1"#).await;
    let cb = authorize(&auth, "json").await;
    super_sleep(20).await;
    assert_eq!(code_of(&resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap_err(), &[]), "transaction_expired");
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
    resolve(auth.handle_callback(Some(s(&cb.clone())))).await.unwrap();
    let code = cb.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let cb2 = authorize(&auth, "json").await;
    let state2 = cb2.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let forged = format!("{}?code={code}&state={state2}", redirect_uri());
    let err = resolve(auth.handle_callback(Some(s(&forged)))).await.unwrap_err();
    assert_eq!(code_of(&err, std::slice::from_ref(&code)), "invalid_grant");
    assert_eq!(counter(&id, "tokenRequests").await, 2);
    // The tokens issued from the replayed code are revoked: the API refuses them.
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "invalid_grant");
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
    for (spec, code) in cases {
        let (auth, id) = client("tokfail", r#","timeoutMs":400"#).await;
        let cb = authorize(&auth, "json").await;
        fault(&id, spec).await;
        let err = resolve(auth.handle_callback(Some(s(&cb.clone())))).await.unwrap_err();
        let c = cb.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        assert_eq!(code_of(&err, &[c]), code, "{spec}");
        assert_eq!(counter(&id, "tokenRequests").await, 1, "{spec}");
        assert!(auth.session().is_undefined());
    }
}

/// A skew of one hour makes the emulator's one-hour tokens count as expiring: every read refreshes.
const ALWAYS_STALE: &str = r#","clockSkewMs":3600000"#;

#[wasm_bindgen_test]
async fn concurrent_fetches_share_one_refresh_and_rotation_works() {
    let (auth, id) = signed_in("flight", ALWAYS_STALE).await;
    let calls: Vec<Promise> = (0..20).map(|_| auth.fetch_json("/v1/transactions?limit=1".into(), None)).collect();
    for p in calls {
        resolve(p).await.unwrap();
    }
    assert_eq!(counter(&id, "refreshes").await, 1);
    assert_eq!(counter(&id, "apiCalls").await, 20);
    // Rotation: each refresh uses the newest refresh token (the emulator would revoke on reuse).
    for _ in 0..3 {
        resolve(auth.refresh()).await.unwrap();
    }
    assert_eq!(counter(&id, "refreshes").await, 4);
    assert_eq!(counter(&id, "refreshReuseDetected").await, 0);
    assert!(!auth.session().is_undefined());
}

#[wasm_bindgen_test]
async fn refresh_token_reuse_ends_the_session_with_an_event() {
    let (auth, id) = signed_in("reusert", r#","storage":"sessionStorage""#).await;
    let key = format!("expensicat-auth:session:{id}");
    let storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    let stolen = get_str(&json(&storage.get_item(&key).unwrap().unwrap()), "refresh");
    resolve(auth.refresh()).await.unwrap();
    // An attacker replays the old refresh token: the emulator revokes the whole family.
    call(
        &format!("{}/api/auth/oauth2/token", emu()),
        "POST",
        &format!(r#"{{"grant_type":"refresh_token","refresh_token":"{stolen}","client_id":"{id}"}}"#),
    )
    .await;
    let events = Array::new();
    let ev = events.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        ev.push(&e);
    });
    let unsubscribe: Function = auth.on_session_change(listener.as_ref().clone()).unwrap().unchecked_into();
    let err = resolve(auth.refresh()).await.unwrap_err();
    assert_eq!(code_of(&err, std::slice::from_ref(&stolen)), "invalid_grant");
    assert!(auth.session().is_undefined());
    assert!(storage.get_item(&key).unwrap().is_none(), "the stored session is removed");
    assert_eq!(events.length(), 1);
    assert_eq!(get_str(&events.get(0), "type"), "ended");
    assert_eq!(get_str(&events.get(0), "reason"), "invalid_grant");
    // No retry loop: later calls fail fast with login_required, without requests.
    let before = counter(&id, "tokenRequests").await;
    let err = resolve(auth.access_token()).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "login_required");
    assert_eq!(counter(&id, "tokenRequests").await, before);
    unsubscribe.call0(&JsValue::UNDEFINED).unwrap();
}

#[wasm_bindgen_test]
async fn api_401_once_then_success_after_one_refresh() {
    let (auth, id) = signed_in("once401", "").await;
    fault(&id, r#""endpoint":"api","status":401,"body":{"error":{"code":"invalid_token","message":"expired"}}"#).await;
    let page = resolve(auth.fetch_json("/v1/transactions?limit=2".into(), None)).await.unwrap();
    assert_eq!(Array::from(&get(&page, "data")).length(), 2);
    assert_eq!(counter(&id, "refreshes").await, 1);
    assert_eq!(counter(&id, "apiCalls").await, 2);
    // A 401 that persists: one refresh, one retry, then the error.
    fault(&id, r#""endpoint":"api","status":401,"times":5"#).await;
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "unauthorized");
    assert_eq!(counter(&id, "refreshes").await, 2);
    assert_eq!(counter(&id, "apiCalls").await, 4);
}

#[wasm_bindgen_test]
async fn api_403_names_the_missing_scope() {
    let (auth, id) = signed_in("scope403", "").await;
    let init = json(r#"{"method":"POST","headers":{"Content-Type":"application/json"},"body":"{\"merchant\":\"x\",\"amount\":1}"}"#);
    let err = resolve(auth.fetch_json("/v1/transactions".into(), Some(init))).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "insufficient_scope");
    assert_eq!(get_str(&err, "requiredScope"), "transactions:write");
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
    let page = resolve(auth.fetch_json("/v1/transactions?limit=2".into(), None)).await.unwrap();
    assert_eq!(Array::from(&get(&page, "data")).length(), 2);
    assert_eq!(counter(&id, "refreshes").await, 1);
    assert_eq!(counter(&id, "apiCalls").await, 2);
    fault(&id, r#""endpoint":"api","status":403,"body":{"error":{"code":"account_suspended","message":"Suspended"}}"#).await;
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "api_error");
    assert_eq!(get(&err, "status").as_f64(), Some(403.0));
    assert_eq!(counter(&id, "refreshes").await, 1);
}

#[wasm_bindgen_test]
async fn api_429_waits_within_bound_else_reports_the_delay() {
    let (auth, id) = signed_in("rate", "").await;
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"0"},"body":{"error":{"code":"rate_limited","message":"slow"}}"#)
        .await;
    assert!(resolve(auth.fetch_json("/v1/transactions?limit=1".into(), None)).await.is_ok());
    assert_eq!(counter(&id, "apiCalls").await, 2);
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"120"}"#).await;
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "rate_limited");
    assert_eq!(get(&err, "retryAfterMs").as_f64(), Some(120_000.0));
    assert_eq!(counter(&id, "apiCalls").await, 3);
    // The HTTP-date form: a date already past means retry now; a far one is reported.
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"Thu, 01 Jan 1970 00:00:00 GMT"}"#).await;
    assert!(resolve(auth.fetch_json("/v1/transactions?limit=1".into(), None)).await.is_ok());
    assert_eq!(counter(&id, "apiCalls").await, 5);
    fault(&id, r#""endpoint":"api","status":429,"headers":{"Retry-After":"Fri, 31 Dec 9999 23:59:59 GMT"}"#).await;
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "rate_limited");
    assert!(get(&err, "retryAfterMs").as_f64().is_some_and(|ms| ms > 2.5e14), "about 8000 years");
}

#[wasm_bindgen_test]
async fn api_failures_html_timeout_drop() {
    let (auth, id) = signed_in("apifail", r#","timeoutMs":400"#).await;
    fault(&id, r#""endpoint":"api","html":true"#).await;
    assert_eq!(code_of(&resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err(), &[]), "invalid_response");
    fault(&id, r#""endpoint":"api","delayMs":1500"#).await;
    assert_eq!(code_of(&resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err(), &[]), "timeout");
    fault(&id, r#""endpoint":"api","drop":true"#).await;
    assert_eq!(code_of(&resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err(), &[]), "network");
    fault(&id, r#""endpoint":"api","status":500,"body":{"error":{"code":"boom","message":"<b>down</b>"}}"#).await;
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "api_error");
    assert_eq!(get(&err, "status").as_f64(), Some(500.0));
    assert_eq!(get_str(&err, "apiCode"), "boom");
    // fetch (not fetchJson) hands the app the Response for any status.
    fault(&id, r#""endpoint":"api","status":404"#).await;
    let res: web_sys::Response = resolve(auth.fetch("/v1/transactions".into(), None)).await.unwrap().unchecked_into();
    assert_eq!(res.status(), 404);
}

#[wasm_bindgen_test]
async fn other_origins_are_refused_without_any_request() {
    let (auth, id) = signed_in("origin", ALWAYS_STALE).await;
    for url in ["https://evil.example/api/v1/transactions", "//evil.example/x", "http://localhost:1/api/v1/x"] {
        let err = resolve(auth.fetch(url.into(), None)).await.unwrap_err();
        assert_eq!(code_of(&err, &[]), "origin_not_allowed", "{url}");
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
    let created = resolve(auth.fetch_json("/v1/transactions".into(), Some(init))).await.unwrap();
    assert_eq!(get_str(&get(&created, "data"), "merchant"), "Cafe");
}

#[wasm_bindgen_test]
async fn bearer_mode_logout_and_no_secret_in_errors() {
    let (auth, id) = signed_in("bearer", r#","storage":"sessionStorage""#).await;
    let storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    let stored = json(&storage.get_item(&format!("expensicat-auth:session:{id}")).unwrap().unwrap());
    let (access, refresh) = (get_str(&stored, "access"), get_str(&stored, "refresh"));
    // Direct bearer mode with a token the app already has.
    let (direct, _) = client("direct", "").await;
    direct.use_bearer_token(s(&access), None).unwrap();
    assert_eq!(get_str(&direct.session(), "mode"), "bearer");
    assert!(resolve(direct.fetch_json("/v1/transactions?limit=1".into(), None)).await.is_ok());
    assert_eq!(code_of(&direct.use_bearer_token(s("not a token"), None).unwrap_err(), &[]), "invalid_token");
    // No error, toString or JSON form reveals a token.
    let secrets = [access.clone(), refresh.clone()];
    let err = resolve(auth.fetch("https://evil.example/".into(), None)).await.unwrap_err();
    code_of(&err, &secrets);
    let shown = format!("{} {}", auth.to_js_string(), JSON::stringify(&auth.to_json()).unwrap().as_string().unwrap());
    assert!(!shown.contains(&access) && !shown.contains(&refresh), "{shown}");
    auth.logout();
    assert!(auth.session().is_undefined());
    assert_eq!(code_of(&resolve(auth.access_token()).await.unwrap_err(), &secrets), "login_required");
}

#[wasm_bindgen(inline_js = r#"
export function storedTokens(key) {
  const v = JSON.parse(sessionStorage.getItem(key));
  return [v.access, v.refresh];
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
    #[wasm_bindgen(js_name = storedTokens)]
    fn stored_tokens(key: &str) -> Array;
    #[wasm_bindgen(js_name = inMemory)]
    fn in_memory(memory: &JsValue, needle: &JsValue) -> bool;
    #[wasm_bindgen(js_name = withoutAbortSignalAny)]
    fn without_abort_signal_any(run: &Function) -> Promise;
    #[wasm_bindgen(js_name = abortSoon)]
    fn abort_soon(ms: u32) -> JsValue;
}

fn location_search_and_hash() -> String {
    let loc = web_sys::window().unwrap().location();
    format!("{}{}", loc.search().unwrap(), loc.hash().unwrap())
}

/// React StrictMode runs an effect twice in the same tick: `handleCallback()` without an
/// argument, as the README writes it, then again; and the two forms mixed.
#[wasm_bindgen_test]
async fn callback_twice_in_one_tick_without_argument_and_mixed() {
    let (auth, id) = client("strictmode", "").await;
    let history = web_sys::window().unwrap().history().unwrap();
    for mix in 0..3 {
        let cb = authorize(&auth, "json").await;
        history.push_state_with_url(&JsValue::NULL, "", Some(&cb)).unwrap();
        let (p1, p2) = match mix {
            0 => (auth.handle_callback(None), auth.handle_callback(None)),
            1 => (auth.handle_callback(None), auth.handle_callback(Some(s(&cb)))),
            _ => (auth.handle_callback(Some(s(&cb))), auth.handle_callback(None)),
        };
        assert_eq!(location_search_and_hash(), "", "cleaned before any await ({mix})");
        let (a, b) = (resolve(p1).await, resolve(p2).await);
        let (a, b) = (a.unwrap_or_else(|e| panic!("{mix}: {e:?}")), b.unwrap_or_else(|e| panic!("{mix}: {e:?}")));
        assert_eq!(JSON::stringify(&a).unwrap(), JSON::stringify(&b).unwrap());
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
        assert!(resolve(p).await.is_err(), "{url}");
    }
    history.replace_state_with_url(&JsValue::NULL, "", Some(&redirect_uri())).unwrap();
}

/// A refresh that finishes late (after logout and a new login) must not clear the newer
/// refresh's slot, or the next caller would start a second concurrent refresh with the same
/// refresh token, which reuse detection punishes.
#[wasm_bindgen_test]
async fn a_late_refresh_does_not_clear_a_newer_one() {
    let (auth, id) = signed_in("lateslot", "").await;
    fault(&id, r#""endpoint":"token","delayMs":600"#).await;
    let first = auth.refresh();
    super_sleep(100).await; // RT1's request is at the (slow) server
    auth.logout();
    let cb = authorize(&auth, "json").await;
    resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap();
    fault(&id, r#""endpoint":"token","delayMs":1500"#).await;
    let second = auth.refresh();
    let _ = resolve(first).await;
    let third = auth.refresh();
    resolve(second).await.unwrap();
    resolve(third).await.unwrap();
    // Login 1, refresh with RT1, login 2, refresh with RT2: nothing more.
    let all = call(&format!("{}/__emulator/counters?client_id={id}", emu()), "GET", "").await;
    assert_eq!(counter(&id, "refreshes").await, 2, "{:?}", JSON::stringify(&all));
    assert_eq!(counter(&id, "refreshReuseDetected").await, 0);
    assert!(resolve(auth.fetch_json("/v1/transactions?limit=1".into(), None)).await.is_ok());
}

/// One deadline covers the whole exchange: a server that sends headers and then stalls.
#[wasm_bindgen_test]
async fn the_deadline_covers_the_body() {
    let (auth, id) = signed_in("stallbody", r#","timeoutMs":600"#).await;
    fault(&id, r#""endpoint":"api","stall":true"#).await;
    let t0 = js_sys::Date::now();
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "timeout");
    assert!(js_sys::Date::now() - t0 < 5000.0);
    // The raw Response of `fetch`: its body read is cut by the same deadline.
    fault(&id, r#""endpoint":"api","stall":true"#).await;
    let res: web_sys::Response = resolve(auth.fetch("/v1/transactions".into(), None)).await.unwrap().unchecked_into();
    assert!(JsFuture::from(res.text().unwrap()).await.is_err());
    // The token endpoint: headers, then nothing.
    let (auth, id) = client("stalltoken", r#","timeoutMs":600"#).await;
    let cb = authorize(&auth, "json").await;
    fault(&id, r#""endpoint":"token","stall":true"#).await;
    assert_eq!(code_of(&resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap_err(), &[]), "timeout");
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
        let err = resolve(auth.handle_callback(Some(s(&cb)))).await.unwrap_err();
        // What the server had written when the error came back: the limit (64 KiB) and what the
        // browser buffered, nowhere near the 40 MiB.
        let sent = counter("*", name).await;
        assert_eq!(code_of(&err, &[]), "invalid_response", "{spec}");
        assert!(sent < 8 * 1024 * 1024, "{spec}: {sent} B written before the client gave up");
        assert!(sent > 0, "{spec}: the body was written (the counter works)");
    }
    let (auth, id) = signed_in("hugeapi", r#","maxResponseBytes":4096"#).await;
    fault(&id, r#""endpoint":"api","hugeBytes":10485760,"undeclared":true,"paceMs":2"#).await;
    let err = resolve(auth.fetch_json("/v1/transactions".into(), None)).await.unwrap_err();
    assert_eq!(code_of(&err, &[]), "invalid_response");
    // Within the limit, the same call works.
    assert!(resolve(auth.fetch_json("/v1/transactions?limit=1".into(), None)).await.is_ok());
}

/// Without `AbortSignal.any`, the app's own signal still cancels the request.
#[wasm_bindgen_test]
async fn the_apps_signal_works_without_abort_signal_any() {
    let (auth, id) = signed_in("signal", r#","timeoutMs":5000"#).await;
    fault(&id, r#""endpoint":"api","delayMs":1500"#).await;
    let auth = std::rc::Rc::new(auth);
    let a = auth.clone();
    let run = Closure::once_into_js(move || a.fetch_json("/v1/transactions".into(), Some(abort_soon(100))));
    let t0 = js_sys::Date::now();
    let err = resolve(without_abort_signal_any(run.unchecked_ref())).await.unwrap_err();
    assert!(js_sys::Date::now() - t0 < 1400.0, "cancelled by the app's signal, not by the server's answer");
    assert_eq!(get_str(&err, "name"), "AbortError", "the app's own abort reason comes back unchanged");
}

/// After logout and free, the tokens the session held are gone from WebAssembly memory.
#[wasm_bindgen_test]
async fn tokens_are_zeroed_after_logout_and_free() {
    let (auth, id) = signed_in("zeroed", r#","storage":"sessionStorage""#).await;
    resolve(auth.refresh()).await.unwrap();
    resolve(auth.fetch_json("/v1/transactions?limit=1".into(), None)).await.unwrap();
    // Read in JS only: the test itself must not copy a token into wasm memory.
    let tokens = stored_tokens(&format!("expensicat-auth:session:{id}"));
    let memory = wasm_bindgen::memory();
    assert!(in_memory(&memory, &tokens.get(0)), "the scan finds a live token (so it can fail)");
    auth.logout();
    drop(auth);
    for t in tokens.iter() {
        assert!(!in_memory(&memory, &t), "a token is still in wasm memory after logout and free");
    }
}

//! The Rust session's JavaScript class (feature `session`): `ExpensicatAuth` over
//! [`crate::web::session::Session`], converted in one place ([`promise`]). The npm package ships
//! the JavaScript session of `js/session.js` instead; this class serves Rust-built apps that
//! want the Rust session from JavaScript, and the Rust session's browser tests.

#[allow(unused_imports)]
use crate::prelude::*;

use wasm_bindgen::prelude::*;

use super::signin::{config_from_js, time_arg};
use super::*;
use crate::protocol::config::ClientConfig;
use crate::protocol::login::LoginRequest;
use crate::protocol::secret::AccessToken;
use crate::protocol::session::SessionInfo;
use crate::web::session::FetchError;

/// The `input` and `init` of `fetch`/`fetchJson`: a path or URL string, and an optional
/// `RequestInit` object.
fn fetch_args(input: JsValue, init: Option<JsValue>) -> Result<(String, JsValue), JsValue> {
    let input = string_arg(&input, "input")?;
    let init = optional(init, |v| Ok(v.clone()))?.unwrap_or(JsValue::UNDEFINED);
    if !absent(&init) && !init.is_object() {
        return Err(bad_arg("init", "must be a RequestInit object"));
    }
    Ok((input, init))
}

/// The one place where the session's Rust results become JavaScript values: a promise of
/// `out(value)`, rejected with an `ExpensicatAuthError`, or with the app's own abort reason.
fn promise<T: 'static, E: Into<FetchError>>(
    work: impl core::future::Future<Output = Result<T, E>> + 'static,
    out: fn(T) -> JsValue,
) -> js_sys::Promise {
    spawn_promise(Box::pin(async move {
        work.await.map(out).map_err(|e| match e.into() {
            FetchError::Auth(e) => js_error(&e),
            FetchError::Aborted(reason) => reason,
        })
    }))
}

fn info_js(info: SessionInfo) -> JsValue {
    to_js(&info.to_json())
}

/// A signed-in Expensicat session for a single-page app: login, callback, tokens kept in memory
/// (or `sessionStorage` by opt-in), single-flight refresh, and a `fetch` that signs only API
/// requests.
#[wasm_bindgen]
pub struct ExpensicatAuth(alloc::rc::Rc<crate::web::session::Session>);

#[wasm_bindgen]
impl ExpensicatAuth {
    /// Validates `config` (HTTPS endpoints, registered redirect URI, known scopes) and picks up a
    /// stored session when `storage: "sessionStorage"`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue) -> Result<ExpensicatAuth, JsValue> {
        Ok(ExpensicatAuth(crate::web::session::Session::new(ClientConfig::clone(&*config_from_js(config)?))))
    }

    /// Creates PKCE + state, stores the login transaction in `sessionStorage` (keyed by state,
    /// expired ones swept) and resolves to the authorize URL to navigate to.
    #[wasm_bindgen(js_name = startLogin, unchecked_return_type = "Promise<string>")]
    pub fn start_login(&self, #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: Option<JsValue>) -> js_sys::Promise {
        let request: LoginRequest = or_reject!(from_js_or_default(options, "options"));
        let url = or_reject!(self.0.start_login(&request).map_err(|e| js_error(&e)));
        js_sys::Promise::resolve(&JsValue::from(url))
    }

    /// Handles the redirect back (default: `location.href`). Cleans `code`/`state`/`iss` from
    /// the address bar before any await, checks the callback against its stored transaction
    /// (consumed once, even on failure), exchanges the code, and resolves to the session. Called
    /// twice with the same URL it makes one token request and both calls share the outcome; a
    /// callback already handled in an earlier page load rejects with `callback_already_handled`.
    #[wasm_bindgen(js_name = handleCallback, unchecked_return_type = "Promise<SessionInfo>")]
    pub fn handle_callback(&self, #[wasm_bindgen(unchecked_optional_param_type = "string")] url: Option<JsValue>) -> js_sys::Promise {
        let url = or_reject!(optional(url, |v| string_arg(v, "url")));
        promise(self.0.handle_callback(url.as_deref()), info_js)
    }

    /// A valid access token, refreshed when it expires within the clock skew (checked against
    /// the clock on every call). Concurrent callers share one refresh. Rejects with
    /// `login_required` when there is no session.
    #[wasm_bindgen(js_name = accessToken, unchecked_return_type = "Promise<string>")]
    pub fn access_token(&self) -> js_sys::Promise {
        let s = self.0.clone();
        promise(async move { s.valid_token(None).await }, |t| JsValue::from_str(t.expose()))
    }

    /// Refreshes now (sharing a refresh already in flight) and resolves to the session.
    /// `invalid_grant` ends the session (event `ended`, reason `invalid_grant`).
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionInfo>")]
    pub fn refresh(&self) -> js_sys::Promise {
        promise(self.0.refresh(), |info| info.map_or(JsValue::NULL, info_js))
    }

    /// `fetch` for the Expensicat API: `input` is a path below the API base (`/v1/transactions`)
    /// or an absolute URL on the API origin (anything else rejects with `origin_not_allowed`
    /// before any request). Adds `Authorization: Bearer`, never follows redirects, times out,
    /// refreshes and retries once on 401, waits once on 429 when `Retry-After` is within
    /// `maxRetryAfterMs`. The app's headers and body pass through unchanged.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
    ) -> js_sys::Promise {
        let (input, init) = or_reject!(fetch_args(input, init));
        let s = self.0.clone();
        promise(async move { s.fetch(input, init).await }, JsValue::from)
    }

    /// Like `fetch`, then resolves to the parsed JSON body of a 2xx answer, or rejects with a
    /// typed error: `unauthorized`, `insufficient_scope` (with `requiredScope`), `rate_limited`
    /// (with `retryAfterMs`), `api_error` (with `status`, `apiCode`), `invalid_response`.
    #[wasm_bindgen(js_name = fetchJson, unchecked_return_type = "Promise<unknown>")]
    pub fn fetch_json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
    ) -> js_sys::Promise {
        let (input, init) = or_reject!(fetch_args(input, init));
        let s = self.0.clone();
        promise(async move { s.fetch_json(input, init).await }, |v| v)
    }

    /// Direct bearer mode: use a token the app already has (an Expensicat session JWT) for signed
    /// calls. It is never refreshed; `expiresAt` (ms since the epoch) is checked on each use.
    #[wasm_bindgen(js_name = useBearerToken)]
    pub fn use_bearer_token(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] expires_at: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let token = AccessToken::new(string_arg(&token, "token")?);
        let expires_at = optional(expires_at, |v| time_arg(v, "expiresAt"))?;
        js(self.0.use_bearer_token(token.expose(), expires_at))
    }

    /// Forgets the tokens and any pending login transactions (event `ended`, reason `logout`).
    pub fn logout(&self) {
        self.0.logout();
    }

    /// The current session (scopes, expiry, whether it can refresh), or `undefined`. Never a token.
    #[wasm_bindgen(getter, unchecked_return_type = "SessionInfo | undefined")]
    pub fn session(&self) -> JsValue {
        self.0.info().map(|i| to_js(&i.to_json())).unwrap_or(JsValue::UNDEFINED)
    }

    /// Calls `listener` on every session change; returns a function that unsubscribes.
    #[wasm_bindgen(js_name = onSessionChange, unchecked_return_type = "() => void")]
    pub fn on_session_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: SessionEvent) => void")] listener: JsValue,
    ) -> Result<JsValue, JsValue> {
        let listener: js_sys::Function = listener.dyn_into().map_err(|_| bad_arg("listener", "must be a function"))?;
        let id = self.0.on(listener);
        let s = self.0.clone();
        Ok(Closure::once_into_js(move || s.off(id)))
    }

    /// Never reveals a token.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        "ExpensicatAuth { [redacted] }".into()
    }

    /// The session info (never a token), for `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "SessionInfo | undefined")]
    pub fn to_json(&self) -> JsValue {
        self.session()
    }
}

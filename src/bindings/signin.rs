//! The sign-in entry point: `ExpensicatAuth` (login, callback, tokens, signed `fetch`) and the
//! low-level functions (PKCE, state, authorize URL, callback, token requests and responses,
//! signing).

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::*;
use crate::protocol::authorize::{build_authorize_url as core_build_authorize_url, AuthorizeParams};
use crate::protocol::callback::{parse_callback as core_parse_callback, strip_response_params, ValidatedCallback as CoreValidated};
use crate::protocol::config::{ClientConfig, ClientConfigInput};
use crate::protocol::encoding::base64url;
use crate::protocol::error::Error;
use crate::protocol::json::{Fields, FromJson, Obj, ShapeError};
use crate::protocol::login::{start_login, LoginRequest, LOGIN_ENTROPY};
use crate::protocol::pkce::PkceVerifier;
use crate::protocol::scope::{required_scope as core_required_scope, Scope};
use crate::protocol::secret::{AccessToken, RefreshToken};
use crate::protocol::session::SessionInfo;
use crate::protocol::sign::sign_request as core_sign_request;
use crate::protocol::token::{
    authorization_code_request, parse_token_response as core_parse_token_response, refresh_token_request as core_refresh_request,
    TokenRequest, TokenSet,
};
use crate::protocol::transaction::LoginTransaction;
use crate::web::now_ms;
use crate::web::session::FetchError;
use crate::Secret;

/// A time argument, ms since the epoch.
fn time_arg(value: &JsValue, name: &'static str) -> Result<u64, JsValue> {
    int_arg(value, name, 9_007_199_254_740_991.0)
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], JsValue> {
    crate::web::random_bytes::<N>().map_err(|e| js_error(&e))
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("signin.d.ts");

/// Validates a JS `ClientConfig` (the strict reader: an unknown member such as `clientSecret` is
/// refused).
pub(crate) fn config_from_js(value: JsValue) -> Result<alloc::rc::Rc<ClientConfig>, JsValue> {
    let input = ClientConfigInput::from_json(&json_text(&value, "config")?).map_err(|e| shape_error(e, "config"))?;
    Ok(alloc::rc::Rc::new(js(ClientConfig::new(input))?))
}

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

/// Creates a PKCE pair from 32 CSPRNG bytes: a 43-character verifier and its S256 challenge.
#[wasm_bindgen(js_name = createPkce, unchecked_return_type = "Pkce")]
pub fn create_pkce() -> Result<JsValue, JsValue> {
    let verifier = js(PkceVerifier::from_random(&random_bytes::<32>()?))?;
    Ok(pkce(verifier.expose(), &verifier.challenge_s256()))
}

/// The S256 challenge of `verifier` (RFC 7636 section 4.2). Throws `invalid_verifier` for a
/// verifier of the wrong length or alphabet.
#[wasm_bindgen(js_name = codeChallengeS256)]
pub fn code_challenge_s256(#[wasm_bindgen(unchecked_param_type = "string")] verifier: JsValue) -> Result<String, JsValue> {
    Ok(js(PkceVerifier::parse(&string_arg(&verifier, "verifier")?))?.challenge_s256())
}

/// A fresh `state` value: 32 CSPRNG bytes, base64url (43 characters, 256 bits).
#[wasm_bindgen(js_name = generateState)]
pub fn generate_state() -> Result<String, JsValue> {
    Ok(base64url(&random_bytes::<32>()?))
}

struct AuthorizeUrlInput {
    authorization_endpoint: Option<String>,
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    allow_custom_scopes: bool,
    code_challenge: String,
    state: String,
    extra_params: Vec<(String, String)>,
}

impl FromJson for AuthorizeUrlInput {
    fn take_from(f: &mut Fields) -> Result<Self, ShapeError> {
        Ok(AuthorizeUrlInput {
            authorization_endpoint: f.string("authorizationEndpoint")?,
            client_id: f.string("clientId")?.unwrap_or_default(),
            redirect_uri: f.string("redirectUri")?.unwrap_or_default(),
            scopes: f.strings("scopes")?.unwrap_or_default(),
            allow_custom_scopes: f.bool("allowCustomScopes")?.unwrap_or_default(),
            code_challenge: f.string("codeChallenge")?.unwrap_or_default(),
            state: f.string("state")?.unwrap_or_default(),
            extra_params: f.pairs("extraParams")?.unwrap_or_default(),
        })
    }
}

/// Builds the authorize URL with the seven Expensicat parameters (plus `extraParams`).
#[wasm_bindgen(js_name = buildAuthorizeUrl)]
pub fn build_authorize_url(#[wasm_bindgen(unchecked_param_type = "AuthorizeUrlParams")] params: JsValue) -> Result<String, JsValue> {
    let p: AuthorizeUrlInput = from_js(&params, "params")?;
    let default_endpoint = [crate::protocol::config::DEFAULT_ISSUER, crate::protocol::config::AUTHORIZE_PATH].concat();
    js(core_build_authorize_url(&AuthorizeParams {
        endpoint: p.authorization_endpoint.as_deref().unwrap_or(&default_endpoint),
        client_id: &p.client_id,
        redirect_uri: &p.redirect_uri,
        scopes: &p.scopes,
        allow_custom_scopes: p.allow_custom_scopes,
        code_challenge: &p.code_challenge,
        state: &p.state,
        extra: &p.extra_params,
    }))
}

fn create_login_with(config: &ClientConfig, options: Option<JsValue>) -> Result<JsValue, JsValue> {
    let request: LoginRequest = from_js_or_default(options, "options")?;
    let start = js(start_login(config, &request, &random_bytes::<LOGIN_ENTROPY>()?, now_ms()))?;
    let tx = &start.transaction;
    Ok(login_start(&start.url, tx.state(), tx.expires_at_ms() as f64, &tx.to_storage()))
}

use crate::web::js::{login_start, pkce, signed, token_http};

/// A callback that passed every check. Only `parseCallback` creates one, and `tokenRequest`
/// consumes it (the JS object is unusable afterwards), so a callback is exchanged at most once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ValidatedCallback(CoreValidated);

#[wasm_bindgen]
impl ValidatedCallback {
    /// The scopes the login asked for.
    #[wasm_bindgen(getter, js_name = requestedScopes, unchecked_return_type = "string[]")]
    pub fn requested_scopes(&self) -> JsValue {
        // As JSON text: wasm-bindgen's own `Vec<String>` conversion costs about 1 KB of wasm.
        let mut text = String::from("[");
        for (i, s) in self.0.requested_scopes().iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            crate::protocol::json::write_str(&mut text, s);
        }
        text.push(']');
        to_js(&text)
    }

    /// Never reveals the code or verifier.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        "ValidatedCallback { [redacted] }".into()
    }

    /// Never reveals the code or verifier.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        crate::protocol::secret::REDACTED.into()
    }
}

fn parse_callback_with(config: &ClientConfig, callback_url: &JsValue, transaction: &JsValue) -> Result<ValidatedCallback, JsValue> {
    let (callback_url, transaction) = (string_arg(callback_url, "callbackUrl")?, string_arg(transaction, "transaction")?);
    let tx = js(LoginTransaction::from_storage(&transaction))?;
    Ok(ValidatedCallback(js(core_parse_callback(config, &callback_url, tx, now_ms()))?))
}

fn http_request_out(req: TokenRequest) -> JsValue {
    token_http(&req.url, req.content_type, req.body.expose())
}

fn token_request_with(config: &ClientConfig, callback: JsValue) -> Result<JsValue, JsValue> {
    // Takes the callback out of its JS object, which is unusable afterwards (one exchange).
    let callback = <ValidatedCallback as wasm_bindgen::convert::TryFromJsValue>::try_from_js_value(callback)
        .map_err(|_| bad_arg("callback", "must be a ValidatedCallback from parseCallback, not yet used"))?;
    Ok(http_request_out(authorization_code_request(config, callback.0)))
}

fn refresh_token_request_with(config: &ClientConfig, refresh_token: &JsValue, scopes: Option<JsValue>) -> Result<JsValue, JsValue> {
    let refresh_token = RefreshToken::new(string_arg(refresh_token, "refreshToken")?);
    let scopes = optional(scopes, |v| strings_arg(v, "scopes"))?;
    if refresh_token.expose().is_empty() {
        return Err(js_error(&Error::InvalidToken));
    }
    Ok(http_request_out(core_refresh_request(config, &refresh_token, scopes.as_deref())))
}

/// The JS `TokenResponse` of a validated token set (its JSON text is zeroed once parsed).
fn token_out(t: &TokenSet) -> Secret {
    let mut o = Obj::new().str("accessToken", t.access_token.expose()).str("tokenType", t.token_type).opt_u64("expiresAt", t.expires_at_ms);
    o = o.opt_str("refreshToken", t.refresh_token.as_ref().map(RefreshToken::expose));
    Secret::new(
        match &t.scope {
            Some(scope) => o.strs("scope", scope),
            None => o,
        }
        .finish(),
    )
}

/// Validates a token endpoint response from its HTTP status and body text. `nowMs` defaults to
/// `Date.now()`.
#[wasm_bindgen(js_name = parseTokenResponse, unchecked_return_type = "TokenResponse")]
pub fn parse_token_response(
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] now_ms_opt: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let status = int_arg(&status, "status", 599.0)? as u16;
    let body = Secret::new(string_arg(&body, "body")?);
    let now = optional(now_ms_opt, |v| time_arg(v, "nowMs"))?.unwrap_or_else(now_ms);
    Ok(to_js(token_out(&js(core_parse_token_response(status, body.expose(), now))?).expose()))
}

fn sign_request_with(config: &ClientConfig, token: &JsValue, method: &JsValue, url: &JsValue) -> Result<JsValue, JsValue> {
    let token = AccessToken::new(string_arg(token, "token")?);
    let (method, url) = (string_arg(method, "method")?, string_arg(url, "url")?);
    let s = js(core_sign_request(config, &token, &method, &url))?;
    Ok(signed(&s.url, &s.method, s.authorization.expose()))
}

/// The low-level functions that need the client configuration, which is validated once, here:
/// each call then reads only its own arguments.
#[wasm_bindgen]
pub struct ExpensicatClient(alloc::rc::Rc<ClientConfig>);

#[wasm_bindgen]
impl ExpensicatClient {
    /// Validates `config` (as `new ExpensicatAuth` does).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue) -> Result<ExpensicatClient, JsValue> {
        Ok(ExpensicatClient(config_from_js(config)?))
    }

    /// Starts a login without storing anything: creates PKCE and state from the CSPRNG and
    /// returns the authorize URL and the serialised transaction for the caller to keep.
    #[wasm_bindgen(js_name = createLogin, unchecked_return_type = "LoginStart")]
    pub fn create_login(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        create_login_with(&self.0, options)
    }

    /// Validates the callback URL against the stored transaction (from `createLogin`): redirect
    /// URI, duplicates, state (constant time), expiry, `iss`, `error`, `code`. The only way to get
    /// what `tokenRequest` accepts.
    #[wasm_bindgen(js_name = parseCallback)]
    pub fn parse_callback(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] callback_url: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] transaction: JsValue,
    ) -> Result<ValidatedCallback, JsValue> {
        parse_callback_with(&self.0, &callback_url, &transaction)
    }

    /// The token request for a validated callback (consumes it: a callback is exchanged once).
    #[wasm_bindgen(js_name = tokenRequest, unchecked_return_type = "HttpRequest")]
    pub fn token_request(&self, #[wasm_bindgen(unchecked_param_type = "ValidatedCallback")] callback: JsValue) -> Result<JsValue, JsValue> {
        token_request_with(&self.0, callback)
    }

    /// The refresh request for `refreshToken` (RFC 6749 section 6), optionally narrowing
    /// `scopes`.
    #[wasm_bindgen(js_name = refreshTokenRequest, unchecked_return_type = "HttpRequest")]
    pub fn refresh_token_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] refresh_token: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "(ExpensicatScope | string)[]")] scopes: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        refresh_token_request_with(&self.0, &refresh_token, scopes)
    }

    /// The `Authorization: Bearer` header for `method url` (a path below the API base, or an
    /// absolute URL on the API origin). Throws `origin_not_allowed` for any other origin: no
    /// header is made.
    #[wasm_bindgen(js_name = signRequest, unchecked_return_type = "HttpRequest")]
    pub fn sign_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
    ) -> Result<JsValue, JsValue> {
        sign_request_with(&self.0, &token, &method, &url)
    }
}

/// The scope an API call needs (`GET /v1/transactions` needs `transactions:read`), or
/// `undefined` when the documentation assigns none.
#[wasm_bindgen(js_name = requiredScope, unchecked_return_type = "ExpensicatScope | undefined")]
pub fn required_scope(
    #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
) -> Result<JsValue, JsValue> {
    let (method, path) = (string_arg(&method, "method")?, string_arg(&path, "path")?);
    Ok(core_required_scope(&method, &path).map(|s| JsValue::from_str(s.as_str())).unwrap_or(JsValue::UNDEFINED))
}

/// The 13 Expensicat scopes with their documented descriptions.
#[wasm_bindgen(js_name = listScopes, unchecked_return_type = "ScopeInfo[]")]
pub fn list_scopes() -> JsValue {
    let arr = js_sys::Array::new();
    for s in Scope::ALL {
        let o = Object::new();
        let _ = Reflect::set(&o, &"name".into(), &s.as_str().into());
        let _ = Reflect::set(&o, &"description".into(), &s.description().into());
        arr.push(&o);
    }
    arr.into()
}

/// `url` without the authorization response parameters (`code`, `state`, `iss`, `error`...),
/// keeping the app's own parameters and fragment: what to put in the address bar.
#[wasm_bindgen(js_name = stripCallbackParams)]
pub fn strip_callback_params(#[wasm_bindgen(unchecked_param_type = "string")] url: JsValue) -> Result<String, JsValue> {
    Ok(strip_response_params(&string_arg(&url, "url")?))
}

#[wasm_bindgen(typescript_custom_section)]
const TS_SESSION_TYPES: &str = include_str!("session.d.ts");

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

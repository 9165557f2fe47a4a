//! The JavaScript boundary: every `#[wasm_bindgen]` export lives here, with camelCase names and
//! TypeScript types. Errors become real `Error` objects with a stable `code` property.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::authorize::{build_authorize_url as core_build_authorize_url, AuthorizeParams};
use crate::core::callback::{parse_callback as core_parse_callback, strip_response_params, ValidatedCallback as CoreValidated};
use crate::core::config::{ClientConfig, ClientConfigInput};
use crate::core::encoding::base64url;
use crate::core::error::Error;
use crate::core::json::{Fields, FromJson, Obj, ShapeError, Value};
use crate::core::pkce::PkceVerifier;
use crate::core::scope::{required_scope as core_required_scope, Scope};
use crate::core::sign::sign_request as core_sign_request;
use crate::core::token::{
    authorization_code_request, parse_token_response as core_parse_token_response, refresh_token_request as core_refresh_request,
    TokenRequest, TokenSet,
};
use crate::core::transaction::{start_login, LoginRequest, LoginTransaction, LOGIN_ENTROPY};
use crate::Secret;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** One of the 13 Expensicat scopes. */
export type ExpensicatScope =
  | "transactions:read" | "transactions:write" | "entries:read" | "entries:write"
  | "invoices:read" | "invoices:write" | "banking:read" | "banking:write"
  | "documents:read" | "documents:write" | "team:read" | "team:admin" | "analytics:read";

/** Client configuration. Only `clientId` and `redirectUri` are required. */
export interface ClientConfig {
  /** The registered client ID. */
  clientId: string;
  /** The registered redirect URI (HTTPS; http only for 127.0.0.1, [::1], localhost). */
  redirectUri: string;
  /** Scopes requested by default. */
  scopes?: (ExpensicatScope | string)[];
  /** Issuer identifier and base of the default endpoints. Default `https://api.expensicat.com`. */
  issuer?: string;
  /** Default `{issuer}/api/auth/oauth2/authorize`. */
  authorizationEndpoint?: string;
  /** Default `{issuer}/api/auth/oauth2/token`. */
  tokenEndpoint?: string;
  /** Default `{issuer}/api`. Bearer tokens are sent only to this URL's origin. */
  apiBaseUrl?: string;
  /** `json` (default, as Expensicat documents) or `form` (RFC 6749). */
  tokenRequestEncoding?: "json" | "form";
  /** Allow scopes other than the 13 Expensicat scopes. */
  allowCustomScopes?: boolean;
  /** Require RFC 9207 `iss` on callbacks (always checked when present). */
  requireIssuer?: boolean;
  /** Login transaction lifetime, ms. Default 600000 (10 minutes). */
  transactionTtlMs?: number;
  /** Refresh tokens expiring within this many ms. Default 30000. */
  clockSkewMs?: number;
  /** Timeout of each network call, ms. Default 15000. */
  timeoutMs?: number;
  /** Longest Retry-After (delta-seconds or HTTP-date, as ms) waited on a 429. Default 10000. */
  maxRetryAfterMs?: number;
  /** Where tokens live: `memory` (default) or `sessionStorage` (opt-in). */
  storage?: "memory" | "sessionStorage";
  /** Largest token response read, bytes (default 65536); the read stops there (`invalid_response`). */
  maxTokenResponseBytes?: number;
  /** Largest API body `fetchJson` reads, bytes (default 1048576); the read stops there (`invalid_response`). */
  maxResponseBytes?: number;
}

/** A PKCE pair (RFC 7636). Keep `verifier` secret; send only `challenge`. */
export interface Pkce { verifier: string; challenge: string; method: "S256"; }

/** Parameters of `buildAuthorizeUrl`. */
export interface AuthorizeUrlParams {
  /** Default `https://api.expensicat.com/api/auth/oauth2/authorize`. */
  authorizationEndpoint?: string;
  clientId: string;
  redirectUri: string;
  scopes: (ExpensicatScope | string)[];
  allowCustomScopes?: boolean;
  /** The S256 challenge from `createPkce()`. */
  codeChallenge: string;
  /** From `generateState()`: 22-512 unreserved characters. */
  state: string;
  /** Extra parameters (`prompt`, `login_hint`...). Protocol parameters cannot be overridden. */
  extraParams?: [string, string][];
}

/** Options of one login. */
export interface LoginOptions {
  /** Scopes for this login; default the configured ones. */
  scopes?: (ExpensicatScope | string)[];
  /** Extra authorize parameters. */
  extraParams?: [string, string][];
}

/** A started login: send the user to `url`, keep `transaction` (it holds the PKCE verifier) in sessionStorage under `state`. */
export interface LoginStart { url: string; state: string; expiresAt: number; transaction: string; }

/** An HTTP request to make with fetch (use `redirect: "manual"`). */
export interface HttpRequest { url: string; method: string; headers: Record<string, string>; body?: string; }

/** A validated token response. */
export interface TokenResponse {
  accessToken: string;
  tokenType: "Bearer";
  /** Expiry, ms since the epoch, when the server sent `expires_in`. */
  expiresAt?: number;
  refreshToken?: string;
  /** Granted scopes, when the server listed them. */
  scope?: string[];
}

/** A scope and its documented meaning. */
export interface ScopeInfo { name: ExpensicatScope; description: string; }

/** The stable `code` of every error (the README's table; replaced by the union at build time). */
export type ExpensicatAuthErrorCode = string;

/** Every error thrown by this library. Only the fields that apply to its `code` are set. */
export interface ExpensicatAuthError extends Error {
  name: "ExpensicatAuthError";
  /** Stable snake_case code, e.g. `state_mismatch`, `invalid_grant`, `timeout`. */
  code: ExpensicatAuthErrorCode;
  /** The setting, argument or key that is wrong (`invalid_config`, `invalid_parameter`, `invalid_url`, `insecure_url`, `invalid_credential`); never its value. */
  field?: string;
  /** HTTP status, when a response caused the error. */
  status?: number;
  /** `error_description` from the server: untrusted text. */
  description?: string;
  /** `rate_limited`: how long to wait, ms, when the server or the client-side limit said. */
  retryAfterMs?: number;
  /** `insufficient_scope`: the scope the call needs. */
  requiredScope?: string;
  /** `api_error`: the API's own error code. */
  apiCode?: string;
  /** `expensify_error`: the Integration Server's `responseCode`. */
  responseCode?: number;
}
"#;

pub(crate) use crate::web::to_js;
pub(crate) use crate::web::to_js_error as js_error;

fn js<T>(r: crate::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| js_error(&e))
}

/// The value of an argument check, or (in a method that returns a promise) the promise rejected
/// with its error.
macro_rules! or_reject {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(e) => return js_sys::Promise::reject(&e),
        }
    };
}

/// `invalid_parameter` naming the argument `name` (never its value).
fn bad_arg(name: &'static str, reason: &'static str) -> JsValue {
    js_error(&Error::InvalidParameter { name: name.into(), reason })
}

/// Whether an optional argument was left out (`undefined` or `null`).
fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// A string argument; anything else (numbers included: no coercion) is `invalid_parameter`.
fn string_arg(value: &JsValue, name: &'static str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| bad_arg(name, "must be a string"))
}

/// An optional string argument.
fn opt_string_arg(value: &JsValue, name: &'static str) -> Result<Option<String>, JsValue> {
    if absent(value) {
        Ok(None)
    } else {
        string_arg(value, name).map(Some)
    }
}

/// An optional boolean argument.
fn opt_bool_arg(value: &JsValue, name: &'static str) -> Result<Option<bool>, JsValue> {
    if absent(value) {
        return Ok(None);
    }
    value.as_bool().map(Some).ok_or_else(|| bad_arg(name, "must be a boolean"))
}

/// An integer argument within `0..=max` (a `number`, not a string, `NaN` or a `BigInt`).
fn int_arg(value: &JsValue, name: &'static str, max: f64) -> Result<u64, JsValue> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n <= max && n.fract() == 0.0 => Ok(n as u64),
        _ => Err(bad_arg(name, "must be a non-negative integer in range")),
    }
}

/// An optional time argument, ms since the epoch.
fn opt_time_arg(value: &JsValue, name: &'static str) -> Result<Option<u64>, JsValue> {
    if absent(value) {
        Ok(None)
    } else {
        int_arg(value, name, 9_007_199_254_740_991.0).map(Some)
    }
}

/// An array-of-strings argument.
fn strings_arg(value: &JsValue, name: &'static str) -> Result<Vec<String>, JsValue> {
    if !js_sys::Array::is_array(value) {
        return Err(bad_arg(name, "must be an array of strings"));
    }
    js_sys::Array::from(value).iter().map(|v| v.as_string().ok_or_else(|| bad_arg(name, "must be an array of strings"))).collect()
}

/// An optional array-of-strings argument.
fn opt_strings_arg(value: &JsValue, name: &'static str) -> Result<Option<Vec<String>>, JsValue> {
    if absent(value) {
        Ok(None)
    } else {
        strings_arg(value, name).map(Some)
    }
}

/// A JS object's JSON text (`JSON.stringify`); `invalid_parameter` naming the argument when it
/// is not a plain object, or cannot be written as JSON (a `BigInt` member, a throwing getter).
fn json_text(value: &JsValue, field: &'static str) -> Result<String, JsValue> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(bad_arg(field, "must be an object"));
    }
    crate::web::to_json_text(value).ok_or_else(|| bad_arg(field, "cannot be written as JSON"))
}

/// The `invalid_config` error for a JS object that does not have the expected shape. It names
/// the key, never a value (a secret put under the wrong key must not reach an error message).
fn shape_error(e: ShapeError, field: &'static str) -> JsValue {
    js_error(&match e {
        ShapeError::WrongType(key) => Error::InvalidConfig { field: key, reason: "has a value of the wrong type" },
        ShapeError::UnknownKey => Error::InvalidConfig { field, reason: "has an unknown key" },
        ShapeError::NotAnObject => Error::InvalidParameter { name: field.into(), reason: "must be an object" },
    })
}

/// JS object to Rust value, through `JSON.stringify` and the crate's strict JSON reader, so a
/// misspelt key is an error rather than a silently ignored option.
pub(crate) fn from_js<T: FromJson>(value: JsValue, field: &'static str) -> Result<T, JsValue> {
    T::from_json(&json_text(&value, field)?).map_err(|e| shape_error(e, field))
}

/// An optional JS argument: the default when `undefined` or `null`, else [`from_js`].
fn from_js_or_default<T: FromJson + Default>(value: JsValue, field: &'static str) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(T::default())
    } else {
        from_js(value, field)
    }
}

thread_local! {
    /// The last configuration validated, keyed by its JSON text. Apps pass the same config object
    /// to every low-level call; keying by the text (not the object) stays right if it is mutated.
    static LAST_CONFIG: std::cell::RefCell<Option<(String, std::rc::Rc<ClientConfig>)>> = const { std::cell::RefCell::new(None) };
}

/// Validates a JS `ClientConfig`, reusing the previous result when the config is unchanged.
pub(crate) fn config_from_js(value: JsValue) -> Result<std::rc::Rc<ClientConfig>, JsValue> {
    let text = json_text(&value, "config")?;
    let cached = LAST_CONFIG.with(|c| c.borrow().as_ref().filter(|(t, _)| *t == text).map(|(_, config)| config.clone()));
    if let Some(config) = cached {
        return Ok(config);
    }
    let input = ClientConfigInput::from_json(&text).map_err(|e| shape_error(e, "config"))?;
    let config = std::rc::Rc::new(js(ClientConfig::new(input))?);
    LAST_CONFIG.with(|c| *c.borrow_mut() = Some((text, config.clone())));
    Ok(config)
}

/// The `input` and `init` of `fetch`/`fetchJson`: a path or URL string, and an optional
/// `RequestInit` object.
fn fetch_args(input: JsValue, init: Option<JsValue>) -> Result<(String, JsValue), JsValue> {
    let input = string_arg(&input, "input")?;
    let init = init.unwrap_or(JsValue::UNDEFINED);
    if !absent(&init) && !init.is_object() {
        return Err(bad_arg("init", "must be a RequestInit object"));
    }
    Ok((input, init))
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], JsValue> {
    crate::web::random_bytes::<N>().map_err(|e| js_error(&e))
}

use crate::web::now_ms;

/// Creates a PKCE pair from 32 CSPRNG bytes: a 43-character verifier and its S256 challenge.
#[wasm_bindgen(js_name = createPkce, unchecked_return_type = "Pkce")]
pub fn create_pkce() -> Result<JsValue, JsValue> {
    let verifier = js(PkceVerifier::from_random(&random_bytes::<32>()?))?;
    Ok(to_js(&Obj::new().str("verifier", verifier.expose()).str("challenge", &verifier.challenge_s256()).str("method", "S256").finish()))
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
    let p: AuthorizeUrlInput = from_js(params, "params")?;
    let default_endpoint = format!("{}{}", crate::core::config::DEFAULT_ISSUER, crate::core::config::AUTHORIZE_PATH);
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

/// Starts a login without storing anything: creates PKCE and state from the CSPRNG and returns
/// the authorize URL and the serialised transaction for the caller to keep.
#[wasm_bindgen(js_name = createLogin, unchecked_return_type = "LoginStart")]
pub fn create_login(
    #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options = options.unwrap_or(JsValue::UNDEFINED);
    let config = config_from_js(config)?;
    let request: LoginRequest = from_js_or_default(options, "options")?;
    let start = js(start_login(&config, &request, &random_bytes::<LOGIN_ENTROPY>()?, now_ms()))?;
    Ok(to_js(
        &Obj::new()
            .str("url", &start.url)
            .str("state", start.transaction.state())
            .u64("expiresAt", start.transaction.expires_at_ms())
            .str("transaction", &start.transaction.to_storage())
            .finish(),
    ))
}

/// A callback that passed every check. Only `parseCallback` creates one, and `tokenRequest`
/// consumes it (the JS object is unusable afterwards), so a callback is exchanged at most once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ValidatedCallback(CoreValidated);

#[wasm_bindgen]
impl ValidatedCallback {
    /// The scopes the login asked for.
    #[wasm_bindgen(getter, js_name = requestedScopes)]
    pub fn requested_scopes(&self) -> Vec<String> {
        self.0.requested_scopes().to_vec()
    }

    /// Never reveals the code or verifier.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        "ValidatedCallback { [redacted] }".into()
    }

    /// Never reveals the code or verifier.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        crate::core::secret::REDACTED.into()
    }
}

/// Validates the callback URL against the stored transaction (from `createLogin`): redirect URI,
/// duplicates, state (constant time), expiry, `iss`, `error`, `code`.
#[wasm_bindgen(js_name = parseCallback)]
pub fn parse_callback(
    #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] callback_url: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] transaction: JsValue,
) -> Result<ValidatedCallback, JsValue> {
    let config = config_from_js(config)?;
    let (callback_url, transaction) = (string_arg(&callback_url, "callbackUrl")?, string_arg(&transaction, "transaction")?);
    let tx = js(LoginTransaction::from_storage(&transaction))?;
    Ok(ValidatedCallback(js(core_parse_callback(&config, &callback_url, tx, now_ms()))?))
}

fn http_request_out(req: TokenRequest) -> JsValue {
    let headers = Obj::new().str("Accept", "application/json").str("Content-Type", req.content_type).finish();
    let out = Secret::new(
        Obj::with_capacity(req.url.len() + req.body.expose().len() + 256)
            .str("url", &req.url)
            .str("method", "POST")
            .raw("headers", &headers)
            .str("body", req.body.expose())
            .finish(),
    );
    to_js(out.expose())
}

/// The token request for a validated callback (consumes it).
#[wasm_bindgen(js_name = tokenRequest, unchecked_return_type = "HttpRequest")]
pub fn token_request(
    #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ValidatedCallback")] callback: JsValue,
) -> Result<JsValue, JsValue> {
    let config = config_from_js(config)?;
    // Takes the callback out of its JS object, which is unusable afterwards (one exchange).
    let callback = <ValidatedCallback as wasm_bindgen::convert::TryFromJsValue>::try_from_js_value(callback)
        .map_err(|_| bad_arg("callback", "must be a ValidatedCallback from parseCallback, not yet used"))?;
    Ok(http_request_out(authorization_code_request(&config, callback.0)))
}

/// The refresh request for `refreshToken` (RFC 6749 section 6), optionally narrowing `scopes`.
#[wasm_bindgen(js_name = refreshTokenRequest, unchecked_return_type = "HttpRequest")]
pub fn refresh_token_request(
    #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] refresh_token: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "(ExpensicatScope | string)[]")] scopes: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let config = config_from_js(config)?;
    let refresh_token = Secret::new(string_arg(&refresh_token, "refreshToken")?);
    let scopes = opt_strings_arg(&scopes.unwrap_or(JsValue::UNDEFINED), "scopes")?;
    if refresh_token.expose().is_empty() {
        return Err(js_error(&Error::InvalidToken));
    }
    Ok(http_request_out(core_refresh_request(&config, &refresh_token, scopes.as_deref())))
}

/// The JS `TokenResponse` of a validated token set (its JSON text is zeroed once parsed).
fn token_out(t: &TokenSet) -> Secret {
    let mut o = Obj::new().str("accessToken", t.access_token.expose()).str("tokenType", t.token_type).opt_u64("expiresAt", t.expires_at_ms);
    o = o.opt_str("refreshToken", t.refresh_token.as_ref().map(Secret::expose));
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
    let now = opt_time_arg(&now_ms_opt.unwrap_or(JsValue::UNDEFINED), "nowMs")?.unwrap_or_else(now_ms);
    Ok(to_js(token_out(&js(core_parse_token_response(status, body.expose(), now))?).expose()))
}

/// The `Authorization: Bearer` header for `method url` (a path below the API base, or an absolute
/// URL on the API origin). Throws `origin_not_allowed` for any other origin: no header is made.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "HttpRequest")]
pub fn sign_request(
    #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
) -> Result<JsValue, JsValue> {
    let config = config_from_js(config)?;
    let token = Secret::new(string_arg(&token, "token")?);
    let (method, url) = (string_arg(&method, "method")?, string_arg(&url, "url")?);
    let signed = js(core_sign_request(&config, token.expose(), &method, &url))?;
    let headers = Secret::new(
        Obj::with_capacity(signed.authorization.expose().len() + 64).str("Authorization", signed.authorization.expose()).finish(),
    );
    let out = Secret::new(
        Obj::with_capacity(signed.url.len() + headers.expose().len() + 64)
            .str("url", &signed.url)
            .str("method", &signed.method)
            .raw("headers", headers.expose())
            .finish(),
    );
    Ok(to_js(out.expose()))
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
const TS_SESSION_TYPES: &str = r#"
/** What the app may see of a session: never a token. */
export interface SessionInfo {
  /** Granted scopes (the requested ones when the server did not list them). */
  scopes: string[];
  /** Access token expiry, ms since the epoch, when known. */
  expiresAt?: number;
  /** Whether the session can refresh itself. */
  hasRefreshToken: boolean;
  /** `oauth` (code flow) or `bearer` (a token the app supplied). */
  mode: "oauth" | "bearer";
}

/** A session change. `reason` for `ended`: `logout`, `invalid_grant` or `expired`. */
export interface SessionEvent {
  type: "started" | "refreshed" | "ended";
  reason?: string;
  session?: SessionInfo;
}
"#;

/// A signed-in Expensicat session for a single-page app: login, callback, tokens kept in memory
/// (or `sessionStorage` by opt-in), single-flight refresh, and a `fetch` that signs only API
/// requests.
#[wasm_bindgen]
pub struct ExpensicatAuth(std::rc::Rc<crate::web::session::Session>);

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
        let request: LoginRequest = or_reject!(from_js_or_default(options.unwrap_or(JsValue::UNDEFINED), "options"));
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
        let url = or_reject!(opt_string_arg(&url.unwrap_or(JsValue::UNDEFINED), "url"));
        self.0.handle_callback(url.as_deref())
    }

    /// A valid access token, refreshed when it expires within the clock skew (checked against
    /// the clock on every call). Concurrent callers share one refresh. Rejects with
    /// `login_required` when there is no session.
    #[wasm_bindgen(js_name = accessToken, unchecked_return_type = "Promise<string>")]
    pub fn access_token(&self) -> js_sys::Promise {
        let s = self.0.clone();
        wasm_bindgen_futures::future_to_promise(async move { s.valid_token(None).await.map(|t| JsValue::from_str(t.expose())) })
    }

    /// Refreshes now (sharing a refresh already in flight) and resolves to the session.
    /// `invalid_grant` ends the session (event `ended`, reason `invalid_grant`).
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionInfo>")]
    pub fn refresh(&self) -> js_sys::Promise {
        self.0.refresh()
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
        wasm_bindgen_futures::future_to_promise(async move { s.fetch(input, init).await.map(JsValue::from) })
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
        wasm_bindgen_futures::future_to_promise(async move { s.fetch_json(input, init).await })
    }

    /// Direct bearer mode: use a token the app already has (an Expensicat session JWT) for signed
    /// calls. It is never refreshed; `expiresAt` (ms since the epoch) is checked on each use.
    #[wasm_bindgen(js_name = useBearerToken)]
    pub fn use_bearer_token(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] expires_at: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let token = Secret::new(string_arg(&token, "token")?);
        let expires_at = opt_time_arg(&expires_at.unwrap_or(JsValue::UNDEFINED), "expiresAt")?;
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

#[wasm_bindgen(typescript_custom_section)]
const TS_EXPENSIFY_TYPES: &str = r#"
/** An Expensify API credential, as entered in the "Add Credential" form. */
export interface ExpensifyCredentialInput {
  /** Credential Name (required). */
  name: string;
  /** Credential Description (optional). */
  description?: string;
  /** Integration Server URL; default `https://integrations.expensify.com`. The API path is appended by the library. */
  serverUrl?: string;
  /** The partnerUserID from expensify.com/tools/integrations. */
  partnerUserId: string;
  /** The partnerUserSecret: treated like a password, never readable back. */
  partnerUserSecret: string;
}

/** Options for sending jobs. */
export interface ExpensifyOptions {
  /** Timeout per request, ms. Default 30000. */
  timeoutMs?: number;
  /** Client-side limits as [requests, windowMs] pairs. Default [[5, 10000], [20, 60000]]. */
  rateLimits?: [number, number][];
  /** At the limit: `wait` (default) or `refuse` (rejects with `rate_limited` and `retryAfterMs`). */
  onRateLimit?: "wait" | "refuse";
}

/** A job for the Integration Server, without `credentials` (the library inserts them). */
export interface ExpensifyJob {
  type: "get" | "file" | "download" | "create" | "update" | "reconciliation" | string;
  inputSettings?: Record<string, unknown>;
  onReceive?: Record<string, unknown>;
  outputSettings?: Record<string, unknown>;
  onFinish?: unknown[];
  fileName?: string;
  fileSystem?: string;
  test?: boolean;
  [key: string]: unknown;
}

/** A policy in a `policyList` answer. */
export interface ExpensifyPolicy { id: string; name: string; role: string; type: string; outputCurrency?: string; owner?: string; [key: string]: unknown; }

/** The answer of `policyList`. */
export interface PolicyListResponse { responseCode: 200; policyList: ExpensifyPolicy[]; [key: string]: unknown; }

/** What `testConnection` found. */
export interface ConnectionTest {
  status: "valid" | "invalid_credentials" | "unreachable" | "error";
  /** The error code when not valid. */
  code?: string;
  message?: string;
}

/** A stored credential's metadata: never the secret. */
export interface StoredCredentialInfo {
  id: string;
  name: string;
  description: string;
  serverUrl: string;
  partnerUserId: string;
  createdAt: number;
}

/** A stored record that could not be read; the others are still listed. */
export interface CorruptCredentialRecord { id: string; error: "corrupt_record"; }
"#;

#[derive(Default)]
struct ExpensifyOptionsInput {
    timeout_ms: Option<u64>,
    rate_limits: Option<Vec<(usize, u64)>>,
    on_rate_limit: crate::web::expensify::OnLimit,
}

impl FromJson for ExpensifyOptionsInput {
    fn take_from(f: &mut Fields) -> Result<Self, ShapeError> {
        use crate::web::expensify::OnLimit;
        let pair = |v: &Value| match v {
            Value::Array(p) if p.len() == 2 => Some((usize::try_from(p[0].as_u64()?).ok()?, p[1].as_u64()?)),
            _ => None,
        };
        let rate_limits = match f.take("rateLimits") {
            None => None,
            Some(Value::Array(items)) => {
                Some(items.iter().map(pair).collect::<Option<Vec<_>>>().ok_or(ShapeError::WrongType("rateLimits"))?)
            }
            Some(_) => return Err(ShapeError::WrongType("rateLimits")),
        };
        let on_rate_limit = f.one_of("onRateLimit", &[("wait", OnLimit::Wait), ("refuse", OnLimit::Refuse)])?.unwrap_or_default();
        Ok(ExpensifyOptionsInput { timeout_ms: f.u64("timeoutMs")?, rate_limits, on_rate_limit })
    }
}

fn send_options(value: JsValue) -> Result<crate::web::expensify::SendOptions, JsValue> {
    let o: ExpensifyOptionsInput = from_js_or_default(value, "options")?;
    Ok(crate::web::expensify::SendOptions {
        timeout_ms: o.timeout_ms.unwrap_or(30_000).clamp(1, 600_000),
        limits: o.rate_limits.unwrap_or_else(|| vec![(5, 10_000), (20, 60_000)]),
        on_limit: o.on_rate_limit,
    })
}

/// An optional `Record<string, string>` argument as name-value pairs.
fn string_map(value: &JsValue, field: &'static str) -> Result<Vec<(String, String)>, JsValue> {
    if absent(value) {
        return Ok(Vec::new());
    }
    let members = Fields::parse(&json_text(value, field)?).map_err(|e| shape_error(e, field))?.into_members();
    members
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            _ => Err(shape_error(ShapeError::WrongType(field), field)),
        })
        .collect()
}

fn response_to_js(r: crate::core::expensify::ExpensifyResponse) -> JsValue {
    match r {
        crate::core::expensify::ExpensifyResponse::Json(v) => to_js(&v.to_json()),
        crate::core::expensify::ExpensifyResponse::Text(t) => JsValue::from_str(&t),
    }
}

/// An Expensify partner credential. The secret stays in WebAssembly memory: no property,
/// `toString` or `toJSON` returns it; it is used only to sign Integration Server requests.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ExpensifyCredential {
    cred: std::rc::Rc<crate::core::expensify::Credential>,
    opts: crate::web::expensify::SendOptions,
    id: Option<String>,
    handle: u32,
}

thread_local! {
    /// The credentials alive in this page, by handle, so that `store.save(credential)` can find
    /// one from its JS object without taking it away from the app (wasm-bindgen's own class
    /// conversion would consume the object). Weak: a freed credential drops out.
    static CREDENTIALS: std::cell::RefCell<(u32, Vec<LiveCredential>)> = const { std::cell::RefCell::new((0, Vec::new())) };
}

/// A credential alive in this page: its handle, and a weak reference to it.
type LiveCredential = (u32, std::rc::Weak<crate::core::expensify::Credential>);

impl ExpensifyCredential {
    fn wrap(cred: crate::core::expensify::Credential, opts: crate::web::expensify::SendOptions, id: Option<String>) -> Self {
        let cred = std::rc::Rc::new(cred);
        let handle = CREDENTIALS.with(|c| {
            let (next, live) = &mut *c.borrow_mut();
            live.retain(|(_, w)| w.strong_count() > 0);
            *next = next.wrapping_add(1);
            live.push((*next, std::rc::Rc::downgrade(&cred)));
            *next
        });
        ExpensifyCredential { cred, opts, id, handle }
    }

    /// The credential behind a JS `ExpensifyCredential` object, if it is one and is not freed.
    fn find(value: &JsValue) -> Option<std::rc::Rc<crate::core::expensify::Credential>> {
        if !value.is_object() {
            return None;
        }
        let handle = Reflect::get(value, &"__expensicatHandle".into()).ok()?.as_f64()?;
        CREDENTIALS.with(|c| c.borrow().1.iter().find(|(h, _)| f64::from(*h) == handle).and_then(|(_, w)| w.upgrade()))
    }

    /// Runs the job `build` makes from a JSON argument, or rejects with `invalid_job` (`reason`)
    /// when the argument is not JSON.
    fn run_with_json(
        &self,
        arg: &JsValue,
        reason: &'static str,
        build: impl FnOnce(Value) -> Value,
        extra: Vec<(String, String)>,
    ) -> js_sys::Promise {
        match crate::web::to_json_value(arg) {
            Some(v) => self.run(build(v), extra),
            None => js_sys::Promise::reject(&js_error(&Error::InvalidJob { reason })),
        }
    }

    fn run(&self, job: Value, extra: Vec<(String, String)>) -> js_sys::Promise {
        let (cred, opts) = (self.cred.clone(), self.opts.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            crate::web::expensify::send(&cred, &job, &extra, &opts).await.map(response_to_js).map_err(|e| js_error(&e))
        })
    }
}

#[wasm_bindgen]
impl ExpensifyCredential {
    /// Validates the fields (name required; HTTPS server URL, loopback allowed for development,
    /// no user info, query or fragment; IDs and secret trimmed and non-empty). Errors carry the
    /// offending `field`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ExpensifyCredentialInput")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExpensifyOptions")] options: Option<JsValue>,
    ) -> Result<ExpensifyCredential, JsValue> {
        let input: crate::core::expensify::CredentialInput = from_js(input, "credential")?;
        let opts = send_options(options.unwrap_or(JsValue::UNDEFINED))?;
        let cred = js(crate::core::expensify::Credential::new(input))?;
        Ok(ExpensifyCredential::wrap(cred, opts, None))
    }

    /// Internal: lets `ExpensifyCredentialStore.save` find this credential.
    #[wasm_bindgen(getter, skip_typescript, js_name = __expensicatHandle)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// The store id, when this credential came from (or was saved to) a store.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> Option<String> {
        self.id.clone()
    }
    /// Credential Name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.cred.name().to_owned()
    }
    /// Credential Description.
    #[wasm_bindgen(getter)]
    pub fn description(&self) -> String {
        self.cred.description().to_owned()
    }
    /// The normalised Integration Server URL (without the API path).
    #[wasm_bindgen(getter, js_name = serverUrl)]
    pub fn server_url(&self) -> String {
        self.cred.server_url().to_owned()
    }
    /// The endpoint requests go to: `serverUrl` + `/Integration-Server/ExpensifyIntegrations`.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.cred.endpoint().to_owned()
    }
    /// The partnerUserID.
    #[wasm_bindgen(getter, js_name = partnerUserId)]
    pub fn partner_user_id(&self) -> String {
        self.cred.partner_user_id().to_owned()
    }

    /// Sends any job (a caller-supplied `credentials` key is refused). `extraFields` are added
    /// as form fields (e.g. `template`). Resolves to the JSON answer, or text for `file` and
    /// `download` jobs.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ExpensifyJob")] job: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Record<string, string>")] extra_fields: Option<JsValue>,
    ) -> js_sys::Promise {
        let extra_fields = extra_fields.unwrap_or(JsValue::UNDEFINED);
        // Anything but an object (a string, an array, a function) fails in `job_from_json`.
        let job = js(crate::web::to_json_text(&job)
            .ok_or(Error::InvalidJob { reason: "the job must be a JSON object" })
            .and_then(|s| crate::core::expensify::job_from_json(&s)));
        let extra = string_map(&extra_fields, "extraFields");
        match (job, extra) {
            (Ok(j), Ok(e)) => self.run(j, e),
            (Err(e), _) | (_, Err(e)) => js_sys::Promise::reject(&e),
        }
    }

    /// `get`/`policyList`: resolves to the answer with `policyList`.
    #[wasm_bindgen(js_name = policyList, unchecked_return_type = "Promise<PolicyListResponse>")]
    pub fn policy_list(&self, #[wasm_bindgen(unchecked_optional_param_type = "boolean")] admin_only: Option<JsValue>) -> js_sys::Promise {
        let admin_only = or_reject!(opt_bool_arg(&admin_only.unwrap_or(JsValue::UNDEFINED), "adminOnly"));
        self.run(crate::core::expensify::jobs::policy_list(admin_only.unwrap_or(false)), Vec::new())
    }

    /// `get`/`policy`: details (`fields`, default `["categories","tags"]`) of `policyIds`.
    #[wasm_bindgen(js_name = policyDetails, unchecked_return_type = "Promise<unknown>")]
    pub fn policy_details(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] policy_ids: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string[]")] fields: Option<JsValue>,
    ) -> js_sys::Promise {
        let ids = or_reject!(strings_arg(&policy_ids, "policyIds"));
        let fields = or_reject!(opt_strings_arg(&fields.unwrap_or(JsValue::UNDEFINED), "fields"));
        let fields = fields.unwrap_or_else(|| vec!["categories".into(), "tags".into()]);
        self.run(crate::core::expensify::jobs::policy_details(&ids, &fields), Vec::new())
    }

    /// `file`: exports reports matching `filters` through a FreeMarker `template`; resolves to
    /// the generated file name (fetch it with `download`).
    #[wasm_bindgen(js_name = exportReports, unchecked_return_type = "Promise<string>")]
    pub fn export_reports(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] filters: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] template: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] file_extension: Option<JsValue>,
    ) -> js_sys::Promise {
        let template = or_reject!(string_arg(&template, "template"));
        let ext = or_reject!(opt_string_arg(&file_extension.unwrap_or(JsValue::UNDEFINED), "fileExtension"));
        let ext = ext.unwrap_or_else(|| "csv".into());
        self.run_with_json(
            &filters,
            "filters must be a JSON object",
            |f| crate::core::expensify::jobs::report_export(f, &ext),
            vec![("template".into(), template)],
        )
    }

    /// `download`: resolves to the contents of a file produced by `exportReports`.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn download(&self, #[wasm_bindgen(unchecked_param_type = "string")] file_name: JsValue) -> js_sys::Promise {
        let name = or_reject!(string_arg(&file_name, "fileName"));
        self.run(crate::core::expensify::jobs::download(&name), Vec::new())
    }

    /// `create`/`expenses` for `employeeEmail`.
    #[wasm_bindgen(js_name = createExpenses, unchecked_return_type = "Promise<unknown>")]
    pub fn create_expenses(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] employee_email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] transactions: JsValue,
    ) -> js_sys::Promise {
        let employee_email = or_reject!(string_arg(&employee_email, "employeeEmail"));
        self.run_with_json(
            &transactions,
            "transactions must be an array",
            |l| crate::core::expensify::jobs::create_expenses(&employee_email, l),
            Vec::new(),
        )
    }

    /// `create`/`report` on `policyId` for `employeeEmail`, titled `title`, with `expenses`.
    #[wasm_bindgen(js_name = createReport, unchecked_return_type = "Promise<unknown>")]
    pub fn create_report(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] employee_email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] policy_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] title: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] expenses: JsValue,
    ) -> js_sys::Promise {
        let employee_email = or_reject!(string_arg(&employee_email, "employeeEmail"));
        let policy_id = or_reject!(string_arg(&policy_id, "policyId"));
        let title = or_reject!(string_arg(&title, "title"));
        self.run_with_json(
            &expenses,
            "expenses must be an array",
            |l| crate::core::expensify::jobs::create_report(&employee_email, &policy_id, &title, l),
            Vec::new(),
        )
    }

    /// A `policyList` call that tells apart valid credentials, invalid credentials and an
    /// unreachable server. Never rejects.
    #[wasm_bindgen(js_name = testConnection, unchecked_return_type = "Promise<ConnectionTest>")]
    pub fn test_connection(&self) -> js_sys::Promise {
        let (cred, opts) = (self.cred.clone(), self.opts.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            let job = crate::core::expensify::jobs::policy_list(false);
            let result = crate::web::expensify::send(&cred, &job, &[], &opts).await;
            let (status, err) = match &result {
                Ok(_) => ("valid", None),
                Err(e @ Error::InvalidCredentials) => ("invalid_credentials", Some(e)),
                Err(e @ (Error::Network | Error::ExpensifyNetwork | Error::Timeout)) => ("unreachable", Some(e)),
                Err(e) => ("error", Some(e)),
            };
            let o = Object::new();
            let _ = Reflect::set(&o, &"status".into(), &status.into());
            if let Some(e) = err {
                let _ = Reflect::set(&o, &"code".into(), &e.code().into());
                let _ = Reflect::set(&o, &"message".into(), &e.to_string().into());
            }
            Ok(o.into())
        })
    }

    /// `ExpensifyCredential { name, partnerUserId, [secret redacted] }`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        format!("ExpensifyCredential {{ \"{}\", \"{}\", [secret redacted] }}", self.cred.name(), self.cred.partner_user_id())
    }

    /// Metadata only, for `JSON.stringify`: never the secret.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Omit<StoredCredentialInfo, \"id\" | \"createdAt\">")]
    pub fn to_json(&self) -> JsValue {
        let o = Object::new();
        let _ = Reflect::set(&o, &"name".into(), &self.cred.name().into());
        let _ = Reflect::set(&o, &"description".into(), &self.cred.description().into());
        let _ = Reflect::set(&o, &"serverUrl".into(), &self.cred.server_url().into());
        let _ = Reflect::set(&o, &"partnerUserId".into(), &self.cred.partner_user_id().into());
        o.into()
    }
}

/// Saved Expensify credentials in IndexedDB. Secrets are sealed with AES-GCM under a
/// non-extractable WebCrypto key kept in IndexedDB; `list` never returns a secret, and `get`
/// decrypts straight into WebAssembly memory.
#[wasm_bindgen]
pub struct ExpensifyCredentialStore(std::rc::Rc<crate::web::expensify::CredentialStore>);

#[wasm_bindgen]
impl ExpensifyCredentialStore {
    /// Opens the store (database `expensicat-auth` unless `name` is given).
    #[wasm_bindgen(unchecked_return_type = "Promise<ExpensifyCredentialStore>")]
    pub fn open(#[wasm_bindgen(unchecked_optional_param_type = "string")] name: Option<JsValue>) -> js_sys::Promise {
        let name = or_reject!(opt_string_arg(&name.unwrap_or(JsValue::UNDEFINED), "name"));
        wasm_bindgen_futures::future_to_promise(async move {
            let store = crate::web::expensify::CredentialStore::open(name.as_deref().unwrap_or("expensicat-auth"))
                .await
                .map_err(|e| js_error(&e))?;
            Ok(ExpensifyCredentialStore(std::rc::Rc::new(store)).into())
        })
    }

    /// Saves `credential` (encrypting its secret) and resolves to its new id.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn save(&self, #[wasm_bindgen(unchecked_param_type = "ExpensifyCredential")] credential: JsValue) -> js_sys::Promise {
        let Some(cred) = ExpensifyCredential::find(&credential) else {
            return js_sys::Promise::reject(&bad_arg("credential", "must be an ExpensifyCredential"));
        };
        let store = self.0.clone();
        wasm_bindgen_futures::future_to_promise(async move { store.save(&cred).await.map(JsValue::from).map_err(|e| js_error(&e)) })
    }

    /// Every stored credential's metadata, oldest first; unreadable records are listed as
    /// `{ id, error: "corrupt_record" }` after the others.
    #[wasm_bindgen(unchecked_return_type = "Promise<(StoredCredentialInfo | CorruptCredentialRecord)[]>")]
    pub fn list(&self) -> js_sys::Promise {
        let store = self.0.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let items = store.list().await.map_err(|e| js_error(&e))?;
            let out = js_sys::Array::new();
            for item in items {
                match item {
                    crate::web::expensify::Listed::Ok(info) => out.push(&to_js(&info.to_json())),
                    crate::web::expensify::Listed::Corrupt(id) => {
                        let o = Object::new();
                        let _ = Reflect::set(&o, &"id".into(), &id.into());
                        let _ = Reflect::set(&o, &"error".into(), &"corrupt_record".into());
                        out.push(&o)
                    }
                };
            }
            Ok(out.into())
        })
    }

    /// Loads a credential that can send jobs; rejects with `credential_not_found` or
    /// `corrupt_record`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ExpensifyCredential>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExpensifyOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let store = self.0.clone();
        let args = string_arg(&id, "id").and_then(|id| Ok((id, send_options(options.unwrap_or(JsValue::UNDEFINED))?)));
        wasm_bindgen_futures::future_to_promise(async move {
            let (id, opts) = args?;
            let (cred, info) = store.get(&id).await.map_err(|e| js_error(&e))?;
            Ok(ExpensifyCredential::wrap(cred, opts, Some(info.id)).into())
        })
    }

    /// Deletes a credential.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn delete(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        let id = or_reject!(string_arg(&id, "id"));
        let store = self.0.clone();
        wasm_bindgen_futures::future_to_promise(
            async move { store.delete(&id).await.map(|()| JsValue::UNDEFINED).map_err(|e| js_error(&e)) },
        )
    }
}

/// Reads an Integration Server answer: the `responseCode` in the body decides (200 success, 401
/// `invalid_credentials`, 410 `missing_or_not_found`, others `expensify_error`); HTTP 429 is
/// `rate_limited`; `expects` is `json` (default), `fileName` (`file` jobs) or `file` (`download`).
#[wasm_bindgen(js_name = parseExpensifyResponse, unchecked_return_type = "unknown")]
pub fn parse_expensify_response(
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "\"json\" | \"fileName\" | \"file\"")] expects: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    use crate::core::expensify::Expect;
    let status = int_arg(&status, "status", 599.0)? as u16;
    let body = string_arg(&body, "body")?;
    let body = body.as_str();
    let expects = opt_string_arg(&expects.unwrap_or(JsValue::UNDEFINED), "expects")?;
    let expects = match expects.as_deref() {
        None | Some("json") => Expect::Json,
        Some("fileName") => Expect::FileName,
        Some("file") => Expect::File,
        Some(_) => return Err(js_error(&Error::InvalidParameter { name: "expects".into(), reason: "must be json, fileName or file" })),
    };
    Ok(response_to_js(js(crate::core::expensify::parse_response(status, body, None, expects))?))
}

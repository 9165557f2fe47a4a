//! The sign-in entry point: `ExpensicatAuth` (login, callback, tokens, signed `fetch`) and the
//! low-level functions (PKCE, state, authorize URL, callback, token requests and responses,
//! signing).

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::*;
use crate::protocol::authorize::{build_authorize_url as core_build_authorize_url, AuthorizeParams};
use crate::protocol::callback::cleaned_address_bar;
use crate::protocol::callback::CallbackParams;
use crate::protocol::callback::{parse_callback as core_parse_callback, strip_response_params, ValidatedCallback as CoreValidated};
use crate::protocol::config::{ClientConfig, ClientConfigInput};
use crate::protocol::dpop::{self, PublicKey};
use crate::protocol::encoding::base64url;
use crate::protocol::error::Error;
use crate::protocol::json::{Fields, FromJson, Obj};
use crate::protocol::login::{start_login, LoginRequest, LOGIN_ENTROPY};
use crate::protocol::pkce::PkceVerifier;
use crate::protocol::retry::{next_step, Attempt, Step};
use crate::protocol::scope::{required_scope as core_required_scope, Scope};
use crate::protocol::secret::{AccessToken, RefreshToken};
use crate::protocol::session::api_error as core_api_error;
use crate::protocol::sign::api_url;
use crate::protocol::sign::{sign_as, Scheme};
use crate::protocol::token::{
    authorization_code_request, parse_token_answer, refresh_token_request as core_refresh_request, Revocable, TokenRequest, TokenSet,
};
use crate::protocol::transaction::LoginTransaction;
use crate::web::now_ms;
use crate::Secret;

/// A string result, passed to JS without an owned copy on the way out (wasm-bindgen's
/// `String` return shrinks each string into a boxed slice first).
fn text_out(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// A time argument, ms since the epoch.
pub(crate) fn time_arg(value: &JsValue, name: &'static str) -> Result<u64, JsValue> {
    int_arg(value, name, 9_007_199_254_740_991.0)
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], JsValue> {
    crate::web::random_bytes::<N>().map_err(|e| js_error(&e))
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("signin.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_SESSION_TYPES: &str = include_str!("session.d.ts");

/// Validates a JS `ClientConfig` (the strict reader: an unknown member such as `clientSecret` is
/// refused).
pub(crate) fn config_from_js(value: JsValue) -> Result<alloc::rc::Rc<ClientConfig>, JsValue> {
    let input = ClientConfigInput::from_json(&json_text(&value, "config")?).map_err(|e| shape_error(e, "config"))?;
    Ok(alloc::rc::Rc::new(js(ClientConfig::new(input))?))
}

/// Creates a PKCE pair from 32 CSPRNG bytes: a 43-character verifier and its S256 challenge.
#[wasm_bindgen(js_name = createPkce, unchecked_return_type = "Pkce")]
pub fn create_pkce() -> Result<JsValue, JsValue> {
    let verifier = js(PkceVerifier::from_random(&random_bytes::<32>()?))?;
    Ok(pkce(verifier.expose(), &verifier.challenge_s256()))
}

/// The S256 challenge of `verifier` (RFC 7636 section 4.2). Throws `invalid_verifier` for a
/// verifier of the wrong length or alphabet.
#[wasm_bindgen(js_name = codeChallengeS256, unchecked_return_type = "string")]
pub fn code_challenge_s256(#[wasm_bindgen(unchecked_param_type = "string")] verifier: JsValue) -> Result<JsValue, JsValue> {
    Ok(text_out(&js(PkceVerifier::parse(&string_arg(&verifier, "verifier")?))?.challenge_s256()))
}

/// A fresh `state` value: 32 CSPRNG bytes, base64url (43 characters, 256 bits).
#[wasm_bindgen(js_name = generateState, unchecked_return_type = "string")]
pub fn generate_state() -> Result<JsValue, JsValue> {
    Ok(text_out(&base64url(&random_bytes::<32>()?)))
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
    fn take_from(f: &mut Fields) -> Self {
        AuthorizeUrlInput {
            authorization_endpoint: f.string("authorizationEndpoint"),
            client_id: f.string("clientId").unwrap_or_default(),
            redirect_uri: f.string("redirectUri").unwrap_or_default(),
            scopes: f.strings("scopes").unwrap_or_default(),
            allow_custom_scopes: f.bool("allowCustomScopes").unwrap_or_default(),
            code_challenge: f.string("codeChallenge").unwrap_or_default(),
            state: f.string("state").unwrap_or_default(),
            extra_params: f.pairs("extraParams").unwrap_or_default(),
        }
    }
}

/// Builds the authorize URL with the seven Expensicat parameters (plus `extraParams`).
#[wasm_bindgen(js_name = buildAuthorizeUrl, unchecked_return_type = "string")]
pub fn build_authorize_url(#[wasm_bindgen(unchecked_param_type = "AuthorizeUrlParams")] params: JsValue) -> Result<JsValue, JsValue> {
    let p: AuthorizeUrlInput = from_js(&params, "params")?;
    let default_endpoint =
        crate::protocol::text::concat(&[crate::protocol::config::DEFAULT_ISSUER, crate::protocol::config::AUTHORIZE_PATH]);
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
    .map(|u| text_out(&u))
}

/// A started login: its `LoginStart`, or with PAR its `PushedLoginStart` when `push` allows it
/// (else `invalid_config`: that caller has no way to push).
fn create_login_with(config: &ClientConfig, options: Option<JsValue>, push: bool) -> Result<JsValue, JsValue> {
    if config.par_endpoint().is_some() && !push {
        return Err(js_error(&Error::InvalidConfig { field: "par", reason: "needs beginLogin (the URL comes from the push)" }));
    }
    let request: LoginRequest = from_js_or_default(options, "options")?;
    let start = js(start_login(config, &request, &random_bytes::<LOGIN_ENTROPY>()?, now_ms()))?;
    let tx = &start.transaction;
    let push = crate::protocol::par::par_request(config, &start).map_or(JsValue::UNDEFINED, http_request_out);
    Ok(login_start(&start.url, &push, tx.state(), tx.expires_at_ms() as f64, &tx.to_storage(), tx.jkt()))
}

use crate::web::js::{login_start, pkce, signed, signed_as_given, token_http};

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

    /// The app state the login was started with (`LoginOptions.appState`), or `undefined`.
    #[wasm_bindgen(getter, js_name = appState, unchecked_return_type = "unknown")]
    pub fn app_state(&self) -> JsValue {
        self.0.app_state().map_or(JsValue::UNDEFINED, to_js)
    }

    /// Never reveals the code or verifier.
    #[wasm_bindgen(js_name = toString, unchecked_return_type = "string")]
    pub fn to_js_string(&self) -> JsValue {
        text_out("ValidatedCallback { [redacted] }")
    }

    /// Never reveals the code or verifier.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "string")]
    pub fn to_json(&self) -> JsValue {
        text_out(crate::protocol::secret::REDACTED)
    }
}

fn parse_callback_with(config: &ClientConfig, callback_url: &JsValue, transaction: &JsValue) -> Result<ValidatedCallback, JsValue> {
    let (callback_url, transaction) = (string_arg(callback_url, "callbackUrl")?, string_arg(transaction, "transaction")?);
    let tx = js(LoginTransaction::from_storage_for(&transaction, config))?;
    Ok(ValidatedCallback(js(core_parse_callback(config, &callback_url, tx, now_ms()))?))
}

fn http_request_out(req: TokenRequest) -> JsValue {
    token_http(&req.url, req.content_type, req.body.expose())
}

fn token_request_with(config: &ClientConfig, callback: JsValue) -> Result<JsValue, JsValue> {
    // Takes the callback out of its JS object, which is unusable afterwards (one exchange).
    // `getPrototypeOf` first, caught: a Proxy whose trap throws must not throw in `instanceof`.
    let callback = js_sys::Reflect::get_prototype_of(&callback)
        .and_then(|_| <ValidatedCallback as wasm_bindgen::convert::TryFromJsValue>::try_from_js_value(callback))
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
    let now = optional(now_ms_opt, |v| time_arg(v, "nowMs"))?.unwrap_or_else(now_ms);
    token_response(&status, &body, now, None)
}

/// Reads the `status` and `body` arguments and validates them: as the answer to `config`'s own
/// token request when given, else within the default size limit.
fn token_response(status: &JsValue, body: &JsValue, now: u64, config: Option<&ClientConfig>) -> Result<JsValue, JsValue> {
    let status = int_arg(status, "status", 599.0)? as u16;
    let body = Secret::new(string_arg(body, "body")?);
    let parsed = match config {
        Some(c) => parse_token_answer(c, status, body.expose(), now, c.dpop()),
        None => crate::protocol::token::parse_token_response(status, body.expose(), now),
    };
    Ok(to_js(token_out(&js(parsed)?).expose()))
}

fn sign_request_with(
    config: &ClientConfig,
    token_js: &JsValue,
    method_js: &JsValue,
    url_js: &JsValue,
    dpop: bool,
) -> Result<JsValue, JsValue> {
    let token = AccessToken::new(string_arg(token_js, "token")?);
    let (method, url) = (string_arg(method_js, "method")?, string_arg(url_js, "url")?);
    let scheme = if dpop { Scheme::DPoP } else { Scheme::Bearer };
    let s = js(sign_as(config.api_base(), config.api_origin(), &token, &method, &url, scheme))?;
    // The usual case: the method as given. Then the result is made from the method and the
    // token the caller passed (the header is always the scheme's prefix and the token:
    // `sign_as`): two fewer strings decoded out of wasm memory, and no copy of the header there.
    if s.method == method {
        return Ok(signed_as_given(&s.url, method_js, scheme.prefix(), token_js));
    }
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
    /// returns the authorize URL and the serialised transaction for the caller to keep. With
    /// `par`, throws `invalid_config` (use `beginLogin`).
    #[wasm_bindgen(js_name = createLogin, unchecked_return_type = "LoginStart")]
    pub fn create_login(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        create_login_with(&self.0, options, false)
    }

    /// `createLogin` for every configuration: with `par` there is no URL yet, and the result is
    /// a `PushedLoginStart`, whose `push` is the pushed authorization request (RFC 9126) to POST
    /// first; `pushedAuthorizeUrl` makes the URL from its answer.
    #[wasm_bindgen(js_name = beginLogin, unchecked_return_type = "LoginStart | PushedLoginStart")]
    pub fn begin_login(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        create_login_with(&self.0, options, true)
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

    /// [`parseTokenResponse`] within the configured `maxTokenResponseBytes`, at `Date.now()`,
    /// for the answer to this client's own token request: a JSON request refused with
    /// `unsupported_grant_type` or `invalid_request` gets a message naming `tokenRequestEncoding`.
    /// With `dpop`, the tokens must be DPoP-bound (`token_type` `DPoP`, RFC 9449 section 5).
    #[wasm_bindgen(js_name = parseTokenResponse, unchecked_return_type = "TokenResponse")]
    pub fn parse_token_response(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
    ) -> Result<JsValue, JsValue> {
        token_response(&status, &body, now_ms(), Some(&self.0))
    }

    /// The revocation request (RFC 7009) for `token`, of kind `hint` (`refresh_token` or
    /// `access_token`), or `undefined` when no `revocationEndpoint` is configured. Revoke the
    /// refresh token first.
    #[wasm_bindgen(js_name = revocationRequest, unchecked_return_type = "HttpRequest | undefined")]
    pub fn revocation_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"refresh_token\" | \"access_token\"")] hint: JsValue,
    ) -> Result<JsValue, JsValue> {
        let token = Secret::new(string_arg(&token, "token")?);
        let request = match string_arg(&hint, "hint")?.as_str() {
            "refresh_token" => crate::protocol::token::revocation_request(&self.0, Revocable::Refresh(&RefreshToken::new(token.expose()))),
            "access_token" => crate::protocol::token::revocation_request(&self.0, Revocable::Access(&AccessToken::new(token.expose()))),
            _ => return Err(bad_arg("hint", "must be refresh_token or access_token")),
        };
        Ok(request.map_or(JsValue::UNDEFINED, http_request_out))
    }

    /// The `Authorization: Bearer` header for `method url` (a path below the API base, or an
    /// absolute URL on the API origin), or `Authorization: DPoP` for a token bound to the DPoP
    /// key of thumbprint `dpopKey` (its request needs a proof too). Throws `origin_not_allowed`
    /// for any other origin: no header is made.
    #[wasm_bindgen(js_name = signRequest, unchecked_return_type = "HttpRequest")]
    pub fn sign_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
        #[wasm_bindgen(js_name = dpopKey, unchecked_optional_param_type = "string")] dpop_key: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        sign_request_with(&self.0, &token, &method, &url, dpop_key.is_some_and(|k| !absent(&k)))
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
#[wasm_bindgen(js_name = stripCallbackParams, unchecked_return_type = "string")]
pub fn strip_callback_params(#[wasm_bindgen(unchecked_param_type = "string")] url: JsValue) -> Result<JsValue, JsValue> {
    Ok(text_out(&strip_response_params(&string_arg(&url, "url")?)))
}

// What the package's JavaScript session (js/session.js) asks the core. It keeps the tokens,
// timers and `fetch` calls; every decision is made here, by the functions the Rust session uses.

#[wasm_bindgen]
impl ExpensicatClient {
    /// The configuration's resolved settings (defaults applied) that a session reads.
    #[wasm_bindgen(getter, unchecked_return_type = "ClientSettings")]
    pub fn settings(&self) -> JsValue {
        let c = &self.0;
        to_js(
            &Obj::new()
                .str("clientId", c.client_id())
                .str("storage", c.storage().as_str())
                .u64("timeoutMs", c.timeout_ms())
                .u64("transactionTtlMs", c.transaction_ttl_ms())
                .u64("maxTokenResponseBytes", c.max_token_response_bytes() as u64)
                .u64("maxResponseBytes", c.max_response_bytes() as u64)
                .bool("shareAcrossTabs", c.share_across_tabs())
                .bool("dpop", c.dpop())
                .finish(),
        )
    }

    /// The `state` of a callback URL, after the checks that need no stored transaction (redirect
    /// URI, duplicated or fragment parameters): the key of its transaction.
    #[wasm_bindgen(js_name = callbackState, unchecked_return_type = "string")]
    pub fn callback_state(&self, #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue) -> Result<JsValue, JsValue> {
        let params = js(CallbackParams::parse(&self.0, &string_arg(&url, "url")?))?;
        js(params.state().map(text_out))
    }

    /// What the address bar should show instead of `href` when `href` is the redirect URI with
    /// response parameters; `undefined` when it should stay.
    #[wasm_bindgen(js_name = cleanedAddressBar, unchecked_return_type = "string | undefined")]
    pub fn cleaned_address_bar(&self, #[wasm_bindgen(unchecked_param_type = "string")] href: JsValue) -> Result<JsValue, JsValue> {
        Ok(cleaned_address_bar(&self.0, &string_arg(&href, "href")?).map_or(JsValue::UNDEFINED, |s| text_out(&s)))
    }

    /// Checks that `pathOrUrl` is on the API origin, before any token is read: throws
    /// `origin_not_allowed` (or `invalid_url`, `insecure_url`) otherwise.
    #[wasm_bindgen(js_name = checkApiUrl)]
    pub fn check_api_url(
        &self,
        #[wasm_bindgen(js_name = pathOrUrl, unchecked_param_type = "string")] path_or_url: JsValue,
    ) -> Result<(), JsValue> {
        js(api_url(self.0.api_base(), self.0.api_origin(), &string_arg(&path_or_url, "input")?).map(drop))
    }

    /// The next step after an API answer with `status` (and its `Retry-After`, read at `nowMs`,
    /// and its `WWW-Authenticate`, which turns a 403 with `Bearer error="invalid_token"` into a
    /// refused token like a 401):
    /// `{step: "return"}` hand it to the caller, `{step: "refresh"}` refresh and send again,
    /// `{step: "wait", ms}` wait and send again; throws `rate_limited`. `attempt` says what has
    /// been tried: `{replayable, canRefresh, refreshed, waited}` (the body can be sent again, the
    /// session can refresh, it already refreshed, it already waited).
    #[wasm_bindgen(js_name = nextStep, unchecked_return_type = "NextStep")]
    pub fn next_step(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
        #[wasm_bindgen(js_name = retryAfter, unchecked_param_type = "string | undefined")] retry_after: JsValue,
        #[wasm_bindgen(js_name = wwwAuthenticate, unchecked_param_type = "string | undefined")] www_authenticate: JsValue,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Attempt")] attempt: JsValue,
    ) -> Result<JsValue, JsValue> {
        let status = int_arg(&status, "status", 599.0)? as u16;
        let retry_after = opt_string_arg(&retry_after, "retryAfter")?;
        let www_authenticate = opt_string_arg(&www_authenticate, "wwwAuthenticate")?;
        let now = time_arg(&now_ms, "nowMs")?;
        let attempt: Attempt = from_js(&attempt, "attempt")?;
        let step = match next_step(status, retry_after.as_deref(), www_authenticate.as_deref(), now, self.0.max_retry_after_ms(), attempt) {
            Step::Return => Obj::new().str("step", "return"),
            Step::RefreshAndRetry => Obj::new().str("step", "refresh"),
            Step::NonceAndRetry => Obj::new().str("step", "nonce"),
            Step::WaitAndRetry { ms } => Obj::new().str("step", "wait").u64("ms", ms),
            Step::Fail(e) => return Err(js_error(&e)),
        };
        Ok(to_js(&step.finish()))
    }

    /// The typed error for an API answer that is not 2xx (as the free function `apiError`), for
    /// a call to `input`: a path below the API base or an absolute URL on the API origin.
    #[wasm_bindgen(js_name = apiError, unchecked_return_type = "ExpensicatAuthError")]
    // The JavaScript signature: one argument per value of the answer and the call, as `apiError`.
    #[allow(clippy::too_many_arguments)]
    pub fn api_error(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
        #[wasm_bindgen(js_name = retryAfter, unchecked_param_type = "string | undefined")] retry_after: JsValue,
        #[wasm_bindgen(js_name = wwwAuthenticate, unchecked_param_type = "string | undefined")] www_authenticate: JsValue,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
    ) -> Result<JsValue, JsValue> {
        let input = string_arg(&input, "input")?;
        let path = crate::protocol::sign::api_path(self.0.api_base(), &input);
        api_error(status, body, retry_after, www_authenticate, now_ms, method, JsValue::from_str(path))
    }
}

/// The session machine of one tab (`protocol::session_machine`), for the package's JavaScript
/// session (`ExpensicatAuth`), which performs its actions and feeds it events
/// (`protocol::session_wire` describes both). Made by `ExpensicatClient.sessionCore()`.
#[wasm_bindgen]
pub struct SessionCore(crate::protocol::session_machine::Machine, Vec<crate::protocol::session_machine::Action>);

/// Actions as a JS array (a refusal's error made here, as an `ExpensicatAuthError`).
fn actions_out(actions: Vec<crate::protocol::session_machine::Action>) -> JsValue {
    let out = js_sys::Array::new();
    for a in &actions {
        out.push(&match crate::protocol::session_wire::action_to_json(a) {
            // Zeroed once it is a JavaScript value: it may hold a token.
            Ok(text) => to_js(Secret::new(text).expose()),
            Err((id, e)) => {
                let o = to_js(&Obj::new().str("a", "settle").u64("id", id).finish());
                let _ = Reflect::set(&o, &"error".into(), &js_error(e));
                o
            }
        });
    }
    out.into()
}

#[wasm_bindgen]
impl SessionCore {
    /// The actions that start the session (ask the other tabs, read the shared record), once.
    #[wasm_bindgen(unchecked_return_type = "SessionCoreAction[]")]
    pub fn start(&mut self) -> JsValue {
        actions_out(core::mem::take(&mut self.1))
    }

    /// Feeds one event (`protocol::session_wire`) at `nowMs`; returns the actions to perform, in
    /// order. A malformed event (or a tab message this library would not send) does nothing.
    #[wasm_bindgen(unchecked_return_type = "SessionCoreAction[]")]
    pub fn handle(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SessionCoreEvent")] event: JsValue,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let now = time_arg(&now, "nowMs")?;
        let text = Secret::new(json_text(&event, "event")?);
        let nonce = u32::from_le_bytes(random_bytes::<4>()?);
        match js(crate::protocol::session_wire::event_from_json(text.expose(), nonce))? {
            Some(e) => Ok(actions_out(self.0.handle(now, e))),
            None => Ok(js_sys::Array::new().into()),
        }
    }

    /// Exchanges a validated callback's code (consumes it: one exchange per callback): call `id`
    /// settles with the session.
    #[wasm_bindgen(unchecked_return_type = "SessionCoreAction[]")]
    pub fn exchange(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ValidatedCallback")] callback: JsValue,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        use crate::protocol::session_machine::{Call, Event};
        let (id, now) = (time_arg(&id, "id")?, time_arg(&now, "nowMs")?);
        let callback = <ValidatedCallback as wasm_bindgen::convert::TryFromJsValue>::try_from_js_value(callback)
            .map_err(|_| bad_arg("callback", "must be a ValidatedCallback from parseCallback, not yet used"))?;
        let requested = callback.0.requested_scopes().to_vec();
        let request = authorization_code_request(self.0.config(), callback.0);
        let nonce = u32::from_le_bytes(random_bytes::<4>()?);
        Ok(actions_out(self.0.handle(now, Event::Call(id, Call::Exchange { request, requested, nonce }))))
    }

    /// What the app may see of the session (never a token), or `undefined`.
    #[wasm_bindgen(getter, unchecked_return_type = "SessionInfo | undefined")]
    pub fn session(&self) -> JsValue {
        self.0.info().map_or(JsValue::UNDEFINED, |i| to_js(&i.to_json()))
    }

    /// Whether the tab still waits to know if a session exists.
    #[wasm_bindgen(getter)]
    pub fn loading(&self) -> bool {
        self.0.is_loading()
    }

    /// The thumbprint of the DPoP key the session's tokens are bound to (its API calls are
    /// signed with it), or `undefined` for bearer tokens or no session.
    #[wasm_bindgen(getter, js_name = dpopKey, unchecked_return_type = "string | undefined")]
    pub fn dpop_key(&self) -> JsValue {
        self.0.tokens().and_then(|t| t.jkt()).map_or(JsValue::UNDEFINED, text_out)
    }
}

#[wasm_bindgen]
impl ExpensicatClient {
    /// A session machine for this configuration (one per `ExpensicatAuth`).
    #[wasm_bindgen(js_name = sessionCore)]
    pub fn session_core(&self) -> SessionCore {
        let (m, actions) = crate::protocol::session_machine::Machine::new(self.0.clone());
        SessionCore(m, actions)
    }
}

/// The typed error (not thrown) for an API answer that is not 2xx, from its status, body and
/// `Retry-After` and `WWW-Authenticate` headers: `unauthorized` (401, or 403 with
/// `Bearer error="invalid_token"`), `insufficient_scope` with the scope (403 whose challenge or
/// Expensicat error body says so), `rate_limited` with the delay, else `api_error` with the status.
#[wasm_bindgen(js_name = apiError, unchecked_return_type = "ExpensicatAuthError")]
pub fn api_error(
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
    #[wasm_bindgen(js_name = retryAfter, unchecked_param_type = "string | undefined")] retry_after: JsValue,
    #[wasm_bindgen(js_name = wwwAuthenticate, unchecked_param_type = "string | undefined")] www_authenticate: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
) -> Result<JsValue, JsValue> {
    let status = int_arg(&status, "status", 599.0)? as u16;
    let body = string_arg(&body, "body")?;
    let retry_after = opt_string_arg(&retry_after, "retryAfter")?;
    let www_authenticate = opt_string_arg(&www_authenticate, "wwwAuthenticate")?;
    let now = time_arg(&now_ms, "nowMs")?;
    let (method, path) = (string_arg(&method, "method")?, string_arg(&path, "path")?);
    Ok(js_error(&core_api_error(status, &body, retry_after.as_deref(), www_authenticate.as_deref(), now, &method, &path)))
}

/// The errors the JavaScript session raises itself, with the core's codes and messages:
/// `login_required`, `timeout`, `network`, `callback_already_handled`, `state_mismatch`,
/// `corrupt_record`;
/// `too_large`, `not_json` and `redirect` (`invalid_response` with `status`); `storage_read`,
/// `storage_write`, `no_storage`, `no_dpop` (`storage_unavailable`); and `invalid_parameter` for the
/// arguments `url`, `input`, `init`, `headers`, `listener`.
#[wasm_bindgen(js_name = sessionError, unchecked_return_type = "ExpensicatAuthError")]
pub fn session_error(
    #[wasm_bindgen(unchecked_param_type = "string")] what: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | undefined")] status: JsValue,
) -> Result<JsValue, JsValue> {
    let what = string_arg(&what, "what")?;
    let status = if absent(&status) { 0 } else { int_arg(&status, "status", 599.0)? as u16 };
    let arg = |name: &str, reason| Error::InvalidParameter { name: name.into(), reason };
    Ok(js_error(&match what.as_str() {
        "login_required" => Error::LoginRequired,
        "timeout" => Error::Timeout,
        "network" => Error::Network,
        "callback_already_handled" => Error::CallbackAlreadyHandled,
        "state_mismatch" => Error::StateMismatch,
        "corrupt_record" => Error::CorruptRecord,
        "too_large" => Error::body_too_large(status),
        "not_json" => Error::not_json(status),
        "redirect" => Error::redirected(),
        "no_storage" => Error::Storage { reason: "sessionStorage is not available here" },
        "no_dpop" => Error::Storage { reason: "DPoP needs WebCrypto (ECDSA P-256) and IndexedDB, and the login's key" },
        "storage_read" => Error::Storage { reason: "sessionStorage refused a read" },
        "storage_write" => Error::Storage { reason: "sessionStorage refused a write (full?)" },
        "init" => arg("init", "must be a RequestInit object"),
        "headers" => arg("headers", "are not valid fetch headers"),
        "listener" => arg("listener", "must be a function"),
        "expiresAt" => arg("expiresAt", "must be a time in ms since the epoch"),
        name => arg(name, "must be a string"),
    }))
}

// DPoP (RFC 9449): the driver keeps the key pair (non-extractable) and signs; the core builds
// everything else.

/// What one DPoP proof is made of (`dpopSigningInput`'s argument).
struct ProofInput {
    jkt: String,
    x: String,
    y: String,
    method: String,
    url: String,
    now_ms: Option<u64>,
    access_token: Option<Secret>,
    nonce: Option<String>,
}

impl FromJson for ProofInput {
    fn take_from(f: &mut Fields) -> Self {
        let mut text = |k| f.string(k).unwrap_or_default();
        let (jkt, x, y, method, url) = (text("jkt"), text("x"), text("y"), text("method"), text("url"));
        ProofInput {
            jkt,
            x,
            y,
            method,
            url,
            now_ms: f.u64("nowMs"),
            access_token: f.string("accessToken").map(Secret::new),
            nonce: f.string("nonce"),
        }
    }
}

// Discovery (RFC 8414, OpenID Connect Discovery): `ExpensicatAuth.discover` and
// `ExpensicatClient.discover` (js/session.js) fetch the metadata; every decision is made here.

#[wasm_bindgen]
impl ExpensicatClient {
    /// Discovery in two steps, for `issuer` and `config` (a `ClientConfig` without the issuer
    /// and the endpoints). Without an answer, checks both before any request and returns the
    /// `DiscoveryPlan` `{urls, timeoutMs, maxBytes}`: the two addresses of the metadata in the
    /// order to try them (RFC 8414, then OpenID Connect), one deadline for the whole discovery
    /// and the largest body to read. With the answer (`status`, 0 when there was none, and
    /// `body`) to the request for `urls[attempt]`: the client configured by `config` with the
    /// metadata's issuer and endpoints (and `par` when the server requires it), or `undefined`
    /// to ask the next address. Throws `issuer_mismatch` when the metadata names another issuer,
    /// `invalid_response` (or `insecure_url`, `invalid_url` naming the member) for a document
    /// the client cannot use, `network` when no address answered.
    #[wasm_bindgen(unchecked_return_type = "DiscoveryPlan | ExpensicatClient | undefined")]
    pub fn discovery(
        #[wasm_bindgen(unchecked_param_type = "string")] issuer: JsValue,
        #[wasm_bindgen(unchecked_param_type = "DiscoveryConfig")] config: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] attempt: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] status: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] body: JsValue,
    ) -> Result<JsValue, JsValue> {
        use crate::protocol::discovery::{discovery_plan, read_metadata, MetadataAnswer};
        let issuer = string_arg(&issuer, "issuer")?;
        let config = json_text(&config, "config")?;
        if absent(&attempt) {
            let plan = js(discovery_plan(&issuer, &config))?;
            let urls: [String; 2] = plan.urls;
            return Ok(to_js(
                &Obj::new().strs("urls", &urls).u64("timeoutMs", plan.timeout_ms).u64("maxBytes", plan.max_bytes as u64).finish(),
            ));
        }
        let attempt = int_arg(&attempt, "attempt", 1.0)? as usize;
        let status = int_arg(&status, "status", 599.0)? as u16;
        let body = string_arg(&body, "body")?;
        Ok(match js(read_metadata(&issuer, &config, attempt, status, &body))? {
            MetadataAnswer::TryNext => JsValue::UNDEFINED,
            MetadataAnswer::Found(c) => ExpensicatClient(alloc::rc::Rc::new(c)).into(),
        })
    }
}

#[wasm_bindgen]
impl ExpensicatClient {
    /// The signing input of a DPoP proof (RFC 9449 section 4) for `{method, url}` at `nowMs`,
    /// by the key `{x, y}` (its public JWK's coordinates) of thumbprint `jkt` (another key is
    /// refused), with `ath` for `accessToken` (a resource request) and the server's `nonce`
    /// (left out unless it is one). Sign it with the private key (ECDSA P-256, SHA-256): the
    /// proof is the signing input, `.`, and the signature in base64url.
    #[wasm_bindgen(js_name = dpopSigningInput, unchecked_return_type = "string")]
    pub fn dpop_signing_input(&self, #[wasm_bindgen(unchecked_param_type = "DpopProofInput")] proof: JsValue) -> Result<JsValue, JsValue> {
        let p: ProofInput = from_js(&proof, "proof")?;
        let key = js(PublicKey::new(&p.x, &p.y))?;
        let Some(now_ms) = p.now_ms.filter(|_| key.thumbprint() == p.jkt) else {
            return Err(bad_arg("proof", "needs nowMs and the key of thumbprint jkt"));
        };
        let claims = dpop::Claims {
            method: &p.method,
            url: &p.url,
            now_ms,
            access_token: p.access_token.as_ref().map(Secret::expose),
            nonce: p.nonce.as_deref(),
        };
        Ok(text_out(&dpop::signing_input(&key, &claims, &random_bytes::<{ dpop::JTI_ENTROPY }>()?)))
    }

    /// Validates the answer to a `PushedLoginStart`'s `push` (RFC 9126: 201 with `request_uri`
    /// and `expires_in`; an RFC 6749 error body is that error) at `Date.now()`, and returns
    /// `{url, expiresAt}`: the authorize URL with `client_id` and `request_uri` only, to open
    /// before `expiresAt` (ms since the epoch), when the `request_uri` expires.
    #[wasm_bindgen(js_name = pushedAuthorizeUrl, unchecked_return_type = "PushedAuthorization")]
    pub fn pushed_authorize_url(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
    ) -> Result<JsValue, JsValue> {
        let status = int_arg(&status, "status", 599.0)? as u16;
        let body = string_arg(&body, "body")?;
        let p = js(crate::protocol::par::parse_par_response(&self.0, status, &body, now_ms()))?;
        Ok(to_js(&Obj::new().str("url", &p.url).u64("expiresAt", p.expires_at_ms).finish()))
    }
}

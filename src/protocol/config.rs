//! Validated client configuration: who the client is, where the Expensicat endpoints are, and
//! the knobs of the login flow. Validation happens once, here, so every later step can rely on
//! HTTPS endpoints, a well-formed redirect URI and known scopes.

#[allow(unused_imports)]
use crate::prelude::*;

use super::authorize::{authorize_prefix, check_client_id, RESERVED_AUTHORIZE_PARAMS};
use super::endpoint::parse_endpoint;
use super::error::{Error, Result};
use super::json::{Fields, FromJson};
use super::scope::normalize_scopes;
use super::text::concat;
use super::url::Url;

/// Expensicat's issuer and API host, from the authentication guide.
pub const DEFAULT_ISSUER: &str = "https://api.expensicat.com";
/// The authorize path below the issuer.
pub const AUTHORIZE_PATH: &str = "/api/auth/oauth2/authorize";
/// The token path below the issuer.
pub const TOKEN_PATH: &str = "/api/auth/oauth2/token";
/// The API base path below the issuer; resources live under `/v1`.
pub const API_PATH: &str = "/api";
/// Default time to live of a login transaction: 10 minutes.
pub const DEFAULT_TRANSACTION_TTL_MS: u64 = 10 * 60 * 1000;
/// Default clock skew: a token is refreshed when it expires within 30 seconds.
pub const DEFAULT_CLOCK_SKEW_MS: u64 = 30 * 1000;
/// Default timeout of every network call: 15 seconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 15 * 1000;

/// The default largest token response read, in bytes; the read stops there.
pub const MAX_TOKEN_RESPONSE: usize = 64 * 1024;

/// The default largest API body `fetchJson` reads: 1 MiB.
pub const DEFAULT_MAX_RESPONSE: usize = 1024 * 1024;

/// The origin of Expensicat's production token endpoint: the one server whose token requests
/// are JSON by default (see [`TokenEncoding`]).
pub const EXPENSICAT_ORIGIN: &str = "https://api.expensicat.com";

/// How token requests (code exchange and refresh) are encoded. Revocation requests are always
/// forms (RFC 7009 section 2.1).
///
/// Without a `tokenRequestEncoding` setting, the server decides: a token endpoint on
/// [`EXPENSICAT_ORIGIN`] (`https://api.expensicat.com`, any path) gets the JSON body the
/// Expensicat guide documents; any other token endpoint (another server, a proxy, the local
/// emulator) gets the form RFC 6749 section 4.1.3 requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEncoding {
    /// A JSON body, as the Expensicat guide documents (the default for Expensicat's own server).
    Json,
    /// `application/x-www-form-urlencoded`, as RFC 6749 section 4.1.3 specifies (the default for
    /// any other server).
    Form,
}

/// Where the session keeps its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageMode {
    /// In memory only (the default): a reload signs the user out.
    #[default]
    Memory,
    /// `sessionStorage`, by explicit opt-in: survives reloads in the same tab.
    SessionStorage,
    /// IndexedDB, sealed with AES-GCM under a non-extractable key, by explicit opt-in: survives
    /// reloads and browser restarts. Carried out by the package's JavaScript session; the Rust
    /// session keeps such a session in memory.
    IndexedDb,
}

impl StorageMode {
    /// The name in the JavaScript configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageMode::Memory => "memory",
            StorageMode::SessionStorage => "sessionStorage",
            StorageMode::IndexedDb => "indexedDB",
        }
    }
}

/// The configuration as a caller writes it (JavaScript object or Rust struct); see
/// [`ClientConfig::new`] for the defaults and checks.
#[derive(Debug, Clone, Default)]
pub struct ClientConfigInput {
    /// The registered client ID. Required.
    pub client_id: String,
    /// The registered redirect URI. Required; HTTPS (loopback HTTP allowed), no fragment.
    pub redirect_uri: String,
    /// The scopes to request by default.
    pub scopes: Vec<String>,
    /// The issuer identifier (RFC 9207), kept exactly as written, and base of the default
    /// endpoints.
    pub issuer: Option<String>,
    /// Override of the authorize endpoint.
    pub authorization_endpoint: Option<String>,
    /// Override of the token endpoint.
    pub token_endpoint: Option<String>,
    /// The token revocation endpoint (RFC 7009), if the server has one: logout then revokes the
    /// refresh token and the access token. No default.
    pub revocation_endpoint: Option<String>,
    /// Override of the API base URL (bearer tokens go only to its origin).
    pub api_base_url: Option<String>,
    /// JSON or form-encoded token requests; `None` lets the server decide (see [`TokenEncoding`]).
    pub token_request_encoding: Option<TokenEncoding>,
    /// Accept scopes other than the 13 Expensicat ones.
    pub allow_custom_scopes: bool,
    /// Require RFC 9207 `iss` on every callback (it is always checked when present).
    pub require_issuer: bool,
    /// Login transaction lifetime in milliseconds (default 10 minutes).
    pub transaction_ttl_ms: Option<u64>,
    /// Refresh tokens that expire within this many milliseconds (default 30 s).
    pub clock_skew_ms: Option<u64>,
    /// Timeout of each network call in milliseconds (default 15 s).
    pub timeout_ms: Option<u64>,
    /// Longest `Retry-After` (ms) the session waits on a 429 before giving up (default 10 s).
    pub max_retry_after_ms: Option<u64>,
    /// Where tokens live (memory by default).
    pub storage: StorageMode,
    /// Largest token response parsed, in bytes (default 64 KiB); larger ones are refused unread.
    pub max_token_response_bytes: Option<u64>,
    /// Largest API body `fetchJson` reads, in bytes (default 1 MiB); the read stops there.
    pub max_response_bytes: Option<u64>,
    /// Whether the tabs of one origin share one session (default `true`): one refresh at a time
    /// between them, login and logout reaching all. Carried out by the JavaScript session.
    pub share_across_tabs: Option<bool>,
    /// Sender-constrained tokens (DPoP, RFC 9449): every token request and API call carries a
    /// proof signed with the login's key, and a token response must be of type `DPoP`.
    pub dpop: bool,
    /// The pushed authorization request endpoint (RFC 9126), if the server has one.
    pub pushed_authorization_request_endpoint: Option<String>,
    /// Push the authorize parameters to that endpoint first and send the browser to the authorize
    /// endpoint with `client_id` and `request_uri` only (RFC 9126). Needs
    /// `pushed_authorization_request_endpoint`.
    pub par: bool,
}

impl FromJson for ClientConfigInput {
    /// Reads the camelCase keys of the JavaScript `ClientConfig` (see the TypeScript types).
    fn take_from(f: &mut Fields) -> Self {
        ClientConfigInput {
            client_id: f.string("clientId").unwrap_or_default(),
            redirect_uri: f.string("redirectUri").unwrap_or_default(),
            scopes: f.strings("scopes").unwrap_or_default(),
            issuer: f.string("issuer"),
            authorization_endpoint: f.string("authorizationEndpoint"),
            token_endpoint: f.string("tokenEndpoint"),
            revocation_endpoint: f.string("revocationEndpoint"),
            api_base_url: f.string("apiBaseUrl"),
            token_request_encoding: f.one_of("tokenRequestEncoding", &[("json", TokenEncoding::Json), ("form", TokenEncoding::Form)]),
            allow_custom_scopes: f.bool("allowCustomScopes").unwrap_or_default(),
            require_issuer: f.bool("requireIssuer").unwrap_or_default(),
            transaction_ttl_ms: f.u64("transactionTtlMs"),
            clock_skew_ms: f.u64("clockSkewMs"),
            timeout_ms: f.u64("timeoutMs"),
            max_retry_after_ms: f.u64("maxRetryAfterMs"),
            storage: f
                .one_of(
                    "storage",
                    &[
                        ("memory", StorageMode::Memory),
                        ("sessionStorage", StorageMode::SessionStorage),
                        ("indexedDB", StorageMode::IndexedDb),
                    ],
                )
                .unwrap_or_default(),
            max_token_response_bytes: f.u64("maxTokenResponseBytes"),
            max_response_bytes: f.u64("maxResponseBytes"),
            share_across_tabs: f.bool("shareAcrossTabs"),
            dpop: f.bool("dpop").unwrap_or_default(),
            pushed_authorization_request_endpoint: f.string("pushedAuthorizationRequestEndpoint"),
            par: f.bool("par").unwrap_or_default(),
        }
    }
}

/// A checked configuration. Build it with [`ClientConfig::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) redirect: Url,
    pub(crate) scopes: Vec<String>,
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: String,
    /// The start of every authorize URL (see [`super::authorize::authorize_prefix`]).
    pub(crate) authorize_prefix: String,
    pub(crate) token_endpoint: String,
    pub(crate) revocation_endpoint: Option<String>,
    pub(crate) api_base: String,
    pub(crate) api_origin: String,
    pub(crate) token_encoding: TokenEncoding,
    pub(crate) allow_custom_scopes: bool,
    pub(crate) require_issuer: bool,
    pub(crate) transaction_ttl_ms: u64,
    pub(crate) clock_skew_ms: u64,
    pub(crate) timeout_ms: u64,
    pub(crate) max_retry_after_ms: u64,
    pub(crate) storage: StorageMode,
    pub(crate) max_token_response_bytes: usize,
    pub(crate) max_response_bytes: usize,
    pub(crate) share_across_tabs: bool,
    pub(crate) dpop: bool,
    /// The PAR endpoint when logins push their parameters first (RFC 9126), else `None`.
    pub(crate) par_endpoint: Option<String>,
}

impl ClientConfig {
    /// Validates `input` and fills in the defaults: issuer `https://api.expensicat.com`,
    /// endpoints `{issuer}/api/auth/oauth2/authorize` and `{issuer}/api/auth/oauth2/token`, API
    /// base `{issuer}/api`, token requests in JSON for Expensicat's token endpoint and as forms
    /// for any other (see [`TokenEncoding`]), 10 minute transactions, 30 s skew, 15 s timeouts.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`], [`Error::InvalidUrl`], [`Error::InsecureUrl`] or
    /// [`Error::InvalidScope`] naming the first bad setting: the client ID, then the numeric
    /// limits, then the URLs and the scopes.
    pub fn new(input: ClientConfigInput) -> Result<Self> {
        check_client_id(&input.client_id)?;
        // The number checks first: an early return before any URL is parsed has nothing to drop.
        let ttl = input.transaction_ttl_ms.unwrap_or(DEFAULT_TRANSACTION_TTL_MS);
        if ttl == 0 || ttl > 60 * 60 * 1000 {
            return Err(Error::InvalidConfig { field: "transactionTtlMs", reason: "must be between 1 ms and 1 hour" });
        }
        let timeout_ms = input.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if timeout_ms == 0 || timeout_ms > 10 * 60 * 1000 {
            return Err(Error::InvalidConfig { field: "timeoutMs", reason: "must be between 1 ms and 10 minutes" });
        }
        let clock_skew_ms = input.clock_skew_ms.unwrap_or(DEFAULT_CLOCK_SKEW_MS);
        if clock_skew_ms > 60 * 60 * 1000 {
            return Err(Error::InvalidConfig { field: "clockSkewMs", reason: "must be at most 1 hour" });
        }
        let max_token_response_bytes = match input.max_token_response_bytes {
            None => MAX_TOKEN_RESPONSE,
            Some(n) if (256..=16 * 1024 * 1024).contains(&n) => n as usize,
            Some(_) => return Err(Error::InvalidConfig { field: "maxTokenResponseBytes", reason: "must be between 256 B and 16 MiB" }),
        };
        let max_response_bytes = match input.max_response_bytes {
            None => DEFAULT_MAX_RESPONSE,
            Some(n) if (256..=64 * 1024 * 1024).contains(&n) => n as usize,
            Some(_) => return Err(Error::InvalidConfig { field: "maxResponseBytes", reason: "must be between 256 B and 64 MiB" }),
        };
        if input.redirect_uri.is_empty() {
            return Err(Error::InvalidConfig { field: "redirectUri", reason: "is required" });
        }
        let redirect = parse_endpoint(&input.redirect_uri, "redirectUri", &RESERVED_AUTHORIZE_PARAMS)?;
        let issuer_url = parse_endpoint(input.issuer.as_deref().unwrap_or(DEFAULT_ISSUER), "issuer", &RESERVED_AUTHORIZE_PARAMS)?;
        if issuer_url.query().is_some() {
            return Err(Error::InvalidUrl { field: "issuer", reason: "must not have a query (RFC 9207)" });
        }
        // The issuer identifier stays exactly as configured: RFC 9207 section 2.4 compares `iss`
        // with it as a plain string, so `https://as.example/` must stay `https://as.example/`.
        // Only the default endpoints are derived from its base (no trailing slash).
        let issuer = input.issuer.unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
        let base = issuer_url.base();
        let authorization_endpoint = match &input.authorization_endpoint {
            Some(e) => e.clone(),
            None => concat(&[&*base, AUTHORIZE_PATH]),
        };
        let authorize_prefix =
            authorize_prefix(&parse_endpoint(&authorization_endpoint, "authorizationEndpoint", &RESERVED_AUTHORIZE_PARAMS)?);
        let (token_endpoint, token_origin) = match &input.token_endpoint {
            Some(e) => (e.clone(), parse_endpoint(e, "tokenEndpoint", &RESERVED_AUTHORIZE_PARAMS)?.origin()),
            None => (concat(&[&*base, TOKEN_PATH]), issuer_url.origin()),
        };
        let token_encoding = input.token_request_encoding.unwrap_or(if token_origin == EXPENSICAT_ORIGIN {
            TokenEncoding::Json
        } else {
            TokenEncoding::Form
        });
        if let Some(e) = &input.revocation_endpoint {
            parse_endpoint(e, "revocationEndpoint", &RESERVED_AUTHORIZE_PARAMS)?;
        }
        if let Some(e) = &input.pushed_authorization_request_endpoint {
            parse_endpoint(e, "pushedAuthorizationRequestEndpoint", &RESERVED_AUTHORIZE_PARAMS)?;
        }
        let par_endpoint = match (input.par, input.pushed_authorization_request_endpoint) {
            (false, _) => None,
            (true, Some(e)) => Some(e),
            (true, None) => return Err(Error::InvalidConfig { field: "par", reason: "needs pushedAuthorizationRequestEndpoint" }),
        };
        let (api_base, api_origin) = match &input.api_base_url {
            Some(e) => {
                let u = parse_endpoint(e, "apiBaseUrl", &RESERVED_AUTHORIZE_PARAMS)?;
                if u.query().is_some() {
                    return Err(Error::InvalidUrl { field: "apiBaseUrl", reason: "must not have a query" });
                }
                (u.base(), u.origin())
            }
            None => (concat(&[&*base, API_PATH]), issuer_url.origin()),
        };
        let share_across_tabs = input.share_across_tabs.unwrap_or(true);
        if input.storage != StorageMode::Memory && !share_across_tabs {
            // A stored session is read back by every tab that opens (and copied by "Duplicate
            // tab"): tabs that do not coordinate would each send its refresh token.
            return Err(Error::InvalidConfig { field: "shareAcrossTabs", reason: "must be true with sessionStorage or indexedDB storage" });
        }
        let scopes = if input.scopes.is_empty() { Vec::new() } else { normalize_scopes(&input.scopes, input.allow_custom_scopes)? };
        Ok(Self {
            client_id: input.client_id,
            redirect_uri: input.redirect_uri,
            redirect,
            scopes,
            issuer,
            authorization_endpoint,
            authorize_prefix,
            token_endpoint,
            revocation_endpoint: input.revocation_endpoint,
            api_base,
            api_origin,
            token_encoding,
            allow_custom_scopes: input.allow_custom_scopes,
            require_issuer: input.require_issuer,
            transaction_ttl_ms: ttl,
            clock_skew_ms,
            timeout_ms,
            max_retry_after_ms: input.max_retry_after_ms.unwrap_or(10_000).min(10 * 60 * 1000),
            share_across_tabs,
            storage: input.storage,
            max_token_response_bytes,
            max_response_bytes,
            dpop: input.dpop,
            par_endpoint,
        })
    }

    /// The configuration with `shareAcrossTabs` set without the checks of [`ClientConfig::new`]:
    /// for the session simulation's deliberately broken configurations only.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn unchecked_share_across_tabs(mut self, share: bool) -> Self {
        self.share_across_tabs = share;
        self
    }

    /// The client ID.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The redirect URI exactly as configured (sent verbatim in both requests).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
    /// The default scopes (may be empty; a login then has to name its scopes).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
    /// The issuer identifier expected in `iss`, exactly as configured (a trailing slash or a
    /// path included): `iss` is compared with it as a plain string (RFC 9207 section 2.4).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The authorize endpoint.
    pub fn authorization_endpoint(&self) -> &str {
        &self.authorization_endpoint
    }
    /// The token endpoint.
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The revocation endpoint (RFC 7009), when configured.
    pub fn revocation_endpoint(&self) -> Option<&str> {
        self.revocation_endpoint.as_deref()
    }
    /// The API base URL (no trailing slash), e.g. `https://api.expensicat.com/api`.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }
    /// The only origin bearer tokens are sent to.
    pub fn api_origin(&self) -> &str {
        &self.api_origin
    }
    /// How token requests are encoded.
    pub fn token_encoding(&self) -> TokenEncoding {
        self.token_encoding
    }
    /// Whether scopes outside the Expensicat 13 are allowed.
    pub fn allow_custom_scopes(&self) -> bool {
        self.allow_custom_scopes
    }
    /// Login transaction lifetime.
    pub fn transaction_ttl_ms(&self) -> u64 {
        self.transaction_ttl_ms
    }
    /// Refresh margin before expiry.
    pub fn clock_skew_ms(&self) -> u64 {
        self.clock_skew_ms
    }
    /// Timeout of each network call.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }
    /// Longest `Retry-After` the session will wait.
    pub fn max_retry_after_ms(&self) -> u64 {
        self.max_retry_after_ms
    }
    /// Whether the tabs of one origin share one session.
    pub fn share_across_tabs(&self) -> bool {
        self.share_across_tabs
    }

    /// Whether tokens are sender-constrained with DPoP (RFC 9449).
    pub fn dpop(&self) -> bool {
        self.dpop
    }

    /// Where the session keeps its tokens.
    pub fn storage(&self) -> StorageMode {
        self.storage
    }
    /// Largest token response parsed, in bytes.
    pub fn max_token_response_bytes(&self) -> usize {
        self.max_token_response_bytes
    }
    /// Largest API body `fetchJson` reads, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }
    /// The pushed authorization request endpoint when logins use it (`par`), else `None`.
    pub fn par_endpoint(&self) -> Option<&str> {
        self.par_endpoint.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::ShapeError;
    use crate::test_support::{config, input};

    #[test]
    fn defaults_follow_the_documentation() {
        let c = config();
        assert_eq!(c.issuer(), "https://api.expensicat.com");
        assert_eq!(c.authorization_endpoint(), "https://api.expensicat.com/api/auth/oauth2/authorize");
        assert_eq!(c.token_endpoint(), "https://api.expensicat.com/api/auth/oauth2/token");
        assert_eq!(c.api_base(), "https://api.expensicat.com/api");
        assert_eq!(c.api_origin(), "https://api.expensicat.com");
        assert_eq!(c.token_encoding(), TokenEncoding::Json);
        assert_eq!(c.transaction_ttl_ms(), 600_000);
        assert_eq!(c.clock_skew_ms(), 30_000);
        assert_eq!(c.timeout_ms(), 15_000);
        assert_eq!(c.storage(), StorageMode::Memory);
        assert!(c.share_across_tabs());
        assert_eq!(c.scopes(), ["transactions:read"]);
    }

    #[test]
    fn the_first_bad_setting_is_named_in_the_documented_order() {
        let field = |i: ClientConfigInput| match ClientConfig::new(i) {
            Err(Error::InvalidConfig { field, .. } | Error::InvalidUrl { field, .. } | Error::InsecureUrl { field }) => field,
            other => panic!("{other:?}"),
        };
        let bad_urls = || ClientConfigInput { redirect_uri: "http://evil.example/cb".into(), issuer: Some("not a url".into()), ..input() };
        assert_eq!(field(ClientConfigInput { client_id: String::new(), timeout_ms: Some(0), ..bad_urls() }), "clientId");
        assert_eq!(field(ClientConfigInput { timeout_ms: Some(0), max_response_bytes: Some(1), ..bad_urls() }), "timeoutMs");
        assert_eq!(field(ClientConfigInput { max_response_bytes: Some(1), ..bad_urls() }), "maxResponseBytes");
        assert_eq!(field(bad_urls()), "redirectUri");
    }

    #[test]
    fn loopback_issuer_derives_every_endpoint() {
        let c = ClientConfig::new(ClientConfigInput {
            issuer: Some("http://127.0.0.1:4000/".into()),
            redirect_uri: "http://127.0.0.1:8080/callback".into(),
            ..input()
        })
        .unwrap();
        assert_eq!(c.issuer(), "http://127.0.0.1:4000/");
        assert_eq!(c.token_endpoint(), "http://127.0.0.1:4000/api/auth/oauth2/token");
        assert_eq!(c.api_origin(), "http://127.0.0.1:4000");
    }

    /// RFC 6749 section 4.1.3 wants a form; only Expensicat's own token endpoint gets the JSON
    /// its guide documents, and an explicit setting always wins.
    #[test]
    fn token_encoding_follows_the_server_unless_set() {
        let encoding = |issuer: Option<&str>, token_endpoint: Option<&str>, set: Option<TokenEncoding>| {
            let i = ClientConfigInput {
                issuer: issuer.map(Into::into),
                token_endpoint: token_endpoint.map(Into::into),
                token_request_encoding: set,
                ..input()
            };
            ClientConfig::new(i).unwrap().token_encoding()
        };
        use TokenEncoding::{Form, Json};
        assert_eq!(encoding(None, None, None), Json);
        assert_eq!(encoding(Some("https://api.expensicat.com"), None, None), Json);
        assert_eq!(encoding(Some("https://API.Expensicat.com:443/"), None, None), Json);
        assert_eq!(encoding(None, Some("https://api.expensicat.com/oauth/token"), None), Json);
        assert_eq!(encoding(Some("https://as.example"), None, None), Form);
        assert_eq!(encoding(Some("https://as.example/"), None, None), Form);
        assert_eq!(encoding(Some("http://127.0.0.1:4000"), None, None), Form);
        assert_eq!(encoding(None, Some("https://proxy.example/token"), None), Form);
        assert_eq!(encoding(Some("https://as.example"), Some("https://api.expensicat.com/api/auth/oauth2/token"), None), Json);
        assert_eq!(encoding(None, Some("https://api.expensicat.com:8443/token"), None), Form);
        assert_eq!(encoding(None, Some("https://api.expensicat.com.evil.example/token"), None), Form);
        assert_eq!(encoding(None, Some("https://staging.api.expensicat.com/token"), None), Form);
        assert_eq!(encoding(None, None, Some(Form)), Form);
        assert_eq!(encoding(Some("https://as.example"), None, Some(Json)), Json);
        let from_json = |j: &str| ClientConfig::new(ClientConfigInput::from_json(j).unwrap()).unwrap().token_encoding();
        assert_eq!(from_json(r#"{"clientId":"c","redirectUri":"https://a.example/cb","issuer":"https://as.example"}"#), Form);
        assert_eq!(
            from_json(
                r#"{"clientId":"c","redirectUri":"https://a.example/cb","issuer":"https://as.example","tokenRequestEncoding":"json"}"#
            ),
            Json
        );
        assert_eq!(from_json(r#"{"clientId":"c","redirectUri":"https://a.example/cb","tokenRequestEncoding":"form"}"#), Form);
    }

    #[test]
    fn config_from_json_is_strict() {
        let ok = ClientConfigInput::from_json(
            r#"{"clientId":"c","redirectUri":"https://a.example/cb","tokenRequestEncoding":"form","storage":"sessionStorage","issuer":null}"#,
        )
        .unwrap();
        let c = ClientConfig::new(ok).unwrap();
        assert_eq!(c.token_encoding(), TokenEncoding::Form);
        assert_eq!(c.storage(), StorageMode::SessionStorage);
        let parse = ClientConfigInput::from_json;
        assert_eq!(parse(r#"{"clientId":"c","redirectUri":"x","clientSecret":"s"}"#).unwrap_err(), ShapeError::UnknownKey);
        assert_eq!(parse(r#"{"clientId":"c","redirectUri":"x","storage":"localStorage"}"#).unwrap_err(), ShapeError::WrongType("storage"));
        assert_eq!(parse(r#"{"clientId":"c","redirectUri":"x","timeoutMs":1.5}"#).unwrap_err(), ShapeError::WrongType("timeoutMs"));
        assert_eq!(parse(r#"{"clientId":"c","redirectUri":"x","scopes":"team:read"}"#).unwrap_err(), ShapeError::WrongType("scopes"));
        assert_eq!(parse(r#"{"clientId":"c","clientId":"d"}"#).unwrap_err(), ShapeError::NotAnObject);
    }

    #[test]
    fn rejects_bad_settings() {
        let cases: Vec<(ClientConfigInput, &str)> = vec![
            (ClientConfigInput { client_id: String::new(), ..input() }, "invalid_config"),
            (ClientConfigInput { client_id: "a\nb".into(), ..input() }, "invalid_config"),
            (ClientConfigInput { redirect_uri: String::new(), ..input() }, "invalid_config"),
            (ClientConfigInput { redirect_uri: "http://app.example/cb".into(), ..input() }, "insecure_url"),
            (ClientConfigInput { redirect_uri: "https://app.example/cb#x".into(), ..input() }, "invalid_url"),
            (ClientConfigInput { redirect_uri: "https://app.example/cb?state=x".into(), ..input() }, "invalid_url"),
            (ClientConfigInput { redirect_uri: "/callback".into(), ..input() }, "invalid_url"),
            (ClientConfigInput { issuer: Some("http://evil.example".into()), ..input() }, "insecure_url"),
            (ClientConfigInput { issuer: Some("https://a.example?x=1".into()), ..input() }, "invalid_url"),
            (ClientConfigInput { token_endpoint: Some("http://a.example/t".into()), ..input() }, "insecure_url"),
            (ClientConfigInput { revocation_endpoint: Some("http://a.example/r".into()), ..input() }, "insecure_url"),
            (ClientConfigInput { revocation_endpoint: Some("https://a.example/r#x".into()), ..input() }, "invalid_url"),
            (ClientConfigInput { authorization_endpoint: Some("https://a.example/a?client_id=evil".into()), ..input() }, "invalid_url"),
            (ClientConfigInput { api_base_url: Some("https://a.example/api?x".into()), ..input() }, "invalid_url"),
            (ClientConfigInput { scopes: vec!["root".into()], ..input() }, "invalid_scope"),
            (ClientConfigInput { transaction_ttl_ms: Some(0), ..input() }, "invalid_config"),
            (ClientConfigInput { timeout_ms: Some(0), ..input() }, "invalid_config"),
            (ClientConfigInput { clock_skew_ms: Some(u64::MAX), ..input() }, "invalid_config"),
            (ClientConfigInput { max_token_response_bytes: Some(10), ..input() }, "invalid_config"),
            (ClientConfigInput { max_response_bytes: Some(10), ..input() }, "invalid_config"),
            (ClientConfigInput { max_response_bytes: Some(65 * 1024 * 1024), ..input() }, "invalid_config"),
            (ClientConfigInput { par: true, ..input() }, "invalid_config"),
            (ClientConfigInput { pushed_authorization_request_endpoint: Some("http://a.example/par".into()), ..input() }, "insecure_url"),
        ];
        for (bad, code) in cases {
            let dbg = format!("{bad:?}");
            assert_eq!(ClientConfig::new(bad).unwrap_err().code(), code, "{dbg}");
        }
    }
}

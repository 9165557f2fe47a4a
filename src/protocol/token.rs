//! Token endpoint requests (RFC 6749 sections 4.1.3 and 6) and responses (sections 5.1 and 5.2).
//! This module builds request values and parses `(status, body)`; it never performs I/O.

#[allow(unused_imports)]
use crate::prelude::*;

use super::bearer::is_b64token;
use super::callback::ValidatedCallback;
use super::config::{ClientConfig, TokenEncoding};
use super::decimal::parse_digits;
use super::encoding::form_encode;
use super::error::{untrusted_text, Advice, Error, OAuthError, OAuthErrorCode, Result};
use super::json::{self, Value};
use super::scope::parse_granted;
use super::secret::{AccessToken, RefreshToken, Secret};
use super::text::join_spaced;

// The size limit is a configuration default, so it lives in `config` (token depends on config,
// never the reverse).
pub use super::config::MAX_TOKEN_RESPONSE;

/// A request for the token endpoint. `Debug` hides the body, which holds the code, the verifier
/// or the refresh token.
#[derive(Debug)]
pub struct TokenRequest {
    /// The token endpoint.
    pub url: String,
    /// `application/json` or `application/x-www-form-urlencoded;charset=UTF-8`.
    pub content_type: &'static str,
    /// The encoded body.
    pub body: Secret,
    /// The thumbprint of the DPoP key (RFC 9449) that signs this request's proof; `None`: no
    /// proof.
    pub dpop: Option<String>,
}

impl TokenRequest {
    /// An explicit copy (the body is a secret).
    pub fn duplicate(&self) -> Self {
        TokenRequest { url: self.url.clone(), content_type: self.content_type, body: self.body.duplicate(), dpop: self.dpop.clone() }
    }

    /// The request signed with the DPoP key of thumbprint `jkt` (none: unsigned).
    pub fn with_dpop(mut self, jkt: Option<&str>) -> Self {
        self.dpop = jkt.map(Into::into);
        self
    }
}

fn encode(config: &ClientConfig, pairs: &[(&str, &str)]) -> TokenRequest {
    let (content_type, body) = match config.token_encoding {
        TokenEncoding::Json => ("application/json", json_object(pairs)),
        TokenEncoding::Form => ("application/x-www-form-urlencoded;charset=UTF-8", form_encode(pairs.iter().copied())),
    };
    TokenRequest { url: config.token_endpoint.clone(), content_type, body: Secret::new(body), dpop: None }
}

/// Serialises string pairs as a JSON object, keeping their order (the documented field order).
fn json_object(pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(json::Obj::new(), |o, (k, v)| o.str(k, v)).finish()
}

/// The authorization code exchange (RFC 6749 section 4.1.3 with RFC 7636 section 4.5): fields
/// `grant_type`, `code`, `redirect_uri`, `client_id`, `code_verifier`, in that order. It consumes
/// the validated callback, so one callback makes at most one request.
pub fn authorization_code_request(config: &ClientConfig, callback: ValidatedCallback) -> TokenRequest {
    let jkt = callback.jkt.clone();
    let request = encode(
        config,
        &[
            ("grant_type", "authorization_code"),
            ("code", callback.code.expose()),
            ("redirect_uri", &callback.redirect_uri),
            ("client_id", &config.client_id),
            ("code_verifier", callback.verifier.expose()),
        ],
    );
    TokenRequest { dpop: jkt, ..request }
}

/// The refresh request (RFC 6749 section 6): `grant_type`, `refresh_token`, `client_id`, and
/// `scope` when narrowing.
///
/// Only a [`RefreshToken`] fits:
///
/// ```
/// use expensicat_auth::RefreshToken;
/// use expensicat_auth::{refresh_token_request, ClientConfig, ClientConfigInput};
/// let input = ClientConfigInput { client_id: "my-app".into(), redirect_uri: "https://app.example/cb".into(), ..Default::default() };
/// let config = ClientConfig::new(input).unwrap();
/// let request = refresh_token_request(&config, &RefreshToken::new("rt-1"), None);
/// assert!(request.body.expose().contains(r#""refresh_token":"rt-1""#));
/// ```
///
/// and an access token does not compile:
///
/// ```compile_fail
/// use expensicat_auth::AccessToken;
/// use expensicat_auth::{refresh_token_request, ClientConfig, ClientConfigInput};
/// let input = ClientConfigInput { client_id: "my-app".into(), redirect_uri: "https://app.example/cb".into(), ..Default::default() };
/// let config = ClientConfig::new(input).unwrap();
/// let request = refresh_token_request(&config, &AccessToken::new("at-1"), None);
/// ```
pub fn refresh_token_request(config: &ClientConfig, refresh_token: &RefreshToken, scopes: Option<&[String]>) -> TokenRequest {
    let scope = scopes.map(join_spaced);
    let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose()), ("client_id", &config.client_id)];
    if let Some(s) = &scope {
        pairs.push(("scope", s));
    }
    encode(config, &pairs)
}

/// A token to revoke (RFC 7009), with its `token_type_hint`.
#[derive(Debug, Clone, Copy)]
pub enum Revocable<'a> {
    /// A refresh token (revoked first: RFC 7009 section 2.1 lets the server revoke the access
    /// tokens of its grant too).
    Refresh(&'a RefreshToken),
    /// An access token.
    Access(&'a AccessToken),
}

/// The revocation request for `token` (RFC 7009 section 2.1): a form POST of `token`,
/// `token_type_hint` and, as a public client, `client_id`. `None` when no revocation endpoint is
/// configured.
pub fn revocation_request(config: &ClientConfig, token: Revocable<'_>) -> Option<TokenRequest> {
    let url = config.revocation_endpoint.clone()?;
    let (token, hint) = match token {
        Revocable::Refresh(t) => (t.expose(), "refresh_token"),
        Revocable::Access(t) => (t.expose(), "access_token"),
    };
    let body = form_encode([("token", token), ("token_type_hint", hint), ("client_id", config.client_id.as_str())].iter().copied());
    Some(TokenRequest { url, content_type: "application/x-www-form-urlencoded;charset=UTF-8", body: Secret::new(body), dpop: None })
}

/// A validated token response. `Debug` and `Serialize` redact the tokens.
#[derive(Debug)]
pub struct TokenSet {
    /// The access token.
    pub access_token: AccessToken,
    /// `Bearer`, or `DPoP` when a DPoP-bound token was asked for.
    pub token_type: &'static str,
    /// When the access token expires (ms since the epoch), if the server said.
    pub expires_at_ms: Option<u64>,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<RefreshToken>,
    /// The granted scopes, if the server listed them (RFC 6749 section 5.1: absent means "as
    /// requested").
    pub scope: Option<Vec<String>>,
}

/// The longest `expires_in` accepted: 10 years, in seconds.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

fn expires_in_seconds(value: &Value, status: u16) -> Result<u64> {
    let bad = |reason| Error::InvalidResponse { status, reason };
    let secs = match value {
        Value::Number(_) => value.as_u64().ok_or_else(|| bad("expires_in is not a non-negative integer"))?,
        // Some servers send the number as a string: accept plain digits only.
        Value::String(s) if s.len() <= 12 => parse_digits(s.as_bytes()).ok_or_else(|| bad("expires_in is not a non-negative integer"))?,
        _ => return Err(bad("expires_in is not a non-negative integer")),
    };
    Ok(secs.min(MAX_EXPIRES_IN))
}

/// The RFC 6749 section 5.2 error in a parsed body, if it holds one.
pub(crate) fn error_of(status: u16, v: &Value) -> Option<OAuthError> {
    let error = v.get_str("error").filter(|e| !e.is_empty())?;
    let code = OAuthErrorCode::from_wire(error);
    Some(OAuthError {
        code,
        raw_code: (code == OAuthErrorCode::Other).then(|| untrusted_text(error)),
        description: v.get_str("error_description").map(untrusted_text),
        uri: v.get_str("error_uri").map(untrusted_text),
        status,
        advice: None,
    })
}

/// Parses an RFC 6749 section 5.2 error body, if `body` is one.
pub fn parse_error_body(status: u16, body: &str) -> Option<OAuthError> {
    if body.len() > MAX_TOKEN_RESPONSE {
        return None;
    }
    error_of(status, &json::parse(body)?)
}

/// Validates a token endpoint answer given its HTTP status and body text, at time `now_ms`.
///
/// A 2xx answer must be a JSON object with a non-empty `b64token` `access_token`, a `token_type`
/// of `Bearer` (any case), an `expires_in` that is a non-negative integer when present (a string
/// of digits is tolerated), and optional string `refresh_token` and `scope`. An error body
/// (RFC 6749 section 5.2) becomes [`Error::OAuth`] with its code (`invalid_grant`, ...).
///
/// # Errors
/// [`Error::OAuth`], [`Error::UnsupportedTokenType`], or [`Error::InvalidResponse`] (with the
/// HTTP status) for anything else: HTML, truncated JSON, a body over [`MAX_TOKEN_RESPONSE`],
/// duplicate keys, wrong types.
pub fn parse_token_response(status: u16, body: &str, now_ms: u64) -> Result<TokenSet> {
    parse_token_response_limited(status, body, now_ms, MAX_TOKEN_RESPONSE)
}

/// The answer to a token request made with `config` (code exchange or refresh):
/// [`parse_token_response`] within the configured `maxTokenResponseBytes`, and a JSON request
/// refused with `unsupported_grant_type` or `invalid_request` gets [`Advice::FormTokenRequest`],
/// which names the `tokenRequestEncoding` setting in the message.
///
/// # Errors
/// As [`parse_token_response`].
pub fn parse_token_answer(config: &ClientConfig, status: u16, body: &str, now_ms: u64, dpop: bool) -> Result<TokenSet> {
    parse_token_response_as(status, body, now_ms, config.max_token_response_bytes, dpop).map_err(|e| match e {
        Error::OAuth(mut o)
            if config.token_encoding == TokenEncoding::Json
                && matches!(o.code, OAuthErrorCode::UnsupportedGrantType | OAuthErrorCode::InvalidRequest) =>
        {
            o.advice = Some(Advice::FormTokenRequest);
            Error::OAuth(o)
        }
        e => e,
    })
}

/// [`parse_token_response`] with a caller-chosen size limit: a body longer than `max_bytes` is
/// refused before any parsing.
///
/// # Errors
/// As [`parse_token_response`].
pub fn parse_token_response_limited(status: u16, body: &str, now_ms: u64, max_bytes: usize) -> Result<TokenSet> {
    parse_token_response_as(status, body, now_ms, max_bytes, false)
}

/// [`parse_token_response_limited`] for a request that asked for DPoP-bound tokens (`dpop`):
/// then the `token_type` must be `DPoP` (any case, RFC 9449 section 5), never `Bearer`, so a
/// server that ignored the proof is not mistaken for one that bound the tokens.
///
/// # Errors
/// As [`parse_token_response`].
pub fn parse_token_response_as(status: u16, body: &str, now_ms: u64, max_bytes: usize, dpop: bool) -> Result<TokenSet> {
    let bad = |reason| Error::InvalidResponse { status, reason };
    if body.len() > max_bytes {
        return Err(bad("the body is too large"));
    }
    let parsed = json::parse(body);
    if let Some(e) = parsed.as_ref().and_then(|v| error_of(status, v)) {
        return Err(Error::OAuth(e));
    }
    if !(200..300).contains(&status) {
        return Err(bad("an HTTP error status without an OAuth error body"));
    }
    let mut raw = match parsed {
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(bad("the body is JSON but not an object")),
        None => return Err(bad("the body is not strict JSON (or it repeats a key)")),
    };
    // The tokens move out of the parsed tree into their wrappers (zeroed when dropped), so no
    // copy stays behind when the tree is freed.
    let access_token = match raw.take_str("access_token").map(AccessToken::new) {
        Some(s) if is_b64token(s.expose()) => s,
        Some(s) if !s.expose().is_empty() => return Err(bad("access_token has characters a bearer token cannot have")),
        _ => return Err(bad("access_token is missing or empty")),
    };
    let refresh_member = raw.take_str("refresh_token").map(RefreshToken::new);
    let field = |k: &str| match raw.get(k) {
        None | Some(Value::Null) => None,
        Some(v) => Some(v),
    };
    let token_type = if dpop { "DPoP" } else { "Bearer" };
    match field("token_type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case(token_type) => {}
        Some(Value::String(_)) => return Err(Error::UnsupportedTokenType),
        _ => return Err(bad("token_type is missing")),
    }
    let expires_at_ms = match field("expires_in") {
        None => None,
        Some(v) => Some(now_ms.saturating_add(expires_in_seconds(v, status)?.saturating_mul(1000))),
    };
    let refresh_token = match (refresh_member, field("refresh_token")) {
        (Some(s), _) if !s.expose().is_empty() && s.expose().bytes().all(|b| (0x20..=0x7e).contains(&b)) => Some(s),
        (None, None) => None,
        _ => return Err(bad("refresh_token is not a non-empty printable string")),
    };
    let scope = match field("scope") {
        None => None,
        Some(Value::String(s)) => Some(parse_granted(s).ok_or(bad("scope is not space-separated scope tokens (RFC 6749 section 3.3)"))?),
        Some(_) => return Err(bad("scope is not a string")),
    };
    Ok(TokenSet { access_token, token_type, expires_at_ms, refresh_token, scope })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::callback::parse_callback;
    use crate::protocol::config::ClientConfigInput;
    use crate::test_support::{config, input, start};

    fn validated(cfg: &ClientConfig) -> (ValidatedCallback, String) {
        let s = start();
        let verifier = s.transaction.verifier.expose().to_owned();
        let url = format!("https://app.example/callback?code=Splx%2BlO&state={}", s.transaction.state());
        (parse_callback(cfg, &url, s.transaction, 0).unwrap(), verifier)
    }

    #[test]
    fn exact_json_code_exchange_body() {
        let cfg = config();
        let (cb, verifier) = validated(&cfg);
        let req = authorization_code_request(&cfg, cb);
        assert_eq!(req.url, "https://api.expensicat.com/api/auth/oauth2/token");
        assert_eq!(req.content_type, "application/json");
        assert_eq!(
            req.body.expose(),
            format!(
                r#"{{"grant_type":"authorization_code","code":"Splx+lO","redirect_uri":"https://app.example/callback","client_id":"demo-client","code_verifier":"{verifier}"}}"#
            )
        );
        assert!(!format!("{req:?}").contains("Splx"));
    }

    #[test]
    fn revocation_requests_are_rfc_7009_forms_whatever_the_token_encoding() {
        assert!(revocation_request(&config(), Revocable::Access(&AccessToken::new("a"))).is_none(), "no endpoint, no request");
        let cfg = ClientConfig::new(ClientConfigInput {
            revocation_endpoint: Some("https://api.expensicat.com/api/auth/oauth2/revoke".into()),
            ..input()
        })
        .unwrap();
        let req = revocation_request(&cfg, Revocable::Refresh(&RefreshToken::new("rt+1/="))).unwrap();
        assert_eq!(req.url, "https://api.expensicat.com/api/auth/oauth2/revoke");
        assert_eq!(req.content_type, "application/x-www-form-urlencoded;charset=UTF-8");
        assert_eq!(req.body.expose(), "token=rt%2B1%2F%3D&token_type_hint=refresh_token&client_id=demo-client");
        let req = revocation_request(&cfg, Revocable::Access(&AccessToken::new("at"))).unwrap();
        assert_eq!(req.body.expose(), "token=at&token_type_hint=access_token&client_id=demo-client");
        assert!(!format!("{req:?}").contains("token=at"));
    }

    /// Any server but Expensicat's gets RFC 6749's form, for the code exchange and the refresh
    /// alike; revocation is a form whatever the setting (above).
    #[test]
    fn another_server_gets_forms_by_default() {
        let cfg = ClientConfig::new(ClientConfigInput { issuer: Some("https://as.example/".into()), ..input() }).unwrap();
        assert_eq!(cfg.token_endpoint(), "https://as.example/api/auth/oauth2/token");
        let s = crate::protocol::login::start_login(&cfg, &Default::default(), &crate::test_support::random(), 0).unwrap();
        let url = format!("https://app.example/callback?code=c&state={}", s.transaction.state());
        let req = authorization_code_request(&cfg, parse_callback(&cfg, &url, s.transaction, 0).unwrap());
        assert_eq!(req.content_type, "application/x-www-form-urlencoded;charset=UTF-8");
        assert!(req.body.expose().starts_with("grant_type=authorization_code&code=c&redirect_uri="));
        let req = refresh_token_request(&cfg, &RefreshToken::new("rt"), None);
        assert_eq!(req.content_type, "application/x-www-form-urlencoded;charset=UTF-8");
        assert_eq!(req.body.expose(), "grant_type=refresh_token&refresh_token=rt&client_id=demo-client");
        // An explicit setting wins.
        let json = ClientConfig::new(ClientConfigInput { token_request_encoding: Some(TokenEncoding::Json), ..input() }).unwrap();
        assert_eq!(refresh_token_request(&json, &RefreshToken::new("rt"), None).content_type, "application/json");
    }

    /// A JSON request that a server refuses as malformed names the setting that fixes it; the
    /// same answer to a form request, and any other error, says only what the server said.
    #[test]
    fn a_refused_json_request_names_token_request_encoding() {
        let json = config();
        let form = ClientConfig::new(ClientConfigInput { token_request_encoding: Some(TokenEncoding::Form), ..input() }).unwrap();
        let message = |cfg: &ClientConfig, body: &str| {
            let e = parse_token_answer(cfg, 400, body, 0, false).unwrap_err();
            (e.code(), e.to_string())
        };
        for error in ["unsupported_grant_type", "invalid_request"] {
            let body = format!(r#"{{"error":"{error}","error_description":"grant_type is missing"}}"#);
            let (code, text) = message(&json, &body);
            assert_eq!(code, error);
            assert!(text.starts_with(&format!("the authorization server answered {error}: grant_type is missing (")), "{text}");
            assert!(text.ends_with("(sent as JSON: try tokenRequestEncoding \"form\")"), "{text}");
            let (code, text) = message(&form, &body);
            assert_eq!(code, error);
            assert_eq!(text, format!("the authorization server answered {error}: grant_type is missing"));
        }
        let (code, text) = message(&json, r#"{"error":"invalid_grant"}"#);
        assert_eq!((code, text.as_str()), ("invalid_grant", "the authorization server answered invalid_grant"));
        // The limit of the configuration applies.
        let small = ClientConfig::new(ClientConfigInput { max_token_response_bytes: Some(256), ..input() }).unwrap();
        assert_eq!(parse_token_answer(&small, 200, &" ".repeat(257), 0, false).unwrap_err().code(), "invalid_response");
    }

    #[test]
    fn exact_form_bodies() {
        let cfg = ClientConfig::new(ClientConfigInput { token_request_encoding: Some(TokenEncoding::Form), ..input() }).unwrap();
        let (cb, verifier) = validated(&cfg);
        let req = authorization_code_request(&cfg, cb);
        assert_eq!(req.content_type, "application/x-www-form-urlencoded;charset=UTF-8");
        assert_eq!(
            req.body.expose(),
            format!(
                "grant_type=authorization_code&code=Splx%2BlO&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&client_id=demo-client&code_verifier={verifier}"
            )
        );
        let rt = RefreshToken::new("tGzv3JOkF0XG5Qx2TlKWIA");
        let req = refresh_token_request(&cfg, &rt, Some(&["transactions:read".to_string(), "team:read".to_string()]));
        assert_eq!(
            req.body.expose(),
            "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&client_id=demo-client&scope=transactions%3Aread+team%3Aread"
        );
        let req = refresh_token_request(&config(), &rt, None);
        assert_eq!(
            req.body.expose(),
            r#"{"grant_type":"refresh_token","refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","client_id":"demo-client"}"#
        );
    }

    #[test]
    fn rfc6749_section_5_1_example_parses() {
        let body = r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600}"#;
        assert_eq!(parse_token_response(200, body, 0).unwrap_err().code(), "unsupported_token_type");
        let body = r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bEaReR","expires_in":3600,
            "refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","scope":"transactions:read team:read","example_parameter":"example_value"}"#;
        let t = parse_token_response(200, body, 5_000).unwrap();
        assert_eq!(t.access_token.expose(), "2YotnFZFEjr1zCsicMWpAA");
        assert_eq!(t.token_type, "Bearer");
        assert_eq!(t.expires_at_ms, Some(3_605_000));
        assert_eq!(t.refresh_token.as_ref().map(RefreshToken::expose), Some("tGzv3JOkF0XG5Qx2TlKWIA"));
        assert_eq!(t.scope.as_deref(), Some(&["transactions:read".to_string(), "team:read".to_string()][..]));
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("2YotnFZ") && !dbg.contains("tGzv3J"), "{dbg}");
    }

    #[test]
    fn expires_in_forms() {
        let t = |e: &str| parse_token_response(200, &format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{e}}}"#), 1000);
        assert_eq!(t("0").unwrap().expires_at_ms, Some(1000));
        assert_eq!(t("\"120\"").unwrap().expires_at_ms, Some(121_000));
        assert_eq!(t("null").unwrap().expires_at_ms, None);
        assert_eq!(t("18446744073709551615").unwrap().expires_at_ms, Some(1000 + MAX_EXPIRES_IN * 1000));
        for bad in ["-1", "1.5", "1e3", "\"\"", "\"1h\"", "\"-5\"", "\" 5\"", "true", "[]", "{}", "\"9999999999999\""] {
            assert_eq!(t(bad).unwrap_err().code(), "invalid_response", "{bad}");
        }
    }

    #[test]
    fn rfc6749_section_5_2_errors() {
        let e =
            parse_token_response(400, r#"{"error":"invalid_grant","error_description":"code reused\u0000<b>","error_uri":"https://x"}"#, 0)
                .unwrap_err();
        assert_eq!(e.code(), "invalid_grant");
        match e {
            Error::OAuth(o) => {
                assert_eq!(o.status, 400);
                assert_eq!(o.description.as_deref(), Some("code reused <b>"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_token_response(401, r#"{"error":"invalid_client"}"#, 0).unwrap_err().code(), "invalid_client");
        assert_eq!(parse_token_response(400, r#"{"error":"brand_new"}"#, 0).unwrap_err().code(), "oauth_error");
        assert_eq!(parse_token_response(200, r#"{"error":"invalid_request"}"#, 0).unwrap_err().code(), "invalid_request");
    }

    #[test]
    fn hostile_token_responses() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let deep_obj = format!(r#"{{"access_token":"a","token_type":"Bearer","x":{}1{}}}"#, "[".repeat(5000), "]".repeat(5000));
        let huge = format!(r#"{{"access_token":"{}","token_type":"Bearer"}}"#, "a".repeat(10 << 20));
        let cases: Vec<(u16, String, &str)> = vec![
            (200, String::new(), "invalid_response"),
            (200, "<html><body>Bad gateway</body></html>".into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bea"#.into(), "invalid_response"),
            (200, "[]".into(), "invalid_response"),
            (200, "\"token\"".into(), "invalid_response"),
            (200, "null".into(), "invalid_response"),
            (200, "42".into(), "invalid_response"),
            (200, r#"{"token_type":"Bearer"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"","token_type":"Bearer"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":7,"token_type":"Bearer"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a b","token_type":"Bearer"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a\r\nX-Evil: 1","token_type":"Bearer"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"mac"}"#.into(), "unsupported_token_type"),
            (200, r#"{"access_token":"a","token_type":"DPoP"}"#.into(), "unsupported_token_type"),
            (200, r#"{"access_token":"a","token_type":1}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bearer","refresh_token":""}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bearer","refresh_token":5}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bearer","scope":["a"]}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bearer","scope":"a  b\tc"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bearer","scope":" a"}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bearer","scope":""}"#.into(), "invalid_response"),
            (200, r#"{"access_token":"a","token_type":"Bearer","scope":"a\"b"}"#.into(), "invalid_response"),
            (200, deep, "invalid_response"),
            (200, deep_obj, "invalid_response"),
            (200, huge, "invalid_response"),
            (500, "Internal Server Error".into(), "invalid_response"),
            (502, "<html>bad gateway</html>".into(), "invalid_response"),
            (400, "{}".into(), "invalid_response"),
            (400, r#"{"error":""}"#.into(), "invalid_response"),
            (400, r#"{"error":5}"#.into(), "invalid_response"),
            (302, String::new(), "invalid_response"),
        ];
        for (status, body, code) in cases {
            let e = parse_token_response(status, &body, 0).map(|_| ()).unwrap_err();
            assert_eq!(e.code(), code, "{status} {body:.60}");
            if let Error::InvalidResponse { status: s, .. } = e {
                assert_eq!(s, status);
            }
        }
    }

    #[test]
    fn a_dpop_request_wants_a_dpop_token_type_and_nothing_else() {
        let dpop = r#"{"access_token":"a","token_type":"dpop"}"#;
        let bearer = r#"{"access_token":"a","token_type":"Bearer"}"#;
        assert_eq!(parse_token_response_as(200, dpop, 0, 1024, true).unwrap().token_type, "DPoP");
        assert_eq!(parse_token_response_as(200, bearer, 0, 1024, true).unwrap_err().code(), "unsupported_token_type");
        assert_eq!(parse_token_response_as(200, dpop, 0, 1024, false).unwrap_err().code(), "unsupported_token_type");
        let e = parse_token_response_as(400, r#"{"error":"use_dpop_nonce"}"#, 0, 1024, true).unwrap_err();
        assert_eq!(e.code(), "oauth_error");
    }

    #[test]
    fn size_limit_is_configurable_and_checked_first() {
        let body = r#"{"access_token":"a","token_type":"Bearer"}"#;
        assert!(parse_token_response_limited(200, body, 0, body.len()).is_ok());
        let e = parse_token_response_limited(200, body, 0, body.len() - 1).unwrap_err();
        assert_eq!(e, Error::InvalidResponse { status: 200, reason: "the body is too large" });
    }
}

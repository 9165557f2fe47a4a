//! Pushed authorization requests (RFC 9126): the authorize parameters go to the server in a form
//! POST first, and the browser is sent to the authorize endpoint with `client_id` and the
//! `request_uri` of the answer only. Used when the configuration says `par` (set by the app, or
//! by discovery when the server's metadata requires it). This module builds the request and
//! judges the answer; it never performs I/O.
//!
//! Each login pushes its own request (a `request_uri` is used once, RFC 9126 section 4), and the
//! login transaction is stored only once the push succeeded. The `request_uri` expires
//! (`expires_in`): the authorize URL made from it must be opened before then, so a session pushes
//! when the user starts the login, never ahead of it. The transaction keeps its own lifetime,
//! since the callback comes back after the user has finished at the server, which may take
//! longer than the `request_uri` lives (the server refuses an expired one itself).

#[allow(unused_imports)]
use crate::prelude::*;

use super::config::ClientConfig;
use super::encoding::form_encode;
use super::error::{Error, Result};
use super::json::{self, Value};
use super::login::LoginStart;
use super::secret::Secret;
use super::text::concat;
use super::token::{error_of, TokenRequest};

/// The longest `request_uri` accepted, in bytes.
pub const MAX_REQUEST_URI: usize = 2048;

/// The push of a started login: a form POST of its authorize parameters (those of its authorize
/// URL, without the endpoint's own query) to the PAR endpoint; `None` when the configuration
/// does not use PAR.
pub fn par_request(config: &ClientConfig, start: &LoginStart) -> Option<TokenRequest> {
    let url = config.par_endpoint.clone()?;
    let params = start.url.get(config.authorize_prefix.len()..).unwrap_or_default();
    // A DPoP login's `dpop_jkt` is among the parameters (RFC 9449 section 10.1): no proof needed.
    Some(TokenRequest { url, content_type: "application/x-www-form-urlencoded;charset=UTF-8", body: Secret::new(params), dpop: None })
}

/// A pushed authorization request the server accepted: where to send the browser, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedAuthorization {
    /// The authorize URL with `client_id` and `request_uri` only.
    pub url: String,
    /// When the `request_uri` expires (ms since the epoch): the URL must be opened before.
    pub expires_at_ms: u64,
}

/// Validates the PAR endpoint's answer (`status`, `body`) at `now_ms` (RFC 9126 section 2.2): a
/// 201 with a JSON object holding a `request_uri` (1 to 2048 visible ASCII characters) and a
/// positive integer `expires_in`; an error is an RFC 6749 error body (section 2.3).
///
/// # Errors
/// [`Error::OAuth`] with the server's error, else [`Error::InvalidResponse`]: a body over the
/// configured `maxTokenResponseBytes`, another status, not a strict JSON object, a missing or
/// malformed `request_uri` or `expires_in`.
pub fn parse_par_response(config: &ClientConfig, status: u16, body: &str, now_ms: u64) -> Result<PushedAuthorization> {
    if body.len() > config.max_token_response_bytes {
        return Err(Error::body_too_large(status));
    }
    let parsed = json::parse(body);
    let doc = parsed.as_ref();
    if let Some(e) = doc.and_then(|v| error_of(status, v)) {
        return Err(Error::OAuth(e));
    }
    // Read first, then judged in one place: the parsed body is dropped on one path.
    let request_uri = doc
        .and_then(|v| v.get_str("request_uri"))
        .filter(|u| !u.is_empty() && u.len() <= MAX_REQUEST_URI && u.bytes().all(|b| b.is_ascii_graphic()));
    let expires_in = doc.and_then(|v| v.get("expires_in")).and_then(Value::as_u64).filter(|s| *s > 0);
    let reason = match (doc, request_uri, expires_in) {
        _ if status != 201 => "the push was not answered with 201",
        (Some(Value::Object(_)), Some(request_uri), Some(expires_in)) => {
            // No longer than the login transaction: a URL is worth nothing after its
            // transaction. (The comparison in seconds first: no 128-bit product for a saturating
            // multiplication.)
            let ttl = config.transaction_ttl_ms;
            let expires_at_ms = now_ms.saturating_add(if expires_in > ttl / 1000 { ttl } else { expires_in * 1000 });
            // Through a slice, as the token requests encode theirs: one instance of the generic
            // encoder.
            let query = form_encode([("client_id", config.client_id.as_str()), ("request_uri", request_uri)].iter().copied());
            return Ok(PushedAuthorization { url: concat(&[&config.authorize_prefix, &query]), expires_at_ms });
        }
        (Some(Value::Object(_)), None, _) => "request_uri is not 1 to 2048 visible ASCII characters",
        (Some(Value::Object(_)), _, None) => "expires_in is not a positive integer",
        _ => "the body is not a strict JSON object (or it repeats a key)",
    };
    Err(Error::InvalidResponse { status, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::config::ClientConfigInput;
    use crate::protocol::login::{start_login, LoginRequest};
    use crate::test_support::{input, random};

    fn par_config() -> ClientConfig {
        ClientConfig::new(ClientConfigInput {
            authorization_endpoint: Some("https://as.example/authorize?tenant=t1".into()),
            pushed_authorization_request_endpoint: Some("https://as.example/par".into()),
            par: true,
            ..input()
        })
        .unwrap()
    }

    #[test]
    fn the_push_carries_the_authorize_parameters_and_the_url_only_client_id_and_request_uri() {
        let c = par_config();
        let request = LoginRequest { extra_params: vec![("prompt".into(), "login".into())], ..Default::default() };
        let start = start_login(&c, &request, &random(), 1_000).unwrap();
        let push = par_request(&c, &start).unwrap();
        assert_eq!(push.url, "https://as.example/par");
        assert_eq!(push.content_type, "application/x-www-form-urlencoded;charset=UTF-8");
        let body = push.body.expose();
        assert!(
            body.starts_with("client_id=demo-client&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&response_type=code&scope="),
            "{body}"
        );
        assert!(body.contains("&code_challenge_method=S256&state=") && body.ends_with("&prompt=login"), "{body}");
        assert!(!body.contains("tenant"), "the endpoint's own query stays on the authorize URL");
        let p = parse_par_response(&c, 201, r#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#, 1_000).unwrap();
        assert_eq!(
            p.url,
            "https://as.example/authorize?tenant=t1&client_id=demo-client&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
        );
        assert_eq!(p.expires_at_ms, 61_000);
        // Never longer than the transaction.
        assert_eq!(parse_par_response(&c, 201, r#"{"request_uri":"u","expires_in":99999999}"#, 0).unwrap().expires_at_ms, 600_000);
        // Without PAR, nothing to push.
        let plain = crate::test_support::config();
        assert!(par_request(&plain, &start_login(&plain, &LoginRequest::default(), &random(), 0).unwrap()).is_none());
    }

    #[test]
    fn hostile_answers_are_refused() {
        let c = par_config();
        let code = |status, body: &str| parse_par_response(&c, status, body, 0).unwrap_err().code();
        assert_eq!(code(400, r#"{"error":"invalid_request","error_description":"no"}"#), "invalid_request");
        assert_eq!(code(401, r#"{"error":"invalid_client"}"#), "invalid_client");
        assert_eq!(code(200, r#"{"request_uri":"u","expires_in":60}"#), "invalid_response");
        assert_eq!(code(500, "<html>"), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":"u"}"#), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":"u","expires_in":0}"#), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":"u","expires_in":"60"}"#), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":"u","expires_in":-1}"#), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":"","expires_in":60}"#), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":"a b","expires_in":60}"#), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":7,"expires_in":60}"#), "invalid_response");
        assert_eq!(code(201, r#"{"request_uri":"u","request_uri":"v","expires_in":60}"#), "invalid_response");
        assert_eq!(code(201, &format!(r#"{{"request_uri":"{}","expires_in":60}}"#, "u".repeat(2049))), "invalid_response");
        assert_eq!(code(201, "[]"), "invalid_response");
    }
}

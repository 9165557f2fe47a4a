//! Request signing: the `Authorization: Bearer` header (RFC 6750 section 2.1), attached only to
//! requests for the configured API origin.

#[allow(unused_imports)]
use crate::prelude::*;

use super::bearer::is_b64token;
use super::config::ClientConfig;
use super::error::{Error, Result};
use super::secret::{AccessToken, Secret};
use super::url::Url;

/// A request ready to send: its absolute URL and the `Authorization` header value.
/// `Debug` hides the header.
#[derive(Debug)]
pub struct SignedRequest {
    /// The absolute URL (on the API origin).
    pub url: String,
    /// The upper-cased method.
    pub method: String,
    /// `Bearer <token>`.
    pub authorization: Secret,
}

/// Resolves `path_or_url` against the API base: a path starting with `/` is appended to the base
/// (`/v1/transactions` becomes `https://api.expensicat.com/api/v1/transactions`); an absolute URL
/// must be on the API origin.
///
/// # Errors
/// [`Error::OriginNotAllowed`] for an absolute URL on another origin (including a
/// protocol-relative `//host/...`), [`Error::InvalidUrl`] for anything unparseable.
pub fn resolve_api_url(api_base: &str, api_origin: &str, path_or_url: &str) -> Result<Url> {
    let absolute = if path_or_url.starts_with("//") {
        return Err(Error::OriginNotAllowed);
    } else if path_or_url.starts_with('/') {
        [api_base, path_or_url].concat()
    } else {
        path_or_url.to_owned()
    };
    let url = Url::parse(&absolute, "url")?;
    if url.origin() != api_origin {
        return Err(Error::OriginNotAllowed);
    }
    url.require_secure("url")?;
    Ok(url)
}

/// Whether `method` is an HTTP method token (RFC 9110 section 9.1: `tchar`s).
fn is_method(method: &str) -> bool {
    !method.is_empty() && method.len() <= 32 && method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Produces the `Authorization: Bearer <token>` header for `method` `path_or_url`, where `token`
/// is an OAuth access token or an Expensicat session JWT.
///
/// # Security
/// The header is produced only when the URL resolves to the configured API origin over HTTPS
/// (or loopback HTTP); otherwise an error is returned and no header exists to leak.
///
/// # Errors
/// [`Error::OriginNotAllowed`], [`Error::InvalidUrl`], [`Error::InsecureUrl`],
/// [`Error::InvalidToken`] for a token that is not an RFC 6750 `b64token` (this also blocks
/// header injection), and [`Error::InvalidParameter`] for a malformed method.
pub fn sign_request(config: &ClientConfig, token: &AccessToken, method: &str, path_or_url: &str) -> Result<SignedRequest> {
    sign_for(config.api_base(), config.api_origin(), token, method, path_or_url)
}

/// [`sign_request`] with an explicit API base and origin, for direct bearer mode.
///
/// # Errors
/// As [`sign_request`].
pub fn sign_for(api_base: &str, api_origin: &str, token: &AccessToken, method: &str, path_or_url: &str) -> Result<SignedRequest> {
    if !is_method(method) {
        return Err(Error::InvalidParameter { name: "method".into(), reason: "is not an HTTP method token" });
    }
    let url = resolve_api_url(api_base, api_origin, path_or_url)?;
    let token = token.expose();
    if !is_b64token(token) {
        return Err(Error::InvalidToken);
    }
    let mut value = String::with_capacity(7 + token.len());
    value.push_str("Bearer ");
    value.push_str(token);
    let mut full = url.origin();
    full.push_str(url.path());
    if let Some(q) = url.query() {
        full.push('?');
        full.push_str(q);
    }
    Ok(SignedRequest { url: full, method: method.to_ascii_uppercase(), authorization: Secret::new(value) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::config::ClientConfigInput;
    use crate::test_support::{config, input};

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

    #[test]
    fn signs_paths_and_same_origin_urls() {
        let c = config();
        let r = sign_request(&c, &AccessToken::new(JWT), "get", "/v1/transactions?limit=20").unwrap();
        assert_eq!(r.url, "https://api.expensicat.com/api/v1/transactions?limit=20");
        assert_eq!(r.method, "GET");
        assert_eq!(r.authorization.expose(), format!("Bearer {JWT}"));
        assert!(!format!("{r:?}").contains(JWT));
        let r = sign_request(&c, &AccessToken::new("tok"), "POST", "https://API.expensicat.com:443/api/v1/transactions#x").unwrap();
        assert_eq!(r.url, "https://api.expensicat.com/api/v1/transactions");
    }

    #[test]
    fn never_signs_for_another_origin() {
        let c = config();
        for url in [
            "https://evil.example/api/v1/transactions",
            "http://api.expensicat.com/api/v1/transactions",
            "https://api.expensicat.com:8443/api/v1",
            "https://api.expensicat.com.evil.example/api",
            "//evil.example/api/v1",
            "https://api.expensicat.com@evil.example/",
            "wss://api.expensicat.com/api",
            "v1/transactions",
            "",
        ] {
            let e = sign_request(&c, &AccessToken::new(JWT), "GET", url).unwrap_err();
            assert!(matches!(e.code(), "origin_not_allowed" | "invalid_url"), "{url}: {e:?}");
        }
        assert_eq!(sign_request(&c, &AccessToken::new(JWT), "GET", "https://evil.example/").unwrap_err().code(), "origin_not_allowed");
        // A path cannot smuggle in an authority.
        let r = sign_request(&c, &AccessToken::new(JWT), "GET", "/@evil.example/x").unwrap();
        assert_eq!(r.url, "https://api.expensicat.com/api/@evil.example/x");
    }

    #[test]
    fn custom_api_base_and_loopback() {
        let c = ClientConfig::new(ClientConfigInput {
            issuer: Some("http://127.0.0.1:4000".into()),
            redirect_uri: "http://127.0.0.1:8080/cb".into(),
            ..input()
        })
        .unwrap();
        assert_eq!(sign_request(&c, &AccessToken::new(JWT), "GET", "/v1/x").unwrap().url, "http://127.0.0.1:4000/api/v1/x");
        assert_eq!(
            sign_request(&c, &AccessToken::new(JWT), "GET", "http://localhost:4000/api/v1/x").unwrap_err().code(),
            "origin_not_allowed"
        );
    }

    #[test]
    fn refuses_bad_tokens_and_methods() {
        let c = config();
        for bad in ["", "a b", "tok\r\nX-Evil: 1", "tök", "a,b"] {
            assert_eq!(sign_request(&c, &AccessToken::new(bad), "GET", "/v1/x").unwrap_err().code(), "invalid_token", "{bad:?}");
        }
        for bad in ["", "GE T", "GET\r\n", "(GET)"] {
            assert_eq!(sign_request(&c, &AccessToken::new(JWT), bad, "/v1/x").unwrap_err().code(), "invalid_parameter", "{bad:?}");
        }
        // An invalid token gives no hint of its value in the error.
        let e = sign_request(&c, &AccessToken::new("secret value"), "GET", "/v1/x").unwrap_err();
        assert!(!format!("{e:?}{e}").contains("secret value"));
    }
}

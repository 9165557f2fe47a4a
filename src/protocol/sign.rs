//! Request signing: the `Authorization: Bearer` header (RFC 6750 section 2.1), attached only to
//! requests for the configured API origin.

#[allow(unused_imports)]
use crate::prelude::*;

use super::bearer::is_b64token;
use super::config::ClientConfig;
use super::error::{Error, Result};
use super::secret::{AccessToken, Secret};
use super::text::{concat, has_byte};
use super::url::Url;

/// A request ready to send: its absolute URL and the `Authorization` header value.
/// `Debug` hides the header.
#[derive(Debug)]
pub struct SignedRequest {
    /// The absolute URL (on the API origin).
    pub url: String,
    /// The upper-cased method.
    pub method: String,
    /// `Bearer <token>` or `DPoP <token>`.
    pub authorization: Secret,
}

/// The `Authorization` scheme a token is presented with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 6750.
    Bearer,
    /// A DPoP-bound token (RFC 9449 section 7.1), with a proof in the `DPoP` header.
    DPoP,
}

impl Scheme {
    /// The start of the `Authorization` value, before the token.
    pub fn prefix(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer ",
            Scheme::DPoP => "DPoP ",
        }
    }
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
        concat(&[api_base, path_or_url])
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

/// The API path of `input` (a path below the API base, or an absolute URL under it), as
/// [`super::scope::required_scope`] reads it: `https://api.expensicat.com/api/v1/x` and
/// `/v1/x` are both `/v1/x`.
pub fn api_path<'a>(api_base: &str, input: &'a str) -> &'a str {
    input.strip_prefix(api_base).unwrap_or(input)
}

/// The absolute URL, without fragment, that `path_or_url` names on the API origin: what a signed
/// request is sent to. As [`resolve_api_url`], which it calls unless `path_or_url` is a plain
/// path (a `/` but not `//`, visible ASCII without `\\` or `#`): such a path appends to the base
/// as it is, which is what the full parse would give (a test holds the two equal), at a fraction
/// of the cost on the hot path of every signed call.
///
/// # Errors
/// As [`resolve_api_url`].
pub fn api_url(api_base: &str, api_origin: &str, path_or_url: &str) -> Result<String> {
    let b = path_or_url.as_bytes();
    let plain = b.first() == Some(&b'/') && b.get(1) != Some(&b'/') && b.iter().all(|&c| c > b' ' && c < 0x7f && c != b'\\' && c != b'#');
    if plain && api_base.len() + b.len() <= super::url::MAX_URL_LEN {
        return Ok(concat(&[api_base, path_or_url]));
    }
    let url = resolve_api_url(api_base, api_origin, path_or_url)?;
    let mut full = url.origin();
    full.push_str(url.path());
    if let Some(q) = url.query() {
        full.push('?');
        full.push_str(q);
    }
    Ok(full)
}

/// Whether `method` is an HTTP method token (RFC 9110 section 9.1: `tchar`s).
fn is_method(method: &str) -> bool {
    !method.is_empty() && method.len() <= 32 && method.bytes().all(|b| b.is_ascii_alphanumeric() || has_byte(b"!#$%&'*+-.^_`|~", b))
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
    sign_as(api_base, api_origin, token, method, path_or_url, Scheme::Bearer)
}

/// [`sign_for`] with the `Authorization` scheme `scheme` (`DPoP` for a DPoP-bound token, whose
/// request also needs a proof: see [`super::dpop`]).
///
/// # Errors
/// As [`sign_request`].
pub fn sign_as(
    api_base: &str,
    api_origin: &str,
    token: &AccessToken,
    method: &str,
    path_or_url: &str,
    scheme: Scheme,
) -> Result<SignedRequest> {
    if !is_method(method) {
        return Err(Error::InvalidParameter { name: "method".into(), reason: "is not an HTTP method token" });
    }
    let url = api_url(api_base, api_origin, path_or_url)?;
    let token = token.expose();
    if !is_b64token(token) {
        return Err(Error::InvalidToken);
    }
    let mut value = String::with_capacity(7 + token.len());
    value.push_str(scheme.prefix());
    value.push_str(token);
    Ok(SignedRequest { url, method: method.to_ascii_uppercase(), authorization: Secret::new(value) })
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

    /// The slow path of `api_url`: the full parse, always.
    fn parsed(base: &str, origin: &str, path: &str) -> Result<String> {
        let url = resolve_api_url(base, origin, path)?;
        Ok(format!("{}{}{}", url.origin(), url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default()))
    }

    #[test]
    fn the_plain_path_shortcut_gives_what_the_full_parse_gives() {
        let bases = [("https://api.expensicat.com/api", "https://api.expensicat.com"), ("http://127.0.0.1:4000", "http://127.0.0.1:4000")];
        let alphabet: Vec<char> = "/?#@:%.\\ \t~-_aZ09!$&'()*+,;=[]{}|^`\"<>é\u{7f}".chars().collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut shortcuts = 0;
        for i in 0..100_000 {
            let len = (next() % 12) as usize;
            let mut path: String = if i % 4 == 0 { String::new() } else { "/".into() };
            for _ in 0..len {
                path.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            for (base, origin) in bases {
                let fast = api_url(base, origin, &path).map_err(|e| e.code());
                let slow = parsed(base, origin, &path).map_err(|e| e.code());
                assert_eq!(fast, slow, "{base} + {path:?}");
                shortcuts += usize::from(fast.is_ok() && path.starts_with('/') && !path.contains('#'));
            }
        }
        assert!(shortcuts > 10_000, "the shortcut was taken {shortcuts} times");
        let long = format!("/{}", "a".repeat(super::super::url::MAX_URL_LEN));
        assert_eq!(api_url(bases[0].0, bases[0].1, &long).unwrap_err().code(), "invalid_url");
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
    fn a_dpop_bound_token_is_presented_as_dpop() {
        let c = config();
        let r = sign_as(c.api_base(), c.api_origin(), &AccessToken::new(JWT), "GET", "/v1/x", Scheme::DPoP).unwrap();
        assert_eq!(r.authorization.expose(), format!("DPoP {JWT}"));
        let e = sign_as(c.api_base(), c.api_origin(), &AccessToken::new(JWT), "GET", "https://evil.example/", Scheme::DPoP).unwrap_err();
        assert_eq!(e.code(), "origin_not_allowed");
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

//! The authorization request URL (RFC 6749 section 4.1.1, RFC 7636 section 4.3).

#[allow(unused_imports)]
use crate::prelude::*;

use super::encoding::form_encode;
use super::endpoint::parse_endpoint;
use super::error::{untrusted_text, Error, Result};
use super::pkce::is_unreserved;
use super::scope::{is_scope_token, normalize_scopes};
use super::text::join_spaced;
use super::url::Url;

/// The parameters this library sets on the authorize request and which nothing else may set.
pub const RESERVED_AUTHORIZE_PARAMS: [&str; 9] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "state",
    "response_mode",
    "dpop_jkt",
];

/// Checks a client ID: 1 to 256 printable ASCII characters (RFC 6749 Appendix A.1 `VSCHAR`).
pub(crate) fn check_client_id(value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidConfig { field: "clientId", reason: "is required" });
    }
    if value.len() > 256 || !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(Error::InvalidConfig { field: "clientId", reason: "must be 1 to 256 printable ASCII characters" });
    }
    Ok(())
}

/// Everything the authorize URL carries. Build one from a
/// [`LoginTransaction`](super::transaction::LoginTransaction) with `start_login`, or by hand for
/// full control.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams<'a> {
    /// The authorize endpoint, e.g. `https://api.expensicat.com/api/auth/oauth2/authorize`.
    pub endpoint: &'a str,
    /// The client ID.
    pub client_id: &'a str,
    /// The registered redirect URI.
    pub redirect_uri: &'a str,
    /// The requested scopes (validated and de-duplicated).
    pub scopes: &'a [String],
    /// Accept scopes other than the 13 Expensicat ones.
    pub allow_custom_scopes: bool,
    /// The S256 code challenge (43 base64url characters).
    pub code_challenge: &'a str,
    /// The state value (22 to 512 unreserved characters: at least 128 bits).
    pub state: &'a str,
    /// Further parameters (for example `prompt` or `login_hint`); none may be one of
    /// [`RESERVED_AUTHORIZE_PARAMS`], and none may repeat.
    pub extra: &'a [(String, String)],
}

/// The longest extra parameter value, in bytes.
pub const MAX_EXTRA_VALUE: usize = 2048;

/// Checks a `state` value: 22 to 512 characters of the unreserved set, so it holds at least
/// 128 bits when random and survives any encoding unchanged.
pub fn check_state(state: &str) -> Result<()> {
    if (22..=512).contains(&state.len()) && state.bytes().all(is_unreserved) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "state".into(),
            reason: "must be 22 to 512 characters of A-Z a-z 0-9 - . _ ~ (at least 128 bits)",
        })
    }
}

/// Builds the authorize URL: the endpoint, then `client_id`, `redirect_uri`,
/// `response_type=code`, `scope`, `code_challenge`, `code_challenge_method=S256`, `state`, then
/// the extra parameters, all `application/x-www-form-urlencoded` (RFC 6749 Appendix B).
///
/// # Errors
/// [`Error::InvalidUrl`]/[`Error::InsecureUrl`] for the endpoint or redirect URI,
/// [`Error::InvalidScope`], [`Error::InvalidConfig`] for the client ID, and
/// [`Error::InvalidParameter`] for the challenge, state or an extra parameter.
pub fn build_authorize_url(p: &AuthorizeParams<'_>) -> Result<String> {
    let endpoint = parse_endpoint(p.endpoint, "authorizationEndpoint", &RESERVED_AUTHORIZE_PARAMS)?;
    parse_endpoint(p.redirect_uri, "redirectUri", &RESERVED_AUTHORIZE_PARAMS)?;
    check_client_id(p.client_id)?;
    let scopes = normalize_scopes(p.scopes, p.allow_custom_scopes)?;
    if p.code_challenge.len() != 43 || !p.code_challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::InvalidParameter {
            name: "code_challenge".into(),
            reason: "must be an S256 challenge: 43 base64url characters",
        });
    }
    check_state(p.state)?;
    authorize_url(&authorize_prefix(&endpoint), p.client_id, p.redirect_uri, &scopes, p.code_challenge, p.state, p.extra, None)
}

/// The authorize endpoint as the start of every authorize URL: origin and path, `?`, and the
/// endpoint's own query followed by `&` when it has one. A configuration computes it once.
pub(crate) fn authorize_prefix(endpoint: &Url) -> String {
    let mut url = endpoint.origin() + endpoint.path();
    url.push('?');
    if let Some(existing) = endpoint.query().filter(|q| !q.is_empty()) {
        url.push_str(existing);
        url.push('&');
    }
    url
}

/// The authorize URL from parts already checked (a validated configuration, normalised scopes,
/// a challenge and state this library made, the thumbprint of a DPoP key it holds: `dpop_jkt`,
/// RFC 9449 section 10); only the extra parameters are checked here.
///
/// # Errors
/// [`Error::InvalidParameter`] for an extra parameter.
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorize_url(
    prefix: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[String],
    code_challenge: &str,
    state: &str,
    extra: &[(String, String)],
    dpop_jkt: Option<&str>,
) -> Result<String> {
    for (i, (name, value)) in extra.iter().enumerate() {
        let refuse = |reason| Err(Error::InvalidParameter { name: untrusted_text(name), reason });
        if !is_scope_token(name) || name.len() > 128 {
            return refuse("names must be 1 to 128 printable ASCII characters without spaces");
        }
        if RESERVED_AUTHORIZE_PARAMS.contains(&name.as_str()) {
            return refuse("it is set by this library and cannot be overridden");
        }
        if extra.get(..i).unwrap_or_default().iter().any(|(n, _)| n == name) {
            return refuse("it is given more than once");
        }
        if value.len() > MAX_EXTRA_VALUE {
            return refuse("its value is longer than 2048 bytes");
        }
    }
    let scope = join_spaced(scopes);
    let params = [
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("response_type", "code"),
        ("scope", scope.as_str()),
        ("code_challenge", code_challenge),
        ("code_challenge_method", "S256"),
        ("state", state),
    ];
    let query =
        form_encode(params.into_iter().chain(dpop_jkt.map(|j| ("dpop_jkt", j))).chain(extra.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
    let mut url = String::with_capacity(prefix.len() + query.len());
    url.push_str(prefix);
    url.push_str(&query);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encoding::decode_form;
    use crate::protocol::url::Url;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const STATE: &str = "af0ifjsldkjAAAAAAAAAAAAAAAAAA";

    fn scopes() -> Vec<String> {
        vec!["transactions:read".into(), "team:read".into()]
    }

    fn params<'a>(scopes: &'a [String], extra: &'a [(String, String)]) -> AuthorizeParams<'a> {
        AuthorizeParams {
            endpoint: "https://api.expensicat.com/api/auth/oauth2/authorize",
            client_id: "demo-client",
            redirect_uri: "https://app.example/callback",
            scopes,
            allow_custom_scopes: false,
            code_challenge: CHALLENGE,
            state: STATE,
            extra,
        }
    }

    #[test]
    fn exact_url_with_the_seven_parameters() {
        let s = scopes();
        let url = build_authorize_url(&params(&s, &[])).unwrap();
        assert_eq!(
            url,
            "https://api.expensicat.com/api/auth/oauth2/authorize?client_id=demo-client\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&response_type=code\
             &scope=transactions%3Aread+team%3Aread\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&state=af0ifjsldkjAAAAAAAAAAAAAAAAAA"
        );
    }

    #[test]
    fn hostile_values_are_encoded_and_parse_back() {
        let s = scopes();
        let extra = vec![("login_hint".to_string(), "a b&c=d#e+f%g/é\u{1F600}".to_string()), ("prompt".to_string(), "".to_string())];
        let mut p = params(&s, &extra);
        p.client_id = "id with space&x=y#z+";
        p.redirect_uri = "https://app.example/cb?tab=a b";
        // The redirect URI has a space: refused by the URL parser.
        assert!(matches!(build_authorize_url(&p), Err(Error::InvalidUrl { .. })));
        p.redirect_uri = "https://app.example/cb?tab=a%20b&x=%26";
        let url = build_authorize_url(&p).unwrap();
        let parsed = Url::parse(&url, "u").unwrap();
        assert!(parsed.fragment().is_none());
        let q = parsed.query().unwrap();
        assert!(!q.contains(' ') && !q.contains('#'));
        let pairs = decode_form(q).unwrap();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("id with space&x=y#z+"));
        assert_eq!(get("redirect_uri"), Some("https://app.example/cb?tab=a%20b&x=%26"));
        assert_eq!(get("login_hint"), Some("a b&c=d#e+f%g/é\u{1F600}"));
        assert_eq!(get("prompt"), Some(""));
        assert_eq!(pairs.len(), 9);
    }

    #[test]
    fn endpoint_query_is_kept_and_reserved_names_cannot_be_overridden() {
        let s = scopes();
        let mut p = params(&s, &[]);
        p.endpoint = "http://127.0.0.1:4000/authorize?tenant=x";
        assert!(build_authorize_url(&p).unwrap().starts_with("http://127.0.0.1:4000/authorize?tenant=x&client_id=demo-client&"));
        for name in RESERVED_AUTHORIZE_PARAMS {
            let extra = vec![(name.to_string(), "evil".to_string())];
            let err = build_authorize_url(&params(&s, &extra)).unwrap_err();
            assert_eq!(err.code(), "invalid_parameter", "{name}");
        }
        let extra = vec![("a".to_string(), "1".to_string()), ("a".to_string(), "2".to_string())];
        assert_eq!(build_authorize_url(&params(&s, &extra)).unwrap_err().code(), "invalid_parameter");
        for bad_name in ["", "a b", "a\"b", &"n".repeat(129)] {
            let extra = vec![(bad_name.to_string(), "v".to_string())];
            assert_eq!(build_authorize_url(&params(&s, &extra)).unwrap_err().code(), "invalid_parameter", "{bad_name:?}");
        }
        let extra = vec![("big".to_string(), "v".repeat(MAX_EXTRA_VALUE + 1))];
        assert_eq!(build_authorize_url(&params(&s, &extra)).unwrap_err().code(), "invalid_parameter");
    }

    #[test]
    fn insecure_or_malformed_inputs_are_refused() {
        let s = scopes();
        let mut p = params(&s, &[]);
        p.endpoint = "http://api.expensicat.com/authorize";
        assert_eq!(build_authorize_url(&p).unwrap_err().code(), "insecure_url");
        let mut p = params(&s, &[]);
        p.redirect_uri = "http://app.example/cb";
        assert_eq!(build_authorize_url(&p).unwrap_err().code(), "insecure_url");
        let mut p = params(&s, &[]);
        p.code_challenge = "plain-verifier";
        assert_eq!(build_authorize_url(&p).unwrap_err().code(), "invalid_parameter");
        let mut p = params(&s, &[]);
        p.state = "short";
        assert_eq!(build_authorize_url(&p).unwrap_err().code(), "invalid_parameter");
        let mut p = params(&s, &[]);
        p.state = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa&x=1";
        assert_eq!(build_authorize_url(&p).unwrap_err().code(), "invalid_parameter");
        let bad = vec!["transactions:read".to_string(), "superuser".to_string()];
        assert_eq!(build_authorize_url(&params(&bad, &[])).unwrap_err().code(), "invalid_scope");
        let mut p = params(&bad, &[]);
        p.allow_custom_scopes = true;
        assert!(build_authorize_url(&p).unwrap().contains("scope=transactions%3Aread+superuser"));
        let mut p = params(&s, &[]);
        p.client_id = "";
        assert_eq!(build_authorize_url(&p).unwrap_err().code(), "invalid_config");
    }
}

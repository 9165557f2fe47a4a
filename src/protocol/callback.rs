//! The authorization response (RFC 6749 section 4.1.2) arriving on the redirect URI.
//!
//! Parsing is split in two so a browser can find the stored transaction first:
//! [`CallbackParams::parse`] checks the URL itself (right endpoint, strict encoding, no repeated
//! or fragment-borne parameters) and exposes `state`; [`validate_callback`] then checks it
//! against the one transaction it belongs to and yields a [`ValidatedCallback`], the only value
//! the token exchange accepts ("validate, then brand").

#[allow(unused_imports)]
use crate::prelude::*;

use super::config::ClientConfig;
use super::encoding::{decode_cow, decode_pairs};
use super::error::{untrusted_text, Error, OAuthError, OAuthErrorCode, Result};
use super::pkce::PkceVerifier;
use super::secret::{constant_time_eq, AuthorizationCode};
use super::text::{before_any, split_byte, split_once_byte};
use super::transaction::LoginTransaction;
use super::url::Url;

/// The longest authorization code accepted, in bytes.
pub const MAX_CODE_LEN: usize = 4096;

/// The parameters that make up an authorization response.
const RESPONSE_PARAMS: [&str; 8] = ["code", "state", "iss", "error", "error_description", "error_uri", "access_token", "id_token"];

/// The OAuth parameters of a callback URL, checked for shape but not yet for their meaning.
#[derive(Debug)]
pub struct CallbackParams {
    code: Option<AuthorizationCode>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    error_uri: Option<String>,
}

impl CallbackParams {
    /// Parses `callback_url` (the full URL the browser landed on).
    ///
    /// # Errors
    /// [`Error::InvalidCallback`] for an unparseable URL or malformed encoding,
    /// [`Error::RedirectUriMismatch`] when scheme, host, port or path differ from the configured
    /// redirect URI, [`Error::DuplicateParameter`] for any parameter given twice, and
    /// [`Error::FragmentResponse`] when response parameters sit in the fragment.
    pub fn parse(config: &ClientConfig, callback_url: &str) -> Result<Self> {
        Self::parse_with(config, callback_url, true)
    }

    /// [`CallbackParams::parse`], with or without the shortcut of [`plain_query`].
    fn parse_with(config: &ClientConfig, callback_url: &str, shortcut: bool) -> Result<Self> {
        let url: Url;
        let query = match plain_query(config, callback_url).filter(|_| shortcut) {
            Some(q) => q,
            None => {
                url = Url::parse(callback_url, "callbackUrl").map_err(|e| Error::InvalidCallback { reason: e.reason })?;
                if !url.same_endpoint(&config.redirect) {
                    return Err(Error::RedirectUriMismatch);
                }
                if let Some(fragment) = url.fragment() {
                    let carries_response =
                        split_byte(fragment, b'&').any(|seg| RESPONSE_PARAMS.contains(&split_once_byte(seg, b'=').map_or(seg, |(n, _)| n)));
                    if carries_response {
                        return Err(Error::FragmentResponse);
                    }
                }
                url.query().unwrap_or("")
            }
        };
        let pairs = decode_pairs(query)
            .map_err(|_| Error::InvalidCallback { reason: "the query has a malformed percent-escape or is not UTF-8" })?;
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(Error::DuplicateParameter { name: untrusted_text(name) });
            }
        }
        let mut p = CallbackParams { code: None, state: None, iss: None, error: None, error_description: None, error_uri: None };
        for (name, value) in pairs {
            let slot = match &*name {
                "state" => &mut p.state,
                "iss" => &mut p.iss,
                "error" => &mut p.error,
                "error_description" => &mut p.error_description,
                "error_uri" => &mut p.error_uri,
                "code" => {
                    p.code = Some(AuthorizationCode::new(value.into_owned()));
                    continue;
                }
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        Ok(p)
    }

    /// The `state` parameter, the key of the transaction this callback claims to belong to.
    ///
    /// # Errors
    /// [`Error::MissingState`] when absent or empty.
    pub fn state(&self) -> Result<&str> {
        self.state.as_deref().filter(|s| !s.is_empty()).ok_or(Error::MissingState)
    }
}

/// The query of `callback_url` when it is the configured redirect URI exactly as configured
/// (which has no query or fragment), then `?` and a query of printable ASCII without `#` or
/// `\\`: what the URL parser would give for it, found without parsing (a test holds the two
/// equal). `None` for anything else, which the parser then reads.
fn plain_query<'a>(config: &ClientConfig, callback_url: &'a str) -> Option<&'a str> {
    if config.redirect.query().is_some() || config.redirect.fragment().is_some() || callback_url.len() > super::url::MAX_URL_LEN {
        return None;
    }
    let query = callback_url.strip_prefix(config.redirect_uri.as_str())?.strip_prefix('?')?;
    query.bytes().all(|b| b > b' ' && b < 0x7f && b != b'\\' && b != b'#').then_some(query)
}

/// A callback that passed every check, bound to its transaction's PKCE verifier. Only
/// [`validate_callback`] makes one, and the token request consumes it, so the state check cannot
/// be skipped and a code cannot be exchanged twice by the same client.
#[derive(Debug)]
pub struct ValidatedCallback {
    pub(crate) code: AuthorizationCode,
    pub(crate) verifier: PkceVerifier,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    /// The login's DPoP key thumbprint: the exchange is signed with that key.
    pub(crate) jkt: Option<String>,
    pub(crate) app_state: Option<String>,
}

impl ValidatedCallback {
    /// The scopes the login asked for (the granted ones come with the token response).
    pub fn requested_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The app state the login was started with (JSON text), for the app once the login is
    /// done. Only a callback that passed every check hands it back.
    pub fn app_state(&self) -> Option<&str> {
        self.app_state.as_deref()
    }
}

/// Checks the callback against its transaction, which it consumes whatever the outcome.
///
/// In order: `state` present and equal (constant time) to the transaction's; the transaction
/// made for this client, issuer and redirect URI, and not expired; `iss` equal to the
/// configured issuer when present (and present when required, RFC 9207 section 2.4); then an
/// `error` becomes [`Error::OAuth`], and otherwise a well-formed `code` is required.
///
/// # Errors
/// [`Error::MissingState`], [`Error::StateMismatch`], [`Error::InvalidTransaction`],
/// [`Error::TransactionExpired`], [`Error::MissingIssuer`], [`Error::IssuerMismatch`],
/// [`Error::OAuth`], [`Error::MissingCode`] or [`Error::InvalidCallback`].
pub fn validate_callback(
    config: &ClientConfig,
    params: CallbackParams,
    transaction: LoginTransaction,
    now_ms: u64,
) -> Result<ValidatedCallback> {
    let state = params.state()?;
    if !constant_time_eq(state.as_bytes(), transaction.state.as_bytes()) {
        return Err(Error::StateMismatch);
    }
    if transaction.client_id != config.client_id || transaction.issuer != config.issuer || transaction.redirect_uri != config.redirect_uri {
        return Err(Error::InvalidTransaction { reason: "it was made for another client configuration" });
    }
    if transaction.is_expired(now_ms) {
        return Err(Error::TransactionExpired);
    }
    match &params.iss {
        Some(iss) if iss != &config.issuer => return Err(Error::IssuerMismatch),
        None if config.require_issuer => return Err(Error::MissingIssuer),
        _ => {}
    }
    if let Some(error) = &params.error {
        let code = OAuthErrorCode::from_wire(error);
        return Err(Error::OAuth(OAuthError {
            code,
            raw_code: (code == OAuthErrorCode::Other).then(|| untrusted_text(error)),
            description: params.error_description.as_deref().map(untrusted_text),
            uri: params.error_uri.as_deref().map(untrusted_text),
            status: 0,
            advice: None,
        }));
    }
    let code = params.code.filter(|c| !c.expose().is_empty()).ok_or(Error::MissingCode)?;
    if code.expose().len() > MAX_CODE_LEN || !code.expose().bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(Error::InvalidCallback { reason: "the code is too long or has characters outside printable ASCII" });
    }
    let LoginTransaction { verifier, redirect_uri, scopes, app_state, jkt, .. } = transaction;
    Ok(ValidatedCallback { code, verifier, redirect_uri, scopes, app_state, jkt })
}

/// [`CallbackParams::parse`] then [`validate_callback`], for callers that already hold the
/// transaction.
///
/// # Errors
/// Any error of the two steps.
pub fn parse_callback(config: &ClientConfig, callback_url: &str, transaction: LoginTransaction, now_ms: u64) -> Result<ValidatedCallback> {
    validate_callback(config, CallbackParams::parse(config, callback_url)?, transaction, now_ms)
}

/// Whether `name`, decoded as [`CallbackParams::parse`] decodes it (`%63ode` is `code`), is a
/// parameter of an authorization response. A name whose escapes do not decode is compared as
/// it stands.
fn is_response_param(name: &str) -> bool {
    let decoded = decode_cow(name);
    let name = decoded.as_deref().unwrap_or(name);
    RESPONSE_PARAMS.contains(&name) || name == "session_state"
}

/// `part` (a query or a fragment) without its response parameters; `None` when nothing is left.
fn strip_part(part: &str) -> Option<String> {
    let mut kept = String::new();
    for seg in split_byte(part, b'&') {
        if seg.is_empty() || is_response_param(split_once_byte(seg, b'=').map_or(seg, |(n, _)| n)) {
            continue;
        }
        if !kept.is_empty() {
            kept.push('&');
        }
        kept.push_str(seg);
    }
    (!kept.is_empty()).then_some(kept)
}

/// Removes the authorization response parameters (`code`, `state`, `iss`, `error`,
/// `error_description`, `error_uri`, `access_token`, `id_token`, `session_state`) from a URL's
/// query and fragment, keeping the path and the app's own parameters and route verbatim. Names
/// are compared after percent-decoding, as the parser reads them, and nothing else about the
/// URL needs to be valid: what is removed does not depend on whether the callback would pass.
pub fn strip_response_params(url: &str) -> String {
    let (before_fragment, fragment) = match split_once_byte(url, b'#') {
        Some((a, f)) => (a, Some(f)),
        None => (url, None),
    };
    let (base, query) = split_once_byte(before_fragment, b'?').map_or((before_fragment, None), |(b, q)| (b, Some(q)));
    let mut out = base.to_owned();
    if let Some(q) = query.and_then(strip_part) {
        out.push('?');
        out.push_str(&q);
    }
    if let Some(f) = fragment.and_then(strip_part) {
        out.push('#');
        out.push_str(&f);
    }
    out
}

/// What the address bar should show instead of `href`, when `href` is on the configured
/// redirect URI (scheme, host, port and path; the query and fragment may be anything, even
/// malformed) and carries response parameters; `None` otherwise. The browser layer applies it
/// before any await, whatever the outcome of the callback's validation.
pub fn cleaned_address_bar(config: &ClientConfig, href: &str) -> Option<String> {
    let base = before_any(href, b"?#");
    let on_redirect = Url::parse(base, "location").is_ok_and(|u| u.same_endpoint(&config.redirect));
    let cleaned = strip_response_params(href);
    (on_redirect && cleaned != href).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::config::ClientConfigInput;
    use crate::test_support::{config, input, start};

    const CB: &str = "https://app.example/callback";

    fn run(url: &str) -> Result<ValidatedCallback> {
        parse_callback(&config(), url, start().transaction, 1_000_001)
    }

    fn state() -> String {
        start().transaction.state().to_owned()
    }

    #[test]
    fn happy_path_yields_code_and_verifier() {
        let s = start();
        let verifier = s.transaction.verifier.expose().to_owned();
        let url = format!("{CB}?code=SplxlOBeZQQYbYS6WxSbIA&state={}&iss=https%3A%2F%2Fapi.expensicat.com", s.transaction.state());
        let v = parse_callback(&config(), &url, s.transaction, 1_000_001).unwrap();
        assert_eq!(v.code.expose(), "SplxlOBeZQQYbYS6WxSbIA");
        assert_eq!(v.verifier.expose(), verifier);
        assert_eq!(v.requested_scopes(), ["transactions:read"]);
        assert!(!format!("{v:?}").contains("SplxlOBeZQQYbYS6WxSbIA"));
        // The app's own parameters are fine; iss is optional by default.
        assert!(run(&format!("{CB}?tab=2&code=c&state={}", state())).is_ok());
        // Default port spelled out and upper-case host still match.
        assert!(run(&format!("https://APP.example:443/callback?code=c&state={}", state())).is_ok());
    }

    #[test]
    fn hostile_callbacks_get_exact_codes() {
        let st = state();
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "invalid_callback"),
            ("not a url".into(), "invalid_callback"),
            (format!("{CB}?code=c&state={st}&code=d"), "duplicate_parameter"),
            (format!("{CB}?code=c&state={st}&state={st}"), "duplicate_parameter"),
            (format!("{CB}?code=c&state={st}&tab=1&tab=2"), "duplicate_parameter"),
            (format!("{CB}#code=c&state={st}"), "fragment_response"),
            (format!("{CB}?code=c#state={st}"), "fragment_response"),
            (format!("{CB}?code=c"), "missing_state"),
            (format!("{CB}?code=c&state="), "missing_state"),
            (format!("{CB}?code=c&State={st}"), "missing_state"),
            (format!("{CB}?code=c&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "state_mismatch"),
            (format!("{CB}?code=c&state={st}x"), "state_mismatch"),
            (format!("{CB}?state={st}"), "missing_code"),
            (format!("{CB}?code=&state={st}"), "missing_code"),
            (format!("{CB}?Code=c&state={st}"), "missing_code"),
            (format!("{CB}?code=a%0D%0Ab&state={st}"), "invalid_callback"),
            (format!("{CB}?code={}&state={st}", "a".repeat(MAX_CODE_LEN + 1)), "invalid_callback"),
            (format!("{CB}?code={}&state={st}", "a".repeat(1 << 20)), "invalid_callback"),
            (format!("{CB}?code=%E9&state={st}"), "invalid_callback"),
            (format!("{CB}?code=%zz&state={st}"), "invalid_callback"),
            (format!("{CB}?code=c&state={st}&iss=https%3A%2F%2Fevil.example"), "issuer_mismatch"),
            (format!("{CB}?code=c&state={st}&iss=https%3A%2F%2Fapi.expensicat.com%2F"), "issuer_mismatch"),
            (format!("{CB}?error=access_denied&state={st}"), "access_denied"),
            (format!("{CB}?error=server_error&state={st}&code=c"), "server_error"),
            (format!("{CB}?error=made_up&state={st}"), "oauth_error"),
            (format!("{CB}?error=access_denied"), "missing_state"),
            (format!("https://app.example:8443/callback?code=c&state={st}"), "redirect_uri_mismatch"),
            (format!("http://app.example/callback?code=c&state={st}"), "redirect_uri_mismatch"),
            (format!("https://app.example/callback/../admin?code=c&state={st}"), "redirect_uri_mismatch"),
            (format!("https://app.example/callback.evil?code=c&state={st}"), "redirect_uri_mismatch"),
            (format!("https://app.example/callback/?code=c&state={st}"), "redirect_uri_mismatch"),
            (format!("https://app.example.evil/callback?code=c&state={st}"), "redirect_uri_mismatch"),
            (format!("https://evil.example/callback?code=c&state={st}"), "redirect_uri_mismatch"),
            (format!("https://x@app.example/callback?code=c&state={st}"), "invalid_callback"),
        ];
        for (url, code) in cases {
            assert_eq!(run(&url).map(|_| ()).unwrap_err().code(), code, "{url:.120}");
        }
    }

    #[test]
    fn error_response_keeps_sanitised_description() {
        let url = format!(
            "{CB}?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E%0D%0Ax&error_uri=https%3A%2F%2Fx&state={}",
            state()
        );
        match run(&url).unwrap_err() {
            Error::OAuth(e) => {
                assert_eq!(e.code, OAuthErrorCode::AccessDenied);
                assert_eq!(e.description.as_deref(), Some("<script>alert(1)</script>  x"));
                assert_eq!(e.uri.as_deref(), Some("https://x"));
                assert_eq!(e.status, 0);
            }
            other => panic!("{other:?}"),
        }
    }

    /// RFC 9207 section 2.4: `iss` is compared with the issuer exactly as configured, as a
    /// string; a trailing slash or a path is part of the identifier, not noise to normalise.
    #[test]
    fn iss_is_compared_with_the_issuer_as_configured() {
        use crate::protocol::login::{start_login, LoginRequest};
        use crate::test_support::random;
        let cases = [
            ("https://as.example/", "https%3A%2F%2Fas.example%2F", "ok"),
            ("https://as.example/", "https%3A%2F%2Fas.example", "issuer_mismatch"),
            ("https://as.example", "https%3A%2F%2Fas.example", "ok"),
            ("https://as.example", "https%3A%2F%2Fas.example%2F", "issuer_mismatch"),
            ("https://as.example/tenant/a", "https%3A%2F%2Fas.example%2Ftenant%2Fa", "ok"),
            ("https://as.example/tenant/a", "https%3A%2F%2Fas.example%2Ftenant%2Fa%2F", "issuer_mismatch"),
            ("https://as.example/tenant/a", "https%3A%2F%2Fas.example%2Ftenant%2FA", "issuer_mismatch"),
            ("https://as.example/tenant/a/", "https%3A%2F%2Fas.example%2Ftenant%2Fa%2F", "ok"),
            ("https://as.example/tenant/a/", "https%3A%2F%2Fas.example%2Ftenant%2Fa", "issuer_mismatch"),
        ];
        for (issuer, iss, code) in cases {
            for require_issuer in [false, true] {
                let c = ClientConfig::new(ClientConfigInput { issuer: Some(issuer.into()), require_issuer, ..input() }).unwrap();
                assert_eq!(c.issuer(), issuer);
                let s = start_login(&c, &LoginRequest::default(), &random(), 0).unwrap();
                let url = format!("{CB}?code=c&state={}&iss={iss}", s.transaction.state());
                let got = parse_callback(&c, &url, s.transaction, 1).map_or_else(|e| e.code(), |_| "ok");
                assert_eq!(got, code, "issuer {issuer}, iss {iss}, requireIssuer {require_issuer}");
            }
        }
        // The default endpoints are still derived from the issuer's base, without a double slash.
        let c = ClientConfig::new(ClientConfigInput { issuer: Some("https://as.example/tenant/a/".into()), ..input() }).unwrap();
        assert_eq!(c.token_endpoint(), "https://as.example/tenant/a/api/auth/oauth2/token");
        assert_eq!(c.authorization_endpoint(), "https://as.example/tenant/a/api/auth/oauth2/authorize");
        assert_eq!(c.api_base(), "https://as.example/tenant/a/api");
    }

    #[test]
    fn expiry_other_config_and_required_issuer() {
        let s = start();
        let url = format!("{CB}?code=c&state={}", s.transaction.state());
        let expired = s.transaction.expires_at_ms();
        assert_eq!(parse_callback(&config(), &url, s.transaction, expired).unwrap_err().code(), "transaction_expired");

        let strict = ClientConfig::new(ClientConfigInput { require_issuer: true, ..input() }).unwrap();
        let s = start();
        let url = format!("{CB}?code=c&state={}", s.transaction.state());
        assert_eq!(parse_callback(&strict, &url, s.transaction, 0).unwrap_err().code(), "missing_issuer");
        let s = start();
        let ok = format!("{url}&iss=https%3A%2F%2Fapi.expensicat.com");
        assert!(parse_callback(&strict, &ok, s.transaction, 0).is_ok());

        let other = ClientConfig::new(ClientConfigInput { client_id: "someone-else".into(), ..input() }).unwrap();
        let s = start();
        let url = format!("{CB}?code=c&state={}", s.transaction.state());
        assert_eq!(parse_callback(&other, &url, s.transaction, 0).unwrap_err().code(), "invalid_transaction");
    }

    #[test]
    fn strip_keeps_app_params_and_fragment() {
        assert_eq!(
            strip_response_params("https://a.example/cb?tab=2&code=x&state=y&iss=z&q=a%20b#/route"),
            "https://a.example/cb?tab=2&q=a%20b#/route"
        );
        assert_eq!(strip_response_params("https://a.example/cb?code=x&state=y"), "https://a.example/cb");
        assert_eq!(
            strip_response_params("https://a.example/cb?error=e&error_description=d&error_uri=u&session_state=s"),
            "https://a.example/cb"
        );
        assert_eq!(strip_response_params("https://a.example/cb"), "https://a.example/cb");
        assert_eq!(strip_response_params("https://a.example/cb?&&code"), "https://a.example/cb");
        // Names as the parser decodes them: percent-escapes and `+` do not hide a parameter.
        assert_eq!(strip_response_params("https://a.example/cb?%63ode=x&st%61te=y&keep=1"), "https://a.example/cb?keep=1");
        assert_eq!(strip_response_params("https://a.example/cb?%43ode=x"), "https://a.example/cb?%43ode=x");
        // Whatever the validation outcome: a raw backslash, a bad escape, a repeat.
        assert_eq!(strip_response_params("https://a.example/cb?code=x&state=y&error_description=a\\b"), "https://a.example/cb");
        assert_eq!(strip_response_params("https://a.example/cb?code=%zz&code=x&a=%zz"), "https://a.example/cb?a=%zz");
        // Response parameters in the fragment are removed too; an app route stays.
        assert_eq!(strip_response_params("https://a.example/cb#code=x&state=y"), "https://a.example/cb");
        assert_eq!(strip_response_params("https://a.example/cb?x=1#access_token=t&route=a"), "https://a.example/cb?x=1#route=a");
        assert_eq!(strip_response_params("https://a.example/cb#/route"), "https://a.example/cb#/route");
    }

    #[test]
    fn the_address_bar_is_cleaned_on_the_redirect_uri_whatever_the_query_holds() {
        let cfg = config();
        let clean = |href: &str| cleaned_address_bar(&cfg, href);
        assert_eq!(clean(&format!("{CB}?code=x&state=y&error_description=a\\b")).as_deref(), Some(CB));
        assert_eq!(clean(&format!("{CB}?%63ode=x&st%61te=y")).as_deref(), Some(CB));
        assert_eq!(clean(&format!("{CB}#code=x&state=y")).as_deref(), Some(CB));
        assert_eq!(clean(&format!("{CB}?code=x&code=y")).as_deref(), Some(CB));
        assert_eq!(clean(CB), None);
        assert_eq!(clean(&format!("{CB}?tab=1")), None);
        // Not the redirect URI: the app's page is left alone.
        assert_eq!(clean("https://app.example/other?code=x&state=y"), None);
        assert_eq!(clean("https://evil.example/callback?code=x"), None);
    }

    fn seen(r: Result<CallbackParams>) -> Result<[Option<String>; 6]> {
        r.map(|p| [p.code.map(|c| c.expose().to_owned()), p.state, p.iss, p.error, p.error_description, p.error_uri])
    }

    /// The shortcut of `plain_query` gives what the URL parser gives: on callbacks made of the
    /// configured redirect URI (as written, with another case, with a trailing slash) and a
    /// query or fragment of every ASCII byte, escapes, duplicates and non-ASCII text.
    #[test]
    fn the_plain_query_shortcut_agrees_with_the_parser() {
        let mut next = crate::test_support::xorshift(0x2545_f491_4f6c_dd1d_u64);
        let pieces: Vec<String> = (0u8..0x80)
            .map(|b| char::from(b).to_string())
            .chain(
                [
                    "code=abc",
                    "state=xyz",
                    "&",
                    "=",
                    "%41",
                    "%zz",
                    "%",
                    "iss=https%3A%2F%2Fapi.expensicat.com",
                    "é",
                    "error=access_denied",
                    "#",
                ]
                .map(String::from),
            )
            .collect();
        let mut shortcut = 0;
        for c in [config(), ClientConfig::new(ClientConfigInput { redirect_uri: "http://127.0.0.1:8080".into(), ..input() }).unwrap()] {
            let base = c.redirect_uri().to_owned();
            let prefixes = [base.clone(), base.to_uppercase(), format!("{base}/"), base.replace("://", "://WWW.")];
            for _ in 0..20_000 {
                let prefix = &prefixes[(next() % 4) as usize];
                let sep = ["?", "?", "?", "#", "", "?&"][(next() % 6) as usize];
                let n = next() % 12;
                let tail: String = (0..n).map(|_| pieces[(next() % pieces.len() as u64) as usize].as_str()).collect();
                let url = format!("{prefix}{sep}{tail}");
                shortcut += usize::from(plain_query(&c, &url).is_some());
                assert_eq!(seen(CallbackParams::parse_with(&c, &url, true)), seen(CallbackParams::parse_with(&c, &url, false)), "{url}");
            }
        }
        assert!(shortcut > 1000, "{shortcut} callbacks took the shortcut");
    }
}

//! The pure half of a signed-in session: which tokens it holds, when they need refreshing,
//! how a rotated refresh token replaces the old one, how API error bodies are read, and the opt-in storage format. The browser layer adds only fetch, timers and storage.

#[allow(unused_imports)]
use crate::prelude::*;

use super::bearer::is_b64token;
use super::challenge::{bearer, challenge, BearerError};
use super::error::{untrusted_text, Error, Result};
use super::json::{self, Fields, Obj};
use super::retry_after::parse_retry_after;
use super::scope::required_scope;
use super::secret::{AccessToken, RefreshToken, Secret};
use super::token::TokenSet;

/// How the session got its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    /// Through the OAuth code flow (may refresh).
    OAuth,
    /// A token the app supplied directly (a session JWT); never refreshed.
    Bearer,
}

/// The tokens of a session. `Debug` is redacted.
#[derive(Debug)]
pub struct Tokens {
    access: AccessToken,
    expires_at_ms: Option<u64>,
    refresh: Option<RefreshToken>,
    scopes: Vec<String>,
    mode: SessionMode,
    /// Received from another tab without its refresh token, which the tab that made it keeps
    /// (see `session_machine`): refreshable by asking that tab.
    remote: bool,
    /// The thumbprint of the DPoP key the tokens are bound to (RFC 9449), which signs every
    /// request that uses them, in every tab.
    jkt: Option<String>,
}

/// What the app may see of a session: never a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Granted scopes (the requested ones when the server did not list them).
    pub scopes: Vec<String>,
    /// Access token expiry in ms since the epoch, when known.
    pub expires_at: Option<u64>,
    /// Whether the session can refresh itself.
    pub has_refresh_token: bool,
    /// `oauth` or `bearer`.
    pub mode: SessionMode,
}

impl SessionMode {
    /// `oauth` or `bearer`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::OAuth => "oauth",
            SessionMode::Bearer => "bearer",
        }
    }
}

impl SessionInfo {
    /// The JSON the app sees: `{"scopes":[...],"expiresAt":n,"hasRefreshToken":b,"mode":"oauth"}`.
    pub fn to_json(&self) -> String {
        Obj::new()
            .strs("scopes", &self.scopes)
            .opt_u64("expiresAt", self.expires_at)
            .bool("hasRefreshToken", self.has_refresh_token)
            .str("mode", self.mode.as_str())
            .finish()
    }
}

impl Tokens {
    /// A session from a token response; `requested` stands in for an absent `scope`
    /// (RFC 6749 section 5.1); `jkt`: the thumbprint of the DPoP key the tokens are bound to
    /// (none: bearer tokens).
    pub fn from_token_set(set: TokenSet, requested: &[String], jkt: Option<String>) -> Self {
        Tokens {
            access: set.access_token,
            expires_at_ms: set.expires_at_ms,
            refresh: set.refresh_token,
            scopes: set.scope.unwrap_or_else(|| requested.to_vec()),
            mode: SessionMode::OAuth,
            remote: false,
            jkt,
        }
    }

    /// The thumbprint of the DPoP key the tokens are bound to, if any.
    pub fn jkt(&self) -> Option<&str> {
        self.jkt.as_deref()
    }

    /// A direct bearer session (session JWT or a token obtained elsewhere).
    ///
    /// # Errors
    /// [`Error::InvalidToken`] when `token` is not an RFC 6750 `b64token`.
    pub fn bearer(token: &str, expires_at_ms: Option<u64>) -> Result<Self> {
        if !is_b64token(token) {
            return Err(Error::InvalidToken);
        }
        Ok(Tokens {
            access: AccessToken::new(token),
            expires_at_ms,
            refresh: None,
            scopes: Vec::new(),
            mode: SessionMode::Bearer,
            remote: false,
            jkt: None,
        })
    }

    /// Applies a refresh response: the new access token always; the new refresh token when the
    /// server rotated it (otherwise the old one stays, RFC 6749 section 6); scopes when listed.
    pub fn rotate(&mut self, set: TokenSet) {
        self.access = set.access_token;
        self.expires_at_ms = set.expires_at_ms;
        if let Some(r) = set.refresh_token {
            self.refresh = Some(r);
        }
        if let Some(s) = set.scope {
            self.scopes = s;
        }
    }

    /// Whether the access token is still good at `now_ms` with `skew_ms` to spare. Checked on
    /// every read, against the clock, because timers stall while a laptop sleeps.
    pub fn is_fresh(&self, now_ms: u64, skew_ms: u64) -> bool {
        is_fresh(self.expires_at_ms, now_ms, skew_ms)
    }

    /// The access token.
    pub fn access_token(&self) -> &AccessToken {
        &self.access
    }

    /// The refresh token, if any.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh.as_ref()
    }

    /// What the app may see.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            scopes: self.scopes.clone(),
            expires_at: self.expires_at_ms,
            has_refresh_token: self.refresh.is_some() || self.remote,
            mode: self.mode,
        }
    }

    /// Whether another tab holds this session's refresh token and refreshes it on request.
    pub fn remote_refresh(&self) -> bool {
        self.remote
    }

    /// Serialises for storage and for the other tabs (holds the tokens).
    pub fn to_storage(&self) -> Secret {
        self.to_record(true, self.remote)
    }

    /// The record without the refresh token, for a tab that must ask this one to refresh
    /// (`remote`: this session can be refreshed that way).
    pub fn to_record(&self, with_refresh: bool, remote: bool) -> Secret {
        let refresh = self.refresh.as_ref().filter(|_| with_refresh);
        let tokens = self.access.expose().len() + refresh.map_or(0, |r| r.expose().len());
        let scopes: usize = self.scopes.iter().map(|s| s.len() + 3).sum();
        Secret::new(
            Obj::with_capacity(128 + 2 * tokens + scopes)
                .u64("v", 1)
                .str("access", self.access.expose())
                .opt_u64("expiresAt", self.expires_at_ms)
                .opt_str("refresh", refresh.map(RefreshToken::expose))
                .strs("scopes", &self.scopes)
                .str("mode", self.mode.as_str())
                .opt_bool_true("remote", remote)
                .opt_str("jkt", self.jkt.as_deref())
                .finish(),
        )
    }

    /// Reads stored tokens back.
    ///
    /// # Errors
    /// [`Error::Storage`] for anything malformed.
    pub fn from_storage(value: &str) -> Result<Self> {
        let bad = Error::Storage { reason: "the stored session is corrupt" };
        if value.len() > 64 * 1024 {
            return Err(bad);
        }
        let read = || -> core::result::Result<Self, json::ShapeError> {
            let mut f = Fields::parse(value)?;
            let v = f.u64("v");
            let access = f.string("access").unwrap_or_default();
            let expires_at_ms = f.u64("expiresAt");
            let refresh = f.string("refresh");
            let scopes = f.strings("scopes").unwrap_or_default();
            let mode = f.one_of("mode", &[("oauth", SessionMode::OAuth), ("bearer", SessionMode::Bearer)]);
            let remote = f.bool("remote").unwrap_or_default();
            let jkt = f.string("jkt");
            f.finish()?;
            let mode = mode.ok_or(json::ShapeError::WrongType("mode"))?;
            if jkt.as_deref().is_some_and(|j| !super::dpop::is_thumbprint(j) || mode != SessionMode::OAuth) {
                return Err(json::ShapeError::WrongType("jkt"));
            }
            if v != Some(1) || !is_b64token(&access) || refresh.as_deref().is_some_and(str::is_empty) {
                return Err(json::ShapeError::WrongType("v"));
            }
            if remote && (refresh.is_some() || mode != SessionMode::OAuth) {
                return Err(json::ShapeError::WrongType("remote"));
            }
            Ok(Tokens {
                access: AccessToken::new(access),
                expires_at_ms,
                refresh: refresh.map(RefreshToken::new),
                scopes,
                mode,
                remote,
                jkt,
            })
        };
        read().map_err(|_| bad)
    }
}

/// Whether a token expiring at `expires_at_ms` (never, when `None`) is still good at `now_ms`
/// with `skew_ms` to spare.
pub fn is_fresh(expires_at_ms: Option<u64>, now_ms: u64, skew_ms: u64) -> bool {
    match expires_at_ms {
        None => true,
        Some(exp) => now_ms.saturating_add(skew_ms) < exp,
    }
}

/// What an API answer says of the token it was sent with (RFC 6750 section 3.1), from its status
/// and its `WWW-Authenticate` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal<'a> {
    /// 401, or 403 with a `Bearer error="invalid_token"` challenge (or, where the Bearer
    /// challenge names no error, a `DPoP` one: RFC 9449 section 7.1; read whatever the token's
    /// scheme, since the server says the same of the token either way): the token itself is
    /// refused, and one refresh and one retry may help.
    Token,
    /// 403 with `Bearer error="insufficient_scope"` (or, as above, `DPoP`), and the challenge's
    /// `scope` when it has one.
    Scope(Option<&'a str>),
    /// Anything else (a 403 included): nothing said of the token.
    None,
}

/// Reads [`Refusal`] from an answer's `status` and `WWW-Authenticate` value, with the crate's
/// RFC 7235 reader (`codec::challenge`): a header that does not follow RFC 7235 says nothing.
pub fn refusal(status: u16, www_authenticate: Option<&str>) -> Refusal<'_> {
    match status {
        401 => Refusal::Token,
        // A DPoP-bound token's challenge is of the DPoP scheme, with the same errors (RFC 9449
        // section 7.1).
        403 => match www_authenticate
            .and_then(|h| bearer(h).filter(|b| b.error().is_some()).or_else(|| challenge(h, "dpop")))
            .map(|b| (b.error(), b.scope()))
        {
            Some((Some(BearerError::InvalidToken), _)) => Refusal::Token,
            Some((Some(BearerError::InsufficientScope), scope)) => Refusal::Scope(scope),
            _ => Refusal::None,
        },
        _ => Refusal::None,
    }
}

/// The typed error for an Expensicat API answer that is not 2xx, given its `Retry-After` and
/// `WWW-Authenticate` headers:
/// - 401, or 403 with `Bearer error="invalid_token"`: [`Error::Unauthorized`];
/// - 403 with `Bearer error="insufficient_scope"`, or with Expensicat's error body of code
///   `insufficient_scope` (`{"error":{"code":"insufficient_scope",...}}`):
///   [`Error::InsufficientScope`], with the scope from the body's `details.required_scope`, else
///   the challenge's `scope` (when it names one scope), else [`required_scope`];
/// - 429: [`Error::RateLimited`];
/// - anything else, any other 403 included: [`Error::Api`] with the status and the body's
///   `error.code` and `error.message` as untrusted text.
pub fn api_error(
    status: u16,
    body: &str,
    retry_after: Option<&str>,
    www_authenticate: Option<&str>,
    now_ms: u64,
    method: &str,
    path: &str,
) -> Error {
    let parsed = if body.len() <= 64 * 1024 { json::parse(body) } else { None };
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |k: &str| err.and_then(|e| e.get_str(k)).map(untrusted_text).unwrap_or_default();
    let scope = match refusal(status, www_authenticate) {
        Refusal::Token => return Error::Unauthorized,
        Refusal::Scope(scope) => Some(scope),
        Refusal::None if status == 403 && err.and_then(|e| e.get_str("code")) == Some("insufficient_scope") => Some(None),
        Refusal::None => None,
    };
    if let Some(from_challenge) = scope {
        let one = |s: &&str| super::scope::is_scope_token(s);
        let from_body = err.and_then(|e| e.get("details")).and_then(|d| d.get_str("required_scope")).filter(one);
        // The body's scope, else the challenge's, else the table's.
        let required_scope = match from_body.or(from_challenge.filter(one)) {
            Some(s) => Some(untrusted_text(s)),
            None => required_scope(method, path).map(|s| s.as_str().to_owned()),
        };
        return Error::InsufficientScope { required_scope };
    }
    match status {
        429 => Error::RateLimited { retry_after_ms: retry_after.and_then(|v| parse_retry_after(v, now_ms)) },
        _ => Error::Api { status, api_code: field("code"), message: field("message") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::token::parse_token_response;

    fn set(body: &str) -> TokenSet {
        parse_token_response(200, body, 1_000).unwrap()
    }

    #[test]
    fn freshness_is_checked_against_the_clock() {
        let t = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer","expires_in":60}"#), &["x".into()], None);
        assert_eq!(t.info().expires_at, Some(61_000));
        assert!(t.is_fresh(30_000, 30_000));
        assert!(!t.is_fresh(31_000, 30_000));
        assert!(!t.is_fresh(61_000, 0));
        assert!(!t.is_fresh(u64::MAX, 0));
        let forever = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer"}"#), &[], None);
        assert!(forever.is_fresh(u64::MAX, u64::MAX));
    }

    #[test]
    fn requested_scopes_stand_in_for_missing_scope() {
        let t = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer"}"#), &["transactions:read".into()], None);
        assert_eq!(t.info().scopes, ["transactions:read"]);
        let t = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer","scope":"team:read"}"#), &["x".into()], None);
        assert_eq!(t.info().scopes, ["team:read"]);
    }

    #[test]
    fn rotation_replaces_refresh_token_only_when_sent() {
        let mut t = Tokens::from_token_set(set(r#"{"access_token":"a1","token_type":"Bearer","refresh_token":"r1"}"#), &[], None);
        t.rotate(set(r#"{"access_token":"a2","token_type":"Bearer","refresh_token":"r2","expires_in":5}"#));
        assert_eq!(t.access_token().expose(), "a2");
        assert_eq!(t.refresh_token().map(RefreshToken::expose), Some("r2"));
        assert_eq!(t.info().expires_at, Some(6_000));
        t.rotate(set(r#"{"access_token":"a3","token_type":"Bearer"}"#));
        assert_eq!(t.access_token().expose(), "a3");
        assert_eq!(t.refresh_token().map(RefreshToken::expose), Some("r2"));
        assert_eq!(t.info().expires_at, None);
    }

    #[test]
    fn info_and_debug_never_show_tokens() {
        let t = Tokens::from_token_set(set(r#"{"access_token":"AT-SECRET","token_type":"Bearer","refresh_token":"RT-SECRET"}"#), &[], None);
        let shown = format!("{t:?} {:?} {}", t.info(), t.info().to_json());
        assert!(!shown.contains("AT-SECRET") && !shown.contains("RT-SECRET"), "{shown}");
        assert_eq!(t.info().to_json(), r#"{"scopes":[],"hasRefreshToken":true,"mode":"oauth"}"#);
    }

    #[test]
    fn bearer_mode_validates_the_token() {
        let t = Tokens::bearer("eyJ.abc.def", Some(5)).unwrap();
        assert_eq!(t.info().mode, SessionMode::Bearer);
        assert!(!t.info().has_refresh_token);
        assert_eq!(Tokens::bearer("a b", None).unwrap_err().code(), "invalid_token");
        assert_eq!(Tokens::bearer("", None).unwrap_err().code(), "invalid_token");
    }

    #[test]
    fn storage_round_trip_and_corruption() {
        let body = r#"{"access_token":"a","token_type":"Bearer","refresh_token":"r","expires_in":9,"scope":"s"}"#;
        let t = Tokens::from_token_set(set(body), &[], None);
        let back = Tokens::from_storage(t.to_storage().expose()).unwrap();
        assert_eq!(back.info(), t.info());
        assert_eq!(back.access_token().expose(), "a");
        assert_eq!(back.jkt(), None);
        // A DPoP session carries its key's thumbprint to storage and to the other tabs.
        let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        let bound = Tokens::from_storage(Tokens::from_token_set(set(body), &[], Some(jkt.into())).to_storage().expose()).unwrap();
        assert_eq!(bound.jkt(), Some(jkt));
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"v":2,"access":"a","expiresAt":null,"refresh":null,"scopes":[],"mode":"oauth"}"#,
            r#"{"v":1,"access":"a b","expiresAt":null,"refresh":null,"scopes":[],"mode":"oauth"}"#,
            r#"{"v":1,"access":"a","scopes":[],"mode":"oauth","jkt":"short"}"#,
            r#"{"v":1,"access":"a","scopes":[],"mode":"bearer","jkt":"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"}"#,
        ] {
            assert_eq!(Tokens::from_storage(bad).unwrap_err().code(), "storage_unavailable", "{bad}");
        }
    }

    #[test]
    fn api_errors_are_typed() {
        assert_eq!(api_error(401, "", None, None, 0, "GET", "/v1/transactions"), Error::Unauthorized);
        assert_eq!(
            api_error(
                403,
                r#"{"error":{"code":"insufficient_scope","message":"m","details":{"required_scope":"transactions:write"}}}"#,
                None,
                None,
                0,
                "GET",
                "/x"
            ),
            Error::InsufficientScope { required_scope: Some("transactions:write".into()) }
        );
        assert_eq!(api_error(429, "", Some("3"), None, 0, "GET", "/"), Error::RateLimited { retry_after_ms: Some(3000) });
        assert_eq!(
            api_error(
                422,
                r#"{"error":{"code":"validation_failed","message":"amount\r\n<b>"}}"#,
                None,
                None,
                0,
                "POST",
                "/v1/transactions"
            ),
            Error::Api { status: 422, api_code: "validation_failed".into(), message: "amount  <b>".into() }
        );
        assert_eq!(
            api_error(502, "<html>Bad gateway</html>", None, None, 0, "GET", "/"),
            Error::Api { status: 502, api_code: String::new(), message: String::new() }
        );
    }

    /// RFC 6750 section 3.1: a 403 is `insufficient_scope` only when the API says so (in its
    /// challenge or in Expensicat's error body), `invalid_token` in the challenge is a refused
    /// token like a 401, and any other 403 is an API error with its status.
    #[test]
    fn a_403_means_what_the_api_says() {
        let scope = |s: Option<&str>| Error::InsufficientScope { required_scope: s.map(Into::into) };
        let forbidden = |body: &str, header: Option<&str>, path: &str| api_error(403, body, None, header, 0, "POST", path);
        let challenge = Some(r#"Bearer realm="expensicat", error="insufficient_scope", scope="invoices:read""#);
        // The challenge alone: its scope, else the table's.
        assert_eq!(forbidden("", challenge, "/v1/nope"), scope(Some("invoices:read")));
        assert_eq!(forbidden("<html>", Some(r#"Bearer error="insufficient_scope""#), "/v1/invoices"), scope(Some("invoices:write")));
        assert_eq!(forbidden("", Some(r#"Bearer error="insufficient_scope", scope="a b""#), "/v1/nope"), scope(None));
        // The body's scope first.
        let body = r#"{"error":{"code":"insufficient_scope","message":"m","details":{"required_scope":"team:read"}}}"#;
        assert_eq!(forbidden(body, challenge, "/v1/invoices"), scope(Some("team:read")));
        // Expensicat's body alone (a browser shows no WWW-Authenticate the server did not expose).
        assert_eq!(forbidden(r#"{"error":{"code":"insufficient_scope"}}"#, None, "/v1/invoices"), scope(Some("invoices:write")));
        assert_eq!(forbidden(r#"{"error":{"details":{"required_scope":"a b"}}}"#, challenge, "/nope"), scope(Some("invoices:read")));
        // A refused token.
        for h in [r#"Bearer error="invalid_token""#, r#"Basic realm="x", bearer ERROR="invalid_token", error_description="expired""#] {
            assert_eq!(forbidden(body, Some(h), "/v1/invoices"), Error::Unauthorized, "{h}");
        }
        // Anything else is the API's own error, with its status.
        let other = |code: &str, message: &str| Error::Api { status: 403, api_code: code.into(), message: message.into() };
        assert_eq!(
            forbidden(r#"{"error":{"code":"account_suspended","message":"Suspended"}}"#, None, "/v1/invoices"),
            other("account_suspended", "Suspended")
        );
        assert_eq!(forbidden("<html>Forbidden</html>", None, "/v1/invoices"), other("", ""));
        assert_eq!(forbidden("", Some(r#"Bearer realm="expensicat""#), "/v1/invoices"), other("", ""));
        assert_eq!(forbidden("", Some(r#"Bearer error="invalid_request""#), "/v1/invoices"), other("", ""));
        assert_eq!(forbidden("", Some(r#"Basic error="insufficient_scope""#), "/v1/invoices"), other("", ""));
        assert_eq!(forbidden("", Some(r#"Bearer error="insufficient_scope", error="invalid_token""#), "/v1/invoices"), other("", ""));
        assert_eq!(forbidden("", Some(r#"Bearer error="insufficient_scope"#), "/v1/invoices"), other("", ""));
        assert_eq!(forbidden(r#"{"error":{"code":"INSUFFICIENT_SCOPE"}}"#, None, "/v1/invoices"), other("INSUFFICIENT_SCOPE", ""));
        // The challenge counts on 403 only.
        assert_eq!(
            api_error(400, "", None, Some(r#"Bearer error="invalid_token""#), 0, "GET", "/"),
            Error::Api { status: 400, api_code: String::new(), message: String::new() }
        );
        assert_eq!(refusal(500, Some(r#"Bearer error="invalid_token""#)), Refusal::None);
        assert_eq!(refusal(401, Some(r#"Bearer error="insufficient_scope""#)), Refusal::Token);
    }
}

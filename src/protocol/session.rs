//! The pure half of a signed-in session: which tokens it holds, when they need refreshing,
//! how a rotated refresh token replaces the old one, how `Retry-After` and API error bodies are
//! read, and the opt-in storage format. The browser layer adds only fetch, timers and storage.

#[allow(unused_imports)]
use crate::prelude::*;

use super::encoding::parse_digits;
use super::error::{untrusted_text, Error, Result};
use super::json::{self, Fields, Obj};
use super::scope::required_scope;
use super::secret::Secret;
use super::token::{is_b64token, TokenSet};

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
    access: Secret,
    expires_at_ms: Option<u64>,
    refresh: Option<Secret>,
    scopes: Vec<String>,
    mode: SessionMode,
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
    /// (RFC 6749 section 5.1).
    pub fn from_token_set(set: TokenSet, requested: &[String]) -> Self {
        Tokens {
            access: set.access_token,
            expires_at_ms: set.expires_at_ms,
            refresh: set.refresh_token,
            scopes: set.scope.unwrap_or_else(|| requested.to_vec()),
            mode: SessionMode::OAuth,
        }
    }

    /// A direct bearer session (session JWT or a token obtained elsewhere).
    ///
    /// # Errors
    /// [`Error::InvalidToken`] when `token` is not an RFC 6750 `b64token`.
    pub fn bearer(token: &str, expires_at_ms: Option<u64>) -> Result<Self> {
        if !is_b64token(token) {
            return Err(Error::InvalidToken);
        }
        Ok(Tokens { access: Secret::new(token), expires_at_ms, refresh: None, scopes: Vec::new(), mode: SessionMode::Bearer })
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
        match self.expires_at_ms {
            None => true,
            Some(exp) => now_ms.saturating_add(skew_ms) < exp,
        }
    }

    /// The access token.
    pub fn access_token(&self) -> &Secret {
        &self.access
    }

    /// The refresh token, if any.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh.as_ref()
    }

    /// What the app may see.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            scopes: self.scopes.clone(),
            expires_at: self.expires_at_ms,
            has_refresh_token: self.refresh.is_some(),
            mode: self.mode,
        }
    }

    /// Serialises for the opt-in `sessionStorage` mode (holds the tokens).
    pub fn to_storage(&self) -> Secret {
        let tokens = self.access.expose().len() + self.refresh.as_ref().map_or(0, |r| r.expose().len());
        let scopes: usize = self.scopes.iter().map(|s| s.len() + 3).sum();
        Secret::new(
            Obj::with_capacity(128 + 2 * tokens + scopes)
                .u64("v", 1)
                .str("access", self.access.expose())
                .opt_u64("expiresAt", self.expires_at_ms)
                .opt_str("refresh", self.refresh.as_ref().map(Secret::expose))
                .strs("scopes", &self.scopes)
                .str("mode", self.mode.as_str())
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
            let v = f.u64("v")?;
            let access = f.string("access")?.unwrap_or_default();
            let expires_at_ms = f.u64("expiresAt")?;
            let refresh = f.string("refresh")?;
            let scopes = f.strings("scopes")?.unwrap_or_default();
            let mode = f
                .one_of("mode", &[("oauth", SessionMode::OAuth), ("bearer", SessionMode::Bearer)])?
                .ok_or(json::ShapeError::WrongType("mode"))?;
            f.finish()?;
            if v != Some(1) || !is_b64token(&access) || refresh.as_deref().is_some_and(str::is_empty) {
                return Err(json::ShapeError::WrongType("v"));
            }
            Ok(Tokens { access: Secret::new(access), expires_at_ms, refresh: refresh.map(Secret::new), scopes, mode })
        };
        read().map_err(|_| bad)
    }
}

/// Reads a `Retry-After` value (RFC 9110 section 10.2.3) as the delay in ms from `now_ms` (Unix
/// ms): delta-seconds, or an HTTP-date in any of the three forms a recipient must accept
/// (section 5.6.7: IMF-fixdate, RFC 850, asctime). A date in the past gives 0. Anything else,
/// a wrong weekday or an impossible date included, gives `None` (the caller then treats the delay
/// as unknown).
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim_matches([' ', '\t']);
    if v.is_empty() || v.len() > 40 {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return if v.len() > 10 { None } else { parse_digits(v.as_bytes()).map(|s| s.saturating_mul(1000)) };
    }
    let at = http_date_secs(v.as_bytes(), now_ms / 1000)?;
    Some(at.saturating_mul(1000).saturating_sub(now_ms))
}

const WEEKDAYS: [&[u8]; 7] = [b"Monday", b"Tuesday", b"Wednesday", b"Thursday", b"Friday", b"Saturday", b"Sunday"];
const MONTHS: [&[u8; 3]; 12] = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// Seconds since the Unix epoch of an HTTP-date, or `None` if it is not one.
fn http_date_secs(b: &[u8], now_secs: u64) -> Option<u64> {
    let comma = b.iter().position(|&c| c == b',');
    // The weekday: three letters (IMF-fixdate, asctime) or the full name (RFC 850).
    let name_len = comma.unwrap_or(3);
    let weekday = WEEKDAYS.iter().position(|w| if name_len > 3 { *w == &b[..name_len] } else { b.get(..3) == w.get(..3) })?;
    let num = |from: usize, len: usize| b.get(from..from + len).and_then(parse_digits);
    let month = |from: usize| MONTHS.iter().position(|m| b.get(from..from + 3) == Some(&m[..])).map(|m| m as u64 + 1);
    let lit = |from: usize, s: &[u8]| b.get(from..from + s.len()) == Some(s);
    let (year, month, day, time) = match comma {
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        Some(3) if b.len() == 29 && lit(3, b", ") && lit(7, b" ") && lit(11, b" ") && lit(16, b" ") && lit(25, b" GMT") => {
            (num(12, 4)?, month(8)?, num(5, 2)?, 17)
        }
        // "Sunday, 06-Nov-94 08:49:37 GMT"
        Some(n)
            if n > 3
                && b.len() == n + 24
                && lit(n, b", ")
                && lit(n + 4, b"-")
                && lit(n + 8, b"-")
                && lit(n + 11, b" ")
                && lit(n + 20, b" GMT") =>
        {
            // Two-digit years: the most recent past year with those digits, unless that is more
            // than 50 years ago (RFC 9110 section 5.6.7).
            let now_year = civil_from_days(now_secs / 86_400).0;
            let mut year = now_year - now_year % 100 + num(n + 9, 2)?;
            if year > now_year + 50 {
                year = year.checked_sub(100)?;
            }
            (year, month(n + 5)?, num(n + 2, 2)?, n + 12)
        }
        // "Sun Nov  6 08:49:37 1994"
        None if b.len() == 24 && lit(3, b" ") && lit(7, b" ") && lit(10, b" ") && lit(19, b" ") => {
            let day = if b[8] == b' ' { num(9, 1)? } else { num(8, 2)? };
            (num(20, 4)?, month(4)?, day, 11)
        }
        _ => return None,
    };
    if !(lit(time + 2, b":") && lit(time + 5, b":")) {
        return None;
    }
    let (h, m, s) = (num(time, 2)?, num(time + 3, 2)?, num(time + 6, 2)?);
    if h > 23 || m > 59 || s > 60 || day == 0 || day > days_in_month(year, month) || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // 1970-01-01 was a Thursday (index 3).
    if (days + 3) % 7 != weekday as u64 {
        return None;
    }
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

fn is_leap(y: u64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date with `year >= 1970` (H. Hinnant's
/// algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01 (the inverse of `days_from_civil`).
fn civil_from_days(z: u64) -> (u64, u64, u64) {
    let z = z + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

/// The typed error for an Expensicat API answer that is not 2xx: 401 is
/// [`Error::Unauthorized`], 403 [`Error::InsufficientScope`] (with the scope from the body's
/// `details.required_scope`, else from [`required_scope`]), 429 [`Error::RateLimited`], anything
/// else [`Error::Api`] with the body's `error.code` and `error.message` as untrusted text.
pub fn api_error(status: u16, body: &str, retry_after: Option<&str>, now_ms: u64, method: &str, path: &str) -> Error {
    let parsed = if body.len() <= 64 * 1024 { json::parse(body) } else { None };
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |k: &str| err.and_then(|e| e.get_str(k)).map(untrusted_text).unwrap_or_default();
    match status {
        401 => Error::Unauthorized,
        403 => {
            let from_body = err
                .and_then(|e| e.get("details"))
                .and_then(|d| d.get_str("required_scope"))
                .filter(|s| super::scope::is_scope_token(s))
                .map(untrusted_text);
            Error::InsufficientScope { required_scope: from_body.or_else(|| required_scope(method, path).map(|s| s.as_str().to_owned())) }
        }
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
        let t = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer","expires_in":60}"#), &["x".into()]);
        assert_eq!(t.info().expires_at, Some(61_000));
        assert!(t.is_fresh(30_000, 30_000));
        assert!(!t.is_fresh(31_000, 30_000));
        assert!(!t.is_fresh(61_000, 0));
        assert!(!t.is_fresh(u64::MAX, 0));
        let forever = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer"}"#), &[]);
        assert!(forever.is_fresh(u64::MAX, u64::MAX));
    }

    #[test]
    fn requested_scopes_stand_in_for_missing_scope() {
        let t = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer"}"#), &["transactions:read".into()]);
        assert_eq!(t.info().scopes, ["transactions:read"]);
        let t = Tokens::from_token_set(set(r#"{"access_token":"a","token_type":"Bearer","scope":"team:read"}"#), &["x".into()]);
        assert_eq!(t.info().scopes, ["team:read"]);
    }

    #[test]
    fn rotation_replaces_refresh_token_only_when_sent() {
        let mut t = Tokens::from_token_set(set(r#"{"access_token":"a1","token_type":"Bearer","refresh_token":"r1"}"#), &[]);
        t.rotate(set(r#"{"access_token":"a2","token_type":"Bearer","refresh_token":"r2","expires_in":5}"#));
        assert_eq!(t.access_token().expose(), "a2");
        assert_eq!(t.refresh_token().map(Secret::expose), Some("r2"));
        assert_eq!(t.info().expires_at, Some(6_000));
        t.rotate(set(r#"{"access_token":"a3","token_type":"Bearer"}"#));
        assert_eq!(t.access_token().expose(), "a3");
        assert_eq!(t.refresh_token().map(Secret::expose), Some("r2"));
        assert_eq!(t.info().expires_at, None);
    }

    #[test]
    fn info_and_debug_never_show_tokens() {
        let t = Tokens::from_token_set(set(r#"{"access_token":"AT-SECRET","token_type":"Bearer","refresh_token":"RT-SECRET"}"#), &[]);
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
        let t = Tokens::from_token_set(
            set(r#"{"access_token":"a","token_type":"Bearer","refresh_token":"r","expires_in":9,"scope":"s"}"#),
            &[],
        );
        let back = Tokens::from_storage(t.to_storage().expose()).unwrap();
        assert_eq!(back.info(), t.info());
        assert_eq!(back.access_token().expose(), "a");
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"v":2,"access":"a","expiresAt":null,"refresh":null,"scopes":[],"mode":"oauth"}"#,
            r#"{"v":1,"access":"a b","expiresAt":null,"refresh":null,"scopes":[],"mode":"oauth"}"#,
        ] {
            assert_eq!(Tokens::from_storage(bad).unwrap_err().code(), "storage_unavailable", "{bad}");
        }
    }

    #[test]
    fn retry_after_delta_seconds() {
        assert_eq!(parse_retry_after("1", 0), Some(1000));
        assert_eq!(parse_retry_after(" 120 ", 0), Some(120_000));
        assert_eq!(parse_retry_after("\t0", 0), Some(0));
        assert_eq!(parse_retry_after("9999999999", 0), Some(9_999_999_999_000));
        for bad in ["", "-1", "1.5", "99999999999", "1e3", "\u{a0}1"] {
            assert_eq!(parse_retry_after(bad, 0), None, "{bad}");
        }
    }

    #[test]
    fn api_errors_are_typed() {
        assert_eq!(api_error(401, "", None, 0, "GET", "/v1/transactions"), Error::Unauthorized);
        assert_eq!(
            api_error(
                403,
                r#"{"error":{"code":"insufficient_scope","message":"m","details":{"required_scope":"transactions:write"}}}"#,
                None,
                0,
                "GET",
                "/x"
            ),
            Error::InsufficientScope { required_scope: Some("transactions:write".into()) }
        );
        assert_eq!(
            api_error(403, "<html>", None, 0, "POST", "/v1/invoices"),
            Error::InsufficientScope { required_scope: Some("invoices:write".into()) }
        );
        assert_eq!(
            api_error(403, r#"{"error":{"details":{"required_scope":"a b"}}}"#, None, 0, "GET", "/nope"),
            Error::InsufficientScope { required_scope: None }
        );
        assert_eq!(api_error(429, "", Some("3"), 0, "GET", "/"), Error::RateLimited { retry_after_ms: Some(3000) });
        assert_eq!(
            api_error(422, r#"{"error":{"code":"validation_failed","message":"amount\r\n<b>"}}"#, None, 0, "POST", "/v1/transactions"),
            Error::Api { status: 422, api_code: "validation_failed".into(), message: "amount  <b>".into() }
        );
        assert_eq!(
            api_error(502, "<html>Bad gateway</html>", None, 0, "GET", "/"),
            Error::Api { status: 502, api_code: String::new(), message: String::new() }
        );
    }
    // 784111777 s since the epoch: the three forms RFC 9110 section 5.6.7 gives for one instant.
    const NOV_6_1994: u64 = 784_111_777_000;

    #[test]
    fn retry_after_reads_delta_seconds_and_all_three_http_date_forms() {
        let now = NOV_6_1994 - 120_000;
        assert_eq!(parse_retry_after("120", now), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(120_000));
        assert_eq!(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(120_000));
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now), Some(120_000));
        // The example in RFC 9110 section 10.2.3, seen one second before.
        assert_eq!(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", 946_684_798_000), Some(1000));
        // A date in the past means: retry now.
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOV_6_1994 + 5_000), Some(0));
        // Leap days and the last second of a leap second.
        assert_eq!(parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", 1_709_164_800_000), Some(0));
        assert_eq!(parse_retry_after("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800_000), Some(0));
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 0), Some(0));
    }

    #[test]
    fn rfc850_two_digit_years_are_at_most_50_years_ahead() {
        // Seen in 2026: "76" is 2076 (50 years ahead), "77" is 1977.
        let now_2026 = 1_767_225_600_000; // 2026-01-01
        let in_2076 = parse_retry_after("Wednesday, 01-Jan-76 00:00:00 GMT", now_2026);
        assert_eq!(in_2076, Some((days_from_civil(2076, 1, 1) * 86_400) * 1000 - now_2026));
        assert_eq!(parse_retry_after("Saturday, 01-Jan-77 00:00:00 GMT", now_2026), Some(0));
        assert_eq!(parse_retry_after("Friday, 01-Jan-77 00:00:00 GMT", now_2026), None, "2077 was a Friday, 1977 a Saturday");
    }

    #[test]
    fn retry_after_refuses_what_is_not_exactly_one_of_the_forms() {
        let now = NOV_6_1994;
        for bad in [
            "",
            " ",
            "-1",
            "1.5",
            "+3",
            "12345678901",
            "0x10",
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 08-49-37 GMT",
            "Wed, 30 Feb 2000 00:00:00 GMT",
            "Thu, 29 Feb 2100 00:00:00 GMT", // 2100 is not a leap year
            "Mon, 00 Jan 2024 00:00:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT", // before the epoch
            "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTX",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06 Nov 94 08:49:37 GMT",
            "Sundays, 06-Nov-94 08:49:37 GMT",
            "Sund, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sun Nov 06 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{0}",
            "Sün, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMé",
            "Sun Nov  é 08:49:37 1994",
            ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
            "Sun,",
            ",",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn day_counts_round_trip_over_centuries() {
        for days in (0..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((1..=days_in_month(y, m)).contains(&d));
        }
    }
}

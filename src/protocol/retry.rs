//! The session's decisions about retrying, as pure functions of what happened: whether a cached
//! token may be used or must be refreshed, what to do with an API answer (401: one refresh and
//! one retry; 429: one wait within the bound), and what a refresh's outcome does to the session.
//! The browser layer only carries them out.

#[allow(unused_imports)]
use crate::prelude::*;

use super::error::{Error, OAuthErrorCode, Result};
use super::retry_after::parse_retry_after;
use super::session::{refusal, Refusal};

/// Where a token for the next API call comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStep {
    /// The current access token.
    UseCurrent,
    /// A refresh first (shared with any refresh in flight).
    Refresh,
    /// The session cannot go on (expired, no refresh token): end it, `login_required`.
    End,
}

/// Which token the API refused, compared with the session's current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// The current access token.
    Current,
    /// An older one: the session already moved past it.
    Older,
}

/// Picks the token for an API call from what the session sees: which token the API just refused,
/// if any (a refresh is forced unless the session already moved past it: another call refreshed
/// meanwhile); whether the current one is fresh ([`super::session::is_fresh`]); whether there
/// is a refresh token.
pub fn token_step_of(stale: Option<Stale>, fresh: bool, can_refresh: bool) -> TokenStep {
    // Not the refused token, and either fresh or newer than the refused one.
    if stale == Some(Stale::Older) || (stale.is_none() && fresh) {
        TokenStep::UseCurrent
    } else if can_refresh {
        TokenStep::Refresh
    } else {
        TokenStep::End
    }
}

/// What has been tried for one API call so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempt {
    /// The request body can be sent again (not a `ReadableStream`, which `fetch` consumes).
    pub replayable: bool,
    /// The session holds a refresh token.
    pub can_refresh: bool,
    /// A 401 already led to a refresh.
    pub refreshed: bool,
    /// A 429 already led to a wait.
    pub waited: bool,
    /// The call is DPoP-signed (RFC 9449).
    pub dpop: bool,
    /// A 401 asking for a DPoP nonce already led to a retry with one.
    pub nonced: bool,
}

impl super::json::FromJson for Attempt {
    /// The driver's `{replayable, canRefresh, refreshed, waited, dpop, nonced}`.
    fn take_from(f: &mut super::json::Fields) -> Self {
        Attempt {
            replayable: f.bool("replayable").unwrap_or_default(),
            can_refresh: f.bool("canRefresh").unwrap_or_default(),
            refreshed: f.bool("refreshed").unwrap_or_default(),
            waited: f.bool("waited").unwrap_or_default(),
            dpop: f.bool("dpop").unwrap_or_default(),
            nonced: f.bool("nonced").unwrap_or_default(),
        }
    }
}

/// What to do with an API answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Hand the response to the caller as it is.
    Return,
    /// 401: refresh the token (forced past the refused one), then send again.
    RefreshAndRetry,
    /// 401 asking for a DPoP nonce (`use_dpop_nonce`): send again with a new proof, which has
    /// the nonce of the answer's `DPoP-Nonce` header.
    NonceAndRetry,
    /// 429 with a delay within the bound: wait `ms`, then send again.
    WaitAndRetry {
        /// How long, in ms.
        ms: u64,
    },
    /// 429 that may not be waited out here: [`Error::RateLimited`].
    Fail(Error),
}

/// The next step after an API answer with `status` (and its `Retry-After` header, read against
/// `now_ms`, and its `WWW-Authenticate` header): one refresh and one retry when the token is
/// refused (401, or 403 with `Bearer error="invalid_token"`: [`Refusal::Token`]), one wait of at
/// most `max_wait_ms` on 429, never a retry of a body that cannot be sent twice (its 401, 403 or
/// 429 goes back to the caller). A 401 whose `DPoP` challenge asks for a nonce
/// ([`super::dpop::asks_nonce`]) to a DPoP-signed call is sent again once with one, before any
/// refresh.
pub fn next_step(
    status: u16,
    retry_after: Option<&str>,
    www_authenticate: Option<&str>,
    now_ms: u64,
    max_wait_ms: u64,
    attempt: Attempt,
) -> Step {
    let refused = || refusal(status, www_authenticate) == Refusal::Token;
    let asks_nonce = || www_authenticate.is_some_and(super::dpop::asks_nonce);
    match status {
        401 if attempt.dpop && attempt.replayable && !attempt.nonced && asks_nonce() => Step::NonceAndRetry,
        401 | 403 if attempt.replayable && attempt.can_refresh && !attempt.refreshed && refused() => Step::RefreshAndRetry,
        429 if !attempt.replayable => Step::Return,
        429 => match retry_after.and_then(|v| parse_retry_after(v, now_ms)) {
            Some(ms) if !attempt.waited && ms <= max_wait_ms => Step::WaitAndRetry { ms },
            delay => Step::Fail(Error::RateLimited { retry_after_ms: delay }),
        },
        _ => Step::Return,
    }
}

/// What a refresh's outcome does to the session.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshOutcome<T> {
    /// New tokens: rotate them in and tell the app (`refreshed`).
    Rotate(T),
    /// The grant is gone (expired, revoked, or reuse detected): end the session
    /// (`invalid_grant`), report the error, never retry.
    End(Error),
    /// Report the error; the session stays as it was (a network failure may pass).
    Report(Error),
}

/// Classifies a refresh's result. `superseded` says the session was ended or replaced while the
/// request was out: an answer then counts for nothing (`login_required`), but a transport failure
/// still reports as itself.
pub fn refresh_outcome<T>(result: Result<T>, superseded: bool) -> RefreshOutcome<T> {
    let failure = result.as_ref().err().map(|e| match e {
        Error::InvalidResponse { status, .. } => (e.code(), Some(*status)),
        _ => (e.code(), None),
    });
    match (refresh_verdict(failure, superseded), result) {
        (Verdict::Rotate, Ok(set)) => RefreshOutcome::Rotate(set),
        (Verdict::End, Err(e)) => RefreshOutcome::End(e),
        (Verdict::Report, Err(e)) => RefreshOutcome::Report(e),
        _ => RefreshOutcome::Report(Error::LoginRequired),
    }
}

/// [`refresh_outcome`] without the values, for a session that holds them elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Rotate the new tokens in.
    Rotate,
    /// End the session and report the error.
    End,
    /// Report the error; the session stays.
    Report,
    /// The session was ended or replaced meanwhile: report `login_required`.
    Superseded,
}

/// Classifies a refresh's result from its error code and HTTP status, when the error carries one
/// (`None` for new tokens), as
/// [`refresh_outcome`] does: a transport failure (`network`, `timeout`, a redirect answered with
/// status 0) reports as itself; any answer counts for nothing once `superseded`; `invalid_grant`
/// ends the session.
pub fn refresh_verdict(failure: Option<(&str, Option<u16>)>, superseded: bool) -> Verdict {
    match failure {
        Some(("network" | "timeout", _) | ("invalid_response", Some(0))) => Verdict::Report,
        _ if superseded => Verdict::Superseded,
        None => Verdict::Rotate,
        Some((code, _)) if code == OAuthErrorCode::InvalidGrant.as_str() => Verdict::End,
        Some(_) => Verdict::Report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::OAuthError;
    use crate::protocol::session::Tokens;
    use crate::protocol::token::parse_token_response;

    const NOW: u64 = 1_000_000;

    fn tokens(body: &str) -> Tokens {
        Tokens::from_token_set(parse_token_response(200, body, NOW).unwrap(), &[], None)
    }

    /// The step for `tokens` at `now_ms`, as the session machine asks it.
    fn token_step(tokens: &Tokens, stale: Option<&str>, now_ms: u64, clock_skew_ms: u64) -> TokenStep {
        let stale = stale.map(|s| if s == tokens.access_token().expose() { Stale::Current } else { Stale::Older });
        token_step_of(stale, tokens.is_fresh(now_ms, clock_skew_ms), tokens.refresh_token().is_some())
    }

    fn attempt() -> Attempt {
        Attempt { replayable: true, can_refresh: true, ..Attempt::default() }
    }

    #[test]
    fn a_fresh_token_is_used_and_a_stale_one_refreshed_once() {
        let t = tokens(r#"{"access_token":"AT1","token_type":"Bearer","expires_in":3600,"refresh_token":"RT1"}"#);
        assert_eq!(token_step(&t, None, NOW, 30_000), TokenStep::UseCurrent);
        // Within the clock skew of expiry, or past it: refresh.
        assert_eq!(token_step(&t, None, NOW + 3_600_000 - 29_000, 30_000), TokenStep::Refresh);
        assert_eq!(token_step(&t, None, NOW + 3_600_001, 0), TokenStep::Refresh);
        // The API refused this very token: refresh, however fresh it looks.
        assert_eq!(token_step(&t, Some("AT1"), NOW, 30_000), TokenStep::Refresh);
        // It refused an older token: another call refreshed meanwhile, use the current one.
        assert_eq!(token_step(&t, Some("AT0"), NOW + 3_600_001, 0), TokenStep::UseCurrent);
        // Nothing to refresh with: the session ends.
        let bare = tokens(r#"{"access_token":"AT1","token_type":"Bearer","expires_in":60}"#);
        assert_eq!(token_step(&bare, None, NOW + 61_000, 0), TokenStep::End);
        assert_eq!(token_step(&bare, Some("AT1"), NOW, 0), TokenStep::End);
    }

    #[test]
    fn the_step_from_its_inputs_agrees_with_the_step_from_tokens() {
        use Stale::*;
        assert_eq!(token_step_of(None, true, true), TokenStep::UseCurrent);
        assert_eq!(token_step_of(None, false, true), TokenStep::Refresh);
        assert_eq!(token_step_of(None, false, false), TokenStep::End);
        assert_eq!(token_step_of(Some(Current), true, true), TokenStep::Refresh);
        assert_eq!(token_step_of(Some(Current), true, false), TokenStep::End);
        assert_eq!(token_step_of(Some(Older), false, false), TokenStep::UseCurrent);
        assert_eq!(refresh_verdict(None, false), Verdict::Rotate);
        assert_eq!(refresh_verdict(None, true), Verdict::Superseded);
        assert_eq!(refresh_verdict(Some(("invalid_grant", Some(400))), false), Verdict::End);
        assert_eq!(refresh_verdict(Some(("invalid_grant", Some(400))), true), Verdict::Superseded);
        assert_eq!(refresh_verdict(Some(("server_error", Some(500))), false), Verdict::Report);
        for transport in [("network", None), ("timeout", None), ("invalid_response", Some(0))] {
            assert_eq!(refresh_verdict(Some(transport), true), Verdict::Report);
        }
        // A body the client could not read is an answer, not a transport failure.
        assert_eq!(refresh_verdict(Some(("invalid_response", Some(502))), true), Verdict::Superseded);
    }

    #[test]
    fn a_401_refreshes_and_retries_once() {
        assert_eq!(next_step(401, None, None, NOW, 10_000, attempt()), Step::RefreshAndRetry);
        // DPoP: a nonce asked for is tried once, before a refresh, and only for a replayable body.
        let www = Some(r#"DPoP error="use_dpop_nonce""#);
        let dpop = Attempt { dpop: true, ..attempt() };
        assert_eq!(next_step(401, None, www, NOW, 10_000, dpop), Step::NonceAndRetry);
        assert_eq!(next_step(401, None, www, NOW, 10_000, Attempt { nonced: true, ..dpop }), Step::RefreshAndRetry);
        assert_eq!(next_step(401, None, www, NOW, 10_000, Attempt { replayable: false, ..dpop }), Step::Return);
        assert_eq!(next_step(401, None, www, NOW, 10_000, attempt()), Step::RefreshAndRetry, "a bearer call");
        assert_eq!(next_step(401, None, None, NOW, 10_000, Attempt { refreshed: true, ..attempt() }), Step::Return);
        assert_eq!(next_step(401, None, None, NOW, 10_000, Attempt { can_refresh: false, ..attempt() }), Step::Return);
        assert_eq!(next_step(401, None, None, NOW, 10_000, Attempt { replayable: false, ..attempt() }), Step::Return);
    }

    /// RFC 6750 section 3.1: a 403 whose challenge says `invalid_token` is a refused token, like
    /// a 401; any other 403 goes back to the caller.
    #[test]
    fn a_403_with_invalid_token_refreshes_and_retries_once() {
        let step = |h: Option<&str>, a: Attempt| next_step(403, None, h, NOW, 10_000, a);
        let invalid = Some(r#"Bearer realm="expensicat", error="invalid_token", error_description="expired""#);
        assert_eq!(step(invalid, attempt()), Step::RefreshAndRetry);
        assert_eq!(step(Some(r#"Basic realm="x", Bearer error="invalid_token""#), attempt()), Step::RefreshAndRetry);
        assert_eq!(step(invalid, Attempt { refreshed: true, ..attempt() }), Step::Return);
        assert_eq!(step(invalid, Attempt { can_refresh: false, ..attempt() }), Step::Return);
        assert_eq!(step(invalid, Attempt { replayable: false, ..attempt() }), Step::Return);
        for other in [
            None,
            Some(r#"Bearer error="insufficient_scope", scope="team:admin""#),
            Some(r#"Bearer realm="expensicat""#),
            Some(r#"Basic error="invalid_token""#),
            Some(r#"Bearer error="invalid_token"#),
            Some(r#"Bearer error="invalid_token", error="invalid_token""#),
        ] {
            assert_eq!(step(other, attempt()), Step::Return, "{other:?}");
        }
    }

    #[test]
    fn a_429_waits_once_within_the_bound() {
        assert_eq!(next_step(429, Some("2"), None, NOW, 10_000, attempt()), Step::WaitAndRetry { ms: 2_000 });
        assert_eq!(next_step(429, Some("0"), None, NOW, 10_000, attempt()), Step::WaitAndRetry { ms: 0 });
        // An HTTP-date is read against the clock passed in.
        assert_eq!(next_step(429, Some("Thu, 01 Jan 1970 00:16:45 GMT"), None, NOW, 10_000, attempt()), Step::WaitAndRetry { ms: 5_000 });
        let limited = |delay| Step::Fail(Error::RateLimited { retry_after_ms: delay });
        assert_eq!(next_step(429, Some("11"), None, NOW, 10_000, attempt()), limited(Some(11_000)));
        assert_eq!(next_step(429, Some("soon"), None, NOW, 10_000, attempt()), limited(None));
        assert_eq!(next_step(429, None, None, NOW, 10_000, attempt()), limited(None));
        assert_eq!(next_step(429, Some("1"), None, NOW, 10_000, Attempt { waited: true, ..attempt() }), limited(Some(1_000)));
        // A body sent once: its 429 is the caller's answer.
        assert_eq!(next_step(429, Some("1"), None, NOW, 10_000, Attempt { replayable: false, ..attempt() }), Step::Return);
    }

    #[test]
    fn other_answers_go_back_as_they_are() {
        for status in [200, 201, 204, 301, 400, 403, 404, 500, 503] {
            assert_eq!(next_step(status, Some("1"), None, NOW, 10_000, attempt()), Step::Return, "{status}");
        }
    }

    #[test]
    fn refresh_outcomes() {
        let grant = |code| Error::OAuth(OAuthError { code, raw_code: None, description: None, uri: None, status: 400, advice: None });
        assert_eq!(refresh_outcome::<u8>(Ok(1), false), RefreshOutcome::Rotate(1));
        assert_eq!(
            refresh_outcome::<u8>(Err(grant(OAuthErrorCode::InvalidGrant)), false),
            RefreshOutcome::End(grant(OAuthErrorCode::InvalidGrant))
        );
        assert_eq!(
            refresh_outcome::<u8>(Err(grant(OAuthErrorCode::ServerError)), false),
            RefreshOutcome::Report(grant(OAuthErrorCode::ServerError))
        );
        // A logout while the request was out: the answer counts for nothing...
        assert_eq!(refresh_outcome::<u8>(Ok(1), true), RefreshOutcome::Report(Error::LoginRequired));
        assert_eq!(refresh_outcome::<u8>(Err(grant(OAuthErrorCode::InvalidGrant)), true), RefreshOutcome::Report(Error::LoginRequired));
        // ...but a transport failure reports as itself.
        for e in [Error::Network, Error::Timeout, Error::InvalidResponse { status: 0, reason: "redirect" }] {
            assert_eq!(refresh_outcome::<u8>(Err(e.clone()), true), RefreshOutcome::Report(e.clone()));
            assert_eq!(refresh_outcome::<u8>(Err(e.clone()), false), RefreshOutcome::Report(e));
        }
    }
}

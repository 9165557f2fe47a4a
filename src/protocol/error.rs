//! One error type for the whole library, with a stable machine-readable [`Error::code`].
//!
//! # Security
//! No variant carries a token, authorization code, PKCE verifier or partner secret, so neither
//! `Display` nor `Debug` can leak one. Text that comes from a server (`error_description`,
//! Expensify's `responseMessage`, API error messages) is untrusted: it is cut to a bounded length
//! and stripped of control characters by [`untrusted_text`] before it is stored in an error.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::codec::url::UrlError;
use crate::protocol::decimal::decimal;
use crate::protocol::text::concat;

/// The OAuth 2.0 error codes of RFC 6749 section 4.1.2.1 (authorization) and section 5.2 (token),
/// plus `other` for any code a server invents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client` (token endpoint only)
    InvalidClient,
    /// `invalid_grant`: the code or refresh token is invalid, expired, revoked or was reused.
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `invalid_scope`
    InvalidScope,
    /// `access_denied`: the user (or the server) refused consent.
    AccessDenied,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// Any other code. The raw code is not kept as the stable code, because it is server text.
    Other,
}

impl OAuthErrorCode {
    /// Maps an RFC 6749 `error` value to its code; unknown values become [`OAuthErrorCode::Other`].
    pub fn from_wire(value: &str) -> Self {
        match value {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            _ => Self::Other,
        }
    }

    /// The wire value (`oauth_error` for [`OAuthErrorCode::Other`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other => "oauth_error",
        }
    }
}

/// An error reported by the authorization server, either on the redirect (RFC 6749 section
/// 4.1.2.1) or by the token endpoint (section 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The parsed `error` code.
    pub code: OAuthErrorCode,
    /// The raw `error` value when it is not a standard code (sanitised, bounded).
    pub raw_code: Option<String>,
    /// `error_description`: untrusted server text, sanitised and bounded.
    pub description: Option<String>,
    /// `error_uri`: untrusted, sanitised and bounded; never followed by this library.
    pub uri: Option<String>,
    /// The HTTP status of the token response (0 for an authorization redirect).
    pub status: u16,
    /// What the library knows of the request that makes this answer likely its own doing.
    pub advice: Option<Advice>,
}

/// Advice the library adds to a server's error from what it knows of the request it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Advice {
    /// The token request was JSON and the server refused it as malformed
    /// (`unsupported_grant_type` or `invalid_request`): a server that follows RFC 6749 section
    /// 4.1.3 reads only forms, so the setting `tokenRequestEncoding: "form"` likely fixes it.
    FormTokenRequest,
}

impl Advice {
    /// The sentence appended to the error's message.
    pub fn message(self) -> &'static str {
        match self {
            Self::FormTokenRequest => " (sent as JSON: try tokenRequestEncoding \"form\")",
        }
    }
}

impl OAuthError {
    /// The message for people (`Display`): the server's code and description, then the advice.
    pub fn message(&self) -> String {
        let code = self.raw_code.as_deref().unwrap_or(self.code.as_str());
        let advice = self.advice.map_or("", Advice::message);
        match &self.description {
            Some(d) => concat(&["the authorization server answered ", code, ": ", d, advice]),
            None => concat(&["the authorization server answered ", code, advice]),
        }
    }
}

impl core::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Every failure this library reports.
///
/// Match on [`Error::code`] for a stable snake_case identifier; the `Display` text is for people
/// and may change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is missing or malformed.
    InvalidConfig {
        /// Which setting.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A URL is not HTTPS (plain HTTP is allowed only for loopback hosts, for development).
    InsecureUrl {
        /// Which URL.
        field: &'static str,
    },
    /// A URL cannot be parsed, or has a part this library refuses (user info, a fragment...).
    InvalidUrl {
        /// Which URL.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A scope is not one of the 13 Expensicat scopes (and custom scopes were not allowed), or is
    /// not a valid RFC 6749 scope token.
    InvalidScope {
        /// The offending scope (sanitised, bounded).
        scope: String,
    },
    /// A PKCE code verifier does not follow RFC 7636 section 4.1.
    InvalidVerifier {
        /// What is wrong with it (never the verifier itself).
        reason: &'static str,
    },
    /// Fewer random bytes than required were supplied, or the platform's CSPRNG failed.
    InsufficientEntropy {
        /// What was short.
        reason: &'static str,
    },
    /// An argument or an extra authorize parameter is malformed, of the wrong type, or tries to
    /// override a protocol parameter. `name` names it (never its value).
    InvalidParameter {
        /// The parameter name (sanitised, bounded).
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The callback URL cannot be parsed or carries malformed values.
    InvalidCallback {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The callback URL is not the configured redirect URI (scheme, host, port and path must match).
    RedirectUriMismatch,
    /// A response parameter appears more than once (RFC 6749 section 3.1).
    DuplicateParameter {
        /// The repeated parameter name (sanitised, bounded).
        name: String,
    },
    /// The response parameters arrived in the URL fragment; this client uses `response_mode=query`.
    FragmentResponse,
    /// The callback has no `state` parameter.
    MissingState,
    /// The callback's `state` is not the one this login transaction sent, or no pending login in
    /// this tab has that state (possible CSRF).
    StateMismatch,
    /// The login transaction is older than its time to live.
    TransactionExpired,
    /// The stored login transaction cannot be read back.
    InvalidTransaction {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The callback has no `iss` although the configuration requires it (RFC 9207).
    MissingIssuer,
    /// The callback's `iss` is not the configured issuer (RFC 9207: possible mix-up attack).
    IssuerMismatch,
    /// The server metadata names another issuer than the one discovery asked for (RFC 8414
    /// section 3.3: possible mix-up or impersonation). Code `issuer_mismatch`.
    MetadataIssuerMismatch,
    /// The callback has neither `code` nor `error`.
    MissingCode,
    /// The authorization server reported an RFC 6749 error.
    OAuth(OAuthError),
    /// The server's answer is not what the protocol requires.
    InvalidResponse {
        /// The HTTP status code.
        status: u16,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The token endpoint issued a token type other than `Bearer`.
    UnsupportedTokenType,
    /// A bearer token would have gone to a URL outside the configured API origin.
    OriginNotAllowed,
    /// A token has characters that cannot appear in an `Authorization: Bearer` header (RFC 6750).
    InvalidToken,
    /// The request did not complete: DNS, TLS, connection refused or dropped, CORS, or an
    /// opaque redirect.
    Network,
    /// A request to the Expensify Integration Server got no readable answer. Code `network`,
    /// like [`Error::Network`]; the message names the likely cause in a browser: the server
    /// sends no CORS headers, so the page must call it through its own backend.
    ExpensifyNetwork,
    /// The request took longer than the configured timeout and was aborted.
    Timeout,
    /// This callback was already handled (reload, Back, or a second call): nothing was sent.
    CallbackAlreadyHandled,
    /// There is no session (never signed in, signed out, or it ended): start a login.
    LoginRequired,
    /// The server asked us to slow down for longer than the configured bound.
    RateLimited {
        /// How long the server asked to wait, in ms, when it said.
        retry_after_ms: Option<u64>,
    },
    /// The access token lacks the scope this API call needs (HTTP 403).
    InsufficientScope {
        /// The scope the call needs, when known.
        required_scope: Option<String>,
    },
    /// The API refused the token (HTTP 401) even after one refresh.
    Unauthorized,
    /// The API answered with an error (its `{"error":{"code","message"}}` body, untrusted text).
    Api {
        /// The HTTP status.
        status: u16,
        /// The API's own error code (sanitised, bounded), or empty.
        api_code: String,
        /// The API's message (sanitised, bounded), or empty.
        message: String,
    },
    /// An Expensify credential field is missing or malformed.
    InvalidCredential {
        /// `name`, `description`, `serverUrl`, `partnerUserId` or `partnerUserSecret`.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An Expensify job is malformed (not an object, no `type`, or carries its own credentials).
    InvalidJob {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The Integration Server rejected the partnerUserID/partnerUserSecret (`responseCode` 401).
    InvalidCredentials,
    /// A parameter is missing or the object does not exist (`responseCode` 410).
    MissingOrNotFound {
        /// The server's `responseMessage` (untrusted, sanitised).
        message: String,
    },
    /// Any other `responseCode` from the Integration Server.
    ExpensifyError {
        /// The `responseCode`.
        response_code: u32,
        /// The server's `responseMessage` (untrusted, sanitised).
        message: String,
    },
    /// No stored credential has this id.
    CredentialNotFound,
    /// A stored credential record is corrupt or cannot be decrypted.
    CorruptRecord,
    /// Browser storage is unavailable or refused the write.
    Storage {
        /// What failed.
        reason: &'static str,
    },
}

impl Error {
    /// The message for people, the same text as `Display`. Built by concatenation, so that the
    /// shipped wasm carries no formatting machinery; it never holds a secret.
    pub fn message(&self) -> String {
        match self {
            Self::InvalidConfig { field, reason } => concat(&["invalid configuration: ", &**field, " ", &**reason]),
            Self::InsecureUrl { field } => concat(&[&**field, " must use https (http is allowed only for 127.0.0.1, [::1] and localhost)"]),
            Self::InvalidUrl { field, reason } => concat(&[&**field, " is not an acceptable URL: ", &**reason]),
            Self::InvalidScope { scope } => concat(&["unknown or malformed scope \"", &**scope, "\""]),
            Self::InvalidVerifier { reason } => concat(&["invalid PKCE code verifier: ", &**reason]),
            Self::InsufficientEntropy { reason } => concat(&["not enough randomness: ", &**reason]),
            Self::InvalidParameter { name, reason } => concat(&["invalid parameter \"", &**name, "\": ", &**reason]),
            Self::InvalidCallback { reason } => concat(&["invalid callback URL: ", &**reason]),
            Self::RedirectUriMismatch => "the callback URL does not match the configured redirect URI".into(),
            Self::DuplicateParameter { name } => concat(&["parameter \"", &**name, "\" appears more than once"]),
            Self::FragmentResponse => "the authorization response is in the URL fragment, but this client expects it in the query".into(),
            Self::MissingState => "the callback has no state parameter".into(),
            Self::StateMismatch => "the callback state does not match the login transaction".into(),
            Self::TransactionExpired => "the login transaction has expired; start the login again".into(),
            Self::InvalidTransaction { reason } => concat(&["the stored login transaction is corrupt: ", &**reason]),
            Self::MissingIssuer => "the callback has no iss parameter".into(),
            Self::IssuerMismatch => "the callback iss does not match the configured issuer".into(),
            Self::MetadataIssuerMismatch => "the server metadata names another issuer than the one asked for".into(),
            Self::MissingCode => "the callback has no authorization code".into(),
            Self::OAuth(e) => e.message(),
            Self::InvalidResponse { status, reason } => concat(&["unexpected response (HTTP ", &decimal(u64::from(*status)), "): ", &**reason]),
            Self::UnsupportedTokenType => "the token type is not Bearer".into(),
            Self::OriginNotAllowed => "refusing to send a bearer token outside the configured API origin".into(),
            Self::InvalidToken => "the token is empty or has characters not allowed in a bearer token".into(),
            Self::Network => "the network request failed".into(),
            Self::ExpensifyNetwork => "the request to the Expensify Integration Server failed: the network, or (in a browser) no CORS headers on its answer; point serverUrl at your own backend proxy (see the README)".into(),
            Self::Timeout => "the request timed out".into(),
            Self::CallbackAlreadyHandled => "this login callback was already handled".into(),
            Self::LoginRequired => "no active session: sign in first".into(),
            Self::RateLimited { .. } => "rate limited by the server".into(),
            Self::InsufficientScope { .. } => "the access token lacks the scope this call needs".into(),
            Self::Unauthorized => "the API refused the access token".into(),
            Self::Api { status, message, .. } => concat(&["the API answered HTTP ", &decimal(u64::from(*status)), ": ", &**message]),
            Self::InvalidCredential { field, reason } => concat(&["invalid credential: ", &**field, " ", &**reason]),
            Self::InvalidJob { reason } => concat(&["invalid Expensify job: ", &**reason]),
            Self::InvalidCredentials => "Expensify rejected the partner credentials".into(),
            Self::MissingOrNotFound { message } => concat(&["Expensify: missing parameter or not found: ", &**message]),
            Self::ExpensifyError { response_code, message } => concat(&["Expensify answered responseCode ", &decimal(u64::from(*response_code)), ": ", &**message]),
            Self::CredentialNotFound => "no stored credential has this id".into(),
            Self::CorruptRecord => "the stored record is corrupt or cannot be decrypted".into(),
            Self::Storage { reason } => concat(&["browser storage is unavailable: ", &**reason]),
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

impl Error {
    /// A response whose body passed its size limit (the read was stopped there), answered with
    /// HTTP `status`. One text for every layer that reads a body (the Rust `fetch` and both
    /// JavaScript entries).
    #[inline]
    pub fn body_too_large(status: u16) -> Self {
        Error::InvalidResponse { status, reason: "the body is larger than the limit; the read was stopped" }
    }

    /// A response that is a redirect, which this library never follows.
    #[inline]
    pub fn redirected() -> Self {
        Error::InvalidResponse { status: 0, reason: "the server answered with a redirect, which is not followed" }
    }

    /// A 2xx API answer whose body is not JSON, answered with HTTP `status`.
    #[inline]
    pub fn not_json(status: u16) -> Self {
        Error::InvalidResponse { status, reason: "the body is not JSON" }
    }
}

impl Error {
    /// The stable snake_case code of this error, the same string that JavaScript sees as
    /// `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidConfig { .. } => "invalid_config",
            Self::InsecureUrl { .. } => "insecure_url",
            Self::InvalidUrl { .. } => "invalid_url",
            Self::InvalidScope { .. } => "invalid_scope",
            Self::InvalidVerifier { .. } => "invalid_verifier",
            Self::InsufficientEntropy { .. } => "insufficient_entropy",
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::InvalidCallback { .. } => "invalid_callback",
            Self::RedirectUriMismatch => "redirect_uri_mismatch",
            Self::DuplicateParameter { .. } => "duplicate_parameter",
            Self::FragmentResponse => "fragment_response",
            Self::MissingState => "missing_state",
            Self::StateMismatch => "state_mismatch",
            Self::TransactionExpired => "transaction_expired",
            Self::InvalidTransaction { .. } => "invalid_transaction",
            Self::MissingIssuer => "missing_issuer",
            Self::IssuerMismatch | Self::MetadataIssuerMismatch => "issuer_mismatch",
            Self::MissingCode => "missing_code",
            Self::OAuth(e) => e.code.as_str(),
            Self::InvalidResponse { .. } => "invalid_response",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::InvalidToken => "invalid_token",
            Self::Network | Self::ExpensifyNetwork => "network",
            Self::Timeout => "timeout",
            Self::CallbackAlreadyHandled => "callback_already_handled",
            Self::LoginRequired => "login_required",
            Self::RateLimited { .. } => "rate_limited",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::Unauthorized => "unauthorized",
            Self::Api { .. } => "api_error",
            Self::Storage { .. } => "storage_unavailable",
            Self::InvalidCredential { .. } => "invalid_credential",
            Self::InvalidJob { .. } => "invalid_job",
            Self::InvalidCredentials => "invalid_credentials",
            Self::MissingOrNotFound { .. } => "missing_or_not_found",
            Self::ExpensifyError { .. } => "expensify_error",
            Self::CredentialNotFound => "credential_not_found",
            Self::CorruptRecord => "corrupt_record",
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// The longest untrusted text kept in an error, in characters.
pub const MAX_UNTRUSTED_TEXT: usize = 256;

/// Makes untrusted (server or URL) text safe to keep in an error message: control characters
/// become spaces and the text is cut to [`MAX_UNTRUSTED_TEXT`] characters, with `…` appended
/// when it was cut.
pub fn untrusted_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_UNTRUSTED_TEXT + 3));
    for (n, c) in text.chars().enumerate() {
        if n == MAX_UNTRUSTED_TEXT {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

impl From<UrlError> for Error {
    /// A refused URL is `invalid_url`, naming its field.
    fn from(e: UrlError) -> Self {
        Error::InvalidUrl { field: e.field, reason: e.reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OAUTH_CODES: [&str; 10] = [
        "access_denied",
        "invalid_request",
        "invalid_grant",
        "invalid_client",
        "unauthorized_client",
        "unsupported_grant_type",
        "unsupported_response_type",
        "server_error",
        "temporarily_unavailable",
        "oauth_error",
    ];

    /// The backticked codes in the first column of the README's error table (the same table
    /// the TypeScript union is generated from).
    fn readme_error_codes() -> Vec<String> {
        let readme = include_str!("../../README.md");
        let table = readme.split("\n## Error codes\n").nth(1).and_then(|t| t.split("\n## ").next()).unwrap_or_default();
        let mut out = Vec::new();
        for line in table.lines().filter(|l| l.starts_with("| `")) {
            // The codes, without the fields they carry, which stand in parentheses.
            let mut first = line.split('|').nth(1).unwrap_or_default();
            let mut kept = String::new();
            while let Some((before, rest)) = first.split_once('(') {
                kept.push_str(before);
                first = rest.split_once(')').map_or("", |(_, after)| after);
            }
            kept.push_str(first);
            out.extend(kept.split('`').skip(1).step_by(2).map(str::to_owned));
        }
        out
    }

    /// One error of each variant but `OAuth` and `ExpensifyNetwork`, in declaration order.
    fn every_variant() -> [Error; 38] {
        [
            Error::InvalidConfig { field: "clientId", reason: "is empty" },
            Error::InsecureUrl { field: "redirectUri" },
            Error::InvalidUrl { field: "x", reason: "y" },
            Error::InvalidScope { scope: "x".into() },
            Error::InvalidVerifier { reason: "x" },
            Error::InsufficientEntropy { reason: "x" },
            Error::InvalidParameter { name: "x".into(), reason: "y" },
            Error::InvalidCallback { reason: "x" },
            Error::RedirectUriMismatch,
            Error::DuplicateParameter { name: "x".into() },
            Error::FragmentResponse,
            Error::MissingState,
            Error::StateMismatch,
            Error::TransactionExpired,
            Error::InvalidTransaction { reason: "x" },
            Error::MissingIssuer,
            Error::IssuerMismatch,
            Error::MissingCode,
            Error::InvalidResponse { status: 500, reason: "x" },
            Error::UnsupportedTokenType,
            Error::OriginNotAllowed,
            Error::InvalidToken,
            Error::Network,
            Error::Timeout,
            Error::CallbackAlreadyHandled,
            Error::LoginRequired,
            Error::RateLimited { retry_after_ms: None },
            Error::InsufficientScope { required_scope: None },
            Error::Unauthorized,
            Error::Api { status: 500, api_code: String::new(), message: String::new() },
            Error::Storage { reason: "x" },
            Error::InvalidCredential { field: "name", reason: "x" },
            Error::InvalidJob { reason: "x" },
            Error::InvalidCredentials,
            Error::MissingOrNotFound { message: String::new() },
            Error::ExpensifyError { response_code: 500, message: String::new() },
            Error::CredentialNotFound,
            Error::CorruptRecord,
        ]
    }

    #[test]
    fn codes_are_stable_snake_case() {
        let all = every_variant();
        let mut documented = readme_error_codes();
        let mut produced: Vec<String> = all.iter().map(|e| e.code().to_owned()).collect();
        produced.extend(OAUTH_CODES.map(str::to_owned));
        produced.push(Error::ExpensifyNetwork.code().to_owned());
        // Thrown by the JS wrapper of init(), before any Rust runs.
        produced.push("csp_blocked".to_owned());
        produced.sort_unstable();
        produced.dedup();
        documented.sort_unstable();
        assert_eq!(documented, produced, "the README's error table and the codes the library produces differ");
        let codes: Vec<_> = all.iter().map(Error::code).collect();
        assert_eq!(
            codes,
            [
                "invalid_config",
                "insecure_url",
                "invalid_url",
                "invalid_scope",
                "invalid_verifier",
                "insufficient_entropy",
                "invalid_parameter",
                "invalid_callback",
                "redirect_uri_mismatch",
                "duplicate_parameter",
                "fragment_response",
                "missing_state",
                "state_mismatch",
                "transaction_expired",
                "invalid_transaction",
                "missing_issuer",
                "issuer_mismatch",
                "missing_code",
                "invalid_response",
                "unsupported_token_type",
                "origin_not_allowed",
                "invalid_token",
                "network",
                "timeout",
                "callback_already_handled",
                "login_required",
                "rate_limited",
                "insufficient_scope",
                "unauthorized",
                "api_error",
                "storage_unavailable",
                "invalid_credential",
                "invalid_job",
                "invalid_credentials",
                "missing_or_not_found",
                "expensify_error",
                "credential_not_found",
                "corrupt_record",
            ]
        );
        for c in codes {
            assert!(c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{c}");
        }
    }

    #[test]
    fn oauth_codes_round_trip_and_unknown_is_other() {
        for wire in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "unsupported_response_type",
            "invalid_scope",
            "access_denied",
            "server_error",
            "temporarily_unavailable",
        ] {
            assert_eq!(OAuthErrorCode::from_wire(wire).as_str(), wire);
        }
        assert_eq!(OAuthErrorCode::from_wire("ACCESS_DENIED"), OAuthErrorCode::Other);
        assert_eq!(OAuthErrorCode::from_wire("").as_str(), "oauth_error");
    }

    #[test]
    fn oauth_error_display_uses_raw_code_and_description() {
        let e = Error::OAuth(OAuthError {
            code: OAuthErrorCode::Other,
            raw_code: Some("weird".into()),
            description: Some("nope".into()),
            uri: None,
            status: 400,
            advice: None,
        });
        assert_eq!(e.code(), "oauth_error");
        assert_eq!(e.to_string(), "the authorization server answered weird: nope");
    }

    #[test]
    fn untrusted_text_strips_controls_and_bounds_length() {
        assert_eq!(untrusted_text("a\r\nb\u{0}c"), "a  b c");
        let long = "é".repeat(10_000);
        let cut = untrusted_text(&long);
        assert_eq!(cut.chars().count(), MAX_UNTRUSTED_TEXT + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(untrusted_text(""), "");
    }
    #[test]
    /// The message of every variant, word for word: the table in `message` is one concatenation
    /// of parts, and a part in the wrong slot would show here.
    fn messages_word_for_word() {
        let all = every_variant();
        let expected = [
            "invalid configuration: clientId is empty",
            "redirectUri must use https (http is allowed only for 127.0.0.1, [::1] and localhost)",
            "x is not an acceptable URL: y",
            "unknown or malformed scope \"x\"",
            "invalid PKCE code verifier: x",
            "not enough randomness: x",
            "invalid parameter \"x\": y",
            "invalid callback URL: x",
            "the callback URL does not match the configured redirect URI",
            "parameter \"x\" appears more than once",
            "the authorization response is in the URL fragment, but this client expects it in the query",
            "the callback has no state parameter",
            "the callback state does not match the login transaction",
            "the login transaction has expired; start the login again",
            "the stored login transaction is corrupt: x",
            "the callback has no iss parameter",
            "the callback iss does not match the configured issuer",
            "the callback has no authorization code",
            "unexpected response (HTTP 500): x",
            "the token type is not Bearer",
            "refusing to send a bearer token outside the configured API origin",
            "the token is empty or has characters not allowed in a bearer token",
            "the network request failed",
            "the request timed out",
            "this login callback was already handled",
            "no active session: sign in first",
            "rate limited by the server",
            "the access token lacks the scope this call needs",
            "the API refused the access token",
            "the API answered HTTP 500: ",
            "browser storage is unavailable: x",
            "invalid credential: name x",
            "invalid Expensify job: x",
            "Expensify rejected the partner credentials",
            "Expensify: missing parameter or not found: ",
            "Expensify answered responseCode 500: ",
            "no stored credential has this id",
            "the stored record is corrupt or cannot be decrypted",
            "the request to the Expensify Integration Server failed: the network, or (in a browser) no CORS headers on its answer; point serverUrl at your own backend proxy (see the README)",
            "the authorization server answered invalid_grant: d",
        ];
        let extra = [
            Error::ExpensifyNetwork,
            Error::OAuth(OAuthError {
                code: OAuthErrorCode::InvalidGrant,
                raw_code: None,
                description: Some("d".into()),
                uri: None,
                status: 400,
                advice: None,
            }),
        ];
        let messages: Vec<String> = all.iter().chain(extra.iter()).map(Error::message).collect();
        assert_eq!(messages, expected);
    }
}

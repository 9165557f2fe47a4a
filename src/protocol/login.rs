//! Starting a login: the PKCE verifier and `state` from the caller's random bytes, the authorize
//! URL, and the transaction to keep until the callback.

#[allow(unused_imports)]
use crate::prelude::*;

use super::authorize::authorize_url;
use super::config::ClientConfig;
use super::dpop::PublicKey;
use super::encoding::base64url;
use super::error::{Error, Result};
use super::json::{Fields, FromJson, Value};
use super::pkce::PkceVerifier;
use super::scope::normalize_scopes;
use super::transaction::{LoginTransaction, MAX_APP_STATE};

/// Random bytes a login needs: 32 for the PKCE verifier and 32 for `state` (256 bits each).
pub const LOGIN_ENTROPY: usize = 64;

/// What a login asks for beyond the configuration.
#[derive(Debug, Clone, Default)]
pub struct LoginRequest {
    /// Scopes for this login (default: the configured scopes).
    pub scopes: Option<Vec<String>>,
    /// Extra authorize parameters, such as `prompt` or `login_hint`.
    pub extra_params: Vec<(String, String)>,
    /// The login's DPoP public key (RFC 9449), `x` and `y` of its JWK: its thumbprint goes in
    /// the authorize request (`dpop_jkt`) and in the transaction, and the code exchange is
    /// signed with it. Required when the configuration has `dpop`.
    pub dpop_key: Option<(String, String)>,
    /// The app's own state, kept in the login transaction (never in a URL) and handed back by
    /// the callback: at most [`MAX_APP_STATE`] bytes as JSON.
    pub app_state: Option<Value>,
}

impl FromJson for LoginRequest {
    /// Reads the JavaScript `LoginOptions`: `scopes`, `extraParams` (`[name, value]` pairs) and
    /// `appState` (any JSON value; `null` is none) and `dpopKey` (`{x, y}`).
    fn take_from(f: &mut Fields) -> Self {
        let dpop_key =
            f.take("dpopKey").and_then(Fields::of).map(|mut k| (k.string("x").unwrap_or_default(), k.string("y").unwrap_or_default()));
        LoginRequest {
            scopes: f.strings("scopes"),
            extra_params: f.pairs("extraParams").unwrap_or_default(),
            app_state: f.take("appState"),
            dpop_key,
        }
    }
}

/// A started login: where to send the user, and what to keep until the callback.
#[derive(Debug)]
pub struct LoginStart {
    /// The authorize URL.
    pub url: String,
    /// The transaction to store (see [`LoginTransaction::to_storage`]).
    pub transaction: LoginTransaction,
}

/// Starts a login: makes the PKCE verifier from `random[..32]` and `state` from `random[32..]`,
/// and builds the authorize URL. `random` must come from a CSPRNG; `now_ms` is the current time
/// in milliseconds since the Unix epoch.
///
/// # Errors
/// [`Error::InvalidScope`] when no scope is requested or one is unknown, any
/// [`crate::protocol::authorize::build_authorize_url`] error for the extra parameters, and
/// [`Error::InvalidParameter`] for an app state over [`MAX_APP_STATE`] bytes or a transaction
/// too large to store.
pub fn start_login(config: &ClientConfig, request: &LoginRequest, random: &[u8; LOGIN_ENTROPY], now_ms: u64) -> Result<LoginStart> {
    let scopes = match &request.scopes {
        Some(s) => normalize_scopes(s, config.allow_custom_scopes)?,
        None if config.scopes.is_empty() => return Err(Error::InvalidScope { scope: String::new() }),
        None => config.scopes.clone(),
    };
    let jkt = match &request.dpop_key {
        Some((x, y)) => Some(PublicKey::new(x, y)?.thumbprint()),
        None if config.dpop => return Err(Error::InvalidParameter { name: "dpopKey".into(), reason: "is required with dpop: true" }),
        None => None,
    };
    let app_state = request.app_state.as_ref().map(Value::to_json);
    if app_state.as_ref().is_some_and(|s| s.len() > MAX_APP_STATE) {
        return Err(Error::InvalidParameter { name: "appState".into(), reason: "is over 4096 bytes as JSON" });
    }
    let verifier = PkceVerifier::from_random(&random[..32])?;
    let state = base64url(&random[32..]);
    // Endpoint, client ID, redirect URI and scopes were checked when the configuration (and the
    // scopes, above) were read; the challenge and state are made here: only the extra
    // parameters are left to check.
    let url = authorize_url(
        &config.authorize_prefix,
        &config.client_id,
        &config.redirect_uri,
        &scopes,
        &verifier.challenge_s256(),
        &state,
        &request.extra_params,
        jkt.as_deref(),
    )?;
    let transaction = LoginTransaction {
        state,
        verifier,
        client_id: config.client_id.clone(),
        issuer: config.issuer.clone(),
        redirect_uri: config.redirect_uri.clone(),
        scopes,
        created_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(config.transaction_ttl_ms),
        jkt,
        app_state,
    };
    // Never start a login whose transaction `from_storage` would refuse (long custom scopes,
    // with a large app state).
    if !transaction.fits_storage() {
        return Err(Error::InvalidParameter { name: "options".into(), reason: "make a login transaction too large to store" });
    }
    Ok(LoginStart { url, transaction })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encoding::decode_form;
    use crate::protocol::pkce::s256;
    use crate::protocol::transaction::MAX_STORED_TRANSACTION;
    use crate::protocol::url::Url;
    use crate::test_support::{config, input, random, start};

    #[test]
    fn start_login_binds_url_and_transaction() {
        let s = start();
        let tx = &s.transaction;
        assert_eq!(tx.state().len(), 43);
        assert_eq!(tx.verifier.expose().len(), 43);
        assert_ne!(tx.state(), tx.verifier.expose());
        assert_eq!(tx.created_at_ms(), 1_000_000);
        assert_eq!(tx.expires_at_ms(), 1_600_000);
        assert!(!tx.is_expired(1_599_999));
        assert!(tx.is_expired(1_600_000));
        let url = Url::parse(&s.url, "u").unwrap();
        let q = decode_form(url.query().unwrap()).unwrap();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("state"), tx.state());
        assert_eq!(get("code_challenge"), s256(tx.verifier.expose()));
        assert_eq!(get("scope"), "transactions:read");
        assert!(!s.url.contains(tx.verifier.expose()), "the verifier never goes in a URL");
        // Different randomness, different values.
        let mut r2 = random();
        r2[0] ^= 1;
        r2[63] ^= 1;
        let s2 = start_login(&config(), &LoginRequest::default(), &r2, 0).unwrap();
        assert_ne!(s2.transaction.state(), tx.state());
        assert_ne!(s2.transaction.verifier.expose(), tx.verifier.expose());
    }

    #[test]
    fn a_dpop_login_sends_the_keys_thumbprint_and_keeps_it() {
        const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
        const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
        let key = PublicKey::new(X, Y).unwrap();
        let bad = LoginRequest { dpop_key: Some((X.into(), "y".into())), ..Default::default() };
        assert_eq!(start_login(&config(), &bad, &random(), 0).unwrap_err().code(), "invalid_parameter");
        let read = LoginRequest::from_json(&format!(r#"{{"dpopKey":{{"x":"{X}","y":"{Y}"}}}}"#)).unwrap();
        assert_eq!(read.dpop_key, Some((X.into(), Y.into())));
        let req = LoginRequest { dpop_key: Some((X.into(), Y.into())), ..Default::default() };
        let s = start_login(&config(), &req, &random(), 0).unwrap();
        let url = Url::parse(&s.url, "u").unwrap();
        let q = decode_form(url.query().unwrap()).unwrap();
        assert_eq!(q.iter().filter(|(n, _)| n == "dpop_jkt").map(|(_, v)| v.as_str()).collect::<Vec<_>>(), [key.thumbprint().as_str()]);
        let back = LoginTransaction::from_storage(&s.transaction.to_storage()).unwrap();
        assert_eq!(back.jkt.as_deref(), Some(key.thumbprint().as_str()));
        // With dpop on, a login without a key does not start; an app's own dpop_jkt is refused twice.
        let cfg = crate::protocol::config::ClientConfig::new(crate::protocol::config::ClientConfigInput { dpop: true, ..input() }).unwrap();
        assert_eq!(start_login(&cfg, &LoginRequest::default(), &random(), 0).unwrap_err().code(), "invalid_parameter");
        let twice = LoginRequest { extra_params: vec![("dpop_jkt".into(), "x".into())], ..req };
        assert_eq!(start_login(&cfg, &twice, &random(), 0).unwrap_err().code(), "invalid_parameter");
    }

    #[test]
    fn login_scopes_override_and_are_required() {
        let req = LoginRequest { scopes: Some(vec!["team:read".into(), "team:read".into()]), ..Default::default() };
        let s = start_login(&config(), &req, &random(), 0).unwrap();
        assert_eq!(s.transaction.scopes(), ["team:read"]);
        let mut c = config();
        c.scopes.clear();
        assert_eq!(start_login(&c, &LoginRequest::default(), &random(), 0).unwrap_err().code(), "invalid_scope");
        let req = LoginRequest { scopes: Some(vec!["nope".into()]), ..Default::default() };
        assert_eq!(start_login(&config(), &req, &random(), 0).unwrap_err().code(), "invalid_scope");
        let req = LoginRequest { extra_params: vec![("state".into(), "x".into())], ..Default::default() };
        assert_eq!(start_login(&config(), &req, &random(), 0).unwrap_err().code(), "invalid_parameter");
    }

    #[test]
    fn a_login_too_large_to_store_is_refused_before_it_starts() {
        let cfg =
            crate::protocol::config::ClientConfig::new(crate::protocol::config::ClientConfigInput { allow_custom_scopes: true, ..input() })
                .unwrap();
        let long: Vec<String> = (0..40).map(|i| format!("{i}{}", "s".repeat(250))).collect();
        let request = LoginRequest { scopes: Some(long), ..Default::default() };
        let e = start_login(&cfg, &request, &random(), 0).unwrap_err();
        assert_eq!(e.code(), "invalid_parameter");
        let fits = LoginRequest { scopes: Some(vec!["s".repeat(4000)]), ..Default::default() };
        let start = start_login(&cfg, &fits, &random(), 0).unwrap();
        assert!(LoginTransaction::from_storage(&start.transaction.to_storage()).is_ok());
        // Around the limit, with one scope or many: accepted exactly when the written
        // transaction fits (the bound that skips writing it never decides).
        for n in [1, 7, 40] {
            for len in (7600 / n..8200 / n).step_by(3) {
                let scopes: Vec<String> = (0..n).map(|i| format!("{i}{}", "s".repeat(len))).collect();
                let request = LoginRequest { scopes: Some(scopes), ..Default::default() };
                match start_login(&cfg, &request, &random(), 1_700_000_000_000) {
                    Ok(s) => assert!(s.transaction.to_storage().len() <= MAX_STORED_TRANSACTION, "{n} x {len}"),
                    Err(e) => assert_eq!(e.code(), "invalid_parameter", "{n} x {len}"),
                }
            }
        }
    }

    #[test]
    fn the_app_state_is_kept_in_the_transaction_never_in_the_url() {
        let state = crate::protocol::json::parse(r#"{"returnTo":"/reports?q=SECRETx#top","n":[1,2.5e3,null,"\u00e9\b"]}"#).unwrap();
        let request = LoginRequest { app_state: Some(state.clone()), ..Default::default() };
        let s = start_login(&config(), &request, &random(), 0).unwrap();
        assert!(!s.url.contains("SECRETx") && !s.url.contains("returnTo"), "{}", s.url);
        assert_eq!(s.transaction.app_state(), Some(state.to_json().as_str()));
        let back = LoginTransaction::from_storage(&s.transaction.to_storage()).unwrap();
        assert_eq!(back.app_state(), Some(state.to_json().as_str()));
        assert_eq!(back.to_storage(), s.transaction.to_storage());
        // Up to 4 KiB as JSON, and no more.
        for (len, ok) in [(MAX_APP_STATE - 2, true), (MAX_APP_STATE - 1, false)] {
            let request = LoginRequest { app_state: Some(Value::String("a".repeat(len))), ..Default::default() };
            match start_login(&config(), &request, &random(), 0) {
                Ok(s) => {
                    assert!(ok, "{len}");
                    assert!(LoginTransaction::from_storage(&s.transaction.to_storage()).is_ok());
                }
                Err(e) => {
                    assert!(!ok, "{len}");
                    assert_eq!(e.code(), "invalid_parameter");
                    assert!(e.to_string().contains("appState"), "{e}");
                }
            }
        }
        // From the JavaScript options: `null` is no state.
        let read = |text: &str| LoginRequest::from_json(text).unwrap().app_state;
        assert_eq!(read(r#"{"appState":null}"#), None);
        assert_eq!(read(r#"{"appState":[1,{"a":"b"}]}"#).map(|v| v.to_json()).as_deref(), Some(r#"[1,{"a":"b"}]"#));
    }
}

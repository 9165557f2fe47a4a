//! The login transaction: what a client must remember between sending the user to the
//! authorize endpoint and receiving the callback (state, PKCE verifier, redirect URI, scopes,
//! creation time and expiry). It is serialised for `sessionStorage` and consumed exactly once.

#[allow(unused_imports)]
use crate::prelude::*;

use super::authorize::{check_client_id, check_state};
use super::error::{Error, Result};
use super::json::{Fields, Obj};
use super::pkce::PkceVerifier;
use super::scope::{is_scope_token, MAX_SCOPES};
use super::url::Url;

/// The storage format version.
const STORAGE_VERSION: u64 = 1;

/// The longest stored transaction accepted, in bytes.
pub const MAX_STORED_TRANSACTION: usize = 8 * 1024;

/// A pending login. `Debug` is redacted (the verifier is a secret); not `Clone`, because a
/// transaction may be consumed only once.
#[derive(Debug)]
pub struct LoginTransaction {
    pub(crate) state: String,
    pub(crate) verifier: PkceVerifier,
    pub(crate) client_id: String,
    pub(crate) issuer: String,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) created_at_ms: u64,
    pub(crate) expires_at_ms: u64,
}

impl LoginTransaction {
    /// The `state` value, which is also the storage key.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The requested scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// When it was created (ms since the epoch).
    pub fn created_at_ms(&self) -> u64 {
        self.created_at_ms
    }

    /// When it stops being accepted (ms since the epoch).
    pub fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    /// Whether it has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// Serialises for storage. The result holds the PKCE verifier: store it only in
    /// `sessionStorage` (same tab, same origin) and delete it when used.
    pub fn to_storage(&self) -> String {
        Obj::new()
            .u64("v", STORAGE_VERSION)
            .str("state", &self.state)
            .str("verifier", self.verifier.expose())
            .str("clientId", &self.client_id)
            .str("issuer", &self.issuer)
            .str("redirectUri", &self.redirect_uri)
            .strs("scopes", &self.scopes)
            .u64("createdAt", self.created_at_ms)
            .u64("expiresAt", self.expires_at_ms)
            .finish()
    }

    /// Reads a stored transaction back, checking every field.
    ///
    /// # Errors
    /// [`Error::InvalidTransaction`] for anything that [`LoginTransaction::to_storage`] would
    /// not have written.
    pub fn from_storage(value: &str) -> Result<Self> {
        let bad = |reason| Error::InvalidTransaction { reason };
        if value.len() > MAX_STORED_TRANSACTION {
            return Err(bad("too large"));
        }
        let shape = |_| bad("not the expected JSON");
        let mut f = Fields::parse(value).map_err(shape)?;
        if f.u64("v").map_err(shape)? != Some(STORAGE_VERSION) {
            return Err(bad("unknown version"));
        }
        let mut text = |k| f.string(k).map_err(shape).map(Option::unwrap_or_default);
        let (state, verifier, client_id, issuer, redirect_uri) =
            (text("state")?, text("verifier")?, text("clientId")?, text("issuer")?, text("redirectUri")?);
        let scopes = f.strings("scopes").map_err(shape)?.unwrap_or_default();
        let (created_at_ms, expires_at_ms) = match (f.u64("createdAt").map_err(shape)?, f.u64("expiresAt").map_err(shape)?) {
            (Some(c), Some(e)) => (c, e),
            _ => return Err(bad("missing fields")),
        };
        f.finish().map_err(shape)?;
        check_state(&state).map_err(|_| bad("malformed state"))?;
        let verifier = PkceVerifier::parse(&verifier).map_err(|_| bad("malformed verifier"))?;
        if expires_at_ms < created_at_ms {
            return Err(bad("expires before it was created"));
        }
        if client_id.is_empty() || issuer.is_empty() || redirect_uri.is_empty() || scopes.is_empty() {
            return Err(bad("missing fields"));
        }
        // As strict as what `start_login` writes: a configured client ID, two URLs the URL
        // parser accepts, and scope tokens (RFC 6749 section 3.3) without repeats. Every field
        // is then printable ASCII, so the text written back is never longer than what was read.
        check_client_id(&client_id).map_err(|_| bad("malformed clientId"))?;
        if Url::parse(&issuer, "issuer").is_err() || Url::parse(&redirect_uri, "redirectUri").is_err() {
            return Err(bad("malformed URL"));
        }
        let repeated = scopes.iter().enumerate().any(|(i, s)| scopes[..i].contains(s));
        if scopes.len() > MAX_SCOPES || repeated || !scopes.iter().all(|s| is_scope_token(s)) {
            return Err(bad("malformed scopes"));
        }
        Ok(Self { state, verifier, client_id, issuer, redirect_uri, scopes, created_at_ms, expires_at_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::start;

    #[test]
    fn storage_round_trip_and_redacted_debug() {
        let s = start();
        let stored = s.transaction.to_storage();
        let back = LoginTransaction::from_storage(&stored).unwrap();
        assert_eq!(back.state(), s.transaction.state());
        assert_eq!(back.verifier.expose(), s.transaction.verifier.expose());
        assert_eq!(back.scopes(), s.transaction.scopes());
        assert_eq!(back.expires_at_ms(), s.transaction.expires_at_ms());
        assert_eq!(back.to_storage(), stored);
        let dbg = format!("{:?}", s.transaction);
        assert!(!dbg.contains(s.transaction.verifier.expose()), "{dbg}");
    }

    #[test]
    fn storage_rejects_tampering() {
        let stored = start().transaction.to_storage();
        let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
        let with = |key: &str, value: serde_json::Value| {
            let mut v = v.clone();
            v[key] = value;
            v.to_string()
        };
        let cases = [
            String::new(),
            "null".into(),
            "[]".into(),
            "{}".into(),
            stored[..stored.len() - 1].to_string(),
            with("v", 2.into()),
            with("state", "short".into()),
            with("verifier", "tooshort".into()),
            with("verifier", serde_json::Value::Null),
            with("createdAt", (u64::MAX).into()),
            with("expiresAt", (-1).into()),
            with("scopes", serde_json::json!([])),
            with("clientId", "".into()),
            with("extra", "field".into()),
            with("scopes", serde_json::json!(["transactions:read", "a\u{8}b"])),
            with("scopes", serde_json::json!(["transactions:read", "a b"])),
            with("scopes", serde_json::json!(["transactions:read", "transactions:read"])),
            with("scopes", serde_json::json!(["caf\u{e9}"])),
            with("clientId", "demo\nclient".into()),
            with("issuer", "not a url".into()),
            with("redirectUri", "https://app.example/caf\u{e9}".into()),
            // The fuzz find: `\b` is 2 bytes read and 6 written (`\u0008`), so what was read
            // under the limit would have been written over it.
            include_str!("../../fuzz/corpus/stored_transaction/crash-control-escapes-grow").to_owned(),
            format!("{}{}", " ".repeat(MAX_STORED_TRANSACTION), stored),
            "[".repeat(10_000),
        ];
        for c in cases {
            let e = LoginTransaction::from_storage(&c).unwrap_err();
            assert_eq!(e.code(), "invalid_transaction", "{c:.80}");
        }
    }
}

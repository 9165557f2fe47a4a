//! The login transaction: what a client must remember between sending the user to the
//! authorize endpoint and receiving the callback (state, PKCE verifier, redirect URI, scopes,
//! creation time and expiry, and the app's own state to hand back after the login). It is
//! serialised for `sessionStorage` and consumed exactly once.

#[allow(unused_imports)]
use crate::prelude::*;

use super::authorize::{check_client_id, check_state};
use super::config::ClientConfig;
use super::decimal::parse_digits;
use super::dpop::is_thumbprint;
use super::error::{Error, Result};
use super::json::{Fields, Obj};
use super::pkce::PkceVerifier;
use super::scope::{is_scope_token, MAX_SCOPES};
use super::secret::Secret;
use super::text::split_once_byte;
use super::url::Url;

/// The storage format version.
const STORAGE_VERSION: u64 = 1;

/// The longest stored transaction accepted, in bytes.
pub const MAX_STORED_TRANSACTION: usize = 8 * 1024;

/// The longest app state a login keeps, in bytes of JSON text (as the core writes it).
pub const MAX_APP_STATE: usize = 4 * 1024;

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
    /// The thumbprint of the login's DPoP key (RFC 9449 `dpop_jkt`), when it has one.
    pub(crate) jkt: Option<String>,
    /// The app's state (JSON text, at most [`MAX_APP_STATE`] bytes), handed back by the callback.
    pub(crate) app_state: Option<String>,
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

    /// The thumbprint of the login's DPoP key, if it has one.
    pub fn jkt(&self) -> Option<&str> {
        self.jkt.as_deref()
    }

    /// When it was created (ms since the epoch).
    pub fn created_at_ms(&self) -> u64 {
        self.created_at_ms
    }

    /// When it stops being accepted (ms since the epoch).
    pub fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    /// The app's state as JSON text, when the login was given one.
    pub fn app_state(&self) -> Option<&str> {
        self.app_state.as_deref()
    }

    /// Whether it has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// Serialises for storage. The result holds the PKCE verifier: store it only in
    /// `sessionStorage` (same tab, same origin) and delete it when used.
    pub fn to_storage(&self) -> String {
        let o = Obj::new()
            .u64("v", STORAGE_VERSION)
            .str("state", &self.state)
            .str("verifier", self.verifier.expose())
            .str("clientId", &self.client_id)
            .str("issuer", &self.issuer)
            .str("redirectUri", &self.redirect_uri)
            .strs("scopes", &self.scopes)
            .u64("createdAt", self.created_at_ms)
            .u64("expiresAt", self.expires_at_ms)
            .opt_str("jkt", self.jkt.as_deref());
        match &self.app_state {
            Some(json) => o.raw("appState", json),
            None => o,
        }
        .finish()
    }

    /// A length [`LoginTransaction::to_storage`] never exceeds, without writing it: JSON
    /// escaping makes a byte at most six, and the keys, quotes and two integers take less than
    /// 200 bytes; the app state is written as it is held, after its 12-byte key.
    fn stored_len_bound(&self) -> usize {
        let jkt = self.jkt.as_deref().unwrap_or_default();
        let text: usize =
            [&*self.state, self.verifier.expose(), &self.client_id, &self.issuer, &self.redirect_uri, jkt].iter().map(|s| s.len()).sum();
        let scopes: usize = self.scopes.iter().map(|s| s.len() + 3).sum();
        let app_state = self.app_state.as_ref().map_or(0, |s| s.len() + 12);
        (text + scopes).saturating_mul(6).saturating_add(200).saturating_add(app_state)
    }

    /// Whether [`LoginTransaction::to_storage`] fits in [`MAX_STORED_TRANSACTION`], so that
    /// [`LoginTransaction::from_storage`] reads it back; written out only when the bound says
    /// it might not.
    pub(crate) fn fits_storage(&self) -> bool {
        self.stored_len_bound() <= MAX_STORED_TRANSACTION || self.to_storage().len() <= MAX_STORED_TRANSACTION
    }

    /// Reads a stored transaction back, checking every field.
    ///
    /// # Errors
    /// [`Error::InvalidTransaction`] for anything that [`LoginTransaction::to_storage`] would
    /// not have written.
    pub fn from_storage(value: &str) -> Result<Self> {
        Self::read(value, None)
    }

    /// [`LoginTransaction::from_storage`] for a callback of `config`: a client ID or URL equal
    /// to the configuration's is known to be well-formed and is not parsed again (one that
    /// differs is checked in full, and the callback's validation refuses it anyway).
    ///
    /// # Errors
    /// As [`LoginTransaction::from_storage`].
    pub fn from_storage_for(value: &str, config: &ClientConfig) -> Result<Self> {
        Self::read(value, Some(config))
    }

    fn read(value: &str, known: Option<&ClientConfig>) -> Result<Self> {
        let bad = |reason| Error::InvalidTransaction { reason };
        if value.len() > MAX_STORED_TRANSACTION {
            return Err(bad("too large"));
        }
        let stored = match canonical(value) {
            Some(fields) => fields,
            None => general(value)?,
        };
        // Every check reads by reference, so a refused record has one path that drops it.
        if let Err(reason) = check(&stored, known) {
            return Err(bad(reason));
        }
        let Stored { state, verifier, client_id, issuer, redirect_uri, scopes, created_at_ms, expires_at_ms, app_state, jkt } = stored;
        let verifier = PkceVerifier::from_checked(verifier);
        let tx = Self { state, verifier, client_id, issuer, redirect_uri, scopes, created_at_ms, expires_at_ms, app_state, jkt };
        // An app state read with short escapes (`\b`) is written back with long ones
        // (`\u0008`): what is accepted must still fit when written.
        if !tx.fits_storage() {
            return Err(bad("too large"));
        }
        Ok(tx)
    }
}

/// What is wrong with a stored transaction's fields, in the order [`LoginTransaction::read`]
/// reports it.
fn check(stored: &Stored, known: Option<&ClientConfig>) -> core::result::Result<(), &'static str> {
    let Stored { state, verifier, client_id, issuer, redirect_uri, scopes, created_at_ms, expires_at_ms, app_state, jkt } = stored;
    check_state(state).map_err(|_| "malformed state")?;
    if jkt.as_deref().is_some_and(|j| !is_thumbprint(j)) {
        return Err("malformed jkt");
    }
    PkceVerifier::check(verifier.expose()).map_err(|_| "malformed verifier")?;
    if expires_at_ms < created_at_ms {
        return Err("expires before it was created");
    }
    if client_id.is_empty() || issuer.is_empty() || redirect_uri.is_empty() || scopes.is_empty() {
        return Err("missing fields");
    }
    // As strict as what `start_login` writes: a configured client ID, two URLs the URL
    // parser accepts, scope tokens (RFC 6749 section 3.3) without repeats, and an app state
    // of at most `MAX_APP_STATE` bytes as the JSON writer writes it.
    let known_client = known.is_some_and(|c| &c.client_id == client_id);
    if !known_client && check_client_id(client_id).is_err() {
        return Err("malformed clientId");
    }
    let url_ok = |url: &str, field, configured: Option<&str>| configured == Some(url) || Url::parse(url, field).is_ok();
    if !url_ok(issuer, "issuer", known.map(|c| c.issuer.as_str()))
        || !url_ok(redirect_uri, "redirectUri", known.map(|c| c.redirect_uri.as_str()))
    {
        return Err("malformed URL");
    }
    let repeated = scopes.iter().enumerate().any(|(i, s)| scopes[..i].contains(s));
    if scopes.len() > MAX_SCOPES || repeated || !scopes.iter().all(|s| is_scope_token(s)) {
        return Err("malformed scopes");
    }
    if app_state.as_ref().is_some_and(|s| s.len() > MAX_APP_STATE) {
        return Err("appState too large");
    }
    Ok(())
}

/// A stored transaction's fields as read, before they are checked.
struct Stored {
    state: String,
    verifier: Secret,
    client_id: String,
    issuer: String,
    redirect_uri: String,
    scopes: Vec<String>,
    created_at_ms: u64,
    expires_at_ms: u64,
    jkt: Option<String>,
    app_state: Option<String>,
}

/// The fields through the strict JSON reader: any JSON object with exactly these members.
fn general(value: &str) -> Result<Stored> {
    let bad = |reason| Error::InvalidTransaction { reason };
    let shape = |_| bad("not the expected JSON");
    let mut f = Fields::parse(value).map_err(shape)?;
    let version = f.u64("v");
    let mut text = |k| f.string(k).unwrap_or_default();
    let (state, verifier, client_id, issuer, redirect_uri) =
        (text("state"), Secret::new(text("verifier")), text("clientId"), text("issuer"), text("redirectUri"));
    let scopes = f.strings("scopes").unwrap_or_default();
    let (created, expires, jkt) = (f.u64("createdAt"), f.u64("expiresAt"), f.string("jkt"));
    // Any JSON value, written back as the core's writer writes it (`null` is no state).
    let app_state = f.take("appState").map(|v| v.to_json());
    f.finish().map_err(shape)?;
    if version != Some(STORAGE_VERSION) {
        return Err(bad("unknown version"));
    }
    let (Some(created_at_ms), Some(expires_at_ms)) = (created, expires) else {
        return Err(bad("missing fields"));
    };
    Ok(Stored { state, verifier, client_id, issuer, redirect_uri, scopes, created_at_ms, expires_at_ms, app_state, jkt })
}

/// The fields of text in exactly the layout [`LoginTransaction::to_storage`] writes, every
/// string without escapes or control characters, and no app state; `None` for anything else, which
/// [`general`] then reads. What this accepts, the JSON reader reads the same (a test holds the
/// two equal): the common case of every callback, without building a JSON tree.
fn canonical(value: &str) -> Option<Stored> {
    let mut c = Cursor(value);
    c.lit("{\"v\":1,\"state\":")?;
    let state = c.string()?;
    c.lit(",\"verifier\":")?;
    let verifier = c.string()?;
    c.lit(",\"clientId\":")?;
    let client_id = c.string()?;
    c.lit(",\"issuer\":")?;
    let issuer = c.string()?;
    c.lit(",\"redirectUri\":")?;
    let redirect_uri = c.string()?;
    c.lit(",\"scopes\":[")?;
    let mut scopes = Vec::new();
    if c.lit("]").is_none() {
        loop {
            scopes.push(c.string()?.to_owned());
            if c.lit("]").is_some() {
                break;
            }
            c.lit(",")?;
        }
    }
    c.lit(",\"createdAt\":")?;
    let created_at_ms = c.number()?;
    c.lit(",\"expiresAt\":")?;
    let expires_at_ms = c.number()?;
    let jkt = match c.lit(",\"jkt\":") {
        Some(()) => Some(c.string()?.to_owned()),
        None => None,
    };
    if c.0 != "}" {
        return None;
    }
    Some(Stored {
        state: state.to_owned(),
        verifier: Secret::new(verifier.to_owned()),
        client_id: client_id.to_owned(),
        issuer: issuer.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        created_at_ms,
        expires_at_ms,
        jkt,
        app_state: None,
    })
}

/// The rest of a canonical transaction's text.
struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    fn lit(&mut self, text: &str) -> Option<()> {
        self.0 = self.0.strip_prefix(text)?;
        Some(())
    }

    /// A JSON string without escapes or control characters: its text is its value.
    fn string(&mut self) -> Option<&'a str> {
        let (s, rest) = split_once_byte(self.0.strip_prefix('"')?, b'"')?;
        if s.bytes().any(|b| b == b'\\' || b < 0x20) {
            return None;
        }
        self.0 = rest;
        Some(s)
    }

    /// An integer as JSON writes it (no sign, fraction, exponent or leading zero).
    fn number(&mut self) -> Option<u64> {
        let (digits, rest) = self.0.split_at_checked(self.0.bytes().take_while(u8::is_ascii_digit).count())?;
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        self.0 = rest;
        parse_digits(digits.as_bytes())
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

    fn fields(s: Stored) -> (String, String, String, String, String, Vec<String>, u64, u64) {
        (s.state, s.verifier.expose().to_owned(), s.client_id, s.issuer, s.redirect_uri, s.scopes, s.created_at_ms, s.expires_at_ms)
    }

    /// The canonical reader is a shortcut: whatever it accepts, the JSON reader reads to the
    /// same fields. Checked on written transactions with hostile strings (quotes, backslashes,
    /// control characters, non-ASCII), and on every truncation and one-byte change of them.
    #[test]
    fn the_canonical_reader_agrees_with_the_json_reader() {
        let alphabet = ["a", "Z", "0", "-", "_", "~", ".", ":", "/", "?", "\"", "\\", "\u{1}", "\n", " ", "é", "€", "😀", "%41", ","];
        let mut next = crate::test_support::xorshift(0x9e37_79b9_7f4a_7c15_u64);
        let word = |next: &mut dyn FnMut() -> u64, max: u64| -> String {
            let n = next() % (max + 1);
            (0..n).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect()
        };
        let mut checked = (0, 0);
        let mut texts = vec![start().transaction.to_storage()];
        for _ in 0..300 {
            let scopes: Vec<String> = (0..next() % 3).map(|_| word(&mut next, 6)).collect();
            let text = Obj::new()
                .u64("v", if next() % 8 == 0 { 2 } else { STORAGE_VERSION })
                .str("state", &word(&mut next, 50))
                .str("verifier", &word(&mut next, 50))
                .str("clientId", &word(&mut next, 12))
                .str("issuer", &word(&mut next, 30))
                .str("redirectUri", &word(&mut next, 30))
                .strs("scopes", &scopes)
                .u64("createdAt", next() % 3_000_000)
                .u64("expiresAt", if next() % 4 == 0 { u64::MAX } else { next() % 3_000_000 })
                .finish();
            texts.push(text);
        }
        let mut variants = Vec::new();
        for t in &texts {
            variants.push(t.clone());
            for cut in (0..t.len()).filter(|&i| t.is_char_boundary(i)).step_by(7) {
                variants.push(t[..cut].to_owned());
            }
            let bytes = t.as_bytes();
            for at in (0..bytes.len()).step_by(5) {
                for b in [b' ', b'0', b'"', b'\\', b'}', b',', b'-', b'.', b'e', 0x01] {
                    let mut m = bytes.to_vec();
                    m[at] = b;
                    if let Ok(m) = String::from_utf8(m) {
                        variants.push(m);
                    }
                }
            }
            variants.push(t.replacen(":1,", ": 1,", 1));
            variants.push(t.replacen("\"createdAt\":", "\"createdAt\":0", 1));
        }
        for text in &variants {
            if let Some(fast) = canonical(text) {
                let full = general(text).unwrap_or_else(|e| panic!("the JSON reader refuses what the shortcut read: {e} in {text}"));
                assert_eq!(fields(fast), fields(full), "{text}");
                checked.0 += 1;
            } else {
                checked.1 += 1;
            }
            // Either way, reading with and without the configuration gives the same outcome.
            let config = crate::test_support::config();
            assert_eq!(
                LoginTransaction::from_storage(text).map(|t| t.to_storage()),
                LoginTransaction::from_storage_for(text, &config).map(|t| t.to_storage()),
                "{text}"
            );
        }
        assert!(checked.0 > 200 && checked.1 > 5000, "{checked:?}");
    }

    /// The bound holds even for text that JSON escapes most (a control character becomes six
    /// bytes), for short and long fields alike.
    #[test]
    fn the_stored_length_bound_is_never_below_the_text() {
        for field in ["\u{1}", "\"", "\\", "é", "😀", "a", ""] {
            for n in [0, 1, 300] {
                let t = LoginTransaction {
                    state: field.repeat(n),
                    verifier: PkceVerifier::parse(&"v".repeat(43)).unwrap(),
                    client_id: field.repeat(n),
                    issuer: field.repeat(n),
                    redirect_uri: field.repeat(n),
                    scopes: vec![field.repeat(n); 3],
                    created_at_ms: u64::MAX,
                    expires_at_ms: u64::MAX,
                    jkt: Some(field.repeat(n)),
                    app_state: Some(crate::protocol::json::Value::String(field.repeat(n)).to_json()),
                };
                assert!(t.to_storage().len() <= t.stored_len_bound(), "{field:?} x {n}");
            }
        }
    }

    /// The app state: any JSON value, written as the core's writer writes it, at most
    /// `MAX_APP_STATE` bytes so, and refused past it or when written back it would not fit.
    #[test]
    fn the_app_state_is_checked_like_every_field() {
        let stored = start().transaction.to_storage();
        let with = |json: &str| format!("{},\"appState\":{json}}}", &stored[..stored.len() - 1]);
        let mut long_scope: serde_json::Value = serde_json::from_str(&stored).unwrap();
        long_scope["scopes"] = serde_json::json!(["s".repeat(4000)]);
        let long_scope = long_scope.to_string();
        assert!(LoginTransaction::from_storage(&long_scope).is_ok());
        let read = |text: &str| LoginTransaction::from_storage(text).map(|t| t.app_state().map(str::to_owned));
        assert_eq!(read(&stored).unwrap(), None);
        assert_eq!(read(&with("null")).unwrap(), None);
        assert_eq!(read(&with(r#"{"returnTo":"/a?b#c"}"#)).unwrap().as_deref(), Some(r#"{"returnTo":"/a?b#c"}"#));
        // Read as JSON, kept as the writer writes it.
        assert_eq!(read(&with(r#" [ "\u0061" , 1e2 ] "#)).unwrap().as_deref(), Some(r#"["a",1e2]"#));
        let fits = format!("\"{}\"", "a".repeat(MAX_APP_STATE - 2));
        assert!(read(&with(&fits)).is_ok());
        let refused = [
            with(&format!("\"{}\"", "a".repeat(MAX_APP_STATE - 1))),
            with("{"),
            with("undefined"),
            with(r#"{"a":1,"a":2}"#),
            with(r#""\ud800""#),
            with(&format!("{}{}", "[".repeat(200), "]".repeat(200))),
            // Short escapes read, long ones written: 1,400 `\b` are 2,800 bytes read, 8,400 written.
            with(&format!("\"{}\"", "\\b".repeat(1400))),
            // Within its own limit as written (680 `\b`: 1,360 bytes read, 4,082 written), but
            // with long scopes the transaction written would not fit: 5,700 bytes read, 8,400 written.
            format!("{},\"appState\":\"{}\"}}", &long_scope[..long_scope.len() - 1], "\\b".repeat(680)),
            format!("{},\"appState\":1,\"appState\":2}}", &stored[..stored.len() - 1]),
        ];
        for text in refused {
            assert_eq!(LoginTransaction::from_storage(&text).unwrap_err().code(), "invalid_transaction", "{text:.100}");
        }
    }
}

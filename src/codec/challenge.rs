//! A reader of the `WWW-Authenticate` header (RFC 7235 section 4.1, with RFC 9110 section 11's
//! grammar), for the one challenge this library acts on: `Bearer` (RFC 6750 section 3).
//!
//! ```text
//! WWW-Authenticate = 1#challenge
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! Commas separate both challenges and parameters: a `token` followed by `=` is a parameter of
//! the challenge before it, any other `token` starts a new challenge. Schemes and parameter names
//! are case-insensitive; values (after quoted-pair unescaping) are compared exactly. A header
//! that does not follow the grammar up to the end of its first Bearer challenge, is longer than
//! [`MAX_HEADER`], or gives the Bearer challenge `error` or `scope` twice (RFC 6750 section 3:
//! "MUST NOT appear more than once") says nothing: the reader answers `None`, and the caller
//! decides without it. It is lenient in two places where being strict would buy nothing: white
//! space after a scheme may be a tab, and a token68 may be followed by parameters.

#[allow(unused_imports)]
use crate::prelude::*;

/// The longest header read, in bytes; a longer one says nothing.
pub const MAX_HEADER: usize = 8 * 1024;

/// The `error` of a Bearer challenge (RFC 6750 section 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_token`: expired, revoked, malformed; the client may refresh and retry.
    InvalidToken,
    /// `insufficient_scope`: the token lacks a scope the request needs.
    InsufficientScope,
    /// Any other value.
    Other,
}

/// What a `Bearer` challenge says, as written in the header (a quoted value without its quotes,
/// quoted-pairs not yet unescaped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bearer<'a> {
    error: Option<&'a str>,
    scope: Option<&'a str>,
}

impl<'a> Bearer<'a> {
    /// Its `error`, when present, compared exactly after unescaping.
    pub fn error(&self) -> Option<BearerError> {
        let e = self.error?;
        Some(if unescaped_is(e, "invalid_token") {
            BearerError::InvalidToken
        } else if unescaped_is(e, "insufficient_scope") {
            BearerError::InsufficientScope
        } else if unescaped_is(e, "invalid_request") {
            BearerError::InvalidRequest
        } else {
            BearerError::Other
        })
    }

    /// Whether its `error` is `value`, compared exactly after unescaping.
    pub fn error_is(&self, value: &str) -> bool {
        self.error.is_some_and(|e| unescaped_is(e, value))
    }

    /// Its `scope` (RFC 6750 section 3: the scopes the request needs, space-separated), as
    /// written: a scope holds no backslash or `"` (RFC 6749 section 3.3), so a value with a
    /// quoted-pair is no list of scopes.
    pub fn scope(&self) -> Option<&'a str> {
        self.scope
    }
}

/// Whether the quoted-string content `raw` reads `want` once its quoted-pairs are unescaped.
fn unescaped_is(raw: &str, want: &str) -> bool {
    let mut raw = raw.bytes();
    let mut want = want.bytes();
    loop {
        let r = match raw.next() {
            Some(b'\\') => raw.next(),
            r => r,
        };
        let w = want.next();
        if r != w {
            return false;
        }
        if r.is_none() {
            return true;
        }
    }
}

// The character classes of the grammar, one bit each, in a table of the ASCII bytes (non-ASCII
// bytes are in none): one lookup instead of a chain of comparisons per class.
/// `tchar` of RFC 9110 section 5.6.2.
const TCHAR: u8 = 1;
/// The characters of `token68` before its `=` padding (RFC 9110 section 11.2).
const TOKEN68: u8 = 2;
/// `OWS`: space and horizontal tab.
const WS: u8 = 4;
/// The list separator.
const COMMA: u8 = 8;
/// `token68`'s padding.
const PAD: u8 = 16;

const fn classes() -> [u8; 128] {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let alnum = c.is_ascii_alphanumeric();
        let mut k = 0;
        if alnum || matches!(c, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'^'..=b'`' | b'|' | b'~') {
            k |= TCHAR;
        }
        if alnum || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
            k |= TOKEN68;
        }
        k |= match c {
            b' ' | b'\t' => WS,
            b',' => COMMA,
            b'=' => PAD,
            _ => 0,
        };
        table[b] = k;
        b += 1;
    }
    table
}

static CLASS: [u8; 128] = classes();

/// The byte of `s` at `i`, or -1 past its end.
fn at(s: &[u8], i: usize) -> i32 {
    s.get(i).map_or(-1, |&b| i32::from(b))
}

/// The end of the run of bytes of `s` from `i` that are in one of the `classes`.
fn run(s: &[u8], mut i: usize, classes: u8) -> usize {
    while s.get(i).is_some_and(|&b| b < 128 && CLASS[b as usize] & classes != 0) {
        i += 1;
    }
    i
}

/// Whether a list item may end at `i`: at the end of the value or a comma.
fn item_end(s: &[u8], i: usize) -> bool {
    matches!(at(s, i), -1 | 0x2c)
}

/// `qdtext` and the escaped byte of a `quoted-pair` (RFC 9110 section 5.6.4), but `"` and `\`
/// themselves, which the caller handles first; -1 (the end) is none.
fn is_text(b: i32) -> bool {
    b == 9 || b >= 0x20 && b != 0x7f
}

/// The first `Bearer` challenge of a `WWW-Authenticate` value, or `None` when there is none or
/// the value does not follow the grammar up to the end of that challenge (see the module
/// documentation; what follows it is not read).
pub fn bearer(header: &str) -> Option<Bearer<'_>> {
    challenge(header, "bearer")
}

/// [`bearer`] for the challenge of another scheme that has an `error` (`DPoP`, RFC 9449
/// section 7.1, with the same attributes).
pub fn challenge<'a>(header: &'a str, scheme: &str) -> Option<Bearer<'a>> {
    if header.len() > MAX_HEADER {
        return None;
    }
    let s = header.as_bytes();
    // The Bearer challenge, while it is the one being read (the next challenge ends the
    // reading); whether any challenge has started.
    let mut found: Option<Bearer<'_>> = None;
    let mut in_challenge = false;
    let mut i = 0;
    loop {
        i = run(s, i, WS | COMMA);
        if i >= s.len() {
            return found;
        }
        let start = i;
        i = run(s, i, TCHAR);
        let name = header.get(start..i).filter(|n| !n.is_empty())?;
        let after = run(s, i, WS);
        if at(s, after) == 0x3d {
            // An auth-param of the current challenge: token or quoted-string.
            i = run(s, after + 1, WS);
            let value = if at(s, i) == 0x22 {
                let open = i + 1;
                i = open;
                loop {
                    let c = at(s, i);
                    if c == 0x22 {
                        break;
                    }
                    // A quoted-pair is a backslash and the byte it escapes.
                    let step = 1 + usize::from(c == 0x5c);
                    if !is_text(at(s, i + step - 1)) {
                        return None;
                    }
                    i += step;
                }
                i += 1;
                header.get(open..i - 1)?
            } else {
                let v = i;
                i = run(s, i, TCHAR);
                header.get(v..i).filter(|v| !v.is_empty())?
            };
            i = run(s, i, WS);
            if !in_challenge || !item_end(s, i) {
                return None;
            }
            if let Some(b) = found.as_mut() {
                let slot = if name.eq_ignore_ascii_case("error") {
                    &mut b.error
                } else if name.eq_ignore_ascii_case("scope") {
                    &mut b.scope
                } else {
                    continue;
                };
                if slot.replace(value).is_some() {
                    // RFC 6750 section 3: each attribute at most once.
                    return None;
                }
            }
        } else {
            // A new challenge; the first Bearer one is the answer.
            if found.is_some() {
                return found;
            }
            in_challenge = true;
            if name.eq_ignore_ascii_case(scheme) {
                found = Some(Bearer::default());
            }
            // Its token68, if it has one (skipped): followed by the end or a comma.
            let body = run(s, after, TOKEN68);
            let end = run(s, run(s, body, PAD), WS);
            if body > after && item_end(s, end) {
                i = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(h: &str) -> Option<BearerError> {
        bearer(h).and_then(|b| b.error())
    }

    fn read(h: &str) -> Option<(Option<BearerError>, Option<&str>)> {
        bearer(h).map(|b| (b.error(), b.scope()))
    }

    #[test]
    fn rfc_6750_examples() {
        // Section 3.
        assert_eq!(read(r#"Bearer realm="example""#), Some((None, None)));
        assert_eq!(
            read(r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#),
            Some((Some(BearerError::InvalidToken), None))
        );
        assert_eq!(
            read(r#"Bearer error="insufficient_scope", scope="transactions:write team:read""#),
            Some((Some(BearerError::InsufficientScope), Some("transactions:write team:read")))
        );
        assert_eq!(read("Bearer"), Some((None, None)));
        assert_eq!(read("Bearer abc+/==, realm=x"), Some((None, None)));
        assert_eq!(err(r#"Bearer error="invalid_request""#), Some(BearerError::InvalidRequest));
        assert_eq!(err(r#"Bearer error="made_up""#), Some(BearerError::Other));
        assert_eq!(err(r#"Bearer error="insufficient_scope_and_more""#), Some(BearerError::Other));
        assert_eq!(err(r#"Bearer error="""#), Some(BearerError::Other));
    }

    #[test]
    fn several_challenges_case_and_spacing() {
        let h = r#"Basic realm="a, error=\"insufficient_scope\"", Bearer error="invalid_token""#;
        assert_eq!(err(h), Some(BearerError::InvalidToken));
        assert_eq!(
            err(r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", bearer error=insufficient_scope"#),
            Some(BearerError::InsufficientScope)
        );
        assert_eq!(err(r#"BEARER ERROR="invalid_token""#), Some(BearerError::InvalidToken));
        assert_eq!(err("Bearer error = \"invalid_token\" ,, ,scope=\"a\""), Some(BearerError::InvalidToken));
        assert_eq!(err(r#"Basic abc+/==, Bearer error="insufficient_scope""#), Some(BearerError::InsufficientScope));
        assert_eq!(err(r#"Basic error="insufficient_scope""#), None, "another scheme's error");
        // The first Bearer challenge is the answer.
        assert_eq!(err(r#"Bearer error="invalid_token", Bearer error="insufficient_scope""#), Some(BearerError::InvalidToken));
        // Values are compared exactly, after unescaping.
        assert_eq!(err(r#"Bearer error="Invalid_Token""#), Some(BearerError::Other));
        assert_eq!(err(r#"Bearer error="invalid\_token""#), Some(BearerError::InvalidToken));
        assert_eq!(err(r#"Bearer error="invalid\\_token""#), Some(BearerError::Other));
        assert_eq!(err(r#"Bearer error="invalid_token\""#), None);
        assert_eq!(read(r#"Bearer scope="a\"b""#), Some((None, Some(r#"a\"b"#))));
        // A challenge named like a prefix is not Bearer.
        assert_eq!(bearer(r#"Bearerx error="invalid_token""#), None);
        assert_eq!(bearer(r#"DPoP error="invalid_token""#), None);
    }

    #[test]
    fn hostile_headers_say_nothing() {
        for h in [
            "",
            " , ,",
            "=",
            "error=\"insufficient_scope\"",
            "Bearer error=\"insufficient_scope",
            "Bearer error=\"insufficient_scope\"x",
            "Bearer error=\"insufficient_scope\" scope=\"a\"",
            "Bearer error=\"invalid_token\", error=\"insufficient_scope\"",
            "Bearer ERROR=\"invalid_token\", error=\"insufficient_scope\"",
            "Bearer error=\"a\u{0}b\"",
            "Bearer error=\"a\nb\"",
            "Bearer error=\"a\\\u{1}\"",
            "Bearer error=",
            "Bearer error=,",
            "Bearer \"insufficient_scope\"",
            "Bearer error=\"insufficient_scope\"\\",
            "Bearer error:\"insufficient_scope\"",
            "Bearer error=insufficient_scope;scope=x",
            "Bearer error=\"é\"x",
        ] {
            assert_eq!(err(h), None, "{h:?}");
        }
        // Non-ASCII inside a quoted string is obs-text: kept, and compared exactly.
        assert_eq!(err("Bearer error=\"insufficient_scopé\""), Some(BearerError::Other));
        let long = format!("Bearer error=\"insufficient_scope\", x=\"{}\"", "a".repeat(MAX_HEADER));
        assert_eq!(bearer(&long), None);
        let many = "Bearer error=\"invalid_token\"".to_owned() + &", a=b".repeat(1000);
        assert_eq!(err(&many), Some(BearerError::InvalidToken));
    }
}

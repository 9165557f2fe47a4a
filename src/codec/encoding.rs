//! Encodings: unpadded base64url (RFC 4648 section 5), `application/x-www-form-urlencoded`
//! serialisation, and a strict form/query decoder. Written here rather than taken from crates:
//! each is a few lines, and the WebAssembly package pays for every generic engine it links.

#[allow(unused_imports)]
use crate::prelude::*;

use super::text::{split_byte, split_once_byte};
use alloc::borrow::Cow;

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url, as RFC 7636 uses for verifiers and challenges.
pub fn base64url(bytes: &[u8]) -> String {
    // Bytes first, then one UTF-8 check: pushing `char`s one at a time is several times slower.
    let mut out = vec![0u8; (bytes.len() * 4).div_ceil(3)];
    let (mut i, mut o) = (0, 0);
    while i < bytes.len() {
        let b1 = bytes.get(i + 1).copied().unwrap_or(0);
        let b2 = bytes.get(i + 2).copied().unwrap_or(0);
        let n = u32::from(bytes[i]) << 16 | u32::from(b1) << 8 | u32::from(b2);
        for shift in [18, 12, 6, 0] {
            if o < out.len() {
                out[o] = BASE64URL[(n >> shift & 63) as usize];
                o += 1;
            }
        }
        i += 3;
    }
    String::from_utf8(out).unwrap_or_default()
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `value` form-encoded: alphanumerics and `*-._` as they are, space as `+`, every
/// other UTF-8 byte as `%XX`. Unescaped runs are copied as slices (they end at ASCII bytes, so
/// on character boundaries).
fn form_encode_into(out: &mut String, value: &str) {
    let bytes = value.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() || b == b'*' || b == b'-' || b == b'.' || b == b'_' {
            i += 1;
            continue;
        }
        out.push_str(value.get(run..i).unwrap_or_default());
        if b == b' ' {
            out.push('+');
        } else {
            let hex = [b'%', HEX_UPPER[usize::from(b >> 4)], HEX_UPPER[usize::from(b & 15)]];
            out.push_str(core::str::from_utf8(&hex).unwrap_or_default());
        }
        i += 1;
        run = i;
    }
    out.push_str(value.get(run..).unwrap_or_default());
}

/// Serialises name/value pairs as `application/x-www-form-urlencoded` (the WHATWG URL
/// standard's encoding: space becomes `+`, everything outside `*-._` and alphanumerics is
/// percent-encoded as UTF-8).
pub fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        form_encode_into(&mut out, k);
        out.push('=');
        form_encode_into(&mut out, v);
    }
    out
}

/// Why a query string or form body was refused by [`decode_form`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A `%` not followed by two hex digits.
    BadPercentEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

/// Decodes a query string or form body strictly: `+` is a space, every `%` must start a valid
/// escape and the decoded bytes must be UTF-8. Unlike lossy decoders, malformed input is an error
/// rather than a silently substituted U+FFFD. Empty segments (`a=1&&b=2`) are skipped; a segment
/// without `=` has an empty value.
#[cfg(any(test, feature = "fuzzing"))]
pub fn decode_form(input: &str) -> Result<Vec<(String, String)>, DecodeError> {
    Ok(decode_pairs(input)?.into_iter().map(|(n, v)| (n.into_owned(), v.into_owned())).collect())
}

/// A decoded name and value.
pub(crate) type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// [`decode_form`], each name and value borrowed from `input` when it has nothing to decode.
pub(crate) fn decode_pairs(input: &str) -> Result<Vec<Pair<'_>>, DecodeError> {
    let mut out = Vec::new();
    for segment in split_byte(input, b'&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = split_once_byte(segment, b'=').unwrap_or((segment, ""));
        out.push((decode_cow(name)?, decode_cow(value)?));
    }
    Ok(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A form component decoded (`+` is a space, `%XX` a byte, UTF-8 required), borrowed from
/// `input` when it has nothing to decode.
pub(crate) fn decode_cow(input: &str) -> Result<Cow<'_, str>, DecodeError> {
    let bytes = input.as_bytes();
    if !bytes.iter().any(|b| *b == b'%' || *b == b'+') {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(DecodeError::BadPercentEscape),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map(Cow::Owned).map_err(|_| DecodeError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_rfc4648_vectors() {
        // RFC 4648 section 10 vectors, in the URL-safe alphabet without padding.
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(b"fooba"), "Zm9vYmE");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn form_encode_escapes_every_reserved_character() {
        assert_eq!(form_encode([("a b", "x&y=z#w+v/é%")]), "a+b=x%26y%3Dz%23w%2Bv%2F%C3%A9%25");
        assert_eq!(form_encode([("k", "")]), "k=");
        assert_eq!(form_encode(core::iter::empty()), "");
    }

    #[test]
    fn decode_round_trips_encode() {
        let pairs = [("a b", "x&y=z#w+v/é%\u{1F600}"), ("", ""), ("state", "abc")];
        let encoded = form_encode(pairs);
        let decoded = decode_form(&encoded).unwrap();
        let expected: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn decode_is_strict() {
        assert_eq!(decode_form("a=%"), Err(DecodeError::BadPercentEscape));
        assert_eq!(decode_form("a=%4"), Err(DecodeError::BadPercentEscape));
        assert_eq!(decode_form("a=%G1"), Err(DecodeError::BadPercentEscape));
        assert_eq!(decode_form("%zz=1"), Err(DecodeError::BadPercentEscape));
        assert_eq!(decode_form("a=%C3%28"), Err(DecodeError::NotUtf8));
        assert_eq!(decode_form("a=%FF"), Err(DecodeError::NotUtf8));
        assert_eq!(decode_form("a=%ED%A0%80"), Err(DecodeError::NotUtf8)); // UTF-16 surrogate
    }

    #[test]
    fn decode_handles_odd_but_valid_shapes() {
        assert_eq!(
            decode_form("&&a&b=&=c&d=1=2").unwrap(),
            vec![("a".into(), "".into()), ("b".into(), "".into()), ("".into(), "c".into()), ("d".into(), "1=2".into())]
        );
        assert_eq!(decode_form("x=%2541").unwrap(), vec![("x".into(), "%41".into())]);
        assert_eq!(decode_form("").unwrap(), vec![]);
    }
}

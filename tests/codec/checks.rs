//! The crate's codecs (src/codec/) against their reference crates, one property check per codec.
//! Shared by tests/codec_differential.rs (generated inputs and the committed corpora) and the
//! fuzz targets `codec_*` in fuzz/ (which include this file), so a finding of either is a test
//! of both. Each check panics when the two disagree in a way not documented here.
//!
//! The documented differences, where the crate is stricter on purpose:
//! - form decoding (`decode_form` against `form_urlencoded::parse`): a `%` that does not start
//!   two hex digits, or escapes that decode to bytes that are not UTF-8, are refused
//!   (`form_urlencoded` keeps the `%` as text and substitutes U+FFFD). Where the crate accepts,
//!   the pairs are the same.
//! - HTTP-date (`http_date_secs` against `httpdate::parse_http_date`): the crate reads second 60
//!   (a leap second, RFC 9110 allows it; httpdate refuses it), and no surrounding white space at
//!   this level (`Retry-After` trims only SP and HTAB around it; httpdate trims any ASCII white
//!   space). RFC 850's two-digit years follow RFC 9110 (the most recent past year with those
//!   digits unless that is more than 50 years ahead), httpdate a fixed 1970-2069: the two agree
//!   when the clock is in 2019, which the check passes. httpdate does not check the space between
//!   the year and the time of an RFC 850 date (`Friday, 09-Apr-71201:31:04 GMT`); the crate does.
//! - JSON (`json::parse` against `serde_json`): duplicate member names are refused at every
//!   level (serde_json keeps the last), and numbers beyond the range of `f64` are accepted as
//!   text (RFC 8259's grammar allows them; serde_json refuses them). Nesting: the crate reads
//!   `MAX_DEPTH` = 128 levels, serde_json 127.
//! - base64url and form encoding: no difference.
#![allow(dead_code)]

use base64::Engine as _;
use expensicat_auth::test_support::codec as ours;
use ours::{DecodeError, Value};

/// Unpadded base64url of any bytes, as `base64`'s `URL_SAFE_NO_PAD` writes it.
pub fn base64url(data: &[u8]) {
    assert_eq!(ours::base64url(data), base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data), "{data:?}");
}

/// Name/value pairs from bytes: the (lossy) text split at NUL, alternately names and values.
fn pairs(data: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\0').collect();
    parts.chunks(2).map(|c| (c[0].to_owned(), c.get(1).copied().unwrap_or_default().to_owned())).collect()
}

/// Form encoding is `form_urlencoded::Serializer`'s, byte for byte, and the strict decoder reads
/// it back to the same pairs.
pub fn form_encode(data: &[u8]) {
    let pairs = pairs(data);
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mine = ours::form_encode(borrowed.iter().copied());
    let theirs = form_urlencoded::Serializer::new(String::new()).extend_pairs(&borrowed).finish();
    assert_eq!(mine, theirs, "{pairs:?}");
    assert_eq!(ours::decode_form(&mine).as_ref(), Ok(&pairs), "{mine:?}");
}

/// Whether `s` has a `%` that does not start two hex digits.
fn has_bad_escape(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len())
        .any(|i| b[i] == b'%' && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)))
}

/// Why the crate must refuse a form: the first component (names and values in order, empty
/// segments skipped) with a bad escape or escapes that are not UTF-8, judged with
/// `percent-encoding`.
fn expected_refusal(input: &str) -> Option<DecodeError> {
    let components = input.split('&').filter(|s| !s.is_empty()).flat_map(|s| {
        let (name, value) = s.split_once('=').unwrap_or((s, ""));
        [name, value]
    });
    components.into_iter().find_map(|c| {
        if has_bad_escape(c) {
            Some(DecodeError::BadPercentEscape)
        } else {
            percent_encoding::percent_decode_str(&c.replace('+', " ")).decode_utf8().is_err().then_some(DecodeError::NotUtf8)
        }
    })
}

/// Form decoding: where the crate accepts, `form_urlencoded::parse` reads the same pairs; it
/// refuses exactly the forms with a bad escape or escapes that are not UTF-8, naming the first.
pub fn form_decode(data: &[u8]) {
    let Ok(input) = core::str::from_utf8(data) else { return };
    let theirs: Vec<(String, String)> = form_urlencoded::parse(input.as_bytes()).into_owned().collect();
    let mine = ours::decode_form(input);
    assert_eq!(mine.as_ref().err().copied(), expected_refusal(input), "{input:?}");
    if let Ok(mine) = mine {
        assert_eq!(mine, theirs, "{input:?}");
    }
}

/// 2019-07-01T00:00:00Z: with the clock in 2019, RFC 9110's two-digit year window is httpdate's
/// fixed 1970-2069.
pub const NOW_2019: u64 = 1_561_939_200;

/// HTTP-dates (IMF-fixdate, RFC 850, asctime): the crate and httpdate accept the same texts and
/// read the same instant, but for second 60 and surrounding white space (see above).
pub fn http_date(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let mine = ours::http_date_secs(text.as_bytes(), NOW_2019);
    let theirs = httpdate::parse_http_date(text).ok().map(|t| t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()));
    if mine == theirs {
        return;
    }
    match (mine, theirs) {
        // A leap second: the crate reads :60 as the next second, httpdate refuses it.
        (Some(_), None) => assert!(text.contains(":60"), "{text:?}: accepted, httpdate refuses"),
        // White space around the date, which httpdate trims; or an RFC 850 date without the space
        // between the year and the time, which httpdate does not check.
        (None, Some(_)) => {
            let rfc850_unspaced = text.split_once(", ").is_some_and(|(day, rest)| day.len() > 3 && rest.as_bytes().get(9) != Some(&b' '));
            assert!(text != text.trim() || rfc850_unspaced, "{text:?}: refused, httpdate accepts");
        }
        _ => panic!("{text:?}: {mine:?} vs httpdate {theirs:?}"),
    }
}

/// Whether a JSON text has a duplicate member name at some level, read with serde (which keeps
/// the last duplicate in its own `Value`).
fn has_duplicate_names(text: &str) -> bool {
    struct Dup(bool);
    impl<'de> serde::Deserialize<'de> for Dup {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(DupVisitor)
        }
    }
    struct DupVisitor;
    impl<'de> serde::de::Visitor<'de> for DupVisitor {
        type Value = Dup;
        fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_str<E>(self, _: &str) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_unit<E>(self) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Dup, A::Error> {
            let mut dup = false;
            while let Some(Dup(d)) = seq.next_element()? {
                dup |= d;
            }
            Ok(Dup(dup))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Dup, A::Error> {
            let mut names = std::collections::HashSet::new();
            let mut dup = false;
            while let Some((name, Dup(d))) = map.next_entry::<String, Dup>()? {
                dup |= d | !names.insert(name);
            }
            Ok(Dup(dup))
        }
    }
    serde_json::from_str::<Dup>(text).is_ok_and(|d| d.0)
}

/// The same value: strings, booleans and null exactly, numbers by the value `serde_json` reads
/// (an integer exactly, anything else as the nearest `f64`), arrays in order, objects by name.
fn same(mine: &Value, theirs: &serde_json::Value, text: &str) {
    use serde_json::Value as J;
    match (mine, theirs) {
        (Value::Null, J::Null) => {}
        (Value::Bool(a), J::Bool(b)) => assert_eq!(a, b, "{text:.200}"),
        (Value::String(a), J::String(b)) => assert_eq!(a, b, "{text:.200}"),
        (Value::Number(a), J::Number(b)) => {
            if let Some(u) = b.as_u64() {
                assert_eq!(a.parse::<u64>().ok(), Some(u), "{text:.200}: {a}");
            } else if let Some(i) = b.as_i64() {
                assert_eq!(a.parse::<i64>().ok(), Some(i), "{text:.200}: {a}");
            } else {
                assert_eq!(a.parse::<f64>().ok(), b.as_f64(), "{text:.200}: {a}");
            }
        }
        (Value::Array(a), J::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{text:.200}");
            for (x, y) in a.iter().zip(b) {
                same(x, y, text);
            }
        }
        (Value::Object(a), J::Object(b)) => {
            assert_eq!(a.len(), b.len(), "{text:.200}");
            for (name, x) in a {
                same(x, b.get(name).unwrap_or_else(|| panic!("{text:.200}: no {name:?}")), text);
            }
        }
        _ => panic!("{text:.200}: {mine:?} vs serde_json {theirs:?}"),
    }
}

/// JSON: the crate and serde_json (with `float_roundtrip`, so that its numbers are correctly
/// rounded as Rust's are) accept the same documents, but for the documented stricter rule
/// (duplicate names) and numbers beyond `f64`, and read the same values.
pub fn json(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let mine = ours::parse_json(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&mine, &theirs) {
        (Some(a), Ok(b)) => same(a, b, text),
        (None, Ok(_)) => assert!(has_duplicate_names(text), "{text:.200}: refused, serde_json accepts"),
        // A number beyond f64, or the 128th level of nesting (serde_json stops at 127).
        (Some(_), Err(e)) => {
            let e = e.to_string();
            assert!(e.contains("out of range") || e.contains("recursion limit"), "{text:.200}: accepted, serde_json refuses ({e})");
        }
        (None, Err(_)) => {}
    }
}

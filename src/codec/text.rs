//! Text without the formatting machinery: `format!` and `Display` would pull `core::fmt` into the
//! shipped wasm, so messages and URLs are concatenated, and integers written by hand.

#[allow(unused_imports)]
use crate::prelude::*;

/// `s.split_once(pat)` for a string pattern, by bytes: `str::split_once` with a `&str` pattern
/// brings the generic two-way searcher and a slicing panic path into the wasm (about 2 KB).
pub fn split_once_str<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let at = s.as_bytes().windows(pat.len().max(1)).position(|w| w == pat.as_bytes())?;
    Some((s.get(..at)?, s.get(at + pat.len()..)?))
}

/// `parts.concat()`, and [`join_spaced`]: one small routine for every concatenation instead
/// of the standard library's generic `join` (about 350 B of wasm per separator type).
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `items.join(" ")`.
pub fn join_spaced(items: &[String]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(item);
    }
    out
}

/// The number of characters of `s` (`s.chars().count()`), counted as the bytes that do not
/// continue a UTF-8 sequence: the standard routine is an unrolled, word-at-a-time loop of about
/// 1 KB of wasm, for strings of a few hundred bytes.
pub fn char_count(s: &str) -> usize {
    s.bytes().filter(|&b| (b as i8) >= -0x40).count()
}

/// `s.split_once(b)` for an ASCII byte: the byte helpers here replace the `char`-pattern
/// methods, whose searchers (memchr, the char searcher, the multi-char searcher and `Split`)
/// are about 1 KB of wasm.
pub fn split_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    around(s, s.bytes().position(|c| c == b)?)
}

/// `s` before and after the ASCII byte at `at`: one copy of the two checked slicings for
/// every split helper.
#[inline(never)]
fn around(s: &str, at: usize) -> Option<(&str, &str)> {
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// The index of the first of `bytes` (ASCII) in `s`: `s.find([..])`.
pub fn find_any(s: &str, bytes: &[u8]) -> Option<usize> {
    s.bytes().position(|c| has_byte(bytes, c))
}

/// Whether `set` holds `b`: `set.contains(&b)` without memchr, to which `<[u8]>::contains` is
/// specialised (about 400 B of wasm for sets of a few bytes).
pub fn has_byte(set: &[u8], b: u8) -> bool {
    for &x in set {
        if x == b {
            return true;
        }
    }
    false
}

/// `s` up to the first of `bytes` (ASCII), or all of it: `s.split([..]).next()`.
pub fn before_any<'a>(s: &'a str, bytes: &[u8]) -> &'a str {
    find_any(s, bytes).and_then(|i| s.get(..i)).unwrap_or(s)
}

/// `s.split(b)` for an ASCII byte.
pub fn split_byte(s: &str, b: u8) -> SplitByte<'_> {
    SplitByte { rest: Some(s), b }
}

/// The iterator of [`split_byte`].
pub struct SplitByte<'a> {
    rest: Option<&'a str>,
    b: u8,
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once_byte(rest, self.b) {
            Some((piece, after)) => {
                self.rest = Some(after);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// `s.trim_end_matches(b)` for an ASCII byte, without the reverse character searcher that
/// `trim_end_matches`, `rsplit_once` and `rsplit` with a `char` bring into the wasm (about 1 KB).
pub fn trim_end_byte(s: &str, b: u8) -> &str {
    let kept = s.bytes().rposition(|c| c != b).map_or(0, |i| i + 1);
    s.get(..kept).unwrap_or(s)
}

/// `s.trim_matches([..])` for a set of ASCII bytes.
pub fn trim_bytes<'a>(s: &'a str, set: &[u8]) -> &'a str {
    let start = s.bytes().position(|c| !has_byte(set, c)).unwrap_or(s.len());
    let end = s.bytes().rposition(|c| !has_byte(set, c)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or("")
}

/// `s.rsplit_once(b)` for an ASCII byte (see [`trim_end_byte`]).
pub fn rsplit_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    around(s, s.bytes().rposition(|c| c == b)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_and_join_spaced_are_the_standard_ones() {
        for parts in [&[][..], &[""], &["a"], &["a", "", "bc", "é"]] {
            assert_eq!(concat(parts), parts.concat());
            let owned: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
            assert_eq!(join_spaced(&owned), owned.join(" "));
        }
    }

    #[test]
    fn char_count_is_chars_count() {
        for s in ["", "a", "é", "€uro", "😀 x", "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}", &"ab€😀".repeat(300)] {
            assert_eq!(char_count(s), s.chars().count(), "{s:?}");
        }
        for cp in (0..0x11_0000).step_by(97).filter_map(char::from_u32) {
            let s = cp.to_string().repeat(3);
            assert_eq!(char_count(&s), 3, "{cp:?}");
        }
    }

    #[test]
    fn byte_helpers_are_the_char_pattern_methods() {
        let texts = [
            "", "/", "//", "a/", "a//b//", "é/", "/é", "x:1:2", ":", "a:", ":b", "é:ü", "==", "ab==", "a=b=", "a?b#c", "#?", "é?ü#", "?",
            "a&&b&",
        ];
        for s in texts {
            for b in [b'/', b':', b'=', b'&', b'?', b'#'] {
                let c = char::from(b);
                assert_eq!(trim_end_byte(s, b), s.trim_end_matches(c), "{s:?} {c:?}");
                assert_eq!(rsplit_once_byte(s, b), s.rsplit_once(c), "{s:?} {c:?}");
                assert_eq!(split_once_byte(s, b), s.split_once(c), "{s:?} {c:?}");
                assert_eq!(split_byte(s, b).collect::<Vec<_>>(), s.split(c).collect::<Vec<_>>(), "{s:?} {c:?}");
            }
            assert_eq!(find_any(s, b"/?#"), s.find(['/', '?', '#']), "{s:?}");
            assert_eq!(before_any(s, b"?#"), s.split(['?', '#']).next().unwrap_or(s), "{s:?}");
            assert_eq!(trim_bytes(s, b"/="), s.trim_matches(['/', '=']), "{s:?}");
        }
    }

    #[test]
    fn split_once_str_is_split_once() {
        for (s, pat) in
            [("https://a/b", "://"), ("://", "://"), ("x", "://"), ("", "://"), ("a/api/v1", "/api"), ("é://ü", "://"), ("a::b", "::")]
        {
            assert_eq!(split_once_str(s, pat), s.split_once(pat), "{s:?} {pat:?}");
        }
    }
}

//! Text without the formatting machinery: `format!` and `Display` would pull `core::fmt` into the
//! shipped wasm, so messages and URLs are concatenated, and integers written by hand.

#[allow(unused_imports)]
use crate::prelude::*;

/// `n` in decimal.
pub fn decimal(n: u64) -> String {
    let mut out = String::new();
    super::json::write_u64(&mut out, n);
    out
}

/// `s.split_once(pat)` for a string pattern, by bytes: `str::split_once` with a `&str` pattern
/// brings the generic two-way searcher and a slicing panic path into the wasm (about 2 KB).
pub fn split_once_str<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let at = s.as_bytes().windows(pat.len().max(1)).position(|w| w == pat.as_bytes())?;
    Some((s.get(..at)?, s.get(at + pat.len()..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_is_display() {
        for n in [0, 1, 9, 10, 99, 100, 429, 65_535, 4_294_967_295, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
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

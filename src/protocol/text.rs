//! Text without the formatting machinery: `format!` and `Display` would pull `core::fmt` into the
//! shipped wasm, so messages and URLs are concatenated, and integers written by hand.

#[allow(unused_imports)]
use crate::prelude::*;

/// `n` in decimal.
pub fn decimal(mut n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[at..].iter().map(|&d| char::from(d)).collect()
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

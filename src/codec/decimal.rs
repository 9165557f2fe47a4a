//! Decimal integers in and out, without `core::fmt` (which would otherwise be linked into the
//! WebAssembly build for this alone): the leaf that the text, encoding and JSON codecs share.

#[allow(unused_imports)]
use crate::prelude::*;

/// Plain decimal digits as an integer: `None` for an empty input, any byte outside `0-9` (signs,
/// spaces, dots, exponents included) or a value beyond `u64`. Callers bound the length first
/// where their field has a tighter limit.
pub fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| if b.is_ascii_digit() { n.checked_mul(10)?.checked_add(u64::from(b - b'0')) } else { None })
}

/// Appends the decimal digits of `n` (without `core::fmt`, which would otherwise be linked into
/// the WebAssembly build for this alone).
pub fn write_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // One append of the digits: `String::push` per `char` is not inlined in the size-optimised
    // build and goes through UTF-8 encoding each time.
    out.push_str(buf.get(i..).and_then(|d| core::str::from_utf8(d).ok()).unwrap_or_default());
}

/// `n` in decimal.
pub fn decimal(n: u64) -> String {
    let mut out = String::new();
    write_u64(&mut out, n);
    out
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
    fn parse_digits_takes_plain_decimal_only() {
        assert_eq!(parse_digits(b"0"), Some(0));
        assert_eq!(parse_digits(b"0042"), Some(42));
        assert_eq!(parse_digits(b"18446744073709551615"), Some(u64::MAX));
        for bad in [&b""[..], b"18446744073709551616", b"-1", b"+1", b" 1", b"1 ", b"1.0", b"1e3", b"0x1", "\u{661}".as_bytes()] {
            assert_eq!(parse_digits(bad), None, "{bad:?}");
        }
    }
}

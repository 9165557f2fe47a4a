//! The bearer-token grammar (RFC 6750 section 2.1): what may follow `Authorization: Bearer `.
//! A leaf: token responses, stored sessions and signing all check tokens against it.

/// Whether `value` is an RFC 6750 section 2.1 `b64token` (what may follow `Bearer `).
pub fn is_b64token(value: &str) -> bool {
    let body = super::text::trim_end_byte(value, b'=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64token_grammar() {
        assert!(is_b64token("eyJhbGciOi.eyJzdWIi.SflKxw-_~+/=="));
        for bad in ["", "=", "a b", "a\n", "a,b", "a=b", "é"] {
            assert!(!is_b64token(bad), "{bad:?}");
        }
    }
}

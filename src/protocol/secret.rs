//! A wrapper for values that must never reach a log: tokens, authorization codes, PKCE
//! verifiers and partner secrets.

#[allow(unused_imports)]
use crate::prelude::*;

/// The text every redacted value shows instead of itself.
pub const REDACTED: &str = "[redacted]";

/// A secret string. `Debug` and `Display` print [`REDACTED`]; the value is reachable
/// only through [`Secret::expose`], which makes each use visible in review.
///
/// It is deliberately not `Clone`: copying a secret should be a conscious
/// [`Secret::duplicate`] call, and has no `PartialEq` (compare secrets with
/// [`constant_time_eq`]). Its bytes (and the spare capacity of its buffer) are overwritten with
/// zeros when it is dropped, so a freed secret does not linger in WebAssembly memory.
///
/// The protocol's secrets each have their own type built on it ([`AccessToken`],
/// [`RefreshToken`], [`AuthorizationCode`], [`PartnerSecret`]; the PKCE verifier is
/// [`crate::protocol::pkce::PkceVerifier`]), so that one cannot be passed where another is
/// expected: a refresh request cannot be given an access token. `Secret` itself carries what
/// holds a secret without being one (request bodies, headers, stored records).
pub struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Every call site is a place where the secret leaves its wrapper.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// An explicit copy.
    pub fn duplicate(&self) -> Self {
        Self(self.0.clone())
    }

    /// Unwraps the value.
    pub fn into_inner(mut self) -> String {
        core::mem::take(&mut self.0)
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl core::fmt::Display for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Default for Secret {
    fn default() -> Self {
        Secret::new(String::new())
    }
}

/// A secret of one kind: the same guarantees as [`Secret`], under its own type.
macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// `Debug` and `Display` print [`REDACTED`]; zeroed on drop; neither `Clone` nor
        /// `PartialEq`.
        pub struct $name(Secret);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Secret::new(value))
            }

            /// The value. Every call site is a place where it leaves its wrapper.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }

            /// An explicit copy.
            pub fn duplicate(&self) -> Self {
                Self(self.0.duplicate())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new(String::new())
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(REDACTED)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(REDACTED)
            }
        }
    };
}

secret_type!(
    /// An OAuth 2.0 access token (RFC 6749 section 1.4), or a session JWT used as a bearer token.
    AccessToken
);
secret_type!(
    /// An OAuth 2.0 refresh token (RFC 6749 section 1.5): only ever sent to the token endpoint.
    RefreshToken
);
secret_type!(
    /// An authorization code from the callback (RFC 6749 section 4.1.2): exchanged once.
    AuthorizationCode
);
secret_type!(
    /// An Expensify partnerUserSecret: treated like a password.
    PartnerSecret
);

impl PartnerSecret {
    /// The secret a seal opened to, taken without a copy; `None` (the bytes zeroed) when they
    /// are not UTF-8.
    pub fn from_utf8(bytes: Vec<u8>) -> Option<Self> {
        match String::from_utf8(bytes) {
            Ok(s) => Some(Self::new(s)),
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut e.into_bytes());
                None
            }
        }
    }
}

/// Compares two byte strings in time that depends only on their lengths, not on where they
/// differ (for `state` and PKCE checks).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u64;
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= u64::from(x ^ y);
    }
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted_everywhere() {
        let s = Secret::new("hunter2-token");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(s.expose(), "hunter2-token");
        assert_eq!(s.duplicate().into_inner(), "hunter2-token");
    }

    #[test]
    fn constant_time_eq_is_correct() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"", b"a"));
        // A prefix padded with the filler byte must not compare equal.
        assert!(!constant_time_eq(b"a\xff", b"a"));
    }

    #[test]
    fn partner_secret_from_utf8() {
        assert_eq!(PartnerSecret::from_utf8(b"s3cr\xc3\xa9t".to_vec()).unwrap().expose(), "s3cr\u{e9}t");
        assert!(PartnerSecret::from_utf8(vec![0x73, 0xff]).is_none());
    }
}

//! PKCE (RFC 7636): code verifiers and S256 challenges. The `plain` method is never produced.

#[allow(unused_imports)]
use crate::prelude::*;

use super::encoding::base64url;
use super::error::{Error, Result};
use super::secret::{constant_time_eq, Secret};

/// The fewest random bytes a verifier is made from (256 bits; RFC 7636 section 7.1 asks for at
/// least 256 bits of entropy in practice, RFC 9700 for a CSPRNG).
pub const MIN_VERIFIER_ENTROPY: usize = 32;
/// The most random bytes a verifier can hold (96 bytes encode to the 128-character maximum).
pub const MAX_VERIFIER_ENTROPY: usize = 96;

/// A PKCE code verifier: 43 to 128 characters from the unreserved set
/// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"` (RFC 7636 section 4.1).
///
/// Not `Clone`, so one verifier cannot be used for two logins by accident; `Debug` is redacted.
#[derive(Debug)]
pub struct PkceVerifier(Secret);

impl PkceVerifier {
    /// Makes a verifier from CSPRNG output: the base64url encoding of `random` (32 to 96 bytes).
    ///
    /// # Errors
    /// [`Error::InsufficientEntropy`] when fewer than 32 bytes are given, and
    /// [`Error::InvalidVerifier`] when more than 96 are (the verifier would exceed 128 characters).
    pub fn from_random(random: &[u8]) -> Result<Self> {
        if random.len() < MIN_VERIFIER_ENTROPY {
            return Err(Error::InsufficientEntropy { reason: "a PKCE verifier needs at least 32 random bytes" });
        }
        if random.len() > MAX_VERIFIER_ENTROPY {
            return Err(Error::InvalidVerifier { reason: "more than 96 random bytes make it longer than 128 characters" });
        }
        Ok(Self(Secret::new(base64url(random))))
    }

    /// Checks a verifier received from elsewhere (e.g. read back from storage).
    ///
    /// # Errors
    /// [`Error::InvalidVerifier`] for a length outside 43..=128 or a character outside the
    /// unreserved set.
    pub fn parse(value: &str) -> Result<Self> {
        Self::check(value)?;
        Ok(Self(Secret::new(value)))
    }

    /// Whether `value` is a verifier [`PkceVerifier::parse`] accepts.
    ///
    /// # Errors
    /// As [`PkceVerifier::parse`].
    pub(crate) fn check(value: &str) -> Result<()> {
        if value.len() < 43 {
            return Err(Error::InvalidVerifier { reason: "shorter than 43 characters" });
        }
        if value.len() > 128 {
            return Err(Error::InvalidVerifier { reason: "longer than 128 characters" });
        }
        if !value.bytes().all(is_unreserved) {
            return Err(Error::InvalidVerifier { reason: "has a character outside A-Z a-z 0-9 - . _ ~" });
        }
        Ok(())
    }

    /// A verifier [`PkceVerifier::check`] accepted, kept in the secret it came in.
    pub(crate) fn from_checked(value: Secret) -> Self {
        Self(value)
    }

    /// The verifier itself, for the token request body only.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// `BASE64URL(SHA256(ASCII(code_verifier)))`, RFC 7636 section 4.2.
    pub fn challenge_s256(&self) -> String {
        s256(self.expose())
    }
}

/// Whether `b` is in RFC 3986's unreserved set.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The S256 challenge of any verifier string, without validating it (see
/// [`PkceVerifier::challenge_s256`] for the checked path).
pub fn s256(verifier: &str) -> String {
    base64url(&super::sha256::sha256(verifier.as_bytes()))
}

/// Checks, in constant time, that `challenge` is the S256 challenge of `verifier`, as an
/// authorization server does (RFC 7636 section 4.6). An invalid verifier never verifies.
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    PkceVerifier::parse(verifier).is_ok() && constant_time_eq(s256(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const RFC_RANDOM: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83,
        132, 141, 121,
    ];
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b() {
        let v = PkceVerifier::from_random(&RFC_RANDOM).unwrap();
        assert_eq!(v.expose(), RFC_VERIFIER);
        assert_eq!(v.challenge_s256(), RFC_CHALLENGE);
        assert_eq!(s256(RFC_VERIFIER), RFC_CHALLENGE);
        assert!(verify_s256(RFC_VERIFIER, RFC_CHALLENGE));
        assert!(!verify_s256(RFC_VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
        assert!(!verify_s256(RFC_VERIFIER, ""));
        // `plain` is never accepted: a verifier is not its own S256 challenge.
        assert!(!verify_s256(RFC_VERIFIER, RFC_VERIFIER));
    }

    #[test]
    fn lengths_from_entropy() {
        assert_eq!(PkceVerifier::from_random(&[0; 32]).unwrap().expose().len(), 43);
        assert_eq!(PkceVerifier::from_random(&[0; 96]).unwrap().expose().len(), 128);
        assert!(matches!(PkceVerifier::from_random(&[0; 31]), Err(Error::InsufficientEntropy { .. })));
        assert!(matches!(PkceVerifier::from_random(&[]), Err(Error::InsufficientEntropy { .. })));
        assert!(matches!(PkceVerifier::from_random(&[0; 97]), Err(Error::InvalidVerifier { .. })));
    }

    #[test]
    fn parse_rejects_wrong_length_and_alphabet() {
        assert!(PkceVerifier::parse(RFC_VERIFIER).is_ok());
        assert!(PkceVerifier::parse(&"a".repeat(43)).is_ok());
        assert!(PkceVerifier::parse(&"~._-".repeat(32)).is_ok());
        for bad in [
            String::new(),
            "a".repeat(42),
            "a".repeat(129),
            format!("{}+", "a".repeat(42)),
            format!("{}/", "a".repeat(42)),
            format!("{}=", "a".repeat(42)),
            format!("{} ", "a".repeat(42)),
            format!("{}%41", "a".repeat(42)),
            format!("{}é", "a".repeat(42)),
        ] {
            assert!(matches!(PkceVerifier::parse(&bad), Err(Error::InvalidVerifier { .. })), "{bad:?}");
            assert!(!verify_s256(&bad, &s256(&bad)));
        }
    }

    #[test]
    fn debug_is_redacted() {
        let v = PkceVerifier::parse(RFC_VERIFIER).unwrap();
        assert!(!format!("{v:?}").contains(RFC_VERIFIER));
    }
}

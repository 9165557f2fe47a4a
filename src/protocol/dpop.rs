//! DPoP (RFC 9449): sender-constrained tokens. A proof is a JWT signed with the client's ES256
//! key (a non-extractable WebCrypto key in the browser: the driver only signs); this module
//! builds everything else: the public key's JWK and its thumbprint (RFC 7638, for `dpop_jkt`),
//! the proof's header and claims (`htm`, `htu` without query and fragment, `iat`, `jti`, `ath`
//! for a resource request, the server's `nonce`), the signing input, and the finished proof from
//! the signature. It also reads what servers send back: a `DPoP-Nonce` header value, and whether
//! a resource's answer asks for a nonce (`use_dpop_nonce`; the token endpoint's is an OAuth error,
//! which the session machine reads).

#[allow(unused_imports)]
use crate::prelude::*;

use super::challenge::challenge;
use super::encoding::base64url;
use super::error::{Error, Result};
use super::json::Obj;
use super::sha256::sha256;
use super::text::{before_any, concat};

/// The only algorithm this library signs proofs with (ECDSA P-256 with SHA-256).
pub const ALG: &str = "ES256";

/// Bytes of a proof's `jti` drawn from the CSPRNG.
pub const JTI_ENTROPY: usize = 16;

/// Whether `s` has the shape of the base64url (no padding) of 32 bytes: 43 characters of the
/// alphabet (a coordinate, or a SHA-256 thumbprint).
pub fn is_thumbprint(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// The public half of a P-256 key: its coordinates, base64url as a JWK has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    x: String,
    y: String,
}

impl PublicKey {
    /// The key whose JWK has `x` and `y` (WebCrypto's `exportKey("jwk", publicKey)`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a coordinate is not the base64url of 32 bytes.
    pub fn new(x: &str, y: &str) -> Result<Self> {
        if !is_thumbprint(x) || !is_thumbprint(y) {
            return Err(Error::InvalidParameter {
                name: "jwk".into(),
                reason: "must be a P-256 public key's JWK (x and y of 32 bytes each)",
            });
        }
        Ok(PublicKey { x: x.into(), y: y.into() })
    }

    /// The public JWK with its required members in lexicographic order, which is also the
    /// input of its thumbprint (RFC 7638 section 3.2).
    pub fn jwk(&self) -> String {
        concat(&[r#"{"crv":"P-256","kty":"EC","x":""#, &self.x, r#"","y":""#, &self.y, r#""}"#])
    }

    /// The JWK SHA-256 thumbprint (RFC 7638), base64url: the `dpop_jkt` of an authorize request
    /// and the `jkt` a server binds tokens to.
    pub fn thumbprint(&self) -> String {
        base64url(&sha256(self.jwk().as_bytes()))
    }
}

/// The `htu` of a request to `url`: the URL without its query and fragment (RFC 9449 section 4.2).
pub fn htu(url: &str) -> &str {
    before_any(url, b"?#")
}

/// The `ath` claim for `access_token`: the base64url of its SHA-256 (RFC 9449 section 4.2).
pub fn ath(access_token: &str) -> String {
    base64url(&sha256(access_token.as_bytes()))
}

/// What one proof says.
#[derive(Debug, Clone, Copy)]
pub struct Claims<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL (`htu` is taken from it).
    pub url: &'a str,
    /// The time, ms since the epoch (`iat` is in seconds).
    pub now_ms: u64,
    /// The access token the request presents (a resource request): `ath`.
    pub access_token: Option<&'a str>,
    /// The nonce the server gave, if any (left out unless it is one: see [`nonce`]).
    pub nonce: Option<&'a str>,
}

/// The signing input of a proof (`base64url(header) "." base64url(claims)`), for the driver to
/// sign with the key's private half (ES256, the signature as `r || s`, 64 bytes, which is what
/// WebCrypto's ECDSA returns); the proof is the signing input, `.`, and the signature's
/// base64url (RFC 7515 compact serialization).
pub fn signing_input(key: &PublicKey, claims: &Claims<'_>, jti: &[u8; JTI_ENTROPY]) -> String {
    let header = Obj::new().str("typ", "dpop+jwt").str("alg", ALG).raw("jwk", &key.jwk()).finish();
    let body = Obj::new()
        .str("jti", &base64url(jti))
        .str("htm", claims.method)
        .str("htu", htu(claims.url))
        .u64("iat", claims.now_ms / 1000)
        .opt_str("ath", claims.access_token.map(ath).as_deref())
        .opt_str("nonce", nonce(claims.nonce))
        .finish();
    concat(&[&base64url(header.as_bytes()), ".", &base64url(body.as_bytes())])
}

/// A `DPoP-Nonce` header's value, when it is one (RFC 9449 section 8.1: `1*NQCHAR`, printable
/// ASCII but `"` and `\`), at most 512 characters.
pub fn nonce(header: Option<&str>) -> Option<&str> {
    let n = header?;
    let ok = !n.is_empty() && n.len() <= 512 && n.bytes().all(|c| c == b'!' || (b'#'..=b'[').contains(&c) || (b']'..=b'~').contains(&c));
    ok.then_some(n)
}

/// Whether a `WWW-Authenticate` header has a `DPoP` challenge whose `error` is
/// `use_dpop_nonce` (RFC 9449 section 9): the resource wants a nonce in the proof.
pub fn asks_nonce(header: &str) -> bool {
    challenge(header, "DPoP").is_some_and(|c| c.error_is("use_dpop_nonce"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of RFC 7638 section 3.1's example is RSA; this one is RFC 7515 appendix A.3's
    /// P-256 key, whose thumbprint is computed here from the canonical JWK.
    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    #[test]
    fn the_jwk_is_canonical_and_its_thumbprint_is_sha256_of_it() {
        let k = PublicKey::new(X, Y).unwrap();
        assert_eq!(k.jwk(), format!(r#"{{"crv":"P-256","kty":"EC","x":"{X}","y":"{Y}"}}"#));
        use sha2::Digest;
        let want = base64url(&sha2::Sha256::digest(k.jwk().as_bytes()));
        assert_eq!(k.thumbprint(), want);
        assert_eq!(k.thumbprint().len(), 43);
    }

    #[test]
    fn coordinates_must_be_32_bytes_of_base64url() {
        for (x, y) in [
            ("", Y),
            (X, ""),
            (&X[..42], Y),
            ("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=", Y),
            ("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE+", Y),
            (X, "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\""),
        ] {
            assert_eq!(PublicKey::new(x, y).unwrap_err().code(), "invalid_parameter", "{x} {y}");
        }
    }

    /// base64url without padding, decoded (the test's own reader, independent of the encoder).
    fn decode(part: &str) -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let (mut bits, mut n, mut out) = (0u32, 0, Vec::new());
        for c in part.bytes() {
            bits = (bits << 6) | alphabet.iter().position(|&a| a == c).unwrap() as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
                bits &= (1 << n) - 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_proof_has_the_claims_of_rfc_9449() {
        let k = PublicKey::new(X, Y).unwrap();
        let claims =
            Claims { method: "POST", url: "https://as.example/token?x=1#f", now_ms: 1_700_000_000_999, access_token: None, nonce: None };
        let input = signing_input(&k, &claims, &[7; JTI_ENTROPY]);
        let (h, c) = input.split_once('.').unwrap();
        assert_eq!(decode(h), format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#, k.jwk()));
        let c = decode(c);
        let v: serde_json::Value = serde_json::from_str(&c).unwrap();
        assert_eq!(v["htm"], "POST");
        assert_eq!(v["htu"], "https://as.example/token");
        assert_eq!(v["iat"], 1_700_000_000);
        assert_eq!(v["jti"], base64url(&[7; JTI_ENTROPY]));
        assert!(v.get("ath").is_none() && v.get("nonce").is_none());
        // A resource request: ath and the server's nonce.
        let claims = Claims { method: "GET", url: "https://api.example/v1/x", now_ms: 0, access_token: Some("AT"), nonce: Some("n-1") };
        let v: serde_json::Value =
            serde_json::from_str(&decode(signing_input(&k, &claims, &[0; JTI_ENTROPY]).split('.').nth(1).unwrap())).unwrap();
        use sha2::Digest;
        assert_eq!(v["ath"], base64url(&sha2::Sha256::digest(b"AT")));
        assert_eq!(v["nonce"], "n-1");
        // A nonce that is not one is left out.
        let claims = Claims { nonce: Some("a b"), ..claims };
        let v: serde_json::Value =
            serde_json::from_str(&decode(signing_input(&k, &claims, &[0; JTI_ENTROPY]).split('.').nth(1).unwrap())).unwrap();
        assert!(v.get("nonce").is_none());
    }

    #[test]
    fn a_dpop_challenge_with_use_dpop_nonce_asks_for_a_nonce() {
        for yes in [
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
            r#"Bearer realm="x", DPoP algs="ES256", error=use_dpop_nonce"#,
            r#"dpop error = "use_dpop_nonce""#,
        ] {
            assert!(asks_nonce(yes), "{yes}");
        }
        for no in [
            r#"Bearer error="use_dpop_nonce""#,
            r#"DPoP error="invalid_token""#,
            r#"DPoP algs="ES256", error="invalid_token", Bearer error="use_dpop_nonce""#,
            r#"DPoP error="use_dpop_nonce\"""#,
            "DPoP",
            "",
        ] {
            assert!(!asks_nonce(no), "{no}");
        }
    }

    #[test]
    fn nonces_are_printable_ascii_without_quotes() {
        assert_eq!(nonce(Some("eyJ7S_zG.eyJH0-Z.HX4w-7v")), Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
        for bad in ["", "a b", "a\"b", "a\\b", "é", &"n".repeat(513)] {
            assert_eq!(nonce(Some(bad)), None, "{bad}");
        }
        assert_eq!(nonce(None), None);
    }
}

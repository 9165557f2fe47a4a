//! URLs as the protocol accepts them: the codec's parse (`crate::codec::url`), then the rules
//! about where requests and tokens may go: HTTPS (or loopback HTTP), and endpoints without a
//! fragment or OAuth parameters in their query.

#[allow(unused_imports)]
use crate::prelude::*;

use super::encoding::decode_pairs;
use super::error::{Error, Result};
use super::url::Url;

impl Url {
    /// Fails with [`Error::InsecureUrl`] unless this is HTTPS, or HTTP to a loopback host.
    pub fn require_secure(&self, field: &'static str) -> Result<()> {
        if self.scheme() == "https" || self.is_loopback() {
            Ok(())
        } else {
            Err(Error::InsecureUrl { field })
        }
    }
}

/// Parses an endpoint: HTTPS (or loopback HTTP), no fragment, and none of the `reserved`
/// parameters in its query (the ones the library sets on a request to it, which a query could
/// shadow).
pub(crate) fn parse_endpoint(value: &str, field: &'static str, reserved: &[&str]) -> Result<Url> {
    let url = Url::parse(value, field)?;
    url.require_secure(field)?;
    if url.fragment().is_some() {
        return Err(Error::InvalidUrl { field, reason: "must not have a fragment" });
    }
    if let Some(q) = url.query() {
        let pairs = decode_pairs(q).map_err(|_| Error::InvalidUrl { field, reason: "has a malformed query" })?;
        if pairs.iter().any(|(k, _)| reserved.contains(&&**k)) {
            return Err(Error::InvalidUrl { field, reason: "must not carry OAuth parameters in its query" });
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Url {
        Url::parse(s, "url").unwrap()
    }

    #[test]
    fn https_required_except_loopback() {
        assert!(p("https://x.example/").require_secure("f").is_ok());
        for ok in ["http://localhost:3000/", "http://127.0.0.1/", "http://[::1]:8/", "http://LOCALHOST/"] {
            assert!(p(ok).require_secure("f").is_ok(), "{ok}");
        }
        for bad in ["http://x.example/", "http://127.0.0.2/", "http://localhost.evil.example/", "http://10.0.0.1/"] {
            assert_eq!(p(bad).require_secure("f"), Err(Error::InsecureUrl { field: "f" }), "{bad}");
        }
    }

    #[test]
    fn a_url_error_is_invalid_url() {
        assert_eq!(Error::from(Url::parse("nope", "issuer").unwrap_err()).code(), "invalid_url");
        assert_eq!(
            parse_endpoint("https://a.example/cb#x", "redirectUri", &[]),
            Err(Error::InvalidUrl { field: "redirectUri", reason: "must not have a fragment" })
        );
    }
}

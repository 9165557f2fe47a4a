//! A deliberately small, strict parser for the absolute `http`/`https` URLs this library deals
//! with (endpoints, redirect URIs, callback URLs, API URLs).
//!
//! It accepts less than the WHATWG URL standard on purpose: anything a browser would silently
//! repair (white space, control characters, backslashes, user info, non-ASCII hosts) is refused,
//! so two parties can never disagree about which host or path a URL names.

#[allow(unused_imports)]
use crate::prelude::*;

use super::decimal::{decimal, parse_digits};
use super::text::{concat, find_any, rsplit_once_byte, split_byte, split_once_byte, split_once_str, trim_end_byte};

/// A parsed absolute URL. Scheme and host are lower-cased; everything else is kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

/// The longest URL accepted anywhere, in bytes.
pub const MAX_URL_LEN: usize = 16 * 1024;

/// Why a URL was refused: the name of the value it came from, and the rule it broke. The
/// protocol reports it as `invalid_url` (`Error::InvalidUrl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlError {
    /// The setting or argument the URL came from.
    pub field: &'static str,
    /// The rule it broke, for people.
    pub reason: &'static str,
}

fn invalid(field: &'static str, reason: &'static str) -> UrlError {
    UrlError { field, reason }
}

impl Url {
    /// Parses `input`, naming `field` in any error.
    ///
    /// # Errors
    /// [`UrlError`] for anything that is not an absolute `http`/`https` URL with a plain host, or
    /// that contains white space, control characters, a backslash or user info.
    pub fn parse(input: &str, field: &'static str) -> Result<Self, UrlError> {
        if input.len() > MAX_URL_LEN {
            return Err(invalid(field, "is too long"));
        }
        if input.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
            return Err(invalid(field, "contains white space, a control character or a backslash"));
        }
        if !input.is_ascii() {
            return Err(invalid(field, "contains non-ASCII characters (percent-encode them)"));
        }
        let (scheme, rest) = split_once_str(input, "://").ok_or_else(|| invalid(field, "is not an absolute URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(invalid(field, "must be an http or https URL"));
        }
        let authority_end = find_any(rest, b"/?#").unwrap_or(rest.len());
        let (authority, tail) = rest.split_at_checked(authority_end).ok_or_else(|| invalid(field, "is not an absolute URL"))?;
        if authority.bytes().any(|b| b == b'@') {
            return Err(invalid(field, "must not contain user info"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| invalid(field, "has an invalid host or port"))?;
        let (before_fragment, fragment) = match split_once_byte(tail, b'#') {
            Some((a, f)) => (a, Some(f.to_owned())),
            None => (tail, None),
        };
        let (path, query) = match split_once_byte(before_fragment, b'?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (before_fragment, None),
        };
        let path = if path.is_empty() { "/".to_owned() } else { path.to_owned() };
        let default_port = if scheme == "https" { 443 } else { 80 };
        Ok(Self { scheme, host, port: port.filter(|p| *p != default_port), path, query, fragment })
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The lower-cased host; IPv6 addresses keep their brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port when it is not the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path as written (at least `/`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The raw fragment, without `#`.
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.as_deref()
    }

    /// `scheme://host[:port]`, the web origin (RFC 6454) in serialised form.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => concat(&[&*self.scheme, "://", &self.host, ":", &decimal(u64::from(p))]),
            None => concat(&[&*self.scheme, "://", &self.host]),
        }
    }

    /// The URL without query and fragment, with a path that does not end in `/` (unless it is
    /// just `/`, which is dropped): the form used as a base to append paths to.
    pub fn base(&self) -> String {
        let path = trim_end_byte(&self.path, b'/');
        self.origin() + path
    }

    /// Whether the host is a loopback name this library allows over plain HTTP for development:
    /// `localhost`, `127.0.0.1` or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "[::1]")
    }

    /// Whether `self` and `other` have the same scheme, host, effective port and path (the
    /// comparison RFC 6749 section 3.1.2 and RFC 9700 section 4.1 call for on redirect URIs).
    pub fn same_endpoint(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port && self.path == other.path
    }
}

/// Parses `host[:port]`, lower-casing the host. Hosts are DNS names (letters, digits, `-`, `.`),
/// dotted IPv4 or bracketed IPv6.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = split_once_byte(rest, b']')?;
        if !is_ipv6(inside) {
            return None;
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (concat(&["[", &inside.to_ascii_lowercase(), "]"]), port)
    } else {
        let (host, port) = match rsplit_once_byte(authority, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && l.as_bytes().last() != Some(&b'-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        let trimmed = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() || host.len() > 253 || !split_byte(trimmed, b'.').all(label_ok) {
            return None;
        }
        if ends_in_a_number(host) && !is_ipv4(host) {
            return None;
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None => None,
        Some("") => None,
        Some(p) => {
            if p.len() > 5 {
                return None;
            }
            let n = parse_digits(p.as_bytes())?;
            if n == 0 || n > 65535 {
                return None;
            }
            Some(n as u16)
        }
    };
    Some((host, port))
}

/// WHATWG's "ends in a number": a browser reads such a host as an IPv4 address (`127.1`,
/// `0x7f.1` and `2130706433` are all 127.0.0.1, `1.2.3.256` is an error), so it is accepted only
/// as a plain dotted quad, the one spelling on which a textual host check and the browser agree.
fn ends_in_a_number(host: &str) -> bool {
    // The last label, after one trailing dot.
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = rsplit_once_byte(host, b'.').map_or(host, |(_, l)| l);
    let b = last.as_bytes();
    let decimal = !b.is_empty() && b.iter().all(u8::is_ascii_digit);
    let hex = b.len() >= 2 && b[0] == b'0' && (b[1] | 0x20) == b'x' && b.iter().skip(2).all(u8::is_ascii_hexdigit);
    decimal || hex
}

/// A dotted quad of decimal numbers up to 255, without leading zeros (which WHATWG reads as octal).
/// The same as `core::net::Ipv4Addr`'s parser (a test holds them equal), written out because that
/// parser costs about 1 KB gzip in the wasm, as does its IPv6 twin.
fn is_ipv4(s: &str) -> bool {
    let mut parts = 0;
    split_byte(s, b'.').all(|p| {
        parts += 1;
        let b = p.as_bytes();
        (1..=3).contains(&b.len()) && !(b.len() > 1 && b[0] == b'0') && parse_digits(b).is_some_and(|n| n <= 255)
    }) && parts == 4
}

/// An IPv6 address in RFC 4291 section 2.2 text form: eight groups of 1 to 4 hex digits, at most
/// one `::` for a run of zero groups, and optionally a dotted quad in place of the last two. The
/// same as `core::net::Ipv6Addr`'s parser (see [`is_ipv4`]).
fn is_ipv6(s: &str) -> bool {
    let (head, tail, compressed) = match split_once_str(s, "::") {
        Some((h, t)) => (h, t, true),
        None => (s, "", false),
    };
    let groups = |part: &str, ipv4_last: bool| -> Option<usize> {
        if part.is_empty() {
            return Some(0);
        }
        let mut n = 0;
        let mut pieces = split_byte(part, b':').peekable();
        while let Some(g) = pieces.next() {
            if ipv4_last && pieces.peek().is_none() && g.bytes().any(|b| b == b'.') {
                n += if is_ipv4(g) { 2 } else { return None };
            } else if (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit()) {
                n += 1;
            } else {
                return None;
            }
        }
        Some(n)
    };
    if compressed {
        let (Some(h), Some(t)) = (groups(head, false), groups(tail, true)) else { return false };
        h + t <= 7
    } else {
        groups(head, true) == Some(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Url, UrlError> {
        Url::parse(s, "url")
    }

    #[test]
    fn parses_parts_and_normalises_scheme_host_and_default_port() {
        let u = p("HTTPS://API.Expensicat.com:443/api/v1/x?a=1&b=2#frag").unwrap();
        assert_eq!(u.scheme(), "https");
        assert_eq!(u.host(), "api.expensicat.com");
        assert_eq!(u.port(), None);
        assert_eq!(u.path(), "/api/v1/x");
        assert_eq!(u.query(), Some("a=1&b=2"));
        assert_eq!(u.fragment(), Some("frag"));
        assert_eq!(u.origin(), "https://api.expensicat.com");
        let u = p("http://127.0.0.1:8080").unwrap();
        assert_eq!(u.path(), "/");
        assert_eq!(u.origin(), "http://127.0.0.1:8080");
        assert_eq!(u.base(), "http://127.0.0.1:8080");
        assert_eq!(p("https://a.example/api/").unwrap().base(), "https://a.example/api");
        assert_eq!(p("http://[::1]:9/cb").unwrap().origin(), "http://[::1]:9");
        assert_eq!(p("https://x.example:/p").unwrap().port(), None);
        assert_eq!(p("https://x.example?q").unwrap().path(), "/");
    }

    #[test]
    fn refuses_hostile_shapes() {
        for bad in [
            "",
            "api.expensicat.com/x",
            "//api.expensicat.com/x",
            "javascript://alert(1)",
            "ftp://x.example/",
            "https://",
            "https:///path",
            "https://user:pw@x.example/",
            "https://x.example@evil.example/",
            "https://x.example\\@evil.example/",
            "https://x.example/a b",
            "https://x.example/\r\nSet-Cookie:x",
            "https://x.example/\t",
            "https://x.exämple/",
            "https://x.example/é",
            "https://x.example:99999/",
            "https://x.example:0/",
            "https://x.example:-1/",
            "https://x.example:80a/",
            "https://-x.example/",
            "https://x..example/",
            "https://x_y.example/",
            "https://[::1/",
            "https://[]/",
            "https://[::1]x/",
            "https://[zz::1]/",
        ] {
            assert!(p(bad).is_err(), "{bad:?} parsed as {:?}", p(bad));
        }
        let huge = format!("https://x.example/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(p(&huge), Err(UrlError { field: "url", reason: "is too long" }));
    }

    #[test]
    fn same_endpoint_compares_scheme_host_port_path_exactly() {
        let a = p("https://app.example/callback").unwrap();
        assert!(a.same_endpoint(&p("https://APP.example:443/callback?code=1#x").unwrap()));
        for other in [
            "http://app.example/callback",
            "https://app.example:8443/callback",
            "https://app.example.evil/callback",
            "https://app.example/callback/",
            "https://app.example/callback.evil",
            "https://app.example/callback/../admin",
            "https://app.example/Callback",
            "https://app.example/%63allback",
        ] {
            assert!(!a.same_endpoint(&p(other).unwrap()), "{other}");
        }
    }

    #[test]
    fn address_checks_agree_with_core_net() {
        let pieces = ["0", "1", "01", "255", "256", "ffff", "12345", "a", "", ":", "::", ".", "1.2.3.4", "0.0.0.0", "g", "FFFF", "00"];
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) as usize) % n
        };
        for _ in 0..100_000 {
            let mut s = String::new();
            for _ in 0..1 + next(9) {
                s.push_str(pieces[next(pieces.len())]);
                if next(3) == 0 {
                    s.push(['.', ':'][next(2)]);
                }
            }
            assert_eq!(is_ipv4(&s), s.parse::<core::net::Ipv4Addr>().is_ok(), "{s:?}");
            assert_eq!(is_ipv6(&s), s.parse::<core::net::Ipv6Addr>().is_ok(), "{s:?}");
        }
    }
}

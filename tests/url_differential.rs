//! The strict URL parser (`protocol::url`) against the WHATWG URL standard (the `url` crate, the
//! parser browsers follow). The parser may refuse more, never less, and wherever it accepts, the
//! scheme, host and port it reads (the origin, which decides where a bearer token may go and
//! which redirect URI a callback is on) are the ones a browser reads.
#![cfg(not(target_arch = "wasm32"))]

use expensicat_auth::test_support::Url;

/// Where both parsers accept `input`, the parts must agree. Returns whether ours accepted.
fn check(input: &str) -> bool {
    let Ok(ours) = Url::parse(input, "url") else { return false };
    // Refused by WHATWG, or another scheme, host or port: the fuzz target's property panics.
    expensicat_auth::fuzzing::url_whatwg(input.as_bytes());
    let Ok(theirs) = url::Url::parse(input) else { unreachable!() };
    // Query and fragment: the same text where WHATWG keeps it as written.
    if let Some(q) = theirs.query() {
        if !q.contains('%') {
            assert_eq!(ours.query(), Some(q), "{input:?}: query");
        }
    }
    if theirs.fragment().is_some_and(|f| !f.contains('%')) {
        assert_eq!(ours.fragment(), theirs.fragment(), "{input:?}: fragment");
    }
    // Path: WHATWG resolves dot segments and percent-encodes some characters; elsewhere, the same.
    let path = ours.path();
    if !path.split('/').any(|s| s == "." || s == ".." || s.eq_ignore_ascii_case("%2e") || s.to_ascii_lowercase().contains("%2e"))
        && !path.bytes().any(|b| b"\"<>`{}^|".contains(&b))
    {
        assert_eq!(path, theirs.path(), "{input:?}: path");
    }
    true
}

#[test]
fn hosts_that_end_in_a_number_are_ipv4_or_refused() {
    // WHATWG reads these as IPv4 addresses (127.0.0.1, or invalid); a textual host check would not.
    for input in [
        "https://127.1/",
        "https://0x7f.0.0.1/",
        "https://2130706433/",
        "https://127.000.000.001/",
        "https://0177.0.0.1/",
        "https://1.2.3.256/",
        "https://1.2.3.4.5/",
        "https://example.0x1/",
        "https://example.1/",
        "https://127.0.0.1./",
        "https://1.2.3.09/",
    ] {
        assert!(Url::parse(input, "url").is_err(), "{input}");
    }
    for ok in
        ["https://127.0.0.1/", "http://127.0.0.1:8080/cb", "https://10.0.0.255/", "https://1x.example/", "https://a1/", "https://0.0.0.0/"]
    {
        assert!(check(ok), "{ok}");
    }
}

#[test]
fn ipv6_hosts_are_addresses() {
    for bad in [
        "http://[:::]/",
        "http://[1.2]/",
        "http://[::1::]/",
        "http://[12345::]/",
        "http://[1:2:3:4:5:6:7:8:9]/",
        "http://[::1.2.3]/",
        "http://[]/",
    ] {
        assert!(Url::parse(bad, "url").is_err(), "{bad}");
    }
    for ok in [
        "http://[::1]:8080/cb",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[2001:DB8::1]/x",
        "http://[1:2:3:4:5:6:7:8]/",
        "http://[::]/",
    ] {
        assert!(check(ok), "{ok}");
    }
}

#[test]
fn known_cases_agree() {
    let accepted = [
        "https://api.expensicat.com/api/v1/transactions?limit=10&cursor=abc#top",
        "HTTPS://API.Expensicat.COM:443/api",
        "http://localhost:3000/callback?code=x&state=y",
        "https://app.example/callback/",
        "https://app.example",
        "https://app.example?x=1",
        "https://app.example#f",
        "https://a-b.example.:8443/p",
        "https://app.example/a/./b/../c",
        "https://app.example/%7Euser?q=%20",
        "https://app.example/p?a=b?c#d#e",
    ];
    for input in accepted {
        assert!(check(input), "{input}");
    }
    // Refused here, whatever WHATWG makes of them (it repairs most of them silently).
    for refused in [
        "https://user:pw@app.example/",
        "https:/app.example",
        "https:app.example",
        "https://app.example\\@evil.example/",
        " https://app.example",
        "https://app .example",
        "https://app.example:0/",
        "https://app.example:65536/",
        "https://app.example:-1/",
        "https://app_x.example/",
        "https://-app.example/",
        "https://app..example/",
        "ftp://app.example/",
        "https://ąpp.example/",
        "https:///app.example",
    ] {
        assert!(!check(refused), "{refused}");
    }
}

/// Deterministic pseudo-random URLs from the characters that matter to URL parsers.
#[test]
fn random_urls_never_disagree() {
    const PIECES: [&str; 40] = [
        "a",
        "B",
        "0",
        "1",
        "9",
        "x",
        "0x",
        "ff",
        ".",
        "..",
        "-",
        "_",
        ":",
        "::",
        "[",
        "]",
        "/",
        "//",
        "?",
        "#",
        "@",
        "%",
        "%2e",
        "%41",
        "127",
        "255",
        "256",
        "localhost",
        "example",
        "com",
        "xn--",
        "80",
        "443",
        "8080",
        ";",
        "=",
        "&",
        "~",
        "!",
        "$",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n
    };
    let mut accepted = 0;
    for _ in 0..200_000 {
        let scheme = ["https://", "http://", "HTTP://", "https:/"][next(4)];
        let mut input = String::from(scheme);
        for _ in 0..1 + next(10) {
            input.push_str(PIECES[next(PIECES.len())]);
        }
        if input.contains("xn--") {
            continue; // IDNA (punycode) validity is WHATWG's business, not a host check's.
        }
        if check(&input) {
            accepted += 1;
        }
    }
    assert!(accepted > 5_000, "the generator reaches accepted URLs ({accepted})");
}

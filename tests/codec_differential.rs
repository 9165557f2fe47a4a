//! The codecs (src/codec/) against their reference crates on generated inputs, as
//! tests/url_differential.rs does for the URL parser: base64url against `base64`, form encoding
//! and decoding against `form_urlencoded` (and `percent-encoding`), the HTTP-date reader against
//! `httpdate`, the JSON reader against `serde_json`. The checks and the documented differences
//! are in codec/checks.rs, which the fuzz targets `codec_*` share; the committed corpora of those
//! targets are replayed here too. SHA-256 is compared with `sha2` in src/codec/sha256.rs.
#![cfg(not(target_arch = "wasm32"))]

#[path = "codec/checks.rs"]
mod checks;

use expensicat_auth::test_support::xorshift;

/// A generator of test inputs: uniform numbers below `n`, picks, byte strings.
struct Gen(Box<dyn FnMut() -> u64>);

impl Gen {
    fn new(seed: u64) -> Self {
        Gen(Box::new(xorshift(seed)))
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.0)() % n as u64) as usize
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| (self.0)() as u8).collect()
    }
    /// `s` with a few random edits: a byte replaced, deleted or inserted from `alphabet`.
    fn mutate(&mut self, s: &str, alphabet: &[u8]) -> Vec<u8> {
        let mut b = s.as_bytes().to_vec();
        for _ in 0..1 + self.below(3) {
            let at = self.below(b.len() + 1);
            let c = alphabet[self.below(alphabet.len())];
            match self.below(3) {
                0 if at < b.len() => b[at] = c,
                1 if at < b.len() => {
                    b.remove(at);
                }
                _ => b.insert(at, c),
            }
        }
        b
    }
}

#[test]
fn base64url_is_base64_url_safe_no_pad() {
    let mut g = Gen::new(0xb64);
    for len in 0..200 {
        checks::base64url(&(0..len).map(|i| (i * 37 + len) as u8).collect::<Vec<_>>());
    }
    for _ in 0..20_000 {
        let data = g.bytes(100);
        checks::base64url(&data);
    }
}

#[test]
fn form_encoding_is_form_urlencoded() {
    let mut g = Gen::new(0xf0e);
    let pieces: [&str; 16] = ["a", "Z", "0", " ", "+", "%", "&", "=", "*", "-", "._~", "é", "€", "😀", "\0", "/?#"];
    for _ in 0..20_000 {
        let s: String = (0..g.below(12)).map(|_| g.pick(&pieces)).collect();
        checks::form_encode(s.as_bytes());
    }
    for _ in 0..5_000 {
        let data = g.bytes(40);
        checks::form_encode(&data);
    }
}

#[test]
fn form_decoding_is_form_urlencoded_where_it_accepts() {
    let mut g = Gen::new(0xdec);
    let pieces: [&str; 22] = [
        "a",
        "b",
        "=",
        "&",
        "+",
        "%",
        "%2",
        "%20",
        "%2B",
        "%26",
        "%3D",
        "%C3%A9",
        "%C3",
        "%A9",
        "%FF",
        "%ED%A0%80",
        "%zz",
        "%4",
        "é",
        " ",
        "%25",
        "%F0%9F%98%80",
    ];
    for _ in 0..30_000 {
        let s: String = (0..g.below(10)).map(|_| g.pick(&pieces)).collect();
        checks::form_decode(s.as_bytes());
    }
}

/// An HTTP-date of `secs` in `form` 0 (IMF-fixdate), 1 (RFC 850) or 2 (asctime).
fn http_date(secs: u64, form: usize) -> String {
    let imf = httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs));
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let (wd, day, mon, year, time) = (&imf[0..3], &imf[5..7], &imf[8..11], &imf[12..16], &imf[17..25]);
    match form {
        0 => imf.clone(),
        1 => {
            let full = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
                .into_iter()
                .find(|f| f.starts_with(wd))
                .unwrap();
            format!("{full}, {day}-{mon}-{} {time} GMT", &year[2..])
        }
        _ => {
            let d = day.trim_start_matches('0');
            format!("{wd} {mon} {d:>2} {time} {year}")
        }
    }
}

#[test]
fn http_dates_are_httpdate_s() {
    let mut g = Gen::new(0xda7e);
    // Known texts first: RFC 9110's examples and the edges.
    for text in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Wed, 31 Dec 1969 23:59:59 GMT",
        "Mon, 29 Feb 2016 00:00:00 GMT",
        "Tue, 29 Feb 2100 00:00:00 GMT",
        "Sat, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:60 GMT",
        " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "sun, 06 nov 1994 08:49:37 gmt",
        "Sun Nov 06 08:49:37 1994",
    ] {
        checks::http_date(text.as_bytes());
    }
    let alphabet = b"0123456789 :,-ADFGJMNOSTWadeghnortuy\t";
    for _ in 0..20_000 {
        // Any second from 1970 to 9999, in each form, as written and mutated.
        let secs = (g.0)() % 253_402_300_800;
        let form = g.below(3);
        let text = http_date(secs, form);
        checks::http_date(text.as_bytes());
        if form != 1 {
            // Not vacuous: a date as written is read, as the very second it was made from.
            assert_eq!(expensicat_auth::test_support::codec::http_date_secs(text.as_bytes(), checks::NOW_2019), Some(secs), "{text}");
        }
        checks::http_date(&g.mutate(&text, alphabet));
    }
}

/// A random JSON-ish document: mostly well-formed, with odd numbers, escapes, white space and
/// duplicate names mixed in.
fn json_doc(g: &mut Gen, depth: usize, out: &mut String) {
    let ws = [" ", "", "", "\n", "\t", "\r"];
    out.push_str(g.pick(&ws));
    match g.below(if depth > 4 { 4 } else { 7 }) {
        0 => out.push_str(g.pick(&["null", "true", "false", "nul", "True"])),
        1 => out.push_str(g.pick(&[
            "0",
            "-0",
            "1",
            "-1",
            "10",
            "01",
            "1.5",
            "1.",
            ".5",
            "-",
            "1e3",
            "1E+3",
            "1e-3",
            "2.5e-308",
            "1e309",
            "-1e400",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "0.1",
            "1e",
            "+1",
            "0x1",
        ])),
        2 | 3 => {
            out.push('"');
            for _ in 0..g.below(5) {
                out.push_str(g.pick(&[
                    "a",
                    "é",
                    "😀",
                    "\\n",
                    "\\\"",
                    "\\\\",
                    "\\/",
                    "\\u00e9",
                    "\\ud83d\\ude00",
                    "\\ud83d",
                    "\\ude00",
                    "\\u12",
                    "\\x",
                    "\u{1}",
                    "\u{7f}",
                    " ",
                ]));
            }
            out.push('"');
        }
        4 => {
            out.push('[');
            for i in 0..g.below(4) {
                if i > 0 {
                    out.push(',');
                }
                json_doc(g, depth + 1, out);
            }
            if g.below(20) == 0 {
                out.push(',');
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..g.below(4) {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(g.pick(&["\"a\"", "\"b\"", "\"a\"", "\"\\u0061\"", "\"c\"", "a"]));
                out.push_str(g.pick(&[":", " : ", ":"]));
                json_doc(g, depth + 1, out);
            }
            out.push('}');
        }
    }
    out.push_str(g.pick(&ws));
}

#[test]
fn json_is_serde_json_s_but_for_duplicate_names() {
    let mut g = Gen::new(0x750);
    let alphabet = b"{}[],:\"\\0123456789-+.eEtrufalsn \n";
    let mut accepted = 0;
    for _ in 0..20_000 {
        let mut doc = String::new();
        json_doc(&mut g, 0, &mut doc);
        checks::json(doc.as_bytes());
        checks::json(&g.mutate(&doc, alphabet));
        accepted += usize::from(expensicat_auth::test_support::codec::parse_json(&doc).is_some());
    }
    // Not vacuous: a good part of the generated documents is JSON.
    assert!(accepted > 5_000, "{accepted} of 20,000 generated documents accepted");
    // Nesting: both stop at 128 levels.
    for n in [1, 127, 128, 129, 130, 1000] {
        checks::json(format!("{}{}", "[".repeat(n), "]".repeat(n)).as_bytes());
        checks::json(format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)).as_bytes());
    }
}

/// The committed corpora of the `codec_*` fuzz targets, through the same checks.
#[test]
fn codec_fuzz_corpora_replay() {
    type Check = fn(&[u8]);
    let targets: [(&str, Check); 5] = [
        ("codec_base64url", checks::base64url),
        ("codec_form_encode", checks::form_encode),
        ("codec_form_decode", checks::form_decode),
        ("codec_http_date", checks::http_date),
        ("codec_json", checks::json),
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (name, check) in targets {
        let entries = std::fs::read_dir(root.join(name)).unwrap_or_else(|_| panic!("no seed corpus for {name}"));
        let mut n = 0;
        for entry in entries {
            check(&std::fs::read(entry.unwrap().path()).unwrap());
            n += 1;
        }
        assert!(n > 0, "{name}: empty corpus");
    }
}

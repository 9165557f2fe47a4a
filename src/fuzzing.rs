//! Property checks shared by the cargo-fuzz targets (`fuzz/`) and the corpus replay in
//! `cargo test`, plus the placeholder expander of the hostile-input corpus. Each check panics
//! when a property breaks; any other panic is a bug too.
#![doc(hidden)]

#[allow(unused_imports)]
use crate::prelude::*;

use crate::protocol::authorize::{build_authorize_url, AuthorizeParams};
use crate::protocol::bearer::is_b64token;
use crate::protocol::callback::{parse_callback, CallbackParams};
use crate::protocol::config::{ClientConfig, ClientConfigInput};
use crate::protocol::discovery::{read_metadata, MetadataAnswer};
use crate::protocol::encoding::decode_form;
use crate::protocol::error::{Error, MAX_UNTRUSTED_TEXT};
use crate::protocol::expensify::{parse_response, Expect};
use crate::protocol::login::{start_login, LoginRequest};
use crate::protocol::par::parse_par_response;
use crate::protocol::retry_after::parse_retry_after;
use crate::protocol::token::{parse_error_body, parse_token_response};
use crate::protocol::transaction::{LoginTransaction, MAX_APP_STATE, MAX_STORED_TRANSACTION};
use crate::protocol::url::Url;

pub use crate::test_support::{config, REDIRECT_URI};

/// A deterministic live transaction for `config()`, created at time 0.
pub fn transaction() -> LoginTransaction {
    transaction_for(&config())
}

/// `config()` with another issuer, for the corpus cases that name one (`"issuer"`).
pub fn config_with_issuer(issuer: &str) -> ClientConfig {
    match ClientConfig::new(ClientConfigInput { issuer: Some(issuer.into()), ..crate::test_support::input() }) {
        Ok(c) => c,
        Err(e) => panic!("the corpus issuer {issuer} is refused: {e}"),
    }
}

/// A deterministic live transaction for `config`, created at time 0.
pub fn transaction_for(config: &ClientConfig) -> LoginTransaction {
    let mut random = [0u8; 64];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(151).wrapping_add(7);
    }
    match start_login(config, &LoginRequest::default(), &random, 0) {
        Ok(s) => s.transaction,
        Err(e) => panic!("the fixed fuzz login failed: {e}"),
    }
}

/// Expands the corpus placeholders: `{CB}`, `{STATE}`, `{ISS}` (percent-encoded issuer) and
/// `{x*N}` (the character `x` repeated `N` times).
pub fn expand(template: &str, state: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let mut chars = tail.char_indices().skip(1);
        let repeated = match (chars.next(), chars.next()) {
            (Some((_, c)), Some((j, '*'))) => {
                let digits: String = tail[j + 1..].chars().take_while(char::is_ascii_digit).collect();
                let end = j + 1 + digits.len();
                match (digits.parse::<usize>(), tail[end..].starts_with('}')) {
                    (Ok(n), true) => Some((c.to_string().repeat(n), end + 1)),
                    _ => None,
                }
            }
            _ => None,
        };
        let (text, used) = if let Some(r) = repeated {
            r
        } else if tail.starts_with("{CB}") {
            (REDIRECT_URI.to_owned(), 4)
        } else if tail.starts_with("{STATE}") {
            (state.to_owned(), 7)
        } else if tail.starts_with("{ISS}") {
            ("https%3A%2F%2Fapi.expensicat.com".to_owned(), 5)
        } else {
            ("{".to_owned(), 1)
        };
        out.push_str(&text);
        rest = &tail[used..];
    }
    out.push_str(rest);
    out
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn check_error_text(e: &Error) {
    let shown = e.to_string();
    assert!(shown.chars().count() < 2 * MAX_UNTRUSTED_TEXT + 200, "error text is unbounded");
    assert!(!shown.contains('\r') && !shown.contains('\n'), "error text carries a line break");
}

/// Callback parsing: an accepted callback's `state` is always the transaction's, and its code is
/// printable ASCII.
pub fn callback(data: &[u8]) {
    let tx = transaction();
    let state = tx.state().to_owned();
    let input = text(data);
    // Half the inputs start from a well-formed prefix so the fuzzer reaches the deep checks.
    let url = if data.first().is_some_and(|b| b & 1 == 1) { format!("{REDIRECT_URI}?state={state}&{input}") } else { input };
    match parse_callback(&config(), &url, tx, 1) {
        Ok(v) => {
            let parsed = CallbackParams::parse(&config(), &url).unwrap_or_else(|e| panic!("accepted but unparseable: {e}"));
            assert_eq!(parsed.state().ok(), Some(state.as_str()), "accepted a callback with another state");
            assert!(v.code.expose().bytes().all(|b| (0x20..=0x7e).contains(&b)) && !v.code.expose().is_empty());
        }
        Err(e) => check_error_text(&e),
    }
}

/// Token responses: an accepted one is 2xx, Bearer, with a `b64token` access token.
pub fn token_response(data: &[u8]) {
    let status = match data.first() {
        Some(b) if b % 4 == 0 => 400,
        Some(b) if b % 4 == 1 => 401,
        Some(b) if b % 4 == 2 => 500,
        _ => 200,
    };
    let body = text(data.get(1..).unwrap_or_default());
    match parse_token_response(status, &body, 0) {
        Ok(t) => {
            assert_eq!(status, 200);
            assert!(is_b64token(t.access_token.expose()));
            assert_eq!(t.token_type, "Bearer");
        }
        Err(e) => check_error_text(&e),
    }
}

/// RFC 6749 section 5.2 error bodies: what is kept of server text is bounded and free of control
/// characters.
pub fn oauth_error(data: &[u8]) {
    if let Some(e) = parse_error_body(400, &text(data)) {
        for t in [&e.raw_code, &e.description, &e.uri].into_iter().flatten() {
            assert!(t.chars().count() <= MAX_UNTRUSTED_TEXT + 1);
            assert!(!t.chars().any(char::is_control));
        }
    }
}

/// Expensify responses: success only with `responseCode` 200 (for JSON jobs).
pub fn expensify_response(data: &[u8]) {
    let expects = match data.first() {
        Some(b) if b % 3 == 0 => Expect::FileName,
        Some(b) if b % 3 == 1 => Expect::File,
        _ => Expect::Json,
    };
    let status = if data.get(1).is_some_and(|b| *b == 0) { 429 } else { 200 };
    match parse_response(status, &text(data.get(2..).unwrap_or_default()), None, expects) {
        Ok(crate::protocol::expensify::ExpensifyResponse::Json(v)) => {
            assert_eq!(expects, Expect::Json);
            assert_eq!(v.get("responseCode").and_then(crate::protocol::json::Value::as_u64), Some(200));
        }
        Ok(_) => assert_ne!(expects, Expect::Json),
        Err(e) => check_error_text(&e),
    }
}

/// Authorize URL building from arbitrary parameters: the output always parses back to exactly the
/// parameters given, and no value leaks an unescaped `&`, `#` or space.
pub fn authorize_url(data: &[u8]) {
    let input = text(data);
    let mut parts = input.split('\u{0}');
    let client_id = parts.next().unwrap_or_default().to_owned();
    let extra: Vec<(String, String)> =
        parts.collect::<Vec<_>>().chunks(2).map(|c| (c[0].to_owned(), c.get(1).copied().unwrap_or("").to_owned())).collect();
    let scopes = vec!["transactions:read".to_string()];
    let params = AuthorizeParams {
        endpoint: "https://api.expensicat.com/api/auth/oauth2/authorize",
        client_id: &client_id,
        redirect_uri: REDIRECT_URI,
        scopes: &scopes,
        allow_custom_scopes: false,
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        state: "af0ifjsldkjAAAAAAAAAAAAAAAAAA",
        extra: &extra,
    };
    let Ok(url) = build_authorize_url(&params) else { return };
    let parsed = Url::parse(&url, "url").unwrap_or_else(|e| panic!("built an unparseable URL: {e:?}"));
    assert!(parsed.fragment().is_none(), "a value leaked a #");
    let query = parsed.query().unwrap_or_default();
    assert!(!query.contains(' '), "a value leaked a space");
    assert_eq!(query.split('&').count(), 7 + extra.len(), "a value leaked an &");
    let pairs = decode_form(query).unwrap_or_else(|_| panic!("built a query that does not decode"));
    assert_eq!(pairs[0], ("client_id".to_owned(), client_id));
    assert_eq!(&pairs[7..], &extra[..]);
}

/// Stored transactions: whatever is accepted round-trips exactly and is written within the
/// storage limit; its app state is JSON as the writer writes it, within its own limit.
pub fn stored_transaction(data: &[u8]) {
    if let Ok(tx) = LoginTransaction::from_storage(&text(data)) {
        let stored = tx.to_storage();
        assert!(stored.len() <= MAX_STORED_TRANSACTION, "accepted a transaction that is written {} bytes long", stored.len());
        if let Some(app_state) = tx.app_state() {
            assert!(app_state.len() <= MAX_APP_STATE, "kept an app state of {} bytes", app_state.len());
            let written = crate::protocol::json::parse(app_state).map(|v| v.to_json());
            assert_eq!(written.as_deref(), Some(app_state), "kept an app state that is not JSON as written");
        }
        let again = LoginTransaction::from_storage(&stored).unwrap_or_else(|e| panic!("round trip failed: {e}"));
        assert_eq!(again.to_storage(), stored);
        assert_eq!(again.app_state(), tx.app_state());
    }
}

/// The address-bar cleaner, which sees whatever the browser's address bar holds: never panics,
/// and cleaning is idempotent, which means nothing it leaves is a response parameter (as the
/// parser reads names). On the redirect URI it offers exactly that cleaned text.
pub fn address_bar(data: &[u8]) {
    let url = text(data);
    let cleaned = crate::protocol::callback::strip_response_params(&url);
    assert_eq!(crate::protocol::callback::strip_response_params(&cleaned), cleaned, "a second pass removed more: {url:.120}");
    assert!(cleaned.len() <= url.len());
    if let Some(offered) = crate::protocol::callback::cleaned_address_bar(&config(), &url) {
        assert_eq!(offered, cleaned);
    }
}

/// The JSON reader: never panics, and whatever it accepts it writes back as text that reads
/// back to the same value (and is stable from then on).
pub fn json(data: &[u8]) {
    if let Some(v) = crate::protocol::json::parse(&text(data)) {
        let written = v.to_json();
        let again = crate::protocol::json::parse(&written).unwrap_or_else(|| panic!("wrote JSON it cannot read: {written:.80}"));
        assert_eq!(again, v);
        assert_eq!(again.to_json(), written);
    }
}

/// The `SECRET...` markers in a corpus input: values that must never appear in an error.
pub fn secret_markers(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(i) = rest.find("SECRET") {
        let tail = &rest[i..];
        let len = tail.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count();
        out.push(tail[..len].to_owned());
        rest = &tail[len..];
    }
    out
}

/// `Retry-After` values: never panics; delta-seconds give exactly their value; a date gives a
/// delay only for ASCII text, and never one past the year 9999.
pub fn retry_after(data: &[u8]) {
    let now = u64::from_le_bytes(data.get(..8).and_then(|b| b.try_into().ok()).unwrap_or_default()) % (400 * 365 * 86_400_000);
    let value = text(data.get(8..).unwrap_or_default());
    let Some(ms) = parse_retry_after(&value, now) else { return };
    let v = value.trim_matches([' ', '\t']);
    if v.bytes().all(|b| b.is_ascii_digit()) {
        assert_eq!(Some(ms), v.parse::<u64>().ok().map(|s| s * 1000));
    } else {
        assert!(v.is_ascii() && v.ends_with(['T', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']), "{v:?}");
        assert!(ms < 253_402_300_800_000, "{v:?}"); // 10000-01-01
    }
}

/// `WWW-Authenticate` values: never panics; a list item more (`, ` at the end) changes nothing;
/// an `error` is only ever read from a Bearer challenge; and a 403 is a refused token or a
/// missing scope exactly when the Bearer challenge says so.
pub fn www_authenticate(data: &[u8]) {
    use crate::protocol::challenge::{bearer, BearerError, MAX_HEADER};
    use crate::protocol::session::{refusal, Refusal};
    let header = text(data);
    let read = |h: &str| bearer(h).map(|b| (b.error(), b.scope().map(str::to_owned)));
    let got = read(&header);
    if header.len() + 2 <= MAX_HEADER {
        assert_eq!(read(&(header.clone() + ", ")), got, "{header:?}: a trailing list separator changed the reading");
    }
    if got.as_ref().is_some_and(|(e, _)| e.is_some()) {
        assert!(header.to_ascii_lowercase().contains("bearer"), "{header:?}: an error without a Bearer challenge");
    }
    let expected = match got {
        Some((Some(BearerError::InvalidToken), _)) => Refusal::Token,
        Some((Some(BearerError::InsufficientScope), ref scope)) => Refusal::Scope(scope.as_deref()),
        _ => Refusal::None,
    };
    assert_eq!(refusal(403, Some(&header)), expected, "{header:?}");
    assert_eq!(refusal(401, Some(&header)), Refusal::Token);
}

/// A fuzz target's property check.
pub type Check = fn(&[u8]);

/// The strict URL parser against the WHATWG URL parser (the `url` crate; what browsers follow):
/// it refuses more, never less, and wherever it accepts, a browser reads the same scheme, host
/// and port, so the origin checks (where a bearer token may go, which redirect URI a callback is
/// on) mean what they say. IPv6 hosts compare as addresses (WHATWG writes them compressed);
/// hosts with punycode labels are left to IDNA.
pub fn url_whatwg(data: &[u8]) {
    let Ok(input) = core::str::from_utf8(data) else { return };
    let Ok(ours) = Url::parse(input, "url") else { return };
    // Punycode labels (`xn--`) are kept as written; whether one decodes is IDNA's business, and a
    // browser that finds it invalid does not send the request at all.
    if ours.host().split('.').any(|l| l.starts_with("xn--")) {
        return;
    }
    let theirs = match url::Url::parse(input) {
        Ok(u) => u,
        Err(e) => panic!("{input:?}: accepted here, refused by WHATWG ({e})"),
    };
    assert_eq!(ours.scheme(), theirs.scheme(), "{input:?}: scheme");
    assert_eq!(ours.port(), theirs.port(), "{input:?}: port");
    let their_host = theirs.host_str().unwrap_or_default();
    match (ours.host().strip_prefix('['), their_host.strip_prefix('[')) {
        (Some(a), Some(b)) => {
            let address = |h: &str| h.trim_end_matches(']').parse::<core::net::Ipv6Addr>().ok();
            assert!(address(a).is_some() && address(a) == address(b), "{input:?}: host {a} vs {b}");
        }
        _ => assert_eq!(ours.host(), their_host, "{input:?}: host"),
    }
}

/// The issuer the metadata target asks for.
const METADATA_ISSUER: &str = "https://as.example";

/// Server metadata (RFC 8414): accepted only from a 2xx answer naming exactly the issuer asked
/// for, with HTTPS (or loopback) endpoints that the client configuration then accepts as they
/// are. The first byte picks the answer's status and which of the two addresses it answers.
pub fn metadata(data: &[u8]) {
    let first = data.first().copied().unwrap_or(0);
    let status = [200, 201, 404, 0][usize::from(first % 4)];
    let attempt = usize::from(first >> 7);
    let body = text(data.get(1..).unwrap_or_default());
    let app = r#"{"clientId":"c","redirectUri":"https://app.example/cb","allowCustomScopes":true}"#;
    match read_metadata(METADATA_ISSUER, app, attempt, status, &body) {
        Ok(MetadataAnswer::TryNext) => assert!(attempt == 0 && !(200..300).contains(&status)),
        Ok(MetadataAnswer::Found(c)) => {
            assert!((200..300).contains(&status));
            assert_eq!(c.issuer(), METADATA_ISSUER, "accepted another issuer's metadata");
        }
        Err(e) => {
            // Metadata that the client configuration would refuse is refused as metadata first:
            // an error naming a member names the document's, never the configuration's.
            let field = match &e {
                Error::InvalidUrl { field, .. } | Error::InsecureUrl { field } => field,
                Error::InvalidConfig { .. } => panic!("accepted metadata the configuration refuses: {e}"),
                _ => "",
            };
            assert!(!field.bytes().any(|b| b.is_ascii_uppercase()), "accepted metadata the configuration refuses: {e}");
            check_error_text(&e);
        }
    }
}

/// Answers to a pushed authorization request (RFC 9126): accepted only as a 201, giving an
/// authorize URL with exactly `client_id` and `request_uri`, which expires after now and no later
/// than the transaction would.
pub fn par_response(data: &[u8]) {
    let status = [201, 200, 400, 500][usize::from(data.first().copied().unwrap_or(0) % 4)];
    let body = text(data.get(1..).unwrap_or_default());
    let input = ClientConfigInput {
        pushed_authorization_request_endpoint: Some("https://as.example/par".into()),
        par: true,
        ..crate::test_support::input()
    };
    let config = match ClientConfig::new(input) {
        Ok(c) => c,
        Err(e) => panic!("the fixed PAR configuration is invalid: {e}"),
    };
    match parse_par_response(&config, status, &body, 1_000) {
        Ok(p) => {
            assert_eq!(status, 201);
            assert!(p.expires_at_ms > 1_000 && p.expires_at_ms <= 1_000 + config.transaction_ttl_ms());
            let url = Url::parse(&p.url, "url").unwrap_or_else(|e| panic!("an authorize URL that does not parse: {e:?}"));
            let pairs = decode_form(url.query().unwrap_or_default()).unwrap_or_else(|_| panic!("a malformed query"));
            let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(names, ["client_id", "request_uri"]);
            assert_eq!(pairs[0].1, config.client_id());
        }
        Err(e) => check_error_text(&e),
    }
}

/// Every target, by name, for the corpus replay.
pub const TARGETS: [(&str, Check); 13] = [
    ("callback", callback),
    ("token_response", token_response),
    ("oauth_error", oauth_error),
    ("expensify_response", expensify_response),
    ("authorize_url", authorize_url),
    ("stored_transaction", stored_transaction),
    ("json", json),
    ("retry_after", retry_after),
    ("address_bar", address_bar),
    ("url_whatwg", url_whatwg),
    ("www_authenticate", www_authenticate),
    ("metadata", metadata),
    ("par_response", par_response),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_placeholders() {
        assert_eq!(
            expand("{CB}?state={STATE}&iss={ISS}", "s"),
            "https://app.example/callback?state=s&iss=https%3A%2F%2Fapi.expensicat.com"
        );
        assert_eq!(expand("x{a*3}y{[*2}{]*2}", ""), "xaaay[[]]");
        assert_eq!(expand("{\"a\":{}}", ""), "{\"a\":{}}");
        assert_eq!(expand("{é*2}{", ""), "éé{");
    }

    #[test]
    fn targets_accept_their_happy_inputs() {
        let tx = transaction();
        callback(format!("{REDIRECT_URI}?code=abc&state={}", tx.state()).as_bytes());
        token_response(b"\x03{\"access_token\":\"a\",\"token_type\":\"Bearer\"}");
        authorize_url(b"client\x00prompt\x00login");
        stored_transaction(tx.to_storage().as_bytes());
        stored_transaction(format!("{},\"appState\":{{\"returnTo\":\"/a?b#c\"}}}}", tx.to_storage().trim_end_matches('}')).as_bytes());
        oauth_error(b"{\"error\":\"x\",\"error_description\":\"a\\u0000b\"}");
        expensify_response(b"\x02\x01{\"responseCode\":200}");
        json(br#"{"a":[1,-2.5e3,"\u00e9\ud83d\ude00",true,null,{}]}"#);
        retry_after(b"\0\0\0\0\0\0\0\0Sun, 06 Nov 1994 08:49:37 GMT");
        retry_after(b"\0\0\0\0\0\0\0\0 42");
        metadata(&[b"\x00".as_slice(), br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#].concat());
        par_response(b"\x00{\"request_uri\":\"urn:x\",\"expires_in\":60}");
        www_authenticate(br#"Bearer error="insufficient_scope", scope="team:read""#);
    }

    /// The `WWW-Authenticate` properties on generated headers made of the grammar's pieces, so
    /// that most of them come close to well-formed.
    #[test]
    fn www_authenticate_on_generated_headers() {
        const PIECES: [&str; 22] = [
            "Bearer",
            "bearer",
            "Basic",
            " ",
            "\t",
            ",",
            "=",
            "\"",
            "\\",
            "error",
            "ERROR",
            "scope",
            "realm",
            "invalid_token",
            "insufficient_scope",
            "\"invalid_token\"",
            "\"insufficient_scope\"",
            "\"a, b\"",
            "abc+/",
            "==",
            "\u{0}",
            "é",
        ];
        let mut next = crate::test_support::xorshift(0x5eed_cafe);
        for _ in 0..20_000 {
            let n = (next() % 12) as usize;
            let header: String = (0..n).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
            www_authenticate(header.as_bytes());
        }
    }
}

//! The Rust Expensify client (`expensicat_auth::web::expensify`: `send` and `CredentialStore`)
//! in the browser against the emulator's Integration Server: every job type, each failure path
//! with its exact error, the rate limiter, and the encrypted store. Called as a Rust front-end
//! calls it (no JavaScript class in between); the package's JavaScript classes have their own
//! suite (tests/browser/expensify.spec.mjs).
#![cfg(target_arch = "wasm32")]

use expensicat_auth::protocol::expensify::{job_from_json, jobs, Connection, Credential, CredentialInput, ExpensifyResponse, SendOptions};
use expensicat_auth::protocol::json::{self, FromJson, ShapeError, Value};
use expensicat_auth::web::expensify::{send, CredentialStore, Listed};
use expensicat_auth::{Error, PartnerSecret};
use js_sys::{Array, Object, Promise, Reflect, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod common;
use common::{control, counter, emu, s};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
export async function rawRecords(name) {
  const db = await req(indexedDB.open(name, 1));
  const all = await req(db.transaction("credentials").objectStore("credentials").getAll());
  db.close();
  return all;
}
export async function rawPut(name, record) {
  const db = await req(indexedDB.open(name, 1));
  await req(db.transaction("credentials", "readwrite").objectStore("credentials").put(record));
  db.close();
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = rawRecords)]
    fn raw_records(name: &str) -> Promise;
    #[wasm_bindgen(js_name = rawPut)]
    fn raw_put(name: &str, record: &JsValue) -> Promise;
}

fn unique(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random().to_bits() % 1_000_000_007)
}

/// A partner registered with the emulator under a fresh ID (so limiters do not interfere).
async fn partner(name: &str) -> (String, String) {
    let id = unique(&format!("aa_{name}"));
    let secret = unique("s3cr3t-partner-pass");
    control("expensify-credentials", &format!(r#"{{"partnerUserID":"{id}","partnerUserSecret":"{secret}"}}"#)).await;
    (id, secret)
}

fn input(server_url: &str, id: &str, secret: &str) -> CredentialInput {
    CredentialInput {
        name: "Acme".into(),
        description: Some("Nightly sync".into()),
        server_url: Some(server_url.into()),
        partner_user_id: id.into(),
        partner_user_secret: PartnerSecret::new(secret),
    }
}

fn credential(id: &str, secret: &str) -> Credential {
    Credential::new(input(emu(), id, secret)).unwrap()
}

/// `ExpensifyOptions` as JSON (`""`: the defaults).
fn options(text: &str) -> SendOptions {
    if text.is_empty() {
        SendOptions::default()
    } else {
        SendOptions::from_json(text).unwrap()
    }
}

fn job(text: &str) -> Value {
    job_from_json(text).unwrap()
}

/// Sends `job` with no extra form fields.
async fn run(c: &Credential, job: &Value, opts: &SendOptions) -> Result<ExpensifyResponse, Error> {
    send(c, job, &[], opts).await
}

fn json_of(r: ExpensifyResponse) -> Value {
    match r {
        ExpensifyResponse::Json(v) => v,
        ExpensifyResponse::Text(t) => panic!("a text answer: {t}"),
    }
}

fn text_of(r: ExpensifyResponse) -> String {
    match r {
        ExpensifyResponse::Text(t) => t,
        ExpensifyResponse::Json(v) => panic!("a JSON answer: {}", v.to_json()),
    }
}

/// The error's code, after checking that neither its message nor its `Debug` shows any of
/// `secrets`.
fn code_of(e: &Error, secrets: &[String]) -> &'static str {
    let shown = format!("{} {e:?}", e.message());
    for secret in secrets {
        assert!(!shown.contains(secret.as_str()), "secret leaked: {shown}");
    }
    e.code()
}

/// The field an error names, if any.
fn field_of(e: &Error) -> Option<&str> {
    match e {
        Error::InvalidCredential { field, .. } | Error::InsecureUrl { field } => Some(field),
        _ => None,
    }
}

async fn expensify_requests() -> u32 {
    counter("expensify", "expensifyRequests").await
}

async fn resolve(p: Promise) -> JsValue {
    JsFuture::from(p).await.unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn every_job_type_against_the_emulator() {
    let (id, secret) = partner("jobs").await;
    let c = credential(&id, &secret);
    // Eight jobs in a row: the default 5-per-10 s limit would (rightly) make this test wait.
    let o = options(r#"{"rateLimits":[[100,1000]]}"#);
    assert_eq!(c.endpoint(), format!("{}/Integration-Server/ExpensifyIntegrations", emu()));
    let policies = json_of(run(&c, &jobs::policy_list(false), &o).await.unwrap());
    assert_eq!(policies.get("responseCode").and_then(Value::as_u64), Some(200));
    let list = match policies.get("policyList") {
        Some(Value::Array(items)) => items.clone(),
        other => panic!("policyList: {other:?}"),
    };
    assert_eq!(list.len(), 2);
    let pid = list[0].get_str("id").unwrap().to_owned();
    let details =
        json_of(run(&c, &jobs::policy_details(core::slice::from_ref(&pid), &["categories".into(), "tags".into()]), &o).await.unwrap());
    assert!(details.get("policyInfo").and_then(|i| i.get(&pid)).and_then(Value::as_object).is_some());
    let filters = json::parse(r#"{"startDate":"2026-01-01"}"#).unwrap();
    let template = [("template".to_owned(), "<#list reports as r>${r.reportName}</#list>".to_owned())];
    let file = text_of(send(&c, &jobs::report_export(filters, "csv"), &template, &o).await.unwrap());
    assert_eq!(file, "exportedReport_emulator.csv");
    let csv = text_of(run(&c, &jobs::download(&file), &o).await.unwrap());
    assert!(csv.starts_with("Merchant,Amount"), "{csv}");
    let transactions = json::parse(r#"[{"merchant":"Cafe","amount":450,"currency":"USD","created":"2026-10-01"}]"#).unwrap();
    let created = json_of(run(&c, &jobs::create_expenses("e@example.com", transactions), &o).await.unwrap());
    let first = match created.get("transactionList") {
        Some(Value::Array(items)) => items[0].clone(),
        other => panic!("transactionList: {other:?}"),
    };
    assert_eq!(first.get_str("transactionID"), Some("1000"));
    let report = json_of(run(&c, &jobs::create_report("e@example.com", &pid, "Trip", Value::Array(Vec::new())), &o).await.unwrap());
    assert_eq!(report.get_str("reportName"), Some("Trip"));
    let generic = json_of(run(&c, &job(r#"{"type":"get","inputSettings":{"type":"policyList"}}"#), &o).await.unwrap());
    assert_eq!(generic.get("responseCode").and_then(Value::as_u64), Some(200));
}

#[wasm_bindgen_test]
async fn response_codes_in_the_body_decide() {
    let (id, secret) = partner("codes").await;
    let secrets = [secret.clone()];
    let c = credential(&id, &secret);
    let o = options("");
    let missing = run(&c, &jobs::policy_details(&["NOPE".into()], &["categories".into()]), &o).await.unwrap_err();
    assert_eq!(code_of(&missing, &secrets), "missing_or_not_found");
    let unknown = run(&c, &job(r#"{"type":"frobnicate"}"#), &o).await.unwrap_err();
    assert_eq!(code_of(&unknown, &secrets), "expensify_error");
    assert!(matches!(unknown, Error::ExpensifyError { response_code: 500, .. }), "{unknown:?}");
    let no_template = run(&c, &job(r#"{"type":"file","inputSettings":{"type":"combinedReportData"}}"#), &o).await.unwrap_err();
    assert_eq!(code_of(&no_template, &secrets), "missing_or_not_found");
    let wrong = credential(&id, "not-the-secret");
    assert_eq!(code_of(&run(&wrong, &jobs::policy_list(false), &o).await.unwrap_err(), &secrets), "invalid_credentials");
    let before = expensify_requests().await;
    let injected = run(&c, &job(r#"{"type":"get","credentials":{"partnerUserID":"x","partnerUserSecret":"y"}}"#), &o).await.unwrap_err();
    assert_eq!(code_of(&injected, &secrets), "invalid_job");
    let extra = [("requestJobDescription".to_owned(), "{}".to_owned())];
    assert_eq!(code_of(&send(&c, &jobs::policy_list(false), &extra, &o).await.unwrap_err(), &secrets), "invalid_job");
    assert_eq!(expensify_requests().await, before, "a refused job sends nothing");
}

#[wasm_bindgen_test]
async fn test_connection_tells_the_three_cases_apart() {
    let (id, secret) = partner("conn").await;
    let o = options("");
    let verdict = |r: &Result<ExpensifyResponse, Error>| Connection::of(r).as_str();
    assert_eq!(verdict(&run(&credential(&id, &secret), &jobs::policy_list(false), &o).await), "valid");
    assert_eq!(verdict(&run(&credential(&id, "wrong-secret"), &jobs::policy_list(false), &o).await), "invalid_credentials");
    let down = Credential::new(input("http://127.0.0.1:9", &id, &secret)).unwrap();
    let res = run(&down, &jobs::policy_list(false), &options(r#"{"timeoutMs":2000}"#)).await;
    assert_eq!(verdict(&res), "unreachable");
    assert_eq!(res.err().map(|e| e.code()), Some("network"));
}

#[wasm_bindgen_test]
async fn server_429_timeout_and_html() {
    let (id, secret) = partner("faults").await;
    let secrets = [secret.clone()];
    let c = credential(&id, &secret);
    let o = options(r#"{"timeoutMs":400}"#);
    control("faults", r#"{"endpoint":"expensify","status":429,"headers":{"Retry-After":"7"},"body":"Too Many Requests"}"#).await;
    let e = run(&c, &jobs::policy_list(false), &o).await.unwrap_err();
    assert_eq!(code_of(&e, &secrets), "rate_limited");
    assert_eq!(e, Error::RateLimited { retry_after_ms: Some(7000) });
    control("faults", r#"{"endpoint":"expensify","delayMs":1500}"#).await;
    assert_eq!(code_of(&run(&c, &jobs::policy_list(false), &o).await.unwrap_err(), &secrets), "timeout");
    control("faults", r#"{"endpoint":"expensify","html":true}"#).await;
    assert_eq!(code_of(&run(&c, &jobs::policy_list(false), &o).await.unwrap_err(), &secrets), "invalid_response");
}

#[wasm_bindgen_test]
async fn client_side_limiter_refuses_or_waits() {
    let (id, secret) = partner("limit").await;
    let refuse = credential(&id, &secret);
    let o = options(r#"{"rateLimits":[[2,60000]],"onRateLimit":"refuse"}"#);
    let before = expensify_requests().await;
    run(&refuse, &jobs::policy_list(false), &o).await.unwrap();
    run(&refuse, &jobs::policy_list(false), &o).await.unwrap();
    let e = run(&refuse, &jobs::policy_list(false), &o).await.unwrap_err();
    assert_eq!(code_of(&e, &[]), "rate_limited");
    assert!(matches!(e, Error::RateLimited { retry_after_ms: Some(ms) } if ms > 59_000), "{e:?}");
    assert_eq!(expensify_requests().await - before, 2, "the refused call sent nothing");
    // Another credential for the same partnerUserID shares the page's limiter.
    let twin = credential(&id, &secret);
    let e = run(&twin, &jobs::policy_list(false), &options(r#"{"onRateLimit":"refuse"}"#)).await.unwrap_err();
    assert_eq!(code_of(&e, &[]), "rate_limited", "same partnerUserID");

    let (id, secret) = partner("wait").await;
    let waiter = credential(&id, &secret);
    let o = options(r#"{"rateLimits":[[1,300]]}"#);
    let t0 = js_sys::Date::now();
    run(&waiter, &jobs::policy_list(false), &o).await.unwrap();
    run(&waiter, &jobs::policy_list(false), &o).await.unwrap();
    assert!(js_sys::Date::now() - t0 >= 280.0, "the second call waited for the window");
}

#[wasm_bindgen_test]
fn validation_and_redaction() {
    let secret = "hunter2-partner-secret";
    type Change = fn(&mut CredentialInput);
    let cases: [(Change, &str, &str); 6] = [
        (|i| i.name = "  ".into(), "invalid_credential", "name"),
        (|i| i.partner_user_id = String::new(), "invalid_credential", "partnerUserId"),
        (|i| i.partner_user_secret = PartnerSecret::new(" "), "invalid_credential", "partnerUserSecret"),
        (|i| i.server_url = Some("http://integrations.expensify.com".into()), "insecure_url", "serverUrl"),
        (|i| i.server_url = Some("https://u:p@integrations.expensify.com".into()), "invalid_credential", "serverUrl"),
        (|i| i.server_url = Some("https://integrations.expensify.com/?a=1".into()), "invalid_credential", "serverUrl"),
    ];
    for (change, code, field) in cases {
        let mut i = input("https://integrations.expensify.com", "id", secret);
        change(&mut i);
        let err = Credential::new(i).unwrap_err();
        assert_eq!(code_of(&err, &[secret.to_string()]), code, "{field}");
        assert_eq!(field_of(&err), Some(field), "{field}");
    }
    // What a caller writes as JSON is read strictly.
    let text = format!(r#"{{"name":"n","serverUrl":"{}","partnerUserId":"id","partnerUserSecret":"{secret}"}}"#, emu());
    assert_eq!(Credential::new(CredentialInput::from_json(&text).unwrap()).unwrap().partner_user_id(), "id");
    // A misspelt key is refused, not ignored.
    let misspelt = format!(r#"{{"name":"n","partnerUserId":"id","partnerUserSecret":"{secret}","extra":"x"}}"#);
    assert!(matches!(CredentialInput::from_json(&misspelt), Err(ShapeError::UnknownKey)));
    let pasted = input("https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations", "id", &format!(" {secret} "));
    let c = Credential::new(pasted).unwrap();
    assert_eq!(c.endpoint(), "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations");
    assert_eq!(c.server_url(), "https://integrations.expensify.com");
    assert_eq!(c.secret().expose(), secret, "trimmed");
    let shown = format!("{c:?}");
    assert!(!shown.contains(secret), "{shown}");
}

#[wasm_bindgen_test]
async fn encrypted_store_survives_reopen_and_reports_corruption() {
    let db = unique("store-test");
    let (id, secret) = partner("store").await;
    let secrets = [secret.clone()];
    let store = CredentialStore::open(&db).await.unwrap();
    let first = store.save(&credential(&id, &secret)).await.unwrap();
    let second = store.save(&credential(&id, &secret)).await.unwrap();
    assert_ne!(first, second);
    // A new connection, as after a reload, sees both, oldest first.
    let store = CredentialStore::open(&db).await.unwrap();
    let list = store.list().await.unwrap();
    assert_eq!(list.len(), 2);
    let Listed::Ok(item) = &list[0] else { panic!("the first record is corrupt") };
    assert_eq!(item.id, first);
    assert_eq!(item.name, "Acme");
    assert_eq!(item.partner_user_id, id);
    assert_eq!(item.server_url, emu());
    assert!(item.created_at > 0);
    assert!(!item.to_json().contains(&secret));
    // The raw IndexedDB records hold no plaintext secret anywhere.
    let raw = Array::from(&resolve(raw_records(&db)).await);
    assert_eq!(raw.length(), 2);
    for r in raw.iter() {
        let ct = Uint8Array::new(&get(&r, "secret")).to_vec();
        assert!(!ct.is_empty());
        let as_text: String = ct.iter().map(|b| *b as char).collect();
        assert!(!as_text.contains(&secret));
        assert!(!JSON::stringify(&r).unwrap().as_string().unwrap().contains(&secret));
    }
    // A stored credential decrypts straight into wasm memory, and sends.
    let (loaded, info) = store.get(&first).await.unwrap();
    assert_eq!(info.id, first);
    assert_eq!(loaded.secret().expose(), secret);
    assert!(run(&loaded, &jobs::policy_list(false), &options("")).await.is_ok());
    // Corruption: a junk record and a tampered ciphertext are reported; the rest still work.
    resolve(raw_put(&db, &common::json(r#"{"id":"junk","name":5}"#))).await;
    let tampered = raw.iter().find(|r| get_str(r, "id") == second).unwrap();
    let ct: Uint8Array = get(&tampered, "secret").unchecked_into();
    ct.set_index(0, ct.get_index(0) ^ 1);
    resolve(raw_put(&db, &tampered)).await;
    let list = store.list().await.unwrap();
    assert_eq!(list.len(), 3);
    assert!(matches!(&list[0], Listed::Ok(i) if i.id == first));
    // Both the junk record and the tampered one are listed as corrupt, after the others: the
    // listing opens every seal, so a record is never shown with fields that do not authenticate.
    let mut corrupt: Vec<String> = list[1..]
        .iter()
        .map(|l| match l {
            Listed::Corrupt(id) => id.clone(),
            Listed::Ok(i) => panic!("{} listed as intact", i.id),
        })
        .collect();
    corrupt.sort();
    let mut expected = vec!["junk".to_owned(), second.clone()];
    expected.sort();
    assert_eq!(corrupt, expected);
    assert_eq!(code_of(&store.get("junk").await.unwrap_err(), &secrets), "corrupt_record");
    assert_eq!(code_of(&store.get(&second).await.unwrap_err(), &secrets), "corrupt_record");
    assert!(store.get(&first).await.is_ok());
    // Delete (no error for an id that is not there).
    store.delete(&second).await.unwrap();
    store.delete("junk").await.unwrap();
    store.delete("never-stored").await.unwrap();
    assert_eq!(store.list().await.unwrap().len(), 1);
    store.delete(&first).await.unwrap();
    assert_eq!(code_of(&store.get(&first).await.unwrap_err(), &[]), "credential_not_found");
}

#[wasm_bindgen_test]
async fn a_rewritten_record_field_is_corrupt_and_nothing_is_sent() {
    let db = unique("tamper");
    let (id, secret) = partner("tamper").await;
    let secrets = [secret.clone()];
    let store = CredentialStore::open(&db).await.unwrap();
    let saved = store.save(&credential(&id, &secret)).await.unwrap();
    let original = Array::from(&resolve(raw_records(&db)).await).get(0);
    let capture = format!("{}/capture", emu());
    let captured_before = counter("capture", "captured").await;
    // Script that can write the page's IndexedDB rewrites one stored field at a time.
    let rewrites = [
        ("serverUrl", s(&capture)),
        ("name", s("Evil")),
        ("description", s("changed")),
        ("partnerUserId", s("aa_someone_else")),
        ("createdAt", JsValue::from(1.0)),
        ("v", JsValue::from(1.0)),
    ];
    for (field, value) in rewrites {
        let record = Object::assign(&Object::new(), original.unchecked_ref());
        Reflect::set(&record, &field.into(), &value).unwrap();
        resolve(raw_put(&db, &record)).await;
        let err = store.get(&saved).await.unwrap_err();
        assert_eq!(code_of(&err, &secrets), "corrupt_record", "{field}");
        let listed = store.list().await.unwrap();
        assert!(matches!(&listed[0], Listed::Corrupt(i) if *i == saved), "{field}");
    }
    // The sealed record copied under another id does not open either.
    let moved = Object::assign(&Object::new(), original.unchecked_ref());
    Reflect::set(&moved, &"id".into(), &s("moved-record")).unwrap();
    resolve(raw_put(&db, &moved)).await;
    assert_eq!(code_of(&store.get("moved-record").await.unwrap_err(), &secrets), "corrupt_record");
    // The untouched record still works, and talks to its own server.
    resolve(raw_put(&db, &original)).await;
    let (loaded, _) = store.get(&saved).await.unwrap();
    run(&loaded, &jobs::policy_list(false), &options("")).await.unwrap();
    assert_eq!(counter("capture", "captured").await, captured_before, "nothing reached the capture server");
    // The capture server does count what reaches it (so the check above can fail).
    let probe = Credential::new(input(&capture, "aa_capture_probe", "probe-secret")).unwrap();
    run(&probe, &jobs::policy_list(false), &options("")).await.unwrap();
    assert_eq!(counter("capture", "captured").await, captured_before + 1);
}

#[wasm_bindgen_test]
async fn without_cors_headers_the_network_error_names_cors() {
    let (id, secret) = partner("cors").await;
    let c = credential(&id, &secret);
    let o = options("");
    control("settings", r#"{"expensifyCors":false}"#).await;
    let err = run(&c, &jobs::policy_list(false), &o).await.unwrap_err();
    let verdict = Connection::of(&run(&c, &jobs::policy_list(false), &o).await);
    control("settings", r#"{"expensifyCors":true}"#).await;
    assert_eq!(code_of(&err, &[secret]), "network");
    let message = err.message();
    assert!(message.contains("CORS") && message.contains("serverUrl"), "{message}");
    assert_eq!(verdict, Connection::Unreachable);
    assert!(run(&c, &jobs::policy_list(false), &o).await.is_ok(), "with CORS headers back, the same call works");
}

#[wasm_bindgen_test]
async fn expensify_bodies_are_bounded_and_under_the_deadline() {
    let (id, secret) = partner("bounded").await;
    let secrets = [secret.clone()];
    let c = credential(&id, &secret);
    // Headers, then a stall: the deadline covers the body.
    control("faults", r#"{"endpoint":"expensify","stall":true}"#).await;
    let t0 = js_sys::Date::now();
    let o = options(r#"{"timeoutMs":800,"rateLimits":[[100,1000]]}"#);
    assert_eq!(code_of(&run(&c, &jobs::policy_list(false), &o).await.unwrap_err(), &secrets), "timeout");
    assert!(js_sys::Date::now() - t0 < 5000.0);
    // 40 MiB declared, and 40 MiB streamed without a length: the read stops at 1 MiB. The deadline
    // is long and the pace slow (8 MB/s, 5 s for the whole body), so only the size limit can stop
    // the body early, and neither a busy machine's lag before the abort nor what a browser buffers
    // from a loopback socket at full speed (8 MiB in Firefox) decides the outcome.
    let o = options(r#"{"timeoutMs":20000,"rateLimits":[[100,1000]]}"#);
    for (spec, name) in [
        (r#"{"endpoint":"expensify","hugeBytes":41943040,"paceMs":8,"counter":"xDeclared"}"#, "xDeclared"),
        (r#"{"endpoint":"expensify","hugeBytes":41943040,"undeclared":true,"paceMs":8,"counter":"xUndeclared"}"#, "xUndeclared"),
    ] {
        control("faults", spec).await;
        let err = run(&c, &jobs::policy_list(false), &o).await.unwrap_err();
        // What the server had written when the error came back: the limit (1 MiB) and what the
        // browser buffered, nowhere near the 40 MiB.
        let sent = counter("*", name).await;
        assert_eq!(code_of(&err, &secrets), "invalid_response", "{spec}");
        assert!(sent < 8 * 1024 * 1024, "{spec}: the server wrote {sent} B before the client gave up");
        assert!(sent > 0, "{spec}: the body was written (the counter works)");
    }
}

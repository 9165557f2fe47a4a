//! Expensify credentials in the browser against the emulator's Integration Server: every job
//! type, each failure path with its exact code, the rate limiter, and the encrypted store.
#![cfg(target_arch = "wasm32")]

use expensicat_auth::bindings::{ExpensifyCredential, ExpensifyCredentialStore};
use js_sys::{Array, Object, Promise, Reflect, Uint8Array, JSON};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod common;
use common::*;

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

fn credential(id: &str, secret: &str, options: &str) -> ExpensifyCredential {
    let input = json(&format!(
        r#"{{"name":"Acme","description":"Nightly sync","serverUrl":"{}","partnerUserId":"{id}","partnerUserSecret":"{secret}"}}"#,
        emu()
    ));
    ExpensifyCredential::new(input, if options.is_empty() { None } else { Some(json(options)) }).unwrap()
}

async fn expensify_requests() -> u32 {
    counter("expensify", "expensifyRequests").await
}

#[wasm_bindgen_test]
async fn every_job_type_against_the_emulator() {
    let (id, secret) = partner("jobs").await;
    // Eight jobs in a row: the default 5-per-10 s limit would (rightly) make this test wait.
    let c = credential(&id, &secret, r#"{"rateLimits":[[100,1000]]}"#);
    assert_eq!(c.endpoint(), format!("{}/Integration-Server/ExpensifyIntegrations", emu()));
    let policies = resolve(c.policy_list(None)).await.unwrap();
    assert_eq!(get(&policies, "responseCode").as_f64(), Some(200.0));
    let list = Array::from(&get(&policies, "policyList"));
    assert_eq!(list.length(), 2);
    let pid = get_str(&list.get(0), "id");
    let details = resolve(c.policy_details(JsValue::from(Array::of1(&s(&pid))), None)).await.unwrap();
    assert!(get(&get(&details, "policyInfo"), &pid).is_object());
    let file = resolve(c.export_reports(json(r#"{"startDate":"2026-01-01"}"#), s("<#list reports as r>${r.reportName}</#list>"), None))
        .await
        .unwrap();
    assert_eq!(file.as_string().as_deref(), Some("exportedReport_emulator.csv"));
    let csv = resolve(c.download(file)).await.unwrap();
    assert!(csv.as_string().unwrap().starts_with("Merchant,Amount"));
    let created = resolve(
        c.create_expenses(s("e@example.com"), json(r#"[{"merchant":"Cafe","amount":450,"currency":"USD","created":"2026-10-01"}]"#)),
    )
    .await
    .unwrap();
    assert_eq!(get_str(&Array::from(&get(&created, "transactionList")).get(0), "transactionID"), "1000");
    let report = resolve(c.create_report(s("e@example.com"), s(&pid), s("Trip"), json("[]"))).await.unwrap();
    assert_eq!(get_str(&report, "reportName"), "Trip");
    let generic = resolve(c.send(json(r#"{"type":"get","inputSettings":{"type":"policyList"}}"#), None)).await.unwrap();
    assert_eq!(get(&generic, "responseCode").as_f64(), Some(200.0));
}

#[wasm_bindgen_test]
async fn response_codes_in_the_body_decide() {
    let (id, secret) = partner("codes").await;
    let secrets = [secret.clone()];
    let c = credential(&id, &secret, "");
    let missing = resolve(c.policy_details(JsValue::from(Array::of1(&s("NOPE"))), None)).await.unwrap_err();
    assert_eq!(code_of(&missing, &secrets), "missing_or_not_found");
    let unknown = resolve(c.send(json(r#"{"type":"frobnicate"}"#), None)).await.unwrap_err();
    assert_eq!(code_of(&unknown, &secrets), "expensify_error");
    assert_eq!(get(&unknown, "responseCode").as_f64(), Some(500.0));
    let no_template = resolve(c.send(json(r#"{"type":"file","inputSettings":{"type":"combinedReportData"}}"#), None)).await.unwrap_err();
    assert_eq!(code_of(&no_template, &secrets), "missing_or_not_found");
    let wrong = credential(&id, "not-the-secret", "");
    assert_eq!(code_of(&resolve(wrong.policy_list(None)).await.unwrap_err(), &secrets), "invalid_credentials");
    let injected =
        resolve(c.send(json(r#"{"type":"get","credentials":{"partnerUserID":"x","partnerUserSecret":"y"}}"#), None)).await.unwrap_err();
    assert_eq!(code_of(&injected, &secrets), "invalid_job");
}

#[wasm_bindgen_test]
async fn test_connection_tells_the_three_cases_apart() {
    let (id, secret) = partner("conn").await;
    let ok = resolve(credential(&id, &secret, "").test_connection()).await.unwrap();
    assert_eq!(get_str(&ok, "status"), "valid");
    let bad = resolve(credential(&id, "wrong-secret", "").test_connection()).await.unwrap();
    assert_eq!(get_str(&bad, "status"), "invalid_credentials");
    let input = json(&format!(r#"{{"name":"x","serverUrl":"http://127.0.0.1:9","partnerUserId":"{id}","partnerUserSecret":"{secret}"}}"#));
    let down = ExpensifyCredential::new(input, Some(json(r#"{"timeoutMs":2000}"#))).unwrap();
    let res = resolve(down.test_connection()).await.unwrap();
    assert_eq!(get_str(&res, "status"), "unreachable");
    assert_eq!(get_str(&res, "code"), "network");
}

#[wasm_bindgen_test]
async fn server_429_timeout_and_html() {
    let (id, secret) = partner("faults").await;
    let secrets = [secret.clone()];
    let c = credential(&id, &secret, r#"{"timeoutMs":400}"#);
    control("faults", r#"{"endpoint":"expensify","status":429,"headers":{"Retry-After":"7"},"body":"Too Many Requests"}"#).await;
    let e = resolve(c.policy_list(None)).await.unwrap_err();
    assert_eq!(code_of(&e, &secrets), "rate_limited");
    assert_eq!(get(&e, "retryAfterMs").as_f64(), Some(7000.0));
    control("faults", r#"{"endpoint":"expensify","delayMs":1500}"#).await;
    assert_eq!(code_of(&resolve(c.policy_list(None)).await.unwrap_err(), &secrets), "timeout");
    control("faults", r#"{"endpoint":"expensify","html":true}"#).await;
    assert_eq!(code_of(&resolve(c.policy_list(None)).await.unwrap_err(), &secrets), "invalid_response");
}

#[wasm_bindgen_test]
async fn client_side_limiter_refuses_or_waits() {
    let (id, secret) = partner("limit").await;
    let refuse = credential(&id, &secret, r#"{"rateLimits":[[2,60000]],"onRateLimit":"refuse"}"#);
    let before = expensify_requests().await;
    resolve(refuse.policy_list(None)).await.unwrap();
    resolve(refuse.policy_list(None)).await.unwrap();
    let e = resolve(refuse.policy_list(None)).await.unwrap_err();
    assert_eq!(code_of(&e, &[]), "rate_limited");
    assert!(get(&e, "retryAfterMs").as_f64().unwrap() > 59_000.0);
    assert_eq!(expensify_requests().await - before, 2, "the refused call sent nothing");

    let (id, secret) = partner("wait").await;
    let waiter = credential(&id, &secret, r#"{"rateLimits":[[1,300]]}"#);
    let t0 = js_sys::Date::now();
    resolve(waiter.policy_list(None)).await.unwrap();
    resolve(waiter.policy_list(None)).await.unwrap();
    assert!(js_sys::Date::now() - t0 >= 280.0, "the second call waited for the window");
}

#[wasm_bindgen_test]
fn validation_and_redaction() {
    let secret = "hunter2-partner-secret";
    let cases = [
        (r#""name":"  ""#, "invalid_credential", "name"),
        (r#""partnerUserId":"""#, "invalid_credential", "partnerUserId"),
        (r#""partnerUserSecret":" ""#, "invalid_credential", "partnerUserSecret"),
        (r#""serverUrl":"http://integrations.expensify.com""#, "insecure_url", "serverUrl"),
        (r#""serverUrl":"https://u:p@integrations.expensify.com""#, "invalid_credential", "serverUrl"),
        (r#""serverUrl":"https://integrations.expensify.com/?a=1""#, "invalid_credential", "serverUrl"),
        (r#""extra":"x""#, "invalid_config", "credential"),
    ];
    for (patch, code, field) in cases {
        let text = format!(r#"{{"name":"n","partnerUserId":"id","partnerUserSecret":"{secret}",{patch}}}"#);
        let err = ExpensifyCredential::new(json(&text), None).unwrap_err();
        assert_eq!(code_of(&err, &[secret.to_string()]), code, "{patch}");
        assert_eq!(get_str(&err, "field"), field, "{patch}");
    }
    let pasted = json(&format!(
        r#"{{"name":"n","serverUrl":"https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations","partnerUserId":"id","partnerUserSecret":"{secret}"}}"#
    ));
    let c = ExpensifyCredential::new(pasted, None).unwrap();
    assert_eq!(c.endpoint(), "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations");
    assert_eq!(c.server_url(), "https://integrations.expensify.com");
    let shown = format!("{} {}", c.to_js_string(), JSON::stringify(&c.to_json()).unwrap().as_string().unwrap());
    assert!(!shown.contains(secret), "{shown}");
    let js: JsValue = c.into();
    for key in ["partnerUserSecret", "secret", "partner_user_secret"] {
        assert!(Reflect::get(&js, &key.into()).unwrap().is_undefined(), "{key}");
    }
}

#[wasm_bindgen_test]
async fn encrypted_store_survives_reopen_and_reports_corruption() {
    let db = unique("store-test");
    let (id, secret) = partner("store").await;
    let store = ExpensifyCredentialStore::try_from_js_value(resolve(ExpensifyCredentialStore::open(Some(s(&db)))).await.unwrap()).unwrap();
    let first = resolve(store.save(credential(&id, &secret, "").into())).await.unwrap().as_string().unwrap();
    let second = resolve(store.save(credential(&id, &secret, "").into())).await.unwrap().as_string().unwrap();
    // A new connection, as after a reload, sees both.
    let store = ExpensifyCredentialStore::try_from_js_value(resolve(ExpensifyCredentialStore::open(Some(s(&db)))).await.unwrap()).unwrap();
    let list = Array::from(&resolve(store.list()).await.unwrap());
    assert_eq!(list.length(), 2);
    let item = list.get(0);
    assert_eq!(get_str(&item, "id"), first);
    assert_eq!(get_str(&item, "name"), "Acme");
    assert_eq!(get_str(&item, "partnerUserId"), id);
    assert_eq!(get_str(&item, "serverUrl"), emu());
    assert!(get(&item, "createdAt").as_f64().unwrap() > 0.0);
    let listing = JSON::stringify(&list.clone().into()).unwrap().as_string().unwrap();
    assert!(!listing.contains(&secret), "{listing}");
    // The raw IndexedDB records hold no plaintext secret anywhere.
    let raw = Array::from(&resolve(raw_records(&db)).await.unwrap());
    for r in raw.iter() {
        let ct = Uint8Array::new(&get(&r, "secret")).to_vec();
        assert!(!ct.is_empty());
        let as_text: String = ct.iter().map(|b| *b as char).collect();
        assert!(!as_text.contains(&secret));
        assert!(!JSON::stringify(&r).unwrap().as_string().unwrap().contains(&secret));
    }
    // A stored credential signs and sends without the secret coming back to JS.
    let loaded = ExpensifyCredential::try_from_js_value(resolve(store.get(s(&first), None)).await.unwrap()).unwrap();
    assert_eq!(loaded.id().as_deref(), Some(first.as_str()));
    assert_eq!(get_str(&resolve(loaded.test_connection()).await.unwrap(), "status"), "valid");
    // Corruption: a junk record and a tampered ciphertext are reported; the rest still work.
    resolve(raw_put(&db, &json(r#"{"id":"junk","name":5}"#))).await.unwrap();
    // Tamper with the second credential's ciphertext (raw records come back in key order).
    let tampered = raw.iter().find(|r| get_str(r, "id") == second).unwrap();
    let ct: Uint8Array = get(&tampered, "secret").unchecked_into();
    ct.set_index(0, ct.get_index(0) ^ 1);
    resolve(raw_put(&db, &tampered)).await.unwrap();
    let list = Array::from(&resolve(store.list()).await.unwrap());
    assert_eq!(list.length(), 3);
    assert_eq!(get_str(&list.get(0), "id"), first);
    // Both the junk record and the tampered one are listed as corrupt: the listing opens every
    // seal, so a record is never shown with fields that do not authenticate.
    let mut corrupt: Vec<String> = (1..3).map(|i| get_str(&list.get(i), "id")).collect();
    corrupt.sort();
    let mut expected = vec!["junk".to_owned(), second.clone()];
    expected.sort();
    assert_eq!(corrupt, expected);
    assert!((1..3).all(|i| get_str(&list.get(i), "error") == "corrupt_record"));
    assert_eq!(code_of(&resolve(store.get(s("junk"), None)).await.unwrap_err(), &[]), "corrupt_record");
    let tampered_id = get_str(&tampered, "id");
    assert_eq!(code_of(&resolve(store.get(s(&tampered_id), None)).await.unwrap_err(), &[]), "corrupt_record");
    assert!(resolve(store.get(s(&first), None)).await.is_ok());
    // Delete.
    resolve(store.delete(s(&second))).await.unwrap();
    resolve(store.delete(s("junk"))).await.unwrap();
    assert_eq!(Array::from(&resolve(store.list()).await.unwrap()).length(), 1);
    resolve(store.delete(s(&first))).await.unwrap();
    assert_eq!(code_of(&resolve(store.get(s(&first), None)).await.unwrap_err(), &[]), "credential_not_found");
    let _ = JsFuture::from(Promise::resolve(&JsValue::NULL)).await;
}

#[wasm_bindgen_test]
async fn a_rewritten_record_field_is_corrupt_and_nothing_is_sent() {
    let db = unique("tamper");
    let (id, secret) = partner("tamper").await;
    let secrets = [secret.clone()];
    let store = ExpensifyCredentialStore::try_from_js_value(resolve(ExpensifyCredentialStore::open(Some(s(&db)))).await.unwrap()).unwrap();
    let saved = resolve(store.save(credential(&id, &secret, "").into())).await.unwrap().as_string().unwrap();
    let original = Array::from(&resolve(raw_records(&db)).await.unwrap()).get(0);
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
        resolve(raw_put(&db, &record)).await.unwrap();
        let err = resolve(store.get(s(&saved), None)).await.unwrap_err();
        assert_eq!(code_of(&err, &secrets), "corrupt_record", "{field}");
        let listed = Array::from(&resolve(store.list()).await.unwrap());
        assert_eq!(get_str(&listed.get(0), "error"), "corrupt_record", "{field}");
    }
    // The sealed record copied under another id does not open either.
    let moved = Object::assign(&Object::new(), original.unchecked_ref());
    Reflect::set(&moved, &"id".into(), &s("moved-record")).unwrap();
    resolve(raw_put(&db, &moved)).await.unwrap();
    assert_eq!(code_of(&resolve(store.get(s("moved-record"), None)).await.unwrap_err(), &secrets), "corrupt_record");
    // The untouched record still works, and talks to its own server.
    resolve(raw_put(&db, &original)).await.unwrap();
    let loaded = ExpensifyCredential::try_from_js_value(resolve(store.get(s(&saved), None)).await.unwrap()).unwrap();
    resolve(loaded.policy_list(None)).await.unwrap();
    assert_eq!(counter("capture", "captured").await, captured_before, "nothing reached the capture server");
    // The capture server does count what reaches it (so the check above can fail).
    let input =
        json(&format!(r#"{{"name":"x","serverUrl":"{capture}","partnerUserId":"aa_capture_probe","partnerUserSecret":"probe-secret"}}"#));
    resolve(ExpensifyCredential::new(input, None).unwrap().policy_list(None)).await.unwrap();
    assert_eq!(counter("capture", "captured").await, captured_before + 1);
}

#[wasm_bindgen_test]
async fn without_cors_headers_the_network_error_names_cors() {
    let (id, secret) = partner("cors").await;
    let c = credential(&id, &secret, "");
    control("settings", r#"{"expensifyCors":false}"#).await;
    let err = resolve(c.policy_list(None)).await.unwrap_err();
    let verdict = resolve(c.test_connection()).await.unwrap();
    control("settings", r#"{"expensifyCors":true}"#).await;
    assert_eq!(code_of(&err, &[secret]), "network");
    let message = String::from(err.unchecked_ref::<js_sys::Error>().message());
    assert!(message.contains("CORS") && message.contains("serverUrl"), "{message}");
    assert_eq!(get_str(&verdict, "status"), "unreachable");
    assert!(resolve(c.policy_list(None)).await.is_ok(), "with CORS headers back, the same call works");
}

#[wasm_bindgen_test]
async fn expensify_bodies_are_bounded_and_under_the_deadline() {
    let (id, secret) = partner("bounded").await;
    let secrets = [secret.clone()];
    let c = credential(&id, &secret, r#"{"timeoutMs":800,"rateLimits":[[100,1000]]}"#);
    // Headers, then a stall: the deadline covers the body.
    control("faults", r#"{"endpoint":"expensify","stall":true}"#).await;
    let t0 = js_sys::Date::now();
    assert_eq!(code_of(&resolve(c.policy_list(None)).await.unwrap_err(), &secrets), "timeout");
    assert!(js_sys::Date::now() - t0 < 5000.0);
    // 40 MiB declared, and 40 MiB streamed without a length: the read stops at 1 MiB. The deadline
    // is long and the pace slow (8 MB/s, 5 s for the whole body), so only the size limit can stop
    // the body early, and neither a busy machine's lag before the abort nor what a browser buffers
    // from a loopback socket at full speed (8 MiB in Firefox) decides the outcome.
    let c = credential(&id, &secret, r#"{"timeoutMs":20000,"rateLimits":[[100,1000]]}"#);
    for (spec, name) in [
        (r#"{"endpoint":"expensify","hugeBytes":41943040,"paceMs":8,"counter":"xDeclared"}"#, "xDeclared"),
        (r#"{"endpoint":"expensify","hugeBytes":41943040,"undeclared":true,"paceMs":8,"counter":"xUndeclared"}"#, "xUndeclared"),
    ] {
        control("faults", spec).await;
        let err = resolve(c.policy_list(None)).await.unwrap_err();
        // What the server had written when the error came back: the limit (1 MiB) and what the
        // browser buffered, nowhere near the 40 MiB.
        let sent = counter("*", name).await;
        assert_eq!(code_of(&err, &secrets), "invalid_response", "{spec}");
        assert!(sent < 8 * 1024 * 1024, "{spec}: the server wrote {sent} B before the client gave up");
        assert!(sent > 0, "{spec}: the body was written (the counter works)");
    }
}

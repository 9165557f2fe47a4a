//! Browser tests of the exported API (run by `wasm-pack test --headless --chrome/--firefox`):
//! the same RFC vectors and hostile inputs as the native suite, through the JS-facing functions.
#![cfg(target_arch = "wasm32")]

use expensicat_auth::bindings as api;
use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

wasm_bindgen_test_configure!(run_in_browser);

const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

fn json(s: &str) -> JsValue {
    JSON::parse(s).unwrap()
}

fn config() -> JsValue {
    json(r#"{"clientId":"demo-client","redirectUri":"https://app.example/callback","scopes":["transactions:read"]}"#)
}

/// The low-level functions that need the configuration, validated once.
fn client() -> api::ExpensicatClient {
    api::ExpensicatClient::new(config()).unwrap()
}

/// The `code` of a thrown error, after checking it is a real `Error` whose text, `Debug` and JSON
/// carry none of `secrets`.
fn code_of(err: JsValue, secrets: &[&str]) -> String {
    let e: js_sys::Error = err.clone().dyn_into().expect("an Error object");
    assert_eq!(String::from(e.name()), "ExpensicatAuthError");
    let text = format!("{} {:?} {}", String::from(e.message()), err, String::from(e.to_string()));
    let json = JSON::stringify(&err).map(String::from).unwrap_or_default();
    for s in secrets {
        assert!(!text.contains(s) && !json.contains(s), "secret leaked: {text}");
    }
    get_str(&err, "code")
}

#[wasm_bindgen_test]
fn rfc7636_vector_through_the_export() {
    assert_eq!(api::code_challenge_s256(s(RFC_VERIFIER)).unwrap(), RFC_CHALLENGE);
    for bad in ["", "short", &"a".repeat(129), &format!("{}+", "a".repeat(42))] {
        assert_eq!(code_of(api::code_challenge_s256(s(bad)).unwrap_err(), &[]), "invalid_verifier");
    }
}

#[wasm_bindgen_test]
fn create_pkce_uses_the_csprng() {
    let a = api::create_pkce().unwrap();
    let b = api::create_pkce().unwrap();
    let (va, vb) = (get_str(&a, "verifier"), get_str(&b, "verifier"));
    assert_eq!(va.len(), 43);
    assert_ne!(va, vb);
    assert_eq!(Some(get_str(&a, "challenge")), api::code_challenge_s256(s(&va)).unwrap().as_string());
    assert_eq!(get_str(&a, "method"), "S256");
    let s = api::generate_state().unwrap().as_string().unwrap();
    assert_eq!(s.len(), 43);
    assert_ne!(Some(s), api::generate_state().unwrap().as_string());
}

#[wasm_bindgen_test]
fn authorize_url_exact_and_hostile() {
    let p = json(&format!(
        r#"{{"clientId":"demo-client","redirectUri":"https://app.example/callback","scopes":["transactions:read","team:read","team:read"],
            "codeChallenge":"{RFC_CHALLENGE}","state":"af0ifjsldkjAAAAAAAAAAAAAAAAAA","extraParams":[["login_hint","a b&c=d#é"]]}}"#
    ));
    assert_eq!(
        api::build_authorize_url(p).unwrap(),
        format!(
            "https://api.expensicat.com/api/auth/oauth2/authorize?client_id=demo-client&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback\
             &response_type=code&scope=transactions%3Aread+team%3Aread&code_challenge={RFC_CHALLENGE}&code_challenge_method=S256\
             &state=af0ifjsldkjAAAAAAAAAAAAAAAAAA&login_hint=a+b%26c%3Dd%23%C3%A9"
        )
    );
    let cases = [
        (r#""redirectUri":"http://app.example/cb""#, "insecure_url"),
        (r#""scopes":["root"]"#, "invalid_scope"),
        (r#""state":"x""#, "invalid_parameter"),
        (r#""extraParams":[["state","evil"]]"#, "invalid_parameter"),
        (r#""clientSecret":"s3cr3t""#, "invalid_config"),
    ];
    for (patch, code) in cases {
        let base = format!(
            r#"{{"clientId":"c","redirectUri":"https://app.example/cb","scopes":["transactions:read"],"codeChallenge":"{RFC_CHALLENGE}","state":"af0ifjsldkjAAAAAAAAAAAAAAAAAA"}}"#
        );
        let patched = format!("{},{}}}", &base[..base.len() - 1], patch);
        // Later keys win in JSON.parse, so the patch overrides the base.
        let err = api::build_authorize_url(json(&patched)).expect_err(patch);
        assert_eq!(code_of(err, &["s3cr3t"]), code, "{patch}");
    }
}

#[wasm_bindgen_test]
fn login_callback_token_request_round_trip() {
    let start = client().create_login(None).unwrap();
    let url = get_str(&start, "url");
    let state = get_str(&start, "state");
    let tx = get_str(&start, "transaction");
    let verifier = get_str(&json(&tx), "verifier");
    assert!(url.contains(&format!("state={state}")));
    assert!(!url.contains(&verifier));
    assert!(get(&start, "expiresAt").as_f64().unwrap() > js_sys::Date::now());

    let cb = format!("https://app.example/callback?code=SplxlOBeZQQYbYS6WxSbIA&state={state}");
    let validated = client().parse_callback(s(&cb), s(&tx)).unwrap();
    assert_eq!(JSON::stringify(&validated.requested_scopes()).unwrap().as_string().unwrap(), r#"["transactions:read"]"#);
    assert!(!validated.to_js_string().as_string().unwrap().contains("Splx"));
    let req = client().token_request(validated.into()).unwrap();
    assert_eq!(get_str(&req, "url"), "https://api.expensicat.com/api/auth/oauth2/token");
    assert_eq!(get_str(&req, "method"), "POST");
    assert_eq!(get_str(&get(&req, "headers"), "Content-Type"), "application/json");
    assert_eq!(
        get_str(&req, "body"),
        format!(
            r#"{{"grant_type":"authorization_code","code":"SplxlOBeZQQYbYS6WxSbIA","redirect_uri":"https://app.example/callback","client_id":"demo-client","code_verifier":"{verifier}"}}"#
        )
    );
}

#[wasm_bindgen_test]
fn hostile_callbacks_through_the_export() {
    let start = client().create_login(None).unwrap();
    let state = get_str(&start, "state");
    let tx = get_str(&start, "transaction");
    let verifier = get_str(&json(&tx), "verifier");
    let other = get_str(&client().create_login(None).unwrap(), "state");
    let cb = "https://app.example/callback";
    let cases = [
        (format!("{cb}?code=c&state={state}&state={state}"), "duplicate_parameter"),
        (format!("{cb}?code=c"), "missing_state"),
        (format!("{cb}?code=c&state={other}"), "state_mismatch"),
        (format!("{cb}#code=c&state={state}"), "fragment_response"),
        (format!("https://app.example/callback.evil?code=c&state={state}"), "redirect_uri_mismatch"),
        (format!("{cb}?error=access_denied&state={state}"), "access_denied"),
        (format!("{cb}?code=c&state={state}&iss=https%3A%2F%2Fevil.example"), "issuer_mismatch"),
        (format!("{cb}?code=a%0Ab&state={state}"), "invalid_callback"),
    ];
    for (url, code) in cases {
        let err = client().parse_callback(s(&url), s(&tx)).unwrap_err();
        assert_eq!(code_of(err, &[&verifier]), code, "{url}");
    }
    let err = client().parse_callback(s(&format!("{cb}?code=c&state={state}")), s("{}")).unwrap_err();
    assert_eq!(code_of(err, &[]), "invalid_transaction");
}

#[wasm_bindgen_test]
fn token_responses_and_errors() {
    let ok = api::parse_token_response(
        JsValue::from(200),
        s(r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","scope":"transactions:read"}"#),
        Some(JsValue::from(1000.0)),
    )
    .unwrap();
    assert_eq!(get_str(&ok, "accessToken"), "2YotnFZFEjr1zCsicMWpAA");
    assert_eq!(get_str(&ok, "tokenType"), "Bearer");
    assert_eq!(get(&ok, "expiresAt").as_f64(), Some(3_601_000.0));
    assert_eq!(get_str(&ok, "refreshToken"), "tGzv3JOkF0XG5Qx2TlKWIA");
    let cases = [
        (400, r#"{"error":"invalid_grant","error_description":"reused"}"#, "invalid_grant"),
        (200, "<html>oops</html>", "invalid_response"),
        (200, r#"{"access_token":"a","token_type":"mac"}"#, "unsupported_token_type"),
        (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#, "invalid_response"),
        (500, "", "invalid_response"),
    ];
    for (status, body, code) in cases {
        let err = api::parse_token_response(JsValue::from(status), s(body), None).unwrap_err();
        if code != "unsupported_token_type" {
            assert_eq!(get(&err, "status").as_f64(), Some(f64::from(status)), "{body}");
        }
        assert_eq!(code_of(err, &[]), code, "{body}");
    }
}

#[wasm_bindgen_test]
fn signing_only_for_the_api_origin() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
    let signed = client().sign_request(s(jwt), s("get"), s("/v1/transactions?limit=20"), None).unwrap();
    assert_eq!(get_str(&signed, "url"), "https://api.expensicat.com/api/v1/transactions?limit=20");
    assert_eq!(get_str(&get(&signed, "headers"), "Authorization"), format!("Bearer {jwt}"));
    for url in ["https://evil.example/api/v1", "//evil.example/x", "http://api.expensicat.com/api/v1"] {
        assert_eq!(code_of(client().sign_request(s(jwt), s("GET"), s(url), None).unwrap_err(), &[jwt]), "origin_not_allowed", "{url}");
    }
    assert_eq!(code_of(client().sign_request(s("a\r\nb"), s("GET"), s("/v1/x"), None).unwrap_err(), &[]), "invalid_token");
}

#[wasm_bindgen_test]
fn scopes_and_helpers() {
    let list: js_sys::Array = api::list_scopes().dyn_into().unwrap();
    assert_eq!(list.length(), 13);
    assert_eq!(get_str(&list.get(12), "name"), "analytics:read");
    assert_eq!(api::required_scope(s("POST"), s("/v1/transactions")).unwrap().as_string().as_deref(), Some("transactions:write"));
    assert!(api::required_scope(s("GET"), s("/v1/nothing")).unwrap().is_undefined());
    assert_eq!(api::strip_callback_params(s("https://a.example/cb?tab=1&code=x&state=y#r")).unwrap(), "https://a.example/cb?tab=1#r");
    let _ = Object::new();
}

/// The hostile-input corpus through the exported functions: exact codes, no secret in any error,
/// and no panic (in wasm a panic aborts the module, so the final call would fail).
#[wasm_bindgen_test]
fn hostile_corpus_through_the_exports() {
    use expensicat_auth::bindings::ExpensifyClient;
    use expensicat_auth::fuzzing::{expand, secret_markers};
    let file: serde_json::Value = serde_json::from_str(include_str!("corpus/hostile.json")).unwrap();
    let cases = file["cases"].as_array().unwrap();
    for case in cases {
        let field = |k: &str| case[k].as_str().unwrap_or_default().to_owned();
        // A case may name the client's issuer (the default is Expensicat's).
        let client = match case["issuer"].as_str() {
            Some(issuer) => {
                let c = config();
                Reflect::set(&c, &s("issuer"), &s(issuer)).unwrap();
                api::ExpensicatClient::new(c).unwrap()
            }
            None => client(),
        };
        let start = client.create_login(None).unwrap();
        let (state, tx) = (get_str(&start, "state"), get_str(&start, "transaction"));
        let verifier = get_str(&json(&tx), "verifier");
        let (input, result) = match field("kind").as_str() {
            "callback" => {
                let url = expand(&field("url"), &state);
                (url.clone(), client.parse_callback(s(&url), s(&tx)).map(JsValue::from))
            }
            "token" => {
                let body = expand(&field("body"), &state);
                (
                    body.clone(),
                    api::parse_token_response(JsValue::from(case["status"].as_u64().unwrap() as f64), s(&body), Some(JsValue::from(0.0))),
                )
            }
            "expensify" => {
                let body = expand(&field("body"), &state);
                let expects = if field("expects") == "file_name" { "fileName".to_owned() } else { field("expects") };
                (
                    body.clone(),
                    api::parse_expensify_response(
                        JsValue::from(case["status"].as_u64().unwrap() as f64),
                        s(&body),
                        Some(s(&expects)),
                        None,
                        None,
                    ),
                )
            }
            "api" => {
                let (body, header) = (expand(&field("body"), &state), expand(&field("header"), &state));
                let status = JsValue::from(case["status"].as_u64().unwrap() as f64);
                let e =
                    api::api_error(status, s(&body), JsValue::UNDEFINED, s(&header), JsValue::from(0.0), s("GET"), s("/v1/transactions"));
                (format!("{header}\n{body}"), Err(e.unwrap()))
            }
            "login" => {
                let options = expand(&field("options"), &state);
                (options.clone(), client.create_login(Some(json(&options))))
            }
            "transaction" => {
                let (url, app_state) = (expand(&field("url"), &state), expand(&field("appState"), &state));
                let stored = format!("{},\"appState\":{app_state}}}", &tx[..tx.len() - 1]);
                (url.clone() + &app_state, client.parse_callback(s(&url), s(&stored)).map(JsValue::from))
            }
            "credential" => {
                let input = case["input"].to_string();
                (input.clone(), ExpensifyClient::new(json(&input), None).map(JsValue::from))
            }
            "par" => {
                let body = expand(&field("body"), &state);
                let config = json(
                    r#"{"clientId":"demo-client","redirectUri":"https://app.example/callback","par":true,"pushedAuthorizationRequestEndpoint":"https://api.expensicat.com/par"}"#,
                );
                let status = JsValue::from(case["status"].as_u64().unwrap() as f64);
                (body.clone(), api::ExpensicatClient::new(config).unwrap().pushed_authorize_url(status, s(&body)))
            }
            "metadata" => {
                let body = expand(&field("body"), &state);
                let config = json(r#"{"clientId":"demo-client","redirectUri":"https://app.example/callback"}"#);
                let status = JsValue::from(case["status"].as_u64().unwrap() as f64);
                (body.clone(), api::ExpensicatClient::discovery(s(&field("issuer")), config, JsValue::from(1.0), status, s(&body)))
            }
            "dpop_key" => {
                let proof = serde_json::json!({
                    "jkt": field("jkt"), "x": field("x"), "y": field("y"), "method": "GET", "url": "https://api.expensicat.com/api/v1/x", "nowMs": 0
                });
                (format!("{} {}", field("x"), field("y")), client.dpop_signing_input(json(&proof.to_string())))
            }
            other => panic!("unknown kind {other}"),
        };
        let note = field("note");
        match result {
            Ok(_) => assert_eq!(field("code"), "ok", "{note}"),
            Err(err) => {
                let secrets: Vec<String> = secret_markers(&input).into_iter().chain([verifier]).collect();
                let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
                assert_eq!(code_of(err.clone(), &refs), field("code"), "{note}");
                if field("kind") == "credential" {
                    assert_eq!(get_str(&err, "field"), field("field"), "{note}");
                }
            }
        }
    }
    // Still alive: nothing above aborted the module.
    assert_eq!(api::code_challenge_s256(s(RFC_VERIFIER)).unwrap(), RFC_CHALLENGE);
}

//! The hostile-input corpus (tests/corpus/hostile.json) against the native core: every case gets
//! its exact error code, no case panics, and no error shows a secret.
#![cfg(not(target_arch = "wasm32"))]

use expensicat_auth::fuzzing::{config, config_with_issuer, expand, secret_markers, transaction_for};
use expensicat_auth::protocol::config::{ClientConfig, ClientConfigInput};
use expensicat_auth::protocol::discovery::read_metadata;
use expensicat_auth::protocol::dpop::PublicKey;
use expensicat_auth::protocol::expensify::{parse_response, Credential, CredentialInput, Expect};
use expensicat_auth::protocol::json::FromJson;
use expensicat_auth::protocol::par::parse_par_response;
use expensicat_auth::protocol::session::api_error;
use expensicat_auth::protocol::token::parse_token_response;
use expensicat_auth::protocol::transaction::LoginTransaction;
use expensicat_auth::{parse_callback, start_login, Error, LoginRequest};
use serde_json::Value;

fn outcome<T>(r: Result<T, Error>) -> (String, Option<Error>) {
    match r {
        Ok(_) => ("ok".into(), None),
        Err(e) => (e.code().to_owned(), Some(e)),
    }
}

/// The corpus configuration with pushed authorization requests.
fn par_config() -> ClientConfig {
    let input = ClientConfigInput {
        pushed_authorization_request_endpoint: Some("https://api.expensicat.com/par".into()),
        par: true,
        ..Default::default()
    };
    ClientConfig::new(ClientConfigInput { client_id: config().client_id().into(), redirect_uri: config().redirect_uri().into(), ..input })
        .unwrap()
}

#[test]
fn every_hostile_case_gets_its_exact_code_and_leaks_nothing() {
    let file: Value = serde_json::from_str(include_str!("corpus/hostile.json")).unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 60, "the corpus shrank to {}", cases.len());
    for case in cases {
        // A case may name the client's issuer (the default is Expensicat's).
        let config = case["issuer"].as_str().map_or_else(config, config_with_issuer);
        let tx = transaction_for(&config);
        let state = tx.state().to_owned();
        let verifier = tx.to_storage().split("\"verifier\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let s = |k: &str| case[k].as_str().unwrap_or_default().to_owned();
        let (input, (code, err)) = match s("kind").as_str() {
            "callback" => {
                let url = expand(&s("url"), &state);
                (url.clone(), outcome(parse_callback(&config, &url, tx, 1)))
            }
            "token" => {
                let body = expand(&s("body"), &state);
                (body.clone(), outcome(parse_token_response(case["status"].as_u64().unwrap() as u16, &body, 0)))
            }
            "expensify" => {
                let body = expand(&s("body"), &state);
                let expects = match s("expects").as_str() {
                    "file_name" => Expect::FileName,
                    "file" => Expect::File,
                    _ => Expect::Json,
                };
                (body.clone(), outcome(parse_response(case["status"].as_u64().unwrap() as u16, &body, None, expects)))
            }
            "api" => {
                let (body, header) = (expand(&s("body"), &state), expand(&s("header"), &state));
                let status = case["status"].as_u64().unwrap() as u16;
                let e = api_error(status, &body, None, Some(&header), 0, "GET", "/v1/transactions");
                (format!("{header}\n{body}"), outcome::<()>(Err(e)))
            }
            "login" => {
                let options = expand(&s("options"), &state);
                let request = LoginRequest::from_json(&options).unwrap();
                (options, outcome(start_login(&config, &request, &[7; 64], 0)))
            }
            "transaction" => {
                let (url, app_state) = (expand(&s("url"), &state), expand(&s("appState"), &state));
                let stored = tx.to_storage();
                let stored = format!("{},\"appState\":{app_state}}}", &stored[..stored.len() - 1]);
                let result = LoginTransaction::from_storage(&stored).and_then(|tx| parse_callback(&config, &url, tx, 1));
                (url + &app_state, outcome(result))
            }
            "credential" => {
                let input = CredentialInput::from_json(&case["input"].to_string()).unwrap();
                (case["input"].to_string(), outcome(Credential::new(input)))
            }
            "par" => {
                let body = expand(&s("body"), &state);
                let status = case["status"].as_u64().unwrap() as u16;
                (body.clone(), outcome(parse_par_response(&par_config(), status, &body, 0)))
            }
            "metadata" => {
                let body = expand(&s("body"), &state);
                let status = case["status"].as_u64().unwrap() as u16;
                let app = r#"{"clientId":"demo-client","redirectUri":"https://app.example/callback"}"#;
                (body.clone(), outcome(read_metadata(&s("issuer"), app, 1, status, &body)))
            }
            "dpop_key" => {
                let (x, y) = (s("x"), s("y"));
                let key = PublicKey::new(&x, &y).and_then(|k| {
                    let named = k.thumbprint() == s("jkt");
                    named.then_some(k).ok_or(Error::InvalidParameter { name: "jkt".into(), reason: "is not the thumbprint of this key" })
                });
                (format!("{x} {y}"), outcome(key))
            }
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(code, s("code"), "{}: {}", s("kind"), s("note"));
        if let Some(e) = err {
            let shown = format!("{e} {e:?}");
            for secret in secret_markers(&input).into_iter().chain([verifier]) {
                assert!(!shown.contains(&secret), "{}: error shows {secret}: {shown}", s("note"));
            }
            if s("kind") == "credential" {
                let field = match &e {
                    Error::InvalidCredential { field, .. } | Error::InsecureUrl { field } => *field,
                    _ => "",
                };
                assert_eq!(field, s("field"), "{}", s("note"));
            }
        }
    }
}

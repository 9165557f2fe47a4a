//! The session's Rust API, as a Rust front-end uses it (`examples/rust_frontend.rs`), against the
//! local emulator in headless Chromium and Firefox: no JavaScript bindings involved.
#![cfg(target_arch = "wasm32")]

use expensicat_auth::protocol::session::SessionMode;
use expensicat_auth::web::session::{FetchError, Session};
use expensicat_auth::{ClientConfig, ClientConfigInput, Error, LoginRequest};
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod common;
use common::*;

fn redirect_uri() -> String {
    let loc = web_sys::window().unwrap().location();
    format!("{}{}", loc.origin().unwrap(), loc.pathname().unwrap())
}

#[wasm_bindgen_test]
async fn a_rust_front_end_signs_in_calls_the_api_refreshes_and_signs_out() {
    let id = format!("rustapi-{}", js_sys::Math::random().to_bits() % 1_000_000_007);
    control("clients", &format!(r#"{{"clientId":"{id}","redirectUris":["{}"]}}"#, redirect_uri())).await;
    let config = ClientConfig::new(ClientConfigInput {
        client_id: id.clone(),
        redirect_uri: redirect_uri(),
        issuer: Some(emu().into()),
        scopes: vec!["transactions:read".into()],
        share_across_tabs: Some(false),
        ..Default::default()
    })
    .unwrap();
    let session = Session::new(config).unwrap();
    session.ready().await;
    assert!(session.info().is_none());

    // Sign in: the authorize URL, consent (auto-approved by the emulator), the callback.
    let login = LoginRequest { extra_params: vec![("auto_approve".into(), "json".into())], ..Default::default() };
    let url = session.start_login(&login).unwrap();
    let callback = get_str(&call(&url, "GET", "").await, "location");
    let info = session.handle_callback(Some(&callback)).await.unwrap();
    assert_eq!(info.scopes, ["transactions:read"]);
    assert!(info.has_refresh_token);
    assert_eq!(info.mode, SessionMode::OAuth);
    assert_eq!(counter(&id, "tokenRequests").await, 1);
    // The same callback again in this page shares the first exchange: no second token request.
    assert_eq!(session.handle_callback(Some(&callback)).await.unwrap(), info);
    assert_eq!(counter(&id, "tokenRequests").await, 1);

    // Call the API.
    let page = session.clone().fetch_json("/v1/transactions?limit=3".into(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(Array::from(&get(&page, "data")).length(), 3);
    let token = session.valid_token(None).await.unwrap();

    // Refresh: a new access token, the session goes on.
    let refreshed = session.refresh().await.unwrap();
    assert!(refreshed.has_refresh_token);
    assert_ne!(session.valid_token(None).await.unwrap().expose(), token.expose());
    assert_eq!(counter(&id, "tokenRequests").await, 2);

    // Typed errors: a foreign origin is refused before any request; the app's abort reason
    // comes back as it is.
    let calls = counter(&id, "apiCalls").await;
    match session.clone().fetch_json("https://evil.example/v1/x".into(), JsValue::UNDEFINED).await {
        Err(FetchError::Auth(Error::OriginNotAllowed)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(counter(&id, "apiCalls").await, calls);
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort_with_reason(&"user left the page".into());
    let init = js_sys::Object::new();
    Reflect::set(&init, &"signal".into(), &controller.signal()).unwrap();
    match session.clone().fetch_json("/v1/transactions".into(), init.into()).await {
        Err(FetchError::Aborted(reason)) => assert_eq!(reason.as_string().as_deref(), Some("user left the page")),
        other => panic!("{other:?}"),
    }

    // Sign out: the session is gone, and so is access.
    session.logout().await;
    assert!(session.info().is_none());
    match session.clone().fetch_json("/v1/transactions".into(), JsValue::UNDEFINED).await {
        Err(FetchError::Auth(Error::LoginRequired)) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(session.refresh().await, Err(Error::LoginRequired)));
}

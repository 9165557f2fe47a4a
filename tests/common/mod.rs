//! Helpers shared by the browser tests that talk to the local emulator.
#![allow(dead_code)]

use js_sys::{Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    pub fn js_fetch(url: &str, init: &JsValue) -> Promise;
}

pub fn emu() -> &'static str {
    match option_env!("EXPENSICAT_EMULATOR_URL") {
        Some(url) => url,
        None => panic!("run through `npm test`, which starts the emulator and sets EXPENSICAT_EMULATOR_URL"),
    }
}

pub fn json(s: &str) -> JsValue {
    JSON::parse(s).unwrap()
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

pub async fn call(url: &str, method: &str, body: &str) -> JsValue {
    let init = json(&format!(r#"{{"method":"{method}","headers":{{"Content-Type":"application/json"}}}}"#));
    if method != "GET" {
        Reflect::set(&init, &"body".into(), &body.into()).unwrap();
    }
    let res: web_sys::Response = JsFuture::from(js_fetch(url, &init)).await.unwrap().unchecked_into();
    JsFuture::from(res.json().unwrap()).await.unwrap_or(JsValue::NULL)
}

pub async fn control(path: &str, body: &str) -> JsValue {
    call(&format!("{}/__emulator/{path}", emu()), "POST", body).await
}

pub async fn counter(client: &str, name: &str) -> u32 {
    let c = call(&format!("{}/__emulator/counters?client_id={client}", emu()), "GET", "").await;
    get(&c, name).as_f64().unwrap_or(0.0) as u32
}

pub async fn resolve(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// The error code, after checking the error is a real `Error` whose visible text holds none of
/// `secrets`.
pub fn code_of(err: &JsValue, secrets: &[String]) -> String {
    assert!(err.is_instance_of::<js_sys::Error>(), "not an Error: {err:?}");
    let e: &js_sys::Error = err.unchecked_ref();
    let text = format!(
        "{} {} {:?} {}",
        String::from(e.message()),
        String::from(e.to_string()),
        err,
        JSON::stringify(err).map(String::from).unwrap_or_default()
    );
    for s in secrets {
        assert!(!text.contains(s.as_str()), "secret leaked: {text}");
    }
    get_str(err, "code")
}

/// A JS string, as the app passes one.
pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

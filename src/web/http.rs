//! `fetch` with a timeout (an `AbortController` fired by `setTimeout`), `redirect: "manual"`,
//! no cookies, and typed errors: a timeout is [`Error::Timeout`], any other failure to get a
//! response (refused, dropped, CORS) is [`Error::Network`].

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, Request, RequestInit, RequestRedirect, Response};

use crate::core::error::{Error, Result};
use crate::core::token::TokenRequest;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &Request) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Aborts a controller after a delay, unless dropped first. Remembers whether it fired, so an
/// abort can be told apart from a network failure.
pub struct Timer {
    id: JsValue,
    fired: Rc<Cell<bool>>,
    _closure: Closure<dyn FnMut()>,
}

impl Timer {
    /// Arms the timer.
    pub fn abort_after(controller: &AbortController, ms: u64) -> Self {
        let fired = Rc::new(Cell::new(false));
        let (flag, ctl) = (fired.clone(), controller.clone());
        let closure = Closure::<dyn FnMut()>::new(move || {
            flag.set(true);
            ctl.abort();
        });
        let id = set_timeout(closure.as_ref().unchecked_ref(), ms.min(i32::MAX as u64) as i32);
        Timer { id, fired, _closure: closure }
    }

    /// Whether the timeout has fired.
    pub fn fired(&self) -> bool {
        self.fired.get()
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u64) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms.min(i32::MAX as u64) as i32);
    });
    let _ = JsFuture::from(p).await;
}

fn fail(timer: &Timer) -> Error {
    if timer.fired() {
        Error::Timeout
    } else {
        Error::Network
    }
}

/// A response with its body read as text.
pub struct TextResponse {
    /// The HTTP status (0 for an opaque redirect).
    pub status: u16,
    /// The body.
    pub body: String,
    /// The `Retry-After` header, if exposed.
    pub retry_after: Option<String>,
}

async fn read_text(response: Response, timer: &Timer) -> Result<TextResponse> {
    let retry_after = response.headers().get("Retry-After").ok().flatten();
    let status = response.status();
    let text = response.text().map_err(|_| Error::Network)?;
    let body = JsFuture::from(text).await.map_err(|_| fail(timer))?.as_string().unwrap_or_default();
    Ok(TextResponse { status, body, retry_after })
}

/// POSTs a token request and reads the answer as text, all within `timeout_ms`.
///
/// # Errors
/// [`Error::Timeout`], [`Error::Network`], or [`Error::InvalidResponse`] for a redirect.
pub async fn post_token_request(req: &TokenRequest, timeout_ms: u64) -> Result<TextResponse> {
    post(&req.url, req.content_type, req.body.expose(), timeout_ms).await
}

/// POSTs `body` as `content_type` to `url` (no cookies, no cache, no redirects) and reads the
/// answer as text, all within `timeout_ms`.
///
/// # Errors
/// [`Error::Timeout`], [`Error::Network`], or [`Error::InvalidResponse`] for a redirect.
pub async fn post(url: &str, content_type: &str, body: &str, timeout_ms: u64) -> Result<TextResponse> {
    let controller = AbortController::new().map_err(|_| Error::Network)?;
    let timer = Timer::abort_after(&controller, timeout_ms);
    let headers = Headers::new().map_err(|_| Error::Network)?;
    headers.set("Content-Type", content_type).map_err(|_| Error::Network)?;
    headers.set("Accept", "application/json").map_err(|_| Error::Network)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&controller.signal()));
    let _ = Reflect::set(&init, &"credentials".into(), &"omit".into());
    let _ = Reflect::set(&init, &"cache".into(), &"no-store".into());
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| Error::Network)?;
    let response: Response = JsFuture::from(global_fetch(&request)).await.map_err(|_| fail(&timer))?.unchecked_into();
    if response.type_() == web_sys::ResponseType::Opaqueredirect {
        return Err(Error::InvalidResponse { status: 0, reason: "the server answered with a redirect, which is not followed" });
    }
    read_text(response, &timer).await
}

/// Sends an API request: the caller's `init` (method, body, headers...) is copied, the
/// `Authorization` header set, `redirect` forced to `manual`, and a timeout added (combined with
/// the caller's own `signal` when the browser has `AbortSignal.any`).
///
/// # Errors
/// `Err(Ok(error))` for [`Error::Timeout`]/[`Error::Network`]/redirects, `Err(Err(value))` to
/// re-throw the caller's own abort reason unchanged.
pub async fn send_api(
    url: &str,
    authorization: &str,
    init: &JsValue,
    timeout_ms: u64,
) -> Result<Response, core::result::Result<Error, JsValue>> {
    let controller = AbortController::new().map_err(|_| Ok(Error::Network))?;
    let timer = Timer::abort_after(&controller, timeout_ms);
    let obj = Object::new();
    if init.is_object() {
        Object::assign(&obj, init.unchecked_ref());
    }
    let user_headers = Reflect::get(&obj, &"headers".into()).unwrap_or(JsValue::UNDEFINED);
    let headers = if user_headers.is_undefined() || user_headers.is_null() {
        Headers::new()
    } else {
        Headers::new_with_str_sequence_sequence(&user_headers)
    }
    .map_err(|_| Ok(Error::InvalidParameter { name: "headers".into(), reason: "are not valid fetch headers" }))?;
    headers.set("Authorization", authorization).map_err(|_| Ok(Error::InvalidToken))?;
    let user_signal: Option<AbortSignal> = Reflect::get(&obj, &"signal".into()).ok().and_then(|s| s.dyn_into().ok());
    let signal = match &user_signal {
        Some(user) => {
            let ctor = Reflect::get(&js_sys::global(), &"AbortSignal".into()).unwrap_or(JsValue::UNDEFINED);
            let any = Reflect::get(&ctor, &"any".into()).ok();
            match any.and_then(|f| f.dyn_into::<Function>().ok()) {
                Some(f) => {
                    let list = js_sys::Array::of2(user, &controller.signal());
                    f.call1(&JsValue::UNDEFINED, &list).ok().and_then(|s| s.dyn_into().ok()).unwrap_or_else(|| controller.signal())
                }
                None => controller.signal(),
            }
        }
        None => controller.signal(),
    };
    let _ = Reflect::set(&obj, &"headers".into(), &headers);
    let _ = Reflect::set(&obj, &"redirect".into(), &"manual".into());
    let _ = Reflect::set(&obj, &"signal".into(), &signal);
    let request = Request::new_with_str_and_init(url, obj.unchecked_ref())
        .map_err(|_| Ok(Error::InvalidParameter { name: "init".into(), reason: "is not a valid fetch RequestInit" }))?;
    match JsFuture::from(global_fetch(&request)).await {
        Ok(r) => {
            let response: Response = r.unchecked_into();
            if response.type_() == web_sys::ResponseType::Opaqueredirect {
                return Err(Ok(Error::InvalidResponse { status: 0, reason: "the API answered with a redirect, which is not followed" }));
            }
            // The body is read by the caller; keep the timeout out of its way.
            drop(timer);
            Ok(response)
        }
        Err(e) => match user_signal {
            Some(s) if s.aborted() && !timer.fired() => Err(Err(e)),
            _ => Err(Ok(fail(&timer))),
        },
    }
}

/// Reads an API response body as text (for `fetchJson`).
///
/// # Errors
/// [`Error::Network`] when the body cannot be read (connection dropped mid-body).
pub async fn response_text(response: &Response) -> Result<String> {
    let p = response.text().map_err(|_| Error::Network)?;
    Ok(JsFuture::from(p).await.map_err(|_| Error::Network)?.as_string().unwrap_or_default())
}

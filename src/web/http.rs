//! `fetch` under one deadline that covers the whole exchange, body included (an
//! `AbortController` fired by `setTimeout`, linked to the app's own `signal` without needing
//! `AbortSignal.any`), `redirect: "manual"`, no cookies, bodies read through a bounded stream,
//! and typed errors: the deadline is [`Error::Timeout`], any other failure to get a response
//! (refused, dropped, CORS) is [`Error::Network`], a body over its limit is
//! [`Error::InvalidResponse`] and the read stops there.

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, Request, RequestInit, RequestRedirect, Response};

use crate::protocol::error::{Error, Result};
use crate::protocol::secret::Secret;
use crate::protocol::token::TokenRequest;

use super::js::{deadline, read_limited, timed_out};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &Request) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u64) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms.min(i32::MAX as u64) as i32);
    });
    let _ = JsFuture::from(p).await;
}

/// One exchange's deadline: aborts everything (request and body) `timeout_ms` after it starts,
/// or when the app's own `signal` aborts.
pub struct Deadline(AbortController);

impl Deadline {
    /// Starts the clock, linked to the app's `signal` when it is an `AbortSignal`.
    pub fn start(timeout_ms: u64, user_signal: &JsValue) -> Self {
        let user = if user_signal.is_instance_of::<web_sys::AbortSignal>() { user_signal.clone() } else { JsValue::UNDEFINED };
        Deadline(deadline(timeout_ms.min(i32::MAX as u64) as f64, &user))
    }

    /// Ends the exchange now: a body still coming is cancelled.
    pub fn cancel(&self) {
        self.0.abort();
    }

    /// The signal to give `fetch`.
    pub fn signal(&self) -> web_sys::AbortSignal {
        self.0.signal()
    }

    /// The error for a failed fetch or read: the deadline, else the network.
    pub fn failure(&self) -> Error {
        if timed_out(&self.0) {
            Error::Timeout
        } else {
            Error::Network
        }
    }

    /// Reads `response`'s body as text, at most `limit` bytes (a larger `Content-Length` is
    /// refused before reading), still under this deadline. The bytes read are zeroed once
    /// decoded, and the text is kept as a [`Secret`] (token responses carry tokens).
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] over the limit, else [`Deadline::failure`].
    pub async fn read(&self, response: &Response, limit: usize) -> Result<Secret> {
        let status = response.status();
        match JsFuture::from(read_limited(response, limit as f64, &self.0)).await {
            Ok(text) => Ok(Secret::new(text.as_string().unwrap_or_default())),
            Err(e) if e.as_string().as_deref() == Some("too_large") => Err(Error::body_too_large(status)),
            Err(_) => Err(self.failure()),
        }
    }
}

/// A response with its body read as text.
pub struct TextResponse {
    /// The HTTP status (0 for an opaque redirect).
    pub status: u16,
    /// The body (zeroed when dropped).
    pub body: Secret,
    /// The `Retry-After` header, if exposed.
    pub retry_after: Option<String>,
}

/// POSTs a token request and reads the answer (at most `limit` bytes), all within `timeout_ms`.
///
/// # Errors
/// As [`post`].
pub async fn post_token_request(req: &TokenRequest, timeout_ms: u64, limit: usize) -> Result<TextResponse> {
    post(&req.url, req.content_type, req.body.expose(), timeout_ms, limit).await
}

/// POSTs `body` as `content_type` to `url` (no cookies, no cache, no redirects) and reads the
/// answer as text, at most `limit` bytes, all within `timeout_ms`.
///
/// # Errors
/// [`Error::Timeout`], [`Error::Network`], or [`Error::InvalidResponse`] for a redirect or a
/// body over the limit.
pub async fn post(url: &str, content_type: &str, body: &str, timeout_ms: u64, limit: usize) -> Result<TextResponse> {
    let (response, deadline) = send_post(url, content_type, body, timeout_ms).await?;
    let retry_after = response.headers().get("Retry-After").ok().flatten();
    let body = deadline.read(&response, limit).await?;
    Ok(TextResponse { status: response.status(), body, retry_after })
}

/// POSTs a token request (a revocation: RFC 7009 answers carry nothing to read) and cancels the
/// answer's body once its headers are in; resolves to the status.
///
/// # Errors
/// As [`post`], but for the body, which is never read.
pub async fn post_unread(req: &TokenRequest, timeout_ms: u64) -> Result<u16> {
    let (response, deadline) = send_post(&req.url, req.content_type, req.body.expose(), timeout_ms).await?;
    deadline.cancel();
    Ok(response.status())
}

/// The POST of [`post`] up to the answer's headers, and the deadline that goes on covering its
/// body.
async fn send_post(url: &str, content_type: &str, body: &str, timeout_ms: u64) -> Result<(Response, Deadline)> {
    let deadline = Deadline::start(timeout_ms, &JsValue::UNDEFINED);
    let headers = Headers::new().map_err(|_| Error::Network)?;
    headers.set("Content-Type", content_type).map_err(|_| Error::Network)?;
    headers.set("Accept", "application/json").map_err(|_| Error::Network)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&deadline.signal()));
    let _ = Reflect::set(&init, &"credentials".into(), &"omit".into());
    let _ = Reflect::set(&init, &"cache".into(), &"no-store".into());
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| Error::Network)?;
    let response: Response = JsFuture::from(global_fetch(&request)).await.map_err(|_| deadline.failure())?.unchecked_into();
    if response.type_() == web_sys::ResponseType::Opaqueredirect {
        return Err(Error::redirected());
    }
    Ok((response, deadline))
}

/// Sends an API request: the caller's `init` (method, body, headers...) is copied, the
/// `Authorization` header set, `redirect` forced to `manual`, and the deadline's signal added
/// (linked to the caller's own `signal`). The deadline goes on covering the body: read it with
/// [`Deadline::read`], or the app reads it within the same time.
///
/// # Errors
/// `Err(Ok(error))` for [`Error::Timeout`]/[`Error::Network`]/redirects, `Err(Err(value))` to
/// re-throw the caller's own abort reason unchanged.
pub async fn send_api(
    url: &str,
    authorization: &str,
    init: &JsValue,
    timeout_ms: u64,
) -> core::result::Result<(Response, Deadline), core::result::Result<Error, JsValue>> {
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
    let user_signal = Reflect::get(&obj, &"signal".into()).unwrap_or(JsValue::UNDEFINED);
    let deadline = Deadline::start(timeout_ms, &user_signal);
    let _ = Reflect::set(&obj, &"headers".into(), &headers);
    let _ = Reflect::set(&obj, &"redirect".into(), &"manual".into());
    let _ = Reflect::set(&obj, &"signal".into(), &deadline.signal());
    let request = Request::new_with_str_and_init(url, obj.unchecked_ref())
        .map_err(|_| Ok(Error::InvalidParameter { name: "init".into(), reason: "is not a valid fetch RequestInit" }))?;
    match JsFuture::from(global_fetch(&request)).await {
        Ok(r) => {
            let response: Response = r.unchecked_into();
            if response.type_() == web_sys::ResponseType::Opaqueredirect {
                return Err(Ok(Error::InvalidResponse { status: 0, reason: "the API answered with a redirect, which is not followed" }));
            }
            Ok((response, deadline))
        }
        Err(e) => {
            let user_aborted = user_signal.dyn_ref::<web_sys::AbortSignal>().is_some_and(web_sys::AbortSignal::aborted);
            if user_aborted && !timed_out(&deadline.0) {
                Err(Err(e))
            } else {
                Err(Ok(deadline.failure()))
            }
        }
    }
}

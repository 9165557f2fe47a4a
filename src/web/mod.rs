//! The browser layer: `fetch` with timeouts, `sessionStorage`, the address bar, and the session
//! built on the pure core. Thin by design: every protocol decision is made in `crate::protocol`.

#[allow(unused_imports)]
use crate::prelude::*;

#[cfg(feature = "expensify-web")]
pub mod expensify;
pub mod http;
pub(crate) mod js;
pub mod local;
#[cfg(feature = "session")]
pub mod session;
#[cfg(feature = "session")]
pub mod shared;
#[cfg(feature = "session")]
pub mod storage;

use wasm_bindgen::prelude::*;

use crate::protocol::error::Error;
use crate::protocol::json::Obj;

use js::auth_error;

/// Converts a core error into a JS `Error` named `ExpensicatAuthError` with a stable `code` and,
/// when known, `status`, `description`, `retryAfterMs`, `requiredScope`, `field`, `apiCode` and
/// `responseCode`. The properties travel as one JSON object (one call across the boundary
/// instead of one per property).
pub fn to_js_error(e: &Error) -> JsValue {
    let mut props = Obj::new().str("code", e.code());
    match e {
        Error::OAuth(o) => {
            if o.status != 0 {
                props = props.u64("status", u64::from(o.status));
            }
            props = props.opt_str("description", o.description.as_deref());
        }
        Error::InvalidResponse { status, .. } => props = props.u64("status", u64::from(*status)),
        Error::RateLimited { retry_after_ms: Some(ms) } => props = props.u64("retryAfterMs", *ms),
        Error::InsufficientScope { required_scope: Some(s) } => props = props.str("requiredScope", s),
        Error::InvalidParameter { name, .. } => props = props.str("field", name),
        Error::InvalidCredential { field, .. }
        | Error::InsecureUrl { field }
        | Error::InvalidConfig { field, .. }
        | Error::InvalidUrl { field, .. } => props = props.str("field", field),
        Error::ExpensifyError { response_code, .. } => props = props.u64("responseCode", u64::from(*response_code)),
        Error::Api { status, api_code, .. } => props = props.u64("status", u64::from(*status)).str("apiCode", api_code),
        _ => {}
    }
    auth_error(&e.message(), &props.finish())
}

/// JSON text (as the core writes it) as a plain JS value, through the browser's own
/// `JSON.parse`.
pub fn to_js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::UNDEFINED)
}

/// A JS value as JSON, through the browser's own `JSON.stringify`; `None` for values JSON cannot
/// represent.
pub fn to_json_value(value: &JsValue) -> Option<crate::protocol::json::Value> {
    crate::protocol::json::parse(&to_json_text(value)?)
}

/// A JS value's JSON text (`JSON.stringify`); `None` for values JSON cannot represent.
pub fn to_json_text(value: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(value).ok()?.as_string()
}

/// The current time in ms since the epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Bytes drawn from the CSPRNG per `crypto.getRandomValues` call. A call costs several
/// microseconds whatever its size, more than the rest of a PKCE pair, so bytes are drawn in
/// blocks and handed out once each.
const POOL: usize = 1024;

/// Unused CSPRNG output; `used` bytes at the front are spent (and zeroed).
static RANDOM: crate::web::local::PageLocal<([u8; POOL], usize)> = crate::web::local::PageLocal::new(([0; POOL], POOL));

/// `N` bytes from the browser's CSPRNG (`crypto.getRandomValues`), never handed out twice: each
/// byte is zeroed in the pool as it is taken.
///
/// # Errors
/// [`Error::InsufficientEntropy`] when the CSPRNG is unavailable.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    const { assert!(N <= POOL) };
    RANDOM.with(|cell| {
        let (pool, used) = &mut *cell.borrow_mut();
        if POOL - *used < N {
            getrandom::fill(pool).map_err(|_| Error::InsufficientEntropy { reason: "crypto.getRandomValues failed" })?;
            *used = 0;
        }
        let mut out = [0u8; N];
        let taken = &mut pool[*used..*used + N];
        out.copy_from_slice(taken);
        taken.fill(0);
        *used += N;
        Ok(out)
    })
}

//! The JavaScript boundary, one file per entry point: [`signin`] (the Expensicat session and the
//! low-level functions) and [`expensify`] (partner credentials), each its own WebAssembly module
//! in the package, so a page pays only for what it imports. This file holds what both use:
//! argument readers (a wrong JavaScript type is `invalid_parameter` naming the argument, never a
//! trap) and the error type. Errors become real `Error` objects with a stable `code` property.

#[allow(unused_imports)]
use crate::prelude::*;

use wasm_bindgen::prelude::*;

use crate::protocol::error::Error;
use crate::protocol::json::{FromJson, ShapeError};

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_TYPES: &str = include_str!("errors.d.ts");

pub(crate) use crate::web::to_js;
pub(crate) use crate::web::to_js_error as js_error;

pub(crate) fn js<T>(r: crate::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| js_error(&e))
}

/// The value of an argument check, or (in a method that returns a promise) the promise rejected
/// with its error.
#[cfg(any(feature = "session", feature = "expensify-web"))]
macro_rules! or_reject {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(e) => return js_sys::Promise::reject(&e),
        }
    };
}

/// `invalid_parameter` naming the argument `name` (never its value).
pub(crate) fn bad_arg(name: &'static str, reason: &'static str) -> JsValue {
    js_error(&Error::InvalidParameter { name: name.into(), reason })
}

/// Whether an optional argument was left out (`undefined` or `null`).
pub(crate) fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// A string argument; anything else (numbers included: no coercion) is `invalid_parameter`.
pub(crate) fn string_arg(value: &JsValue, name: &'static str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| bad_arg(name, "must be a string"))
}

/// An optional argument: `None` when left out (`undefined` or `null`), else what `read` makes
/// of it.
pub(crate) fn optional<T>(value: Option<JsValue>, read: impl FnOnce(&JsValue) -> Result<T, JsValue>) -> Result<Option<T>, JsValue> {
    match value {
        Some(v) if !absent(&v) => read(&v).map(Some),
        _ => Ok(None),
    }
}

/// An integer argument within `0..=max` (a `number`, not a string, `NaN` or a `BigInt`).
pub(crate) fn int_arg(value: &JsValue, name: &'static str, max: f64) -> Result<u64, JsValue> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n <= max && (n as u64) as f64 == n => Ok(n as u64),
        _ => Err(bad_arg(name, "must be a non-negative integer in range")),
    }
}

/// A boolean argument (no coercion).
pub(crate) fn bool_arg(value: &JsValue, name: &'static str) -> Result<bool, JsValue> {
    value.as_bool().ok_or_else(|| bad_arg(name, "must be a boolean"))
}

/// An optional string argument: `None` when left out (`undefined` or `null`).
#[cfg(feature = "signin")]
pub(crate) fn opt_string_arg(value: &JsValue, name: &'static str) -> Result<Option<String>, JsValue> {
    if absent(value) {
        Ok(None)
    } else {
        string_arg(value, name).map(Some)
    }
}

/// An array-of-strings argument.
pub(crate) fn strings_arg(value: &JsValue, name: &'static str) -> Result<Vec<String>, JsValue> {
    if !js_sys::Array::is_array(value) {
        return Err(bad_arg(name, "must be an array of strings"));
    }
    let mut out = Vec::new();
    for item in js_sys::Array::from(value).iter() {
        out.push(item.as_string().ok_or_else(|| bad_arg(name, "must be an array of strings"))?);
    }
    Ok(out)
}

/// A JS object's JSON text (`JSON.stringify`); `invalid_parameter` naming the argument when it
/// is not a plain object, or cannot be written as JSON (a `BigInt` member, a throwing getter).
pub(crate) fn json_text(value: &JsValue, field: &'static str) -> Result<String, JsValue> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(bad_arg(field, "must be an object"));
    }
    crate::web::to_json_text(value).ok_or_else(|| bad_arg(field, "cannot be written as JSON"))
}

/// The `invalid_config` error for a JS object that does not have the expected shape. It names
/// the key, never a value (a secret put under the wrong key must not reach an error message).
pub(crate) fn shape_error(e: ShapeError, field: &'static str) -> JsValue {
    js_error(&match e {
        ShapeError::WrongType(key) => Error::InvalidConfig { field: key, reason: "has a value of the wrong type" },
        ShapeError::UnknownKey => Error::InvalidConfig { field, reason: "has an unknown key" },
        ShapeError::NotAnObject => Error::InvalidParameter { name: field.into(), reason: "must be an object" },
    })
}

/// JS object to Rust value, through `JSON.stringify` and the crate's strict JSON reader, so a
/// misspelt key is an error rather than a silently ignored option.
pub(crate) fn from_js<T: FromJson>(value: &JsValue, field: &'static str) -> Result<T, JsValue> {
    T::from_json(&json_text(value, field)?).map_err(|e| shape_error(e, field))
}

/// An optional JS object argument: the default when left out, else [`from_js`].
pub(crate) fn from_js_or_default<T: FromJson + Default>(value: Option<JsValue>, field: &'static str) -> Result<T, JsValue> {
    Ok(optional(value, |v| from_js(v, field))?.unwrap_or_default())
}

// After the helpers and `or_reject!`, which the entry files use.
#[cfg(feature = "expensify")]
pub mod expensify;
#[cfg(feature = "expensify-web")]
pub mod expensify_web;
#[cfg(feature = "session")]
pub mod session;
#[cfg(feature = "signin")]
pub mod signin;

#[cfg(feature = "expensify")]
pub use expensify::*;
#[cfg(feature = "expensify-web")]
pub use expensify_web::*;
#[cfg(feature = "session")]
pub use session::*;
#[cfg(feature = "signin")]
pub use signin::*;

/// `future_to_promise` instantiated once for every async method of an entry point: each
/// `async` block is boxed into the same type, instead of each getting its own copy of the
/// promise plumbing.
#[cfg(any(feature = "session", feature = "expensify-web"))]
pub(crate) fn spawn_promise(work: core::pin::Pin<Box<dyn core::future::Future<Output = Result<JsValue, JsValue>>>>) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(work)
}

//! The JavaScript boundary, one file per entry point: [`signin`] (the Expensicat session and the
//! low-level functions) and [`expensify`] (partner credentials), each its own WebAssembly module
//! in the package, so a page pays only for what it imports. This file holds what both use:
//! argument readers (a wrong JavaScript type is `invalid_parameter` naming the argument, never a
//! trap) and the error type. Errors become real `Error` objects with a stable `code` property.
//!
//! The readers are the only code that looks into a caller's arrays and objects, and every
//! JavaScript call they make that can run the caller's code (a getter, a Proxy trap, `toJSON`)
//! is a `catch` import: an exception there becomes the argument's `invalid_parameter`. An
//! exception that crossed the WebAssembly frames instead would skip their clean-up: the method's
//! object would stay borrowed (its `free()` then throws and the secret in it stays in memory),
//! and the Rust stack pointer would not be restored.

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
#[cfg(feature = "expensify")]
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

/// An array-of-strings argument, read as JSON (like the arrays inside object arguments): a
/// getter, `toJSON` or Proxy trap that throws makes it `invalid_parameter` like any other wrong
/// value.
pub(crate) fn strings_arg(value: &JsValue, name: &'static str) -> Result<Vec<String>, JsValue> {
    let bad = || bad_arg(name, "must be an array of strings");
    let Some(crate::protocol::json::Value::Array(items)) = crate::web::to_json_value(value) else {
        return Err(bad());
    };
    let mut out = Vec::new();
    for item in items {
        out.push(item.into_string().ok_or_else(bad)?);
    }
    Ok(out)
}

/// A JS object's JSON text (`JSON.stringify`, a `catch` import); `invalid_parameter` naming the
/// argument when it is not an object, or cannot be written as JSON (a `BigInt` member, a cycle,
/// a getter, `toJSON` or Proxy trap that throws).
pub(crate) fn json_text(value: &JsValue, field: &'static str) -> Result<String, JsValue> {
    if !value.is_object() {
        return Err(bad_arg(field, "must be an object"));
    }
    // No `Array.isArray` (it throws for a revoked Proxy): every caller reads the text with
    // `Fields::parse`, for which an array is `NotAnObject`.
    crate::web::to_json_text(value).ok_or_else(|| bad_arg(field, "cannot be written as JSON"))
}

#[cfg(feature = "expensify")]
#[wasm_bindgen]
extern "C" {
    /// A `Uint8Array` made here.
    #[wasm_bindgen(js_name = Uint8Array)]
    type Copy;
    /// `new Uint8Array(value)`: a copy made by the engine, or the exception of a Proxy trap or a
    /// getter that it ran.
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn new(value: &JsValue) -> Result<Copy, JsValue>;
}

/// The bytes of a `Uint8Array` argument (`None` for anything else). Copied by the engine into an
/// array of its own first, whose `length` and contents no caller's code can change in the middle
/// of the copy into wasm memory (a `length` getter of the caller's that answered differently each
/// time would make `to_vec` write past its buffer); that copy is zeroed afterwards.
#[cfg(feature = "expensify")]
pub(crate) fn bytes_arg(value: &JsValue) -> Option<Vec<u8>> {
    use wasm_bindgen::JsCast;
    value.dyn_ref::<js_sys::Uint8Array>()?;
    let copy: js_sys::Uint8Array = Copy::new(value).ok()?.unchecked_into();
    let bytes = copy.to_vec();
    copy.fill(0, 0, u32::MAX);
    Some(bytes)
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

// After the helpers, which the entry files use.
#[cfg(feature = "expensify")]
pub mod expensify;
#[cfg(feature = "signin")]
pub mod signin;

#[cfg(feature = "expensify")]
pub use expensify::*;
#[cfg(feature = "signin")]
pub use signin::*;

//! `sessionStorage`, with typed errors (it throws in some privacy modes and when full).

#[allow(unused_imports)]
use crate::prelude::*;

use web_sys::Storage;

use crate::protocol::error::{Error, Result};

/// The key prefix of everything this library stores.
pub const PREFIX: &str = "expensicat-auth:";

fn storage() -> Result<Storage> {
    web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .ok_or(Error::Storage { reason: "sessionStorage is not available here" })
}

/// Reads a key.
///
/// # Errors
/// [`Error::Storage`] when `sessionStorage` is unavailable.
pub fn get(key: &str) -> Result<Option<String>> {
    storage()?.get_item(key).map_err(|_| Error::Storage { reason: "sessionStorage refused a read" })
}

/// Writes a key.
///
/// # Errors
/// [`Error::Storage`] when unavailable or full.
pub fn set(key: &str, value: &str) -> Result<()> {
    storage()?.set_item(key, value).map_err(|_| Error::Storage { reason: "sessionStorage refused a write (full?)" })
}

/// Removes a key (silently when storage is unavailable: there is then nothing to remove).
pub fn remove(key: &str) {
    if let Ok(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// Every key starting with `prefix`.
pub fn keys_with_prefix(prefix: &str) -> Vec<String> {
    let Ok(s) = storage() else { return Vec::new() };
    let n = s.length().unwrap_or(0);
    (0..n).filter_map(|i| s.key(i).ok().flatten()).filter(|k| k.starts_with(prefix)).collect()
}

//! Page-wide state for a `no_std` crate: what `thread_local!` gave before.

use core::cell::RefCell;

/// A value shared by everything in the page (the wasm instance). Same use as a `thread_local!`
/// key: `STATIC.with(|cell| ...)`.
pub struct PageLocal<T>(RefCell<T>);

#[cfg(target_feature = "atomics")]
compile_error!("PageLocal is for single-threaded wasm (no atomics)");

// SAFETY: wasm32 without the `atomics` target feature (checked above) runs one thread per
// instance, so a `PageLocal` is never reached from two threads.
#[allow(unsafe_code)]
unsafe impl<T> Sync for PageLocal<T> {}

impl<T> PageLocal<T> {
    /// A page-wide value, initialised at compile time.
    pub const fn new(value: T) -> Self {
        Self(RefCell::new(value))
    }

    /// Runs `f` with the value's cell.
    pub fn with<R>(&'static self, f: impl FnOnce(&RefCell<T>) -> R) -> R {
        f(&self.0)
    }
}

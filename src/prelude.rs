//! What the std prelude would give, taken from `alloc`: the crate is `no_std` (see `lib.rs`).

pub use alloc::borrow::ToOwned;
#[allow(unused_imports)] // only the wasm bindings box futures
pub use alloc::boxed::Box;
pub use alloc::string::{String, ToString};
pub use alloc::vec;
pub use alloc::vec::Vec;
// `format!` pulls the formatting machinery into the wasm: the shipped code cannot name it (the
// compiler enforces "no formatting machinery"); tests and the fuzzing helpers may.
#[cfg(any(test, feature = "fuzzing"))]
pub use alloc::format;

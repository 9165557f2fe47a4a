//! What the std prelude would give, taken from `alloc`: the crate is `no_std` (see `lib.rs`).

pub use alloc::borrow::ToOwned;
pub use alloc::string::{String, ToString};
pub use alloc::vec::Vec;
pub use alloc::{format, vec};

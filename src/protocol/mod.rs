//! The pure protocol core: no I/O, no clock, no global randomness. Callers pass random bytes and
//! the current time, and perform the HTTP requests this module describes. Everything here builds
//! and is tested natively.

#[allow(unused_imports)]
use crate::prelude::*;

pub mod authorize;
pub mod bearer;
pub mod callback;
pub mod config;
pub mod discovery;
pub mod dpop;
pub(crate) mod endpoint;
pub mod error;
pub mod expensify;
pub mod login;
pub mod par;
pub mod pkce;
pub mod retry;
pub mod scope;
pub mod secret;
pub mod session;
pub mod session_machine;
pub mod session_wire;
pub mod sign;
pub mod token;
pub mod transaction;

// The codecs live in `crate::codec`, below the protocol; the protocol's steps name them as
// siblings (`super::json`), and the public paths (`protocol::json`, `protocol::retry_after`)
// stay as they were.
pub(crate) use crate::codec::{challenge, decimal, encoding, sha256, text, url};
pub use crate::codec::{json, retry_after};

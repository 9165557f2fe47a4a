//! The pure protocol core: no I/O, no clock, no global randomness. Callers pass random bytes and
//! the current time, and perform the HTTP requests this module describes. Everything here builds
//! and is tested natively.

#[allow(unused_imports)]
use crate::prelude::*;

pub mod authorize;
pub mod bearer;
pub mod callback;
pub mod config;
pub mod dpop;
pub(crate) mod encoding;
pub mod error;
pub mod expensify;
pub mod json;
pub mod login;
pub mod pkce;
pub mod retry;
pub mod retry_after;
pub mod scope;
pub mod secret;
pub mod session;
pub mod session_machine;
pub mod session_wire;
pub(crate) mod sha256;
pub mod sign;
pub(crate) mod text;
pub mod token;
pub mod transaction;
pub(crate) mod url;

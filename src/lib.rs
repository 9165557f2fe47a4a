#![doc = include_str!("../docs/rust.md")]
#![warn(missing_docs)]
#![deny(unsafe_code)]
// `no_std` (with `alloc`) everywhere, so that the shipped wasm (feature `lean`) carries no std
// runtime: no panic formatting, no dlmalloc. Every other build links std for its panic handler
// and allocator, and the tests use it.
#![no_std]

extern crate alloc;
#[cfg(not(all(feature = "lean", target_arch = "wasm32")))]
extern crate std;

#[cfg(all(feature = "lean", target_arch = "wasm32"))]
mod lean;
mod prelude;

pub mod codec;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod protocol;
#[cfg(any(test, feature = "fuzzing"))]
pub mod test_support;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::protocol::authorize::{build_authorize_url, AuthorizeParams};
pub use crate::protocol::callback::{parse_callback, strip_response_params, validate_callback, CallbackParams, ValidatedCallback};
pub use crate::protocol::config::{ClientConfig, ClientConfigInput, StorageMode, TokenEncoding};
pub use crate::protocol::error::{Advice, Error, OAuthError, OAuthErrorCode, Result};
pub use crate::protocol::login::{start_login, LoginRequest, LoginStart, LOGIN_ENTROPY};
pub use crate::protocol::pkce::{s256 as code_challenge_s256, verify_s256, PkceVerifier};
pub use crate::protocol::scope::{normalize_scopes, required_scope, Scope};
pub use crate::protocol::secret::{AccessToken, AuthorizationCode, PartnerSecret, RefreshToken, Secret};
pub use crate::protocol::sign::{sign_request, SignedRequest};
pub use crate::protocol::token::{
    authorization_code_request, parse_token_answer, parse_token_response, refresh_token_request, TokenRequest, TokenSet,
};
pub use crate::protocol::transaction::LoginTransaction;

#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod core;
pub mod fuzzing;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::core::authorize::{build_authorize_url, AuthorizeParams};
pub use crate::core::callback::{parse_callback, strip_response_params, validate_callback, CallbackParams, ValidatedCallback};
pub use crate::core::config::{ClientConfig, ClientConfigInput, StorageMode, TokenEncoding};
pub use crate::core::error::{Error, OAuthError, OAuthErrorCode, Result};
pub use crate::core::pkce::{s256 as code_challenge_s256, verify_s256, PkceVerifier};
pub use crate::core::scope::{normalize_scopes, required_scope, Scope};
pub use crate::core::secret::Secret;
pub use crate::core::sign::{sign_request, SignedRequest};
pub use crate::core::token::{authorization_code_request, parse_token_response, refresh_token_request, TokenRequest, TokenSet};
pub use crate::core::transaction::{start_login, LoginRequest, LoginStart, LoginTransaction, LOGIN_ENTROPY};

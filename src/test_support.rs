//! Fixtures shared by the unit tests of several modules and by the fuzzing helpers: one place,
//! instead of test modules re-exporting them to each other. Built for tests and with the
//! `fuzzing` feature only.
#![doc(hidden)]

#[allow(unused_imports)]
use crate::prelude::*;

use crate::protocol::config::{ClientConfig, ClientConfigInput};
use crate::protocol::login::{start_login, LoginRequest, LoginStart, LOGIN_ENTROPY};

/// A deterministic xorshift64 generator for the generated-input tests (reproducible, no
/// dependency): each call gives the next number after `seed`.
pub fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// The redirect URI of the fixtures, the corpus and the fuzz configuration.
pub const REDIRECT_URI: &str = "https://app.example/callback";

/// The configuration input of the fixtures: client `demo-client`, [`REDIRECT_URI`], scope
/// `transactions:read`, everything else default.
pub fn input() -> ClientConfigInput {
    ClientConfigInput {
        client_id: "demo-client".into(),
        redirect_uri: REDIRECT_URI.into(),
        scopes: vec!["transactions:read".into()],
        ..Default::default()
    }
}

/// [`input`], validated.
pub fn config() -> ClientConfig {
    match ClientConfig::new(input()) {
        Ok(c) => c,
        Err(e) => panic!("the fixed test configuration is invalid: {e}"),
    }
}

/// Fixed "random" bytes for a login (not random: tests must be reproducible).
pub fn random() -> [u8; LOGIN_ENTROPY] {
    let mut r = [0u8; LOGIN_ENTROPY];
    for (i, b) in r.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    r
}

/// A login started with [`config`] and [`random`] at time 1,000,000 ms.
pub fn start() -> LoginStart {
    match start_login(&config(), &LoginRequest::default(), &random(), 1_000_000) {
        Ok(s) => s,
        Err(e) => panic!("the fixed test login does not start: {e}"),
    }
}

/// The crate's strict URL parser, for the differential test against the WHATWG parser
/// (`tests/url_differential.rs`); the module itself is private.
pub use crate::protocol::url::Url;

/// The codecs that are private to the crate, for the differential tests against their reference
/// crates (`tests/codec_differential.rs` and the fuzz targets that share its checks).
pub mod codec {
    pub use crate::codec::encoding::{base64url, decode_form, form_encode, DecodeError};
    pub use crate::codec::json::{parse as parse_json, Value, MAX_DEPTH};
    pub use crate::codec::sha256::sha256;

    /// The HTTP-date reader under `parse_retry_after` (crate-private: a public function changes
    /// the optimiser's choices in the shipped wasm).
    pub fn http_date_secs(b: &[u8], now_secs: u64) -> Option<u64> {
        crate::codec::retry_after::http_date_secs(b, now_secs)
    }
}

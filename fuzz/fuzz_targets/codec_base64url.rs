#![no_main]
//! Fuzz target: the crate's codec against its reference crate; see `base64url` in
//! tests/codec/checks.rs (shared with tests/codec_differential.rs) for the property checked.
#[path = "../../tests/codec/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::base64url(data));

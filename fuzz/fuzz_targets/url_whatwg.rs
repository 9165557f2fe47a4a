#![no_main]
//! Fuzz target: see `expensicat_auth::fuzzing::url_whatwg` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| expensicat_auth::fuzzing::url_whatwg(data));

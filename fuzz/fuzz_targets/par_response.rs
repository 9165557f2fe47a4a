#![no_main]
//! Fuzz target: see `expensicat_auth::fuzzing::par_response` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| expensicat_auth::fuzzing::par_response(data));

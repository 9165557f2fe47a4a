#![no_main]
//! Fuzz target: see `expensicat_auth::fuzzing::metadata` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| expensicat_auth::fuzzing::metadata(data));

#![no_main]
//! Fuzz target: `eqlc_fuzz::parse::query`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| eqlc_fuzz::parse::query(data));

#![no_main]
//! Fuzz target: `eqlc_fuzz::decode::line`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| eqlc_fuzz::decode::line(data));

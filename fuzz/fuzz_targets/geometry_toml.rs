#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| calogen_fuzz::harness::geometry_toml(data));

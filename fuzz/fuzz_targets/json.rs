#![no_main]
//! Arbitrary bytes never panic the json reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::json::read(data, "fuzz");
    let _ = sloe_formats::json::looks_like(data);
});

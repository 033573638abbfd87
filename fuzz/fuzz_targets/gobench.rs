#![no_main]
//! Arbitrary bytes never panic the gobench reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::gobench::read(data, "fuzz");
    let _ = sloe_formats::gobench::looks_like(data);
});

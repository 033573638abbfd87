#![no_main]
//! Arbitrary bytes never panic the gbench reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::gbench::read(data, "fuzz");
    let _ = sloe_formats::gbench::looks_like(data);
});

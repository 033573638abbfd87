#![no_main]
//! Arbitrary bytes never panic the jmh reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::jmh::read(data, "fuzz");
    let _ = sloe_formats::jmh::looks_like(data);
});

#![no_main]
//! Arbitrary bytes never panic the catch2 reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::catch2::read(data, "fuzz");
    let _ = sloe_formats::catch2::looks_like(data);
});

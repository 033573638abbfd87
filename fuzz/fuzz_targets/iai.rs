#![no_main]
//! Arbitrary bytes never panic the iai reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::iai::read(data, "fuzz");
    let _ = sloe_formats::iai::looks_like(data);
});

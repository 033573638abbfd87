#![no_main]
//! Arbitrary bytes never panic the asv reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::asv::read(data, "fuzz");
    let _ = sloe_formats::asv::looks_like(data);
});

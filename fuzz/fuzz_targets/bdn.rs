#![no_main]
//! Arbitrary bytes never panic the bdn reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::bdn::read(data, "fuzz");
    let _ = sloe_formats::bdn::looks_like(data);
});

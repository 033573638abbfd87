#![no_main]
//! Arbitrary bytes never panic the criterion reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::criterion::read(data, "fuzz");
    let _ = sloe_formats::criterion::looks_like(data);
});

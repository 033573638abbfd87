#![no_main]
//! Arbitrary bytes never panic the junit reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::junit::read(data, "fuzz");
    let _ = sloe_formats::junit::looks_like(data);
});

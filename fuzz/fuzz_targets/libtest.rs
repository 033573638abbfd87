#![no_main]
//! Arbitrary bytes never panic the libtest reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::libtest::read(data, "fuzz");
    let _ = sloe_formats::libtest::looks_like(data);
});

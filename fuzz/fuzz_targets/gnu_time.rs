#![no_main]
//! Arbitrary bytes never panic the gnu_time reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::gnu_time::read(data, "fuzz");
    let _ = sloe_formats::gnu_time::looks_like(data);
});

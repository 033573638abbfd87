#![no_main]
//! Arbitrary bytes never panic the hyperfine reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::hyperfine::read(data, "fuzz");
    let _ = sloe_formats::hyperfine::looks_like(data);
});

#![no_main]
//! Arbitrary bytes never panic format detection, which looks at no more
//! than `DETECT_PREFIX` bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::Format::detect(data, "fuzz");
    let _ = sloe_formats::blank(data);
});

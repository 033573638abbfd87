#![no_main]
//! Arbitrary bytes never panic the pytest_benchmark reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sloe_formats::pytest_benchmark::read(data, "fuzz");
    let _ = sloe_formats::pytest_benchmark::looks_like(data);
});

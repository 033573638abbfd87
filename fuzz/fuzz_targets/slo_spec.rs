#![no_main]
//! Arbitrary text never panics SLO spec reading (OpenSLO, Sloth, sloe's
//! own `[[slo]]` tables).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = sloe_core::slo::spec::read(text, "spec.yaml");
    let _ = sloe_core::slo::spec::read(text, "sloe.toml");
});

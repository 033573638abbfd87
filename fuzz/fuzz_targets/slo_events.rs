#![no_main]
//! Arbitrary bytes never panic the SLI events reader, and what it accepts
//! keeps good <= total in every bucket.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = sloe_core::slo::EventBatch::read(data, "fuzz") {
        for (_, buckets) in batch.into_streams() {
            for b in buckets {
                assert!(b.good <= b.total);
                assert!(b.latency.total() <= b.good);
                // counts fit the store: a sum past it is an error, never clamped
                assert!(b.total <= sloe_core::slo::events::MAX_COUNT);
            }
        }
    }
});

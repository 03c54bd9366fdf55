//! Fuzz target `spec_text`: spec text (bytes) → nlspec-model load → resolve → both emitters
//! (client crate, kernel module). Must never panic; rejections must carry diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nlspec_fuzz::{spec_pipeline, Counters, Reached};

static COUNT: Counters = Counters::new("spec_text", "reached the emitters");

fuzz_target!(|data: &[u8]| {
    let r = match std::str::from_utf8(data) {
        Ok(text) => spec_pipeline(text),
        Err(_) => Reached::Rejected,
    };
    COUNT.count(r);
});

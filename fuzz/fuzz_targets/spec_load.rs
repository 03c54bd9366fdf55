//! Fuzz target `spec_load`: spec text (bytes) → the loader (YAML, span index) → the resolver,
//! without the emitters, so it runs at a parser's rate. A rejection must be located inside
//! the text; a spec that resolves is compared with itself by `abi-check`, which must find no
//! difference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nlspec_fuzz::{spec_load, Counters};

static COUNT: Counters = Counters::new("spec_load", "resolved");

fuzz_target!(|data: &[u8]| {
    COUNT.count(spec_load(data));
});

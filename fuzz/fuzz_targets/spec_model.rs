//! Fuzz target `spec_model`: the spec pipeline of `spec_text` behind a structure-aware
//! mutator. Each input is a spec in YAML; the custom mutator parses it, changes its model
//! (names, types, checks, nesting, ops, sub-messages, definitions, crossover with the
//! project's specs; see `nlspec_fuzz::mutate`) and writes it back as YAML, so most inputs get
//! past the resolver to the emitters. One mutation in 16 is libFuzzer's own byte-level one.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};
use nlspec_fuzz::mutate::{mutate_spec, Rng};
use nlspec_fuzz::{spec_pipeline, Counters, Reached, SPECS};
use serde_yaml::Value;

static COUNT: Counters = Counters::new("spec_model", "reached the emitters");

fuzz_target!(|data: &[u8]| {
    let r = match std::str::from_utf8(data) {
        Ok(text) => spec_pipeline(text),
        Err(_) => Reached::Rejected,
    };
    COUNT.count(r);
});

/// The project's specs as YAML trees (crossover donors, and the start when an input is not
/// a spec any more).
fn donors() -> &'static [Value] {
    static D: OnceLock<Vec<Value>> = OnceLock::new();
    D.get_or_init(|| SPECS.iter().map(|(_, t)| serde_yaml::from_str(t).expect("the project's specs parse")).collect())
}

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng::new(seed);
    if rng.below(16) == 0 {
        return fuzzer_mutate(data, size, max_size);
    }
    let donors = donors();
    let parsed = std::str::from_utf8(&data[..size])
        .ok()
        .and_then(|t| serde_yaml::from_str::<Value>(t).ok())
        .filter(Value::is_mapping);
    let mut spec = parsed.unwrap_or_else(|| donors[rng.below(donors.len())].clone());
    let donor = &donors[rng.below(donors.len())];
    mutate_spec(&mut rng, &mut spec, donor);
    match serde_yaml::to_string(&spec) {
        Ok(out) if out.len() <= max_size => {
            data[..out.len()].copy_from_slice(out.as_bytes());
            out.len()
        }
        _ => fuzzer_mutate(data, size, max_size),
    }
});

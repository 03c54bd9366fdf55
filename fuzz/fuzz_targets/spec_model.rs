//! Fuzz target `spec_model`: the spec pipeline of `spec_text` behind a structure-aware
//! mutator. Each input is a spec in YAML; the custom mutator parses it, changes its model
//! (names, types, checks, nesting, ops, sub-messages, definitions, crossover with the
//! project's specs; see `nlspec_fuzz::mutate`) and writes it back as YAML; of up to
//! [`TRIES`] mutants it passes on the first that resolves, so most inputs get past the
//! resolver to the emitters. One mutation in 16 is libFuzzer's own byte-level one.
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

/// Mutants tried per call before one that resolves is found; past that the last one (which
/// the resolver rejects) goes in, so the rejection paths stay fuzzed too.
const TRIES: usize = 8;

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
    let parent = parsed.unwrap_or_else(|| donors[rng.below(donors.len())].clone());
    // Most single mutations make a spec the resolver rightly rejects (a name that no longer
    // matches its references, a type without the keys it needs). Resolving is cheap next to
    // the emitters, so try several mutants of the parent and pass on the first that resolves:
    // the emitters, which cost most of an execution, then see a valid family most of the time.
    let mut last = None;
    for _ in 0..TRIES {
        let mut spec = parent.clone();
        let donor = &donors[rng.below(donors.len())];
        mutate_spec(&mut rng, &mut spec, donor);
        let Ok(out) = serde_yaml::to_string(&spec) else { continue };
        if out.len() > max_size {
            continue;
        }
        let resolves = nlspec_model::resolve_str("fuzz.yaml", &out).is_ok();
        last = Some(out);
        if resolves {
            break;
        }
    }
    match last {
        Some(out) => {
            data[..out.len()].copy_from_slice(out.as_bytes());
            out.len()
        }
        None => fuzzer_mutate(data, size, max_size),
    }
});

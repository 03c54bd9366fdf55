//! What the fuzz targets share: the spec pipeline they drive (load → resolve → both
//! emitters), the structure-aware spec mutator (mutates a spec's model, written back as
//! YAML), the project's resolved families for the view and codec targets, and pass-rate
//! counters printed while a target runs.

pub mod mutate;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use nlspec_codegen::emit::{client, kernel};
use nlspec_model::ir::Family;

/// The project's specs, built into the targets (seeds of the mutator, families of the codec).
pub const SPECS: &[(&str, &str)] = &[
    ("nlctrl.yaml", include_str!("../../specs/nlctrl.yaml")),
    ("nlkv.yaml", include_str!("../../specs/nlkv.yaml")),
    ("rt-link.yaml", include_str!("../../specs/rt-link.yaml")),
    ("rt-addr.yaml", include_str!("../../specs/rt-addr.yaml")),
    ("rt-route.yaml", include_str!("../../specs/rt-route.yaml")),
];

/// How far one spec got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// Not UTF-8, or rejected by the loader or the resolver (with diagnostics).
    Rejected,
    /// Resolved and through both emitters.
    Emitted,
}

/// Inputs seen and inputs that passed (reached the emitters, or resolved), per process.
pub struct Counters {
    name: &'static str,
    /// What counts as passed, as the pass-rate line says it ("reached the emitters").
    passed: &'static str,
    inputs: AtomicU64,
    emitted: AtomicU64,
}

impl Counters {
    /// Counters for target `name`, whose passing inputs [`Reached::Emitted`] are those that
    /// `passed` (as the printed line says it: "reached the emitters", "resolved").
    pub const fn new(name: &'static str, passed: &'static str) -> Self {
        Counters { name, passed, inputs: AtomicU64::new(0), emitted: AtomicU64::new(0) }
    }

    /// Count one input; print the pass rate at every power of two (from 16 on), in a line
    /// `cargo xtask fuzz` reads.
    pub fn count(&self, r: Reached) {
        let n = self.inputs.fetch_add(1, Ordering::Relaxed) + 1;
        let e = self.emitted.fetch_add(u64::from(r == Reached::Emitted), Ordering::Relaxed)
            + u64::from(r == Reached::Emitted);
        if n >= 16 && n.is_power_of_two() {
            eprintln!("#{n} {}: {e} of {n} inputs {} ({:.1}%)", self.name, self.passed, 100.0 * e as f64 / n as f64);
        }
    }
}

/// Load and resolve `text`; if it resolves, run the client emitter (which must succeed on
/// any spec that resolves) and the kernel emitter (which may refuse, e.g. netlink-raw).
/// A panic anywhere is the bug a target looks for.
pub fn spec_pipeline(text: &str) -> Reached {
    let fam = match nlspec_model::resolve_str("fuzz.yaml", text) {
        Ok(f) => f,
        Err(d) => {
            // Every rejection is located and says something.
            assert!(!d.is_empty(), "rejected without diagnostics");
            for x in d.iter() {
                assert!(!x.message.is_empty(), "empty diagnostic");
            }
            return Reached::Rejected;
        }
    };
    emit(&fam);
    Reached::Emitted
}

/// The loader and the resolver alone (target `spec_load`): a rejection carries diagnostics
/// located inside `data`; a spec that resolves has no ABI difference from itself.
/// [`Reached::Emitted`] here means "resolved" (the emitters do not run).
pub fn spec_load(data: &[u8]) -> Reached {
    let Ok(text) = std::str::from_utf8(data) else { return Reached::Rejected };
    let loaded = nlspec_model::loader::load_str("fuzz.yaml", text).and_then(|l| {
        let fam = nlspec_model::resolve::resolve(&l)?;
        Ok((l, fam))
    });
    let (loaded, fam) = match loaded {
        Ok(x) => x,
        Err(d) => {
            assert!(!d.is_empty(), "rejected without diagnostics");
            let lines: Vec<&str> = text.split('\n').collect();
            for x in d.iter() {
                assert!(!x.message.is_empty(), "empty diagnostic");
                assert_eq!(x.file, "fuzz.yaml", "diagnostic names another file: {x}");
                // 0 is "unknown"; otherwise the position is inside the text (a column may
                // point just past a line's end, where something is missing).
                assert!(x.line <= lines.len(), "diagnostic past the last line ({}): {x}", lines.len());
                if x.line > 0 {
                    let width = lines[x.line - 1].chars().count() + 1;
                    assert!(x.col <= width, "diagnostic past the end of line {} ({width}): {x}", x.line);
                }
            }
            return Reached::Rejected;
        }
    };
    let side = nlspec_cli::abi::Side { loaded, fam };
    let findings = nlspec_cli::abi::compare(&side, &side);
    assert!(findings.is_empty(), "abi-check of a spec against itself: {:?}", findings.first().map(|f| &f.message));
    Reached::Emitted
}

/// Both emitters on a resolved family.
pub fn emit(fam: &Family) {
    let rt = client::RtDependency { path: None, version: "0.1.0".into() };
    if let Err(e) = client::crate_files(fam, &rt) {
        panic!("the client emitter failed on a spec that resolves: {e}");
    }
    let _ = kernel::generate(fam, &kernel::KernelOptions::default());
}

/// The project's families, resolved once: nlctrl, nlkv, rt-link.
pub fn families() -> &'static [Family] {
    static F: OnceLock<Vec<Family>> = OnceLock::new();
    F.get_or_init(|| {
        SPECS[..3].iter().map(|(n, t)| nlspec_model::resolve_str(n, t).expect("the project's specs resolve")).collect()
    })
}

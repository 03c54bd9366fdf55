//! The spec a command works on: [`load`] it (located diagnostics on failure) and report the
//! quirks the resolver tolerated ([`print_warnings`]).

use nlspec_model::{ir, Diagnostics};

use crate::errors::Fail;

/// Load and resolve a spec; a failure is the located diagnostics (exit 1).
pub(crate) fn load(spec: &str) -> Result<ir::Family, Fail> {
    nlspec_model::load_and_resolve(spec).map_err(|d: Diagnostics| {
        let n = d.len();
        Fail::Error(format!("{d}\nnlspec: {spec}: {n} error{}", if n == 1 { "" } else { "s" }))
    })
}

/// The family's warnings on stderr.
pub(crate) fn print_warnings(fam: &ir::Family) {
    for w in &fam.warnings {
        let s = w.to_string();
        // Diagnostics render as errors; these are the tolerated quirks.
        eprintln!("{}", s.replacen(": error: ", ": warning: ", 1));
    }
}

//! Semantic validation and resolution: [`crate::loader::Loaded`] → [`crate::ir::Family`].

use crate::diag::Diagnostics;
use crate::ir;
use crate::loader::Loaded;

/// Validate and resolve a loaded spec.
pub fn resolve(loaded: &Loaded) -> Result<ir::Family, Diagnostics> {
    Err(loaded.error_at("", "resolver not implemented yet").into())
}

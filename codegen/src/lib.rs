//! nlspec code generator: YNL spec loader, validator, resolved model and emitters.
//!
//! Pipeline: [`loader`] (YAML → [`spec::Spec`] + span index) → [`resolve`] (validation →
//! [`ir::Family`]) → emitters. Errors are [`diag::Diagnostics`] with `file:line:col`.

pub mod attr;
mod build;
pub mod diag;
#[cfg(feature = "cli")]
pub mod dynamic;
pub mod emit;
pub mod ir;
pub mod loader;
pub mod names;
pub mod resolve;
pub mod spec;

pub use build::{BuildError, Builder};
pub use diag::{Diagnostic, Diagnostics, Severity};

use std::path::Path;

/// Load, validate and resolve the spec at `path`.
pub fn load_and_resolve(path: impl AsRef<Path>) -> Result<ir::Family, Diagnostics> {
    let loaded = loader::load_file(path.as_ref())?;
    resolve::resolve(&loaded)
}

/// Load, validate and resolve spec text; `name` is used as the file name in diagnostics.
pub fn resolve_str(name: &str, text: &str) -> Result<ir::Family, Diagnostics> {
    let loaded = loader::load_str(name, text)?;
    resolve::resolve(&loaded)
}

//! The YNL spec model: loader, validator and resolved IR of a netlink family.
//!
//! Pipeline: [`loader`] (YAML → [`spec::Spec`] + span index) → [`resolve`] (validation →
//! [`ir::Family`]). Errors are [`diag::Diagnostics`] located at `file:line:col`. Everything
//! downstream (the emitters in `nlspec-codegen`, the `nlspec` CLI's run-time codec) reads only
//! [`ir::Family`]; this crate has no dependency on sockets, the runtime or code generation.

pub mod diag;
pub mod ir;
pub mod loader;
pub mod names;
pub mod resolve;
pub mod spec;

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

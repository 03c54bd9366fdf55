//! nlspec code generator: from a resolved YNL family ([`nlspec_model::ir::Family`]) to the
//! typed userspace client crate and the Rust-for-Linux kernel module.
//!
//! - [`emit::client`] / [`emit::kernel`]: the two emitters, each returning
//!   [`emit::GeneratedFile`]s;
//! - [`attr`]: one type per YNL attribute kind, which knows its policy, Rust types, put and
//!   parse for both sides;
//! - [`Builder`]: the build.rs API (prost-build style).
//!
//! The spec model is re-exported as [`model`] so a build script needs one dependency.

#![recursion_limit = "512"]

pub mod attr;
mod build;
pub mod emit;
pub mod rustfmt;
pub mod tokens;

pub use build::{BuildError, Builder};
pub use nlspec_model as model;
pub use nlspec_model::{load_and_resolve, resolve_str, Diagnostic, Diagnostics, Severity};

//! Emitters: turn a resolved [`nlspec_model::ir::Family`] into files.
//!
//! - [`client`]: the typed userspace client crate (quote → syn → prettyplease).
//! - [`kernel`]: the Rust-for-Linux module directory (policies, ops, groups, family, handler
//!   trait; minijinja scaffolding from `kmod-template/`).
//! - [`defs`]: consts, enums, flags and structs, one body for both sides.
//!
//! Both emitters use the per-kind [`crate::attr`] (which imports nothing from here).
//!
//! Every emitter returns [`GeneratedFile`]s with paths relative to its output directory, so
//! `cargo xtask generate`, `nlspec gen` and the build.rs [`crate::Builder`] all write (or
//! compare) the same bytes.

pub mod client;
pub mod defs;
pub mod kernel;

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

/// One output file: path relative to the output directory, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

impl GeneratedFile {
    pub fn new(path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        GeneratedFile { path: path.into(), contents: contents.into() }
    }
}

/// Format Rust tokens as a file with prettyplease. A token stream that does not parse is a
/// generator bug; the error carries syn's message.
pub fn format_file(tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Format Rust tokens as a file with prettyplease after replacing, in their text, each
/// `(long, short)` path of `table` (prelude paths spelled out in full while generating).
pub(crate) fn format_shortened(tokens: TokenStream, table: &[(&str, &str)]) -> Result<String, String> {
    let mut text = tokens.to_string();
    for (long, short) in table {
        text = text.replace(long, short);
    }
    let file: syn::File = syn::parse_str(&text).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Write `files` under `dir` (creating directories), leaving files whose contents are already
/// equal untouched (so mtimes and cargo's fingerprints stay put). Returns the paths written.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in files {
        let p = dir.join(&f.path);
        if std::fs::read(&p).ok().as_deref() == Some(f.contents.as_bytes()) {
            continue;
        }
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.contents)?;
        written.push(p);
    }
    Ok(written)
}

/// Files under `dir` whose contents differ from `files` (or are missing). Used by
/// `cargo xtask generate --check`.
pub fn drifted(dir: &Path, files: &[GeneratedFile]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| std::fs::read(dir.join(&f.path)).ok().as_deref() != Some(f.contents.as_bytes()))
        .map(|f| dir.join(&f.path))
        .collect()
}

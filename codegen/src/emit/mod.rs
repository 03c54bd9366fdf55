//! Emitters: turn a resolved [`nlspec_model::ir::Family`] into files.
//!
//! - [`client`]: the typed userspace client crate (tokens laid out by `print`).
//! - [`kernel`]: the Rust-for-Linux module directory (policies, ops, groups, family, handler
//!   trait; minijinja scaffolding from `kmod-template/`).
//! - [`defs`]: consts, enums, flags and structs, one body for both sides.
//!
//! Both emitters use the per-kind [`crate::attr`] (which imports nothing from here) and build
//! `quote!` token streams, which `print` writes as source in rustfmt's layout without parsing
//! them again.
//!
//! Every emitter returns [`GeneratedFile`]s with paths relative to its output directory, so
//! `cargo xtask generate`, `nlspec gen` and the build.rs [`crate::Builder`] all write (or
//! compare) the same bytes.

pub mod client;
pub mod defs;
pub mod kernel;
pub(crate) mod print;

use std::path::{Path, PathBuf};

use crate::tokens::TokenStream;

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

/// Print `tokens` (a sequence of items) with [`print`], each `(long, short)` path of `table`
/// shortened: long prelude paths, spelled out in full while generating so that nothing
/// generated can shadow them, written short (both sides of the table written as tokens
/// separated by spaces, `::` as one token: `(":: core :: option :: Option", "Option")`).
pub(crate) fn print_file(tokens: TokenStream, table: &[(&'static str, &'static str)]) -> String {
    print::items(tokens, &print::Paths::new(table))
}

/// Print a file made of `parts` (each a sequence of items; only the first may carry inner
/// attributes) with [`print`], each `(long, short)` path of `table` shortened (as
/// [`print_file`] does), the parts built and printed on up to `available_parallelism`
/// threads and joined in order: the same text as printing the parts' concatenation.
pub(crate) fn print_parts<F>(parts: &[F], table: &[(&'static str, &'static str)]) -> Result<String, String>
where
    F: Fn() -> TokenStream + Sync,
{
    let paths = print::Paths::new(table);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(parts.len()).max(1);
    if threads == 1 {
        return Ok(parts.iter().map(|p| print::items(p(), &paths)).collect());
    }
    // Token streams are not `Send`: each thread builds and prints its own parts.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<std::sync::Mutex<Option<String>>> = parts.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(part) = parts.get(i) else { break };
                let text = print::items(part(), &paths);
                *done[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
            });
        }
    });
    let mut out = String::new();
    for slot in done {
        let text = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        out.push_str(&text.ok_or("a printing thread stopped early")?);
    }
    Ok(out)
}

/// `ts` (an expression or a path: calls, method calls, turbofish, references, casts, unary
/// minus, literals) written as Rust source the way rustfmt would on one line, after the
/// `(long, short)` replacements of [`print_file`]: for the text of macro bodies, which
/// no formatter lays out.
pub(crate) fn expr_text(ts: TokenStream, table: &'static [(&'static str, &'static str)]) -> String {
    // the table's patterns, read once per thread and table
    thread_local! {
        static PATHS: std::cell::RefCell<Vec<(usize, std::rc::Rc<print::Paths>)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = table.as_ptr() as usize;
    let paths = PATHS.with_borrow_mut(|v| match v.iter().find(|(k, _)| *k == key) {
        Some((_, p)) => p.clone(),
        None => {
            let p = std::rc::Rc::new(print::Paths::new(table));
            v.push((key, p.clone()));
            p
        }
    });
    print::one_line(ts, &paths)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::quote;

    const TABLE: &[(&str, &str)] =
        &[(":: core :: option :: Option :: ", ""), (":: core :: option :: Option", "Option"), (":: std ::", "std ::")];

    #[test]
    fn paths_are_shortened_inside_groups_and_in_table_order() {
        let ts = quote! {
            fn f(x: ::core::option::Option<u8>) -> ::std::vec::Vec<u8> {
                match x { ::core::option::Option::Some(v) => vec![v], ::core::option::Option::None => { [::std::string::String::new()]; vec![] } }
            }
        };
        let got = print_file(ts, TABLE);
        assert!(got.contains("fn f(x: Option<u8>) -> std::vec::Vec<u8>"), "{got}");
        assert!(got.contains("Some(v) => vec![v]"), "{got}");
        assert!(got.contains("[std::string::String::new()];"), "{got}");
        assert!(!got.contains("core"), "{got}");
        // a name that only ends like a pattern's first word is left alone
        let got = print_file(
            quote!(
                type T = my_std::X;
            ),
            &[("std ::", "")],
        );
        assert_eq!(got, "type T = my_std::X;\n");
    }

    /// The expressions of policy entries, as rustfmt writes them on one line.
    #[test]
    fn expressions_read_as_rustfmt_writes_them() {
        let cases: &[(TokenStream, &str)] = &[
            (quote!(nl::Policy::u32().mask(EntryFlags::ALL.bits())), "Policy::u32().mask(EntryFlags::ALL.bits())"),
            (quote!(nl::Policy::u32().check::<Kind>()), "Policy::u32().check::<Kind>()"),
            (quote!(nl::Policy::s8().range(-10, MAX as i64)), "Policy::s8().range(-10, MAX as i64)"),
            (quote!(nl::Policy::nested_array(&META_POLICY)), "Policy::nested_array(&META_POLICY)"),
            (quote!(attrs::entry::KEY), "attrs::entry::KEY"),
            (quote!(u32::MAX as u64 + 1), "u32::MAX as u64 + 1"),
            (quote!(f(a, &[1, 2], !x, -y)), "f(a, &[1, 2], !x, -y)"),
            (quote!(cfg!(CONFIG_NET)), "cfg!(CONFIG_NET)"),
            (quote!(a << 3 | b), "a << 3 | b"),
        ];
        for (ts, want) in cases {
            assert_eq!(expr_text(ts.clone(), &[("nl :: Policy ::", "Policy ::")]), *want);
        }
    }

    #[test]
    fn parts_print_like_their_concatenation() {
        let parts: Vec<Box<dyn Fn() -> TokenStream + Sync>> = vec![
            Box::new(|| {
                quote!(#![doc = "crate"] /// one
            pub const A: u8 = 1;)
            }),
            Box::new(|| quote!(impl X { fn y(&self) -> ::core::option::Option<u8> { None } })),
            Box::new(|| quote!()),
            Box::new(|| {
                quote!(
                    pub mod m {
                        pub struct S;
                    }
                    pub fn z() {}
                )
            }),
        ];
        let whole = print::items(parts.iter().flat_map(|p| p()).collect(), &print::Paths::new(TABLE));
        assert_eq!(print_parts(&parts, TABLE).unwrap(), whole);
        assert!(whole.contains("fn y(&self) -> Option<u8> {"), "{whole}");
    }
}

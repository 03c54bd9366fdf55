//! Golden tests of the client emitter (prost-build style): each `tests/golden/<name>.yaml`
//! generates a `lib.rs` that must equal `tests/golden/<name>.rs` byte for byte.
//!
//! `NLSPEC_BLESS=1 cargo test -p nlspec-codegen --test client_golden` rewrites the `.rs`
//! files; review the diff before committing it.

use std::path::{Path, PathBuf};

use nlspec_codegen::emit::client::lib_rs;

fn golden_specs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

#[test]
fn client_output_matches_golden_files() {
    let bless = std::env::var_os("NLSPEC_BLESS").is_some();
    let specs = golden_specs();
    assert!(specs.len() >= 3);
    let mut bad = Vec::new();
    for spec in specs {
        let name = spec.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&spec).unwrap();
        let fam = nlspec_codegen::resolve_str(&name, &text).unwrap_or_else(|d| panic!("{d}"));
        let got = lib_rs(&fam).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want_path = spec.with_extension("rs");
        if bless {
            std::fs::write(&want_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&want_path).unwrap_or_default();
        if want != got {
            let line = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .map_or_else(|| want.lines().count().min(got.lines().count()) + 1, |i| i + 1);
            bad.push(format!("{}: differs from the golden file at line {line}", want_path.display()));
        }
    }
    assert!(bad.is_empty(), "{}\n(NLSPEC_BLESS=1 to accept)", bad.join("\n"));
}

/// Every attribute kind appears in the golden specs.
#[test]
fn golden_specs_cover_every_attribute_kind() {
    use nlspec_codegen::model::ir::AttrType as T;
    let mut seen = std::collections::BTreeSet::new();
    for spec in golden_specs() {
        let fam = nlspec_codegen::load_and_resolve(&spec).unwrap();
        for s in &fam.sets {
            for a in &s.attrs {
                seen.insert(format!("{:?}", a.kind.ty()));
            }
        }
    }
    for t in [
        T::Unused,
        T::Pad,
        T::Flag,
        T::U8,
        T::U16,
        T::U32,
        T::U64,
        T::S8,
        T::S16,
        T::S32,
        T::S64,
        T::Uint,
        T::Sint,
        T::String,
        T::Binary,
        T::Nest,
        T::IndexedArray,
        T::NestTypeValue,
        T::Bitfield32,
        T::SubMessage,
    ] {
        assert!(seen.contains(&format!("{t:?}")), "no golden spec has a {t:?} attribute");
    }
}

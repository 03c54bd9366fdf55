//! One test per spec error class, each with the exact `file:line:col` expected.
//! Fixtures are in `tests/fixtures/errors/`.

use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/errors").join(name)
}

/// Resolve `file` and assert that one of the errors is at `line:col` and contains `needle`
/// (and has a help line unless `help` is false).
fn expect(file: &str, line: usize, col: usize, needle: &str) {
    let path = fixture(file);
    let diags = match nlspec_model::load_and_resolve(&path) {
        Ok(_) => panic!("{file}: resolved, expected an error at {line}:{col} ({needle})"),
        Err(d) => d,
    };
    let shown = diags.to_string();
    let hit = diags.iter().find(|d| d.line == line && d.col == col && d.message.contains(needle));
    let Some(d) = hit else {
        panic!("{file}: no error at {line}:{col} containing {needle:?}; got:\n{shown}");
    };
    // Display starts with file:line:col: error:
    let want = format!("{}:{line}:{col}: error: ", path.display());
    assert!(d.to_string().starts_with(&want), "{}", d);
    assert!(d.help.is_some(), "{file}: error has no help line: {d}");
}

macro_rules! case {
    ($name:ident, $file:literal, $line:literal, $col:literal, $needle:literal) => {
        #[test]
        fn $name() {
            expect($file, $line, $col, $needle);
        }
    };
}

// syntax and schema shape (serde)
case!(yaml_syntax, "yaml_syntax.yaml", 8, 6, "");
case!(not_utf8, "not_utf8.yaml", 3, 8, "not valid UTF-8 (byte 0xff)");
case!(unknown_key, "unknown_key.yaml", 10, 9, "unknown key `maximum`");
case!(unknown_type, "unknown_type.yaml", 9, 15, "unknown value `u33`");
case!(missing_required, "missing_required.yaml", 1, 1, "missing required key `operations`");
// protocol levels
case!(level_key, "level_key.yaml", 3, 1, "key `version` is not allowed at protocol level genetlink");
case!(level_value, "level_value.yaml", 10, 15, "type `bitfield32` is not allowed at protocol level genetlink-c");
// dangling references
case!(dangling_nested, "dangling_nested.yaml", 10, 28, "unknown attribute set `nowhere`");
case!(dangling_enum, "dangling_enum.yaml", 15, 15, "unknown enum `color`");
case!(dangling_struct, "dangling_struct.yaml", 11, 17, "unknown struct `stats`");
case!(dangling_subset, "dangling_subset.yaml", 12, 16, "unknown attribute set `mian`");
case!(subset_attr, "subset_attr.yaml", 15, 15, "attribute `b` is not in set `main`");
case!(dangling_sub_message, "dangling_sub_message.yaml", 15, 22, "unknown sub-message `link-data`");
case!(dangling_selector, "dangling_selector.yaml", 16, 19, "selector `knd`");
case!(dangling_mcgrp, "dangling_mcgrp.yaml", 18, 14, "unknown multicast group `monitor`");
case!(op_attr_not_in_set, "op_attr_not_in_set.yaml", 21, 27, "attribute `c` is not in attribute set `main`");
case!(dangling_notify, "dangling_notify.yaml", 22, 15, "unknown operation `gett`");
case!(notify_without_reply, "notify_without_reply.yaml", 22, 15, "without a do or dump reply");
case!(dangling_fixed_header, "dangling_fixed_header.yaml", 12, 17, "unknown struct `hdr`");
// duplicates
case!(rust_name_collision, "rust_name_collision.yaml", 12, 15, "both become the Rust identifier `peer_port`");
case!(family_name_too_long, "family_name_too_long.yaml", 1, 7, "is 23 bytes long");
case!(
    family_name_not_an_identifier,
    "family_name_not_an_identifier.yaml",
    1,
    7,
    "family name `9lives` cannot name a crate"
);
case!(dup_attr_name, "dup_attr_name.yaml", 11, 15, "duplicate attribute name `a`");
case!(dup_attr_value, "dup_attr_value.yaml", 16, 16, "already used by attributes[1]");
case!(dup_op_name, "dup_op_name.yaml", 16, 13, "duplicate operation name `get`");
case!(dup_op_value, "dup_op_value.yaml", 19, 14, "already used by `get`");
case!(dup_enum_value, "dup_enum_value.yaml", 9, 27, "same value (0)");
case!(dup_definition, "dup_definition.yaml", 9, 11, "duplicate definition name `mode`");
case!(dup_mcgrp, "dup_mcgrp.yaml", 15, 13, "duplicate multicast group name `mon`");
// values that do not fit
case!(check_max_too_big, "check_max_too_big.yaml", 11, 16, "check max 300 does not fit attribute `a` of type u8");
case!(attr_value_too_big, "attr_value_too_big.yaml", 10, 16, "attribute value 70000");
case!(enum_too_wide, "enum_too_wide.yaml", 17, 15, "entry `high` (300) does not fit attribute `a` of type u8");
case!(op_value_too_big, "op_value_too_big.yaml", 15, 14, "command value 256");
case!(min_over_max, "min_over_max.yaml", 13, 16, "min 10 is greater than max -10");
// checks and types
case!(negative_literal, "negative_literal.yaml", 11, 16, "negative literal (-5)");
case!(check_wrong_type, "check_wrong_type.yaml", 11, 20, "check `max-len` does not apply to attribute `a` of type u32");
case!(unknown_limit, "unknown_limit.yaml", 11, 16, "unknown limit or definition `u31-max`");
case!(nest_without_set, "nest_without_set.yaml", 8, 9, "has no `nested-attributes`");
case!(flags_mask_enum, "flags_mask_enum.yaml", 16, 23, "is an enum, not flags");
case!(struct_binary_without_len, "struct_binary_without_len.yaml", 10, 10, "member `tail` of type binary needs `len`");

/// A spec that never ends (a device, a pipe) is an error once it passes the size limit.
#[test]
fn an_endless_spec_is_refused() {
    let d = nlspec_model::load_and_resolve("/dev/zero").unwrap_err();
    assert!(d.to_string().contains("cannot read spec: longer than 16 MiB"), "{d}");
}

/// Every fixture has a test above.
#[test]
fn every_fixture_is_tested() {
    let src = include_str!("spec_errors.rs");
    for e in std::fs::read_dir(fixture("")).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(src.contains(&format!("\"{n}\"")), "fixture {n} has no test");
    }
}

/// All errors are reported, not just the first.
#[test]
fn reports_all_errors() {
    let text = "name: x\ndoc: d\nattribute-sets:\n  - name: s\n    attributes:\n      - {name: a, type: nest, nested-attributes: q}\n      - {name: b, type: u8, enum: e}\noperations:\n  list: []\n";
    let d = nlspec_model::resolve_str("multi.yaml", text).unwrap_err();
    assert_eq!(d.len(), 2, "{d}");
    assert_eq!((d.0[0].line, d.0[1].line), (6, 7));
}

/// Names outside the schema's pattern are warnings (upstream specs have them), located.
#[test]
fn name_pattern_is_a_warning() {
    let text = "name: x\ndoc: d\nattribute-sets:\n  - name: s\n    attributes:\n      - {name: local_v4, type: u32}\noperations:\n  list: []\n";
    let f = nlspec_model::resolve_str("w.yaml", text).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(f.warnings.len(), 1);
    let w = &f.warnings[0];
    assert_eq!((w.line, w.col), (6, 16), "{w}");
    assert!(w.message.contains("does not match"), "{w}");
    assert_eq!(w.severity, nlspec_model::Severity::Warning);
    assert!(w.to_string().starts_with("w.yaml:6:16: warning: "), "{w}");
    assert_eq!(f.sets[0].attrs[0].rust_name, "local_v4");
}

/// A name with no ASCII letter or digit cannot become an identifier: an error, at every
/// protocol level (found by the `spec_model` fuzz target: an operation named `ü` resolved and
/// the client emitter then wrote `fn _`).
#[test]
fn names_without_an_identifier_are_errors() {
    for (name, level) in [("ü", "genetlink"), ("ü", "genetlink-c"), ("'--'", "netlink-raw"), ("''", "genetlink")] {
        let text = format!(
            "name: x\ndoc: d\nprotocol: {level}\nattribute-sets:\n  - name: s\n    attributes:\n      - name: a\n        type: u32\noperations:\n  list:\n    - name: {name}\n      doc: d\n      attribute-set: s\n      value: 1\n      do:\n        request:\n          attributes: [a]\n"
        );
        let d = nlspec_model::resolve_str("n.yaml", &text).expect_err(&format!("{name} at {level} resolves"));
        let e = d.iter().find(|e| e.message.contains("name")).unwrap_or_else(|| panic!("{d}"));
        assert_eq!((e.line, e.col), (11, 13), "{name} at {level}: {e}");
        assert_eq!(e.severity, nlspec_model::Severity::Error);
    }
    // Not every unusual name: upper case and `_` stay warnings, with a respelled example.
    let text = "name: x\ndoc: d\nattribute-sets:\n  - name: s\n    attributes:\n      - {name: Set_ID, type: u32}\noperations:\n  list: []\n";
    let f = nlspec_model::resolve_str("w.yaml", text).unwrap_or_else(|d| panic!("{d}"));
    assert!(f.warnings[0].help.as_deref().is_some_and(|h| h.contains("`set-id`")), "{}", f.warnings[0]);
}

/// A sub-message format's value becomes a Rust variant: a value without a letter or digit, or
/// two values that give one variant, are errors (the first found by the `spec_model` fuzz
/// target: format value `''` resolved and the client emitter wrote a variant `_`); so is a
/// sub-message name without one.
#[test]
fn sub_message_formats_become_variants() {
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/rt-link.yaml")).unwrap();
    assert!(base.contains("      - { value: bridge }\n"));
    for (from, to, want) in [
        ("      - { value: bridge }\n", "      - { value: '' }\n", "format value `` has no ASCII letter or digit"),
        ("      - { value: bridge }\n", "      - { value: 'IFB' }\n", "format values `ifb` and `IFB`"),
        ("    name: linkinfo-data-msg\n", "    name: \"\u{fc}\"\n", "name `\u{fc}` has no ASCII letter or digit"),
    ] {
        let text = base.replacen(from, to, 1);
        let Err(d) = nlspec_model::resolve_str("rt-link.yaml", &text) else { panic!("{to} resolves") };
        assert!(d.iter().any(|e| e.message.contains(want)), "{to}: {d}");
    }
}

/// Close misspellings get a "did you mean" in the help line.
#[test]
fn did_you_mean() {
    for (file, want) in [
        ("dangling_subset.yaml", "did you mean `main`?"),
        ("dangling_enum.yaml", "did you mean `colour`?"),
        ("unknown_type.yaml", "did you mean `u32`?"),
        ("dangling_sub_message.yaml", "did you mean `linkdata`?"),
    ] {
        let d = nlspec_model::load_and_resolve(fixture(file)).unwrap_err();
        let help = d.0[0].help.clone().unwrap_or_default();
        assert!(help.starts_with(want), "{file}: {help}");
    }
}

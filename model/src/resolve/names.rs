//! Name checks: how spec names are spelled at each protocol level, the family name's length,
//! and (once everything is resolved) spec names that would become one Rust identifier.

use super::Ctx;
use crate::ir;
use crate::spec::{DefType, Protocol};
use std::collections::HashMap;

/// Which schema rule a name falls under.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Family,
    Mcgrp,
    Member,
    Other,
}

/// Names must match `^[0-9a-z-]+$` where the level's schema says so (`name-cap` for
/// netlink-raw struct members also allows upper case).
fn check_name(cx: &mut Ctx<'_>, name: &str, path: &str, kind: NameKind) {
    use NameKind::*;
    if !check_identifier(cx, name, path, "name") {
        return;
    }
    let applies = match cx.level {
        Protocol::Genetlink => true,
        Protocol::GenetlinkC => false,
        Protocol::GenetlinkLegacy | Protocol::NetlinkRaw => !matches!(kind, Family | Mcgrp),
    };
    if !applies {
        return;
    }
    let cap = kind == Member && cx.level == Protocol::NetlinkRaw;
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == '-' || (cap && c.is_ascii_uppercase()));
    if !ok {
        // a warning: upstream specs have such names (`pci_pf`, `set id`) and the
        // generated identifiers are sanitised anyway
        let pat = if cap { "^[0-9a-zA-Z-]+$" } else { "^[0-9a-z-]+$" };
        let level = cx.level.as_str();
        let respelled = name.to_ascii_lowercase().replace(['_', ' ', '.'], "-");
        let valid = respelled.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == '-');
        cx.warn(
            path,
            format!("name `{name}` does not match {pat}"),
            Some(if valid {
                format!("at protocol level {level} names use lower-case letters, digits and `-` (e.g. `{respelled}`)")
            } else {
                format!("at protocol level {level} names use lower-case letters, digits and `-`")
            }),
        );
    }
}

/// Whether `text` (a `what` of the spec: a name, a format value) has an ASCII letter or digit,
/// at any protocol level: the generated Rust and C identifiers are made of them. An error at
/// `path` if not.
fn check_identifier(cx: &mut Ctx<'_>, text: &str, path: &str, what: &str) -> bool {
    let ok = text.chars().any(|c| c.is_ascii_alphanumeric());
    if !ok {
        cx.err(
            path,
            format!("{what} `{text}` has no ASCII letter or digit"),
            Some(format!("the generated Rust and C identifiers are made of a {what}'s ASCII letters and digits")),
        );
    }
    ok
}

/// Every name of the spec, and the family name's length (genetlink's GENL_NAMSIZ).
pub(super) fn check_names(cx: &mut Ctx<'_>) {
    let s = cx.spec;
    check_name(cx, &s.name, "name", NameKind::Family);
    // The family name becomes the crate, module and file names (`nlspec-<name>`, `<name>_genl.rs`,
    // `mod <name>_genl;`): an ASCII letter first, then letters, digits, `-` and `_`.
    let mut chars = s.name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !well_formed && s.name.chars().any(|c| c.is_ascii_alphanumeric()) {
        cx.err(
            "name",
            format!("family name `{}` cannot name a crate or a kernel module", s.name),
            Some("start it with an ASCII letter and use only ASCII letters, digits, `-` and `_`".into()),
        );
    }
    if cx.level != Protocol::NetlinkRaw && s.name.len() > 15 {
        cx.err(
            "name",
            format!("family name `{}` is {} bytes long", s.name, s.name.len()),
            Some("generic netlink family names are at most 15 bytes (GENL_NAMSIZ is 16 including the NUL)".into()),
        );
    }
    for (i, d) in s.definitions.iter().enumerate() {
        check_name(cx, &d.name, &format!("definitions[{i}].name"), NameKind::Other);
        for (j, e) in d.entries.iter().flatten().enumerate() {
            let p = if e.mapping {
                format!("definitions[{i}].entries[{j}].name")
            } else {
                format!("definitions[{i}].entries[{j}]")
            };
            check_name(cx, &e.name, &p, NameKind::Other);
        }
        for (j, m) in d.members.iter().flatten().enumerate() {
            check_name(cx, &m.name, &format!("definitions[{i}].members[{j}].name"), NameKind::Member);
        }
    }
    for (i, set) in s.attribute_sets.iter().enumerate() {
        check_name(cx, &set.name, &format!("attribute-sets[{i}].name"), NameKind::Other);
        for (j, a) in set.attributes.iter().enumerate() {
            check_name(cx, &a.name, &format!("attribute-sets[{i}].attributes[{j}].name"), NameKind::Other);
        }
    }
    for (i, op) in s.operations.list.iter().enumerate() {
        check_name(cx, &op.name, &format!("operations.list[{i}].name"), NameKind::Other);
    }
    for (i, g) in s.mcast_groups.iter().flat_map(|m| m.list.iter()).enumerate() {
        check_name(cx, &g.name, &format!("mcast-groups.list[{i}].name"), NameKind::Mcgrp);
    }
    for (i, sm) in s.sub_messages.iter().flatten().enumerate() {
        check_name(cx, &sm.name, &format!("sub-messages[{i}].name"), NameKind::Other);
        // A format's value names its Rust variant (no pattern: upstream values have `_`).
        for (j, f) in sm.formats.iter().enumerate() {
            check_identifier(cx, &f.value, &format!("sub-messages[{i}].formats[{j}].value"), "format value");
        }
    }
}

/// A spec name, the Rust identifier it becomes, and the spec path to report it at.
struct RustName<'x> {
    spec: &'x str,
    rust: &'x str,
    path: String,
}

/// Report each name whose Rust identifier an earlier, different name of the scope already has.
fn check_scope(cx: &mut Ctx<'_>, items: &[RustName<'_>], what: &str) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for item in items {
        if let Some(prev) = seen.insert(item.rust, item.spec) {
            if prev != item.spec {
                cx.err(
                    &item.path,
                    format!("{what} `{}` and `{prev}` both become the Rust identifier `{}`", item.spec, item.rust),
                    Some("rename one of them".into()),
                );
            }
        }
    }
}

/// Two spec names that map to one Rust identifier in the same scope would make the
/// generated code fail to compile: report them here, at the second one.
pub(super) fn check_rust_collisions(
    cx: &mut Ctx<'_>,
    sets: &[ir::AttrSet],
    ops: &ir::Operations,
    enums: &[ir::Enum],
    sub_messages: &[ir::SubMessage],
) {
    let s = cx.spec;
    for sm in sub_messages {
        let Some((i, spec_sm)) = s.sub_messages.iter().flatten().enumerate().find(|(_, x)| x.name == sm.name) else {
            continue;
        };
        let items: Vec<RustName> = sm
            .formats
            .iter()
            .map(|f| {
                let j = spec_sm.formats.iter().position(|x| x.value == f.value).unwrap_or(0);
                RustName { spec: &f.value, rust: &f.rust_name, path: format!("sub-messages[{i}].formats[{j}].value") }
            })
            .collect();
        check_scope(cx, &items, "format values");
    }
    for (i, set) in sets.iter().enumerate() {
        let spec_set = &s.attribute_sets[i];
        let items: Vec<RustName> = set
            .attrs
            .iter()
            .map(|a| {
                let j = spec_set.attributes.iter().position(|x| x.name == a.name).unwrap_or(0);
                RustName {
                    spec: &a.name,
                    rust: &a.rust_name,
                    path: format!("attribute-sets[{i}].attributes[{j}].name"),
                }
            })
            .collect();
        check_scope(cx, &items, "attributes");
    }
    let set_items: Vec<RustName> = sets
        .iter()
        .enumerate()
        .map(|(i, st)| RustName { spec: &st.name, rust: &st.rust_name, path: format!("attribute-sets[{i}].name") })
        .collect();
    check_scope(cx, &set_items, "attribute sets");
    let op_items: Vec<RustName> = ops
        .list
        .iter()
        .enumerate()
        .map(|(i, o)| RustName { spec: &o.name, rust: &o.fn_name, path: format!("operations.list[{i}].name") })
        .collect();
    check_scope(cx, &op_items, "operations");
    let mut ei = 0;
    for (i, d) in s.definitions.iter().enumerate() {
        if !matches!(d.ty, DefType::Enum | DefType::Flags) {
            continue;
        }
        let items: Vec<RustName> = enums
            .get(ei)
            .map(|e| {
                e.entries
                    .iter()
                    .enumerate()
                    .map(|(j, x)| RustName {
                        spec: &x.name,
                        rust: &x.rust_name,
                        path: format!("definitions[{i}].entries[{j}]"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        ei += 1;
        check_scope(cx, &items, "entries");
    }
}

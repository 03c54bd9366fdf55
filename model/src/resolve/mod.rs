//! Semantic validation and resolution: [`crate::loader::Loaded`] → [`crate::ir::Family`].
//!
//! Checks, each reported with `file:line:col` and what would be valid:
//! - keys not allowed at the spec's protocol level (the schemas differ per level);
//! - dangling references (nested-attributes, enum, struct, subset-of, sub-message, selector,
//!   mcgrp, notify, fixed-header, flags-mask, attribute lists of ops naming attributes not in
//!   the op's set, definition names in checks/len);
//! - duplicate names and values (definitions, enum entries, sets, attributes, ops, groups);
//! - values that do not fit (attribute numbers, command numbers, enum values, check bounds,
//!   enum values for the attribute's width);
//! - checks not valid for the attribute's type.
//!
//! All errors are collected; resolution only returns a `Family` when there are none.
//!
//! This file holds the entry point [`resolve`], the phase driver and what every phase shares:
//! `Ctx` (the spec, its protocol level and the diagnostics sink), the help-text helpers and
//! `AttrPaths`. Each phase is a file, run in this order:
//! - `names.rs`: name spelling per level, the family name's length (and, last, Rust-name
//!   collisions);
//! - `levels.rs`: which key and value is allowed at which protocol level, required keys;
//! - `definitions.rs`: consts, enums, flags, structs and the definition name index;
//! - `sets.rs`: attribute sets, their numbering and C names, subsets merged;
//! - `sub_messages.rs`: the sub-messages table;
//! - `operations.rs`: multicast groups, then (after kinds) operations and their attribute lists;
//! - `kinds.rs`: attribute kinds, keys valid per type, selectors (uses `checks.rs`: checks and
//!   their bounds);
//! - `family.rs`: family-level values (version, protonum, C names).
//!
//! A phase uses only this file's shared types and earlier phases' outputs. The order matters
//! for the output: errors are sorted by position (stably, so errors at one position keep the
//! order they were found in) and warnings keep the order they were found in.

mod checks;
mod definitions;
mod family;
mod kinds;
mod levels;
mod names;
mod operations;
mod sets;
mod sub_messages;

use crate::diag::{Diagnostic, Diagnostics};
use crate::ir;
use crate::loader::Loaded;
use crate::names::{snake, upper_camel};
use crate::spec::{self, KernelPolicy, Protocol};

/// Validate and resolve a loaded spec.
pub fn resolve(loaded: &Loaded) -> Result<ir::Family, Diagnostics> {
    let mut cx = Ctx::new(loaded);
    let fam = run(&mut cx);
    let mut d = cx.errors;
    d.sort();
    match fam {
        Some(f) if d.is_empty() => Ok(f),
        _ => {
            if d.is_empty() {
                // should not happen; never return an empty error list
                d.push(loaded.error_at("", "spec could not be resolved"));
            }
            Err(d)
        }
    }
}

/// The phase driver: each phase in turn, then the family from their outputs (`None` when any
/// error was reported).
fn run(cx: &mut Ctx<'_>) -> Option<ir::Family> {
    yaml11_bools(cx);
    names::check_names(cx);
    levels::check_levels(cx);
    let defs = definitions::resolve_definitions(cx);
    let mut sets = sets::resolve_sets(cx);
    let sub_messages = sub_messages::resolve_sub_messages(cx, &defs.index, &sets.index);
    let mcast_groups = operations::resolve_mcast_groups(cx);
    kinds::resolve_kinds(cx, &defs, &sets.index, &sub_messages.index, &mut sets.list);
    let ops = operations::resolve_operations(cx, &defs.index, &sets.index, &sets.list, &mcast_groups.index);
    let header = family::resolve_header(cx, &ops);
    names::check_rust_collisions(cx, &sets.list, &ops, &defs.enums, &sub_messages.list);
    if cx.has_errors() {
        return None;
    }
    let s = cx.spec;
    Some(ir::Family {
        name: s.name.clone(),
        rust_name: upper_camel(&s.name),
        rust_mod: snake(&s.name),
        source: cx.loaded.file.clone(),
        protocol: cx.level,
        doc: s.doc.clone(),
        version: header.version,
        protonum: header.protonum,
        kernel_policy: s.kernel_policy.unwrap_or(KernelPolicy::Split),
        c: header.c,
        kernel_family: header.kernel_family,
        definitions: defs.order,
        consts: defs.consts,
        enums: defs.enums,
        structs: defs.structs,
        sets: sets.list,
        sub_messages: sub_messages.list,
        ops,
        mcast_groups: mcast_groups.list,
        warnings: located(cx.loaded, std::mem::take(&mut cx.warnings)),
    })
}

/// `warnings` at their places (reported unlocated, at their paths: one reading of the text
/// locates them all).
fn located(loaded: &Loaded, mut warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
    let at = loaded.value_positions(&paths);
    for (w, p) in warnings.iter_mut().zip(at) {
        (w.line, w.col) = (p.line, p.col);
    }
    warnings
}

/// Plain scalars that YAML 1.1 parsers (the kernel's YNL tools) read as booleans: warnings.
fn yaml11_bools(cx: &mut Ctx<'_>) {
    let loaded = cx.loaded;
    for (path, text, _) in loaded.yaml11_bools() {
        cx.warn(
            path,
            format!("`{text}` is read as a boolean by YAML 1.1 parsers (PyYAML, used by the kernel's YNL tools)"),
            Some(format!("quote it (\"{text}\") so every YAML parser reads a string")),
        );
    }
}

/// What every phase reads (the loaded spec and its protocol level) and where every phase
/// reports (the diagnostics sink).
struct Ctx<'a> {
    /// The loaded spec with its span index, for `file:line:col`.
    loaded: &'a Loaded,
    /// The spec itself (`&loaded.spec`).
    spec: &'a spec::Spec,
    /// The protocol level (`protocol:`, genetlink when absent).
    level: Protocol,
    /// The family name as used in default C names.
    fam_ident: &'a str,
    /// Errors so far, in the order found (sorted by position at the end).
    errors: Diagnostics,
    /// Warnings so far, in the order found (kept in that order).
    warnings: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    fn new(loaded: &'a Loaded) -> Self {
        let spec = &loaded.spec;
        Ctx {
            loaded,
            spec,
            level: spec.protocol.unwrap_or(Protocol::Genetlink),
            fam_ident: &spec.name,
            errors: Diagnostics::new(),
            warnings: Vec::new(),
        }
    }

    /// An error at the value of `path`.
    fn err(&mut self, path: &str, msg: impl Into<String>, help: Option<String>) {
        let mut d = self.loaded.error_at(path, msg);
        d.help = help;
        self.errors.push(d);
    }

    /// An error at the key of `path` (for a key that should not be there).
    fn err_key(&mut self, path: &str, msg: impl Into<String>, help: Option<String>) {
        let mut d = self.loaded.error_at_key(path, msg);
        d.help = help;
        self.errors.push(d);
    }

    /// A warning at the value of `path`.
    /// A warning at `path`, located when the family is made ([`located`]).
    fn warn(&mut self, path: &str, msg: impl Into<String>, help: Option<String>) {
        let mut d = Diagnostic::new(&self.loaded.file, 0, 0, path, msg).into_warning();
        d.help = help;
        self.warnings.push(d);
    }

    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Where an attribute's keys are reported: the attribute's own entry when it sets the key,
/// else the entry it inherits the key from (the parent set's, for a subset attribute; the same
/// entry for a full set).
struct AttrPaths {
    /// `attribute-sets[i].attributes[j]` of the attribute itself.
    own: String,
    /// The same for the attribute it takes its keys from.
    parent: String,
}

impl AttrPaths {
    /// Path of `key`: in the attribute's own entry if `in_own`, else in the parent's.
    fn key(&self, key: &str, in_own: bool) -> String {
        if in_own {
            format!("{}.{key}", self.own)
        } else {
            format!("{}.{key}", self.parent)
        }
    }
}

/// `` did you mean `x`? <what>: `a`, `b`, ... `` when a name is close to `word`, else the list alone.
fn candidates(word: &str, what: &str, names: &[&str]) -> String {
    match crate::diag::suggest(word, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? {what}: {}", one_of(names)),
        None => format!("{what}: {}", one_of(names)),
    }
}

/// "`a`, `b`, ..." (the first 20), or "(none defined)".
fn one_of(names: &[&str]) -> String {
    if names.is_empty() {
        return "(none defined)".into();
    }
    let mut s = names.iter().take(20).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    if names.len() > 20 {
        s.push_str(&format!(", … ({} in all)", names.len()));
    }
    s
}

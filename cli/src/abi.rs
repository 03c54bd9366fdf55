//! `nlspec abi-check OLD NEW`: what changed between two versions of a family's spec that
//! breaks existing userspace or existing kernels (`error`), or looks suspicious (`warning`),
//! one finding per line as `file:line:col: error|warning: message` — at the element in NEW,
//! or in OLD for what was removed.
//!
//! Both specs are resolved (`nlspec_model::ir::Family`) and compared element by element, each
//! matched by name: attribute sets and attributes (number, type and width, nested set, byte
//! order, `checks` — tightened is an error, loosened a warning), enums and flags (entries
//! removed or renumbered), structs (layout), operations (message ids, modes, attribute set,
//! fixed header, `flags`, `dont-validate`, request/reply attributes, multicast group),
//! multicast groups, sub-messages and the family itself (name, protocol, fixed header).
//! Positions come from the loader's span index (the same `file:line:col` the model's
//! diagnostics use).
//!
//! YNL specs cannot say whether the kernel *requires* an attribute (only the kernel's code
//! does), so an attribute newly listed in an op's request is a warning, not an error.

use std::fmt::Write as _;

use nlspec_model::ir::{Attr, AttrKind, AttrType, Bound, Family, OpFlags, SetId, SubOp};
use nlspec_model::loader::Loaded;
use nlspec_model::Severity;

use crate::errors::Fail;
use crate::output::out;

/// One side of the comparison: the loaded spec (spans, names as written) and its IR.
pub struct Side {
    /// The spec as loaded: the schema-shaped tree and its position index.
    pub loaded: Loaded,
    /// The resolved family.
    pub fam: Family,
}

impl Side {
    /// Load and resolve; a spec that does not resolve is an error with its diagnostics.
    pub fn load(path: &str) -> Result<Side, Fail> {
        let err = |d: nlspec_model::Diagnostics| {
            let n = d.len();
            Fail::Error(format!("{d}\nnlspec: {path}: {n} error{}", if n == 1 { "" } else { "s" }))
        };
        let loaded = nlspec_model::loader::load_file(std::path::Path::new(path)).map_err(err)?;
        let fam = nlspec_model::resolve::resolve(&loaded).map_err(err)?;
        Ok(Side { loaded, fam })
    }

    fn set_path(&self, set: &str) -> String {
        match self.loaded.spec.attribute_sets.iter().position(|s| s.name == set) {
            Some(i) => format!("attribute-sets[{i}]"),
            None => "attribute-sets".into(),
        }
    }
    fn attr_path(&self, set: &str, attr: &str) -> String {
        let s = self.set_path(set);
        let i = self.loaded.spec.attribute_sets.iter().find(|x| x.name == set);
        match i.and_then(|x| x.attributes.iter().position(|a| a.name == attr)) {
            Some(j) => format!("{s}.attributes[{j}]"),
            None => s,
        }
    }
    fn def_path(&self, name: &str) -> String {
        match self.loaded.spec.definitions.iter().position(|d| d.name == name) {
            Some(i) => format!("definitions[{i}]"),
            None => "definitions".into(),
        }
    }
    fn op_path(&self, name: &str) -> String {
        match self.loaded.spec.operations.list.iter().position(|o| o.name == name) {
            Some(i) => format!("operations.list[{i}]"),
            None => "operations".into(),
        }
    }
    fn mcgrp_path(&self, name: &str) -> String {
        let l = self.loaded.spec.mcast_groups.as_ref().map(|g| &g.list[..]).unwrap_or(&[]);
        match l.iter().position(|g| g.name == name) {
            Some(i) => format!("mcast-groups.list[{i}]"),
            None => "mcast-groups".into(),
        }
    }
    fn submsg_path(&self, name: &str) -> String {
        let l = self.loaded.spec.sub_messages.as_deref().unwrap_or(&[]);
        match l.iter().position(|g| g.name == name) {
            Some(i) => format!("sub-messages[{i}]"),
            None => "sub-messages".into(),
        }
    }
    /// `file:line:col` of `path`: its `key` child if present (e.g. `.value` of an attribute),
    /// else the node's `name`, else the node.
    fn pos(&self, path: &str, key: Option<&str>) -> (usize, usize) {
        let spans = self.loaded.spans();
        let candidates = [key.map(|k| format!("{path}.{k}")), Some(format!("{path}.name")), Some(path.to_string())];
        for c in candidates.into_iter().flatten() {
            if let Some(s) = spans.get(&c) {
                let p = s.key.unwrap_or(s.value);
                return (p.line, p.col);
            }
        }
        let p = spans.key_pos(path);
        (p.line, p.col)
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `Error`: breaks existing userspace or kernels; `Warning`: suspicious.
    pub severity: Severity,
    /// The spec file the finding points into (NEW, or OLD for what was removed).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What changed.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}:{}: {s}: {}", self.file, self.line, self.col, self.message)
    }
}

struct Cx<'a> {
    old: &'a Side,
    new: &'a Side,
    out: Vec<Finding>,
    /// Sets, structs and enums of OLD missing from NEW under their name, matched to the NEW
    /// one that took their place (an op or attribute now pointing at a name OLD lacks).
    renamed: std::collections::HashMap<String, String>,
}

/// Pairs (old name, new name) of sets, structs, enums and sub-messages referred to from the
/// same place (an op, or an attribute of a matched set), followed until nothing new is found
/// (a renamed set's attributes reveal renamed nested sets).
fn find_renames(old: &Family, new: &Family) -> std::collections::HashMap<String, String> {
    let exists = |f: &Family, n: &str| {
        f.set_by_name(n).is_some()
            || f.struct_by_name(n).is_some()
            || f.enum_by_name(n).is_some()
            || f.sub_messages.iter().any(|m| m.name == n)
    };
    let set = |f: &Family, s: Option<SetId>| s.map(|s| f.set(s).name.clone());
    let st = |f: &Family, s: Option<nlspec_model::ir::StructId>| s.map(|s| f.struct_(s).name.clone());
    let en = |f: &Family, s: Option<nlspec_model::ir::EnumId>| s.map(|s| f.enum_(s).name.clone());
    let mut map: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    loop {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for oo in &old.ops.list {
            if let Some(no) = new.op_by_name(&oo.name) {
                pairs.extend(set(old, oo.attribute_set).zip(set(new, no.attribute_set)));
                pairs.extend(st(old, oo.fixed_header).zip(st(new, no.fixed_header)));
            }
        }
        for os in &old.sets {
            let name = map.get(&os.name).cloned().unwrap_or_else(|| os.name.clone());
            let Some(ns) = new.set_by_name(&name) else { continue };
            for oa in &os.attrs {
                if let Some(na) = ns.attr(&oa.name).or_else(|| ns.attr_by_value(oa.value)) {
                    pairs.extend(set(old, oa.kind.nested_set()).zip(set(new, na.kind.nested_set())));
                    pairs.extend(st(old, oa.struct_).zip(st(new, na.struct_)));
                    pairs.extend(en(old, oa.enum_).zip(en(new, na.enum_)));
                    if let (AttrKind::SubMessage { sub_message: a, .. }, AttrKind::SubMessage { sub_message: b, .. }) =
                        (&oa.kind, &na.kind)
                    {
                        pairs.push((old.sub_message(*a).name.clone(), new.sub_message(*b).name.clone()));
                    }
                }
            }
        }
        for om in &old.sub_messages {
            let name = map.get(&om.name).cloned().unwrap_or_else(|| om.name.clone());
            let Some(nm) = new.sub_messages.iter().find(|m| m.name == name) else { continue };
            for of in &om.formats {
                if let Some(nf) = nm.formats.iter().find(|f| f.value == of.value) {
                    pairs.extend(set(old, of.attribute_set).zip(set(new, nf.attribute_set)));
                    pairs.extend(st(old, of.fixed_header).zip(st(new, nf.fixed_header)));
                }
            }
        }
        let before = map.len();
        for (o, n) in pairs {
            if o != n && !exists(new, &o) && !exists(old, &n) {
                map.entry(o).or_insert(n);
            }
        }
        if map.len() == before {
            return map;
        }
    }
}

/// Which side a finding points into.
#[derive(Clone, Copy)]
enum At {
    Old,
    New,
}

impl Cx<'_> {
    /// The NEW name of an OLD set, struct or enum.
    fn map(&self, old: &str) -> String {
        self.renamed.get(old).cloned().unwrap_or_else(|| old.to_string())
    }
    /// An OLD type description with renamed sets/structs/enums in their NEW names.
    fn map_type(&self, t: String) -> String {
        t.split(' ')
            .map(|w| {
                let (core, paren) = match w.strip_suffix(')') {
                    Some(c) => (c, ")"),
                    None => (w, ""),
                };
                format!("{}{paren}", self.map(core))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
    /// `Some(name)` mapped to NEW names.
    fn map_opt(&self, old: Option<String>) -> Option<String> {
        old.map(|o| self.map(&o))
    }
    /// Report a rename found by [`find_renames`] (at NEW) once.
    fn renamed_note(&mut self, what: &str, old: &str, path: &str) {
        if let Some(n) = self.renamed.get(old).cloned() {
            self.warn(
                At::New,
                path,
                None,
                format!("{what} {old} renamed to {n} (same place; names in C and JSON change)"),
            );
        }
    }
    fn push(&mut self, severity: Severity, at: At, path: &str, key: Option<&str>, message: String) {
        let side = match at {
            At::Old => self.old,
            At::New => self.new,
        };
        let (line, col) = side.pos(path, key);
        self.out.push(Finding { severity, file: side.loaded.file.clone(), line, col, message });
    }
    fn error(&mut self, at: At, path: &str, key: Option<&str>, message: String) {
        self.push(Severity::Error, at, path, key, message);
    }
    fn warn(&mut self, at: At, path: &str, key: Option<&str>, message: String) {
        self.push(Severity::Warning, at, path, key, message);
    }
}

/// Compare two specs; findings in file order of where they point (NEW first, then OLD).
pub fn compare(old: &Side, new: &Side) -> Vec<Finding> {
    let renamed = find_renames(&old.fam, &new.fam);
    let mut cx = Cx { old, new, out: Vec::new(), renamed };
    family(&mut cx);
    enums(&mut cx);
    structs(&mut cx);
    sets(&mut cx);
    ops(&mut cx);
    mcast_groups(&mut cx);
    sub_messages(&mut cx);
    let new_file = new.loaded.file.clone();
    cx.out.sort_by_key(|a| (a.file != new_file, a.line, a.col));
    cx.out.dedup();
    cx.out
}

fn family(cx: &mut Cx<'_>) {
    let (o, n) = (&cx.old.fam, &cx.new.fam);
    if o.name != n.name {
        cx.error(At::New, "name", None, format!("family renamed from {} to {} (resolved by name)", o.name, n.name));
    }
    if o.protocol != n.protocol {
        let what = format!("protocol changed from {} to {}", o.protocol.as_str(), n.protocol.as_str());
        if o.is_genetlink() && n.is_genetlink() {
            // genetlink, genetlink-c and genetlink-legacy are levels of one spec format: what a
            // spec may say, not what goes on the wire
            cx.warn(At::New, "protocol", None, format!("{what} (the same Generic Netlink wire format)"));
        } else {
            cx.error(At::New, "protocol", None, what);
        }
    }
    if o.protonum != n.protonum {
        let num = |p: Option<u32>| p.map_or("none".to_string(), |p| p.to_string());
        cx.error(
            At::New,
            "protonum",
            None,
            format!("protonum changed from {} to {}", num(o.protonum), num(n.protonum)),
        );
    }
    if o.version != n.version {
        cx.warn(At::New, "version", None, format!("family version changed from {} to {}", o.version, n.version));
    }
    if o.ops.enum_model != n.ops.enum_model {
        cx.error(
            At::New,
            "operations",
            Some("enum-model"),
            format!("operation numbering changed from {:?} to {:?}", o.ops.enum_model, n.ops.enum_model),
        );
    }
    let sname = |f: &Family, s: Option<nlspec_model::ir::StructId>| s.map(|s| f.struct_(s).name.clone());
    let (of, nf) = (cx.map_opt(sname(o, o.ops.fixed_header)), sname(n, n.ops.fixed_header));
    if of != nf {
        cx.error(
            At::New,
            "operations",
            Some("fixed-header"),
            format!("family fixed header changed from {} to {}", show(&of), show(&nf)),
        );
    }
}

fn show(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "none".into())
}

fn enums(cx: &mut Cx<'_>) {
    for oe in &cx.old.fam.enums {
        let op = cx.old.def_path(&oe.name);
        let Some(ne) = cx.new.fam.enum_by_name(&cx.map(&oe.name)) else {
            cx.error(At::Old, &op, None, format!("{} {} removed", kind_word(oe.kind), oe.name));
            continue;
        };
        let np = cx.new.def_path(&ne.name);
        cx.renamed_note(kind_word(oe.kind), &oe.name, &np);
        if oe.kind != ne.kind {
            cx.error(
                At::New,
                &np,
                Some("type"),
                format!("{} changed from {} to {}", oe.name, kind_word(oe.kind), kind_word(ne.kind)),
            );
            continue;
        }
        for (i, x) in oe.entries.iter().enumerate() {
            let by_value = ne.entries.iter().position(|y| y.value == x.value && oe.entry(&y.name).is_none());
            match ne.entries.iter().position(|y| y.name == x.name) {
                None if by_value.is_some() => cx.warn(
                    At::New,
                    &format!("{np}.entries[{}]", by_value.unwrap_or(0)),
                    None,
                    format!(
                        "{} {}: entry {} renamed to {} (same value {}; names in C and JSON change)",
                        kind_word(oe.kind),
                        oe.name,
                        x.name,
                        ne.entries[by_value.unwrap_or(0)].name,
                        x.value
                    ),
                ),
                None => cx.error(
                    At::Old,
                    &format!("{op}.entries[{i}]"),
                    None,
                    format!("{} {}: entry {} (value {}) removed", kind_word(oe.kind), oe.name, x.name, x.value),
                ),
                Some(j) if ne.entries[j].value != x.value => cx.error(
                    At::New,
                    &format!("{np}.entries[{j}]"),
                    Some("value"),
                    format!(
                        "{} {}: entry {} renumbered from {} to {}",
                        kind_word(oe.kind),
                        oe.name,
                        x.name,
                        x.value,
                        ne.entries[j].value
                    ),
                ),
                _ => {}
            }
        }
    }
}

fn kind_word(k: nlspec_model::ir::EnumKind) -> &'static str {
    match k {
        nlspec_model::ir::EnumKind::Enum => "enum",
        nlspec_model::ir::EnumKind::Flags => "flags",
    }
}

fn structs(cx: &mut Cx<'_>) {
    for os in &cx.old.fam.structs {
        let op = cx.old.def_path(&os.name);
        let Some(ns) = cx.new.fam.struct_by_name(&cx.map(&os.name)) else {
            cx.error(At::Old, &op, None, format!("struct {} removed", os.name));
            continue;
        };
        let np = cx.new.def_path(&ns.name);
        cx.renamed_note("struct", &os.name, &np);
        let layout = |s: &nlspec_model::ir::Struct| -> Vec<(String, String, Option<usize>, Option<usize>)> {
            s.members.iter().map(|m| (m.name.clone(), format!("{:?}", m.ty).to_lowercase(), m.offset, m.len)).collect()
        };
        let (ol, nl) = (layout(os), layout(ns));
        let unnamed =
            |l: &[(String, String, Option<usize>, Option<usize>)]| -> Vec<(String, Option<usize>, Option<usize>)> {
                l.iter().map(|(_, t, o, n)| (t.clone(), *o, *n)).collect()
            };
        if unnamed(&ol) == unnamed(&nl) {
            for (i, (a, b)) in ol.iter().zip(&nl).enumerate() {
                if a.0 != b.0 {
                    cx.warn(
                        At::New,
                        &format!("{np}.members[{i}]"),
                        None,
                        format!("struct {}: member {} renamed to {} (same layout)", os.name, a.0, b.0),
                    );
                }
            }
            continue;
        }
        // The first member that differs.
        let i = ol.iter().zip(&nl).position(|(a, b)| a != b).unwrap_or(ol.len().min(nl.len()));
        let what = match (ol.get(i), nl.get(i)) {
            (Some(a), Some(b)) => format!(
                "member {} ({} at offset {}) is now {} ({} at offset {})",
                a.0,
                a.1,
                a.2.map_or("?".into(), |x| x.to_string()),
                b.0,
                b.1,
                b.2.map_or("?".into(), |x| x.to_string())
            ),
            (Some(a), None) => format!("member {} removed", a.0),
            (None, Some(b)) => format!("member {} added", b.0),
            (None, None) => "layout changed".into(),
        };
        let path = if i < ns.members.len() { format!("{np}.members[{i}]") } else { np.clone() };
        cx.error(
            At::New,
            &path,
            None,
            format!(
                "struct {}: layout changed ({what}; size {} -> {})",
                os.name,
                os.size.map_or("?".into(), |x| x.to_string()),
                ns.size.map_or("?".into(), |x| x.to_string())
            ),
        );
    }
}

fn type_name(f: &Family, a: &Attr) -> String {
    let mut s = a.kind.ty().as_str().to_string();
    match &a.kind {
        AttrKind::Nest { set } | AttrKind::NestTypeValue { set, .. } => {
            let _ = write!(s, " of {}", f.set(*set).name);
        }
        AttrKind::IndexedArray { sub_type, set } => {
            let _ = write!(s, " of {}", sub_type.as_str());
            if let Some(set) = set {
                let _ = write!(s, " {}", f.set(*set).name);
            }
        }
        AttrKind::SubMessage { sub_message, selector } => {
            let _ = write!(s, " {} by {}", f.sub_message(*sub_message).name, selector.name);
        }
        _ => {}
    }
    if let Some(st) = a.struct_ {
        let _ = write!(s, " (struct {})", f.struct_(st).name);
    }
    if let Some(t) = a.sub_type {
        let _ = write!(s, " (sub-type {})", t.as_str());
    }
    s
}

/// Same wire values, wider or variable width: readers of the new type accept the old.
fn compatible_widening(o: AttrType, n: AttrType) -> bool {
    matches!((o, n), (AttrType::U32 | AttrType::U64, AttrType::Uint) | (AttrType::S32 | AttrType::S64, AttrType::Sint))
}

fn sets(cx: &mut Cx<'_>) {
    for os in &cx.old.fam.sets {
        let Some(ns) = cx.new.fam.set_by_name(&cx.map(&os.name)) else {
            cx.error(At::Old, &cx.old.set_path(&os.name), None, format!("attribute set {} removed", os.name));
            continue;
        };
        cx.renamed_note("attribute set", &os.name, &cx.new.set_path(&ns.name));
        for oa in &os.attrs {
            let op = cx.old.attr_path(&os.name, &oa.name);
            // Renamed: same number, a name OLD does not have.
            let renamed =
                ns.attr_by_value(oa.value).filter(|na| os.attr(&na.name).is_none() && ns.attr(&oa.name).is_none());
            if let Some(na) = renamed.filter(|na| !matches!(na.kind, AttrKind::Unused | AttrKind::Pad)) {
                let np = cx.new.attr_path(&ns.name, &na.name);
                cx.warn(
                    At::New,
                    &np,
                    None,
                    format!(
                        "attribute {}.{} renamed to {} (same value {}; names in C and JSON change)",
                        os.name, oa.name, na.name, oa.value
                    ),
                );
                attr(cx, &os.name, oa, na, &np);
                continue;
            }
            let Some(na) = ns.attr(&oa.name) else {
                if !matches!(oa.kind, AttrKind::Unused | AttrKind::Pad) {
                    cx.error(
                        At::Old,
                        &op,
                        None,
                        format!("attribute {}.{} (value {}) removed", os.name, oa.name, oa.value),
                    );
                }
                continue;
            };
            let np = cx.new.attr_path(&ns.name, &na.name);
            attr(cx, &os.name, oa, na, &np);
        }
    }
}

fn attr(cx: &mut Cx<'_>, set: &str, oa: &Attr, na: &Attr, np: &str) {
    let (of, nf) = (&cx.old.fam, &cx.new.fam);
    let id = format!("attribute {set}.{}", oa.name);
    if oa.value != na.value {
        cx.error(At::New, np, Some("value"), format!("{id} renumbered from {} to {}", oa.value, na.value));
    }
    let (ot, nt) = (cx.map_type(type_name(of, oa)), type_name(nf, na));
    if ot != nt {
        let msg = format!("{id}: type changed from {ot} to {nt}");
        if compatible_widening(oa.kind.ty(), na.kind.ty()) {
            cx.warn(At::New, np, Some("type"), format!("{msg} (same values; old readers of a 64-bit value break)"));
        } else {
            cx.error(At::New, np, Some("type"), msg);
        }
    }
    if oa.byte_order != na.byte_order {
        cx.error(
            At::New,
            np,
            Some("byte-order"),
            format!("{id}: byte order changed from {:?} to {:?}", oa.byte_order, na.byte_order),
        );
    }
    let ename = |f: &Family, a: &Attr| a.enum_.map(|e| f.enum_(e).name.clone());
    if cx.map_opt(ename(of, oa)) != ename(nf, na) || oa.enum_as_flags != na.enum_as_flags {
        cx.warn(
            At::New,
            np,
            Some("enum"),
            format!(
                "{id}: values now from {}{} (were {}{})",
                show(&ename(nf, na)),
                if na.enum_as_flags { " as flags" } else { "" },
                show(&ename(of, oa)),
                if oa.enum_as_flags { " as flags" } else { "" }
            ),
        );
    }
    if oa.multi_attr != na.multi_attr {
        let sev = if oa.multi_attr { Severity::Error } else { Severity::Warning };
        let msg = if oa.multi_attr {
            format!("{id} no longer multi-attr: repeated attributes from existing users are no longer all read")
        } else {
            format!("{id} is now multi-attr: existing readers see only one of the repeated attributes")
        };
        cx.push(sev, At::New, np, Some("multi-attr"), msg);
    }
    checks(cx, &id, oa, na, np);
}

fn bound(b: &Option<Bound>) -> Option<i128> {
    b.as_ref().map(|b| b.value)
}

/// `checks`: a stricter check rejects what existing users send (error); a looser one accepts
/// what existing kernels reject (warning).
fn checks(cx: &mut Cx<'_>, id: &str, oa: &Attr, na: &Attr, np: &str) {
    let (o, n) = (&oa.checks, &na.checks);
    let path = format!("{np}.checks");
    let fmt = |v: Option<i128>| v.map_or("none".to_string(), |v| v.to_string());
    // (key, old, new, tighter when the new value is larger)
    for (key, ov, nv, larger_is_tighter) in [
        ("min", bound(&o.min), bound(&n.min), true),
        ("max", bound(&o.max), bound(&n.max), false),
        ("min-len", bound(&o.min_len), bound(&n.min_len), true),
        ("max-len", bound(&o.max_len), bound(&n.max_len), false),
    ] {
        let tighter = match (ov, nv) {
            (None, None) => continue,
            (Some(a), Some(b)) if a == b => continue,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => (b > a) == larger_is_tighter,
        };
        let msg = format!("{id}: {key} {} -> {}", fmt(ov), fmt(nv));
        if tighter {
            cx.error(At::New, &path, Some(key), format!("{msg} (tightened: values accepted before are rejected)"));
        } else {
            cx.warn(At::New, &path, Some(key), format!("{msg} (loosened: older kernels reject the new values)"));
        }
    }
    match (bound(&o.exact_len), bound(&n.exact_len)) {
        (a, b) if a == b => {}
        (a, None) => {
            cx.warn(At::New, &path, Some("exact-len"), format!("{id}: exact-len {} removed (loosened)", fmt(a)))
        }
        (a, b) => {
            cx.error(At::New, &path, Some("exact-len"), format!("{id}: exact-len {} -> {} (tightened)", fmt(a), fmt(b)))
        }
    }
    let mask = |c: &nlspec_model::ir::Checks| c.flags_mask.as_ref().map(|m| m.mask);
    match (mask(o), mask(n)) {
        (a, b) if a == b => {}
        (Some(a), Some(b)) if a & !b == 0 => cx.warn(
            At::New,
            &path,
            Some("flags-mask"),
            format!("{id}: flags-mask {a:#x} -> {b:#x} (loosened: more bits allowed)"),
        ),
        (None, _) | (Some(_), Some(_)) => cx.error(
            At::New,
            &path,
            Some("flags-mask"),
            format!(
                "{id}: flags-mask {} -> {} (tightened: bits allowed before are rejected)",
                fmtm(mask(o)),
                fmtm(mask(n))
            ),
        ),
        (Some(a), None) => {
            cx.warn(At::New, &path, Some("flags-mask"), format!("{id}: flags-mask {a:#x} removed (loosened)"))
        }
    }
    if o.unterminated_ok != n.unterminated_ok {
        if o.unterminated_ok {
            cx.error(
                At::New,
                &path,
                Some("unterminated-ok"),
                format!("{id}: unterminated-ok removed (tightened: strings without NUL are rejected)"),
            );
        } else {
            cx.warn(At::New, &path, Some("unterminated-ok"), format!("{id}: unterminated-ok added (loosened)"));
        }
    }
}

fn fmtm(m: Option<u64>) -> String {
    m.map_or("none".to_string(), |m| format!("{m:#x}"))
}

fn flag_words(f: OpFlags) -> String {
    let mut v = Vec::new();
    if f.admin_perm {
        v.push("admin-perm");
    }
    if f.uns_admin_perm {
        v.push("uns-admin-perm");
    }
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Flags that restrict more: admin-perm (initial user namespace) > uns-admin-perm > none.
fn perm_level(f: OpFlags) -> u8 {
    if f.admin_perm {
        2
    } else if f.uns_admin_perm {
        1
    } else {
        0
    }
}

/// The attributes a message lists: (number, name). Compared by number: a renamed attribute
/// is still the same attribute on the wire.
fn names(f: &Family, m: Option<&nlspec_model::ir::Msg>) -> Vec<(u16, String)> {
    m.map(|m| m.attrs.iter().map(|r| (f.attr(*r).value, f.attr(*r).name.clone())).collect()).unwrap_or_default()
}

/// Attributes of `a` that `b` lacks: matched by name, else (renamed) by number.
fn missing<'a>(a: &'a [(u16, String)], b: &[(u16, String)]) -> Vec<&'a str> {
    let present = |(v, n): &(u16, String)| {
        b.iter().any(|(_, m)| m == n) || b.iter().any(|(w, m)| w == v && !a.iter().any(|(_, x)| x == m))
    };
    a.iter().filter(|x| !present(x)).map(|(_, n)| n.as_str()).collect()
}

/// Operations of OLD missing from NEW by name whose message ids NEW gives an op of a new name
/// (old name -> new name): the same op renamed, which only changes names in C and JSON.
fn op_renames(old: &Family, new: &Family) -> std::collections::HashMap<String, String> {
    let mut map = std::collections::HashMap::new();
    for oo in old.ops.list.iter().filter(|o| new.op_by_name(&o.name).is_none()) {
        let same = new.ops.list.iter().find(|no| {
            old.op_by_name(&no.name).is_none()
                && (oo.req_value, oo.rsp_value) == (no.req_value, no.rsp_value)
                && (oo.req_value.is_some() || oo.rsp_value.is_some())
                && oo.is_async() == no.is_async()
        });
        if let Some(no) = same {
            map.insert(oo.name.clone(), no.name.clone());
        }
    }
    map
}

fn ops(cx: &mut Cx<'_>) {
    let renames = op_renames(&cx.old.fam, &cx.new.fam);
    for oo in &cx.old.fam.ops.list {
        let opath = cx.old.op_path(&oo.name);
        let Some(no) = cx.new.fam.op_by_name(renames.get(&oo.name).unwrap_or(&oo.name)) else {
            cx.error(At::Old, &opath, None, format!("operation {} removed", oo.name));
            continue;
        };
        let (of, nf) = (&cx.old.fam, &cx.new.fam);
        let np = cx.new.op_path(&no.name);
        if no.name != oo.name {
            cx.warn(
                At::New,
                &np,
                None,
                format!("operation {} renamed to {} (same message ids; names in C and JSON change)", oo.name, no.name),
            );
        }
        let id = format!("operation {}", oo.name);
        if oo.req_value != no.req_value || oo.rsp_value != no.rsp_value {
            let f = |v: Option<u32>| v.map_or("none".to_string(), |v| v.to_string());
            let msg = if oo.req_value == oo.rsp_value && no.req_value == no.rsp_value {
                format!("{id} renumbered from {} to {}", f(oo.req_value), f(no.req_value))
            } else {
                format!(
                    "{id} renumbered: request {} -> {}, reply {} -> {}",
                    f(oo.req_value),
                    f(no.req_value),
                    f(oo.rsp_value),
                    f(no.rsp_value)
                )
            };
            cx.error(At::New, &np, Some("value"), msg);
        }
        let sname = |f: &Family, s: Option<SetId>| s.map(|s| f.set(s).name.clone());
        if cx.map_opt(sname(of, oo.attribute_set)) != sname(nf, no.attribute_set) {
            cx.error(
                At::New,
                &np,
                Some("attribute-set"),
                format!(
                    "{id}: attribute set changed from {} to {}",
                    show(&sname(of, oo.attribute_set)),
                    show(&sname(nf, no.attribute_set))
                ),
            );
        }
        let stname = |f: &Family, s: Option<nlspec_model::ir::StructId>| s.map(|s| f.struct_(s).name.clone());
        if cx.map_opt(stname(of, oo.fixed_header)) != stname(nf, no.fixed_header) {
            cx.error(
                At::New,
                &np,
                Some("fixed-header"),
                format!(
                    "{id}: fixed header changed from {} to {}",
                    show(&stname(of, oo.fixed_header)),
                    show(&stname(nf, no.fixed_header))
                ),
            );
        }
        if oo.flags != no.flags {
            let msg = format!("{id}: flags changed from [{}] to [{}]", flag_words(oo.flags), flag_words(no.flags));
            if perm_level(no.flags) > perm_level(oo.flags) {
                cx.error(At::New, &np, Some("flags"), format!("{msg} (users without the capability are refused)"));
            } else {
                cx.warn(At::New, &np, Some("flags"), msg);
            }
        }
        let (od, nd) = (oo.dont_validate, no.dont_validate);
        if od != nd {
            let stricter = (od.strict && !nd.strict) || (od.dump && !nd.dump) || (od.dump_strict && !nd.dump_strict);
            let msg = format!("{id}: dont-validate changed from {od:?} to {nd:?}");
            if stricter {
                cx.error(At::New, &np, Some("dont-validate"), format!("{msg} (stricter validation)"));
            } else {
                cx.warn(At::New, &np, Some("dont-validate"), msg);
            }
        }
        for (mode, os, ns) in [("do", &oo.do_, &no.do_), ("dump", &oo.dump, &no.dump)] {
            match (os, ns) {
                (None, _) => {}
                (Some(_), None) => cx.error(At::New, &np, None, format!("{id}: {mode} removed")),
                (Some(os), Some(ns)) => submode(cx, &id, mode, &np, (oo.attribute_set, os), (no.attribute_set, ns)),
            }
        }
        let gname = |f: &Family, g: Option<nlspec_model::ir::McgrpId>| g.map(|g| f.mcgrp(g).name.clone());
        let (og, ng) = (gname(of, oo.mcgrp), gname(nf, no.mcgrp));
        if og != ng && og.is_some() {
            cx.error(
                At::New,
                &np,
                Some("mcgrp"),
                format!("{id}: sent to multicast group {} instead of {}", show(&ng), show(&og)),
            );
        }
        let nname = |f: &Family, n: Option<nlspec_model::ir::OpId>| n.map(|n| f.op(n).name.clone());
        let old_notify = nname(of, oo.notify).map(|n| renames.get(&n).cloned().unwrap_or(n));
        if old_notify != nname(nf, no.notify) {
            cx.error(
                At::New,
                &np,
                Some("notify"),
                format!(
                    "{id}: notification layout changed (notify {} -> {})",
                    show(&nname(of, oo.notify)),
                    show(&nname(nf, no.notify))
                ),
            );
        }
        if let (Some(oe), Some(ne)) = (&oo.event, &no.event) {
            let on: Vec<&str> = oe.iter().map(|r| of.attr(*r).name.as_str()).collect();
            let nn: Vec<&str> = ne.iter().map(|r| nf.attr(*r).name.as_str()).collect();
            for a in on.iter().filter(|a| !nn.contains(a)) {
                cx.warn(At::New, &np, Some("event"), format!("{id}: event no longer lists attribute {a}"));
            }
        }
    }
}

type ModeSide<'a> = (Option<SetId>, &'a SubOp);

fn submode(cx: &mut Cx<'_>, id: &str, mode: &str, np: &str, old: ModeSide<'_>, new: ModeSide<'_>) {
    let (of, nf) = (&cx.old.fam, &cx.new.fam);
    let oreq = names(of, old.1.request.as_ref());
    let nreq = names(nf, new.1.request.as_ref());
    for a in missing(&oreq, &nreq) {
        cx.error(
            At::New,
            &format!("{np}.{mode}"),
            Some("request"),
            format!("{id}: {mode} request no longer accepts attribute {a} (existing users sending it are rejected)"),
        );
    }
    for a in missing(&nreq, &oreq) {
        cx.warn(
            At::New,
            &format!("{np}.{mode}"),
            Some("request"),
            format!(
                "{id}: {mode} request now lists attribute {a} (breaks existing users if the kernel requires it; \
                 the spec cannot say)"
            ),
        );
    }
    let orep = names(of, old.1.reply.as_ref());
    let nrep = names(nf, new.1.reply.as_ref());
    for a in missing(&orep, &nrep) {
        cx.warn(
            At::New,
            &format!("{np}.{mode}"),
            Some("reply"),
            format!("{id}: {mode} reply no longer carries attribute {a}"),
        );
    }
    if old.1.reply.is_some() && new.1.reply.is_none() {
        cx.error(At::New, &format!("{np}.{mode}"), None, format!("{id}: {mode} no longer replies"));
    }
}

fn mcast_groups(cx: &mut Cx<'_>) {
    for og in &cx.old.fam.mcast_groups {
        let Some(ng) = cx.new.fam.mcgrp_by_name(&og.name) else {
            cx.error(At::Old, &cx.old.mcgrp_path(&og.name), None, format!("multicast group {} removed", og.name));
            continue;
        };
        let np = cx.new.mcgrp_path(&ng.name);
        if og.value != ng.value {
            cx.error(
                At::New,
                &np,
                Some("value"),
                format!("multicast group {} renumbered from {:?} to {:?}", og.name, og.value, ng.value),
            );
        }
        if og.flags != ng.flags {
            let msg = format!(
                "multicast group {}: flags changed from [{}] to [{}]",
                og.name,
                flag_words(og.flags),
                flag_words(ng.flags)
            );
            if perm_level(ng.flags) > perm_level(og.flags) {
                cx.error(At::New, &np, Some("flags"), format!("{msg} (listeners without the capability are refused)"));
            } else {
                cx.warn(At::New, &np, Some("flags"), msg);
            }
        }
    }
}

fn sub_messages(cx: &mut Cx<'_>) {
    for om in &cx.old.fam.sub_messages {
        let Some(nm) = cx.new.fam.sub_messages.iter().find(|m| m.name == cx.map(&om.name)) else {
            cx.error(At::Old, &cx.old.submsg_path(&om.name), None, format!("sub-message {} removed", om.name));
            continue;
        };
        let np = cx.new.submsg_path(&nm.name);
        let (of, nf) = (&cx.old.fam, &cx.new.fam);
        for (i, ofmt) in om.formats.iter().enumerate() {
            let Some(j) = nm.formats.iter().position(|f| f.value == ofmt.value) else {
                let op = cx.old.submsg_path(&om.name);
                cx.error(
                    At::Old,
                    &format!("{op}.formats[{i}]"),
                    Some("value"),
                    format!("sub-message {}: format {} removed", om.name, ofmt.value),
                );
                continue;
            };
            let nfmt = &nm.formats[j];
            let set = |f: &Family, s: Option<SetId>| s.map(|s| f.set(s).name.clone());
            let st = |f: &Family, s: Option<nlspec_model::ir::StructId>| s.map(|s| f.struct_(s).name.clone());
            if cx.map_opt(set(of, ofmt.attribute_set)) != set(nf, nfmt.attribute_set)
                || cx.map_opt(st(of, ofmt.fixed_header)) != st(nf, nfmt.fixed_header)
            {
                cx.error(
                    At::New,
                    &format!("{np}.formats[{j}]"),
                    Some("value"),
                    format!("sub-message {}: format {} changed its layout", om.name, ofmt.value),
                );
            }
        }
    }
}

/// `nlspec abi-check OLD NEW`: print the findings; exit 1 when anything breaks.
pub fn abi_check(old: &str, new: &str) -> Result<(), Fail> {
    let (o, n) = (Side::load(old)?, Side::load(new)?);
    let findings = compare(&o, &n);
    for f in &findings {
        out(&f.to_string())?;
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    eprintln!(
        "nlspec: abi-check {} -> {}: {}",
        old,
        new,
        match (errors, warnings) {
            (0, 0) => "compatible".to_string(),
            (0, w) => format!("compatible, {w} warning{}", if w == 1 { "" } else { "s" }),
            (e, w) => format!("BREAKING: {e} error{}, {w} warning{}", plural(e), plural(w)),
        }
    );
    if errors > 0 {
        Err(Fail::Exit(1))
    } else {
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

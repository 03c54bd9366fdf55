//! Attribute sets: names, attribute numbering and C names, and subsets merged with the set they
//! are a subset of (attribute kinds are filled in later, by `kinds.rs`).

use super::{candidates, Ctx};
use crate::ir::{self, AttrRef, SetId};
use crate::names::{c_lower, c_upper, snake, upper_camel};
use crate::spec;
use std::collections::HashMap;

/// The resolved sets (one per spec set, same index) and their name index.
pub(super) struct Sets<'a> {
    pub(super) index: SetIndex<'a>,
    pub(super) list: Vec<ir::AttrSet>,
}

/// Set names → ids (the first set of a name; duplicates are reported).
pub(super) struct SetIndex<'a> {
    by_name: HashMap<&'a str, SetId>,
}

impl SetIndex<'_> {
    /// The set `name`, if there is one.
    pub(super) fn get(&self, name: &str) -> Option<SetId> {
        self.by_name.get(name).copied()
    }

    /// The set `name`; reported at `path` if there is none.
    pub(super) fn lookup(&self, cx: &mut Ctx<'_>, name: &str, path: &str) -> Option<SetId> {
        if let Some(id) = self.get(name) {
            return Some(id);
        }
        let mut names: Vec<&str> = self.by_name.keys().copied().collect();
        names.sort_unstable();
        cx.err(path, format!("unknown attribute set `{name}`"), Some(candidates(name, "attribute sets", &names)));
        None
    }
}

/// The number of an attribute and, in a subset, the parent attribute it stands for.
struct AttrNumber {
    value: i64,
    origin: Option<AttrRef>,
}

/// Sets with names, numbering and merged subset definitions; kinds are `Unused` until
/// `kinds.rs` fills them.
pub(super) fn resolve_sets<'a>(cx: &mut Ctx<'a>) -> Sets<'a> {
    let s = cx.spec;
    let mut index = SetIndex { by_name: HashMap::new() };
    for (i, set) in s.attribute_sets.iter().enumerate() {
        if let Some(prev) = index.get(&set.name) {
            cx.err(
                &format!("attribute-sets[{i}].name"),
                format!("duplicate attribute set name `{}`", set.name),
                Some(format!("first defined at attribute-sets[{}]", prev.0)),
            );
            continue;
        }
        index.by_name.insert(&set.name, SetId(i));
    }
    let list = s.attribute_sets.iter().enumerate().map(|(i, set)| resolve_set(cx, &index, i, set)).collect();
    Sets { index, list }
}

/// The set a subset is taken from (checked: not itself, not a subset); `None` for a full set.
fn subset_parent(cx: &mut Ctx<'_>, index: &SetIndex<'_>, i: usize, set: &spec::AttrSet) -> Option<SetId> {
    let s = cx.spec;
    let p = format!("attribute-sets[{i}]");
    let n = set.subset_of.as_ref()?;
    let id = index.lookup(cx, n, &format!("{p}.subset-of"));
    if let Some(pid) = id {
        if pid.0 == i {
            cx.err(
                &format!("{p}.subset-of"),
                format!("set `{}` cannot be a subset of itself", set.name),
                Some("name a different attribute set".into()),
            );
        } else if s.attribute_sets.get(pid.0).is_some_and(|ps| ps.subset_of.is_some()) {
            cx.err(
                &format!("{p}.subset-of"),
                format!("`{n}` is itself a subset"),
                Some("name the full attribute set the subset is taken from".into()),
            );
        }
    }
    if set.name_prefix.is_some() {
        cx.err_key(
            &format!("{p}.name-prefix"),
            "a subset cannot have its own `name-prefix`",
            Some("subsets inherit the C naming of the set they are a subset of; remove `name-prefix`".into()),
        );
    }
    id.filter(|pid| pid.0 != i && s.attribute_sets.get(pid.0).is_some_and(|ps| ps.subset_of.is_none()))
}

fn resolve_set(cx: &mut Ctx<'_>, index: &SetIndex<'_>, i: usize, set: &spec::AttrSet) -> ir::AttrSet {
    let s = cx.spec;
    let p = format!("attribute-sets[{i}]");
    let parent = subset_parent(cx, index, i, set);
    let pfx = match (&set.name_prefix, parent) {
        (Some(n), _) => c_upper(n),
        (None, Some(pid)) => set_prefix(cx, &s.attribute_sets[pid.0]),
        (None, None) => set_prefix(cx, set),
    };
    let base = parent.map(|pid| &s.attribute_sets[pid.0]).unwrap_or(set);
    let max_name = c_upper(&base.attr_max_name.clone().unwrap_or_else(|| format!("{pfx}MAX")));
    let cnt_name = c_upper(&base.attr_cnt_name.clone().unwrap_or_else(|| format!("__{pfx}MAX")));
    let c_enum_name = match &base.enum_name {
        Some(Some(n)) => Some(c_lower(n)),
        Some(None) => None,
        None => Some(c_lower(&format!("{}-{}", cx.fam_ident, base.name))),
    };
    let mut attrs = Vec::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut vals: HashMap<i64, usize> = HashMap::new();
    let mut next: i64 = 1;
    for (j, a) in set.attributes.iter().enumerate() {
        let ap = format!("{p}.attributes[{j}]");
        if let Some(prev) = names.insert(a.name.as_str(), j) {
            let msg = format!("duplicate attribute name `{}` in set `{}`", a.name, set.name);
            let help = Some(format!("first used at attributes[{prev}]"));
            if set.subset_of.is_some() {
                // harmless in a subset: the second listing is ignored
                cx.warn(&format!("{ap}.name"), format!("{msg} (ignored)"), help);
            } else {
                cx.err(&format!("{ap}.name"), msg, help);
            }
            continue;
        }
        let number = if set.subset_of.is_some() {
            subset_attr_number(cx, parent, a, &ap)
        } else {
            Some(attr_number(cx, a, &ap, &mut next))
        };
        let Some(AttrNumber { value, origin }) = number else { continue };
        let value_path = if a.value.is_some() { format!("{ap}.value") } else { ap.clone() };
        if !(0..=0x3fff).contains(&value) {
            cx.err(
                &value_path,
                format!("attribute value {value} of `{}` does not fit", a.name),
                Some(
                    "attribute types are 14-bit: 0..=16383 \
                     (bits 14 and 15 of nla_type are the NLA_F_NESTED / NLA_F_NET_BYTEORDER flags)"
                        .into(),
                ),
            );
            continue;
        }
        if origin.is_none() {
            if let Some(prev) = vals.insert(value, j) {
                cx.err(
                    &value_path,
                    format!(
                        "attribute `{}` has value {value}, already used by attributes[{prev}] (`{}`)",
                        a.name, set.attributes[prev].name
                    ),
                    Some(
                        "give each attribute a distinct value, or drop `value` to number it after the previous one"
                            .into(),
                    ),
                );
            }
        }
        let c_name = match &a.name_prefix {
            Some(np) => c_upper(&format!("{np}{}", a.name)),
            None => format!("{pfx}{}", c_upper(&a.name)),
        };
        attrs.push(ir::Attr {
            name: a.name.clone(),
            rust_name: snake(&a.name),
            rust_type_name: upper_camel(&a.name),
            c_name,
            doc: a.doc.clone(),
            value: value as u16,
            kind: ir::AttrKind::Unused,
            multi_attr: false,
            byte_order: None,
            enum_: None,
            enum_as_flags: false,
            display_hint: None,
            struct_: None,
            sub_type: None,
            checks: ir::Checks::default(),
            c_attr_name_prefix: a.name_prefix.clone(),
            origin,
        });
    }
    let max_value = match parent {
        Some(pid) => {
            attr_values(&s.attribute_sets[pid.0]).into_iter().filter(|v| (0..=0x3fff).contains(v)).max().unwrap_or(0)
                as u16
        }
        None => attrs.iter().map(|a| a.value).max().unwrap_or(0),
    };
    ir::AttrSet {
        id: SetId(i),
        name: set.name.clone(),
        rust_name: upper_camel(&set.name),
        doc: set.doc.clone(),
        subset_of: parent,
        c_name_prefix: pfx,
        c_enum_name,
        attr_cnt_name: cnt_name,
        attr_max_name: max_name,
        header: set.header.clone(),
        attrs,
        max_value,
    }
}

/// The number of attribute `a` (at `ap`) of a full set: its `value`, else the one after the
/// previous attribute's (`next`, advanced here).
fn attr_number(cx: &mut Ctx<'_>, a: &spec::Attr, ap: &str, next: &mut i64) -> AttrNumber {
    if a.ty.is_none() {
        cx.err(
            ap,
            format!("attribute `{}` has no `type`", a.name),
            Some(
                "add `type:` (one of unused, pad, flag, u8, u16, u32, u64, s8, s16, s32, s64, uint, sint, \
                 string, binary, nest, indexed-array, nest-type-value, bitfield32, sub-message)"
                    .into(),
            ),
        );
    }
    let value = a.value.unwrap_or(*next);
    *next = value.saturating_add(1);
    AttrNumber { value, origin: None }
}

/// The number of attribute `a` (at `ap`) of a subset: the value of the parent's attribute of
/// that name; `None` (the attribute is dropped) when there is no valid parent or no such
/// attribute in it.
fn subset_attr_number(cx: &mut Ctx<'_>, parent: Option<SetId>, a: &spec::Attr, ap: &str) -> Option<AttrNumber> {
    if a.value.is_some() {
        cx.err_key(
            &format!("{ap}.value"),
            "attributes of a subset cannot set `value`",
            Some("a subset attribute takes its value from the parent set; remove `value`".into()),
        );
    }
    let pid = parent?;
    let pset = &cx.spec.attribute_sets[pid.0];
    match pset.attributes.iter().position(|pa| pa.name == a.name) {
        Some(pj) => {
            // the parent's value (parent numbering recomputed here)
            let value = attr_values(pset).get(pj).copied().unwrap_or(0);
            Some(AttrNumber { value, origin: Some(AttrRef { set: pid, idx: pj }) })
        }
        None => {
            let names: Vec<&str> = pset.attributes.iter().map(|a| a.name.as_str()).collect();
            cx.err(
                &format!("{ap}.name"),
                format!("attribute `{}` is not in set `{}`, which this set is a subset of", a.name, pset.name),
                Some(candidates(&a.name, &format!("attributes of `{}`", pset.name), &names)),
            );
            None
        }
    }
}

/// The C prefix of a set's attribute names (`<FAMILY>_A_<SET>_`, or `<FAMILY>_A_` for the set
/// named like the family).
fn set_prefix(cx: &Ctx<'_>, set: &spec::AttrSet) -> String {
    match &set.name_prefix {
        Some(n) => c_upper(n),
        None if set.name == cx.spec.name => c_upper(&format!("{}-a-", cx.fam_ident)),
        None => c_upper(&format!("{}-a-{}-", cx.fam_ident, set.name)),
    }
}

/// Values of a full set's attributes, in spec order (1-based, explicit values reset).
fn attr_values(set: &spec::AttrSet) -> Vec<i64> {
    let mut next = 1i64;
    set.attributes
        .iter()
        .map(|a| {
            let v = a.value.unwrap_or(next);
            next = v.saturating_add(1);
            v
        })
        .collect()
}

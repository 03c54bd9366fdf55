//! Attribute kinds: each attribute's type resolved to an [`ir::AttrKind`] (nested set,
//! sub-message and selector), its enum, struct and checks; keys checked against the type;
//! subset attributes merged with the parent's; sub-message selectors found.

use super::checks::{int_range, resolve_checks, CheckedAttr};
use super::definitions::Definitions;
use super::sets::SetIndex;
use super::sub_messages::SubMsgIndex;
use super::{candidates, AttrPaths, Ctx};
use crate::ir::{self, AttrRef, EnumId, SetId, StructId};
use crate::spec::{self, AttrType};

/// What resolving kinds reads: the sink and earlier phases' outputs.
struct Kinds<'c, 'p, 'a> {
    cx: &'c mut Ctx<'a>,
    defs: &'p Definitions<'a>,
    sets: &'p SetIndex<'a>,
    sub_messages: &'p SubMsgIndex<'a>,
}

/// An attribute's effective spec (a subset attribute's own keys over the parent's) and where
/// its keys are.
struct EffectiveAttr {
    spec: spec::Attr,
    paths: AttrPaths,
}

/// What [`Kinds::resolve_attr`] finds for one attribute.
struct ResolvedAttr {
    kind: ir::AttrKind,
    checks: ir::Checks,
    enum_: Option<EnumId>,
    struct_: Option<StructId>,
}

/// Fill in the kinds (and enum, struct, checks, flags) of the attributes of `sets`, then point
/// subset attributes at their parents' resolved attributes and find sub-message selectors.
pub(super) fn resolve_kinds<'a>(
    cx: &mut Ctx<'a>,
    defs: &Definitions<'a>,
    set_index: &SetIndex<'a>,
    sub_messages: &SubMsgIndex<'a>,
    sets: &mut [ir::AttrSet],
) {
    Kinds { cx: &mut *cx, defs, sets: set_index, sub_messages }.attr_kinds(sets);
    refresh_subset_copies(cx.spec, sets);
    fix_origins(sets);
    resolve_selectors(cx, sets);
}

impl Kinds<'_, '_, '_> {
    /// Each attribute that made it into the resolved sets, in spec order: resolved from its
    /// effective spec, or (a subset attribute naming only a parent's) copied from the parent.
    fn attr_kinds(&mut self, sets: &mut [ir::AttrSet]) {
        let s = self.cx.spec;
        for si in 0..sets.len() {
            let st = &s.attribute_sets[si];
            let mut ai = 0;
            for sj in 0..st.attributes.len() {
                // only attributes that made it into the resolved set
                let Some(out) = sets[si].attrs.get(ai) else { break };
                if out.name != st.attributes[sj].name {
                    continue;
                }
                let Some(eff) = self.effective_attr(si, sj) else {
                    ai += 1;
                    continue;
                };
                let own = &st.attributes[sj];
                // For subsets, only check the keys the subset itself sets; the parent's
                // keys are checked with the parent.
                if st.subset_of.is_some() && only_name_and_doc(own) {
                    if let Some(o) = sets[si].attrs[ai].origin {
                        if let Some(pa) = sets.get(o.set.0).and_then(|ps| ps.attrs.iter().find(|x| x.name == own.name))
                        {
                            let mut copy = pa.clone();
                            copy.origin = Some(o);
                            copy.c_name = sets[si].attrs[ai].c_name.clone();
                            if own.doc.is_some() {
                                copy.doc = own.doc.clone();
                            }
                            sets[si].attrs[ai] = copy;
                            ai += 1;
                            continue;
                        }
                    }
                }
                let resolved = self.resolve_attr(&eff.spec, own, &eff.paths);
                let a = &eff.spec;
                let slot = &mut sets[si].attrs[ai];
                if let Some(r) = resolved {
                    slot.kind = r.kind;
                    slot.checks = r.checks;
                    slot.enum_ = r.enum_;
                    slot.struct_ = r.struct_;
                }
                slot.multi_attr = a.multi_attr.unwrap_or(false);
                slot.sub_type = if a.ty == Some(AttrType::Binary) { a.sub_type } else { None };
                slot.byte_order = a.byte_order;
                slot.enum_as_flags = a.enum_as_flags.unwrap_or(false);
                slot.display_hint = a.display_hint;
                if a.doc.is_some() {
                    slot.doc = a.doc.clone();
                }
                ai += 1;
            }
        }
    }

    /// Attribute `idx` of spec set `set`: its path, and its effective spec (subset keys over
    /// the parent's) with the parent's path.
    fn effective_attr(&self, set: usize, idx: usize) -> Option<EffectiveAttr> {
        let s = self.cx.spec;
        let st = s.attribute_sets.get(set)?;
        let a = st.attributes.get(idx)?;
        let own = format!("attribute-sets[{set}].attributes[{idx}]");
        match st.subset_of.as_ref().and_then(|n| self.sets.get(n)) {
            Some(pid) => {
                let pset = s.attribute_sets.get(pid.0)?;
                let (pj, pa) = pset.attributes.iter().enumerate().find(|(_, pa)| pa.name == a.name)?;
                let parent = format!("attribute-sets[{}].attributes[{pj}]", pid.0);
                Some(EffectiveAttr { spec: merge_attr(pa, a), paths: AttrPaths { own, parent } })
            }
            None => Some(EffectiveAttr { spec: a.clone(), paths: AttrPaths { own: own.clone(), parent: own } }),
        }
    }

    /// Resolve attribute `a` (effective spec; `own` is its own entry); `None` when it has no
    /// type or its kind cannot be resolved (reported).
    fn resolve_attr(&mut self, a: &spec::Attr, own: &spec::Attr, paths: &AttrPaths) -> Option<ResolvedAttr> {
        let ty = a.ty?;
        let nested = match &a.nested_attributes {
            Some(n) => self.sets.lookup(self.cx, n, &paths.key("nested-attributes", own.nested_attributes.is_some())),
            None => None,
        };
        check_type_keys(self.cx, a, own, paths, ty);
        let kind = self.kind(a, own, paths, ty, nested)?;
        let enum_ = match &a.enum_ {
            Some(e) => self.attr_enum(e, a, own, paths, ty),
            None => None,
        };
        let struct_ = match &a.struct_ {
            Some(n) => {
                let p = paths.key("struct", own.struct_.is_some());
                let id = self.defs.index.lookup_struct(self.cx, n, &p);
                if id.is_some()
                    && !matches!(ty, AttrType::Binary)
                    && !(ty == AttrType::IndexedArray && a.sub_type == Some(AttrType::Binary))
                {
                    self.cx.err_key(
                        &p,
                        format!("`struct` does not apply to attribute `{}` of type {}", a.name, ty.as_str()),
                        Some("`struct` is only valid for binary attributes".into()),
                    );
                }
                id
            }
            None => None,
        };
        let checks = resolve_checks(self.cx, self.defs, &CheckedAttr { ty, attr: a, own, paths });
        Some(ResolvedAttr { kind, checks, enum_, struct_ })
    }

    /// The kind for type `ty` of attribute `a`: `None` (reported) when what it needs is missing.
    fn kind(
        &mut self,
        a: &spec::Attr,
        own: &spec::Attr,
        paths: &AttrPaths,
        ty: AttrType,
        nested: Option<SetId>,
    ) -> Option<ir::AttrKind> {
        let cx = &mut *self.cx;
        let name = &a.name;
        let path = &paths.own;
        let needs_nest = |cx: &mut Ctx<'_>, what: &str| {
            if a.nested_attributes.is_none() {
                cx.err(
                    path,
                    format!("attribute `{name}` of type {what} has no `nested-attributes`"),
                    Some("add `nested-attributes: <attribute set name>`".into()),
                );
            }
        };
        Some(match ty {
            AttrType::Unused => ir::AttrKind::Unused,
            AttrType::Pad => ir::AttrKind::Pad,
            AttrType::Flag => ir::AttrKind::Flag,
            AttrType::U8 => ir::AttrKind::U8,
            AttrType::U16 => ir::AttrKind::U16,
            AttrType::U32 => ir::AttrKind::U32,
            AttrType::U64 => ir::AttrKind::U64,
            AttrType::S8 => ir::AttrKind::S8,
            AttrType::S16 => ir::AttrKind::S16,
            AttrType::S32 => ir::AttrKind::S32,
            AttrType::S64 => ir::AttrKind::S64,
            AttrType::Uint => ir::AttrKind::Uint,
            AttrType::Sint => ir::AttrKind::Sint,
            AttrType::String => ir::AttrKind::String,
            AttrType::Binary => ir::AttrKind::Binary,
            AttrType::Bitfield32 => ir::AttrKind::Bitfield32,
            AttrType::Nest => {
                needs_nest(cx, "nest");
                ir::AttrKind::Nest { set: nested? }
            }
            AttrType::NestTypeValue => {
                needs_nest(cx, "nest-type-value");
                ir::AttrKind::NestTypeValue { type_value: a.type_value.clone().unwrap_or_default(), set: nested? }
            }
            AttrType::IndexedArray => {
                let Some(sub) = a.sub_type else {
                    cx.err(
                        path,
                        format!("indexed-array attribute `{name}` has no `sub-type`"),
                        Some("add `sub-type:` (e.g. nest with nested-attributes, or a scalar type like u32)".into()),
                    );
                    return None;
                };
                match sub {
                    AttrType::Nest => {
                        needs_nest(cx, "indexed-array of nest");
                        ir::AttrKind::IndexedArray { sub_type: sub, set: Some(nested?) }
                    }
                    AttrType::IndexedArray
                    | AttrType::NestTypeValue
                    | AttrType::SubMessage
                    | AttrType::Unused
                    | AttrType::Pad => {
                        cx.err(
                            &paths.key("sub-type", own.sub_type.is_some()),
                            format!("sub-type {} is not supported in an indexed-array", sub.as_str()),
                            Some("use nest, binary, string, flag, bitfield32 or an integer type".into()),
                        );
                        return None;
                    }
                    _ => ir::AttrKind::IndexedArray { sub_type: sub, set: None },
                }
            }
            AttrType::SubMessage => {
                let sm = match &a.sub_message {
                    Some(n) => self.sub_messages.lookup(cx, n, &paths.key("sub-message", own.sub_message.is_some())),
                    None => {
                        cx.err(
                            path,
                            format!("sub-message attribute `{name}` has no `sub-message`"),
                            Some("add `sub-message: <name of a sub-messages entry>`".into()),
                        );
                        None
                    }
                };
                let Some(sel) = &a.selector else {
                    cx.err(
                        path,
                        format!("sub-message attribute `{name}` has no `selector`"),
                        Some("add `selector: <name of the attribute whose value picks the format>`".into()),
                    );
                    return None;
                };
                ir::AttrKind::SubMessage { sub_message: sm?, selector: ir::Selector { name: sel.clone(), attr: None } }
            }
        })
    }

    /// The enum `e` of attribute `a` of type `ty`; reported when unknown, when an entry does
    /// not fit the type (a bit index for flags) or when the type takes no enum.
    fn attr_enum(
        &mut self,
        e: &str,
        a: &spec::Attr,
        own: &spec::Attr,
        paths: &AttrPaths,
        ty: AttrType,
    ) -> Option<EnumId> {
        let name = &a.name;
        let p = paths.key("enum", own.enum_.is_some());
        let id = self.defs.index.lookup_enum(self.cx, e, &p)?;
        let en = &self.defs.enums[id.0];
        let as_flags = a.enum_as_flags.unwrap_or(false) || en.kind == ir::EnumKind::Flags;
        let width_ty = if ty == AttrType::IndexedArray { a.sub_type.unwrap_or(ty) } else { ty };
        match int_range(width_ty) {
            Some(range) => {
                let hi = range.max;
                let bits = width_ty.int_range_width().map(|(w, _)| w * 8).unwrap_or(64) as u64;
                let bad = if as_flags {
                    en.entries.iter().find(|x| x.raw >= bits)
                } else {
                    en.entries.iter().find(|x| x.value as i128 > hi)
                };
                if let Some(b) = bad {
                    let bval = if as_flags { b.raw } else { b.value };
                    self.cx.err(
                        &p,
                        format!(
                            "enum `{e}` entry `{}` ({}{bval}) does not fit attribute `{name}` of type {}",
                            b.name,
                            if as_flags { "bit " } else { "" },
                            width_ty.as_str()
                        ),
                        Some(format!(
                            "a {} holds {}; use a wider type",
                            width_ty.as_str(),
                            if as_flags { format!("bits 0..{}", bits - 1) } else { format!("values up to {hi}") }
                        )),
                    );
                }
            }
            None => {
                if !matches!(ty, AttrType::Binary | AttrType::Bitfield32 | AttrType::String) {
                    self.cx.err(
                        &p,
                        format!("`enum` does not apply to attribute `{name}` of type {}", ty.as_str()),
                        Some("enum is valid for integer attributes (and bitfield32 / binary)".into()),
                    );
                }
            }
        }
        Some(id)
    }
}

/// Keys that do not go with type `ty` (a `type-value` without meaning is only a warning), and a
/// binary's sub-type that is not a fixed-width integer.
fn check_type_keys(cx: &mut Ctx<'_>, a: &spec::Attr, own: &spec::Attr, paths: &AttrPaths, ty: AttrType) {
    let name = &a.name;
    let not_for = |cx: &mut Ctx<'_>, present: bool, key: &str, valid: &str| {
        if present {
            cx.err_key(
                &paths.key(key, key_in(own, key)),
                format!("key `{key}` does not apply to attribute `{name}` of type {}", ty.as_str()),
                Some(format!("`{key}` is only valid for {valid}")),
            );
        }
    };
    let sub_type_misplaced = a.sub_type.is_some() && !matches!(ty, AttrType::IndexedArray | AttrType::Binary);
    not_for(cx, sub_type_misplaced, "sub-type", "indexed-array and binary attributes");
    if a.type_value.is_some() && ty != AttrType::NestTypeValue {
        cx.warn(
            &paths.key("type-value", own.type_value.is_some()),
            format!("key `type-value` has no meaning for attribute `{name}` of type {} (ignored)", ty.as_str()),
            Some("`type-value` is for nest-type-value attributes".into()),
        );
    }
    not_for(cx, a.sub_message.is_some() && ty != AttrType::SubMessage, "sub-message", "sub-message attributes");
    not_for(cx, a.selector.is_some() && ty != AttrType::SubMessage, "selector", "sub-message attributes");
    if let (Some(st), AttrType::Binary) = (a.sub_type, ty) {
        if st.int_width().is_none() {
            cx.err(
                &paths.key("sub-type", own.sub_type.is_some()),
                format!("sub-type {} of binary attribute `{name}` is not a fixed-width integer", st.as_str()),
                Some("a binary with sub-type is an array of u8..u64 / s8..s64".into()),
            );
        }
    }
    not_for(cx, a.enum_as_flags.is_some() && a.enum_.is_none(), "enum-as-flags", "attributes with `enum`");
}

/// Subset attributes that only name (and document) a parent attribute are copies of it; a
/// parent resolved after its subset is copied again here.
fn refresh_subset_copies(s: &spec::Spec, sets: &mut [ir::AttrSet]) {
    for si in 0..sets.len() {
        if sets[si].subset_of.is_none() {
            continue;
        }
        let st = &s.attribute_sets[si];
        for ai in 0..sets[si].attrs.len() {
            let name = sets[si].attrs[ai].name.clone();
            let Some(own) = st.attributes.iter().find(|x| x.name == name) else { continue };
            if !only_name_and_doc(own) {
                continue;
            }
            let Some(o) = sets[si].attrs[ai].origin else { continue };
            if let Some(pa) = sets.get(o.set.0).and_then(|ps| ps.attrs.get(o.idx)).filter(|pa| pa.name == name).cloned()
            {
                let slot = &mut sets[si].attrs[ai];
                let c_name = std::mem::take(&mut slot.c_name);
                let doc = own.doc.clone().or(pa.doc.clone());
                *slot = pa;
                slot.origin = Some(o);
                slot.c_name = c_name;
                slot.doc = doc;
            }
        }
    }
}

/// Origins point at parent spec indexes; fix them to resolved indexes.
fn fix_origins(sets: &mut [ir::AttrSet]) {
    for si in 0..sets.len() {
        for ai in 0..sets[si].attrs.len() {
            if let Some(o) = sets[si].attrs[ai].origin {
                let name = sets[si].attrs[ai].name.clone();
                let idx = sets.get(o.set.0).and_then(|ps| ps.attr_idx(&name));
                sets[si].attrs[ai].origin = idx.map(|idx| AttrRef { set: o.set, idx });
            }
        }
    }
}

/// The attribute each sub-message selector names: a sibling, else an attribute of a set that
/// nests this one.
fn resolve_selectors(cx: &mut Ctx<'_>, sets: &mut [ir::AttrSet]) {
    let s = cx.spec;
    for si in 0..sets.len() {
        for ai in 0..sets[si].attrs.len() {
            let ir::AttrKind::SubMessage { selector, .. } = &sets[si].attrs[ai].kind else { continue };
            let sel = selector.name.clone();
            // sibling first, then any attribute of a set that nests this one
            let found = sets[si].attr_idx(&sel).map(|idx| AttrRef { set: SetId(si), idx }).or_else(|| {
                sets.iter().enumerate().find_map(|(pi, ps)| {
                    let nests_us = ps.attrs.iter().any(|x| x.kind.nested_set() == Some(SetId(si)));
                    if nests_us {
                        ps.attr_idx(&sel).map(|idx| AttrRef { set: SetId(pi), idx })
                    } else {
                        None
                    }
                })
            });
            match found {
                Some(r) => {
                    if let ir::AttrKind::SubMessage { selector, .. } = &mut sets[si].attrs[ai].kind {
                        selector.attr = Some(r);
                    }
                }
                None => {
                    // find the spec path of this attribute
                    let spec_attrs = &s.attribute_sets[si].attributes;
                    let spec_idx = spec_attrs.iter().position(|x| x.name == sets[si].attrs[ai].name).unwrap_or(0);
                    let own_has = spec_attrs.get(spec_idx).is_some_and(|x| x.selector.is_some());
                    let p = if own_has || sets[si].subset_of.is_none() {
                        format!("attribute-sets[{si}].attributes[{spec_idx}].selector")
                    } else {
                        format!("attribute-sets[{si}].attributes[{spec_idx}]")
                    };
                    let names: Vec<&str> = sets[si].attrs.iter().map(|x| x.name.as_str()).collect();
                    let msg = format!(
                        "selector `{sel}` is not an attribute of set `{}` nor of a set that nests it",
                        sets[si].name
                    );
                    let help = candidates(&sel, &format!("attributes of `{}`", sets[si].name), &names);
                    cx.err(&p, msg, Some(help));
                }
            }
        }
    }
}

/// Subset attribute keys over the parent's.
fn merge_attr(parent: &spec::Attr, sub: &spec::Attr) -> spec::Attr {
    spec::Attr {
        name: sub.name.clone(),
        ty: sub.ty.or(parent.ty),
        doc: sub.doc.clone().or(parent.doc.clone()),
        value: parent.value,
        type_value: sub.type_value.clone().or(parent.type_value.clone()),
        byte_order: sub.byte_order.or(parent.byte_order),
        multi_attr: sub.multi_attr.or(parent.multi_attr),
        nested_attributes: sub.nested_attributes.clone().or(parent.nested_attributes.clone()),
        enum_: sub.enum_.clone().or(parent.enum_.clone()),
        enum_as_flags: sub.enum_as_flags.or(parent.enum_as_flags),
        checks: sub.checks.clone().or(parent.checks.clone()),
        sub_type: sub.sub_type.or(parent.sub_type),
        display_hint: sub.display_hint.or(parent.display_hint),
        name_prefix: sub.name_prefix.clone().or(parent.name_prefix.clone()),
        struct_: sub.struct_.clone().or(parent.struct_.clone()),
        sub_message: sub.sub_message.clone().or(parent.sub_message.clone()),
        selector: sub.selector.clone().or(parent.selector.clone()),
    }
}

/// Does the entry set nothing but `name` and `doc`?
fn only_name_and_doc(a: &spec::Attr) -> bool {
    a.ty.is_none()
        && a.value.is_none()
        && a.type_value.is_none()
        && a.byte_order.is_none()
        && a.multi_attr.is_none()
        && a.nested_attributes.is_none()
        && a.enum_.is_none()
        && a.enum_as_flags.is_none()
        && a.checks.is_none()
        && a.sub_type.is_none()
        && a.display_hint.is_none()
        && a.name_prefix.is_none()
        && a.struct_.is_none()
        && a.sub_message.is_none()
        && a.selector.is_none()
}

/// Does the entry set `key`?
fn key_in(a: &spec::Attr, key: &str) -> bool {
    match key {
        "type" => a.ty.is_some(),
        "type-value" => a.type_value.is_some(),
        "byte-order" => a.byte_order.is_some(),
        "multi-attr" => a.multi_attr.is_some(),
        "nested-attributes" => a.nested_attributes.is_some(),
        "enum" => a.enum_.is_some(),
        "enum-as-flags" => a.enum_as_flags.is_some(),
        "checks" => a.checks.is_some(),
        "sub-type" => a.sub_type.is_some(),
        "display-hint" => a.display_hint.is_some(),
        "struct" => a.struct_.is_some(),
        "sub-message" => a.sub_message.is_some(),
        "selector" => a.selector.is_some(),
        _ => false,
    }
}

//! Definitions: consts, enums and flags (entries and values), structs (members and layout), and
//! the definition name index later phases look enums, structs, consts and lengths up in.

use super::{candidates, one_of, Ctx};
use crate::ir::{self, ConstId, EnumId, StructId};
use crate::names::{c_lower, c_upper, screaming, snake, upper_camel};
use crate::spec::{self, DefType, IntOrName, MemberType};
use std::collections::HashMap;

/// The resolved definitions, in spec order within each kind.
pub(super) struct Definitions<'a> {
    /// Names → ids, for lookups by later phases.
    pub(super) index: DefIndex<'a>,
    pub(super) consts: Vec<ir::Const>,
    pub(super) enums: Vec<ir::Enum>,
    pub(super) structs: Vec<ir::Struct>,
    /// Every definition, in spec order.
    pub(super) order: Vec<ir::DefRef>,
}

/// Definition names → ids (the first definition of a name; duplicates are reported).
pub(super) struct DefIndex<'a> {
    spec: &'a spec::Spec,
    consts: HashMap<&'a str, ConstId>,
    enums: HashMap<&'a str, EnumId>,
    structs: HashMap<&'a str, StructId>,
}

/// A const definition found by name.
pub(super) struct ConstDef<'a> {
    /// Its index among the consts.
    pub(super) id: ConstId,
    pub(super) def: &'a spec::Definition,
}

impl<'a> DefIndex<'a> {
    /// Index all names first so that definitions may refer to later ones; report duplicates.
    fn build(cx: &mut Ctx<'a>) -> Self {
        let s = cx.spec;
        let mut index = DefIndex { spec: s, consts: HashMap::new(), enums: HashMap::new(), structs: HashMap::new() };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let (mut ci, mut ei, mut si) = (0, 0, 0);
        for (i, d) in s.definitions.iter().enumerate() {
            let dup = seen.get(d.name.as_str()).copied();
            if let Some(prev) = dup {
                cx.err(
                    &format!("definitions[{i}].name"),
                    format!("duplicate definition name `{}`", d.name),
                    Some(format!("first defined at definitions[{prev}]; definition names must be unique")),
                );
            } else {
                seen.insert(d.name.as_str(), i);
            }
            match d.ty {
                DefType::Const => {
                    if dup.is_none() {
                        index.consts.insert(&d.name, ConstId(ci));
                    }
                    ci += 1;
                }
                DefType::Enum | DefType::Flags => {
                    if dup.is_none() {
                        index.enums.insert(&d.name, EnumId(ei));
                    }
                    ei += 1;
                }
                DefType::Struct => {
                    if dup.is_none() {
                        index.structs.insert(&d.name, StructId(si));
                    }
                    si += 1;
                }
            }
        }
        index
    }

    /// The const names, sorted (for help texts).
    pub(super) fn const_names(&self) -> Vec<&'a str> {
        let mut v: Vec<&str> = self.consts.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// A const by its name, or by `name-prefix` + name (how C code spells it, e.g. `wg-key-len`
    /// for `key-len` with `name-prefix: wg-`).
    pub(super) fn const_def(&self, name: &str) -> Option<ConstDef<'a>> {
        let s = self.spec;
        let consts = || s.definitions.iter().filter(|d| d.ty == DefType::Const).enumerate();
        let (i, def) = consts().find(|(_, d)| d.name == name).or_else(|| {
            consts().find(|(_, d)| d.name_prefix.as_ref().is_some_and(|p| format!("{p}{}", d.name) == name))
        })?;
        Some(ConstDef { id: ConstId(i), def })
    }

    /// The integer value of the const `name`, if it has one.
    pub(super) fn const_int(&self, name: &str) -> Option<i128> {
        self.const_def(name).and_then(|c| match c.def.value {
            Some(IntOrName::Int(v)) => Some(v),
            _ => None,
        })
    }

    /// A length given as an integer, a const name or `<const> - 1`.
    pub(super) fn len_value(&self, cx: &mut Ctx<'_>, v: &IntOrName, path: &str) -> Option<i128> {
        let r = match v {
            IntOrName::Int(i) => Some(*i),
            IntOrName::Name(n) if n.ends_with(" - 1") && self.const_int(n.trim_end_matches(" - 1")).is_some() => {
                self.const_int(n.trim_end_matches(" - 1")).map(|i| i - 1)
            }
            IntOrName::Name(n) => match self.const_int(n) {
                Some(i) => Some(i),
                None => {
                    cx.err(
                        path,
                        format!("`{n}` is not an integer nor a const definition with an integer value"),
                        Some(format!("use an integer or one of the consts: {}", one_of(&self.const_names()))),
                    );
                    return None;
                }
            },
        };
        if let Some(i) = r {
            if !(0..=u16::MAX as i128).contains(&i) {
                cx.err(path, format!("length {i} is out of range"), Some("a length is from 0 to 65535 bytes".into()));
                return None;
            }
        }
        r
    }

    /// The enum or flags definition `name`; reported at `path` if there is none.
    pub(super) fn lookup_enum(&self, cx: &mut Ctx<'_>, name: &str, path: &str) -> Option<EnumId> {
        if let Some(id) = self.enums.get(name) {
            return Some(*id);
        }
        let mut names: Vec<&str> = self.enums.keys().copied().collect();
        names.sort_unstable();
        let kind = if self.consts.contains_key(name) || self.structs.contains_key(name) {
            " (it is defined, but not as an enum or flags)"
        } else {
            ""
        };
        cx.err(path, format!("unknown enum `{name}`{kind}"), Some(candidates(name, "enum/flags definitions", &names)));
        None
    }

    /// The struct definition `name`; reported at `path` if there is none.
    pub(super) fn lookup_struct(&self, cx: &mut Ctx<'_>, name: &str, path: &str) -> Option<StructId> {
        if let Some(id) = self.structs.get(name) {
            return Some(*id);
        }
        let mut names: Vec<&str> = self.structs.keys().copied().collect();
        names.sort_unstable();
        let kind = if self.consts.contains_key(name) || self.enums.contains_key(name) {
            " (it is defined, but not as a struct)"
        } else {
            ""
        };
        cx.err(path, format!("unknown struct `{name}`{kind}"), Some(candidates(name, "struct definitions", &names)));
        None
    }
}

/// The definitions phase: the index, then consts, enums and flags, structs and their layout.
pub(super) fn resolve_definitions<'a>(cx: &mut Ctx<'a>) -> Definitions<'a> {
    let index = DefIndex::build(cx);
    let consts = consts(cx);
    let enums = enums(cx, &index);
    let mut structs = structs(cx, &index);
    layout(&mut structs);
    Definitions { index, consts, enums, structs, order: order(cx.spec) }
}

/// Report `key` at `p` (a definition) if present: it is only valid for other kinds.
fn only_for(cx: &mut Ctx<'_>, present: bool, p: &str, key: &str, valid: &str) {
    if present {
        cx.err_key(
            &format!("{p}.{key}"),
            format!("key `{key}` does not apply to this kind of definition"),
            Some(format!("`{key}` is only valid for {valid}")),
        );
    }
}

fn consts(cx: &mut Ctx<'_>) -> Vec<ir::Const> {
    let s = cx.spec;
    let mut out = Vec::new();
    for (i, d) in s.definitions.iter().enumerate() {
        if d.ty != DefType::Const {
            continue;
        }
        let p = format!("definitions[{i}]");
        only_for(cx, d.value_start.is_some(), &p, "value-start", "enum and flags definitions");
        only_for(cx, d.entries.is_some(), &p, "entries", "enum and flags definitions");
        only_for(cx, d.render_max.is_some(), &p, "render-max", "enum and flags definitions");
        only_for(cx, d.members.is_some(), &p, "members", "struct definitions");
        let value = match &d.value {
            Some(IntOrName::Int(v)) => ir::ConstValue::Int(*v),
            Some(IntOrName::Name(n)) => ir::ConstValue::Str(n.clone()),
            None => {
                cx.err(&p, format!("const `{}` has no `value`", d.name), Some("add `value: <integer>`".into()));
                ir::ConstValue::Int(0)
            }
        };
        let name_pfx = d.name_prefix.clone().unwrap_or_else(|| format!("{}-", cx.fam_ident));
        out.push(ir::Const {
            name: d.name.clone(),
            rust_name: screaming(&d.name),
            c_name: c_upper(&format!("{name_pfx}{}", d.name)),
            doc: d.doc.clone(),
            header: d.header.clone(),
            scope: d.scope.unwrap_or(spec::Scope::Uapi),
            value,
        });
    }
    out
}

fn enums(cx: &mut Ctx<'_>, index: &DefIndex<'_>) -> Vec<ir::Enum> {
    let s = cx.spec;
    let mut out = Vec::new();
    for (i, d) in s.definitions.iter().enumerate() {
        if !matches!(d.ty, DefType::Enum | DefType::Flags) {
            continue;
        }
        let p = format!("definitions[{i}]");
        let is_flags = d.ty == DefType::Flags;
        only_for(cx, d.value.is_some(), &p, "value", "const definitions");
        only_for(cx, d.members.is_some(), &p, "members", "struct definitions");
        let start: i128 = match &d.value_start {
            None => 0,
            Some(IntOrName::Int(v)) => *v,
            Some(IntOrName::Name(n)) => match index.const_int(n) {
                Some(v) => v,
                None => {
                    cx.err(
                        &format!("{p}.value-start"),
                        format!("value-start `{n}` is not an integer nor a const definition with an integer value"),
                        Some(format!("use an integer or one of the consts: {}", one_of(&index.const_names()))),
                    );
                    0
                }
            },
        };
        let prefix = c_upper(&d.name_prefix.clone().unwrap_or_else(|| format!("{}-{}-", cx.fam_ident, d.name)));
        if d.entries.is_none() {
            cx.err(
                &p,
                format!("{} `{}` has no `entries`", if is_flags { "flags" } else { "enum" }, d.name),
                Some("add `entries: [ name, ... ]`".into()),
            );
        }
        let entries = entries(cx, d, &p, start, &prefix);
        let c_enum_name = match &d.enum_name {
            Some(Some(n)) => Some(c_lower(n)),
            Some(None) => None,
            None => Some(c_lower(&format!("{}-{}", cx.fam_ident, d.name))),
        };
        out.push(ir::Enum {
            name: d.name.clone(),
            rust_name: upper_camel(&d.name),
            kind: if is_flags { ir::EnumKind::Flags } else { ir::EnumKind::Enum },
            doc: d.doc.clone(),
            header: d.header.clone(),
            scope: d.scope.unwrap_or(spec::Scope::Uapi),
            entries,
            render_max: d.render_max.unwrap_or(false),
            c_enum_name,
            c_name_prefix: prefix,
            enum_cnt_name: d.enum_cnt_name.clone(),
        });
    }
    out
}

/// The entries of enum or flags `d` (at `p`): numbered from `start`, names and values unique,
/// values in range (flags: bit indexes 0..=63).
fn entries(cx: &mut Ctx<'_>, d: &spec::Definition, p: &str, start: i128, prefix: &str) -> Vec<ir::EnumEntry> {
    let is_flags = d.ty == DefType::Flags;
    let mut entries = Vec::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut vals: HashMap<u64, usize> = HashMap::new();
    let mut next = start;
    for (j, e) in d.entries.as_deref().unwrap_or(&[]).iter().enumerate() {
        let ep = format!("{p}.entries[{j}]");
        if let Some(prev) = names.insert(e.name.as_str(), j) {
            cx.err(&ep, format!("duplicate entry name `{}`", e.name), Some(format!("first used at entries[{prev}]")));
        }
        let raw = match e.value {
            Some(v) => v as i128,
            None => next,
        };
        next = raw + 1;
        let value_path = if e.value.is_some() { format!("{ep}.value") } else { ep.clone() };
        let max: i128 = if is_flags { 63 } else { u32::MAX as i128 };
        if raw < 0 || raw > max {
            let help = if is_flags {
                "a flags entry value is a bit index from 0 to 63 (the wire value is 1 << index)".to_string()
            } else {
                "enum values must be from 0 to 4294967295 (C enum values in a u32 attribute)".to_string()
            };
            cx.err(&value_path, format!("value {raw} of `{}` is out of range", e.name), Some(help));
            continue;
        }
        let raw = raw as u64;
        let value = if is_flags { 1u64 << raw } else { raw };
        if let Some(prev) = vals.insert(value, j) {
            cx.err(
                &value_path,
                format!("entry `{}` has the same value ({raw}) as entries[{prev}]", e.name),
                Some("give each entry a distinct value".into()),
            );
        }
        entries.push(ir::EnumEntry {
            name: e.name.clone(),
            rust_name: upper_camel(&e.name),
            c_name: format!("{prefix}{}", c_upper(&e.name)),
            doc: e.doc.clone(),
            raw,
            value,
        });
    }
    entries
}

fn structs(cx: &mut Ctx<'_>, index: &DefIndex<'_>) -> Vec<ir::Struct> {
    let s = cx.spec;
    let mut out = Vec::new();
    for (i, d) in s.definitions.iter().enumerate() {
        if d.ty != DefType::Struct {
            continue;
        }
        let p = format!("definitions[{i}]");
        only_for(cx, d.value.is_some(), &p, "value", "const definitions");
        only_for(cx, d.entries.is_some(), &p, "entries", "enum and flags definitions");
        only_for(cx, d.value_start.is_some(), &p, "value-start", "enum and flags definitions");
        let mut members = Vec::new();
        let mut names: HashMap<&str, usize> = HashMap::new();
        if d.members.is_none() {
            cx.err(
                &p,
                format!("struct `{}` has no `members`", d.name),
                Some("add `members:` with `name` and `type` for each member".into()),
            );
        }
        for (j, m) in d.members.iter().flatten().enumerate() {
            let mp = format!("{p}.members[{j}]");
            if let Some(prev) = names.insert(m.name.as_str(), j) {
                cx.err(
                    &format!("{mp}.name"),
                    format!("duplicate member name `{}`", m.name),
                    Some(format!("first used at members[{prev}]")),
                );
            }
            let len = member_len(cx, index, m, &mp);
            let enum_ = m.enum_.as_ref().and_then(|e| index.lookup_enum(cx, e, &format!("{mp}.enum")));
            let struct_ = m.struct_.as_ref().and_then(|e| index.lookup_struct(cx, e, &format!("{mp}.struct")));
            members.push(ir::Member {
                name: m.name.clone(),
                rust_name: snake(&m.name),
                doc: m.doc.clone(),
                ty: m.ty,
                len,
                offset: None,
                byte_order: m.byte_order,
                enum_,
                enum_as_flags: m.enum_as_flags.unwrap_or(false),
                display_hint: m.display_hint,
                struct_,
            });
        }
        out.push(ir::Struct {
            name: d.name.clone(),
            rust_name: upper_camel(&d.name),
            doc: d.doc.clone(),
            header: d.header.clone(),
            scope: d.scope.unwrap_or(spec::Scope::Uapi),
            members,
            size: None,
        });
    }
    out
}

/// The length of member `m` (at `mp`): its scalar width, or its `len`.
fn member_len(cx: &mut Ctx<'_>, index: &DefIndex<'_>, m: &spec::Member, mp: &str) -> Option<usize> {
    match (member_width(m.ty), &m.len) {
        (Some(w), None) => Some(w),
        (Some(w), Some(l)) => {
            let v = index.len_value(cx, l, &format!("{mp}.len"));
            if v.is_some() && v != Some(w as i128) {
                cx.err(
                    &format!("{mp}.len"),
                    format!("len {l} does not match the width of {:?} ({w} bytes)", m.ty),
                    Some("drop `len` for scalar members".into()),
                );
            }
            Some(w)
        }
        (None, Some(l)) => index.len_value(cx, l, &format!("{mp}.len")).map(|v| v as usize),
        (None, None) => {
            // at every level: a struct's layout needs every member's size (without it the
            // member and all after it would have no offset)
            if matches!(m.ty, MemberType::Pad | MemberType::Binary) && m.struct_.is_none() {
                cx.err(
                    mp,
                    format!("member `{}` of type {} needs `len`", m.name, member_type_str(m.ty)),
                    Some("add `len: <bytes>` (an integer or a const name)".into()),
                );
            }
            None
        }
    }
}

/// Member offsets and struct sizes: binary members with a struct and no len take the struct's
/// size (iterated until nothing changes, so the order of the definitions does not matter).
fn layout(structs: &mut [ir::Struct]) {
    for _ in 0..structs.len() + 1 {
        let mut changed = false;
        for si in 0..structs.len() {
            let mut off = Some(0usize);
            for mi in 0..structs[si].members.len() {
                let m = &structs[si].members[mi];
                let len = match (m.len, m.struct_) {
                    (Some(l), _) => Some(l),
                    (None, Some(st)) if st.0 != si => structs[st.0].size,
                    _ => None,
                };
                let m = &mut structs[si].members[mi];
                if m.len != len || m.offset != off {
                    m.len = len;
                    m.offset = off;
                    changed = true;
                }
                off = match (off, len) {
                    (Some(o), Some(l)) => o.checked_add(l),
                    _ => None,
                };
            }
            if structs[si].size != off {
                structs[si].size = off;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Every definition as a reference into the consts, enums or structs, in spec order.
fn order(s: &spec::Spec) -> Vec<ir::DefRef> {
    let mut definitions = Vec::new();
    let (mut ci, mut ei, mut si) = (0, 0, 0);
    for d in &s.definitions {
        match d.ty {
            DefType::Const => {
                definitions.push(ir::DefRef::Const(ConstId(ci)));
                ci += 1;
            }
            DefType::Enum | DefType::Flags => {
                definitions.push(ir::DefRef::Enum(EnumId(ei)));
                ei += 1;
            }
            DefType::Struct => {
                definitions.push(ir::DefRef::Struct(StructId(si)));
                si += 1;
            }
        }
    }
    definitions
}

fn member_width(t: MemberType) -> Option<usize> {
    match t {
        MemberType::U8 | MemberType::S8 => Some(1),
        MemberType::U16 | MemberType::S16 => Some(2),
        MemberType::U32 | MemberType::S32 => Some(4),
        MemberType::U64 | MemberType::S64 => Some(8),
        _ => None,
    }
}

fn member_type_str(t: MemberType) -> &'static str {
    match t {
        MemberType::U8 => "u8",
        MemberType::U16 => "u16",
        MemberType::U32 => "u32",
        MemberType::U64 => "u64",
        MemberType::S8 => "s8",
        MemberType::S16 => "s16",
        MemberType::S32 => "s32",
        MemberType::S64 => "s64",
        MemberType::String => "string",
        MemberType::Binary => "binary",
        MemberType::Pad => "pad",
    }
}

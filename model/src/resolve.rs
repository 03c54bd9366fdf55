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

use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{self, AttrRef, ConstId, EnumId, McgrpId, OpId, SetId, StructId, SubMsgId};
use crate::loader::Loaded;
use crate::names::{c_lower, c_upper, screaming, snake, upper_camel};
use crate::spec::{self, AttrType, DefType, EnumModel, IntOrName, KernelPolicy, MemberType, OpFlag, Protocol};
use std::collections::HashMap;

/// Validate and resolve a loaded spec.
pub fn resolve(loaded: &Loaded) -> Result<ir::Family, Diagnostics> {
    let mut r = Resolver::new(loaded);
    let fam = r.run();
    let mut d = r.diags;
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

// Protocol level bits.
const G: u8 = 1;
const C: u8 = 2;
const L: u8 = 4;
const R: u8 = 8;
const ALL: u8 = G | C | L | R;
const CLR: u8 = C | L | R;
const LR: u8 = L | R;

fn level_bit(p: Protocol) -> u8 {
    match p {
        Protocol::Genetlink => G,
        Protocol::GenetlinkC => C,
        Protocol::GenetlinkLegacy => L,
        Protocol::NetlinkRaw => R,
    }
}

fn levels_text(mask: u8) -> String {
    let mut v = Vec::new();
    for (b, n) in [(G, "genetlink"), (C, "genetlink-c"), (L, "genetlink-legacy"), (R, "netlink-raw")] {
        if mask & b != 0 {
            v.push(n);
        }
    }
    v.join(", ")
}

/// "did you mean `x`? <what>: `a`, `b`, ..." when a name is close to `word`.
fn candidates(word: &str, what: &str, names: &[&str]) -> String {
    match crate::diag::suggest(word, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? {what}: {}", one_of(names)),
        None => format!("{what}: {}", one_of(names)),
    }
}

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

/// Integer range of a fixed-width type.
fn int_range(t: AttrType) -> Option<(i128, i128)> {
    let (w, signed) = t.int_range_width()?;
    let bits = (w * 8) as u32;
    Some(if signed { (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1) } else { (0, (1i128 << bits) - 1) })
}

/// `u32-max`, `s8-min`, ... → value.
fn limit_value(name: &str) -> Option<i128> {
    let (ty, which) = name.split_once('-')?;
    let t = match ty {
        "u8" => AttrType::U8,
        "u16" => AttrType::U16,
        "u32" => AttrType::U32,
        "u64" => AttrType::U64,
        "s8" => AttrType::S8,
        "s16" => AttrType::S16,
        "s32" => AttrType::S32,
        "s64" => AttrType::S64,
        _ => return None,
    };
    let (lo, hi) = int_range(t)?;
    match which {
        "min" => Some(lo),
        "max" => Some(hi),
        _ => None,
    }
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Family,
    Mcgrp,
    Member,
    Other,
}

struct Resolver<'a> {
    l: &'a Loaded,
    s: &'a spec::Spec,
    level: Protocol,
    diags: Diagnostics,
    warns: Vec<Diagnostic>,
    fam_ident: String,
    consts_by_name: HashMap<&'a str, ConstId>,
    enums_by_name: HashMap<&'a str, EnumId>,
    structs_by_name: HashMap<&'a str, StructId>,
    sets_by_name: HashMap<&'a str, SetId>,
    submsg_by_name: HashMap<&'a str, SubMsgId>,
    mcgrp_by_name: HashMap<&'a str, McgrpId>,
    consts: Vec<ir::Const>,
    enums: Vec<ir::Enum>,
    structs: Vec<ir::Struct>,
}

impl<'a> Resolver<'a> {
    fn new(l: &'a Loaded) -> Self {
        let s = &l.spec;
        Resolver {
            l,
            s,
            level: s.protocol.unwrap_or(Protocol::Genetlink),
            diags: Diagnostics::new(),
            warns: Vec::new(),
            fam_ident: s.name.clone(),
            consts_by_name: HashMap::new(),
            enums_by_name: HashMap::new(),
            structs_by_name: HashMap::new(),
            sets_by_name: HashMap::new(),
            submsg_by_name: HashMap::new(),
            mcgrp_by_name: HashMap::new(),
            consts: Vec::new(),
            enums: Vec::new(),
            structs: Vec::new(),
        }
    }

    fn err(&mut self, path: &str, msg: impl Into<String>, help: Option<String>) {
        let mut d: Diagnostic = self.l.error_at(path, msg);
        d.help = help;
        self.diags.push(d);
    }

    fn warn(&mut self, path: &str, msg: impl Into<String>, help: Option<String>) {
        let mut d: Diagnostic = self.l.error_at(path, msg).into_warning();
        d.help = help;
        self.warns.push(d);
    }

    fn err_key(&mut self, path: &str, msg: impl Into<String>, help: Option<String>) {
        let mut d: Diagnostic = self.l.error_at_key(path, msg);
        d.help = help;
        self.diags.push(d);
    }

    /// Report `key` (present at `path`) if the protocol level does not allow it.
    fn allow(&mut self, present: bool, path: &str, key: &str, mask: u8) {
        if present && mask & level_bit(self.level) == 0 {
            self.err_key(
                path,
                format!("key `{key}` is not allowed at protocol level {}", self.level.as_str()),
                Some(format!(
                    "`{key}` is allowed at protocol level(s): {}; set `protocol:` accordingly or remove the key",
                    levels_text(mask)
                )),
            );
        }
    }

    /// Report a value (e.g. a type name) not allowed at this protocol level.
    fn allow_value(&mut self, ok: bool, path: &str, what: &str, mask: u8) {
        if !ok && mask & level_bit(self.level) == 0 {
            self.err(
                path,
                format!("{what} is not allowed at protocol level {}", self.level.as_str()),
                Some(format!("allowed at protocol level(s): {}", levels_text(mask))),
            );
        }
    }

    fn run(&mut self) -> Option<ir::Family> {
        for (path, text, _) in &self.l.spans.yaml11_bools {
            let mut d = self
                .l
                .error_at(
                    path,
                    format!(
                        "`{text}` is read as a boolean by YAML 1.1 parsers (PyYAML, used by the kernel's YNL tools)"
                    ),
                )
                .into_warning();
            d.help = Some(format!("quote it (\"{text}\") so every YAML parser reads a string"));
            self.warns.push(d);
        }
        self.check_levels();
        self.definitions();
        let sets = self.sets();
        let sub_messages = self.sub_messages(&sets);
        let mcast_groups = self.mcast_groups();
        let mut sets = sets;
        self.attr_kinds(&mut sets);
        let ops = self.operations(&sets);
        let s = self.s;

        let version = match s.version {
            None => 1,
            Some(v) if (1..=u32::MAX as i64).contains(&v) => v as u32,
            Some(v) => {
                self.err("version", format!("version {v} is out of range"), Some("a version is an integer from 1 to 4294967295 (genl header version is u8: 1..=255 for generic netlink)".into()));
                1
            }
        };
        if self.level != Protocol::NetlinkRaw && version > 255 {
            self.err(
                "version",
                format!("version {version} does not fit the genetlink header's u8 version field"),
                Some("use a version from 1 to 255".into()),
            );
        }
        let protonum = match s.protonum {
            None => None,
            Some(v) if (0..=u32::MAX as i64).contains(&v) => Some(v as u32),
            Some(v) => {
                self.err(
                    "protonum",
                    format!("protonum {v} is out of range"),
                    Some("a netlink protocol number is a small non-negative integer (NETLINK_ROUTE is 0)".into()),
                );
                None
            }
        };
        let ident = &self.fam_ident;
        let c = ir::CNaming {
            uapi_header: s.uapi_header.clone().unwrap_or_else(|| format!("linux/{}.h", c_lower(ident))),
            c_family_name: c_upper(&s.c_family_name.clone().unwrap_or_else(|| format!("{}_FAMILY_NAME", s.name))),
            c_version_name: c_upper(&s.c_version_name.clone().unwrap_or_else(|| format!("{}_FAMILY_VERSION", s.name))),
            max_by_define: s.max_by_define.unwrap_or(false),
            cmd_max_name: c_upper(&s.cmd_max_name.clone().unwrap_or_else(|| format!("{}MAX", ops.c_name_prefix))),
            cmd_cnt_name: c_upper(&s.cmd_cnt_name.clone().unwrap_or_else(|| format!("__{}MAX", ops.c_name_prefix))),
        };
        let kernel_family = s
            .kernel_family
            .as_ref()
            .map(|k| ir::KernelFamily {
                headers: k.headers.clone().unwrap_or_default(),
                sock_priv: k.sock_priv.clone(),
            })
            .unwrap_or_default();
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
        self.rust_collisions(&sets, &ops);
        if !self.diags.is_empty() {
            return None;
        }
        Some(ir::Family {
            name: s.name.clone(),
            rust_name: upper_camel(&s.name),
            rust_mod: snake(&s.name),
            source: self.l.file.clone(),
            protocol: self.level,
            doc: s.doc.clone(),
            version,
            protonum,
            kernel_policy: s.kernel_policy.unwrap_or(KernelPolicy::Split),
            c,
            kernel_family,
            definitions,
            consts: std::mem::take(&mut self.consts),
            enums: std::mem::take(&mut self.enums),
            structs: std::mem::take(&mut self.structs),
            sets,
            sub_messages,
            ops,
            mcast_groups,
            warnings: std::mem::take(&mut self.warns),
        })
    }

    /// Two spec names that map to one Rust identifier in the same scope would make the
    /// generated code fail to compile: report them here, at the second one.
    fn rust_collisions(&mut self, sets: &[ir::AttrSet], ops: &ir::Operations) {
        fn check<'x>(me: &mut Resolver, items: impl Iterator<Item = (&'x str, &'x str, String)>, what: &str) {
            let mut seen: HashMap<&str, &str> = HashMap::new();
            for (name, rust, path) in items {
                if let Some(prev) = seen.insert(rust, name) {
                    if prev != name {
                        me.err(
                            &path,
                            format!("{what} `{name}` and `{prev}` both become the Rust identifier `{rust}`"),
                            Some("rename one of them".into()),
                        );
                    }
                }
            }
        }
        for (i, set) in sets.iter().enumerate() {
            let spec_set = &self.s.attribute_sets[i];
            let items: Vec<(&str, &str, String)> = set
                .attrs
                .iter()
                .map(|a| {
                    let j = spec_set.attributes.iter().position(|x| x.name == a.name).unwrap_or(0);
                    (a.name.as_str(), a.rust_name.as_str(), format!("attribute-sets[{i}].attributes[{j}].name"))
                })
                .collect();
            check(self, items.iter().map(|(a, b, c)| (*a, *b, c.clone())), "attributes");
        }
        let set_items: Vec<(String, String, String)> = sets
            .iter()
            .enumerate()
            .map(|(i, st)| (st.name.clone(), st.rust_name.clone(), format!("attribute-sets[{i}].name")))
            .collect();
        check(self, set_items.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.clone())), "attribute sets");
        let op_items: Vec<(String, String, String)> = ops
            .list
            .iter()
            .enumerate()
            .map(|(i, o)| (o.name.clone(), o.fn_name.clone(), format!("operations.list[{i}].name")))
            .collect();
        check(self, op_items.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.clone())), "operations");
        let mut ei = 0;
        for (i, d) in self.s.definitions.iter().enumerate() {
            if !matches!(d.ty, DefType::Enum | DefType::Flags) {
                continue;
            }
            let items: Vec<(String, String, String)> = self
                .enums
                .get(ei)
                .map(|e| {
                    e.entries
                        .iter()
                        .enumerate()
                        .map(|(j, x)| (x.name.clone(), x.rust_name.clone(), format!("definitions[{i}].entries[{j}]")))
                        .collect()
                })
                .unwrap_or_default();
            ei += 1;
            check(self, items.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.clone())), "entries");
        }
    }

    // ---------------------------------------------------------------- protocol levels

    /// Names must match `^[0-9a-z-]+$` where the level's schema says so (`name-cap` for
    /// netlink-raw struct members also allows upper case).
    fn check_name(&mut self, name: &str, path: &str, kind: NameKind) {
        use NameKind::*;
        let applies = match self.level {
            Protocol::Genetlink => true,
            Protocol::GenetlinkC => false,
            Protocol::GenetlinkLegacy | Protocol::NetlinkRaw => !matches!(kind, Family | Mcgrp),
        };
        if !applies {
            return;
        }
        let cap = kind == Member && self.level == Protocol::NetlinkRaw;
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == '-' || (cap && c.is_ascii_uppercase()));
        if !ok {
            // a warning: upstream specs have such names (`pci_pf`, `set id`) and the
            // generated identifiers are sanitised anyway
            let pat = if cap { "^[0-9a-zA-Z-]+$" } else { "^[0-9a-z-]+$" };
            self.warn(
                path,
                format!("name `{name}` does not match {pat}"),
                Some(format!(
                    "at protocol level {} names use lower-case letters, digits and `-` (e.g. `{}`)",
                    self.level.as_str(),
                    name.to_ascii_lowercase().replace(['_', ' ', '.'], "-")
                )),
            );
        }
    }

    fn check_names(&mut self) {
        let s = self.s;
        self.check_name(&s.name, "name", NameKind::Family);
        if self.level != Protocol::NetlinkRaw && s.name.len() > 15 {
            self.err(
                "name",
                format!("family name `{}` is {} bytes long", s.name, s.name.len()),
                Some("generic netlink family names are at most 15 bytes (GENL_NAMSIZ is 16 including the NUL)".into()),
            );
        }
        for (i, d) in s.definitions.iter().enumerate() {
            self.check_name(&d.name, &format!("definitions[{i}].name"), NameKind::Other);
            for (j, e) in d.entries.iter().flatten().enumerate() {
                let p = if self.l.spans.get(&format!("definitions[{i}].entries[{j}].name")).is_some() {
                    format!("definitions[{i}].entries[{j}].name")
                } else {
                    format!("definitions[{i}].entries[{j}]")
                };
                self.check_name(&e.name, &p, NameKind::Other);
            }
            for (j, m) in d.members.iter().flatten().enumerate() {
                self.check_name(&m.name, &format!("definitions[{i}].members[{j}].name"), NameKind::Member);
            }
        }
        for (i, set) in s.attribute_sets.iter().enumerate() {
            self.check_name(&set.name, &format!("attribute-sets[{i}].name"), NameKind::Other);
            for (j, a) in set.attributes.iter().enumerate() {
                self.check_name(&a.name, &format!("attribute-sets[{i}].attributes[{j}].name"), NameKind::Other);
            }
        }
        for (i, op) in s.operations.list.iter().enumerate() {
            self.check_name(&op.name, &format!("operations.list[{i}].name"), NameKind::Other);
        }
        for (i, g) in s.mcast_groups.iter().flat_map(|m| m.list.iter()).enumerate() {
            self.check_name(&g.name, &format!("mcast-groups.list[{i}].name"), NameKind::Mcgrp);
        }
    }

    fn check_levels(&mut self) {
        let s = self.s;
        self.check_names();
        // `doc` is required by every level's schema for the family and for each operation
        if s.doc.is_none() {
            self.err("", "missing required key `doc`", Some("add `doc:` describing the family".into()));
        }
        for (i, op) in s.operations.list.iter().enumerate() {
            if op.doc.is_none() {
                self.err(
                    &format!("operations.list[{i}]"),
                    format!("operation `{}` has no `doc`", op.name),
                    Some("add `doc:` describing the operation (the schema requires it)".into()),
                );
            }
        }
        if self.level == Protocol::NetlinkRaw && s.protonum.is_none() {
            self.err(
                "",
                "a netlink-raw spec needs `protonum`",
                Some("add `protonum: <netlink protocol number>` (e.g. 0 for NETLINK_ROUTE)".into()),
            );
        }
        self.allow(s.c_family_name.is_some(), "c-family-name", "c-family-name", CLR);
        self.allow(s.c_version_name.is_some(), "c-version-name", "c-version-name", CLR);
        self.allow(s.max_by_define.is_some(), "max-by-define", "max-by-define", CLR);
        self.allow(s.cmd_max_name.is_some(), "cmd-max-name", "cmd-max-name", CLR);
        self.allow(s.cmd_cnt_name.is_some(), "cmd-cnt-name", "cmd-cnt-name", CLR);
        self.allow(s.kernel_policy.is_some(), "kernel-policy", "kernel-policy", LR);
        self.allow(s.version.is_some(), "version", "version", L);
        self.allow(s.protonum.is_some(), "protonum", "protonum", R);
        self.allow(s.sub_messages.is_some(), "sub-messages", "sub-messages", R);
        self.allow(s.kernel_family.is_some(), "kernel-family", "kernel-family", G | C | L);

        for (i, d) in s.definitions.iter().enumerate() {
            let p = format!("definitions[{i}]");
            self.allow(matches!(d.enum_name, Some(Some(_))), &format!("{p}.enum-name"), "enum-name", CLR);
            if matches!(d.enum_name, Some(None)) {
                self.allow(true, &format!("{p}.enum-name"), "enum-name: null", CLR);
            }
            self.allow(d.name_prefix.is_some(), &format!("{p}.name-prefix"), "name-prefix", CLR);
            self.allow(d.enum_cnt_name.is_some(), &format!("{p}.enum-cnt-name"), "enum-cnt-name", C | L);
            self.allow(d.members.is_some(), &format!("{p}.members"), "members", LR);
            self.allow_value(d.ty != DefType::Struct, &format!("{p}.type"), "definition type `struct`", LR);
            for (j, m) in d.members.iter().flatten().enumerate() {
                let mp = format!("{p}.members[{j}]");
                self.allow(m.enum_as_flags.is_some(), &format!("{mp}.enum-as-flags"), "enum-as-flags", R);
                self.allow_value(m.ty != MemberType::Pad, &format!("{mp}.type"), "member type `pad`", R);
            }
        }
        for (i, set) in s.attribute_sets.iter().enumerate() {
            let p = format!("attribute-sets[{i}]");
            if matches!(set.enum_name, Some(None)) {
                self.allow(true, &format!("{p}.enum-name"), "enum-name: null", CLR);
            }
            self.allow(set.attr_cnt_name.is_some(), &format!("{p}.attr-cnt-name"), "attr-cnt-name", CLR);
            self.allow(set.attr_max_name.is_some(), &format!("{p}.attr-max-name"), "attr-max-name", CLR);
            self.allow(set.header.is_some(), &format!("{p}.header"), "header", CLR);
            for (j, a) in set.attributes.iter().enumerate() {
                let ap = format!("{p}.attributes[{j}]");
                self.allow(a.name_prefix.is_some(), &format!("{ap}.name-prefix"), "name-prefix", CLR);
                self.allow(a.struct_.is_some(), &format!("{ap}.struct"), "struct", LR);
                self.allow(a.sub_message.is_some(), &format!("{ap}.sub-message"), "sub-message", R);
                self.allow(a.selector.is_some(), &format!("{ap}.selector"), "selector", R);
                if let Some(c) = &a.checks {
                    self.allow(
                        c.unterminated_ok.is_some(),
                        &format!("{ap}.checks.unterminated-ok"),
                        "unterminated-ok",
                        CLR,
                    );
                }
                for (t, key) in [(a.ty, "type"), (a.sub_type, "sub-type")] {
                    match t {
                        Some(AttrType::Bitfield32) => {
                            self.allow_value(false, &format!("{ap}.{key}"), "type `bitfield32`", LR)
                        }
                        Some(AttrType::SubMessage) => {
                            self.allow_value(false, &format!("{ap}.{key}"), "type `sub-message`", R)
                        }
                        _ => {}
                    }
                }
            }
        }
        let ops = &s.operations;
        if matches!(ops.enum_name, Some(None)) {
            self.allow(true, "operations.enum-name", "enum-name: null", CLR);
        }
        if matches!(ops.async_enum, Some(None)) {
            self.allow(true, "operations.async-enum", "async-enum: null", CLR);
        }
        self.allow(ops.fixed_header.is_some(), "operations.fixed-header", "fixed-header", LR);
        self.allow_value(
            ops.enum_model != Some(EnumModel::Directional),
            "operations.enum-model",
            "enum-model `directional`",
            LR,
        );
        for (i, op) in ops.list.iter().enumerate() {
            let p = format!("operations.list[{i}]");
            self.allow(op.config_cond.is_some(), &format!("{p}.config-cond"), "config-cond", G | C | L);
            self.allow(op.fixed_header.is_some(), &format!("{p}.fixed-header"), "fixed-header", LR);
            for (j, f) in op.flags.iter().flatten().enumerate() {
                self.allow_value(
                    *f != OpFlag::UnsAdminPerm,
                    &format!("{p}.flags[{j}]"),
                    "flag `uns-admin-perm`",
                    G | L,
                );
            }
            for (j, f) in op.dont_validate.iter().flatten().enumerate() {
                self.allow_value(
                    *f != spec::DontValidate::DumpStrict,
                    &format!("{p}.dont-validate[{j}]"),
                    "dont-validate `dump-strict`",
                    G | C | L,
                );
            }
            for (k, sub) in [("do", &op.do_), ("dump", &op.dump)] {
                if let Some(sub) = sub {
                    for (m, msg) in [("request", &sub.request), ("reply", &sub.reply)] {
                        if let Some(msg) = msg {
                            self.allow(msg.value.is_some(), &format!("{p}.{k}.{m}.value"), "value", LR);
                        }
                    }
                }
            }
        }
        for (i, g) in s.mcast_groups.iter().flat_map(|m| m.list.iter()).enumerate() {
            let p = format!("mcast-groups.list[{i}]");
            self.allow(g.c_define_name.is_some(), &format!("{p}.c-define-name"), "c-define-name", CLR);
            self.allow(g.value.is_some(), &format!("{p}.value"), "value", R);
            for (j, f) in g.flags.iter().flatten().enumerate() {
                self.allow_value(
                    *f != OpFlag::UnsAdminPerm,
                    &format!("{p}.flags[{j}]"),
                    "flag `uns-admin-perm`",
                    G | L,
                );
            }
        }
        let _ = ALL;
    }

    // ---------------------------------------------------------------- definitions

    fn definitions(&mut self) {
        let s = self.s;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        // Index all names first so that definitions may refer to later ones.
        let (mut ci, mut ei, mut si) = (0, 0, 0);
        for (i, d) in s.definitions.iter().enumerate() {
            let dup = seen.get(d.name.as_str()).copied();
            if let Some(prev) = dup {
                self.err(
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
                        self.consts_by_name.insert(&d.name, ConstId(ci));
                    }
                    ci += 1;
                }
                DefType::Enum | DefType::Flags => {
                    if dup.is_none() {
                        self.enums_by_name.insert(&d.name, EnumId(ei));
                    }
                    ei += 1;
                }
                DefType::Struct => {
                    if dup.is_none() {
                        self.structs_by_name.insert(&d.name, StructId(si));
                    }
                    si += 1;
                }
            }
        }
        // consts
        for (i, d) in s.definitions.iter().enumerate() {
            if d.ty != DefType::Const {
                continue;
            }
            let p = format!("definitions[{i}]");
            self.only_for(d.value_start.is_some(), &p, "value-start", "enum and flags definitions");
            self.only_for(d.entries.is_some(), &p, "entries", "enum and flags definitions");
            self.only_for(d.render_max.is_some(), &p, "render-max", "enum and flags definitions");
            self.only_for(d.members.is_some(), &p, "members", "struct definitions");
            let value = match &d.value {
                Some(IntOrName::Int(v)) => ir::ConstValue::Int(*v),
                Some(IntOrName::Name(n)) => ir::ConstValue::Str(n.clone()),
                None => {
                    self.err(&p, format!("const `{}` has no `value`", d.name), Some("add `value: <integer>`".into()));
                    ir::ConstValue::Int(0)
                }
            };
            let name_pfx = d.name_prefix.clone().unwrap_or_else(|| format!("{}-", self.fam_ident));
            self.consts.push(ir::Const {
                name: d.name.clone(),
                rust_name: screaming(&d.name),
                c_name: c_upper(&format!("{name_pfx}{}", d.name)),
                doc: d.doc.clone(),
                header: d.header.clone(),
                scope: d.scope.unwrap_or(spec::Scope::Uapi),
                value,
            });
        }
        // enums and flags
        for (i, d) in s.definitions.iter().enumerate() {
            if !matches!(d.ty, DefType::Enum | DefType::Flags) {
                continue;
            }
            let p = format!("definitions[{i}]");
            let is_flags = d.ty == DefType::Flags;
            self.only_for(d.value.is_some(), &p, "value", "const definitions");
            self.only_for(d.members.is_some(), &p, "members", "struct definitions");
            let start: i128 = match &d.value_start {
                None => 0,
                Some(IntOrName::Int(v)) => *v,
                Some(IntOrName::Name(n)) => match self.const_int(n) {
                    Some(v) => v,
                    None => {
                        self.err(
                            &format!("{p}.value-start"),
                            format!("value-start `{n}` is not an integer nor a const definition with an integer value"),
                            Some(format!("use an integer or one of the consts: {}", one_of(&self.const_names()))),
                        );
                        0
                    }
                },
            };
            let mut entries = Vec::new();
            let mut names: HashMap<&str, usize> = HashMap::new();
            let mut vals: HashMap<u64, usize> = HashMap::new();
            let mut next = start;
            let prefix = c_upper(&d.name_prefix.clone().unwrap_or_else(|| format!("{}-{}-", self.fam_ident, d.name)));
            let list = d.entries.as_deref().unwrap_or(&[]);
            if d.entries.is_none() {
                self.err(
                    &p,
                    format!("{} `{}` has no `entries`", if is_flags { "flags" } else { "enum" }, d.name),
                    Some("add `entries: [ name, ... ]`".into()),
                );
            }
            for (j, e) in list.iter().enumerate() {
                let ep = format!("{p}.entries[{j}]");
                if let Some(prev) = names.insert(e.name.as_str(), j) {
                    self.err(
                        &ep,
                        format!("duplicate entry name `{}`", e.name),
                        Some(format!("first used at entries[{prev}]")),
                    );
                }
                let raw = match e.value {
                    Some(v) => v as i128,
                    None => next,
                };
                next = raw + 1;
                let max: i128 = if is_flags { 63 } else { u32::MAX as i128 };
                if raw < 0 || raw > max {
                    let vp = if e.value.is_some() { format!("{ep}.value") } else { ep.clone() };
                    let help = if is_flags {
                        "a flags entry value is a bit index from 0 to 63 (the wire value is 1 << index)".to_string()
                    } else {
                        "enum values must be from 0 to 4294967295 (C enum values in a u32 attribute)".to_string()
                    };
                    self.err(&vp, format!("value {raw} of `{}` is out of range", e.name), Some(help));
                    continue;
                }
                let raw = raw as u64;
                let value = if is_flags { 1u64 << raw } else { raw };
                if let Some(prev) = vals.insert(value, j) {
                    self.err(
                        &if e.value.is_some() { format!("{ep}.value") } else { ep.clone() },
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
            let c_enum_name = match &d.enum_name {
                Some(Some(n)) => Some(c_lower(n)),
                Some(None) => None,
                None => Some(c_lower(&format!("{}-{}", self.fam_ident, d.name))),
            };
            self.enums.push(ir::Enum {
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
        // structs
        for (i, d) in s.definitions.iter().enumerate() {
            if d.ty != DefType::Struct {
                continue;
            }
            let p = format!("definitions[{i}]");
            self.only_for(d.value.is_some(), &p, "value", "const definitions");
            self.only_for(d.entries.is_some(), &p, "entries", "enum and flags definitions");
            self.only_for(d.value_start.is_some(), &p, "value-start", "enum and flags definitions");
            let mut members = Vec::new();
            let mut names: HashMap<&str, usize> = HashMap::new();
            if d.members.is_none() {
                self.err(
                    &p,
                    format!("struct `{}` has no `members`", d.name),
                    Some("add `members:` with `name` and `type` for each member".into()),
                );
            }
            for (j, m) in d.members.iter().flatten().enumerate() {
                let mp = format!("{p}.members[{j}]");
                if let Some(prev) = names.insert(m.name.as_str(), j) {
                    self.err(
                        &format!("{mp}.name"),
                        format!("duplicate member name `{}`", m.name),
                        Some(format!("first used at members[{prev}]")),
                    );
                }
                let len = match (member_width(m.ty), &m.len) {
                    (Some(w), None) => Some(w),
                    (Some(w), Some(l)) => {
                        let v = self.len_value(l, &format!("{mp}.len"));
                        if v.is_some() && v != Some(w as i128) {
                            self.err(
                                &format!("{mp}.len"),
                                format!("len {l} does not match the width of {:?} ({w} bytes)", m.ty),
                                Some("drop `len` for scalar members".into()),
                            );
                        }
                        Some(w)
                    }
                    (None, Some(l)) => self.len_value(l, &format!("{mp}.len")).map(|v| v as usize),
                    (None, None) => {
                        if matches!(m.ty, MemberType::Pad | MemberType::Binary)
                            && self.level == Protocol::NetlinkRaw
                            && m.struct_.is_none()
                        {
                            self.err(
                                &mp,
                                format!("member `{}` of type {} needs `len`", m.name, member_type_str(m.ty)),
                                Some("add `len: <bytes>` (an integer or a const name)".into()),
                            );
                        }
                        None
                    }
                };
                let enum_ = m.enum_.as_ref().and_then(|e| self.lookup_enum(e, &format!("{mp}.enum")));
                let struct_ = m.struct_.as_ref().and_then(|e| self.lookup_struct(e, &format!("{mp}.struct")));
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
            self.structs.push(ir::Struct {
                name: d.name.clone(),
                rust_name: upper_camel(&d.name),
                doc: d.doc.clone(),
                header: d.header.clone(),
                scope: d.scope.unwrap_or(spec::Scope::Uapi),
                members,
                size: None,
            });
        }
        // sizes: binary members with a struct and no len take the struct's size
        for _ in 0..self.structs.len() + 1 {
            let mut changed = false;
            for si in 0..self.structs.len() {
                let mut off = Some(0usize);
                for mi in 0..self.structs[si].members.len() {
                    let m = &self.structs[si].members[mi];
                    let len = match (m.len, m.struct_) {
                        (Some(l), _) => Some(l),
                        (None, Some(st)) if st.0 != si => self.structs[st.0].size,
                        _ => None,
                    };
                    let m = &mut self.structs[si].members[mi];
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
                if self.structs[si].size != off {
                    self.structs[si].size = off;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn only_for(&mut self, present: bool, p: &str, key: &str, valid: &str) {
        if present {
            self.err_key(
                &format!("{p}.{key}"),
                format!("key `{key}` does not apply to this kind of definition"),
                Some(format!("`{key}` is only valid for {valid}")),
            );
        }
    }

    fn const_names(&self) -> Vec<&'a str> {
        let mut v: Vec<&str> = self.consts_by_name.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// A const by its name, or by `name-prefix` + name (how C code spells it, e.g. `wg-key-len`
    /// for `key-len` with `name-prefix: wg-`).
    fn const_def(&self, name: &str) -> Option<(usize, &'a spec::Definition)> {
        let s = self.s;
        let consts = || s.definitions.iter().filter(|d| d.ty == DefType::Const);
        let by_name = consts().find(|d| d.name == name);
        let d = by_name
            .or_else(|| consts().find(|d| d.name_prefix.as_ref().is_some_and(|p| format!("{p}{}", d.name) == name)))?;
        let idx = consts().position(|x| std::ptr::eq(x, d))?;
        Some((idx, d))
    }

    fn const_int(&self, name: &str) -> Option<i128> {
        self.const_def(name).and_then(|(_, d)| match d.value {
            Some(IntOrName::Int(v)) => Some(v),
            _ => None,
        })
    }

    /// A length given as an integer or a const name.
    fn len_value(&mut self, v: &IntOrName, path: &str) -> Option<i128> {
        let r = match v {
            IntOrName::Int(i) => Some(*i),
            IntOrName::Name(n) if n.ends_with(" - 1") && self.const_int(n.trim_end_matches(" - 1")).is_some() => {
                self.const_int(n.trim_end_matches(" - 1")).map(|i| i - 1)
            }
            IntOrName::Name(n) => match self.const_int(n) {
                Some(i) => Some(i),
                None => {
                    self.err(
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
                self.err(path, format!("length {i} is out of range"), Some("a length is from 0 to 65535 bytes".into()));
                return None;
            }
        }
        r
    }

    fn lookup_enum(&mut self, name: &str, path: &str) -> Option<EnumId> {
        if let Some(id) = self.enums_by_name.get(name) {
            return Some(*id);
        }
        let mut names: Vec<&str> = self.enums_by_name.keys().copied().collect();
        names.sort_unstable();
        let kind = if self.consts_by_name.contains_key(name) || self.structs_by_name.contains_key(name) {
            " (it is defined, but not as an enum or flags)"
        } else {
            ""
        };
        self.err(
            path,
            format!("unknown enum `{name}`{kind}"),
            Some(candidates(name, "enum/flags definitions", &names)),
        );
        None
    }

    fn lookup_struct(&mut self, name: &str, path: &str) -> Option<StructId> {
        if let Some(id) = self.structs_by_name.get(name) {
            return Some(*id);
        }
        let mut names: Vec<&str> = self.structs_by_name.keys().copied().collect();
        names.sort_unstable();
        let kind = if self.consts_by_name.contains_key(name) || self.enums_by_name.contains_key(name) {
            " (it is defined, but not as a struct)"
        } else {
            ""
        };
        self.err(path, format!("unknown struct `{name}`{kind}"), Some(candidates(name, "struct definitions", &names)));
        None
    }

    fn lookup_set(&mut self, name: &str, path: &str) -> Option<SetId> {
        if let Some(id) = self.sets_by_name.get(name) {
            return Some(*id);
        }
        let mut names: Vec<&str> = self.sets_by_name.keys().copied().collect();
        names.sort_unstable();
        self.err(path, format!("unknown attribute set `{name}`"), Some(candidates(name, "attribute sets", &names)));
        None
    }

    // ---------------------------------------------------------------- attribute sets

    /// Sets with names, numbering and merged subset definitions; kinds are filled by
    /// [`Self::attr_kinds`].
    fn sets(&mut self) -> Vec<ir::AttrSet> {
        let s = self.s;
        for (i, set) in s.attribute_sets.iter().enumerate() {
            if self.sets_by_name.contains_key(set.name.as_str()) {
                let prev = self.sets_by_name[set.name.as_str()].0;
                self.err(
                    &format!("attribute-sets[{i}].name"),
                    format!("duplicate attribute set name `{}`", set.name),
                    Some(format!("first defined at attribute-sets[{prev}]")),
                );
                continue;
            }
            self.sets_by_name.insert(&set.name, SetId(i));
        }
        let mut out = Vec::new();
        for (i, set) in s.attribute_sets.iter().enumerate() {
            let p = format!("attribute-sets[{i}]");
            let parent = match &set.subset_of {
                None => None,
                Some(n) => {
                    let id = self.lookup_set(n, &format!("{p}.subset-of"));
                    if let Some(pid) = id {
                        if pid.0 == i {
                            self.err(
                                &format!("{p}.subset-of"),
                                format!("set `{}` cannot be a subset of itself", set.name),
                                Some("name a different attribute set".into()),
                            );
                        } else if s.attribute_sets.get(pid.0).is_some_and(|ps| ps.subset_of.is_some()) {
                            self.err(
                                &format!("{p}.subset-of"),
                                format!("`{n}` is itself a subset"),
                                Some("name the full attribute set the subset is taken from".into()),
                            );
                        }
                    }
                    if set.name_prefix.is_some() {
                        self.err_key(
                            &format!("{p}.name-prefix"),
                            "a subset cannot have its own `name-prefix`",
                            Some(
                                "subsets inherit the C naming of the set they are a subset of; remove `name-prefix`"
                                    .into(),
                            ),
                        );
                    }
                    id.filter(|pid| pid.0 != i && s.attribute_sets.get(pid.0).is_some_and(|ps| ps.subset_of.is_none()))
                }
            };
            let pfx = match (&set.name_prefix, parent) {
                (Some(n), _) => c_upper(n),
                (None, Some(pid)) => self.set_prefix(&s.attribute_sets[pid.0]),
                (None, None) => self.set_prefix(set),
            };
            let base = parent.map(|pid| &s.attribute_sets[pid.0]).unwrap_or(set);
            let (max_name, cnt_name) = (
                c_upper(&base.attr_max_name.clone().unwrap_or_else(|| format!("{pfx}MAX"))),
                c_upper(&base.attr_cnt_name.clone().unwrap_or_else(|| format!("__{pfx}MAX"))),
            );
            let c_enum_name = match &base.enum_name {
                Some(Some(n)) => Some(c_lower(n)),
                Some(None) => None,
                None => Some(c_lower(&format!("{}-{}", self.fam_ident, base.name))),
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
                        self.warn(&format!("{ap}.name"), format!("{msg} (ignored)"), help);
                    } else {
                        self.err(&format!("{ap}.name"), msg, help);
                    }
                    continue;
                }
                let (value, origin) = if set.subset_of.is_some() {
                    if a.value.is_some() {
                        self.err_key(
                            &format!("{ap}.value"),
                            "attributes of a subset cannot set `value`",
                            Some("a subset attribute takes its value from the parent set; remove `value`".into()),
                        );
                    }
                    let Some(pid) = parent else { continue };
                    let pset = &s.attribute_sets[pid.0];
                    match pset.attributes.iter().position(|pa| pa.name == a.name) {
                        Some(pj) => {
                            // the parent's value (parent numbering recomputed here)
                            let v = attr_values(pset).get(pj).copied().unwrap_or(0);
                            (v, Some(AttrRef { set: pid, idx: pj }))
                        }
                        None => {
                            let names: Vec<&str> = pset.attributes.iter().map(|a| a.name.as_str()).collect();
                            self.err(
                                &format!("{ap}.name"),
                                format!(
                                    "attribute `{}` is not in set `{}`, which this set is a subset of",
                                    a.name, pset.name
                                ),
                                Some(candidates(&a.name, &format!("attributes of `{}`", pset.name), &names)),
                            );
                            continue;
                        }
                    }
                } else {
                    if a.ty.is_none() {
                        self.err(&ap, format!("attribute `{}` has no `type`", a.name), Some("add `type:` (one of unused, pad, flag, u8, u16, u32, u64, s8, s16, s32, s64, uint, sint, string, binary, nest, indexed-array, nest-type-value, bitfield32, sub-message)".into()));
                    }
                    let v = a.value.unwrap_or(next);
                    next = v.saturating_add(1);
                    (v, None)
                };
                if !(0..=0x3fff).contains(&value) {
                    let vp = if a.value.is_some() { format!("{ap}.value") } else { ap.clone() };
                    self.err(&vp, format!("attribute value {value} of `{}` does not fit", a.name), Some("attribute types are 14-bit: 0..=16383 (bits 14 and 15 of nla_type are the NLA_F_NESTED / NLA_F_NET_BYTEORDER flags)".into()));
                    continue;
                }
                if origin.is_none() {
                    if let Some(prev) = vals.insert(value, j) {
                        let vp = if a.value.is_some() { format!("{ap}.value") } else { ap.clone() };
                        self.err(&vp, format!("attribute `{}` has value {value}, already used by attributes[{prev}] (`{}`)", a.name, set.attributes[prev].name), Some("give each attribute a distinct value, or drop `value` to number it after the previous one".into()));
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
                Some(pid) => attr_values(&s.attribute_sets[pid.0])
                    .into_iter()
                    .filter(|v| (0..=0x3fff).contains(v))
                    .max()
                    .unwrap_or(0) as u16,
                None => attrs.iter().map(|a| a.value).max().unwrap_or(0),
            };
            out.push(ir::AttrSet {
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
            });
        }
        out
    }

    fn set_prefix(&self, set: &spec::AttrSet) -> String {
        match &set.name_prefix {
            Some(n) => c_upper(n),
            None if set.name == self.s.name => c_upper(&format!("{}-a-", self.fam_ident)),
            None => c_upper(&format!("{}-a-{}-", self.fam_ident, set.name)),
        }
    }

    /// Spec path of attribute `idx` of set `set`, and its effective spec (subset keys over the
    /// parent's).
    fn attr_spec(&self, set: usize, idx: usize) -> Option<(String, spec::Attr, String)> {
        let s = self.s;
        let st = s.attribute_sets.get(set)?;
        let a = st.attributes.get(idx)?;
        let path = format!("attribute-sets[{set}].attributes[{idx}]");
        match st.subset_of.as_ref().and_then(|n| self.sets_by_name.get(n.as_str())) {
            Some(pid) => {
                let pset = s.attribute_sets.get(pid.0)?;
                let (pj, pa) = pset.attributes.iter().enumerate().find(|(_, pa)| pa.name == a.name)?;
                Some((path, merge_attr(pa, a), format!("attribute-sets[{}].attributes[{pj}]", pid.0)))
            }
            None => Some((path.clone(), a.clone(), path)),
        }
    }

    fn attr_kinds(&mut self, sets: &mut [ir::AttrSet]) {
        let s = self.s;
        for si in 0..sets.len() {
            let st = &s.attribute_sets[si];
            let set_name = st.name.clone();
            let mut ai = 0;
            for sj in 0..st.attributes.len() {
                // only attributes that made it into the resolved set
                let Some(out) = sets[si].attrs.get(ai) else { break };
                if out.name != st.attributes[sj].name {
                    continue;
                }
                let Some((own, a, parent_path)) = self.attr_spec(si, sj) else {
                    ai += 1;
                    continue;
                };
                let own_spec = &st.attributes[sj];
                // For subsets, only check the keys the subset itself sets; the parent's
                // keys are checked with the parent.
                let is_sub = st.subset_of.is_some();
                if is_sub && only_name_and_doc(own_spec) {
                    if let Some(o) = sets[si].attrs[ai].origin {
                        if let Some(pa) =
                            sets.get(o.set.0).and_then(|ps| ps.attrs.iter().find(|x| x.name == own_spec.name))
                        {
                            let mut copy = pa.clone();
                            copy.origin = Some(o);
                            copy.c_name = sets[si].attrs[ai].c_name.clone();
                            if own_spec.doc.is_some() {
                                copy.doc = own_spec.doc.clone();
                            }
                            sets[si].attrs[ai] = copy;
                            ai += 1;
                            continue;
                        }
                    }
                }
                let kp = |key: &str, present: bool| key_path(&own, &parent_path, key, present);
                let r = self.resolve_attr(&a, own_spec, &own, &kp, &set_name);
                let slot = &mut sets[si].attrs[ai];
                if let Some((kind, checks, enum_, struct_)) = r {
                    slot.kind = kind;
                    slot.checks = checks;
                    slot.enum_ = enum_;
                    slot.struct_ = struct_;
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
        // subsets whose parent attributes were resolved after them: refresh plain copies
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
                if let Some(pa) =
                    sets.get(o.set.0).and_then(|ps| ps.attrs.get(o.idx)).filter(|pa| pa.name == name).cloned()
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
        // origins point at parent spec indexes; fix them to resolved indexes
        for si in 0..sets.len() {
            for ai in 0..sets[si].attrs.len() {
                if let Some(o) = sets[si].attrs[ai].origin {
                    let name = sets[si].attrs[ai].name.clone();
                    let idx = sets.get(o.set.0).and_then(|ps| ps.attr_idx(&name));
                    sets[si].attrs[ai].origin = idx.map(|idx| AttrRef { set: o.set, idx });
                }
            }
        }
        self.selectors(sets);
    }

    #[allow(clippy::type_complexity)]
    fn resolve_attr(
        &mut self,
        a: &spec::Attr,
        own: &spec::Attr,
        path: &str,
        kp: &dyn Fn(&str, bool) -> String,
        set_name: &str,
    ) -> Option<(ir::AttrKind, ir::Checks, Option<EnumId>, Option<StructId>)> {
        let ty = a.ty?;
        let name = &a.name;
        let nested = match &a.nested_attributes {
            Some(n) => self.lookup_set(n, &kp("nested-attributes", own.nested_attributes.is_some())),
            None => None,
        };
        let needs_nest = |me: &mut Self, what: &str| {
            if a.nested_attributes.is_none() {
                me.err(
                    path,
                    format!("attribute `{name}` of type {what} has no `nested-attributes`"),
                    Some("add `nested-attributes: <attribute set name>`".into()),
                );
            }
        };
        let not_for = |me: &mut Self, present: bool, key: &str, valid: &str| {
            if present {
                let p = kp(key, key_in(own, key));
                me.err_key(
                    &p,
                    format!("key `{key}` does not apply to attribute `{name}` of type {}", ty.as_str()),
                    Some(format!("`{key}` is only valid for {valid}")),
                );
            }
        };
        not_for(
            self,
            a.sub_type.is_some() && !matches!(ty, AttrType::IndexedArray | AttrType::Binary),
            "sub-type",
            "indexed-array and binary attributes",
        );
        if a.type_value.is_some() && ty != AttrType::NestTypeValue {
            let p = kp("type-value", own.type_value.is_some());
            self.warn(
                &p,
                format!("key `type-value` has no meaning for attribute `{name}` of type {} (ignored)", ty.as_str()),
                Some("`type-value` is for nest-type-value attributes".into()),
            );
        }
        not_for(self, a.sub_message.is_some() && ty != AttrType::SubMessage, "sub-message", "sub-message attributes");
        not_for(self, a.selector.is_some() && ty != AttrType::SubMessage, "selector", "sub-message attributes");
        if let (Some(st), AttrType::Binary) = (a.sub_type, ty) {
            if st.int_width().is_none() {
                self.err(
                    &kp("sub-type", own.sub_type.is_some()),
                    format!("sub-type {} of binary attribute `{name}` is not a fixed-width integer", st.as_str()),
                    Some("a binary with sub-type is an array of u8..u64 / s8..s64".into()),
                );
            }
        }
        not_for(self, a.enum_as_flags.is_some() && a.enum_.is_none(), "enum-as-flags", "attributes with `enum`");

        let kind = match ty {
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
                needs_nest(self, "nest");
                ir::AttrKind::Nest { set: nested? }
            }
            AttrType::NestTypeValue => {
                needs_nest(self, "nest-type-value");
                ir::AttrKind::NestTypeValue { type_value: a.type_value.clone().unwrap_or_default(), set: nested? }
            }
            AttrType::IndexedArray => {
                let Some(sub) = a.sub_type else {
                    self.err(
                        path,
                        format!("indexed-array attribute `{name}` has no `sub-type`"),
                        Some("add `sub-type:` (e.g. nest with nested-attributes, or a scalar type like u32)".into()),
                    );
                    return None;
                };
                match sub {
                    AttrType::Nest => {
                        needs_nest(self, "indexed-array of nest");
                        ir::AttrKind::IndexedArray { sub_type: sub, set: Some(nested?) }
                    }
                    AttrType::IndexedArray
                    | AttrType::NestTypeValue
                    | AttrType::SubMessage
                    | AttrType::Unused
                    | AttrType::Pad => {
                        self.err(
                            &kp("sub-type", own.sub_type.is_some()),
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
                    Some(n) => match self.submsg_by_name.get(n.as_str()) {
                        Some(id) => Some(*id),
                        None => {
                            let mut names: Vec<&str> = self.submsg_by_name.keys().copied().collect();
                            names.sort_unstable();
                            self.err(
                                &kp("sub-message", own.sub_message.is_some()),
                                format!("unknown sub-message `{n}`"),
                                Some(candidates(n, "sub-messages", &names)),
                            );
                            None
                        }
                    },
                    None => {
                        self.err(
                            path,
                            format!("sub-message attribute `{name}` has no `sub-message`"),
                            Some("add `sub-message: <name of a sub-messages entry>`".into()),
                        );
                        None
                    }
                };
                let Some(sel) = &a.selector else {
                    self.err(
                        path,
                        format!("sub-message attribute `{name}` has no `selector`"),
                        Some("add `selector: <name of the attribute whose value picks the format>`".into()),
                    );
                    return None;
                };
                ir::AttrKind::SubMessage { sub_message: sm?, selector: ir::Selector { name: sel.clone(), attr: None } }
            }
        };
        // enum
        let enum_ = match &a.enum_ {
            Some(e) => {
                let id = self.lookup_enum(e, &kp("enum", own.enum_.is_some()));
                if let Some(id) = id {
                    let en = &self.enums[id.0];
                    let as_flags = a.enum_as_flags.unwrap_or(false) || en.kind == ir::EnumKind::Flags;
                    let width_ty = if ty == AttrType::IndexedArray { a.sub_type.unwrap_or(ty) } else { ty };
                    match int_range(width_ty) {
                        Some((_, hi)) => {
                            let bits = width_ty.int_range_width().map(|(w, _)| w * 8).unwrap_or(64) as u64;
                            let bad = if as_flags {
                                en.entries.iter().find(|x| x.raw >= bits)
                            } else {
                                en.entries.iter().find(|x| x.value as i128 > hi)
                            };
                            if let Some(b) = bad {
                                let (bname, bval) = (b.name.clone(), if as_flags { b.raw } else { b.value });
                                self.err(
                                    &kp("enum", own.enum_.is_some()),
                                    format!("enum `{e}` entry `{bname}` ({}{bval}) does not fit attribute `{name}` of type {}", if as_flags { "bit " } else { "" }, width_ty.as_str()),
                                    Some(format!("a {} holds {}; use a wider type", width_ty.as_str(), if as_flags { format!("bits 0..{}", bits - 1) } else { format!("values up to {hi}") })),
                                );
                            }
                        }
                        None => {
                            if !matches!(ty, AttrType::Binary | AttrType::Bitfield32 | AttrType::String) {
                                self.err(
                                    &kp("enum", own.enum_.is_some()),
                                    format!("`enum` does not apply to attribute `{name}` of type {}", ty.as_str()),
                                    Some("enum is valid for integer attributes (and bitfield32 / binary)".into()),
                                );
                            }
                        }
                    }
                }
                id
            }
            None => None,
        };
        let struct_ = match &a.struct_ {
            Some(n) => {
                let id = self.lookup_struct(n, &kp("struct", own.struct_.is_some()));
                if id.is_some()
                    && !matches!(ty, AttrType::Binary)
                    && !(ty == AttrType::IndexedArray && a.sub_type == Some(AttrType::Binary))
                {
                    self.err_key(
                        &kp("struct", own.struct_.is_some()),
                        format!("`struct` does not apply to attribute `{name}` of type {}", ty.as_str()),
                        Some("`struct` is only valid for binary attributes".into()),
                    );
                }
                id
            }
            None => None,
        };
        let checks = match &a.checks {
            Some(c) => self.checks(c, ty, a, own, kp, name),
            None => ir::Checks::default(),
        };
        let _ = set_name;
        Some((kind, checks, enum_, struct_))
    }

    fn checks(
        &mut self,
        c: &spec::Checks,
        ty: AttrType,
        _a: &spec::Attr,
        own: &spec::Attr,
        kp: &dyn Fn(&str, bool) -> String,
        name: &str,
    ) -> ir::Checks {
        let cp = |key: &str| kp(&format!("checks.{key}"), own.checks.as_ref().is_some_and(|oc| check_key_in(oc, key)));
        let mut out = ir::Checks::default();
        let range = int_range(ty);
        for (key, v, slot) in [("min", &c.min, 0), ("max", &c.max, 1)] {
            let Some(v) = v else { continue };
            let p = cp(key);
            let Some((lo, hi)) = range else {
                self.err(&p, format!("check `{key}` does not apply to attribute `{name}` of type {}", ty.as_str()), Some("min/max are valid for integer attributes (u8..u64, s8..s64, uint, sint); use min-len/max-len for strings and binaries".into()));
                continue;
            };
            if let IntOrName::Int(i) = v {
                if *i < 0 {
                    self.err(
                        &p,
                        format!("check {key} is a negative literal ({i})"),
                        Some(format!("the YNL schema allows only non-negative literals here; define a const (`- {{name: {key}-{name}, type: const, value: {i}}}`) and name it, or use a limit such as s32-min")),
                    );
                    continue;
                }
            }
            let b = match self.bound(v, &p) {
                Some(b) => b,
                None => continue,
            };
            if b.value < lo || b.value > hi {
                self.err(
                    &p,
                    format!("check {key} {} does not fit attribute `{name}` of type {}", b.value, ty.as_str()),
                    Some(format!("a {} holds {lo}..={hi}", ty.as_str())),
                );
                continue;
            }
            if slot == 0 {
                out.min = Some(b);
            } else {
                out.max = Some(b);
            }
        }
        if let (Some(mn), Some(mx)) = (&out.min, &out.max) {
            if mn.value > mx.value {
                let p = cp("min");
                self.err(
                    &p,
                    format!("check min {} is greater than max {}", mn.value, mx.value),
                    Some("min must be <= max".into()),
                );
            }
        }
        let len_ok = matches!(ty, AttrType::String | AttrType::Binary)
            || (ty == AttrType::IndexedArray && matches!(_a.sub_type, Some(AttrType::String | AttrType::Binary)));
        for (key, v, slot) in [("min-len", &c.min_len, 0), ("max-len", &c.max_len, 1), ("exact-len", &c.exact_len, 2)] {
            let Some(v) = v else { continue };
            let p = cp(key);
            if !len_ok {
                self.err(
                    &p,
                    format!("check `{key}` does not apply to attribute `{name}` of type {}", ty.as_str()),
                    Some("length checks are valid for string and binary attributes; use min/max for integers".into()),
                );
                continue;
            }
            // lengths may also be spelled `<const> - 1` (the schema's len-or-define)
            let b = match v {
                IntOrName::Name(n) if n.ends_with(" - 1") => match self.len_value(v, &p) {
                    Some(x) => ir::Bound { value: x, source: ir::BoundSource::Literal },
                    None => continue,
                },
                _ => match self.bound(v, &p) {
                    Some(b) => b,
                    None => continue,
                },
            };
            if !(0..=u16::MAX as i128).contains(&b.value) {
                self.err(
                    &p,
                    format!("check {key} {} is out of range", b.value),
                    Some("a length is from 0 to 65535 bytes".into()),
                );
                continue;
            }
            match slot {
                0 => out.min_len = Some(b),
                1 => out.max_len = Some(b),
                _ => out.exact_len = Some(b),
            }
        }
        if let (Some(mn), Some(mx)) = (&out.min_len, &out.max_len) {
            if mn.value > mx.value {
                self.err(
                    &cp("min-len"),
                    format!("check min-len {} is greater than max-len {}", mn.value, mx.value),
                    Some("min-len must be <= max-len".into()),
                );
            }
        }
        if let Some(f) = &c.flags_mask {
            let p = cp("flags-mask");
            let unsigned = matches!(ty, AttrType::U8 | AttrType::U16 | AttrType::U32 | AttrType::U64 | AttrType::Uint);
            if !unsigned {
                self.err(
                    &p,
                    format!("check `flags-mask` does not apply to attribute `{name}` of type {}", ty.as_str()),
                    Some("flags-mask is valid for unsigned integer attributes (u8..u64, uint)".into()),
                );
            } else if let Some(id) = self.lookup_enum(f, &p) {
                let en = &self.enums[id.0];
                if en.kind != ir::EnumKind::Flags {
                    self.err(
                        &p,
                        format!("flags-mask `{f}` is an enum, not flags"),
                        Some("flags-mask must name a `type: flags` definition".into()),
                    );
                } else {
                    let mask = en.flags_mask();
                    let bits = ty.int_range_width().map(|(w, _)| w * 8).unwrap_or(64);
                    if bits < 64 && mask >> bits != 0 {
                        self.err(
                            &p,
                            format!(
                                "flags `{f}` (mask {mask:#x}) do not fit attribute `{name}` of type {}",
                                ty.as_str()
                            ),
                            Some("use a wider type".into()),
                        );
                    }
                    out.flags_mask = Some(ir::FlagsMask { enum_: id, mask });
                }
            }
        }
        if let Some(u) = c.unterminated_ok {
            if ty != AttrType::String {
                self.err(
                    &cp("unterminated-ok"),
                    format!("check `unterminated-ok` does not apply to attribute `{name}` of type {}", ty.as_str()),
                    Some("unterminated-ok is only valid for string attributes".into()),
                );
            }
            out.unterminated_ok = u;
        }
        out
    }

    fn bound(&mut self, v: &IntOrName, path: &str) -> Option<ir::Bound> {
        match v {
            IntOrName::Int(i) => Some(ir::Bound { value: *i, source: ir::BoundSource::Literal }),
            IntOrName::Name(n) => {
                if let Some(x) = limit_value(n) {
                    return Some(ir::Bound { value: x, source: ir::BoundSource::Limit(n.clone()) });
                }
                if let Some(id) = self.const_def(n).map(|(i, _)| ConstId(i)) {
                    return match self.consts.get(id.0).map(|c| c.value.clone()) {
                        Some(ir::ConstValue::Int(x)) => {
                            Some(ir::Bound { value: x, source: ir::BoundSource::Const(id) })
                        }
                        _ => {
                            self.err(path, format!("const `{n}` has no integer value"), Some("a bound must be an integer, a limit (u8-min … s64-max) or a const with an integer value".into()));
                            None
                        }
                    };
                }
                self.err(
                    path,
                    format!("unknown limit or definition `{n}`"),
                    Some(format!(
                        "use an integer, a limit `u8-min`…`u64-max` / `s8-min`…`s64-max`, or a const: {}",
                        one_of(&self.const_names())
                    )),
                );
                None
            }
        }
    }

    fn selectors(&mut self, sets: &mut [ir::AttrSet]) {
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
                        let spec_idx = self.s.attribute_sets[si]
                            .attributes
                            .iter()
                            .position(|x| x.name == sets[si].attrs[ai].name)
                            .unwrap_or(0);
                        let own_has =
                            self.s.attribute_sets[si].attributes.get(spec_idx).is_some_and(|x| x.selector.is_some());
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
                        self.err(&p, msg, Some(help));
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- sub-messages

    fn sub_messages(&mut self, _sets: &[ir::AttrSet]) -> Vec<ir::SubMessage> {
        let s = self.s;
        let mut out = Vec::new();
        let list = s.sub_messages.as_deref().unwrap_or(&[]);
        for (i, sm) in list.iter().enumerate() {
            if let Some(prev) = self.submsg_by_name.get(sm.name.as_str()) {
                let prev = prev.0;
                self.err(
                    &format!("sub-messages[{i}].name"),
                    format!("duplicate sub-message name `{}`", sm.name),
                    Some(format!("first defined at sub-messages[{prev}]")),
                );
                continue;
            }
            self.submsg_by_name.insert(&sm.name, SubMsgId(out.len()));
            let mut formats = Vec::new();
            let mut vals: HashMap<&str, usize> = HashMap::new();
            for (j, f) in sm.formats.iter().enumerate() {
                let fp = format!("sub-messages[{i}].formats[{j}]");
                if let Some(prev) = vals.insert(f.value.as_str(), j) {
                    self.err(
                        &format!("{fp}.value"),
                        format!("duplicate format value `{}`", f.value),
                        Some(format!("first used at formats[{prev}]")),
                    );
                }
                let fixed_header =
                    f.fixed_header.as_ref().and_then(|n| self.lookup_struct(n, &format!("{fp}.fixed-header")));
                let attribute_set =
                    f.attribute_set.as_ref().and_then(|n| self.lookup_set(n, &format!("{fp}.attribute-set")));
                formats.push(ir::Format {
                    value: f.value.clone(),
                    rust_name: upper_camel(&f.value),
                    fixed_header,
                    attribute_set,
                });
            }
            out.push(ir::SubMessage { name: sm.name.clone(), rust_name: upper_camel(&sm.name), formats });
        }
        out
    }

    // ---------------------------------------------------------------- multicast groups

    fn mcast_groups(&mut self) -> Vec<ir::McastGroup> {
        let s = self.s;
        let mut out = Vec::new();
        for (i, g) in s.mcast_groups.iter().flat_map(|m| m.list.iter()).enumerate() {
            let p = format!("mcast-groups.list[{i}]");
            if let Some(prev) = self.mcgrp_by_name.get(g.name.as_str()) {
                let prev = prev.0;
                self.err(
                    &format!("{p}.name"),
                    format!("duplicate multicast group name `{}`", g.name),
                    Some(format!("first defined at mcast-groups.list[{prev}]")),
                );
                continue;
            }
            if (g.name.is_empty() || g.name.len() > 15) && self.level != Protocol::NetlinkRaw {
                self.err(
                    &format!("{p}.name"),
                    format!("multicast group name `{}` must be 1 to 15 bytes", g.name),
                    Some("GENL_NAMSIZ is 16 including the NUL terminator".into()),
                );
            }
            let value = match g.value {
                None => None,
                Some(v) if (1..=u32::MAX as i64).contains(&v) => Some(v as u32),
                Some(v) => {
                    self.err(
                        &format!("{p}.value"),
                        format!("multicast group value {v} is out of range"),
                        Some("group numbers are 1..=4294967295".into()),
                    );
                    None
                }
            };
            let id = McgrpId(out.len());
            self.mcgrp_by_name.insert(&g.name, id);
            out.push(ir::McastGroup {
                id,
                name: g.name.clone(),
                rust_name: upper_camel(&g.name),
                c_define_name: c_upper(
                    &g.c_define_name.clone().unwrap_or_else(|| format!("{}-mcgrp-{}", self.fam_ident, g.name)),
                ),
                value,
                flags: op_flags(g.flags.as_deref()),
                index: id.0,
            });
        }
        out
    }

    // ---------------------------------------------------------------- operations

    fn operations(&mut self, sets: &[ir::AttrSet]) -> ir::Operations {
        let s = self.s;
        let o = &s.operations;
        let model = o.enum_model.unwrap_or(EnumModel::Unified);
        let prefix = c_upper(&o.name_prefix.clone().unwrap_or_else(|| format!("{}-cmd-", s.name)));
        let async_prefix = o.async_prefix.as_ref().map(|p| c_upper(p));
        let fixed_header = o.fixed_header.as_ref().and_then(|n| self.lookup_struct(n, "operations.fixed-header"));
        let max_val: i64 = if self.level == Protocol::NetlinkRaw { u16::MAX as i64 } else { u8::MAX as i64 };
        let max_help = if self.level == Protocol::NetlinkRaw {
            "netlink-raw message types are u16: 0..=65535 (values below 16 are reserved for control messages)"
        } else {
            "generic netlink commands are u8 (genlmsghdr.cmd): 0..=255"
        };

        // names
        let mut by_name: HashMap<&str, OpId> = HashMap::new();
        for (i, op) in o.list.iter().enumerate() {
            if let Some(prev) = by_name.get(op.name.as_str()) {
                let prev = prev.0;
                self.err(
                    &format!("operations.list[{i}].name"),
                    format!("duplicate operation name `{}`", op.name),
                    Some(format!("first defined at operations.list[{prev}]")),
                );
                continue;
            }
            by_name.insert(&op.name, OpId(i));
        }

        // numbering
        let mut values: Vec<(Option<i64>, Option<i64>)> = Vec::new();
        match model {
            EnumModel::Unified => {
                let mut v: i64 = 1;
                for (i, op) in o.list.iter().enumerate() {
                    for (k, sub) in [("do", &op.do_), ("dump", &op.dump)] {
                        for (m, msg) in [
                            ("request", sub.as_ref().and_then(|x| x.request.as_ref())),
                            ("reply", sub.as_ref().and_then(|x| x.reply.as_ref())),
                        ] {
                            if msg.is_some_and(|x| x.value.is_some()) {
                                self.warn(
                                    &format!("operations.list[{i}].{k}.{m}.value"),
                                    format!("`{m}.value` is ignored in the unified model (the op's value numbers both directions)"),
                                    Some("set `operations: enum-model: directional`, or use the op's `value`".into()),
                                );
                            }
                        }
                    }
                    if let Some(x) = op.value {
                        v = x;
                    }
                    values.push((Some(v), Some(v)));
                    v = v.saturating_add(1);
                }
            }
            EnumModel::Directional => {
                let (mut req, mut rsp): (i64, i64) = (1, 1);
                for (i, op) in o.list.iter().enumerate() {
                    let p = format!("operations.list[{i}]");
                    let (this_req, this_rsp, next_req, next_rsp);
                    if op.notify.is_some() || op.event.is_some() {
                        if let Some(x) = op.value {
                            rsp = x;
                        }
                        this_req = None;
                        this_rsp = Some(rsp);
                        next_req = req;
                        next_rsp = rsp.saturating_add(1);
                    } else if let Some(mode) = op.do_.as_ref().or(op.dump.as_ref()) {
                        if op.value.is_some() {
                            self.err_key(&format!("{p}.value"), "in the directional model a do/dump op takes its ids from `request.value` / `reply.value`", Some("move the value to `do: request: value:` (and `reply: value:`)".into()));
                        }
                        if let Some(x) = mode.request.as_ref().and_then(|m| m.value) {
                            req = x;
                        }
                        if let Some(x) = mode.reply.as_ref().and_then(|m| m.value) {
                            rsp = x;
                        }
                        let has_reply = mode.reply.is_some();
                        this_req = Some(req);
                        this_rsp = if has_reply { Some(rsp) } else { None };
                        next_req = req.saturating_add(1);
                        next_rsp = if has_reply { rsp.saturating_add(1) } else { rsp };
                    } else {
                        self.err(&p, format!("operation `{}` has none of do, dump, notify, event", op.name), Some("in the directional model every op needs do/dump (requests) or notify/event (notifications)".into()));
                        this_req = None;
                        this_rsp = None;
                        next_req = req;
                        next_rsp = rsp;
                    }
                    values.push((this_req, this_rsp));
                    req = next_req;
                    rsp = next_rsp;
                }
            }
        }
        // range and uniqueness
        let mut seen_req: HashMap<i64, usize> = HashMap::new();
        let mut seen_rsp: HashMap<i64, usize> = HashMap::new();
        let mut vals_u32: Vec<(Option<u32>, Option<u32>)> = Vec::new();
        for (i, (rq, rs)) in values.iter().enumerate() {
            let op = &o.list[i];
            let p = format!("operations.list[{i}]");
            let vp = |dir: &str| -> String {
                match model {
                    EnumModel::Unified => {
                        if op.value.is_some() {
                            format!("{p}.value")
                        } else {
                            p.clone()
                        }
                    }
                    EnumModel::Directional => {
                        let mode = if op.do_.is_some() { "do" } else { "dump" };
                        let has = op
                            .do_
                            .as_ref()
                            .or(op.dump.as_ref())
                            .and_then(|m| if dir == "request" { m.request.as_ref() } else { m.reply.as_ref() })
                            .is_some_and(|m| m.value.is_some());
                        if has {
                            format!("{p}.{mode}.{dir}.value")
                        } else if op.value.is_some() {
                            format!("{p}.value")
                        } else {
                            p.clone()
                        }
                    }
                }
            };
            let conv = |v: Option<i64>, dir: &str, seen: &mut HashMap<i64, usize>, me: &mut Self| -> Option<u32> {
                let v = v?;
                if v < 0 || v > max_val {
                    me.err(
                        &vp(dir),
                        format!(
                            "{} value {v} of operation `{}` does not fit",
                            if model == EnumModel::Directional { dir } else { "command" },
                            op.name
                        ),
                        Some(max_help.into()),
                    );
                    return None;
                }
                if let Some(prev) = seen.insert(v, i) {
                    // directional: notifications and replies share kernel->user ids (a get's
                    // reply and the new-notification are both e.g. RTM_NEWLINK)
                    if model == EnumModel::Unified || dir == "request" {
                        me.err(&vp(dir), format!("operation `{}` has {} value {v}, already used by `{}`", op.name, if model == EnumModel::Directional { dir } else { "command" }, o.list[prev].name), Some("give each operation a distinct value, or drop `value` to number it after the previous one".into()));
                    }
                }
                Some(v as u32)
            };
            let a = conv(*rq, "request", &mut seen_req, self);
            let b = if model == EnumModel::Unified { a } else { conv(*rs, "reply", &mut seen_rsp, self) };
            vals_u32.push((a, b));
        }

        let mut list = Vec::new();
        for (i, op) in o.list.iter().enumerate() {
            let p = format!("operations.list[{i}]");
            let set = op.attribute_set.as_ref().and_then(|n| self.lookup_set(n, &format!("{p}.attribute-set")));
            let notify = match &op.notify {
                Some(n) => match by_name.get(n.as_str()) {
                    Some(id) => {
                        let target = &o.list[id.0];
                        let has_reply = target.do_.iter().chain(target.dump.iter()).any(|m| m.reply.is_some());
                        if !has_reply {
                            self.err(
                                &format!("{p}.notify"),
                                format!("`notify: {n}` names an operation without a do or dump reply"),
                                Some("notify must name an op whose reply attributes the notification carries".into()),
                            );
                        }
                        Some(*id)
                    }
                    None => {
                        let names: Vec<&str> = o.list.iter().map(|x| x.name.as_str()).collect();
                        self.err(
                            &format!("{p}.notify"),
                            format!("unknown operation `{n}`"),
                            Some(candidates(n, "operations", &names)),
                        );
                        None
                    }
                },
                None => None,
            };
            // a notification without its own attribute-set uses the set of the op it notifies for
            let set = set.or_else(|| {
                if op.attribute_set.is_none() {
                    notify
                        .and_then(|id| o.list[id.0].attribute_set.as_ref())
                        .and_then(|n| self.sets_by_name.get(n.as_str()).copied())
                } else {
                    None
                }
            });
            if op.attribute_set.is_some() || op.notify.is_none() {
                // fine
            }
            let needs_set =
                op.do_.iter().chain(op.dump.iter()).any(|m| {
                    m.request.as_ref().is_some_and(|r| r.attributes.as_ref().is_some_and(|a| !a.is_empty()))
                        || m.reply.as_ref().is_some_and(|r| r.attributes.as_ref().is_some_and(|a| !a.is_empty()))
                }) || op.event.as_ref().is_some_and(|e| e.attributes.as_ref().is_some_and(|a| !a.is_empty()));
            if needs_set && op.attribute_set.is_none() && set.is_none() {
                self.err(
                    &p,
                    format!("operation `{}` lists attributes but has no `attribute-set`", op.name),
                    Some("add `attribute-set: <set the listed attributes come from>`".into()),
                );
            }
            let (req_value, rsp_value) = vals_u32.get(i).copied().unwrap_or((None, None));
            let sub = |which: &str, so: &Option<spec::SubOp>, me: &mut Self| -> Option<ir::SubOp> {
                let so = so.as_ref()?;
                let msg = |dir: &str, m: &Option<spec::Msg>, value: Option<u32>, me: &mut Self| -> Option<ir::Msg> {
                    let m = m.as_ref()?;
                    let attrs = me.attr_list(
                        m.attributes.as_deref().unwrap_or(&[]),
                        set,
                        sets,
                        &format!("{p}.{which}.{dir}.attributes"),
                    );
                    Some(ir::Msg { value, attrs })
                };
                let request = msg("request", &so.request, req_value, me);
                let reply = msg("reply", &so.reply, rsp_value, me);
                Some(ir::SubOp { request, reply, pre: so.pre.clone(), post: so.post.clone() })
            };
            let do_ = sub("do", &op.do_, self);
            let dump = sub("dump", &op.dump, self);
            let event = op.event.as_ref().map(|e| {
                self.attr_list(e.attributes.as_deref().unwrap_or(&[]), set, sets, &format!("{p}.event.attributes"))
            });
            let mcgrp = match &op.mcgrp {
                Some(g) => match self.mcgrp_by_name.get(g.as_str()) {
                    Some(id) => Some(*id),
                    None => {
                        let mut names: Vec<&str> = self.mcgrp_by_name.keys().copied().collect();
                        names.sort_unstable();
                        self.err(
                            &format!("{p}.mcgrp"),
                            format!("unknown multicast group `{g}`"),
                            Some(candidates(g, "mcast-groups", &names)),
                        );
                        None
                    }
                },
                None => None,
            };
            if op.mcgrp.is_some() && op.notify.is_none() && op.event.is_none() {
                self.err_key(
                    &format!("{p}.mcgrp"),
                    format!("operation `{}` has `mcgrp` but is neither a notification nor an event", op.name),
                    Some("`mcgrp` goes with `notify:` or `event:`".into()),
                );
            }
            let fh = op
                .fixed_header
                .as_ref()
                .and_then(|n| self.lookup_struct(n, &format!("{p}.fixed-header")))
                .or(fixed_header);
            let is_async = op.notify.is_some() || op.event.is_some();
            let c_name = format!(
                "{}{}",
                if is_async { async_prefix.clone().unwrap_or(prefix.clone()) } else { prefix.clone() },
                c_upper(&op.name)
            );
            let dv = op.dont_validate.as_deref().unwrap_or(&[]);
            list.push(ir::Op {
                id: OpId(i),
                name: op.name.clone(),
                rust_name: upper_camel(&op.name),
                fn_name: snake(&op.name),
                c_name,
                doc: op.doc.clone(),
                req_value,
                rsp_value,
                attribute_set: set,
                fixed_header: fh,
                flags: op_flags(op.flags.as_deref()),
                dont_validate: ir::DontValidateFlags {
                    strict: dv.contains(&spec::DontValidate::Strict),
                    dump: dv.contains(&spec::DontValidate::Dump),
                    dump_strict: dv.contains(&spec::DontValidate::DumpStrict),
                },
                config_cond: op.config_cond.clone(),
                do_,
                dump,
                notify,
                event,
                mcgrp,
            });
        }
        ir::Operations {
            enum_model: model,
            c_name_prefix: prefix,
            c_enum_name: match &o.enum_name {
                Some(Some(n)) => Some(c_lower(n)),
                Some(None) => None,
                None => Some(c_lower(&format!("{}-commands", self.fam_ident))),
            },
            async_prefix,
            async_enum: o.async_enum.clone(),
            fixed_header,
            list,
        }
    }

    fn attr_list(&mut self, names: &[String], set: Option<SetId>, sets: &[ir::AttrSet], path: &str) -> Vec<AttrRef> {
        let mut out = Vec::new();
        let Some(set) = set else { return out };
        let Some(st) = sets.get(set.0) else { return out };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (k, n) in names.iter().enumerate() {
            let p = format!("{path}[{k}]");
            if let Some(prev) = seen.insert(n.as_str(), k) {
                self.warn(
                    &p,
                    format!("attribute `{n}` is listed twice (ignored)"),
                    Some(format!("already listed at [{prev}]")),
                );
                continue;
            }
            match st.attr_idx(n) {
                Some(idx) => out.push(AttrRef { set, idx }),
                None => {
                    let names: Vec<&str> = st.attrs.iter().map(|a| a.name.as_str()).collect();
                    let msg = format!("attribute `{n}` is not in attribute set `{}`", st.name);
                    let help = Some(candidates(n, &format!("attributes of `{}`", st.name), &names));
                    if self.level == Protocol::NetlinkRaw {
                        // netlink-raw specs only describe existing protocols for decoding, and
                        // upstream ones have such stale names: tolerated, dropped from the list
                        self.warn(&p, format!("{msg} (dropped)"), help);
                    } else {
                        self.err(&p, msg, help);
                    }
                }
            }
        }
        out
    }
}

/// Path of `key` for an attribute: in the subset if the subset sets it, else in the parent.
fn key_path(own: &str, parent: &str, key: &str, present_in_own: bool) -> String {
    if present_in_own {
        format!("{own}.{key}")
    } else {
        format!("{parent}.{key}")
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

fn op_flags(f: Option<&[OpFlag]>) -> ir::OpFlags {
    let f = f.unwrap_or(&[]);
    ir::OpFlags { admin_perm: f.contains(&OpFlag::AdminPerm), uns_admin_perm: f.contains(&OpFlag::UnsAdminPerm) }
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

fn check_key_in(c: &spec::Checks, key: &str) -> bool {
    match key {
        "min" => c.min.is_some(),
        "max" => c.max.is_some(),
        "min-len" => c.min_len.is_some(),
        "max-len" => c.max_len.is_some(),
        "exact-len" => c.exact_len.is_some(),
        "flags-mask" => c.flags_mask.is_some(),
        "unterminated-ok" => c.unterminated_ok.is_some(),
        _ => false,
    }
}

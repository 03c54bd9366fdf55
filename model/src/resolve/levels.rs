//! Protocol levels: which key (and which value) is allowed at which level (the YNL schemas of
//! genetlink, genetlink-c, genetlink-legacy and netlink-raw differ), and the keys a level
//! requires (`doc` everywhere, `protonum` for netlink-raw).

use super::Ctx;
use crate::spec::{self, AttrType, DefType, EnumModel, MemberType, OpFlag, Protocol};

// Protocol level bits, or-ed into the set of levels a key is allowed at.
const G: u8 = 1;
const C: u8 = 2;
const L: u8 = 4;
const R: u8 = 8;
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

/// Report `key` (present at `path`) if the protocol level does not allow it.
fn allow(cx: &mut Ctx<'_>, present: bool, path: &str, key: &str, mask: u8) {
    if present && mask & level_bit(cx.level) == 0 {
        let msg = format!("key `{key}` is not allowed at protocol level {}", cx.level.as_str());
        cx.err_key(
            path,
            msg,
            Some(format!(
                "`{key}` is allowed at protocol level(s): {}; set `protocol:` accordingly or remove the key",
                levels_text(mask)
            )),
        );
    }
}

/// Report a value (e.g. a type name) not allowed at this protocol level.
fn allow_value(cx: &mut Ctx<'_>, ok: bool, path: &str, what: &str, mask: u8) {
    if !ok && mask & level_bit(cx.level) == 0 {
        let msg = format!("{what} is not allowed at protocol level {}", cx.level.as_str());
        cx.err(path, msg, Some(format!("allowed at protocol level(s): {}", levels_text(mask))));
    }
}

/// Required keys, then the level of every key and value, in spec order.
pub(super) fn check_levels(cx: &mut Ctx<'_>) {
    required_keys(cx);
    family_keys(cx);
    definitions(cx);
    attribute_sets(cx);
    operations(cx);
    mcast_groups(cx);
}

fn required_keys(cx: &mut Ctx<'_>) {
    let s = cx.spec;
    // `doc` is required by every level's schema for the family and for each operation
    if s.doc.is_none() {
        cx.err("", "missing required key `doc`", Some("add `doc:` describing the family".into()));
    }
    for (i, op) in s.operations.list.iter().enumerate() {
        if op.doc.is_none() {
            cx.err(
                &format!("operations.list[{i}]"),
                format!("operation `{}` has no `doc`", op.name),
                Some("add `doc:` describing the operation (the schema requires it)".into()),
            );
        }
    }
    if cx.level == Protocol::NetlinkRaw && s.protonum.is_none() {
        cx.err(
            "",
            "a netlink-raw spec needs `protonum`",
            Some("add `protonum: <netlink protocol number>` (e.g. 0 for NETLINK_ROUTE)".into()),
        );
    }
}

fn family_keys(cx: &mut Ctx<'_>) {
    let s = cx.spec;
    allow(cx, s.c_family_name.is_some(), "c-family-name", "c-family-name", CLR);
    allow(cx, s.c_version_name.is_some(), "c-version-name", "c-version-name", CLR);
    allow(cx, s.max_by_define.is_some(), "max-by-define", "max-by-define", CLR);
    allow(cx, s.cmd_max_name.is_some(), "cmd-max-name", "cmd-max-name", CLR);
    allow(cx, s.cmd_cnt_name.is_some(), "cmd-cnt-name", "cmd-cnt-name", CLR);
    allow(cx, s.kernel_policy.is_some(), "kernel-policy", "kernel-policy", LR);
    allow(cx, s.version.is_some(), "version", "version", L);
    allow(cx, s.protonum.is_some(), "protonum", "protonum", R);
    allow(cx, s.sub_messages.is_some(), "sub-messages", "sub-messages", R);
    allow(cx, s.kernel_family.is_some(), "kernel-family", "kernel-family", G | C | L);
}

fn definitions(cx: &mut Ctx<'_>) {
    let s = cx.spec;
    for (i, d) in s.definitions.iter().enumerate() {
        let p = format!("definitions[{i}]");
        allow(cx, matches!(d.enum_name, Some(Some(_))), &format!("{p}.enum-name"), "enum-name", CLR);
        if matches!(d.enum_name, Some(None)) {
            allow(cx, true, &format!("{p}.enum-name"), "enum-name: null", CLR);
        }
        allow(cx, d.name_prefix.is_some(), &format!("{p}.name-prefix"), "name-prefix", CLR);
        allow(cx, d.enum_cnt_name.is_some(), &format!("{p}.enum-cnt-name"), "enum-cnt-name", C | L);
        allow(cx, d.members.is_some(), &format!("{p}.members"), "members", LR);
        allow_value(cx, d.ty != DefType::Struct, &format!("{p}.type"), "definition type `struct`", LR);
        for (j, m) in d.members.iter().flatten().enumerate() {
            let mp = format!("{p}.members[{j}]");
            allow(cx, m.enum_as_flags.is_some(), &format!("{mp}.enum-as-flags"), "enum-as-flags", R);
            allow_value(cx, m.ty != MemberType::Pad, &format!("{mp}.type"), "member type `pad`", R);
        }
    }
}

fn attribute_sets(cx: &mut Ctx<'_>) {
    let s = cx.spec;
    for (i, set) in s.attribute_sets.iter().enumerate() {
        let p = format!("attribute-sets[{i}]");
        if matches!(set.enum_name, Some(None)) {
            allow(cx, true, &format!("{p}.enum-name"), "enum-name: null", CLR);
        }
        allow(cx, set.attr_cnt_name.is_some(), &format!("{p}.attr-cnt-name"), "attr-cnt-name", CLR);
        allow(cx, set.attr_max_name.is_some(), &format!("{p}.attr-max-name"), "attr-max-name", CLR);
        allow(cx, set.header.is_some(), &format!("{p}.header"), "header", CLR);
        for (j, a) in set.attributes.iter().enumerate() {
            let ap = format!("{p}.attributes[{j}]");
            allow(cx, a.name_prefix.is_some(), &format!("{ap}.name-prefix"), "name-prefix", CLR);
            allow(cx, a.struct_.is_some(), &format!("{ap}.struct"), "struct", LR);
            allow(cx, a.sub_message.is_some(), &format!("{ap}.sub-message"), "sub-message", R);
            allow(cx, a.selector.is_some(), &format!("{ap}.selector"), "selector", R);
            if let Some(c) = &a.checks {
                let unterminated_ok = c.unterminated_ok.is_some();
                allow(cx, unterminated_ok, &format!("{ap}.checks.unterminated-ok"), "unterminated-ok", CLR);
            }
            for (t, key) in [(a.ty, "type"), (a.sub_type, "sub-type")] {
                match t {
                    Some(AttrType::Bitfield32) => {
                        allow_value(cx, false, &format!("{ap}.{key}"), "type `bitfield32`", LR)
                    }
                    Some(AttrType::SubMessage) => {
                        allow_value(cx, false, &format!("{ap}.{key}"), "type `sub-message`", R)
                    }
                    _ => {}
                }
            }
        }
    }
}

fn operations(cx: &mut Ctx<'_>) {
    let s = cx.spec;
    let ops = &s.operations;
    if matches!(ops.enum_name, Some(None)) {
        allow(cx, true, "operations.enum-name", "enum-name: null", CLR);
    }
    if matches!(ops.async_enum, Some(None)) {
        allow(cx, true, "operations.async-enum", "async-enum: null", CLR);
    }
    allow(cx, ops.fixed_header.is_some(), "operations.fixed-header", "fixed-header", LR);
    let directional = ops.enum_model == Some(EnumModel::Directional);
    allow_value(cx, !directional, "operations.enum-model", "enum-model `directional`", LR);
    for (i, op) in ops.list.iter().enumerate() {
        let p = format!("operations.list[{i}]");
        allow(cx, op.config_cond.is_some(), &format!("{p}.config-cond"), "config-cond", G | C | L);
        allow(cx, op.fixed_header.is_some(), &format!("{p}.fixed-header"), "fixed-header", LR);
        for (j, f) in op.flags.iter().flatten().enumerate() {
            let ok = *f != OpFlag::UnsAdminPerm;
            allow_value(cx, ok, &format!("{p}.flags[{j}]"), "flag `uns-admin-perm`", G | L);
        }
        for (j, f) in op.dont_validate.iter().flatten().enumerate() {
            let ok = *f != spec::DontValidate::DumpStrict;
            allow_value(cx, ok, &format!("{p}.dont-validate[{j}]"), "dont-validate `dump-strict`", G | C | L);
        }
        for (k, sub) in [("do", &op.do_), ("dump", &op.dump)] {
            let Some(sub) = sub else { continue };
            for (m, msg) in [("request", &sub.request), ("reply", &sub.reply)] {
                if let Some(msg) = msg {
                    allow(cx, msg.value.is_some(), &format!("{p}.{k}.{m}.value"), "value", LR);
                }
            }
        }
    }
}

fn mcast_groups(cx: &mut Ctx<'_>) {
    let s = cx.spec;
    for (i, g) in s.mcast_groups.iter().flat_map(|m| m.list.iter()).enumerate() {
        let p = format!("mcast-groups.list[{i}]");
        allow(cx, g.c_define_name.is_some(), &format!("{p}.c-define-name"), "c-define-name", CLR);
        allow(cx, g.value.is_some(), &format!("{p}.value"), "value", R);
        for (j, f) in g.flags.iter().flatten().enumerate() {
            let ok = *f != OpFlag::UnsAdminPerm;
            allow_value(cx, ok, &format!("{p}.flags[{j}]"), "flag `uns-admin-perm`", G | L);
        }
    }
}

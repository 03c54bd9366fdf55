//! Multicast groups, and operations: names, message ids per enum model (unified or
//! directional) in range and unique, the attribute lists of each message, notify / event /
//! mcgrp references, fixed headers and C names.

use super::definitions::DefIndex;
use super::sets::SetIndex;
use super::{candidates, Ctx};
use crate::ir::{self, AttrRef, McgrpId, OpId, SetId, StructId};
use crate::names::{c_lower, c_upper, snake, upper_camel};
use crate::spec::{self, EnumModel, OpFlag, Protocol};
use std::collections::HashMap;

/// The resolved multicast groups (duplicates dropped) and their name index.
pub(super) struct McastGroups<'a> {
    pub(super) index: McgrpIndex<'a>,
    pub(super) list: Vec<ir::McastGroup>,
}

/// Multicast group names → ids.
pub(super) struct McgrpIndex<'a> {
    by_name: HashMap<&'a str, McgrpId>,
}

impl McgrpIndex<'_> {
    /// The group `name`; reported at `path` if there is none.
    fn lookup(&self, cx: &mut Ctx<'_>, name: &str, path: &str) -> Option<McgrpId> {
        if let Some(id) = self.by_name.get(name) {
            return Some(*id);
        }
        let mut names: Vec<&str> = self.by_name.keys().copied().collect();
        names.sort_unstable();
        cx.err(path, format!("unknown multicast group `{name}`"), Some(candidates(name, "mcast-groups", &names)));
        None
    }
}

pub(super) fn resolve_mcast_groups<'a>(cx: &mut Ctx<'a>) -> McastGroups<'a> {
    let s = cx.spec;
    let mut index = McgrpIndex { by_name: HashMap::new() };
    let mut list = Vec::new();
    for (i, g) in s.mcast_groups.iter().flat_map(|m| m.list.iter()).enumerate() {
        let p = format!("mcast-groups.list[{i}]");
        if let Some(prev) = index.by_name.get(g.name.as_str()) {
            let prev = prev.0;
            cx.err(
                &format!("{p}.name"),
                format!("duplicate multicast group name `{}`", g.name),
                Some(format!("first defined at mcast-groups.list[{prev}]")),
            );
            continue;
        }
        if (g.name.is_empty() || g.name.len() > 15) && cx.level != Protocol::NetlinkRaw {
            cx.err(
                &format!("{p}.name"),
                format!("multicast group name `{}` must be 1 to 15 bytes", g.name),
                Some("GENL_NAMSIZ is 16 including the NUL terminator".into()),
            );
        }
        let value = match g.value {
            None => None,
            Some(v) if (1..=u32::MAX as i64).contains(&v) => Some(v as u32),
            Some(v) => {
                cx.err(
                    &format!("{p}.value"),
                    format!("multicast group value {v} is out of range"),
                    Some("group numbers are 1..=4294967295".into()),
                );
                None
            }
        };
        let id = McgrpId(list.len());
        index.by_name.insert(&g.name, id);
        list.push(ir::McastGroup {
            id,
            name: g.name.clone(),
            rust_name: upper_camel(&g.name),
            c_define_name: c_upper(
                &g.c_define_name.clone().unwrap_or_else(|| format!("{}-mcgrp-{}", cx.fam_ident, g.name)),
            ),
            value,
            flags: op_flags(g.flags.as_deref()),
            index: id.0,
        });
    }
    McastGroups { index, list }
}

/// The message ids of one operation: request (user → kernel) and reply or notification
/// (kernel → user). In the unified model both are the op's value.
#[derive(Clone, Copy, Default)]
struct MsgIds<T> {
    request: Option<T>,
    reply: Option<T>,
}

/// What resolving each operation reads: earlier phases' outputs and the operations' shared
/// values.
struct Ops<'p, 'a> {
    defs: &'p DefIndex<'a>,
    set_index: &'p SetIndex<'a>,
    sets: &'p [ir::AttrSet],
    mcgrps: &'p McgrpIndex<'a>,
    /// `operations:` of the spec.
    spec: &'a spec::Operations,
    /// Operation names → ids (the first op of a name).
    by_name: HashMap<&'a str, OpId>,
    /// C prefix of command names, and of notifications' if they have their own.
    prefix: String,
    async_prefix: Option<String>,
    /// The family-wide fixed header.
    fixed_header: Option<StructId>,
}

pub(super) fn resolve_operations<'a>(
    cx: &mut Ctx<'a>,
    defs: &DefIndex<'a>,
    set_index: &SetIndex<'a>,
    sets: &[ir::AttrSet],
    mcgrps: &McgrpIndex<'a>,
) -> ir::Operations {
    let s = cx.spec;
    let o = &s.operations;
    let model = o.enum_model.unwrap_or(EnumModel::Unified);
    let prefix = c_upper(&o.name_prefix.clone().unwrap_or_else(|| format!("{}-cmd-", s.name)));
    let async_prefix = o.async_prefix.as_ref().map(|p| c_upper(p));
    let fixed_header = o.fixed_header.as_ref().and_then(|n| defs.lookup_struct(cx, n, "operations.fixed-header"));
    let by_name = op_names(cx, o);
    let ids = match model {
        EnumModel::Unified => unified_ids(cx, o),
        EnumModel::Directional => directional_ids(cx, o),
    };
    let ids = check_ids(cx, o, model, &ids);
    let ops = Ops { defs, set_index, sets, mcgrps, spec: o, by_name, prefix, async_prefix, fixed_header };
    let list = o
        .list
        .iter()
        .enumerate()
        .map(|(i, op)| ops.resolve_op(cx, i, op, ids.get(i).copied().unwrap_or_default()))
        .collect();
    ir::Operations {
        enum_model: model,
        c_name_prefix: ops.prefix,
        c_enum_name: match &o.enum_name {
            Some(Some(n)) => Some(c_lower(n)),
            Some(None) => None,
            None => Some(c_lower(&format!("{}-commands", cx.fam_ident))),
        },
        async_prefix: ops.async_prefix,
        async_enum: o.async_enum.clone(),
        fixed_header,
        list,
    }
}

/// Operation names → ids; duplicates reported.
fn op_names<'a>(cx: &mut Ctx<'_>, o: &'a spec::Operations) -> HashMap<&'a str, OpId> {
    let mut by_name: HashMap<&str, OpId> = HashMap::new();
    for (i, op) in o.list.iter().enumerate() {
        if let Some(prev) = by_name.get(op.name.as_str()) {
            let prev = prev.0;
            cx.err(
                &format!("operations.list[{i}].name"),
                format!("duplicate operation name `{}`", op.name),
                Some(format!("first defined at operations.list[{prev}]")),
            );
            continue;
        }
        by_name.insert(&op.name, OpId(i));
    }
    by_name
}

/// Unified model: one value per op numbering both directions (from 1, `value` resets);
/// `request.value` / `reply.value` are ignored (a warning).
fn unified_ids(cx: &mut Ctx<'_>, o: &spec::Operations) -> Vec<MsgIds<i64>> {
    let mut out = Vec::new();
    let mut v: i64 = 1;
    for (i, op) in o.list.iter().enumerate() {
        for (k, sub) in [("do", &op.do_), ("dump", &op.dump)] {
            for (m, msg) in [
                ("request", sub.as_ref().and_then(|x| x.request.as_ref())),
                ("reply", sub.as_ref().and_then(|x| x.reply.as_ref())),
            ] {
                if msg.is_some_and(|x| x.value.is_some()) {
                    cx.warn(
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
        out.push(MsgIds { request: Some(v), reply: Some(v) });
        v = v.saturating_add(1);
    }
    out
}

/// Directional model: requests and replies numbered separately (each from 1, `value`s reset);
/// notifications and events take reply ids.
fn directional_ids(cx: &mut Ctx<'_>, o: &spec::Operations) -> Vec<MsgIds<i64>> {
    let mut out = Vec::new();
    let (mut req, mut rsp): (i64, i64) = (1, 1);
    for (i, op) in o.list.iter().enumerate() {
        let p = format!("operations.list[{i}]");
        if op.notify.is_some() || op.event.is_some() {
            if let Some(x) = op.value {
                rsp = x;
            }
            out.push(MsgIds { request: None, reply: Some(rsp) });
            rsp = rsp.saturating_add(1);
        } else if let Some(mode) = op.do_.as_ref().or(op.dump.as_ref()) {
            if op.value.is_some() {
                cx.err_key(
                    &format!("{p}.value"),
                    "in the directional model a do/dump op takes its ids from `request.value` / `reply.value`",
                    Some("move the value to `do: request: value:` (and `reply: value:`)".into()),
                );
            }
            if let Some(x) = mode.request.as_ref().and_then(|m| m.value) {
                req = x;
            }
            if let Some(x) = mode.reply.as_ref().and_then(|m| m.value) {
                rsp = x;
            }
            let has_reply = mode.reply.is_some();
            out.push(MsgIds { request: Some(req), reply: has_reply.then_some(rsp) });
            req = req.saturating_add(1);
            if has_reply {
                rsp = rsp.saturating_add(1);
            }
        } else {
            cx.err(
                &p,
                format!("operation `{}` has none of do, dump, notify, event", op.name),
                Some(
                    "in the directional model every op needs do/dump (requests) or notify/event (notifications)".into(),
                ),
            );
            out.push(MsgIds::default());
        }
    }
    out
}

/// The ids in range of the message type (u8 genetlink commands, u16 netlink-raw types) and
/// unique per direction (replies may share ids with notifications).
fn check_ids(cx: &mut Ctx<'_>, o: &spec::Operations, model: EnumModel, ids: &[MsgIds<i64>]) -> Vec<MsgIds<u32>> {
    let raw = cx.level == Protocol::NetlinkRaw;
    let mut check = IdCheck {
        ops: o,
        model,
        max: if raw { u16::MAX as i64 } else { u8::MAX as i64 },
        max_help: if raw {
            "netlink-raw message types are u16: 0..=65535 (values below 16 are reserved for control messages)"
        } else {
            "generic netlink commands are u8 (genlmsghdr.cmd): 0..=255"
        },
        seen_request: HashMap::new(),
        seen_reply: HashMap::new(),
    };
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let request = check.id(cx, i, id.request, Dir::Request);
        let reply = if model == EnumModel::Unified { request } else { check.id(cx, i, id.reply, Dir::Reply) };
        out.push(MsgIds { request, reply });
    }
    out
}

/// A message direction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Request,
    Reply,
}

impl Dir {
    fn as_str(self) -> &'static str {
        match self {
            Dir::Request => "request",
            Dir::Reply => "reply",
        }
    }
}

/// The state of [`check_ids`]: the limits, and the ids seen so far per direction.
struct IdCheck<'o> {
    ops: &'o spec::Operations,
    model: EnumModel,
    /// The largest id the message type holds, and the help text saying so.
    max: i64,
    max_help: &'static str,
    /// Id → index of the first op that has it.
    seen_request: HashMap<i64, usize>,
    seen_reply: HashMap<i64, usize>,
}

impl IdCheck<'_> {
    /// Id `v` of direction `dir` of op `i` as a u32, if it is in range; duplicates reported.
    fn id(&mut self, cx: &mut Ctx<'_>, i: usize, v: Option<i64>, dir: Dir) -> Option<u32> {
        let v = v?;
        let op = &self.ops.list[i];
        let what = if self.model == EnumModel::Directional { dir.as_str() } else { "command" };
        if v < 0 || v > self.max {
            cx.err(
                &self.value_path(i, dir),
                format!("{what} value {v} of operation `{}` does not fit", op.name),
                Some(self.max_help.into()),
            );
            return None;
        }
        let seen = match dir {
            Dir::Request => &mut self.seen_request,
            Dir::Reply => &mut self.seen_reply,
        };
        if let Some(prev) = seen.insert(v, i) {
            // directional: notifications and replies share kernel->user ids (a get's
            // reply and the new-notification are both e.g. RTM_NEWLINK)
            if self.model == EnumModel::Unified || dir == Dir::Request {
                cx.err(
                    &self.value_path(i, dir),
                    format!(
                        "operation `{}` has {what} value {v}, already used by `{}`",
                        op.name, self.ops.list[prev].name
                    ),
                    Some(
                        "give each operation a distinct value, or drop `value` to number it after the previous one"
                            .into(),
                    ),
                );
            }
        }
        Some(v as u32)
    }

    /// Where the id of direction `dir` of op `i` is (or would be) set.
    fn value_path(&self, i: usize, dir: Dir) -> String {
        let op = &self.ops.list[i];
        let p = format!("operations.list[{i}]");
        match self.model {
            EnumModel::Unified => {
                if op.value.is_some() {
                    format!("{p}.value")
                } else {
                    p
                }
            }
            EnumModel::Directional => {
                let mode = if op.do_.is_some() { "do" } else { "dump" };
                let has = op
                    .do_
                    .as_ref()
                    .or(op.dump.as_ref())
                    .and_then(|m| match dir {
                        Dir::Request => m.request.as_ref(),
                        Dir::Reply => m.reply.as_ref(),
                    })
                    .is_some_and(|m| m.value.is_some());
                if has {
                    format!("{p}.{mode}.{}.value", dir.as_str())
                } else if op.value.is_some() {
                    format!("{p}.value")
                } else {
                    p
                }
            }
        }
    }
}

impl Ops<'_, '_> {
    /// Operation `i`: its set (or the notified op's), attribute lists, notify, mcgrp and fixed
    /// header resolved.
    fn resolve_op(&self, cx: &mut Ctx<'_>, i: usize, op: &spec::Op, ids: MsgIds<u32>) -> ir::Op {
        let o = self.spec;
        let p = format!("operations.list[{i}]");
        let set = op.attribute_set.as_ref().and_then(|n| self.set_index.lookup(cx, n, &format!("{p}.attribute-set")));
        let notify = match &op.notify {
            Some(n) => match self.by_name.get(n.as_str()) {
                Some(id) => {
                    let target = &o.list[id.0];
                    let has_reply = target.do_.iter().chain(target.dump.iter()).any(|m| m.reply.is_some());
                    if !has_reply {
                        cx.err(
                            &format!("{p}.notify"),
                            format!("`notify: {n}` names an operation without a do or dump reply"),
                            Some("notify must name an op whose reply attributes the notification carries".into()),
                        );
                    }
                    Some(*id)
                }
                None => {
                    let names: Vec<&str> = o.list.iter().map(|x| x.name.as_str()).collect();
                    cx.err(
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
                notify.and_then(|id| o.list[id.0].attribute_set.as_ref()).and_then(|n| self.set_index.get(n))
            } else {
                None
            }
        });
        let lists_attrs =
            |m: &Option<spec::Msg>| m.as_ref().is_some_and(|r| r.attributes.as_ref().is_some_and(|a| !a.is_empty()));
        let needs_set = op.do_.iter().chain(op.dump.iter()).any(|m| lists_attrs(&m.request) || lists_attrs(&m.reply))
            || op.event.as_ref().is_some_and(|e| e.attributes.as_ref().is_some_and(|a| !a.is_empty()));
        if needs_set && op.attribute_set.is_none() && set.is_none() {
            cx.err(
                &p,
                format!("operation `{}` lists attributes but has no `attribute-set`", op.name),
                Some("add `attribute-set: <set the listed attributes come from>`".into()),
            );
        }
        let do_ = self.sub_op(cx, &format!("{p}.do"), &op.do_, set, ids);
        let dump = self.sub_op(cx, &format!("{p}.dump"), &op.dump, set, ids);
        let event = op.event.as_ref().map(|e| {
            attr_list(cx, e.attributes.as_deref().unwrap_or(&[]), set, self.sets, &format!("{p}.event.attributes"))
        });
        let mcgrp = op.mcgrp.as_ref().and_then(|g| self.mcgrps.lookup(cx, g, &format!("{p}.mcgrp")));
        if op.mcgrp.is_some() && op.notify.is_none() && op.event.is_none() {
            cx.err_key(
                &format!("{p}.mcgrp"),
                format!("operation `{}` has `mcgrp` but is neither a notification nor an event", op.name),
                Some("`mcgrp` goes with `notify:` or `event:`".into()),
            );
        }
        let fh = op
            .fixed_header
            .as_ref()
            .and_then(|n| self.defs.lookup_struct(cx, n, &format!("{p}.fixed-header")))
            .or(self.fixed_header);
        let is_async = op.notify.is_some() || op.event.is_some();
        let prefix = if is_async { self.async_prefix.as_ref().unwrap_or(&self.prefix) } else { &self.prefix };
        let c_name = format!("{prefix}{}", c_upper(&op.name));
        let dv = op.dont_validate.as_deref().unwrap_or(&[]);
        ir::Op {
            id: OpId(i),
            name: op.name.clone(),
            rust_name: upper_camel(&op.name),
            fn_name: snake(&op.name),
            c_name,
            doc: op.doc.clone(),
            req_value: ids.request,
            rsp_value: ids.reply,
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
        }
    }

    /// The `do` or `dump` (at `path`) of an op: request and reply with their ids and attribute
    /// lists.
    fn sub_op(
        &self,
        cx: &mut Ctx<'_>,
        path: &str,
        so: &Option<spec::SubOp>,
        set: Option<SetId>,
        ids: MsgIds<u32>,
    ) -> Option<ir::SubOp> {
        let so = so.as_ref()?;
        let mut msg = |dir: &str, m: &Option<spec::Msg>, value: Option<u32>| -> Option<ir::Msg> {
            let m = m.as_ref()?;
            let names = m.attributes.as_deref().unwrap_or(&[]);
            let attrs = attr_list(cx, names, set, self.sets, &format!("{path}.{dir}.attributes"));
            Some(ir::Msg { value, attrs })
        };
        let request = msg("request", &so.request, ids.request);
        let reply = msg("reply", &so.reply, ids.reply);
        Some(ir::SubOp { request, reply, pre: so.pre.clone(), post: so.post.clone() })
    }
}

/// The attributes `names` (at `path`) of set `set`: listed twice is a warning; not in the set
/// is an error (a warning for netlink-raw, whose upstream specs have such stale names).
fn attr_list(cx: &mut Ctx<'_>, names: &[String], set: Option<SetId>, sets: &[ir::AttrSet], path: &str) -> Vec<AttrRef> {
    let mut out = Vec::new();
    let Some(set) = set else { return out };
    let Some(st) = sets.get(set.0) else { return out };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (k, n) in names.iter().enumerate() {
        let p = format!("{path}[{k}]");
        if let Some(prev) = seen.insert(n.as_str(), k) {
            cx.warn(
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
                if cx.level == Protocol::NetlinkRaw {
                    // netlink-raw specs only describe existing protocols for decoding, and
                    // upstream ones have such stale names: tolerated, dropped from the list
                    cx.warn(&p, format!("{msg} (dropped)"), help);
                } else {
                    cx.err(&p, msg, help);
                }
            }
        }
    }
    out
}

fn op_flags(f: Option<&[OpFlag]>) -> ir::OpFlags {
    let f = f.unwrap_or(&[]);
    ir::OpFlags { admin_perm: f.contains(&OpFlag::AdminPerm), uns_admin_perm: f.contains(&OpFlag::UnsAdminPerm) }
}

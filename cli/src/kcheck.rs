//! `nlspec --spec S --check-kernel`: compare the spec with what the running kernel says about
//! the family through nlctrl: `getfamily` (registered or not, version, fixed header size, the
//! ops with their do/dump/policy/permission flags, the multicast groups) and the family's
//! `getpolicy` dump (each op's do and dump policy tables and the nested tables they point at).
//!
//! Each difference is one line naming what it is about (`op getfamily do: family-name:
//! max-length: spec 15, kernel 16`); the exit status is 1 when there is any. What the spec
//! says a kernel policy looks like is what the kernel's generator (ynl_gen_c.py) renders from
//! it, seen through the policy dump (net/netlink/policy.c): a split-policy op validates
//! exactly its request attributes, a nested set is validated with all its attributes, integer
//! bounds default to the type's limits, enums become ranges (dense) or validation functions
//! (sparse: no bounds dumped), flags masks, a `string` is `nul-string` unless
//! `unterminated-ok`, `exact-len` makes a binary. The dump shows nothing for `NLA_BE16/32`
//! (big-endian u16/u32) and no lengths for `min-len`/`max-len` of a binary (`NLA_POLICY_MIN_LEN`
//! /`MAX_LEN`), so those are not compared when the kernel is silent.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use nlspec_model::ir::{Attr, AttrKind, AttrType, ByteOrder, EnumKind, Family, KernelPolicy, Op, SetId};
use nlspec_rt::ctrl::{
    decode_policy_msg, getpolicy_request, PolicyDumpEntry, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_OP, GENL_ADMIN_PERM,
    GENL_CMD_CAP_DO, GENL_CMD_CAP_DUMP, GENL_CMD_CAP_HASPOL, GENL_UNS_ADMIN_PERM,
};
use nlspec_rt::error::nl_attr_type_name;
use nlspec_rt::{Error, FamilyInfo, GenlSocket, Policy};

use crate::errors::{sock_err, Fail, ENOENT};

/// `ENODATA` (Linux): nlctrl's answer for an op without a policy.
const ENODATA: i32 = 61;
use crate::output::out;
use crate::spec::{load, print_warnings};

/// The kernel's policy tables of one op: index → attribute → policy.
type Tables = BTreeMap<u32, BTreeMap<u16, Policy>>;

/// One op's policies: its tables and the do and dump table indexes.
#[derive(Debug, Default)]
pub(crate) struct OpPolicy {
    tables: Tables,
    do_: Option<u32>,
    dump: Option<u32>,
}

/// nlctrl `getpolicy` for one op. Asked op by op: in a dump of all the family's ops the kernel
/// numbers a dump-only op 0 (it takes the number from the op's absent do half).
fn op_policy(sock: &mut GenlSocket, family: u16, cmd: u32) -> Result<OpPolicy, Fail> {
    let req = getpolicy_request();
    let mut it = sock
        .dump(&req, |w| {
            w.put_u16(CTRL_ATTR_FAMILY_ID, family);
            w.put_u32(CTRL_ATTR_OP, cmd);
        })
        .map_err(|e| sock_err("nlctrl getpolicy", e))?;
    let mut entries = Vec::new();
    while let Some(m) = it.next() {
        match m {
            Ok(m) => decode_policy_msg(&m, &mut entries)
                .map_err(|e| Fail::Error(format!("nlspec: malformed nlctrl getpolicy reply: {e}")))?,
            // An op without any policy.
            Err(Error::Kernel { errno, .. }) if errno == ENODATA => break,
            Err(e) => return Err(sock_err("nlctrl getpolicy", e)),
        }
    }
    let mut p = OpPolicy::default();
    for e in entries {
        match e {
            PolicyDumpEntry::Attr { policy_idx, attr, policy } => {
                p.tables.entry(policy_idx).or_default().insert(attr, policy);
            }
            PolicyDumpEntry::Op { do_policy, dump_policy, .. } => (p.do_, p.dump) = (do_policy, dump_policy),
        }
    }
    Ok(p)
}

/// `--check-kernel`: print the differences; exit 1 when there is any.
pub fn check_kernel(spec: &str) -> Result<(), Fail> {
    let fam = load(spec)?;
    print_warnings(&fam);
    if !fam.is_genetlink() {
        return Err(Fail::Error(format!(
            "nlspec: --check-kernel needs a Generic Netlink family (nlctrl describes only those); {} is {}",
            fam.name,
            fam.protocol.as_str()
        )));
    }
    let mut sock = GenlSocket::new().map_err(|e| sock_err("cannot open a Generic Netlink socket", e))?;
    let info = match sock.resolve_family(&fam.name) {
        Ok(i) => i,
        Err(Error::Kernel { errno, .. }) if errno == ENOENT => {
            out(&format!("family {}: not registered in the running kernel (is its module loaded?)", fam.name))?;
            return Err(Fail::Exit(1));
        }
        Err(e) => return Err(sock_err(&format!("resolving family {:?}", fam.name), e)),
    };
    let mut policies = BTreeMap::new();
    for (cmd, _) in &info.ops {
        policies.insert(*cmd, op_policy(&mut sock, info.id, *cmd)?);
    }
    let diffs = compare(&fam, &info, &policies);
    for d in &diffs {
        out(d)?;
    }
    if diffs.is_empty() {
        let ops = fam.ops.list.iter().filter(|o| !o.is_async()).count();
        out(&format!(
            "family {}: the running kernel matches the spec (version {}, {ops} operations, {} multicast groups)",
            fam.name,
            info.version,
            fam.mcast_groups.len()
        ))?;
        Ok(())
    } else {
        Err(Fail::Exit(1))
    }
}

/// The differences between the spec and the kernel's answers, one line each.
pub(crate) fn compare(fam: &Family, info: &FamilyInfo, policies: &BTreeMap<u32, OpPolicy>) -> Vec<String> {
    let mut d = Vec::new();
    let f = &fam.name;
    if info.version != fam.version {
        d.push(format!("family {f}: version: spec {}, kernel {}", fam.version, info.version));
    }
    let hdr = fam.ops.fixed_header.and_then(|s| fam.struct_(s).size).unwrap_or(0) as u32;
    if info.hdrsize != hdr {
        d.push(format!("family {f}: fixed header size: spec {hdr}, kernel {}", info.hdrsize));
    }

    let empty = OpPolicy::default();
    let mut cx = Cx { fam, tables: &empty.tables, seen: HashSet::new(), out: Vec::new() };

    let global = global_request_attrs(fam);
    // a placeholder op with neither do nor dump (mptcp_pm's `unspec`) registers nothing
    let spec_ops: Vec<&Op> = fam.served_ops().collect();
    for op in &spec_ops {
        let cmd = op.req_value.unwrap_or(0);
        let Some(&(_, flags)) = info.ops.iter().find(|(c, _)| *c == cmd) else {
            let cond = op.config_cond.as_ref().map(|c| format!(" (config-cond {c})")).unwrap_or_default();
            d.push(format!("op {}: missing in the kernel (command {cmd}){cond}", op.name));
            continue;
        };
        let mut mode = |spec: bool, bit: u32, what: &str| {
            let kernel = flags & bit != 0;
            if spec != kernel {
                d.push(format!(
                    "op {}: {what}: {}",
                    op.name,
                    if spec { "in the spec, not in the kernel" } else { "in the kernel, not in the spec" }
                ));
            }
        };
        mode(op.do_.is_some(), GENL_CMD_CAP_DO, "do");
        mode(op.dump.is_some(), GENL_CMD_CAP_DUMP, "dump");
        mode(op.flags.admin_perm, GENL_ADMIN_PERM, "flag admin-perm");
        mode(op.flags.uns_admin_perm, GENL_UNS_ADMIN_PERM, "flag uns-admin-perm");
        let pol = policies.get(&cmd).unwrap_or(&empty);
        cx.tables = &pol.tables;
        let (do_t, dump_t) = (pol.do_, pol.dump);
        for (m, sub, table, kernel_has) in [
            ("do", &op.do_, do_t, flags & GENL_CMD_CAP_DO != 0),
            ("dump", &op.dump, dump_t, flags & GENL_CMD_CAP_DUMP != 0),
        ] {
            let (Some(sub), true) = (sub, kernel_has) else { continue };
            // The attributes the op's policy should accept.
            // A dump without a request, or one the kernel does not validate (`dont-validate:
            // [dump]`), needs no policy, even in a family with a global one.
            let unvalidated_dump = m == "dump" && (sub.request.is_none() || op.dont_validate.dump);
            let listed: Vec<usize> = match fam.kernel_policy {
                _ if unvalidated_dump && table.is_none() => Vec::new(),
                KernelPolicy::Global => global.clone(),
                _ => sub.request.as_ref().map(|r| r.attrs.iter().map(|a| a.idx).collect()).unwrap_or_default(),
            };
            let path = format!("op {} {m}", op.name);
            match (table, op.attribute_set) {
                (None, _) if listed.iter().any(|i| expected_visible(fam, op.attribute_set, *i)) => {
                    let haspol = flags & GENL_CMD_CAP_HASPOL != 0;
                    d.push(format!(
                        "{path}: the spec lists request attributes, the kernel has no policy for it{}",
                        if haspol { "" } else { " (it validates nothing)" }
                    ));
                }
                (None, _) | (_, None) => {}
                (Some(t), Some(set)) => cx.table(&path, t, set, Some(&listed)),
            }
        }
    }
    for (cmd, flags) in &info.ops {
        if !spec_ops.iter().any(|o| o.req_value == Some(*cmd)) {
            d.push(format!("op command {cmd}: in the kernel ({}), not in the spec", flag_names(*flags)));
        }
    }
    d.append(&mut cx.out);
    for g in &fam.mcast_groups {
        if info.group(&g.name).is_none() {
            d.push(format!("mcast group {}: missing in the kernel", g.name));
        }
    }
    for (name, _) in &info.mcast_groups {
        if fam.mcgrp_by_name(name).is_none() {
            d.push(format!("mcast group {name}: in the kernel, not in the spec"));
        }
    }
    d
}

fn flag_names(flags: u32) -> String {
    let v: Vec<&str> = [
        (GENL_CMD_CAP_DO, "do"),
        (GENL_CMD_CAP_DUMP, "dump"),
        (GENL_ADMIN_PERM, "admin-perm"),
        (GENL_UNS_ADMIN_PERM, "uns-admin-perm"),
    ]
    .into_iter()
    .filter(|(b, _)| flags & b != 0)
    .map(|(_, n)| n)
    .collect();
    v.join(", ")
}

/// `kernel-policy: global`: the kernel generator's one policy, of every attribute any op's
/// request lists (all ops share one set).
fn global_request_attrs(fam: &Family) -> Vec<usize> {
    let mut v = BTreeSet::new();
    for op in &fam.ops.list {
        for sub in [&op.do_, &op.dump].into_iter().flatten() {
            if let Some(r) = &sub.request {
                v.extend(r.attrs.iter().map(|a| a.idx));
            }
        }
    }
    v.into_iter().collect()
}

/// Whether the kernel's policy dump would show attribute `idx` of `set` at all.
fn expected_visible(fam: &Family, set: Option<SetId>, idx: usize) -> bool {
    set.is_some_and(|s| expected(fam, &fam.set(s).attrs[idx]).is_some())
}

/// What the policy dump should show for an attribute (`None`: nothing, the attribute is not
/// in a dumped policy).
#[derive(Debug, Default)]
struct Expect {
    ty: &'static str,
    /// Bounds of integers (`None` when validated by a function: a sparse enum).
    range: Option<(i128, i128)>,
    mask: Option<u64>,
    bitfield32_mask: Option<u32>,
    min_len: Option<u32>,
    max_len: Option<u32>,
    /// Lengths a binary may check that the dump does not show.
    hidden_len: bool,
}

fn int_limits(t: AttrType) -> (i128, i128) {
    match t {
        AttrType::U8 => (0, u8::MAX as i128),
        AttrType::U16 => (0, u16::MAX as i128),
        AttrType::U32 => (0, u32::MAX as i128),
        AttrType::U64 | AttrType::Uint => (0, u64::MAX as i128),
        AttrType::S8 => (i8::MIN as i128, i8::MAX as i128),
        AttrType::S16 => (i16::MIN as i128, i16::MAX as i128),
        AttrType::S32 => (i32::MIN as i128, i32::MAX as i128),
        _ => (i64::MIN as i128, i64::MAX as i128),
    }
}

fn expected(fam: &Family, a: &Attr) -> Option<Expect> {
    let ch = &a.checks;
    let len = |b: &Option<nlspec_model::ir::Bound>| b.as_ref().map(|b| b.value.clamp(0, u32::MAX as i128) as u32);
    let ty = a.kind.ty();
    let mut e = Expect::default();
    match &a.kind {
        AttrKind::Unused | AttrKind::Pad | AttrKind::SubMessage { .. } => return None,
        AttrKind::Flag => e.ty = "flag",
        AttrKind::U8
        | AttrKind::U16
        | AttrKind::U32
        | AttrKind::U64
        | AttrKind::Uint
        | AttrKind::S8
        | AttrKind::S16
        | AttrKind::S32
        | AttrKind::S64
        | AttrKind::Sint => {
            // NLA_BE16 / NLA_BE32 are not in the dump.
            if a.byte_order == Some(ByteOrder::BigEndian) && matches!(ty, AttrType::U16 | AttrType::U32) {
                return None;
            }
            e.ty = ty.as_str();
            let en = a.enum_.map(|x| fam.enum_(x));
            let bitfield = a.enum_as_flags || en.is_some_and(|x| x.kind == EnumKind::Flags);
            if let Some(m) = &ch.flags_mask {
                e.mask = Some(m.mask);
            } else if let (true, Some(en)) = (bitfield, en) {
                e.mask = Some(en.flags_mask());
            } else {
                let (lo, hi) = int_limits(ty);
                let (mut min, mut max) = (ch.min.as_ref().map(|b| b.value), ch.max.as_ref().map(|b| b.value));
                let mut sparse = false;
                if let Some(en) = en {
                    if en.is_dense() && !en.entries.is_empty() {
                        min = min.or(Some(en.entries.iter().map(|x| x.value).min().unwrap_or(0) as i128));
                        max = max.or(Some(en.max_value() as i128));
                    } else if min.is_none() && max.is_none() {
                        sparse = true;
                    }
                }
                if !sparse {
                    e.range = Some((min.unwrap_or(lo), max.unwrap_or(hi)));
                }
            }
        }
        AttrKind::String => {
            if let Some(x) = len(&ch.exact_len) {
                e.ty = "binary";
                (e.min_len, e.max_len) = (Some(x).filter(|x| *x > 0), Some(x));
            } else {
                e.ty = if ch.unterminated_ok { "string" } else { "nul-string" };
                e.max_len = len(&ch.max_len);
            }
        }
        AttrKind::Binary => {
            e.ty = "binary";
            if let Some(x) = len(&ch.exact_len) {
                (e.min_len, e.max_len) = (Some(x).filter(|x| *x > 0), Some(x));
            } else if let Some(s) = a.struct_.and_then(|s| fam.struct_(s).size) {
                // A struct: its size exactly, if the kernel checks it (not always).
                (e.min_len, e.max_len) = (Some(s as u32), Some(s as u32));
                e.hidden_len = true;
            } else {
                (e.min_len, e.max_len) = (len(&ch.min_len), len(&ch.max_len));
                e.hidden_len = true;
            }
        }
        AttrKind::Bitfield32 => {
            e.ty = "bitfield32";
            e.bitfield32_mask = a.enum_.map(|x| fam.enum_(x).flags_mask() as u32);
        }
        AttrKind::Nest { .. } | AttrKind::NestTypeValue { .. } => e.ty = "nested",
        AttrKind::IndexedArray { sub_type, .. } => {
            e.ty = if *sub_type == AttrType::Nest { "nested-array" } else { "binary" };
        }
    }
    Some(e)
}

struct Cx<'a> {
    fam: &'a Family,
    tables: &'a Tables,
    /// Nested sets already compared, with the kernel table they were compared with (an op's
    /// tables are numbered per op: the same table can come again under another number).
    seen: HashSet<(SetId, String)>,
    out: Vec<String>,
}

impl Cx<'_> {
    /// Compare kernel table `t` with set `set`; `listed`: the attributes (indexes into the
    /// set) the table should have, `None` for all of the set's.
    fn table(&mut self, path: &str, t: u32, set: SetId, listed: Option<&[usize]>) {
        let fam = self.fam;
        let s = fam.set(set);
        let empty = BTreeMap::new();
        let kernel = self.tables.get(&t).unwrap_or(&empty);
        let want: Vec<usize> = match listed {
            Some(l) => l.to_vec(),
            None => (0..s.attrs.len()).collect(),
        };
        for &i in &want {
            let a = &s.attrs[i];
            let Some(exp) = expected(fam, a) else { continue };
            match kernel.get(&a.value) {
                None => self.out.push(format!("{path}: {}: in the spec, not in the kernel's policy", a.name)),
                Some(p) => self.attr(path, a, &exp, p),
            }
        }
        for (v, p) in kernel {
            if want.iter().any(|&i| s.attrs[i].value == *v) {
                continue;
            }
            let ty = p.kind.map(nl_attr_type_name).unwrap_or("?");
            match s.attr_by_value(*v) {
                Some(a) => self.out.push(format!(
                    "{path}: {}: accepted by the kernel ({ty}), not listed in the spec's request",
                    a.name
                )),
                None => self.out.push(format!(
                    "{path}: attribute {v}: in the kernel's policy ({ty}), not in the spec's set {}",
                    s.name
                )),
            }
        }
    }

    fn attr(&mut self, path: &str, a: &Attr, e: &Expect, p: &Policy) {
        let at = format!("{path}: {}", a.name);
        let kty = p.kind.map(nl_attr_type_name).unwrap_or("?");
        if kty != e.ty {
            self.out.push(format!("{at}: type: spec {} ({}), kernel {kty}", e.ty, a.kind.ty().as_str()));
            // The rest would mostly repeat the type difference (other type, other limits).
            return;
        }
        let show = |v: Option<i128>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
        if is_int(kty) {
            let kernel_range = match (p.min_u, p.max_u, p.min_s, p.max_s) {
                (Some(lo), Some(hi), _, _) => Some((lo as i128, hi as i128)),
                (_, _, Some(lo), Some(hi)) => Some((lo as i128, hi as i128)),
                _ => None,
            };
            let range = |r: Option<(i128, i128)>| match r {
                Some((lo, hi)) => format!("min {lo} max {hi}"),
                None => "none".to_string(),
            };
            match (e.mask, p.mask) {
                (Some(x), Some(y)) if x != y => self.out.push(format!("{at}: mask: spec {x:#x}, kernel {y:#x}")),
                (Some(x), None) => {
                    self.out.push(format!("{at}: mask: spec {x:#x}, kernel none (bounds {})", range(kernel_range)))
                }
                (None, Some(y)) => {
                    self.out.push(format!("{at}: mask: spec none (bounds {}), kernel {y:#x}", range(e.range)))
                }
                _ => {}
            }
            if e.mask.is_none() && p.mask.is_none() {
                let (el, eh) = (e.range.map(|r| r.0), e.range.map(|r| r.1));
                let (kl, kh) = (kernel_range.map(|r| r.0), kernel_range.map(|r| r.1));
                if e.range.is_some() && kernel_range.is_none() {
                    self.out.push(format!(
                        "{at}: bounds: spec min {} max {}, kernel none (checked by a function)",
                        show(el),
                        show(eh)
                    ));
                } else if e.range.is_none() && kernel_range.is_some() {
                    self.out.push(format!(
                        "{at}: bounds: spec none (sparse enum), kernel min {} max {}",
                        show(kl),
                        show(kh)
                    ));
                } else {
                    if el != kl {
                        self.out.push(format!("{at}: min: spec {}, kernel {}", show(el), show(kl)));
                    }
                    if eh != kh {
                        self.out.push(format!("{at}: max: spec {}, kernel {}", show(eh), show(kh)));
                    }
                }
            }
        }
        let lens = [("min-length", e.min_len, p.min_len), ("max-length", e.max_len, p.max_len)];
        let kernel_silent = p.min_len.is_none() && p.max_len.is_none();
        if !(e.hidden_len && kernel_silent) {
            for (k, x, y) in lens {
                if x != y {
                    let s = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
                    self.out.push(format!("{at}: {k}: spec {}, kernel {}", s(x), s(y)));
                }
            }
        }
        if e.ty == "bitfield32" && e.bitfield32_mask != p.bitfield32_mask {
            let s = |v: Option<u32>| v.map(|v| format!("{v:#x}")).unwrap_or_else(|| "none".into());
            self.out.push(format!(
                "{at}: bitfield32 mask: spec {}, kernel {}",
                s(e.bitfield32_mask),
                s(p.bitfield32_mask)
            ));
        }
        // Nested tables.
        if let (Some(set), Some(idx)) = (a.kind.nested_set(), p.policy_idx) {
            let key = format!("{:?}", self.tables.get(&idx));
            if self.seen.insert((set, key)) {
                let child = format!("{path}: {}", a.name);
                self.table(&child, idx, set, None);
            }
        }
    }
}

fn is_int(t: &str) -> bool {
    matches!(t, "u8" | "u16" | "u32" | "u64" | "s8" | "s16" | "s32" | "s64" | "uint" | "sint")
}

//! Policy tables: one per nest set reachable from a request, and the request policies as the
//! family's `kernel-policy` says (split: per op and do/dump; per-op; global: one family table,
//! plus own tables for ops whose requests use another set). Each entry comes from its
//! attribute's kind ([`crate::attr::AttrGen::kernel_policy`]).

use std::collections::BTreeMap;

use crate::tokens::{quote, TokenStream};

use super::common::{all_refs, dedup_refs, request_sets, MacroText};
use super::SHORTEN;
use crate::attr::{gen, Cx, PolicyStatics};
use crate::emit::expr_text;
use nlspec_model::ir::{AttrRef, KernelPolicy, Op, SetId};
use nlspec_model::names;

/// The policy part of `<module>_genl.rs`.
pub(super) struct Policies {
    /// Range statics and value checks the entries use.
    pub statics: PolicyStatics,
    /// The `PolicyTable` statics.
    pub items: Vec<TokenStream>,
    /// Request policy static of each (op index, dump?).
    pub op_policy: BTreeMap<(usize, bool), String>,
    /// The family-wide policy (global `kernel-policy`).
    pub family_policy: Option<String>,
    /// Length of each table (`{ LAST as usize + 1 }`), by table name: classic netlink ops
    /// parse into an attribute array of that length.
    pub len: BTreeMap<String, String>,
}

impl Policies {
    fn table(&mut self, cx: &Cx, name: &str, d: &str, refs: &[AttrRef]) {
        let (t, len) = policy_table(cx, &mut self.statics, name, d, refs);
        self.items.push(t);
        if let Some(len) = len {
            self.len.insert(name.to_string(), len);
        }
    }
    /// Names `name` the request policy of `op` (its do and its dump).
    fn for_op(&mut self, op: &Op, name: &str) {
        self.op_policy.insert((op.id.0, false), name.to_string());
        self.op_policy.insert((op.id.0, true), name.to_string());
    }
}

/// Every policy table of the family.
pub(super) fn tables(cx: &Cx) -> Policies {
    let f = cx.fam;
    let mut p = Policies {
        statics: PolicyStatics::default(),
        items: Vec::new(),
        op_policy: BTreeMap::new(),
        family_policy: None,
        len: BTreeMap::new(),
    };
    for s in request_sets(f) {
        let set = f.set(s);
        if set.attrs.iter().all(|a| a.value == 0) {
            continue;
        }
        let name = cx.nest_policy(s).to_string();
        p.table(cx, &name, &format!("Policy of a nest of `{}`.", set.name), &all_refs(f, s));
    }
    match f.kernel_policy {
        KernelPolicy::Split => split(cx, &mut p),
        KernelPolicy::PerOp => {
            for op in f.served_ops() {
                let refs = dedup_refs(&request_refs(op));
                if refs.is_empty() {
                    continue;
                }
                let name = format!("{}_POLICY", names::screaming(&op.name));
                p.table(cx, &name, &format!("Request policy of `{}`.", op.name), &refs);
                p.for_op(op, &name);
            }
        }
        KernelPolicy::Global => global(cx, &mut p),
    }
    p
}

/// The request attributes of an op's do and dump.
fn request_refs(op: &Op) -> Vec<AttrRef> {
    [&op.do_, &op.dump].into_iter().flatten().filter_map(|s| s.request.as_ref()).flat_map(|r| r.attrs.clone()).collect()
}

/// Split policies: one table per op and do/dump.
fn split(cx: &Cx, p: &mut Policies) {
    for op in cx.fam.served_ops() {
        for (is_dump, sub) in [(false, &op.do_), (true, &op.dump)] {
            let Some(req) = sub.as_ref().and_then(|s| s.request.as_ref()) else { continue };
            let refs = dedup_refs(&req.attrs);
            if refs.is_empty() {
                continue;
            }
            let kind = if is_dump { "dump" } else { "do" };
            let name = format!("{}_{}_POLICY", names::screaming(&op.name), kind.to_uppercase());
            p.table(cx, &name, &format!("Request policy of `{}` ({kind}).", op.name), &refs);
            p.op_policy.insert((op.id.0, is_dump), name);
        }
    }
}

/// Global policy: one table of the attributes of the most used request set; an op whose
/// requests use another set gets its own table (`genl_ops.policy`).
fn global(cx: &Cx, p: &mut Policies) {
    let f = cx.fam;
    let refs: Vec<AttrRef> = f.served_ops().flat_map(request_refs).collect();
    let mut count: BTreeMap<SetId, usize> = BTreeMap::new();
    for r in &refs {
        *count.entry(r.set).or_default() += 1;
    }
    let Some((main, _)) = count.iter().max_by_key(|(_, c)| **c) else { return };
    let main = *main;
    let main_refs: Vec<AttrRef> = dedup_refs(&refs).into_iter().filter(|r| r.set == main).collect();
    p.table(cx, "FAMILY_POLICY", "The family-wide request policy.", &main_refs);
    p.family_policy = Some("FAMILY_POLICY".to_string());
    for op in f.served_ops() {
        let own = request_refs(op);
        if own.is_empty() || own.iter().all(|r| r.set == main) {
            continue;
        }
        let name = format!("{}_POLICY", names::screaming(&op.name));
        let d = format!("Request policy of `{}` (its set is not the family policy's).", op.name);
        p.table(cx, &name, &d, &dedup_refs(&own));
        p.for_op(op, &name);
    }
}

/// A `PolicyTable` static named `name` keyed by attribute constant, with an entry for each
/// attribute of `refs` that has a policy (C: `[NLKV_A_ENTRY_KEY] = ...`); its length is the
/// highest of them plus one.
fn policy_table(
    cx: &Cx,
    st: &mut PolicyStatics,
    name: &str,
    d: &str,
    refs: &[AttrRef],
) -> (TokenStream, Option<String>) {
    let f = cx.fam;
    let Some(last) = refs.iter().filter(|r| f.attr(**r).value != 0).max_by_key(|r| f.attr(**r).value) else {
        return (TokenStream::new(), None);
    };
    let last = cx.attr_const(last.set, f.attr(*last));
    let mut entries = MacroText::default();
    for r in refs {
        let a = f.attr(*r);
        if a.value == 0 {
            continue;
        }
        let prefix = format!("{}_{}", names::screaming(&f.set(r.set).name), names::screaming(&a.name));
        let p = gen(a).kernel_policy(cx, st, a, &prefix);
        if p == quote!(nl::Policy::unspec()) {
            continue;
        }
        let c = expr_text(cx.attr_const(r.set, a), SHORTEN);
        let p = expr_text(p, SHORTEN);
        // one line each; one too long for 100 columns goes on two
        if 8 + c.len() + " => ".len() + p.len() + ",".len() <= 100 {
            entries.line(&format!("{c} => {p},"));
        } else {
            entries.line(&format!("{c} =>"));
            entries.line(&format!("    {p},"));
        }
    }
    let mut t = MacroText::default();
    t.open("nl::policy!");
    t.doc(Some(d));
    let last_text = expr_text(last.clone(), SHORTEN);
    t.block(&format!("static {name}[{last_text} + 1]"), entries);
    t.close("}");
    (t.finish(), Some(format!("{{ {last_text} as usize + 1 }}")))
}

//! Policy tables: one per nest set reachable from a request, and the request policies as the
//! family's `kernel-policy` says (split: per op and do/dump; per-op; global: one family table,
//! plus own tables for ops whose requests use another set). Each entry comes from its
//! attribute's kind ([`crate::attr::AttrGen::kernel_policy`]).

use std::collections::BTreeMap;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::common::{all_refs, dedup_refs, doc_str, request_sets, served_ops};
use crate::attr::{gen, policy::bound_note, Cx, PolicyStatics};
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
}

impl Policies {
    fn table(&mut self, cx: &Cx, name: &str, d: &str, refs: &[AttrRef]) {
        let t = policy_table(cx, &mut self.statics, name, d, refs);
        self.items.push(t);
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
            for op in served_ops(f) {
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
    for op in served_ops(cx.fam) {
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
    let refs: Vec<AttrRef> = served_ops(f).flat_map(request_refs).collect();
    let mut count: BTreeMap<SetId, usize> = BTreeMap::new();
    for r in &refs {
        *count.entry(r.set).or_default() += 1;
    }
    let Some((main, _)) = count.iter().max_by_key(|(_, c)| **c) else { return };
    let main = *main;
    let main_refs: Vec<AttrRef> = dedup_refs(&refs).into_iter().filter(|r| r.set == main).collect();
    p.table(cx, "FAMILY_POLICY", "The family-wide request policy.", &main_refs);
    p.family_policy = Some("FAMILY_POLICY".to_string());
    for op in served_ops(f) {
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

/// A `PolicyTable` static named `name` over `refs`, documented with each entry's checks.
fn policy_table(cx: &Cx, st: &mut PolicyStatics, name: &str, d: &str, refs: &[AttrRef]) -> TokenStream {
    let f = cx.fam;
    let maxv = refs.iter().map(|r| f.attr(*r).value).max().unwrap_or(0) as usize;
    let mut entries: Vec<TokenStream> = vec![quote!(nl::Policy::unspec()); maxv + 1];
    let mut notes = Vec::new();
    for r in refs {
        let a = f.attr(*r);
        if a.value == 0 {
            continue;
        }
        let prefix = format!("{}_{}", name.trim_end_matches("_POLICY"), names::screaming(&a.name));
        entries[a.value as usize] = gen(a).kernel_policy(cx, st, a, &prefix);
        let mut note = format!("{} = {}", a.value, a.name);
        let c = &a.checks;
        for (k, b) in [
            ("min", &c.min),
            ("max", &c.max),
            ("min-len", &c.min_len),
            ("max-len", &c.max_len),
            ("exact-len", &c.exact_len),
        ] {
            if let Some(b) = b {
                note.push_str(&format!(", {k} {}", bound_note(f, b)));
            }
        }
        notes.push(note);
    }
    let id = format_ident!("{}", name);
    let len = Literal::usize_unsuffixed(maxv + 1);
    let d = doc_str(d);
    let nd = doc_str(&format!("Entries: {}.", if notes.is_empty() { "none".into() } else { notes.join("; ") }));
    quote! {
        #d
        #[doc = ""]
        #nd
        static #id: nl::PolicyTable<#len> = nl::PolicyTable::new([#(#entries),*]);
    }
}

//! Typed request views: `nl::nest_view!` over a received nest of every set a request can nest,
//! and `nl::request!` over a validated do/dump request, listing each attribute with its codec
//! ([`crate::attr::AttrGen::kernel_get`]); the support layer turns a line into the getter
//! (`Option`), `require_*` and the raw `*_attr`.

use std::collections::HashSet;

use crate::tokens::TokenStream;

use super::common::{all_refs, dedup_refs, header_struct, request_sets, unique_method, MacroText};
use crate::attr::{gen, Cx};
use nlspec_model::ir::{AttrRef, SetId};

/// The request-view part of `<module>_genl.rs`.
pub(super) struct Items {
    /// Views of nests.
    pub sets: Vec<TokenStream>,
    /// Views of requests.
    pub requests: Vec<TokenStream>,
}

/// Every request view of the family.
pub(super) fn items(cx: &Cx) -> Items {
    let f = cx.fam;
    let mut sets = Vec::new();
    for s in request_sets(f) {
        let set = f.set(s);
        let d = format!(
            "A received nest of `{}`{}",
            set.name,
            set.doc.as_deref().map(|d| format!(": {}", d.trim())).unwrap_or_else(|| ".".into())
        );
        let head = format!("pub struct {}({})", cx.set_view(s), set_path(cx, s));
        sets.push(view(cx, "nest_view", &d, &head, &all_refs(f, s)));
    }
    let mut requests = Vec::new();
    for op in f.served_ops() {
        for (is_dump, sub) in [(false, &op.do_), (true, &op.dump)] {
            let Some(sub) = sub else { continue };
            let base = &cx.names.ops[op.id.0];
            let vname = format!("{}{}Request", base, if is_dump { "Dump" } else { "" });
            let refs = sub.request.as_ref().map(|r| dedup_refs(&r.attrs)).unwrap_or_default();
            let set = refs.first().map(|r| r.set).or(op.attribute_set);
            let path = set.map(|s| set_path(cx, s)).unwrap_or_else(|| "attrs".into());
            let hdr = header_struct(cx, op.fixed_header).map(|h| format!(": {h}")).unwrap_or_default();
            let d = format!(
                "A `{}` {} request (validated against its policy).",
                op.name,
                if is_dump { "dump" } else { "do" }
            );
            let mac = if f.is_genetlink() { "request" } else { "raw_request" };
            requests.push(view(cx, mac, &d, &format!("pub struct {vname}({path}){hdr}"), &refs));
        }
    }
    Items { sets, requests }
}

/// `attrs::<set>`.
pub(super) fn set_path(cx: &Cx, s: SetId) -> String {
    format!("attrs::{}", cx.set_attrs_mod(s))
}

/// `nl::<mac>! { <doc> <head> { attribute lines } }`.
fn view(cx: &Cx, mac: &str, d: &str, head: &str, refs: &[AttrRef]) -> TokenStream {
    let f = cx.fam;
    let mut t = MacroText::default();
    t.open(&format!("nl::{mac}!"));
    t.doc(Some(d));
    let mut body = MacroText::default();
    let mut used: HashSet<String> =
        ["raw", "header", "new", "of", "nest", "attrs"].iter().map(|s| s.to_string()).collect();
    for r in refs {
        let a = f.attr(*r);
        if a.value == 0 {
            continue;
        }
        let name = unique_method(a, &mut used);
        let codec = gen(a).kernel_get(cx, a).unwrap_or_else(|| "raw".into());
        let codec = if a.multi_attr && codec != "raw" { format!("multi {codec}") } else { codec };
        body.doc(a.doc.as_deref());
        body.line(&format!("{name}: {} => {codec},", Cx::attr_const_name(a)));
    }
    t.block(head, body);
    t.close("}");
    t.finish()
}

//! Typed request views: `<Set>View` over a received nest of every set a request can nest, and
//! `<Op>Request`/`<Op>DumpRequest` over a validated request, with one getter (`Option`),
//! `require_*` and raw `*_attr` per attribute; the value's type and decoding come from the
//! attribute's kind ([`crate::attr::AttrGen::kernel_get`]).

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::common::{all_refs, dedup_refs, doc_str, request_sets, served_ops, unique_method};
use crate::attr::{gen, Cx, KernelGetter};
use nlspec_model::ir::AttrRef;

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
        let v = cx.set_view(s);
        let set = f.set(s);
        let d = doc_str(&format!(
            "A received nest of `{}`{}",
            set.name,
            set.doc.as_deref().map(|d| format!(": {}", d.trim())).unwrap_or_else(|| ".".into())
        ));
        let getters = getters(cx, &all_refs(f, s), false);
        sets.push(quote! {
            #d
            #[derive(Clone)]
            pub struct #v<'a> { attrs: nl::Attrs<'a>, nest: Option<nl::Attr<'a>> }
            impl<'a> #v<'a> {
                /// A view of the attributes in `attrs` (a nest's payload).
                pub fn new(attrs: nl::Attrs<'a>) -> Self { Self { attrs, nest: None } }
                /// A view of the nest attribute `nest` (errors for missing members name it).
                pub fn of(nest: nl::Attr<'a>) -> Self { Self { attrs: nest.nested(), nest: Some(nest) } }
                /// The nest attribute itself (for `Error::attr`), when known.
                pub fn nest(&self) -> Option<nl::Attr<'a>> { self.nest }
                /// Every attribute of the nest, unparsed.
                pub fn attrs(&self) -> nl::Attrs<'a> { self.attrs.clone() }
                #getters
            }
        });
    }
    let mut requests = Vec::new();
    for op in served_ops(f) {
        for (is_dump, sub) in [(false, &op.do_), (true, &op.dump)] {
            let Some(sub) = sub else { continue };
            let base = &cx.names.ops[op.id.0];
            let vname = format_ident!("{}{}Request", base, if is_dump { "Dump" } else { "" });
            let refs = sub.request.as_ref().map(|r| dedup_refs(&r.attrs)).unwrap_or_default();
            let getters = getters(cx, &refs, true);
            let header = super::common::header_struct(cx, op.fixed_header).map(|ht| {
                quote! {
                    /// The request's fixed header.
                    pub fn header(&self) -> nl::Result<#ht> {
                        #ht::from_bytes(self.raw.fixed_header())
                            .map_err(|_| nl::Error::EINVAL.msg(c"fixed header too short"))
                    }
                }
            });
            let d = doc_str(&format!(
                "A `{}` {} request (validated against its policy).",
                op.name,
                if is_dump { "dump" } else { "do" }
            ));
            requests.push(quote! {
                #d
                pub struct #vname<'a> { raw: &'a nl::Request<'a> }
                impl<'a> #vname<'a> {
                    /// The request as the support layer sees it (raw attributes, sender).
                    pub fn raw(&self) -> &'a nl::Request<'a> { self.raw }
                    #header
                    #getters
                }
            });
        }
    }
    Items { sets, requests }
}

/// Getters of a request view over `refs`; `top`: the view wraps an `nl::Request`, else `nl::Attrs`.
fn getters(cx: &Cx, refs: &[AttrRef], top: bool) -> TokenStream {
    let f = cx.fam;
    let mut out = Vec::new();
    let mut used: HashSet<String> =
        ["raw", "header", "new", "of", "nest", "attrs"].iter().map(|s| s.to_string()).collect();
    for r in refs {
        let a = f.attr(*r);
        if a.value == 0 {
            continue;
        }
        let base = unique_method(a, &mut used);
        let g = KernelGetter {
            name: format_ident!("{}", base),
            raw: format_ident!("{}_attr", base.trim_end_matches('_')),
            require: format_ident!("require_{}", base.trim_end_matches('_')),
            ty_const: cx.attr_const(r.set, a),
            top,
        };
        out.push(gen(a).kernel_view_getters(cx, a, &g));
    }
    quote!(#(#out)*)
}

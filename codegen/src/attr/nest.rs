//! `nest`: the payload is an attribute stream of another set, read through that set's view.

use crate::tokens::{quote, TokenStream};

use super::cx::{next_depth, Cx};
use super::kind::AttrGen;
use super::policy::{self, PolicyStatics};
use nlspec_model::ir::{self, SetId};

/// Nested attribute sets.
pub struct Nest;

fn set_of(a: &ir::Attr) -> SetId {
    match a.kind.nested_set() {
        Some(s) => s,
        None => SetId(0),
    }
}

/// Expression of type `Result<view of set, DecodeError>`: the view of the nest `attr` at
/// depth `depth + 1` (an error only when that is too deep).
pub fn parse_nest(cx: &Cx, set: SetId, attr: &TokenStream, depth: &TokenStream) -> TokenStream {
    let t = cx.set_ty(set);
    let d = next_depth(depth);
    quote!(#t::decode_nested(#attr.payload(), #d))
}

/// Owned type of a nest of `set` (boxed for recursive sets).
pub fn owned_nest_ty(cx: &Cx, set: SetId) -> TokenStream {
    let t = cx.set_owned(set);
    if cx.boxed(set) {
        quote!(::std::boxed::Box<#t>)
    } else {
        quote!(#t)
    }
}

/// Expression turning a view `v` of `set` into its owned type (`?` on its error, located
/// by the method calls `locate`, e.g. `.in_attr("entry")`).
pub fn owned_nest(cx: &Cx, set: SetId, v: &TokenStream, locate: &TokenStream) -> TokenStream {
    let owned = quote!(#v.to_owned().map_err(|e| e #locate)?);
    if cx.boxed(set) {
        quote!(::std::boxed::Box::new(#owned))
    } else {
        owned
    }
}

impl AttrGen for Nest {
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, depth: &TokenStream) -> TokenStream {
        parse_nest(cx, set_of(a), attr, depth)
    }
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let t = cx.set_ty(set_of(a));
        quote!(#t<'a>)
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        owned_nest_ty(cx, set_of(a))
    }
    fn to_owned(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        let n = &a.name;
        owned_nest(cx, set_of(a), v, &quote!(.in_attr(#n)))
    }
    fn setter_params(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let e = cx.set_encoder(set_of(a));
        quote!(f: impl ::core::ops::FnOnce(&mut #e<'_, '_>))
    }
    fn put(&self, cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        let e = cx.set_encoder(set_of(a));
        quote! {
            let nest = #w.nest_start(#ty);
            f(&mut #e::new(&mut *#w));
            #w.nest_end(nest);
        }
    }
    fn schema_nest(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let s = cx.set_schema(set_of(a));
        quote!(::nlspec_rt::NestKind::Nest(&#s))
    }

    fn kernel_policy(&self, cx: &Cx, _st: &mut PolicyStatics, a: &ir::Attr, _prefix: &str) -> TokenStream {
        policy::nested(cx, set_of(a), false)
    }
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<String> {
        Some(format!("nest {}", cx.set_view(set_of(a))))
    }
    fn kernel_put(&self, cx: &Cx, _set: ir::SetId, a: &ir::Attr) -> Option<String> {
        Some(format!("nest {}", cx.set_writer(set_of(a))))
    }
}

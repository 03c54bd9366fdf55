//! `nest-type-value`: nests whose members' types carry values (one level per `type-value`
//! name), the innermost being nests of a set. Getters iterate `(value, ..., view)`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cx::{next_depth, Cx};
use super::kind::{iter_accessors, AttrGen, ClientAccessor, ClientAccessors, Elements};
use super::nest::{owned_nest, owned_nest_ty};
use super::policy::{self, PolicyStatics};
use nlspec_model::ir::{self, SetId};

/// Nest-type-value attributes.
pub struct NestTypeValue;

fn shape(a: &ir::Attr) -> (usize, SetId) {
    match &a.kind {
        ir::AttrKind::NestTypeValue { type_value, set } => (type_value.len().max(1), *set),
        _ => (1, SetId(0)),
    }
}

impl AttrGen for NestTypeValue {
    fn stored_ty(&self, _cx: &Cx, _a: &ir::Attr) -> Option<TokenStream> {
        Some(quote!(::nlspec_rt::Attr<'a>))
    }
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, depth: &TokenStream) -> TokenStream {
        // One `check_elements` (a helper of every generated client) per level; each locates
        // errors at `[value]`, so paths read `.policy[3][1].type`.
        let (levels, set) = shape(a);
        let t = cx.set_ty(set);
        let xs: Vec<_> = (1..=levels).map(|i| format_ident!("x{}", i)).collect();
        let last = &xs[levels - 1];
        let d = next_depth(depth);
        let mut body = quote!(#t::decode_nested(#last.payload(), #d).map(|_| ()));
        for i in (1..levels).rev() {
            let x = &xs[i];
            let p = &xs[i - 1];
            body = quote!(check_elements(#p, |#x| #body).map(|_| ()));
        }
        let x1 = &xs[0];
        quote!(check_elements(#attr, |#x1| #body))
    }
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let (levels, set) = shape(a);
        let t = cx.set_ty(set);
        let us = (0..levels).map(|_| quote!(u16));
        quote!(impl ::core::iter::Iterator<Item = (#(#us,)* #t<'a>)> + ::core::clone::Clone + 'a)
    }
    fn view(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        let (levels, set) = shape(a);
        let t = cx.set_ty(set);
        let xs: Vec<_> = (1..=levels).map(|i| format_ident!("x{}", i)).collect();
        let last = &xs[levels - 1];
        let tys = xs.iter().map(|x| quote!(#x.ty()));
        let mut expr = quote! {
            #t::decode_nested(#last.payload(), 0).ok().map(|s| (#(#tys,)* s))
        };
        for i in (0..levels).rev() {
            let x = &xs[i];
            let src = if i == 0 {
                quote!(#v)
            } else {
                let p = &xs[i - 1];
                quote!(#p)
            };
            expr = if i == levels - 1 {
                quote!(#src.nested().flatten().filter_map(move |#x| #expr))
            } else {
                quote!(#src.nested().flatten().flat_map(move |#x| #expr))
            };
        }
        expr
    }
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let (levels, set) = shape(a);
        let t = owned_nest_ty(cx, set);
        let us = (0..levels).map(|_| quote!(u16));
        quote!(::std::vec::Vec<(#(#us,)* #t)>)
    }
    fn to_owned(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        let (levels, set) = shape(a);
        let ks: Vec<_> = (0..levels).map(|i| format_ident!("k{}", i)).collect();
        let conv = owned_nest(cx, set, &quote!(s));
        quote!(#v.map(|(#(#ks,)* s)| (#(#ks,)* #conv)).collect())
    }
    fn setter_params(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let (levels, set) = shape(a);
        if levels == 1 {
            let e = cx.set_array_encoder(set);
            quote!(f: impl ::core::ops::FnOnce(&mut #e<'_, '_>))
        } else {
            quote!(f: impl ::core::ops::FnOnce(&mut ::nlspec_rt::AttrWriter<'_>))
        }
    }
    fn put(&self, cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        let (levels, set) = shape(a);
        let arg = if levels == 1 {
            let e = cx.set_array_encoder(set);
            quote!(&mut #e::new(&mut *#w))
        } else {
            quote!(&mut *#w)
        };
        quote! {
            let nest = #w.nest_start(#ty);
            f(#arg);
            #w.nest_end(nest);
        }
    }
    fn schema_nest(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let (levels, set) = shape(a);
        if levels == 1 {
            let s = cx.set_schema(set);
            quote!(::nlspec_rt::NestKind::Array(::core::option::Option::Some(&#s)))
        } else {
            quote!(::nlspec_rt::NestKind::Opaque)
        }
    }
    fn client_accessors(&self, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
        iter_accessors(self, cx, a, acc)
    }
    fn elements(&self, a: &ir::Attr) -> Option<Elements> {
        let (levels, set) = shape(a);
        Some(Elements::TypeValue { set, levels })
    }
    fn debug(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(::nlspec_rt::display::List(#v))
    }

    fn kernel_policy(&self, cx: &Cx, _st: &mut PolicyStatics, a: &ir::Attr, _prefix: &str) -> TokenStream {
        match &a.kind {
            ir::AttrKind::NestTypeValue { type_value, set } if type_value.len() == 1 => policy::nested(cx, *set, true),
            _ => quote!(nl::Policy::nested_any()),
        }
    }
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<String> {
        let ir::AttrKind::NestTypeValue { set, .. } = &a.kind else { return None };
        Some(format!("slots {}", cx.set_view(*set)))
    }
    fn kernel_put(&self, cx: &Cx, _set: ir::SetId, a: &ir::Attr) -> Option<String> {
        let ir::AttrKind::NestTypeValue { set, .. } = &a.kind else { return None };
        Some(format!("slots {}", cx.set_slots_writer(*set)))
    }
}

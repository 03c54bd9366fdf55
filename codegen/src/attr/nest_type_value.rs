//! `nest-type-value`: nests whose members' types carry values (one level per `type-value`
//! name), the innermost being nests of a set. Getters iterate `(value, ..., view)`.

use crate::tokens::{format_ident, quote, TokenStream};

use super::cx::Cx;
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

/// The iterator over the innermost nests of `attr` with their type values, viewed below depth
/// `depth` (a variable the getter binds): one `flat_map` per outer level, each element's error
/// located at `[value]`.
fn items(cx: &Cx, a: &ir::Attr, attr: &TokenStream) -> TokenStream {
    let (levels, set) = shape(a);
    let t = cx.set_ty(set);
    let n = &a.name;
    let xs: Vec<_> = (1..=levels).map(|i| format_ident!("x{}", i)).collect();
    let tys = xs.iter().map(|x| quote!(#x.ty()));
    let us = (0..levels).map(|_| quote!(u16));
    let last = &xs[levels - 1];
    let src = |i: usize| {
        if i == 0 {
            attr.clone()
        } else {
            let p = &xs[i - 1];
            quote!(#p)
        }
    };
    let mut expr = {
        let s = src(levels - 1);
        quote! {
            ::nlspec_rt::Attrs::new(#s.payload()).map(move |#last| -> ::core::result::Result<(#(#us,)* #t<'a>), ::nlspec_rt::DecodeError> {
                let #last = #last?;
                #t::decode_nested(#last.payload(), depth + 1)
                    .map(|s| (#(#tys,)* s))
                    .map_err(|e| e.at_element(usize::from(#last.ty())))
            })
        }
    };
    for i in (0..levels - 1).rev() {
        let x = &xs[i];
        let s = src(i);
        expr = quote! {
            ::nlspec_rt::Attrs::new(#s.payload()).flat_map(move |#x| {
                let (ok, err) = match #x {
                    ::core::result::Result::Ok(#x) => (
                        ::core::option::Option::Some(#expr.map(move |r| r.map_err(|e| e.at_element(usize::from(#x.ty()))))),
                        ::core::option::Option::None,
                    ),
                    ::core::result::Result::Err(e) => (::core::option::Option::None, ::core::option::Option::Some(::core::result::Result::Err(e))),
                };
                ok.into_iter().flatten().chain(err)
            })
        };
    }
    quote!(#expr.map(|r| r.map_err(|e| e.in_attr(#n))))
}

impl AttrGen for NestTypeValue {
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        let items = items(cx, a, attr);
        quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#items))
    }
    fn parse_infallible(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream) -> Option<TokenStream> {
        Some(items(cx, a, attr))
    }
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let (levels, set) = shape(a);
        let t = cx.set_ty(set);
        let us = (0..levels).map(|_| quote!(u16));
        quote!(impl ::core::iter::Iterator<Item = ::core::result::Result<(#(#us,)* #t<'a>), ::nlspec_rt::DecodeError>> + ::core::clone::Clone + 'a)
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let (levels, set) = shape(a);
        let t = owned_nest_ty(cx, set);
        let us = (0..levels).map(|_| quote!(u16));
        quote!(::std::vec::Vec<(#(#us,)* #t)>)
    }
    fn to_owned(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        let (levels, set) = shape(a);
        let n = &a.name;
        let ks: Vec<_> = (0..levels).map(|i| format_ident!("k{}", i)).collect();
        let locate = ks.iter().rev().map(|k| quote!(.at_element(usize::from(#k))));
        let conv = owned_nest(cx, set, &quote!(s), &quote!(#(#locate)* .in_attr(#n)));
        quote! {
            #v.map(|r| {
                let (#(#ks,)* s) = r?;
                ::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok((#(#ks,)* #conv))
            })
            .collect::<::core::result::Result<::std::vec::Vec<_>, _>>()?
        }
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
        quote!(::nlspec_rt::display::List(#v.map(::nlspec_rt::display::Fallible)))
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

//! `bitfield32`: `struct nla_bitfield32 { value, selector }`, typed by a flags definition when
//! the spec names one.

use crate::tokens::{quote, TokenStream};

use super::cx::{cast, Cx};
use super::kind::AttrGen;
use super::policy::PolicyStatics;
use nlspec_model::ir;

/// Bitfield32 attributes: `(value, selector)`.
pub struct Bitfield32;

impl Bitfield32 {
    fn elem(cx: &Cx, a: &ir::Attr) -> TokenStream {
        match a.enum_ {
            Some(e) => {
                let t = cx.enum_ty(e);
                quote!(#t)
            }
            None => quote!(u32),
        }
    }
}

impl AttrGen for Bitfield32 {
    fn parse(&self, _cx: &Cx, _a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        quote!(#attr.get_bitfield32())
    }
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let e = Self::elem(cx, a);
        quote!((#e, #e))
    }
    fn view(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        match a.enum_ {
            Some(e) => {
                let t = cx.enum_ty(e);
                let r = cx.enum_repr(e);
                let (value, selector) = (
                    cast(quote!(#v.value), &quote!(u32), &quote!(#r)),
                    cast(quote!(#v.selector), &quote!(u32), &quote!(#r)),
                );
                quote!((#t(#value), #t(#selector)))
            }
            None => quote!((#v.value, #v.selector)),
        }
    }
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        self.view_ty(cx, a)
    }
    fn to_owned(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn setter_params(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let e = Self::elem(cx, a);
        quote!(value: #e, selector: #e)
    }
    fn put(&self, cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        if let Some(e) = a.enum_ {
            let r = cx.enum_repr(e);
            let (value, selector) =
                (cast(quote!(value.0), &quote!(#r), &quote!(u32)), cast(quote!(selector.0), &quote!(#r), &quote!(u32)));
            quote!(#w.put_bitfield32(#ty, #value, #selector);)
        } else {
            quote!(#w.put_bitfield32(#ty, value, selector);)
        }
    }

    fn kernel_policy(&self, cx: &Cx, _st: &mut PolicyStatics, a: &ir::Attr, _prefix: &str) -> TokenStream {
        let valid = match a.enum_ {
            Some(e) => super::policy::mask_expr(cx, Some(e), cx.fam.enum_(e).flags_mask() as u32 as u64),
            None => quote!(u32::MAX),
        };
        quote!(nl::Policy::bitfield32(#valid))
    }
    fn kernel_get(&self, _cx: &Cx, _a: &ir::Attr) -> Option<String> {
        Some("bitfield32".into())
    }
    fn kernel_put(&self, cx: &Cx, _set: ir::SetId, a: &ir::Attr) -> Option<String> {
        Some(match a.enum_.filter(|e| cx.fam.enum_(*e).kind == ir::EnumKind::Flags) {
            Some(e) => format!("bitfield32 as {}", cx.enum_ty(e)),
            None => "bitfield32".into(),
        })
    }
}

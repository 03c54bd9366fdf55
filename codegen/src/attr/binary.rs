//! `binary`: raw bytes, a C struct (`struct:`), or a C array of scalars (`sub-type`); display
//! hints (hex, mac, ipv4, ipv6, uuid) shape how the bytes print.

use proc_macro2::TokenStream;
use quote::quote;

use super::{AttrGen, Cx};
use crate::ir::{self, DisplayHint};

/// Binary attributes.
pub struct Binary;

/// `nlspec_rt::display::Hint` variant for a display hint.
pub fn hint_tokens(h: Option<DisplayHint>) -> TokenStream {
    match h {
        None => quote!(::nlspec_rt::display::Hint::Raw),
        Some(DisplayHint::Hex) => quote!(::nlspec_rt::display::Hint::Hex),
        Some(DisplayHint::Mac) => quote!(::nlspec_rt::display::Hint::Mac),
        Some(DisplayHint::Fddi) => quote!(::nlspec_rt::display::Hint::Mac),
        Some(DisplayHint::Ipv4) => quote!(::nlspec_rt::display::Hint::Ipv4),
        Some(DisplayHint::Ipv6) => quote!(::nlspec_rt::display::Hint::Ipv6),
        Some(DisplayHint::Ipv4OrV6) => quote!(::nlspec_rt::display::Hint::Ip),
        Some(DisplayHint::Uuid) => quote!(::nlspec_rt::display::Hint::Uuid),
    }
}

impl AttrGen for Binary {
    fn stored_ty(&self, cx: &Cx, a: &ir::Attr) -> Option<TokenStream> {
        Some(self.view_ty(cx, a))
    }
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        match a.struct_ {
            Some(s) => {
                let t = cx.struct_ty(s);
                quote!(#t::from_bytes(#attr.payload()))
            }
            None => quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#attr.get_bytes())),
        }
    }
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        match a.struct_ {
            Some(s) => {
                let t = cx.struct_ty(s);
                quote!(#t)
            }
            None => quote!(&'a [u8]),
        }
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        match a.struct_ {
            Some(s) => {
                let t = cx.struct_ty(s);
                quote!(#t)
            }
            None => quote!(::std::vec::Vec<u8>),
        }
    }
    fn to_owned(&self, _cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        match a.struct_ {
            Some(_) => quote!(#v),
            None => quote!(#v.to_vec()),
        }
    }
    fn setter_params(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        match a.struct_ {
            Some(s) => {
                let t = cx.struct_ty(s);
                quote!(v: &#t)
            }
            None => quote!(v: &[u8]),
        }
    }
    fn put(&self, _cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        match a.struct_ {
            Some(_) => quote!(#w.put_bytes(#ty, &v.to_bytes());),
            None => quote!(#w.put_bytes(#ty, v);),
        }
    }
    fn debug(&self, _cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        if a.struct_.is_some() {
            return quote!(#v);
        }
        let h = hint_tokens(a.display_hint);
        quote!(::nlspec_rt::display::Bytes(#v, #h))
    }
}

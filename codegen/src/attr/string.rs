//! `string`: NUL-terminated text (or unterminated with `unterminated-ok`). Getters return
//! `&str` (the longest valid UTF-8 prefix); the `*_bytes` getter is the lossless form.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{AttrGen, Cx};
use crate::ir;

/// String attributes.
pub struct Str;

impl AttrGen for Str {
    fn stored_ty(&self, _cx: &Cx, _a: &ir::Attr) -> Option<TokenStream> {
        Some(quote!(&'a [u8]))
    }
    fn parse(&self, _cx: &Cx, a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        // Unterminated text is tolerated when decoding whether or not the spec says
        // `unterminated-ok` (the kernel's policy is what rejects it in requests): the bytes up
        // to the first NUL, or all of them.
        let _ = a;
        quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#attr.get_str_bytes_lax()))
    }
    fn view_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(&'a str)
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(::nlspec_rt::display::utf8_prefix(#v))
    }
    fn owned_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(::std::string::String)
    }
    fn to_owned(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(::std::string::String::from(#v))
    }
    fn setter_params(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(v: &str)
    }
    fn put(&self, _cx: &Cx, _a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        quote!(#w.put_str(#ty, v);)
    }
    fn extra_getters(&self, _cx: &Cx, a: &ir::Attr, field: &Ident, name: &Ident) -> TokenStream {
        if a.multi_attr {
            return TokenStream::new();
        }
        let bytes = format_ident!("{}_bytes", name.to_string().trim_end_matches('_'));
        let doc = format!(" `{}` as bytes, without the NUL: lossless, also for text that is not UTF-8.", a.name);
        quote! {
            #[doc = #doc]
            pub fn #bytes(&self) -> ::core::option::Option<&'a [u8]> {
                self.#field
            }
        }
    }
}

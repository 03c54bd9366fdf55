//! `sub-message` (netlink-raw): the payload's format is chosen by a selector attribute. The
//! client exposes the raw nested attribute; the selector-driven view is on the set.

use proc_macro2::TokenStream;
use quote::quote;

use super::PolicyStatics;
use super::{AttrGen, Cx};
use nlspec_model::ir;

/// Sub-message attributes.
pub struct SubMessage;

impl AttrGen for SubMessage {
    fn stored_ty(&self, _cx: &Cx, _a: &ir::Attr) -> Option<TokenStream> {
        Some(quote!(::nlspec_rt::Attr<'a>))
    }
    fn parse(&self, _cx: &Cx, _a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#attr))
    }
    fn parse_infallible(&self, _cx: &Cx, _a: &ir::Attr, attr: &TokenStream) -> Option<TokenStream> {
        Some(quote!(#attr))
    }
    fn view_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(::nlspec_rt::Attr<'a>)
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn owned_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(::std::vec::Vec<u8>)
    }
    fn to_owned(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v.payload().to_vec())
    }
    fn setter_params(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(payload: &[u8])
    }
    fn put(&self, _cx: &Cx, _a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        quote!(#w.put_bytes(#ty, payload);)
    }
    fn schema_nest(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(::nlspec_rt::NestKind::Opaque)
    }

    fn kernel_policy(&self, _cx: &Cx, _st: &mut PolicyStatics, _a: &ir::Attr, _prefix: &str) -> TokenStream {
        // genetlink has no sub-messages; a nest is the closest check
        quote!(nl::Policy::nested_any())
    }
}

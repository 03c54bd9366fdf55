//! `pad` and `unused`: never decoded, never built.

use crate::tokens::{quote, TokenStream};

use super::cx::Cx;
use super::kind::AttrGen;
use nlspec_model::ir;

/// Padding (`pad`) and placeholder (`unused`) attributes.
pub struct Pad;

impl AttrGen for Pad {
    fn has_getter(&self) -> bool {
        false
    }
    fn parse(&self, _cx: &Cx, _a: &ir::Attr, _attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        quote!(::core::result::Result::<(), ::nlspec_rt::DecodeError>::Ok(()))
    }
    fn view_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(())
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, _v: &TokenStream) -> TokenStream {
        quote!(())
    }
    fn owned_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(())
    }
    fn to_owned(&self, _cx: &Cx, _a: &ir::Attr, _v: &TokenStream) -> TokenStream {
        quote!(())
    }
    fn setter_params(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        TokenStream::new()
    }
    fn put(&self, _cx: &Cx, _a: &ir::Attr, _w: &TokenStream, _ty: &TokenStream) -> TokenStream {
        TokenStream::new()
    }
    fn encodable(&self, _a: &ir::Attr) -> bool {
        false
    }
}

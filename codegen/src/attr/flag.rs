//! `flag`: presence is the value.

use crate::tokens::{quote, TokenStream};

use super::cx::{doc_attrs, Cx};
use super::kind::{AttrGen, ClientAccessor, ClientAccessors};
use super::policy::PolicyStatics;
use nlspec_model::ir;

/// Flag attributes (no payload).
pub struct Flag;

impl AttrGen for Flag {
    fn parse(&self, _cx: &Cx, _a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        quote!(#attr.get_flag())
    }
    fn view_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(bool)
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn owned_ty(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(bool)
    }
    fn to_owned(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn setter_params(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        TokenStream::new()
    }
    fn put(&self, _cx: &Cx, _a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        quote!(#w.put_flag(#ty);)
    }
    fn client_accessors(&self, _cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
        let (name, aname) = (&acc.name, &a.name);
        let adoc = doc_attrs(a.doc.as_deref());
        let ty = &acc.ty;
        ClientAccessors {
            getter: quote! {
                #adoc
                #[inline]
                pub fn #name(&self) -> ::core::result::Result<bool, ::nlspec_rt::DecodeError> {
                    ::core::result::Result::Ok(::nlspec_rt::Attrs::new(self.raw).read(#ty, #aname, |attr| attr.get_flag())?.unwrap_or(false))
                }
            },
            debug: quote!(::nlspec_rt::display::flag(&mut d, #aname, self.#name());),
            owned_field: quote!(#adoc pub #name: bool,),
            owned_init: quote!(#name: self.#name()?,),
        }
    }

    fn kernel_policy(&self, _cx: &Cx, _st: &mut PolicyStatics, _a: &ir::Attr, _prefix: &str) -> TokenStream {
        quote!(nl::Policy::flag())
    }
    fn kernel_get(&self, _cx: &Cx, _a: &ir::Attr) -> Option<String> {
        // presence is the value: a plain `bool` (no `require_`)
        Some("flag".into())
    }
    fn kernel_put(&self, _cx: &Cx, _set: ir::SetId, _a: &ir::Attr) -> Option<String> {
        Some("flag".into())
    }
}

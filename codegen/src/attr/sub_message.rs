//! `sub-message` (netlink-raw): the payload's format is chosen by a selector attribute. The
//! client exposes the raw nested attribute; the selector-driven view is on the set.

use crate::tokens::{format_ident, quote, TokenStream};

use super::cx::{ident, method_name, Cx};
use super::kind::{AttrGen, ClientAccessor};
use super::policy::PolicyStatics;
use nlspec_model::ir;

/// Sub-message attributes.
pub struct SubMessage;

impl AttrGen for SubMessage {
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
    fn extra_getters(&self, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> TokenStream {
        // decoded by the sibling selector attribute (a selector in another set is not reachable
        // from the view: the raw attribute only)
        let ir::AttrKind::SubMessage { sub_message, selector } = &a.kind else { return TokenStream::new() };
        let Some(sel) = selector.attr.filter(|r| r.set == acc.set) else { return TokenStream::new() };
        let sa = cx.fam.attr(sel);
        let smt = ident(&cx.names.sub_messages[sub_message.0]);
        let (name, aname) = (&acc.name, &a.name);
        let mname = format_ident!("{}_msg", name.to_string().trim_end_matches('_'));
        let sel_getter = method_name(sa);
        let sel_text = match &sa.kind {
            ir::AttrKind::String => quote!(self.#sel_getter()?),
            _ => match cx.value_enum(sa.enum_, sa.enum_as_flags) {
                Some(_) => quote!(self.#sel_getter()?.and_then(|v| v.name())),
                None => quote!(::core::option::Option::<&str>::None),
            },
        };
        let mdoc = format!(
            " `{}` decoded as the format the sibling `{}` selects (`None` when either is absent).",
            a.name, sa.name
        );
        quote! {
            #[doc = #mdoc]
            pub fn #mname(&self) -> ::core::result::Result<::core::option::Option<#smt<'a>>, ::nlspec_rt::DecodeError> {
                let ::core::option::Option::Some(sel) = #sel_text else {
                    return ::core::result::Result::Ok(::core::option::Option::None);
                };
                let ::core::option::Option::Some(attr) = self.#name()? else {
                    return ::core::result::Result::Ok(::core::option::Option::None);
                };
                #smt::decode_nested(sel, attr.payload(), self.depth + 1)
                    .map(::core::option::Option::Some)
                    .map_err(|e| e.in_attr(#aname))
            }
        }
    }
    fn schema_nest(&self, _cx: &Cx, _a: &ir::Attr) -> TokenStream {
        quote!(::nlspec_rt::NestKind::Opaque)
    }

    fn kernel_policy(&self, _cx: &Cx, _st: &mut PolicyStatics, _a: &ir::Attr, _prefix: &str) -> TokenStream {
        // genetlink has no sub-messages; a nest is the closest check
        quote!(nl::Policy::nested_any())
    }
}

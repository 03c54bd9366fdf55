//! `string`: NUL-terminated text (or unterminated with `unterminated-ok`). Getters return
//! `&str` (the longest valid UTF-8 prefix); the `*_bytes` getter is the lossless form.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cx::Cx;
use super::kind::{AttrGen, ClientAccessor};
use super::policy::PolicyStatics;
use nlspec_model::ir;

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
    fn parse_infallible(&self, _cx: &Cx, _a: &ir::Attr, attr: &TokenStream) -> Option<TokenStream> {
        Some(quote!(#attr.get_str_bytes_lax()))
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
    fn extra_getters(&self, _cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> TokenStream {
        if a.multi_attr {
            return TokenStream::new();
        }
        let (field, name) = (&acc.field, &acc.name);
        let bytes = format_ident!("{}_bytes", name.to_string().trim_end_matches('_'));
        let doc = format!(" `{}` as bytes, without the NUL: lossless, also for text that is not UTF-8.", a.name);
        quote! {
            #[doc = #doc]
            pub fn #bytes(&self) -> ::core::option::Option<&'a [u8]> {
                self.#field
            }
        }
    }

    fn kernel_policy(&self, _cx: &Cx, _st: &mut PolicyStatics, a: &ir::Attr, _prefix: &str) -> TokenStream {
        let c = &a.checks;
        let bound = |b: &Option<ir::Bound>| b.as_ref().map(|b| b.value);
        if let Some(x) = &c.exact_len {
            let l = proc_macro2::Literal::u16_unsuffixed(x.value.clamp(0, i16::MAX as i128) as u16);
            return quote!(nl::Policy::binary_exact_len(#l));
        }
        // min-len has no nla_policy form for strings (the kernel validates string lengths
        // through .len only): the request view's getter checks it (see `getter`).
        let max = bound(&c.max_len).filter(|v| *v > 0 && *v <= u16::MAX as i128).unwrap_or(0);
        let l = proc_macro2::Literal::u16_unsuffixed(max as u16);
        if c.unterminated_ok {
            quote!(nl::Policy::string_unterminated(#l))
        } else {
            quote!(nl::Policy::string(#l))
        }
    }
    fn kernel_get(&self, _cx: &Cx, a: &ir::Attr) -> Option<(TokenStream, TokenStream)> {
        Some(match a.checks.min_len.as_ref().map(|b| b.value).filter(|v| *v > 0) {
            // no nla_policy form for a string's min-len: the getter checks it
            Some(min) => {
                let m = proc_macro2::Literal::usize_unsuffixed(min as usize);
                (
                    quote!(&'a str),
                    quote!(a.get_str().and_then(|s| if s.len() < #m {
                        Err(nl::Error::EINVAL.msg(c"string shorter than its min-len").attr(&a))
                    } else {
                        Ok(s)
                    })),
                )
            }
            None => (quote!(&'a str), quote!(a.get_str())),
        })
    }
    fn kernel_put(
        &self,
        _cx: &Cx,
        _set: ir::SetId,
        a: &ir::Attr,
        ty: &TokenStream,
    ) -> Option<(TokenStream, TokenStream)> {
        // Always NUL-terminated, as the kernel's nla_put_string: `unterminated-ok` is about what
        // requests may send; every decoder (YNL's drops the last byte) reads a terminated string.
        let _ = a;
        Some((quote!(v: &str), quote!(w.put_str(#ty, v);)))
    }
}

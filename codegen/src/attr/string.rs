//! `string`: NUL-terminated text (or unterminated with `unterminated-ok`). Getters return
//! `&str` (the longest valid UTF-8 prefix); the `*_bytes` getter is the lossless form.

use crate::tokens::{format_ident, quote, TokenStream};

use super::cx::Cx;
use super::kind::{AttrGen, ClientAccessor};
use super::policy::{self, PolicyStatics};
use nlspec_model::ir;

/// String attributes.
pub struct Str;

impl AttrGen for Str {
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
    fn put_bytes(&self, _cx: &Cx, _a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> Option<TokenStream> {
        Some(quote!(#w.put_str_bytes(#ty, v);))
    }
    fn extra_getters(&self, _cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> TokenStream {
        if a.multi_attr {
            return TokenStream::new();
        }
        let bytes = format_ident!("{}_bytes", acc.name.to_string().trim_end_matches('_'));
        let doc = format!(" `{}` as bytes, without the NUL: lossless, also for text that is not UTF-8.", a.name);
        let ty = &acc.ty;
        quote! {
            #[doc = #doc]
            #[inline]
            pub fn #bytes(&self) -> ::core::result::Result<::core::option::Option<&'a [u8]>, ::nlspec_rt::DecodeError> {
                ::core::result::Result::Ok(::nlspec_rt::Attrs::new(self.raw).find(#ty)?.map(|attr| attr.get_str_bytes_lax()))
            }
        }
    }

    fn kernel_policy(&self, cx: &Cx, _st: &mut PolicyStatics, a: &ir::Attr, _prefix: &str) -> TokenStream {
        let c = &a.checks;
        if let Some(x) = &c.exact_len {
            let l = policy::bound_expr(cx.fam, x, "u64");
            return quote!(nl::Policy::binary_exact_len(#l));
        }
        // min-len has no nla_policy form for strings (the kernel validates string lengths
        // through .len only): the request view's getter checks it (codec `str min(n)`).
        let max = match c.max_len.as_ref().filter(|b| b.value > 0 && b.value <= u16::MAX as i128) {
            Some(b) => policy::bound_expr(cx.fam, b, "u64"),
            None => quote!(0),
        };
        if c.unterminated_ok {
            quote!(nl::Policy::string_unterminated(#max))
        } else {
            quote!(nl::Policy::string(#max))
        }
    }
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<String> {
        Some(match a.checks.min_len.as_ref().filter(|b| b.value > 0) {
            // no nla_policy form for a string's min-len: the getter checks it
            Some(b) => format!("str min({})", policy::bound_expr(cx.fam, b, "u64")),
            None => "str".into(),
        })
    }
    fn kernel_put(&self, _cx: &Cx, _set: ir::SetId, _a: &ir::Attr) -> Option<String> {
        // Always NUL-terminated, as the kernel's nla_put_string: `unterminated-ok` is about what
        // requests may send; every decoder (YNL's drops the last byte) reads a terminated string.
        Some("str".into())
    }
}

//! `binary`: raw bytes, a C struct (`struct:`), or a C array of scalars (`sub-type`); display
//! hints (hex, mac, ipv4, ipv6, uuid) shape how the bytes print.

use crate::tokens::{quote, TokenStream};

use super::cx::Cx;
use super::kind::AttrGen;
use super::policy::{self, PolicyStatics};
use nlspec_model::ir::{self, DisplayHint};

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
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        match a.struct_ {
            Some(s) => {
                let t = cx.struct_ty(s);
                quote!(#t::from_bytes(#attr.payload()))
            }
            None => quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#attr.get_bytes())),
        }
    }
    fn parse_infallible(&self, _cx: &Cx, a: &ir::Attr, attr: &TokenStream) -> Option<TokenStream> {
        match a.struct_ {
            Some(_) => None,
            None => Some(quote!(#attr.get_bytes())),
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

    fn kernel_policy(&self, cx: &Cx, st: &mut PolicyStatics, a: &ir::Attr, prefix: &str) -> TokenStream {
        let c = &a.checks;
        let f = cx.fam;
        let e = |b: &ir::Bound| policy::bound_expr(f, b, "u64");
        let sized = a.struct_.filter(|s| f.struct_(*s).size.is_some());
        let name = format!("{prefix}_LEN");
        if let Some(x) = &c.exact_len {
            if policy::fits_inline(x.value) {
                let l = e(x);
                return quote!(nl::Policy::binary_exact_len(#l));
            }
            let m = policy::bounds(f, st, &name, false, (0, u16::MAX as i128), Some(x), Some(x));
            return quote!(nl::Policy::binary(0) #m);
        }
        match (c.min_len.as_ref(), c.max_len.as_ref(), sized) {
            (None, None, Some(s)) => {
                let t = cx.struct_ty(s);
                let len = f.struct_(s).size.unwrap_or(0) as i128;
                if policy::fits_inline(len) {
                    quote!(nl::Policy::binary_exact_len(#t::SIZE as u64))
                } else {
                    let b = policy::literal_bound(len);
                    let m = policy::bounds(f, st, &name, false, (0, u16::MAX as i128), Some(&b), Some(&b));
                    quote!(nl::Policy::binary(0) #m)
                }
            }
            (None, None, None) => quote!(nl::Policy::binary(0)),
            (None, Some(b), _) if b.value >= 0 && b.value <= u16::MAX as i128 => {
                let l = e(b);
                quote!(nl::Policy::binary(#l))
            }
            (Some(a), None, _) if policy::fits_inline(a.value) => {
                let l = e(a);
                quote!(nl::Policy::binary_min_len(#l))
            }
            (Some(a), Some(b), _) if policy::fits_inline(a.value) && policy::fits_inline(b.value) => {
                let (a, b) = (e(a), e(b));
                quote!(nl::Policy::binary_len_range(#a, #b))
            }
            (a, b, _) => {
                let m = policy::bounds(f, st, &name, false, (0, u16::MAX as i128), a, b);
                quote!(nl::Policy::binary(0) #m)
            }
        }
    }
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<String> {
        Some(match a.struct_.filter(|s| cx.fam.struct_(*s).size.is_some()) {
            Some(s) => format!("struct {}", cx.struct_ty(s)),
            None => "binary".into(),
        })
    }
    fn kernel_put(&self, cx: &Cx, _set: ir::SetId, a: &ir::Attr) -> Option<String> {
        self.kernel_get(cx, a)
    }
}

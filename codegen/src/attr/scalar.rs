//! Integers: `u8`..`u64`, `s8`..`s64`, variable-width `uint`/`sint`; host, big- or
//! little-endian; optionally typed by an enum or flags definition (unknown values kept).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{int_ty, AttrGen, Cx};
use crate::emit::kernel::kinds::{self as kk, Kx, PolicyStatics};
use nlspec_model::ir::{self, AttrType, ByteOrder, DisplayHint};

/// Fixed- and variable-width integer attributes.
pub struct Scalar;

/// Runtime getter/putter suffix for a type and byte order (`u32_be`, `uint`).
pub(super) fn prim(t: AttrType, bo: Option<ByteOrder>) -> String {
    let base = match t {
        AttrType::U8 => "u8",
        AttrType::U16 => "u16",
        AttrType::U32 => "u32",
        AttrType::U64 => "u64",
        AttrType::S8 => "s8",
        AttrType::S16 => "s16",
        AttrType::S32 => "s32",
        AttrType::S64 => "s64",
        AttrType::Uint => "uint",
        AttrType::Sint => "sint",
        _ => "u32",
    };
    let one_byte = matches!(t, AttrType::U8 | AttrType::S8);
    match bo {
        Some(ByteOrder::BigEndian) if !one_byte => format!("{base}_be"),
        _ => base.to_string(),
    }
}

/// Little-endian on a big-endian host is the only order the runtime has no getter for; it is
/// decoded from the bytes here.
fn explicit_le(a: &ir::Attr) -> bool {
    a.byte_order == Some(ByteOrder::LittleEndian)
        && !matches!(a.kind.ty(), AttrType::U8 | AttrType::S8 | AttrType::Uint | AttrType::Sint)
}

impl Scalar {
    /// Plain integer type of the attribute.
    fn plain(a: &ir::Attr) -> TokenStream {
        int_ty(a.kind.ty()).unwrap_or_else(|| quote!(u32))
    }
    /// Whether the getter returns an `Ipv4Addr` (u32 with display-hint ipv4).
    fn is_ipv4(a: &ir::Attr) -> bool {
        a.display_hint == Some(DisplayHint::Ipv4) && a.kind.ty() == AttrType::U32 && a.enum_.is_none()
    }
}

impl AttrGen for Scalar {
    fn stored_ty(&self, _cx: &Cx, a: &ir::Attr) -> Option<TokenStream> {
        Some(Self::plain(a))
    }
    fn parse(&self, _cx: &Cx, a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        let t = a.kind.ty();
        if explicit_le(a) {
            let n = t.int_width().map(|w| w.0).unwrap_or(4);
            let rt = Self::plain(a);
            return quote!(#attr.get_array::<#n>().map(|b| #rt::from_le_bytes(*b)));
        }
        let getter = format_ident!("get_{}", prim(t, a.byte_order));
        quote!(#attr.#getter())
    }
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        if Self::is_ipv4(a) {
            return quote!(::std::net::Ipv4Addr);
        }
        cx.int_value_ty(a, &Self::plain(a))
    }
    fn view(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        if Self::is_ipv4(a) {
            return quote!(::std::net::Ipv4Addr::from(#v));
        }
        match cx.value_enum(a.enum_, a.enum_as_flags) {
            Some(e) => {
                let t = cx.enum_ty(e);
                let r = cx.enum_repr(e);
                quote!(#t(#v as #r))
            }
            _ => quote!(#v),
        }
    }
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        self.view_ty(cx, a)
    }
    fn to_owned(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn setter_params(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let t = self.view_ty(cx, a);
        quote!(v: #t)
    }
    fn put(&self, cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        let plain = Self::plain(a);
        let raw = if Self::is_ipv4(a) {
            quote!(u32::from(v))
        } else if cx.value_enum(a.enum_, a.enum_as_flags).is_some() {
            quote!(v.0 as #plain)
        } else {
            quote!(v)
        };
        if explicit_le(a) {
            return quote!(#w.put_raw(#ty, &(#raw).to_le_bytes()););
        }
        let putter = format_ident!("put_{}", prim(a.kind.ty(), a.byte_order));
        quote!(#w.#putter(#ty, #raw);)
    }
    fn debug(&self, _cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        if a.display_hint == Some(DisplayHint::Hex) && a.enum_.is_none() {
            return quote!(::nlspec_rt::display::Hex(#v));
        }
        quote!(#v)
    }

    fn kernel_policy(&self, k: &Kx, st: &mut PolicyStatics, a: &ir::Attr, prefix: &str) -> TokenStream {
        let (f, n) = (k.f, k.n);
        let c = &a.checks;
        let bound = |b: &Option<ir::Bound>| b.as_ref().map(|b| b.value);
        let _ = (f, n, c, &bound, &st, prefix);
        let t = a.kind.ty();
        let (_, signed) = t.int_range_width().unwrap_or((8, false));
        let base = kk::int_base(a);
        let lim = kk::int_limits(t);
        let name = format!("{prefix}_RANGE");
        if c.min.is_some() || c.max.is_some() {
            let m = kk::bounds(st, &name, signed, lim, bound(&c.min), bound(&c.max));
            return quote!(#base #m);
        }
        if let Some(fm) = &c.flags_mask {
            if !signed && fm.mask <= u32::MAX as u64 && !kk::is_be(a) {
                let m = proc_macro2::Literal::u32_unsuffixed(fm.mask as u32);
                return quote!(#base.mask(#m));
            }
            return base;
        }
        // Enum-typed values are validated against the enum's values, as ynl-gen-c does.
        if let Some(eid) = a.enum_ {
            if kk::is_be(a) {
                return base;
            }
            let e = f.enum_(eid);
            if e.entries.is_empty() {
                return base;
            }
            if a.enum_as_flags || e.kind == ir::EnumKind::Flags {
                let mask = e.flags_mask();
                if signed || mask > u32::MAX as u64 {
                    return base;
                }
                let m = proc_macro2::Literal::u32_unsuffixed(mask as u32);
                return quote!(#base.mask(#m));
            }
            let min = e.entries.iter().map(|x| x.value).min().unwrap_or(0) as i128;
            let max = e.max_value() as i128;
            if e.is_dense() && max <= lim.1 {
                let m = kk::bounds(st, &name, signed, lim, Some(min), Some(max));
                return quote!(#base #m);
            }
            let cname = format!("{}Check", n.enums[eid.0]);
            let check = quote::format_ident!("{}", cname);
            let vals = e.entries.iter().map(|x| proc_macro2::Literal::u64_unsuffixed(x.value));
            let doc = format!(" Policy check: the value is one of the `{}` entries.", e.name);
            st.add(
                &cname,
                quote! {
                    #[doc = #doc]
                    pub struct #check;
                    impl nl::ValueCheck for #check {
                        fn check(value: u64) -> bool {
                            matches!(value, #(#vals)|*)
                        }
                    }
                },
            );
            return quote!(#base.check::<#check>());
        }
        base
    }
    fn kernel_get(&self, k: &Kx, a: &ir::Attr) -> Option<(TokenStream, TokenStream)> {
        kk::scalar_get(k.f, k.n, a, a.kind.ty())
    }
    fn kernel_put(&self, k: &Kx, set: ir::SetId, a: &ir::Attr, ty: &TokenStream) -> Option<(TokenStream, TokenStream)> {
        let (f, n, t) = (k.f, k.n, a.kind.ty());
        // 64-bit values are padded with the set's pad attribute where the arch needs it
        let pad = f.set(set).attrs.iter().find(|x| matches!(x.kind, ir::AttrKind::Pad)).map(|p| p.value);
        if let (ir::AttrType::U64, false, Some(p)) = (t, kk::is_be(a), pad) {
            let (vty, wrap) = kk::int_value_ty(f, n, a, t);
            let p = proc_macro2::Literal::u16_unsuffixed(p);
            let val = if wrap.is_some() { quote!(v.0 as u64) } else { quote!(v) };
            return Some((quote!(v: #vty), quote!(w.put_u64_pad(#ty, #val, #p);)));
        }
        let (vty, put) = kk::scalar_put(f, n, a, t, ty, &quote!(v))?;
        Some((quote!(v: #vty), put))
    }
}

//! Integers: `u8`..`u64`, `s8`..`s64`, variable-width `uint`/`sint`; host, big- or
//! little-endian; optionally typed by an enum or flags definition (unknown values kept).

use crate::tokens::{format_ident, quote, TokenStream};

use super::cx::{cast, int_ty, Cx};
use super::kind::AttrGen;
use super::policy::{self, PolicyStatics};
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
                let inner = cast(v.clone(), &Self::plain(a), &quote!(#r));
                quote!(#t(#inner))
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
        } else if let Some(e) = cx.value_enum(a.enum_, a.enum_as_flags) {
            let r = cx.enum_repr(e);
            cast(quote!(v.0), &quote!(#r), &plain)
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

    fn kernel_policy(&self, cx: &Cx, st: &mut PolicyStatics, a: &ir::Attr, prefix: &str) -> TokenStream {
        let c = &a.checks;
        let t = a.kind.ty();
        let (_, signed) = t.int_range_width().unwrap_or((8, false));
        let base = policy_base(a);
        let lim = policy::int_limits(t);
        let name = format!("{prefix}_RANGE");
        if c.min.is_some() || c.max.is_some() {
            let m = policy::bounds(cx.fam, st, &name, signed, lim, c.min.as_ref(), c.max.as_ref());
            return quote!(#base #m);
        }
        if let Some(fm) = &c.flags_mask {
            if !signed && fm.mask <= u32::MAX as u64 && !policy::is_be(a) {
                let m = policy::mask_expr(cx, Some(fm.enum_), fm.mask);
                return quote!(#base.mask(#m));
            }
            return base;
        }
        match a.enum_ {
            // Enum-typed values are validated against the enum's values, as ynl-gen-c does.
            Some(eid) if !policy::is_be(a) => enum_policy(cx, st, a, eid, base, &name),
            _ => base,
        }
    }
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<String> {
        scalar_codec(cx, a, a.kind.ty())
    }
    fn kernel_put(&self, cx: &Cx, set: ir::SetId, a: &ir::Attr) -> Option<String> {
        let t = a.kind.ty();
        let codec = scalar_codec(cx, a, t)?;
        // 64-bit values are padded with the set's pad attribute where the arch needs it
        let pad = cx.fam.set(set).attrs.iter().find(|x| matches!(x.kind, ir::AttrKind::Pad));
        match (t, policy::is_be(a), pad) {
            (AttrType::U64, false, Some(p)) => Some(format!("{codec} pad({})", super::Cx::attr_const_name(p))),
            _ => Some(codec),
        }
    }
}

/// The base `Policy` constructor of an integer attribute.
fn policy_base(a: &ir::Attr) -> TokenStream {
    match (a.kind.ty(), policy::is_be(a)) {
        (AttrType::U16, true) => quote!(nl::Policy::be16()),
        (AttrType::U32, true) => quote!(nl::Policy::be32()),
        (AttrType::U8, _) => quote!(nl::Policy::u8()),
        (AttrType::U16, _) => quote!(nl::Policy::u16()),
        (AttrType::U32, _) => quote!(nl::Policy::u32()),
        (AttrType::U64, _) => quote!(nl::Policy::u64()),
        (AttrType::S8, _) => quote!(nl::Policy::s8()),
        (AttrType::S16, _) => quote!(nl::Policy::s16()),
        (AttrType::S32, _) => quote!(nl::Policy::s32()),
        (AttrType::S64, _) => quote!(nl::Policy::s64()),
        (AttrType::Uint, _) => quote!(nl::Policy::uint()),
        _ => quote!(nl::Policy::sint()),
    }
}

/// The policy of an enum-typed integer: a mask for flags, a range for dense enums, a value
/// check (the enum type's `ValueCheck`) for sparse ones.
fn enum_policy(
    cx: &Cx,
    st: &mut PolicyStatics,
    a: &ir::Attr,
    eid: ir::EnumId,
    base: TokenStream,
    range_name: &str,
) -> TokenStream {
    let t = a.kind.ty();
    let (_, signed) = t.int_range_width().unwrap_or((8, false));
    let lim = policy::int_limits(t);
    let e = cx.fam.enum_(eid);
    if e.entries.is_empty() {
        return base;
    }
    if a.enum_as_flags || e.kind == ir::EnumKind::Flags {
        let mask = e.flags_mask();
        if signed || mask > u32::MAX as u64 {
            return base;
        }
        let m = policy::mask_expr(cx, Some(eid), mask);
        return quote!(#base.mask(#m));
    }
    let min = e.entries.iter().map(|x| x.value).min().unwrap_or(0) as i128;
    let max = e.max_value() as i128;
    if e.is_dense() && max <= lim.1 {
        let (min, max) = (policy::literal_bound(min), policy::literal_bound(max));
        let m = policy::bounds(cx.fam, st, range_name, signed, lim, Some(&min), Some(&max));
        return quote!(#base #m);
    }
    let et = cx.enum_ty(eid);
    quote!(#base.check::<#et>())
}

/// Kernel codec (see `nlspec_support.rs`) of a value of type `t`: the runtime's getter/putter
/// suffix, `as` the enum/flags newtype when the attribute names one (also the elements of
/// indexed arrays, whose `t` is the sub-type).
pub(super) fn scalar_codec(cx: &Cx, a: &ir::Attr, t: AttrType) -> Option<String> {
    match t {
        AttrType::String => return Some("str".into()),
        AttrType::Binary => return Some("binary".into()),
        AttrType::Flag => return Some("flag".into()),
        _ => {}
    }
    t.int_range_width()?;
    let p = prim(t, a.byte_order);
    Some(match cx.value_enum(a.enum_, a.enum_as_flags) {
        Some(e) => format!("{p} as {}", cx.enum_ty(e)),
        None => p,
    })
}

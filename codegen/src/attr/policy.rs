//! Kernel `nla_policy` building blocks shared by the attribute kinds: literal bounds, the
//! statics a policy entry may need (wide ranges, enum value checks), integer limits and the
//! nested-set policy reference. Entries are expressions of the support layer's `nl::Policy`
//! const fns.

use std::collections::BTreeSet;

use proc_macro2::Literal;

use crate::tokens::{format_ident, quote, TokenStream};

use super::cx::Cx;
use nlspec_model::ir::{self, AttrType, BoundSource, ByteOrder, ConstValue, Family, SetId};

/// Statics policy entries need (the range structs of bounds too wide for the policy's own
/// fields), collected while the policy tables are emitted.
#[derive(Default)]
pub struct PolicyStatics {
    /// The ranges, in the order they were first needed.
    pub ranges: Vec<RangeStatic>,
    names: BTreeSet<String>,
}

/// A `nl::RangeS`/`nl::RangeU` static: `static NAME: RangeU(lo, hi);` in `nl::ranges!`.
pub struct RangeStatic {
    pub name: String,
    /// `RangeS` (signed bounds) or `RangeU`.
    pub signed: bool,
    pub lo: TokenStream,
    pub hi: TokenStream,
}

impl PolicyStatics {
    /// Adds a range once (by name).
    pub fn add(&mut self, r: RangeStatic) {
        if self.names.insert(r.name.clone()) {
            self.ranges.push(r);
        }
    }
}

/// An unsuffixed integer literal (negative values as `-n`).
pub fn lit_i(v: i128) -> TokenStream {
    let l = Literal::i128_unsuffixed(v.unsigned_abs() as i128);
    if v < 0 {
        quote!(-#l)
    } else {
        quote!(#l)
    }
}

/// Smallest and largest value of an integer type.
pub fn int_limits(t: AttrType) -> (i128, i128) {
    match t {
        AttrType::U8 => (0, u8::MAX as i128),
        AttrType::U16 => (0, u16::MAX as i128),
        AttrType::U32 => (0, u32::MAX as i128),
        AttrType::U64 | AttrType::Uint => (0, u64::MAX as i128),
        AttrType::S8 => (i8::MIN as i128, i8::MAX as i128),
        AttrType::S16 => (i16::MIN as i128, i16::MAX as i128),
        AttrType::S32 => (i32::MIN as i128, i32::MAX as i128),
        _ => (i64::MIN as i128, i64::MAX as i128),
    }
}

/// Whether a bound fits the policy's inline `s16` fields.
pub fn fits_inline(v: i128) -> bool {
    v >= i16::MIN as i128 && v <= i16::MAX as i128
}

/// Whether the attribute is big-endian.
pub fn is_be(a: &ir::Attr) -> bool {
    a.byte_order == Some(ByteOrder::BigEndian)
}

/// A bound spelled as a number (enum value ranges, defaulted type limits).
pub fn literal_bound(value: i128) -> ir::Bound {
    ir::Bound { value, source: BoundSource::Literal }
}

/// How kernel code writes bound `b` as a `target` (`i64` or `u64`) expression: the spec's
/// constant by name (as C uses `NLKV_MAX_KEY_LEN`), a type limit (`u32::MAX`), or the number.
pub fn bound_expr(f: &Family, b: &ir::Bound, target: &str) -> TokenStream {
    let t = format_ident!("{}", target);
    let cast = |expr: TokenStream, ty: &str| if ty == target { expr } else { quote!(#expr as #t) };
    match &b.source {
        BoundSource::Const(c) => {
            let c = f.const_(*c);
            // A const a kernel header defines: the spec's number may be a placeholder (netdev's
            // page-size is 0), so use the kernel's own value where Rust-for-Linux has it.
            if let Some(path) = c.header.as_ref().and_then(|_| kernel_const(&c.name)) {
                return cast(path, "usize");
            }
            if let (None, ConstValue::Int(v)) = (&c.header, &c.value) {
                if *v == b.value {
                    let id = super::ident(&c.rust_name);
                    return cast(quote!(#id), if *v < 0 { "i64" } else { "u64" });
                }
            }
        }
        BoundSource::Limit(l) => {
            let (ty, which) = l.split_once('-').unwrap_or(("", ""));
            let rust = match ty {
                "u8" | "u16" | "u32" | "u64" => ty.to_string(),
                "s8" | "s16" | "s32" | "s64" => ty.replacen('s', "i", 1),
                _ => String::new(),
            };
            let lim = match which {
                "max" => Some(quote!(MAX)),
                "min" => Some(quote!(MIN)),
                _ => None,
            };
            if let (false, Some(lim)) = (rust.is_empty(), lim) {
                let rt = format_ident!("{}", rust);
                return cast(quote!(#rt::#lim), &rust);
            }
        }
        BoundSource::Literal => {}
    }
    number(b.value)
}

/// The Rust-for-Linux path of a constant a kernel header defines (`page-size`: `PAGE_SIZE`), for
/// a spec `const` with a `header`.
fn kernel_const(name: &str) -> Option<TokenStream> {
    match name {
        "page-size" => Some(quote!(kernel::page::PAGE_SIZE)),
        _ => None,
    }
}

/// A number, with the 64-bit type limits by name.
fn number(v: i128) -> TokenStream {
    if v == u64::MAX as i128 {
        quote!(u64::MAX)
    } else if v == i64::MAX as i128 {
        quote!(i64::MAX)
    } else if v == i64::MIN as i128 {
        quote!(i64::MIN)
    } else {
        lit_i(v)
    }
}

/// A flags mask as a `u32` expression: `Flags::ALL.bits()` when the flags type `e` has exactly
/// these bits, else the number.
pub fn mask_expr(cx: &Cx, e: Option<ir::EnumId>, mask: u64) -> TokenStream {
    if let Some(e) = e {
        let en = cx.fam.enum_(e);
        let all = en.entries.iter().fold(0u64, |m, x| m | x.value);
        if en.kind == ir::EnumKind::Flags && all == mask {
            let t = cx.enum_ty(e);
            return if cx.enum_repr(e) == "u32" { quote!(#t::ALL.bits()) } else { quote!(#t::ALL.bits() as u32) };
        }
    }
    let m = Literal::u32_unsuffixed(mask as u32);
    quote!(#m)
}

/// `.range/.min/.max/.range_u/.range_s` for bounds `min..=max` (either may be absent) on a
/// type whose own limits are `lim`; wide bounds go to a static named `static_name`.
pub fn bounds(
    f: &Family,
    st: &mut PolicyStatics,
    static_name: &str,
    signed: bool,
    lim: (i128, i128),
    min: Option<&ir::Bound>,
    max: Option<&ir::Bound>,
) -> TokenStream {
    let inline_ok = match (min, max) {
        (None, None) => return TokenStream::new(),
        (a, b) => a.is_none_or(|b| fits_inline(b.value)) && b.is_none_or(|b| fits_inline(b.value)),
    };
    if inline_ok {
        let e = |b: &ir::Bound| bound_expr(f, b, "i64");
        return match (min, max) {
            (Some(a), Some(b)) => {
                let (a, b) = (e(a), e(b));
                quote!(.range(#a, #b))
            }
            (Some(a), None) => {
                let a = e(a);
                quote!(.min(#a))
            }
            (_, b) => {
                let b = b.map(e).unwrap_or_default();
                quote!(.max(#b))
            }
        };
    }
    let id = format_ident!("{}", static_name);
    let (target, lo_lim, hi_lim) = if signed {
        ("i64", lim.0.max(i64::MIN as i128), lim.1.min(i64::MAX as i128))
    } else {
        ("u64", lim.0.max(0), lim.1.min(u64::MAX as i128))
    };
    let lo = min.map(|b| bound_expr(f, b, target)).unwrap_or_else(|| number(lo_lim));
    let hi = max.map(|b| bound_expr(f, b, target)).unwrap_or_else(|| number(hi_lim));
    st.add(RangeStatic { name: static_name.to_string(), signed, lo, hi });
    if signed {
        quote!(.range_s(&#id))
    } else {
        quote!(.range_u(&#id))
    }
}

/// The policy of a nest (or, `array`, an indexed array of nests) of `set`: its nest policy
/// table, or any nest when the set has no numbered attributes.
pub fn nested(cx: &Cx, set: SetId, array: bool) -> TokenStream {
    if cx.fam.set(set).attrs.iter().all(|a| a.value == 0) {
        return quote!(nl::Policy::nested_any());
    }
    let p = cx.nest_policy(set);
    if array {
        quote!(nl::Policy::nested_array(&#p))
    } else {
        quote!(nl::Policy::nested(&#p))
    }
}

//! Kernel `nla_policy` building blocks shared by the attribute kinds: literal bounds, the
//! statics a policy entry may need (wide ranges, enum value checks), integer limits and the
//! nested-set policy reference. Entries are expressions of the support layer's `nl::Policy`
//! const fns.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::cx::Cx;
use nlspec_model::ir::{self, AttrType, BoundSource, ByteOrder, Family, SetId};

/// Statics policy entries need (range structs, value-check types), collected while the policy
/// tables are emitted.
#[derive(Default)]
pub struct PolicyStatics {
    /// The items, in the order they were first needed.
    pub items: Vec<TokenStream>,
    names: BTreeSet<String>,
}

impl PolicyStatics {
    /// Adds a named item once.
    pub fn add(&mut self, name: &str, item: TokenStream) {
        if self.names.insert(name.to_string()) {
            self.items.push(item);
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

/// An unsuffixed `u16` literal of `v` clamped to `0..=u16::MAX`.
pub fn lit_u16(v: i128) -> Literal {
    Literal::u16_unsuffixed(v.clamp(0, u16::MAX as i128) as u16)
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

/// `.range/.min/.max/.range_u/.range_s` for bounds `min..=max` (either may be absent) on a
/// type whose own limits are `lim`; wide bounds go to a static named `static_name`.
pub fn bounds(
    st: &mut PolicyStatics,
    static_name: &str,
    signed: bool,
    lim: (i128, i128),
    min: Option<i128>,
    max: Option<i128>,
) -> TokenStream {
    let inline_ok = match (min, max) {
        (None, None) => return TokenStream::new(),
        (a, b) => a.is_none_or(fits_inline) && b.is_none_or(fits_inline),
    };
    if inline_ok {
        return match (min, max) {
            (Some(a), Some(b)) => {
                let (a, b) = (lit_i(a), lit_i(b));
                quote!(.range(#a, #b))
            }
            (Some(a), None) => {
                let a = lit_i(a);
                quote!(.min(#a))
            }
            (_, b) => {
                let b = lit_i(b.unwrap_or_default());
                quote!(.max(#b))
            }
        };
    }
    let (lo, hi) = (min.unwrap_or(lim.0), max.unwrap_or(lim.1));
    let id = format_ident!("{}", static_name);
    if signed {
        let (a, b) = (lit_i(lo.max(i64::MIN as i128)), lit_i(hi.min(i64::MAX as i128)));
        st.add(static_name, quote!(static #id: nl::RangeS = nl::RangeS::new(#a, #b);));
        quote!(.range_s(&#id))
    } else {
        let (a, b) = (lit_i(lo.max(0)), lit_i(hi.min(u64::MAX as i128)));
        st.add(static_name, quote!(static #id: nl::RangeU = nl::RangeU::new(#a, #b);));
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

/// How a bound was written, for the doc comment of a policy entry.
pub fn bound_note(f: &Family, b: &ir::Bound) -> String {
    match &b.source {
        BoundSource::Literal => b.value.to_string(),
        BoundSource::Limit(l) => format!("{l} ({})", b.value),
        BoundSource::Const(c) => format!("{} ({})", f.const_(*c).name, b.value),
    }
}

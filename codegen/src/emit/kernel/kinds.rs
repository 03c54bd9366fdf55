//! Kernel-side helpers shared by the attribute kinds (`crate::attr`, whose `kernel_*` methods hold
//! each kind's behaviour): its `nla_policy` entry (built with the
//! support layer's `Policy` const fns), its typed getter on request views and its setter on
//! reply builders. The getter/setter tokens use the support layer's `Attr`/`Writer`, whose
//! primitive names are the userspace runtime's (`get_u32`, `put_str`, `nest_start`...).

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::Names;
use nlspec_model::ir::{self, AttrType, BoundSource, ByteOrder, Family, SetId};

/// Statics a policy entry needs (range structs, value-check types), collected while the
/// policy tables are emitted.
#[derive(Default)]
pub struct PolicyStatics {
    pub items: Vec<TokenStream>,
    pub names: std::collections::BTreeSet<String>,
}

impl PolicyStatics {
    /// Adds a named item once.
    pub fn add(&mut self, name: &str, item: TokenStream) {
        if self.names.insert(name.to_string()) {
            self.items.push(item);
        }
    }
}

pub fn lit_i(v: i128) -> TokenStream {
    let l = Literal::i128_unsuffixed(v.unsigned_abs() as i128);
    if v < 0 {
        quote!(-#l)
    } else {
        quote!(#l)
    }
}

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

pub fn fits_inline(v: i128) -> bool {
    v >= i16::MIN as i128 && v <= i16::MAX as i128
}

pub fn is_be(a: &ir::Attr) -> bool {
    a.byte_order == Some(ByteOrder::BigEndian)
}

/// The base `Policy` constructor of an integer attribute.
pub fn int_base(a: &ir::Attr) -> TokenStream {
    let t = a.kind.ty();
    match (t, is_be(a)) {
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

/// `.range/.min/.max/.range_u/.range_s` for bounds `min..=max` (either may be absent) on a
/// type whose own limits are `lim`.
pub fn bounds(
    st: &mut PolicyStatics,
    static_name: &str,
    signed: bool,
    lim: (i128, i128),
    min: Option<i128>,
    max: Option<i128>,
) -> TokenStream {
    let (lo, hi) = (min.unwrap_or(lim.0), max.unwrap_or(lim.1));
    let inline_ok = match (min, max) {
        (Some(a), Some(b)) => fits_inline(a) && fits_inline(b),
        (Some(a), None) => fits_inline(a),
        (None, Some(b)) => fits_inline(b),
        (None, None) => return TokenStream::new(),
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
            (_, Some(b)) => {
                let b = lit_i(b);
                quote!(.max(#b))
            }
            _ => unreachable!(),
        };
    }
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

/// Kernel emitter context for the per-kind code in [`crate::attr`].
pub struct Kx<'f> {
    pub f: &'f Family,
    pub n: &'f Names,
}

/// The `nla_policy` entry of attribute `a` (an expression of type `nl::Policy`), from its kind
/// ([`crate::attr::AttrGen::kernel_policy`]). `prefix` names statics this entry needs.
pub fn policy(f: &Family, n: &Names, st: &mut PolicyStatics, a: &ir::Attr, prefix: &str) -> TokenStream {
    crate::attr::gen(a).kernel_policy(&Kx { f, n }, st, a, prefix)
}

pub fn nested(f: &Family, n: &Names, set: SetId, array: bool) -> TokenStream {
    if f.set(set).attrs.iter().all(|a| a.value == 0) {
        return quote!(nl::Policy::nested_any());
    }
    let p = format_ident!("{}", n.nest_policy(f, set));
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

/// A decoded value: its Rust type (may use lifetime `'a`) and the expression decoding the
/// `nl::Attr<'a>` named `a` into `nl::Result<type>` ([`crate::attr::AttrGen::kernel_get`]).
/// `None`: no typed getter (pad, unused, sub-message: use the raw attribute).
pub fn getter(f: &Family, n: &Names, a: &ir::Attr) -> Option<(TokenStream, TokenStream)> {
    crate::attr::gen(a).kernel_get(&Kx { f, n }, a)
}

/// Rust type of an integer attribute's value: the enum/flags newtype when it names one.
pub fn int_value_ty(f: &Family, n: &Names, a: &ir::Attr, t: AttrType) -> (TokenStream, Option<TokenStream>) {
    let plain = crate::attr::int_ty(t).unwrap_or_else(|| quote!(i64));
    match crate::attr::value_enum(f, a.enum_, a.enum_as_flags) {
        Some(e) => {
            let ty = format_ident!("{}", n.enums[e.0]);
            (quote!(#ty), Some(plain))
        }
        None => (plain, None),
    }
}

pub fn int_prim(t: AttrType, be: bool) -> &'static str {
    match (t, be) {
        (AttrType::U8, _) => "u8",
        (AttrType::S8, _) => "s8",
        (AttrType::U16, false) => "u16",
        (AttrType::U16, true) => "u16_be",
        (AttrType::U32, false) => "u32",
        (AttrType::U32, true) => "u32_be",
        (AttrType::U64, false) => "u64",
        (AttrType::U64, true) => "u64_be",
        (AttrType::S16, false) => "s16",
        (AttrType::S16, true) => "s16_be",
        (AttrType::S32, false) => "s32",
        (AttrType::S32, true) => "s32_be",
        (AttrType::S64, false) => "s64",
        (AttrType::S64, true) => "s64_be",
        (AttrType::Uint, false) => "uint",
        (AttrType::Uint, true) => "uint_be",
        (AttrType::Sint, false) => "sint",
        (AttrType::Sint, true) => "sint_be",
        _ => "bytes",
    }
}

pub fn scalar_get(f: &Family, n: &Names, a: &ir::Attr, t: AttrType) -> Option<(TokenStream, TokenStream)> {
    if t.int_range_width().is_none() {
        return match t {
            AttrType::String => Some((quote!(&'a str), quote!(a.get_str()))),
            AttrType::Binary => Some((quote!(&'a [u8]), quote!(Ok(a.get_bytes())))),
            AttrType::Flag => Some((quote!(bool), quote!(a.get_flag()))),
            _ => None,
        };
    }
    let get = format_ident!("get_{}", int_prim(t, is_be(a)));
    let (ty, wrap) = int_value_ty(f, n, a, t);
    Some(match wrap {
        Some(_) => {
            let repr = format_ident!("{}", n.enum_repr[a.enum_.unwrap().0]);
            (quote!(#ty), quote!(a.#get().map(|v| #ty(v as #repr))))
        }
        None => (ty, quote!(a.#get())),
    })
}

/// A setter: parameters (after `&mut self`) and statements writing the attribute with type
/// constant `ty` into the `&mut nl::Writer` named `w` ([`crate::attr::AttrGen::kernel_put`]).
/// `None`: no setter (pad, unused, sub-message).
pub fn setter(f: &Family, n: &Names, set: SetId, a: &ir::Attr, ty: &TokenStream) -> Option<(TokenStream, TokenStream)> {
    crate::attr::gen(a).kernel_put(&Kx { f, n }, set, a, ty)
}

pub fn scalar_put(
    f: &Family,
    n: &Names,
    a: &ir::Attr,
    t: AttrType,
    ty: &TokenStream,
    v: &TokenStream,
) -> Option<(TokenStream, TokenStream)> {
    match t {
        AttrType::String => return Some((quote!(&str), quote!(w.put_str(#ty, #v);))),
        AttrType::Binary => return Some((quote!(&[u8]), quote!(w.put_bytes(#ty, #v);))),
        _ => {}
    }
    t.int_range_width()?;
    let put = format_ident!("put_{}", int_prim(t, is_be(a)));
    let (vty, wrap) = int_value_ty(f, n, a, t);
    Some(match wrap {
        Some(plain) => (vty, quote!(w.#put(#ty, #v.0 as #plain);)),
        None => (vty, quote!(w.#put(#ty, #v);)),
    })
}

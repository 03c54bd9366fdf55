//! Kernel-side behaviour of each YNL attribute kind: its `nla_policy` entry (built with the
//! support layer's `Policy` const fns), its typed getter on request views and its setter on
//! reply builders. The getter/setter tokens use the support layer's `Attr`/`Writer`, whose
//! primitive names are the userspace runtime's (`get_u32`, `put_str`, `nest_start`...).

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::Names;
use crate::ir::{self, AttrKind, AttrType, BoundSource, ByteOrder, EnumKind, Family, SetId};

/// Statics a policy entry needs (range structs, value-check types), collected while the
/// policy tables are emitted.
#[derive(Default)]
pub struct PolicyStatics {
    pub items: Vec<TokenStream>,
    pub names: std::collections::BTreeSet<String>,
}

impl PolicyStatics {
    fn add(&mut self, name: &str, item: TokenStream) {
        if self.names.insert(name.to_string()) {
            self.items.push(item);
        }
    }
}

fn lit_i(v: i128) -> TokenStream {
    let l = Literal::i128_unsuffixed(v.unsigned_abs() as i128);
    if v < 0 {
        quote!(-#l)
    } else {
        quote!(#l)
    }
}

fn int_limits(t: AttrType) -> (i128, i128) {
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

fn fits_inline(v: i128) -> bool {
    v >= i16::MIN as i128 && v <= i16::MAX as i128
}

fn is_be(a: &ir::Attr) -> bool {
    a.byte_order == Some(ByteOrder::BigEndian)
}

/// The base `Policy` constructor of an integer attribute.
fn int_base(a: &ir::Attr) -> TokenStream {
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
fn bounds(
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

/// The `nla_policy` entry of attribute `a` (an expression of type `nl::Policy`).
/// `prefix` names statics this entry needs (ranges, value checks).
pub fn policy(f: &Family, n: &Names, st: &mut PolicyStatics, a: &ir::Attr, prefix: &str) -> TokenStream {
    let c = &a.checks;
    let bound = |b: &Option<ir::Bound>| b.as_ref().map(|b| b.value);
    match &a.kind {
        AttrKind::Unused | AttrKind::Pad => quote!(nl::Policy::unspec()),
        AttrKind::Flag => quote!(nl::Policy::flag()),
        AttrKind::U8
        | AttrKind::U16
        | AttrKind::U32
        | AttrKind::U64
        | AttrKind::S8
        | AttrKind::S16
        | AttrKind::S32
        | AttrKind::S64
        | AttrKind::Uint
        | AttrKind::Sint => {
            let t = a.kind.ty();
            let (_, signed) = t.int_range_width().unwrap_or((8, false));
            let base = int_base(a);
            let lim = int_limits(t);
            let name = format!("{prefix}_RANGE");
            if c.min.is_some() || c.max.is_some() {
                let m = bounds(st, &name, signed, lim, bound(&c.min), bound(&c.max));
                return quote!(#base #m);
            }
            if let Some(fm) = &c.flags_mask {
                if !signed && fm.mask <= u32::MAX as u64 && !is_be(a) {
                    let m = Literal::u32_unsuffixed(fm.mask as u32);
                    return quote!(#base.mask(#m));
                }
                return base;
            }
            // Enum-typed values are validated against the enum's values, as ynl-gen-c does.
            if let Some(eid) = a.enum_ {
                if is_be(a) {
                    return base;
                }
                let e = f.enum_(eid);
                if e.entries.is_empty() {
                    return base;
                }
                if a.enum_as_flags || e.kind == EnumKind::Flags {
                    let mask = e.flags_mask();
                    if signed || mask > u32::MAX as u64 {
                        return base;
                    }
                    let m = Literal::u32_unsuffixed(mask as u32);
                    return quote!(#base.mask(#m));
                }
                let min = e.entries.iter().map(|x| x.value).min().unwrap_or(0) as i128;
                let max = e.max_value() as i128;
                if e.is_dense() && max <= lim.1 {
                    let m = bounds(st, &name, signed, lim, Some(min), Some(max));
                    return quote!(#base #m);
                }
                let cname = format!("{}Check", n.enums[eid.0]);
                let check = format_ident!("{}", cname);
                let vals = e.entries.iter().map(|x| Literal::u64_unsuffixed(x.value));
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
        AttrKind::String => {
            if let Some(x) = &c.exact_len {
                let l = Literal::u16_unsuffixed(x.value.clamp(0, i16::MAX as i128) as u16);
                return quote!(nl::Policy::binary_exact_len(#l));
            }
            // min-len has no nla_policy form for strings (the kernel validates string lengths
            // through .len only): the request view's getter checks it (see `getter`).
            let max = bound(&c.max_len).filter(|v| *v > 0 && *v <= u16::MAX as i128).unwrap_or(0);
            let l = Literal::u16_unsuffixed(max as u16);
            if c.unterminated_ok {
                quote!(nl::Policy::string_unterminated(#l))
            } else {
                quote!(nl::Policy::string(#l))
            }
        }
        AttrKind::Binary => {
            let struct_len = a.struct_.and_then(|s| f.struct_(s).size).map(|s| s as i128);
            let (min, max, exact) = (bound(&c.min_len), bound(&c.max_len), bound(&c.exact_len).or(
                if c.min_len.is_none() && c.max_len.is_none() { struct_len } else { None },
            ));
            let name = format!("{prefix}_LEN");
            if let Some(x) = exact {
                if fits_inline(x) {
                    let l = Literal::u16_unsuffixed(x as u16);
                    return quote!(nl::Policy::binary_exact_len(#l));
                }
                let m = bounds(st, &name, false, (0, u16::MAX as i128), Some(x), Some(x));
                return quote!(nl::Policy::binary(0) #m);
            }
            match (min, max) {
                (None, None) => quote!(nl::Policy::binary(0)),
                (None, Some(b)) => {
                    let l = Literal::u16_unsuffixed(b.clamp(0, u16::MAX as i128) as u16);
                    quote!(nl::Policy::binary(#l))
                }
                (Some(a), None) if fits_inline(a) => {
                    let l = Literal::u16_unsuffixed(a as u16);
                    quote!(nl::Policy::binary_min_len(#l))
                }
                (Some(a), Some(b)) if fits_inline(a) && fits_inline(b) => {
                    let (a, b) = (Literal::u16_unsuffixed(a as u16), Literal::u16_unsuffixed(b as u16));
                    quote!(nl::Policy::binary_len_range(#a, #b))
                }
                (a, b) => {
                    let m = bounds(st, &name, false, (0, u16::MAX as i128), a, b);
                    quote!(nl::Policy::binary(0) #m)
                }
            }
        }
        AttrKind::Nest { set } => nested(f, n, *set, false),
        AttrKind::IndexedArray { sub_type, set } => match (sub_type, set) {
            (AttrType::Nest, Some(s)) => nested(f, n, *s, true),
            _ => quote!(nl::Policy::nested_any()),
        },
        AttrKind::NestTypeValue { type_value, set } => {
            if type_value.len() == 1 {
                nested(f, n, *set, true)
            } else {
                quote!(nl::Policy::nested_any())
            }
        }
        AttrKind::Bitfield32 => {
            let valid = match a.enum_ {
                Some(e) => f.enum_(e).flags_mask() as u32,
                None => u32::MAX,
            };
            let v = Literal::u32_unsuffixed(valid);
            quote!(nl::Policy::bitfield32(#v))
        }
        AttrKind::SubMessage { .. } => quote!(nl::Policy::nested_any()),
    }
}

fn nested(f: &Family, n: &Names, set: SetId, array: bool) -> TokenStream {
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
/// `nl::Attr<'a>` named `a` into `nl::Result<type>`. `None`: no typed getter (pad, unused,
/// sub-message: use the raw attribute).
pub fn getter(f: &Family, n: &Names, a: &ir::Attr) -> Option<(TokenStream, TokenStream)> {
    let t = a.kind.ty();
    Some(match &a.kind {
        AttrKind::Unused | AttrKind::Pad | AttrKind::SubMessage { .. } => return None,
        AttrKind::Flag => (quote!(bool), quote!(a.get_flag())),
        AttrKind::String => match a.checks.min_len.as_ref().map(|b| b.value).filter(|v| *v > 0) {
            // no nla_policy form for a string's min-len: the getter checks it
            Some(min) => {
                let m = Literal::usize_unsuffixed(min as usize);
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
        },
        AttrKind::Binary => match a.struct_.filter(|s| f.struct_(*s).size.is_some()) {
            Some(s) => {
                let ty = format_ident!("{}", n.structs[s.0]);
                (quote!(#ty), quote!(#ty::from_bytes(a.payload()).ok_or_else(|| nl::Error::EINVAL.msg(c"attribute has the wrong length").attr(&a))))
            }
            None => (quote!(&'a [u8]), quote!(Ok(a.get_bytes()))),
        },
        AttrKind::Bitfield32 => (quote!(nl::Bitfield32), quote!(a.get_bitfield32())),
        AttrKind::Nest { set } => {
            let v = format_ident!("{}", n.set_view(*set));
            (quote!(#v<'a>), quote!(Ok(#v::new(a.nested()))))
        }
        AttrKind::IndexedArray { sub_type, set } => {
            let (ety, eget) = match (sub_type, set) {
                (AttrType::Nest, Some(s)) => {
                    let v = format_ident!("{}", n.set_view(*s));
                    (quote!(#v<'a>), quote!(Ok(#v::new(a.nested()))))
                }
                (st, _) => scalar_get(f, n, a, *st)?,
            };
            (quote!(ArrayIter<'a, #ety>), quote!(Ok(ArrayIter::new(a.nested(), None, |a| #eget))))
        }
        AttrKind::NestTypeValue { set, .. } => {
            let v = format_ident!("{}", n.set_view(*set));
            (
                quote!(ArrayIter<'a, (u16, #v<'a>)>),
                quote!(Ok(ArrayIter::new(a.nested(), None, |a| Ok((a.ty(), #v::new(a.nested())))))),
            )
        }
        _ => scalar_get(f, n, a, t)?,
    })
}

/// Rust type of an integer attribute's value: the enum/flags newtype when it names one.
fn int_value_ty(f: &Family, n: &Names, a: &ir::Attr, t: AttrType) -> (TokenStream, Option<TokenStream>) {
    let plain = plain_int(t);
    match a.enum_.filter(|e| !a.enum_as_flags || f.enum_(*e).kind == EnumKind::Flags) {
        Some(e) => {
            let ty = format_ident!("{}", n.enums[e.0]);
            (quote!(#ty), Some(plain))
        }
        None => (plain, None),
    }
}

fn plain_int(t: AttrType) -> TokenStream {
    match t {
        AttrType::U8 => quote!(u8),
        AttrType::U16 => quote!(u16),
        AttrType::U32 => quote!(u32),
        AttrType::U64 | AttrType::Uint => quote!(u64),
        AttrType::S8 => quote!(i8),
        AttrType::S16 => quote!(i16),
        AttrType::S32 => quote!(i32),
        _ => quote!(i64),
    }
}

fn int_prim(t: AttrType, be: bool) -> &'static str {
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

fn scalar_get(f: &Family, n: &Names, a: &ir::Attr, t: AttrType) -> Option<(TokenStream, TokenStream)> {
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
/// constant `ty` into the `&mut nl::Writer` named `w`. `None`: no setter (pad, unused,
/// sub-message). Nested kinds get a closure parameter and use the generated set writers.
pub fn setter(f: &Family, n: &Names, set: SetId, a: &ir::Attr, ty: &TokenStream) -> Option<(TokenStream, TokenStream)> {
    let t = a.kind.ty();
    Some(match &a.kind {
        AttrKind::Unused | AttrKind::Pad | AttrKind::SubMessage { .. } => return None,
        AttrKind::Flag => (quote!(), quote!(w.put_flag(#ty);)),
        AttrKind::String => {
            if a.checks.unterminated_ok {
                (quote!(v: &str), quote!(w.put_bytes(#ty, v.as_bytes());))
            } else {
                (quote!(v: &str), quote!(w.put_str(#ty, v);))
            }
        }
        AttrKind::Binary => match a.struct_.filter(|s| f.struct_(*s).size.is_some()) {
            Some(s) => {
                let st = format_ident!("{}", n.structs[s.0]);
                (quote!(v: &#st), quote!(w.put_bytes(#ty, &v.to_bytes());))
            }
            None => (quote!(v: &[u8]), quote!(w.put_bytes(#ty, v);)),
        },
        AttrKind::Bitfield32 => match a.enum_.filter(|e| f.enum_(*e).kind == EnumKind::Flags) {
            Some(e) => {
                let et = format_ident!("{}", n.enums[e.0]);
                (quote!(value: #et, selector: #et), quote!(w.put_bitfield32(#ty, value.0 as u32, selector.0 as u32);))
            }
            None => (quote!(value: u32, selector: u32), quote!(w.put_bitfield32(#ty, value, selector);)),
        },
        AttrKind::Nest { set: inner } => {
            let wr = format_ident!("{}", n.set_writer(*inner));
            (
                quote!(f: impl FnOnce(&mut #wr<'_>)),
                quote!(let nest = w.nest_start(#ty); f(&mut #wr { w: &mut *w }); w.nest_end(nest);),
            )
        }
        AttrKind::IndexedArray { sub_type, set: inner } => match (sub_type, inner) {
            (AttrType::Nest, Some(s)) => {
                let arr = format_ident!("{}", n.set_array(*s));
                (
                    quote!(f: impl FnOnce(&mut #arr<'_>)),
                    quote!(let nest = w.nest_start(#ty); f(&mut #arr { w: &mut *w, next: 0 }); w.nest_end(nest);),
                )
            }
            (st, _) => {
                let (ety, put) = scalar_put(f, n, a, *st, &quote!(i as u16), &quote!((*v)))?;
                (
                    quote!(items: &[#ety]),
                    quote!(let nest = w.nest_start(#ty); for (i, v) in items.iter().enumerate() { #put } w.nest_end(nest);),
                )
            }
        },
        AttrKind::NestTypeValue { set: inner, .. } => {
            let sl = format_ident!("{}", n.set_slots(*inner));
            (
                quote!(f: impl FnOnce(&mut #sl<'_>)),
                quote!(let nest = w.nest_start(#ty); f(&mut #sl { w: &mut *w }); w.nest_end(nest);),
            )
        }
        _ => {
            let pad = f.set(set).attrs.iter().find(|x| matches!(x.kind, AttrKind::Pad)).map(|p| p.value);
            if let (AttrType::U64, false, Some(p)) = (t, is_be(a), pad) {
                let (vty, wrap) = int_value_ty(f, n, a, t);
                let p = Literal::u16_unsuffixed(p);
                let val = if wrap.is_some() { quote!(v.0 as u64) } else { quote!(v) };
                return Some((quote!(v: #vty), quote!(w.put_u64_pad(#ty, #val, #p);)));
            }
            let (vty, put) = scalar_put(f, n, a, t, ty, &quote!(v))?;
            (quote!(v: #vty), put)
        }
    })
}

fn scalar_put(
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

//! Definitions, for both sides: consts, enums (newtypes keeping unknown values), flags (bit-set
//! newtypes), structs (fixed C layouts decoded with their byte order). The client crate and the
//! kernel module get them from here.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::attr::{binary::hint_tokens, doc_attrs, ident, Cx};
use nlspec_model::ir::{self, ConstValue, EnumKind, MemberType};
use nlspec_model::names::screaming;

/// Which side the definitions are emitted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The userspace client crate (runtime `::nlspec_rt`).
    Client,
    /// The kernel module (support layer `nl`).
    Kernel,
}

/// The spec's `const` definitions.
pub fn consts(cx: &Cx, side: Side) -> TokenStream {
    if side == Side::Kernel {
        return kernel_consts(cx);
    }
    let items = cx.fam.consts.iter().map(|c| {
        let doc = doc_attrs(c.doc.as_deref());
        let name = ident(&c.rust_name);
        let cdoc = format!(" C: `{}`.", c.c_name);
        match &c.value {
            ConstValue::Int(v) if *v < 0 => {
                let v = Literal::i64_unsuffixed(*v as i64);
                quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #name: i64 = #v;)
            }
            ConstValue::Int(v) => {
                let v = Literal::u64_unsuffixed(*v as u64);
                quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #name: u64 = #v;)
            }
            ConstValue::Str(s) => quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #name: &str = #s;),
        }
    });
    quote!(#(#items)*)
}

fn lit(repr: &str, v: u64) -> Literal {
    if repr == "u64" {
        Literal::u64_unsuffixed(v)
    } else {
        Literal::u32_unsuffixed(v as u32)
    }
}

/// Enum and flags newtypes.
pub fn enums(cx: &Cx, side: Side) -> TokenStream {
    if side == Side::Kernel {
        return kernel_enums(cx);
    }
    let items = cx.fam.enums.iter().enumerate().map(|(i, e)| {
        let id = ir::EnumId(i);
        let t = cx.enum_ty(id);
        let repr = cx.enum_repr(id);
        let repr_s = cx.names.enum_repr[i];
        let doc = doc_attrs(e.doc.as_deref());
        let consts = e.entries.iter().map(|en| {
            let d = doc_attrs(en.doc.as_deref());
            let n = ident(&screaming(&en.name));
            let v = lit(repr_s, en.value);
            let cdoc = format!(" `{}` (C: `{}`).", en.name, en.c_name);
            quote!(#d #[doc = #cdoc] pub const #n: Self = Self(#v);)
        });
        let all = e.entries.iter().map(|en| ident(&screaming(&en.name)));
        let n_entries = e.entries.len();
        let names = e.entries.iter().map(|en| {
            let n = ident(&screaming(&en.name));
            let s = &en.name;
            quote!((#s, Self::#n))
        });
        // The newtype itself (documented with what kind of value it holds), and what both
        // kinds implement.
        let newtype = |kind_doc: String| {
            quote! {
                #doc
                #[doc = ""]
                #[doc = #kind_doc]
                #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
                pub struct #t(pub #repr);
            }
        };
        let common = quote! {
            impl ::core::convert::From<#repr> for #t {
                fn from(v: #repr) -> Self { Self(v) }
            }
            impl ::core::convert::From<#t> for #repr {
                fn from(v: #t) -> Self { v.0 }
            }
        };
        match e.kind {
            EnumKind::Enum => {
                let head = newtype(format!(
                    " Values of `{}`; values this client does not know are kept, not rejected.",
                    e.name
                ));
                let arms = e.entries.iter().map(|en| {
                    let v = lit(repr_s, en.value);
                    let s = &en.name;
                    quote!(#v => ::core::option::Option::Some(#s),)
                });
                let tname = t.to_string();
                quote! {
                    #head
                    impl #t {
                        #(#consts)*
                        /// Every value the spec defines.
                        pub const fn known_values() -> &'static [Self] {
                            &[#(Self::#all),*]
                        }
                        /// The spec name of this value; `None` if it is unknown.
                        pub const fn name(self) -> ::core::option::Option<&'static str> {
                            #[allow(unreachable_patterns)]
                            match self.0 {
                                #(#arms)*
                                _ => ::core::option::Option::None,
                            }
                        }
                        /// The value with spec name `name`.
                        pub fn from_name(name: &str) -> ::core::option::Option<Self> {
                            let table: [(&str, Self); #n_entries] = [#(#names),*];
                            table.into_iter().find(|(n, _)| *n == name).map(|(_, v)| v)
                        }
                        /// Whether the spec defines this value.
                        pub const fn is_known(self) -> bool {
                            self.name().is_some()
                        }
                    }
                    impl ::core::fmt::Debug for #t {
                        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            ::nlspec_rt::display::fmt_enum(f, #tname, self.0 as u64, self.name())
                        }
                    }
                    #common
                }
            }
            EnumKind::Flags => {
                let head = newtype(format!(" Bit set of `{}`; bits this client does not know are kept.", e.name));
                let mask = lit(repr_s, e.entries.iter().fold(0u64, |m, en| m | en.value));
                let known = e.entries.iter().map(|en| {
                    let s = &en.name;
                    let v = Literal::u64_unsuffixed(en.value);
                    quote!((#s, #v))
                });
                quote! {
                    #head
                    impl #t {
                        #(#consts)*
                        /// Spec names and bits of the known flags.
                        pub const NAMED: &'static [(&'static str, Self)] = &[#(#names),*];
                        /// No bit set.
                        pub const fn empty() -> Self { Self(0) }
                        /// Every known bit.
                        pub const fn all() -> Self { Self(#mask) }
                        /// The raw bits.
                        pub const fn bits(self) -> #repr { self.0 }
                        /// No bit set?
                        pub const fn is_empty(self) -> bool { self.0 == 0 }
                        /// All bits of `other` set?
                        pub const fn contains(self, other: Self) -> bool { self.0 & other.0 == other.0 }
                        /// Any bit of `other` set?
                        pub const fn intersects(self, other: Self) -> bool { self.0 & other.0 != 0 }
                        /// Bits not known to this client.
                        pub const fn unknown_bits(self) -> #repr { self.0 & !#mask }
                        /// Each set bit (known or not) as its own value, lowest first.
                        pub fn iter(self) -> impl ::core::iter::Iterator<Item = Self> + ::core::clone::Clone {
                            (0..#repr::BITS).map(|b| (1 as #repr) << b).filter(move |b| self.0 & b != 0).map(Self)
                        }
                        /// The spec names of the set bits this client knows.
                        pub fn names(self) -> impl ::core::iter::Iterator<Item = &'static str> + ::core::clone::Clone {
                            Self::NAMED.iter().filter(move |(_, v)| v.0 != 0 && self.contains(*v)).map(|(n, _)| *n)
                        }
                    }
                    impl ::core::fmt::Debug for #t {
                        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            ::nlspec_rt::display::fmt_flags(f, self.0 as u64, &[#(#known),*])
                        }
                    }
                    impl ::core::ops::BitOr for #t {
                        type Output = Self;
                        fn bitor(self, o: Self) -> Self { Self(self.0 | o.0) }
                    }
                    impl ::core::ops::BitOrAssign for #t {
                        fn bitor_assign(&mut self, o: Self) { self.0 |= o.0 }
                    }
                    impl ::core::ops::BitAnd for #t {
                        type Output = Self;
                        fn bitand(self, o: Self) -> Self { Self(self.0 & o.0) }
                    }
                    impl ::core::ops::Not for #t {
                        type Output = Self;
                        fn not(self) -> Self { Self(!self.0) }
                    }
                    #common
                }
            }
        }
    });
    quote!(#(#items)*)
}

/// Rust type, byte width and `from_*_bytes` suffix of a scalar member.
fn member_int(m: &ir::Member) -> Option<(TokenStream, usize)> {
    Some(match m.ty {
        MemberType::U8 => (quote!(u8), 1),
        MemberType::U16 => (quote!(u16), 2),
        MemberType::U32 => (quote!(u32), 4),
        MemberType::U64 => (quote!(u64), 8),
        MemberType::S8 => (quote!(i8), 1),
        MemberType::S16 => (quote!(i16), 2),
        MemberType::S32 => (quote!(i32), 4),
        MemberType::S64 => (quote!(i64), 8),
        _ => return None,
    })
}

/// Struct types with `from_bytes`/`to_bytes`.
pub fn structs(cx: &Cx, side: Side) -> TokenStream {
    if side == Side::Kernel {
        return kernel_structs(cx);
    }
    let items = cx.fam.structs.iter().enumerate().map(|(i, s)| structure(cx, ir::StructId(i), s));
    quote!(#(#items)*)
}

fn structure(cx: &Cx, id: ir::StructId, s: &ir::Struct) -> TokenStream {
    let t = cx.struct_ty(id);
    let doc = doc_attrs(s.doc.as_deref());
    let mut fields = Vec::new();
    let mut decode = Vec::new();
    let mut encode = Vec::new();
    let mut defaults = Vec::new();
    let mut debug = Vec::new();
    let mut size = 0usize;
    for m in &s.members {
        let (Some(off), Some(len)) = (m.offset, m.len) else {
            // A member without a length ends the fixed layout; what follows is not decoded.
            break;
        };
        size = off + len;
        if m.ty == MemberType::Pad {
            continue;
        }
        let name = ident(&m.rust_name);
        let sname = &m.name;
        let mdoc = doc_attrs(m.doc.as_deref());
        let end = off + len;
        if let Some((it, w)) = member_int(m) {
            let from = match m.byte_order {
                Some(ir::ByteOrder::BigEndian) => format_ident!("from_be_bytes"),
                Some(ir::ByteOrder::LittleEndian) => format_ident!("from_le_bytes"),
                None => format_ident!("from_ne_bytes"),
            };
            let to = match m.byte_order {
                Some(ir::ByteOrder::BigEndian) => format_ident!("to_be_bytes"),
                Some(ir::ByteOrder::LittleEndian) => format_ident!("to_le_bytes"),
                None => format_ident!("to_ne_bytes"),
            };
            let raw = quote!(#it::#from(take::<#w>(b, #off)));
            match cx.value_enum(m.enum_, m.enum_as_flags) {
                Some(e) => {
                    let et = cx.enum_ty(e);
                    let r = cx.enum_repr(e);
                    fields.push(quote!(#mdoc pub #name: #et,));
                    decode.push(quote!(#name: #et(#raw as #r),));
                    encode.push(quote!(out[#off..#end].copy_from_slice(&(self.#name.0 as #it).#to());));
                    defaults.push(quote!(#name: #et(0),));
                    debug.push(quote!(.field(#sname, &self.#name)));
                }
                None => {
                    fields.push(quote!(#mdoc pub #name: #it,));
                    decode.push(quote!(#name: #raw,));
                    encode.push(quote!(out[#off..#end].copy_from_slice(&self.#name.#to());));
                    defaults.push(quote!(#name: 0,));
                    let shown = match m.display_hint {
                        Some(ir::DisplayHint::Hex) => quote!(&::nlspec_rt::display::Hex(self.#name)),
                        Some(ir::DisplayHint::Ipv4) if w == 4 => {
                            quote!(&::std::net::Ipv4Addr::from(self.#name as u32))
                        }
                        _ => quote!(&self.#name),
                    };
                    debug.push(quote!(.field(#sname, #shown)));
                }
            }
        } else if let Some(inner) = m.struct_ {
            let it = cx.struct_ty(inner);
            fields.push(quote!(#mdoc pub #name: #it,));
            decode.push(
                quote!(#name: #it::from_bytes(b.get(#off..#end).unwrap_or_default()).map_err(|e| e.in_attr(#sname))?,),
            );
            encode.push(quote!(out[#off..#end].copy_from_slice(&self.#name.to_bytes()[..#len]);));
            defaults.push(quote!(#name: ::core::default::Default::default(),));
            debug.push(quote!(.field(#sname, &self.#name)));
        } else {
            fields.push(quote!(#mdoc pub #name: [u8; #len],));
            decode.push(quote!(#name: take::<#len>(b, #off),));
            encode.push(quote!(out[#off..#end].copy_from_slice(&self.#name);));
            defaults.push(quote!(#name: [0; #len],));
            if m.ty == MemberType::String {
                debug.push(quote!(.field(#sname, &::nlspec_rt::display::utf8_prefix(
                    self.#name.split(|c| *c == 0).next().unwrap_or_default()))));
            } else {
                let h = hint_tokens(m.display_hint);
                debug.push(quote!(.field(#sname, &::nlspec_rt::display::Bytes(&self.#name, #h))));
            }
        }
    }
    let size = s.size.unwrap_or(size);
    let tname = t.to_string();
    let expected = format!("at least {size}");
    let size_doc = format!(" Size on the wire: {size} bytes (C `struct {}`).", s.name.replace('-', "_"));
    quote! {
        #doc
        #[doc = ""]
        #[doc = #size_doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct #t {
            #(#fields)*
        }
        impl #t {
            /// Size on the wire in bytes.
            pub const SIZE: usize = #size;
            /// Decode from the start of `b` (longer input, e.g. from a newer kernel that grew
            /// the struct, is accepted; shorter is an error).
            pub fn from_bytes(b: &[u8]) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                if b.len() < Self::SIZE {
                    return ::core::result::Result::Err(::nlspec_rt::DecodeError::new(
                        ::nlspec_rt::DecodeErrorKind::BadLength { expected: #expected, got: b.len() },
                    ));
                }
                ::core::result::Result::Ok(Self { #(#decode)* })
            }
            /// Encode in the wire layout.
            pub fn to_bytes(&self) -> [u8; #size] {
                #[allow(unused_mut)]
                let mut out = [0u8; #size];
                #(#encode)*
                out
            }
        }
        impl ::core::default::Default for #t {
            fn default() -> Self {
                Self { #(#defaults)* }
            }
        }
        impl ::core::fmt::Debug for #t {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#tname) #(#debug)* .finish()
            }
        }
    }
}

fn kernel_consts(cx: &Cx) -> TokenStream {
    let f = cx.fam;
    let consts = f.consts.iter().map(|c| {
        let id = ident(&screaming(&c.name));
        let d = doc_attrs(c.doc.as_deref());
        match &c.value {
            ir::ConstValue::Int(v) if *v < 0 => {
                let l = Literal::i64_unsuffixed(*v as i64);
                quote!(#d pub const #id: i64 = #l;)
            }
            ir::ConstValue::Int(v) => {
                let l = Literal::u64_unsuffixed(*v as u64);
                quote!(#d pub const #id: u64 = #l;)
            }
            ir::ConstValue::Str(s) => quote!(#d pub const #id: &str = #s;),
        }
    });

    quote!(#(#consts)*)
}

fn kernel_enums(cx: &Cx) -> TokenStream {
    let f = cx.fam;
    let enum_items = f.enums.iter().enumerate().map(|(i, e)| {
        let ty = cx.enum_ty(ir::EnumId(i));
        let repr = cx.enum_repr(ir::EnumId(i));
        let d = doc_attrs(e.doc.as_deref());
        let entries = e.entries.iter().map(|x| {
            let c = ident(&screaming(&x.name));
            let v = Literal::u64_unsuffixed(x.value);
            let d = doc_attrs(x.doc.as_deref());
            quote!(#d pub const #c: #ty = #ty(#v);)
        });
        let vals = e.entries.iter().map(|x| Literal::u64_unsuffixed(x.value));
        let known = if e.entries.is_empty() { quote!(false) } else { quote!(matches!(self.0, #(#vals)|*)) };
        match e.kind {
            EnumKind::Enum => quote! {
                #d
                #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
                pub struct #ty(pub #repr);
                impl #ty {
                    #(#entries)*
                    /// Whether the value is one of the entries.
                    pub const fn is_known(self) -> bool {
                        #known
                    }
                }
            },
            EnumKind::Flags => {
                let mask = Literal::u64_unsuffixed(e.flags_mask());
                quote! {
                    #d
                    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
                    pub struct #ty(pub #repr);
                    impl #ty {
                        #(#entries)*
                        /// Every defined flag.
                        pub const ALL: #ty = #ty(#mask);
                        /// No flag.
                        pub const EMPTY: #ty = #ty(0);
                        /// The raw bits.
                        pub const fn bits(self) -> #repr { self.0 }
                        /// Whether every flag of `other` is set.
                        pub const fn contains(self, other: #ty) -> bool { self.0 & other.0 == other.0 }
                        /// Whether no flag is set.
                        pub const fn is_empty(self) -> bool { self.0 == 0 }
                    }
                    impl core::ops::BitOr for #ty {
                        type Output = #ty;
                        fn bitor(self, o: #ty) -> #ty { #ty(self.0 | o.0) }
                    }
                    impl core::ops::BitAnd for #ty {
                        type Output = #ty;
                        fn bitand(self, o: #ty) -> #ty { #ty(self.0 & o.0) }
                    }
                    impl core::ops::Not for #ty {
                        type Output = #ty;
                        fn not(self) -> #ty { #ty(!self.0 & Self::ALL.0) }
                    }
                }
            }
        }
    });
    quote!(#(#enum_items)*)
}

fn kernel_structs(cx: &Cx) -> TokenStream {
    let items = cx.fam.structs.iter().enumerate().filter_map(|(i, s)| struct_item(cx, i, s));
    quote!(#(#items)*)
}

fn struct_item(cx: &Cx, i: usize, s: &ir::Struct) -> Option<TokenStream> {
    let size = s.size?;
    let ty = cx.struct_ty(ir::StructId(i));
    let d = doc_attrs(s.doc.as_deref());
    let mut fields = Vec::new();
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    let mut defaults = Vec::new();
    for m in &s.members {
        let off = m.offset?;
        let len = m.len?;
        if m.ty == MemberType::Pad {
            continue;
        }
        let id = ident(&m.rust_name);
        let md = doc_attrs(m.doc.as_deref());
        let be = m.byte_order == Some(ir::ByteOrder::BigEndian);
        let (from, to) = if be {
            (quote!(from_be_bytes), quote!(to_be_bytes))
        } else {
            (quote!(from_ne_bytes), quote!(to_ne_bytes))
        };
        let o = Literal::usize_unsuffixed(off);
        let e = Literal::usize_unsuffixed(off + len);
        let l = Literal::usize_unsuffixed(len);
        let it = match m.ty {
            MemberType::U8 => Some(quote!(u8)),
            MemberType::U16 => Some(quote!(u16)),
            MemberType::U32 => Some(quote!(u32)),
            MemberType::U64 => Some(quote!(u64)),
            MemberType::S8 => Some(quote!(i8)),
            MemberType::S16 => Some(quote!(i16)),
            MemberType::S32 => Some(quote!(i32)),
            MemberType::S64 => Some(quote!(i64)),
            _ => None,
        };
        match it {
            Some(it) => {
                fields.push(quote!(#md pub #id: #it,));
                reads.push(quote!(#id: #it::#from(arr::<#l>(b, #o)),));
                writes.push(quote!(b[#o..#e].copy_from_slice(&self.#id.#to());));
                defaults.push(quote!(#id: 0,));
            }
            None => {
                fields.push(quote!(#md pub #id: [u8; #l],));
                reads.push(quote!(#id: arr::<#l>(b, #o),));
                writes.push(quote!(b[#o..#e].copy_from_slice(&self.#id);));
                defaults.push(quote!(#id: [0; #l],));
            }
        }
    }
    let sz = Literal::usize_unsuffixed(size);
    Some(quote! {
        #d
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct #ty { #(#fields)* }
        impl #ty {
            /// Size on the wire.
            pub const SIZE: usize = #sz;
            /// Decodes the first `SIZE` bytes of `b` (`None` if shorter).
            pub fn from_bytes(b: &[u8]) -> Option<Self> {
                if b.len() < Self::SIZE {
                    return None;
                }
                fn arr<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
                    let mut a = [0u8; N];
                    a.copy_from_slice(&b[off..off + N]);
                    a
                }
                Some(Self { #(#reads)* })
            }
            /// Encodes it.
            pub fn to_bytes(&self) -> [u8; #sz] {
                let mut b = [0u8; #sz];
                #(#writes)*
                b
            }
        }
        impl Default for #ty {
            fn default() -> Self { Self { #(#defaults)* } }
        }
    })
}

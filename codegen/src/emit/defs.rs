//! Definitions, for both sides from one body: consts, enums (newtypes keeping unknown values),
//! flags (bit-set newtypes), structs (fixed C layouts decoded with their byte order). The client
//! crate and the kernel module get the same items with the same API; a [`Side`] only names the
//! side's runtime (the error `from_bytes` returns) and how a struct member with a display hint
//! prints in `Debug` (the kernel has no display helpers).
//!
//! Tokens spell prelude items in full (`::core::option::Option`); each emitter shortens them.

use proc_macro2::Literal;

use crate::tokens::{format_ident, quote, Ident, TokenStream};

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

impl Side {
    /// The error type of `from_bytes`.
    fn decode_error(self) -> TokenStream {
        match self {
            Side::Client => quote!(::nlspec_rt::DecodeError),
            Side::Kernel => quote!(nl::Error),
        }
    }
    /// The error of `from_bytes` for input shorter than the struct (in scope: `b`).
    fn too_short(self, size: usize) -> TokenStream {
        match self {
            Side::Client => {
                let expected = format!("at least {size}");
                quote!(::nlspec_rt::DecodeError::new(
                    ::nlspec_rt::DecodeErrorKind::BadLength { expected: #expected, got: b.len() },
                ))
            }
            Side::Kernel => quote!(nl::Error::EINVAL.msg(c"too short for the struct")),
        }
    }
}

/// Consts, enums, flags and structs.
pub fn items(cx: &Cx, side: Side) -> TokenStream {
    let consts = consts(cx);
    let enums = cx.fam.enums.iter().enumerate().map(|(i, e)| enum_item(cx, ir::EnumId(i), e));
    let structs = structs(cx, side);
    quote! {
        #consts
        #(#enums)*
        #structs
    }
}

/// The spec's `const` definitions.
pub(crate) fn consts(cx: &Cx) -> TokenStream {
    let items = cx.fam.consts.iter().map(|c| {
        let doc = doc_attrs(c.doc.as_deref());
        let name = ident(&c.rust_name);
        let cdoc = format!(" C: `{}`.", c.c_name);
        let (ty, v) = match &c.value {
            ConstValue::Int(v) if *v < 0 => (quote!(i64), Literal::i64_unsuffixed(*v as i64)),
            ConstValue::Int(v) => (quote!(u64), Literal::u64_unsuffixed(*v as u64)),
            ConstValue::Str(s) => (quote!(&str), Literal::string(s)),
        };
        quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #name: #ty = #v;)
    });
    quote!(#(#items)*)
}

/// A value literal of an enum's integer type.
fn lit(repr: &str, v: u64) -> Literal {
    if repr == "u64" {
        Literal::u64_unsuffixed(v)
    } else {
        Literal::u32_unsuffixed(v as u32)
    }
}

/// One enum or flags newtype with its entries, names, conversions and `Debug`.
fn enum_item(cx: &Cx, id: ir::EnumId, e: &ir::Enum) -> TokenStream {
    let t = cx.enum_ty(id);
    let repr = cx.enum_repr(id);
    let repr_s = cx.names.enum_repr[id.0];
    let doc = doc_attrs(e.doc.as_deref());
    let consts = e.entries.iter().map(|en| {
        let d = doc_attrs(en.doc.as_deref());
        let n = ident(&screaming(&en.name));
        let v = lit(repr_s, en.value);
        let cdoc = format!(" `{}` (C: `{}`).", en.name, en.c_name);
        quote!(#d #[doc = #cdoc] pub const #n: Self = Self(#v);)
    });
    let kind_doc = match e.kind {
        EnumKind::Enum => format!(" Values of `{}`; values not in the spec are kept, not rejected.", e.name),
        EnumKind::Flags => format!(" Bit set of `{}`; bits not in the spec are kept.", e.name),
    };
    let consts = quote!(#(#consts)*);
    let body = match e.kind {
        EnumKind::Enum => enum_body(&t, repr_s, e, consts),
        EnumKind::Flags => flags_body(&t, &repr, repr_s, e, consts),
    };
    quote! {
        #doc
        #[doc = ""]
        #[doc = #kind_doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct #t(pub #repr);
        #body
        impl ::core::convert::From<#repr> for #t {
            fn from(v: #repr) -> Self { Self(v) }
        }
        impl ::core::convert::From<#t> for #repr {
            fn from(v: #t) -> Self { v.0 }
        }
    }
}

/// `(name, Self::CONST)` pairs of every entry.
fn named(e: &ir::Enum) -> impl Iterator<Item = TokenStream> + '_ {
    e.entries.iter().map(|en| {
        let n = ident(&screaming(&en.name));
        let s = &en.name;
        quote!((#s, Self::#n))
    })
}

fn enum_body(t: &Ident, repr_s: &str, e: &ir::Enum, consts: TokenStream) -> TokenStream {
    let all = e.entries.iter().map(|en| ident(&screaming(&en.name)));
    let n_entries = Literal::usize_unsuffixed(e.entries.len());
    let names = named(e);
    // one arm per value (the first entry of a value names it)
    let mut seen = std::collections::HashSet::new();
    let values: Vec<(Literal, &str)> = e
        .entries
        .iter()
        .filter(|en| seen.insert(en.value))
        .map(|en| (lit(repr_s, en.value), en.name.as_str()))
        .collect();
    let name_body = match values.as_slice() {
        [] => quote!({
            let _ = self;
            ::core::option::Option::None
        }),
        [(v, s)] => quote!(if self.0 == #v { ::core::option::Option::Some(#s) } else { ::core::option::Option::None }),
        _ => {
            let arms = values.iter().map(|(v, s)| quote!(#v => ::core::option::Option::Some(#s),));
            quote!(match self.0 {
                #(#arms)*
                _ => ::core::option::Option::None,
            })
        }
    };
    let fmt_unknown = format!("{t}({{}})");
    quote! {
        impl #t {
            #consts
            /// Every value the spec defines.
            pub const fn known_values() -> &'static [Self] {
                &[#(Self::#all),*]
            }
            /// The spec name of this value; `None` if it is unknown.
            pub const fn name(self) -> ::core::option::Option<&'static str> {
                #name_body
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
            /// The spec name, or `Type(value)` for a value the spec does not define.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    ::core::option::Option::Some(n) => f.write_str(n),
                    ::core::option::Option::None => write!(f, #fmt_unknown, self.0),
                }
            }
        }
    }
}

fn flags_body(t: &Ident, repr: &Ident, repr_s: &str, e: &ir::Enum, consts: TokenStream) -> TokenStream {
    let mask = lit(repr_s, e.entries.iter().fold(0u64, |m, en| m | en.value));
    let one = if repr_s == "u64" { Literal::u64_suffixed(1) } else { Literal::u32_suffixed(1) };
    let names = named(e);
    quote! {
        impl #t {
            #consts
            /// Spec names and bits of the known flags.
            pub const NAMED: &'static [(&'static str, Self)] = &[#(#names),*];
            /// No bit set.
            pub const EMPTY: Self = Self(0);
            /// Every known bit.
            pub const ALL: Self = Self(#mask);
            /// No bit set ([`Self::EMPTY`]).
            pub const fn empty() -> Self { Self::EMPTY }
            /// Every known bit ([`Self::ALL`]).
            pub const fn all() -> Self { Self::ALL }
            /// The raw bits.
            pub const fn bits(self) -> #repr { self.0 }
            /// No bit set?
            pub const fn is_empty(self) -> bool { self.0 == 0 }
            /// All bits of `other` set?
            pub const fn contains(self, other: Self) -> bool { self.0 & other.0 == other.0 }
            /// Any bit of `other` set?
            pub const fn intersects(self, other: Self) -> bool { self.0 & other.0 != 0 }
            /// Bits not in the spec.
            pub const fn unknown_bits(self) -> #repr { self.0 & !Self::ALL.0 }
            /// Each set bit (known or not) as its own value, lowest first.
            pub fn iter(self) -> impl ::core::iter::Iterator<Item = Self> + ::core::clone::Clone {
                (0..#repr::BITS).map(|b| #one << b).filter(move |b| self.0 & b != 0).map(Self)
            }
            /// The spec names of the set bits the spec defines.
            pub fn names(self) -> impl ::core::iter::Iterator<Item = &'static str> + ::core::clone::Clone {
                Self::NAMED.iter().filter(move |(_, v)| v.0 != 0 && self.contains(*v)).map(|(n, _)| *n)
            }
        }
        impl ::core::fmt::Debug for #t {
            /// Set flags by name, `|`-separated, unknown bits in hex; `(empty)` for none.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                if self.0 == 0 {
                    return f.write_str("(empty)");
                }
                let mut rest = self.0;
                let mut sep = "";
                for (n, v) in Self::NAMED {
                    if v.0 != 0 && self.contains(*v) {
                        f.write_str(sep)?;
                        f.write_str(n)?;
                        sep = " | ";
                        rest &= !v.0;
                    }
                }
                if rest != 0 {
                    f.write_str(sep)?;
                    write!(f, "{rest:#x}")?;
                }
                ::core::result::Result::Ok(())
            }
        }
        impl ::core::ops::BitOr for #t {
            type Output = Self;
            fn bitor(self, o: Self) -> Self { Self(self.0 | o.0) }
        }
        impl ::core::ops::BitOrAssign for #t {
            fn bitor_assign(&mut self, o: Self) { self.0 |= o.0; }
        }
        impl ::core::ops::BitAnd for #t {
            type Output = Self;
            fn bitand(self, o: Self) -> Self { Self(self.0 & o.0) }
        }
        impl ::core::ops::Not for #t {
            type Output = Self;
            /// The known bits not set (unknown bits are cleared).
            fn not(self) -> Self { Self(!self.0 & Self::ALL.0) }
        }
    }
}

/// Rust type and byte width of a scalar member.
pub(crate) fn member_int(m: &ir::Member) -> Option<(TokenStream, usize)> {
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

/// Every struct, and the `take` helper their decoders use.
fn structs(cx: &Cx, side: Side) -> TokenStream {
    let items: Vec<TokenStream> =
        cx.fam.structs.iter().enumerate().map(|(i, s)| structure(cx, side, ir::StructId(i), s)).collect();
    if items.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #(#items)*
        /// `N` bytes of `b` from `at`, zero-filled where `b` is shorter (callers check lengths).
        fn take<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
            let mut x = [0u8; N];
            if let ::core::option::Option::Some(s) = b.get(at..at + N) {
                x.copy_from_slice(s);
            }
            x
        }
    }
}

/// A struct's pieces, member by member.
#[derive(Default)]
struct StructParts {
    fields: Vec<TokenStream>,
    decode: Vec<TokenStream>,
    encode: Vec<TokenStream>,
    defaults: Vec<TokenStream>,
    debug: Vec<TokenStream>,
    /// Bytes covered by members with a known length.
    size: usize,
    /// A byte array longer than 32 (no `Default` impl in core) needs a hand-written `Default`.
    long_array: bool,
}

impl StructParts {
    fn member(&mut self, cx: &Cx, side: Side, m: &ir::Member, off: usize, len: usize) {
        let name = ident(&m.rust_name);
        let sname = &m.name;
        let mdoc = doc_attrs(m.doc.as_deref());
        let u = Literal::usize_unsuffixed;
        let (end, off, len_l) = (u(off + len), u(off), u(len));
        if let Some((it, w)) = member_int(m) {
            let wl = u(w);
            let (from, to) = match m.byte_order {
                Some(ir::ByteOrder::BigEndian) => (format_ident!("from_be_bytes"), format_ident!("to_be_bytes")),
                Some(ir::ByteOrder::LittleEndian) => (format_ident!("from_le_bytes"), format_ident!("to_le_bytes")),
                None => (format_ident!("from_ne_bytes"), format_ident!("to_ne_bytes")),
            };
            let raw = quote!(#it::#from(take::<#wl>(b, #off)));
            match cx.value_enum(m.enum_, m.enum_as_flags) {
                Some(e) => {
                    let et = cx.enum_ty(e);
                    let r = cx.enum_repr(e);
                    let (to_repr, from_repr) = if quote!(#r) == it {
                        (quote!(#raw), quote!(self.#name.0))
                    } else {
                        (quote!(#raw as #r), quote!(self.#name.0 as #it))
                    };
                    self.fields.push(quote!(#mdoc pub #name: #et,));
                    self.decode.push(quote!(#name: #et(#to_repr),));
                    self.encode.push(quote!(out[#off..#end].copy_from_slice(&(#from_repr).#to());));
                    self.defaults.push(quote!(#name: #et(0),));
                    self.debug.push(quote!(.field(#sname, &self.#name)));
                }
                None => {
                    self.fields.push(quote!(#mdoc pub #name: #it,));
                    self.decode.push(quote!(#name: #raw,));
                    self.encode.push(quote!(out[#off..#end].copy_from_slice(&self.#name.#to());));
                    self.defaults.push(quote!(#name: 0,));
                    let shown = member_debug(side, m, &name, w);
                    self.debug.push(quote!(.field(#sname, #shown)));
                }
            }
        } else if let Some(inner) = m.struct_ {
            let it = cx.struct_ty(inner);
            self.fields.push(quote!(#mdoc pub #name: #it,));
            self.decode.push(quote!(#name: #it::from_bytes(b.get(#off..#end).unwrap_or_default())?,));
            self.encode.push(quote!(out[#off..#end].copy_from_slice(&self.#name.to_bytes()[..#len_l]);));
            self.defaults.push(quote!(#name: ::core::default::Default::default(),));
            self.debug.push(quote!(.field(#sname, &self.#name)));
        } else {
            self.long_array |= len > 32;
            self.fields.push(quote!(#mdoc pub #name: [u8; #len_l],));
            self.decode.push(quote!(#name: take::<#len_l>(b, #off),));
            self.encode.push(quote!(out[#off..#end].copy_from_slice(&self.#name);));
            self.defaults.push(quote!(#name: [0; #len_l],));
            let shown = member_debug(side, m, &name, len);
            self.debug.push(quote!(.field(#sname, #shown)));
        }
    }
}

/// How a member with a display hint shows in `Debug` (the client's display helpers; the
/// kernel shows hex integers in hex and everything else as is).
fn member_debug(side: Side, m: &ir::Member, name: &Ident, width: usize) -> TokenStream {
    let is_int = member_int(m).is_some();
    match (side, is_int, m.display_hint) {
        (Side::Client, true, Some(ir::DisplayHint::Hex)) => quote!(&::nlspec_rt::display::Hex(self.#name)),
        (Side::Client, true, Some(ir::DisplayHint::Ipv4)) if width == 4 => {
            if m.ty == MemberType::U32 {
                quote!(&::std::net::Ipv4Addr::from(self.#name))
            } else {
                quote!(&::std::net::Ipv4Addr::from(self.#name as u32))
            }
        }
        (Side::Client, false, _) if m.ty == MemberType::String => quote!(&::nlspec_rt::display::utf8_prefix(
            self.#name.split(|c| *c == 0).next().unwrap_or_default()
        )),
        (Side::Client, false, h) => {
            let h = hint_tokens(h);
            quote!(&::nlspec_rt::display::Bytes(&self.#name, #h))
        }
        (Side::Kernel, true, Some(ir::DisplayHint::Hex)) => quote!(&format_args!("{:#x}", self.#name)),
        _ => quote!(&self.#name),
    }
}

pub(crate) fn structure(cx: &Cx, side: Side, id: ir::StructId, s: &ir::Struct) -> TokenStream {
    let t = cx.struct_ty(id);
    let doc = doc_attrs(s.doc.as_deref());
    let mut p = StructParts::default();
    for m in &s.members {
        let (Some(off), Some(len)) = (m.offset, m.len) else {
            // A member without a length ends the fixed layout; what follows is not decoded.
            break;
        };
        p.size = off + len;
        if m.ty != MemberType::Pad {
            p.member(cx, side, m, off, len);
        }
    }
    let StructParts { fields, decode, encode, defaults, debug, size, long_array } = p;
    // all-zero: derived unless a long array needs it written out
    let (derive_default, default_impl) = if long_array {
        (
            quote!(),
            quote! {
                impl ::core::default::Default for #t {
                    fn default() -> Self {
                        Self { #(#defaults)* }
                    }
                }
            },
        )
    } else {
        (quote!(Default,), quote!())
    };
    let size = s.size.unwrap_or(size);
    let size_l = Literal::usize_unsuffixed(size);
    let tname = t.to_string();
    let size_doc = format!(" Size on the wire: {size} bytes (C `struct {}`).", s.name.replace('-', "_"));
    let err = side.decode_error();
    let too_short = side.too_short(size);
    let mutable = if encode.is_empty() { quote!() } else { quote!(mut) };
    quote! {
        #doc
        #[doc = ""]
        #[doc = #size_doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, #derive_default)]
        pub struct #t {
            #(#fields)*
        }
        impl #t {
            /// Size on the wire in bytes.
            pub const SIZE: usize = #size_l;
            /// Decode from the start of `b` (longer input, e.g. from a newer kernel that grew
            /// the struct, is accepted; shorter is an error).
            pub fn from_bytes(b: &[u8]) -> ::core::result::Result<Self, #err> {
                if b.len() < Self::SIZE {
                    return ::core::result::Result::Err(#too_short);
                }
                ::core::result::Result::Ok(Self { #(#decode)* })
            }
            /// Encode in the wire layout.
            pub fn to_bytes(&self) -> [u8; #size_l] {
                let #mutable out = [0u8; #size_l];
                #(#encode)*
                out
            }
        }
        #default_impl
        impl ::core::fmt::Debug for #t {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#tname) #(#debug)* .finish()
            }
        }
    }
}

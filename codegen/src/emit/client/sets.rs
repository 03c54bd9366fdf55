//! Attribute sets: zero-copy views (validated at decode, infallible getters), owned forms,
//! encoders for building requests, and the schema tables for extended-ACK paths.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::attr::{doc_attrs, field_name, gen, map_v, method_name, ty_lit, ClientAccessor, Cx, Elements};
use nlspec_model::ir::{self, SetId};

/// Sets that appear as elements of an indexed array or one-level nest-type-value (they get an
/// array encoder).
pub fn array_element_sets(f: &ir::Family) -> BTreeSet<SetId> {
    let mut out = BTreeSet::new();
    for a in f.sets.iter().flat_map(|s| &s.attrs) {
        match gen(a).elements(a) {
            Some(Elements::Indexed(set)) => out.insert(set),
            Some(Elements::TypeValue { set, levels }) if levels <= 1 => out.insert(set),
            _ => false,
        };
    }
    out
}

/// Everything generated for one set.
pub fn set(cx: &Cx, id: SetId, array_elem: bool) -> TokenStream {
    let s = cx.fam.set(id);
    let t = cx.set_ty(id);
    let owned_t = cx.set_owned(id);
    let tname = t.to_string();
    let sname = &s.name;
    let doc = doc_attrs(s.doc.as_deref());
    let view_doc = format!(
        " Decoded view of attribute set `{sname}`: borrows the message bytes, validated when decoded, getters never fail. Attributes this client does not know are skipped (see `unknown_attrs`)."
    );
    let mut p = SetParts::default();
    let mut values = std::collections::HashSet::new();
    for a in &s.attrs {
        // an attribute number listed twice (spec quirk) is decoded as its first attribute
        if values.insert(a.value) {
            p.attr(cx, id, a);
        }
    }
    let SetParts { fields, counters, arms, getters, debug, owned_fields, owned_init, known_types } = p;
    let unknown_filter =
        if known_types.is_empty() { quote!(|_| true) } else { quote!(|attr| !matches!(attr.ty(), #(#known_types)|*)) };
    let owned_doc = format!(" Owned copy of a [`{tname}`] (no borrowed data).");
    let decode_body = decode_body(&arms, &counters, !fields.is_empty());

    let view = quote! {
        #doc
        #[doc = ""]
        #[doc = #view_doc]
        #[derive(Clone, Copy, Default)]
        pub struct #t<'a> {
            raw: &'a [u8],
            #(#fields)*
        }
        impl<'a> #t<'a> {
            /// Decode and validate an attribute stream of this set (a message's attributes, or
            /// a nest's payload). Nothing is allocated.
            pub fn decode(raw: &'a [u8]) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                Self::decode_nested(raw, 0)
            }
            #[doc(hidden)]
            pub fn decode_nested(raw: &'a [u8], depth: u32) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                let mut v = Self::default();
                v.decode_into(raw, depth)?;
                ::core::result::Result::Ok(v)
            }
            /// Decode `raw` into this view, which must be empty (`Default`): what the decoders
            /// of messages call, so that the view is filled where it lives, not moved there.
            #[doc(hidden)]
            pub fn decode_into(&mut self, raw: &'a [u8], depth: u32) -> ::core::result::Result<(), ::nlspec_rt::DecodeError> {
                if depth > MAX_NEST_DEPTH {
                    return ::core::result::Result::Err(::nlspec_rt::DecodeError::other("attributes nested too deeply"));
                }
                #decode_body
            }
            /// The undecoded attribute bytes.
            pub fn raw(&self) -> &'a [u8] {
                self.raw
            }
            /// Attributes this client does not know (e.g. from a newer kernel).
            pub fn unknown_attrs(&self) -> impl ::core::iter::Iterator<Item = ::nlspec_rt::Attr<'a>> + ::core::clone::Clone + 'a {
                ::nlspec_rt::AttrWalk::new(self.raw).filter(#unknown_filter)
            }
            /// An owned copy.
            pub fn to_owned(&self) -> #owned_t {
                #owned_t { #(#owned_init)* }
            }
            #(#getters)*
        }
        impl ::core::fmt::Debug for #t<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut d = f.debug_struct(#tname);
                #(#debug)*
                if self.unknown_attrs().next().is_some() {
                    d.field("unknown", &::nlspec_rt::display::List(self.unknown_attrs()));
                }
                d.finish()
            }
        }
        #[doc = #owned_doc]
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct #owned_t {
            #(#owned_fields)*
        }
    };

    let enc = encoder(cx, id, array_elem);
    quote!(#view #enc)
}

/// The pieces of a set's view, owned form and decoder, attribute by attribute.
#[derive(Default)]
struct SetParts {
    fields: Vec<TokenStream>,
    counters: Vec<TokenStream>,
    arms: Vec<(TokenStream, TokenStream)>,
    getters: Vec<TokenStream>,
    debug: Vec<TokenStream>,
    owned_fields: Vec<TokenStream>,
    owned_init: Vec<TokenStream>,
    known_types: Vec<TokenStream>,
}

impl SetParts {
    /// Adds attribute `a` of set `id`.
    fn attr(&mut self, cx: &Cx, id: SetId, a: &ir::Attr) {
        let g = gen(a);
        let ty = cx.attr_const(id, a);
        self.known_types.push(ty.clone());
        let Some(stored) = g.stored_ty(cx, a) else { return };
        let field = field_name(a);
        let name = method_name(a);
        let aname = &a.name;
        let adoc = doc_attrs(a.doc.as_deref());
        let view_ty = g.view_ty(cx, a);
        let parse = g.parse(cx, a, &quote!(attr), &quote!(depth));
        let owned_ty = g.owned_ty(cx, a);
        let infallible = g.parse_infallible(cx, a, &quote!(attr));
        if a.multi_attr {
            if infallible.is_none() {
                let cnt = format_ident!("n_{}", field);
                self.counters.push(quote!(let mut #cnt = 0usize;));
                self.arms.push((
                    ty.clone(),
                    quote! {
                        #parse.map_err(|e| e.at_element(#cnt).in_attr(#aname))?;
                        #cnt += 1;
                    },
                ));
            }
            let attrs = quote!(::nlspec_rt::AttrWalk::new(self.raw).filter(|attr| attr.ty() == #ty));
            let parsed = match &infallible {
                Some(p) => quote!(#attrs.map(|attr| #p)),
                None => {
                    let p = g.parse(cx, a, &quote!(attr), &quote!(0));
                    quote!(#attrs.filter_map(|attr| #p.ok()))
                }
            };
            let items = map_v(parsed, &g.view(cx, a, &quote!(v)));
            let mdoc = format!(" Every `{aname}` (multi-attr), in message order.");
            self.getters.push(quote! {
                #adoc
                #[doc = ""]
                #[doc = #mdoc]
                pub fn #name(&self) -> impl ::core::iter::Iterator<Item = #view_ty> + ::core::clone::Clone + 'a {
                    #items
                }
            });
            let shown = map_v(quote!(self.#name()), &g.debug(cx, a, &quote!(v)));
            self.debug.push(quote! {
                if self.#name().next().is_some() {
                    d.field(#aname, &::nlspec_rt::display::List(#shown));
                }
            });
            let owned = map_v(quote!(self.#name()), &g.to_owned(cx, a, &quote!(v)));
            self.owned_fields.push(quote!(#adoc pub #name: ::std::vec::Vec<#owned_ty>,));
            self.owned_init.push(quote!(#name: #owned.collect(),));
            return;
        }
        self.fields.push(quote!(#field: ::core::option::Option<#stored>,));
        match &infallible {
            Some(p) => self.arms.push((ty.clone(), quote!(v.#field = ::core::option::Option::Some(#p);))),
            None => self.arms.push((
                ty.clone(),
                quote!(v.#field = ::core::option::Option::Some(#parse.map_err(|e| e.in_attr(#aname))?);),
            )),
        }
        let acc = g.client_accessors(cx, a, &ClientAccessor { set: id, field, name });
        self.getters.push(acc.getter);
        self.debug.push(acc.debug);
        self.owned_fields.push(acc.owned_field);
        self.owned_init.push(acc.owned_init);
    }
}

/// The body of `decode_into` after the depth check: every attribute validated, each known one stored
/// into `self` (`arms`: `(type constant, statement)` over `v`, the view).
/// `stored`: the view stores attributes (fields besides `raw`, each set by an arm).
fn decode_body(arms: &[(TokenStream, TokenStream)], counters: &[TokenStream], stored: bool) -> TokenStream {
    let init = if stored { quote!(let v = self; v.raw = raw;) } else { quote!(self.raw = raw;) };
    // `AttrWalk` yields plain `Attr`s and keeps a framing error for `finish`: no `Result` per
    // attribute on the hot path.
    let walk = match arms {
        [] => quote!(::nlspec_rt::AttrWalk::new(raw).finish()?;),
        [(ty, stmt)] => quote! {
            let mut walk = ::nlspec_rt::AttrWalk::new(raw);
            for attr in walk.by_ref() {
                if attr.ty() == #ty {
                    #stmt
                }
            }
            walk.finish()?;
        },
        _ => {
            let arms = arms.iter().map(|(ty, stmt)| quote!(#ty => { #stmt }));
            quote! {
                let mut walk = ::nlspec_rt::AttrWalk::new(raw);
                for attr in walk.by_ref() {
                    match attr.ty() {
                        #(#arms)*
                        _ => {}
                    }
                }
                walk.finish()?;
            }
        }
    };
    quote! {
        #init
        #(#counters)*
        #walk
        ::core::result::Result::Ok(())
    }
}

/// Setter methods for `attrs`, writing through `w` (an expression of type `&mut AttrWriter`),
/// returning `ret`.
pub fn setters<'x>(
    cx: &Cx,
    attrs: impl Iterator<Item = (SetId, &'x ir::Attr)>,
    recv: &TokenStream,
    ret_ty: &TokenStream,
    body: impl Fn(TokenStream) -> TokenStream,
) -> TokenStream {
    let mut out = Vec::new();
    for (set, a) in attrs {
        let g = gen(a);
        if !g.encodable(a) {
            continue;
        }
        let name = method_name(a);
        let params = g.setter_params(cx, a);
        let ty = cx.attr_const(set, a);
        let put = g.put(cx, a, &quote!(w), &quote!(#ty));
        let adoc = doc_attrs(a.doc.as_deref());
        let multi =
            if a.multi_attr { quote!(#[doc = ""] #[doc = " Multi-attr: call once per value."]) } else { quote!() };
        let b = body(put);
        out.push(quote! {
            #adoc
            #multi
            pub fn #name(#recv, #params) -> #ret_ty {
                #b
            }
        });
        if let Some(put) = g.put_bytes(cx, a, &quote!(w), &quote!(#ty)) {
            let bytes = format_ident!("{}_bytes", name.to_string().trim_end_matches('_'));
            let doc = format!(" `{}` from bytes in any encoding (the kernel does not require UTF-8).", a.name);
            let b = body(put);
            out.push(quote! {
                #[doc = #doc]
                #multi
                pub fn #bytes(#recv, v: &[u8]) -> #ret_ty {
                    #b
                }
            });
        }
    }
    quote!(#(#out)*)
}

fn encoder(cx: &Cx, id: SetId, array_elem: bool) -> TokenStream {
    let s = cx.fam.set(id);
    let e = cx.set_encoder(id);
    let doc = format!(" Writes attributes of set `{}` into a request (used inside nests).", s.name);
    let setters = setters(cx, s.attrs.iter().map(|a| (id, a)), &quote!(&mut self), &quote!(&mut Self), |put| {
        quote! {
            let w = &mut *self.w;
            #put
            self
        }
    });
    // A set without attributes a request can carry still gets its encoder (nest setters
    // hand one out), with the writer itself to put raw attributes (and `w` is read).
    let raw_writer = if setters.is_empty() {
        quote! {
            /// The underlying writer (this set has no attribute a request can carry: raw
            /// attributes only).
            pub fn writer(&mut self) -> &mut ::nlspec_rt::AttrWriter<'b> {
                self.w
            }
        }
    } else {
        quote!()
    };
    let arr = if array_elem {
        let ae = cx.set_array_encoder(id);
        let adoc =
            format!(" Writes the elements of an array (indexed-array or nest-type-value) of `{}` nests.", s.name);
        quote! {
            #[doc = #adoc]
            pub struct #ae<'w, 'b> {
                w: &'w mut ::nlspec_rt::AttrWriter<'b>,
                next: u16,
            }
            impl<'w, 'b> #ae<'w, 'b> {
                /// Write into `w` (inside an open nest).
                pub fn new(w: &'w mut ::nlspec_rt::AttrWriter<'b>) -> Self {
                    Self { w, next: 0 }
                }
                /// Append an element with the next index (0, 1, ...).
                pub fn item(&mut self, f: impl ::core::ops::FnOnce(&mut #e<'_, 'b>)) -> &mut Self {
                    let i = self.next;
                    self.item_at(i, f)
                }
                /// Append an element with type/index `index` (nest-type-value: the value; 14 bits, as
                /// the top two bits of a netlink attribute type are flags).
                pub fn item_at(&mut self, index: u16, f: impl ::core::ops::FnOnce(&mut #e<'_, 'b>)) -> &mut Self {
                    let nest = self.w.nest_start(index);
                    f(&mut #e::new(&mut *self.w));
                    self.w.nest_end(nest);
                    self.next = index.wrapping_add(1);
                    self
                }
            }
        }
    } else {
        quote!()
    };
    quote! {
        #[doc = #doc]
        pub struct #e<'w, 'b> {
            w: &'w mut ::nlspec_rt::AttrWriter<'b>,
        }
        impl<'w, 'b> #e<'w, 'b> {
            /// Write into `w`.
            pub fn new(w: &'w mut ::nlspec_rt::AttrWriter<'b>) -> Self {
                Self { w }
            }
            #raw_writer
            #setters
        }
        #arr
    }
}

/// `pub mod schema` with one `AttrSet` static per set.
pub fn schema(cx: &Cx) -> TokenStream {
    let statics = cx.fam.sets.iter().map(|s| {
        let n = cx.set_schema(s.id);
        let name = &s.name;
        let doc = format!(" Attribute names of set `{name}`.");
        let infos = s.attrs.iter().map(|a| {
            let ty = ty_lit(a.value);
            let an = &a.name;
            let nest = gen(a).schema_nest(cx, a);
            quote!(::nlspec_rt::AttrInfo { ty: #ty, name: #an, nest: #nest })
        });
        quote! {
            #[doc = #doc]
            pub static #n: ::nlspec_rt::AttrSet = ::nlspec_rt::AttrSet {
                name: #name,
                attrs: &[#(#infos),*],
            };
        }
    });
    quote! {
        /// Attribute-name tables: the kernel's extended-ACK offsets become paths like
        /// `.ops[2].flags` in [`nlspec_rt::Error`].
        pub mod schema {
            #(#statics)*
        }
    }
}

/// `pub mod attrs`: the attribute type numbers of every set, as constants.
pub fn attr_consts(cx: &Cx) -> TokenStream {
    let mods = cx.fam.sets.iter().map(|s| {
        let m = cx.set_attrs_mod(s.id);
        let doc = format!(" Attribute types of set `{}`.", s.name);
        let consts = s.attrs.iter().map(|a| {
            let c = Cx::attr_const_name(a);
            let v = ty_lit(a.value);
            let d = format!(" `{}` (C: `{}`).", a.name, a.c_name);
            quote!(#[doc = #d] pub const #c: u16 = #v;)
        });
        quote! {
            #[doc = #doc]
            pub mod #m {
                #(#consts)*
            }
        }
    });
    quote! {
        /// Attribute type numbers (`nla_type`), one module per attribute set.
        pub mod attrs {
            #(#mods)*
        }
    }
}

/// Rough size in bytes of set `id`'s view (`raw` and an `Option` per stored attribute), to
/// tell which enums holding views in place get clippy's `large_enum_variant` (variants 200
/// bytes apart); see [`large_variants`].
pub fn view_size_estimate(cx: &Cx, id: SetId) -> usize {
    let s = cx.fam.set(id);
    let mut seen = std::collections::HashSet::new();
    let fields: usize = s
        .attrs
        .iter()
        .filter(|a| !a.multi_attr && seen.insert(a.value))
        .filter_map(|a| {
            let stored = gen(a).stored_ty(cx, a)?.to_string();
            Some(match stored.as_str() {
                "bool" => 1,
                "u8" | "i8" => 2,
                "u16" | "i16" => 4,
                "u32" | "i32" => 8,
                "u64" | "i64" => 16,
                ":: nlspec_rt :: Bitfield32" => 12,
                s if s.contains("Attr") => 24,
                s if s.contains("[u8]") => 16,
                _ => a.struct_.map_or(0, |t| struct_size(cx, t)) + 8,
            })
        })
        .sum();
    16 + fields
}

/// Whether an enum whose variants hold data of these estimated sizes may get clippy's
/// `large_enum_variant` (largest and second largest 200 bytes apart; the estimate may be a
/// little low, so with a margin).
pub fn large_variants(mut sizes: Vec<usize>) -> bool {
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    match sizes.as_slice() {
        [a, b, ..] => a - b >= 120,
        _ => false,
    }
}

/// Size in bytes of struct `id` on the wire (about its size in memory).
pub fn struct_size(cx: &Cx, id: ir::StructId) -> usize {
    let s = cx.fam.struct_(id);
    s.size.unwrap_or_else(|| s.members.iter().filter_map(|m| m.len).sum())
}

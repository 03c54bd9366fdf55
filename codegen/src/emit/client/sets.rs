//! Attribute sets: zero-copy views (each getter reads its attribute when called), owned forms,
//! encoders for building requests, and the schema tables for extended-ACK paths.

use std::collections::BTreeSet;

use crate::tokens::{format_ident, quote, TokenStream};

use crate::attr::{
    doc_attrs, gen, is_token, map_v, method_name, ok_of, reads_self_depth, ty_lit, uses_depth, ClientAccessor, Cx,
    Elements,
};
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

/// A set's view (getters, `Debug`, owned form); its encoder is [`encoder`].
pub fn set(cx: &Cx, id: SetId) -> TokenStream {
    let s = cx.fam.set(id);
    let t = cx.set_ty(id);
    let owned_t = cx.set_owned(id);
    let tname = t.to_string();
    let sname = &s.name;
    let doc = doc_attrs(s.doc.as_deref());
    let view_doc = format!(
        " View of attribute set `{sname}`: borrows the attribute bytes; each getter reads its attribute when called (the first of its type) and reports what is malformed in what it reads. Attributes this client does not know are skipped (see `unknown_attrs`)."
    );
    let mut p = SetParts::default();
    let mut values = std::collections::HashSet::new();
    for a in &s.attrs {
        // an attribute number listed twice (spec quirk) is read as its first attribute
        if values.insert(a.value) {
            p.attr(cx, id, a);
        }
    }
    let SetParts { getters, debug, owned_fields, owned_init, known_types } = p;
    let unknown_filter = if known_types.is_empty() {
        quote!(|_| true)
    } else {
        quote!(|attr| attr.as_ref().map_or(true, |attr| !matches!(attr.ty(), #(#known_types)|*)))
    };
    let owned_doc = format!(" Owned copy of a [`{tname}`] (no borrowed data).");
    // Only views that hand out nested views keep their depth (a set of leaves has no use for it).
    let nests = getters.iter().any(reads_self_depth);
    let (depth_field, depth_new, depth_nested) =
        if nests { (quote!(depth: u32,), quote!(depth: 0), quote!(depth)) } else { (quote!(), quote!(), quote!()) };

    let view = quote! {
        #doc
        #[doc = ""]
        #[doc = #view_doc]
        #[derive(Clone, Copy, Default)]
        pub struct #t<'a> {
            raw: &'a [u8],
            #depth_field
        }
        impl<'a> #t<'a> {
            /// A view of an attribute stream of this set (a message's attributes, or a nest's
            /// payload). Nothing is read until a getter is called.
            #[inline]
            pub fn new(raw: &'a [u8]) -> Self {
                Self { raw, #depth_new }
            }
            /// The view of a nest's payload at nesting depth `depth` (an error beyond
            /// `MAX_NEST_DEPTH`, which bounds the recursion of `to_owned` and `Debug`).
            #[doc(hidden)]
            #[inline]
            pub fn decode_nested(raw: &'a [u8], depth: u32) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                if depth > MAX_NEST_DEPTH {
                    return ::core::result::Result::Err(::nlspec_rt::DecodeError::other("attributes nested too deeply"));
                }
                ::core::result::Result::Ok(Self { raw, #depth_nested })
            }
            /// The attribute bytes.
            #[inline]
            pub fn raw(&self) -> &'a [u8] {
                self.raw
            }
            /// Attributes this client does not know (e.g. from a newer kernel). A malformed
            /// header on the way is the last item, an error: the walk cannot go past it.
            pub fn unknown_attrs(
                &self,
            ) -> impl ::core::iter::Iterator<Item = ::core::result::Result<::nlspec_rt::Attr<'a>, ::nlspec_rt::DecodeError>>
                   + ::core::clone::Clone
                   + 'a {
                ::nlspec_rt::Attrs::new(self.raw).filter(#unknown_filter)
            }
            /// An owned copy: every attribute read (and every nest, to the bottom; a
            /// sub-message is kept as its bytes, read by its `*_msg` getter), so the first
            /// malformed one is the error, located from this view down (`.ops[2].id`).
            pub fn to_owned(&self) -> ::core::result::Result<#owned_t, ::nlspec_rt::DecodeError> {
                ::nlspec_rt::AttrWalk::new(self.raw).finish()?;
                ::core::result::Result::Ok(#owned_t { #(#owned_init)* })
            }
            #(#getters)*
        }
        impl ::core::fmt::Debug for #t<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut d = f.debug_struct(#tname);
                #(#debug)*
                // (a malformed header is shown on its own, below)
                if self.unknown_attrs().any(|a| a.is_ok()) {
                    d.field("unknown", &::nlspec_rt::display::List(self.unknown_attrs().filter_map(|a| a.ok())));
                }
                if let ::core::result::Result::Err(e) = ::nlspec_rt::AttrWalk::new(self.raw).finish() {
                    d.field("malformed", &::nlspec_rt::display::Malformed(e));
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
    view
}

/// The pieces of a set's view and owned form, attribute by attribute.
#[derive(Default)]
struct SetParts {
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
        if !g.has_getter() {
            return;
        }
        let name = method_name(a);
        let aname = &a.name;
        let adoc = doc_attrs(a.doc.as_deref());
        let view_ty = g.view_ty(cx, a);
        let owned_ty = g.owned_ty(cx, a);
        if a.multi_attr {
            let v = g.view(cx, a, &quote!(v));
            let occurrences = quote! {
                ::nlspec_rt::Attrs::new(self.raw)
                    .filter(|attr| !matches!(attr, ::core::result::Result::Ok(attr) if attr.ty() != #ty))
            };
            let items = match g.parse_infallible(cx, a, &quote!(attr)) {
                Some(p) => {
                    let item = map_v(quote!(attr.map(|attr| #p)), &v);
                    if uses_depth(&p) {
                        quote! {
                            let depth = self.depth;
                            #occurrences.map(move |attr| #item)
                        }
                    } else {
                        quote!(#occurrences.map(|attr| #item))
                    }
                }
                None => {
                    let p = g.parse(cx, a, &quote!(attr), &quote!(depth));
                    let item = map_v(quote!(#p.map_err(|e| e.at_element(n).in_attr(#aname))), &v);
                    let bind = if uses_depth(&p) { quote!(let depth = self.depth;) } else { quote!() };
                    quote! {
                        #bind
                        #occurrences.enumerate().map(move |(n, attr)| {
                            let attr = attr?;
                            #item
                        })
                    }
                }
            };
            let mdoc = format!(" Every `{aname}` (multi-attr), in message order; each read when iterated.");
            self.getters.push(quote! {
                #adoc
                #[doc = ""]
                #[doc = #mdoc]
                #[inline]
                pub fn #name(&self) -> impl ::core::iter::Iterator<Item = ::core::result::Result<#view_ty, ::nlspec_rt::DecodeError>> + ::core::clone::Clone + 'a {
                    #items
                }
            });
            let shown_item = map_v(quote!(r), &g.debug(cx, a, &quote!(v)));
            let shown = if is_token(&shown_item, "r") {
                quote!(self.#name().map(::nlspec_rt::display::Fallible))
            } else {
                quote!(self.#name().map(|r| ::nlspec_rt::display::Fallible(#shown_item)))
            };
            self.debug.push(quote! {
                if self.#name().next().is_some() {
                    d.field(#aname, &::nlspec_rt::display::List(#shown));
                }
            });
            let conv = g.to_owned(cx, a, &quote!(v));
            self.owned_fields.push(quote!(#adoc pub #name: ::std::vec::Vec<#owned_ty>,));
            let result = ok_of(conv);
            self.owned_init.push(quote! {
                #name: self
                    .#name()
                    .map(|v| {
                        let v = v?;
                        #result
                    })
                    .collect::<::core::result::Result<::std::vec::Vec<_>, _>>()?,
            });
            return;
        }
        let acc = g.client_accessors(cx, a, &ClientAccessor { set: id, name, ty });
        self.getters.push(acc.getter);
        self.debug.push(acc.debug);
        self.owned_fields.push(acc.owned_field);
        self.owned_init.push(acc.owned_init);
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

/// A set's encoder, and its array encoder when `array_elem` ([`array_element_sets`]).
pub fn encoder(cx: &Cx, id: SetId, array_elem: bool) -> TokenStream {
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

/// Size in bytes of a set's view (the attribute bytes and, for sets with nests, the nesting
/// depth), to tell which enums holding views in place get clippy's `large_enum_variant`; see
/// [`large_variants`].
pub const VIEW_SIZE: usize = 24;

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

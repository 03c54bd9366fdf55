//! One Rust type per YNL attribute kind: everything the emitters need to know about an
//! attribute's type lives with that type.
//!
//! Each kind implements [`AttrGen`]. The client emitter asks it for the value stored in a
//! decoded view, the token stream that parses an `nlspec_rt::Attr` into that value, the getter
//! type and expression, the owned type, the builder parameters and the `put_*` statements, the
//! schema-table entry and how the value prints. The kernel side is on the same trait
//! (`kernel_policy`, `kernel_get`, `kernel_put`); the runtime primitives share their names on
//! both sides (see ARCHITECTURE.md), so the put/get tokens serve both.
//!
//! Token conventions: expressions refer to `nlspec_rt` through the path `::nlspec_rt` on the
//! client side; the caller passes the names (`attr`, `w`, `depth`) that the tokens may use.

pub mod binary;
pub mod bitfield32;
pub mod flag;
pub mod indexed_array;
pub mod names;
pub mod nest;
pub mod nest_type_value;
pub mod pad;
pub mod policy;
pub mod scalar;
pub mod string;
pub mod sub_message;

pub use binary::Binary;
pub use bitfield32::Bitfield32;
pub use flag::Flag;
pub use indexed_array::IndexedArray;
pub use names::TypeNames;
pub use nest::Nest;
pub use nest_type_value::NestTypeValue;
pub use pad::Pad;
pub use policy::PolicyStatics;
pub use scalar::Scalar;
pub use string::Str;
pub use sub_message::SubMessage;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use nlspec_model::ir::{self, AttrType, EnumId, EnumKind, Family, SetId, StructId};

/// What token generation needs: the family and the names of its generated types.
pub struct Cx<'f> {
    /// The family being emitted.
    pub fam: &'f Family,
    /// Rust names of its generated types.
    pub names: TypeNames,
}

/// An identifier (raw identifiers are not needed: [`nlspec_model::names`] already escapes keywords).
pub fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

impl<'f> Cx<'f> {
    /// Context for `fam`, with collision-free type names.
    pub fn new(fam: &'f Family) -> Self {
        Cx { fam, names: TypeNames::new(fam) }
    }
    /// View type of a set (`Entry`).
    pub fn set_ty(&self, id: SetId) -> Ident {
        ident(&self.names.sets[id.0])
    }
    /// Owned type of a set (`EntryOwned`).
    pub fn set_owned(&self, id: SetId) -> Ident {
        ident(&format!("{}Owned", self.names.sets[id.0]))
    }
    /// Encoder type of a set (`EntryEncoder`).
    pub fn set_encoder(&self, id: SetId) -> Ident {
        ident(&format!("{}Encoder", self.names.sets[id.0]))
    }
    /// Encoder of arrays whose elements are nests of a set (`TagArrayEncoder`).
    pub fn set_array_encoder(&self, id: SetId) -> Ident {
        ident(&format!("{}ArrayEncoder", self.names.sets[id.0]))
    }
    /// Schema table static of a set (`schema::ENTRY`).
    pub fn set_schema(&self, id: SetId) -> Ident {
        ident(&nlspec_model::names::screaming(&self.fam.set(id).name))
    }
    /// Module of a set's attribute-type constants (`attrs::entry`).
    pub fn set_attrs_mod(&self, id: SetId) -> Ident {
        ident(&nlspec_model::names::snake(&self.fam.set(id).name))
    }
    /// Name of an attribute's type constant in its set's module (`KEY`).
    pub fn attr_const_name(a: &ir::Attr) -> Ident {
        ident(&nlspec_model::names::screaming(&a.name))
    }
    /// Path of an attribute's type constant (`attrs::entry::KEY`), usable as an expression
    /// and as a pattern.
    pub fn attr_const(&self, set: SetId, a: &ir::Attr) -> TokenStream {
        let m = self.set_attrs_mod(set);
        let c = Self::attr_const_name(a);
        quote!(attrs::#m::#c)
    }
    /// Rust type of enum `id`.
    pub fn enum_ty(&self, id: EnumId) -> Ident {
        ident(&self.names.enums[id.0])
    }
    /// Integer type behind enum `id` (`u32`, or `u64` for wide values).
    pub fn enum_repr(&self, id: EnumId) -> Ident {
        ident(self.names.enum_repr[id.0])
    }
    /// Rust type of struct `id`.
    pub fn struct_ty(&self, id: StructId) -> Ident {
        ident(&self.names.structs[id.0])
    }
    /// Kernel: typed view of a received nest of a set (`EntryView`).
    pub fn set_view(&self, id: SetId) -> Ident {
        format_ident!("{}View", self.names.sets[id.0])
    }
    /// Kernel: writer of a nest of a set (`EntryWriter`).
    pub fn set_writer(&self, id: SetId) -> Ident {
        format_ident!("{}Writer", self.names.sets[id.0])
    }
    /// Kernel: writer of an indexed array of nests of a set (`EntryArray`).
    pub fn set_array_writer(&self, id: SetId) -> Ident {
        format_ident!("{}Array", self.names.sets[id.0])
    }
    /// Kernel: writer of type-value nests of a set (`EntrySlots`).
    pub fn set_slots_writer(&self, id: SetId) -> Ident {
        format_ident!("{}Slots", self.names.sets[id.0])
    }
    /// Kernel: trait of the setters of a set's attributes (`EntryAttrs`).
    pub fn set_attrs_trait(&self, id: SetId) -> Ident {
        format_ident!("{}Attrs", self.names.sets[id.0])
    }
    /// Kernel: policy table of a nest of a set (`ENTRY_NEST_POLICY`).
    pub fn nest_policy(&self, id: SetId) -> Ident {
        format_ident!("{}_NEST_POLICY", nlspec_model::names::screaming(&self.fam.set(id).name))
    }
    /// Kernel: the policy value-check type of an enum (`KindCheck`).
    pub fn enum_check(&self, id: EnumId) -> Ident {
        format_ident!("{}Check", self.names.enums[id.0])
    }
    /// Whether the set's owned form must be boxed when nested.
    pub fn boxed(&self, id: SetId) -> bool {
        self.names.recursive[id.0]
    }
    /// Type of an integer-valued attribute's value as the user sees it: an enum or flags
    /// newtype if it names one, else the plain integer.
    pub fn int_value_ty(&self, a: &ir::Attr, plain: &TokenStream) -> TokenStream {
        match self.value_enum(a.enum_, a.enum_as_flags) {
            Some(e) => {
                let t = self.enum_ty(e);
                quote!(#t)
            }
            None => plain.clone(),
        }
    }
    /// The enum/flags newtype a value is typed with: its `enum`, unless `enum-as-flags` names
    /// a plain enum (whose values are bit numbers, so the mask stays a plain integer).
    pub fn value_enum(&self, e: Option<EnumId>, as_flags: bool) -> Option<EnumId> {
        value_enum(self.fam, e, as_flags)
    }
}

/// The enum/flags definition a value is typed with (see [`Cx::value_enum`]); shared by the
/// client and kernel emitters.
pub fn value_enum(f: &Family, e: Option<EnumId>, as_flags: bool) -> Option<EnumId> {
    e.filter(|e| !as_flags || f.enum_(*e).kind == EnumKind::Flags)
}

/// Rust integer type of a fixed-width or variable-width YNL integer type.
pub fn int_ty(t: AttrType) -> Option<TokenStream> {
    Some(match t {
        AttrType::U8 => quote!(u8),
        AttrType::U16 => quote!(u16),
        AttrType::U32 => quote!(u32),
        AttrType::U64 | AttrType::Uint => quote!(u64),
        AttrType::S8 => quote!(i8),
        AttrType::S16 => quote!(i16),
        AttrType::S32 => quote!(i32),
        AttrType::S64 | AttrType::Sint => quote!(i64),
        _ => return None,
    })
}

/// `recv.map(|v| body)` for a closure over `v`, written without the closure where it is the
/// identity (`recv`) or a call of a path on `v` alone (`recv.map(path)`), as clippy wants.
pub fn map_v(recv: TokenStream, body: &TokenStream) -> TokenStream {
    match closure_shape(body) {
        Shape::Identity => recv,
        Shape::PathCall(path) => quote!(#recv.map(#path)),
        Shape::Other => quote!(#recv.map(|v| #body)),
    }
}

enum Shape {
    Identity,
    PathCall(TokenStream),
    Other,
}

/// Whether `body` (over the variable `v`) is `v` itself or `some::path(v)`.
fn closure_shape(body: &TokenStream) -> Shape {
    use proc_macro2::{Delimiter, TokenTree};
    let tts: Vec<TokenTree> = body.clone().into_iter().collect();
    let is_v = |t: &TokenTree| matches!(t, TokenTree::Ident(i) if i == "v");
    match tts.as_slice() {
        [t] if is_v(t) => Shape::Identity,
        [path @ .., TokenTree::Group(g)]
            if g.delimiter() == Delimiter::Parenthesis
                && !path.is_empty()
                && matches!(g.stream().into_iter().collect::<Vec<_>>().as_slice(), [t] if is_v(t))
                && path.iter().all(|t| matches!(t, TokenTree::Ident(_) | TokenTree::Punct(_))) =>
        {
            Shape::PathCall(path.iter().cloned().collect())
        }
        _ => Shape::Other,
    }
}

/// `expr as to`, or `expr` when it already has type `to` (`from`).
pub fn cast(expr: TokenStream, from: &TokenStream, to: &TokenStream) -> TokenStream {
    if from.to_string() == to.to_string() {
        expr
    } else {
        quote!(#expr as #to)
    }
}

/// A literal `u16` attribute type number.
pub fn ty_lit(v: u16) -> proc_macro2::Literal {
    proc_macro2::Literal::u16_unsuffixed(v)
}

/// Code generation of one attribute kind.
///
/// Client side: a decoded set view stores one `stored_ty` per (non-multi) attribute, filled by
/// `parse` while the set is decoded (so all validation happens up front and getters are
/// infallible); the getter returns `view(stored)` of type `view_ty`. Multi-attr attributes are
/// stored nowhere: their getter iterates the set's bytes and applies `parse` + `view` to each
/// occurrence (all validated at decode time).
///
/// Kernel side (added by the kernel emitter): the `nla_policy` entry and the kernel's put/get.
pub trait AttrGen: Sync {
    /// Type stored in the view struct; `None` if nothing is stored (pad, unused).
    fn stored_ty(&self, cx: &Cx, a: &ir::Attr) -> Option<TokenStream>;
    /// Expression of type `Result<stored_ty, DecodeError>` parsing the `nlspec_rt::Attr` named
    /// by `attr`; nested decoders get nesting depth `depth + 1`.
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, depth: &TokenStream) -> TokenStream;
    /// For kinds whose parse cannot fail (raw bytes, lax strings): the expression of type
    /// `stored_ty` itself, so generated code does not wrap it in `Ok` just to unwrap it.
    fn parse_infallible(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream) -> Option<TokenStream> {
        let _ = (cx, a, attr);
        None
    }
    /// Getter type (inside `Option` for single attributes, the item type for multi-attr);
    /// may use lifetime `'a`.
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream;
    /// Expression turning a stored value `v` into the getter type (infallible).
    fn view(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream;
    /// Owned (no borrowed data) type.
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream;
    /// Expression turning a getter value `v` into the owned type.
    fn to_owned(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream;
    /// Builder method parameters (after `self`), e.g. `v: &str`.
    fn setter_params(&self, cx: &Cx, a: &ir::Attr) -> TokenStream;
    /// Statements writing the attribute with type number `ty` to the `&mut AttrWriter` named
    /// `w`, using the names from `setter_params`.
    fn put(&self, cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream;
    /// Schema table entry kind (`NestKind::...`), for extended-ACK attribute paths.
    fn schema_nest(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let _ = (cx, a);
        quote!(::nlspec_rt::NestKind::None)
    }
    /// Expression producing something `Debug` from a getter value `v` (display hints).
    fn debug(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        let _ = (cx, a);
        quote!(#v)
    }
    /// Extra getters on the view (e.g. lossless `*_bytes` for strings, a sub-message decoded
    /// by its selector).
    fn extra_getters(&self, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> TokenStream {
        let _ = (cx, a, acc);
        TokenStream::new()
    }
    /// The view's getter of a single (not multi-attr) attribute, its `Debug` line and its
    /// field in the owned form: by default `Option<view_ty>` (see [`option_accessors`]).
    fn client_accessors(&self, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
        option_accessors(self, cx, a, acc)
    }
    /// Whether the attribute holds nests of a set as repeated elements (arrays and type-value
    /// nests get element writers on both sides).
    fn elements(&self, a: &ir::Attr) -> Option<Elements> {
        let _ = a;
        None
    }
    /// Whether the attribute can be built in a request (sub-messages and unused cannot).
    fn encodable(&self, a: &ir::Attr) -> bool {
        let _ = a;
        true
    }

    // ---- kernel side (`nl` is the module's nlspec_support)

    /// Kernel: the `nla_policy` entry, an expression of type `nl::Policy` built with the
    /// support layer's const fns. Statics it needs (u64 ranges, enum value checks) go to `st`,
    /// named from `prefix`.
    fn kernel_policy(&self, cx: &Cx, st: &mut PolicyStatics, a: &ir::Attr, prefix: &str) -> TokenStream {
        let _ = (cx, st, a, prefix);
        quote!(nl::Policy::unspec())
    }
    /// Kernel: the typed getter of request views: the value type (may use `'a`) and an
    /// expression decoding the `nl::Attr<'a>` named `a` into `nl::Result<type>`. `None`: the
    /// view offers the raw attribute only.
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<(TokenStream, TokenStream)> {
        let _ = (cx, a);
        None
    }
    /// Kernel: the getters of the attribute on a request view (see [`KernelGetter`]): by
    /// default `name() -> Result<Option<T>>`, `require_name() -> Result<T>` and the raw
    /// `name_attr()` from [`AttrGen::kernel_get`]; an iterator for multi-attr.
    fn kernel_view_getters(&self, cx: &Cx, a: &ir::Attr, g: &KernelGetter) -> TokenStream {
        g.standard(a, self.kernel_get(cx, a))
    }
    /// Kernel: the reply-builder setter: parameters (after `&mut self`) and statements writing
    /// attribute type `ty` of set `set` into the `&mut nl::Writer` named `w`. `None`: no setter.
    fn kernel_put(&self, cx: &Cx, set: SetId, a: &ir::Attr, ty: &TokenStream) -> Option<(TokenStream, TokenStream)> {
        let _ = (cx, set, a, ty);
        None
    }
}

/// Method names the generated client types use themselves; an attribute with one of these
/// names gets the suffix `_attr` on its getter/setter.
const RESERVED_METHODS: &[&str] = &[
    "new",
    "decode",
    "decode_nested",
    "raw",
    "unknown_attrs",
    "to_owned",
    "item",
    "item_at",
    "nlm_flags",
    "encoded_attrs",
    "fixed_header",
    "default",
    "clone",
    "fmt",
    "into_inner",
];

/// Client: getter/setter name of an attribute.
pub fn method_name(a: &ir::Attr) -> Ident {
    if RESERVED_METHODS.contains(&a.rust_name.as_str()) {
        format_ident!("{}_attr", a.rust_name)
    } else {
        ident(&a.rust_name)
    }
}

/// Client: stored field name of an attribute in a view.
pub fn field_name(a: &ir::Attr) -> Ident {
    format_ident!("f_{}", a.rust_name.trim_start_matches('_').trim_end_matches('_'))
}

/// Where a client view's accessors of one attribute go.
pub struct ClientAccessor {
    /// The view's set.
    pub set: SetId,
    /// The stored field ([`field_name`]).
    pub field: Ident,
    /// The getter ([`method_name`]).
    pub name: Ident,
}

/// A client view's accessors of one attribute.
pub struct ClientAccessors {
    /// Getter method(s).
    pub getter: TokenStream,
    /// Statement adding the value to the `DebugStruct` named `d`.
    pub debug: TokenStream,
    /// Field of the owned form.
    pub owned_field: TokenStream,
    /// Its initializer in `to_owned`.
    pub owned_init: TokenStream,
}

/// `name() -> Option<view_ty>`, shown when present, `Option<owned_ty>` when owned.
pub fn option_accessors<G: AttrGen + ?Sized>(g: &G, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
    let (field, name, aname) = (&acc.field, &acc.name, &a.name);
    let adoc = doc_attrs(a.doc.as_deref());
    let view_ty = g.view_ty(cx, a);
    let owned_ty = g.owned_ty(cx, a);
    let v = g.view(cx, a, &quote!(v));
    let extra = g.extra_getters(cx, a, acc);
    let dv = g.debug(cx, a, &quote!(v));
    let conv = g.to_owned(cx, a, &quote!(v));
    let getter_body = map_v(quote!(self.#field), &v);
    let owned_init = map_v(quote!(self.#name()), &conv);
    ClientAccessors {
        getter: quote! {
            #adoc
            pub fn #name(&self) -> ::core::option::Option<#view_ty> {
                #getter_body
            }
            #extra
        },
        debug: quote! {
            if let ::core::option::Option::Some(v) = self.#name() {
                d.field(#aname, &#dv);
            }
        },
        owned_field: quote!(#adoc pub #name: ::core::option::Option<#owned_ty>,),
        owned_init: quote!(#name: #owned_init,),
    }
}

/// `name() -> impl Iterator` (empty when absent), for arrays and type-value nests.
pub fn iter_accessors<G: AttrGen + ?Sized>(g: &G, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
    let (field, name, aname) = (&acc.field, &acc.name, &a.name);
    let adoc = doc_attrs(a.doc.as_deref());
    let view_ty = g.view_ty(cx, a);
    let owned_ty = g.owned_ty(cx, a);
    let v = g.view(cx, a, &quote!(v));
    let dv = g.debug(cx, a, &quote!(self.#name()));
    let conv = g.to_owned(cx, a, &quote!(self.#name()));
    ClientAccessors {
        getter: quote! {
            #adoc
            #[doc = ""]
            #[doc = " Empty when the attribute is absent."]
            pub fn #name(&self) -> #view_ty {
                self.#field.into_iter().flat_map(move |v| #v)
            }
        },
        debug: quote! {
            if self.#field.is_some() {
                d.field(#aname, &#dv);
            }
        },
        owned_field: quote!(#adoc pub #name: #owned_ty,),
        owned_init: quote!(#name: #conv,),
    }
}

/// Repeated nests of a set inside an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elements {
    /// An indexed array of nests of the set.
    Indexed(SetId),
    /// Nest-type-value: `levels` nested levels of type-carries-a-value nests, the innermost
    /// of the set.
    TypeValue {
        /// The innermost set.
        set: SetId,
        /// Number of type-value levels.
        levels: usize,
    },
}

/// Names a kernel request view's getters of one attribute use.
pub struct KernelGetter {
    /// The getter (`key`).
    pub name: Ident,
    /// The raw-attribute getter (`key_attr`).
    pub raw: Ident,
    /// The required getter (`require_key`).
    pub require: Ident,
    /// The attribute's type constant (`attrs::entry::KEY`).
    pub ty_const: TokenStream,
    /// Whether the view wraps the `nl::Request` (`self.raw`), else a nest's `nl::Attrs`
    /// (`self.attrs`, `self.nest`).
    pub top: bool,
}

impl KernelGetter {
    /// `key_attr()`: the raw attribute.
    pub fn raw_getter(&self) -> TokenStream {
        let (raw, tc) = (&self.raw, &self.ty_const);
        let find = if self.top { quote!(self.raw.attr(#tc)) } else { quote!(self.attrs.find(#tc).ok().flatten()) };
        quote! {
            /// The raw attribute (for `Error::attr`), if present.
            pub fn #raw(&self) -> Option<nl::Attr<'a>> { #find }
        }
    }

    /// The getters of a value of type `ty` decoded by `get` from the `nl::Attr` named `a`
    /// (`None`: the raw getter only).
    pub fn standard(&self, a: &ir::Attr, value: Option<(TokenStream, TokenStream)>) -> TokenStream {
        let raw_getter = self.raw_getter();
        let Some((ty, get)) = value else { return raw_getter };
        let (g, greq, tc) = (&self.name, &self.require, &self.ty_const);
        let d = doc_attrs(a.doc.as_deref());
        if a.multi_attr {
            let all = if self.top { quote!(self.raw.all_attrs()) } else { quote!(self.attrs.clone()) };
            return quote! {
                #d
                #[doc = ""]
                #[doc = " Every occurrence, in message order."]
                pub fn #g(&self) -> ArrayIter<'a, #ty> { ArrayIter::new(#all, Some(#tc), |a| #get) }
            };
        }
        let (lookup, require) = if self.top {
            (quote!(self.raw.attr(#tc)), quote!(self.raw.require(#tc)?))
        } else {
            (
                quote!(self.attrs.find(#tc)?),
                quote!(self.attrs.find(#tc)?.ok_or_else(|| {
                    let e = nl::Error::EINVAL.msg(c"missing required attribute");
                    match &self.nest {
                        Some(n) => e.missing_in(n, #tc),
                        None => e.missing(#tc),
                    }
                })?),
            )
        };
        let rd = doc_attrs(Some(&format!("`{}`, or `EINVAL` (extended ACK: missing attribute) if absent.", a.name)));
        quote! {
            #d
            pub fn #g(&self) -> nl::Result<Option<#ty>> {
                match #lookup {
                    Some(a) => {
                        let v: nl::Result<#ty> = #get;
                        Ok(Some(v?))
                    }
                    None => Ok(None),
                }
            }
            #rd
            pub fn #greq(&self) -> nl::Result<#ty> {
                let a = #require;
                let v: nl::Result<#ty> = #get;
                v
            }
            #raw_getter
        }
    }
}

/// The generator of an attribute's kind.
pub fn gen(a: &ir::Attr) -> &'static dyn AttrGen {
    match &a.kind {
        ir::AttrKind::Unused | ir::AttrKind::Pad => &Pad,
        ir::AttrKind::Flag => &Flag,
        ir::AttrKind::U8
        | ir::AttrKind::U16
        | ir::AttrKind::U32
        | ir::AttrKind::U64
        | ir::AttrKind::S8
        | ir::AttrKind::S16
        | ir::AttrKind::S32
        | ir::AttrKind::S64
        | ir::AttrKind::Uint
        | ir::AttrKind::Sint => &Scalar,
        ir::AttrKind::String => &Str,
        ir::AttrKind::Binary => &Binary,
        ir::AttrKind::Nest { .. } => &Nest,
        ir::AttrKind::IndexedArray { .. } => &IndexedArray,
        ir::AttrKind::NestTypeValue { .. } => &NestTypeValue,
        ir::AttrKind::Bitfield32 => &Bitfield32,
        ir::AttrKind::SubMessage { .. } => &SubMessage,
    }
}

/// Rust expression for a spec's doc text as `#[doc]` attributes (nothing for `None`).
pub fn doc_attrs(doc: Option<&str>) -> TokenStream {
    match doc {
        Some(d) if !d.trim().is_empty() => {
            let lines = d.trim_end().lines().map(|l| {
                // Leading indentation is dropped: rustdoc would read it as a code block.
                let l = format!(" {}", l.trim());
                quote!(#[doc = #l])
            });
            quote!(#(#lines)*)
        }
        _ => TokenStream::new(),
    }
}

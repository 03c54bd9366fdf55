//! The per-kind interface ([`AttrGen`]) and what its methods exchange with the emitters:
//! client view accessors, kernel codecs, repeated-element shapes.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::cx::{doc_attrs, map_v, Cx};
use super::policy::PolicyStatics;
use nlspec_model::ir::{self, SetId};

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
    /// A second builder method, `<name>_bytes(v: &[u8])`, for kinds whose value has a lossless
    /// byte form (strings, which the kernel does not require to be UTF-8): the statements
    /// writing `v` to `w`, like [`AttrGen::put`].
    fn put_bytes(&self, cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> Option<TokenStream> {
        let _ = (cx, a, w, ty);
        None
    }
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
    /// Kernel: the attribute's codec in request views, in the support layer's vocabulary
    /// (`str`, `u32 as Kind`, `nest TagView`, `array nest TagView`, `slots MetaItemView`...; see
    /// `nlspec_support.rs`): the getter's value type and decoding. `None`: the view offers the
    /// raw attribute only.
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<String> {
        let _ = (cx, a);
        None
    }
    /// Kernel: the attribute's codec in reply builders (same vocabulary; writers instead of
    /// views, `pad(PAD)` for padded 64-bit values) for set `set`. `None`: no setter.
    fn kernel_put(&self, cx: &Cx, set: SetId, a: &ir::Attr) -> Option<String> {
        let _ = (cx, set, a);
        None
    }
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
    // An attribute named `len` is a value of the message, not the view's length.
    let allow = if name == "len" {
        quote!(#[allow(clippy::len_without_is_empty, reason = "the getter of attribute `len`, not a collection length")])
    } else {
        quote!()
    };
    ClientAccessors {
        getter: quote! {
            #adoc
            #allow
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

//! The per-kind interface ([`AttrGen`]) and what its methods exchange with the emitters:
//! client view accessors, kernel codecs, repeated-element shapes.

use crate::tokens::{quote, Ident, TokenStream};

use super::cx::{doc_attrs, has_punct, is_token, map_v, uses_depth, Cx};
use super::policy::PolicyStatics;
use nlspec_model::ir::{self, SetId};

/// Code generation of one attribute kind.
///
/// Client side: a set's view is the attribute bytes and nothing else; a getter finds its
/// attribute when called (the first of its type, walking from the start, every header it
/// passes checked), `parse`s it and returns `view(parsed)` of type `view_ty`, or the error of
/// what it read (`Result<Option<view_ty>, DecodeError>`). Nests are views of their own, read
/// the same way when their getters are called, so reading a few attributes costs what they
/// cost, and a malformed part of a message is reported by the getter that reads it. Multi-attr
/// getters iterate every occurrence, each a `Result`.
///
/// Kernel side (added by the kernel emitter): the `nla_policy` entry and the kernel's put/get.
pub trait AttrGen: Sync {
    /// Whether a view has a getter for the attribute (not for pad).
    fn has_getter(&self) -> bool {
        true
    }
    /// Expression of type `Result<P, DecodeError>` parsing the `nlspec_rt::Attr` named by
    /// `attr` into the value `view` turns into the getter's type, read in a view at nesting
    /// depth `depth` (nested views get `depth + 1`).
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, depth: &TokenStream) -> TokenStream;
    /// For kinds whose parse cannot fail (raw bytes, lax strings, arrays read lazily): the
    /// parsed value itself, so generated code does not wrap it in `Ok` just to unwrap it.
    fn parse_infallible(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream) -> Option<TokenStream> {
        let _ = (cx, a, attr);
        None
    }
    /// Getter type (inside `Option` for single attributes, the item type for multi-attr);
    /// may use lifetime `'a`.
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream;
    /// Expression turning a parsed value `v` into the getter type (infallible).
    fn view(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream;
    /// Owned (no borrowed data) type.
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream;
    /// Expression turning a getter value `v` into the owned type; may use `?` on a
    /// `Result<_, DecodeError>` (it is evaluated where that returns from the owned copy).
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
    /// The getter ([`super::cx::method_name`]).
    pub name: Ident,
    /// The attribute's type constant (an expression).
    pub ty: TokenStream,
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

/// `name() -> Result<Option<view_ty>>`, shown when present, `Option<owned_ty>` when owned.
pub fn option_accessors<G: AttrGen + ?Sized>(g: &G, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
    let (name, aname) = (&acc.name, &a.name);
    let adoc = doc_attrs(a.doc.as_deref());
    let view_ty = g.view_ty(cx, a);
    let owned_ty = g.owned_ty(cx, a);
    let v = g.view(cx, a, &quote!(v));
    let extra = g.extra_getters(cx, a, acc);
    let dv = g.debug(cx, a, &quote!(v));
    let conv = g.to_owned(cx, a, &quote!(v));
    let ty = &acc.ty;
    // `Attrs::read` / `find` locate the attribute; the kind reads it; the view types it.
    let body = match g.parse_infallible(cx, a, &quote!(attr)) {
        Some(p) => {
            let find = quote!(::nlspec_rt::Attrs::new(self.raw).find(#ty));
            if is_token(&p, "attr") && is_token(&v, "v") {
                find // the attribute itself (a sub-message's raw payload)
            } else {
                let attrs = if is_token(&p, "attr") { quote!(#find?) } else { quote!(#find?.map(|attr| #p)) };
                let found = map_v(attrs, &v);
                quote!(::core::result::Result::Ok(#found))
            }
        }
        None => {
            let p = g.parse(cx, a, &quote!(attr), &quote!(self.depth));
            let read = quote!(::nlspec_rt::Attrs::new(self.raw).read(#ty, #aname, |attr| #p));
            if is_token(&v, "v") {
                read
            } else {
                let typed = map_v(quote!(#read?), &v);
                quote!(::core::result::Result::Ok(#typed))
            }
        }
    };
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
            #[inline]
            pub fn #name(&self) -> ::core::result::Result<::core::option::Option<#view_ty>, ::nlspec_rt::DecodeError> {
                #body
            }
            #extra
        },
        debug: match shown_by(&dv) {
            None => quote!(::nlspec_rt::display::attr(&mut d, #aname, self.#name());),
            Some(show) => quote!(::nlspec_rt::display::attr_as(&mut d, #aname, self.#name(), #show);),
        },
        owned_field: quote!(#adoc pub #name: ::core::option::Option<#owned_ty>,),
        owned_init: if has_punct(&conv, '?') {
            // a conversion that can fail (a nest read to the bottom) returns from `to_owned`
            quote! {
                #name: match self.#name()? {
                    ::core::option::Option::Some(v) => ::core::option::Option::Some(#conv),
                    ::core::option::Option::None => ::core::option::Option::None,
                },
            }
        } else {
            let owned = map_v(quote!(self.#name()?), &conv);
            quote!(#name: #owned,)
        },
    }
}

/// `name() -> Result<impl Iterator<Item = Result<..>>>` (empty when absent), for arrays and
/// type-value nests: the kind's `parse_infallible` is the iterator over the attribute (nests
/// in it viewed below `depth`, bound here).
pub fn iter_accessors<G: AttrGen + ?Sized>(g: &G, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
    let (name, aname) = (&acc.name, &a.name);
    let adoc = doc_attrs(a.doc.as_deref());
    let view_ty = g.view_ty(cx, a);
    let owned_ty = g.owned_ty(cx, a);
    let ty = &acc.ty;
    let items = g.parse_infallible(cx, a, &quote!(attr)).unwrap_or_else(|| quote!(::core::iter::empty()));
    // nests of a set are viewed one level below this view
    let depth = if uses_depth(&items) { quote!(let depth = self.depth;) } else { quote!() };
    let conv = g.to_owned(cx, a, &quote!(self.#name()?));
    ClientAccessors {
        getter: quote! {
            #adoc
            #[doc = ""]
            #[doc = " Empty when the attribute is absent; each element is read when iterated."]
            #[inline]
            pub fn #name(&self) -> ::core::result::Result<#view_ty, ::nlspec_rt::DecodeError> {
                let attr = ::nlspec_rt::Attrs::new(self.raw).find(#ty)?.unwrap_or(::nlspec_rt::Attr::new(#ty, &[]));
                #depth
                ::core::result::Result::Ok(#items)
            }
        },
        // each element a value or what is malformed in it (the kinds' `debug` here)
        debug: quote!(::nlspec_rt::display::elements(&mut d, #aname, self.#name());),
        owned_field: quote!(#adoc pub #name: #owned_ty,),
        owned_init: quote!(#name: #conv,),
    }
}

/// How a `Debug` line shows a getter's value `v`, from the expression `dv` of `v` the kind's
/// [`AttrGen::debug`] gives: `None` for `v` itself, a tuple struct's path for `Hex(v)` (no
/// closure for clippy to call redundant), else `|v| dv`.
fn shown_by(dv: &TokenStream) -> Option<TokenStream> {
    use crate::tokens::{Delim, Tok};
    if is_token(dv, "v") {
        return None;
    }
    Some(match dv.toks().split_last() {
        Some((Tok::Group(Delim::Paren, inner), path))
            if matches!(inner.as_slice(), [Tok::Word(w)] if *w == "v")
                && path.iter().all(|t| matches!(t, Tok::Word(_) | Tok::Op(_))) =>
        {
            path.iter().cloned().collect()
        }
        _ => quote!(|v| #dv),
    })
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

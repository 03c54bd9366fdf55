//! `indexed-array`: a nest whose members' types are their indices; each member is a nest of a
//! set (`sub-type: nest`) or a scalar/string/binary. Getters iterate `(index, element)`.

use crate::tokens::{format_ident, quote, TokenStream};

use super::cx::{int_ty, ok_of, Cx};
use super::kind::{iter_accessors, AttrGen, ClientAccessor, ClientAccessors, Elements};
use super::nest::{owned_nest, owned_nest_ty};
use super::policy::{self, PolicyStatics};
use super::scalar::{prim, scalar_codec};
use nlspec_model::ir::{self, AttrType, SetId};

/// Indexed arrays.
pub struct IndexedArray;

enum Elem {
    Nest(SetId),
    Int(AttrType),
    Str,
    Bytes,
    Struct(ir::StructId),
}

fn elem(a: &ir::Attr) -> Elem {
    match &a.kind {
        ir::AttrKind::IndexedArray { set: Some(s), .. } => Elem::Nest(*s),
        ir::AttrKind::IndexedArray { sub_type, .. } => match sub_type {
            AttrType::String => Elem::Str,
            AttrType::Binary => match a.struct_ {
                Some(s) => Elem::Struct(s),
                None => Elem::Bytes,
            },
            t if int_ty(*t).is_some() => Elem::Int(*t),
            _ => Elem::Bytes,
        },
        _ => Elem::Bytes,
    }
}

impl IndexedArray {
    /// Element type of the getter's iterator.
    fn elem_ty(cx: &Cx, a: &ir::Attr) -> TokenStream {
        match elem(a) {
            Elem::Nest(s) => {
                let t = cx.set_ty(s);
                quote!(#t<'a>)
            }
            Elem::Int(t) => int_ty(t).unwrap_or_else(|| quote!(u32)),
            Elem::Str => quote!(&'a str),
            Elem::Bytes => quote!(&'a [u8]),
            Elem::Struct(s) => {
                let t = cx.struct_ty(s);
                quote!(#t)
            }
        }
    }
    /// `Result<elem, DecodeError>` for member `x` (nests viewed at `depth`).
    fn elem_parse(cx: &Cx, a: &ir::Attr, x: &TokenStream, depth: &TokenStream) -> TokenStream {
        match elem(a) {
            Elem::Nest(s) => {
                let t = cx.set_ty(s);
                quote!(#t::decode_nested(#x.payload(), #depth))
            }
            Elem::Int(t) => {
                let g = format_ident!("get_{}", prim(t, None));
                quote!(#x.#g())
            }
            Elem::Str => quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(
                ::nlspec_rt::display::utf8_prefix(#x.get_str_bytes_lax())
            )),
            Elem::Bytes => quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#x.get_bytes())),
            Elem::Struct(s) => {
                let t = cx.struct_ty(s);
                quote!(#t::from_bytes(#x.payload()))
            }
        }
    }
    /// The iterator over the members of the array attribute `attr`; nests of a set are viewed
    /// below depth `depth` (a variable the getter binds).
    fn items(cx: &Cx, a: &ir::Attr, attr: &TokenStream) -> TokenStream {
        let n = &a.name;
        let e = Self::elem_ty(cx, a);
        let mv = if matches!(elem(a), Elem::Nest(_)) { quote!(move) } else { quote!() };
        let p = Self::elem_parse(cx, a, &quote!(x), &quote!(depth + 1));
        quote! {
            ::nlspec_rt::Attrs::new(#attr.payload()).map(#mv |x| -> ::core::result::Result<(u16, #e), ::nlspec_rt::DecodeError> {
                let x = x.map_err(|e| e.in_attr(#n))?;
                #p.map(|e| (x.ty(), e)).map_err(|e| e.at_element(usize::from(x.ty())).in_attr(#n))
            })
        }
    }
}

impl AttrGen for IndexedArray {
    fn parse(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream, _depth: &TokenStream) -> TokenStream {
        let items = Self::items(cx, a, attr);
        quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#items))
    }
    fn parse_infallible(&self, cx: &Cx, a: &ir::Attr, attr: &TokenStream) -> Option<TokenStream> {
        Some(Self::items(cx, a, attr))
    }
    fn view_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let e = Self::elem_ty(cx, a);
        quote!(impl ::core::iter::Iterator<Item = ::core::result::Result<(u16, #e), ::nlspec_rt::DecodeError>> + ::core::clone::Clone + 'a)
    }
    fn view(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(#v)
    }
    fn owned_ty(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        let e = match elem(a) {
            Elem::Nest(s) => owned_nest_ty(cx, s),
            Elem::Str => quote!(::std::string::String),
            Elem::Bytes => quote!(::std::vec::Vec<u8>),
            _ => Self::elem_ty(cx, a),
        };
        quote!(::std::vec::Vec<#e>)
    }
    fn to_owned(&self, cx: &Cx, a: &ir::Attr, v: &TokenStream) -> TokenStream {
        let n = &a.name;
        let (k, conv) = match elem(a) {
            Elem::Nest(s) => {
                (quote!(k), owned_nest(cx, s, &quote!(e), &quote!(.at_element(usize::from(k)).in_attr(#n))))
            }
            Elem::Str => (quote!(_), quote!(::std::string::String::from(e))),
            Elem::Bytes => (quote!(_), quote!(e.to_vec())),
            _ => (quote!(_), quote!(e)),
        };
        let result = ok_of(conv);
        quote! {
            #v.map(|r| {
                let (#k, e) = r?;
                #result
            })
            .collect::<::core::result::Result<::std::vec::Vec<_>, _>>()?
        }
    }
    fn setter_params(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        match elem(a) {
            Elem::Nest(s) => {
                let e = cx.set_array_encoder(s);
                quote!(f: impl ::core::ops::FnOnce(&mut #e<'_, '_>))
            }
            Elem::Int(t) => {
                let t = int_ty(t);
                quote!(items: &[#t])
            }
            Elem::Str => quote!(items: &[&str]),
            Elem::Bytes => quote!(items: &[&[u8]]),
            Elem::Struct(s) => {
                let t = cx.struct_ty(s);
                quote!(items: &[#t])
            }
        }
    }
    fn put(&self, cx: &Cx, a: &ir::Attr, w: &TokenStream, ty: &TokenStream) -> TokenStream {
        let each = match elem(a) {
            Elem::Nest(s) => {
                let e = cx.set_array_encoder(s);
                return quote! {
                    let nest = #w.nest_start(#ty);
                    f(&mut #e::new(&mut *#w));
                    #w.nest_end(nest);
                };
            }
            Elem::Int(t) => {
                let putter = format_ident!("put_{}", prim(t, None));
                quote!(#w.#putter(i as u16, *v);)
            }
            Elem::Str => quote!(#w.put_str(i as u16, v);),
            Elem::Bytes => quote!(#w.put_bytes(i as u16, v);),
            Elem::Struct(_) => quote!(#w.put_bytes(i as u16, &v.to_bytes());),
        };
        quote! {
            let nest = #w.nest_start(#ty);
            for (i, v) in items.iter().enumerate() {
                #each
            }
            #w.nest_end(nest);
        }
    }
    fn schema_nest(&self, cx: &Cx, a: &ir::Attr) -> TokenStream {
        match elem(a) {
            Elem::Nest(s) => {
                let s = cx.set_schema(s);
                quote!(::nlspec_rt::NestKind::Array(::core::option::Option::Some(&#s)))
            }
            _ => quote!(::nlspec_rt::NestKind::Array(::core::option::Option::None)),
        }
    }
    fn client_accessors(&self, cx: &Cx, a: &ir::Attr, acc: &ClientAccessor) -> ClientAccessors {
        iter_accessors(self, cx, a, acc)
    }
    fn elements(&self, a: &ir::Attr) -> Option<Elements> {
        match elem(a) {
            Elem::Nest(s) => Some(Elements::Indexed(s)),
            _ => None,
        }
    }
    fn debug(&self, _cx: &Cx, _a: &ir::Attr, v: &TokenStream) -> TokenStream {
        quote!(::nlspec_rt::display::List(#v.map(::nlspec_rt::display::Fallible)))
    }

    fn kernel_policy(&self, cx: &Cx, _st: &mut PolicyStatics, a: &ir::Attr, _prefix: &str) -> TokenStream {
        match &a.kind {
            ir::AttrKind::IndexedArray { sub_type: ir::AttrType::Nest, set: Some(s) } => policy::nested(cx, *s, true),
            _ => quote!(nl::Policy::nested_any()),
        }
    }
    fn kernel_get(&self, cx: &Cx, a: &ir::Attr) -> Option<String> {
        let ir::AttrKind::IndexedArray { sub_type, set } = &a.kind else { return None };
        match (sub_type, set) {
            (ir::AttrType::Nest, Some(s)) => Some(format!("array nest {}", cx.set_view(*s))),
            (st, _) => Some(format!("array {}", scalar_codec(cx, a, *st)?)),
        }
    }
    fn kernel_put(&self, cx: &Cx, _set: ir::SetId, a: &ir::Attr) -> Option<String> {
        let ir::AttrKind::IndexedArray { sub_type, set } = &a.kind else { return None };
        match (sub_type, set) {
            (ir::AttrType::Nest, Some(s)) => Some(format!("array nest {}", cx.set_array_writer(*s))),
            (ir::AttrType::Flag, _) => None,
            (st, _) => Some(format!("array {}", scalar_codec(cx, a, *st)?)),
        }
    }
}

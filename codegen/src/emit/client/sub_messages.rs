//! Sub-messages (netlink-raw): one enum per sub-message, a variant per format, decoded by the
//! selector's value.

use crate::tokens::{quote, TokenStream};

use super::sets::{large_variants, struct_size, VIEW_SIZE};
use crate::attr::{ident, Cx};

/// One enum per sub-message: a variant per format (its fixed header and/or attribute view),
/// plus `Unknown` for selector values this client does not know.
pub fn sub_messages(cx: &Cx) -> TokenStream {
    let items = cx.fam.sub_messages.iter().enumerate().map(|(i, sm)| {
        let t = ident(&cx.names.sub_messages[i]);
        let doc = format!(" Sub-message `{}`: the payload's format chosen by the selector's value.", sm.name);
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        for f in &sm.formats {
            let v = ident(&f.rust_name);
            let val = &f.value;
            let vdoc = format!(" Selector value `{val}`.");
            let (fields, build) = match (f.fixed_header, f.attribute_set) {
                (Some(h), Some(set)) => {
                    let ht = cx.struct_ty(h);
                    let st = cx.set_ty(set);
                    (
                        quote!((#ht, #st<'a>)),
                        quote!({
                            let h = #ht::from_bytes(payload)?;
                            Self::#v(h, #st::decode_nested(payload.get(#ht::SIZE..).unwrap_or_default(), depth + 1)?)
                        }),
                    )
                }
                (Some(h), None) => {
                    let ht = cx.struct_ty(h);
                    (quote!((#ht)), quote!(Self::#v(#ht::from_bytes(payload)?)))
                }
                (None, Some(set)) => {
                    let st = cx.set_ty(set);
                    (quote!((#st<'a>)), quote!(Self::#v(#st::decode_nested(payload, depth + 1)?)))
                }
                (None, None) => (quote!((&'a [u8])), quote!(Self::#v(payload))),
            };
            variants.push(quote!(#[doc = #vdoc] #v #fields,));
            arms.push(quote!(#val => #build,));
        }
        // Variants hold decoded views and headers in place: boxing the large ones would
        // allocate per decoded message (the clients promise none).
        let mut sizes: Vec<usize> = sm
            .formats
            .iter()
            .map(|f| {
                f.fixed_header.map_or(0, |h| struct_size(cx, h))
                    + f.attribute_set.map_or(0, |_| VIEW_SIZE)
            })
            .collect();
        sizes.push(16); // Unknown
        let allow = if large_variants(sizes) {
            quote!(#[allow(clippy::large_enum_variant, reason = "formats are decoded in place: boxing would allocate per decoded message")])
        } else {
            quote!()
        };
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy)]
            #allow
            pub enum #t<'a> {
                #(#variants)*
                /// A selector value this client does not know: the raw payload.
                Unknown(&'a [u8]),
            }
            impl<'a> #t<'a> {
                /// Decode `payload` as the format that selector value `selector` names.
                pub fn decode(selector: &str, payload: &'a [u8]) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                    Self::decode_nested(selector, payload, 0)
                }
                #[doc(hidden)]
                pub fn decode_nested(selector: &str, payload: &'a [u8], depth: u32) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                    let _ = depth;
                    ::core::result::Result::Ok(match selector {
                        #(#arms)*
                        _ => Self::Unknown(payload),
                    })
                }
            }
        }
    });
    quote!(#(#items)*)
}

//! Kernel side of the family's numbers: `FAMILY_NAME`/`FAMILY_VERSION`, `cmd::*`,
//! `attrs::<set>::*` and `mcgrp::*`; the spec's consts and structs (shared with the client,
//! [`crate::emit::defs`]); enums and flags as invocations of the support layer's
//! `nl::enum_type!`/`nl::flags_type!` (the impls live there).

use std::collections::HashSet;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::common::{cmd_u8, cstr, doc_str, KernelGenError, MacroText};
use crate::attr::doc_attrs as doc;
use crate::attr::{ident, Cx};
use crate::emit::defs::{self, Side};
use nlspec_model::ir::{self, EnumKind};
use nlspec_model::names;

/// The definitions part of `<module>_genl.rs`.
pub(super) fn items(cx: &Cx) -> Result<TokenStream, KernelGenError> {
    let f = cx.fam;
    let fam_name_lit = cstr(&f.name)?;
    let version = Literal::u32_unsuffixed(f.version);
    let mut cmd_items = Vec::new();
    for op in &f.ops.list {
        let d = doc(op.doc.as_deref());
        let base = names::screaming(&op.name);
        let id = format_ident!("{}", base);
        match (op.req_value, op.rsp_value) {
            (Some(r), Some(s)) if r != s => {
                let (r, s) = (cmd_u8(op, r)?, cmd_u8(op, s)?);
                let rid = format_ident!("{}_REPLY", base);
                let rd = doc_str(&format!("Command of `{}` replies.", op.name));
                cmd_items.push(quote!(#d pub const #id: u8 = #r; #rd pub const #rid: u8 = #s;));
            }
            (Some(v), _) | (None, Some(v)) => {
                let v = cmd_u8(op, v)?;
                cmd_items.push(quote!(#d pub const #id: u8 = #v;));
            }
            (None, None) => {}
        }
    }
    let attr_mods = f.sets.iter().map(|s| {
        let m = cx.set_attrs_mod(s.id);
        let d = doc(s.doc.as_deref());
        let items = s.attrs.iter().map(|a| {
            let c = Cx::attr_const_name(a);
            let v = Literal::u16_unsuffixed(a.value);
            let d = doc(a.doc.as_deref());
            quote!(#d pub const #c: u16 = #v;)
        });
        let maxv = Literal::u16_unsuffixed(s.max_value);
        let taken: HashSet<String> = s.attrs.iter().map(|a| names::screaming(&a.name)).collect();
        let max_name = ["MAX", "MAX_ATTR", "MAX_"].into_iter().find(|c| !taken.contains(*c)).unwrap_or("MAX__");
        let max_id = format_ident!("{}", max_name);
        quote!(#d pub mod #m { #(#items)* /// Highest attribute number of the set.
            pub const #max_id: u16 = #maxv; })
    });
    let mcgrp_items = f.mcast_groups.iter().map(|g| {
        let id = format_ident!("{}", names::screaming(&g.name));
        let v = Literal::u32_unsuffixed(g.index as u32);
        let d = doc_str(&format!("Index of multicast group `{}`.", g.name));
        quote!(#d pub const #id: u32 = #v;)
    });
    let consts = defs::consts(cx);
    let enums = f.enums.iter().enumerate().map(|(i, e)| enum_item(cx, ir::EnumId(i), e));
    let structs = defs::structs(cx, Side::Kernel);
    Ok(quote! {
        /// Family name.
        pub const FAMILY_NAME: &core::ffi::CStr = #fam_name_lit;
        /// Family version.
        pub const FAMILY_VERSION: u32 = #version;

        /// Command numbers.
        pub mod cmd { #(#cmd_items)* }

        /// Attribute numbers, one module per attribute set.
        pub mod attrs { #(#attr_mods)* }

        /// Multicast group indexes.
        pub mod mcgrp { #(#mcgrp_items)* }

        #consts
        #(#enums)*
        #structs
    })
}

/// `nl::enum_type! { .. }` / `nl::flags_type! { .. }`: the newtype and its entries.
fn enum_item(cx: &Cx, id: ir::EnumId, e: &ir::Enum) -> TokenStream {
    let mac = match e.kind {
        EnumKind::Enum => "enum_type",
        EnumKind::Flags => "flags_type",
    };
    let mut t = MacroText::default();
    t.open(&format!("nl::{mac}!"));
    t.doc(e.doc.as_deref());
    t.open(&format!("pub struct {}({})", cx.enum_ty(id), cx.enum_repr(id)));
    for en in &e.entries {
        t.doc(en.doc.as_deref());
        t.line(&format!("{} = {} => {:?},", ident(&names::screaming(&en.name)), en.value, en.name));
    }
    t.close("}");
    t.close("}");
    t.finish()
}

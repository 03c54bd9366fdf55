//! Kernel side of the family's numbers: `FAMILY_NAME`/`FAMILY_VERSION`, `cmd::*`,
//! `attrs::<set>::*` and `mcgrp::*`; the spec's consts (shared with the client,
//! [`crate::emit::defs`]); enums, flags and structs as invocations of the support layer's
//! `nl::enum_type!`/`nl::flags_type!`/`nl::wire_struct!` (the impls live there; a struct the
//! macro cannot express, e.g. with a nested struct, is written out as the client's is).

use std::collections::HashSet;

use proc_macro2::Literal;

use crate::tokens::{format_ident, quote, TokenStream};

use super::common::{cmd_u8, cstr, doc_str, KernelGenError, MacroText};
use crate::attr::doc_attrs as doc;
use crate::attr::{ident, Cx};
use crate::emit::defs::{self, Side};
use nlspec_model::ir::{self, EnumKind, MemberType};
use nlspec_model::names;

/// The definitions part of `<module>_genl.rs`.
pub(super) fn items(cx: &Cx) -> Result<TokenStream, KernelGenError> {
    let f = cx.fam;
    let fam_name_lit = cstr(&f.name)?;
    let version = Literal::u32_unsuffixed(f.version);
    let raw = !f.is_genetlink();
    let mut cmd_items = Vec::new();
    for op in &f.ops.list {
        let d = doc(op.doc.as_deref());
        let base = names::screaming(&op.name);
        let id = format_ident!("{}", base);
        // Generic Netlink commands are u8; classic netlink message types (`nlmsg_type`) u16.
        let lit = |v: u32| -> Result<TokenStream, KernelGenError> {
            if raw {
                let v = u16::try_from(v).map_err(|_| {
                    KernelGenError(format!("op {}: message type {v} does not fit nlmsg_type (u16)", op.name))
                })?;
                let v = Literal::u16_unsuffixed(v);
                Ok(quote!(u16 = #v))
            } else {
                let v = cmd_u8(op, v)?;
                Ok(quote!(u8 = #v))
            }
        };
        match (op.req_value, op.rsp_value) {
            (Some(r), Some(s)) if r != s => {
                let (r, s) = (lit(r)?, lit(s)?);
                let rid = format_ident!("{}_REPLY", base);
                let rd =
                    doc_str(&format!("{} of `{}` replies.", if raw { "Message type" } else { "Command" }, op.name));
                cmd_items.push(quote!(#d pub const #id: #r; #rd pub const #rid: #s;));
            }
            (Some(v), _) | (None, Some(v)) => {
                let v = lit(v)?;
                cmd_items.push(quote!(#d pub const #id: #v;));
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
    let mut mcgrp_items = Vec::new();
    for g in &f.mcast_groups {
        let id = format_ident!("{}", names::screaming(&g.name));
        let (v, d) = if raw {
            // Like the client: a netlink-raw group without its number cannot be joined or sent
            // to (nftables' `mgmt`), so it has no constant and no broadcast type.
            let Some(v) = g.value else { continue };
            (v, format!("Number of multicast group `{}` (1-based, as `NETLINK_ADD_MEMBERSHIP` takes it).", g.name))
        } else {
            (g.index as u32, format!("Index of multicast group `{}`.", g.name))
        };
        let v = Literal::u32_unsuffixed(v);
        let d = doc_str(&d);
        mcgrp_items.push(quote!(#d pub const #id: u32 = #v;));
    }
    let (cmd_doc, grp_doc) = if raw {
        (doc_str("Message types (`nlmsg_type`)."), doc_str("Multicast group numbers."))
    } else {
        (doc_str("Command numbers."), doc_str("Multicast group indexes."))
    };
    let protonum = match f.protonum {
        Some(n) if raw => {
            let n = Literal::u32_unsuffixed(n);
            quote! {
                /// The netlink protocol number (`socket(AF_NETLINK, SOCK_RAW, PROTONUM)`).
                pub const PROTONUM: u32 = #n;
            }
        }
        _ => quote!(),
    };
    let consts = defs::consts(cx);
    let enums = f.enums.iter().enumerate().map(|(i, e)| enum_item(cx, ir::EnumId(i), e));
    let structs = structs(cx);
    Ok(quote! {
        /// Family name.
        pub const FAMILY_NAME: &core::ffi::CStr = #fam_name_lit;
        /// Family version.
        pub const FAMILY_VERSION: u32 = #version;

        #protonum

        #cmd_doc
        pub mod cmd { #(#cmd_items)* }

        /// Attribute numbers, one module per attribute set.
        pub mod attrs { #(#attr_mods)* }

        #grp_doc
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

/// Every struct: `nl::wire_struct!` where each member is an integer or a short byte array at a
/// fixed offset, else the shared definition (plus its `take` helper).
fn structs(cx: &Cx) -> TokenStream {
    let mut out = Vec::new();
    let mut shared = false;
    for (i, s) in cx.fam.structs.iter().enumerate() {
        let id = ir::StructId(i);
        match wire_struct(cx, id, s) {
            Some(t) => out.push(t),
            None => {
                shared = true;
                out.push(defs::structure(cx, Side::Kernel, id, s));
            }
        }
    }
    if shared {
        out.push(quote!(
            use nl::take;
        ));
    }
    quote!(#(#out)*)
}

/// `nl::wire_struct! { .. }`, if every member fits its grammar.
fn wire_struct(cx: &Cx, id: ir::StructId, s: &ir::Struct) -> Option<TokenStream> {
    let size = s.size?;
    let mut t = MacroText::default();
    t.open("nl::wire_struct!");
    t.doc(s.doc.as_deref());
    t.line("///");
    t.line(&format!("/// C `struct {}`.", s.name.replace('-', "_")));
    t.open(&format!("pub struct {}({size})", cx.struct_ty(id)));
    for m in &s.members {
        let (off, len) = (m.offset?, m.len?);
        if m.ty == MemberType::Pad {
            continue;
        }
        if m.struct_.is_some() {
            return None;
        }
        let (ty, wire) = match defs::member_int(m) {
            Some((it, _)) => {
                let it = it.to_string();
                let ty = match cx.value_enum(m.enum_, m.enum_as_flags) {
                    Some(e) => cx.enum_ty(e).to_string(),
                    None => it.clone(),
                };
                (ty, it)
            }
            None if len <= 32 => (format!("[u8; {len}]"), "bytes".to_string()),
            None => return None,
        };
        let bo = match m.byte_order {
            Some(ir::ByteOrder::BigEndian) => "be",
            Some(ir::ByteOrder::LittleEndian) => "le",
            None => "ne",
        };
        t.doc(m.doc.as_deref());
        t.line(&format!("pub {}: {ty} = {wire} {bo} @ {off} => {:?},", ident(&m.rust_name), m.name));
    }
    t.close("}");
    t.close("}");
    Some(t.finish())
}

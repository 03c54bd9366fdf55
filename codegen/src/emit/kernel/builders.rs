//! Message builders: one setter trait per attribute list a message carries (`<Op>ReplyAttrs`,
//! `<Op>DumpReplyAttrs`, `<Event>Attrs`) and per nest set (`<Set>Attrs` with `<Set>Writer`,
//! plus `<Set>Array`/`<Set>Slots` for arrays and type-value nests), and the message types:
//! `<Op>Reply`, `<Op>Dump`/`<Op>DumpEntry`, notifications. Setters come from the attribute's
//! kind ([`crate::attr::AttrGen::kernel_put`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::common::{
    all_refs, cmd_ref, config_cfg, dedup_refs, doc_str, header_struct, nested_of, reachable, served_ops, unique_method,
    KernelGenError,
};
use crate::attr::doc_attrs as doc;
use crate::attr::{gen, Cx, Elements};
use nlspec_model::ir::{self, AttrRef, Op, SetId};
use nlspec_model::names;

/// The message part of `<module>_genl.rs`.
pub(super) struct Items {
    /// Setter traits and nest writers.
    pub writers: Vec<TokenStream>,
    /// Replies, dumps and notifications.
    pub messages: Vec<TokenStream>,
}

/// One attribute list a message (reply, dump entry, notification) carries: its setter trait.
struct MsgAttrs {
    trait_name: Ident,
    set: SetId,
    attrs: Vec<AttrRef>,
}

/// The setter traits of the family's messages, by op.
#[derive(Default)]
struct MsgTraits {
    list: Vec<MsgAttrs>,
    do_reply: BTreeMap<usize, usize>,
    dump_reply: BTreeMap<usize, usize>,
    event: BTreeMap<usize, usize>,
}

impl MsgTraits {
    fn new(cx: &Cx) -> Self {
        let mut t = MsgTraits::default();
        for op in &cx.fam.ops.list {
            let Some(set) = op.attribute_set else { continue };
            let base = &cx.names.ops[op.id.0];
            let do_rep = op.do_.as_ref().and_then(|s| s.reply.as_ref()).map(|r| dedup_refs(&r.attrs));
            let dump_rep = op.dump.as_ref().and_then(|s| s.reply.as_ref()).map(|r| dedup_refs(&r.attrs));
            if let Some(a) = &do_rep {
                let i = t.push(&format!("{base}ReplyAttrs"), set, a.clone());
                t.do_reply.insert(op.id.0, i);
            }
            if let Some(a) = &dump_rep {
                let i = match (do_rep.as_ref() == Some(a), t.do_reply.get(&op.id.0)) {
                    (true, Some(i)) => *i,
                    _ => t.push(&format!("{base}DumpReplyAttrs"), set, a.clone()),
                };
                t.dump_reply.insert(op.id.0, i);
            }
            if let Some(ev) = &op.event {
                let i = t.push(&format!("{base}Attrs"), set, dedup_refs(ev));
                t.event.insert(op.id.0, i);
            }
        }
        t
    }
    fn push(&mut self, name: &str, set: SetId, attrs: Vec<AttrRef>) -> usize {
        self.list.push(MsgAttrs { trait_name: format_ident!("{}", name), set, attrs });
        self.list.len() - 1
    }
    fn name(&self, i: usize) -> &Ident {
        &self.list[i].trait_name
    }
}

/// Every message builder of the family.
pub(super) fn items(cx: &Cx) -> Result<Items, KernelGenError> {
    let f = cx.fam;
    let traits = MsgTraits::new(cx);
    let mut writers = Vec::new();
    for m in &traits.list {
        let t = &m.trait_name;
        let setters = setters(cx, m.set, &m.attrs);
        writers.push(quote! {
            /// Attributes of this message; in scope with `use` of this module.
            pub trait #t: Sink + Sized { #setters }
        });
    }
    let writer_sets = reachable(f, traits.list.iter().flat_map(|m| nested_of(f, &m.attrs)).collect::<Vec<_>>());
    let mut array_sets = BTreeSet::new();
    let mut slot_sets = BTreeSet::new();
    for s in writer_sets.iter().copied().chain(traits.list.iter().map(|m| m.set)) {
        for a in &f.set(s).attrs {
            match gen(a).elements(a) {
                Some(Elements::Indexed(x)) => array_sets.insert(x),
                Some(Elements::TypeValue { set, .. }) => slot_sets.insert(set),
                None => false,
            };
        }
    }
    for s in &writer_sets {
        writers.push(nest_writer(cx, *s, array_sets.contains(s), slot_sets.contains(s)));
    }
    let mut messages = Vec::new();
    for op in served_ops(f) {
        messages.extend(reply_items(cx, op, &traits)?);
    }
    for op in f.ops.list.iter().filter(|o| o.is_async()) {
        messages.extend(notification(cx, op, &traits)?);
    }
    Ok(Items { writers, messages })
}

/// `<Set>Attrs` + `<Set>Writer`, and the array/slot writers of a set's nests.
fn nest_writer(cx: &Cx, s: SetId, array: bool, slots: bool) -> TokenStream {
    let set = cx.fam.set(s);
    let tr = cx.set_attrs_trait(s);
    let wr = cx.set_writer(s);
    let setters = setters(cx, s, &all_refs(cx.fam, s));
    let d = doc_str(&format!("Writes the attributes of a `{}` nest.", set.name));
    let td = doc_str(&format!("Attributes of a `{}` nest.", set.name));
    let mut out = quote! {
        #td
        pub trait #tr: Sink + Sized { #setters }
        #d
        pub struct #wr<'w> { w: &'w mut nl::Writer }
        impl Sink for #wr<'_> { fn writer(&mut self) -> &mut nl::Writer { self.w } }
        impl #tr for #wr<'_> {}
    };
    if array {
        let ar = cx.set_array_writer(s);
        let d = doc_str(&format!("Writes an indexed array of `{}` nests.", set.name));
        out.extend(quote! {
            #d
            pub struct #ar<'w> { w: &'w mut nl::Writer, next: u16 }
            impl #ar<'_> {
                /// Appends the next element (indexes count from 0).
                pub fn entry(&mut self, f: impl FnOnce(&mut #wr<'_>)) -> &mut Self {
                    let nest = self.w.nest_start(self.next);
                    f(&mut #wr { w: &mut *self.w });
                    self.w.nest_end(nest);
                    self.next += 1;
                    self
                }
            }
        });
    }
    if slots {
        let sl = cx.set_slots_writer(s);
        let d = doc_str(&format!("Writes `{}` nests whose attribute type carries a value.", set.name));
        out.extend(quote! {
            #d
            pub struct #sl<'w> { w: &'w mut nl::Writer }
            impl #sl<'_> {
                /// Appends a nest with attribute type `ty`.
                pub fn entry(&mut self, ty: u16, f: impl FnOnce(&mut #wr<'_>)) -> &mut Self {
                    let nest = self.w.nest_start(ty);
                    f(&mut #wr { w: &mut *self.w });
                    self.w.nest_end(nest);
                    self
                }
            }
        });
    }
    out
}

/// `set_header` of a message type whose writer is `field`, if the message has a fixed header.
fn set_header_fn(cx: &Cx, h: Option<ir::StructId>, field: TokenStream) -> Option<TokenStream> {
    header_struct(cx, h).map(|ht| {
        quote! {
            /// Sets the message's fixed header.
            pub fn set_header(&mut self, h: &#ht) -> &mut Self {
                #field.set_header(&h.to_bytes());
                self
            }
        }
    })
}

/// `<Op>Reply` (do with a reply) and `<Op>Dump` + `<Op>DumpEntry` (dump) of a served op.
fn reply_items(cx: &Cx, op: &Op, traits: &MsgTraits) -> Result<Vec<TokenStream>, KernelGenError> {
    let mut out = Vec::new();
    let base = &cx.names.ops[op.id.0];
    let rsp_cmd = cmd_ref(op, op.rsp_value.or(op.req_value).unwrap_or(0))?;
    if let (Some(_), Some(ti)) = (&op.do_, traits.do_reply.get(&op.id.0)) {
        let tr = traits.name(*ti);
        let ty = format_ident!("{}Reply", base);
        let rq = format_ident!("{}Request", base);
        let sh = set_header_fn(cx, op.fixed_header, quote!(self.r));
        let d = doc_str(&format!("The reply to a `{}` do request; attribute setters in [`{tr}`].", op.name));
        out.push(quote! {
            #d
            pub struct #ty<'a> { r: nl::Reply<'a> }
            impl<'a> #ty<'a> {
                /// A reply with the default size; its fixed header is the request's.
                pub fn new(req: &#rq<'a>) -> nl::Result<Self> { Self::with_size(req, nl::DEFAULT_SIZE) }
                /// A reply with room for `size` bytes of attributes.
                pub fn with_size(req: &#rq<'a>, size: usize) -> nl::Result<Self> {
                    let mut r = nl::Reply::with_size(req.raw, #rsp_cmd, size)?;
                    r.set_header(req.raw.fixed_header());
                    Ok(Self { r })
                }
                #sh
                /// Sends the reply to the requester.
                pub fn send(self) -> nl::Result { self.r.send() }
            }
            impl Sink for #ty<'_> { fn writer(&mut self) -> &mut nl::Writer { &mut self.r } }
            impl #tr for #ty<'_> {}
        });
    }
    if op.dump.is_some() {
        let ty = format_ident!("{}Dump", base);
        let en = format_ident!("{}DumpEntry", base);
        let tr_impl = traits.dump_reply.get(&op.id.0).map(|ti| {
            let tr = traits.name(*ti);
            quote!(impl #tr for #en<'_> {})
        });
        let sh = set_header_fn(cx, op.fixed_header, quote!(self.w));
        let d = doc_str(&format!(
            "One dumpit call of a `{}` dump: write entries until it reports a full message.",
            op.name
        ));
        out.push(quote! {
            #d
            pub struct #ty<'d, 'a> { d: &'d mut nl::Dump<'a> }
            impl #ty<'_, '_> {
                /// Writes one entry (a message whose fixed header is the request's).
                /// `Ok(true)`: written, advance the cursor; `Ok(false)`: the message is full,
                /// return `Dumped::More` without advancing.
                pub fn entry(&mut self, f: impl FnOnce(&mut #en<'_>)) -> nl::Result<bool> {
                    let hdr = self.d.request().fixed_header();
                    self.d.entry(#rsp_cmd, |w| {
                        w.set_header(hdr);
                        f(&mut #en { w })
                    })
                }
                /// Entries written in this call so far.
                pub fn written(&self) -> u32 { self.d.written() }
            }
            /// One entry of the dump being written.
            pub struct #en<'w> { w: &'w mut nl::Writer }
            impl #en<'_> { #sh }
            impl Sink for #en<'_> { fn writer(&mut self) -> &mut nl::Writer { self.w } }
            #tr_impl
        });
    }
    Ok(out)
}

/// The sender of a notification op (`<Op>Ntf`): its attributes are the event's, or those of
/// the reply of the op it notifies about.
fn notification(cx: &Cx, op: &Op, traits: &MsgTraits) -> Result<Option<TokenStream>, KernelGenError> {
    let f = cx.fam;
    let (Some(g), Some(v)) = (op.mcgrp, op.rsp_value.or(op.req_value)) else { return Ok(None) };
    let cmdv = cmd_ref(op, v)?;
    let ti = match (traits.event.get(&op.id.0), op.notify) {
        (Some(t), _) => Some(*t),
        (None, Some(target)) => traits.do_reply.get(&target.0).or(traits.dump_reply.get(&target.0)).copied(),
        (None, None) => None,
    };
    let base = &cx.names.ops[op.id.0];
    // `<Op>Ntf` is in the name table; an op whose name ends in `ntf` is the name itself
    let ty = if base.ends_with("Ntf") { format_ident!("{}", base) } else { format_ident!("{}Ntf", base) };
    let grp = format_ident!("{}", names::screaming(&f.mcgrp(g).name));
    let cfg = config_cfg(op);
    let tr_impl = ti.map(|ti| {
        let tr = traits.name(ti);
        quote!(#cfg impl #tr for #ty {})
    });
    let family_hdr = f.ops.fixed_header.filter(|s| f.struct_(*s).size.is_some());
    let sh = set_header_fn(cx, op.fixed_header.or(family_hdr), quote!(self.n));
    let d = doc(op.doc.as_deref());
    let d2 = doc_str(&format!("Sent to multicast group `{}` in every network namespace.", f.mcgrp(g).name));
    Ok(Some(quote! {
        #d
        #[doc = ""]
        #d2
        #cfg
        pub struct #ty { n: nl::Notification }
        #cfg
        impl #ty {
            /// A notification with the default size (fixed header all-zero until set).
            pub fn new() -> nl::Result<Self> { Self::with_size(nl::DEFAULT_SIZE) }
            /// A notification with room for `size` bytes of attributes.
            pub fn with_size(size: usize) -> nl::Result<Self> {
                Ok(Self { n: nl::Notification::with_size(&FAMILY, #cmdv, mcgrp::#grp, size)? })
            }
            #sh
            /// Multicasts it (no listener is not an error).
            pub fn send(self) -> nl::Result { self.n.send() }
        }
        #cfg
        impl Sink for #ty { fn writer(&mut self) -> &mut nl::Writer { &mut self.n } }
        #tr_impl
    }))
}

/// Default-method setters of a message/nest attribute trait.
fn setters(cx: &Cx, set: SetId, refs: &[AttrRef]) -> TokenStream {
    let mut out = Vec::new();
    let mut used: HashSet<String> =
        ["writer", "send", "set_header", "new", "with_size"].iter().map(|s| s.to_string()).collect();
    for r in refs {
        let a = cx.fam.attr(*r);
        if a.value == 0 {
            continue;
        }
        let tc = cx.attr_const(r.set, a);
        let Some((params, put)) = gen(a).kernel_put(cx, set, a, &tc) else { continue };
        let g = format_ident!("{}", unique_method(a, &mut used));
        let d = doc(a.doc.as_deref());
        let multi = if a.multi_attr {
            quote!(#[doc = ""] #[doc = " May be called repeatedly: each call adds one attribute."])
        } else {
            quote!()
        };
        out.push(quote! {
            #d
            #multi
            fn #g(&mut self, #params) -> &mut Self {
                let w = self.writer();
                #put
                self
            }
        });
    }
    quote!(#(#out)*)
}

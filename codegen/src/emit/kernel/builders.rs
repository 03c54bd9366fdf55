//! Message builders: one setter trait per attribute list a message carries (`<Op>ReplyAttrs`,
//! `<Op>DumpReplyAttrs`, `<Event>Attrs`) and per nest set (`<Set>Attrs` with `<Set>Writer`,
//! plus `<Set>Array`/`<Set>Slots` for arrays and type-value nests), all `nl::attrs!` listing
//! each attribute with its codec ([`crate::attr::AttrGen::kernel_put`]); and the message types
//! `nl::reply!`, `nl::dump!`, `nl::notification!`. The support layer writes the methods.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::tokens::{format_ident, Ident, TokenStream};

use super::common::{
    all_refs, cmd_ref, config_name, dedup_refs, header_struct, nested_of, reachable, unique_method, verbatim,
    KernelGenError, MacroText,
};
use super::views::set_path;
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
        let head = format!("pub trait {}({})", m.trait_name, set_path(cx, m.set));
        writers.push(setter_trait(
            cx,
            "Attributes of this message; in scope with `use` of this module.",
            &head,
            m.set,
            &m.attrs,
        ));
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
        let mut head = format!("pub trait {}({}) for {}", cx.set_attrs_trait(*s), set_path(cx, *s), cx.set_writer(*s));
        if array_sets.contains(s) {
            head.push_str(&format!(", array {}", cx.set_array_writer(*s)));
        }
        if slot_sets.contains(s) {
            head.push_str(&format!(", slots {}", cx.set_slots_writer(*s)));
        }
        let d = format!("Attributes of a `{}` nest.", f.set(*s).name);
        writers.push(setter_trait(cx, &d, &head, *s, &all_refs(f, *s)));
    }
    let mut messages = Vec::new();
    for op in f.served_ops() {
        messages.extend(reply_items(cx, op, &traits)?);
    }
    for op in f.ops.list.iter().filter(|o| o.is_async()) {
        messages.extend(notification(cx, op, &traits)?);
    }
    Ok(Items { writers, messages })
}

/// `nl::attrs! { <doc> <head> { name: CONST => codec, .. } }`: the setters of `refs`.
fn setter_trait(cx: &Cx, d: &str, head: &str, set: SetId, refs: &[AttrRef]) -> TokenStream {
    let mut t = MacroText::default();
    t.open("nl::attrs!");
    t.doc(Some(d));
    t.open(head);
    let mut used: HashSet<String> =
        ["writer", "send", "set_header", "new", "with_size"].iter().map(|s| s.to_string()).collect();
    for r in refs {
        let a = cx.fam.attr(*r);
        if a.value == 0 {
            continue;
        }
        let Some(codec) = gen(a).kernel_put(cx, set, a) else { continue };
        let name = unique_method(a, &mut used);
        let codec = if a.multi_attr { format!("multi {codec}") } else { codec };
        t.doc(a.doc.as_deref());
        t.line(&format!("{name}: {} => {codec},", Cx::attr_const_name(a)));
    }
    t.close("}");
    t.close("}");
    t.finish()
}

/// `, Header` of a message macro, if the message has a fixed header.
fn header_arg(cx: &Cx, h: Option<ir::StructId>) -> String {
    header_struct(cx, h).map(|h| format!(", {h}")).unwrap_or_default()
}

/// `nl::reply!` (do with a reply) and `nl::dump!` (dump) of a served op.
fn reply_items(cx: &Cx, op: &Op, traits: &MsgTraits) -> Result<Vec<TokenStream>, KernelGenError> {
    let mut out = Vec::new();
    let base = &cx.names.ops[op.id.0];
    let rsp_cmd = cmd_ref(op, op.rsp_value.or(op.req_value).unwrap_or(0))?.to_string().replace(' ', "");
    let h = header_arg(cx, op.fixed_header);
    let pre = if cx.fam.is_genetlink() { "" } else { "raw_" };
    if let (Some(_), Some(ti)) = (&op.do_, traits.do_reply.get(&op.id.0)) {
        let tr = traits.name(*ti);
        out.push(verbatim(&format!("nl::{pre}reply!(pub struct {base}Reply({base}Request, {rsp_cmd}{h}): {tr});")));
    }
    if op.dump.is_some() {
        let tr = traits.dump_reply.get(&op.id.0).map(|ti| format!(": {}", traits.name(*ti))).unwrap_or_default();
        out.push(verbatim(&format!("nl::{pre}dump!(pub struct {base}Dump, {base}DumpEntry({rsp_cmd}{h}){tr});")));
    }
    Ok(out)
}

/// The sender of a notification op (`<Op>Ntf`): its attributes are the event's, or those of
/// the reply of the op it notifies about.
fn notification(cx: &Cx, op: &Op, traits: &MsgTraits) -> Result<Option<TokenStream>, KernelGenError> {
    let f = cx.fam;
    let (Some(g), Some(v)) = (op.mcgrp, op.rsp_value.or(op.req_value)) else { return Ok(None) };
    if !f.is_genetlink() && f.mcgrp(g).value.is_none() {
        // a netlink-raw group without its number (see defs.rs): nothing to send to
        return Ok(None);
    }
    let cmdv = cmd_ref(op, v)?.to_string().replace(' ', "");
    let ti = match (traits.event.get(&op.id.0), op.notify) {
        (Some(t), _) => Some(*t),
        (None, Some(target)) => traits.do_reply.get(&target.0).or(traits.dump_reply.get(&target.0)).copied(),
        (None, None) => None,
    };
    let base = &cx.names.ops[op.id.0];
    // `<Op>Ntf` is in the name table; an op whose name ends in `ntf` is the name itself
    let ty = if base.ends_with("Ntf") { base.to_string() } else { format!("{base}Ntf") };
    let grp = names::screaming(&f.mcgrp(g).name);
    let tr = ti.map(|ti| format!(": {}", traits.name(ti))).unwrap_or_default();
    let family_hdr = f.ops.fixed_header.filter(|s| f.struct_(*s).size.is_some());
    let h = header_arg(cx, op.fixed_header.or(family_hdr));
    let mut t = MacroText::default();
    if let Some(c) = &op.config_cond {
        t.line(&format!("#[cfg({})]", config_name(c)));
    }
    if f.is_genetlink() {
        t.open("nl::notification!");
        t.doc(op.doc.as_deref());
        t.line("///");
        t.line(&format!(
            "/// Group `{}`: `send` (every network namespace), `send_to` (one), or `unicast` (one socket).",
            f.mcgrp(g).name
        ));
        t.line(&format!("pub struct {ty}(FAMILY, {cmdv}, mcgrp::{grp}{h}){tr}"));
    } else {
        t.open("nl::raw_broadcast!");
        t.doc(op.doc.as_deref());
        t.line("///");
        t.line(&format!(
            "/// Broadcast to multicast group `{}` of the protocol in every network namespace it exists in.",
            f.mcgrp(g).name
        ));
        t.line(&format!("pub struct {ty}(PROTOCOL, {cmdv}, mcgrp::{grp}{h}){tr}"));
    }
    t.close("}");
    Ok(Some(t.finish()))
}

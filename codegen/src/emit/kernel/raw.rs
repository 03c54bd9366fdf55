//! The handler side of a classic netlink protocol (a netlink-raw spec): the `#[vtable]` trait
//! `<Family>Handler` (one method per do and dump, `EOPNOTSUPP` by default, dump-state types),
//! the message types generic over the handler (`nl::raw_operation!`), the op table by message
//! type with each op's permission, `PROTOCOL` and `register::<H>()`.
//!
//! Permissions. YNL's netlink-raw schema has no protocol-level permission key, so they come
//! from keys it does have:
//! * an op's `flags: [admin-perm]` (or `uns-admin-perm`): only senders with `CAP_NET_ADMIN`
//!   (in the initial / the namespace's user namespace) may send it; others get `EPERM`;
//! * a multicast group's `flags: [admin-perm]`: joining it needs `CAP_NET_ADMIN` (checked on
//!   bind); the protocol lets unprivileged processes join the other groups
//!   (`NL_CFG_F_NONROOT_RECV`) when it has at least one such group;
//! * an `event` op without `mcgrp` is a message user processes send each other by port id (the
//!   kernel neither serves nor sends it): when one such op is not `admin-perm`, unprivileged
//!   processes may send to other processes and groups (`NL_CFG_F_NONROOT_SEND`).
//!
//! Hooks and validation. A do's `pre`/`post` hooks run before and after its handler (an error
//! from `pre` answers the request instead of it); a dump's `pre`/`post` are the dump's `start`
//! and `done` (`netlink_dump_control`). An op's `dont-validate: [strict]` parses its do requests
//! liberally (`NL_VALIDATE_LIBERAL`: unknown attributes and trailing bytes tolerated, as the
//! kernel's own legacy parsers do), `[dump]` its dump requests; otherwise parsing is strict.

use crate::tokens::{quote, TokenStream};

use super::common::{cmd_ref, header_struct, KernelGenError, KernelOptions, MacroText};
use super::handler::{do_method, dump_method, dump_states_of, hook_items, ops_table_text, trait_text};
use super::policy::Policies;
use crate::attr::Cx;
use crate::emit::expr_text;
use nlspec_model::ir::{Family, Op};

/// The handler part of a classic netlink module's family file.
pub(super) fn items(cx: &Cx, opts: &KernelOptions, policies: &Policies) -> Result<TokenStream, KernelGenError> {
    let f = cx.fam;
    let Some(protonum) = f.protonum else {
        return Err(KernelGenError(format!("{}: a netlink-raw family needs `protonum` for a kernel module", f.name)));
    };
    if protonum >= 32 {
        return Err(KernelGenError(format!("{}: protonum {protonum} is not below MAX_LINKS (32)", f.name)));
    }
    let handler = format!("{}Handler", f.rust_name);
    let states = dump_states_of(cx)?;
    let mut trait_items = MacroText::at_depth(1);
    let mut declared = std::collections::BTreeSet::new();
    let mut op_types = Vec::new();
    let mut table = Vec::new();
    let mut do_hooks = std::collections::BTreeSet::new();
    let mut dump_hooks: std::collections::BTreeMap<String, (bool, String, Vec<String>)> = Default::default();
    for op in f.served_ops() {
        let base = &cx.names.ops[op.id.0];
        let fname = &op.fn_name;
        let perm = perm_note(op);
        let hdr = header_struct(cx, op.fixed_header).map(|h| format!("{h}::SIZE")).unwrap_or_else(|| "0".into());
        let slots = |dump: bool| {
            policies.op_policy.get(&(op.id.0, dump)).and_then(|p| policies.len.get(p).map(|l| (p.clone(), l.clone())))
        };
        let mut t = MacroText::default();
        t.open("nl::raw_operation!");
        t.open(&format!("pub(crate) struct {base}Op<H: {handler}>"));
        t.line(&format!("hdrlen: {hdr},"));
        let (do_pol, dump_pol) = (slots(false).filter(|_| op.do_.is_some()), slots(true).filter(|_| op.dump.is_some()));
        let tb = |p: &Option<(String, String)>| match p {
            Some((_, len)) => format!("nl::AttrSlots<{len}>"),
            None => "nl::AttrSlots<1>".into(),
        };
        t.line(&format!("tb: {},", tb(&do_pol)));
        t.line(&format!("dump_tb: {},", tb(&dump_pol)));
        if let Some((p, _)) = &do_pol {
            t.line(&format!("policy: {p},"));
        }
        if let Some((p, _)) = &dump_pol {
            t.line(&format!("dump_policy: {p},"));
        }
        if op.dont_validate.strict && op.do_.is_some() {
            t.line("liberal: true,");
        }
        if op.dont_validate.dump && op.dump.is_some() {
            t.line("dump_liberal: true,");
        }
        if let Some(sub) = &op.do_ {
            let rq = format!("{base}Request");
            do_method(&mut trait_items, op, &perm, &rq);
            t.line(&format!("doit: {fname}({rq}),"));
            for (hook, pre) in [(&sub.pre, true), (&sub.post, false)] {
                let Some(hook) = hook else { continue };
                let m = nlspec_model::names::snake(hook);
                t.line(&format!("{}: {m} if HAS_{},", if pre { "pre_doit" } else { "post_doit" }, m.to_uppercase()));
                do_hooks.insert((hook.clone(), pre));
            }
        }
        if let Some(sub) = &op.dump {
            let sname = states.get(&op.id.0).cloned().unwrap_or_else(|| format!("{base}DumpState"));
            let sty = &sname;
            if declared.insert(sname.clone()) {
                trait_items.doc_lines(Some(&format!(
                    "Cursor of a `{}` dump, kept across dumpit calls (at most 40 bytes, `Default` at the start).",
                    op.name
                )));
                trait_items.line(&format!("type {sty}: Copy + Default;"));
            }
            let rq = format!("{base}DumpRequest");
            let dt = format!("{base}Dump");
            let dfn = format!("{}_dump", op.fn_name);
            dump_method(&mut trait_items, op, Some(&perm), [&rq, &dt, &dfn, sty]);
            t.line(&format!("dumpit: {dfn}({rq}, {dt}, {sty}),"));
            for (hook, start) in [(&sub.pre, true), (&sub.post, false)] {
                let Some(hook) = hook else { continue };
                let m = nlspec_model::names::snake(hook);
                t.line(&format!("{}: {m} if HAS_{},", if start { "start" } else { "done" }, m.to_uppercase()));
                dump_hooks
                    .entry(hook.clone())
                    .or_insert_with(|| (start, sname.clone(), Vec::new()))
                    .2
                    .push(op.name.clone());
            }
        }
        t.close("}");
        t.close("}");
        op_types.push(t.finish());
        let v = op.req_value.unwrap_or(0);
        let cr = expr_text(cmd_ref(op, v)?, &[]);
        let perm_expr = if op.flags.admin_perm {
            ".perm(nl::RawPerm::Admin)"
        } else if op.flags.uns_admin_perm {
            ".perm(nl::RawPerm::NsAdmin)"
        } else {
            ""
        };
        table.push((v, format!("op {base}Op({cr}){perm_expr}")));
    }
    hook_items(&mut trait_items, &do_hooks, &dump_hooks, "nl::RawRequest", "");
    table.sort_by_key(|(v, _)| *v);
    let mut t = MacroText::default();
    t.doc_lines(Some(&format!(
        "The `{}` protocol's request handlers: one method per do and dump (default: `EOPNOTSUPP`).\n\
         Implement it with `#[vtable]` on a type of yours and register with [`register`]. Handlers\n\
         run in the sending process's context, several at once: lock shared state yourself.",
        f.name
    )));
    trait_text(&mut t, &handler, &trait_items);
    let mut tail = ops_table_text(
        "The op table of the protocol for handler `H`, by message type.",
        &handler,
        "[RawOp]",
        table.iter().map(|(_, e)| (None, e.as_str())),
    );
    protocol(&mut tail, f, opts);
    tail.doc_lines(Some(
        "Creates the protocol unit with the handlers of `H`; dropping the returned guard\n\
         releases it. A second registration fails with `EBUSY`.",
    ));
    tail.func(
        &format!("pub fn register<H: {handler}>"),
        &["module: &'static kernel::ThisModule".to_string()],
        Some("core::result::Result<nl::RawRegistration, kernel::error::Error>"),
        Some(&["nl::RawRegistration::register::<ProtocolOf>(Ops::<H>::TABLE, module)"]),
    );
    let head = t.finish();
    let tail = tail.finish();
    Ok(quote! {
        #head
        #(#op_types)*
        #tail
    })
}

fn perm_note(op: &Op) -> String {
    if op.flags.admin_perm {
        " Needs CAP_NET_ADMIN (admin-perm): others get EPERM.".into()
    } else if op.flags.uns_admin_perm {
        " Needs CAP_NET_ADMIN in the netns' user namespace (uns-admin-perm): others get EPERM.".into()
    } else {
        " Unprivileged.".into()
    }
}

/// `PROTOCOL` and its marker type.
fn protocol(t: &mut MacroText, f: &Family, opts: &KernelOptions) {
    let unit = f.protonum.unwrap_or(0);
    let groups = f.mcast_groups.iter().filter_map(|g| g.value).max().unwrap_or(0);
    let mut admin: u64 = 0;
    for g in &f.mcast_groups {
        if let Some(v) = g.value.filter(|v| (1..=64).contains(v)) {
            if g.flags.admin_perm || g.flags.uns_admin_perm {
                admin |= 1 << (v - 1);
            }
        }
    }
    let mut flags = Vec::new();
    if f.mcast_groups.iter().any(|g| !(g.flags.admin_perm || g.flags.uns_admin_perm)) {
        flags.push("nl::proto_flags::NONROOT_RECV");
    }
    let peer = f
        .ops
        .list
        .iter()
        .any(|o| o.event.is_some() && o.mcgrp.is_none() && !o.flags.admin_perm && !o.flags.uns_admin_perm);
    if peer {
        flags.push("nl::proto_flags::NONROOT_SEND");
    }
    let flags = if flags.is_empty() { "0".to_string() } else { flags.join(" | ") };
    let netns = opts.netnsok;
    let where_ = if netns {
        "It exists in every network namespace (pernet operations)."
    } else {
        "Its kernel socket exists in the initial network namespace only: netlink registers the \
         protocol number for every namespace, so a process elsewhere can open a socket of it, but its \
         requests find no kernel socket (`ECONNREFUSED`)."
    };
    t.doc_lines(f.doc.as_deref());
    t.doc_break();
    t.doc_lines(Some(where_));
    t.open("pub static PROTOCOL: nl::Protocol = nl::Protocol::new(nl::ProtocolDef");
    t.line(&format!("unit: {unit},"));
    t.line(&format!("groups: {groups},"));
    t.line(&format!("admin_groups: {admin},"));
    t.line(&format!("flags: {flags},"));
    t.line(&format!("netns: {netns},"));
    t.close("});");
    t.line("/// Names [`PROTOCOL`] to the support layer's callbacks.");
    t.line("pub(crate) struct ProtocolOf;");
    t.open("impl nl::ProtocolSpec for ProtocolOf");
    t.line("const PROTOCOL: &'static nl::Protocol = &PROTOCOL;");
    t.close("}");
}

//! The handler side: the `#[vtable]` trait `<Family>Handler` (one method per do and dump with
//! `EOPNOTSUPP` defaults, dump-state types, `pre`/`post` hooks), the op types generic over the
//! handler, the ops table, the multicast groups, `FAMILY` and `register::<H>()`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Literal;

use crate::tokens::{quote, TokenStream};

use super::common::{cmd_ref, config_name, cstr, KernelGenError, KernelOptions, MacroText};
use super::policy::Policies;
use crate::attr::Cx;
use crate::emit::expr_text;
use nlspec_model::ir::{Family, KernelPolicy, Op};
use nlspec_model::names;

/// The dump-state associated type of each served dump op (by op id): `<Op>DumpState`, except
/// that dump ops naming the same start/done hook share the state type of the first of them, so
/// the hook method can take it (in C such hooks share `cb->ctx` the same way).
pub(super) fn dump_states_of(cx: &Cx) -> Result<BTreeMap<usize, String>, KernelGenError> {
    let f = cx.fam;
    let do_hooks: BTreeSet<&str> = f
        .served_ops()
        .filter_map(|op| op.do_.as_ref())
        .flat_map(|d| d.pre.iter().chain(d.post.iter()).map(|h| h.as_str()))
        .collect();
    let mut op_state = BTreeMap::new();
    let mut hook_state: BTreeMap<&str, String> = BTreeMap::new();
    for op in f.served_ops() {
        let Some(d) = &op.dump else { continue };
        let hooks: Vec<&str> = d.pre.iter().chain(d.post.iter()).map(|h| h.as_str()).collect();
        let mut st: Option<String> = None;
        for h in &hooks {
            if do_hooks.contains(h) {
                return Err(KernelGenError(format!(
                    "op {}: hook {h} is named by a do (pre_doit/post_doit) and a dump (start/done); they take different arguments",
                    op.name
                )));
            }
            if let Some(s) = hook_state.get(h) {
                match &st {
                    Some(x) if x != s => {
                        return Err(KernelGenError(format!(
                            "op {}: its dump hooks are shared with ops of different dump states ({x}, {s})",
                            op.name
                        )))
                    }
                    _ => st = Some(s.clone()),
                }
            }
        }
        let st = st.unwrap_or_else(|| format!("{}DumpState", cx.names.ops[op.id.0]));
        for h in hooks {
            hook_state.insert(h, st.clone());
        }
        op_state.insert(op.id.0, st);
    }
    Ok(op_state)
}

/// What the handler trait and the op types are assembled from.
#[derive(Default)]
struct Handlers {
    /// The handler trait's items, laid out one level in (inside the trait).
    trait_items: MacroText,
    op_types: Vec<TokenStream>,
    /// do hooks: (name, pre?)
    hooks: BTreeSet<(String, bool)>,
    declared_states: BTreeSet<String>,
    /// dump hook name -> (start?, state type, ops naming it)
    dump_hooks: BTreeMap<String, (bool, String, Vec<String>)>,
}

/// The handler part of `<module>_genl.rs`.
pub(super) fn items(cx: &Cx, opts: &KernelOptions, policies: &Policies) -> Result<TokenStream, KernelGenError> {
    let f = cx.fam;
    let handler = format!("{}Handler", f.rust_name);
    let op_states = dump_states_of(cx)?;
    let mut h = Handlers { trait_items: MacroText::at_depth(1), ..Handlers::default() };
    for op in f.served_ops() {
        op_type(cx, &mut h, &handler, policies, &op_states, op);
    }
    hook_methods(&mut h);
    let op_types = &h.op_types;
    let (ops_struct, ops_ref, resv_start_op) = ops_table(cx, &handler)?;
    let family = family(cx, opts, policies, resv_start_op);
    let mut t = MacroText::default();
    t.doc_lines(Some(&format!(
        "The `{}` family's request handlers: one method per do and dump (default: `EOPNOTSUPP`).\n\
         Implement it with `#[vtable]` on a type of yours and register with [`register`]. Handlers\n\
         run in process context{}.",
        f.name,
        if opts.parallel_ops {
            " and in parallel (the family sets `parallel_ops`): lock shared state yourself"
        } else {
            " under `genl_mutex`"
        }
    )));
    trait_text(&mut t, &handler, &h.trait_items);
    // Per-socket state: a type of the crate root's, named in the family file as `SockPriv`. The
    // kernel needs its size when the family is built (in tree, the series takes it in
    // `FamilyOps`), so it cannot be an associated type of the handler.
    if let Some(c_ty) = &f.kernel_family.sock_priv {
        let root_ty = super::common::sock_priv_type(f);
        t.doc_lines(Some(&format!(
            "Per-socket state (`sock-priv: {c_ty}` in the spec): the crate root's `{root_ty}`\n\
             (`Default + Sync + 'static`). One value per socket that talks to the family, made with\n\
             `Default` on the socket's first `req.raw().sock_priv::<SockPriv>()`, dropped when the\n\
             socket closes or the family is unregistered. `Sync`: requests on one socket may run at\n\
             once."
        )));
        t.line(&format!("pub(crate) type SockPriv = crate::{root_ty};"));
    }
    let mut tail = MacroText::default();
    tail.splice(&ops_struct);
    tail.splice(&family);
    tail.doc_lines(Some(
        "Registers the family with the handlers of `H`; dropping the returned guard\n\
         unregisters it. A second registration fails with `EBUSY`.",
    ));
    tail.func(
        &format!("pub fn register<H: {handler}>"),
        &["module: &'static kernel::ThisModule".to_string()],
        Some("core::result::Result<nl::Registration, kernel::error::Error>"),
        Some(&[&format!("nl::Registration::register_with(&FAMILY, {ops_ref}, None, module)")]),
    );
    let head = t.finish();
    let tail = tail.finish();
    Ok(quote! {
        #head
        #(#op_types)*
        #tail
    })
}

/// `#[vtable] pub trait <handler>: Sized + 'static { items }` (its doc written before).
pub(super) fn trait_text(t: &mut MacroText, handler: &str, items: &MacroText) {
    t.line("#[kernel::prelude::vtable]");
    if items.is_empty() {
        t.line(&format!("pub trait {handler}: Sized + 'static {{}}"));
        return;
    }
    t.open(&format!("pub trait {handler}: Sized + 'static"));
    t.splice(items);
    t.close("}");
}

fn perm_note(op: &Op) -> String {
    let mut s = String::new();
    if op.flags.admin_perm {
        s.push_str(" Needs CAP_NET_ADMIN (admin-perm).");
    }
    if op.flags.uns_admin_perm {
        s.push_str(" Needs CAP_NET_ADMIN in the netns' user namespace (uns-admin-perm).");
    }
    if s.is_empty() {
        s.push_str(" Unprivileged.");
    }
    s
}

/// What `nl::operation!` routes for one op, in its clause order.
#[derive(Default)]
struct OpClauses {
    policy: Option<String>,
    dump_policy: Option<String>,
    doit: Option<String>,
    pre_doit: Option<String>,
    post_doit: Option<String>,
    dumpit: Option<String>,
    start: Option<String>,
    done: Option<String>,
}

/// The handler-trait methods of a served op and its op type (`nl::operation!`).
fn op_type(
    cx: &Cx,
    h: &mut Handlers,
    handler: &str,
    policies: &Policies,
    op_states: &BTreeMap<usize, String>,
    op: &Op,
) {
    let f = cx.fam;
    let base = &cx.names.ops[op.id.0];
    let split = f.kernel_policy == KernelPolicy::Split;
    let mut c = OpClauses::default();
    if op.do_.is_some() {
        do_methods(cx, h, op, &mut c);
        c.policy = policies.op_policy.get(&(op.id.0, false)).cloned();
    }
    if op.dump.is_some() {
        let sname = op_states.get(&op.id.0).cloned().unwrap_or_else(|| format!("{base}DumpState"));
        dump_methods(cx, h, op, &sname, &mut c);
        let p = policies.op_policy.get(&(op.id.0, true)).cloned();
        if split {
            c.dump_policy = p;
        } else if op.do_.is_none() {
            c.policy = p;
        }
    }
    let mut t = MacroText::default();
    if let Some(cc) = &op.config_cond {
        t.line(&format!("#[cfg({})]", config_name(cc)));
    }
    t.open("nl::operation!");
    // pub(crate): on 7.3, #[vtable] adds `type OwnerModule = crate::LocalModule` (the
    // module's private type) to the impl, which a `pub` type may not expose.
    t.open(&format!("pub(crate) struct {base}Op<H: {handler}>"));
    let clauses = [
        ("policy", &c.policy),
        ("dump_policy", &c.dump_policy),
        ("doit", &c.doit),
        ("pre_doit", &c.pre_doit),
        ("post_doit", &c.post_doit),
        ("dumpit", &c.dumpit),
        ("start", &c.start),
        ("done", &c.done),
    ];
    for (k, v) in clauses {
        if let Some(v) = v {
            t.line(&format!("{k}: {v},"));
        }
    }
    t.close("}");
    t.close("}");
    h.op_types.push(t.finish());
}

/// The do method of an op and its `doit`/`pre_doit`/`post_doit` routes.
fn do_methods(cx: &Cx, h: &mut Handlers, op: &Op, c: &mut OpClauses) {
    let Some(sub) = &op.do_ else { return };
    let fname = &op.fn_name;
    let rq = format!("{}Request", cx.names.ops[op.id.0]);
    do_method(&mut h.trait_items, op, &perm_note(op), &rq);
    c.doit = Some(format!("{fname}({rq})"));
    // do hooks are only called by split ops (genl_split_ops has pre_doit/post_doit)
    let split = cx.fam.kernel_policy == KernelPolicy::Split;
    for (hook, pre) in [(&sub.pre, true), (&sub.post, false)] {
        let Some(hook) = hook else { continue };
        let m = names::snake(hook);
        let route = format!("{m} if HAS_{}", m.to_uppercase());
        h.hooks.insert((hook.clone(), pre));
        if !split {
            continue;
        }
        if pre {
            c.pre_doit = Some(route);
        } else {
            c.post_doit = Some(route);
        }
    }
}

/// The dump method of an op (and its dump-state type, once per state), and its
/// `dumpit`/`start`/`done` routes.
fn dump_methods(cx: &Cx, h: &mut Handlers, op: &Op, sname: &str, c: &mut OpClauses) {
    let Some(sub) = &op.dump else { return };
    let base = &cx.names.ops[op.id.0];
    let rq = format!("{base}DumpRequest");
    let dt = format!("{base}Dump");
    let sty = sname;
    let dfn = format!("{}_dump", op.fn_name);
    if h.declared_states.insert(sname.to_string()) {
        let states = dump_states_of(cx).unwrap_or_default();
        let users: Vec<String> = cx
            .fam
            .served_ops()
            .filter(|o| states.get(&o.id.0).map(String::as_str) == Some(sname))
            .map(|o| format!("`{}`", o.name))
            .collect();
        h.trait_items.doc_lines(Some(&format!(
            "Cursor of a {} dump, kept across dumpit calls (at most 40 bytes, `Default` at the start unless a start hook sets it).",
            users.join(" / ")
        )));
        h.trait_items.line(&format!("type {sty}: Copy + Default;"));
    }
    for (hook, start) in [(&sub.pre, true), (&sub.post, false)] {
        let Some(hook) = hook else { continue };
        let m = names::snake(hook);
        let route = format!("{m} if HAS_{}", m.to_uppercase());
        h.dump_hooks
            .entry(hook.clone())
            .or_insert_with(|| (start, sname.to_string(), Vec::new()))
            .2
            .push(op.name.clone());
        if start {
            c.start = Some(route);
        } else {
            c.done = Some(route);
        }
    }
    dump_method(&mut h.trait_items, op, None, [&rq, &dt, &dfn, sty]);
    c.dumpit = Some(format!("{dfn}({rq}, {dt}, {sty})"));
}

/// The handler-trait method of an op's do, `EOPNOTSUPP` by default: the op's doc, then `perm`
/// (who may send it); `rq` is its typed request. Shared with the classic netlink side.
pub(super) fn do_method(t: &mut MacroText, op: &Op, perm: &str, rq: &str) {
    t.doc_lines(op.doc.as_deref());
    t.doc_break();
    t.doc_lines(Some(perm));
    if op.fn_name == "new" {
        // named after the spec's op (ovs' `new`), not a constructor
        t.line("#[allow(clippy::new_ret_no_self)]");
    }
    t.func(
        &format!("fn {}", op.fn_name),
        &[format!("_req: &{rq}<'_>")],
        Some("nl::Result"),
        Some(&["Err(nl::Error::EOPNOTSUPP)"]),
    );
}

/// The handler-trait method of an op's dump, `EOPNOTSUPP` by default: the op's doc, what a dump
/// method does, then `perm` if given; `[request, dump, method, state]` are its names.
pub(super) fn dump_method(t: &mut MacroText, op: &Op, perm: Option<&str>, [rq, dt, dfn, sty]: [&str; 4]) {
    t.doc_lines(op.doc.as_deref());
    t.doc_break();
    t.doc_lines(Some(&format!(
        "Dump of `{}`: write entries from `state` on; return `Dumped::More` when `dump.entry()` reports a full message, `Dumped::Done` at the end.",
        op.name
    )));
    t.doc_lines(perm);
    t.func(
        &format!("fn {dfn}"),
        &[format!("_req: &{rq}<'_>"), format!("_dump: &mut {dt}<'_, '_>"), format!("_state: &mut Self::{sty}")],
        Some("nl::Result<nl::Dumped>"),
        Some(&["Err(nl::Error::EOPNOTSUPP)"]),
    );
}

/// The trait methods of the do hooks and dump start/done hooks (default: nothing to do).
fn hook_methods(h: &mut Handlers) {
    hook_items(&mut h.trait_items, &h.hooks, &h.dump_hooks, "nl::Request", " (split-policy families)");
}

/// Handler-trait methods for do hooks `(name, pre?)` and dump hooks `name -> (start?, state
/// type, ops naming it)`, taking requests of type `req` (`nl::Request` for Generic Netlink,
/// `nl::RawRequest` for a classic protocol); `when` qualifies "only called when implemented".
pub(super) fn hook_items(
    t: &mut MacroText,
    hooks: &BTreeSet<(String, bool)>,
    dump_hooks: &BTreeMap<String, (bool, String, Vec<String>)>,
    req: &str,
    when: &str,
) {
    for (hook, pre) in hooks {
        let id = names::snake(hook);
        let param = [format!("_req: &{req}<'_>")];
        if *pre {
            t.doc_lines(Some(&format!("Hook `{hook}`: runs before the do handlers of the ops naming it; an error skips the handler. Only called when implemented{when}.")));
            t.func(&format!("fn {id}"), &param, Some("nl::Result"), Some(&["Ok(())"]));
        } else {
            t.doc_lines(Some(&format!(
                "Hook `{hook}`: runs after the do handlers of the ops naming it. Only called when implemented{when}."
            )));
            t.func(&format!("fn {id}"), &param, None, None);
        }
    }
    for (hook, (start, st, ops)) in dump_hooks {
        let id = names::snake(hook);
        let ops = ops.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ");
        let state = format!("_state: &mut Self::{st}");
        if *start {
            t.doc_lines(Some(&format!(
                "Hook `{hook}` (dump `start` of {ops}): runs once before the first dumpit with the parsed dump request and the `Default` state, which it may initialise; an error ends the dump before anything is sent. Not implemented: no `start` callback, the dump begins with the `Default` state."
            )));
            t.func(&format!("fn {id}"), &[format!("_req: &{req}<'_>"), state], Some("nl::Result"), Some(&["Ok(())"]));
        } else {
            t.doc_lines(Some(&format!(
                "Hook `{hook}` (dump `done` of {ops}): runs once when a dump ends (finished, failed, or its socket closed), with the state the last call left, to release what the start hook took. Not implemented: no `done` callback."
            )));
            t.func(&format!("fn {id}"), &[state], None, None);
        }
    }
}

/// The ops table (`nl::ops_table!`, `Ops<H>::TABLE`), how the family refers to it, and
/// `resv_start_op` (one past the last command that keeps a `dont-validate` relaxation).
fn ops_table(cx: &Cx, handler: &str) -> Result<(MacroText, String, u32), KernelGenError> {
    let f = cx.fam;
    let split = f.kernel_policy == KernelPolicy::Split;
    let mut entries: Vec<(u32, u8, Option<String>, String)> = Vec::new(); // (cmd, do=0/dump=1, cfg, expr)
    let mut resv_start_op: u32 = 0;
    for op in f.served_ops() {
        let cmd = op.req_value.unwrap_or(0);
        let cl = expr_text(cmd_ref(op, cmd)?, &[]);
        let opty = format!("{}Op", cx.names.ops[op.id.0]);
        let mut flags = Vec::new();
        if op.flags.admin_perm {
            flags.push("nl::ADMIN_PERM");
        }
        if op.flags.uns_admin_perm {
            flags.push("nl::UNS_ADMIN_PERM");
        }
        let flags = if flags.is_empty() { String::new() } else { format!(".flags({})", flags.join(" | ")) };
        let dv = op.dont_validate;
        if dv.strict || dv.dump || dv.dump_strict {
            resv_start_op = resv_start_op.max(cmd + 1);
        }
        let vflags =
            |bits: Vec<&str>| if bits.is_empty() { String::new() } else { format!(".validate({})", bits.join(" | ")) };
        let do_bits = if dv.strict { vec!["nl::DONT_VALIDATE_STRICT"] } else { vec![] };
        let mut dump_bits = Vec::new();
        if dv.dump {
            dump_bits.push("nl::DONT_VALIDATE_DUMP");
        }
        if dv.dump_strict {
            dump_bits.push("nl::DONT_VALIDATE_DUMP_STRICT");
        }
        let cfg = op.config_cond.as_ref().map(|c| format!("#[cfg({})]", config_name(c)));
        if split {
            if op.do_.is_some() {
                let v = vflags(do_bits);
                entries.push((cmd, 0, cfg.clone(), format!("do {opty}({cl}){flags}{v}")));
            }
            if op.dump.is_some() {
                let v = vflags(dump_bits);
                entries.push((cmd, 1, cfg, format!("dump {opty}({cl}){flags}{v}")));
            }
        } else {
            let v = vflags(do_bits.into_iter().chain(dump_bits).collect());
            entries.push((cmd, 0, cfg, format!("op {opty}({cl}){flags}{v}")));
        }
    }
    entries.sort_by_key(|(c, k, _, _)| (*c, *k));
    if entries.is_empty() {
        return Ok((MacroText::default(), "nl::OpsRef::NONE".into(), resv_start_op));
    }
    let table = if split { "SplitOpsTable" } else { "OpsTable" };
    let t = ops_table_text(
        "The ops table of the family for handler `H`.",
        handler,
        table,
        entries.iter().map(|(_, _, cfg, e)| (cfg.as_deref(), e.as_str())),
    );
    Ok((t, "Ops::<H>::TABLE.as_ref()".into(), resv_start_op))
}

/// `nl::ops_table! { /// doc  pub(crate) struct Ops<H: handler>: table { entries } }`, each
/// entry `(cfg, op)` an op line under its `#[cfg(..)]` if any. Shared with the classic
/// netlink side (`table` `[RawOp]`).
pub(super) fn ops_table_text<'a>(
    doc: &str,
    handler: &str,
    table: &str,
    entries: impl Iterator<Item = (Option<&'a str>, &'a str)>,
) -> MacroText {
    let mut t = MacroText::default();
    t.open("nl::ops_table!");
    t.line(&format!("/// {doc}"));
    let mut body = MacroText::default();
    for (cfg, e) in entries {
        if let Some(cfg) = cfg {
            body.line(cfg);
        }
        chain_line(&mut body, 2, e);
    }
    t.block(&format!("pub(crate) struct Ops<H: {handler}>: {table}"), body);
    t.close("}");
    t
}

/// `e,` as one line of a macro body at `depth` (four columns each), or, when that passes 100
/// columns, its method calls on lines of their own one level deeper.
fn chain_line(t: &mut MacroText, depth: usize, e: &str) {
    if depth * 4 + e.len() < 100 {
        t.line(&format!("{e},"));
        return;
    }
    // split before each `.name(` at nesting level 0
    let (mut parts, mut level, mut from) = (Vec::new(), 0i32, 0);
    let b = e.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'[' | b'<' => level += 1,
            b')' | b']' | b'>' => level -= 1,
            b'.' if level == 0 && i > from => {
                parts.push(&e[from..i]);
                from = i;
            }
            _ => {}
        }
    }
    parts.push(&e[from..]);
    let last = parts.len() - 1;
    for (i, p) in parts.iter().enumerate() {
        let comma = if i == last { "," } else { "" };
        t.line(&format!("{}{p}{comma}", if i == 0 { "" } else { "    " }));
    }
}

/// The multicast groups (`nl::mcgroups!`) and `FAMILY`.
fn family(cx: &Cx, opts: &KernelOptions, policies: &Policies, resv_start_op: u32) -> MacroText {
    let f: &Family = cx.fam;
    let family_hdr = f.ops.fixed_header.filter(|s| f.struct_(*s).size.is_some());
    let hdrsize = family_hdr.and_then(|s| f.struct_(s).size).unwrap_or(0);
    // Split families keep maxattr per op; the family's stays 0, as ynl-gen-c leaves it
    // (nlctrl getfamily reports it; policy-parity compares it).
    let policy_field = match &policies.family_policy {
        Some(p) => format!("Some({p}.as_ref())"),
        None => "None".into(),
    };
    let resv = resv_start_op.min(255);
    let mut t = MacroText::default();
    let groups_ref = if f.mcast_groups.is_empty() {
        "nl::McGroupsRef::NONE"
    } else {
        t.open("nl::mcgroups!");
        t.line("/// The family's multicast groups (index = `mcgrp::*`).");
        let mut body = MacroText::default();
        for g in &f.mcast_groups {
            let name = cstr(&g.name).unwrap_or(Literal::c_string(c"?"));
            let cap = if g.flags.admin_perm || g.flags.uns_admin_perm { ".cap_net_admin()" } else { "" };
            body.line(&format!("nl::McGroup::new({name}){cap},"));
        }
        t.block("static GROUPS", body);
        t.close("}");
        "GROUPS.as_ref()"
    };
    let family_fn = if f.kernel_family.sock_priv.is_some() { "nl::family_sock_priv::<SockPriv>" } else { "nl::family" };
    t.doc_lines(f.doc.as_deref());
    t.open(&format!("pub static FAMILY: nl::Family = {family_fn}(nl::FamilyDef"));
    for (k, v) in [
        ("name", "FAMILY_NAME".to_string()),
        ("version", "FAMILY_VERSION".to_string()),
        ("hdrsize", hdrsize.to_string()),
        ("policy", policy_field),
        ("maxattr", "0".to_string()),
        ("netnsok", opts.netnsok.to_string()),
        ("parallel_ops", opts.parallel_ops.to_string()),
        ("resv_start_op", resv.to_string()),
        ("ops", "nl::OpsRef::NONE".to_string()),
        ("mcgrps", groups_ref.to_string()),
    ] {
        t.line(&format!("{k}: {v},"));
    }
    t.close("});");
    t
}

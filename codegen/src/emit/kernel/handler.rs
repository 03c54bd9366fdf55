//! The handler side: the `#[vtable]` trait `<Family>Handler` (one method per do and dump with
//! `EOPNOTSUPP` defaults, dump-state types, `pre`/`post` hooks), the op types generic over the
//! handler, the ops table, the multicast groups, `FAMILY` and `register::<H>()`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::common::{
    cmd_ref, config_cfg, config_name, cstr, doc_str, served_ops, KernelGenError, KernelOptions, MacroText,
};
use super::policy::Policies;
use crate::attr::doc_attrs as doc;
use crate::attr::Cx;
use nlspec_model::ir::{Family, KernelPolicy, Op};
use nlspec_model::names;

/// The dump-state associated type of each served dump op (by op id): `<Op>DumpState`, except
/// that dump ops naming the same start/done hook share the state type of the first of them, so
/// the hook method can take it (in C such hooks share `cb->ctx` the same way).
pub(super) fn dump_states_of(cx: &Cx) -> Result<BTreeMap<usize, String>, KernelGenError> {
    let f = cx.fam;
    let do_hooks: BTreeSet<&str> = served_ops(f)
        .filter_map(|op| op.do_.as_ref())
        .flat_map(|d| d.pre.iter().chain(d.post.iter()).map(|h| h.as_str()))
        .collect();
    let mut op_state = BTreeMap::new();
    let mut hook_state: BTreeMap<&str, String> = BTreeMap::new();
    for op in served_ops(f) {
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
    trait_items: Vec<TokenStream>,
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
    let handler = format_ident!("{}Handler", f.rust_name);
    let op_states = dump_states_of(cx)?;
    let mut h = Handlers::default();
    for op in served_ops(f) {
        op_type(cx, &mut h, &handler, policies, &op_states, op);
    }
    hook_methods(&mut h);
    let trait_items = &h.trait_items;
    let op_types = &h.op_types;
    let (ops_struct, ops_ref, resv_start_op) = ops_table(cx, &handler)?;
    let family = family(cx, opts, policies, resv_start_op);
    // Per-socket state: a type of the crate root's, named in the family file as `SockPriv`. The
    // kernel needs its size when the family is built (in tree, the series takes it in
    // `FamilyOps`), so it cannot be an associated type of the handler.
    let sock_priv_item = match &f.kernel_family.sock_priv {
        Some(c_ty) => {
            let root_ty = format_ident!("{}", super::common::sock_priv_type(f));
            let d = doc_str(&format!(
                "Per-socket state (`sock-priv: {c_ty}` in the spec): the crate root's `{root_ty}`\n\
                 (`Default + Sync + 'static`). One value per socket that talks to the family, made with\n\
                 `Default` on the socket's first `req.raw().sock_priv::<SockPriv>()`, dropped when the\n\
                 socket closes or the family is unregistered. `Sync`: requests on one socket may run at\n\
                 once."
            ));
            quote! {
                #d
                pub(crate) type SockPriv = crate::#root_ty;
            }
        }
        None => quote!(),
    };
    let handler_doc = doc_str(&format!(
        "The `{}` family's request handlers: one method per do and dump (default: `EOPNOTSUPP`).\n\
         Implement it with `#[vtable]` on a type of yours and register with [`register`]. Handlers\n\
         run in process context{}.",
        f.name,
        if opts.parallel_ops {
            " and in parallel (the family sets `parallel_ops`): lock shared state yourself"
        } else {
            " under `genl_mutex`"
        }
    ));
    Ok(quote! {
        #handler_doc
        #[kernel::prelude::vtable]
        pub trait #handler: Sized + 'static {
            #(#trait_items)*
        }

        #sock_priv_item

        #(#op_types)*

        #ops_struct

        #family

        /// Registers the family with the handlers of `H`; dropping the returned guard
        /// unregisters it. A second registration fails with `EBUSY`.
        pub fn register<H: #handler>(
            module: &'static kernel::ThisModule,
        ) -> core::result::Result<nl::Registration, kernel::error::Error> {
            nl::Registration::register_with(&FAMILY, #ops_ref, None, module)
        }
    })
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
    handler: &Ident,
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
    let fname = format_ident!("{}", op.fn_name);
    let d = doc(op.doc.as_deref());
    let rq = format_ident!("{}Request", cx.names.ops[op.id.0]);
    let perm = perm_note(op);
    h.trait_items.push(quote! {
        #d
        #[doc = ""]
        #[doc = #perm]
        fn #fname(_req: &#rq<'_>) -> nl::Result {
            Err(nl::Error::EOPNOTSUPP)
        }
    });
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
    let d = doc(op.doc.as_deref());
    let rq = format_ident!("{}DumpRequest", base);
    let dt = format_ident!("{}Dump", base);
    let sty = format_ident!("{}", sname);
    let dfn = format_ident!("{}_dump", op.fn_name);
    if h.declared_states.insert(sname.to_string()) {
        let states = dump_states_of(cx).unwrap_or_default();
        let users: Vec<String> = served_ops(cx.fam)
            .filter(|o| states.get(&o.id.0).map(String::as_str) == Some(sname))
            .map(|o| format!("`{}`", o.name))
            .collect();
        let sd = doc_str(&format!(
            "Cursor of a {} dump, kept across dumpit calls (at most 40 bytes, `Default` at the start unless a start hook sets it).",
            users.join(" / ")
        ));
        h.trait_items.push(quote! {
            #sd
            type #sty: Copy + Default;
        });
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
    let dd = doc_str(&format!("Dump of `{}`: write entries from `state` on; return `Dumped::More` when `dump.entry()` reports a full message, `Dumped::Done` at the end.", op.name));
    h.trait_items.push(quote! {
        #d
        #[doc = ""]
        #dd
        fn #dfn(_req: &#rq<'_>, _dump: &mut #dt<'_, '_>, _state: &mut Self::#sty) -> nl::Result<nl::Dumped> {
            Err(nl::Error::EOPNOTSUPP)
        }
    });
    c.dumpit = Some(format!("{dfn}({rq}, {dt}, {sty})"));
}

/// The trait methods of the do hooks and dump start/done hooks (default: nothing to do).
fn hook_methods(h: &mut Handlers) {
    let items = hook_items(&h.hooks, &h.dump_hooks, &quote!(nl::Request), " (split-policy families)");
    h.trait_items.extend(items);
}

/// Handler-trait methods for do hooks `(name, pre?)` and dump hooks `name -> (start?, state
/// type, ops naming it)`, taking requests of type `req` (`nl::Request` for Generic Netlink,
/// `nl::RawRequest` for a classic protocol); `when` qualifies "only called when implemented".
pub(super) fn hook_items(
    hooks: &BTreeSet<(String, bool)>,
    dump_hooks: &BTreeMap<String, (bool, String, Vec<String>)>,
    req: &TokenStream,
    when: &str,
) -> Vec<TokenStream> {
    let mut items = Vec::new();
    for (hook, pre) in hooks {
        let id = format_ident!("{}", names::snake(hook));
        if *pre {
            let d = doc_str(&format!("Hook `{hook}`: runs before the do handlers of the ops naming it; an error skips the handler. Only called when implemented{when}."));
            items.push(quote! {
                #d
                fn #id(_req: &#req<'_>) -> nl::Result { Ok(()) }
            });
        } else {
            let d = doc_str(&format!(
                "Hook `{hook}`: runs after the do handlers of the ops naming it. Only called when implemented{when}."
            ));
            items.push(quote! {
                #d
                fn #id(_req: &#req<'_>) {}
            });
        }
    }
    for (hook, (start, st, ops)) in dump_hooks {
        let id = format_ident!("{}", names::snake(hook));
        let sty = format_ident!("{}", st);
        let ops = ops.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ");
        if *start {
            let d = doc_str(&format!(
                "Hook `{hook}` (dump `start` of {ops}): runs once before the first dumpit with the parsed dump request and the `Default` state, which it may initialise; an error ends the dump before anything is sent. Not implemented: no `start` callback, the dump begins with the `Default` state."
            ));
            items.push(quote! {
                #d
                fn #id(_req: &#req<'_>, _state: &mut Self::#sty) -> nl::Result { Ok(()) }
            });
        } else {
            let d = doc_str(&format!(
                "Hook `{hook}` (dump `done` of {ops}): runs once when a dump ends (finished, failed, or its socket closed), with the state the last call left, to release what the start hook took. Not implemented: no `done` callback."
            ));
            items.push(quote! {
                #d
                fn #id(_state: &mut Self::#sty) {}
            });
        }
    }
    items
}

/// The ops table (`Ops<H>::TABLE`), how the family refers to it, and `resv_start_op` (one past
/// the last command that keeps a `dont-validate` relaxation).
fn ops_table(cx: &Cx, handler: &Ident) -> Result<(TokenStream, TokenStream, u32), KernelGenError> {
    let f = cx.fam;
    let split = f.kernel_policy == KernelPolicy::Split;
    let mut entries: Vec<(u32, u8, TokenStream)> = Vec::new(); // (cmd, do=0/dump=1, expr)
    let mut n_fixed: usize = 0;
    let mut n_cond: BTreeMap<String, usize> = BTreeMap::new();
    let mut resv_start_op: u32 = 0;
    for op in served_ops(f) {
        let cmd = op.req_value.unwrap_or(0);
        let cl = cmd_ref(op, cmd)?;
        let opty = format_ident!("{}Op", cx.names.ops[op.id.0]);
        let mut flags = Vec::new();
        if op.flags.admin_perm {
            flags.push(quote!(nl::ADMIN_PERM));
        }
        if op.flags.uns_admin_perm {
            flags.push(quote!(nl::UNS_ADMIN_PERM));
        }
        let flags = if flags.is_empty() { quote!() } else { quote!(.flags(#(#flags)|*)) };
        let dv = op.dont_validate;
        if dv.strict || dv.dump || dv.dump_strict {
            resv_start_op = resv_start_op.max(cmd + 1);
        }
        let vflags = |bits: Vec<TokenStream>| if bits.is_empty() { quote!() } else { quote!(.validate(#(#bits)|*)) };
        let do_bits = if dv.strict { vec![quote!(nl::DONT_VALIDATE_STRICT)] } else { vec![] };
        let mut dump_bits = Vec::new();
        if dv.dump {
            dump_bits.push(quote!(nl::DONT_VALIDATE_DUMP));
        }
        if dv.dump_strict {
            dump_bits.push(quote!(nl::DONT_VALIDATE_DUMP_STRICT));
        }
        let cfg = config_cfg(op);
        let before = entries.len();
        if split {
            if op.do_.is_some() {
                let v = vflags(do_bits);
                entries.push((cmd, 0, quote!(#cfg nl::SplitOp::do_op::<#opty<H>>(#cl) #flags #v)));
            }
            if op.dump.is_some() {
                let v = vflags(dump_bits);
                entries.push((cmd, 1, quote!(#cfg nl::SplitOp::dump_op::<#opty<H>>(#cl) #flags #v)));
            }
        } else {
            let v = vflags(do_bits.into_iter().chain(dump_bits).collect());
            entries.push((cmd, 0, quote!(#cfg nl::Op::new::<#opty<H>>(#cl) #flags #v)));
        }
        let added = entries.len() - before;
        match &op.config_cond {
            Some(c) => *n_cond.entry(config_name(c)).or_default() += added,
            None => n_fixed += added,
        }
    }
    entries.sort_by_key(|(c, k, _)| (*c, *k));
    if entries.is_empty() {
        return Ok((quote!(), quote!(nl::OpsRef::NONE), resv_start_op));
    }
    let exprs = entries.iter().map(|(_, _, e)| e);
    // the table length follows the config: entries of a `config-cond` op count only when the
    // option is set (`cfg!` sees the same `--cfg CONFIG_X` as the `#[cfg]` on the entries)
    let n_lit = {
        let fixed = Literal::usize_unsuffixed(n_fixed);
        let conds = n_cond.iter().map(|(c, k)| {
            let id = format_ident!("{}", c);
            let k = Literal::usize_unsuffixed(*k);
            quote!(+ if cfg!(#id) { #k } else { 0 })
        });
        if n_cond.is_empty() {
            quote!(#fixed)
        } else {
            quote!({ #fixed #(#conds)* })
        }
    };
    let (table_ty, table_new) = if split {
        (quote!(nl::SplitOpsTable<#n_lit>), quote!(nl::SplitOpsTable::new))
    } else {
        (quote!(nl::OpsTable<#n_lit>), quote!(nl::OpsTable::new))
    };
    let ops_struct = quote! {
        /// The ops table of the family for handler `H`.
        pub(crate) struct Ops<H>(PhantomData<H>);
        impl<H: #handler> Ops<H> {
            /// The table (a constant per handler type, referenced by the family).
            pub const TABLE: &'static #table_ty = &#table_new([#(#exprs),*]);
        }
    };
    Ok((ops_struct, quote!(Ops::<H>::TABLE.as_ref()), resv_start_op))
}

/// The multicast groups static and `FAMILY`.
fn family(cx: &Cx, opts: &KernelOptions, policies: &Policies, resv_start_op: u32) -> TokenStream {
    let f: &Family = cx.fam;
    let family_hdr = f.ops.fixed_header.filter(|s| f.struct_(*s).size.is_some());
    let hdrsize = family_hdr.and_then(|s| f.struct_(s).size).unwrap_or(0);
    let hdrsize = Literal::u32_unsuffixed(hdrsize as u32);
    let (policy_field, maxattr_field) = match &policies.family_policy {
        Some(p) => {
            let p = format_ident!("{}", p);
            (quote!(Some(#p.as_ref())), quote!(0))
        }
        // Split families keep maxattr per op; the family's stays 0, as ynl-gen-c leaves it
        // (nlctrl getfamily reports it; policy-parity compares it).
        None => (quote!(None), quote!(0)),
    };
    let netnsok = opts.netnsok;
    let parallel = opts.parallel_ops;
    let resv = Literal::u8_unsuffixed(resv_start_op.min(255) as u8);
    let n_groups = Literal::usize_unsuffixed(f.mcast_groups.len());
    let groups = f.mcast_groups.iter().map(|g| {
        let name = cstr(&g.name).unwrap_or(Literal::c_string(c"?"));
        let cap = if g.flags.admin_perm || g.flags.uns_admin_perm { quote!(.cap_net_admin()) } else { quote!() };
        quote!(nl::McGroup::new(#name) #cap)
    });
    let (groups_static, groups_ref) = if f.mcast_groups.is_empty() {
        (quote!(), quote!(nl::McGroupsRef::NONE))
    } else {
        (
            quote! {
                /// The family's multicast groups (index = `mcgrp::*`).
                static GROUPS: nl::McGroups<#n_groups> = nl::McGroups::new([#(#groups),*]);
            },
            quote!(GROUPS.as_ref()),
        )
    };
    let family_fn =
        if f.kernel_family.sock_priv.is_some() { quote!(nl::family_sock_priv::<SockPriv>) } else { quote!(nl::family) };
    let family_doc = doc(f.doc.as_deref());
    quote! {
        #groups_static

        #family_doc
        pub static FAMILY: nl::Family = #family_fn(nl::FamilyDef {
            name: FAMILY_NAME,
            version: FAMILY_VERSION,
            hdrsize: #hdrsize,
            policy: #policy_field,
            maxattr: #maxattr_field,
            netnsok: #netnsok,
            parallel_ops: #parallel,
            resv_start_op: #resv,
            ops: nl::OpsRef::NONE,
            mcgrps: #groups_ref,
        });
    }
}

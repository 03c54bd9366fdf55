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

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::common::{cmd_ref, doc_str, header_struct, served_ops, KernelGenError, KernelOptions, MacroText};
use super::handler::{dump_states_of, hook_items};
use super::policy::Policies;
use crate::attr::doc_attrs as doc;
use crate::attr::Cx;
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
    let handler = format_ident!("{}Handler", f.rust_name);
    let states = dump_states_of(cx)?;
    let mut trait_items = Vec::new();
    let mut declared = std::collections::BTreeSet::new();
    let mut op_types = Vec::new();
    let mut table = Vec::new();
    let mut do_hooks = std::collections::BTreeSet::new();
    let mut dump_hooks: std::collections::BTreeMap<String, (bool, String, Vec<String>)> = Default::default();
    for op in served_ops(f) {
        let base = &cx.names.ops[op.id.0];
        let fname = format_ident!("{}", op.fn_name);
        let d = doc(op.doc.as_deref());
        let perm = perm_note(op);
        let hdr = header_struct(cx, op.fixed_header).map(|h| format!("{h}::SIZE")).unwrap_or_else(|| "0".into());
        let slots = |dump: bool| {
            policies
                .op_policy
                .get(&(op.id.0, dump))
                .and_then(|p| policies.len.get(p).map(|l| (p.clone(), l.to_string().replace(" :: ", "::"))))
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
            let rq = format_ident!("{}Request", base);
            trait_items.push(quote! {
                #d
                #[doc = ""]
                #[doc = #perm]
                fn #fname(_req: &#rq<'_>) -> nl::Result {
                    Err(nl::Error::EOPNOTSUPP)
                }
            });
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
            let sty = format_ident!("{}", sname);
            if declared.insert(sname.clone()) {
                let sd = doc_str(&format!(
                    "Cursor of a `{}` dump, kept across dumpit calls (at most 40 bytes, `Default` at the start).",
                    op.name
                ));
                trait_items.push(quote! { #sd type #sty: Copy + Default; });
            }
            let rq = format_ident!("{}DumpRequest", base);
            let dt = format_ident!("{}Dump", base);
            let dfn = format_ident!("{}_dump", op.fn_name);
            let dd = doc_str(&format!(
                "Dump of `{}`: write entries from `state` on; return `Dumped::More` when `dump.entry()` reports a full message, `Dumped::Done` at the end.",
                op.name
            ));
            trait_items.push(quote! {
                #d
                #[doc = ""]
                #dd
                #[doc = #perm]
                fn #dfn(_req: &#rq<'_>, _dump: &mut #dt<'_, '_>, _state: &mut Self::#sty) -> nl::Result<nl::Dumped> {
                    Err(nl::Error::EOPNOTSUPP)
                }
            });
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
        let cr = cmd_ref(op, v)?;
        let opty = format_ident!("{}Op", base);
        let perm_expr = if op.flags.admin_perm {
            quote!(.perm(nl::RawPerm::Admin))
        } else if op.flags.uns_admin_perm {
            quote!(.perm(nl::RawPerm::NsAdmin))
        } else {
            quote!()
        };
        table.push((v, quote!(nl::RawOp::new::<#opty<H>>(#cr) #perm_expr)));
    }
    trait_items.extend(hook_items(&do_hooks, &dump_hooks, &quote!(nl::RawRequest), ""));
    table.sort_by_key(|(v, _)| *v);
    let n = Literal::usize_unsuffixed(table.len());
    let entries = table.iter().map(|(_, e)| e);
    let protocol = protocol(f, opts);
    let handler_doc = doc_str(&format!(
        "The `{}` protocol's request handlers: one method per do and dump (default: `EOPNOTSUPP`).\n\
         Implement it with `#[vtable]` on a type of yours and register with [`register`]. Handlers\n\
         run in the sending process's context, several at once: lock shared state yourself.",
        f.name
    ));
    Ok(quote! {
        #handler_doc
        #[kernel::prelude::vtable]
        pub trait #handler: Sized + 'static {
            #(#trait_items)*
        }

        #(#op_types)*

        /// The op table of the protocol for handler `H`, by message type.
        pub(crate) struct Ops<H>(PhantomData<H>);
        impl<H: #handler> Ops<H> {
            /// The table (a constant per handler type).
            pub const TABLE: &'static [nl::RawOp; #n] = &[#(#entries),*];
        }

        #protocol

        /// Creates the protocol unit with the handlers of `H`; dropping the returned guard
        /// releases it. A second registration fails with `EBUSY`.
        pub fn register<H: #handler>(
            module: &'static kernel::ThisModule,
        ) -> core::result::Result<nl::RawRegistration, kernel::error::Error> {
            nl::RawRegistration::register::<ProtocolOf>(Ops::<H>::TABLE, module)
        }
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
fn protocol(f: &Family, opts: &KernelOptions) -> TokenStream {
    let unit = Literal::u32_unsuffixed(f.protonum.unwrap_or(0));
    let groups = Literal::u32_unsuffixed(f.mcast_groups.iter().filter_map(|g| g.value).max().unwrap_or(0));
    let mut admin: u64 = 0;
    for g in &f.mcast_groups {
        if let Some(v) = g.value.filter(|v| (1..=64).contains(v)) {
            if g.flags.admin_perm || g.flags.uns_admin_perm {
                admin |= 1 << (v - 1);
            }
        }
    }
    let admin = Literal::u64_unsuffixed(admin);
    let mut flags = Vec::new();
    if f.mcast_groups.iter().any(|g| !(g.flags.admin_perm || g.flags.uns_admin_perm)) {
        flags.push(quote!(nl::proto_flags::NONROOT_RECV));
    }
    let peer = f
        .ops
        .list
        .iter()
        .any(|o| o.event.is_some() && o.mcgrp.is_none() && !o.flags.admin_perm && !o.flags.uns_admin_perm);
    if peer {
        flags.push(quote!(nl::proto_flags::NONROOT_SEND));
    }
    let flags = if flags.is_empty() { quote!(0) } else { quote!(#(#flags)|*) };
    let netns = opts.netnsok;
    let d = doc(f.doc.as_deref());
    let where_ = if netns {
        "It exists in every network namespace (pernet operations)."
    } else {
        "Its kernel socket exists in the initial network namespace only: netlink registers the \
         protocol number for every namespace, so a process elsewhere can open a socket of it, but its \
         requests find no kernel socket (`ECONNREFUSED`)."
    };
    let wd = doc_str(where_);
    quote! {
        #d
        #[doc = ""]
        #wd
        pub static PROTOCOL: nl::Protocol = nl::Protocol::new(nl::ProtocolDef {
            unit: #unit,
            groups: #groups,
            admin_groups: #admin,
            flags: #flags,
            netns: #netns,
        });

        /// Names [`PROTOCOL`] to the support layer's callbacks.
        pub(crate) struct ProtocolOf;
        impl nl::ProtocolSpec for ProtocolOf {
            const PROTOCOL: &'static nl::Protocol = &PROTOCOL;
        }
    }
}

//! Operations: command numbers, request builders, typed replies and notifications, dump
//! iterators, multicast groups, and the sync/async `Client`.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::sets::setters;
use crate::attr::{doc_attrs, ident, Cx};
use nlspec_model::ir::{self, Op};
use nlspec_model::names::screaming;

fn u8_lit(v: u32) -> Literal {
    Literal::u8_unsuffixed(v as u8)
}

/// `cmd::X` constant of an op's request, and of its reply/notification when different.
pub fn cmd_consts(cx: &Cx) -> TokenStream {
    let mut items = Vec::new();
    for op in &cx.fam.ops.list {
        let base = screaming(&op.name);
        let doc = doc_attrs(op.doc.as_deref());
        let cdoc = format!(" Command `{}` (C: `{}`).", op.name, op.c_name);
        match (op.req_value, op.rsp_value) {
            (Some(r), Some(s)) if r != s => {
                let n = ident(&base);
                let rn = format_ident!("{}_REPLY", base);
                let (r, s) = (u8_lit(r), u8_lit(s));
                items.push(quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #n: u8 = #r;));
                items.push(quote!(#[doc = #cdoc] #[doc = " Reply message id."] pub const #rn: u8 = #s;));
            }
            (Some(v), _) | (None, Some(v)) => {
                let n = ident(&base);
                let v = u8_lit(v);
                items.push(quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #n: u8 = #v;));
            }
            (None, None) => {}
        }
    }
    quote! {
        /// Command numbers (`genlmsghdr.cmd`).
        pub mod cmd {
            #(#items)*
        }
    }
}

/// Methods `Client` has itself; an op with one of these names gets the suffix `_op`.
const CLIENT_METHODS: &[&str] = &[
    "new",
    "from_socket",
    "socket",
    "into_socket",
    "family",
    "subscribe",
    "recv_notification",
    "recv_notification_timeout",
];

/// The `Client` method of an op's do (its dump adds `_dump`).
pub fn op_method(op: &Op) -> Ident {
    if CLIENT_METHODS.contains(&op.fn_name.as_str()) {
        format_ident!("{}_op", op.fn_name)
    } else {
        ident(&op.fn_name)
    }
}

/// Names of an op's generated types.
pub struct OpNames {
    pub request: Ident,
    pub dump_request: Ident,
    pub reply: Ident,
    pub dump_iter: Ident,
    pub notification: Ident,
}

pub fn op_names(cx: &Cx, op: &Op) -> OpNames {
    let r = &cx.names.ops[op.id.0];
    OpNames {
        request: format_ident!("{}Request", r),
        dump_request: format_ident!("{}DumpRequest", r),
        reply: format_ident!("{}Reply", r),
        dump_iter: format_ident!("{}DumpIter", r),
        notification: format_ident!("{}Notification", r),
    }
}

/// Fixed header struct of an op, if any.
fn hdr(cx: &Cx, op: &Op) -> Option<Ident> {
    op.fixed_header.map(|s| cx.struct_ty(s))
}

/// `reply` is the op's reply type for this request (`()` when an ACK alone answers it).
fn request_struct(cx: &Cx, op: &Op, name: &Ident, sub: &ir::SubOp, what: &str, reply: TokenStream) -> TokenStream {
    let attrs: Vec<(ir::SetId, &ir::Attr)> =
        sub.request.as_ref().map(|m| m.attrs.iter().map(|r| (r.set, cx.fam.attr(*r))).collect()).unwrap_or_default();
    let doc = format!(" Request of `{}` ({what}); only the attributes the spec lists for it.", op.name);
    let opdoc = doc_attrs(op.doc.as_deref());
    let setters = setters(cx, attrs.into_iter(), &quote!(mut self), &quote!(Self), |put| {
        quote! {
            self.put(|w| { #put });
            self
        }
    });
    let (hfield, hnew, hget, hbytes) = match hdr(cx, op) {
        Some(h) => (
            quote!(header: #h,),
            quote! {
                /// A request with fixed header `header` and no attributes yet.
                pub fn new(header: #h) -> Self {
                    Self { header, ..::core::default::Default::default() }
                }
            },
            quote! {
                /// The fixed header.
                pub fn fixed_header(&self) -> &#h {
                    &self.header
                }
            },
            quote! {
                type Header = [u8; #h::SIZE];
                fn header_bytes(&self) -> Self::Header {
                    self.header.to_bytes()
                }
            },
        ),
        None => (
            quote!(),
            quote! {
                /// A request with no attributes yet.
                pub fn new() -> Self {
                    ::core::default::Default::default()
                }
            },
            quote!(),
            quote! {
                type Header = [u8; 0];
                fn header_bytes(&self) -> Self::Header {
                    []
                }
            },
        ),
    };
    let put = if setters.is_empty() {
        quote!()
    } else {
        quote! {
            fn put(&mut self, f: impl ::core::ops::FnOnce(&mut ::nlspec_rt::AttrWriter<'_>)) {
                self.buf.put(f);
            }
        }
    };
    let cmd = u8_lit(op.req_value.unwrap_or(0));
    let schema = match op.attribute_set {
        Some(s) => {
            let st = cx.set_schema(s);
            quote!(::core::option::Option::Some(&schema::#st))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #opdoc
        #[doc = ""]
        #[doc = #doc]
        #[derive(Debug, Clone, Default)]
        pub struct #name {
            #hfield
            buf: ::nlspec_rt::RequestBuf,
        }
        impl #name {
            #hnew
            /// Add `NLM_F_*` flags to the request (e.g. `NLM_F_CREATE`).
            pub fn nlm_flags(mut self, flags: u16) -> Self {
                self.buf.add_nlm_flags(flags);
                self
            }
            /// The attributes encoded so far.
            pub fn encoded_attrs(&self) -> &[u8] {
                self.buf.attrs()
            }
            #hget
            #put
            #setters
        }
        impl ::nlspec_rt::OpRequest for #name {
            const FAMILY: &'static str = FAMILY_NAME;
            const VERSION: u8 = FAMILY_VERSION;
            const CMD: u8 = #cmd;
            const SCHEMA: ::core::option::Option<&'static ::nlspec_rt::AttrSet> = #schema;
            type Reply = #reply;
            #hbytes
            fn buf(&self) -> &::nlspec_rt::RequestBuf {
                &self.buf
            }
        }
    }
}

/// A kernel→user message type of `op` (reply or notification) named `name`.
/// `reply`: also implement `nlspec_rt::DecodeMsg` (what the client's generic request and
/// dump plumbing decodes with).
fn message_struct(cx: &Cx, op: &Op, name: &Ident, doc: &str, reply: bool) -> TokenStream {
    let opdoc = doc_attrs(op.doc.as_deref());
    let (aty, adecode) = match op.attribute_set {
        Some(s) => {
            let t = cx.set_ty(s);
            (quote!(#t<'a>), quote!(#t::decode(msg.attr_bytes())?))
        }
        None => (quote!(::nlspec_rt::Attrs<'a>), quote!(msg.attrs())),
    };
    let (hfield, hdecode, hinit) = match hdr(cx, op) {
        Some(h) => (
            quote!(
                /// The fixed header.
                pub header: #h,
            ),
            quote!(let header = #h::from_bytes(msg.fixed_header())?;),
            quote!(header,),
        ),
        None => (quote!(), quote!(), quote!()),
    };
    let hsize = match hdr(cx, op) {
        Some(h) => quote!(#h::SIZE),
        None => quote!(0),
    };
    let decode_msg = if reply {
        quote! {
            impl ::nlspec_rt::DecodeMsg for #name<'_> {
                type Out<'a> = #name<'a>;
                fn decode_msg<'a>(msg: &::nlspec_rt::GenlMsg<'a>) -> ::core::result::Result<#name<'a>, ::nlspec_rt::DecodeError> {
                    #name::decode(msg)
                }
            }
        }
    } else {
        quote!()
    };
    quote! {
        #opdoc
        #[doc = ""]
        #[doc = #doc]
        #[derive(Debug, Clone, Copy)]
        pub struct #name<'a> {
            #hfield
            /// The attributes (the getters are also reachable through `Deref`).
            pub attrs: #aty,
            /// The whole message.
            pub msg: ::nlspec_rt::GenlMsg<'a>,
        }
        impl<'a> #name<'a> {
            /// Size of the fixed header in bytes.
            pub const HEADER_SIZE: usize = #hsize;
            /// Decode a received message (its command is not checked).
            pub fn decode(msg: &::nlspec_rt::GenlMsg<'a>) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                #hdecode
                ::core::result::Result::Ok(Self { #hinit attrs: #adecode, msg: *msg })
            }
        }
        impl<'a> ::core::ops::Deref for #name<'a> {
            type Target = #aty;
            fn deref(&self) -> &Self::Target {
                &self.attrs
            }
        }
        #decode_msg
    }
}

fn has_reply(sub: &Option<ir::SubOp>) -> bool {
    sub.as_ref().is_some_and(|s| s.reply.is_some())
}

/// Request/reply/notification types of every op.
pub fn types(cx: &Cx) -> TokenStream {
    let mut out = Vec::new();
    for op in &cx.fam.ops.list {
        let n = op_names(cx, op);
        if op.req_value.is_some() {
            if let Some(d) = &op.do_ {
                let reply = &n.reply;
                let rt = if d.reply.is_some() { quote!(#reply<'static>) } else { quote!(()) };
                out.push(request_struct(cx, op, &n.request, d, "do", rt));
            }
            if let Some(d) = &op.dump {
                let reply = &n.reply;
                let rt =
                    if d.reply.is_some() { quote!(#reply<'static>) } else { quote!(::nlspec_rt::GenlMsg<'static>) };
                out.push(request_struct(cx, op, &n.dump_request, d, "dump", rt));
            }
        }
        if has_reply(&op.do_) || has_reply(&op.dump) {
            let doc = format!(" Reply of `{}`, decoded in place (borrows the receive buffer).", op.name);
            out.push(message_struct(cx, op, &n.reply, &doc, true));
        }
        if op.is_async() {
            let grp = op.mcgrp.map(|g| cx.fam.mcgrp(g).name.clone()).unwrap_or_default();
            let doc = format!(" Notification `{}` (multicast group `{grp}`), decoded in place.", op.name);
            out.push(message_struct(cx, op, &n.notification, &doc, false));
        }
    }
    quote!(#(#out)*)
}

/// `Notification` enum and `Group` enum.
pub fn notifications(cx: &Cx) -> TokenStream {
    let asyncs: Vec<&Op> = cx.fam.ops.list.iter().filter(|o| o.is_async() && o.rsp_value.is_some()).collect();
    let variants = asyncs.iter().map(|op| {
        let v = ident(&op.rust_name);
        let t = op_names(cx, op).notification;
        let doc = doc_attrs(op.doc.as_deref());
        quote!(#doc #v(#t<'a>),)
    });
    let arms = asyncs.iter().map(|op| {
        let v = ident(&op.rust_name);
        let t = op_names(cx, op).notification;
        let c = u8_lit(op.rsp_value.unwrap_or(0));
        quote!(#c => Self::#v(#t::decode(&msg.genl(#t::HEADER_SIZE)?)?),)
    });
    let groups: Vec<&ir::McastGroup> = cx.fam.mcast_groups.iter().collect();
    let gvariants = groups.iter().map(|g| {
        let v = ident(&g.rust_name);
        let doc = format!(" Multicast group `{}`.", g.name);
        quote!(#[doc = #doc] #v,)
    });
    let gnames = groups.iter().map(|g| {
        let v = ident(&g.rust_name);
        let n = &g.name;
        quote!(Self::#v => #n,)
    });
    let gall = groups.iter().map(|g| ident(&g.rust_name));
    let group_enum = if groups.is_empty() {
        quote!()
    } else {
        quote! {
            /// The family's multicast groups.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum Group {
                #(#gvariants)*
            }
            impl Group {
                /// Every group.
                pub const ALL: &'static [Group] = &[#(Group::#gall),*];
                /// The group's name (as resolved through nlctrl).
                pub const fn name(self) -> &'static str {
                    match self {
                        #(#gnames)*
                    }
                }
            }
        }
    };
    quote! {
        /// A notification of this family, by command; commands this client does not know are
        /// kept as `Other`.
        #[derive(Debug, Clone, Copy)]
        pub enum Notification<'a> {
            #(#variants)*
            /// A message with a command this client does not know.
            Other(::nlspec_rt::GenlMsg<'a>),
        }
        impl<'a> Notification<'a> {
            /// Decode a multicast message of this family (by its command; the family id is
            /// not checked, see `decode_for`).
            pub fn decode(msg: &::nlspec_rt::NlMsg<'a>) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                let head = msg.genl(0)?;
                Self::decode_cmd(msg, head)
            }
            /// Decode a multicast message if it comes from family id `family`; a message of
            /// another family (a socket can join several families' groups) is `Other`.
            pub fn decode_for(family: u16, msg: &::nlspec_rt::NlMsg<'a>) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                let head = msg.genl(0)?;
                if head.family() != family {
                    return ::core::result::Result::Ok(Self::Other(head));
                }
                Self::decode_cmd(msg, head)
            }
            fn decode_cmd(msg: &::nlspec_rt::NlMsg<'a>, head: ::nlspec_rt::GenlMsg<'a>) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                ::core::result::Result::Ok(match head.cmd() {
                    #(#arms)*
                    _ => Self::Other(head),
                })
            }
        }
        #group_enum
    }
}

/// Whether and how the tokio client is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncClient {
    /// Behind `#[cfg(feature = "tokio")]` (generated crates).
    Feature,
    /// Unconditionally (the including crate depends on `nlspec-rt` with `tokio`).
    Always,
    /// Not at all.
    Never,
}

/// The sync `Client` and the tokio `AsyncClient` as `mode` says.
pub fn clients(cx: &Cx, mode: AsyncClient) -> TokenStream {
    let sync = client(cx, false);
    let asyn = client(cx, true);
    match mode {
        AsyncClient::Never => return sync,
        AsyncClient::Always => {
            return quote! {
                #sync
                pub use self::async_client::AsyncClient;
                /// The tokio client.
                pub mod async_client {
                    use super::*;
                    #asyn
                }
            };
        }
        AsyncClient::Feature => {}
    }
    quote! {
        #sync
        #[cfg(feature = "tokio")]
        pub use self::async_client::AsyncClient;
        /// The tokio client (cargo feature `tokio`).
        #[cfg(feature = "tokio")]
        pub mod async_client {
            use super::*;
            #asyn
        }
    }
}

/// The `Client` methods of an op's do and dump (and the dump's iterator alias).
fn op_methods(cx: &Cx, op: &Op, is_async: bool, methods: &mut Vec<TokenStream>, iters: &mut Vec<TokenStream>) {
    let (dump_it, aw, asy) = if is_async {
        (quote!(::nlspec_rt::AsyncTypedDumpIter), quote!(.await), quote!(async))
    } else {
        (quote!(::nlspec_rt::TypedDumpIter), quote!(), quote!())
    };
    // The runtime's generic plumbing (`nlspec_rt::typed`), sync or tokio.
    let call = |f: &str| {
        let f = if is_async { format_ident!("async_{}", f) } else { format_ident!("{}", f) };
        quote!(::nlspec_rt::typed::#f)
    };
    let (rt_request, rt_ack, rt_dump) = (call("request"), call("request_ack"), call("dump"));
    let n = op_names(cx, op);
    let opdoc = doc_attrs(op.doc.as_deref());
    let fname = op_method(op);
    let perm = if op.flags.admin_perm {
        quote!(#[doc = ""] #[doc = " Needs `CAP_NET_ADMIN`."])
    } else if op.flags.uns_admin_perm {
        quote!(#[doc = ""] #[doc = " Needs `CAP_NET_ADMIN` in the network namespace's user namespace."])
    } else {
        quote!()
    };
    if let Some(d) = &op.do_ {
        let req_t = &n.request;
        if d.reply.is_some() {
            let reply = &n.reply;
            methods.push(quote! {
                #opdoc
                #perm
                pub #asy fn #fname(&mut self, req: &#req_t) -> ::core::result::Result<#reply<'_>, ::nlspec_rt::Error> {
                    #rt_request(&mut self.sock, req)#aw
                }
            });
        } else {
            methods.push(quote! {
                #opdoc
                #perm
                pub #asy fn #fname(&mut self, req: &#req_t) -> ::core::result::Result<(), ::nlspec_rt::Error> {
                    #rt_ack(&mut self.sock, req)#aw
                }
            });
        }
    }
    if let Some(d) = &op.dump {
        let req_t = &n.dump_request;
        let dname = format_ident!("{}_dump", op_method(op).to_string().trim_end_matches('_'));
        let it = &n.dump_iter;
        let item = if d.reply.is_some() {
            let r = &n.reply;
            quote!(#r<'static>)
        } else {
            quote!(::nlspec_rt::GenlMsg<'static>)
        };
        let itdoc = format!(" The replies of a `{}` dump, one at a time (a lending iterator: `while let Some(r) = it.next(){} {{ .. }}`).", op.name, if is_async { ".await" } else { "" });
        methods.push(quote! {
            #opdoc
            #perm
            #[doc = ""]
            #[doc = " Dump: iterate the returned iterator for the replies."]
            pub #asy fn #dname(&mut self, req: &#req_t) -> ::core::result::Result<#it<'_>, ::nlspec_rt::Error> {
                #rt_dump(&mut self.sock, req)#aw
            }
        });
        iters.push(quote! {
            #[doc = #itdoc]
            pub type #it<'s> = #dump_it<'s, #item>;
        });
    }
}

fn client(cx: &Cx, is_async: bool) -> TokenStream {
    let (cname, sock, aw, asy) = if is_async {
        (format_ident!("AsyncClient"), quote!(::nlspec_rt::AsyncGenlSocket), quote!(.await), quote!(async))
    } else {
        (format_ident!("Client"), quote!(::nlspec_rt::GenlSocket), quote!(), quote!())
    };
    let mut methods = Vec::new();
    let mut iters = Vec::new();
    for op in cx.fam.ops.list.iter().filter(|op| op.req_value.is_some()) {
        op_methods(cx, op, is_async, &mut methods, &mut iters);
    }
    let has_groups = !cx.fam.mcast_groups.is_empty();
    let subscribe = if has_groups {
        quote! {
            /// Join multicast group `group` (resolved by name through nlctrl).
            pub #asy fn subscribe(&mut self, group: Group) -> ::core::result::Result<u32, ::nlspec_rt::Error> {
                self.sock.subscribe(FAMILY_NAME, group.name())#aw
            }
        }
    } else {
        quote!()
    };
    let timeout = if is_async {
        quote!()
    } else {
        quote! {
            /// Like `recv_notification`, but `Ok(None)` after `timeout`.
            pub fn recv_notification_timeout(&mut self, timeout: ::std::time::Duration) -> ::core::result::Result<::core::option::Option<Notification<'_>>, ::nlspec_rt::Error> {
                let family = self.family()?.id;
                match self.sock.recv_notification_timeout(timeout)? {
                    ::core::option::Option::Some(n) => ::core::result::Result::Ok(::core::option::Option::Some(Notification::decode_for(family, &n.msg)?)),
                    ::core::option::Option::None => ::core::result::Result::Ok(::core::option::Option::None),
                }
            }
        }
    };
    let cdoc = if is_async {
        format!(" A tokio client of the `{}` family (see [`super::Client`] for the same API, blocking).", cx.fam.name)
    } else {
        format!(" A client of the `{}` family: typed requests, replies, dumps and notifications over one Generic Netlink socket. The family id is resolved through nlctrl on first use and cached.", cx.fam.name)
    };
    quote! {
        #[doc = #cdoc]
        #[derive(Debug)]
        pub struct #cname {
            sock: #sock,
        }
        impl #cname {
            /// Open a socket.
            pub fn new() -> ::core::result::Result<Self, ::nlspec_rt::Error> {
                ::core::result::Result::Ok(Self { sock: #sock::new()? })
            }
            /// Use an existing socket.
            pub fn from_socket(sock: #sock) -> Self {
                Self { sock }
            }
            /// The socket (e.g. to change its receive buffer).
            pub fn socket(&mut self) -> &mut #sock {
                &mut self.sock
            }
            /// Give the socket back.
            pub fn into_socket(self) -> #sock {
                self.sock
            }
            /// The family as the kernel registered it (id, version, ops, groups); resolved
            /// through nlctrl once, then cached.
            pub #asy fn family(&mut self) -> ::core::result::Result<::std::sync::Arc<::nlspec_rt::FamilyInfo>, ::nlspec_rt::Error> {
                self.sock.resolve_family(FAMILY_NAME)#aw
            }
            #(#methods)*
            #subscribe
            /// The next notification of a subscribed group (queued ones first).
            /// Messages of other families on the same socket come back as `Notification::Other`.
            pub #asy fn recv_notification(&mut self) -> ::core::result::Result<Notification<'_>, ::nlspec_rt::Error> {
                let family = self.family()#aw?.id;
                let n = self.sock.recv_notification()#aw?;
                ::core::result::Result::Ok(Notification::decode_for(family, &n.msg)?)
            }
            #timeout
        }
        #(#iters)*
    }
}

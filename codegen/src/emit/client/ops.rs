//! Operations: command numbers, request builders, typed replies and notifications, dump
//! iterators, multicast groups, and the sync/async `Client`.

use crate::tokens::{format_ident, quote, Ident, TokenStream};
use proc_macro2::Literal;

use super::sets::{large_variants, setters, struct_size, VIEW_SIZE};
use crate::attr::{doc_attrs, ident, Cx};
use nlspec_model::ir::{self, Op};
use nlspec_model::names::screaming;

fn u8_lit(v: u32) -> Literal {
    Literal::u8_unsuffixed(v as u8)
}

/// What differs between the clients of Generic Netlink families and of netlink-raw families
/// (rtnetlink & co.), as data: every function here has one code path and reads these.
pub struct Proto {
    /// netlink-raw (messages without a `genlmsghdr`, over `NlSocket`).
    pub raw: bool,
    /// Type of the message ids in `cmd::*` (`u8` command / `u16` `nlmsg_type`).
    id_ty: TokenStream,
    /// The message view replies and notifications keep (`GenlMsg` / `typed_raw::RawMsg`).
    view: TokenStream,
    /// An undecoded message (dump items of ops whose spec lists no reply; `Notification::Other`).
    any_msg: TokenStream,
    /// The runtime's typed layer: `OpRequest`, `DecodeMsg`, `request`/`request_ack`/`dump`.
    typed: TokenStream,
    /// The request trait (the genl one is re-exported at the runtime's root).
    op_request: TokenStream,
    /// The decode trait.
    decode_msg: TokenStream,
    /// The socket of the blocking client.
    socket: TokenStream,
    /// The socket of the tokio client.
    async_socket: TokenStream,
    /// The dump iterators of the blocking and the tokio client.
    dump_iter: TokenStream,
    async_dump_iter: TokenStream,
}

impl Proto {
    /// The protocol data of `f`.
    pub fn of(f: &ir::Family) -> Self {
        if f.is_genetlink() {
            Proto {
                raw: false,
                id_ty: quote!(u8),
                view: quote!(::nlspec_rt::GenlMsg),
                any_msg: quote!(::nlspec_rt::GenlMsg),
                typed: quote!(::nlspec_rt::typed),
                op_request: quote!(::nlspec_rt::OpRequest),
                decode_msg: quote!(::nlspec_rt::DecodeMsg),
                socket: quote!(::nlspec_rt::GenlSocket),
                async_socket: quote!(::nlspec_rt::AsyncGenlSocket),
                dump_iter: quote!(::nlspec_rt::TypedDumpIter),
                async_dump_iter: quote!(::nlspec_rt::AsyncTypedDumpIter),
            }
        } else {
            Proto {
                raw: true,
                id_ty: quote!(u16),
                view: quote!(::nlspec_rt::typed_raw::RawMsg),
                any_msg: quote!(::nlspec_rt::NlMsg),
                typed: quote!(::nlspec_rt::typed_raw),
                op_request: quote!(::nlspec_rt::typed_raw::OpRequest),
                decode_msg: quote!(::nlspec_rt::typed_raw::DecodeMsg),
                socket: quote!(::nlspec_rt::NlSocket),
                async_socket: quote!(::nlspec_rt::AsyncNlSocket),
                dump_iter: quote!(::nlspec_rt::typed_raw::TypedDumpIter),
                async_dump_iter: quote!(::nlspec_rt::typed_raw::AsyncTypedDumpIter),
            }
        }
    }
    /// A message id literal (`cmd::*`, match arms).
    fn id_lit(&self, v: u32) -> Literal {
        if self.raw {
            Literal::u16_unsuffixed(v as u16)
        } else {
            u8_lit(v)
        }
    }
    /// Expression: the view of the received `NlMsg` expression `msg` whose fixed header is
    /// `size` bytes, as `Result<view, DecodeError>`.
    fn view_of(&self, msg: TokenStream, size: TokenStream) -> TokenStream {
        if self.raw {
            quote!(::nlspec_rt::typed_raw::RawMsg::new(#msg, #size))
        } else {
            quote!(#msg.genl(#size))
        }
    }
}

/// `cmd::X` constant of an op's request, and of its reply/notification when different.
pub fn cmd_consts(cx: &Cx) -> TokenStream {
    let p = Proto::of(cx.fam);
    let t = &p.id_ty;
    let mut items = Vec::new();
    for op in &cx.fam.ops.list {
        let base = screaming(&op.name);
        let doc = doc_attrs(op.doc.as_deref());
        let cdoc = if p.raw {
            format!(" Message type of `{}` (C: `{}`).", op.name, op.c_name)
        } else {
            format!(" Command `{}` (C: `{}`).", op.name, op.c_name)
        };
        match (op.req_value, op.rsp_value) {
            (Some(r), Some(s)) if r != s => {
                let n = ident(&base);
                let rn = format_ident!("{}_REPLY", base);
                let (r, s) = (p.id_lit(r), p.id_lit(s));
                items.push(quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #n: #t = #r;));
                items.push(quote!(#[doc = #cdoc] #[doc = " Reply message id."] pub const #rn: #t = #s;));
            }
            (Some(v), _) | (None, Some(v)) => {
                let n = ident(&base);
                let v = p.id_lit(v);
                items.push(quote!(#doc #[doc = ""] #[doc = #cdoc] pub const #n: #t = #v;));
            }
            (None, None) => {}
        }
    }
    let mdoc = if p.raw { " Message types (`nlmsghdr.nlmsg_type`)." } else { " Command numbers (`genlmsghdr.cmd`)." };
    quote! {
        #[doc = #mdoc]
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
    let p = Proto::of(cx.fam);
    let value = sub.request.as_ref().and_then(|m| m.value).or(op.req_value).unwrap_or(0);
    let id = p.id_lit(value);
    let ids = if p.raw {
        quote!(const MSG_TYPE: u16 = #id;)
    } else {
        quote! {
            const FAMILY: &'static str = FAMILY_NAME;
            const VERSION: u8 = FAMILY_VERSION;
            const CMD: u8 = #id;
        }
    };
    // netlink-raw do requests answered by an ACK alone (new/set/del): the NEW modifiers as
    // named setters.
    let new_flags = if p.raw && what == "do" && sub.reply.is_none() {
        let flag = |m: &str, c: &str, doc: &str| {
            let m = ident(m);
            let c = ident(c);
            let doc = format!(" Set `{c}`: {doc}.");
            quote! {
                #[doc = #doc]
                pub fn #m(self) -> Self {
                    self.nlm_flags(::nlspec_rt::msg::#c)
                }
            }
        };
        let f = [
            flag("create", "NLM_F_CREATE", "create the object if it does not exist"),
            flag("excl", "NLM_F_EXCL", "fail if the object exists"),
            flag("replace", "NLM_F_REPLACE", "replace an existing object"),
            flag("append", "NLM_F_APPEND", "add to the end of the list"),
        ];
        quote!(#(#f)*)
    } else {
        quote!()
    };
    let op_request = &p.op_request;
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
            #new_flags
            /// The attributes encoded so far.
            pub fn encoded_attrs(&self) -> &[u8] {
                self.buf.attrs()
            }
            #hget
            #put
            #setters
        }
        impl #op_request for #name {
            #ids
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
    let p = Proto::of(cx.fam);
    let opdoc = doc_attrs(op.doc.as_deref());
    let (aty, ainit, owned) = match op.attribute_set {
        Some(s) => {
            let t = cx.set_ty(s);
            let o = cx.set_owned(s);
            // inherent, so that `reply.to_owned()` is not `ToOwned` of the (`Clone`) message
            let owned = quote! {
                /// The attributes, owned (see the view's `to_owned`; the fixed header, if any,
                /// is `Copy`).
                pub fn to_owned(&self) -> ::core::result::Result<#o, ::nlspec_rt::DecodeError> {
                    self.attrs.to_owned()
                }
            };
            (quote!(#t<'a>), quote!(#t::new(msg.attr_bytes())), owned)
        }
        None => (quote!(::nlspec_rt::Attrs<'a>), quote!(msg.attrs()), quote!()),
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
    let decode_doc = if p.raw {
        " Decode a received message (its message type is not checked): the fixed header, if any; the attributes are read by their getters."
    } else {
        " Decode a received message (its command is not checked): the fixed header, if any; the attributes are read by their getters."
    };
    let hsize = match hdr(cx, op) {
        Some(h) => quote!(#h::SIZE),
        None => quote!(0),
    };
    let view = &p.view;
    let decode_msg = if reply {
        let (trait_, any, view) = if p.raw {
            let v = p.view_of(quote!(msg), quote!(#name::HEADER_SIZE));
            (&p.decode_msg, &p.any_msg, quote!(&#v?))
        } else {
            (&p.decode_msg, &p.view, quote!(msg))
        };
        quote! {
            impl #trait_ for #name<'_> {
                type Out<'a> = #name<'a>;
                #[inline]
                fn decode_msg<'a>(msg: &#any<'a>) -> ::core::result::Result<#name<'a>, ::nlspec_rt::DecodeError> {
                    #name::decode(#view)
                }
                #[inline]
                fn decode_msg_with<'a, T>(
                    msg: &#any<'a>,
                    f: impl ::core::ops::FnOnce(&#name<'a>) -> T,
                ) -> ::core::result::Result<T, ::nlspec_rt::DecodeError> {
                    #name::decode_with(#view, f)
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
            pub msg: #view<'a>,
        }
        impl<'a> #name<'a> {
            /// Size of the fixed header in bytes.
            pub const HEADER_SIZE: usize = #hsize;
            #[doc = #decode_doc]
            #[inline]
            pub fn decode(msg: &#view<'a>) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                Self::decode_with(msg, |m| *m)
            }
            /// Decode a received message and lend it to `f`: decoded where `f` reads it, not
            /// moved (what dumps' `try_for_each` uses).
            #[inline]
            pub fn decode_with<T>(
                msg: &#view<'a>,
                f: impl ::core::ops::FnOnce(&Self) -> T,
            ) -> ::core::result::Result<T, ::nlspec_rt::DecodeError> {
                #hdecode
                let m = Self { #hinit attrs: #ainit, msg: *msg };
                ::core::result::Result::Ok(f(&m))
            }
            #owned
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

/// The messages the kernel sends on its own (to multicast groups), each with its message id
/// and the op that describes it (attribute set, fixed header): the `Notification` variants.
///
/// Generic Netlink: the notify/event ops. netlink-raw: rtnetlink & co. announce a change with
/// the message type of the request that made it (`RTM_NEWLINK`, `RTM_DELADDR`, ...) or of the
/// get reply, and specs often list no notify op for them, so every message type the kernel may
/// send counts: first those of notify/event ops, then the request types of ops whose do is
/// answered by an ACK alone (new/set/del), then reply types; each type once, described by the
/// first op that names it.
fn notified<'f>(cx: &Cx<'f>) -> Vec<(u32, &'f Op)> {
    let ops = &cx.fam.ops.list;
    let mut out: Vec<(u32, &Op)> =
        ops.iter().filter(|o| o.is_async()).filter_map(|o| Some((o.rsp_value?, o))).collect();
    if !Proto::of(cx.fam).raw {
        return out;
    }
    let ack_only = ops.iter().filter(|o| !o.is_async() && o.do_.as_ref().is_some_and(|d| d.reply.is_none()));
    let mut more: Vec<(u32, &Op)> = ack_only.filter_map(|o| Some((o.req_value?, o))).collect();
    for o in ops.iter().filter(|o| !o.is_async()) {
        for sub in [&o.do_, &o.dump].into_iter().flatten() {
            if let Some(r) = &sub.reply {
                if let Some(v) = r.value.or(o.rsp_value) {
                    more.push((v, o));
                }
            }
        }
    }
    for (v, o) in more {
        if !out.iter().any(|(w, _)| *w == v) {
            out.push((v, o));
        }
    }
    out
}

/// Request/reply/notification types of one op: its request builders, reply and notification
/// views.
pub fn op_types(cx: &Cx, op: &Op) -> TokenStream {
    let p = Proto::of(cx.fam);
    let notified = notified(cx);
    let mut out = Vec::new();
    let n = op_names(cx, op);
    if op.req_value.is_some() {
        if let Some(d) = &op.do_ {
            let reply = &n.reply;
            let rt = if d.reply.is_some() { quote!(#reply<'static>) } else { quote!(()) };
            out.push(request_struct(cx, op, &n.request, d, "do", rt));
        }
        if let Some(d) = &op.dump {
            let reply = &n.reply;
            let any = &p.any_msg;
            let rt = if d.reply.is_some() { quote!(#reply<'static>) } else { quote!(#any<'static>) };
            out.push(request_struct(cx, op, &n.dump_request, d, "dump", rt));
        }
    }
    if has_reply(&op.do_) || has_reply(&op.dump) {
        let doc = format!(" Reply of `{}`, a view of the received message (borrows the receive buffer; attributes read when asked for).", op.name);
        out.push(message_struct(cx, op, &n.reply, &doc, true));
    }
    if op.is_async() {
        let doc = match op.mcgrp {
            Some(g) => {
                format!(
                    " Notification `{}` (multicast group `{}`), a view of the received message.",
                    op.name,
                    cx.fam.mcgrp(g).name
                )
            }
            // An event without a group reaches a socket only by a kernel unicast.
            None => {
                format!(
                    " Notification `{}` (no multicast group: unicast by the kernel), a view of the received message.",
                    op.name
                )
            }
        };
        out.push(message_struct(cx, op, &n.notification, &doc, false));
    } else if let Some((v, _)) = notified.iter().find(|(_, o)| o.id == op.id) {
        let doc = format!(
            " Notification of message type {v} as the kernel multicasts it, described by op `{}`; a view of the received message.",
            op.name
        );
        out.push(message_struct(cx, op, &n.notification, &doc, false));
    }

    quote!(#(#out)*)
}

/// The multicast groups a client can join: all (by name through nlctrl) for Generic Netlink;
/// for netlink-raw those with a number (`value`) in the spec.
fn joinable_groups<'f>(cx: &Cx<'f>) -> Vec<&'f ir::McastGroup> {
    let raw = Proto::of(cx.fam).raw;
    cx.fam.mcast_groups.iter().filter(|g| !raw || g.value.is_some()).collect()
}

/// `Notification` enum and `Group` enum.
pub fn notifications(cx: &Cx) -> TokenStream {
    let p = Proto::of(cx.fam);
    let notified = notified(cx);
    let variants = notified.iter().map(|(_, op)| {
        let v = ident(&op.rust_name);
        let t = op_names(cx, op).notification;
        let doc = doc_attrs(op.doc.as_deref());
        quote!(#doc #v(#t<'a>),)
    });
    let arms: Vec<TokenStream> = notified
        .iter()
        .map(|(value, op)| {
            let v = ident(&op.rust_name);
            let t = op_names(cx, op).notification;
            let c = p.id_lit(*value);
            let view = p.view_of(quote!(msg), quote!(#t::HEADER_SIZE));
            quote!(#c => Self::#v(#t::decode(&#view?)?),)
        })
        .collect();
    let groups = joinable_groups(cx);
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
    let (name_doc, gid) = if p.raw {
        let ids = groups.iter().map(|g| {
            let v = ident(&g.rust_name);
            let id = Literal::u32_unsuffixed(g.value.unwrap_or(0));
            quote!(Self::#v => #id,)
        });
        (
            " The group's name in the spec.",
            quote! {
                /// The group's number (its `value` in the spec, e.g. `RTNLGRP_LINK`), what
                /// `NETLINK_ADD_MEMBERSHIP` takes.
                pub const fn id(self) -> u32 {
                    match self {
                        #(#ids)*
                    }
                }
            },
        )
    } else {
        (" The group's name (as resolved through nlctrl).", quote!())
    };
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
                #[doc = #name_doc]
                pub const fn name(self) -> &'static str {
                    match self {
                        #(#gnames)*
                    }
                }
                #gid
            }
        }
    };
    let any = &p.any_msg;
    // Without known notifications every message is `Other` (no match of a single arm, the
    // message itself unused).
    let (raw_body, genl_body, msg_param) = if arms.is_empty() {
        (
            quote!(::core::result::Result::Ok(Self::Other(*msg))),
            quote!(::core::result::Result::Ok(Self::Other(head))),
            quote!(_msg),
        )
    } else {
        (
            quote! {
                ::core::result::Result::Ok(match msg.hdr.ty {
                    #(#arms)*
                    _ => Self::Other(*msg),
                })
            },
            quote! {
                ::core::result::Result::Ok(match head.cmd() {
                    #(#arms)*
                    _ => Self::Other(head),
                })
            },
            quote!(msg),
        )
    };
    let (what, decode) = if p.raw {
        (
            "message type",
            quote! {
                /// Decode a multicast message of this family by its message type.
                pub fn decode(msg: &::nlspec_rt::NlMsg<'a>) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                    #raw_body
                }
            },
        )
    } else {
        (
            "command",
            quote! {
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
                fn decode_cmd(#msg_param: &::nlspec_rt::NlMsg<'a>, head: ::nlspec_rt::GenlMsg<'a>) -> ::core::result::Result<Self, ::nlspec_rt::DecodeError> {
                    #genl_body
                }
            },
        )
    };
    // Variants hold their decoded views in place: boxing the large ones would allocate per
    // received message (the clients promise none).
    let mut sizes: Vec<usize> = notified
        .iter()
        .map(|(_, op)| {
            // header + attributes (+ the message, as in `Other`)
            op.fixed_header.map_or(0, |h| struct_size(cx, h)) + op.attribute_set.map_or(16, |_| VIEW_SIZE)
        })
        .collect();
    sizes.push(0); // Other
    let allow_large = if !large_variants(sizes) {
        quote!()
    } else {
        quote!(#[allow(clippy::large_enum_variant, reason = "messages are decoded in place: boxing would allocate per received message")])
    };
    let edoc = format!(" A notification of this family, by {what}; {what}s this client does not know are");
    let odoc = format!(" A message with a {what} this client does not know.");
    quote! {
        #[doc = #edoc]
        #[doc = " kept as `Other`."]
        #[derive(Debug, Clone, Copy)]
        #allow_large
        pub enum Notification<'a> {
            #(#variants)*
            #[doc = #odoc]
            Other(#any<'a>),
        }
        impl<'a> Notification<'a> {
            #decode
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

/// The sync `Client` and the tokio `AsyncClient` as `mode` says, both from the same op
/// descriptions (Generic Netlink and netlink-raw alike).
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
    let p = Proto::of(cx.fam);
    let (dump_it, aw, asy) = if is_async {
        (p.async_dump_iter.clone(), quote!(.await), quote!(async))
    } else {
        (p.dump_iter.clone(), quote!(), quote!())
    };
    // The runtime's generic plumbing (`nlspec_rt::typed` / `typed_raw`), sync or tokio.
    let typed = &p.typed;
    let call = |f: &str| {
        let f = if is_async { format_ident!("async_{}", f) } else { format_ident!("{}", f) };
        quote!(#typed::#f)
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
            let any = &p.any_msg;
            quote!(#any<'static>)
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
    let p = Proto::of(cx.fam);
    let (cname, sock, aw, asy) = if is_async {
        (format_ident!("AsyncClient"), p.async_socket.clone(), quote!(.await), quote!(async))
    } else {
        (format_ident!("Client"), p.socket.clone(), quote!(), quote!())
    };
    let mut methods = Vec::new();
    let mut iters = Vec::new();
    for op in cx.fam.ops.list.iter().filter(|op| op.req_value.is_some()) {
        op_methods(cx, op, is_async, &mut methods, &mut iters);
    }
    let has_groups = !joinable_groups(cx).is_empty();
    // How the family is found, groups joined and notifications told apart: by name through
    // nlctrl (Generic Netlink), or by the numbers in the spec (netlink-raw).
    let (open, family, join, family_id, decode) = if p.raw {
        (
            quote! {
                /// Open a socket of the family's netlink protocol (`PROTONUM`).
                pub fn new() -> ::core::result::Result<Self, ::nlspec_rt::Error> {
                    ::core::result::Result::Ok(Self { sock: #sock::open(PROTONUM)? })
                }
            },
            quote!(),
            quote! {
                /// Join multicast group `group` (`NETLINK_ADD_MEMBERSHIP` with its number);
                /// returns the number.
                pub fn subscribe(&mut self, group: Group) -> ::core::result::Result<u32, ::nlspec_rt::Error> {
                    self.sock.subscribe_id(group.id())?;
                    ::core::result::Result::Ok(group.id())
                }
            },
            quote!(),
            quote!(Notification::decode(&n.msg)?),
        )
    } else {
        (
            quote! {
                /// Open a socket.
                pub fn new() -> ::core::result::Result<Self, ::nlspec_rt::Error> {
                    ::core::result::Result::Ok(Self { sock: #sock::new()? })
                }
            },
            quote! {
                /// The family as the kernel registered it (id, version, ops, groups); resolved
                /// through nlctrl once, then cached.
                pub #asy fn family(&mut self) -> ::core::result::Result<::std::sync::Arc<::nlspec_rt::FamilyInfo>, ::nlspec_rt::Error> {
                    self.sock.resolve_family(FAMILY_NAME)#aw
                }
            },
            quote! {
                /// Join multicast group `group` (resolved by name through nlctrl).
                pub #asy fn subscribe(&mut self, group: Group) -> ::core::result::Result<u32, ::nlspec_rt::Error> {
                    self.sock.subscribe(FAMILY_NAME, group.name())#aw
                }
            },
            quote!(let family = self.family()#aw?.id;),
            quote!(Notification::decode_for(family, &n.msg)?),
        )
    };
    let subscribe = if has_groups { join } else { quote!() };
    let timeout = if is_async {
        quote!()
    } else {
        quote! {
            /// Like `recv_notification`, but `Ok(None)` after `timeout`.
            pub fn recv_notification_timeout(&mut self, timeout: ::std::time::Duration) -> ::core::result::Result<::core::option::Option<Notification<'_>>, ::nlspec_rt::Error> {
                #family_id
                match self.sock.recv_notification_timeout(timeout)? {
                    ::core::option::Option::Some(n) => ::core::result::Result::Ok(::core::option::Option::Some(#decode)),
                    ::core::option::Option::None => ::core::result::Result::Ok(::core::option::Option::None),
                }
            }
        }
    };
    let cdoc = if is_async {
        format!(" A tokio client of the `{}` family (see [`super::Client`] for the same API, blocking).", cx.fam.name)
    } else if p.raw {
        format!(
            " A client of the `{}` netlink-raw family: typed requests, replies, dumps and notifications over one netlink socket of protocol {} (`PROTONUM`).",
            cx.fam.name,
            cx.fam.protonum.unwrap_or(0)
        )
    } else {
        format!(" A client of the `{}` family: typed requests, replies, dumps and notifications over one Generic Netlink socket. The family id is resolved through nlctrl on first use and cached.", cx.fam.name)
    };
    let other_doc = if p.raw {
        " Messages of types this client does not know come back as `Notification::Other`."
    } else {
        " Messages of other families on the same socket come back as `Notification::Other`."
    };
    quote! {
        #[doc = #cdoc]
        #[derive(Debug)]
        pub struct #cname {
            sock: #sock,
        }
        impl #cname {
            #open
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
            #family
            #(#methods)*
            #subscribe
            /// The next multicast of a subscribed group or kernel-initiated unicast (queued first).
            #[doc = #other_doc]
            pub #asy fn recv_notification(&mut self) -> ::core::result::Result<Notification<'_>, ::nlspec_rt::Error> {
                #family_id
                let n = self.sock.recv_notification()#aw?;
                ::core::result::Result::Ok(#decode)
            }
            #timeout
        }
        #(#iters)*
    }
}

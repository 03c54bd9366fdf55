//! `nlspec doc --spec S [--format md|rst] [--out FILE]`: a reference of the family, as the
//! kernel renders its specs into Documentation/networking/netlink_spec (the same sections:
//! summary, operations, multicast groups, definitions, attribute sets, sub-messages), built
//! from the resolved family so that every reference is a link (an op's attribute set and its
//! request/reply attributes, enums, structs, nested sets, multicast groups) and checks are
//! spelled out (`max: 255`, `max-len: 64` with the const it came from).
//!
//! The document is first built as a small tree of [`Node`]s, then written as Markdown
//! (HTML anchors `<a id="…">` and `[name](#anchor)` links) or reStructuredText (`.. _anchor:`
//! labels and Sphinx `:ref:` links). Anchors are `<family>-<kind>-<name>` as in the kernel's
//! documentation (`nlkv-operation-get`, `nlkv-attribute-set-entry`), plus
//! `<family>-attr-<set>.<attr>` for single attributes (no YNL name contains a dot, so no
//! anchor can stand for two things).

use nlspec_model::ir::{
    Attr, AttrKind, AttrRef, Bound, BoundSource, ConstValue, DefRef, EnumKind, Family, Msg, Op, OpFlags, Scope, SubOp,
};
use nlspec_model::spec::{ByteOrder, MemberType};

use crate::errors::Fail;
use crate::spec::load;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown (CommonMark with HTML anchors).
    Md,
    /// reStructuredText (Sphinx: labels and `:ref:`).
    Rst,
}

impl Format {
    /// `md` / `markdown` / `rst`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "md" | "markdown" => Some(Format::Md),
            "rst" => Some(Format::Rst),
            _ => None,
        }
    }
}

/// `nlspec doc`: write the reference to `out` (stdout without it).
pub fn doc(spec: &str, format: Format, out: Option<&str>) -> Result<(), Fail> {
    let fam = load(spec)?;
    crate::spec::print_warnings(&fam);
    let text = render(&fam, format);
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| Fail::Error(format!("nlspec: {path}: {e}"))),
        None => {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes()).and_then(|_| o.flush()).map_err(|e| {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Fail::Quiet
                } else {
                    Fail::Error(format!("nlspec: cannot write to stdout: {e}"))
                }
            })
        }
    }
}

/// The whole document for `fam`.
pub fn render(fam: &Family, format: Format) -> String {
    let nodes = Builder { fam }.document();
    match format {
        Format::Md => md(&nodes),
        Format::Rst => rst(&nodes),
    }
}

/// A piece of inline text.
#[derive(Debug, Clone)]
enum Span {
    Text(String),
    Code(String),
    Strong(String),
    /// A link to an anchor; with `code` the text is a name (code in Markdown).
    Link {
        text: String,
        anchor: String,
        code: bool,
    },
}

type Line = Vec<Span>;

#[derive(Debug)]
enum Node {
    /// Level 1 is the title.
    Heading { level: usize, anchor: Option<String>, text: Line },
    /// Documentation text as written (several lines, maybe several paragraphs).
    Doc(String),
    /// `key: value` lines.
    Fields(Vec<(String, Line)>),
    /// A bullet list, each item on one line.
    Items(Vec<Line>),
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

fn code(s: impl Into<String>) -> Span {
    Span::Code(s.into())
}

/// `items` separated by ", ".
fn join(items: impl IntoIterator<Item = Line>) -> Line {
    let mut out = Vec::new();
    for (i, l) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(text(", "));
        }
        out.extend(l);
    }
    out
}

/// A doc string on one line (for list items and fields).
fn one_line(doc: &str) -> String {
    doc.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Builder<'f> {
    fam: &'f Family,
}

impl Builder<'_> {
    fn anchor(&self, kind: &str, name: &str) -> String {
        format!("{}-{kind}-{name}", self.fam.name)
    }
    fn link(&self, kind: &str, name: &str) -> Span {
        Span::Link { text: name.to_string(), anchor: self.anchor(kind, name), code: true }
    }
    fn op_link(&self, op: &Op) -> Span {
        self.link("operation", &op.name)
    }
    fn set_link(&self, set: nlspec_model::ir::SetId) -> Span {
        self.link("attribute-set", &self.fam.set(set).name)
    }
    fn def_link(&self, name: &str) -> Span {
        self.link("definition", name)
    }
    fn attr_anchor(&self, r: AttrRef) -> String {
        let set = self.fam.set(r.set);
        format!("{}-attr-{}.{}", self.fam.name, set.name, set.attrs[r.idx].name)
    }
    fn attr_link(&self, r: AttrRef) -> Span {
        Span::Link { text: self.fam.attr(r).name.clone(), anchor: self.attr_anchor(r), code: true }
    }
    /// `set.attr` linked (for references from other sets).
    fn qualified_attr_link(&self, r: AttrRef) -> Span {
        Span::Link {
            text: format!("{}.{}", self.fam.set(r.set).name, self.fam.attr(r).name),
            anchor: self.attr_anchor(r),
            code: true,
        }
    }
    fn mcgrp_link(&self, name: &str) -> Span {
        self.link("mcast-group", name)
    }

    fn document(&self) -> Vec<Node> {
        let f = self.fam;
        let mut n = vec![Node::Heading {
            level: 1,
            anchor: Some(format!("netlink-{}", f.name)),
            text: vec![text("Family "), code(&f.name), text(" netlink specification")],
        }];
        if let Some(d) = &f.doc {
            n.push(Node::Doc(d.clone()));
        }
        let mut fields = vec![("protocol".to_string(), vec![code(f.protocol.as_str())])];
        if let Some(p) = f.protonum {
            fields.push(("netlink protocol number".into(), vec![text(p.to_string())]));
        }
        if f.is_genetlink() {
            fields.push(("family name".into(), vec![code(&f.name)]));
            fields.push(("version".into(), vec![text(f.version.to_string())]));
            fields.push(("uAPI header".into(), vec![code(&f.c.uapi_header)]));
        }
        let model = match f.ops.enum_model {
            nlspec_model::ir::EnumModel::Unified => "unified (requests and replies share the operation's id)",
            nlspec_model::ir::EnumModel::Directional => "directional (requests and replies have their own ids)",
        };
        fields.push(("message ids".into(), vec![text(model)]));
        if let Some(h) = f.ops.fixed_header {
            fields.push(("fixed header".into(), vec![self.def_link(&f.struct_(h).name)]));
        }
        n.push(Node::Fields(fields));
        // Contents.
        let mut toc = Vec::new();
        let sections = [
            ("operations", "Operations", !f.ops.list.is_empty()),
            ("mcast-groups", "Multicast groups", !f.mcast_groups.is_empty()),
            ("definitions", "Definitions", !f.definitions.is_empty()),
            ("attribute-sets", "Attribute sets", !f.sets.is_empty()),
            ("sub-messages", "Sub-messages", !f.sub_messages.is_empty()),
        ];
        for (key, title, present) in sections {
            if present {
                toc.push(vec![Span::Link { text: title.into(), anchor: format!("{}-{key}", f.name), code: false }]);
            }
        }
        if !toc.is_empty() {
            n.push(Node::Items(toc));
        }
        let section = |n: &mut Vec<Node>, key: &str, title: &str| {
            n.push(Node::Heading { level: 2, anchor: Some(format!("{}-{key}", f.name)), text: vec![text(title)] });
        };
        if !f.ops.list.is_empty() {
            section(&mut n, "operations", "Operations");
            for op in &f.ops.list {
                self.operation(&mut n, op);
            }
        }
        if !f.mcast_groups.is_empty() {
            section(&mut n, "mcast-groups", "Multicast groups");
            self.mcast_groups(&mut n);
        }
        if !f.definitions.is_empty() {
            section(&mut n, "definitions", "Definitions");
            for d in &f.definitions {
                self.definition(&mut n, *d);
            }
        }
        if !f.sets.is_empty() {
            section(&mut n, "attribute-sets", "Attribute sets");
            for (i, _) in f.sets.iter().enumerate() {
                self.attr_set(&mut n, nlspec_model::ir::SetId(i));
            }
        }
        if !f.sub_messages.is_empty() {
            section(&mut n, "sub-messages", "Sub-messages");
            self.sub_messages(&mut n);
        }
        n
    }

    fn flags(flags: OpFlags) -> Vec<Line> {
        let mut v = Vec::new();
        if flags.admin_perm {
            v.push(vec![code("admin-perm"), text(" (CAP_NET_ADMIN in the initial user namespace)")]);
        }
        if flags.uns_admin_perm {
            v.push(vec![code("uns-admin-perm"), text(" (CAP_NET_ADMIN in the network namespace's user namespace)")]);
        }
        v
    }

    fn attr_list(&self, msg: &Msg) -> Line {
        if msg.attrs.is_empty() {
            return vec![text("(no attributes)")];
        }
        join(msg.attrs.iter().map(|r| vec![self.attr_link(*r)]))
    }

    fn sub_op(&self, fields: &mut Vec<(String, Line)>, mode: &str, sub: &SubOp) {
        if let Some(m) = &sub.request {
            fields.push((format!("{mode} request"), self.attr_list(m)));
        }
        if let Some(m) = &sub.reply {
            fields.push((format!("{mode} reply"), self.attr_list(m)));
        }
        let hooks: Vec<Line> = [("pre", &sub.pre), ("post", &sub.post)]
            .into_iter()
            .filter_map(|(k, h)| h.as_ref().map(|h| vec![text(format!("{k}: ")), code(h)]))
            .collect();
        if !hooks.is_empty() {
            fields.push((format!("{mode} hooks"), join(hooks)));
        }
    }

    fn operation(&self, n: &mut Vec<Node>, op: &Op) {
        let f = self.fam;
        n.push(Node::Heading {
            level: 3,
            anchor: Some(self.anchor("operation", &op.name)),
            text: vec![code(&op.name)],
        });
        if let Some(d) = &op.doc {
            n.push(Node::Doc(d.clone()));
        }
        let mut fields = Vec::new();
        match (op.value(), op.req_value, op.rsp_value) {
            (Some(v), _, _) => fields.push(("value".into(), vec![text(v.to_string())])),
            (None, req, rsp) => {
                let ids: Vec<Line> = [("request", req), ("reply", rsp)]
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| vec![text(format!("{k} {v}"))]))
                    .collect();
                fields.push(("message ids".into(), join(ids)));
            }
        }
        fields.push(("C name".into(), vec![code(&op.c_name)]));
        let mut modes = Vec::new();
        if op.do_.is_some() {
            modes.push(vec![code("do")]);
        }
        if op.dump.is_some() {
            modes.push(vec![code("dump")]);
        }
        if op.notify.is_some() {
            modes.push(vec![text("notification")]);
        }
        if op.event.is_some() {
            modes.push(vec![text("event")]);
        }
        if !modes.is_empty() {
            fields.push(("kind".into(), join(modes)));
        }
        if let Some(s) = op.attribute_set {
            fields.push(("attribute-set".into(), vec![self.set_link(s)]));
        }
        if let Some(h) = op.fixed_header {
            fields.push(("fixed-header".into(), vec![self.def_link(&f.struct_(h).name)]));
        }
        let flags = Self::flags(op.flags);
        if !flags.is_empty() {
            fields.push(("flags".into(), join(flags)));
        }
        let dv = op.dont_validate;
        let dv: Vec<Line> = [("strict", dv.strict), ("dump", dv.dump), ("dump-strict", dv.dump_strict)]
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(k, _)| vec![code(k)])
            .collect();
        if !dv.is_empty() {
            fields.push(("dont-validate".into(), join(dv)));
        }
        if let Some(c) = &op.config_cond {
            fields.push(("config-cond".into(), vec![code(c)]));
        }
        if let Some(d) = &op.do_ {
            self.sub_op(&mut fields, "do", d);
        }
        if let Some(d) = &op.dump {
            self.sub_op(&mut fields, "dump", d);
        }
        if let Some(t) = op.notify {
            let target = f.op(t);
            fields.push(("notification of".into(), vec![self.op_link(target)]));
            if let Some(attrs) = f.async_attrs(op.id) {
                let msg = Msg { value: None, attrs: attrs.to_vec() };
                fields.push(("attributes".into(), self.attr_list(&msg)));
            }
        }
        if let Some(ev) = &op.event {
            let msg = Msg { value: None, attrs: ev.clone() };
            fields.push(("event attributes".into(), self.attr_list(&msg)));
        }
        if let Some(g) = op.mcgrp {
            fields.push(("multicast group".into(), vec![self.mcgrp_link(&f.mcgrp(g).name)]));
        }
        n.push(Node::Fields(fields));
    }

    fn mcast_groups(&self, n: &mut Vec<Node>) {
        let f = self.fam;
        for g in &f.mcast_groups {
            n.push(Node::Heading {
                level: 3,
                anchor: Some(self.anchor("mcast-group", &g.name)),
                text: vec![code(&g.name)],
            });
            let mut fields = Vec::new();
            if let Some(v) = g.value {
                fields.push(("value".into(), vec![text(v.to_string())]));
            }
            fields.push(("C name".into(), vec![code(&g.c_define_name)]));
            let flags = Self::flags(g.flags);
            if !flags.is_empty() {
                fields.push(("flags (to join)".into(), join(flags)));
            }
            let ops: Vec<Line> =
                f.ops.list.iter().filter(|o| o.mcgrp == Some(g.id)).map(|o| vec![self.op_link(o)]).collect();
            if !ops.is_empty() {
                fields.push(("messages".into(), join(ops)));
            }
            n.push(Node::Fields(fields));
        }
    }

    /// Attributes (as `set.attr` links) whose definition refers to something.
    fn users(&self, pred: impl Fn(&Attr) -> bool) -> Line {
        let mut v = Vec::new();
        for (si, s) in self.fam.sets.iter().enumerate() {
            // A subset's attribute is the parent's; name the parent's only.
            if s.subset_of.is_some() {
                continue;
            }
            for (idx, a) in s.attrs.iter().enumerate() {
                if pred(a) {
                    v.push(vec![self.qualified_attr_link(AttrRef { set: nlspec_model::ir::SetId(si), idx })]);
                }
            }
        }
        join(v)
    }

    fn scope_fields(fields: &mut Vec<(String, Line)>, header: &Option<String>, scope: Scope) {
        if let Some(h) = header {
            fields.push(("header".into(), vec![code(h)]));
        }
        match scope {
            Scope::Uapi => {}
            Scope::Kernel => fields.push(("scope".into(), vec![text("kernel only")])),
            Scope::User => fields.push(("scope".into(), vec![text("user space only")])),
        }
    }

    fn definition(&self, n: &mut Vec<Node>, d: DefRef) {
        let f = self.fam;
        let (name, kind, doc) = match d {
            DefRef::Const(c) => (&f.const_(c).name, "const", &f.const_(c).doc),
            DefRef::Enum(e) => {
                let e = f.enum_(e);
                (&e.name, if e.kind == EnumKind::Flags { "flags" } else { "enum" }, &e.doc)
            }
            DefRef::Struct(s) => (&f.struct_(s).name, "struct", &f.struct_(s).doc),
        };
        n.push(Node::Heading {
            level: 3,
            anchor: Some(self.anchor("definition", name)),
            text: vec![code(name), text(format!(" ({kind})"))],
        });
        if let Some(doc) = doc {
            n.push(Node::Doc(doc.clone()));
        }
        let mut fields = Vec::new();
        match d {
            DefRef::Const(cid) => {
                let c = f.const_(cid);
                let v = match &c.value {
                    ConstValue::Int(i) => text(i.to_string()),
                    ConstValue::Str(s) => code(s),
                };
                fields.push(("value".into(), vec![v]));
                fields.push(("C name".into(), vec![code(&c.c_name)]));
                Self::scope_fields(&mut fields, &c.header, c.scope);
                let users = self.users(|a| {
                    let ch = &a.checks;
                    [&ch.min, &ch.max, &ch.min_len, &ch.max_len, &ch.exact_len]
                        .iter()
                        .any(|b| matches!(b, Some(Bound { source: BoundSource::Const(x), .. }) if *x == cid))
                });
                if !users.is_empty() {
                    fields.push(("bound of".into(), users));
                }
                n.push(Node::Fields(fields));
            }
            DefRef::Enum(id) => {
                let e = f.enum_(id);
                if let Some(c) = &e.c_enum_name {
                    fields.push(("C name".into(), vec![code(format!("enum {c}"))]));
                }
                Self::scope_fields(&mut fields, &e.header, e.scope);
                let users =
                    self.users(|a| a.enum_ == Some(id) || a.checks.flags_mask.as_ref().is_some_and(|m| m.enum_ == id));
                if !users.is_empty() {
                    fields.push(("used by".into(), users));
                }
                if !fields.is_empty() {
                    n.push(Node::Fields(fields));
                }
                let items = e
                    .entries
                    .iter()
                    .map(|x| {
                        let mut l = vec![code(&x.name), text(" = ")];
                        match e.kind {
                            EnumKind::Enum => l.push(text(x.value.to_string())),
                            EnumKind::Flags => l.push(text(format!("{:#x} (bit {})", x.value, x.raw))),
                        }
                        if let Some(d) = &x.doc {
                            l.push(text(format!(": {}", one_line(d))));
                        }
                        l
                    })
                    .collect();
                n.push(Node::Items(items));
            }
            DefRef::Struct(id) => {
                let s = f.struct_(id);
                if let Some(size) = s.size {
                    fields.push(("size".into(), vec![text(format!("{size} bytes"))]));
                }
                Self::scope_fields(&mut fields, &s.header, s.scope);
                let mut users = self.users(|a| a.struct_ == Some(id));
                let headers: Vec<Line> =
                    f.ops.list.iter().filter(|o| o.fixed_header == Some(id)).map(|o| vec![self.op_link(o)]).collect();
                if !headers.is_empty() {
                    fields.push(("fixed header of".into(), join(headers)));
                }
                if !users.is_empty() {
                    fields.push(("used by".into(), std::mem::take(&mut users)));
                }
                if !fields.is_empty() {
                    n.push(Node::Fields(fields));
                }
                let items = s
                    .members
                    .iter()
                    .map(|m| {
                        let mut l = vec![code(&m.name), text(" ("), code(member_type(m.ty))];
                        if let Some(len) = m.len {
                            if !matches!(m.ty.int_width(), Some(w) if w == len) {
                                l.push(text(format!(", {len} bytes")));
                            }
                        }
                        if let Some(o) = m.offset {
                            l.push(text(format!(", offset {o}")));
                        }
                        if m.byte_order == Some(ByteOrder::BigEndian) {
                            l.push(text(", big-endian"));
                        }
                        if let Some(e) = m.enum_ {
                            l.push(text(", enum "));
                            l.push(self.def_link(&f.enum_(e).name));
                            if m.enum_as_flags {
                                l.push(text(" as flags"));
                            }
                        }
                        if let Some(s) = m.struct_ {
                            l.push(text(", struct "));
                            l.push(self.def_link(&f.struct_(s).name));
                        }
                        if let Some(h) = m.display_hint {
                            l.push(text(format!(", shown as {}", h.as_str())));
                        }
                        l.push(text(")"));
                        if let Some(d) = &m.doc {
                            l.push(text(format!(": {}", one_line(d))));
                        }
                        l
                    })
                    .collect();
                n.push(Node::Items(items));
            }
        }
    }

    fn attr_set(&self, n: &mut Vec<Node>, id: nlspec_model::ir::SetId) {
        let f = self.fam;
        let set = f.set(id);
        n.push(Node::Heading {
            level: 3,
            anchor: Some(self.anchor("attribute-set", &set.name)),
            text: vec![code(&set.name)],
        });
        if let Some(d) = &set.doc {
            n.push(Node::Doc(d.clone()));
        }
        let mut fields = Vec::new();
        if let Some(p) = set.subset_of {
            fields.push(("subset of".into(), vec![self.set_link(p)]));
        }
        let ops: Vec<Line> =
            f.ops.list.iter().filter(|o| o.attribute_set == Some(id)).map(|o| vec![self.op_link(o)]).collect();
        if !ops.is_empty() {
            fields.push(("operations".into(), join(ops)));
        }
        let nested_in = self.users(|a| a.kind.nested_set() == Some(id));
        if !nested_in.is_empty() {
            fields.push(("nested in".into(), nested_in));
        }
        let formats: Vec<Line> = f
            .sub_messages
            .iter()
            .filter(|s| s.formats.iter().any(|x| x.attribute_set == Some(id)))
            .map(|s| vec![self.link("sub-message", &s.name)])
            .collect();
        if !formats.is_empty() {
            fields.push(("sub-message formats".into(), join(formats)));
        }
        // A subset has no C enum of its own.
        if let (None, Some(c)) = (set.subset_of, &set.c_enum_name) {
            fields.push(("C name".into(), vec![code(format!("enum {c}"))]));
        }
        if !fields.is_empty() {
            n.push(Node::Fields(fields));
        }
        for (idx, a) in set.attrs.iter().enumerate() {
            self.attribute(n, AttrRef { set: id, idx }, a);
        }
    }

    fn bound(&self, key: &str, b: &Option<Bound>) -> Option<Line> {
        let b = b.as_ref()?;
        Some(match &b.source {
            BoundSource::Literal => vec![code(format!("{key}: {}", b.value))],
            BoundSource::Limit(l) => vec![code(format!("{key}: {l}")), text(format!(" ({})", b.value))],
            BoundSource::Const(c) => {
                let c = self.fam.const_(*c);
                vec![code(format!("{key}: {}", b.value)), text(" ("), self.def_link(&c.name), text(")")]
            }
        })
    }

    fn attribute(&self, n: &mut Vec<Node>, r: AttrRef, a: &Attr) {
        let f = self.fam;
        n.push(Node::Heading {
            level: 4,
            anchor: Some(self.attr_anchor(r)),
            text: vec![code(&a.name), text(" ("), code(a.kind.ty().as_str()), text(")")],
        });
        let mut fields = vec![("value".to_string(), vec![text(a.value.to_string())])];
        if let Some(o) = a.origin {
            fields.push(("from".into(), vec![self.qualified_attr_link(o)]));
        }
        match &a.kind {
            AttrKind::Nest { set } => fields.push(("nested attributes".into(), vec![self.set_link(*set)])),
            AttrKind::IndexedArray { sub_type, set } => {
                let mut l = vec![code(sub_type.as_str())];
                if let Some(s) = set {
                    l.push(text(" of "));
                    l.push(self.set_link(*s));
                }
                fields.push(("array of".into(), l));
            }
            AttrKind::NestTypeValue { type_value, set } => {
                fields.push(("type-value".into(), join(type_value.iter().map(|t| vec![code(t)]))));
                fields.push(("nested attributes".into(), vec![self.set_link(*set)]));
            }
            AttrKind::SubMessage { sub_message, selector } => {
                let sm = f.sub_message(*sub_message);
                fields.push(("sub-message".into(), vec![self.link("sub-message", &sm.name)]));
                let sel = match selector.attr {
                    Some(s) => vec![self.qualified_attr_link(s)],
                    None => vec![code(&selector.name)],
                };
                fields.push(("selector".into(), sel));
            }
            _ => {}
        }
        if let Some(t) = a.sub_type {
            fields.push(("array of".into(), vec![code(t.as_str())]));
        }
        if let Some(e) = a.enum_ {
            let e = f.enum_(e);
            let mut l = vec![self.def_link(&e.name)];
            if a.enum_as_flags && e.kind == EnumKind::Enum {
                l.push(text(" (as flags: the value is a mask of 1 << entry bits)"));
            }
            fields.push(("enum".into(), l));
        }
        if let Some(s) = a.struct_ {
            fields.push(("struct".into(), vec![self.def_link(&f.struct_(s).name)]));
        }
        if a.multi_attr {
            fields.push(("multi-attr".into(), vec![text("yes (may repeat)")]));
        }
        if let Some(b) = a.byte_order {
            let s = match b {
                ByteOrder::BigEndian => "big-endian",
                ByteOrder::LittleEndian => "little-endian",
            };
            fields.push(("byte-order".into(), vec![code(s)]));
        }
        if let Some(h) = a.display_hint {
            fields.push(("display-hint".into(), vec![code(h.as_str())]));
        }
        let ch = &a.checks;
        let mut checks: Vec<Line> = [
            ("min", &ch.min),
            ("max", &ch.max),
            ("min-len", &ch.min_len),
            ("max-len", &ch.max_len),
            ("exact-len", &ch.exact_len),
        ]
        .into_iter()
        .filter_map(|(k, b)| self.bound(k, b))
        .collect();
        if let Some(m) = &ch.flags_mask {
            checks.push(vec![
                code(format!("flags-mask: {:#x}", m.mask)),
                text(" ("),
                self.def_link(&f.enum_(m.enum_).name),
                text(")"),
            ]);
        }
        if ch.unterminated_ok {
            checks.push(vec![code("unterminated-ok")]);
        }
        if !checks.is_empty() {
            fields.push(("checks".into(), join(checks)));
        }
        n.push(Node::Fields(fields));
        if let Some(d) = &a.doc {
            n.push(Node::Doc(d.clone()));
        }
    }

    fn sub_messages(&self, n: &mut Vec<Node>) {
        let f = self.fam;
        for (i, sm) in f.sub_messages.iter().enumerate() {
            n.push(Node::Heading {
                level: 3,
                anchor: Some(self.anchor("sub-message", &sm.name)),
                text: vec![code(&sm.name)],
            });
            let users =
                self.users(|a| matches!(&a.kind, AttrKind::SubMessage { sub_message, .. } if sub_message.0 == i));
            if !users.is_empty() {
                n.push(Node::Fields(vec![("used by".into(), users)]));
            }
            let items = sm
                .formats
                .iter()
                .map(|x| {
                    let mut l = vec![Span::Strong(x.value.clone())];
                    let mut parts = Vec::new();
                    if let Some(h) = x.fixed_header {
                        parts.push(vec![text("fixed header "), self.def_link(&f.struct_(h).name)]);
                    }
                    if let Some(s) = x.attribute_set {
                        parts.push(vec![text("attributes "), self.set_link(s)]);
                    }
                    if parts.is_empty() {
                        parts.push(vec![text("no payload")]);
                    }
                    l.push(text(": "));
                    l.extend(join(parts));
                    l
                })
                .collect();
            n.push(Node::Items(items));
        }
    }
}

fn member_type(t: MemberType) -> &'static str {
    match t {
        MemberType::U8 => "u8",
        MemberType::U16 => "u16",
        MemberType::U32 => "u32",
        MemberType::U64 => "u64",
        MemberType::S8 => "s8",
        MemberType::S16 => "s16",
        MemberType::S32 => "s32",
        MemberType::S64 => "s64",
        MemberType::String => "string",
        MemberType::Binary => "binary",
        MemberType::Pad => "pad",
    }
}

/// Width in bytes of a scalar member type.
trait IntWidth {
    fn int_width(self) -> Option<usize>;
}

impl IntWidth for MemberType {
    fn int_width(self) -> Option<usize> {
        match self {
            MemberType::U8 | MemberType::S8 => Some(1),
            MemberType::U16 | MemberType::S16 => Some(2),
            MemberType::U32 | MemberType::S32 => Some(4),
            MemberType::U64 | MemberType::S64 => Some(8),
            _ => None,
        }
    }
}

// ---- Markdown ----

/// Doc text for Markdown: `<` would start inline HTML.
fn md_text(s: &str) -> String {
    s.replace('<', "\\<")
}

fn md_code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn md_line(l: &Line) -> String {
    let mut s = String::new();
    for sp in l {
        match sp {
            Span::Text(t) => s.push_str(&md_text(t)),
            Span::Code(c) => s.push_str(&md_code(c)),
            Span::Strong(t) => s.push_str(&format!("**{}**", md_text(t))),
            Span::Link { text, anchor, code: true } => s.push_str(&format!("[{}](#{anchor})", md_code(text))),
            Span::Link { text, anchor, code: false } => s.push_str(&format!("[{}](#{anchor})", md_text(text))),
        }
    }
    s
}

fn md(nodes: &[Node]) -> String {
    let mut blocks: Vec<String> = Vec::new();
    for node in nodes {
        match node {
            Node::Heading { level, anchor, text } => {
                let mut b = String::new();
                if let Some(a) = anchor {
                    b.push_str(&format!("<a id=\"{a}\"></a>\n\n"));
                }
                b.push_str(&format!("{} {}", "#".repeat(*level), md_line(text)));
                blocks.push(b);
            }
            Node::Doc(d) => blocks.push(md_text(d.trim_end())),
            Node::Fields(fields) => blocks
                .push(fields.iter().map(|(k, v)| format!("- **{k}**: {}", md_line(v))).collect::<Vec<_>>().join("\n")),
            Node::Items(items) => {
                blocks.push(items.iter().map(|l| format!("- {}", md_line(l))).collect::<Vec<_>>().join("\n"))
            }
        }
    }
    let mut s = blocks.join("\n\n");
    s.push('\n');
    s
}

// ---- reStructuredText ----

fn rst_line(l: &Line) -> String {
    let mut s = String::new();
    for sp in l {
        match sp {
            Span::Text(t) => s.push_str(t),
            Span::Code(c) => s.push_str(&format!("``{c}``")),
            Span::Strong(t) => s.push_str(&format!("**{t}**")),
            Span::Link { text, anchor, .. } => s.push_str(&format!(":ref:`{text} <{anchor}>`")),
        }
    }
    s
}

fn rst(nodes: &[Node]) -> String {
    let mut blocks: Vec<String> = vec![".. NOTE: generated by nlspec doc from the family's YNL spec.".into()];
    for node in nodes {
        match node {
            Node::Heading { level, anchor, text } => {
                let mut b = String::new();
                if let Some(a) = anchor {
                    b.push_str(&format!(".. _{a}:\n\n"));
                }
                let t = rst_line(text);
                let w = t.chars().count();
                let (ch, over) = match level {
                    1 => ('=', true),
                    2 => ('-', true),
                    3 => ('=', false),
                    _ => ('~', false),
                };
                let rule: String = std::iter::repeat_n(ch, w).collect();
                if over {
                    b.push_str(&format!("{rule}\n"));
                }
                b.push_str(&format!("{t}\n{rule}"));
                blocks.push(b);
            }
            Node::Doc(d) => blocks.push(d.trim_end().to_string()),
            Node::Fields(fields) => {
                blocks.push(fields.iter().map(|(k, v)| format!(":{k}: {}", rst_line(v))).collect::<Vec<_>>().join("\n"))
            }
            Node::Items(items) => {
                blocks.push(items.iter().map(|l| format!("- {}", rst_line(l))).collect::<Vec<_>>().join("\n"))
            }
        }
    }
    let mut s = blocks.join("\n\n");
    s.push('\n');
    s
}

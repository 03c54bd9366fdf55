//! What the parts of the kernel emitter share: its options and error, the ops the kernel
//! serves, `cmd::*` references, `config-cond` attributes, nest reachability, name helpers.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use proc_macro2::Literal;

use crate::tokens::{format_ident, quote, raw_string, Ident, TokenStream};

use crate::attr::{doc_attrs, Cx};
use nlspec_model::ir::{self, AttrRef, Family, Op, SetId};
use nlspec_model::names;

/// Options of the kernel emitter.
#[derive(Debug, Clone)]
pub struct KernelOptions {
    /// Module name (the `.ko` stem); default: the family's snake_case name.
    pub module_name: Option<String>,
    /// `genl_family.netnsok` (ynl-gen-c sets it for every family).
    pub netnsok: bool,
    /// `genl_family.parallel_ops`: handlers run without `genl_mutex` and do their own locking.
    pub parallel_ops: bool,
    /// Emit the skeleton `<family>_main.rs` (off when only the family code is wanted).
    pub skeleton: bool,
    /// Copy the support files (`nlspec_support.rs`, ...) into the output.
    pub support: bool,
    /// A driver directory for a kernel tree that has `kernel::net::genetlink` (the series in
    /// `kernel/patches/`): `Kconfig`, `Makefile`, `<module>.rs` and the in-tree layer
    /// `nlspec_genl.rs`, no bindgen and no C. The family file is the same as out of tree.
    pub in_tree: bool,
}

impl Default for KernelOptions {
    fn default() -> Self {
        KernelOptions {
            module_name: None,
            netnsok: true,
            parallel_ops: true,
            skeleton: true,
            support: true,
            in_tree: false,
        }
    }
}

/// Why a module cannot be generated.
#[derive(Debug, Clone)]
pub struct KernelGenError(pub String);

impl fmt::Display for KernelGenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for KernelGenError {}

/// The spec's file name (no directories: generated files carry no machine paths).
pub(super) fn spec_file_name(f: &Family) -> String {
    std::path::Path::new(&f.source).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

pub(super) fn config_name(c: &str) -> String {
    format!("CONFIG_{}", c.to_uppercase().replace('-', "_"))
}

pub(super) fn doc_str(s: &str) -> TokenStream {
    doc_attrs(Some(s))
}

pub(super) fn cstr(s: &str) -> Result<Literal, KernelGenError> {
    let c = std::ffi::CString::new(s).map_err(|_| KernelGenError(format!("name {s:?} contains NUL")))?;
    Ok(Literal::c_string(&c))
}

/// `cmd::<OP>` (or `cmd::<OP>_REPLY` for the reply id of a directional op) naming value `v`.
/// The value's width was checked when `cmd::*` was emitted (u8 for Generic Netlink, u16 for
/// classic netlink).
pub(super) fn cmd_ref(op: &Op, v: u32) -> Result<TokenStream, KernelGenError> {
    let base = names::screaming(&op.name);
    let id = match (op.req_value, op.rsp_value) {
        (Some(r), Some(s)) if r != s && v == s => format_ident!("{}_REPLY", base),
        _ => format_ident!("{}", base),
    };
    Ok(quote!(cmd::#id))
}

pub(super) fn cmd_u8(op: &Op, v: u32) -> Result<Literal, KernelGenError> {
    u8::try_from(v)
        .map(Literal::u8_unsuffixed)
        .map_err(|_| KernelGenError(format!("op {}: command {v} does not fit a genl u8 command", op.name)))
}

/// Sets reachable (through nests) from `roots`.
pub(super) fn reachable(f: &Family, roots: impl IntoIterator<Item = SetId>) -> BTreeSet<SetId> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<SetId> = roots.into_iter().collect();
    while let Some(s) = stack.pop() {
        if seen.insert(s) {
            stack.extend(f.set(s).attrs.iter().filter_map(|a| a.kind.nested_set()));
        }
    }
    seen
}

/// Sets the attributes `attrs` nest.
pub(super) fn nested_of(f: &Family, attrs: &[AttrRef]) -> Vec<SetId> {
    attrs.iter().filter_map(|r| f.attr(*r).kind.nested_set()).collect()
}

/// Sets nested in the requests of the served ops, and the sets those nest (recursively).
pub(super) fn request_sets(f: &Family) -> BTreeSet<SetId> {
    let roots: Vec<SetId> = f
        .served_ops()
        .flat_map(|op| [&op.do_, &op.dump].into_iter().flatten())
        .filter_map(|sub| sub.request.as_ref())
        .flat_map(|r| nested_of(f, &r.attrs))
        .collect();
    reachable(f, roots)
}

/// `refs` without repeats, in order.
pub(super) fn dedup_refs(v: &[AttrRef]) -> Vec<AttrRef> {
    let mut seen = HashSet::new();
    v.iter().copied().filter(|r| seen.insert(*r)).collect()
}

/// Every attribute of set `s`.
pub(super) fn all_refs(f: &Family, s: SetId) -> Vec<AttrRef> {
    (0..f.set(s).attrs.len()).map(|idx| AttrRef { set: s, idx }).collect()
}

/// Getter/setter base name of an attribute, unique among `used` (a clash gets `_attr_`).
pub(super) fn unique_method(a: &ir::Attr, used: &mut HashSet<String>) -> String {
    let mut base = a.rust_name.clone();
    if used.contains(&base) {
        base.push_str("_attr_");
    }
    used.insert(base.clone());
    base
}

/// The type of a fixed header, if the struct has a fixed size.
pub(super) fn header_struct(cx: &Cx, h: Option<ir::StructId>) -> Option<Ident> {
    h.filter(|s| cx.fam.struct_(*s).size.is_some()).map(|s| cx.struct_ty(s))
}

/// The text of a support-layer macro invocation (`nl::request! { ... }`), laid out as it should
/// read: a macro body is one run of tokens to the printer (and rustfmt leaves it as written),
/// so these are written as text and spliced into the printed file (see [`verbatim`]).
#[derive(Default)]
pub(super) struct MacroText {
    out: String,
    depth: usize,
}

impl MacroText {
    /// One line at the current indentation.
    pub fn line(&mut self, s: &str) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }
    /// `s {` and one level deeper.
    pub fn open(&mut self, s: &str) {
        self.line(&format!("{s} {{"));
        self.depth += 1;
    }
    /// One level out, then `s` (`}`).
    pub fn close(&mut self, s: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.line(s);
    }
    /// `head { <body, one level deeper> }`, or `head {}` for an empty body.
    pub fn block(&mut self, head: &str, body: MacroText) {
        if body.out.is_empty() {
            self.line(&format!("{head} {{}}"));
            return;
        }
        self.open(head);
        for l in body.out.lines() {
            self.line(l);
        }
        self.close("}");
    }
    /// Spec documentation as `///` lines (indentation dropped, as in `doc_attrs`).
    pub fn doc(&mut self, doc: Option<&str>) {
        let Some(d) = doc.filter(|d| !d.trim().is_empty()) else { return };
        for l in d.trim_end().lines() {
            let l = l.trim();
            self.line(&if l.is_empty() { "///".to_string() } else { format!("/// {l}") });
        }
    }
    /// Documentation as rustdoc lines exactly as the token emitters write it
    /// ([`crate::attr::doc_lines`]: list continuations kept), or nothing for `None`.
    pub fn doc_lines(&mut self, doc: Option<&str>) {
        let Some(d) = doc.filter(|d| !d.trim().is_empty()) else { return };
        for l in crate::attr::doc_lines(d) {
            self.line(&format!("///{}", l.trim_end()));
        }
    }
    /// A blank doc line (`///`), between paragraphs.
    pub fn doc_break(&mut self) {
        self.line("///");
    }
    /// A function laid out as rustfmt lays it out (the kernel's style: 100 columns): the
    /// signature `head(params) -> ret {` on one line when it fits, else one parameter per
    /// line; `body` `None` is `{}`, else its lines one level deeper.
    pub fn func(&mut self, head: &str, params: &[String], ret: Option<&str>, body: Option<&[&str]>) {
        let ret = ret.map(|r| format!(" -> {r}")).unwrap_or_default();
        let open = if body.is_none() { " {}" } else { " {" };
        let one = format!("{head}({}){ret}{open}", params.join(", "));
        if self.depth * 4 + one.len() <= 100 || params.is_empty() {
            self.line(&one);
        } else {
            self.line(&format!("{head}("));
            self.depth += 1;
            for p in params {
                self.line(&format!("{p},"));
            }
            self.depth -= 1;
            self.line(&format!("){ret}{open}"));
        }
        if let Some(body) = body {
            self.depth += 1;
            for l in body {
                self.line(l);
            }
            self.depth -= 1;
            self.line("}");
        }
    }
    /// An empty text whose lines start `depth` levels in (where it will be spliced with
    /// [`MacroText::splice`]: [`MacroText::func`] measures its lines there).
    pub fn at_depth(depth: usize) -> Self {
        MacroText { out: String::new(), depth }
    }
    /// Another text's lines as they are (made with [`MacroText::at_depth`] for this place, or at
    /// depth 0 for the top level).
    pub fn splice(&mut self, other: &MacroText) {
        self.out.push_str(&other.out);
    }
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }
    /// The text as a placeholder item.
    pub fn finish(self) -> TokenStream {
        verbatim(&self.out)
    }
}

/// `text`, laid out by the caller, as an item the printer writes as it is, at the indentation
/// of where it stands (see `print::VERBATIM`).
pub(super) fn verbatim(text: &str) -> TokenStream {
    let mac = Ident::new(crate::emit::print::VERBATIM);
    let text = raw_string(text.trim_end());
    quote!(#mac!(#text);)
}

/// The crate root's per-socket state type of a family with `sock-priv` (`<Family>SockPriv`):
/// the family file names it, the skeleton defines it.
pub(super) fn sock_priv_type(f: &Family) -> String {
    format!("{}SockPriv", f.rust_name)
}

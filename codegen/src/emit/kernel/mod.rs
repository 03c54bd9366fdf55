//! Kernel emitter: a resolved [`Family`] → a Rust-for-Linux module directory.
//!
//! The module directory holds
//! * `<family>_genl.rs` — generated family code (safe Rust only): constants, enum/flags/struct
//!   types, `nla_policy` tables, typed request views, reply/dump/notification builders, the
//!   family's handler trait (`#[vtable]`, one method per do/dump, default `EOPNOTSUPP`), the ops
//!   table and the family (`register::<H>()`);
//! * `<family>_main.rs` — a skeleton (from `kmod-template/main.rs.j2`): `module!`, registration
//!   on load, a handler type implementing nothing (every op answers `EOPNOTSUPP`);
//! * `Kbuild`, `Makefile`, `<family>.mk` (from the templates) and the family-independent support
//!   files copied from `kmod-template/support/` (all `unsafe` lives there).
//!
//! Build with the kernel's usual `make -C $KDIR M=$PWD LLVM=-19 ...`. An example module in
//! another directory reuses `<family>_genl.rs` with its own main: see the generated `.mk` file.

pub mod kinds;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::attr::doc_attrs as doc;
use nlspec_model::ir::{
    self, AttrKind, AttrRef, AttrType, ByteOrder, EnumKind, Family, KernelPolicy, MemberType, Op, SetId,
};
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
}

impl Default for KernelOptions {
    fn default() -> Self {
        KernelOptions { module_name: None, netnsok: true, parallel_ops: true, skeleton: true, support: true }
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

pub use super::GeneratedFile;

const SUPPORT_FILES: &[(&str, &str)] = &[
    ("nlspec_support.rs", include_str!("../../../kernel/support/nlspec_support.rs")),
    ("nlspec_helper.h", include_str!("../../../kernel/support/nlspec_helper.h")),
    ("nlspec_bindgen.py", include_str!("../../../kernel/support/nlspec_bindgen.py")),
    ("nlspec.mk", include_str!("../../../kernel/support/nlspec.mk")),
];

const TPL_KBUILD: &str = include_str!("../../../kmod-template/Kbuild.j2");
const TPL_MAKEFILE: &str = include_str!("../../../kmod-template/Makefile.j2");
const TPL_MK: &str = include_str!("../../../kmod-template/family.mk.j2");
const TPL_MAIN: &str = include_str!("../../../kmod-template/main.rs.j2");
const TPL_GITIGNORE: &str = include_str!("../../../kmod-template/gitignore.j2");

/// Generates the module directory of `f`.
pub fn generate(f: &Family, opts: &KernelOptions) -> Result<Vec<GeneratedFile>, KernelGenError> {
    if !f.is_genetlink() {
        return Err(KernelGenError(format!("{}: netlink-raw families have no Generic Netlink kernel side", f.name)));
    }
    let module = opts.module_name.clone().unwrap_or_else(|| names::c_lower(&f.name).replace(' ', "_"));
    let genl = genl_source(f, opts)?;
    let mut out = vec![GeneratedFile::new(format!("{module}_genl.rs"), genl)];

    let env = template_env();
    let ctx = TemplateCtx::new(f, &module);
    let render = |name: &str| -> Result<String, KernelGenError> {
        env.get_template(name).and_then(|t| t.render(&ctx)).map_err(|e| KernelGenError(format!("template {name}: {e}")))
    };
    out.push(GeneratedFile::new("Kbuild", render("Kbuild")?));
    out.push(GeneratedFile::new("Makefile", render("Makefile")?));
    out.push(GeneratedFile::new(format!("{module}.mk"), render("family.mk")?));
    out.push(GeneratedFile::new(".gitignore", render("gitignore")?));
    if opts.skeleton {
        out.push(GeneratedFile::new(format!("{module}_main.rs"), render("main.rs")?));
    }
    if opts.support {
        for (name, text) in SUPPORT_FILES {
            out.push(GeneratedFile::new(name.to_string(), text.to_string()));
        }
    }
    Ok(out)
}

fn template_env() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    for (n, t) in [
        ("Kbuild", TPL_KBUILD),
        ("Makefile", TPL_MAKEFILE),
        ("family.mk", TPL_MK),
        ("main.rs", TPL_MAIN),
        ("gitignore", TPL_GITIGNORE),
    ] {
        env.add_template(n, t).expect("built-in template parses");
    }
    env
}

#[derive(serde::Serialize)]
struct TemplateCtx {
    family: String,
    module: String,
    module_upper: String,
    handler_trait: String,
    doc: Vec<String>,
    source: String,
    dump_states: Vec<String>,
    ops: Vec<String>,
}

impl TemplateCtx {
    fn new(f: &Family, module: &str) -> Self {
        let doc = f.doc.as_deref().unwrap_or("").trim().lines().map(|l| l.trim().to_string()).collect();
        let mut dump_states: Vec<String> = Vec::new();
        if let Ok(states) = dump_states_of(f) {
            for st in states.values() {
                if !dump_states.contains(st) {
                    dump_states.push(st.clone());
                }
            }
        }
        let mut ops = Vec::new();
        for op in served_ops(f) {
            let mut kinds = Vec::new();
            if op.do_.is_some() {
                kinds.push("do");
            }
            if op.dump.is_some() {
                kinds.push("dump");
            }
            ops.push(format!("{} ({})", op.name, kinds.join(", ")));
        }
        TemplateCtx {
            family: f.name.clone(),
            module: module.to_string(),
            module_upper: names::upper_camel(module),
            handler_trait: format!("{}Handler", f.rust_name),
            doc,
            source: std::path::Path::new(&f.source)
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            dump_states,
            ops,
        }
    }
}

/// Ops the kernel serves (a do or dump with a request id): everything but notifications/events.
fn served_ops(f: &Family) -> impl Iterator<Item = &Op> {
    f.ops.list.iter().filter(|o| !o.is_async() && (o.do_.is_some() || o.dump.is_some()) && o.req_value.is_some())
}

/// The dump-state associated type of each served dump op (by op id): `<Op>DumpState`, except
/// that dump ops naming the same start/done hook share the state type of the first of them, so
/// the hook method can take it (in C such hooks share `cb->ctx` the same way).
fn dump_states_of(f: &Family) -> Result<BTreeMap<usize, String>, KernelGenError> {
    let mut do_hooks: BTreeSet<&str> = BTreeSet::new();
    for op in served_ops(f) {
        if let Some(d) = &op.do_ {
            do_hooks.extend(d.pre.iter().chain(d.post.iter()).map(|h| h.as_str()));
        }
    }
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
        let st = st.unwrap_or_else(|| format!("{}DumpState", op.rust_name));
        for h in hooks {
            hook_state.insert(h, st.clone());
        }
        op_state.insert(op.id.0, st);
    }
    Ok(op_state)
}

/// `#[cfg(CONFIG_X)]` for an op's `config-cond: x` (the kernel passes `--cfg CONFIG_X` to Rust
/// code, modules included, for every enabled option), or nothing.
fn config_cfg(op: &Op) -> TokenStream {
    match &op.config_cond {
        Some(c) => {
            let id = format_ident!("{}", config_name(c));
            quote!(#[cfg(#id)])
        }
        None => quote!(),
    }
}

fn config_name(c: &str) -> String {
    format!("CONFIG_{}", c.to_uppercase().replace('-', "_"))
}

/// Names of generated items, unique within `<family>_genl.rs`.
pub struct Names {
    pub sets: Vec<String>,
    pub enums: Vec<String>,
    pub enum_repr: Vec<&'static str>,
    pub structs: Vec<String>,
    taken: HashSet<String>,
}

const RESERVED: &[&str] = &[
    "Sink",
    "ArrayIter",
    "Ops",
    "Error",
    "Result",
    "Option",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Request",
    "Reply",
    "Dump",
    "Attr",
    "Attrs",
    "Writer",
    "Family",
    "Self_",
    "Copy",
    "Clone",
];

impl Names {
    fn new(f: &Family) -> Self {
        let mut taken: HashSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        taken.insert(format!("{}Handler", f.rust_name));
        let claim = |base: &str, suffix: &str, taken: &mut HashSet<String>| -> String {
            let mut name = base.to_string();
            let mut k = 2;
            if taken.contains(&name) {
                name = format!("{base}{suffix}");
            }
            while taken.contains(&name) {
                name = format!("{base}{suffix}{k}");
                k += 1;
            }
            taken.insert(name.clone());
            name
        };
        let enums: Vec<String> = f.enums.iter().map(|e| claim(&e.rust_name, "Enum", &mut taken)).collect();
        let structs: Vec<String> = f.structs.iter().map(|s| claim(&s.rust_name, "Struct", &mut taken)).collect();
        let sets: Vec<String> = f.sets.iter().map(|s| claim(&s.rust_name, "Set", &mut taken)).collect();
        // every derived set name is claimed too
        for s in &sets {
            for suf in ["View", "Writer", "Array", "Slots", "Attrs"] {
                taken.insert(format!("{s}{suf}"));
            }
        }
        for e in &enums {
            taken.insert(format!("{e}Check"));
        }
        let mut wide: Vec<bool> = f.enums.iter().map(|e| e.max_value() > u32::MAX as u64).collect();
        for s in &f.sets {
            for a in &s.attrs {
                if let Some(e) = a.enum_ {
                    if matches!(a.kind.ty(), AttrType::U64 | AttrType::S64 | AttrType::Uint | AttrType::Sint) {
                        wide[e.0] = true;
                    }
                }
            }
        }
        let enum_repr = wide.iter().map(|w| if *w { "u64" } else { "u32" }).collect();
        Names { sets, enums, enum_repr, structs, taken }
    }
    fn claim(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 2;
        while self.taken.contains(&name) {
            name = format!("{base}{k}");
            k += 1;
        }
        self.taken.insert(name.clone());
        name
    }
    pub fn set_view(&self, s: SetId) -> String {
        format!("{}View", self.sets[s.0])
    }
    pub fn set_writer(&self, s: SetId) -> String {
        format!("{}Writer", self.sets[s.0])
    }
    pub fn set_array(&self, s: SetId) -> String {
        format!("{}Array", self.sets[s.0])
    }
    pub fn set_slots(&self, s: SetId) -> String {
        format!("{}Slots", self.sets[s.0])
    }
    pub fn set_attrs(&self, s: SetId) -> String {
        format!("{}Attrs", self.sets[s.0])
    }
    pub fn nest_policy(&self, f: &Family, s: SetId) -> String {
        format!("{}_NEST_POLICY", names::screaming(&f.set(s).name))
    }
}

fn doc_str(s: &str) -> TokenStream {
    doc(Some(s))
}

fn cstr(s: &str) -> Result<Literal, KernelGenError> {
    let c = std::ffi::CString::new(s).map_err(|_| KernelGenError(format!("name {s:?} contains NUL")))?;
    Ok(Literal::c_string(&c))
}

fn set_mod(f: &Family, s: SetId) -> proc_macro2::Ident {
    format_ident!("{}", names::snake(&f.set(s).name))
}

fn attr_const(f: &Family, s: SetId, a: &ir::Attr) -> TokenStream {
    let m = set_mod(f, s);
    let c = format_ident!("{}", names::screaming(&a.name));
    quote!(attrs::#m::#c)
}

/// `cmd::<OP>` (or `cmd::<OP>_REPLY` for the reply id of a directional op) naming value `v`.
fn cmd_ref(op: &Op, v: u32) -> Result<TokenStream, KernelGenError> {
    cmd_u8(op, v)?;
    let base = names::screaming(&op.name);
    let id = match (op.req_value, op.rsp_value) {
        (Some(r), Some(s)) if r != s && v == s => format_ident!("{}_REPLY", base),
        _ => format_ident!("{}", base),
    };
    Ok(quote!(cmd::#id))
}

fn cmd_u8(op: &Op, v: u32) -> Result<Literal, KernelGenError> {
    u8::try_from(v)
        .map(Literal::u8_unsuffixed)
        .map_err(|_| KernelGenError(format!("op {}: command {v} does not fit a genl u8 command", op.name)))
}

/// Sets reachable (through nests) from `roots`.
fn reachable(f: &Family, roots: impl IntoIterator<Item = SetId>) -> BTreeSet<SetId> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<SetId> = roots.into_iter().collect();
    while let Some(s) = stack.pop() {
        if seen.insert(s) {
            for a in &f.set(s).attrs {
                if let Some(n) = a.kind.nested_set() {
                    stack.push(n);
                }
            }
        }
    }
    seen
}

fn nested_of(f: &Family, attrs: &[AttrRef]) -> Vec<SetId> {
    attrs.iter().filter_map(|r| f.attr(*r).kind.nested_set()).collect()
}

fn dedup_refs(v: &[AttrRef]) -> Vec<AttrRef> {
    let mut seen = HashSet::new();
    v.iter().copied().filter(|r| seen.insert(*r)).collect()
}

/// One attribute list a message (reply, dump entry, notification) carries.
struct MsgAttrs {
    trait_name: String,
    set: SetId,
    attrs: Vec<AttrRef>,
}

fn genl_source(f: &Family, opts: &KernelOptions) -> Result<String, KernelGenError> {
    let mut n = Names::new(f);
    let fam_rust = &f.rust_name;
    let handler = format_ident!("{}Handler", fam_rust);

    // ---------------------------------------------------------------- constants, types
    let fam_name_lit = cstr(&f.name)?;
    let version = Literal::u32_unsuffixed(f.version);
    let family_doc = doc(f.doc.as_deref());

    let consts = f.consts.iter().map(|c| {
        let id = format_ident!("{}", names::screaming(&c.name));
        let d = doc(c.doc.as_deref());
        match &c.value {
            ir::ConstValue::Int(v) if *v < 0 => {
                let l = Literal::i64_unsuffixed(*v as i64);
                quote!(#d pub const #id: i64 = #l;)
            }
            ir::ConstValue::Int(v) => {
                let l = Literal::u64_unsuffixed(*v as u64);
                quote!(#d pub const #id: u64 = #l;)
            }
            ir::ConstValue::Str(s) => quote!(#d pub const #id: &str = #s;),
        }
    });

    // commands
    let mut cmd_items = Vec::new();
    for op in &f.ops.list {
        let d = doc(op.doc.as_deref());
        let base = names::screaming(&op.name);
        let id = format_ident!("{}", base);
        match (op.req_value, op.rsp_value) {
            (Some(r), Some(s)) if r != s => {
                let (r, s) = (cmd_u8(op, r)?, cmd_u8(op, s)?);
                let rid = format_ident!("{}_REPLY", base);
                let rd = doc_str(&format!("Command of `{}` replies.", op.name));
                cmd_items.push(quote!(#d pub const #id: u8 = #r; #rd pub const #rid: u8 = #s;));
            }
            (Some(v), _) | (None, Some(v)) => {
                let v = cmd_u8(op, v)?;
                cmd_items.push(quote!(#d pub const #id: u8 = #v;));
            }
            (None, None) => {}
        }
    }

    // attribute numbers
    let attr_mods = f.sets.iter().map(|s| {
        let m = set_mod(f, s.id);
        let d = doc(s.doc.as_deref());
        let items = s.attrs.iter().map(|a| {
            let c = format_ident!("{}", names::screaming(&a.name));
            let v = Literal::u16_unsuffixed(a.value);
            let d = doc(a.doc.as_deref());
            quote!(#d pub const #c: u16 = #v;)
        });
        let maxv = Literal::u16_unsuffixed(s.max_value);
        let taken: HashSet<String> = s.attrs.iter().map(|a| names::screaming(&a.name)).collect();
        let max_name = ["MAX", "MAX_ATTR", "MAX_"].into_iter().find(|c| !taken.contains(*c)).unwrap_or("MAX__");
        let max_id = format_ident!("{}", max_name);
        quote!(#d pub mod #m { #(#items)* /// Highest attribute number of the set.
            pub const #max_id: u16 = #maxv; })
    });

    let mcgrp_items = f.mcast_groups.iter().map(|g| {
        let id = format_ident!("{}", names::screaming(&g.name));
        let v = Literal::u32_unsuffixed(g.index as u32);
        let d = doc_str(&format!("Index of multicast group `{}`.", g.name));
        quote!(#d pub const #id: u32 = #v;)
    });

    let enum_items = f.enums.iter().enumerate().map(|(i, e)| {
        let ty = format_ident!("{}", n.enums[i]);
        let repr = format_ident!("{}", n.enum_repr[i]);
        let d = doc(e.doc.as_deref());
        let entries = e.entries.iter().map(|x| {
            let c = format_ident!("{}", names::screaming(&x.name));
            let v = Literal::u64_unsuffixed(x.value);
            let d = doc(x.doc.as_deref());
            quote!(#d pub const #c: #ty = #ty(#v);)
        });
        let vals = e.entries.iter().map(|x| Literal::u64_unsuffixed(x.value));
        let known = if e.entries.is_empty() { quote!(false) } else { quote!(matches!(self.0, #(#vals)|*)) };
        match e.kind {
            EnumKind::Enum => quote! {
                #d
                #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
                pub struct #ty(pub #repr);
                impl #ty {
                    #(#entries)*
                    /// Whether the value is one of the entries.
                    pub const fn is_known(self) -> bool {
                        #known
                    }
                }
            },
            EnumKind::Flags => {
                let mask = Literal::u64_unsuffixed(e.flags_mask());
                quote! {
                    #d
                    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
                    pub struct #ty(pub #repr);
                    impl #ty {
                        #(#entries)*
                        /// Every defined flag.
                        pub const ALL: #ty = #ty(#mask);
                        /// No flag.
                        pub const EMPTY: #ty = #ty(0);
                        /// The raw bits.
                        pub const fn bits(self) -> #repr { self.0 }
                        /// Whether every flag of `other` is set.
                        pub const fn contains(self, other: #ty) -> bool { self.0 & other.0 == other.0 }
                        /// Whether no flag is set.
                        pub const fn is_empty(self) -> bool { self.0 == 0 }
                    }
                    impl core::ops::BitOr for #ty {
                        type Output = #ty;
                        fn bitor(self, o: #ty) -> #ty { #ty(self.0 | o.0) }
                    }
                    impl core::ops::BitAnd for #ty {
                        type Output = #ty;
                        fn bitand(self, o: #ty) -> #ty { #ty(self.0 & o.0) }
                    }
                    impl core::ops::Not for #ty {
                        type Output = #ty;
                        fn not(self) -> #ty { #ty(!self.0 & Self::ALL.0) }
                    }
                }
            }
        }
    });
    let enum_items: Vec<_> = enum_items.collect();

    let struct_items: Vec<TokenStream> =
        f.structs.iter().enumerate().filter_map(|(i, s)| struct_item(&n, i, s)).collect();

    // ---------------------------------------------------------------- policies
    let mut st = kinds::PolicyStatics::default();
    let mut policy_items: Vec<TokenStream> = Vec::new();
    let mut request_roots: Vec<SetId> = Vec::new();
    for op in served_ops(f) {
        for sub in [&op.do_, &op.dump].into_iter().flatten() {
            if let Some(r) = &sub.request {
                request_roots.extend(nested_of(f, &r.attrs));
            }
        }
    }
    let nest_sets = reachable(f, request_roots.iter().copied());
    for s in &nest_sets {
        let set = f.set(*s);
        let refs: Vec<AttrRef> = (0..set.attrs.len()).map(|idx| AttrRef { set: *s, idx }).collect();
        if set.attrs.iter().all(|a| a.value == 0) {
            continue;
        }
        let name = n.nest_policy(f, *s);
        let d = format!("Policy of a nest of `{}`.", set.name);
        policy_items.push(policy_table(f, &n, &mut st, &name, &d, &refs));
    }

    // per-op / family policies
    let mut op_policy: BTreeMap<(usize, bool), String> = BTreeMap::new(); // (op idx, dump) -> static
    let mut family_policy: Option<String> = None;
    match f.kernel_policy {
        KernelPolicy::Split => {
            for op in served_ops(f) {
                for (is_dump, sub) in [(false, &op.do_), (true, &op.dump)] {
                    let Some(sub) = sub else { continue };
                    let Some(req) = &sub.request else { continue };
                    let refs = dedup_refs(&req.attrs);
                    if refs.is_empty() {
                        continue;
                    }
                    let name = format!("{}_{}_POLICY", names::screaming(&op.name), if is_dump { "DUMP" } else { "DO" });
                    let d = format!("Request policy of `{}` ({}).", op.name, if is_dump { "dump" } else { "do" });
                    policy_items.push(policy_table(f, &n, &mut st, &name, &d, &refs));
                    op_policy.insert((op.id.0, is_dump), name);
                }
            }
        }
        KernelPolicy::PerOp => {
            for op in served_ops(f) {
                let mut refs = Vec::new();
                for sub in [&op.do_, &op.dump].into_iter().flatten() {
                    if let Some(r) = &sub.request {
                        refs.extend(r.attrs.iter().copied());
                    }
                }
                let refs = dedup_refs(&refs);
                if refs.is_empty() {
                    continue;
                }
                let name = format!("{}_POLICY", names::screaming(&op.name));
                let d = format!("Request policy of `{}`.", op.name);
                policy_items.push(policy_table(f, &n, &mut st, &name, &d, &refs));
                op_policy.insert((op.id.0, false), name.clone());
                op_policy.insert((op.id.0, true), name);
            }
        }
        KernelPolicy::Global => {
            let mut refs = Vec::new();
            for op in served_ops(f) {
                for sub in [&op.do_, &op.dump].into_iter().flatten() {
                    if let Some(r) = &sub.request {
                        refs.extend(r.attrs.iter().copied());
                    }
                }
            }
            // one table: the attributes of the most used request set
            let mut count: BTreeMap<SetId, usize> = BTreeMap::new();
            for r in &refs {
                *count.entry(r.set).or_default() += 1;
            }
            if let Some((main, _)) = count.iter().max_by_key(|(_, c)| **c) {
                let main = *main;
                let refs: Vec<AttrRef> = dedup_refs(&refs).into_iter().filter(|r| r.set == main).collect();
                let name = "FAMILY_POLICY".to_string();
                policy_items.push(policy_table(f, &n, &mut st, &name, "The family-wide request policy.", &refs));
                family_policy = Some(name);
                // an op whose requests use another set gets its own table (genl_ops.policy)
                for op in served_ops(f) {
                    let mut own = Vec::new();
                    for sub in [&op.do_, &op.dump].into_iter().flatten() {
                        if let Some(r) = &sub.request {
                            own.extend(r.attrs.iter().copied());
                        }
                    }
                    if own.is_empty() || own.iter().all(|r| r.set == main) {
                        continue;
                    }
                    let name = format!("{}_POLICY", names::screaming(&op.name));
                    let d = format!("Request policy of `{}` (its set is not the family policy's).", op.name);
                    policy_items.push(policy_table(f, &n, &mut st, &name, &d, &dedup_refs(&own)));
                    op_policy.insert((op.id.0, false), name.clone());
                    op_policy.insert((op.id.0, true), name);
                }
            }
        }
    }

    // ---------------------------------------------------------------- request views
    let mut view_items = Vec::new();
    let view_sets = reachable(
        f,
        served_ops(f).flat_map(|op| {
            [&op.do_, &op.dump]
                .into_iter()
                .flatten()
                .filter_map(|s| s.request.as_ref())
                .flat_map(|r| nested_of(f, &r.attrs))
                .collect::<Vec<_>>()
        }),
    );
    for s in &view_sets {
        let v = format_ident!("{}", n.set_view(*s));
        let set = f.set(*s);
        let d = doc_str(&format!(
            "A received nest of `{}`{}",
            set.name,
            set.doc.as_deref().map(|d| format!(": {}", d.trim())).unwrap_or_else(|| ".".into())
        ));
        let refs: Vec<AttrRef> = (0..set.attrs.len()).map(|idx| AttrRef { set: *s, idx }).collect();
        let getters = view_getters(f, &n, &refs, false);
        view_items.push(quote! {
            #d
            #[derive(Clone)]
            pub struct #v<'a> { attrs: nl::Attrs<'a>, nest: Option<nl::Attr<'a>> }
            impl<'a> #v<'a> {
                /// A view of the attributes in `attrs` (a nest's payload).
                pub fn new(attrs: nl::Attrs<'a>) -> Self { Self { attrs, nest: None } }
                /// A view of the nest attribute `nest` (errors for missing members name it).
                pub fn of(nest: nl::Attr<'a>) -> Self { Self { attrs: nest.nested(), nest: Some(nest) } }
                /// The nest attribute itself (for `Error::attr`), when known.
                pub fn nest(&self) -> Option<nl::Attr<'a>> { self.nest }
                /// Every attribute of the nest, unparsed.
                pub fn attrs(&self) -> nl::Attrs<'a> { self.attrs.clone() }
                #getters
            }
        });
    }

    let hdr_struct = |op: &Op| op.fixed_header.filter(|s| f.struct_(*s).size.is_some());
    let mut op_items = Vec::new();
    for op in served_ops(f) {
        for (is_dump, sub) in [(false, &op.do_), (true, &op.dump)] {
            let Some(sub) = sub else { continue };
            let vname = format_ident!("{}{}Request", op.rust_name, if is_dump { "Dump" } else { "" });
            let refs = sub.request.as_ref().map(|r| dedup_refs(&r.attrs)).unwrap_or_default();
            let getters = view_getters(f, &n, &refs, true);
            let header = hdr_struct(op).map(|h| {
                let ht = format_ident!("{}", n.structs[h.0]);
                quote! {
                    /// The request's fixed header.
                    pub fn header(&self) -> nl::Result<#ht> {
                        #ht::from_bytes(self.raw.fixed_header())
                            .ok_or(nl::Error::EINVAL.msg(c"fixed header too short"))
                    }
                }
            });
            let d = doc_str(&format!(
                "A `{}` {} request (validated against its policy).",
                op.name,
                if is_dump { "dump" } else { "do" }
            ));
            op_items.push(quote! {
                #d
                pub struct #vname<'a> { raw: &'a nl::Request<'a> }
                impl<'a> #vname<'a> {
                    /// The request as the support layer sees it (raw attributes, sender).
                    pub fn raw(&self) -> &'a nl::Request<'a> { self.raw }
                    #header
                    #getters
                }
            });
        }
    }

    // ---------------------------------------------------------------- reply side
    // message attribute lists → traits
    let mut msg_traits: Vec<MsgAttrs> = Vec::new();
    let mut do_reply_trait: BTreeMap<usize, usize> = BTreeMap::new();
    let mut dump_reply_trait: BTreeMap<usize, usize> = BTreeMap::new();
    let mut event_trait: BTreeMap<usize, usize> = BTreeMap::new();
    for op in &f.ops.list {
        let Some(set) = op.attribute_set else { continue };
        let do_rep = op.do_.as_ref().and_then(|s| s.reply.as_ref()).map(|r| dedup_refs(&r.attrs));
        let dump_rep = op.dump.as_ref().and_then(|s| s.reply.as_ref()).map(|r| dedup_refs(&r.attrs));
        if let Some(a) = &do_rep {
            let name = n.claim(&format!("{}ReplyAttrs", op.rust_name));
            msg_traits.push(MsgAttrs { trait_name: name, set, attrs: a.clone() });
            do_reply_trait.insert(op.id.0, msg_traits.len() - 1);
        }
        if let Some(a) = &dump_rep {
            if do_rep.as_ref() == Some(a) {
                dump_reply_trait.insert(op.id.0, do_reply_trait[&op.id.0]);
            } else {
                let name = n.claim(&format!("{}DumpReplyAttrs", op.rust_name));
                msg_traits.push(MsgAttrs { trait_name: name, set, attrs: a.clone() });
                dump_reply_trait.insert(op.id.0, msg_traits.len() - 1);
            }
        }
        if let Some(ev) = &op.event {
            let name = n.claim(&format!("{}Attrs", op.rust_name));
            msg_traits.push(MsgAttrs { trait_name: name, set, attrs: dedup_refs(ev) });
            event_trait.insert(op.id.0, msg_traits.len() - 1);
        }
    }
    let reply_roots: Vec<SetId> = msg_traits.iter().flat_map(|m| nested_of(f, &m.attrs)).collect();
    let writer_sets = reachable(f, reply_roots);

    let mut writer_items = Vec::new();
    for m in &msg_traits {
        let t = format_ident!("{}", m.trait_name);
        let setters = setters(f, &n, m.set, &m.attrs);
        writer_items.push(quote! {
            /// Attributes of this message; in scope with `use` of this module.
            pub trait #t: Sink + Sized { #setters }
        });
    }
    let mut array_sets = BTreeSet::new();
    let mut slot_sets = BTreeSet::new();
    for s in writer_sets.iter().copied().chain(msg_traits.iter().map(|m| m.set)) {
        for a in &f.set(s).attrs {
            match &a.kind {
                AttrKind::IndexedArray { sub_type: AttrType::Nest, set: Some(x) } => {
                    array_sets.insert(*x);
                }
                AttrKind::NestTypeValue { set: x, .. } => {
                    slot_sets.insert(*x);
                }
                _ => {}
            }
        }
    }
    for s in &writer_sets {
        let set = f.set(*s);
        let refs: Vec<AttrRef> = (0..set.attrs.len()).map(|idx| AttrRef { set: *s, idx }).collect();
        let tr = format_ident!("{}", n.set_attrs(*s));
        let wr = format_ident!("{}", n.set_writer(*s));
        let setters = setters(f, &n, *s, &refs);
        let d = doc_str(&format!("Writes the attributes of a `{}` nest.", set.name));
        let td = doc_str(&format!("Attributes of a `{}` nest.", set.name));
        writer_items.push(quote! {
            #td
            pub trait #tr: Sink + Sized { #setters }
            #d
            pub struct #wr<'w> { w: &'w mut nl::Writer }
            impl Sink for #wr<'_> { fn writer(&mut self) -> &mut nl::Writer { self.w } }
            impl #tr for #wr<'_> {}
        });
        if array_sets.contains(s) {
            let ar = format_ident!("{}", n.set_array(*s));
            let d = doc_str(&format!("Writes an indexed array of `{}` nests.", set.name));
            writer_items.push(quote! {
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
        if slot_sets.contains(s) {
            let sl = format_ident!("{}", n.set_slots(*s));
            let d = doc_str(&format!("Writes `{}` nests whose attribute type carries a value.", set.name));
            writer_items.push(quote! {
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
    }

    let struct_names = n.structs.clone();
    let set_header_fn = |h: Option<ir::StructId>, field: TokenStream| {
        h.map(|h| {
            let ht = format_ident!("{}", struct_names[h.0]);
            quote! {
                /// Sets the message's fixed header.
                pub fn set_header(&mut self, h: &#ht) -> &mut Self {
                    #field.set_header(&h.to_bytes());
                    self
                }
            }
        })
    };

    for op in served_ops(f) {
        let rsp = op.rsp_value.or(op.req_value).unwrap_or(0);
        let rsp_cmd = cmd_ref(op, rsp)?;
        if let (Some(_), Some(ti)) = (&op.do_, do_reply_trait.get(&op.id.0)) {
            let tr = format_ident!("{}", msg_traits[*ti].trait_name);
            let ty = format_ident!("{}Reply", op.rust_name);
            let rq = format_ident!("{}Request", op.rust_name);
            let sh = set_header_fn(hdr_struct(op), quote!(self.r));
            let d = doc_str(&format!(
                "The reply to a `{}` do request; attribute setters in [`{}`].",
                op.name, msg_traits[*ti].trait_name
            ));
            op_items.push(quote! {
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
            let ty = format_ident!("{}Dump", op.rust_name);
            let en = format_ident!("{}DumpEntry", op.rust_name);
            let tr_impl = dump_reply_trait.get(&op.id.0).map(|ti| {
                let tr = format_ident!("{}", msg_traits[*ti].trait_name);
                quote!(impl #tr for #en<'_> {})
            });
            let sh = set_header_fn(hdr_struct(op), quote!(self.w));
            let d = doc_str(&format!(
                "One dumpit call of a `{}` dump: write entries until it reports a full message.",
                op.name
            ));
            op_items.push(quote! {
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
    }

    // notifications
    let family_hdr = f.ops.fixed_header.filter(|s| f.struct_(*s).size.is_some());
    for op in f.ops.list.iter().filter(|o| o.is_async()) {
        let Some(g) = op.mcgrp else { continue };
        let Some(v) = op.rsp_value.or(op.req_value) else { continue };
        let cmdv = cmd_ref(op, v)?;
        let ti = if let Some(t) = event_trait.get(&op.id.0) {
            Some(*t)
        } else if let Some(target) = op.notify {
            do_reply_trait.get(&target.0).or(dump_reply_trait.get(&target.0)).copied()
        } else {
            None
        };
        let base = if op.rust_name.ends_with("Ntf") { op.rust_name.clone() } else { format!("{}Ntf", op.rust_name) };
        let ty = format_ident!("{}", n.claim(&base));
        let grp = format_ident!("{}", names::screaming(&f.mcgrp(g).name));
        let tr_impl = ti.map(|ti| {
            let tr = format_ident!("{}", msg_traits[ti].trait_name);
            quote!(impl #tr for #ty {})
        });
        let sh = set_header_fn(op.fixed_header.or(family_hdr).filter(|s| f.struct_(*s).size.is_some()), quote!(self.n));
        let d = doc(op.doc.as_deref());
        let d2 = doc_str(&format!("Sent to multicast group `{}` in every network namespace.", f.mcgrp(g).name));
        let cfg = config_cfg(op);
        let tr_impl = tr_impl.map(|t| quote!(#cfg #t));
        op_items.push(quote! {
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
        });
    }

    // ---------------------------------------------------------------- handler trait + ops
    let mut trait_items = Vec::new();
    let mut op_types = Vec::new();
    let mut hooks: BTreeSet<(String, bool)> = BTreeSet::new();
    let op_states = dump_states_of(f)?;
    let mut declared_states: BTreeSet<String> = BTreeSet::new();
    // dump hook name -> (start?, state type, ops naming it)
    let mut dump_hooks: BTreeMap<String, (bool, String, Vec<String>)> = BTreeMap::new();
    for op in served_ops(f) {
        let fname = format_ident!("{}", op.fn_name);
        let d = doc(op.doc.as_deref());
        let opty = format_ident!("{}Op", op.rust_name);
        let mut op_fns = Vec::new();
        let mut op_consts = Vec::new();
        let mut dump_state = quote!(());
        if let Some(sub) = &op.do_ {
            let rq = format_ident!("{}Request", op.rust_name);
            let perm = perm_note(op);
            trait_items.push(quote! {
                #d
                #[doc = ""]
                #[doc = #perm]
                fn #fname(req: &#rq<'_>) -> nl::Result {
                    let _ = req;
                    Err(nl::Error::EOPNOTSUPP)
                }
            });
            op_fns.push(quote! {
                fn doit(req: &nl::Request<'_>) -> nl::Result { H::#fname(&#rq { raw: req }) }
            });
            let split = f.kernel_policy == KernelPolicy::Split;
            if let Some(pre) = &sub.pre {
                let h = format_ident!("{}", names::snake(pre));
                let hc = format_ident!("HAS_{}", names::snake(pre).to_uppercase());
                hooks.insert((pre.clone(), true));
                if split {
                    op_consts.push(quote!(const HAS_PRE_DOIT: bool = H::#hc;));
                    op_fns.push(quote!(fn pre_doit(req: &nl::Request<'_>) -> nl::Result { H::#h(req) }));
                }
            }
            if let Some(post) = &sub.post {
                let h = format_ident!("{}", names::snake(post));
                let hc = format_ident!("HAS_{}", names::snake(post).to_uppercase());
                hooks.insert((post.clone(), false));
                if split {
                    op_consts.push(quote!(const HAS_POST_DOIT: bool = H::#hc;));
                    op_fns.push(quote!(fn post_doit(req: &nl::Request<'_>) { H::#h(req) }));
                }
            }
            if let Some(p) = op_policy.get(&(op.id.0, false)) {
                let p = format_ident!("{}", p);
                op_consts.push(quote!(const POLICY: Option<nl::PolicyRef> = Some(#p.as_ref());));
            }
        }
        if let Some(sub) = &op.dump {
            let rq = format_ident!("{}DumpRequest", op.rust_name);
            let dt = format_ident!("{}Dump", op.rust_name);
            let sname = op_states.get(&op.id.0).cloned().unwrap_or_else(|| format!("{}DumpState", op.rust_name));
            let sty = format_ident!("{}", sname);
            let dfn = format_ident!("{}_dump", op.fn_name);
            if declared_states.insert(sname.clone()) {
                let users: Vec<String> = served_ops(f)
                    .filter(|o| op_states.get(&o.id.0) == Some(&sname))
                    .map(|o| format!("`{}`", o.name))
                    .collect();
                let sd = doc_str(&format!(
                    "Cursor of a {} dump, kept across dumpit calls (at most 40 bytes, `Default` at the start unless a start hook sets it).",
                    users.join(" / ")
                ));
                trait_items.push(quote! {
                    #sd
                    type #sty: Copy + Default;
                });
            }
            for (hook, start) in [(&sub.pre, true), (&sub.post, false)] {
                let Some(hook) = hook else { continue };
                let h = format_ident!("{}", names::snake(hook));
                let hc = format_ident!("HAS_{}", names::snake(hook).to_uppercase());
                dump_hooks
                    .entry(hook.clone())
                    .or_insert_with(|| (start, sname.clone(), Vec::new()))
                    .2
                    .push(op.name.clone());
                if start {
                    op_consts.push(quote!(const HAS_START: bool = H::#hc;));
                    op_fns.push(quote! {
                        fn start(req: &nl::Request<'_>, state: &mut H::#sty) -> nl::Result { H::#h(req, state) }
                    });
                } else {
                    op_consts.push(quote!(const HAS_DONE: bool = H::#hc;));
                    op_fns.push(quote!(fn done(state: &mut H::#sty) { H::#h(state) }));
                }
            }
            let dd = doc_str(&format!("Dump of `{}`: write entries from `state` on; return `Dumped::More` when `dump.entry()` reports a full message, `Dumped::Done` at the end.", op.name));
            trait_items.push(quote! {
                #d
                #[doc = ""]
                #dd
                fn #dfn(req: &#rq<'_>, dump: &mut #dt<'_, '_>, state: &mut Self::#sty) -> nl::Result<nl::Dumped> {
                    let _ = (req, dump, state);
                    Err(nl::Error::EOPNOTSUPP)
                }
            });
            op_fns.push(quote! {
                fn dumpit(dump: &mut nl::Dump<'_>, state: &mut H::#sty) -> nl::Result<nl::Dumped> {
                    let raw = dump.request();
                    H::#dfn(&#rq { raw: &raw }, &mut #dt { d: dump }, state)
                }
            });
            dump_state = quote!(H::#sty);
            if f.kernel_policy == KernelPolicy::Split {
                if let Some(p) = op_policy.get(&(op.id.0, true)) {
                    let p = format_ident!("{}", p);
                    op_consts.push(quote!(const DUMP_POLICY: Option<nl::PolicyRef> = Some(#p.as_ref());));
                }
            } else if op.do_.is_none() {
                if let Some(p) = op_policy.get(&(op.id.0, true)) {
                    let p = format_ident!("{}", p);
                    op_consts.push(quote!(const POLICY: Option<nl::PolicyRef> = Some(#p.as_ref());));
                }
            }
        }
        // pub(crate): on 7.3, #[vtable] adds `type OwnerModule = crate::LocalModule` (the
        // module's private type) to the impl, which a `pub` type may not expose.
        let od = doc_str(&format!("The `{}` command, served by the handler `H`.", op.name));
        let cfg = config_cfg(op);
        op_types.push(quote! {
            #od
            #cfg
            pub(crate) struct #opty<H>(PhantomData<H>);
            #cfg
            #[kernel::prelude::vtable]
            impl<H: #handler> nl::Operation for #opty<H> {
                #(#op_consts)*
                type DumpState = #dump_state;
                #(#op_fns)*
            }
        });
    }
    for (h, pre) in &hooks {
        let id = format_ident!("{}", names::snake(h));
        if *pre {
            let d = doc_str(&format!("Hook `{h}`: runs before the do handlers of the ops naming it; an error skips the handler. Only called when implemented (split-policy families)."));
            trait_items.push(quote! {
                #d
                fn #id(req: &nl::Request<'_>) -> nl::Result { let _ = req; Ok(()) }
            });
        } else {
            let d = doc_str(&format!("Hook `{h}`: runs after the do handlers of the ops naming it. Only called when implemented (split-policy families)."));
            trait_items.push(quote! {
                #d
                fn #id(req: &nl::Request<'_>) { let _ = req; }
            });
        }
    }

    for (h, (start, st, ops)) in &dump_hooks {
        let id = format_ident!("{}", names::snake(h));
        let sty = format_ident!("{}", st);
        let ops = ops.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ");
        if *start {
            let d = doc_str(&format!(
                "Hook `{h}` (dump `start` of {ops}): runs once before the first dumpit with the parsed dump request and the `Default` state, which it may initialise; an error ends the dump before anything is sent. Not implemented: no `start` callback, the dump begins with the `Default` state."
            ));
            trait_items.push(quote! {
                #d
                fn #id(req: &nl::Request<'_>, state: &mut Self::#sty) -> nl::Result { let _ = (req, state); Ok(()) }
            });
        } else {
            let d = doc_str(&format!(
                "Hook `{h}` (dump `done` of {ops}): runs once when a dump ends (finished, failed, or its socket closed), with the state the last call left, to release what the start hook took. Not implemented: no `done` callback."
            ));
            trait_items.push(quote! {
                #d
                fn #id(state: &mut Self::#sty) { let _ = state; }
            });
        }
    }

    // ops table
    let mut entries: Vec<(u32, u8, TokenStream)> = Vec::new(); // (cmd, do=0/dump=1, expr)
    let mut n_fixed: usize = 0;
    let mut n_cond: BTreeMap<String, usize> = BTreeMap::new();
    let mut resv_start_op: u32 = 0;
    for op in served_ops(f) {
        let cmd = op.req_value.unwrap_or(0);
        let cl = cmd_ref(op, cmd)?;
        let opty = format_ident!("{}Op", op.rust_name);
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
        if f.kernel_policy == KernelPolicy::Split {
            if op.do_.is_some() {
                let v = vflags(do_bits);
                entries.push((cmd, 0, quote!(#cfg nl::SplitOp::do_op::<#opty<H>>(#cl) #flags #v)));
            }
            if op.dump.is_some() {
                let v = vflags(dump_bits);
                entries.push((cmd, 1, quote!(#cfg nl::SplitOp::dump_op::<#opty<H>>(#cl) #flags #v)));
            }
        } else {
            let mut all = do_bits;
            all.extend(dump_bits);
            let v = vflags(all);
            entries.push((cmd, 0, quote!(#cfg nl::Op::new::<#opty<H>>(#cl) #flags #v)));
        }
        let added = entries.len() - before;
        match &op.config_cond {
            Some(c) => *n_cond.entry(config_name(c)).or_default() += added,
            None => n_fixed += added,
        }
    }
    entries.sort_by_key(|(c, k, _)| (*c, *k));
    let n_ops = entries.len();
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
    let (table_ty, table_new) = if f.kernel_policy == KernelPolicy::Split {
        (quote!(nl::SplitOpsTable<#n_lit>), quote!(nl::SplitOpsTable::new))
    } else {
        (quote!(nl::OpsTable<#n_lit>), quote!(nl::OpsTable::new))
    };
    let (ops_struct, ops_ref) = if n_ops > 0 {
        (
            quote! {
                /// The ops table of the family for handler `H`.
                pub(crate) struct Ops<H>(PhantomData<H>);
                impl<H: #handler> Ops<H> {
                    /// The table (a constant per handler type, referenced by the family).
                    pub const TABLE: &'static #table_ty = &#table_new([#(#exprs),*]);
                }
            },
            quote!(Ops::<H>::TABLE.as_ref()),
        )
    } else {
        (quote!(), quote!(nl::OpsRef::NONE))
    };

    // family
    let hdrsize = family_hdr.and_then(|s| f.struct_(s).size).unwrap_or(0);
    let hdrsize = Literal::u32_unsuffixed(hdrsize as u32);
    let maxattr = served_ops(f).filter_map(|o| o.attribute_set).map(|s| f.set(s).max_value).max().unwrap_or(0);
    let (policy_field, maxattr_field) = match &family_policy {
        Some(p) => {
            let p = format_ident!("{}", p);
            (quote!(Some(#p.as_ref())), quote!(0))
        }
        None if f.kernel_policy == KernelPolicy::Split => (quote!(None), {
            let m = Literal::u32_unsuffixed(maxattr as u32);
            quote!(#m)
        }),
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

    let config_note = {
        let conds: Vec<String> = f
            .ops
            .list
            .iter()
            .filter_map(|o| o.config_cond.as_ref().map(|c| format!("`{}` ({})", o.name, config_name(c))))
            .collect();
        if conds.is_empty() {
            quote!()
        } else {
            let s = format!(
                " `config-cond`: these ops (their table entries, op types and notification senders) exist only when the kernel option is set: {}. Their handler methods are declared regardless, so one impl builds for every config.",
                conds.join(", ")
            );
            quote!(#![doc = ""] #![doc = #s])
        }
    };

    let statics = &st.items;
    let hdr_doc = format!(
        " Generic Netlink family `{}` (version {}), generated by nlspec from `{}`.",
        f.name,
        f.version,
        std::path::Path::new(&f.source).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    );
    let handler_doc = doc_str(&format!(
        "The `{}` family's request handlers: one method per do and dump (default: `EOPNOTSUPP`).\n\
         Implement it with `#[vtable]` on a type of yours and register with [`register`]. Handlers\n\
         run in process context{}.",
        f.name,
        if parallel {
            " and in parallel (the family sets `parallel_ops`): lock shared state yourself"
        } else {
            " under `genl_mutex`"
        }
    ));
    let module = opts.module_name.clone().unwrap_or_else(|| names::c_lower(&f.name));
    let use_note = format!(
        " Use: `mod nlspec_support; mod {module}_genl;` in the crate root (or `#[path = \"...\"] mod {module}_genl;` from another module directory, see `{module}.mk`), `use {module}_genl::*;`, implement [`{}`] and call [`register`] in `init`.",
        handler
    );

    let file = quote! {
        #![doc = #hdr_doc]
        #![doc = ""]
        #![doc = #use_note]
        #config_note
        #![allow(dead_code, unused_imports, unreachable_pub, clippy::all)]

        use core::marker::PhantomData;
        /// The support layer (`nl::Error`, `nl::Result`, `nl::Dumped`...), re-exported for handlers.
        pub(crate) use crate::nlspec_support as nl;
        pub(crate) use crate::nlspec_support::{Bitfield32, Dumped};

        /// Family name.
        pub const FAMILY_NAME: &core::ffi::CStr = #fam_name_lit;
        /// Family version.
        pub const FAMILY_VERSION: u32 = #version;

        #(#consts)*

        /// Command numbers.
        pub mod cmd { #(#cmd_items)* }

        /// Attribute numbers, one module per attribute set.
        pub mod attrs { #(#attr_mods)* }

        /// Multicast group indexes.
        pub mod mcgrp { #(#mcgrp_items)* }

        #(#enum_items)*
        #(#struct_items)*

        // ---- policies
        #(#statics)*
        #(#policy_items)*

        // ---- helpers
        /// Something attributes are written into: a reply, a dump entry, a notification, a nest.
        pub trait Sink {
            /// The underlying writer.
            fn writer(&mut self) -> &mut nl::Writer;
        }

        /// Iterator over repeated attributes (multi-attr, indexed arrays, type-value nests),
        /// decoding each.
        pub struct ArrayIter<'a, T> {
            it: nl::Attrs<'a>,
            only: Option<u16>,
            f: fn(nl::Attr<'a>) -> nl::Result<T>,
        }
        impl<'a, T> ArrayIter<'a, T> {
            fn new(it: nl::Attrs<'a>, only: Option<u16>, f: fn(nl::Attr<'a>) -> nl::Result<T>) -> Self {
                Self { it, only, f }
            }
        }
        impl<'a, T> Iterator for ArrayIter<'a, T> {
            type Item = nl::Result<T>;
            fn next(&mut self) -> Option<nl::Result<T>> {
                loop {
                    let a = match self.it.next()? {
                        Ok(a) => a,
                        Err(e) => return Some(Err(e)),
                    };
                    if let Some(t) = self.only {
                        if a.ty() != t {
                            continue;
                        }
                    }
                    return Some((self.f)(a));
                }
            }
        }

        // ---- request views
        #(#view_items)*

        // ---- messages
        #(#writer_items)*
        #(#op_items)*

        // ---- handlers
        #handler_doc
        #[kernel::prelude::vtable]
        pub trait #handler: Sized + 'static {
            #(#trait_items)*
        }

        #(#op_types)*

        #ops_struct

        #groups_static

        #family_doc
        pub static FAMILY: nl::Family = nl::Family::new(nl::FamilyDef {
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

        /// Registers the family with the handlers of `H`; dropping the returned guard
        /// unregisters it. A second registration fails with `EBUSY`.
        pub fn register<H: #handler>(
            module: &'static kernel::ThisModule,
        ) -> core::result::Result<nl::Registration, kernel::error::Error> {
            nl::Registration::register_with_ops(&FAMILY, #ops_ref, module)
        }
    };
    let parsed: syn::File = syn::parse2(file.clone())
        .map_err(|e| KernelGenError(format!("internal error: generated code does not parse: {e}\n{file}")))?;
    let body = prettyplease::unparse(&parsed);
    Ok(format!(
        "// SPDX-License-Identifier: GPL-2.0\n// Generated by nlspec from {}. Do not edit.\n\n{body}",
        std::path::Path::new(&f.source).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    ))
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

fn policy_table(
    f: &Family,
    n: &Names,
    st: &mut kinds::PolicyStatics,
    name: &str,
    d: &str,
    refs: &[AttrRef],
) -> TokenStream {
    let maxv = refs.iter().map(|r| f.attr(*r).value).max().unwrap_or(0) as usize;
    let mut entries: Vec<TokenStream> = vec![quote!(nl::Policy::unspec()); maxv + 1];
    let mut notes = Vec::new();
    for r in refs {
        let a = f.attr(*r);
        if a.value == 0 {
            continue;
        }
        let prefix = format!("{}_{}", name.trim_end_matches("_POLICY"), names::screaming(&a.name));
        entries[a.value as usize] = kinds::policy(f, n, st, a, &prefix);
        let mut note = format!("{} = {}", a.value, a.name);
        let c = &a.checks;
        for (k, b) in [
            ("min", &c.min),
            ("max", &c.max),
            ("min-len", &c.min_len),
            ("max-len", &c.max_len),
            ("exact-len", &c.exact_len),
        ] {
            if let Some(b) = b {
                note.push_str(&format!(", {k} {}", kinds::bound_note(f, b)));
            }
        }
        notes.push(note);
    }
    let id = format_ident!("{}", name);
    let len = Literal::usize_unsuffixed(maxv + 1);
    let d = doc_str(d);
    let nd = doc_str(&format!("Entries: {}.", if notes.is_empty() { "none".into() } else { notes.join("; ") }));
    quote! {
        #d
        #[doc = ""]
        #nd
        static #id: nl::PolicyTable<#len> = nl::PolicyTable::new([#(#entries),*]);
    }
}

/// Getters of a request view over `refs`; `top`: the view wraps an `nl::Request`, else `nl::Attrs`.
fn view_getters(f: &Family, n: &Names, refs: &[AttrRef], top: bool) -> TokenStream {
    let mut out = Vec::new();
    let mut used: HashSet<String> =
        ["raw", "header", "new", "of", "nest", "attrs"].iter().map(|s| s.to_string()).collect();
    for r in refs {
        let a = f.attr(*r);
        if a.value == 0 {
            continue;
        }
        let tc = attr_const(f, r.set, a);
        let mut base = a.rust_name.clone();
        if used.contains(&base) {
            base.push_str("_attr_");
        }
        used.insert(base.clone());
        let g = format_ident!("{}", base);
        let ga = format_ident!("{}_attr", base.trim_end_matches('_'));
        let greq = format_ident!("require_{}", base.trim_end_matches('_'));
        let d = doc(a.doc.as_deref());
        let raw_getter = if top {
            quote! {
                /// The raw attribute (for `Error::attr`), if present.
                pub fn #ga(&self) -> Option<nl::Attr<'a>> { self.raw.attr(#tc) }
            }
        } else {
            quote! {
                /// The raw attribute (for `Error::attr`), if present.
                pub fn #ga(&self) -> Option<nl::Attr<'a>> { self.attrs.find(#tc).ok().flatten() }
            }
        };
        let Some((ty, get)) = kinds::getter(f, n, a) else {
            out.push(raw_getter);
            continue;
        };
        if a.multi_attr {
            let all = if top { quote!(self.raw.all_attrs()) } else { quote!(self.attrs.clone()) };
            out.push(quote! {
                #d
                #[doc = ""]
                #[doc = " Every occurrence, in message order."]
                pub fn #g(&self) -> ArrayIter<'a, #ty> { ArrayIter::new(#all, Some(#tc), |a| #get) }
            });
            continue;
        }
        if matches!(a.kind, AttrKind::Flag) {
            if top {
                out.push(quote! { #d pub fn #g(&self) -> bool { self.raw.attr(#tc).is_some() } });
            } else {
                out.push(quote! { #d pub fn #g(&self) -> nl::Result<bool> { Ok(self.attrs.find(#tc)?.is_some()) } });
            }
            continue;
        }
        let (lookup, require) = if top {
            (quote!(self.raw.attr(#tc)), quote!(self.raw.require(#tc)?))
        } else {
            (
                quote!(self.attrs.find(#tc)?),
                quote!(self.attrs.find(#tc)?.ok_or_else(|| {
                    let e = nl::Error::EINVAL.msg(c"missing required attribute");
                    match &self.nest {
                        Some(n) => e.missing_in(n, #tc),
                        None => e.missing(#tc),
                    }
                })?),
            )
        };
        let rd = doc_str(&format!("`{}`, or `EINVAL` (extended ACK: missing attribute) if absent.", a.name));
        out.push(quote! {
            #d
            pub fn #g(&self) -> nl::Result<Option<#ty>> {
                match #lookup {
                    Some(a) => {
                        let v: nl::Result<#ty> = #get;
                        Ok(Some(v?))
                    }
                    None => Ok(None),
                }
            }
            #rd
            pub fn #greq(&self) -> nl::Result<#ty> {
                let a = #require;
                let v: nl::Result<#ty> = #get;
                v
            }
            #raw_getter
        });
    }
    quote!(#(#out)*)
}

/// Default-method setters of a message/nest attribute trait.
fn setters(f: &Family, n: &Names, set: SetId, refs: &[AttrRef]) -> TokenStream {
    let mut out = Vec::new();
    let mut used: HashSet<String> =
        ["writer", "send", "set_header", "new", "with_size"].iter().map(|s| s.to_string()).collect();
    for r in refs {
        let a = f.attr(*r);
        if a.value == 0 {
            continue;
        }
        let tc = attr_const(f, r.set, a);
        let Some((params, put)) = kinds::setter(f, n, set, a, &tc) else { continue };
        let mut base = a.rust_name.clone();
        if used.contains(&base) {
            base.push_str("_attr_");
        }
        used.insert(base.clone());
        let g = format_ident!("{}", base);
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

fn struct_item(n: &Names, i: usize, s: &ir::Struct) -> Option<TokenStream> {
    let size = s.size?;
    let ty = format_ident!("{}", n.structs[i]);
    let d = doc(s.doc.as_deref());
    let mut fields = Vec::new();
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    let mut defaults = Vec::new();
    for m in &s.members {
        let off = m.offset?;
        let len = m.len?;
        if m.ty == MemberType::Pad {
            continue;
        }
        let id = format_ident!("{}", m.rust_name);
        let md = doc(m.doc.as_deref());
        let be = m.byte_order == Some(ByteOrder::BigEndian);
        let (from, to) = if be {
            (quote!(from_be_bytes), quote!(to_be_bytes))
        } else {
            (quote!(from_ne_bytes), quote!(to_ne_bytes))
        };
        let o = Literal::usize_unsuffixed(off);
        let e = Literal::usize_unsuffixed(off + len);
        let l = Literal::usize_unsuffixed(len);
        let it = match m.ty {
            MemberType::U8 => Some(quote!(u8)),
            MemberType::U16 => Some(quote!(u16)),
            MemberType::U32 => Some(quote!(u32)),
            MemberType::U64 => Some(quote!(u64)),
            MemberType::S8 => Some(quote!(i8)),
            MemberType::S16 => Some(quote!(i16)),
            MemberType::S32 => Some(quote!(i32)),
            MemberType::S64 => Some(quote!(i64)),
            _ => None,
        };
        match it {
            Some(it) => {
                fields.push(quote!(#md pub #id: #it,));
                reads.push(quote!(#id: #it::#from(arr::<#l>(b, #o)),));
                writes.push(quote!(b[#o..#e].copy_from_slice(&self.#id.#to());));
                defaults.push(quote!(#id: 0,));
            }
            None => {
                fields.push(quote!(#md pub #id: [u8; #l],));
                reads.push(quote!(#id: arr::<#l>(b, #o),));
                writes.push(quote!(b[#o..#e].copy_from_slice(&self.#id);));
                defaults.push(quote!(#id: [0; #l],));
            }
        }
    }
    let sz = Literal::usize_unsuffixed(size);
    Some(quote! {
        #d
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct #ty { #(#fields)* }
        impl #ty {
            /// Size on the wire.
            pub const SIZE: usize = #sz;
            /// Decodes the first `SIZE` bytes of `b` (`None` if shorter).
            pub fn from_bytes(b: &[u8]) -> Option<Self> {
                if b.len() < Self::SIZE {
                    return None;
                }
                fn arr<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
                    let mut a = [0u8; N];
                    a.copy_from_slice(&b[off..off + N]);
                    a
                }
                Some(Self { #(#reads)* })
            }
            /// Encodes it.
            pub fn to_bytes(&self) -> [u8; #sz] {
                let mut b = [0u8; #sz];
                #(#writes)*
                b
            }
        }
        impl Default for #ty {
            fn default() -> Self { Self { #(#defaults)* } }
        }
    })
}

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
//!   files copied from `kernel/support/` (all `unsafe` lives there).
//!
//! With [`KernelOptions::in_tree`], a driver directory for a kernel tree patched with
//! `kernel::net::genetlink` instead: the same `<family>_genl.rs`, `<family>.rs` (the skeleton),
//! `Kconfig`, `Makefile`, `nlspec_genl.rs`, the in-tree layer (safe code over the kernel
//! crate's genetlink types: no bindgen, no C, no `unsafe`), and `nlspec_macros.rs`, the macros
//! both layers share.
//!
//! Build with the kernel's usual `make -C $KDIR M=$PWD LLVM=-19 ...`. An example module in
//! another directory reuses `<family>_genl.rs` with its own main: see the generated `.mk` file.

mod builders;
mod common;
mod defs;
mod handler;
mod policy;
mod raw;
mod scaffold;

pub(crate) use scaffold::is_support_copy;
mod views;

use crate::tokens::{quote, TokenStream};

use crate::attr::Cx;
use crate::emit::expr_text;
use common::{config_name, spec_file_name, MacroText};
use nlspec_model::ir::Family;
use nlspec_model::names;

pub use super::GeneratedFile;
pub use common::{KernelGenError, KernelOptions};

/// The module name of `f`'s directory (the `.ko` stem): `opts.module_name`, else the family
/// name in C lower case.
pub fn module_name(f: &Family, opts: &KernelOptions) -> String {
    opts.module_name.clone().unwrap_or_else(|| names::c_lower(&f.name).replace(' ', "_"))
}

/// The skeleton [`generate`] writes with `opts`: the file where the module's author writes the
/// handlers, theirs once written (`<module>_main.rs` out of tree, `<module>.rs` in tree);
/// `None` without `opts.skeleton`.
pub fn skeleton_file(f: &Family, opts: &KernelOptions) -> Option<std::path::PathBuf> {
    opts.skeleton.then(|| scaffold::skeleton_name(&module_name(f, opts), opts.in_tree).into())
}

/// Generates the module directory of `f`: `<module>_genl.rs` first, then the scaffolding.
pub fn generate(f: &Family, opts: &KernelOptions) -> Result<Vec<GeneratedFile>, KernelGenError> {
    let module = module_name(f, opts);
    if opts.in_tree && !f.is_genetlink() {
        return Err(KernelGenError(format!(
            "family {}: an in-tree driver needs kernel::net::genetlink, which serves Generic Netlink \
             families only; build this netlink-raw protocol out of tree",
            f.name
        )));
    }
    let cx = Cx::new(f);
    let genl = genl_source(&cx, opts)?;
    let mut out = vec![GeneratedFile::new(format!("{}.rs", family_file(f, &module)), genl)];
    if opts.in_tree {
        out.extend(scaffold::in_tree_files(&cx, &module, opts)?);
    } else {
        out.extend(scaffold::files(&cx, &module, opts)?);
    }
    Ok(out)
}

/// The stem of the family file: `<module>_genl` (Generic Netlink), `<module>_nl` (a classic
/// netlink protocol).
pub(super) fn family_file(f: &Family, module: &str) -> String {
    if f.is_genetlink() {
        format!("{module}_genl")
    } else {
        format!("{module}_nl")
    }
}

/// `<module>_genl.rs` / `<module>_nl.rs`: the family code, formatted.
fn genl_source(cx: &Cx, opts: &KernelOptions) -> Result<String, KernelGenError> {
    let f = cx.fam;
    let defs = defs::items(cx)?;
    let policies = policy::tables(cx);
    let views = views::items(cx);
    let msgs = builders::items(cx)?;
    let handlers =
        if f.is_genetlink() { handler::items(cx, opts, &policies)? } else { raw::items(cx, opts, &policies)? };
    let ranges = ranges(&policies.statics.ranges);
    let policy_items = &policies.items;
    let views::Items { sets: view_items, requests } = views;
    let builders::Items { writers, messages } = msgs;
    let file_doc = file_doc(cx, opts);
    let file = quote! {
        #file_doc
        #![allow(dead_code, unused_imports, unreachable_pub)]

        // in rustfmt's order (by path)
        /// The crate root's support layer (`nl::Error`, `nl::Result`...), re-exported for handlers.
        pub(crate) use crate::nl;
        use crate::nl::Policy;
        pub(crate) use crate::nl::{Bitfield32, Dumped};

        #defs

        // ---- policies
        #ranges
        #(#policy_items)*

        // ---- request views
        #(#view_items)*

        // ---- messages
        #(#writers)*
        #(#requests)*
        #(#messages)*

        // ---- handlers
        #handlers
    };
    let body = super::print_file(file, SHORTEN);
    Ok(format!(
        "// SPDX-License-Identifier: GPL-2.0\n// Generated by nlspec from {}. Do not edit.\n\n{body}",
        spec_file_name(f)
    ))
}

/// `nl::ranges! { static NAME: RangeU(lo, hi); ... }`, or nothing without ranges.
fn ranges(ranges: &[crate::attr::RangeStatic]) -> TokenStream {
    if ranges.is_empty() {
        return TokenStream::new();
    }
    let mut t = MacroText::default();
    t.open("nl::ranges!");
    for r in ranges {
        let ty = if r.signed { "RangeS" } else { "RangeU" };
        let (lo, hi) = (expr_text(r.lo.clone(), SHORTEN), expr_text(r.hi.clone(), SHORTEN));
        t.line(&format!("static {}: {ty}({lo}, {hi});", r.name));
    }
    t.close("}");
    t.finish()
}

/// Prelude paths the shared tokens spell out in full, and their short form in the kernel file
/// (`core`, no `std`).
pub(super) const SHORTEN: &[(&str, &str)] = &[
    ("nl :: Policy ::", "Policy ::"),
    (":: core :: option :: Option :: ", ""),
    (":: core :: option :: Option", "Option"),
    (":: core :: result :: Result :: ", ""),
    (":: core :: result :: Result", "Result"),
    (":: core :: default :: Default", "Default"),
    (":: core :: iter :: Iterator", "Iterator"),
    (":: core :: clone :: Clone", "Clone"),
    (":: core :: convert :: From", "From"),
    (":: core ::", "core ::"),
];

/// Inner doc attributes of `<module>_genl.rs`.
fn file_doc(cx: &Cx, opts: &KernelOptions) -> TokenStream {
    let f = cx.fam;
    let hdr_doc = if f.is_genetlink() {
        format!(
            " Generic Netlink family `{}` (version {}), generated by nlspec from `{}`.",
            f.name,
            f.version,
            spec_file_name(f)
        )
    } else {
        format!(
            " Classic netlink protocol `{}` (protocol number {}), generated by nlspec from `{}`.",
            f.name,
            f.protonum.unwrap_or(0),
            spec_file_name(f)
        )
    };
    let module = module_name(f, opts);
    let ff = family_file(f, &module);
    let layer = if f.is_genetlink() {
        "`mod nlspec_support; use nlspec_support as nl;` out of tree, `mod nlspec_genl; use nlspec_genl as nl;` in a kernel tree with `kernel::net::genetlink`"
    } else {
        "`mod nlspec_support; use nlspec_support as nl;`"
    };
    let use_note = format!(
        " Use: in the crate root, the support layer as `nl` ({layer}) and `mod {ff};` (or `#[path = \"...\"] mod {ff};` from another module directory, see `{module}.mk`); `use {ff}::*;`, implement [`{}Handler`] and call [`register`] in `init`.",
        f.rust_name
    );
    let conds: Vec<String> = f
        .ops
        .list
        .iter()
        .filter_map(|o| o.config_cond.as_ref().map(|c| format!("`{}` ({})", o.name, config_name(c))))
        .collect();
    let config_note = if conds.is_empty() {
        quote!()
    } else {
        let s = format!(
            " `config-cond`: these ops (their table entries, op types and notification senders) exist only when the kernel option is set: {}. Their handler methods are declared regardless, so one impl builds for every config.",
            conds.join(", ")
        );
        quote!(#![doc = ""] #![doc = #s])
    };
    quote! {
        #![doc = #hdr_doc]
        #![doc = ""]
        #![doc = #use_note]
        #config_note
    }
}

//! `nlspec gen`: write the generated crate (or kernel module directory) for one spec, without
//! ever losing a user's code.
//!
//! Two kinds of files, never the same file:
//! - *generated* files carry an `@generated` marker near the top (added here as a comment when
//!   the emitter's text has none) and are rewritten whenever the spec changes; a file at a
//!   generated path WITHOUT the marker is somebody's own file: that is an error naming it, and
//!   nothing at all is written;
//! - *skeletons* (the kernel module's `<module>_main.rs`, or `<module>.rs` in tree, where the
//!   author writes the handlers: what the emitter writes only with its skeleton option on) are
//!   written only when absent; an existing one is kept ("kept FILE (yours)" on stderr),
//!   whatever it contains.

use std::path::{Path, PathBuf};

use nlspec_codegen::emit::client::{crate_files, RtDependency};
use nlspec_codegen::emit::kernel::KernelOptions;
use nlspec_codegen::emit::GeneratedFile;
use nlspec_model::ir::Family;

use crate::errors::Fail;
use crate::output::out;
use crate::spec::{load, print_warnings};

/// The marker that makes a file nlspec's to rewrite.
pub const MARKER: &str = "@generated";

/// Where the generated client finds `nlspec-rt`: by version (the one this nlspec was built
/// with), plus `--rt-path` when given.
fn rt_dependency(rt_path: Option<&str>) -> RtDependency {
    RtDependency { path: rt_path.map(String::from), ..RtDependency::default() }
}

/// Does this text carry the marker in its first lines?
fn has_marker(text: &str) -> bool {
    text.lines().take(10).any(|l| l.contains(MARKER))
}

/// The marker as a comment of the file's language.
fn marker_comment(path: &Path, spec: &str) -> String {
    let text = format!("{MARKER} by nlspec from {spec}; do not edit: `nlspec gen` rewrites this file");
    match path.extension().and_then(|e| e.to_str()) {
        Some("rs") => format!("// {text}"),
        Some("h" | "c") => format!("/* {text} */"),
        Some("md") => format!("<!-- {text} -->"),
        _ => format!("# {text}"),
    }
}

/// The emitter's text with the marker: kept as is when it has one, else a marker comment
/// after the leading `#!` and SPDX lines (which must stay first).
fn with_marker(f: &GeneratedFile, spec: &str) -> String {
    if has_marker(&f.contents) {
        return f.contents.clone();
    }
    // the byte offset after the leading lines (only those are looked at: files are large)
    let at: usize = f
        .contents
        .split_inclusive('\n')
        .take_while(|l| l.starts_with("#!") || l.contains("SPDX-License-Identifier"))
        .map(str::len)
        .sum();
    let m = marker_comment(&f.path, spec);
    let mut out = String::with_capacity(f.contents.len() + m.len() + 1);
    out.push_str(&f.contents[..at]);
    out.push_str(&m);
    out.push('\n');
    out.push_str(&f.contents[at..]);
    out
}

/// An upper-case family name (legal at genetlink-legacy) still gives a lower-case crate: the
/// emitter's `crate_name` keeps the case, so the name is lowered here in the files it appears in.
fn lower_crate_name(fam: &Family, files: &mut [GeneratedFile]) -> String {
    let name = nlspec_codegen::emit::client::crate_name(fam);
    let lower = name.to_lowercase();
    if lower != name {
        for f in files.iter_mut().filter(|f| f.path == Path::new("Cargo.toml") || f.path == Path::new("README.md")) {
            f.contents = f
                .contents
                .replace(&format!("\"{name}\""), &format!("\"{lower}\""))
                .replace(&format!("\"{}\"", name.replace('-', "_")), &format!("\"{}\"", lower.replace('-', "_")))
                .replace(&format!("# {name}\n"), &format!("# {lower}\n"));
        }
    }
    lower
}

pub fn gen(spec: &str, dir: &str, kernel: bool, in_tree: bool, rt_path: Option<&str>) -> Result<(), Fail> {
    let fam = load(spec)?;
    print_warnings(&fam);
    let spec_name = Path::new(spec).file_name().and_then(|n| n.to_str()).unwrap_or(spec).to_string();
    if kernel {
        warn_kernel_owned_protocol(spec, &fam);
        let opts = KernelOptions { in_tree, ..Default::default() };
        // Laid out in the kernel's rustfmt style by the emitter itself (an in-tree `make
        // rustfmtcheck` passes on the files as written): no rustfmt is run.
        let files = nlspec_codegen::emit::kernel::generate(&fam, &opts)
            .map_err(|e| Fail::Error(format!("nlspec: gen --kernel: {spec}: kernel emitter: {e}")))?;
        let skeletons: Vec<PathBuf> = nlspec_codegen::emit::kernel::skeleton_file(&fam, &opts).into_iter().collect();
        write_all(dir, &files, &spec_name, &skeletons)?;
        if in_tree {
            note(format!(
                "nlspec: in-tree driver for family {} in {dir} (source its Kconfig from the parent \
                 directory's, add it to the parent's Makefile)",
                fam.name
            ));
        } else {
            note(format!(
                "nlspec: kernel module for family {} in {dir} (build instructions in its Makefile)",
                fam.name
            ));
        }
        return Ok(());
    }
    let rt = rt_dependency(rt_path);
    let mut files =
        crate_files(&fam, &rt).map_err(|e| Fail::Error(format!("nlspec: gen: {spec}: client emitter: {e}")))?;
    let name = lower_crate_name(&fam, &mut files);
    write_all(dir, &files, &spec_name, &[])?;
    note(format!(
        "nlspec: client crate {name} for family {} in {} (nlspec-rt: {})",
        fam.name,
        dir,
        match &rt.path {
            Some(p) => format!("path {p}, version {}", rt.version),
            None => format!("version {}", rt.version),
        }
    ));
    Ok(())
}

/// A classic netlink module for a protocol number of the kernel's own (rt-link's 0): it builds,
/// but where the kernel (or another module) already serves that number its kernel socket
/// cannot be created and the load fails. Said at the spec's `protonum`, as a warning: building
/// such a module is how the upstream corpus is checked.
fn warn_kernel_owned_protocol(spec: &str, fam: &Family) {
    let (Some(name), Some(p)) = (fam.kernel_protocol(), fam.protonum) else { return };
    let msg = format!(
        "protonum {p} is {name}, a protocol of the kernel's own: the module builds, but loading it \
         fails wherever that protocol is already served (its kernel socket cannot be created)"
    );
    // located at the key, as the resolver's warnings are (the spec was just loaded: the
    // fallback without a position is for a file changed since)
    let d = nlspec_model::loader::load_file(Path::new(spec))
        .map(|l| l.error_at_key("protonum", msg.clone()))
        .unwrap_or_else(|_| nlspec_model::Diagnostic::new(spec, 0, 0, "protonum", msg));
    eprintln!(
        "{}",
        d.with_help("a protocol of your own takes a number the kernel does not define (23 to 31)").into_warning()
    );
}

/// What to do with one file.
enum Plan {
    Write(PathBuf, String),
    Unchanged(PathBuf),
    Keep(PathBuf),
}

/// Write `files` into `dir`: generated files (with the marker) whenever they change,
/// `skeletons` only when absent.
fn write_all(dir: &str, files: &[GeneratedFile], spec: &str, skeletons: &[PathBuf]) -> Result<(), Fail> {
    let dir = PathBuf::from(dir);
    let werr = |e: std::io::Error| Fail::Error(format!("nlspec: gen: writing {}: {e}", dir.display()));
    // Decide everything first: a foreign file at a generated path stops the run before any write.
    let mut plan = Vec::new();
    let mut foreign = Vec::new();
    // a directory that is not there yet holds nothing to compare with or to keep
    let fresh = !dir.exists();
    for f in files {
        let p = dir.join(&f.path);
        let read = if fresh { Err(std::io::ErrorKind::NotFound.into()) } else { std::fs::read(&p) };
        let existing = match read {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => None,
            Err(e) => return Err(Fail::Error(format!("nlspec: gen: reading {}: {e}", p.display()))),
        };
        if skeletons.contains(&f.path) {
            plan.push(match existing {
                Some(_) => Plan::Keep(p),
                None => Plan::Write(p, f.contents.clone()),
            });
            continue;
        }
        let want = with_marker(f, spec);
        plan.push(match existing {
            None => Plan::Write(p, want),
            Some(b) if b == want.as_bytes() => Plan::Unchanged(p),
            Some(b) if has_marker(&String::from_utf8_lossy(&b)) => Plan::Write(p, want),
            Some(_) => {
                foreign.push(p.display().to_string());
                continue;
            }
        });
    }
    if !foreign.is_empty() {
        return Err(Fail::Error(format!(
            "nlspec: gen: {} exist{} without the {MARKER} marker, so {} not nlspec's to overwrite; \
             nothing was written (move {} away, or delete {} to have nlspec generate {} again)",
            foreign.join(", "),
            if foreign.len() == 1 { "s" } else { "" },
            if foreign.len() == 1 { "it is" } else { "they are" },
            if foreign.len() == 1 { "it" } else { "them" },
            if foreign.len() == 1 { "it" } else { "them" },
            if foreign.len() == 1 { "it" } else { "them" },
        )));
    }
    // what was done, one line a file, written at once (also when a write fails: what was
    // written before it is said)
    let mut report = Vec::new();
    let mut failed = None;
    for p in plan {
        match p {
            Plan::Write(p, text) => {
                let w = match p.parent() {
                    Some(parent) => std::fs::create_dir_all(parent),
                    None => Ok(()),
                }
                .and_then(|()| std::fs::write(&p, text));
                if let Err(e) = w {
                    failed = Some(werr(e));
                    break;
                }
                report.push(format!("wrote {}", p.display()));
            }
            Plan::Unchanged(p) => report.push(format!("unchanged {}", p.display())),
            Plan::Keep(p) => note(format!("nlspec: kept {} (yours)", p.display())),
        }
    }
    if !report.is_empty() {
        out(&report.join("\n"))?;
    }
    failed.map_or(Ok(()), Err)
}

/// A line on stderr in one write.
fn note(line: String) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_after_shebang_and_spdx() {
        let f = GeneratedFile::new("x.py", "#!/usr/bin/env python3\n# SPDX-License-Identifier: GPL-2.0\nprint()\n");
        let t = with_marker(&f, "a.yaml");
        assert_eq!(
            t,
            "#!/usr/bin/env python3\n# SPDX-License-Identifier: GPL-2.0\n# @generated by nlspec from a.yaml; do not edit: `nlspec gen` rewrites this file\nprint()\n"
        );
        let f = GeneratedFile::new("x.h", "/* SPDX-License-Identifier: GPL-2.0 */\nint x;\n");
        assert!(with_marker(&f, "a.yaml").lines().nth(1).unwrap().starts_with("/* @generated by nlspec"));
        let f = GeneratedFile::new("lib.rs", "// @generated by nlspec from a.yaml; do not edit.\nfn f() {}\n");
        assert_eq!(with_marker(&f, "a.yaml"), f.contents);
    }

    /// The skeleton is the handlers' file and nothing else: `<module>_main.rs` out of tree,
    /// `<module>.rs` in tree (also under a module name of the user's choosing).
    #[test]
    fn the_skeleton_is_the_handlers_file() {
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/nlkv.yaml");
        let fam = nlspec_model::load_and_resolve(spec).unwrap();
        for (in_tree, module, want) in
            [(false, None, "nlkv_main.rs"), (true, None, "nlkv.rs"), (true, Some("kv"), "kv.rs")]
        {
            let opts = KernelOptions { in_tree, module_name: module.map(String::from), ..Default::default() };
            let files = nlspec_codegen::emit::kernel::generate(&fam, &opts).unwrap();
            let skeleton = nlspec_codegen::emit::kernel::skeleton_file(&fam, &opts).unwrap();
            assert_eq!(skeleton, PathBuf::from(want), "in tree: {in_tree}");
            // It is a file the emitter writes, and the one it writes only with the skeleton on.
            let without = KernelOptions { skeleton: false, ..opts.clone() };
            let rest = nlspec_codegen::emit::kernel::generate(&fam, &without).unwrap();
            let only_with: Vec<_> =
                files.iter().filter(|f| !rest.iter().any(|r| r.path == f.path)).map(|f| f.path.clone()).collect();
            assert_eq!(only_with, [skeleton], "in tree: {in_tree}");
        }
    }
}

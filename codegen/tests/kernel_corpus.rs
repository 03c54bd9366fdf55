//! Every spec of the kernel's own `Documentation/netlink/specs` (6.12 and 7.3, extracted at test
//! time) yields a kernel module: a Generic Netlink family (`<module>_genl.rs`) or, for a
//! netlink-raw spec, a classic netlink protocol unit (`<module>_nl.rs`). The family code parses
//! (the emitter formats it through syn), holds no `unsafe`, and every file of the module
//! directory is there. Building the modules needs a kernel tree:
//! `cargo xtask kmod-corpus --kernel 6.12 [--boot]`.

use std::path::Path;

use nlspec_codegen::emit::kernel::{generate, KernelOptions};

#[path = "../../model/tests/corpus_support.rs"]
mod corpus_support;

#[test]
fn every_genetlink_kernel_spec_generates_a_module() {
    let (mut ok, mut total, mut raw, mut raw_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for tarball in corpus_support::TARBALLS {
        for spec in corpus_support::extract(tarball) {
            let label = format!("{}/{}", corpus_support::stem(tarball), spec.file_name().unwrap().to_string_lossy());
            let fam = match nlspec_codegen::load_and_resolve(&spec) {
                Ok(f) => f,
                Err(e) => {
                    failures.push(format!("{label}: does not resolve: {e}"));
                    continue;
                }
            };
            let is_raw = !fam.is_genetlink();
            if is_raw {
                raw += 1;
            } else {
                total += 1;
            }
            match generate(&fam, &KernelOptions::default()) {
                Ok(files) => {
                    let module = nlspec_codegen::model::names::c_lower(&fam.name);
                    let has = |p: &str| files.iter().any(|f| f.path == Path::new(p));
                    let stem = if is_raw { "nl" } else { "genl" };
                    let genl = files.iter().find(|f| f.path == Path::new(&format!("{module}_{stem}.rs")));
                    match genl {
                        Some(g) if g.contents.contains("unsafe") => {
                            failures.push(format!("{label}: unsafe in family code"))
                        }
                        Some(_)
                            if !has("Kbuild") || !has(&format!("{module}_main.rs")) || !has("nlspec_support.rs") =>
                        {
                            failures.push(format!("{label}: module files missing"))
                        }
                        Some(_) if is_raw => raw_ok += 1,
                        Some(_) => ok += 1,
                        None => failures.push(format!("{label}: no {module}_{stem}.rs")),
                    }
                }
                Err(e) => failures.push(format!("{label}: {e}")),
            }
        }
    }
    println!("kernel modules generated for {ok} of {total} genetlink* specs and {raw_ok} of {raw} netlink-raw specs");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(total >= 30, "expected the whole corpus, got {total} specs");
    assert!(raw >= 5, "expected the netlink-raw specs of the corpus, got {raw}");
}

/// The kernel emitter writes the kernel's rustfmt style itself (`nlspec gen --kernel` runs no
/// rustfmt): for every spec of the corpus, out of tree and (Generic Netlink) in tree, rustfmt
/// with the kernel's `.rustfmt.toml` settings changes no `.rs` file of the module directory.
/// Needs `rustfmt` (from `RUSTFMT` or `PATH`).
#[test]
fn every_module_is_in_the_kernels_rustfmt_style_as_emitted() {
    use nlspec_codegen::rustfmt::kernel_style;
    let mut specs = Vec::new();
    for tarball in corpus_support::TARBALLS {
        specs.extend(corpus_support::extract(tarball));
    }
    let own = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs");
    for e in std::fs::read_dir(own).unwrap() {
        specs.push(e.unwrap().path());
    }
    let (mut checked, mut failures) = (0, Vec::new());
    for spec in &specs {
        let Ok(fam) = nlspec_codegen::load_and_resolve(spec) else { continue };
        let trees: &[bool] = if fam.is_genetlink() { &[false, true] } else { &[false] };
        for &in_tree in trees {
            let label = format!("{}{}", spec.display(), if in_tree { " (in tree)" } else { "" });
            let Ok(files) = generate(&fam, &KernelOptions { in_tree, ..Default::default() }) else { continue };
            let mut formatted = files.clone();
            kernel_style(&mut formatted).unwrap_or_else(|e| panic!("{label}: rustfmt: {e}"));
            for (a, b) in files.iter().zip(&formatted) {
                checked += 1;
                if a.contents != b.contents {
                    let line =
                        a.contents.lines().zip(b.contents.lines()).position(|(x, y)| x != y).map_or(0, |i| i + 1);
                    failures
                        .push(format!("{label}: {} differs from rustfmt's layout at line {line}", a.path.display()));
                }
            }
        }
    }
    println!("{checked} files of {} specs as rustfmt lays them out", specs.len());
    assert!(failures.is_empty(), "{} files:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 500, "expected the whole corpus, checked {checked} files");
}

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

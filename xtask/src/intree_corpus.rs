//! `cargo xtask intree-corpus --kernel V [--only NAME]`: the in-tree home over the kernel's own
//! specs. For every Generic Netlink spec of linux-source 6.12 and 7.3 (and the project's), the
//! in-tree driver directory (`nlspec gen --kernel --in-tree`: the family file, the in-tree layer
//! `nlspec_genl.rs`, the shared `nlspec_macros.rs`, Kconfig, Makefile, skeleton) is generated and
//! built against kernel V patched with the `kernel::net::genetlink` series, with `CLIPPY=1`, as
//! `make M=<dir> CONFIG_<MODULE>=m`. A build error or any warning fails the spec. Prints one
//! line per spec and "N of M built warning-free"; the out-of-tree builds of the same family
//! files are `cargo xtask kmod-corpus`'s.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use nlspec_codegen::emit::kernel::{generate, KernelOptions};
use nlspec_codegen::emit::write_files;
use nlspec_codegen::model::names;

use crate::kmod_corpus::{corpus_work, protocol_of, specs_of};
use crate::series::build_warning_free;
use crate::util::{self, note, Result};
use crate::{err, kernel};

pub fn run(version: &str, only: Option<&str>) -> Result<i32> {
    let started = Instant::now();
    let kd = kernel::ensure(version)?;
    let tc = kernel::Toolchain::detect()?;
    let work = corpus_work(&kd.version);
    let mut specs: Vec<(String, PathBuf)> = Vec::new();
    let mut seen = HashSet::new();
    for v in ["6.12", "7.3"] {
        for p in specs_of(&work, v)? {
            let text = util::read(&p)?;
            if !seen.insert(text) {
                continue;
            }
            specs.push((format!("{v}/{}", p.file_name().unwrap_or_default().to_string_lossy()), p));
        }
    }
    let own = util::workspace_root().join("specs");
    for e in std::fs::read_dir(&own).map_err(|e| err!("reading specs/: {e}"))?.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "yaml") {
            specs.push((format!("specs/{}", p.file_name().unwrap_or_default().to_string_lossy()), p));
        }
    }
    let (mut ok, mut total, mut failures) = (0, 0, Vec::new());
    for (label, path) in &specs {
        let text = std::fs::read_to_string(path).map_err(|e| err!("reading {}: {e}", path.display()))?;
        if !protocol_of(&text).starts_with("genetlink") {
            continue;
        }
        let stem = label.rsplit('/').next().unwrap_or(label).trim_end_matches(".yaml");
        if only.is_some_and(|o| o != stem) {
            continue;
        }
        total += 1;
        match build(&kd, &tc, path, &work.join("intree").join(label.replace(['/', '.'], "_"))) {
            Ok(()) => {
                ok += 1;
                println!("ok    {label}");
            }
            Err(e) => {
                println!("FAIL  {label}");
                failures.push(format!("{label}: {e}"));
            }
        }
    }
    println!(
        "intree-corpus {version}: {ok} of {total} Generic Netlink specs built in tree warning-free (CLIPPY=1) in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        return Ok(0);
    }
    for f in &failures {
        eprintln!("  {f}");
    }
    Ok(1)
}

/// Generates the in-tree driver directory of `spec` into `dir` and builds it.
fn build(kd: &kernel::KernelDir, tc: &kernel::Toolchain, spec: &std::path::Path, dir: &std::path::Path) -> Result<()> {
    let fam = nlspec_codegen::load_and_resolve(spec).map_err(|d| err!("spec: {d}"))?;
    let opts = KernelOptions { in_tree: true, ..KernelOptions::default() };
    let files = generate(&fam, &opts).map_err(|e| err!("generate: {e}"))?;
    util::mkdir_p(dir)?;
    write_files(dir, &files).map_err(|e| err!("writing {}: {e}", dir.display()))?;
    let module = names::c_lower(&fam.name).replace(' ', "_");
    let config = format!("CONFIG_{}=m", module.to_uppercase());
    build_warning_free(kd, tc, dir, Some(&config), "the driver")?;
    if !dir.join(format!("{module}.ko")).is_file() {
        return Err(err!("no {module}.ko"));
    }
    note(format!("{}: built", dir.display()));
    Ok(())
}

//! `nlspec gen`: write the generated crate for one spec.

use std::path::{Path, PathBuf};

use nlspec_codegen::emit::client::{crate_files, RtDependency};
use nlspec_codegen::emit::write_files;

use crate::errors::Fail;
use crate::output::out;
use crate::spec::{load, print_warnings};

/// Where the generated client finds `nlspec-rt`: `--rt-path` if given, else the runtime crate
/// this binary was built next to (when it still exists), else the crates.io version.
fn rt_dependency(rt_path: Option<&str>) -> RtDependency {
    let mut rt = RtDependency::default();
    if let Some(p) = rt_path {
        rt.path = Some(p.to_string());
    } else {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
        if here.join("Cargo.toml").is_file() {
            if let Ok(abs) = here.canonicalize() {
                rt.path = abs.to_str().map(String::from);
            }
        }
    }
    rt
}

pub fn gen(spec: &str, dir: &str, kernel: bool, rt_path: Option<&str>) -> Result<(), Fail> {
    let fam = load(spec)?;
    print_warnings(&fam);
    if kernel {
        let files =
            nlspec_codegen::emit::kernel::generate(&fam, &nlspec_codegen::emit::kernel::KernelOptions::default())
                .map_err(|e| Fail::Error(format!("nlspec: gen --kernel: {spec}: kernel emitter: {e}")))?;
        write_all(dir, &files)?;
        eprintln!("nlspec: kernel module for family {} in {dir} (build instructions in its Makefile)", fam.name);
        return Ok(());
    }
    if !fam.is_genetlink() {
        return Err(Fail::Error(format!(
            "nlspec: gen: {spec}: family {} is netlink-raw; the client emitter generates Generic Netlink clients only",
            fam.name
        )));
    }
    let rt = rt_dependency(rt_path);
    let files = crate_files(&fam, &rt).map_err(|e| Fail::Error(format!("nlspec: gen: {spec}: client emitter: {e}")))?;
    write_all(dir, &files)?;
    eprintln!(
        "nlspec: client crate {} for family {} in {} (nlspec-rt: {})",
        nlspec_codegen::emit::client::crate_name(&fam),
        fam.name,
        dir,
        match &rt.path {
            Some(p) => format!("path {p}"),
            None => format!("version {}", rt.version),
        }
    );
    Ok(())
}

fn write_all(dir: &str, files: &[nlspec_codegen::emit::GeneratedFile]) -> Result<(), Fail> {
    let dir = PathBuf::from(dir);
    let written =
        write_files(&dir, files).map_err(|e| Fail::Error(format!("nlspec: gen: writing {}: {e}", dir.display())))?;
    for f in files {
        let p = dir.join(&f.path);
        let state = if written.contains(&p) { "wrote" } else { "unchanged" };
        out(&format!("{state} {}", p.display()))?;
    }
    Ok(())
}

//! Every spec of the kernel's own `Documentation/netlink/specs` (from Debian's linux-source
//! tarballs in /usr/src) must load, validate and resolve. The specs are extracted at test time
//! into cargo's per-target temp dir and never committed. A missing tarball is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARBALLS: &[&str] = &["/usr/src/linux-source-6.12.tar.xz", "/usr/src/linux-source-7.3.tar.xz"];

/// Extract (once) the specs of `tarball`; returns the spec files.
fn extract(tarball: &str) -> Vec<PathBuf> {
    assert!(
        Path::new(tarball).exists(),
        "{tarball} is missing: install the linux-source package (see .ci/run); this test does not skip"
    );
    let stem = Path::new(tarball).file_name().unwrap().to_string_lossy().replace(".tar.xz", "");
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ynl-corpus").join(&stem);
    let marker = dest.join(".done");
    if !marker.exists() {
        std::fs::create_dir_all(&dest).unwrap();
        let st = Command::new("tar")
            .arg("-xJf")
            .arg(tarball)
            .arg("-C")
            .arg(&dest)
            .arg("--wildcards")
            .arg("*/Documentation/netlink/specs/*.yaml")
            .status()
            .expect("running tar");
        assert!(st.success(), "tar failed on {tarball}");
        std::fs::write(&marker, "").unwrap();
    }
    let mut out = Vec::new();
    for top in std::fs::read_dir(&dest).unwrap() {
        let dir = top.unwrap().path().join("Documentation/netlink/specs");
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for f in rd {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|e| e == "yaml") {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no specs found in {tarball}");
    out
}

#[test]
fn kernel_spec_corpus_resolves() {
    let mut total = 0;
    let mut failed = Vec::new();
    for tb in TARBALLS {
        for spec in extract(tb) {
            total += 1;
            let label = format!(
                "{}/{}",
                Path::new(tb).file_name().unwrap().to_string_lossy().replace(".tar.xz", ""),
                spec.file_name().unwrap().to_string_lossy()
            );
            match nlspec_codegen::load_and_resolve(&spec) {
                Ok(f) => {
                    assert!(!f.ops.list.is_empty() || f.name.is_empty(), "{label}: no ops");
                }
                Err(d) => failed.push(format!("{label}:\n{d}")),
            }
        }
    }
    println!("corpus: {} of {} kernel specs load, validate and resolve", total - failed.len(), total);
    assert!(failed.is_empty(), "{} of {total} specs failed:\n{}", failed.len(), failed.join("\n"));
}

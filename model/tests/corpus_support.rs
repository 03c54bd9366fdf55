//! The kernel's own YNL specs, for the corpus tests: extracted once per tarball at test time
//! from Debian's linux-source packages (into cargo's per-target temp dir, never committed).
//! A missing tarball is a failure, not a skip.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The linux-source tarballs the corpus comes from.
pub const TARBALLS: &[&str] = &["/usr/src/linux-source-6.12.tar.xz", "/usr/src/linux-source-7.3.tar.xz"];

/// `linux-source-7.3` for `/usr/src/linux-source-7.3.tar.xz`.
pub fn stem(tarball: &str) -> String {
    Path::new(tarball).file_name().unwrap().to_string_lossy().replace(".tar.xz", "")
}

/// Extract (once) the specs, the JSON schemas and YNL's Python of `tarball`; returns the spec
/// files, sorted.
pub fn extract(tarball: &str) -> Vec<PathBuf> {
    assert!(
        Path::new(tarball).exists(),
        "{tarball} is missing: install the linux-source package (see .ci/run); this test does not skip"
    );
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ynl-corpus").join(stem(tarball));
    // several tests of one binary extract; one at a time
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let marker = dest.join(".done-specs-schemas-ynl");
    if !marker.exists() {
        std::fs::create_dir_all(&dest).unwrap();
        let st = Command::new("tar")
            .arg("-xJf")
            .arg(tarball)
            .arg("-C")
            .arg(&dest)
            .arg("--wildcards")
            .arg("*/Documentation/netlink/specs/*.yaml")
            .arg("*/Documentation/netlink/*.yaml")
            .arg("*/tools/net/ynl/*.py")
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

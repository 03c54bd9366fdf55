//! The kernel's own YNL CLI (python, `tools/net/ynl` of the 7.3 kernel source), extracted at
//! test time: where it is, the upstream specs next to it, and how to run it. Shared by the
//! `cli_*` tests (through `cli_support`) and by codegen's `client_rtnl_ynl` (by path), so it
//! must not use anything of one crate only (no `CARGO_BIN_EXE_*`).
//!
//! The kernel source tarball is Debian's `linux-source-7.3` (`/usr/src/linux-source-7.3.tar.xz`,
//! or `$NLSPEC_LINUX_SOURCE`). Without it these tests FAIL: they exist to prove equality with
//! the reference implementation, and silently skipping would prove nothing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub const DEFAULT_TARBALL: &str = "/usr/src/linux-source-7.3.tar.xz";

/// Root of the extracted kernel tree (only `tools/net/ynl` and `Documentation/netlink`).
pub fn ynl_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(extract)
}

fn extract() -> PathBuf {
    let tarball = std::env::var("NLSPEC_LINUX_SOURCE").unwrap_or_else(|_| DEFAULT_TARBALL.to_string());
    assert!(
        Path::new(&tarball).is_file(),
        "the kernel source tarball {tarball} is missing: these tests compare nlspec with the kernel's own YNL CLI \
         (tools/net/ynl in it). Install it (`apt-get install linux-source-7.3`) or point NLSPEC_LINUX_SOURCE at a \
         linux-source-*.tar.xz"
    );
    let meta = std::fs::metadata(&tarball).unwrap();
    let stamp = format!(
        "{}-{}",
        meta.len(),
        meta.modified().map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap_or(0)
    );
    let dir = std::env::temp_dir().join(format!("nlspec-ynl-{stamp}"));
    let top = |d: &Path| -> Option<PathBuf> {
        let e = std::fs::read_dir(d)
            .ok()?
            .filter_map(|e| e.ok())
            .find(|e| e.path().join("tools/net/ynl/pyynl/cli.py").is_file())?;
        Some(e.path())
    };
    if let Some(t) = top(&dir) {
        return t;
    }
    // Extract into a private directory, then rename into place (test binaries run in parallel).
    let tmp = std::env::temp_dir().join(format!("nlspec-ynl-{stamp}.{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let st = Command::new("tar")
        .arg("-xf")
        .arg(&tarball)
        .arg("-C")
        .arg(&tmp)
        .arg("--wildcards")
        .arg("*/tools/net/ynl/*")
        .arg("*/Documentation/netlink/*")
        .status()
        .expect("run tar");
    assert!(st.success(), "extracting tools/net/ynl from {tarball} failed");
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another test process won the race.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    top(&dir).unwrap_or_else(|| panic!("no tools/net/ynl/pyynl/cli.py in {tarball}"))
}

/// The upstream spec `name` (e.g. `nlctrl.yaml`) from the tarball.
pub fn upstream_spec(name: &str) -> PathBuf {
    let p = ynl_root().join("Documentation/netlink/specs").join(name);
    assert!(p.is_file(), "{} missing from the kernel source", p.display());
    p
}

/// The JSON schema for a spec's protocol level (YNL looks for it next to the spec otherwise).
pub fn schema_for(spec: &Path) -> PathBuf {
    let text = std::fs::read_to_string(spec).unwrap();
    let proto = text
        .lines()
        .find_map(|l| l.strip_prefix("protocol:"))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| "genetlink".into());
    ynl_root().join("Documentation/netlink").join(format!("{proto}.yaml"))
}

/// Run the kernel's YNL CLI.
pub fn ynl(spec: &Path, args: &[&str]) -> Output {
    Command::new("python3")
        .arg(ynl_root().join("tools/net/ynl/pyynl/cli.py"))
        .arg("--spec")
        .arg(spec)
        .arg("--schema")
        .arg(schema_for(spec))
        .args(args)
        .output()
        .expect("run python3 (the kernel's YNL CLI needs python3 with python3-yaml and python3-jsonschema)")
}

//! Shared by the `cli_*` tests: the kernel's own YNL CLI (python, `tools/net/ynl` of the 7.3
//! kernel source) extracted at test time (in `ynl_support.rs`), our `nlspec` binary, and JSON
//! comparison.
//!
//! The kernel source tarball is Debian's `linux-source-7.3` (`/usr/src/linux-source-7.3.tar.xz`,
//! or `$NLSPEC_LINUX_SOURCE`). Without it these tests FAIL: they exist to prove equality with
//! the reference implementation, and silently skipping would prove nothing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "ynl_support.rs"]
mod ynl_support;
pub use ynl_support::*;

/// Our specs directory.
pub fn our_spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs").join(name)
}

/// Start `--subscribe group --duration secs --output-json` on `spec`: our binary (`ours`) or
/// the kernel's YNL CLI, stdout and stderr piped.
pub fn spawn_subscribe(ours: bool, spec: &Path, group: &str, secs: &str) -> std::process::Child {
    let mut c = if ours {
        Command::new(env!("CARGO_BIN_EXE_nlspec"))
    } else {
        let mut c = Command::new("python3");
        c.arg(ynl_root().join("tools/net/ynl/pyynl/cli.py")).arg("--schema").arg(schema_for(spec));
        c
    };
    c.arg("--spec").arg(spec).args(["--subscribe", group, "--duration", secs, "--output-json"]);
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
}

/// Wait until each process of `pids` has a netlink socket of `protocol` (its port id being its
/// pid, as the first socket a process binds gets) in multicast group `group` (1-32), as
/// `/proc/net/netlink` lists them; `false` if `timeout` passes first. Subscribers started with
/// [`spawn_subscribe`] are ready only then: the YNL CLI validates its spec against the schema
/// before it subscribes, which takes seconds on a busy machine.
pub fn wait_until_subscribed(pids: &[u32], protocol: u32, group: u32, timeout: std::time::Duration) -> bool {
    let bit = 1u32 << (group - 1);
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let table = std::fs::read_to_string("/proc/net/netlink").expect("read /proc/net/netlink");
        let joined = |pid: u32| {
            table.lines().skip(1).any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() > 3
                    && f[1].parse() == Ok(protocol)
                    && f[2].parse() == Ok(pid)
                    && u32::from_str_radix(f[3], 16).is_ok_and(|g| g & bit != 0)
            })
        };
        if pids.iter().all(|&p| joined(p)) {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Run the kernel's YNL CLI with exactly these arguments (no `--spec`/`--schema` added): e.g.
/// `--family NAME` or `--list-families`, which YNL resolves in its in-tree spec directory
/// ([`upstream_specs_dir`]) when run from a kernel tree.
pub fn ynl_args(args: &[&str]) -> Output {
    Command::new("python3")
        .arg(ynl_root().join("tools/net/ynl/pyynl/cli.py"))
        .args(args)
        .output()
        .expect("run python3 (the kernel's YNL CLI needs python3 with python3-yaml and python3-jsonschema)")
}

/// The upstream specs directory of the extracted tree.
pub fn upstream_specs_dir() -> PathBuf {
    ynl_root().join("Documentation/netlink/specs")
}

/// Run our binary.
pub fn nlspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nlspec")).args(args).output().expect("run nlspec")
}

pub fn nlspec_spec(spec: &Path, args: &[&str]) -> Output {
    let mut a = vec!["--spec", spec.to_str().unwrap()];
    a.extend_from_slice(args);
    nlspec(&a)
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The JSON documents on stdout, one per line. YNL also prints "Netlink warning:" blocks on
/// stdout (e.g. a dump whose DONE carries an ext-ack message), and so does nlspec; lines that
/// are not JSON are skipped for YNL, and for nlspec (`strict`) anything but such a block
/// (see [`warning_lines`]) is an error.
pub fn json_docs(o: &Output, who: &str, strict: bool) -> Vec<serde_json::Value> {
    assert!(
        o.status.success(),
        "{who} failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
    let mut docs = Vec::new();
    let warnings = warning_lines(o);
    for line in text(&o.stdout).lines() {
        match serde_json::from_str(line) {
            Ok(v) => docs.push(v),
            Err(_) if strict && warnings.iter().any(|w| w == line) => {}
            Err(e) if strict => panic!("{who} printed a line that is not JSON ({e}): {line}"),
            Err(_) => {}
        }
    }
    docs
}

/// The lines of the "Netlink warning:" blocks on stdout: that line, YNL's `NlMsg` repr
/// (`nl_len = ...`) and its `\textack: {...}` line.
pub fn warning_lines(o: &Output) -> Vec<String> {
    let t = text(&o.stdout);
    let lines: Vec<&str> = t.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == "Netlink warning:" && lines.get(i + 1).is_some_and(|l| l.starts_with("nl_len = ")) {
            out.push(lines[i].to_string());
            out.push(lines[i + 1].to_string());
            i += 2;
            if lines.get(i).is_some_and(|l| l.starts_with("\textack: ")) {
                out.push(lines[i].to_string());
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Serializes tests that change the host's interfaces with those that dump them.
pub static NETDEV_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Compare YNL and nlspec on the same spec and arguments (`--output-json` added). Live data can
/// change between the two runs (another process adding an interface), so a difference is
/// retried twice; a real disagreement persists.
pub fn compare(spec: &Path, args: &[&str]) -> serde_json::Value {
    let mut a: Vec<&str> = args.to_vec();
    a.push("--output-json");
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (y, o) = (ynl(spec, &a), nlspec_spec(spec, &a));
        let theirs = json_docs(&y, "the kernel's YNL CLI", false);
        let ours = json_docs(&o, "nlspec", true);
        assert_eq!(theirs.len(), 1, "YNL printed {} JSON documents", theirs.len());
        assert_eq!(ours.len(), 1, "nlspec printed {} JSON documents", ours.len());
        // "Netlink warning:" blocks (successful ends with an ext-ack message) equal too.
        let (yw, ow) = (warning_lines(&y), warning_lines(&o));
        if theirs[0] == ours[0] && yw == ow {
            return ours.into_iter().next().unwrap();
        }
        if attempt == 3 {
            panic!(
                "nlspec differs from the kernel's YNL CLI for {} {}:\nYNL:    {}\nnlspec: {}\nYNL warnings: {yw:?}\nnlspec warnings: {ow:?}",
                spec.display(),
                args.join(" "),
                theirs[0],
                ours[0]
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// The `Documentation/netlink/specs` directory of a kernel source tarball (`/usr/src/linux-source-6.12.tar.xz`),
/// extracted once per tarball (by size) under the temp directory; the test fails without the tarball.
pub fn tarball_specs(tarball: &str) -> PathBuf {
    assert!(Path::new(tarball).is_file(), "{tarball} is missing (apt-get install the linux-source package)");
    let len = std::fs::metadata(tarball).unwrap().len();
    let dir = std::env::temp_dir().join(format!("nlspec-specs-{len}"));
    let find = |d: &Path| -> Option<PathBuf> {
        std::fs::read_dir(d).ok()?.flatten().map(|e| e.path().join("Documentation/netlink/specs")).find(|p| p.is_dir())
    };
    if let Some(p) = find(&dir) {
        return p;
    }
    let tmp = std::env::temp_dir().join(format!("nlspec-specs-{len}.{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let st = Command::new("tar")
        .arg("-xf")
        .arg(tarball)
        .arg("-C")
        .arg(&tmp)
        .args(["--wildcards", "*/Documentation/netlink/specs/*"])
        .status()
        .expect("run tar");
    assert!(st.success(), "extracting the specs of {tarball} failed");
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another test process won the race.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    find(&dir).unwrap_or_else(|| panic!("no Documentation/netlink/specs in {tarball}"))
}

/// Every `*.yaml` spec of a specs directory, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

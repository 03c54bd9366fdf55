//! `nlspec --spec S --check-kernel` against the host kernel: specs/nlctrl.yaml (exactly the
//! three differences nlctrl really has from it), a deliberately altered copy of it (an op
//! removed, an attribute's type changed, a bound changed: exactly those three reported), the
//! upstream nlctrl, netdev and ethtool specs of the 6.12 and 7.3 sources (exactly the lines of
//! tests/golden/check-kernel/linux-<host series>/, e.g. linux-6.18; `NLSPEC_BLESS=1` writes
//! them for a new host kernel after review), and the failures: an unregistered family, a
//! netlink-raw family, usage.

mod cli_support;

use cli_support::*;
use std::path::{Path, PathBuf};

const TARBALL_OLD: &str = "/usr/src/linux-source-6.12.tar.xz";

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nlspec-kcheck-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Run `--check-kernel`; (exit status, stdout lines).
fn check(spec: &Path) -> (i32, Vec<String>) {
    let o = nlspec_spec(spec, &["--check-kernel"]);
    let code = o.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "exit {code}: {}", text(&o.stderr));
    (code, text(&o.stdout).lines().map(String::from).collect())
}

/// What the running kernel's nlctrl (version 2 since 5.10, same ops and policies since 5.12)
/// says differently from our spec: getfamily's do policy also takes family-id, and its dump
/// has a policy (of both attributes) although the kernel does not validate dump requests
/// (GENL_DONT_VALIDATE_DUMP) and the spec lists none.
#[test]
fn our_nlctrl() {
    let (code, lines) = check(&our_spec("nlctrl.yaml"));
    assert_eq!(
        lines,
        [
            "op getfamily do: family-id: accepted by the kernel (u16), not listed in the spec's request",
            "op getfamily dump: family-id: accepted by the kernel (u16), not listed in the spec's request",
            "op getfamily dump: family-name: accepted by the kernel (nul-string), not listed in the spec's request",
        ]
    );
    assert_eq!(code, 1);
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} is not in the spec exactly once");
    text.replacen(from, to, 1)
}

/// Op getfamily removed (its notifications become events), getpolicy's `op` a u16 instead of
/// a u32, family-name's max-len 20 instead of genl-namsiz - 1 (15).
#[test]
fn altered_nlctrl() {
    let orig = std::fs::read_to_string(our_spec("nlctrl.yaml")).unwrap();
    let start = orig.find("    -\n      name: getfamily\n").unwrap();
    let end = orig.find("    -\n      name: getpolicy\n").unwrap();
    let mut t = format!("{}{}", &orig[..start], &orig[end..]);
    t = t.replace("      notify: getfamily\n", "      event:\n        attributes: [family-id, family-name]\n");
    t = replace_once(&t, "name: op\n        type: u32\n", "name: op\n        type: u16\n");
    t = replace_once(&t, "max-len: genl-namsiz - 1", "max-len: 20");
    let d = tmpdir("altered");
    let spec = d.join("nlctrl.yaml");
    std::fs::write(&spec, t).unwrap();
    let (code, lines) = check(&spec);
    assert_eq!(
        lines,
        [
            "op command 3: in the kernel (do, dump), not in the spec",
            "op getpolicy dump: family-name: max-length: spec 20, kernel 15",
            "op getpolicy dump: op: type: spec u16 (u16), kernel u32",
        ]
    );
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&d);
}

/// `6.18` of `6.18.44-foo`.
fn host_series() -> String {
    let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    r.trim().split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The upstream specs against the host kernel, each exactly as its golden says.
#[test]
fn upstream_specs_against_the_host() {
    let series = host_series();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/check-kernel").join(format!("linux-{series}"));
    let bless = std::env::var_os("NLSPEC_BLESS").is_some();
    let mut failures = Vec::new();
    for (tag, specs) in [("6.12", tarball_specs(TARBALL_OLD)), ("7.3", upstream_specs_dir())] {
        for fam in ["nlctrl", "netdev", "ethtool", "mptcp_pm", "tcp_metrics"] {
            let (code, lines) = check(&specs.join(format!("{fam}.yaml")));
            assert_eq!(code, if lines.len() == 1 && lines[0].contains("matches the spec") { 0 } else { 1 });
            let got = lines.join("\n") + "\n";
            let golden = dir.join(format!("{tag}-{fam}.txt"));
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&golden, &got).unwrap();
                continue;
            }
            match std::fs::read_to_string(&golden) {
                Ok(want) if want == got => {}
                Ok(want) => failures
                    .push(format!("{tag} {fam}: differs from {}:\n--- want\n{want}--- got\n{got}", golden.display())),
                Err(_) => failures.push(format!(
                    "{tag} {fam}: no golden {} for this host's kernel series {series}; review this output and \
                     bless it (NLSPEC_BLESS=1):\n{got}",
                    golden.display()
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn failures() {
    let d = tmpdir("fail");
    // Not registered: one line, exit 1.
    let spec = d.join("nosuch.yaml");
    let t = std::fs::read_to_string(our_spec("nlctrl.yaml")).unwrap();
    std::fs::write(&spec, replace_once(&t, "name: nlctrl\n", "name: nlspec-nosuch\n")).unwrap();
    let (code, lines) = check(&spec);
    assert_eq!(code, 1);
    assert_eq!(lines, ["family nlspec-nosuch: not registered in the running kernel (is its module loaded?)"]);
    // netlink-raw: nlctrl knows nothing about it.
    let o = nlspec_spec(&upstream_spec("rt-link.yaml"), &["--check-kernel"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("needs a Generic Netlink family"), "{}", text(&o.stderr));
    // Usage.
    let o = nlspec_spec(&our_spec("nlctrl.yaml"), &["--check-kernel", "--do", "getfamily"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = nlspec_spec(&our_spec("nlctrl.yaml"), &["--check-kernel=1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

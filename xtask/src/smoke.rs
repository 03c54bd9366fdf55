//! `cargo xtask vm-smoke`: a self-test of the VM infrastructure alone, independent of the
//! generated-module suite. For each kernel: build `xtask/testdata/hello` (a minimal Rust module)
//! and the static `nlspec-guest-smoke` binary, boot, insmod/rmmod the module, run the binary
//! (generic netlink answers; dropping to uid 1000 works), and no detector report
//! ([`detect::detector_reports`]). Then, on the newest kernel, the same through the installed
//! `nlspec-vm` binary, from a directory outside the workspace ([`outside_workspace`]).

use crate::util::{self, note, Result};
use crate::vm::{self, VmOutcome, VmSpec};
use crate::{detect, kernel, kmod, static_build};
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
case=hello-module-load
fail() { echo "NLSPEC-CASE FAIL $case: $1"; exit 1; }
insmod /lib/modules/nlspec_hello.ko || fail "insmod failed"
grep -q '^nlspec_hello ' /proc/modules || fail "not in /proc/modules"
dmesg | grep -q 'nlspec-hello: loaded' || fail "no load message"
rmmod nlspec_hello || fail "rmmod failed"
grep -q '^nlspec_hello ' /proc/modules && fail "still loaded"
dmesg | grep -q 'nlspec-hello: unloaded' || fail "no unload message"
echo "NLSPEC-CASE PASS $case"
case=loopback-up
ip link show lo | grep -q 'UP' || fail "lo is down"
echo "NLSPEC-CASE PASS $case"
nlspec-guest-smoke
"#;

pub fn vm_smoke() -> Result<i32> {
    let hello = util::workspace_root().join("xtask/testdata/hello");
    let smoke = static_build::build_crate(
        &static_build::Crate::Package("xtask"),
        "nlspec-guest-smoke",
        &["guest-smoke"],
        false,
    )?;
    let (mut passed, mut failed) = (0, 0);
    for version in kernel::VERSIONS {
        let t = Instant::now();
        let mut lines: Vec<(bool, String)> = Vec::new();
        let result = (|| -> Result<()> {
            let kd = kernel::ensure(version)?;
            let kos = kmod::build(&kd, &hello)?;
            let spec = VmSpec {
                bzimage: kd.bzimage(),
                kos,
                bins: vec![smoke.clone()],
                command: SCRIPT.to_string(),
                timeout: Duration::from_secs(120),
            };
            let mut console = String::new();
            let outcome = vm::run(&spec, |l| {
                console.push_str(l);
                console.push('\n');
                if let Some(p) = l.find("NLSPEC-CASE ") {
                    let rest = &l[p + "NLSPEC-CASE ".len()..];
                    if let Some(c) = rest.strip_prefix("PASS ") {
                        lines.push((true, c.trim().to_string()));
                    } else if let Some(c) = rest.strip_prefix("FAIL ") {
                        lines.push((false, c.trim().to_string()));
                    }
                }
            })?;
            let reports = detect::detector_reports(version, &console);
            lines.push(match crate::vmtest::reports_case(version, &reports) {
                c if c.failure.is_none() => (true, c.name),
                c => (false, format!("{}: {}", c.name, c.failure.unwrap_or_default())),
            });
            match outcome {
                VmOutcome::Done(0) => Ok(()),
                VmOutcome::Done(rc) => Err(crate::err!("guest rc={rc}; console:\n{}", util::tail(&console, 20))),
                VmOutcome::NoMarker(m) => Err(crate::err!("{m}")),
                VmOutcome::TimedOut => Err(crate::err!("timed out; console:\n{}", util::tail(&console, 20))),
            }
        })();
        if let Err(e) = result {
            lines.push((false, format!("vm: {e}")));
        }
        for (ok, what) in &lines {
            println!("{} {version} {what}", if *ok { "PASS" } else { "FAIL" });
            if *ok {
                passed += 1
            } else {
                failed += 1
            }
        }
        note(format!("[{version}] smoke took {:.1} s", t.elapsed().as_secs_f64()));
    }
    let newest = kernel::VERSIONS[kernel::VERSIONS.len() - 1];
    match outside_workspace(newest) {
        Ok(what) => {
            println!("PASS {newest} nlspec-vm-outside-workspace: {what}");
            passed += 1;
        }
        Err(e) => {
            println!("FAIL {newest} nlspec-vm-outside-workspace: {e}");
            failed += 1;
        }
    }
    println!("vm-smoke: {passed} passed, {failed} failed");
    Ok(if failed == 0 && passed > 0 { 0 } else { 1 })
}

/// The guest program of [`outside_workspace`]: a crate of its own, with no dependency.
const OUTSIDE_MAIN: &str = r#"//! Reports whether the hello module is loaded (run in the guest by nlspec-vm).
fn main() {
    let modules = std::fs::read_to_string("/proc/modules").expect("/proc/modules");
    if modules.lines().any(|l| l.starts_with("nlspec_hello ")) {
        println!("outside-guest: nlspec_hello is loaded");
    } else {
        eprintln!("outside-guest: nlspec_hello is not loaded");
        std::process::exit(1);
    }
}
"#;

/// What a user outside this repository does with the published `nlspec-vm`: `cargo install`
/// it, build a static guest binary of their own crate with `nlspec-vm build-static`, build
/// their module against their kernel tree, and boot both with `nlspec-vm run --kernel KDIR`,
/// all from a temporary directory the workspace cannot be found from. The guest command ends
/// with `exit 42`, so the check also sees the exit status come through.
fn outside_workspace(version: &str) -> Result<String> {
    let root = util::workspace_root();
    let work = std::env::temp_dir().join("nlspec-vm-outside");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| crate::err!("removing {}: {e}", work.display()))?;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let tool = crate::package::install_root_bin(
        &cargo,
        &root,
        &root.join("target/vm-install-target"),
        &work.join("install"),
        "vm",
        "nlspec-vm",
    )?;
    let guest = work.join("guest");
    util::mkdir_p(&guest.join("src"))?;
    util::write(
        &guest.join("Cargo.toml"),
        "[package]\nname = \"outside-guest\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n",
    )?;
    util::write(&guest.join("src/main.rs"), OUTSIDE_MAIN)?;
    let built =
        util::run_capture(std::process::Command::new(&tool).current_dir(&work).env_remove("CARGO_TARGET_DIR").args([
            "build-static",
            "--manifest-path",
            "guest/Cargo.toml",
            "--bin",
            "outside-guest",
        ]))?;
    let bin = std::path::PathBuf::from(built.trim());
    if !bin.starts_with(&work) {
        return Err(crate::err!(
            "nlspec-vm build-static put the binary at {} (outside {})",
            bin.display(),
            work.display()
        ));
    }
    let kd = kernel::ensure(version)?;
    let module = work.join("hello");
    util::mkdir_p(&module)?;
    for f in ["Kbuild", "nlspec_hello.rs"] {
        std::fs::copy(root.join("xtask/testdata/hello").join(f), module.join(f))
            .map_err(|e| crate::err!("copying {f}: {e}"))?;
    }
    let kos = kmod::build(&kd, &module)?;
    let mut cmd = std::process::Command::new(&tool);
    cmd.current_dir(&work).arg("run").arg("--kernel").arg(&kd.kdir);
    for ko in &kos {
        cmd.arg("--ko").arg(ko);
    }
    cmd.arg("--bin").arg(&bin).args([
        "--timeout",
        "60",
        "--",
        "insmod /lib/modules/nlspec_hello.ko && outside-guest && exit 42",
    ]);
    let out = cmd.output().map_err(|e| crate::err!("running {}: {e}", tool.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() != Some(42) || !stdout.contains("outside-guest: nlspec_hello is loaded") {
        return Err(crate::err!(
            "nlspec-vm run exited with {} (want 42 and the guest's line); console tail:\n{}\nstderr:\n{}",
            out.status,
            util::tail(&stdout, 20),
            util::tail(&String::from_utf8_lossy(&out.stderr), 10)
        ));
    }
    Ok(format!(
        "installed nlspec-vm built {} and booted it with the module of {}: exit status 42 came through",
        bin.display(),
        module.display()
    ))
}

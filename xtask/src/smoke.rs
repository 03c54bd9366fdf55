//! `cargo xtask vm-smoke`: a self-test of the VM infrastructure alone, independent of the
//! generated-module suite. For each kernel: build `xtask/testdata/hello` (a minimal Rust module)
//! and the static `nlspec-guest-smoke` binary, boot, insmod/rmmod the module, run the binary
//! (generic netlink answers; dropping to uid 1000 works), and no detector report
//! ([`detect::detector_reports`]).

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
    println!("vm-smoke: {passed} passed, {failed} failed");
    Ok(if failed == 0 && passed > 0 { 0 } else { 1 })
}

//! `cargo xtask vm-test`: dependencies → kernels → per-kernel suite in a booted VM, one
//! `PASS <kernel> <case>` / `FAIL <kernel> <case>: <why>` line per case and a final
//! `vm-test: N passed, M failed`.
//!
//! Guest protocol: test programs in the guest print `NLSPEC-CASE PASS <case>` or
//! `NLSPEC-CASE FAIL <case>: <why>` on stdout (the serial console); [`run_guest`] collects them.

use crate::kernel::{self, KernelDir};
use crate::util::{self, note, Result};
use crate::vm::{self, VmOutcome, VmSpec};
use crate::kmod;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The marker test programs in the guest print before PASS/FAIL.
pub const CASE_MARKER: &str = "NLSPEC-CASE ";

/// One case's verdict.
pub struct CaseResult {
    pub kernel: String,
    pub name: String,
    /// `None` = passed, `Some(why)` = failed.
    pub failure: Option<String>,
}

impl CaseResult {
    pub fn pass(kernel: &str, name: &str) -> CaseResult {
        CaseResult { kernel: kernel.into(), name: name.into(), failure: None }
    }
    pub fn fail(kernel: &str, name: &str, why: impl Into<String>) -> CaseResult {
        CaseResult { kernel: kernel.into(), name: name.into(), failure: Some(why.into()) }
    }
    fn print(&self) {
        match &self.failure {
            None => println!("PASS {} {}", self.kernel, self.name),
            Some(why) => println!("FAIL {} {}: {}", self.kernel, self.name, why),
        }
        let _ = std::io::stdout().flush();
    }
}

pub fn vm_test() -> Result<i32> {
    let started = Instant::now();
    crate::deps()?;
    let mut results: Vec<CaseResult> = Vec::new();
    for version in kernel::VERSIONS {
        let t = Instant::now();
        let cases = match kernel::ensure(version) {
            Ok(kd) => {
                note(format!("kernel {version} ready in {:.1} s: {}", t.elapsed().as_secs_f64(), kd.kdir.display()));
                match build_and_run_suite(&kd) {
                    Ok(cases) => cases,
                    Err(e) => vec![CaseResult::fail(version, "suite", e.to_string())],
                }
            }
            Err(e) => vec![CaseResult::fail(version, "kernel-build", e.to_string())],
        };
        for c in &cases {
            c.print();
        }
        results.extend(cases);
    }
    let failed = results.iter().filter(|c| c.failure.is_some()).count();
    let passed = results.len() - failed;
    note(format!("vm-test took {:.1} s", started.elapsed().as_secs_f64()));
    println!("vm-test: {passed} passed, {failed} failed");
    Ok(if failed == 0 && passed > 0 { 0 } else { 1 })
}

/// Builds what the suite needs for kernel `kd` and runs it in one boot.
///
/// For now: the `xtask/testdata/hello` module is loaded and unloaded, and the static
/// `nlspec-guest-smoke` binary checks generic netlink and the uid-1000 drop. The generated-module suite
/// replaces this body: build its modules with [`kmod::build`], its static clients with
/// [`crate::static_build::build`], then [`run_guest`] with a script running them.
pub fn build_and_run_suite(kd: &KernelDir) -> Result<Vec<CaseResult>> {
    let hello_dir = util::workspace_root().join("xtask/testdata/hello");
    let kos = kmod::build(kd, &hello_dir)?;
    let smoke = crate::static_build::build("xtask", "nlspec-guest-smoke", false)?;
    let script = r#"
set -u
case=hello-module-load
if ! insmod /lib/modules/nlspec_hello.ko; then echo "NLSPEC-CASE FAIL $case: insmod failed"; exit 1; fi
grep -q '^nlspec_hello ' /proc/modules || { echo "NLSPEC-CASE FAIL $case: not in /proc/modules"; exit 1; }
dmesg | grep -q 'nlspec-hello: loaded' || { echo "NLSPEC-CASE FAIL $case: no load message"; exit 1; }
rmmod nlspec_hello || { echo "NLSPEC-CASE FAIL $case: rmmod failed"; exit 1; }
grep -q '^nlspec_hello ' /proc/modules && { echo "NLSPEC-CASE FAIL $case: still loaded"; exit 1; }
dmesg | grep -q 'nlspec-hello: unloaded' || { echo "NLSPEC-CASE FAIL $case: no unload message"; exit 1; }
echo "NLSPEC-CASE PASS $case"
nlspec-guest-smoke
"#;
    run_guest(kd, &kos, &[smoke], script, Duration::from_secs(120))
}

/// Boots `kd` with the modules and binaries, runs `script`, and turns the guest's
/// `NLSPEC-CASE` lines into results. The whole console goes to `target/vm-test/<version>.log`
/// (and live to stderr with NLSPEC_VM_VERBOSE=1). A boot that fails, times out, exits non-zero
/// or reports no case adds a failing `vm` case.
pub fn run_guest(
    kd: &KernelDir,
    kos: &[PathBuf],
    bins: &[PathBuf],
    script: &str,
    timeout: Duration,
) -> Result<Vec<CaseResult>> {
    let v = kd.version.as_str();
    let log_dir = util::workspace_root().join("target/vm-test");
    util::mkdir_p(&log_dir)?;
    let log_path = log_dir.join(format!("{v}.log"));
    let verbose = std::env::var("NLSPEC_VM_VERBOSE").as_deref() == Ok("1");
    let spec = VmSpec {
        bzimage: kd.bzimage(),
        kos: kos.to_vec(),
        bins: bins.to_vec(),
        command: script.to_string(),
        timeout,
    };
    let mut console = String::new();
    let mut cases = Vec::new();
    let t = Instant::now();
    let outcome = vm::run(&spec, |line| {
        if verbose {
            eprintln!("[{v}] {line}");
        }
        console.push_str(line);
        console.push('\n');
        if let Some(pos) = line.find(CASE_MARKER) {
            let rest = &line[pos + CASE_MARKER.len()..];
            if let Some(name) = rest.strip_prefix("PASS ") {
                cases.push(CaseResult::pass(v, name.trim()));
            } else if let Some(r) = rest.strip_prefix("FAIL ") {
                let (name, why) = r.split_once(':').unwrap_or((r, "failed"));
                cases.push(CaseResult::fail(v, name.trim(), why.trim()));
            }
        }
    })?;
    util::write(&log_path, &console)?;
    note(format!("[{v}] boot + suite took {:.1} s; console log: {}", t.elapsed().as_secs_f64(), log_path.display()));
    let show_tail = || format!("console log {}; last lines:\n{}", log_path.display(), util::tail(&console, 25));
    match outcome {
        VmOutcome::Done(0) if !cases.is_empty() => {}
        VmOutcome::Done(0) => cases.push(CaseResult::fail(v, "vm", format!("no case reported; {}", show_tail()))),
        VmOutcome::Done(rc) => cases.push(CaseResult::fail(v, "vm", format!("guest script exited rc={rc}; {}", show_tail()))),
        VmOutcome::NoMarker(msg) => cases.push(CaseResult::fail(v, "vm", format!("{msg}\n(console log {})", log_path.display()))),
        VmOutcome::TimedOut => cases.push(CaseResult::fail(
            v,
            "vm",
            format!("timed out after {} s; {}", timeout.as_secs(), show_tail()),
        )),
    }
    Ok(cases)
}

//! `cargo xtask vm-run` and the suites' boots, on the `nlspec-vm` crate (the VM tooling users
//! get outside this repository too): [`run_clean`] adds what the suites want on top of a boot,
//! the console saved under `target/vm-test` and any detector report an error.

use crate::detect;
use crate::err;
use crate::util::{self, Result};
use std::path::PathBuf;

pub use nlspec_vm::{command_from_words, run, run_with_args, VmOutcome, VmSpec, BOOT_AND_DETECTORS};

impl From<nlspec_vm::Error> for util::Error {
    fn from(e: nlspec_vm::Error) -> util::Error {
        util::Error(e.0)
    }
}

/// A finished boot with a clean console: what [`run_clean`] returns.
pub struct CleanBoot {
    /// The guest command's exit status.
    pub status: i32,
    /// The whole console.
    pub console: String,
    /// Where the console was saved.
    pub log: PathBuf,
}

/// Boots `spec` on kernel `version` (with `kernel_args`), saves the console to
/// `target/vm-test/<label>-<version>.log`, and fails unless the guest finished (any exit status)
/// with no detector report (KASAN, lockdep, kmemleak, a kernel warning...).
pub fn run_clean(spec: &VmSpec, version: &str, label: &str, kernel_args: &str) -> Result<CleanBoot> {
    let mut console = String::new();
    let outcome = run_with_args(spec, kernel_args, |line| {
        console.push_str(line);
        console.push('\n');
    })?;
    let dir = util::workspace_root().join("target/vm-test");
    util::mkdir_p(&dir)?;
    let log = dir.join(format!("{label}-{version}.log"));
    util::write(&log, &console)?;
    let VmOutcome::Done(status) = outcome else {
        return Err(err!(
            "{label}: the guest did not finish (console: {}):\n{}",
            log.display(),
            util::tail(&console, 30)
        ));
    };
    let reports = detect::detector_reports(version, &console);
    if !reports.is_empty() {
        return Err(err!("{label}: {} (console: {})", detect::describe(&reports), log.display()));
    }
    Ok(CleanBoot { status, console, log })
}

/// `cargo xtask vm-run`: [`nlspec_vm::run_command`] on a cached kernel of `version`.
pub fn run_cli(spec: &VmSpec, version: &str) -> Result<i32> {
    Ok(nlspec_vm::run_command(spec, Some(version), false, "xtask vm-run")?)
}

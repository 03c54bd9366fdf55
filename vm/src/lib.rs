//! Boot a Linux kernel in qemu with your modules and static test binaries, run one command as
//! root, and read the kernel's bug detectors off the console: the VM tooling nlspec's own tests
//! use for generated kernel modules, usable outside nlspec's repository (library and the
//! `nlspec-vm` binary).
//!
//! - [`run`] / [`run_with_args`]: a generated initramfs (busybox, the given `.ko` files under
//!   [`GUEST_KO_DIR`], the given binaries under `/bin`, a `/init` that runs the command), qemu
//!   (TCG, or KVM with `NLSPEC_KVM=1`; 2 vCPUs), the console handed over line by line, the
//!   command's exit status read from the marker the guest prints ([`DONE_MARKER`]).
//! - [`detect::detector_reports`]: KASAN, lockdep, atomic-sleep, kmemleak and kernel-warning
//!   reports of one boot (the guest scans kmemleak and dumps the kernel log after the command).
//! - [`static_build`]: a statically linked binary of a cargo crate (the guest has no libc).
//! - [`run_command`]: all of it as a command-line tool does it (the `nlspec-vm run` exit codes).
//!
//! The host needs `qemu-system-x86_64` and a static busybox at `/bin/busybox` (Debian:
//! `qemu-system-x86`, `busybox-static`); the kernel needs what the guest uses (initramfs,
//! devtmpfs, a serial console, debugfs and kmemleak for the leak scan).

pub mod detect;
pub mod static_build;

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// An error of this crate: a message that says what failed and where.
pub struct Error(pub String);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Builds an [`Error`] from a format string.
#[doc(hidden)]
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::Error(format!($($arg)*)) };
}

/// Reads a whole file, naming it in the error.
fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| err!("cannot read {}: {e}", path.display()))
}

/// Writes a whole file, naming it in the error.
fn write(path: &Path, data: &[u8]) -> Result<()> {
    std::fs::write(path, data).map_err(|e| err!("cannot write {}: {e}", path.display()))
}

/// A readable rendering of a command line for messages.
pub fn show(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()));
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The kernel image of `path`: the file itself, or for a kernel build directory its
/// `arch/x86/boot/bzImage`.
pub fn kernel_image(path: &Path) -> Result<PathBuf> {
    if path.is_dir() {
        let image = path.join("arch/x86/boot/bzImage");
        if image.is_file() {
            return Ok(image);
        }
        return Err(err!(
            "{} is a directory without arch/x86/boot/bzImage (not a built x86 kernel tree)",
            path.display()
        ));
    }
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    Err(err!("kernel image {} not found", path.display()))
}

/// The marker the guest's /init prints after the command.
pub const DONE_MARKER: &str = "NLSPEC-VM-DONE rc=";

/// Directory in the guest holding the `--ko` files.
pub const GUEST_KO_DIR: &str = "/lib/modules";

/// Time allowed on top of a [`VmSpec::timeout`] for booting the debug kernel and for /init's
/// detector epilogue (two kmemleak scans and the kernel-log dump) after the command: under TCG on
/// a loaded 2-core machine a boot took up to ~60 s and the two scans up to ~130 s.
pub const BOOT_AND_DETECTORS: Duration = Duration::from_secs(240);

/// What to boot and run.
pub struct VmSpec {
    pub bzimage: PathBuf,
    pub kos: Vec<PathBuf>,
    pub bins: Vec<PathBuf>,
    /// Shell script text run by /init (as root, in /root).
    pub command: String,
    /// For the command; the boot and the detector epilogue get [`BOOT_AND_DETECTORS`] more.
    pub timeout: Duration,
}

/// How a boot ended.
pub enum VmOutcome {
    /// The guest printed the marker: the command's exit status.
    Done(i32),
    /// qemu exited before the marker (kernel panic, init died...).
    NoMarker(String),
    /// The deadline passed; qemu was killed.
    TimedOut,
}

/// The /init script. It runs as PID 1 under busybox's sh.
fn init_script() -> String {
    format!(
        r#"#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null || chmod 1777 /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up || echo "nlspec-init: warning: could not bring up lo"
cd /root
echo "nlspec-init: running /nlspec-cmd.sh (modules in {ko})"
sh /nlspec-cmd.sh
rc=$?
cd /
# Detectors (nlspec-vm's detect.rs reads what follows): kmemleak reports an object only when it
# is older than 5 s and its contents did not change between two scans, so scan twice, the second
# at least 6 s after the command ended (a scan takes a while under TCG: wait only what is left),
# then print the report file; then the whole kernel log (suites keep it off the console with
# `dmesg -n 1`).
if [ -e {kmemleak} ]; then
    t0=$(cut -d. -f1 /proc/uptime)
    if echo scan > {kmemleak}; then
        left=$((t0 + 6 - $(cut -d. -f1 /proc/uptime)))
        [ $left -gt 0 ] && sleep $left
    fi
    if echo scan > {kmemleak}; then
        echo "nlspec-init: kmemleak scanned twice (uptime $t0 s -> $(cut -d' ' -f1 /proc/uptime) s)"
        sed 's/^/{leak_prefix}/' {kmemleak}
    else
        echo "{leak_error}writing scan to {kmemleak} failed (kmemleak disabled? see the kernel log)"
    fi
else
    echo "{leak_error}{kmemleak} is missing (kernel without DEBUG_KMEMLEAK, or no debugfs)"
fi
echo "{klog_begin}"
dmesg
echo "{klog_end}"
sync
echo "{marker}$rc"
reboot -f
"#,
        ko = GUEST_KO_DIR,
        marker = DONE_MARKER,
        kmemleak = KMEMLEAK_FILE,
        leak_prefix = detect::KMEMLEAK_PREFIX,
        leak_error = detect::KMEMLEAK_ERROR,
        klog_begin = detect::KLOG_BEGIN,
        klog_end = detect::KLOG_END,
    )
}

/// kmemleak's control and report file in the guest (debugfs is mounted by /init).
const KMEMLEAK_FILE: &str = "/sys/kernel/debug/kmemleak";

/// Turns the words after `--` into a script: a single word is taken as shell text, several
/// words are quoted and joined as one command line.
pub fn command_from_words(words: &[String]) -> String {
    match words.len() {
        0 => "true".to_string(),
        1 => words[0].clone(),
        _ => words.iter().map(|w| shell_quote(w)).collect::<Vec<_>>().join(" "),
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A `newc` cpio archive, written by hand (the kernel unpacks it uncompressed).
struct Cpio {
    buf: Vec<u8>,
    ino: u32,
}

impl Cpio {
    fn new() -> Cpio {
        Cpio { buf: Vec::new(), ino: 1 }
    }

    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        let name_z = format!("{name}\0");
        let header = format!(
            "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}",
            self.ino,
            mode,
            0, // uid
            0, // gid
            1, // nlink
            0, // mtime
            data.len(),
            0,
            0,
            0,
            0,
            name_z.len(),
            0 // check
        );
        self.ino += 1;
        self.buf.extend_from_slice(header.as_bytes());
        self.buf.extend_from_slice(name_z.as_bytes());
        self.pad();
        self.buf.extend_from_slice(data);
        self.pad();
    }

    /// Zero bytes up to the next 4-byte boundary.
    fn pad(&mut self) {
        let len = self.buf.len();
        self.buf.resize(len.next_multiple_of(4), 0);
    }

    fn dir(&mut self, name: &str, perm: u32) {
        self.entry(name, 0o040000 | perm, &[]);
    }

    fn file(&mut self, name: &str, perm: u32, data: &[u8]) {
        self.entry(name, 0o100000 | perm, data);
    }

    fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.buf
    }
}

fn file_name(p: &Path) -> Result<String> {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| err!("{} has no file name", p.display()))
}

/// Builds the initramfs image in memory.
fn build_initramfs(spec: &VmSpec) -> Result<Vec<u8>> {
    let busybox = Path::new("/bin/busybox");
    let mut c = Cpio::new();
    for d in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "root", "home"] {
        c.dir(d, 0o755);
    }
    c.dir("tmp", 0o1777);
    c.dir("home/user", 0o755); // owned by root; the user needs no home writes
    c.dir("lib", 0o755);
    c.dir(GUEST_KO_DIR.trim_start_matches('/'), 0o755);
    c.file("bin/busybox", 0o755, &read(busybox).map_err(|e| err!("{e} (a static busybox: Debian's busybox-static)"))?);
    c.file("init", 0o755, init_script().as_bytes());
    c.file("nlspec-cmd.sh", 0o755, spec.command.as_bytes());
    c.file("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n");
    c.file("etc/group", 0o644, b"root:x:0:\nuser:x:1000:\n");
    for ko in &spec.kos {
        let name = file_name(ko)?;
        c.file(&format!("{}/{name}", GUEST_KO_DIR.trim_start_matches('/')), 0o644, &read(ko)?);
    }
    for bin in &spec.bins {
        let name = file_name(bin)?;
        c.file(&format!("bin/{name}"), 0o755, &read(bin)?);
    }
    Ok(c.finish())
}

/// Boots the VM, handing every console line (without the line end) to `on_line` as it arrives.
pub fn run(spec: &VmSpec, on_line: impl FnMut(&str)) -> Result<VmOutcome> {
    run_with_args(spec, "", on_line)
}

/// [`run`] with `kernel_args` appended to the kernel command line (e.g. `kunit.enable=1`).
pub fn run_with_args(spec: &VmSpec, kernel_args: &str, mut on_line: impl FnMut(&str)) -> Result<VmOutcome> {
    if !spec.bzimage.is_file() {
        return Err(err!("kernel image {} not found", spec.bzimage.display()));
    }
    let image = build_initramfs(spec)?;
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let tmp =
        std::env::temp_dir().join(format!("nlspec-vm-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&tmp).map_err(|e| err!("cannot create {}: {e}", tmp.display()))?;
    let initrd = tmp.join("initramfs.cpio");
    write(&initrd, &image)?;
    let result = boot(spec, &initrd, kernel_args, &mut on_line);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn boot(spec: &VmSpec, initrd: &Path, kernel_args: &str, on_line: &mut impl FnMut(&str)) -> Result<VmOutcome> {
    let kvm = kvm_requested();
    let mut cmd = Command::new("qemu-system-x86_64");
    if kvm {
        cmd.args(["-accel", "kvm", "-cpu", "host"]);
    } else {
        cmd.args(["-accel", "tcg"]);
    }
    // Two vCPUs, so concurrent clients run in parallel. 1 GiB covers KASAN's shadow (1/8 of
    // memory) and quarantine; more makes every kmemleak scan slower (it scans the shadow too),
    // and the two scans at the end of each boot are a good part of its time under TCG
    // (NLSPEC_VM_MEM=2G to try). kasan_multi_shot: every KASAN report, not only the first of the
    // boot; log_buf_len: the whole kernel log of a suite fits (the detectors read it at the end).
    let mem = std::env::var("NLSPEC_VM_MEM").unwrap_or_else(|_| "1G".into());
    cmd.args(["-smp", "2", "-m", &mem, "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot"])
        .arg("-kernel")
        .arg(&spec.bzimage)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(format!("console=ttyS0 panic=-1 rdinit=/init kasan_multi_shot log_buf_len=8M {kernel_args}").trim_end())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = show(&cmd);
    let mut child = cmd.spawn().map_err(|e| err!("cannot start `{shown}`: {e} (Debian's qemu-system-x86)"))?;

    // Both pipes feed one channel; None marks the end of stdout.
    let (tx, rx) = mpsc::channel::<Option<String>>();
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut buf = Vec::new();
        while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let line = String::from_utf8_lossy(&buf).trim_end_matches(['\r', '\n']).to_string();
            if tx.send(Some(line)).is_err() {
                return;
            }
            buf.clear();
        }
        let _ = tx.send(None);
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
            let _ = tx2.send(Some(format!("qemu: {line}")));
        }
    });

    let deadline = Instant::now() + spec.timeout + BOOT_AND_DETECTORS;
    let mut rc: Option<i32> = None;
    let mut last = Vec::<String>::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Some(line)) => {
                on_line(&line);
                if rc.is_none() {
                    if let Some(pos) = line.find(DONE_MARKER) {
                        let digits: String =
                            line[pos + DONE_MARKER.len()..].chars().take_while(|c| c.is_ascii_digit()).collect();
                        rc = digits.parse().ok();
                    }
                }
                last.push(line);
                if last.len() > 20 {
                    last.remove(0);
                }
            }
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Kill only the qemu we spawned, by its handle.
                let _ = child.kill();
                let _ = child.wait();
                return Ok(VmOutcome::TimedOut);
            }
        }
    }
    // stdout closed: qemu is exiting. Give it a moment, then make sure it is gone.
    let wait_until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| err!("waiting for qemu: {e}"))? {
            break Some(s);
        }
        if Instant::now() > wait_until {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    match rc {
        Some(rc) => Ok(VmOutcome::Done(rc)),
        None => Ok(VmOutcome::NoMarker(format!(
            "qemu ended ({}) without printing `{DONE_MARKER}<n>`; last console lines:\n{}",
            status.map(|s| s.to_string()).unwrap_or_else(|| "killed".into()),
            last.join("\n")
        ))),
    }
}

/// [`run_command`]'s exit code when the deadline passed (as coreutils' `timeout`).
pub const EXIT_TIMEOUT: i32 = 124;
/// [`run_command`]'s exit code when qemu ended without the marker (kernel panic, oops, init died).
pub const EXIT_NO_MARKER: i32 = 125;

/// [`run_command`]'s exit code when the command exited 0 but a detector reported (KASAN, lockdep, atomic
/// sleep, kmemleak, a kernel warning: [`detect::detector_reports`]).
pub const EXIT_REPORTS: i32 = 123;

/// `vm-run` as a command-line tool does it: streams the console to stdout, returns the guest's
/// exit code, or [`EXIT_TIMEOUT`] / [`EXIT_NO_MARKER`] with an error on stderr. Detector reports
/// are printed on stderr and turn a 0 into [`EXIT_REPORTS`]; `version` (`6.12`, `7.3`) names the
/// kernel for the known-bug list of [`detect::detector_reports`], else it is read off the
/// console's `Linux version` line. With `kmemleak_optional`, a kernel that cannot scan for leaks
/// (no kmemleak) is not a report; leaks found by one that can still are. `prog` prefixes the
/// messages.
pub fn run_command(spec: &VmSpec, version: Option<&str>, kmemleak_optional: bool, prog: &str) -> Result<i32> {
    eprintln!(
        "{prog}: booting {} ({} module(s), {} binary(ies), timeout {} s, {})",
        spec.bzimage.display(),
        spec.kos.len(),
        spec.bins.len(),
        spec.timeout.as_secs(),
        if kvm_requested() { "KVM" } else { "TCG" }
    );
    let started = Instant::now();
    let mut console = String::new();
    let outcome = run(spec, |line| {
        println!("{line}");
        console.push_str(line);
        console.push('\n');
    })?;
    let secs = started.elapsed().as_secs_f64();
    let version = version.map(str::to_string).or_else(|| detect::kernel_version(&console)).unwrap_or_default();
    let mut reports = detect::detector_reports(&version, &console);
    if kmemleak_optional {
        reports.retain(|r| !r.is_scan_failure());
    }
    for r in &reports {
        eprintln!("{prog}: detector report: {r}");
    }
    match outcome {
        VmOutcome::Done(rc) => {
            eprintln!(
                "{prog}: guest command exited with rc={rc} after {secs:.1} s; {} detector report(s)",
                reports.len()
            );
            Ok(if rc == 0 && !reports.is_empty() { EXIT_REPORTS } else { rc })
        }
        VmOutcome::NoMarker(msg) => {
            eprintln!("{prog}: error: {msg}");
            Ok(EXIT_NO_MARKER)
        }
        VmOutcome::TimedOut => {
            eprintln!(
                "{prog}: error: timed out after {} s (guest never printed `{DONE_MARKER}<n>`); qemu killed",
                (spec.timeout + BOOT_AND_DETECTORS).as_secs()
            );
            Ok(EXIT_TIMEOUT)
        }
    }
}

/// Whether `NLSPEC_KVM=1` asks for KVM instead of TCG.
fn kvm_requested() -> bool {
    std::env::var("NLSPEC_KVM").as_deref() == Ok("1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_one_command_line() {
        let w = |s: &[&str]| command_from_words(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(w(&["echo hi; exit 3"]), "echo hi; exit 3");
        assert_eq!(w(&["insmod", "/lib/modules/a.ko"]), "insmod /lib/modules/a.ko");
        assert_eq!(w(&["echo", "it's", ""]), r"echo 'it'\''s' ''");
    }

    #[test]
    fn cpio_newc_layout() {
        let mut c = Cpio::new();
        c.file("init", 0o755, b"abc");
        let buf = c.finish();
        assert_eq!(&buf[..6], b"070701");
        // mode field (2nd) and filesize field (7th)
        assert_eq!(&buf[14..22], b"000081ED");
        assert_eq!(&buf[54..62], b"00000003");
        // header 110 + "init\0" = 115 -> padded to 116, then data, padded to 4
        assert_eq!(&buf[110..115], b"init\0");
        assert_eq!(&buf[116..119], b"abc");
        assert_eq!(buf.len() % 4, 0);
        assert!(buf.windows(10).any(|w| w == b"TRAILER!!!"));
    }
}

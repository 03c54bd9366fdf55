//! The kernel's bug detectors as seen from the VM console: [`detector_reports`] turns a boot's
//! console text into the reports of KASAN, lockdep, the atomic-sleep check, kmemleak and any
//! other kernel warning; nlspec's `detectors` suite (`cargo xtask vm-test`) proves each detector fires, with
//! the deliberately broken modules of its `kernel/broken/`.
//!
//! Every VM boot ends the same way (the crate's /init): after the command, kmemleak is scanned twice
//! 5 s apart and its report file printed (each line prefixed [`KMEMLEAK_PREFIX`]), then the
//! whole kernel log (`dmesg`) between [`KLOG_BEGIN`] and [`KLOG_END`]. When that dump is there,
//! the kernel's reports are read from it alone (complete and in order, even the parts the suites
//! keep off the live console with `dmesg -n 1`, which a detector's report turns back on); when
//! the boot did not get that far (panic, timeout), from the kernel lines on the console (those
//! carrying a printk timestamp, `[   12.345678] ...`). Every suite
//! (nlkv, proof, detectors, vm-smoke, kmod-corpus --boot, vm-run) runs the same scanner; a report
//! fails the suite and is shown.

use std::fmt;

/// Prefix /init puts before every line of the kmemleak report file.
pub const KMEMLEAK_PREFIX: &str = "nlspec-kmemleak: ";
/// Prefix of the line /init prints when kmemleak cannot be scanned (a detector that cannot run
/// is a failure, never a silent pass).
pub const KMEMLEAK_ERROR: &str = "nlspec-kmemleak-error: ";
/// The lines /init prints around the kernel log it dumps at the end of every boot.
pub const KLOG_BEGIN: &str = "nlspec-init: kernel log follows";
pub const KLOG_END: &str = "nlspec-init: end of kernel log";
/// Kernel-log line (written to /dev/kmsg by a guest script) that starts a named section: the
/// reports after it carry the name ([`Report::section`]).
pub const SECTION_PREFIX: &str = "nlspec-section: ";

/// How the title of a report that kmemleak could not scan begins ([`Report::is_scan_failure`]).
const SCAN_FAILURE: &str = "cannot scan: ";

/// Lines kept per report (the title, the call trace; the rest is in the console log).
const REPORT_LINES: usize = 400;
/// Lines shown per report in a failure.
const SHOWN_LINES: usize = 30;

/// Which detector wrote a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    /// `BUG: KASAN: ...` (out-of-bounds, use-after-free, ...).
    Kasan,
    /// Lockdep (`WARNING: possible circular locking dependency detected`, ...).
    Lockdep,
    /// `BUG: sleeping function called from invalid context` (DEBUG_ATOMIC_SLEEP).
    AtomicSleep,
    /// An `unreferenced object` in the kmemleak report, or kmemleak not working.
    Kmemleak,
    /// Any other `WARNING:`, `BUG:`, `Oops`, general protection fault, panic, refcount_t
    /// warning or lone call trace.
    Kernel,
}

impl fmt::Display for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Detector::Kasan => "KASAN",
            Detector::Lockdep => "lockdep",
            Detector::AtomicSleep => "atomic sleep",
            Detector::Kmemleak => "kmemleak",
            Detector::Kernel => "kernel",
        })
    }
}

/// One report: its first line is the title.
#[derive(Debug, Clone)]
pub struct Report {
    pub detector: Detector,
    /// The last [`SECTION_PREFIX`] name before the report (kernel-log reports only).
    pub section: Option<String>,
    pub lines: Vec<String>,
}

impl Report {
    /// The report's first line.
    pub fn title(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    /// Whether this is kmemleak saying it could not scan (no kmemleak in the kernel, or it
    /// disabled itself), rather than a leak.
    pub fn is_scan_failure(&self) -> bool {
        self.detector == Detector::Kmemleak && self.title().starts_with(SCAN_FAILURE)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.detector, self.title())?;
        for l in self.lines.iter().skip(1).take(SHOWN_LINES) {
            write!(f, "\n    {l}")?;
        }
        if self.lines.len() > SHOWN_LINES + 1 {
            write!(f, "\n    ... ({} more lines in the console log)", self.lines.len() - SHOWN_LINES - 1)?;
        }
        Ok(())
    }
}

/// Titles of lockdep's reports (the line after its `=====` banner).
const LOCKDEP_TITLES: &[&str] = &[
    "possible circular locking dependency",
    "possible recursive locking detected",
    "inconsistent lock state",
    "possible irq lock inversion dependency",
    "HARDIRQ-safe -> HARDIRQ-unsafe lock order",
    "SOFTIRQ-safe -> SOFTIRQ-unsafe lock order",
    "bad unlock balance detected",
    "held lock freed",
    "lock held when returning to user space",
    "Invalid wait context",
    "suspicious RCU usage",
    "bad contention detected",
    "lock held at task exit time",
    "still has locks held",
];

/// Which detector a kernel-log line starts a report of, if any. `strong` is false for a lone
/// `Call Trace:`, which inside another report is part of it.
fn classify(text: &str) -> Option<(Detector, bool)> {
    if text.contains("BUG: KASAN") {
        Some((Detector::Kasan, true))
    } else if text.contains("BUG: sleeping function called from invalid context") {
        Some((Detector::AtomicSleep, true))
    } else if (text.contains("WARNING: ") || text.contains("BUG: ")) && LOCKDEP_TITLES.iter().any(|t| text.contains(t))
    {
        Some((Detector::Lockdep, true))
    } else if text.starts_with("kmemleak: ") && (text.contains("disabled") || text.contains("pool empty")) {
        Some((Detector::Kmemleak, true))
    } else if ["WARNING:", "BUG:", "Oops", "general protection", "Kernel panic", "refcount_t:"]
        .iter()
        .any(|p| text.contains(p))
    {
        Some((Detector::Kernel, true))
    } else if text.contains("Call Trace") {
        Some((Detector::Kernel, false))
    } else {
        None
    }
}

/// Whether `text` closes a report of `detector` that has `len` lines so far.
fn ends_report(detector: Detector, text: &str, len: usize) -> bool {
    if len >= REPORT_LINES {
        return true;
    }
    match detector {
        // KASAN's report is framed by lines of `=`; its first stack ends before the allocation
        // and free stacks, which are worth keeping.
        Detector::Kasan => len > 2 && text.starts_with("=====") && text.trim_end().chars().all(|c| c == '='),
        _ => text.contains("</TASK>") || text.contains("---[ end trace"),
    }
}

/// The text of a kernel-log line, after its timestamp. The timestamp must open the line (after
/// a `<level>` prefix, if any): a case line quoting a kernel line is not one.
fn kernel_line(line: &str) -> Option<&str> {
    let l = line.trim_start();
    let l = match l.strip_prefix('<') {
        Some(rest) => rest.split_once('>').map(|(_, r)| r)?,
        None => l,
    };
    let inner = l.strip_prefix('[')?;
    let (stamp, text) = inner.split_once(']')?;
    let (secs, micros) = stamp.trim_start().split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(secs) || !digits(micros) {
        return None;
    }
    Some(text.strip_prefix(' ').unwrap_or(text))
}

/// The kernel's major.minor version (`6.12`) from the `Linux version 6.12.57 ...` line every
/// boot prints, when the console has it.
pub fn kernel_version(console: &str) -> Option<String> {
    let rest = console.lines().find_map(|l| l.split_once("Linux version ").map(|(_, v)| v))?;
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let (major, minor) = (parts.next()?, parts.next()?);
    (!major.is_empty() && !minor.is_empty()).then(|| format!("{major}.{minor}"))
}

/// The known kernel bug tolerated on 6.12 only: `lib/nlattr.c` `nla_get_range_unsigned` WARNs
/// (WARN_ON_ONCE: once per boot) when netlink writes the policy of an integer attribute
/// validated by a function (NLA_VALIDATE_FUNCTION, e.g. a sparse enum) into an extended-ACK
/// error reply or a getpolicy dump. It is the kernel's code, not nlspec's, and it is fixed
/// upstream by 7.3; on 7.3 the same WARN is a failure like any other.
fn known_kernel_bug(kernel_version: &str, r: &Report) -> bool {
    kernel_version == "6.12"
        && r.detector == Detector::Kernel
        && r.title().contains("WARNING:")
        && r.title().contains(" at lib/nlattr.c:")
        && r.title().contains("nla_get_range_unsigned")
}

/// Every detector report in the console text of one boot of kernel `kernel_version` (see the
/// module comment for what the console holds), in order. Reports are what KASAN, lockdep, the
/// atomic-sleep check and kmemleak print, and any other kernel `WARNING:`, `BUG:`, `Oops`,
/// general protection fault, panic, `refcount_t:` warning or call trace; kmemleak's report file
/// lines and its failure line ([`KMEMLEAK_ERROR`]) too. The one known 6.12 kernel bug
/// (`known_kernel_bug`) is left out, once.
pub fn detector_reports(kernel_version: &str, console: &str) -> Vec<Report> {
    let mut reports = Vec::new();
    // The kernel-log dump, when complete: the index of its first line and of its end marker.
    let lines: Vec<&str> = console.lines().collect();
    let dump = lines
        .iter()
        .rposition(|l| l.trim_end() == KLOG_BEGIN)
        .and_then(|b| lines[b..].iter().position(|l| l.trim_end() == KLOG_END).map(|e| (b + 1, b + e)));
    let mut open: Option<Report> = None;
    let mut leak: Option<Report> = None;
    let mut section: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix(KMEMLEAK_PREFIX) {
            if rest.starts_with("unreferenced object") {
                reports.extend(leak.take());
                leak = Some(Report { detector: Detector::Kmemleak, section: None, lines: vec![rest.to_string()] });
            } else if let Some(r) = leak.as_mut().filter(|r| r.lines.len() < REPORT_LINES) {
                r.lines.push(rest.trim_end().to_string());
            }
            continue;
        }
        reports.extend(leak.take());
        if let Some(pos) = line.find(KMEMLEAK_ERROR) {
            let what = format!("{SCAN_FAILURE}{}", &line[pos + KMEMLEAK_ERROR.len()..]);
            reports.extend(open.take());
            reports.push(Report { detector: Detector::Kmemleak, section: None, lines: vec![what] });
            continue;
        }
        if dump.is_some_and(|(from, to)| i < from || i >= to) {
            continue; // a kernel line printed live: the dump has it too, in its place
        }
        let Some(text) = kernel_line(line) else { continue };
        if let Some(name) = text.strip_prefix(SECTION_PREFIX) {
            reports.extend(open.take());
            section = Some(name.trim().to_string());
            continue;
        }
        let kind = classify(text);
        match (open.as_mut(), kind) {
            (Some(r), None | Some((_, false))) => {
                r.lines.push(text.to_string());
                if ends_report(r.detector, text, r.lines.len()) {
                    reports.extend(open.take());
                }
            }
            (_, Some((detector, _))) => {
                reports.extend(open.take());
                open = Some(Report { detector, section: section.clone(), lines: vec![text.to_string()] });
            }
            (None, None) => {}
        }
    }
    reports.extend(open.take());
    reports.extend(leak.take());
    let mut tolerated = false;
    reports.retain(|r| {
        if !tolerated && known_kernel_bug(kernel_version, r) {
            tolerated = true;
            eprintln!("nlspec-vm: [{kernel_version}] tolerated the known 6.12 kernel WARN: {}", r.title());
            return false;
        }
        true
    });
    reports
}

/// The failure text for `reports` (empty: none).
pub fn describe(reports: &[Report]) -> String {
    let mut s = format!("{} detector report(s):", reports.len());
    for r in reports {
        s.push_str(&format!("\n  {r}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like a console of a 6.12 boot: boot lines live, a case line quoting a kernel
    /// line, the kmemleak report, then the kernel log again (duplicates).
    const CONSOLE: &str = "\
[    0.000000] Linux version 6.12.95
[    4.100000] Run /init as init process
nlspec-init: running /nlspec-cmd.sh (modules in /lib/modules)
[    5.100001] BUG: KASAN: slab-out-of-bounds in _RNvXCs_broken_oob+0x4a/0x90 [broken_oob]
[    5.100002] Read of size 1 at addr ffff888012345611 by task insmod/90
NLSPEC-CASE FAIL x: [    5.000000] WARNING: quoted by a case line, not a kernel line
nlspec-kmemleak: unreferenced object 0xffff888012345600 (size 32):
nlspec-kmemleak:   comm \"insmod\", pid 90, jiffies 4294672000
nlspec-kmemleak:   hex dump (first 32 bytes):
nlspec-kmemleak:     6e 6c 73 70 65 63 2d 6c 65 61 6b 2d 6d 61 72 6b  nlspec-leak-mark
nlspec-kmemleak:   backtrace (crc 0):
nlspec-kmemleak:     __kmalloc_node_track_caller_noprof+0x1d0/0x420
nlspec-init: kernel log follows
[    0.000000] Linux version 6.12.95
[    4.100000] Run /init as init process
[    5.000000] nlspec-section: broken_oob
[    5.100000] ==================================================================
[    5.100001] BUG: KASAN: slab-out-of-bounds in _RNvXCs_broken_oob+0x4a/0x90 [broken_oob]
[    5.100002] Read of size 1 at addr ffff888012345611 by task insmod/90
[    5.100003] Call Trace:
[    5.100004]  <TASK>
[    5.100005]  dump_stack_lvl+0x5d/0x80
[    5.100006]  </TASK>
[    5.100007] Allocated by task 90:
[    5.100008] ==================================================================
[    5.100009] Disabling lock debugging due to kernel taint
[    6.000000] nlspec-section: nlkv
[    6.100000] ------------[ cut here ]------------
[    6.100001] WARNING: CPU: 1 PID: 120 at lib/nlattr.c:114 nla_get_range_unsigned+0x1d4/0x1e0
[    6.100002] Call Trace:
[    6.100003]  </TASK>
[    6.100004] ---[ end trace 0000000000000000 ]---
[    7.000000] Call Trace:
[    7.000001]  <TASK>
[    7.000002]  </TASK>
nlspec-init: end of kernel log
NLSPEC-VM-DONE rc=0
";

    #[test]
    fn finds_each_report_once_with_its_section() {
        let r = detector_reports("7.3", CONSOLE);
        let got: Vec<(Detector, Option<&str>, &str)> =
            r.iter().map(|r| (r.detector, r.section.as_deref(), r.title())).collect();
        assert_eq!(
            got,
            [
                (Detector::Kmemleak, None, "unreferenced object 0xffff888012345600 (size 32):"),
                (
                    Detector::Kasan,
                    Some("broken_oob"),
                    "BUG: KASAN: slab-out-of-bounds in _RNvXCs_broken_oob+0x4a/0x90 [broken_oob]"
                ),
                (
                    Detector::Kernel,
                    Some("nlkv"),
                    "WARNING: CPU: 1 PID: 120 at lib/nlattr.c:114 nla_get_range_unsigned+0x1d4/0x1e0"
                ),
                (Detector::Kernel, Some("nlkv"), "Call Trace:"),
            ]
        );
        // KASAN's report runs to its closing banner; the leak keeps its hex dump.
        assert_eq!(r[1].lines.len(), 8);
        assert!(r[0].lines.iter().any(|l| l.contains("nlspec-leak-mark")));
    }

    #[test]
    fn the_nlattr_warn_is_tolerated_once_on_6_12_only() {
        let r = detector_reports("6.12", CONSOLE);
        assert_eq!(r.len(), 3);
        assert!(r.iter().all(|r| !r.title().contains("nla_get_range_unsigned")));
        let twice = CONSOLE.replace(
            "[    7.000000] Call Trace:",
            "[    7.000000] WARNING: CPU: 0 PID: 121 at lib/nlattr.c:114 nla_get_range_unsigned+0x1d4/0x1e0",
        );
        let r = detector_reports("6.12", &twice);
        assert_eq!(r.iter().filter(|r| r.title().contains("nla_get_range_unsigned")).count(), 1);
        // Another WARN in lib/nlattr.c is not the known one.
        let other = CONSOLE.replace("nla_get_range_unsigned", "nla_get_range_signed");
        assert_eq!(detector_reports("6.12", &other).len(), 4);
    }

    #[test]
    fn each_detector_is_named() {
        let console = "\
[    1.000000] WARNING: possible circular locking dependency detected
[    1.000001] insmod/85 is trying to acquire lock:
[    2.000000] BUG: sleeping function called from invalid context at mm/slub.c:4119
[    2.000001] in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 86, name: insmod
[    3.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000
[    4.000000] Oops: general protection fault, probably for non-canonical address
[    5.000000] kmemleak: Kernel memory leak detector disabled
[    6.000000] refcount_t: underflow; use-after-free.
[    7.000000] [ BUG: Invalid wait context ]
nlspec-kmemleak-error: writing scan to /sys/kernel/debug/kmemleak failed
";
        let kinds: Vec<Detector> = detector_reports("7.3", console).iter().map(|r| r.detector).collect();
        use Detector::*;
        assert_eq!(kinds, [Lockdep, AtomicSleep, Kernel, Kernel, Kmemleak, Kernel, Lockdep, Kmemleak]);
    }

    #[test]
    fn a_clean_console_has_no_report() {
        let console = "[    0.000000] Linux version 7.3.4\n[    1.5] x86/mm: Checked W+X mappings: passed, no W+X pages found.\nNLSPEC-CASE PASS no-kernel-warnings\nnlspec-kmemleak: \n";
        assert!(detector_reports("7.3", console).is_empty());
    }

    #[test]
    fn kernel_version_from_the_banner() {
        assert_eq!(kernel_version(CONSOLE).as_deref(), Some("6.12"));
        assert_eq!(kernel_version("[ 0.0] Linux version 7.3.0-rc1 (gcc)").as_deref(), Some("7.3"));
        assert_eq!(kernel_version("no banner here"), None);
        assert_eq!(kernel_version("Linux version x"), None);
    }

    #[test]
    fn a_kernel_without_kmemleak_is_a_scan_failure_not_a_leak() {
        let console = format!("{KMEMLEAK_ERROR}/sys/kernel/debug/kmemleak is missing\n");
        let reports = detector_reports("7.3", &console);
        assert_eq!(reports.len(), 1);
        assert!(reports[0].is_scan_failure());
        let leaks = detector_reports("6.12", CONSOLE);
        assert!(leaks.iter().any(|r| r.detector == Detector::Kmemleak));
        assert!(leaks.iter().all(|r| !r.is_scan_failure()));
    }
}

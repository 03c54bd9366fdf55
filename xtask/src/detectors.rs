//! The `detectors` suite of `cargo xtask vm-test` (case names `detectors/<case>`): the
//! deliberately broken modules of `kernel/broken/`, each of which makes one of the debug kernel's
//! detectors fire, loaded one after the other in one boot; each must cause its detector's report,
//! as read by [`detect::detector_reports`] (the scanner every VM suite uses), and nothing else may
//! report. So a clean run of the other suites means something.

use crate::detect::{self, detector_reports, Detector, Report, SECTION_PREFIX};
use crate::kernel::KernelDir;
use crate::kmod;
use crate::util::{note, Result};
use crate::vmtest::{self, CaseResult, Suite};
use std::time::{Duration, Instant};

/// The `detectors` suite for [`vmtest::run_suites`]: the modules of `kernel/broken/`, each of
/// which makes one detector fire, loaded one after the other in one boot.
pub const SUITE: Suite = Suite { name: "detectors", run: build_and_run_suite };

const MODULE_DIR: &str = "kernel/broken";

/// What `broken_leak` writes into the object it leaks (seen in kmemleak's hex dump).
const LEAK_MARKER: &str = "nlspec-leak";

/// One broken module and the report it must cause.
struct Trigger {
    module: &'static str,
    case: &'static str,
    detector: Detector,
    /// Text the report's title must contain (for kmemleak: any of its lines).
    expect: &'static str,
}

/// In load order. The leak goes first: on 7.3, 16 objects leaked after the lockdep, atomic-sleep
/// and KASAN reports were not reported by kmemleak at all (leaked first, all 16 are; on 6.12 both
/// orders work). Lockdep turns itself off after its first report, and a KASAN report taints
/// the kernel in a way that turns lockdep off too, so lockdep goes first; the atomic-sleep
/// check does not depend on lockdep; KASAN reports every bad access (`kasan_multi_shot` on the
/// command line); kmemleak's report comes from the scan after the script.
const TRIGGERS: &[Trigger] = &[
    Trigger {
        module: "broken_leak",
        case: "kmemleak-leaked-allocation",
        detector: Detector::Kmemleak,
        expect: LEAK_MARKER,
    },
    Trigger {
        module: "broken_lockdep",
        case: "lockdep-ab-ba-order",
        detector: Detector::Lockdep,
        expect: "possible circular locking dependency",
    },
    Trigger {
        module: "broken_sleep",
        case: "atomic-sleep-gfp-kernel-under-spinlock",
        detector: Detector::AtomicSleep,
        expect: "sleeping function called from invalid context",
    },
    Trigger {
        module: "broken_oob",
        case: "kasan-out-of-bounds-read",
        detector: Detector::Kasan,
        expect: "BUG: KASAN: slab-out-of-bounds",
    },
    Trigger {
        module: "broken_uaf",
        case: "kasan-use-after-free",
        detector: Detector::Kasan,
        expect: "BUG: KASAN: slab-use-after-free",
    },
];

/// The guest script: each module in its own section of the kernel log, loaded and unloaded.
fn guest_script() -> String {
    let mut s = String::from(
        "set -u\n\
         # Reports go to the kernel log, read back from the dump /init prints at the end.\n\
         dmesg -n 1\n",
    );
    for t in TRIGGERS {
        let m = t.module;
        s.push_str(&format!(
            "echo '{SECTION_PREFIX}{m}' > /dev/kmsg\n\
             if insmod /lib/modules/{m}.ko; then\n    \
                 if rmmod {m}; then echo 'NLSPEC-CASE PASS load-unload-{m}'; \
                 else echo 'NLSPEC-CASE FAIL load-unload-{m}: rmmod failed'; fi\n\
             else\n    \
                 echo 'NLSPEC-CASE FAIL load-unload-{m}: insmod failed'\n\
             fi\n"
        ));
    }
    s.push_str(&format!("echo '{SECTION_PREFIX}end' > /dev/kmsg\nexit 0\n"));
    s
}

/// Builds `kernel/broken` for `kd`, boots once, and checks that each trigger's report is there
/// (in its section; kmemleak's by the leaked object's contents) and that nothing else reported.
pub fn build_and_run_suite(kd: &KernelDir) -> Result<Vec<CaseResult>> {
    let v = kd.version.as_str();
    let t = Instant::now();
    let dir = vmtest::module_build_dir(MODULE_DIR, v)?;
    let kos = kmod::build(kd, &dir)?;
    note(format!("[detectors {v}] {} broken modules built in {:.1} s", kos.len(), t.elapsed().as_secs_f64()));
    let (mut cases, console) =
        vmtest::boot_guest(kd, "detectors", &kos, &[], &guest_script(), Duration::from_secs(300))?;
    let loaded: Vec<String> = TRIGGERS.iter().map(|t| format!("load-unload-{}", t.module)).collect();
    vmtest::require_cases(v, &mut cases, &loaded.iter().map(String::as_str).collect::<Vec<_>>());
    let reports = detector_reports(v, &console);
    cases.extend(check_triggers(v, &reports));
    Ok(cases)
}

/// One case per trigger, then `only-expected-reports`.
fn check_triggers(v: &str, reports: &[Report]) -> Vec<CaseResult> {
    let mut cases = Vec::new();
    let mut matched = vec![false; reports.len()];
    for t in TRIGGERS {
        let hit = reports.iter().position(|r| {
            r.detector == t.detector
                && if t.detector == Detector::Kmemleak {
                    r.lines.iter().any(|l| l.contains(t.expect))
                } else {
                    r.section.as_deref() == Some(t.module) && r.title().contains(t.expect)
                }
        });
        match hit {
            Some(i) => {
                // Every report of this detector in the trigger's section is the trigger's.
                for (j, r) in reports.iter().enumerate() {
                    let ours = if t.detector == Detector::Kmemleak {
                        r.lines.iter().any(|l| l.contains(t.expect))
                    } else {
                        r.section.as_deref() == Some(t.module)
                    };
                    if r.detector == t.detector && (ours || j == i) {
                        matched[j] = true;
                    }
                }
                cases.push(CaseResult::pass(v, &format!("{}: {}", t.case, reports[i].title())));
            }
            None => cases.push(CaseResult::fail(
                v,
                t.case,
                format!("{} loaded, but no {} report containing `{}`", t.module, t.detector, t.expect),
            )),
        }
    }
    let others: Vec<Report> = reports.iter().zip(&matched).filter(|(_, m)| !**m).map(|(r, _)| r.clone()).collect();
    if others.is_empty() {
        cases.push(CaseResult::pass(v, "only-expected-reports"));
    } else {
        cases.push(CaseResult::fail(v, "only-expected-reports", detect::describe(&others)));
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_match_their_own_sections_only() {
        let console = "\
[    1.000000] nlspec-section: broken_lockdep
[    1.100000] WARNING: possible circular locking dependency detected
[    2.000000] nlspec-section: broken_sleep
[    2.100000] BUG: sleeping function called from invalid context at mm/slub.c:4119
[    3.000000] nlspec-section: broken_oob
[    3.100000] BUG: KASAN: slab-use-after-free in x
[    4.000000] nlspec-section: broken_uaf
[    4.100000] BUG: KASAN: slab-use-after-free in y
nlspec-kmemleak: unreferenced object 0xffff888012345600 (size 32):
nlspec-kmemleak:     6e 6c 73 70 65 63 2d 6c 65 61 6b 2d 6d 61 72 6b  nlspec-leak-mark
";
        let cases = check_triggers("7.3", &detector_reports("7.3", console));
        let failed: Vec<&str> = cases.iter().filter(|c| c.failure.is_some()).map(|c| c.name.as_str()).collect();
        // The out-of-bounds module caused a use-after-free: its case fails, and the report is
        // not expected anywhere else.
        assert_eq!(failed, ["kasan-out-of-bounds-read", "only-expected-reports"]);
        assert_eq!(cases.len(), TRIGGERS.len() + 1);
    }

    #[test]
    fn guest_script_loads_every_module_in_order() {
        let s = guest_script();
        let pos: Vec<usize> =
            TRIGGERS.iter().map(|t| s.find(&format!("insmod /lib/modules/{}.ko", t.module)).unwrap()).collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]));
    }
}

//! The classic-netlink showcase suite of `cargo xtask vm-test` (case names `classic/<case>`):
//! the `nlbus` example module (`examples/nlbus-module`, handlers and a tick timer on the kernel
//! code generated from `specs/nlbus.yaml`, netlink protocol 25) and the static `nlbus-vmtest`
//! (the generated `nlspec-nlbus` client) in one boot of each kernel.

use std::time::{Duration, Instant};

use crate::kernel::KernelDir;
use crate::kmod;
use crate::util::{note, Result};
use crate::vmtest::{self, CaseResult, Suite};

/// The suite.
pub const SUITE: Suite = Suite { name: "classic", run };

/// Every case the guest must report.
const EXPECTED_CASES: &[&str] = &[
    "module-load",
    "echo",
    "echo-to-each-sender",
    "dump-spans-many-skbs",
    "broadcast-subscribed-vs-not",
    "user-to-user-unicast",
    "hooks-echo-pre-post",
    "hooks-list-start",
    "hooks-list-done",
    "dont-validate-dump",
    "policy-range",
    "policy-length",
    "policy-wrong-type",
    "policy-unknown-attribute",
    "policy-missing-attribute",
    "unknown-message-type",
    "message-too-short-for-header",
    "set-period-as-root",
    "netns-echo",
    "netns-broadcast",
    "unprivileged-is-nobody",
    "unprivileged-admin-op-eperm",
    "unprivileged-echo-allowed",
    "unprivileged-receives-broadcast",
    "unprivileged-user-to-user",
    "unprivileged",
    "userns-in-new-namespaces",
    "userns-admin-op-eperm",
    "userns-echo-in-own-netns",
    "userns",
    "rmmod-refused-while-sockets-open",
    "unload-after-sockets-closed",
    "protocol-gone-after-unload",
    "module-reload",
    "echo-after-reload",
    "final-unload",
    "no-kmemleak-reports",
    "no-kernel-warnings",
];

fn run(kd: &KernelDir) -> Result<Vec<CaseResult>> {
    let module_dir = vmtest::module_build_dir("examples/nlbus-module", &kd.version)?;
    let t = Instant::now();
    let kos = kmod::build(kd, &module_dir)?;
    note(format!("[{}] nlbus module built in {:.1} s", kd.version, t.elapsed().as_secs_f64()));
    let bin = crate::static_build::build("nlbus-vmtest", "nlbus-vmtest", false)?;
    let mut cases = vmtest::run_guest(kd, "classic", &kos, &[bin], GUEST_SCRIPT, Duration::from_secs(300))?;
    vmtest::require_cases(&kd.version, &mut cases, EXPECTED_CASES);
    Ok(cases)
}

/// Load, the suite, a socket held across a refused and then a real unload, reload, unload, and
/// the kernel's detectors (kmemleak, warnings, KASAN/lockdep reports) at the end.
const GUEST_SCRIPT: &str = r#"
set -u
pass() { echo "NLSPEC-CASE PASS $1"; }
fail() { echo "NLSPEC-CASE FAIL $1: $2"; }
loaded() { grep -q '^nlbus ' /proc/modules; }
wait_file() { i=0; while [ ! -e "$1" ]; do i=$((i+1)); [ $i -gt 600 ] && return 1; sleep 0.1; done; }
dmesg -n 1

if insmod /lib/modules/nlbus.ko && loaded; then pass module-load; else fail module-load "insmod failed"; exit 1; fi
dmesg | grep -q 'nlbus: protocol 25 created' || fail module-load-message "no creation message"

nlbus-vmtest suite; rc=$?
[ $rc -le 1 ] || fail suite-run "nlbus-vmtest suite died (rc=$rc)"
# The protocol exists in every network namespace (pernet operations), new ones included.
unshare -n nlbus-vmtest netns; rc=$?
[ $rc -le 1 ] || fail netns-run "unshare -n nlbus-vmtest netns failed (rc=$rc)"

D=/tmp/hold; rm -rf $D; mkdir -p $D
nlbus-vmtest hold $D & holder=$!
if wait_file $D/open; then
    # Every open socket of the protocol holds a reference on the module that created it
    # (netlink_create takes it): rmmod must refuse while one is open.
    if rmmod nlbus 2>/dev/null; then fail rmmod-refused-while-sockets-open "rmmod succeeded"
    elif loaded; then pass rmmod-refused-while-sockets-open
    else fail rmmod-refused-while-sockets-open "module gone"; fi
    touch $D/release
    wait_file $D/closed || fail unload-after-sockets-closed "holder did not close its socket"
    if rmmod nlbus && ! loaded; then pass unload-after-sockets-closed; else fail unload-after-sockets-closed "rmmod failed"; fi
    touch $D/unloaded
    wait_file $D/checked || fail protocol-gone-after-unload "holder did not check"
    if insmod /lib/modules/nlbus.ko && loaded; then pass module-reload; else fail module-reload "second insmod failed"; fi
    touch $D/reloaded
else
    fail rmmod-refused-while-sockets-open "holder never opened its socket"
    touch $D/release $D/unloaded $D/reloaded
fi
wait $holder; rc=$?
[ $rc -le 1 ] || fail hold-run "nlbus-vmtest hold died (rc=$rc)"
if rmmod nlbus && ! loaded; then pass final-unload; else fail final-unload "rmmod failed"; fi
dmesg | grep -q 'nlbus: unloading after' || fail unload-message "no unload message"
dmesg | grep 'nlbus:' | sed 's/^/# /' 

# kmemleak (when the kernel has it): objects allocated through the module and never freed.
mount -t debugfs none /sys/kernel/debug 2>/dev/null
K=/sys/kernel/debug/kmemleak
if [ -w $K ]; then
    echo scan > $K; sleep 3; echo scan > $K; sleep 1
    cat $K > /tmp/leaks.txt
    if grep -q -E 'nlbus|nlspec' /tmp/leaks.txt; then fail no-kmemleak-reports "$(grep -m 3 -E 'nlbus|nlspec' /tmp/leaks.txt | tr '\n' ' ')"
    else pass "no-kmemleak-reports ($(grep -c unreferenced /tmp/leaks.txt) unrelated objects reported)"; fi
else
    pass "no-kmemleak-reports (kernel without kmemleak)"
fi

dmesg | grep -E "WARNING|BUG:|Oops|Kernel panic|refcount_t|general protection|KASAN|possible recursive locking|circular locking|inconsistent lock state|sleeping function called" \
    | grep -v "at lib/nlattr.c:[0-9]* nla_get_range_unsigned" > /tmp/warn.txt
if [ -s /tmp/warn.txt ]; then fail no-kernel-warnings "$(head -n 3 /tmp/warn.txt | tr '\n' ' ')"; dmesg | tail -n 80
else pass no-kernel-warnings; fi
exit 0
"#;

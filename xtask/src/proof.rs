//! The kernel support layer's proof suite (`kernel/proof/`), one of the VM suites of
//! `cargo xtask vm-test` (case names `proof/<case>`) and on its own `cargo xtask proof`.
//!
//! For each kernel: the hand-written module `kernel/proof/module` (on `kernel/support/`) is built
//! with [`kmod::build`] in a per-kernel copy ([`vmtest::module_build_dir`]), the raw-netlink
//! client `kernel/proof/client` as a static binary, and [`GUEST_SCRIPT`] runs in one boot: load,
//! the client's suite, the registration-failure checks in dmesg, unload while another client
//! holds a subscribed socket, load again and rerun, unload, and no kernel warning. Every name of
//! [`EXPECTED_CASES`] must be reported.
//!
//! The client is in no workspace (its manifest has its own `[workspace]`): it is built by
//! manifest path ([`static_build::Crate::Manifest`]) rather than as a member, so the workspace's
//! `cargo test`, clippy and fmt gates stay about the userspace crates, and the client keeps
//! building with nothing but std (it declares the libc calls it needs).

use crate::kernel::KernelDir;
use crate::kmod;
use crate::static_build::{self, Crate};
use crate::util::{note, Result};
use crate::vmtest::{self, CaseResult, Suite};
use std::path::Path;
use std::time::{Duration, Instant};

/// The proof suite for [`vmtest::run_suites`].
pub const SUITE: Suite = Suite { name: "proof", run: build_and_run_suite };

/// The module source directory and the client's manifest, relative to the workspace root.
const MODULE_DIR: &str = "kernel/proof/module";
const CLIENT_MANIFEST: &str = "kernel/proof/client/Cargo.toml";

/// `cargo xtask proof [--kernel V]...`: the proof suite alone, in the given kernels (default:
/// all).
pub fn run(versions: &[String]) -> Result<i32> {
    crate::deps()?;
    let versions: Vec<&str> = if versions.is_empty() {
        crate::kernel::VERSIONS.to_vec()
    } else {
        versions.iter().map(String::as_str).collect()
    };
    vmtest::run_suites("proof", &versions, &[SUITE])
}

pub fn build_and_run_suite(kd: &KernelDir) -> Result<Vec<CaseResult>> {
    let v = kd.version.as_str();
    let t = Instant::now();
    let dir = vmtest::module_build_dir(MODULE_DIR, v)?;
    let kos = kmod::build(kd, &dir)?;
    note(format!("[proof {v}] module built in {:.1} s", t.elapsed().as_secs_f64()));
    let t = Instant::now();
    let client =
        static_build::build_crate(&Crate::Manifest(Path::new(CLIENT_MANIFEST)), "nlspecproof-client", &[], true)?;
    note(format!("[proof {v}] static nlspecproof-client ready in {:.1} s", t.elapsed().as_secs_f64()));
    let mut cases = vmtest::run_guest(kd, "proof", &kos, &[client], GUEST_SCRIPT, Duration::from_secs(600))?;
    vmtest::require_cases(v, &mut cases, EXPECTED_CASES);
    Ok(cases)
}

/// Every case the guest must report: the client's suite (46), the dmesg checks of the module's
/// init (2), the held client across an unload (3 from `hold`, 1 from the script), the reload,
/// the kernel log.
pub const EXPECTED_CASES: &[&str] = &[
    // nlspecproof-client
    "resolve",
    "mcast-group-listed",
    "subscribe",
    "do-echo",
    "reply-uint-width",
    "notify-subscribed",
    "notify-unsubscribed",
    "policy-range",
    "policy-string-len",
    "policy-u64-full-range",
    "policy-sparse-enum",
    "policy-reject",
    "policy-unknown-attr",
    "policy-wrong-length",
    "missing-attr-extack",
    "missing-in-nest-extack",
    "policy-all-kinds-accept",
    "policy-bitfield32-invalid-bits",
    "policy-binary-exact-len",
    "policy-flags-mask",
    "policy-s32-full-range",
    "policy-uint-max",
    "policy-sint-min",
    "policy-string-unterminated-max",
    "policy-binary-len-range",
    "policy-binary-min-len",
    "policy-flag-with-payload",
    "policy-nested-array-element",
    "getpolicy-matches-tables",
    "dump-500-recvbuf-32k",
    "dump-500-recvbuf-8k",
    "dump-request-attrs",
    "dump-entry-too-big-emsgsize",
    "dump-policy-checked",
    "admin-as-root",
    "pre-doit-refuses",
    "pre-post-doit-ran",
    "admin-unprivileged-eperm",
    "netnsok-false-init-netns",
    "netnsok-false-absent-in-new-netns",
    "ops-table-do",
    "ops-table-dont-validate-strict",
    "ops-table-family-policy",
    "ops-table-notify",
    "ops-table-dump",
    "concurrent-clients",
    "sock-priv-per-socket",
    "sock-priv-dump-shares",
    "sock-priv-destroyed-on-close",
    "sock-priv-wrong-type-einval",
    "raw-protocol-open",
    "raw-join-groups-as-root",
    "raw-echo-unicast-reply",
    "raw-broadcast-both-groups",
    "raw-policy-range",
    "raw-strict-unknown-attribute",
    "raw-missing-attribute",
    "raw-pre-post-doit",
    "raw-dump-start-and-entries",
    "raw-dump-done-at-end",
    "raw-dump-liberal",
    "raw-dump-done-on-close",
    "raw-admin-as-root-liberal",
    "raw-unprivileged",
    "raw-absent-in-new-netns",
    // the module's init, from dmesg
    "registration-failure-clean",
    "resv-start-op-checked",
    // nlspecproof-client hold, and the unload under it
    "hold-subscribed",
    "unload-while-socket-held",
    "hold-after-unload-enoent",
    "hold-ctrl-still-works",
    // second life, kernel log
    "reload-and-rerun",
    "no-kernel-warnings",
];

/// The guest side (was `kernel/proof/run.sh`): every step reports and the script goes on after a
/// failure, so one broken step does not hide the others (cases never reached are reported
/// missing by [`vmtest::require_cases`]).
pub const GUEST_SCRIPT: &str = r#"
set -u
pass() { echo "NLSPEC-CASE PASS $1"; }
fail() { echo "NLSPEC-CASE FAIL $1: $2"; }
loaded() { grep -q '^nlspecproof ' /proc/modules; }
wait_file() { i=0; while [ ! -e "$1" ]; do i=$((i+1)); [ $i -gt 600 ] && return 1; sleep 0.1; done; }
# Keep kernel messages off the console (they would interleave with the case lines); dmesg reads
# them below.
dmesg -n 1

insmod /lib/modules/nlspecproof.ko && loaded || { fail module-load "insmod failed"; exit 1; }
nlspecproof-client; rc=$?
[ $rc -le 1 ] || fail client-run "nlspecproof-client died (rc=$rc)"

# The module's init tries two registrations that must fail cleanly and logs how they did.
if dmesg | grep -q "duplicate family refused with errno -17, registered false"; then
    pass "registration-failure-clean: duplicate name -> EEXIST, guard not created"
else
    fail registration-failure-clean "no 'duplicate family refused with errno -17, registered false' in dmesg"
fi
if dmesg | grep -q "bad resv_start_op refused with errno -22"; then
    pass "resv-start-op-checked: DONT_VALIDATE op above resv_start_op -> EINVAL, no kernel WARN"
else
    fail resv-start-op-checked "no 'bad resv_start_op refused with errno -22' in dmesg"
fi

# Unload while a client holds a subscribed socket; the holder then checks its socket.
D=/tmp/hold; rm -rf $D; mkdir -p $D
nlspecproof-client hold $D & holder=$!
if wait_file $D/subscribed; then
    if rmmod nlspecproof && ! loaded; then pass unload-while-socket-held; else fail unload-while-socket-held "rmmod failed"; fi
else
    fail unload-while-socket-held "holder never subscribed"
fi
touch $D/unloaded
wait $holder; rc=$?
[ $rc -le 1 ] || fail hold-run "nlspecproof-client hold died (rc=$rc)"

# Second life: load again, rerun the whole client suite (its cases stay in a file), unload.
loaded && rmmod nlspecproof
if ! insmod /lib/modules/nlspecproof.ko; then
    fail reload-and-rerun "second insmod failed"
elif ! nlspecproof-client > /tmp/second-run.txt 2>&1; then
    fail reload-and-rerun "second client run: $(grep -v PASS /tmp/second-run.txt | sed 's/NLSPEC-CASE //' | head -n 5 | tr '\n' ' ')"
elif ! rmmod nlspecproof || loaded; then
    fail reload-and-rerun "second rmmod failed"
else
    pass reload-and-rerun
fi
loaded && rmmod nlspecproof

# Known kernel bug before the policy-dump fix (6.12 has it, 7.3 not): an nlctrl getpolicy dump of
# an integer attribute with NLA_VALIDATE_FUNCTION (sparse enum) reads the function pointer as
# s16 min/max and WARNs once in nla_get_range_unsigned. Upstream YNL C code does the same.
dmesg | grep -E "WARNING|BUG|Oops|Kernel panic|refcount_t|general protection" \
    | grep -v "at lib/nlattr.c:[0-9]* nla_get_range_unsigned" > /tmp/warn.txt
if [ -s /tmp/warn.txt ]; then fail no-kernel-warnings "$(head -n 3 /tmp/warn.txt | tr '\n' ' ')"; dmesg | tail -n 80
elif dmesg | grep -q "nla_get_range_unsigned"; then pass "no-kernel-warnings (known: getpolicy WARN for a validate-fn u32, fixed in later kernels)"
else pass no-kernel-warnings; fi
exit 0
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn seventy_three_distinct_cases() {
        let mut names = super::EXPECTED_CASES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), super::EXPECTED_CASES.len(), "a case is listed twice");
        // 58 Generic Netlink cases (4 of them per-socket state) and 15 of the classic section.
        assert_eq!(names.len(), 73);
    }
}

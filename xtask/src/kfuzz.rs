//! The in-kernel fuzzer (`kernel/fuzz`, the static `nlspec-kfuzz` guest binary) against
//! generated modules: the `kfuzz` suite of `cargo xtask vm-test` (a short pass) and
//! `cargo xtask vm-fuzz [--kernel V]... [--seconds N] [--only FAMILY] [--seed N]` (long runs).
//!
//! Per kernel: the nlkv example module (handlers on the generated nlkv code, as the nlkv suite
//! builds it) and the module of every upstream Generic Netlink spec of the kernel's own version
//! ([`kmod_corpus::build_upstream`]; each module takes half a minute to build on a busy
//! machine, so the other version's specs, mostly the same, are left to `kmod-corpus`), then one
//! boot running [`guest_script`] over each module: load (a family the kernel already has is
//! refused with EEXIST/EBUSY and skipped), fuzz for a bounded time, unload while another process
//! holds sockets (subscribed, a dump half-read) and a second fuzzer hammers the family, load
//! again and check every boundary case and op answers as the spec says, unload; after the script
//! /init scans kmemleak and dumps the kernel log, which the shared detector scanner reads (KASAN,
//! lockdep, atomic sleep, kmemleak, warnings, RCU stalls). Case names: `kfuzz/<family>-load`,
//! `-fuzz`, `-unload`, `-hold`, `-after-reload`, and `kernel-detectors`.
//! The short pass gives corpus modules a quick cycle (load, fuzz, unload) to stay near a minute
//! per kernel under TCG + KASAN; nlkv and vm-fuzz get the whole one.

use crate::kernel::{self, KernelDir};
use crate::kmod;
use crate::kmod_corpus;
use crate::util::{self, note, Result};
use crate::vmtest::{self, CaseResult, Suite};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The short pass for `vm-test`.
pub const SUITE: Suite = Suite { name: "kfuzz", run: short_pass };

/// What one boot fuzzes, and for how long.
struct Plan<'a> {
    /// Seconds of fuzzing for nlkv and for each corpus family.
    nlkv_seconds: u64,
    corpus_seconds: u64,
    /// Seconds the second fuzzer hammers the family while it is unloaded.
    hammer_seconds: u64,
    /// Corpus modules get the whole cycle (unload under load, reload, check); else fuzz and
    /// unload only (nlkv always gets the whole cycle).
    corpus_full: bool,
    /// linux-source versions whose specs make the corpus.
    sources: Vec<&'a str>,
    only: Option<&'a str>,
    seed: u64,
}

fn short_pass(kd: &KernelDir) -> Result<Vec<CaseResult>> {
    let plan = Plan {
        nlkv_seconds: 8,
        corpus_seconds: 1,
        hammer_seconds: 2,
        corpus_full: false,
        sources: vec![kd.version.as_str()],
        only: None,
        seed: seed_now(),
    };
    run_plan(kd, &plan)
}

fn seed_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
}

/// `cargo xtask vm-fuzz`: long runs, `seconds` per family, in each kernel of `versions`.
pub fn vm_fuzz(versions: &[String], seconds: u64, only: Option<&str>, seed: Option<u64>) -> Result<i32> {
    crate::deps()?;
    let versions: Vec<&str> =
        if versions.is_empty() { kernel::VERSIONS.to_vec() } else { versions.iter().map(String::as_str).collect() };
    let seed = seed.unwrap_or_else(seed_now);
    note(format!("vm-fuzz: seed {seed:#x} (replay: --seed {seed:#x}), {seconds} s per family"));
    // `Suite::run` is a plain fn: the options reach it through LONG, set once per process
    let _ = LONG.set((seconds, only.map(str::to_string), seed));
    let suite = Suite { name: "kfuzz", run: long_pass };
    vmtest::run_suites("vm-fuzz", &versions, &[suite])
}

/// vm-fuzz's options (seconds per family, only, seed) for [`long_pass`].
static LONG: std::sync::OnceLock<(u64, Option<String>, u64)> = std::sync::OnceLock::new();

fn long_pass(kd: &KernelDir) -> Result<Vec<CaseResult>> {
    let (seconds, only, seed) = LONG.get().cloned().unwrap_or((60, None, 1));
    let plan = Plan {
        nlkv_seconds: seconds,
        corpus_seconds: seconds,
        hammer_seconds: 3,
        corpus_full: true,
        sources: vec![kd.version.as_str()],
        only: only.as_deref(),
        seed,
    };
    run_plan(kd, &plan)
}

/// One module for the guest.
struct Module {
    /// Case prefix: the family's name (`nlkv`, `netdev`, `7.3-netdev` when both versions').
    name: String,
    /// Module name for rmmod / /proc/modules.
    modname: String,
    /// File name in the guest's module directory.
    file: String,
    spec_text: String,
}

/// Generic Netlink families the test kernels build in (`xtask/kconfig/nlspec.config`): their
/// modules are fuzzed under a renamed family, since the kernel refuses a second family of the
/// same name (`net-shaper` and `psp` only on 7.x; renaming a family a kernel does not have is
/// harmless).
const BUILT_IN: &[&str] =
    &["nlctrl", "netdev", "ethtool", "mptcp_pm", "fou", "tcp_metrics", "team", "devlink", "net-shaper", "psp"];

fn run_plan(kd: &KernelDir, plan: &Plan<'_>) -> Result<Vec<CaseResult>> {
    let v = kd.version.as_str();
    let root = util::workspace_root();
    let t = Instant::now();
    let mut modules = Vec::new();
    let mut kos = Vec::new();
    let mut cases = Vec::new();
    let stage = root.join(format!("target/kfuzz/guest-{v}"));
    let _ = std::fs::remove_dir_all(&stage);
    util::mkdir_p(&stage)?;
    let mut add = |name: String, ko: &Path, spec: &Path, kos: &mut Vec<PathBuf>| -> Result<()> {
        let modname = ko.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let file = format!("k{}_{modname}.ko", kos.len());
        std::fs::copy(ko, stage.join(&file)).map_err(|e| crate::err!("copying {}: {e}", ko.display()))?;
        kos.push(stage.join(&file));
        let spec_text =
            String::from_utf8(util::read(spec)?).map_err(|_| crate::err!("{} is not UTF-8", spec.display()))?;
        modules.push(Module { name, modname, file, spec_text });
        Ok(())
    };
    if plan.only.is_none_or(|o| o == "nlkv") {
        let dir = vmtest::module_build_dir("examples/nlkv-module", v)?;
        let ko = kmod::build(kd, &dir)?.into_iter().next().ok_or_else(|| crate::err!("nlkv: no .ko built"))?;
        add("nlkv".into(), &ko, &root.join("specs/nlkv.yaml"), &mut kos)?;
    }
    let work = kmod_corpus::corpus_work(v);
    let (built, failed) = match plan.only {
        Some("nlkv") => (Vec::new(), Vec::new()),
        only => kmod_corpus::build_upstream(kd, &plan.sources, &work, only)?,
    };
    for (label, e) in failed {
        cases.push(CaseResult::fail(v, &format!("build {label}"), util::tail(&e, 5)));
    }
    let both = plan.sources.len() > 1;
    for b in &built {
        // netlink-raw families have modules too, on their own protocols: not this fuzzer's
        let text = String::from_utf8(util::read(&b.spec)?).unwrap_or_default();
        if kmod_corpus::protocol_of(&text) == "netlink-raw" {
            continue;
        }
        let file = b.label.rsplit('/').next().unwrap_or(&b.label).trim_end_matches(".yaml").to_string();
        let name = if both { format!("{}-{file}", b.label.split('/').next().unwrap_or("")) } else { file };
        match kmod_corpus::spec_name(&text).filter(|f| BUILT_IN.contains(&f.as_str())) {
            // The kernel has this family: fuzz the module under a renamed one (`x<name>`).
            Some(fam) => match kmod_corpus::build_renamed(kd, &work, &b.label, &text) {
                Ok((spec, ko)) => add(name, &ko, &spec, &mut kos)?,
                Err(e) => cases.push(CaseResult::fail(v, &format!("build x{fam}"), util::tail(&e.to_string(), 5))),
            },
            None => add(name, &b.ko, &b.spec, &mut kos)?,
        }
    }
    note(format!("[kfuzz {v}] {} modules built in {:.1} s", modules.len(), t.elapsed().as_secs_f64()));
    let bin = crate::static_build::build("nlspec-kfuzz", "nlspec-kfuzz", true)?;
    let script = guest_script(&modules, plan);
    // TCG + KASAN on a busy 2-core machine: boot alone can take a minute
    let cycle = plan.hammer_seconds + 60;
    let per: u64 = modules
        .iter()
        .map(|m| match (m.name == "nlkv", plan.corpus_full) {
            (true, _) => plan.nlkv_seconds + cycle,
            (false, true) => plan.corpus_seconds + cycle,
            (false, false) => plan.corpus_seconds + 20,
        })
        .sum();
    let timeout = Duration::from_secs(600 + per * 4);
    let mut got = vmtest::run_guest(kd, "kfuzz", &kos, &[bin], &script, timeout)?;
    cases.append(&mut got);
    let mut expected: Vec<String> = vec!["kernel-detectors".into()];
    for m in &modules {
        expected.push(format!("{}-load", m.name));
    }
    if modules.iter().any(|m| m.name == "nlkv") {
        for c in ["fuzz", "hold", "unload", "after-reload"] {
            expected.push(format!("nlkv-{c}"));
        }
    }
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    vmtest::require_cases(v, &mut cases, &expected);
    Ok(cases)
}

/// The guest side: the specs written to /tmp/kfuzz, then [`GUEST_FUNCTIONS`]' `fuzz_module` per
/// module.
fn guest_script(modules: &[Module], plan: &Plan<'_>) -> String {
    let mut s = String::from(GUEST_FUNCTIONS);
    let _ = writeln!(s, "SEED={:#x}; HAMMER={}", plan.seed, plan.hammer_seconds);
    for (i, m) in modules.iter().enumerate() {
        let _ =
            writeln!(s, "cat > /tmp/kfuzz/{i}.yaml <<'NLSPEC_KFUZZ_SPEC_END'\n{}\nNLSPEC_KFUZZ_SPEC_END", m.spec_text);
        let (secs, full) = match m.name == "nlkv" {
            true => (plan.nlkv_seconds, true),
            false => (plan.corpus_seconds, plan.corpus_full),
        };
        let cycle = if full { "full" } else { "quick" };
        let _ = writeln!(s, "fuzz_module {} {} {} /tmp/kfuzz/{i}.yaml {secs} {cycle}", m.name, m.modname, m.file);
    }
    s.push_str(GUEST_END);
    s
}

const GUEST_FUNCTIONS: &str = r#"
set -u
pass() { echo "NLSPEC-CASE PASS $1"; }
fail() { echo "NLSPEC-CASE FAIL $1: $2"; }
loaded() { grep -q "^$1 " /proc/modules; }
wait_file() { i=0; while [ ! -e "$1" ]; do i=$((i+1)); [ $i -gt 1200 ] && return 1; sleep 0.1; done; }
dmesg -n 1
mkdir -p /tmp/kfuzz

# fuzz_module NAME MODNAME FILE SPEC SECONDS full|quick
fuzz_module() {
    name=$1; mod=$2; ko=/lib/modules/$3; spec=$4; secs=$5; cycle=$6
    if ! out=$(insmod $ko 2>&1); then
        case "$out" in
            *"File exists"*|*"Device or resource busy"*) pass "$name-load (skipped: the kernel has this family)"; return;;
        esac
        fail $name-load "insmod: $out"; return
    fi
    pass $name-load
    nlspec-kfuzz fuzz --spec $spec --seconds $secs --seed $SEED --case $name-fuzz > /tmp/kfuzz/$name.txt 2>&1
    grep -v '^NLSPEC-CASE' /tmp/kfuzz/$name.txt | grep -E 'total|FAILURE|seed' | head -n 20
    grep '^NLSPEC-CASE' /tmp/kfuzz/$name.txt
    grep -q '^NLSPEC-CASE' /tmp/kfuzz/$name.txt || fail $name-fuzz "nlspec-kfuzz died: $(tail -n 3 /tmp/kfuzz/$name.txt | tr '\n' ' ')"
    if [ $cycle = quick ]; then
        if rmmod $mod && ! loaded $mod; then pass $name-unload; else fail $name-unload "rmmod after fuzzing failed"; fi
        return
    fi

    # unload while another process holds sockets and a second fuzzer hammers the family
    D=/tmp/kfuzz/hold-$name; mkdir -p $D
    nlspec-kfuzz hold --spec $spec --dir $D --case $name-hold & holder=$!
    wait_file $D/held || fail $name-hold "holder never got ready"
    nlspec-kfuzz fuzz --spec $spec --seconds $HAMMER --seed $SEED --gone-ok > /tmp/kfuzz/$name-hammer.txt 2>&1 & hammer=$!
    sleep 0.5
    if rmmod $mod 2>/tmp/kfuzz/rmmod.txt; then first="unloaded under load"
    elif loaded $mod; then first="refused while in use ($(cat /tmp/kfuzz/rmmod.txt | tr '\n' ' '))"
    else first="rmmod failed yet the module is gone"; fi
    touch $D/release; wait_file $D/released || fail $name-hold "holder did not finish its dump"
    wait $hammer; hrc=$?
    [ $hrc -le 1 ] || fail $name-hammer "nlspec-kfuzz (hammer) died rc=$hrc: $(tail -n 3 /tmp/kfuzz/$name-hammer.txt | tr '\n' ' ')"
    if loaded $mod; then rmmod $mod 2>/tmp/kfuzz/rmmod.txt; fi
    if loaded $mod; then fail $name-unload "still loaded after the holders let go: $(cat /tmp/kfuzz/rmmod.txt)"
    else pass "$name-unload ($first)"; fi
    touch $D/unloaded
    wait $holder

    # the module still answers as the spec says
    echo "kfuzz: $name: loading again"
    if insmod $ko; then
        echo "kfuzz: $name: loaded again, checking"
        nlspec-kfuzz check --spec $spec --seed $SEED --case $name-after-reload 2>&1 | grep -v ' op \| boundary\| valid:'
        rmmod $mod || fail $name-after-reload "final rmmod failed"
    else
        fail $name-after-reload "second insmod failed"
    fi
}
"#;

/// The end of the script: kmemleak and the kernel log are read by vm.rs's /init after it, and
/// scanned by the suites' shared detector scanner (`kernel-detectors` case of
/// [`vmtest::run_guest`]).
const GUEST_END: &str = r#"
exit 0
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_writes_each_spec_and_fuzzes_each_module() {
        let m = |n: &str| Module {
            name: n.into(),
            modname: n.into(),
            file: format!("{n}.ko"),
            spec_text: "name: x\n".into(),
        };
        let plan = Plan {
            nlkv_seconds: 5,
            corpus_seconds: 1,
            hammer_seconds: 1,
            corpus_full: false,
            sources: vec![],
            only: None,
            seed: 9,
        };
        let s = guest_script(&[m("nlkv"), m("netdev")], &plan);
        assert!(s.contains("fuzz_module nlkv nlkv nlkv.ko /tmp/kfuzz/0.yaml 5 full"));
        assert!(s.contains("fuzz_module netdev netdev netdev.ko /tmp/kfuzz/1.yaml 1 quick"));
        assert!(s.contains("SEED=0x9"));
        assert_eq!(s.matches("NLSPEC_KFUZZ_SPEC_END").count(), 4);
    }
}

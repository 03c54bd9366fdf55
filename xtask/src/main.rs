//! nlspec's task runner: `cargo xtask <task>`. See `cargo xtask help`.
//!
//! Each task is one arm in [`main`]'s match and one `cmd_*` function that parses its options.

mod args;
mod classic;
mod cycles;
use nlspec_vm::detect;
mod detectors;
mod fuzz;
mod genbench;
mod generate;
mod intree_corpus;
mod kernel;
mod kfuzz;
mod kmod;
mod kmod_corpus;
mod lint;
mod package;
mod parity;
mod proof;
mod series;
mod smoke;
mod static_build;
mod tidy;
mod util;
mod vm;
mod vmtest;

use args::Args;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use util::Result;

const HELP: &str = "\
usage: cargo xtask <task> [options]

tasks:
  generate [--check]                   write generated/ from specs/ (client crates); --check
                                       writes nothing and fails listing drifted files
  gen-bench [--source V] [--runs N]    nlspec gen vs ynl_gen_c.py timings, genetlink specs of V (7.3)
  fmt-check                            cargo fmt --all --check (the root rustfmt.toml)
  clippy                               cargo clippy --workspace --all-targets --all-features
                                       -- -D warnings, and the same for the proof suite's
                                       client (kernel/proof/client, outside the workspace)
  rustdoc                              cargo doc --workspace --no-deps --all-features with
                                       rustdoc's warnings as errors (docs.rs's build)
  tidy                                 source rules (xtask/src/tidy.rs): `unsafe` only in
                                       runtime/src/{sys,tokio_socket}.rs and kernel/; every .rs
                                       file starts with a comment saying what it holds; no path
                                       of one machine in any file
  deps                                 install system dependencies (xtask/scripts/install-deps.sh)
  kernel --version V [--print-kdir]    build (or reuse) a Rust-enabled kernel V (6.12, 7.3) under
                                       ~/.cache/nlspec/kernels; prints its build dir (KDIR)
  kmod-build --kernel V --dir DIR      build the out-of-tree module in DIR against kernel V;
                                       prints the .ko path(s)
  kmod-corpus --kernel V [--boot] [--keep] [--only NAME]
                                       generate a module for every genetlink spec of
                                       linux-source-6.12/7.3's Documentation/netlink/specs and
                                       build each against kernel V; N of M per protocol;
                                       --boot: load and unload each in a VM of kernel V
  intree-corpus --kernel V [--only NAME]
                                       the in-tree driver directory of every genetlink spec of
                                       linux-source-6.12/7.3 (and specs/) built on kernel V with
                                       the genetlink series, CLIPPY=1, warning-free
  policy-parity --kernel V             nlspec's policies against ynl-gen-c's in kernel V: every
                                       built-in family with a spec, its module loaded under a
                                       renamed family, both read back with nlctrl getpolicy and
                                       getfamily and compared; N of M identical
  series --kernel V                    the kernel::net::genetlink patch series (kernel/patches/V):
                                       applies exactly to pristine linux-source-V, CLIPPY=1
                                       build warning-free, make rustfmtcheck, make rustdoc,
                                       KUnit + doctests pass in the booted kernel
  build-static (-p CRATE | --manifest-path TOML) --bin NAME [--features F,..] [--release]
                                       build a statically linked binary; prints its path
  vm-run --kernel V [--ko FILE]... [--bin FILE]... [--timeout S] -- COMMAND...
                                       boot kernel V in qemu (TCG; NLSPEC_KVM=1 for KVM) with the
                                       modules in /lib/modules and binaries in /bin, run COMMAND
                                       as root; exit code = COMMAND's; 124 on timeout,
                                       125 if the guest died without finishing (panic),
                                       123 if COMMAND exited 0 but a detector reported
  vm-test                              deps, both kernels, the suites in each (nlkv against
                                       its out-of-tree and its in-tree build, proof,
                                       classic, kfuzz: a short in-guest fuzzing pass,
                                       detectors); PASS/FAIL per case; any KASAN, lockdep,
                                       atomic-sleep, kmemleak or kernel-warning report fails
  vm-fuzz [--kernel V]... [--seconds N] [--only FAMILY] [--seed N]
                                       the in-guest fuzzer (kernel/fuzz) against the nlkv module
                                       and every upstream genetlink spec's module, N s (60) each,
                                       unload under load, reload; counts per family and op
  proof [--kernel V]...                the kernel support layer's proof suite (kernel/proof) alone,
                                       in kernel V (default: both); PASS/FAIL per case
  vm-smoke                             VM infrastructure self-test: hello module + guest smoke
                                       binary in both kernels
  package-check                        cargo publish --dry-run of every published crate, cargo
                                       install of the CLI, and a generated client built outside
                                       the workspace on the packaged nlspec-rt (live nlctrl dump)
  fuzz [--target T] [--seeds]          build the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer +
                                       ASan) and run each for NLSPEC_FUZZ_SECONDS (default 10)
                                       or NLSPEC_FUZZ_RUNS executions, whichever comes first;
                                       fails on any crash, leak, OOM or timeout; execs and
                                       coverage per target. --seeds: re-record the seed corpora
                                       and dictionaries from live traffic (FUZZING.md)
  test                                 deps, generate --check, fmt-check, clippy, tidy,
                                       cargo test --workspace, package-check, fuzz (short pass),
                                       vm-smoke, vm-test, kmod-corpus, policy-parity, series
                                       (the README's test command; CI runs it)

environment: NLSPEC_KVM=1 boots with KVM instead of TCG; NLSPEC_VM_VERBOSE=1 makes vm-test
stream the guest console to stderr (it is always saved to target/vm-test/<suite>-<kernel>.log);
NLSPEC_VM_KERNELS=6.12 limits vm-test to some kernels, NLSPEC_VM_SUITES=nlkv,detectors to some
suites.
";

/// The suites `vm-test` runs in each kernel.
const VM_SUITES: &[vmtest::Suite] = &[vmtest::NLKV, proof::SUITE, classic::SUITE, kfuzz::SUITE, detectors::SUITE];

fn main() {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        eprint!("{HELP}");
        std::process::exit(2);
    }
    let task = argv.remove(0);
    let args = Args::new(argv);
    let result: Result<i32> = match task.as_str() {
        "generate" => {
            let mut a = args;
            let check = a.flag("--check");
            a.finish().and_then(|()| generate::generate(check))
        }
        "gen-bench" => genbench::cmd(args),
        "fmt-check" => args.finish().and_then(|()| lint::fmt_check()),
        "clippy" => args.finish().and_then(|()| lint::clippy()),
        "rustdoc" => args.finish().and_then(|()| lint::rustdoc()),
        "tidy" => args.finish().and_then(|()| tidy::tidy()),
        "deps" => args.finish().and_then(|()| deps().map(|()| 0)),
        "kernel" => cmd_kernel(args),
        "kmod-build" => cmd_kmod_build(args),
        "kmod-corpus" => (|mut a: Args| {
            let v = a.required("--kernel")?;
            let keep = a.flag("--keep");
            let boot = a.flag("--boot");
            let only = a.opt("--only")?;
            a.finish()?;
            kmod_corpus::run(&v, keep, boot, only.as_deref())
        })(args),
        "intree-corpus" => (|mut a: Args| {
            let v = a.required("--kernel")?;
            let only = a.opt("--only")?;
            a.finish()?;
            intree_corpus::run(&v, only.as_deref())
        })(args),
        "policy-parity" => (|mut a: Args| {
            let v = a.required("--kernel")?;
            a.finish()?;
            parity::run(&v)
        })(args),
        "series" => (|mut a: Args| {
            let v = a.required("--kernel")?;
            a.finish()?;
            series::run(&v)
        })(args),
        "build-static" => cmd_build_static(args),
        "vm-run" => cmd_vm_run(args),
        "vm-test" => args.finish().and_then(|()| vmtest::vm_test(VM_SUITES)),
        "vm-fuzz" => (|mut a: Args| {
            let versions = a.values("--kernel")?;
            let num = |k: &str, v: Option<String>| -> Result<Option<u64>> {
                v.map(|v| {
                    let (d, radix) = v.strip_prefix("0x").map_or((v.as_str(), 10), |h| (h, 16));
                    u64::from_str_radix(d, radix).map_err(|_| err!("{k} wants a number, got `{v}`"))
                })
                .transpose()
            };
            let seconds = num("--seconds", a.opt("--seconds")?)?.unwrap_or(60);
            let seed = num("--seed", a.opt("--seed")?)?;
            let only = a.opt("--only")?;
            a.finish()?;
            kfuzz::vm_fuzz(&versions, seconds, only.as_deref(), seed)
        })(args),
        "vm-smoke" => args.finish().and_then(|()| smoke::vm_smoke()),
        "package-check" => args.finish().and_then(|()| package::package_check()),
        "proof" => (|mut a: Args| {
            let versions = a.values("--kernel")?;
            a.finish()?;
            proof::run(&versions)
        })(args),
        "fuzz" => (|mut a: Args| {
            let target = a.opt("--target")?;
            let seeds = a.flag("--seeds");
            a.finish()?;
            fuzz::fuzz(target, seeds)
        })(args),
        "test" => args.finish().and_then(|()| cmd_test()),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(0)
        }
        other => Err(err!("unknown task `{other}`\n{HELP}")),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("xtask {task}: error: {e}");
            std::process::exit(1);
        }
    }
}

/// Runs `xtask/scripts/install-deps.sh` (idempotent; quick when everything is there).
pub fn deps() -> Result<()> {
    let script = util::workspace_root().join("xtask/scripts/install-deps.sh");
    util::run_live(Command::new("bash").arg(&script))
}

fn cmd_kernel(mut a: Args) -> Result<i32> {
    let version = a.required("--version")?;
    // KDIR is the only thing printed on stdout either way; progress goes to stderr.
    let _print_kdir = a.flag("--print-kdir");
    a.finish()?;
    let kd = kernel::ensure(&version)?;
    println!("{}", kd.kdir.display());
    Ok(0)
}

fn cmd_kmod_build(mut a: Args) -> Result<i32> {
    let version = a.required("--kernel")?;
    let dir = PathBuf::from(a.required("--dir")?);
    a.finish()?;
    let kd = kernel::ensure(&version)?;
    for ko in kmod::build(&kd, &dir)? {
        println!("{}", ko.display());
    }
    Ok(0)
}

fn cmd_build_static(mut a: Args) -> Result<i32> {
    let package = match a.opt("-p")? {
        Some(p) => Some(p),
        None => a.opt("--package")?,
    };
    let manifest = a.opt("--manifest-path")?.map(PathBuf::from);
    let bin = a.required("--bin")?;
    let features = a.opt("--features")?.unwrap_or_default();
    let features: Vec<&str> = features.split(',').filter(|f| !f.is_empty()).collect();
    let release = a.flag("--release");
    a.finish()?;
    let krate = match (&package, &manifest) {
        (Some(p), None) => static_build::Crate::Package(p),
        (None, Some(m)) => static_build::Crate::Manifest(m),
        _ => return Err(err!("build-static wants one of -p CRATE and --manifest-path TOML")),
    };
    println!("{}", static_build::build_crate(&krate, &bin, &features, release)?.display());
    Ok(0)
}

fn cmd_vm_run(mut a: Args) -> Result<i32> {
    let version = a.required("--kernel")?;
    let kos = a.values("--ko")?.into_iter().map(PathBuf::from).collect();
    let bins = a.values("--bin")?.into_iter().map(PathBuf::from).collect();
    let timeout = match a.opt("--timeout")? {
        Some(t) => t.parse::<u64>().map_err(|_| err!("--timeout wants whole seconds, got `{t}`"))?,
        None => 120,
    };
    a.finish()?;
    if a.rest.is_empty() {
        return Err(err!("no guest command given; usage: vm-run --kernel V ... -- COMMAND"));
    }
    let kd = kernel::ensure(&version)?;
    let spec = vm::VmSpec {
        bzimage: kd.bzimage(),
        kos,
        bins,
        command: vm::command_from_words(&a.rest),
        timeout: Duration::from_secs(timeout),
    };
    vm::run_cli(&spec, &kd.version)
}

/// The README's test command: the drift check and the source gates (fmt-check, clippy, rustdoc, tidy),
/// unit/integration tests, then the VM stages. Stops after a failed drift check, failed source
/// gates (all four run first) or failed tests; the VM stages all run and are listed at the end.
fn cmd_test() -> Result<i32> {
    // A fresh machine has none of the kernel sources, toolchain or qemu: install them first
    // (idempotent, quick when present), so this one command is all the README needs.
    deps()?;
    // generated/ must match specs/ (CI fails on drift).
    if generate::generate(true)? != 0 {
        return Err(err!("generated/ drifted from specs/: run `cargo xtask generate` and commit"));
    }
    // The source gates: all four run, then every failing one is named.
    type Gate = fn() -> Result<i32>;
    let gates: [(&str, Gate); 4] =
        [("fmt-check", lint::fmt_check), ("clippy", lint::clippy), ("rustdoc", lint::rustdoc), ("tidy", tidy::tidy)];
    let mut failed_gates = Vec::new();
    for (name, gate) in gates {
        if gate()? != 0 {
            failed_gates.push(name);
        }
    }
    if !failed_gates.is_empty() {
        let names = failed_gates.join(", ");
        return Err(err!("source gate(s) failed: {names} (see above; rerun one with `cargo xtask <gate>`)"));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // --all-features: the tokio clients and runtime have their own live-kernel tests.
    util::run_live(Command::new(cargo).current_dir(util::workspace_root()).args([
        "test",
        "--workspace",
        "--all-features",
        "--no-fail-fast",
    ]))?;
    // The crates as a stranger gets them: packaged, installed, and a generated client built
    // outside this workspace on the packaged runtime.
    if package::package_check()? != 0 {
        return Err(err!("package-check failed"));
    }
    // The VM infrastructure on its own first, so a broken kernel/qemu setup is named as such;
    // the later stages run either way, and every failure is listed at the end.
    let mut failed = Vec::new();
    // Every fuzz target for a short while (NLSPEC_FUZZ_SECONDS each; FUZZING.md has the long run).
    if fuzz::fuzz(None, false)? != 0 {
        failed.push("fuzz");
    }
    if smoke::vm_smoke()? != 0 {
        failed.push("vm-smoke");
    }
    if vmtest::vm_test(VM_SUITES)? != 0 {
        failed.push("vm-test");
    }
    // Issue 3's corpus criterion: a module generated from every upstream genetlink* spec builds
    // against 6.12 and loads and unloads in a booted 6.12.
    if kmod_corpus::run("6.12", false, true, None)? != 0 {
        failed.push("kmod-corpus 6.12");
    }
    // Every upstream Generic Netlink spec's driver built in a 7.3 tree with the series, with
    // CLIPPY=1: the family files are held to the kernel's clippy, with no lint group allowed.
    if intree_corpus::run("7.3", None)? != 0 {
        failed.push("intree-corpus 7.3");
    }
    // nlspec's policies against ynl-gen-c's, in each kernel (explained differences listed).
    for (v, gate) in [("6.12", "policy-parity 6.12"), ("7.3", "policy-parity 7.3")] {
        if parity::run(v)? != 0 {
            failed.push(gate);
        }
    }
    // The kernel::net::genetlink patch series, checked as a submission (kernel/patches).
    for (v, gate) in [("6.12", "series 6.12"), ("7.3", "series 7.3")] {
        if series::run(v)? != 0 {
            failed.push(gate);
        }
    }
    if !failed.is_empty() {
        return Err(err!("{} failed (see the FAIL lines above)", failed.join(", ")));
    }
    Ok(0)
}

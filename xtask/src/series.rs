//! `cargo xtask series --kernel V`: the `kernel::net::genetlink` patch series
//! (`kernel/patches/V`) checked the way a Rust-for-Linux maintainer would check a submission:
//!
//! 1. it applies exactly (no fuzz, no offset) to the pristine files of Debian's linux-source-V;
//! 2. the kernel's Rust builds with `CLIPPY=1` without a warning in a file the series touches
//!    (the test kernel is built that way with the series applied, `kernel.rs`; the warnings are
//!    read back from its build log, and that log must show clippy ran on the `kernel` crate);
//! 3. `make rustfmtcheck` passes;
//! 4. `make rustdoc` passes without a warning in the series' files, and documents
//!    `kernel::net::genetlink`;
//! 5. booted with KUnit on (`kunit.enable=1`; every other boot leaves it off), the kernel
//!    crate's doctests (the series' rustdoc examples among them) and, where the series has one,
//!    its `#[kunit_tests]` suite pass, with no `not ok` and no detector report;
//! 6. a module written on the series alone (`kernel/patches/sample/genl_sample.rs`: no support
//!    layer, no bindgen of its own, one source for both kernels) builds with `CLIPPY=1` without
//!    a warning, loads, and serves userspace in the booted kernel: nlspec's CLI, from the
//!    family's spec, gets its echo reply, its multi-message dump, its multicast notification
//!    and the kernel's policy rejection (extended ACK naming the attribute); then it unloads.
//!
//! 7. the same generated family file (`nlkv_genl.rs`, byte for byte) builds in both homes: in
//!    tree (`generated/intree/nlkv/`: on the series, through `nlspec_genl.rs`, with `CLIPPY=1`
//!    and no warning) and out of tree (`generated/kmod/nlkv/`: through `nlspec_support.rs`); in
//!    the same boot each is loaded in turn and the kernel reports the same family for both
//!    (nlctrl: version, header size, ops with their flags, multicast groups; every op's do and
//!    dump policy), and a request reaches the skeleton's handler (`EOPNOTSUPP`) in both; the
//!    in-tree directory, as a driver patch against the pristine tree (its spec, the regen script,
//!    the `drivers/net` Kconfig and Makefile lines), applies exactly.
//!
//! Prints one PASS/FAIL line per check and "N of 7 checks pass"; exit status 1 if any fails.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::util::{self, Result};
use crate::{err, kernel, vm};

/// KUnit suites the series adds, per kernel (6.12 has no `#[kunit_tests]`: doctests only).
fn series_suites(version: &str) -> &'static [&'static str] {
    match version {
        "7.3" => &["rust_genetlink"],
        _ => &[],
    }
}

pub fn run(version: &str) -> Result<i32> {
    let patches = kernel::series(version)?;
    let files = touched_files(&patches)?;
    let kd = kernel::ensure(version)?;
    let tc = kernel::Toolchain::detect()?;
    let mut results: Vec<(&str, Result<String>)> = vec![
        ("applies to pristine linux-source", check_applies(version, &patches, &files)),
        ("CLIPPY=1 build warning-free", check_clippy(&kd, &files)),
        ("make rustfmtcheck", check_rustfmt(&kd, &tc)),
        ("make rustdoc", check_rustdoc(&kd, &tc, &files)),
    ];
    // One boot serves the last three: KUnit runs before /init, the sample and the two homes of
    // the nlkv family file after.
    let sample = build_sample(&kd, &tc);
    let homes = build_homes(&kd, &tc);
    let console = boot(&kd, sample.as_ref().ok(), homes.as_ref().ok());
    results.push((
        "KUnit and doctests in a booted kernel",
        console.as_ref().map_err(clone_err).and_then(|c| check_kunit(&kd, c)),
    ));
    results.push((
        "a module on the series alone, driven from userspace",
        sample.and_then(|_| console.as_ref().map_err(clone_err).and_then(check_sample)),
    ));
    results.push((
        "one generated family file, in tree and out of tree",
        homes.and_then(|h| console.as_ref().map_err(clone_err).and_then(|c| check_homes(&h, c))),
    ));
    let mut passed = 0;
    for (name, r) in &results {
        match r {
            Ok(detail) => {
                passed += 1;
                println!("PASS series {version}: {name}: {detail}");
            }
            Err(e) => println!("FAIL series {version}: {name}: {e}"),
        }
    }
    println!("series {version}: {passed} of {} checks pass ({} patches)", results.len(), patches.len());
    Ok(if passed == results.len() { 0 } else { 1 })
}

fn clone_err(e: &util::Error) -> util::Error {
    err!("{e}")
}

/// A file the series changes, and whether it exists before the series (not `new file`).
#[derive(Debug, PartialEq)]
struct Touched {
    path: String,
    existing: bool,
}

/// The files the patches change, from their `diff --git a/X b/X` headers.
fn touched_files(patches: &[PathBuf]) -> Result<Vec<Touched>> {
    let mut out: Vec<Touched> = Vec::new();
    for p in patches {
        let text = String::from_utf8_lossy(&util::read(p)?).into_owned();
        for t in parse_touched(&text) {
            if !out.iter().any(|o| o.path == t.path) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

fn parse_touched(patch: &str) -> Vec<Touched> {
    let mut out: Vec<Touched> = Vec::new();
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/") {
            if let Some((a, _)) = rest.split_once(" b/") {
                out.push(Touched { path: a.to_string(), existing: true });
            }
        } else if line.starts_with("new file mode") {
            if let Some(last) = out.last_mut() {
                last.existing = false;
            }
        }
    }
    out
}

/// Extracts the touched files that exist upstream from the tarball into a scratch tree and
/// applies the series there with the same exact `patch` as the kernel build.
fn check_applies(version: &str, patches: &[PathBuf], files: &[Touched]) -> Result<String> {
    let tarball = PathBuf::from(format!("/usr/src/linux-source-{version}.tar.xz"));
    let tmp = std::env::temp_dir().join(format!("nlspec-series-{version}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    util::mkdir_p(&tmp)?;
    let top = format!("linux-source-{version}");
    let mut tar = Command::new("tar");
    tar.arg("-xf").arg(&tarball).arg("-C").arg(&tmp);
    for f in files.iter().filter(|f| f.existing) {
        tar.arg(format!("{top}/{}", f.path));
    }
    let result = util::run_capture(&mut tar)
        .and_then(|_| kernel::apply_series(&tmp.join(&top), patches, &tmp.join("patch.log")));
    let _ = std::fs::remove_dir_all(&tmp);
    result?;
    Ok(format!(
        "{} patches, {} files ({} new), exactly (no fuzz, no offset) onto {}",
        patches.len(),
        files.len(),
        files.iter().filter(|f| !f.existing).count(),
        tarball.display()
    ))
}

/// A compiler diagnostic read from a build log: its level line and the file it points at.
#[derive(Debug, PartialEq)]
pub(crate) struct Diagnostic {
    file: String,
    pub(crate) text: String,
}

/// Warnings in build output: rustc/clippy's `warning: ...` followed by ` --> file:l:c`, and
/// C compilers' `file:l:c: warning: ...`. Summary lines (`N warnings emitted`) are skipped.
pub(crate) fn warnings(log: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for line in log.lines() {
        let t = line.trim_start();
        if let Some(msg) = t.strip_prefix("warning: ") {
            if msg.contains("warning emitted") || msg.contains("warnings emitted") {
                pending = None;
            } else {
                pending = Some(msg.to_string());
            }
        } else if let Some(loc) = t.strip_prefix("--> ") {
            if let Some(msg) = pending.take() {
                let file = loc.split(':').next().unwrap_or(loc).to_string();
                out.push(Diagnostic { file, text: format!("{loc}: {msg}") });
            }
        } else if let Some((loc, msg)) = t.split_once(": warning: ") {
            let file = loc.split(':').next().unwrap_or(loc).to_string();
            out.push(Diagnostic { file, text: format!("{loc}: {msg}") });
        }
    }
    out
}

/// The warnings among `diags` in the series' files (paths may be absolute or tree-relative).
fn in_series<'a>(diags: &'a [Diagnostic], files: &[Touched]) -> Vec<&'a Diagnostic> {
    diags
        .iter()
        .filter(|d| files.iter().any(|f| d.file == f.path || d.file.ends_with(&format!("/{}", f.path))))
        .collect()
}

fn describe_warnings(found: &[&Diagnostic]) -> String {
    let lines: BTreeSet<&str> = found.iter().map(|d| d.text.as_str()).collect();
    lines.into_iter().collect::<Vec<_>>().join("\n    ")
}

fn check_clippy(kd: &kernel::KernelDir, files: &[Touched]) -> Result<String> {
    let log_path = kd.root.join("build.log");
    let log = String::from_utf8_lossy(&util::read(&log_path)?).into_owned();
    if !log.contains("CLIPPY L rust/kernel.o") {
        return Err(err!(
            "{} does not show clippy linting the kernel crate (`CLIPPY L rust/kernel.o`)",
            log_path.display()
        ));
    }
    let all = warnings(&log);
    let ours = in_series(&all, files);
    if !ours.is_empty() {
        return Err(err!("{} warning(s) in the series' files:\n    {}", ours.len(), describe_warnings(&ours)));
    }
    Ok(format!(
        "kernel crate linted; 0 warnings in the series' files ({} elsewhere in the build, not the series')",
        all.len()
    ))
}

/// Builds the module directory `dir` against `kd` with `CLIPPY=1` (`config`: a `CONFIG_X=m`
/// for an in-tree directory's Makefile); a build error or any warning fails, naming `what`.
pub(crate) fn build_warning_free(
    kd: &kernel::KernelDir,
    tc: &kernel::Toolchain,
    dir: &std::path::Path,
    config: Option<&str>,
    what: &str,
) -> Result<()> {
    let m = format!("M={}", dir.display());
    let driver = format!("CLIPPY_DRIVER={}", tc.clippy_driver.display());
    let mut args: Vec<&str> = vec![&m];
    args.extend(config);
    args.extend(["CLIPPY=1", driver.as_str(), "modules"]);
    let (ok, text) = make_capture(kd, tc, &args)?;
    if !ok {
        return Err(err!("building {what} failed:\n{}", util::tail(&text, 40)));
    }
    let warns = warnings(&text);
    if !warns.is_empty() {
        let all: Vec<&Diagnostic> = warns.iter().collect();
        return Err(err!("{} warning(s) building {what}:\n    {}", warns.len(), describe_warnings(&all)));
    }
    Ok(())
}

/// `make` in the kernel tree with the toolchain, output captured (stdout and stderr).
pub(crate) fn make_capture(kd: &kernel::KernelDir, tc: &kernel::Toolchain, args: &[&str]) -> Result<(bool, String)> {
    let out = tc
        .make(&kd.kdir)
        .args(args)
        .output()
        .map_err(|e| err!("running make {} in {}: {e}", args.join(" "), kd.kdir.display()))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

fn check_rustfmt(kd: &kernel::KernelDir, tc: &kernel::Toolchain) -> Result<String> {
    let rustfmt = util::which("rustfmt").ok_or_else(|| err!("rustfmt not found (rustup component rustfmt)"))?;
    let (ok, text) = make_capture(kd, tc, &[&format!("RUSTFMT={}", rustfmt.display()), "rustfmtcheck"])?;
    if !ok {
        return Err(err!("make rustfmtcheck failed:\n{}", util::tail(&text, 40)));
    }
    let version = util::run_capture(Command::new(&rustfmt).arg("--version"))?;
    Ok(format!("every .rs file of the tree formatted ({})", version.trim()))
}

fn check_rustdoc(kd: &kernel::KernelDir, tc: &kernel::Toolchain, files: &[Touched]) -> Result<String> {
    let (ok, text) = make_capture(kd, tc, &["rustdoc"])?;
    if !ok {
        return Err(err!("make rustdoc failed:\n{}", util::tail(&text, 40)));
    }
    let all = warnings(&text);
    let ours = in_series(&all, files);
    if !ours.is_empty() {
        return Err(err!("{} rustdoc warning(s) in the series' files:\n    {}", ours.len(), describe_warnings(&ours)));
    }
    let page = kd.kdir.join("Documentation/output/rust/rustdoc/kernel/net/genetlink/index.html");
    if !page.is_file() {
        return Err(err!("rustdoc passed but wrote no page for kernel::net::genetlink ({})", page.display()));
    }
    Ok(format!("kernel::net::genetlink documented; 0 warnings in the series' files ({} elsewhere)", all.len()))
}

/// KTAP results read from a console: test lines `ok N name` / `not ok N name` at any depth.
#[derive(Debug, Default, PartialEq)]
struct Ktap {
    ok: Vec<String>,
    not_ok: Vec<String>,
}

fn parse_ktap(console: &str) -> Ktap {
    let mut k = Ktap::default();
    for line in console.lines() {
        // Console lines carry the printk time stamp (`[    1.234567] `).
        let t = match line.trim_start().strip_prefix('[') {
            Some(rest) => rest.split_once("] ").map_or(line, |(_, r)| r),
            None => line,
        }
        .trim_start();
        let (list, rest) = if let Some(r) = t.strip_prefix("not ok ") {
            (&mut k.not_ok, r)
        } else if let Some(r) = t.strip_prefix("ok ") {
            (&mut k.ok, r)
        } else {
            continue;
        };
        // `N name [# SKIP ...]`
        if let Some((num, name)) = rest.split_once(' ') {
            if num.bytes().all(|b| b.is_ascii_digit()) {
                list.push(name.split(" #").next().unwrap_or(name).trim().to_string());
            }
        }
    }
    k
}

/// Boots `kd` once with KUnit on (`kunit.enable=1`) and, if it built, the sample module with
/// the static nlspec CLI and the sample's spec, running [`sample_script`]. Fails on a guest that
/// did not finish, failed, or any detector report.
fn boot(kd: &kernel::KernelDir, sample: Option<&(PathBuf, PathBuf)>, homes: Option<&Homes>) -> Result<vm::CleanBoot> {
    let (mut kos, mut bins, mut command) = (Vec::new(), Vec::new(), String::new());
    if sample.is_some() || homes.is_some() {
        bins.push(crate::static_build::build("nlspec-cli", "nlspec", true)?);
    }
    if let Some((ko, spec)) = sample {
        kos.push(ko.clone());
        bins.push(spec.clone());
        command.push_str(&format!("(\n{}\n)\n", sample_script()));
    }
    if let Some(h) = homes {
        kos.extend([h.in_tree.clone(), h.out_of_tree.clone()]);
        bins.extend(h.specs.iter().cloned());
        command.push_str(&homes_script());
    }
    if command.is_empty() {
        command.push_str("true");
    }
    // KUnit runs before /init, in the boot part of the timeout (doctests under TCG).
    let spec = vm::VmSpec { bzimage: kd.bzimage(), kos, bins, command, timeout: Duration::from_secs(180) };
    let boot = vm::run_clean(&spec, &kd.version, "series", "kunit.enable=1")?;
    if boot.status != 0 {
        return Err(err!("the guest command failed ({}; console: {})", boot.status, boot.log.display()));
    }
    Ok(boot)
}

fn check_kunit(kd: &kernel::KernelDir, c: &vm::CleanBoot) -> Result<String> {
    let (console, log) = (&c.console, &c.log);
    let k = parse_ktap(console);
    if !k.not_ok.is_empty() {
        return Err(err!("not ok: {} (console: {})", k.not_ok.join(", "), log.display()));
    }
    let suites: Vec<&str> =
        ["rust_doctests_kernel"].into_iter().chain(series_suites(&kd.version).iter().copied()).collect();
    let mut missing: Vec<&str> = suites.iter().copied().filter(|s| !k.ok.iter().any(|n| n == s)).collect();
    let ours = k.ok.iter().filter(|n| n.contains("net_genetlink") || n.contains("net_netlink")).count();
    if ours == 0 {
        missing.push("doctests of kernel/net/{genetlink,netlink}.rs");
    }
    if !missing.is_empty() {
        return Err(err!("not run: {} (console: {})", missing.join(", "), log.display()));
    }
    Ok(format!(
        "{} KUnit results ok, 0 not ok; {ours} doctests of the series' files; suites {}",
        k.ok.len(),
        suites.join(", ")
    ))
}

/// The sample module's directory in the repository.
const SAMPLE_DIR: &str = "kernel/patches/sample";

/// Prefix of the guest's result lines in the sample check.
const SAMPLE_MARK: &str = "SERIES-SAMPLE";

/// Copies the sample to `target/series-sample/<version>/` and builds it with `CLIPPY=1`; any
/// warning fails. Returns the module and the spec.
fn build_sample(kd: &kernel::KernelDir, tc: &kernel::Toolchain) -> Result<(PathBuf, PathBuf)> {
    let root = util::workspace_root();
    let work = root.join("target/series-sample").join(&kd.version);
    let _ = std::fs::remove_dir_all(&work);
    util::mkdir_p(&work)?;
    for f in ["Kbuild", "genl_sample.rs", "genl-sample.yaml"] {
        std::fs::copy(root.join(SAMPLE_DIR).join(f), work.join(f))
            .map_err(|e| err!("copying {SAMPLE_DIR}/{f}: {e}"))?;
    }
    build_warning_free(kd, tc, &work, None, SAMPLE_DIR)?;
    Ok((work.join("genl_sample.ko"), work.join("genl-sample.yaml")))
}

fn check_sample(c: &vm::CleanBoot) -> Result<String> {
    let got = marked_results(&c.console, SAMPLE_MARK);
    let failed: Vec<String> =
        sample_verdicts(&got).into_iter().filter_map(|(name, ok)| (!ok).then_some(name)).collect();
    if !failed.is_empty() {
        return Err(err!(
            "{} (guest said: {}; console: {})",
            failed.join("; "),
            got.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "),
            c.log.display()
        ));
    }
    Ok(format!(
        "genl_sample.ko: CLIPPY=1 build clean; echo reply, {SAMPLE_ENTRIES}-entry dump, notification, policy rejection, unload"
    ))
}

/// Entries the guest's count dump asks for: enough for several dump messages.
const SAMPLE_ENTRIES: usize = 300;

/// The guest's script: each result on one `SERIES-SAMPLE key value` line.
fn sample_script() -> String {
    format!(
        r#"S=/bin/genl-sample.yaml
m() {{ echo "{SAMPLE_MARK} $1 $2"; }}
if out=$(insmod /lib/modules/genl_sample.ko 2>&1); then m load ok; else m load "$out"; exit 0; fi
nlspec --spec $S --subscribe echoes --duration 4 --output-json > /tmp/ntf 2>&1 &
sleep 1
m echo "$(nlspec --spec $S --do echo --json '{{"text": "hi", "value": 21}}' --output-json 2>&1 | tr -d '
 ')"
nlspec --spec $S --dump count --json '{{"value": {SAMPLE_ENTRIES}}}' --output-json > /tmp/dump 2>&1
m count "$(grep -o '"index": *[0-9]*' /tmp/dump | wc -l)"
m last "$(grep -o '"index": *[0-9]*' /tmp/dump | tail -1 | tr -d ' ')"
m reject "$(nlspec --spec $S --do echo --json '{{"text": "hi", "value": 5000}}' 2>&1 | tr '
' ' ')"
wait
m ntf "$(tr -d '
 ' < /tmp/ntf)"
if out=$(rmmod genl_sample 2>&1); then m unload ok; else m unload "$out"; fi
"#
    )
}

/// The nlkv family's two builds for [`check_homes`].
struct Homes {
    /// `generated/intree/nlkv/` built against the patched kernel, as `nlkv_intree.ko`.
    in_tree: PathBuf,
    /// `generated/kmod/nlkv/` built out of tree, as `nlkv_oot.ko`.
    out_of_tree: PathBuf,
    /// nlkv's and nlctrl's specs, for the guest's CLI.
    specs: Vec<PathBuf>,
    /// The driver as a patch against pristine linux-source-V ([`driver_patch`]).
    patch: PathBuf,
}

/// Prefix of the guest's result lines in the two-homes check.
const HOMES_MARK: &str = "SERIES-HOMES";

/// Builds nlkv's in-tree driver directory (`CLIPPY=1`, any warning fails) and its out-of-tree
/// module, after checking that their family files are the same bytes.
fn build_homes(kd: &kernel::KernelDir, tc: &kernel::Toolchain) -> Result<Homes> {
    let root = util::workspace_root();
    let (it_src, oot_src) = (root.join("generated/intree/nlkv"), root.join("generated/kmod/nlkv"));
    if util::read(&it_src.join("nlkv_genl.rs"))? != util::read(&oot_src.join("nlkv_genl.rs"))? {
        return Err(err!("generated/intree/nlkv/nlkv_genl.rs and generated/kmod/nlkv/nlkv_genl.rs differ"));
    }
    let work = root.join("target/series-homes").join(&kd.version);
    let _ = std::fs::remove_dir_all(&work);
    let mut built = Vec::new();
    for (src, name) in [(&it_src, "intree"), (&oot_src, "oot")] {
        let dir = work.join(name);
        util::mkdir_p(&dir)?;
        for e in std::fs::read_dir(src).map_err(|e| err!("listing {}: {e}", src.display()))? {
            let p = e.map_err(|e| err!("listing {}: {e}", src.display()))?.path();
            if p.is_file() {
                std::fs::copy(&p, dir.join(p.file_name().unwrap_or_default()))
                    .map_err(|e| err!("copying {}: {e}", p.display()))?;
            }
        }
        built.push(dir);
    }
    build_warning_free(kd, tc, &built[0], Some("CONFIG_NLKV=m"), "generated/intree/nlkv")?;
    crate::kmod::build(kd, &built[1])?;
    let in_tree = work.join("nlkv_intree.ko");
    let out_of_tree = work.join("nlkv_oot.ko");
    std::fs::copy(built[0].join("nlkv.ko"), &in_tree).map_err(|e| err!("in-tree nlkv.ko: {e}"))?;
    std::fs::copy(built[1].join("nlkv.ko"), &out_of_tree).map_err(|e| err!("out-of-tree nlkv.ko: {e}"))?;
    let patch = driver_patch(&kd.version, &it_src, &work)?;
    Ok(Homes { in_tree, out_of_tree, specs: vec![root.join("specs/nlkv.yaml"), root.join("specs/nlctrl.yaml")], patch })
}

/// The in-tree driver as a maintainer would send it: one patch against pristine linux-source-V
/// adding `drivers/net/nlkv/` (the generated directory), its spec as
/// `Documentation/netlink/specs/nlkv.yaml`, `tools/net/nlspec/nlspec-regen.sh`, and the
/// driver's lines in `drivers/net/Kconfig` and `drivers/net/Makefile`. Written to
/// `work/0001-net-add-the-nlkv-generic-netlink-family.patch` and checked to apply exactly (no
/// fuzz, no offset) to the pristine files, with the family file arriving unchanged.
fn driver_patch(version: &str, driver: &std::path::Path, work: &std::path::Path) -> Result<PathBuf> {
    let root = util::workspace_root();
    let tmp = work.join("driver-patch");
    let _ = std::fs::remove_dir_all(&tmp);
    util::mkdir_p(&tmp)?;
    let top = format!("linux-source-{version}");
    let hooks = ["drivers/net/Kconfig", "drivers/net/Makefile"];
    let mut tar = Command::new("tar");
    tar.arg("-xf").arg(format!("/usr/src/linux-source-{version}.tar.xz")).arg("-C").arg(&tmp);
    for h in hooks {
        tar.arg(format!("{top}/{h}"));
    }
    util::run_capture(&mut tar)?;
    std::fs::rename(tmp.join(&top), tmp.join("a")).map_err(|e| err!("{}: {e}", tmp.display()))?;
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    let copy_hooks = |to: &std::path::Path| -> Result<()> {
        util::mkdir_p(&to.join("drivers/net"))?;
        for h in hooks {
            std::fs::copy(a.join(h), to.join(h)).map_err(|e| err!("copying {h}: {e}"))?;
        }
        Ok(())
    };
    // A git tree of the pristine files with the driver committed on it, then `git format-patch`:
    // the form a maintainer receives (dates fixed, so the patch is the same on every run).
    let git = |args: &[&str]| -> Result<String> {
        let out = Command::new("git")
            .current_dir(&b)
            .args(["-c", "user.name=nlspec developers", "-c", "user.email=nlspec@localhost"])
            .args(["-c", "core.autocrlf=false", "-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .output()
            .map_err(|e| err!("running git {}: {e}", args.join(" ")))?;
        if !out.status.success() {
            return Err(err!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    copy_hooks(&b)?;
    git(&["init", "-q"])?;
    git(&["add", "-f", hooks[0], hooks[1]])?;
    git(&["commit", "-q", "-m", "pristine drivers/net/Kconfig and Makefile"])?;
    // drivers/net/Kconfig: the driver's menu entry before the NETDEVICES block closes.
    let kconfig = String::from_utf8_lossy(&util::read(&b.join(hooks[0]))?).into_owned();
    let close =
        kconfig.rfind("\nendif # NETDEVICES").ok_or_else(|| err!("drivers/net/Kconfig: no `endif # NETDEVICES`"))?;
    let kconfig = format!("{}\nsource \"drivers/net/nlkv/Kconfig\"\n{}", &kconfig[..close], &kconfig[close..]);
    util::write(&b.join(hooks[0]), kconfig.as_bytes())?;
    let mut makefile = String::from_utf8_lossy(&util::read(&b.join(hooks[1]))?).into_owned();
    makefile.push_str("obj-$(CONFIG_NLKV) += nlkv/\n");
    util::write(&b.join(hooks[1]), makefile.as_bytes())?;
    let mut new_files: Vec<(PathBuf, PathBuf)> = vec![
        (root.join("specs/nlkv.yaml"), PathBuf::from("Documentation/netlink/specs/nlkv.yaml")),
        (root.join("kernel/intree/nlspec-regen.sh"), PathBuf::from("tools/net/nlspec/nlspec-regen.sh")),
    ];
    for e in std::fs::read_dir(driver).map_err(|e| err!("listing {}: {e}", driver.display()))?.flatten() {
        new_files.push((e.path(), PathBuf::from("drivers/net/nlkv").join(e.file_name())));
    }
    for (from, to) in &new_files {
        util::mkdir_p(b.join(to).parent().unwrap_or(&b))?;
        std::fs::copy(from, b.join(to)).map_err(|e| err!("copying {}: {e}", from.display()))?;
    }
    git(&["add", "-f", "-A", "."])?;
    git(&[
        "commit",
        "-q",
        "-m",
        "net: add the nlkv Generic Netlink family\n\n\
         nlkv is an in-kernel key-value store served over Generic Netlink. Its\n\
         policies, operations and multicast groups are generated by nlspec from\n\
         Documentation/netlink/specs/nlkv.yaml into drivers/net/nlkv/nlkv_genl.rs,\n\
         on top of kernel::net::genetlink; nlkv.rs holds the handlers, and\n\
         tools/net/nlspec/nlspec-regen.sh regenerates the family file when the\n\
         spec changes.",
    ])?;
    let text = git(&["format-patch", "-1", "--stdout", "--no-signature"])?;
    let patch = work.join("0001-net-add-the-nlkv-generic-netlink-family.patch");
    util::write(&patch, text.as_bytes())?;
    let c = tmp.join("c");
    copy_hooks(&c)?;
    kernel::apply_series(&c, std::slice::from_ref(&patch), &tmp.join("patch.log"))?;
    if util::read(&c.join("drivers/net/nlkv/nlkv_genl.rs"))? != util::read(&driver.join("nlkv_genl.rs"))? {
        return Err(err!("{}: the family file does not arrive unchanged", patch.display()));
    }
    Ok(patch)
}

/// nlkv's ops whose policies the guest compares (`pool-stats`, config-cond page-pool, is
/// registered only in a kernel with page pools; both homes answer alike either way).
const NLKV_DO_OPS: &[&str] =
    &["set", "get", "delete", "incr", "update-flags", "fill", "clear", "stats", "pool-stats", "watch"];

/// The guest's part of the two-homes check: each build loaded in turn, the family as nlctrl
/// reports it (ids, which differ between loads, left out) and every policy into `/tmp/<home>`,
/// then the two compared.
fn homes_script() -> String {
    let ops = NLKV_DO_OPS.join(" ");
    format!(
        r#"h() {{ echo "{HOMES_MARK} $1 $2"; }}
for home in intree oot; do
  if out=$(insmod /lib/modules/nlkv_$home.ko 2>&1); then h $home-load ok; else h $home-load "$out"; continue; fi
  f=/tmp/family-$home
  nlspec --spec /bin/nlctrl.yaml --do getfamily --json '{{"family-name": "nlkv"}}' --output-json 2>&1 \
    | sed 's/"family-id": *[0-9]*//; s/"id": *[0-9]*//g' > $f
  for op in {ops}; do
    echo "do $op" >> $f
    nlspec --spec /bin/nlkv.yaml --policy --do $op --output-json >> $f 2>&1
  done
  echo "dump get" >> $f
  nlspec --spec /bin/nlkv.yaml --policy --dump get --output-json >> $f 2>&1
  h $home-stats "$(nlspec --spec /bin/nlkv.yaml --do stats --json '{{"ns": 0}}' 2>&1 | tr '
' ' ')"
  if out=$(rmmod nlkv 2>&1); then h $home-unload ok; else h $home-unload "$out"; fi
done
h bytes "$(wc -c < /tmp/family-intree)"
h strings "$(grep -o '"max-length"' /tmp/family-intree | wc -l)"
h groups "$(grep -o '"changes"\|"audit"\|"ticks"' /tmp/family-intree | sort -u | wc -l)"
if cmp -s /tmp/family-intree /tmp/family-oot; then h same yes; else h same "$(diff /tmp/family-intree /tmp/family-oot | head -6 | tr '
' ' ')"; fi
"#
    )
}

fn check_homes(h: &Homes, c: &vm::CleanBoot) -> Result<String> {
    let got = marked_results(&c.console, HOMES_MARK);
    let get = |k: &str| got.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.as_str());
    let mut failed = Vec::new();
    for home in ["intree", "oot"] {
        for step in ["load", "unload"] {
            if get(&format!("{home}-{step}")) != "ok" {
                failed.push(format!("{home} {step}: {}", get(&format!("{home}-{step}"))));
            }
        }
        let stats = get(&format!("{home}-stats"));
        if !(stats.contains("EOPNOTSUPP") || stats.contains("not supported")) {
            failed.push(format!("{home}: stats did not reach the skeleton (EOPNOTSUPP): {stats}"));
        }
    }
    // Every op but clear and stats has a key string policy (get's dump too, in its filter).
    let bytes: usize = get("bytes").parse().unwrap_or(0);
    let strings: usize = get("strings").parse().unwrap_or(0);
    if bytes < 2000 || strings < 6 || get("groups") != "3" {
        failed.push(format!(
            "the family and policy dump is short ({bytes} bytes, {strings} string limits, {} of 3 groups)",
            get("groups")
        ));
    }
    if get("same") != "yes" {
        failed.push(format!("the two builds differ: {}", get("same")));
    }
    if !failed.is_empty() {
        return Err(err!("{} (console: {})", failed.join("; "), c.log.display()));
    }
    Ok(format!(
        "{} and {}: same nlkv_genl.rs; CLIPPY=1 clean in tree; the driver patch ({}) applies exactly to pristine \
         drivers/net/Kconfig and Makefile; both loaded: same family, ops, groups and {} \
         policies ({bytes} bytes of nlctrl JSON), EOPNOTSUPP from the skeleton, unloaded",
        h.in_tree.file_name().unwrap_or_default().to_string_lossy(),
        h.out_of_tree.file_name().unwrap_or_default().to_string_lossy(),
        h.patch.file_name().unwrap_or_default().to_string_lossy(),
        NLKV_DO_OPS.len() + 1
    ))
}

/// The guest's `MARK key value` result lines of one check (`mark`: [`SAMPLE_MARK`],
/// [`HOMES_MARK`]).
fn marked_results(console: &str, mark: &str) -> Vec<(String, String)> {
    console
        .lines()
        .filter_map(|l| l.split_once(&format!("{mark} ")).map(|(_, r)| r))
        .filter_map(|r| r.split_once(' ').map(|(k, v)| (k.to_string(), v.trim().to_string())))
        .collect()
}

/// Each expectation of the sample check and whether the guest's results meet it.
fn sample_verdicts(got: &[(String, String)]) -> Vec<(String, bool)> {
    let get = |k: &str| got.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.as_str());
    let last = format!("\"index\":{}", SAMPLE_ENTRIES - 1);
    vec![
        ("load".into(), get("load") == "ok"),
        (
            "echo reply {text: hi, value: 42}".into(),
            get("echo").contains(r#""text":"hi""#) && get("echo").contains(r#""value":42"#),
        ),
        (format!("count dump of {SAMPLE_ENTRIES} entries"), get("count") == SAMPLE_ENTRIES.to_string()),
        (format!("last entry index {}", SAMPLE_ENTRIES - 1), get("last") == last),
        ("value 5000 rejected by the policy (ERANGE, attribute named)".into(), {
            let r = get("reject");
            (r.contains("ERANGE") || r.contains("Numerical result out of range")) && r.contains("value")
        }),
        ("echo-ntf received by a subscriber".into(), get("ntf").contains(r#""value":42"#)),
        ("unload".into(), get("unload") == "ok"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_files_mark_new_ones() {
        let p = "diff --git a/rust/kernel/net.rs b/rust/kernel/net.rs\nindex 1..2\n\
                 diff --git a/rust/kernel/net/genetlink.rs b/rust/kernel/net/genetlink.rs\nnew file mode 100644\n";
        assert_eq!(
            parse_touched(p),
            vec![
                Touched { path: "rust/kernel/net.rs".into(), existing: true },
                Touched { path: "rust/kernel/net/genetlink.rs".into(), existing: false },
            ]
        );
    }

    #[test]
    fn warnings_from_rustc_clippy_and_cc() {
        let log = "warning: unused import: `Foo`\n  --> rust/kernel/net/genetlink.rs:3:5\n   |\n\
                   warning: 1 warning emitted\n\
                   rust/helpers/net/genetlink.c:7:1: warning: no previous prototype [-Wmissing-prototypes]\n\
                   warning: this is a lint\n --> /k/rust/kernel/sync.rs:1:1\n";
        let w = warnings(log);
        assert_eq!(w.len(), 3, "{w:?}");
        let files = [
            Touched { path: "rust/kernel/net/genetlink.rs".into(), existing: false },
            Touched { path: "rust/helpers/net/genetlink.c".into(), existing: true },
        ];
        let ours = in_series(&w, &files);
        assert_eq!(ours.len(), 2);
        assert!(ours[0].text.starts_with("rust/kernel/net/genetlink.rs:3:5: unused import"));
    }

    #[test]
    fn ktap_results_at_any_depth_with_timestamps() {
        let c = "[    2.1] KTAP version 1\n[    2.2]     ok 1 rust_doctest_kernel_net_genetlink_rs_0\n\
                 [    2.3]     not ok 2 rust_doctest_kernel_sync_rs_4\n[    2.4] ok 1 rust_genetlink\n\
                 [    2.5]     ok 3 skipped_one # SKIP no hw\n# rust_doctests_kernel: pass:1 fail:1\n";
        let k = parse_ktap(c);
        assert_eq!(k.ok, vec!["rust_doctest_kernel_net_genetlink_rs_0", "rust_genetlink", "skipped_one"]);
        assert_eq!(k.not_ok, vec!["rust_doctest_kernel_sync_rs_4"]);
    }
}

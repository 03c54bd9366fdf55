//! `cargo xtask kmod-corpus --kernel V [--boot] [--keep] [--only NAME]`: generate a kernel module
//! for every spec of the kernel's own `Documentation/netlink/specs` (Generic Netlink families and
//! netlink-raw protocols) and build each against kernel V; with `--boot`, also boot V once and
//! load/unload every module (registration: ops/policy/group validation by
//! `genl_register_family`; a family the kernel already has is refused with EEXIST — EBUSY as
//! 7.x's module loader reports it —, and so is a netlink-raw protocol the kernel serves itself
//! (its unit already has a kernel socket: EBUSY), which counts as a clean refusal), failing on
//! any other error or any detector report (KASAN, lockdep, atomic sleep, kmemleak after the
//! unloads, a kernel WARNING/BUG: [`detect::detector_reports`]).
//!
//! The specs are read at run time from Debian's `/usr/src/linux-source-{6.12,7.3}.tar.xz` into a
//! temporary directory (nothing is committed); identical files of both versions count once.
//! Every generated module keeps the skeleton handler (every op answers `EOPNOTSUPP`). Prints one
//! line per spec, then "N of M built" per protocol (`genetlink`, `genetlink-c`,
//! `genetlink-legacy`, `netlink-raw`), and fails listing the failures.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nlspec_codegen::emit::kernel::{generate, KernelOptions};
use nlspec_codegen::emit::write_files;

use crate::util::{self, note, Result};
use crate::{detect, err, kernel, kmod, vm};

const SOURCES: &[&str] = &["6.12", "7.3"];
const PROTOCOLS: &[&str] = &["genetlink", "genetlink-c", "genetlink-legacy", "netlink-raw"];

struct Spec {
    /// `6.12/netdev.yaml`, `specs/nlkv.yaml` (the project's own)
    label: String,
    project: bool,
    path: PathBuf,
    protocol: String,
}

/// The protocol a spec declares (YNL's default is `genetlink`).
pub(crate) fn protocol_of(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("protocol:"))
        .map(|p| p.split('#').next().unwrap_or("").trim().to_string())
        .unwrap_or_else(|| "genetlink".into())
}

fn extract(version: &str, into: &Path) -> Result<Vec<PathBuf>> {
    let tar = PathBuf::from(format!("/usr/src/linux-source-{version}.tar.xz"));
    if !tar.is_file() {
        return Err(err!("{} is missing (Debian package linux-source-{version}; `cargo xtask deps`)", tar.display()));
    }
    util::mkdir_p(into)?;
    util::run_capture(
        Command::new("tar")
            .arg("-xJf")
            .arg(&tar)
            .arg("-C")
            .arg(into)
            .arg("--wildcards")
            .arg("*/Documentation/netlink/specs/*.yaml"),
    )?;
    extract_listing(into)
}

/// The top-level `name:` of a spec.
pub(crate) fn spec_name(text: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix("name:")).map(|n| n.split('#').next().unwrap_or("").trim().to_string())
}

/// The spec with its top-level `name:` replaced by `new`.
pub(crate) fn rename(text: &str, new: &str) -> Option<String> {
    let mut done = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.starts_with("name:") {
                done = true;
                format!("name: {new}")
            } else {
                l.to_string()
            }
        })
        .collect();
    done.then(|| out.join("\n") + "\n")
}

/// Where the upstream corpus's modules for kernel `kernel` are generated and built, kept between
/// runs and shared by every task that builds them (kmod-corpus, kfuzz): make rebuilds only what
/// changed, so the second task of a run builds nothing again.
pub fn corpus_work(kernel: &str) -> PathBuf {
    util::workspace_root().join("target").join("kmod-corpus").join(kernel)
}

/// The specs of linux-source `version`, extracted once into `work/src` (a few seconds of xz per
/// run otherwise).
pub(crate) fn specs_of(work: &Path, version: &str) -> Result<Vec<PathBuf>> {
    let src = work.join("src").join(version);
    let done = work.join("src").join(format!("{version}.extracted"));
    if !done.is_file() {
        let _ = std::fs::remove_dir_all(&src);
        extract(version, &src)?;
        util::write(&done, b"")?;
    }
    extract_listing(&src)
}

/// The `.yaml` files below `into`, sorted.
fn extract_listing(into: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![into.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| err!("reading {}: {e}", d.display()))?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn run(kernel_version: &str, keep: bool, boot: bool, only: Option<&str>) -> Result<i32> {
    let started = Instant::now();
    let kd = kernel::ensure(kernel_version)?;
    let tmp = std::env::temp_dir().join(format!("nlspec-kmod-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    util::mkdir_p(&tmp)?;
    let work = corpus_work(&kd.version);

    let mut specs = Vec::new();
    let mut seen = HashSet::new();
    for v in SOURCES {
        let files = specs_of(&work, v)?;
        note(format!("linux-source-{v}: {} specs", files.len()));
        for p in files {
            let text = std::fs::read_to_string(&p).map_err(|e| err!("reading {}: {e}", p.display()))?;
            if !seen.insert(text.clone()) {
                continue; // same file in both versions
            }
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if only.is_some_and(|o| o != name.trim_end_matches(".yaml")) {
                continue;
            }
            specs.push(Spec { label: format!("{v}/{name}"), project: false, protocol: protocol_of(&text), path: p });
        }
    }

    // the project's own specs too (counted apart from the upstream corpus)
    let mut own: Vec<PathBuf> = std::fs::read_dir(util::workspace_root().join("specs"))
        .map_err(|e| err!("reading specs/: {e}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    own.sort();
    for p in own {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if only.is_some_and(|o| o != name.trim_end_matches(".yaml")) {
            continue;
        }
        let text = std::fs::read_to_string(&p).map_err(|e| err!("reading {}: {e}", p.display()))?;
        specs.push(Spec { label: format!("specs/{name}"), project: true, protocol: protocol_of(&text), path: p });
    }

    // protocol -> (built, total)
    let mut counts: BTreeMap<&str, (usize, usize)> = PROTOCOLS.iter().map(|p| (*p, (0, 0))).collect();
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut skipped = 0;
    let mut built: Vec<(String, PathBuf)> = Vec::new();
    let mut project = (0usize, 0usize);
    for s in &specs {
        let Some(count) = (if !PROTOCOLS.contains(&s.protocol.as_str()) {
            None
        } else if s.project {
            Some(&mut project)
        } else {
            counts.get_mut(s.protocol.as_str())
        }) else {
            skipped += 1;
            continue;
        };
        count.1 += 1;
        let dir = work.join("mods").join(s.label.replace(['/', '.'], "_"));
        match build_module(&kd, &s.path, &dir) {
            Ok(ko) => {
                built.push((s.label.clone(), ko));
                count.0 += 1;
                println!("ok    {:<18} {}", s.protocol, s.label);
            }
            Err(e) => {
                println!("FAIL  {:<18} {}", s.protocol, s.label);
                failures.push((s.label.clone(), e.to_string()));
            }
        }
    }

    println!();
    for (p, (built, total)) in &counts {
        println!("{p}: {built} of {total} built against {}", kd.version);
    }
    if project.1 > 0 {
        println!("project specs (specs/): {} of {} built against {}", project.0, project.1, kd.version);
    }
    if skipped > 0 {
        println!("{skipped} skipped (unknown protocol)");
    }
    if boot && !built.is_empty() {
        let kos_dir = tmp.join("kos");
        util::mkdir_p(&kos_dir)?;
        let mut kos = Vec::new();
        let mut script = String::from("cd /lib/modules\n");
        for (i, (label, ko)) in built.iter().enumerate() {
            // distinct file names for the guest (both versions build e.g. netdev.ko)
            let modname = ko.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            let file = format!("m{i}_{modname}.ko");
            std::fs::copy(ko, kos_dir.join(&file)).map_err(|e| err!("copying {}: {e}", ko.display()))?;
            kos.push(kos_dir.join(&file));
            script.push_str(&format!(
                "out=$(insmod {file} 2>&1); rc=$?; echo \"NLSPEC-KMOD {label} $rc $out\"; \
                 if [ $rc = 0 ]; then rmmod {modname} 2>&1 || echo \"NLSPEC-KMOD {label} rmmod-failed\"; fi\n"
            ));
        }
        let spec = vm::VmSpec {
            bzimage: kd.bzimage(),
            kos,
            bins: vec![],
            command: script,
            timeout: std::time::Duration::from_secs(900),
        };
        let (mut loaded, mut exists, mut total) = (0, 0, 0);
        let mut console = String::new();
        let outcome = vm::run(&spec, |line| {
            console.push_str(line);
            console.push('\n');
            if let Some(rest) = line.strip_prefix("NLSPEC-KMOD ") {
                let mut it = rest.splitn(3, ' ');
                let (label, rc, msg) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
                match rc {
                    "0" => {
                        total += 1;
                        loaded += 1;
                        println!("loaded   {label} (registered, unloaded)");
                    }
                    "rmmod-failed" => failures.push((label.to_string(), "rmmod failed".into())),
                    // genl_register_family: -EEXIST for a name the kernel has; 7.x's module
                    // loader turns an init's -EEXIST into -EBUSY
                    _ if msg.contains("File exists") || msg.contains("Device or resource busy") => {
                        total += 1;
                        exists += 1;
                        println!("exists   {label} (the kernel has this family: EEXIST, refused cleanly)");
                    }
                    _ => {
                        total += 1;
                        println!("LOADFAIL {label}: {msg}");
                        failures.push((label.to_string(), format!("insmod: {msg}")));
                    }
                }
            }
        })?;
        if !matches!(outcome, vm::VmOutcome::Done(_)) {
            failures.push(("boot".into(), "the guest did not finish".into()));
        }
        let reports = detect::detector_reports(&kd.version, &console);
        println!("detectors: {} report(s) (KASAN, lockdep, atomic sleep, kmemleak, kernel warnings)", reports.len());
        if !reports.is_empty() {
            failures.push(("boot".into(), detect::describe(&reports)));
        }
        println!("\nloaded in {}: {loaded} registered and unloaded, {exists} refused with EEXIST/EBUSY (family built into the kernel), {} failed, of {total}", kd.version, total - loaded - exists);
    }
    note(format!("kmod-corpus took {:.0} s", started.elapsed().as_secs_f64()));
    if keep {
        note(format!("kept {}", tmp.display()));
    } else {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if failures.is_empty() {
        return Ok(0);
    }
    eprintln!("\n{} module(s) failed:", failures.len());
    for (label, e) in &failures {
        // A detector report is shown whole (its title is at the top); a build error by its tail.
        let shown = if label == "boot" { e.clone() } else { util::tail(e, 25) };
        eprintln!("--- {label}\n{shown}");
    }
    Ok(1)
}

/// A spec whose module did not build: (label, error).
pub type Failed = (String, String);

/// A module generated from one upstream spec and built.
pub struct Built {
    /// `7.3/netdev.yaml`.
    pub label: String,
    /// The spec the module was generated from.
    pub spec: PathBuf,
    /// The built `.ko`.
    pub ko: PathBuf,
}

/// Generates the module of `spec` into `dir` (files unchanged since the last run are not
/// rewritten, so make rebuilds only what changed) and builds it against `kd`; its `.ko`.
pub(crate) fn build_module(kd: &kernel::KernelDir, spec: &Path, dir: &Path) -> Result<PathBuf> {
    let fam = nlspec_codegen::load_and_resolve(spec).map_err(|d| err!("spec: {d}"))?;
    let files = generate(&fam, &KernelOptions::default()).map_err(|e| err!("generate: {e}"))?;
    write_files(dir, &files).map_err(|e| err!("writing {}: {e}", dir.display()))?;
    kmod::build(kd, dir)?.into_iter().next().ok_or_else(|| err!("no .ko built"))
}

/// The module of spec `text` (`label`: `7.3/netdev.yaml`) under the renamed family `x<name>`,
/// for a family the kernel already has (which refuses a second one of the same name): the
/// renamed spec and the module, generated and built in `work/renamed` (kfuzz and policy-parity
/// load the same ones). Returns the renamed spec's path and the `.ko`.
pub(crate) fn build_renamed(
    kd: &kernel::KernelDir,
    work: &Path,
    label: &str,
    text: &str,
) -> Result<(PathBuf, PathBuf)> {
    let name = spec_name(text).ok_or_else(|| err!("{label}: no top-level name"))?;
    let renamed = rename(text, &format!("x{name}")).ok_or_else(|| err!("{label}: no top-level name"))?;
    let base = work.join("renamed").join(label.replace(['/', '.'], "_"));
    let spec = base.with_extension("yaml");
    util::mkdir_p(&work.join("renamed"))?;
    util::write(&spec, renamed.as_bytes())?;
    let ko = build_module(kd, &spec, &base).map_err(|e| err!("x{name}: {e}"))?;
    Ok((spec, ko))
}

/// Generates and builds the module of every Generic Netlink spec of `sources` (versions of
/// linux-source, e.g. `["7.3"]`; `only`: one spec by name) in `work`, which persists between
/// runs (unchanged generated files are not rewritten, so make rebuilds only what changed).
/// Returns the built modules and the (label, error) of each one that did not build.
pub fn build_upstream(
    kd: &kernel::KernelDir,
    sources: &[&str],
    work: &Path,
    only: Option<&str>,
) -> Result<(Vec<Built>, Vec<Failed>)> {
    let mut seen = HashSet::new();
    let (mut built, mut failed) = (Vec::new(), Vec::new());
    for v in sources {
        for p in specs_of(work, v)? {
            let text = std::fs::read_to_string(&p).map_err(|e| err!("reading {}: {e}", p.display()))?;
            let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if !PROTOCOLS.contains(&protocol_of(&text).as_str())
                || only.is_some_and(|o| o != name.trim_end_matches(".yaml"))
                || !seen.insert(text)
            {
                continue;
            }
            let label = format!("{v}/{name}");
            let dir = work.join("mods").join(label.replace(['/', '.'], "_"));
            match build_module(kd, &p, &dir) {
                Ok(ko) => built.push(Built { label, spec: p, ko }),
                Err(e) => failed.push((label, e.to_string())),
            }
        }
    }
    Ok((built, failed))
}

//! `cargo xtask gen-bench [--source V | --tarball FILE] [--runs N]`: how fast nlspec generates
//! code compared with the kernel's own generator (tools/net/ynl/pyynl/ynl_gen_c.py), over every
//! genetlink* spec of one kernel source (default Debian's linux-source-7.3).
//!
//! Each spec and side is generated the way a build does it, one process per output: nlspec
//! (built here with `--release`) runs `nlspec gen --spec X --out DIR` (the client crate) and
//! `nlspec gen --kernel --spec X --out DIR` (the kernel module), into fresh directories; the
//! kernel's generator runs `python3 ynl_gen_c.py --mode user --source` (with the per-family
//! arguments of tools/net/ynl/generated/Makefile) and `--mode kernel --source`. Every process
//! is timed from spawn to exit (wall clock, the fastest of N runs); the CPU time of each
//! side's processes (user + sys of the reaped children, from /proc/self/stat) is measured per
//! side over the whole corpus. Prints a Markdown table: per spec the four times and the ratio,
//! then the totals and both ratios (bench/GENERATION.md records one run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::err;
use crate::util::{mkdir_p, note, run_capture, run_live, workspace_root, Context, Result};

/// The task: parse the options, run, print the table.
pub fn cmd(mut a: Args) -> Result<i32> {
    let source = a.opt("--source")?;
    let tarball = a.opt("--tarball")?;
    let runs: usize = match a.opt("--runs")? {
        Some(r) => {
            r.parse().ok().filter(|n| *n > 0).ok_or_else(|| err!("--runs wants a positive number, got `{r}`"))?
        }
        None => 3,
    };
    a.finish()?;
    let tarball = match (source, tarball) {
        (Some(_), Some(_)) => return Err(err!("give --source V or --tarball FILE, not both")),
        (_, Some(t)) => PathBuf::from(t),
        (v, None) => PathBuf::from(format!("/usr/src/linux-source-{}.tar.xz", v.as_deref().unwrap_or("7.3"))),
    };
    run(&tarball, runs)
}

/// The four generator commands of one spec.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Gen {
    NlspecUser,
    NlspecKernel,
    YnlUser,
    YnlKernel,
}

const NLSPEC: [Gen; 2] = [Gen::NlspecUser, Gen::NlspecKernel];
const YNL: [Gen; 2] = [Gen::YnlUser, Gen::YnlKernel];

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// The kernel source's top directory (with Documentation/netlink, tools/net/ynl and MAINTAINERS,
/// which ynl_gen_c.py looks for to find the tree), extracted once per tarball.
fn extract(tarball: &Path, work: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(tarball)
        .context(|| format!("{} (Debian package linux-source-*; `cargo xtask deps`)", tarball.display()))?;
    let dir = work.join(format!("src-{}", meta.len()));
    let top = |d: &Path| -> Option<PathBuf> {
        std::fs::read_dir(d).ok()?.flatten().map(|e| e.path()).find(|p| p.join("MAINTAINERS").is_file())
    };
    if let Some(t) = top(&dir) {
        return Ok(t);
    }
    let tmp = work.join(format!("src-{}.{}", meta.len(), std::process::id()));
    mkdir_p(&tmp)?;
    note(format!("extracting the specs and ynl_gen_c.py from {}", tarball.display()));
    run_capture(Command::new("tar").arg("-xf").arg(tarball).arg("-C").arg(&tmp).args([
        "--wildcards",
        "*/Documentation/netlink/*",
        "*/tools/net/ynl/*",
        "*/MAINTAINERS",
    ]))?;
    std::fs::rename(&tmp, &dir).context(|| format!("cannot move {} into place", tmp.display()))?;
    top(&dir).ok_or_else(|| err!("no kernel tree (MAINTAINERS) in {}", tarball.display()))
}

/// The genetlink, genetlink-c and genetlink-legacy specs, sorted.
fn genetlink_specs(specs: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(specs).context(|| format!("cannot list {}", specs.display()))? {
        let p = e.context(|| format!("cannot list {}", specs.display()))?.path();
        if p.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&p).context(|| format!("cannot read {}", p.display()))?;
        let proto = text.lines().find_map(|l| l.strip_prefix("protocol:")).map(str::trim).unwrap_or("genetlink");
        if proto.starts_with("genetlink") {
            v.push(p);
        }
    }
    v.sort();
    Ok(v)
}

/// `YNL_GEN_ARG_<family>` of tools/net/ynl/generated/Makefile (extra arguments of the user
/// mode, e.g. ethtool's `--user-header ... --exclude-op stats-get`).
fn makefile_args(makefile: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(makefile).unwrap_or_default();
    let joined = text.replace("\\\n", " ");
    let mut m = BTreeMap::new();
    for line in joined.lines() {
        if let Some(rest) = line.strip_prefix("YNL_GEN_ARG_") {
            if let Some((name, val)) = rest.split_once(":=") {
                m.insert(name.trim().to_string(), val.split_whitespace().map(String::from).collect());
            }
        }
    }
    m
}

/// Children's CPU time so far (user + sys of reaped children), in clock ticks.
fn children_cpu_ticks() -> Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context(|| "cannot read /proc/self/stat".to_string())?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): cutime is field 16, cstime 17.
    let get = |i: usize| f.get(i - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Ok(get(16) + get(17))
}

fn clock_ticks_per_sec() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

struct Bench {
    nlspec: PathBuf,
    ynl_gen: PathBuf,
    out: PathBuf,
    extra: BTreeMap<String, Vec<String>>,
}

impl Bench {
    fn command(&self, g: Gen, spec: &Path, stem: &str) -> Result<Command> {
        let out = self.out.join(stem);
        let mut c;
        match g {
            Gen::NlspecUser | Gen::NlspecKernel => {
                let dir = out.join(if g == Gen::NlspecUser { "client" } else { "kmod" });
                // A fresh directory: a first build, nothing to compare with or keep.
                if dir.exists() {
                    std::fs::remove_dir_all(&dir).context(|| format!("cannot remove {}", dir.display()))?;
                }
                c = Command::new(&self.nlspec);
                c.arg("gen").arg("--spec").arg(spec).arg("--out").arg(&dir);
                if g == Gen::NlspecKernel {
                    c.arg("--kernel");
                }
            }
            Gen::YnlUser | Gen::YnlKernel => {
                mkdir_p(&out)?;
                let user = g == Gen::YnlUser;
                c = Command::new("python3");
                c.arg(&self.ynl_gen)
                    .args(["--mode", if user { "user" } else { "kernel" }, "--source", "--spec"])
                    .arg(spec)
                    .arg("-o")
                    .arg(out.join(if user { format!("{stem}-user.c") } else { format!("{stem}-nl.c") }));
                if user {
                    c.args(self.extra.get(stem).into_iter().flatten());
                }
            }
        }
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        Ok(c)
    }

    /// Run one generator; its wall time, or why it failed.
    fn time(&self, g: Gen, spec: &Path, stem: &str) -> Result<std::result::Result<Duration, String>> {
        let mut c = self.command(g, spec, stem)?;
        let t = Instant::now();
        let o = c.output().context(|| format!("cannot start {g:?} for {stem}"))?;
        let d = t.elapsed();
        Ok(if o.status.success() {
            Ok(d)
        } else {
            let e = String::from_utf8_lossy(&o.stderr);
            Err(e.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)").to_string())
        })
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn run(tarball: &Path, runs: usize) -> Result<i32> {
    let work = target_dir().join("gen-bench");
    mkdir_p(&work)?;
    let top = extract(tarball, &work)?;
    let ynl_gen = top.join("tools/net/ynl/pyynl/ynl_gen_c.py");
    let check = Command::new("python3").args(["-c", "import yaml, jsonschema"]).output();
    if !check.is_ok_and(|o| o.status.success()) {
        return Err(err!(
            "ynl_gen_c.py needs python3 with the yaml and jsonschema modules (python3-yaml, python3-jsonschema)"
        ));
    }
    note("building nlspec (release)");
    run_live(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).current_dir(workspace_root()).args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "nlspec-cli",
            "--bin",
            "nlspec",
        ]),
    )?;
    let bench = Bench {
        nlspec: target_dir().join("release/nlspec"),
        ynl_gen,
        out: work.join("out"),
        extra: makefile_args(&top.join("tools/net/ynl/generated/Makefile")),
    };
    let specs = genetlink_specs(&top.join("Documentation/netlink/specs"))?;
    let stems: Vec<String> =
        specs.iter().map(|p| p.file_stem().unwrap_or_default().to_string_lossy().into_owned()).collect();
    note(format!("{} genetlink specs of {}, {runs} run(s)", specs.len(), tarball.display()));

    let mut best: BTreeMap<(usize, Gen), Duration> = BTreeMap::new();
    let mut failed: BTreeMap<(usize, Gen), String> = BTreeMap::new();
    let (mut cpu_nlspec, mut cpu_ynl) = (0u64, 0u64);
    for r in 0..runs {
        note(format!("run {} of {runs}", r + 1));
        // One side after the other, so that each side's CPU time is one difference of the
        // children's counters (no rounding per process).
        for (side, cpu) in [(NLSPEC, &mut cpu_nlspec), (YNL, &mut cpu_ynl)] {
            let before = children_cpu_ticks()?;
            for (i, spec) in specs.iter().enumerate() {
                for g in side {
                    match bench.time(g, spec, &stems[i])? {
                        Ok(d) => {
                            let e = best.entry((i, g)).or_insert(d);
                            *e = (*e).min(d);
                        }
                        Err(m) => {
                            failed.insert((i, g), m);
                        }
                    }
                }
            }
            *cpu += children_cpu_ticks()? - before;
        }
    }

    let all = [Gen::NlspecUser, Gen::NlspecKernel, Gen::YnlUser, Gen::YnlKernel];
    let ok = |i: usize| all.iter().all(|g| !failed.contains_key(&(i, *g)));
    println!(
        "| spec | nlspec gen (ms) | nlspec gen --kernel (ms) | ynl_gen_c user --source (ms) | \
         ynl_gen_c kernel --source (ms) | ynl / nlspec |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut tot: BTreeMap<Gen, Duration> = BTreeMap::new();
    let mut n = 0;
    for (i, stem) in stems.iter().enumerate() {
        let cell = |g: Gen| match (best.get(&(i, g)), failed.contains_key(&(i, g))) {
            (Some(d), false) => ms(*d),
            _ => "failed".to_string(),
        };
        let ratio = if ok(i) {
            n += 1;
            for g in all {
                *tot.entry(g).or_default() += best[&(i, g)];
            }
            let nl = best[&(i, Gen::NlspecUser)] + best[&(i, Gen::NlspecKernel)];
            let yn = best[&(i, Gen::YnlUser)] + best[&(i, Gen::YnlKernel)];
            format!("{:.1}×", yn.as_secs_f64() / nl.as_secs_f64())
        } else {
            "-".to_string()
        };
        println!(
            "| {stem} | {} | {} | {} | {} | {ratio} |",
            cell(Gen::NlspecUser),
            cell(Gen::NlspecKernel),
            cell(Gen::YnlUser),
            cell(Gen::YnlKernel)
        );
    }
    let t = |g: Gen| tot.get(&g).copied().unwrap_or_default();
    let nl = t(Gen::NlspecUser) + t(Gen::NlspecKernel);
    let yn = t(Gen::YnlUser) + t(Gen::YnlKernel);
    let wall_ratio = yn.as_secs_f64() / nl.as_secs_f64().max(1e-9);
    println!(
        "| **total ({n} specs)** | **{}** | **{}** | **{}** | **{}** | **{wall_ratio:.1}×** |",
        ms(t(Gen::NlspecUser)),
        ms(t(Gen::NlspecKernel)),
        ms(t(Gen::YnlUser)),
        ms(t(Gen::YnlKernel))
    );
    let hz = clock_ticks_per_sec() as f64;
    let (cn, cy) = (cpu_nlspec as f64 / hz / runs as f64, cpu_ynl as f64 / hz / runs as f64);
    println!();
    println!(
        "wall clock, fastest of {runs} run(s) per process: nlspec {} ms, ynl_gen_c.py {} ms: {wall_ratio:.1}× faster",
        ms(nl),
        ms(yn)
    );
    println!(
        "CPU (user+sys of every generator process of one run, all {} specs): nlspec {:.0} ms, ynl_gen_c.py {:.0} ms: {:.1}× less",
        specs.len(),
        cn * 1000.0,
        cy * 1000.0,
        cy / cn.max(1e-9)
    );
    if !failed.is_empty() {
        println!();
        println!("failed (left out of the totals):");
        for ((i, g), m) in &failed {
            println!("- {} {g:?}: {m}", stems[*i]);
        }
    }
    Ok(0)
}

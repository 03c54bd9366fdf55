//! `cargo xtask fuzz`: builds the coverage-guided fuzz targets of `fuzz/` (cargo-fuzz layout,
//! libFuzzer with AddressSanitizer; cargo-fuzz wants nightly flags, which the stable toolchain
//! takes with `RUSTC_BOOTSTRAP=1`) and runs each for a bounded time, from its checked-in seed
//! corpus and dictionary; fails if any target crashes, leaks, runs out of memory or times
//! out. `--seeds` re-records the seed corpora and dictionaries from live traffic
//! (`fuzz/tests/seeds.rs`). What each target covers: FUZZING.md.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::err;
use crate::util::{self, note, Result};

/// Every target, in the order they run.
pub const TARGETS: &[&str] = &["rt_stream", "client_views", "cli_codec", "spec_load", "spec_text", "spec_model"];

/// Seconds per target when `NLSPEC_FUZZ_SECONDS` is not set.
const DEFAULT_SECONDS: u64 = 10;

/// What one run printed.
#[derive(Default)]
struct Stats {
    execs: u64,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<u64>,
    pass_rate: Option<String>,
}

fn parse_stats(log: &str) -> Stats {
    let mut s = Stats::default();
    let num = |w: Option<&str>| w.and_then(|x| x.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().ok());
    for line in log.lines() {
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            s.execs = s.execs.max(v.trim().parse().unwrap_or(0));
        }
        // Fork mode (`NLSPEC_FUZZ_JOBS`): the parent prints "#<executions of all jobs>: cov: ..."
        // after each job, and no final stats of its own.
        if let Some(n) = line.strip_prefix('#').and_then(|l| l.split_once(": cov: ")).and_then(|(n, _)| n.parse().ok())
        {
            s.execs = s.execs.max(n);
        }
        if line.starts_with('#') && line.contains(" cov: ") {
            let mut w = line.split_whitespace();
            while let Some(x) = w.next() {
                match x {
                    "cov:" => s.cov = num(w.next()).or(s.cov),
                    "ft:" => s.ft = num(w.next()).or(s.ft),
                    "corp:" => s.corpus = w.next().and_then(|c| c.split('/').next()).and_then(|c| c.parse().ok()),
                    _ => {}
                }
            }
        }
        if line.contains("reached the emitters") || line.contains(" inputs resolved (") {
            s.pass_rate = line.split_once(": ").map(|(_, r)| r.to_owned());
        }
    }
    s
}

/// The number in environment variable `name`, if it is set; `wants` says what it must be.
fn env_number<T: std::str::FromStr>(name: &str, wants: &str) -> Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) => v.parse().map(Some).map_err(|_| err!("{name} wants {wants}, got `{v}`")),
        Err(_) => Ok(None),
    }
}

fn fuzz_dir() -> PathBuf {
    util::workspace_root().join("fuzz")
}

/// `cargo fuzz` with the environment the targets build in.
fn cargo_fuzz() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut c = Command::new(cargo);
    c.current_dir(fuzz_dir()).env("RUSTC_BOOTSTRAP", "1").arg("fuzz");
    c
}

/// `cargo xtask fuzz [--target T] [--seeds]`.
pub fn fuzz(target: Option<String>, seeds: bool) -> Result<i32> {
    if seeds {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        util::run_live(Command::new(cargo).current_dir(fuzz_dir()).args([
            "test",
            "--test",
            "seeds",
            "--",
            "--ignored",
            "--nocapture",
        ]))?;
        note("seed corpora and dictionaries rewritten under fuzz/corpus and fuzz/dict");
        return Ok(0);
    }
    let targets: Vec<&str> = match &target {
        Some(t) => {
            let t = TARGETS
                .iter()
                .find(|x| *x == t)
                .ok_or_else(|| err!("unknown fuzz target `{t}` (targets: {})", TARGETS.join(", ")))?;
            vec![*t]
        }
        None => TARGETS.to_vec(),
    };
    let secs: u64 = env_number("NLSPEC_FUZZ_SECONDS", "whole seconds")?.unwrap_or(DEFAULT_SECONDS);
    // A long run can also stop at a number of executions (`-runs`), whichever comes first: the
    // 10 M target of FUZZING.md is a count, not a time.
    let runs: Option<u64> = env_number("NLSPEC_FUZZ_RUNS", "a whole number of executions")?;
    // Long runs can use both cores (libFuzzer's fork mode: N worker processes on one corpus,
    // their executions counted together) and a build without comparison tracing, about twice
    // the rate on the YAML parsers (the dictionary gives the keys and values those comparisons
    // would find). The short pass in `cargo xtask test` uses neither.
    let jobs: Option<NonZeroU32> = env_number("NLSPEC_FUZZ_JOBS", "a number of worker processes (1 or more)")?;
    let trace_cmp = match std::env::var("NLSPEC_FUZZ_TRACE_CMP").as_deref() {
        Err(_) | Ok("1") => true,
        Ok("0") => false,
        Ok(v) => return Err(err!("NLSPEC_FUZZ_TRACE_CMP is 1 (default) or 0, got `{v}`")),
    };
    // Built without comparison tracing into a target directory of its own, so that the
    // default build is not thrown away.
    let build_flags = |c: &mut Command| {
        if !trace_cmp {
            c.arg("--no-trace-compares").arg("--target-dir").arg(fuzz_dir().join("target").join("no-trace-compares"));
        }
    };
    let probe = cargo_fuzz().arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !probe.is_ok_and(|s| s.success()) {
        return Err(err!("cargo-fuzz is missing: `cargo install cargo-fuzz` (`cargo xtask deps` installs it)"));
    }
    let t0 = Instant::now();
    let mut build = cargo_fuzz();
    build.arg("build");
    build_flags(&mut build);
    if let Some(t) = &target {
        build.arg(t);
    }
    util::run_live(&mut build)?;
    note(format!("fuzz targets built in {:.0?}", t0.elapsed()));

    let work = util::workspace_root().join("target").join("fuzz");
    let mut failed: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for t in &targets {
        let corpus = work.join("corpus").join(t);
        let artifacts = work.join("artifacts").join(t);
        util::mkdir_p(&corpus)?;
        util::mkdir_p(&artifacts)?;
        let seeds = fuzz_dir().join("corpus").join(t);
        let dict_name = if t.starts_with("spec_") { "spec" } else { t };
        let dict = fuzz_dir().join("dict").join(format!("{dict_name}.dict"));
        let mut c = cargo_fuzz();
        c.arg("run");
        build_flags(&mut c);
        c.arg(t).arg(&corpus).arg(&seeds).arg("--");
        c.arg(format!("-max_total_time={secs}"))
            .arg("-timeout=20")
            .arg("-rss_limit_mb=4096")
            .arg("-print_final_stats=1")
            .arg(format!("-artifact_prefix={}/", artifacts.display()));
        if t.starts_with("spec_") {
            c.arg("-max_len=65536");
        }
        if let Some(n) = runs {
            c.arg(format!("-runs={n}"));
        }
        if let Some(n) = jobs {
            c.arg(format!("-fork={n}"));
        }
        if dict.exists() {
            c.arg(format!("-dict={}", dict.display()));
        }
        let log_path = work.join(format!("{t}.log"));
        let started = Instant::now();
        note(format!("fuzz {t} for {secs}s (log: {})", log_path.display()));
        let out =
            c.stdout(Stdio::null()).stderr(Stdio::piped()).output().map_err(|e| err!("cargo fuzz run {t}: {e}"))?;
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        util::write(&log_path, &log)?;
        let st = parse_stats(&log);
        let ok = out.status.success();
        if !ok {
            eprintln!("{}", util::tail(&log, 40));
            failed.push(format!("{t}: {}", failure_summary(&log, &artifacts)));
        }
        rows.push(format!(
            "{:<13} {:>12} execs {:>9.0}/s  cov {:>6}  ft {:>7}  corpus {:>6}  {}{}",
            t,
            st.execs,
            st.execs as f64 / started.elapsed().as_secs_f64(),
            st.cov.map_or("-".into(), |v| v.to_string()),
            st.ft.map_or("-".into(), |v| v.to_string()),
            st.corpus.map_or("-".into(), |v| v.to_string()),
            if ok { "ok" } else { "FAILED (crash, leak, OOM or timeout: see the log and artifacts)" },
            st.pass_rate.map_or(String::new(), |r| format!("  [{r}]")),
        ));
    }
    println!("fuzz: {secs}s per target, {:.0?} in all", t0.elapsed());
    for r in &rows {
        println!("  {r}");
    }
    if failed.is_empty() {
        Ok(0)
    } else {
        // The summary is the last thing printed, so a CI log cut to its tail still says what
        // failed and carries the input that did it.
        println!("fuzz: FAILED (artifacts under {}):", Path::new(&work).display());
        for f in &failed {
            println!("  {f}");
        }
        Ok(1)
    }
}

/// Inputs up to this size are printed in hex with a failure.
const SHOWN_INPUT: usize = 4096;

/// One line on why a libFuzzer run failed: its error (`ERROR: libFuzzer: ...`, the panic
/// message, the sanitizer's `SUMMARY:`), the input it wrote, and that input in hex when small,
/// so a failure seen only in a CI log can be reproduced (`xxd -r -p` back to the file).
fn failure_summary(log: &str, artifacts: &Path) -> String {
    let mut why: Vec<String> = Vec::new();
    for line in log.lines() {
        let l = line.trim();
        let interesting = l.starts_with("==") && l.contains("ERROR: libFuzzer:")
            || l.contains("panicked at")
            || l.starts_with("SUMMARY:")
            || l.starts_with("ERROR: libFuzzer:");
        if interesting && !why.iter().any(|w| w == l) {
            why.push(l.chars().take(300).collect());
        }
    }
    // The panic message is the line after "panicked at".
    if let Some(i) = log.lines().position(|l| l.contains("panicked at")) {
        if let Some(msg) = log.lines().nth(i + 1) {
            why.push(msg.trim().chars().take(300).collect());
        }
    }
    let input = log
        .lines()
        .rev()
        .find_map(|l| l.split_once("Test unit written to ").map(|(_, p)| p.trim().to_string()))
        .or_else(|| std::fs::read_dir(artifacts).ok()?.flatten().map(|e| e.path().display().to_string()).next());
    let mut out = if why.is_empty() { "no error line in the log (see it above)".to_string() } else { why.join(" | ") };
    match input.as_deref().map(|p| (p, std::fs::read(p))) {
        Some((p, Ok(bytes))) if bytes.len() <= SHOWN_INPUT => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!(" | input {p} ({} bytes): {hex}", bytes.len()));
        }
        Some((p, Ok(bytes))) => out.push_str(&format!(" | input {p} ({} bytes, not shown)", bytes.len())),
        Some((p, Err(e))) => out.push_str(&format!(" | input {p} ({e})")),
        None => out.push_str(" | no input written"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_summed_up_with_its_input() {
        let dir = std::env::temp_dir().join(format!("nlspec-fuzz-summary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("crash-1");
        std::fs::write(&input, [0x01, 0xab]).unwrap();
        let log = format!(
            "INFO: Seed: 1\n\nthread '<unnamed>' panicked at cli/src/x.rs:1:2:\nround trip lost data\n\
             ==9== ERROR: libFuzzer: deadly signal\nSUMMARY: libFuzzer: deadly signal\n\
             artifact_prefix='x'; Test unit written to {}\n",
            input.display()
        );
        let s = failure_summary(&log, &dir);
        assert!(s.contains("panicked at cli/src/x.rs:1:2"), "{s}");
        assert!(s.contains("round trip lost data"), "{s}");
        assert!(s.contains("SUMMARY: libFuzzer: deadly signal"), "{s}");
        assert!(s.ends_with("(2 bytes): 01ab"), "{s}");
        assert_eq!(
            failure_summary("", &dir.join("none")),
            "no error line in the log (see it above) | no input written"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn executions_are_read_from_both_modes() {
        let one = "#1024\tpulse  cov: 10 ft: 20 corp: 5/1Kb exec/s: 512 rss: 40Mb\n\
                   stat::number_of_executed_units: 2048\n";
        let s = parse_stats(one);
        assert_eq!((s.execs, s.cov, s.ft, s.corpus), (2048, Some(10), Some(20), Some(5)));
        let fork = "#95000: cov: 11 ft: 21 corp: 6 exec/s: 1400 oom/timeout/crash: 0/0/0 time: 60s job: 3 dft_time: 0\n\
                    #190000: cov: 12 ft: 22 corp: 7 exec/s: 1500 oom/timeout/crash: 0/0/0 time: 120s job: 4 dft_time: 0\n\
                    INFO: exiting: 0 time: 121s\n";
        let s = parse_stats(fork);
        assert_eq!((s.execs, s.cov, s.ft, s.corpus), (190000, Some(12), Some(22), Some(7)));
    }
}

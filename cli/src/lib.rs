//! The `nlspec` command line: `check`, `gen`, and the kernel YNL CLI convention
//! (`--spec PATH --do/--dump OP [--json ..] [--output-json]`, `--subscribe GROUP`).

pub mod dynamic;

mod args;
mod gen;
mod policy;
mod raw;
mod raw_run;
mod run;

use std::io::Write;

use nlspec_model::{ir, Diagnostics};

/// Why the command failed: usage errors exit 2, everything else 1.
#[derive(Debug, PartialEq)]
pub enum Fail {
    /// Bad command line or bad input given on it (exit 2).
    Usage(String),
    /// Spec, kernel or I/O error (exit 1); the message is already complete.
    Error(String),
    /// Output closed (e.g. piped into `head`): stop quietly.
    Quiet,
}

/// Run with the process arguments; returns the exit status.
pub fn main() -> i32 {
    // args_os: `std::env::args` panics on an argument that is not UTF-8.
    let argv = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().map_err(|a| Fail::Usage(format!("argument {a:?} is not valid UTF-8"))))
        .collect::<Result<Vec<String>, Fail>>();
    match argv.and_then(args::parse).and_then(dispatch) {
        Ok(()) => 0,
        Err(Fail::Usage(m)) => {
            eprintln!("nlspec: error: {m}");
            eprintln!("(run `nlspec --help` for usage)");
            2
        }
        Err(Fail::Error(m)) => {
            eprintln!("{m}");
            1
        }
        Err(Fail::Quiet) => 0,
    }
}

fn dispatch(cmd: args::Command) -> Result<(), Fail> {
    match cmd {
        args::Command::Help => out(args::USAGE),
        args::Command::Version => out(&format!("nlspec {}", env!("CARGO_PKG_VERSION"))),
        args::Command::Check { spec } => check(&spec),
        args::Command::Gen { spec, out, kernel, rt_path } => gen::gen(&spec, &out, kernel, rt_path.as_deref()),
        args::Command::Run(r) => run::run(r),
    }
}

/// Print one line to stdout; a closed pipe ends the program quietly.
pub(crate) fn out(s: &str) -> Result<(), Fail> {
    let mut o = std::io::stdout().lock();
    writeln!(o, "{s}").and_then(|_| o.flush()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Fail::Quiet
        } else {
            Fail::Error(format!("nlspec: cannot write to stdout: {e}"))
        }
    })
}

fn print_warnings(fam: &ir::Family) {
    for w in &fam.warnings {
        let s = w.to_string();
        // Diagnostics render as errors; these are the tolerated quirks.
        eprintln!("{}", s.replacen(": error: ", ": warning: ", 1));
    }
}

/// Load and resolve a spec; a failure is the located diagnostics (exit 1).
pub(crate) fn load(spec: &str) -> Result<ir::Family, Fail> {
    nlspec_model::load_and_resolve(spec).map_err(|d: Diagnostics| {
        let n = d.len();
        Fail::Error(format!("{d}\nnlspec: {spec}: {n} error{}", if n == 1 { "" } else { "s" }))
    })
}

fn check(spec: &str) -> Result<(), Fail> {
    let fam = load(spec)?;
    print_warnings(&fam);
    out(&format!(
        "{spec}: ok: family {} ({:?}), {} attribute sets, {} operations, {} multicast groups{}",
        fam.name,
        fam.protocol,
        fam.sets.len(),
        fam.ops.list.len(),
        fam.mcast_groups.len(),
        match fam.warnings.len() {
            0 => String::new(),
            n => format!(", {n} warning{}", if n == 1 { "" } else { "s" }),
        }
    ))
}

//! The `nlspec` command line: `check`, `gen`, and the kernel YNL CLI convention
//! (`--spec PATH --do/--dump OP [--json ..] [--output-json]`, `--subscribe GROUP`).

// Diagnostics go to stderr whatever became of it: `std`'s `eprintln!` panics when stderr is a
// closed pipe (`nlspec ... 2>&1 | head -1`), so within this crate these shadow it and drop a
// failed write, as the exit status still says what happened.
macro_rules! eprintln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}
macro_rules! eprint {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($t)*);
    }};
}

pub mod abi;
pub mod dynamic;

mod args;
mod doc;
mod errctx;
mod errors;
mod gen;
mod kcheck;
mod listattrs;
mod output;
mod policy;
mod raw;
mod raw_run;
mod recvdbg;
mod run;
mod schema;
mod spec;
mod specpath;

pub use errors::Fail;
use output::out;
use spec::{load, print_warnings};

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
        Err(Fail::Exit(n)) => n,
    }
}

fn dispatch(cmd: args::Command) -> Result<(), Fail> {
    match cmd {
        args::Command::Help => out(args::USAGE),
        args::Command::Version => out(&format!("nlspec {}", env!("CARGO_PKG_VERSION"))),
        args::Command::Check { spec } => check(&spec),
        args::Command::Gen { spec, out, kernel, in_tree, rt_path } => {
            gen::gen(&spec, &out, kernel, in_tree, rt_path.as_deref())
        }
        args::Command::AbiCheck { old, new } => abi::abi_check(&old, &new),
        args::Command::Doc { spec, format, out } => doc::doc(&spec, format, out.as_deref()),
        args::Command::Run(mut r) => {
            if r.list_families {
                for name in specpath::list(&r.spec_dirs)? {
                    out(&name)?;
                }
                return Ok(());
            }
            if let Some(f) = &r.family {
                r.spec = specpath::find(f, &r.spec_dirs)?.display().to_string();
            }
            if let Some(s) = &r.schema {
                // YNL opens the schema (FileNotFoundError when it is missing); see --help.
                if !r.no_schema && !std::path::Path::new(s).is_file() {
                    return Err(Fail::Error(format!("nlspec: --schema {s}: no such file")));
                }
            }
            if r.validate {
                let schema = if r.no_schema { None } else { r.schema.clone() };
                return validate(&r.spec, schema.as_deref());
            }
            if r.check_kernel {
                return kcheck::check_kernel(&r.spec);
            }
            run::run(*r)
        }
    }
}

/// `--validate`: as YNL's (`SpecFamily(..)`, then `print(error)` and exit 1 on a
/// `SpecException`): silent and 0 when valid. YNL's one rule nlspec's loader does not have, the
/// SPDX first line, is checked first with YNL's message (on stdout, where YNL prints it); then
/// nlspec's own validator, which checks more than a schema can; then the JSON schema YNL would
/// use: `--schema FILE`, else `<spec dir>/../<protocol>.yaml` when it exists (where YNL looks;
/// `--no-schema` skips it).
fn validate(spec: &str, schema: Option<&str>) -> Result<(), Fail> {
    let text = std::fs::read_to_string(spec).map_err(|e| Fail::Error(format!("nlspec: {spec}: {e}")))?;
    if !text.lines().next().unwrap_or("").trim().starts_with("# SPDX-License-Identifier: ") {
        out("SPDX license tag required in the spec")?;
        return Err(Fail::Exit(1));
    }
    let fam = load(spec)?;
    if let Some(schema) = schema_file(spec, fam.protocol.as_str(), schema) {
        let tree = |p: &std::path::Path| nlspec_model::loader::load_tree(p).map_err(|d| Fail::Error(d.to_string()));
        let (s, d) = (tree(&schema)?, tree(std::path::Path::new(spec))?);
        schema::validate(&s, &d).map_err(|d| Fail::Error(d.to_string()))?;
    }
    print_warnings(&fam);
    Ok(())
}

/// The schema `--validate` holds `spec` to: the one given, else YNL's default next to the spec
/// directory (`specs/../<protocol>.yaml`), if present.
fn schema_file(spec: &str, protocol: &str, given: Option<&str>) -> Option<std::path::PathBuf> {
    if let Some(g) = given {
        return Some(g.into());
    }
    let dir = std::path::Path::new(spec).parent()?.parent()?;
    let p = dir.join(format!("{protocol}.yaml"));
    p.is_file().then_some(p)
}

fn check(spec: &str) -> Result<(), Fail> {
    let fam = load(spec)?;
    print_warnings(&fam);
    out(&format!(
        "{spec}: ok: family {} ({}), {} attribute sets, {} operations, {} multicast groups{}",
        fam.name,
        fam.protocol.as_str(),
        fam.sets.len(),
        fam.ops.list.len(),
        fam.mcast_groups.len(),
        match fam.warnings.len() {
            0 => String::new(),
            n => format!(", {n} warning{}", if n == 1 { "" } else { "s" }),
        }
    ))
}

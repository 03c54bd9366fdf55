//! nlspec's task runner: `cargo xtask <task>`. See `cargo xtask help`.

mod args;
mod kernel;
mod util;

use args::Args;
use util::Result;

const HELP: &str = "\
usage: cargo xtask <task> [options]

tasks:
  deps                               install system dependencies (xtask/scripts/install-deps.sh)
  kernel --version V [--print-kdir]  build (or reuse) a Rust-enabled kernel V (6.12, 7.3); print KDIR
";

fn main() {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        eprint!("{HELP}");
        std::process::exit(2);
    }
    let task = argv.remove(0);
    let args = Args::new(argv);
    let result: Result<i32> = match task.as_str() {
        "kernel" => cmd_kernel(args),
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

fn cmd_kernel(mut a: Args) -> Result<i32> {
    let version = a.required("--version")?;
    let _print_kdir = a.flag("--print-kdir");
    a.finish()?;
    let kd = kernel::ensure(&version)?;
    println!("{}", kd.kdir.display());
    Ok(0)
}

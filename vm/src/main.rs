//! `nlspec-vm`: boot a kernel in qemu with modules and static binaries and run one command
//! (`run`), or build a static binary for such a guest (`build-static`). The same code
//! `cargo xtask vm-run` and nlspec's VM suites use, for modules developed anywhere.

use nlspec_vm::static_build::{self, Build, Crate};
use nlspec_vm::{err, Result, VmSpec};
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "\
usage:
  nlspec-vm run --kernel BZIMAGE|KDIR [--ko FILE]... [--bin FILE]... [--timeout S]
                [--kernel-version V] [--no-kmemleak] -- COMMAND...
      Boot the kernel (a bzImage, or a built kernel tree) in qemu with the modules in
      /lib/modules and the binaries in /bin of a busybox initramfs, run COMMAND as root, scan
      kmemleak and the kernel log. Exit code: COMMAND's; 124 on timeout (S seconds for the
      command, default 120, plus time to boot and scan); 125 if the guest died without finishing
      (panic); 123 if COMMAND exited 0 but a detector (KASAN, lockdep, atomic sleep, kmemleak, a
      kernel warning) reported. A kernel without kmemleak is such a report unless --no-kmemleak.
      NLSPEC_KVM=1 boots with KVM instead of TCG.
  nlspec-vm build-static (-p PACKAGE | --manifest-path TOML) --bin NAME [--features F,..]
                [--release] [--target-dir DIR]
      Build one binary statically (the guest has no libc) into DIR (default target/static) and
      print its path.
";

/// The command line after the subcommand: options (possibly repeated) and the words after `--`.
struct Opts {
    pairs: Vec<(String, Option<String>)>,
    rest: Vec<String>,
}

impl Opts {
    /// Splits `argv`; `flags` take no value, every other `--name` takes one.
    fn parse(argv: &[String], flags: &[&str]) -> Result<Opts> {
        let mut pairs = Vec::new();
        let mut words = argv.iter();
        while let Some(word) = words.next() {
            if word == "--" {
                return Ok(Opts { pairs, rest: words.cloned().collect() });
            }
            if !word.starts_with('-') {
                return Err(err!("unexpected argument `{word}`\n\n{USAGE}"));
            }
            if let Some((name, value)) = word.split_once('=') {
                pairs.push((name.to_string(), Some(value.to_string())));
            } else if flags.contains(&word.as_str()) {
                pairs.push((word.clone(), None));
            } else {
                let value = words.next().ok_or_else(|| err!("option {word} needs a value"))?;
                pairs.push((word.clone(), Some(value.clone())));
            }
        }
        Ok(Opts { pairs, rest: Vec::new() })
    }

    /// Every value of option `name`, in order; removes them.
    fn all(&mut self, name: &str) -> Vec<String> {
        let (taken, kept) = std::mem::take(&mut self.pairs).into_iter().partition(|(n, _)| n == name);
        self.pairs = kept;
        taken.into_iter().filter_map(|(_, v)| v).collect()
    }

    /// The value of option `name` given at most once.
    fn one(&mut self, name: &str) -> Result<Option<String>> {
        let mut v = self.all(name);
        if v.len() > 1 {
            return Err(err!("option {name} given {} times", v.len()));
        }
        Ok(v.pop())
    }

    /// Whether flag `name` is present.
    fn flag(&mut self, name: &str) -> bool {
        let before = self.pairs.len();
        self.pairs.retain(|(n, _)| n != name);
        self.pairs.len() != before
    }

    /// Fails on anything not consumed.
    fn finish(&self) -> Result<()> {
        match self.pairs.first() {
            Some((name, _)) => Err(err!("unknown option {name}\n\n{USAGE}")),
            None => Ok(()),
        }
    }
}

fn run(argv: &[String]) -> Result<i32> {
    let mut o = Opts::parse(argv, &["--no-kmemleak"])?;
    let kernel = o.one("--kernel")?.ok_or_else(|| err!("run needs --kernel BZIMAGE|KDIR\n\n{USAGE}"))?;
    let kos = o.all("--ko").into_iter().map(PathBuf::from).collect();
    let bins = o.all("--bin").into_iter().map(PathBuf::from).collect();
    let timeout = match o.one("--timeout")? {
        Some(t) => t.parse::<u64>().map_err(|_| err!("--timeout wants whole seconds, got `{t}`"))?,
        None => 120,
    };
    let version = o.one("--kernel-version")?;
    let kmemleak_optional = o.flag("--no-kmemleak");
    o.finish()?;
    if o.rest.is_empty() {
        return Err(err!("no guest command given: nlspec-vm run --kernel ... -- COMMAND"));
    }
    let spec = VmSpec {
        bzimage: nlspec_vm::kernel_image(PathBuf::from(kernel).as_path())?,
        kos,
        bins,
        command: nlspec_vm::command_from_words(&o.rest),
        timeout: Duration::from_secs(timeout),
    };
    nlspec_vm::run_command(&spec, version.as_deref(), kmemleak_optional, "nlspec-vm")
}

fn build_static(argv: &[String]) -> Result<i32> {
    let mut o = Opts::parse(argv, &["--release"])?;
    let package = match o.one("-p")? {
        Some(p) => Some(p),
        None => o.one("--package")?,
    };
    let manifest = o.one("--manifest-path")?.map(PathBuf::from);
    let bin = o.one("--bin")?.ok_or_else(|| err!("build-static needs --bin NAME\n\n{USAGE}"))?;
    let features = o.all("--features").join(",");
    let features: Vec<&str> = features.split(',').filter(|f| !f.is_empty()).collect();
    let release = o.flag("--release");
    let target_dir = o.one("--target-dir")?.map_or_else(|| PathBuf::from("target/static"), PathBuf::from);
    o.finish()?;
    if !o.rest.is_empty() {
        return Err(err!("build-static takes nothing after `--`"));
    }
    let krate = match (&package, &manifest) {
        (Some(p), None) => Crate::Package(p),
        (None, Some(m)) => Crate::Manifest(m),
        _ => return Err(err!("build-static wants one of -p PACKAGE and --manifest-path TOML")),
    };
    let cwd = std::env::current_dir().map_err(|e| err!("current directory: {e}"))?;
    let path = static_build::build(&Build {
        krate,
        bin: &bin,
        features: &features,
        release,
        target_dir: &cwd.join(target_dir),
        cwd: &cwd,
    })?;
    println!("{}", path.display());
    Ok(0)
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = match argv.first().map(String::as_str) {
        Some("run") => run(&argv[1..]),
        Some("build-static") => build_static(&argv[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(0)
        }
        Some(other) => Err(err!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(err!("no command given\n\n{USAGE}")),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("nlspec-vm: error: {e}");
            std::process::exit(2);
        }
    }
}

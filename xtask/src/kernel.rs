//! `cargo xtask kernel`: a Rust-enabled kernel from Debian's linux-source packages, built in
//! place under `~/.cache/nlspec/kernels/<version>-<key>/` and reused while nothing that affects
//! the build has changed.

use crate::err;
use crate::util::{self, note, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Bump when the recipe below changes in a way that changes the built kernel.
const RECIPE_VERSION: &str = "nlspec-kernel-recipe-3";

/// Kernel versions we know how to build (the `linux-source-<v>` Debian packages).
pub const VERSIONS: &[&str] = &["6.12", "7.3"];

/// The `kernel::net::genetlink` patch series for `version`, in the order `git am` applies it
/// (`kernel/patches/<version>/000N-*.patch`; the cover letter `0000-*` carries no diff).
/// Every test kernel is built with it applied: the series only adds to the kernel's `rust/`
/// (bindings, helpers, the `kernel` crate), so one build serves the out-of-tree modules, which
/// do not use it, and the series' own checks (`cargo xtask series`).
pub fn series(version: &str) -> Result<Vec<PathBuf>> {
    check_version(version)?;
    let dir = util::workspace_root().join("kernel/patches").join(version);
    let mut patches: Vec<PathBuf> = std::fs::read_dir(&dir)
        .context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.ends_with(".patch") && !n.starts_with("0000-")
            })
        })
        .collect();
    patches.sort();
    if patches.is_empty() {
        return Err(err!("{} holds no patches", dir.display()));
    }
    Ok(patches)
}

/// Applies `patches` in order to the tree at `dir` with `patch -p1`, exactly: no fuzz and no
/// offset (the series is made against this very source), and fails naming the patch otherwise.
pub fn apply_series(dir: &Path, patches: &[PathBuf], log: &Path) -> Result<()> {
    for p in patches {
        let out = Command::new("patch")
            .current_dir(dir)
            .args(["-p1", "--forward", "--batch", "--fuzz=0", "--no-backup-if-mismatch", "-i"])
            .arg(p)
            .output()
            .context(|| "running patch (Debian package patch; run `cargo xtask deps`)".into())?;
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let mut l =
            std::fs::OpenOptions::new().create(true).append(true).open(log).context(|| log.display().to_string())?;
        std::io::Write::write_all(&mut l, text.as_bytes()).context(|| log.display().to_string())?;
        if !out.status.success() || text.contains("offset") || text.contains("fuzz") {
            return Err(err!("{} does not apply exactly to {}:\n{}", p.display(), dir.display(), text.trim_end()));
        }
    }
    Ok(())
}

/// The config fragment merged onto tinyconfig.
pub fn fragment_path() -> PathBuf {
    util::workspace_root().join("xtask/kconfig/nlspec.config")
}

/// The toolchain every kernel and module build uses. Paths are explicit because rustup's
/// `~/.cargo/bin` comes first in PATH and its toolchains have no rust-src; clang must be 19
/// (`LLVM=-19`), the default clang-14 is below the kernel's minimum.
pub struct Toolchain {
    pub llvm: String,
    pub rustc: PathBuf,
    pub bindgen: PathBuf,
    pub libclang_path: PathBuf,
    /// Debian's clippy for rustc-web (`rust-web-clippy`): the kernel is built with `CLIPPY=1`.
    pub clippy_driver: PathBuf,
}

impl Toolchain {
    pub fn detect() -> Result<Toolchain> {
        let rustc = PathBuf::from("/usr/bin/rustc");
        if !rustc.is_file() {
            return Err(err!("{} not found (Debian rustc-web); run `cargo xtask deps`", rustc.display()));
        }
        let bindgen = bindgen_path()?;
        let libclang_path =
            PathBuf::from(std::env::var("LIBCLANG_PATH").unwrap_or_else(|_| "/usr/lib/llvm-19/lib".into()));
        if !libclang_path.is_dir() {
            return Err(err!(
                "LIBCLANG_PATH {} is not a directory (libclang-19-dev); run `cargo xtask deps`",
                libclang_path.display()
            ));
        }
        let clippy_driver = PathBuf::from("/usr/bin/clippy-driver");
        if !clippy_driver.is_file() {
            return Err(err!("{} not found (Debian rust-web-clippy); run `cargo xtask deps`", clippy_driver.display()));
        }
        Ok(Toolchain { llvm: "-19".into(), rustc, bindgen, libclang_path, clippy_driver })
    }

    /// `make` variables for kernel and M= builds.
    pub fn make_vars(&self) -> Vec<String> {
        vec![
            format!("LLVM={}", self.llvm),
            format!("RUSTC={}", self.rustc.display()),
            format!("HOSTRUSTC={}", self.rustc.display()),
            // rustdoc must be rustc-web's too (doctests, `make rustdoc`): PATH's is rustup's.
            format!("RUSTDOC={}", self.rustc.with_file_name("rustdoc").display()),
            format!("BINDGEN={}", self.bindgen.display()),
        ]
    }

    /// A `make` command (niced) with the toolchain variables and environment.
    pub fn make(&self, dir: &Path) -> Command {
        let mut c = Command::new("nice");
        c.arg("make").arg("-C").arg(dir).args(self.make_vars());
        self.apply_env(&mut c);
        c
    }

    /// Environment for builds (also for module Makefiles that run bindgen themselves).
    pub fn apply_env(&self, c: &mut Command) {
        c.env("LIBCLANG_PATH", &self.libclang_path)
            .env("LLVM", &self.llvm)
            .env("RUSTC", &self.rustc)
            .env("HOSTRUSTC", &self.rustc)
            .env("BINDGEN", &self.bindgen);
    }

    /// Version strings of every tool whose change must rebuild the kernel.
    fn fingerprint(&self) -> Result<String> {
        let mut s = String::new();
        s += &util::run_capture(Command::new(&self.rustc).arg("-vV"))?;
        s += &util::run_capture(Command::new(&self.bindgen).arg("--version"))?;
        s += &util::run_capture(Command::new(&self.clippy_driver).arg("--version"))?;
        s += &util::run_capture(Command::new(format!("clang{}", self.llvm)).arg("--version"))?;
        s += &util::run_capture(Command::new(format!("ld.lld{}", self.llvm)).arg("--version"))?;
        s += &format!("LIBCLANG_PATH={}\n", self.libclang_path.display());
        Ok(s)
    }
}

/// bindgen-cli: `$BINDGEN`, else `~/.cargo/bin/bindgen` (cargo install), else PATH.
fn bindgen_path() -> Result<PathBuf> {
    if let Some(b) = std::env::var_os("BINDGEN").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(b));
    }
    let cargo_home = match std::env::var_os("CARGO_HOME").filter(|v| !v.is_empty()) {
        Some(c) => PathBuf::from(c),
        None => util::home()?.join(".cargo"),
    };
    let p = cargo_home.join("bin/bindgen");
    if p.is_file() {
        return Ok(p);
    }
    util::which("bindgen").ok_or_else(|| {
        err!("bindgen-cli not found (looked at $BINDGEN, {}, PATH); run `cargo xtask deps`", p.display())
    })
}

fn check_version(version: &str) -> Result<()> {
    if VERSIONS.contains(&version) {
        Ok(())
    } else {
        Err(err!("unknown kernel version `{version}`; known: {}", VERSIONS.join(", ")))
    }
}

/// Installed version of the linux-source package, e.g. `6.12.95-1~bpo12+1`.
fn source_pkg_version(version: &str) -> Result<String> {
    let pkg = format!("linux-source-{version}");
    let out = util::run_capture(Command::new("dpkg-query").args(["-W", "-f=${Version}", &pkg]))
        .map_err(|e| err!("package {pkg} is not installed (run `cargo xtask deps`): {e}"))?;
    if out.trim().is_empty() {
        return Err(err!("package {pkg} is not installed; run `cargo xtask deps`"));
    }
    Ok(out.trim().to_string())
}

/// Where a kernel lives in the cache, and how it is keyed.
pub struct KernelDir {
    pub version: String,
    /// `~/.cache/nlspec/kernels/<version>-<key>`
    pub root: PathBuf,
    /// The kernel build (and source) tree: `<root>/linux-source-<version>`.
    pub kdir: PathBuf,
    key_material: String,
}

impl KernelDir {
    pub fn locate(version: &str, tc: &Toolchain) -> Result<KernelDir> {
        check_version(version)?;
        let fragment = util::read(&fragment_path())?;
        let mut material =
            format!("{RECIPE_VERSION}\nversion={version}\nlinux-source={}\n", source_pkg_version(version)?);
        material += &tc.fingerprint()?;
        for p in series(version)? {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            material += &format!("patch {name} {}\n", util::sha256_hex(&util::read(&p)?)?);
        }
        material += "--- fragment ---\n";
        material += &String::from_utf8_lossy(&fragment);
        let key = util::sha256_hex(material.as_bytes())?;
        let root = util::cache_dir()?.join("kernels").join(format!("{version}-{}", &key[..16]));
        let kdir = root.join(format!("linux-source-{version}"));
        Ok(KernelDir { version: version.to_string(), root, kdir, key_material: material })
    }

    pub fn bzimage(&self) -> PathBuf {
        self.kdir.join("arch/x86/boot/bzImage")
    }

    pub fn is_complete(&self) -> bool {
        self.root.join(".complete").is_file()
    }
}

/// Ensures the kernel `version` is built; returns its location.
pub fn ensure(version: &str) -> Result<KernelDir> {
    let tc = Toolchain::detect()?;
    let kd = KernelDir::locate(version, &tc)?;
    if kd.is_complete() {
        return Ok(kd);
    }
    util::mkdir_p(kd.root.parent().expect("root has a parent"))?;
    let mut lock_path = kd.root.clone().into_os_string();
    lock_path.push(".lock");
    let _lock = util::lock_file(Path::new(&lock_path))?;
    if kd.is_complete() {
        return Ok(kd); // another xtask finished it while we waited
    }
    let started = Instant::now();
    build(&kd, &tc).map_err(|e| err!("building kernel {version} in {}: {e}", kd.root.display()))?;
    note(format!("kernel {version} built in {:.1} min: {}", started.elapsed().as_secs_f64() / 60.0, kd.kdir.display()));
    note_stale(&kd);
    Ok(kd)
}

/// After a rebuild, names the same version's older cache dirs (a few GB each): they are never
/// used again by this checkout but are left alone in case another checkout still uses them.
fn note_stale(kd: &KernelDir) {
    let Some(parent) = kd.root.parent() else { return };
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let prefix = format!("{}-", kd.version);
    let stale: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && *p != kd.root)
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&prefix)))
        .map(|p| p.display().to_string())
        .collect();
    if !stale.is_empty() {
        note(format!("older kernel {} cache dirs, deletable if unused: {}", kd.version, stale.join(" ")));
    }
}

fn build(kd: &KernelDir, tc: &Toolchain) -> Result<()> {
    let v = &kd.version;
    util::mkdir_p(&kd.root)?;
    util::write(&kd.root.join("key.txt"), &kd.key_material)?;
    let log = kd.root.join("build.log");
    let stamp = |name: &str| kd.root.join(name);
    note(format!("building kernel {v} in {} (log: {})", kd.kdir.display(), log.display()));

    // 1. Extract the source and apply the series (redone from scratch if interrupted).
    if !stamp(".extracted").is_file() {
        let tarball = PathBuf::from(format!("/usr/src/linux-source-{v}.tar.xz"));
        if !tarball.is_file() {
            return Err(err!("{} missing; run `cargo xtask deps`", tarball.display()));
        }
        if kd.kdir.exists() {
            std::fs::remove_dir_all(&kd.kdir).context(|| format!("removing partial tree {}", kd.kdir.display()))?;
        }
        note(format!("extracting {}", tarball.display()));
        util::run_logged(Command::new("nice").arg("tar").arg("-xf").arg(&tarball).arg("-C").arg(&kd.root), &log)?;
        if !kd.kdir.is_dir() {
            return Err(err!("{} did not contain linux-source-{v}/", tarball.display()));
        }
        note(format!("applying the kernel::net::genetlink series (kernel/patches/{v})"));
        apply_series(&kd.kdir, &series(v)?, &log)?;
        util::write(&stamp(".extracted"), "")?;
    }

    // 2. Is the toolchain good enough for this kernel's Rust support?
    let ra = tc.make(&kd.kdir).arg("rustavailable").output().context(|| "running make rustavailable".into())?;
    if !ra.status.success() {
        return Err(err!(
            "`make rustavailable` says the Rust toolchain cannot build kernel {v} \
             (rustc {}, bindgen {}, clang{}); run `cargo xtask deps`. Its output:\n{}{}",
            tc.rustc.display(),
            tc.bindgen.display(),
            tc.llvm,
            String::from_utf8_lossy(&ra.stdout),
            String::from_utf8_lossy(&ra.stderr)
        ));
    }

    // 3. Configure: tinyconfig + our fragment, then check every requested option took.
    if !stamp(".configured").is_file() {
        note("configuring (tinyconfig + xtask/kconfig/nlspec.config)");
        util::run_logged(tc.make(&kd.kdir).arg("tinyconfig"), &log)?;
        util::run_logged(
            Command::new("scripts/kconfig/merge_config.sh")
                .current_dir(&kd.kdir)
                .args(["-m", ".config"])
                .arg(fragment_path()),
            &log,
        )?;
        util::run_logged(tc.make(&kd.kdir).arg("olddefconfig"), &log)?;
        check_config(&kd.kdir.join(".config"), &fragment_path())?;
        util::write(&stamp(".configured"), "")?;
    }

    // 4. Build. make is incremental, so an interrupted build resumes here.
    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    // CLIPPY=1: the kernel's Rust (the series among it) is linted as upstream builds it;
    // `cargo xtask series` reads the warnings back from the log.
    note(format!("make -j{jobs} CLIPPY=1 bzImage modules (several minutes)"));
    util::run_logged(
        tc.make(&kd.kdir)
            .arg(format!("-j{jobs}"))
            .arg("CLIPPY=1")
            .arg(format!("CLIPPY_DRIVER={}", tc.clippy_driver.display()))
            .args(["bzImage", "modules"]),
        &log,
    )?;
    for f in [kd.bzimage(), kd.kdir.join("Module.symvers")] {
        if !f.is_file() {
            return Err(err!("build finished but {} is missing", f.display()));
        }
    }
    util::write(&stamp(".complete"), "")?;
    Ok(())
}

/// Every `CONFIG_X=y` of the fragment must be `=y` in .config, every `# CONFIG_X is not set`
/// must not be set; otherwise a dependency is missing and the kernel would silently lack it.
/// Symbols the kernel tree at `kdir` does not define at all (renamed or removed in that version,
/// e.g. PROC_SYSCTL became SYSCTL in 7.x) are reported as a note, not an error.
fn check_config(config: &Path, fragment: &Path) -> Result<()> {
    let kdir = config.parent().expect(".config is inside the tree");
    let cfg = String::from_utf8_lossy(&util::read(config)?).into_owned();
    let frag = String::from_utf8_lossy(&util::read(fragment)?).into_owned();
    let has = |l: &str| cfg.lines().any(|c| c.trim() == l);
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    for line in frag.lines().map(str::trim) {
        if line.starts_with("CONFIG_") {
            if !has(line) {
                let name = line.trim_start_matches("CONFIG_").split('=').next().unwrap_or("");
                if kconfig_defines(kdir, name)? {
                    bad.push(format!("wanted {line}"));
                } else {
                    unknown.push(format!("CONFIG_{name}"));
                }
            }
        } else if let Some(rest) = line.strip_prefix("# CONFIG_") {
            if let Some(name) = rest.strip_suffix(" is not set") {
                let set = format!("CONFIG_{name}=");
                if cfg.lines().any(|c| c.starts_with(&set) && !c.ends_with("=n")) {
                    bad.push(format!("wanted CONFIG_{name} unset"));
                }
            }
        }
    }
    if !unknown.is_empty() {
        note(format!(
            "{} {} not defined by this kernel's Kconfig (renamed or removed); ignored",
            unknown.join(", "),
            if unknown.len() == 1 { "is" } else { "are" }
        ));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(err!(
            "{} does not have what {} asks for (an unmet dependency?): {}",
            config.display(),
            fragment.display(),
            bad.join(", ")
        ))
    }
}

/// Whether any Kconfig file under `kdir` defines `config NAME` / `menuconfig NAME`.
fn kconfig_defines(kdir: &Path, name: &str) -> Result<bool> {
    fn walk(dir: &Path, name: &str) -> Result<bool> {
        for e in std::fs::read_dir(dir).context(|| format!("listing {}", dir.display()))? {
            let e = e.context(|| format!("listing {}", dir.display()))?;
            let p = e.path();
            let ft = e.file_type().context(|| p.display().to_string())?;
            if ft.is_dir() {
                if walk(&p, name)? {
                    return Ok(true);
                }
            } else if ft.is_file() && e.file_name().to_string_lossy().starts_with("Kconfig") {
                let text = String::from_utf8_lossy(&util::read(&p)?).into_owned();
                let found = text.lines().any(|l| {
                    let mut w = l.split_whitespace();
                    matches!(w.next(), Some("config" | "menuconfig")) && w.next() == Some(name)
                });
                if found {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
    walk(kdir, name)
}

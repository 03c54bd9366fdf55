//! `cargo xtask package-check`: the crates as a stranger gets them.
//!
//! 1. `cargo publish --dry-run --workspace`: nlspec-model, nlspec-rt, nlspec-codegen,
//!    nlspec-cli and nlspec-vm package and build from their `.crate` files alone (metadata, readme, license,
//!    every file the build needs inside the package).
//! 2. `cargo install --path cli` (and `--path vm`) into a temporary root yields the `nlspec`
//!    (and `nlspec-vm`) binary; `cargo xtask vm-smoke` uses the installed `nlspec-vm` on a
//!    module and a binary outside the workspace.
//! 3. That binary generates the nlctrl client into a directory outside the workspace; a new
//!    application crate beside it depends on the client, and on `nlspec-rt` through the
//!    packaged `.crate` (unpacked, wired in with `[patch.crates-io]`, as a registry would serve
//!    it). No file of the generated client is edited. The application builds and runs: it
//!    resolves the `nlctrl` family on the live kernel and lists the families.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::err;
use crate::util::{mkdir_p, note, run_capture, run_live, workspace_root, write, Result};

/// `cargo publish --workspace` verifies each crate against the others packaged beside it, through
/// a temporary registry whose sources cargo unpacks into `$CARGO_HOME/registry/src/<hash>/` and
/// reuses from there by name and version alone. With the version unchanged (0.1.0 until a
/// release) a later run would compile an earlier run's sources; so those unpacked copies of this
/// workspace's own crates are removed first (they are only ever made by this check).
fn forget_unpacked_own_crates() -> Result<()> {
    let home = match std::env::var_os("CARGO_HOME").filter(|v| !v.is_empty()) {
        Some(h) => std::path::PathBuf::from(h),
        None => crate::util::home()?.join(".cargo"),
    };
    let Ok(indexes) = std::fs::read_dir(home.join("registry/src")) else { return Ok(()) };
    for index in indexes.flatten() {
        let Ok(entries) = std::fs::read_dir(index.path()) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if ["nlspec-model-", "nlspec-rt-", "nlspec-codegen-", "nlspec-cli-", "nlspec-vm-"]
                .iter()
                .any(|p| name.starts_with(p))
            {
                std::fs::remove_dir_all(e.path()).map_err(|err| err!("removing {}: {err}", e.path().display()))?;
            }
        }
    }
    Ok(())
}

/// For the same reason, what an earlier run compiled from those unpacked copies: cargo
/// fingerprints a registry crate by name, version and source, not by its files, so it would link
/// the earlier build (seen: a `KernelOptions` field the packaged codegen had, unknown to the
/// nlspec-cli check). Removes this workspace's crates' artifacts from the check's target dir.
fn forget_built_own_crates(target: &std::path::Path) -> Result<()> {
    for sub in ["debug/.fingerprint", "debug/deps", "debug/build", "debug/incremental"] {
        let Ok(entries) = std::fs::read_dir(target.join(sub)) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("nlspec") || name.starts_with("libnlspec") {
                let p = e.path();
                let r = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
                r.map_err(|err| err!("removing {}: {err}", p.display()))?;
            }
        }
    }
    Ok(())
}

pub fn package_check() -> Result<i32> {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Outside the workspace's directory tree, so nothing can find this workspace by walking up.
    let work = std::env::temp_dir().join("nlspec-package-check");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| err!("removing {}: {e}", work.display()))?;
    }
    mkdir_p(&work)?;
    // A target dir of its own, so the `.crate` files found below are this dry run's.
    let target = root.join("target/package-check-target");

    forget_unpacked_own_crates()?;
    forget_built_own_crates(&target)?;
    note("package-check: cargo publish --dry-run --workspace");
    run_live(Command::new(&cargo).current_dir(&root).env("CARGO_TARGET_DIR", &target).args([
        "publish",
        "--dry-run",
        "--workspace",
        "--allow-dirty",
    ]))?;

    note("package-check: cargo install --path cli, --path vm");
    let nlspec = install_root_bin(&cargo, &root, &target, &work.join("install"), "cli", "nlspec")?;
    install_root_bin(&cargo, &root, &target, &work.join("install"), "vm", "nlspec-vm")?;

    // The packaged runtime, unpacked as a registry would serve it.
    // `cargo publish --workspace` keeps the `.crate` files in package/tmp-crate (a single
    // package's dry run: in package/).
    let pkg = target.join("package");
    let crate_file = packaged(&pkg.join("tmp-crate"), "nlspec-rt").or_else(|_| packaged(&pkg, "nlspec-rt"))?;
    run_live(Command::new("tar").arg("xzf").arg(&crate_file).arg("-C").arg(&work))?;
    let stem = crate_file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let rt_dir = work.join(stem);

    note("package-check: nlspec gen (client crate outside the workspace)");
    let client = work.join("nlctrl-client");
    run_live(
        Command::new(&nlspec).args(["gen", "--spec"]).arg(root.join("specs/nlctrl.yaml")).arg("--out").arg(&client),
    )?;
    let manifest = std::fs::read_to_string(client.join("Cargo.toml")).map_err(|e| err!("{e}"))?;
    if manifest.contains("path =") {
        return Err(err!("the generated client names a path for nlspec-rt:\n{manifest}"));
    }

    let app = work.join("app");
    mkdir_p(&app.join("src"))?;
    write(
        &app.join("Cargo.toml"),
        format!(
            "[package]\nname = \"nlspec-package-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [workspace]\n\n[dependencies]\nnlspec-nlctrl = {{ path = \"../nlctrl-client\" }}\n\n\
             [patch.crates-io]\nnlspec-rt = {{ path = {:?} }}\n",
            rt_dir.to_string_lossy()
        ),
    )?;
    write(
        &app.join("src/main.rs"),
        "//! Lists the kernel's Generic Netlink families through the generated nlctrl client.\n\
         fn main() {\n    \
             let mut ctrl = nlspec_nlctrl::Client::new().expect(\"netlink socket\");\n    \
             let mut it = ctrl.getfamily_dump(&nlspec_nlctrl::GetfamilyDumpRequest::new()).expect(\"dump\");\n    \
             let mut n = 0;\n    \
             while let Some(f) = it.next() {\n        \
                 let f = f.expect(\"family\");\n        \
                 let name = f.family_name().expect(\"family-name\");\n        \
                 println!(\"{:?} {:?}\", name, f.family_id().expect(\"family-id\"));\n        \
                 n += 1;\n    \
             }\n    \
             assert!(n > 0, \"no families listed\");\n\
         }\n",
    )?;
    note("package-check: building and running an application on the generated client + packaged runtime");
    let out = run_capture(
        Command::new(&cargo).current_dir(&app).env("CARGO_TARGET_DIR", app.join("target")).args(["run", "--quiet"]),
    )?;
    if !out.lines().any(|l| l.contains("\"nlctrl\"")) {
        return Err(err!("the application did not list nlctrl:\n{out}"));
    }
    note(format!("package-check: ok ({} families listed)", out.lines().count()));
    Ok(0)
}

/// Runs `cargo install --path CRATE --root ROOT` (`crate_dir` relative to the workspace root)
/// and returns ROOT/bin/BIN.
pub fn install_root_bin(
    cargo: &std::ffi::OsStr,
    root: &Path,
    target: &Path,
    inst: &Path,
    crate_dir: &str,
    bin: &str,
) -> Result<PathBuf> {
    run_live(
        Command::new(cargo)
            .current_dir(root)
            .env("CARGO_TARGET_DIR", target)
            .args(["install", "--debug", "--path", crate_dir, "--root"])
            .arg(inst),
    )?;
    let bin = inst.join("bin").join(bin);
    if !bin.is_file() {
        return Err(err!("cargo install did not produce {}", bin.display()));
    }
    Ok(bin)
}

/// The one `<name>-<version>.crate` in `dir` (the dry run's output).
fn packaged(dir: &Path, name: &str) -> Result<PathBuf> {
    let prefix = format!("{name}-");
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "crate")
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.strip_prefix(&prefix).is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                })
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(err!("the dry run produced no {name} package in {}", dir.display())),
        _ => Err(err!("several {name} packages in {}: {found:?}", dir.display())),
    }
}

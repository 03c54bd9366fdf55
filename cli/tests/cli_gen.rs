//! `nlspec gen` and `nlspec check`: files, exit codes, and a generated crate that compiles.

mod cli_support;

use cli_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    // Outside the workspace: a generated crate is its own package.
    let d = std::env::temp_dir().join(format!("nlspec-cli-gen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn gen_writes_the_client_crate_and_it_compiles() {
    for spec in ["nlctrl.yaml", "nlkv.yaml"] {
        let out = tmp(spec);
        let spec_path = our_spec(spec);
        // By default nlspec-rt by version only: nothing of this checkout in the crate.
        let o = nlspec(&["gen", "--spec", spec_path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let toml = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
        assert!(toml.contains("\nnlspec-rt = \"0.1.0\"\n"), "{toml}");
        assert!(!toml.contains(env!("CARGO_MANIFEST_DIR")) && !toml.contains("path ="), "{toml}");
        let rt = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime").canonicalize().unwrap();
        let _ = std::fs::remove_dir_all(&out);
        let o = nlspec(&[
            "gen",
            "--spec",
            spec_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--rt-path",
            rt.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains("wrote "), "{}", text(&o.stdout));
        // Exactly what the library's emitter produces (nlspec-rt by path here), plus the
        // @generated marker where the emitter has none.
        let fam = nlspec_model::load_and_resolve(&spec_path).unwrap();
        let want = nlspec_codegen::emit::client::crate_files(
            &fam,
            &nlspec_codegen::emit::client::RtDependency {
                path: Some(rt.to_str().unwrap().into()),
                version: "0.1.0".into(),
            },
        )
        .unwrap();
        for f in &want {
            let got = std::fs::read_to_string(out.join(&f.path)).unwrap();
            assert!(got.lines().take(10).any(|l| l.contains("@generated")), "{}", f.path.display());
            assert_eq!(without_added_marker(&got), f.contents, "{}", f.path.display());
        }
        // Second run: nothing rewritten.
        let o = nlspec(&[
            "gen",
            "--spec",
            spec_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--rt-path",
            rt.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        assert!(!text(&o.stdout).contains("wrote "), "{}", text(&o.stdout));
        let c = Command::new(env!("CARGO"))
            .args(["check", "--offline", "--quiet"])
            .current_dir(&out)
            .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-gen-target"))
            .output()
            .unwrap();
        assert!(c.status.success(), "generated {spec} client does not compile:\n{}", text(&c.stderr));
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// The file as the emitter wrote it: without the marker line `nlspec gen` adds.
fn without_added_marker(s: &str) -> String {
    s.split_inclusive('\n').filter(|l| !l.contains("`nlspec gen` rewrites this file")).collect()
}

/// The user's code survives regeneration: generate the module, edit the skeleton, change the
/// spec, generate again: the edit is kept ("kept ... (yours)"), the family code follows the
/// spec. A file without the marker at a generated path stops the run, naming it.
#[test]
fn gen_kernel_never_overwrites_the_users_files() {
    let out = tmp("kmod-keep");
    let dir = tmp("kmod-keep-spec");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("nlkv.yaml");
    let text0 = std::fs::read_to_string(our_spec("nlkv.yaml")).unwrap();
    std::fs::write(&spec, &text0).unwrap();
    let gen = || nlspec(&["gen", "--kernel", "--spec", spec.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let o = gen();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let main = out.join("nlkv_main.rs");
    let genl = out.join("nlkv_genl.rs");
    let mine = format!("{}\n// my handler code\nfn my_handler() {{}}\n", std::fs::read_to_string(&main).unwrap());
    std::fs::write(&main, &mine).unwrap();
    let genl0 = std::fs::read_to_string(&genl).unwrap();
    // A spec change: the family doc (it is in the generated module docs).
    let text1 = text0.replacen("doc: |\n  An in-kernel", "doc: |\n  Changed. An in-kernel", 1);
    assert_ne!(text1, text0);
    std::fs::write(&spec, &text1).unwrap();
    let o = gen();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains(&format!("kept {} (yours)", main.display())), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&main).unwrap(), mine, "the skeleton was rewritten");
    assert_ne!(std::fs::read_to_string(&genl).unwrap(), genl0, "the family code did not follow the spec");
    assert!(text(&o.stdout).contains(&format!("wrote {}", genl.display())), "{}", text(&o.stdout));
    // A file of the user's at a generated path: an error naming it, nothing written.
    std::fs::write(&genl, "// my own file\n").unwrap();
    std::fs::write(&spec, &text0).unwrap();
    let kbuild = std::fs::read_to_string(out.join("Kbuild")).unwrap();
    let o = gen();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains(&genl.display().to_string()) && err.contains("without the @generated marker"), "{err}");
    assert_eq!(std::fs::read_to_string(&genl).unwrap(), "// my own file\n");
    assert_eq!(std::fs::read_to_string(out.join("Kbuild")).unwrap(), kbuild);
    assert_eq!(std::fs::read_to_string(&main).unwrap(), mine);
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An upper-case family name (legal at genetlink-legacy) yields a lower-case crate name.
#[test]
fn gen_upper_case_family_gives_a_lower_case_crate() {
    let out = tmp("upper");
    let dir = tmp("upper-spec");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("Upper.yaml");
    let t = std::fs::read_to_string(our_spec("nlctrl.yaml")).unwrap().replacen("\nname: nlctrl", "\nname: NLctrl_X", 1);
    std::fs::write(&spec, t).unwrap();
    let o = nlspec(&["gen", "--spec", spec.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let toml = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
    assert!(toml.contains("name = \"nlspec-nlctrl-x\"") && toml.contains("name = \"nlspec_nlctrl_x\""), "{toml}");
    assert!(text(&o.stderr).contains("client crate nlspec-nlctrl-x for family NLctrl_X"), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_errors() {
    let out = tmp("errors");
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/errors/dangling_enum.yaml");
    let o = nlspec(&["gen", "--spec", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("dangling_enum.yaml:15:15: error"), "{}", text(&o.stderr));
    assert!(!out.exists(), "nothing is written for an invalid spec");
    // A netlink-raw spec yields a client too (over NlSocket on the spec's protonum).
    let raw = upstream_spec("rt-link.yaml");
    let o = nlspec(&["gen", "--spec", raw.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lib = std::fs::read_to_string(out.join("src/lib.rs")).unwrap();
    assert!(lib.contains("NlSocket") && lib.contains("pub struct Client"), "netlink-raw client without a Client");
    let _ = std::fs::remove_dir_all(&out);
    // Unwritable output.
    let o = nlspec(&["gen", "--spec", our_spec("nlctrl.yaml").to_str().unwrap(), "--out", "/proc/nlspec-no"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("writing /proc/nlspec-no"), "{}", text(&o.stderr));
}

/// An argument that is not UTF-8 is a usage error (exit 2), not a panic.
#[test]
fn non_utf8_argument_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let o = Command::new(env!("CARGO_BIN_EXE_nlspec"))
        .args([
            std::ffi::OsStr::new("check"),
            std::ffi::OsStr::new("--spec"),
            std::ffi::OsStr::from_bytes(b"\xff.yaml"),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains(r#"argument "\xFF.yaml" is not valid UTF-8"#), "{}", text(&o.stderr));
}

#[test]
fn check_upstream_corpus() {
    // Every upstream spec validates through the CLI too (exit 0).
    let dir = ynl_root().join("Documentation/netlink/specs");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml") {
            let o = nlspec(&["check", "--spec", p.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{}: {}", p.display(), text(&o.stderr));
            n += 1;
        }
    }
    assert!(n > 20, "only {n} specs");
}

///
/// What it writes is what `cargo xtask generate` checks in under `generated/kmod/` and
/// `generated/intree/`, byte for byte but for the marker line: the Rust files in the kernel's
/// rustfmt style, so an in-tree `make rustfmtcheck` passes on a regenerated driver.
#[test]
fn gen_kernel_writes_the_module_directory() {
    let generated = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated");
    for (spec, in_tree) in [("nlctrl", false), ("nlkv", false), ("nlbus", false), ("nlctrl", true), ("nlkv", true)] {
        let home = if in_tree { "intree" } else { "kmod" };
        let out = tmp(&format!("{home}-{spec}"));
        let spec_path = our_spec(&format!("{spec}.yaml"));
        let mut args = vec!["gen", "--kernel", "--spec", spec_path.to_str().unwrap(), "--out", out.to_str().unwrap()];
        if in_tree {
            args.push("--in-tree");
        }
        let o = nlspec(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let want_dir = generated.join(home).join(spec);
        let mut names: Vec<_> = std::fs::read_dir(&want_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert!(names.len() >= 5, "{}: {names:?}", want_dir.display());
        for name in &names {
            let want = std::fs::read_to_string(want_dir.join(name)).unwrap();
            let got = std::fs::read_to_string(out.join(name)).unwrap();
            assert_eq!(without_added_marker(&got), want, "{home}/{spec}/{}", name.to_string_lossy());
            let name = name.to_str().unwrap();
            let skeleton = name.ends_with("_main.rs") || name == format!("{spec}.rs");
            assert_eq!(got.lines().take(10).any(|l| l.contains("@generated")), !skeleton, "{home}/{spec}/{name}");
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    let out = tmp("kmod-raw");
    let o = nlspec(&[
        "gen",
        "--kernel",
        "--spec",
        upstream_spec("rt-link.yaml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    // netlink-raw: a classic netlink protocol unit (it would not load next to rtnetlink, but it
    // is generated and builds; see `cargo xtask kmod-corpus`)
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(out.join("rt_link_nl.rs").is_file());
    let err = text(&o.stderr);
    assert!(err.contains(":6:1: warning: protonum 0 is NETLINK_ROUTE, a protocol of the kernel's own"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

/// `nlspec gen --kernel --in-tree` and `kernel/intree/nlspec-regen.sh` on a scratch "kernel
/// tree": the driver directory is written, the handlers' file is never overwritten, a spec
/// change regenerates the family file, an unchanged spec leaves it alone, `-f` forces it.
#[test]
fn in_tree_driver_and_the_regen_script() {
    let tree = tmp("tree");
    let specs = tree.join("Documentation/netlink/specs");
    let drv = tree.join("drivers/net/nlkv");
    std::fs::create_dir_all(&specs).unwrap();
    let spec_text = std::fs::read_to_string(our_spec("nlkv.yaml")).unwrap();
    std::fs::write(specs.join("nlkv.yaml"), &spec_text).unwrap();
    let o = nlspec(&[
        "gen",
        "--kernel",
        "--in-tree",
        "--spec",
        specs.join("nlkv.yaml").to_str().unwrap(),
        "--out",
        drv.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in ["Kconfig", "Makefile", "nlkv.rs", "nlkv_genl.rs", "nlspec_genl.rs", "nlspec_macros.rs"] {
        assert!(drv.join(f).is_file(), "{f} missing");
    }
    // The family file is the one out-of-tree builds use, with nlspec gen's marker added.
    let genl = std::fs::read_to_string(drv.join("nlkv_genl.rs")).unwrap();
    assert!(genl.contains("pub(crate) use crate::nl;") && genl.contains("nl::policy! {"), "{genl}");
    assert!(!genl.contains("crate::nlspec_support"), "the family file names no layer of its own");
    let kconfig = std::fs::read_to_string(drv.join("Kconfig")).unwrap();
    assert!(kconfig.contains("config NLKV\n\ttristate") && kconfig.contains("depends on RUST && NET"), "{kconfig}");
    let makefile = std::fs::read_to_string(drv.join("Makefile")).unwrap();
    assert!(makefile.contains("obj-$(CONFIG_NLKV) += nlkv.o"), "{makefile}");
    // The in-tree layer is safe code over the kernel's genetlink series, but for the timer of the
    // module conveniences (`raw_timer`: 6.12's kernel crate has no timer abstraction; the rest of
    // their `unsafe` is in the shared nlspec_macros.rs).
    let layer = std::fs::read_to_string(drv.join("nlspec_genl.rs")).unwrap();
    let (timer_at, timer_end) = (layer.find("\nmod raw_timer {").unwrap(), layer.find("\nmodule_items!();").unwrap());
    assert!(timer_at < timer_end);
    let outside = format!("{}{}", &layer[..timer_at], &layer[timer_end..]);
    let unsafe_code = outside.lines().any(|l| !l.trim_start().starts_with("//") && l.contains("unsafe"));
    assert!(!unsafe_code, "`unsafe` in the in-tree layer outside raw_timer");
    assert!(layer[timer_at..timer_end].contains("unsafe {"));
    // The module author's handlers.
    std::fs::write(drv.join("nlkv.rs"), "// my handlers\n").unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernel/intree/nlspec-regen.sh");
    let regen = |args: &[&str]| {
        let o = Command::new("bash")
            .arg(&script)
            .args(args)
            .current_dir(&tree)
            .env("NLSPEC", env!("CARGO_BIN_EXE_nlspec"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
        text(&o.stdout)
    };
    // Written after the spec and the binary: nothing to do.
    let out = regen(&["-v"]);
    assert!(out.contains("up to date") && !out.contains("GEN"), "{out}");
    // The spec changes (a newer mtime): the family file follows, the handlers stay.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let changed = spec_text.replacen("Create or replace an entry.", "Create or replace one entry.", 1);
    assert_ne!(changed, spec_text);
    std::fs::write(specs.join("nlkv.yaml"), &changed).unwrap();
    let out = regen(&[]);
    assert!(out.contains("GEN ./drivers/net/nlkv") || out.contains("GEN drivers/net/nlkv"), "{out}");
    let genl = std::fs::read_to_string(drv.join("nlkv_genl.rs")).unwrap();
    assert!(genl.contains("Create or replace one entry."), "not regenerated");
    assert_eq!(std::fs::read_to_string(drv.join("nlkv.rs")).unwrap(), "// my handlers\n");
    assert!(!regen(&[]).contains("GEN"), "regenerated twice");
    assert!(regen(&["-f"]).contains("GEN"), "-f did not regenerate");
    let _ = std::fs::remove_dir_all(&tree);
}

/// A diagnostic that cannot be written (stderr full or a closed pipe: `nlspec ... 2>&1 | head
/// -1`) is dropped: the command ends with its own exit status, not a panic (101).
#[test]
fn an_unwritable_stderr_is_not_a_panic() {
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_nlspec")).args(args).stderr(full()).output().expect("run nlspec")
    };
    // a usage error, a spec error, and a successful generation that reports on stderr
    assert_eq!(run(&["check", "--bogus"]).status.code(), Some(2));
    assert_eq!(run(&["check", "--spec", "/nonexistent/x.yaml"]).status.code(), Some(1));
    let out = tmp("stderr-full");
    let spec = our_spec("nlctrl.yaml");
    let o = run(&["gen", "--spec", spec.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&out);
}

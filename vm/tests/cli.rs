//! The `nlspec-vm` command's argument errors: each names what is wrong, exit status 2, no boot.

use std::process::Command;

/// Runs `nlspec-vm` with `args`; returns (exit code, stderr).
fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nlspec-vm")).args(args).output().expect("run nlspec-vm");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn wrong_arguments_are_named() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "no command given"),
        (&["boot"], "unknown command `boot`"),
        (&["run", "--", "true"], "run needs --kernel"),
        (&["run", "--kernel"], "option --kernel needs a value"),
        (&["run", "--kernel", "/nonexistent/bzImage", "--", "true"], "kernel image /nonexistent/bzImage not found"),
        (&["run", "--kernel", "/", "--", "true"], "/ is a directory without arch/x86/boot/bzImage"),
        (&["run", "--kernel", "k", "--kernel", "l", "--", "true"], "option --kernel given 2 times"),
        (&["run", "--kernel", "k", "--timeout", "soon", "--", "true"], "--timeout wants whole seconds, got `soon`"),
        (&["run", "--kernel", "k", "--bogus", "1", "--", "true"], "unknown option --bogus"),
        (&["run", "--kernel", "k"], "no guest command given"),
        (&["run", "stray", "--kernel", "k"], "unexpected argument `stray`"),
        (&["build-static", "--bin", "x"], "wants one of -p PACKAGE and --manifest-path TOML"),
        (&["build-static", "-p", "a", "--manifest-path", "b", "--bin", "x"], "wants one of -p PACKAGE"),
        (&["build-static", "-p", "a"], "build-static needs --bin NAME"),
    ];
    for (args, want) in cases {
        let (code, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("nlspec-vm: error: "), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: want {want:?} in {stderr}");
    }
}

#[test]
fn help_prints_the_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_nlspec-vm")).arg("--help").output().expect("run nlspec-vm");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("nlspec-vm run --kernel") && text.contains("nlspec-vm build-static"), "{text}");
}

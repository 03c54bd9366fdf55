//! The kernel YNL CLI options beyond `--do/--dump/--subscribe` (tools/net/ynl/pyynl/cli.py of
//! the 7.3 source), nlspec vs YNL on the same arguments: `--family` and `--list-families`
//! (YNL's in-tree spec directory = nlspec's `--spec-dir` / `NLSPEC_SPEC_PATH`), `--list-attrs`
//! / `--doc`, `--validate` (with `--schema` / `--no-schema`), `--sleep`, `--dbg-small-recv`.
//! Where YNL prints something, the text must be equal.

mod cli_support;

use cli_support::*;

fn dir() -> String {
    upstream_specs_dir().to_str().unwrap().to_string()
}

#[test]
fn list_families_equals_ynl() {
    let y = ynl_args(&["--list-families"]);
    assert!(y.status.success(), "{}", text(&y.stderr));
    let d = dir();
    let o = nlspec(&["--spec-dir", &d, "--list-families"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&y.stdout), text(&o.stdout));
    assert!(text(&o.stdout).lines().any(|l| l == "netdev"));
    // The same directory through the environment.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nlspec"))
        .arg("--list-families")
        .env("NLSPEC_SPEC_PATH", format!("/nonexistent-dir:{d}"))
        .output()
        .unwrap();
    assert_eq!(text(&y.stdout), text(&o.stdout));
}

#[test]
fn family_by_name_equals_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let d = dir();
    for args in [
        &["--family", "nlctrl", "--do", "getfamily", "--json", r#"{"family-name": "netdev"}"#, "--output-json"][..],
        &["--family", "netdev", "--dump", "dev-get", "--output-json"][..],
        &["--family", "rt-addr", "--dump", "getaddr", "--output-json"][..],
    ] {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let y = ynl_args(args);
            let mut a = vec!["--spec-dir", d.as_str()];
            a.extend_from_slice(args);
            let o = nlspec(&a);
            let (t, u) = (json_docs(&y, "YNL", false), json_docs(&o, "nlspec", true));
            if t == u {
                break;
            }
            assert!(attempt < 3, "{args:?}:\nYNL:    {t:?}\nnlspec: {u:?}");
        }
    }
    // --spec-dir directories come first; the environment's next.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nlspec"))
        .args(["--family", "nlctrl", "--list-ops"])
        .env("NLSPEC_SPEC_PATH", &d)
        .output()
        .unwrap();
    assert_eq!(text(&o.stdout), "getfamily  [ do, dump ]\ngetpolicy  [ dump ]\n", "{}", text(&o.stderr));
    let o = nlspec(&["--spec-dir", "/nonexistent", "--family", "no-such-family", "--list-ops"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("no spec no-such-family.yaml found (searched: /nonexistent, "), "{err}");
    assert!(err.contains("/usr/share/ynl/specs"), "{err}");
    let o = nlspec(&["--spec", "x.yaml", "--family", "nlctrl", "--list-ops"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `--list-attrs OP` and its alias `--doc OP`: every op of a few families (nested sets,
/// enums, flags, events, notifications, do+dump with one reply), text equal to YNL's.
/// YNL opens a socket for the family first, so only families of the running kernel.
#[test]
fn list_attrs_equals_ynl() {
    let mut n = 0;
    for fam in ["nlctrl", "netdev", "rt-addr", "ethtool"] {
        let spec = upstream_spec(&format!("{fam}.yaml"));
        let f = nlspec_model::load_and_resolve(&spec).unwrap();
        let ops: Vec<&str> = f.ops.list.iter().map(|o| o.name.as_str()).collect();
        // ethtool: a sample (it has ~90 ops, each a python start-up).
        let ops: Vec<&str> =
            if fam == "ethtool" { ops.into_iter().step_by(9).chain(["cable-test-ntf"]).collect() } else { ops };
        for op in ops {
            for flag in ["--list-attrs", "--doc"] {
                if flag == "--doc" && n % 4 != 0 {
                    continue;
                }
                let y = ynl(&spec, &[flag, op]);
                let o = nlspec_spec(&spec, &[flag, op]);
                assert!(y.status.success(), "YNL {fam} {op}: {}", text(&y.stderr));
                assert_eq!(o.status.code(), Some(0), "{fam} {op}: {}", text(&o.stderr));
                assert_eq!(text(&y.stdout), text(&o.stdout), "{fam} {flag} {op}");
                n += 1;
            }
        }
    }
    assert!(n > 40, "{n}");
    // An unknown op: the same line, exit 1.
    let spec = upstream_spec("nlctrl.yaml");
    let (y, o) = (ynl(&spec, &["--list-attrs", "nosuch"]), nlspec_spec(&spec, &["--list-attrs", "nosuch"]));
    assert_eq!((y.status.code(), o.status.code()), (Some(1), Some(1)));
    assert_eq!(text(&y.stdout), "Operation nosuch not found\n");
    assert_eq!(text(&y.stdout), text(&o.stdout));
    // A narrow terminal: docs wrapped as Python's textwrap does.
    let spec = upstream_spec("netdev.yaml");
    let y = std::process::Command::new("python3")
        .arg(ynl_root().join("tools/net/ynl/pyynl/cli.py"))
        .args(["--spec", spec.to_str().unwrap(), "--no-schema", "--list-attrs", "dev-get"])
        .env("COLUMNS", "37")
        .output()
        .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nlspec"))
        .args(["--spec", spec.to_str().unwrap(), "--list-attrs", "dev-get"])
        .env("COLUMNS", "37")
        .output()
        .unwrap();
    assert_eq!(text(&y.stdout), text(&o.stdout));
}

/// `--validate`: silent exit 0 for a valid spec (YNL forces schema validation), YNL's SPDX
/// message and exit 1 without the license line, exit 1 for a spec the schema rejects.
#[test]
fn validate_like_ynl() {
    for spec in ["netdev.yaml", "rt-link.yaml", "nlctrl.yaml"] {
        let spec = upstream_spec(spec);
        let (y, o) = (ynl(&spec, &["--validate"]), nlspec_spec(&spec, &["--validate"]));
        assert_eq!((y.status.code(), o.status.code()), (Some(0), Some(0)), "{}", text(&o.stderr));
        assert_eq!(text(&y.stdout), text(&o.stdout));
        assert!(o.stdout.is_empty());
    }
    // --family: YNL validates it too (schema=True).
    let d = dir();
    let y = ynl_args(&["--family", "netdev", "--validate"]);
    let o = nlspec(&["--spec-dir", &d, "--family", "netdev", "--validate"]);
    assert_eq!((y.status.code(), o.status.code()), (Some(0), Some(0)), "{}", text(&o.stderr));
    let tmp = std::env::temp_dir().join(format!("nlspec-validate-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("specs")).unwrap();
    std::fs::copy(schema_for(&upstream_spec("netdev.yaml")), tmp.join("genetlink.yaml")).unwrap();
    let good = std::fs::read_to_string(upstream_spec("netdev.yaml")).unwrap();
    let spec = tmp.join("specs/netdev.yaml");
    // No SPDX line.
    std::fs::write(&spec, good.split_once('\n').unwrap().1).unwrap();
    for extra in [&[][..], &["--no-schema"][..]] {
        let mut a = vec!["--validate"];
        a.extend_from_slice(extra);
        let (y, o) = (ynl(&spec, &a), nlspec_spec(&spec, &a));
        assert_eq!((y.status.code(), o.status.code()), (Some(1), Some(1)));
        assert_eq!(text(&y.stdout), "SPDX license tag required in the spec\n");
        assert_eq!(text(&y.stdout), text(&o.stdout));
    }
    // A key the schema does not allow: both fail; nlspec names the line.
    std::fs::write(&spec, good.replacen("\ndoc:", "\nbogus-key: 1\ndoc:", 1)).unwrap();
    let (y, o) = (ynl(&spec, &["--validate"]), nlspec_spec(&spec, &["--validate"]));
    assert_eq!((y.status.code(), o.status.code()), (Some(1), Some(1)));
    assert!(text(&o.stderr).contains("netdev.yaml:") && text(&o.stderr).contains("unknown key `bogus-key`"));
    // A schema of one's own, stricter than upstream's: YNL and nlspec both hold the spec to it,
    // nlspec naming the place and the schema.
    let strict = tmp.join("strict.yaml");
    let upstream = std::fs::read_to_string(tmp.join("genetlink.yaml")).unwrap();
    let tightened = upstream.replacen(
        "required: [ name, doc, attribute-sets, operations ]",
        "required: [ name, doc, attribute-sets, operations, uapi-header ]",
        1,
    );
    assert_ne!(tightened, upstream, "the upstream schema's top-level `required` line changed");
    std::fs::write(&strict, tightened).unwrap();
    std::fs::write(&spec, &good).unwrap();
    let strict = strict.to_str().unwrap();
    let a = ["--validate", "--schema", strict];
    let y = std::process::Command::new("python3")
        .arg(ynl_root().join("tools/net/ynl/pyynl/cli.py"))
        .args(["--spec", spec.to_str().unwrap()])
        .args(a)
        .output()
        .unwrap();
    let o = nlspec_spec(&spec, &a);
    assert_eq!((y.status.code(), o.status.code()), (Some(1), Some(1)), "{}", text(&o.stderr));
    // YNL does not catch jsonschema's exception: a traceback ending in the error.
    assert!(text(&y.stderr).contains("ValidationError: 'uapi-header' is a required property"));
    let err = text(&o.stderr);
    assert!(err.contains("netdev.yaml:") && err.contains("'uapi-header' is a required property"), "{err}");
    assert!(err.contains(&format!("required by the schema {strict}")), "{err}");
    // Without --schema, the upstream schema next to the spec directory is used: valid again.
    let o = nlspec_spec(&spec, &["--validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // --schema FILE must exist (YNL opens it).
    let o = nlspec_spec(&upstream_spec("netdev.yaml"), &["--validate", "--schema", "/nonexistent/schema.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("--schema /nonexistent/schema.yaml: no such file"));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `--dbg-small-recv [N]`: small receive buffers, so the kernel splits the dump into more
/// datagrams; the output is the same as YNL's (and as without the option), and so is the
/// receive trace on stderr: the same messages (datagram boundaries are the kernel's choice and
/// depend on the socket's history), and for a rejected request the same lines byte for byte.
#[test]
fn dbg_small_recv_equals_ynl() {
    let spec = upstream_spec("nlctrl.yaml");
    for extra in [&["--dbg-small-recv"][..], &["--dbg-small-recv", "8192"][..]] {
        let mut a = vec!["--dump", "getfamily"];
        a.extend_from_slice(extra);
        let v = compare(&spec, &a);
        let families = v.as_array().unwrap().len();
        assert!(families > 3);
        let (y, o) = (ynl(&spec, &a), nlspec_spec(&spec, &a));
        let (yt, ot) = (trace(&text(&y.stderr)), trace(&text(&o.stderr)));
        assert!(ot.iter().all(|l| l.starts_with("Recv: read ") || l.starts_with("   nl_len = ")), "{ot:?}");
        // Every family message, in order, with its length and flags; the DONE at the end.
        let msgs = |t: &[String]| -> Vec<String> {
            t.iter().filter(|l| l.starts_with("   nl_len") && !l.ends_with("nl_type = 3")).cloned().collect()
        };
        assert_eq!(msgs(&ot).len(), families, "{ot:?}");
        assert_eq!(msgs(&yt), msgs(&ot));
        assert!(ot.last().unwrap().ends_with("nl_flags = 0x2 nl_type = 3"), "{ot:?}");
    }
    // An error with an extended ACK (message, offset, the violated policy): identical lines.
    let long = r#"{"family-name": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#;
    let a = ["--do", "getfamily", "--json", long, "--dbg-small-recv"];
    let (y, o) = (ynl(&spec, &a), nlspec_spec(&spec, &a));
    let ot = trace(&text(&o.stderr));
    assert_eq!(trace(&text(&y.stderr)), ot);
    assert!(ot.iter().any(|l| l.contains("extack: {'msg': ") && l.contains("'policy': {")), "{ot:?}");
    compare(&upstream_spec("rt-addr.yaml"), &["--dump", "getaddr", "--dbg-small-recv"]);
    // Below a page: YNL raises ConfigError; nlspec a usage error.
    let y = ynl(&spec, &["--dump", "getfamily", "--dbg-small-recv", "100"]);
    assert!(!y.status.success() && text(&y.stderr).contains("ConfigError"));
    let o = nlspec_spec(&spec, &["--dump", "getfamily", "--dbg-small-recv", "100"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("at least 4000"));
}

/// The receive-trace lines of a CLI's stderr (YNL's `_recv_dbg_print` format).
fn trace(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.starts_with("Recv: read ") || l.starts_with("   nl_len = ") || l.starts_with('\t'))
        .map(str::to_string)
        .collect()
}

/// `--sleep` is YNL's alias of `--duration`; both are accepted (and ignored) without
/// `--subscribe`, as by YNL.
#[test]
fn sleep_alias_and_duration_without_subscribe() {
    let spec = upstream_spec("nlctrl.yaml");
    compare(&spec, &["--do", "getfamily", "--json", r#"{"family-name": "nlctrl"}"#, "--sleep", "1"]);
    // Our nlctrl spec has the notify group (upstream's lists none).
    let spec = our_spec("nlctrl.yaml");
    let t = std::time::Instant::now();
    let o = spawn_subscribe(true, &spec, "notify", "1").wait_with_output().unwrap();
    assert!(o.status.success());
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_nlspec"));
    let o2 = c
        .args(["--spec", spec.to_str().unwrap(), "--subscribe", "notify", "--sleep", "1", "--output-json"])
        .output()
        .unwrap();
    assert!(o2.status.success(), "{}", text(&o2.stderr));
    let el = t.elapsed().as_secs_f64();
    assert!((2.0..10.0).contains(&el), "{el}");
}

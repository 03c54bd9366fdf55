//! `nlspec --spec ... --do/--dump/--subscribe` against the host's LIVE kernel, compared with
//! the kernel's own YNL CLI (tools/net/ynl/pyynl/cli.py from the 7.3 source) run on the same
//! spec: the parsed JSON must be equal.

mod cli_support;

use cli_support::*;
use std::path::PathBuf;

fn both_nlctrl() -> [PathBuf; 2] {
    [our_spec("nlctrl.yaml"), upstream_spec("nlctrl.yaml")]
}

/// Family names per iproute2's `genl ctrl list`, when the tool is installed.
fn genl_ctrl_list() -> Option<Vec<String>> {
    let o = std::process::Command::new("genl").args(["ctrl", "list"]).output().ok()?;
    if !o.status.success() {
        return None;
    }
    Some(
        text(&o.stdout).lines().filter_map(|l| l.trim().strip_prefix("Name: ").map(|s| s.trim().to_string())).collect(),
    )
}

#[test]
fn getfamily_dump_equals_ynl_and_lists_the_hosts_families() {
    for spec in both_nlctrl() {
        let v = compare(&spec, &["--dump", "getfamily"]);
        let names: Vec<&str> = v.as_array().unwrap().iter().map(|f| f["family-name"].as_str().unwrap()).collect();
        assert!(names.contains(&"nlctrl"), "{names:?}");
        if let Some(mut genl) = genl_ctrl_list() {
            let mut ours: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            ours.sort();
            genl.sort();
            assert_eq!(ours, genl, "nlspec's dump vs iproute2's genl ctrl list");
        }
    }
}

#[test]
fn getfamily_do_equals_ynl() {
    for spec in both_nlctrl() {
        let v = compare(&spec, &["--do", "getfamily", "--json", r#"{"family-name": "nlctrl"}"#]);
        assert_eq!(v["family-id"], 16);
        // Families with ops, groups and policies.
        compare(&spec, &["--do", "getfamily", "--json", r#"{"family-name": "ethtool"}"#]);
        compare(&spec, &["--do", "getfamily", "--json", r#"{"family-name": "netdev"}"#]);
    }
}

#[test]
fn getpolicy_dump_equals_ynl() {
    for spec in both_nlctrl() {
        for fam in ["nlctrl", "ethtool", "netdev"] {
            let v = compare(&spec, &["--dump", "getpolicy", "--json", &format!(r#"{{"family-name": "{fam}"}}"#)]);
            assert!(v.as_array().unwrap().iter().any(|m| m.get("policy").is_some()), "{fam}: no policy entries");
        }
        // One op's policies, selected by id.
        compare(&spec, &["--dump", "getpolicy", "--json", r#"{"family-id": 16, "op": 3}"#]);
    }
}

#[test]
fn other_families_dumps_equal_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let netdev = upstream_spec("netdev.yaml");
    compare(&netdev, &["--dump", "dev-get"]);
    compare(&netdev, &["--dump", "queue-get"]);
    compare(&netdev, &["--dump", "napi-get"]);
    let ethtool = upstream_spec("ethtool.yaml");
    for op in [
        "strset-get",
        "linkinfo-get",
        "linkstate-get",
        "rings-get",
        "channels-get",
        "features-get",
        "tsinfo-get",
        "coalesce-get",
    ] {
        compare(&ethtool, &["--dump", op]);
    }
    // A do with a nested request header and a fixed string.
    compare(&ethtool, &["--do", "features-get", "--json", r#"{"header": {"dev-name": "lo"}}"#]);
}

#[test]
fn missing_family_is_enoent() {
    for spec in both_nlctrl() {
        let o = nlspec_spec(&spec, &["--do", "getfamily", "--json", r#"{"family-name": "no-such-fam-x"}"#]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("ENOENT") && err.contains("No such file or directory"), "{err}");
        assert!(o.stdout.is_empty());
        // The same errno from YNL.
        let y = ynl(&spec, &["--do", "getfamily", "--json", r#"{"family-name": "no-such-fam-x"}"#]);
        assert_eq!(y.status.code(), Some(1));
        assert!(text(&y.stdout).contains("No such file or directory"));
    }
}

/// YNL's `Netlink error: <msg>: <strerror> {'bad-attr': '<path>'}` vs ours.
#[test]
fn kernel_ext_ack_message_and_attribute_path() {
    let ethtool = upstream_spec("ethtool.yaml");
    let args = ["--do", "rings-get", "--json", r#"{"header": {"dev-index": 999999}}"#];
    let o = nlspec_spec(&ethtool, &args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let y = text(&ynl(&ethtool, &args).stdout);
    assert!(y.contains("no device matches ifindex") && y.contains("'bad-attr': '.header.dev-index'"), "ynl: {y}");
    assert!(err.contains("ENODEV"), "{err}");
    assert!(err.contains("no device matches ifindex"), "{err}");
    assert!(err.contains("at attribute .header.dev-index"), "{err}");

    // A missing required attribute, named from the spec.
    let netdev = upstream_spec("netdev.yaml");
    let o = nlspec_spec(&netdev, &["--do", "dev-get"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("EINVAL") && err.contains("missing attribute .ifindex"), "{err}");
    let y = text(&ynl(&netdev, &["--do", "dev-get"]).stdout);
    assert!(y.contains("'miss-type': 'ifindex'"), "ynl: {y}");
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let spec = our_spec("nlctrl.yaml");
    let s = spec.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--spec", s, "--do", "getfamily", "--json", r#"{"family-name": "#],
            "--json: invalid JSON at line 1, column",
        ),
        (&["--spec", s, "--do", "getfamily", "--json", "[1]"], "--json: expected a JSON object"),
        (
            &["--spec", s, "--do", "nosuch"],
            "--do \"nosuch\": family nlctrl has no such operation; operations: getfamily [do, dump], getpolicy [dump]",
        ),
        (&["--spec", s, "--dump", "nosuch"], "has no such operation"),
        (&["--spec", s, "--do", "getpolicy"], "the operation has no do"),
        (
            &["--spec", s, "--do", "getfamily", "--json", r#"{"bogus": 1}"#],
            "attribute set \"ctrl-attrs\" has no attribute \"bogus\"; valid: family-id",
        ),
        (
            &["--spec", s, "--do", "getfamily", "--json", r#"{"family-id": 70000}"#],
            "at .family-id: 70000 does not fit u16",
        ),
        (
            &["--spec", s, "--do", "getfamily", "--json", r#"{"family-id": "abc"}"#],
            "at .family-id: \"abc\" is not an integer",
        ),
        (
            &["--spec", s, "--subscribe", "nosuch"],
            "--subscribe \"nosuch\": family nlctrl has no multicast group of that name; groups: notify",
        ),
        (&["--spec", s, "--do", "getfamily", "--dump", "getfamily"], "--do and --dump cannot be used together"),
        (&["--spec", s, "--frobnicate"], "unknown option \"--frobnicate\""),
        (&["--spec"], "--spec needs a value"),
        (&["--do", "getfamily"], "--spec PATH is required"),
        (&["gen", "--spec", s], "gen: --out DIR is required"),
        (&["check"], "check: --spec PATH is required"),
        (&[], "no command given"),
    ];
    for (args, want) in cases {
        let o = nlspec(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: expected {want:?} in:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn check_exit_codes() {
    let o = nlspec(&["check", "--spec", our_spec("nlctrl.yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("ok: family nlctrl"));
    let bad =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/errors/dangling_enum.yaml");
    let o = nlspec(&["check", "--spec", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("dangling_enum.yaml:") && err.contains("unknown enum"), "{err}");
    let o = nlspec(&["check", "--spec", "/nonexistent/spec.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    // A spec error also stops --do with exit 1 and the location.
    let o = nlspec(&["--spec", bad.to_str().unwrap(), "--dump", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("dangling_enum.yaml:"));
}

/// Notifications: both CLIs subscribe to netdev's `mgmt` group while veth pairs come and go;
/// the notifications about them must be the same.
#[test]
fn subscribe_notifications_equal_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let netdev = upstream_spec("netdev.yaml");
    let spawn = |ours: bool| spawn_subscribe(ours, &netdev, "mgmt", "14");
    let theirs = spawn(false);
    let ours = spawn(true);
    let ip = |args: &[&str]| {
        let o = std::process::Command::new("ip").args(args).output().expect("run ip (iproute2)");
        assert!(o.status.success(), "ip {args:?}: {} (this test needs CAP_NET_ADMIN)", text(&o.stderr));
    };
    let idx = |n: &str| {
        std::fs::read_to_string(format!("/sys/class/net/{n}/ifindex")).unwrap().trim().parse::<i64>().unwrap()
    };
    // Three pairs, 2 s apart, starting when both should be subscribed (python starts slowly;
    // under load it may miss the first pair, never the last).
    let mut pairs = Vec::new();
    std::thread::sleep(std::time::Duration::from_millis(4000));
    for k in 0..3 {
        let a = format!("nlsp{}{k}a", std::process::id() % 100000);
        let b = format!("nlsp{}{k}b", std::process::id() % 100000);
        ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        pairs.push((idx(&a), idx(&b)));
        ip(&["link", "del", &a]);
        std::thread::sleep(std::time::Duration::from_millis(2000));
    }
    let of = |docs: &[serde_json::Value], (ia, ib): (i64, i64)| -> Vec<serde_json::Value> {
        docs.iter()
            .filter(|n| {
                let i = n["msg"]["ifindex"].as_i64();
                i == Some(ia) || i == Some(ib)
            })
            .cloned()
            .collect()
    };
    let t = json_docs(&theirs.wait_with_output().unwrap(), "the kernel's YNL CLI", false);
    let o = json_docs(&ours.wait_with_output().unwrap(), "nlspec", true);
    for (k, p) in pairs.iter().enumerate() {
        let (tp, op) = (of(&t, *p), of(&o, *p));
        assert!(op.iter().any(|n| n["name"] == "dev-add-ntf"), "pair {k}: no dev-add-ntf from nlspec: {o:?}");
        assert!(op.iter().any(|n| n["name"] == "dev-del-ntf"), "pair {k}: no dev-del-ntf from nlspec: {o:?}");
        if tp.is_empty() && k + 1 < pairs.len() {
            continue; // YNL was not subscribed yet.
        }
        assert_eq!(tp, op, "pair {k}: notifications differ (YNL vs nlspec)");
    }
}

/// Without `--output-json` both print Python's `pprint` form; for output without multi-element
/// sets (whose order Python leaves to string hashing) the text is identical.
#[test]
fn pretty_output_equals_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let run = |spec: &std::path::Path, args: &[&str]| {
        let t = ynl(spec, args);
        let o = nlspec_spec(spec, args);
        assert!(t.status.success() && o.status.success(), "{}{}", text(&t.stderr), text(&o.stderr));
        let (t, o) = (text(&t.stdout), text(&o.stdout));
        if let Some((i, (a, b))) = t.lines().zip(o.lines()).enumerate().find(|(_, (a, b))| a != b) {
            panic!("pretty output of {} {args:?} differs at line {}:\nYNL:    {a}\nnlspec: {b}", spec.display(), i + 1);
        }
        assert_eq!(t.lines().count(), o.lines().count(), "pretty output of {} {args:?}: line counts", spec.display());
    };
    for spec in both_nlctrl() {
        run(&spec, &["--dump", "getpolicy", "--json", r#"{"family-name": "ethtool"}"#]);
    }
    run(&upstream_spec("netdev.yaml"), &["--dump", "queue-get"]);
}

/// Attributes and values the spec does not describe: nlspec decodes them as YNL does with
/// `--process-unknown` (`UnknownAttr(<type>)` with hex bytes, nests decoded).
#[test]
fn unknown_attributes_like_ynl_process_unknown() {
    // nlctrl without the last attribute of op-attrs (flags) and of mcast-group-attrs (id).
    let mut y: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(upstream_spec("nlctrl.yaml")).unwrap()).unwrap();
    for set in y["attribute-sets"].as_sequence_mut().unwrap() {
        let name = set["name"].as_str().unwrap().to_string();
        if name == "op-attrs" || name == "mcast-group-attrs" {
            let attrs = set["attributes"].as_sequence_mut().unwrap();
            let drop = if name == "op-attrs" { "flags" } else { "id" };
            attrs.retain(|a| a["name"].as_str() != Some(drop));
        }
    }
    // YNL insists on the SPDX line.
    let s = format!(
        "# SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)\n{}",
        serde_yaml::to_string(&y).unwrap()
    );
    let dir = std::env::temp_dir().join(format!("nlspec-unknown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("nlctrl.yaml");
    std::fs::write(&spec, s).unwrap();
    let args = ["--do", "getfamily", "--json", r#"{"family-name": "nlctrl"}"#, "--output-json"];
    let mut yargs = args.to_vec();
    yargs.push("--process-unknown");
    let theirs = json_docs(&ynl(&spec, &yargs), "the kernel's YNL CLI", false);
    let ours = json_docs(&nlspec_spec(&spec, &args), "nlspec", true);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(theirs, ours);
    let s = ours[0].to_string();
    assert!(s.contains("UnknownAttr(2)"), "{s}");
}

/// netlink-raw families (rtnetlink) through nlspec's own netlink socket: dumps, a do whose
/// reply has a sub-message (a bridge's linkinfo data, selected by kind), an ext-ack error.
#[test]
fn netlink_raw_families_equal_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    compare(&upstream_spec("rt-addr.yaml"), &["--dump", "getaddr"]);
    compare(&upstream_spec("rt-route.yaml"), &["--dump", "getroute"]);
    compare(&upstream_spec("rt-rule.yaml"), &["--dump", "getrule"]);
    let rt_link = upstream_spec("rt-link.yaml");
    let br = format!("nlspb{}", std::process::id() % 100000);
    let ip = |args: &[&str]| {
        let o = std::process::Command::new("ip").args(args).output().expect("run ip (iproute2)");
        assert!(o.status.success(), "ip {args:?}: {} (this test needs CAP_NET_ADMIN)", text(&o.stderr));
    };
    ip(&["link", "add", &br, "type", "bridge"]);
    let json = format!(r#"{{"ifname": "{br}"}}"#);
    let r = std::panic::catch_unwind(|| compare(&rt_link, &["--do", "getlink", "--json", &json]));
    ip(&["link", "del", &br]);
    let v = r.unwrap_or_else(|e| std::panic::resume_unwind(e));
    assert_eq!(v["linkinfo"]["kind"], "bridge");
    assert!(v["linkinfo"]["data"]["stp-state"].is_number(), "{}", v["linkinfo"]);

    // ERANGE from the policy, attribute named, as YNL reports it.
    let args = ["--do", "getlink", "--json", r#"{"ifname": "an-interface-name-too-long"}"#];
    let o = nlspec_spec(&rt_link, &args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("ERANGE") && err.contains("at attribute .ifname") && err.contains("max length 15"), "{err}");
    let y = text(&ynl(&rt_link, &args).stdout);
    assert!(y.contains("'bad-attr': '.ifname'"), "{y}");
}

/// rtnetlink notifications (rt-link's rtnlgrp-link group) for a veth pair, both CLIs. YNL
/// names RTM_NEWLINK notifications after the last message with that id (`getlink`) and dies
/// on RTM_DELLINK (no reply message has id 17 in rt-link.yaml: `KeyError: 17`); nlspec names
/// them the same way and skips the unknown id with a note, so the NEWLINKs are compared.
#[test]
fn netlink_raw_notifications_equal_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let rt_link = upstream_spec("rt-link.yaml");
    let spawn = |ours: bool| spawn_subscribe(ours, &rt_link, "rtnlgrp-link", "7");
    // One after the other, each started once the one before has joined NETLINK_ROUTE's
    // RTNLGRP_LINK (YNL takes seconds to get there on a busy machine), so that both listen
    // for their whole duration around the changes below.
    let subscribed = |c: &std::process::Child, who: &str| {
        let ready = wait_until_subscribed(&[c.id()], 0, 1, std::time::Duration::from_secs(60));
        assert!(ready, "{who} did not join rtnlgrp-link within 60 s (/proc/net/netlink)");
    };
    let theirs = spawn(false);
    subscribed(&theirs, "YNL");
    let ours = spawn(true);
    subscribed(&ours, "nlspec");
    let a = format!("nlsr{}a", std::process::id() % 100000);
    let b = format!("nlsr{}b", std::process::id() % 100000);
    let o = std::process::Command::new("ip")
        .args(["link", "add", &a, "type", "veth", "peer", "name", &b])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = std::process::Command::new("ip").args(["link", "del", &a]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t: Vec<serde_json::Value> =
        text(&theirs.wait_with_output().unwrap().stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let o = ours.wait_with_output().unwrap();
    let err = text(&o.stderr);
    let o = json_docs(&o, "nlspec", true);
    let newlinks = |docs: &[serde_json::Value]| -> Vec<serde_json::Value> {
        docs.iter().filter(|n| n["msg"]["ifname"] == a.as_str() || n["msg"]["ifname"] == b.as_str()).cloned().collect()
    };
    let (tp, op) = (newlinks(&t), newlinks(&o));
    assert!(op.len() >= 2 && op.iter().all(|n| n["name"] == "getlink"), "nlspec: {op:?}");
    assert!(err.contains("unexpected message type 17"), "{err}");
    assert_eq!(tp, op, "rtnetlink notifications differ (YNL vs nlspec)");
}

/// Every dump op of every upstream Generic Netlink spec whose family this host has (per the
/// kernel's nlctrl dump): the same JSON as YNL, or the same kernel error (e.g. EOPNOTSUPP for
/// a dump the host's drivers do not implement). tcp_metrics is left out: its `age` values
/// tick between the two runs.
#[test]
fn every_dump_of_the_hosts_upstream_families_equals_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let fams = compare(&our_spec("nlctrl.yaml"), &["--dump", "getfamily"]);
    let host: Vec<String> =
        fams.as_array().unwrap().iter().map(|f| f["family-name"].as_str().unwrap().to_string()).collect();
    let mut compared = 0;
    let mut specs: Vec<_> = std::fs::read_dir(ynl_root().join("Documentation/netlink/specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    specs.sort();
    for spec in specs {
        let fam = nlspec_model::load_and_resolve(&spec).unwrap_or_else(|d| panic!("{d}"));
        if !fam.is_genetlink() || !host.contains(&fam.name) || fam.name == "tcp_metrics" {
            continue;
        }
        for op in fam.ops.list.iter().filter(|o| o.dump.is_some() && !o.is_async()) {
            let args = ["--dump", op.name.as_str(), "--output-json"];
            let y = ynl(&spec, &args);
            if y.status.success() {
                compare(&spec, &args[..2]);
            } else {
                // YNL prints "Netlink error: [<ext-ack msg>: ]<strerror>" on stdout.
                let yout = text(&y.stdout);
                let line = yout.lines().find(|l| l.starts_with("Netlink error: ")).unwrap_or_else(|| {
                    panic!(
                        "YNL failed on {} --dump {} without a netlink error:\n{yout}{}",
                        fam.name,
                        op.name,
                        text(&y.stderr)
                    )
                });
                let o = nlspec_spec(&spec, &args);
                let err = text(&o.stderr);
                assert_eq!(
                    o.status.code(),
                    Some(1),
                    "{} --dump {}: YNL said {line:?}, nlspec: {err}",
                    fam.name,
                    op.name
                );
                let what = line.trim_start_matches("Netlink error: ");
                let what = what.split(" {'").next().unwrap();
                let strerror = what.rsplit(": ").next().unwrap();
                assert!(err.contains(strerror), "{} --dump {}: YNL said {line:?}, nlspec: {err}", fam.name, op.name);
            }
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} dumps compared");
}

/// `--policy --do/--dump OP`: the kernel's policy via nlctrl getpolicy, shaped as YNL's
/// `NlPolicy.to_dict()` (names from the spec, nested policies, loops cut); `null` for a mode
/// the op has no policy for. JSON and pretty output both equal YNL's.
#[test]
fn policy_equals_ynl() {
    for spec in both_nlctrl() {
        let v = compare(&spec, &["--policy", "--do", "getfamily"]);
        assert_eq!(v["family-name"]["type"], "nul-string", "{v}");
        compare(&spec, &["--policy", "--dump", "getpolicy"]);
        let v = compare(&spec, &["--policy", "--do", "getpolicy"]);
        assert!(v.is_null(), "{v}");
    }
    let netdev = upstream_spec("netdev.yaml");
    // bind-rx: a nested policy (queues).
    let v = compare(&netdev, &["--policy", "--do", "bind-rx"]);
    assert!(v["queues"].get("policy").is_some(), "{v}");
    compare(&netdev, &["--policy", "--dump", "qstats-get"]);
    let ethtool = upstream_spec("ethtool.yaml");
    for op in ["linkinfo-get", "rss-set", "features-set"] {
        compare(&ethtool, &["--policy", "--do", op]);
    }
    let run = |spec: &std::path::Path, args: &[&str]| {
        let (t, o) = (ynl(spec, args), nlspec_spec(spec, args));
        assert!(t.status.success() && o.status.success(), "{}{}", text(&t.stderr), text(&o.stderr));
        assert_eq!(text(&t.stdout), text(&o.stdout), "pretty output of {args:?}");
    };
    run(&ethtool, &["--policy", "--do", "features-set"]);
    run(&our_spec("nlctrl.yaml"), &["--policy", "--do", "getpolicy"]);
}

/// `--multi OP JSON` (repeated): the requests go out in one datagram and the replies come back
/// as one list, each shaped as a do's reply -- as YNL's `do_multi`. A failing request fails
/// the whole command (exit 1), as YNL's (which prints "Netlink error").
#[test]
fn multi_equals_ynl() {
    for spec in both_nlctrl() {
        let v = compare(
            &spec,
            &[
                "--multi",
                "getfamily",
                r#"{"family-name": "nlctrl"}"#,
                "--multi",
                "getfamily",
                r#"{"family-name": "netdev"}"#,
            ],
        );
        let names: Vec<&str> = v.as_array().unwrap().iter().map(|f| f["family-name"].as_str().unwrap()).collect();
        assert_eq!(names, ["nlctrl", "netdev"]);
        let args = [
            "--multi",
            "getfamily",
            r#"{"family-name": "nlctrl"}"#,
            "--multi",
            "getfamily",
            r#"{"family-name": "no-such-family"}"#,
        ];
        let y = ynl(&spec, &args);
        assert!(text(&y.stdout).contains("Netlink error: No such file or directory"), "{}", text(&y.stdout));
        let o = nlspec_spec(&spec, &args);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("ENOENT"), "{}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    }
}

/// A successful dump whose NLMSG_DONE carries an extended-ACK message: ethtool's
/// `linkinfo-get` dump on a host with an interface whose driver cannot report link settings
/// (e.g. `lo`) ends with "failed to retrieve link settings" and error 0. YNL prints it on
/// stdout as "Netlink warning:" plus the message's repr before the result; nlspec prints the
/// same lines. Skipped (with a note) when this host's dump carries no warning.
#[test]
fn dump_done_warning_printed_like_ynl() {
    let _g = NETDEV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let ethtool = upstream_spec("ethtool.yaml");
    for json in [true, false] {
        let mut args = vec!["--dump", "linkinfo-get"];
        if json {
            args.push("--output-json");
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (t, o) = (ynl(&ethtool, &args), nlspec_spec(&ethtool, &args));
            assert!(t.status.success() && o.status.success(), "{}{}", text(&t.stderr), text(&o.stderr));
            let (t, o) = (text(&t.stdout), text(&o.stdout));
            if !t.starts_with("Netlink warning:\n") {
                eprintln!("note: this host's ethtool linkinfo-get dump carries no warning; nothing to compare:\n{t}");
                return;
            }
            if t == o {
                assert!(o.lines().nth(2).unwrap().starts_with("\textack: {'msg': "), "{o}");
                break;
            }
            assert!(attempt < 3, "YNL:\n{t}\nnlspec:\n{o}");
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }
}

/// A family the running kernel does not have: nlctrl answers getfamily with a bare ENOENT;
/// every mode that talks to the family says which family and why, and prints nothing else.
#[test]
fn unregistered_family_is_named() {
    let d = std::env::temp_dir().join(format!("nlspec-live-unreg-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let spec = d.join("nosuch.yaml");
    let t = std::fs::read_to_string(our_spec("nlctrl.yaml")).unwrap();
    assert_eq!(t.matches("name: nlctrl\n").count(), 1);
    std::fs::write(&spec, t.replacen("name: nlctrl\n", "name: nlspec-nosuch\n", 1)).unwrap();
    let want = "nlspec: family nlspec-nosuch is not registered in the running kernel (is its module loaded?)\n";
    for args in [
        &["--do", "getfamily", "--json", r#"{"family-name": "nlctrl"}"#][..],
        &["--dump", "getfamily"],
        &["--dump", "getfamily", "--output-json"],
        &["--subscribe", "notify", "--duration", "0.1"],
        &["--policy", "--do", "getfamily"],
        &["--multi", "getfamily", r#"{"family-name": "nlctrl"}"#],
    ] {
        let o = nlspec_spec(&spec, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stderr));
        assert_eq!(text(&o.stderr), want, "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: {}", text(&o.stdout));
    }
    let _ = std::fs::remove_dir_all(&d);
}

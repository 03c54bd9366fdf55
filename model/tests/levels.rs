//! Which key is allowed at which protocol level: our resolver must agree with the kernel's own
//! JSON schemas (7.3, from /usr/src/linux-source-7.3.tar.xz, validated with python3-jsonschema)
//! on every key and keyword value, at each of the four levels.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const LEVELS: &[&str] = &["genetlink", "genetlink-c", "genetlink-legacy", "netlink-raw"];

/// Slots in the base spec that a variant fills.
#[derive(Default, Clone)]
struct V {
    top: &'static str,
    def: &'static str,
    structdef: bool,
    member: &'static str,
    set: &'static str,
    attr: &'static str,
    sattr: &'static str,
    extra_attr: &'static str,
    ops: &'static str,
    op: &'static str,
    req: &'static str,
    grp: &'static str,
}

fn spec(level: &str, v: &V) -> String {
    let mut s = String::new();
    let protonum = if level == "netlink-raw" { "protonum: 0\n" } else { "" };
    let _ = write!(s, "name: lvl\nprotocol: {level}\ndoc: d\n{protonum}{}\n", v.top);
    s.push_str("definitions:\n  - {name: c1, type: const, value: 4}\n");
    let _ = writeln!(s, "  - {{name: e1, type: enum, entries: [a, b]{}}}", v.def);
    s.push_str("  - {name: f1, type: flags, entries: [a, b]}\n");
    if v.structdef {
        let _ = writeln!(s, "  - {{name: st, type: struct, members: [{{name: m, type: u32}}{}]}}", v.member);
    }
    let _ = write!(s, "attribute-sets:\n  - name: main\n    {}\n    attributes:\n", v.set);
    let _ = writeln!(s, "      - {{name: x, type: u32{}}}", v.attr);
    let _ = writeln!(s, "      - {{name: s, type: string{}}}", v.sattr);
    s.push_str("      - {name: n, type: nest, nested-attributes: main}\n");
    if !v.extra_attr.is_empty() {
        let _ = writeln!(s, "      - {}", v.extra_attr);
    }
    let _ = write!(
        s,
        "operations:\n  {}\n  list:\n    - name: get\n      doc: d\n      attribute-set: main\n      {}\n      do:\n        request:\n          attributes: [x]\n          {}\n        reply:\n          attributes: [x]\n",
        v.ops, v.op, v.req
    );
    let _ = write!(s, "mcast-groups:\n  list:\n    - name: g\n      {}\n", v.grp);
    s
}

fn variants() -> Vec<(&'static str, V)> {
    let d = V::default;
    let mut v: Vec<(&'static str, V)> = vec![("base", d())];
    for t in [
        "version: 2",
        "kernel-policy: per-op",
        "kernel-policy: global",
        "c-family-name: x",
        "c-version-name: x",
        "max-by-define: true",
        "cmd-max-name: x",
        "cmd-cnt-name: x",
        "uapi-header: x.h",
        "kernel-family: {headers: [a.h], sock-priv: x}",
        "sub-messages: [{name: sm, formats: [{value: a}]}]",
    ] {
        v.push((t, V { top: t, ..d() }));
    }
    for k in [
        ", enum-name: x",
        ", enum-name: null",
        ", name-prefix: x-",
        ", enum-cnt-name: x",
        ", render-max: true",
        ", header: x.h",
        ", scope: kernel",
        ", value-start: 3",
    ] {
        v.push((k, V { def: k, ..d() }));
    }
    v.push(("struct", V { structdef: true, ..d() }));
    for m in [
        ", {name: p, type: pad, len: 4}",
        ", {name: b, type: u32, enum: f1, enum-as-flags: true}",
        ", {name: b, type: u16, byte-order: big-endian, display-hint: hex}",
        ", {name: b, type: binary, len: 4}",
        ", {name: b, type: u8, doc: d, enum: e1}",
    ] {
        v.push((m, V { structdef: true, member: m, ..d() }));
    }
    for k in [
        "attr-cnt-name: x",
        "attr-max-name: x",
        "header: x.h",
        "enum-name: x",
        "enum-name: null",
        "name-prefix: x-",
        "doc: d",
    ] {
        v.push((k, V { set: k, ..d() }));
    }
    for k in [
        ", checks: {max: 5}",
        ", checks: {max: u32-max}",
        ", checks: {min: 1, max: c1}",
        ", checks: {flags-mask: f1}",
        ", enum: e1",
        ", enum: f1, enum-as-flags: true",
        ", byte-order: big-endian",
        ", display-hint: hex",
        ", display-hint: ipv4-or-v6",
        ", multi-attr: true",
        ", name-prefix: x-",
        ", value: 7",
        ", doc: d",
    ] {
        v.push((k, V { attr: k, ..d() }));
    }
    for k in [", checks: {unterminated-ok: true}", ", checks: {max-len: 8}", ", checks: {min-len: 1, exact-len: c1}"] {
        v.push((k, V { sattr: k, ..d() }));
    }
    for k in [
        "{name: y, type: bitfield32}",
        "{name: y, type: uint}",
        "{name: y, type: sint}",
        "{name: y, type: s8}",
        "{name: y, type: s16}",
        "{name: y, type: u8}",
        "{name: y, type: flag}",
        "{name: y, type: unused}",
        "{name: y, type: pad}",
        "{name: y, type: binary, checks: {max-len: 4}}",
        "{name: y, type: indexed-array, sub-type: nest, nested-attributes: main}",
        "{name: y, type: indexed-array, sub-type: u32}",
        "{name: y, type: nest-type-value, type-value: [a], nested-attributes: main}",
    ] {
        v.push((k, V { extra_attr: k, ..d() }));
    }
    v.push(("binary struct", V { structdef: true, extra_attr: "{name: y, type: binary, struct: st}", ..d() }));
    v.push((
        "sub-message attr",
        V {
            top: "sub-messages: [{name: sm, formats: [{value: a}]}]",
            extra_attr: "{name: y, type: sub-message, sub-message: sm, selector: s}",
            ..d()
        },
    ));
    for k in [
        "enum-model: directional",
        "enum-model: unified",
        "name-prefix: x-",
        "enum-name: x",
        "enum-name: null",
        "async-prefix: x-",
        "async-enum: x",
        "async-enum: null",
    ] {
        v.push((k, V { ops: k, ..d() }));
    }
    v.push(("ops fixed-header", V { structdef: true, ops: "fixed-header: st", ..d() }));
    for k in [
        "flags: [admin-perm]",
        "flags: [uns-admin-perm]",
        "dont-validate: [strict, dump]",
        "dont-validate: [dump-strict]",
        "config-cond: x",
        "value: 9",
    ] {
        v.push((k, V { op: k, ..d() }));
    }
    v.push(("op fixed-header", V { structdef: true, op: "fixed-header: st", ..d() }));
    v.push(("request value", V { req: "value: 5", ..d() }));
    for k in ["c-define-name: x", "flags: [admin-perm]", "flags: [uns-admin-perm]", "value: 4"] {
        v.push((k, V { grp: k, ..d() }));
    }
    v
}

fn schemas_dir() -> PathBuf {
    let tb = "/usr/src/linux-source-7.3.tar.xz";
    assert!(Path::new(tb).exists(), "{tb} is missing (see .ci/run); this test does not skip");
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ynl-schemas-7.3");
    let marker = dest.join(".done");
    if !marker.exists() {
        std::fs::create_dir_all(&dest).unwrap();
        let st = Command::new("tar")
            .args(["-xJf", tb, "-C"])
            .arg(&dest)
            .args(["--wildcards", "*/Documentation/netlink/*.yaml", "--exclude", "*/specs/*"])
            .status()
            .unwrap();
        assert!(st.success());
        std::fs::write(&marker, "").unwrap();
    }
    dest.join("linux-source-7.3/Documentation/netlink")
}

const PY: &str = r#"
import sys, yaml, jsonschema
schemas = sys.argv[1]
cache = {}
for path in sys.argv[2:]:
    with open(path) as f:
        spec = yaml.safe_load(f)
    proto = spec.get('protocol', 'genetlink')
    if proto not in cache:
        with open(f"{schemas}/{proto}.yaml") as f:
            schema = yaml.safe_load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        cache[proto] = cls(schema)
    try:
        cache[proto].validate(spec)
        print("ok")
    except jsonschema.ValidationError as e:
        print("fail " + e.message.replace("\n", " ")[:160])
"#;

#[test]
fn key_levels_match_kernel_schemas() {
    let schemas = schemas_dir();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ynl-level-variants");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases = Vec::new();
    for (i, (label, v)) in variants().into_iter().enumerate() {
        for level in LEVELS {
            let text = spec(level, &v);
            let path = dir.join(format!("v{i:03}-{level}.yaml"));
            std::fs::write(&path, &text).unwrap();
            cases.push((label, *level, path, text));
        }
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(PY)
        .arg(&schemas)
        .args(cases.iter().map(|c| &c.2))
        .output()
        .expect("python3 with yaml and jsonschema (cargo xtask deps)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
    assert_eq!(theirs.len(), cases.len());
    let mut mismatches = Vec::new();
    let (mut acc, mut rej) = (0, 0);
    for ((label, level, path, text), t) in cases.iter().zip(&theirs) {
        let ours = nlspec_model::resolve_str(&path.display().to_string(), text);
        let schema_ok = t == "ok";
        if schema_ok {
            acc += 1
        } else {
            rej += 1
        }
        if ours.is_ok() != schema_ok {
            let why = match &ours {
                Ok(_) => "we accept".to_string(),
                Err(d) => format!("we reject: {}", d.0[0].message),
            };
            mismatches.push(format!("{label:?} at {level}: schema says {t}; {why}"));
        }
    }
    println!("{} level cases: schema accepts {acc}, rejects {rej}; {} disagreements", cases.len(), mismatches.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

//! Every spec of the kernel's own `Documentation/netlink/specs` (from Debian's linux-source
//! tarballs in /usr/src) must load, validate and resolve, and number its attributes, commands
//! and enum entries exactly as the kernel's own YNL library (tools/net/ynl, Python) does.
//! The files are extracted at test time into cargo's per-target temp dir and never committed.
//! A missing tarball (or python3 with PyYAML, installed by `cargo xtask deps`) is a failure.

mod corpus_support;

use corpus_support::{extract, stem, TARBALLS};
use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn kernel_spec_corpus_resolves() {
    let mut total = 0;
    let mut failed = Vec::new();
    for tb in TARBALLS {
        for spec in extract(tb) {
            total += 1;
            let label = format!("{}/{}", stem(tb), spec.file_name().unwrap().to_string_lossy());
            match nlspec_model::load_and_resolve(&spec) {
                Ok(f) => {
                    assert!(!f.ops.list.is_empty() || f.name.is_empty(), "{label}: no ops");
                    // the quick look for YAML 1.1 booleans misses none the event parser finds
                    let text = std::fs::read_to_string(&spec).unwrap();
                    let found = !nlspec_model::loader::build_spans(&text).yaml11_bools.is_empty();
                    assert!(!found || nlspec_model::loader::may_hold_yaml11_bool(&text), "{label}");
                }
                Err(d) => failed.push(format!("{label}:\n{d}")),
            }
        }
    }
    println!("corpus: {} of {} kernel specs load, validate and resolve", total - failed.len(), total);
    assert!(failed.is_empty(), "{} of {total} specs failed:\n{}", failed.len(), failed.join("\n"));
}

/// Our own dump script for the kernel's YNL Python library: one line per attribute, op and
/// enum entry with the numbers it computes.
const PY_DUMP: &str = r#"
import sys, os
sys.path.insert(0, sys.argv[1])
from lib.nlspec import SpecFamily
for path in sys.argv[2:]:
    name = os.path.basename(path)
    f = SpecFamily(path, "")  # numbering only; schema checks are ours
    for sname, s in f.attr_sets.items():
        for aname, a in s.attrs.items():
            print(f"{name} attr {sname} {aname} {a.value}")
    for oname, o in f.msgs.items():
        print(f"{name} op {oname} {o.req_value} {o.rsp_value}")
    for ename, e in f.consts.items():
        if hasattr(e, 'entries'):
            for en, ee in e.entries.items():
                print(f"{name} enum {ename} {en} {ee.user_value()}")
"#;

fn ours(specs: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for path in specs {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let f = nlspec_model::load_and_resolve(path).unwrap_or_else(|d| panic!("{d}"));
        for s in &f.sets {
            for a in &s.attrs {
                out.push(format!("{name} attr {} {} {}", s.name, a.name, a.value));
            }
        }
        let p = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_else(|| "None".into());
        for o in &f.ops.list {
            out.push(format!("{name} op {} {} {}", o.name, p(o.req_value), p(o.rsp_value)));
        }
        for e in &f.enums {
            for x in &e.entries {
                out.push(format!("{name} enum {} {} {}", e.name, x.name, x.value));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn numbering_matches_kernel_ynl() {
    for tb in TARBALLS {
        let specs = extract(tb);
        // .../<src>/Documentation/netlink/specs/x.yaml -> <src>
        let src = specs[0].ancestors().nth(4).unwrap().to_path_buf();
        let lib = ["tools/net/ynl/pyynl", "tools/net/ynl"]
            .iter()
            .map(|d| src.join(d))
            .find(|d| d.join("lib/nlspec.py").exists())
            .unwrap_or_else(|| panic!("no tools/net/ynl lib/nlspec.py in {tb}"));
        let out = Command::new("python3")
            .arg("-c")
            .arg(PY_DUMP)
            .arg(&lib)
            .args(&specs)
            .output()
            .expect("python3 is needed (cargo xtask deps installs python3-yaml)");
        assert!(out.status.success(), "YNL python failed on {tb}:\n{}", String::from_utf8_lossy(&out.stderr));
        let mut theirs: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
        theirs.sort();
        let ours = ours(&specs);
        let missing: Vec<_> = theirs.iter().filter(|l| ours.binary_search(l).is_err()).take(20).collect();
        let extra: Vec<_> = ours.iter().filter(|l| theirs.binary_search(l).is_err()).take(20).collect();
        println!("{tb}: {} numbers compared with the kernel's YNL library", theirs.len());
        assert!(missing.is_empty() && extra.is_empty(), "{tb}: YNL has {missing:#?}\nwe have {extra:#?}");
    }
}

/// Our own specs and the every-key fixtures are accepted by the kernel's own JSON schemas
/// (7.3), validated by its YNL library: our per-level key rules are not looser than theirs.
#[test]
fn own_specs_pass_kernel_schemas() {
    let tb = "/usr/src/linux-source-7.3.tar.xz";
    let specs = extract(tb);
    let src = specs[0].ancestors().nth(4).unwrap().to_path_buf();
    let lib = src.join("tools/net/ynl/pyynl");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ours = vec![root.join("../specs/nlctrl.yaml")];
    let mut fx: Vec<_> =
        std::fs::read_dir(root.join("tests/fixtures/valid")).unwrap().map(|e| e.unwrap().path()).collect();
    fx.sort();
    ours.extend(fx);
    let script = r#"
import sys, yaml
sys.path.insert(0, sys.argv[1])
from lib.nlspec import SpecFamily
schemas = sys.argv[2]
bad = 0
for path in sys.argv[3:]:
    with open(path) as f:
        proto = yaml.safe_load(f).get('protocol', 'genetlink')
    try:
        SpecFamily(path, f"{schemas}/{proto}.yaml")
        print(f"ok {path}")
    except Exception as e:
        bad += 1
        print(f"FAIL {path}: {e}")
sys.exit(1 if bad else 0)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&lib)
        .arg(src.join("Documentation/netlink"))
        .args(&ours)
        .output()
        .expect("python3 is needed (cargo xtask deps installs python3-yaml, python3-jsonschema)");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
}

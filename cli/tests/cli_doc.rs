//! `nlspec doc`: the reference of specs/nlkv.yaml against goldens (tests/golden/nlkv.md and
//! nlkv.rst; `NLSPEC_BLESS=1` rewrites them), and every upstream spec of the 6.12 and 7.3
//! kernel sources rendered in both formats: exit 0, no panic, unique anchors, every link
//! pointing at an anchor of the document, and the reStructuredText parsed by docutils without
//! a warning (Sphinx's `:ref:` role stood in for by one that records its targets).

mod cli_support;

use cli_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARBALL_OLD: &str = "/usr/src/linux-source-6.12.tar.xz";

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn doc(spec: &Path, format: &str) -> String {
    let o = nlspec(&["doc", "--spec", spec.to_str().unwrap(), "--format", format]);
    assert!(
        o.status.success(),
        "nlspec doc --format {format} {} failed ({}): {}",
        spec.display(),
        o.status,
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn check_golden(name: &str, got: &str) {
    let path = golden(name);
    if std::env::var_os("NLSPEC_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (NLSPEC_BLESS=1 writes it)", path.display()));
    if want != got {
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "nlspec doc output differs from {} at line {}:\nwant: {:?}\ngot:  {:?}\n(NLSPEC_BLESS=1 rewrites the golden)",
            path.display(),
            line + 1,
            want.lines().nth(line),
            got.lines().nth(line)
        );
    }
}

/// Every `prefix…suffix` substring of `s` (the part between).
fn between<'a>(s: &'a str, prefix: &str, suffix: &str) -> Vec<&'a str> {
    let mut v = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        match rest.find(suffix) {
            Some(j) => {
                v.push(&rest[..j]);
                rest = &rest[j..];
            }
            None => break,
        }
    }
    v
}

/// Anchors unique and every link resolved; returns (anchors, links).
fn check_links(what: &str, anchors: Vec<&str>, links: Vec<&str>) -> (usize, usize) {
    let mut set = std::collections::HashSet::new();
    for a in &anchors {
        assert!(set.insert(*a), "{what}: anchor {a} defined twice");
    }
    for l in &links {
        assert!(set.contains(l), "{what}: link to {l}, which is not an anchor of the document");
    }
    (anchors.len(), links.len())
}

fn check_md(what: &str, md: &str) -> (usize, usize) {
    check_links(what, between(md, "<a id=\"", "\"></a>"), between(md, "](#", ")"))
}

fn check_rst(what: &str, rst: &str) -> (usize, usize) {
    let labels: Vec<&str> = rst.lines().filter_map(|l| l.strip_prefix(".. _")?.strip_suffix(':')).collect();
    let refs: Vec<&str> = between(rst, ":ref:`", "`").into_iter().map(|r| between(r, "<", ">")[0]).collect();
    check_links(what, labels, refs)
}

/// Parse each file with docutils (python3-docutils); the messages of level >= 2 (warning and
/// up) and `:ref:` targets without a label, one per line as `file: message`.
fn docutils_problems(files: &[PathBuf]) -> Vec<String> {
    const SCRIPT: &str = r#"
import re, sys
from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import roles
refs = []
def ref_role(name, rawtext, text, lineno, inliner, options={}, content=[]):
    m = re.match(r'^(.*?)\s*<([^<>]+)>$', text, re.S)
    refs.append(m.group(2) if m else text)
    return [nodes.inline(rawtext, m.group(1) if m else text)], []
roles.register_local_role('ref', ref_role)
for f in sys.argv[1:]:
    refs.clear()
    doc = publish_doctree(open(f).read(), settings_overrides={'report_level': 5, 'halt_level': 5, 'warning_stream': False})
    for m in doc.findall(nodes.system_message):
        if m['level'] >= 2:
            print(f"{f}: level {m['level']} line {m.get('line')}: {m.astext()[:300]!r}")
    for r in refs:
        if r.lower() not in doc.nameids:
            print(f"{f}: :ref: to {r} has no label")
"#;
    let o = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .args(files)
        .output()
        .expect("run python3 (this test parses the reStructuredText with python3-docutils)");
    assert!(o.status.success(), "docutils check failed (is python3-docutils installed?): {}", text(&o.stderr));
    text(&o.stdout).lines().map(String::from).collect()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nlspec-doc-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn nlkv_golden_md() {
    let md = doc(&our_spec("nlkv.yaml"), "md");
    check_golden("nlkv.md", &md);
    let (anchors, links) = check_md("nlkv.md", &md);
    assert!(anchors > 50 && links > 100, "{anchors} anchors, {links} links");
}

#[test]
fn nlkv_golden_rst() {
    let rst = doc(&our_spec("nlkv.yaml"), "rst");
    check_golden("nlkv.rst", &rst);
    check_rst("nlkv.rst", &rst);
    let problems = docutils_problems(&[golden("nlkv.rst")]);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// What the reference must say about nlkv, independent of layout details.
#[test]
fn nlkv_content() {
    let md = doc(&our_spec("nlkv.yaml"), "md");
    for want in [
        "# Family `nlkv` netlink specification",
        "- **version**: 2",
        "- **flags**: `admin-perm`",
        "- **flags**: `uns-admin-perm`",
        "- **dont-validate**: `strict`",
        "- **config-cond**: `page-pool`",
        "- **dump request**: [`filter`](#nlkv-attr-entry.filter)",
        "- **multicast group**: [`changes`](#nlkv-mcast-group-changes)",
        "- **event attributes**: [`key`](#nlkv-attr-entry.key), [`change`](#nlkv-attr-entry.change)",
        "- `counter` = 5: A counter changed with the incr operation.",
        "- `secret` = 0x4 (bit 2): Its value is left out of dumps.",
        "- `reads` (`u32`, offset 8): Times the entry was read with get.",
        "- **checks**: `max-len: 64` ([`max-key-len`](#nlkv-definition-max-key-len))",
        "- **checks**: `min: 1`, `max: u32-max` (4294967295)",
        "- **checks**: `min-len: 1`, `max-len: 16`",
        "- **checks**: `max: 1000`",
        "- **checks**: `exact-len: 32`",
        "- **checks**: `flags-mask: 0x7` ([`entry-flags`](#nlkv-definition-entry-flags))",
        "- **array of**: `nest` of [`tag`](#nlkv-attribute-set-tag)",
        "- **multi-attr**: yes",
        "- **byte-order**: `big-endian`",
        "- **struct**: [`entry-stats`](#nlkv-definition-entry-stats)",
        "- **subset of**: [`entry`](#nlkv-attribute-set-entry)",
        "- **flags (to join)**: `admin-perm`",
    ] {
        assert!(md.contains(want), "the nlkv reference lacks {want:?}");
    }
}

#[test]
fn out_file_usage_and_errors() {
    let d = tmpdir("out");
    let spec = our_spec("nlkv.yaml");
    let file = d.join("nlkv.rst");
    let o = nlspec(&["doc", "--spec", spec.to_str().unwrap(), "--format=rst", "--out", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), doc(&spec, "rst"));
    // Default format: Markdown.
    let o = nlspec(&["doc", "--spec", spec.to_str().unwrap()]);
    assert_eq!(text(&o.stdout), doc(&spec, "md"));
    for bad in [&["doc"][..], &["doc", "--spec", "x.yaml", "--format", "html"], &["doc", "--spec", "x", "--frob"]] {
        let o = nlspec(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", text(&o.stderr));
    }
    // An invalid spec: its located errors, exit 1, nothing written.
    let broken = d.join("broken.yaml");
    std::fs::write(&broken, std::fs::read_to_string(&spec).unwrap().replace("type: u32\n", "type: u33\n")).unwrap();
    let o = nlspec(&["doc", "--spec", broken.to_str().unwrap(), "--out", d.join("b.md").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("broken.yaml:"), "{}", text(&o.stderr));
    assert!(!d.join("b.md").exists());
    let _ = std::fs::remove_dir_all(&d);
}

/// Every upstream spec of both kernel sources, both formats.
#[test]
fn every_upstream_spec_renders() {
    let d = tmpdir("upstream");
    let mut rst_files = Vec::new();
    let mut n = 0;
    for (tag, dir) in [("6.12", tarball_specs(TARBALL_OLD)), ("7.3", upstream_specs_dir())] {
        let specs = yaml_files(&dir);
        assert!(specs.len() >= 15, "{tag}: only {} specs in {}", specs.len(), dir.display());
        for spec in specs {
            let stem = spec.file_stem().unwrap().to_string_lossy().into_owned();
            let md = doc(&spec, "md");
            let rst = doc(&spec, "rst");
            let what = format!("{tag}/{stem}");
            assert!(md.starts_with("<a id=\"netlink-") && rst.contains(" netlink specification\n"), "{what}");
            let (anchors, _) = check_md(&format!("{what}.md"), &md);
            let (labels, _) = check_rst(&format!("{what}.rst"), &rst);
            assert_eq!(anchors, labels, "{what}: the two formats have different anchors");
            let f = d.join(format!("{tag}-{stem}.rst"));
            std::fs::write(&f, rst).unwrap();
            rst_files.push(f);
            n += 1;
        }
    }
    let problems = docutils_problems(&rst_files);
    assert!(problems.is_empty(), "docutils found problems:\n{}", problems.join("\n"));
    println!("{n} upstream specs rendered as Markdown and reStructuredText");
    let _ = std::fs::remove_dir_all(&d);
}

//! `nlspec abi-check OLD NEW`: a corpus of mutations of specs/nlkv.yaml (each breaking one
//! caught, at the right file:line:col, exit 1; each compatible one exit 0), and every upstream
//! spec of both the 6.12 and the 7.3 kernel source compared, with the verdict table printed
//! (`cargo test -p nlspec-cli --test cli_abi -- --nocapture`).

mod cli_support;

use cli_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nlspec-abi-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// 1-based line of the first `needle` after the first `anchor` in `text`.
fn line_of(text: &str, anchor: &str, needle: &str) -> usize {
    let a = text.find(anchor).unwrap_or_else(|| panic!("anchor {anchor:?} not found"));
    let n = a + text[a..].find(needle).unwrap_or_else(|| panic!("{needle:?} not found after {anchor:?}"));
    text[..n].matches('\n').count() + 1
}

enum Want {
    /// A breaking change: the message contains `msg`, located (in NEW, or OLD if `old`) at the
    /// line of `needle` after `anchor`.
    Breaks { msg: &'static str, old: bool, anchor: &'static str, needle: &'static str },
    /// Compatible (exit 0), and with `warning` a warning containing it.
    Compatible { warning: Option<&'static str> },
}

struct Mutation {
    name: &'static str,
    find: &'static str,
    replace: &'static str,
    want: Want,
}

fn mutations() -> Vec<Mutation> {
    use Want::*;
    vec![
        Mutation {
            name: "attribute renumbered",
            find: "name: digest\n",
            replace: "name: digest\n        value: 40\n",
            want: Breaks { msg: "attribute entry.digest renumbered from 12 to 40", old: false, anchor: "name: digest", needle: "value: 40" },
        },
        Mutation {
            name: "attribute inserted in the middle (renumbers the rest)",
            find: "      -\n        name: value\n        type: binary\n",
            replace: "      -\n        name: inserted\n        type: u32\n      -\n        name: value\n        type: binary\n",
            want: Breaks { msg: "attribute entry.value renumbered from 2 to 3", old: false, anchor: "name: inserted", needle: "name: value" },
        },
        Mutation {
            name: "attribute removed",
            find: "      -\n        name: open-dumps\n        type: u32\n        doc: Get dumps started (dump start hook) and not yet ended (dump done hook).\n",
            replace: "",
            want: Breaks { msg: "attribute entry.open-dumps (value 23) removed", old: true, anchor: "attribute-sets:", needle: "name: open-dumps" },
        },
        Mutation {
            name: "attribute type changed",
            find: "name: count\n        type: u32\n",
            replace: "name: count\n        type: u16\n",
            want: Breaks { msg: "attribute entry.count: type changed from u32 to u16", old: false, anchor: "name: count\n        type: u16", needle: "type:" },
        },
        Mutation {
            name: "attribute width changed",
            find: "name: owner-port\n        type: u16\n",
            replace: "name: owner-port\n        type: u32\n",
            want: Breaks { msg: "attribute entry.owner-port: type changed from u16 to u32", old: false, anchor: "name: owner-port", needle: "type:" },
        },
        Mutation {
            name: "byte order changed",
            find: "name: owner-port\n        type: u16\n        byte-order: big-endian\n",
            replace: "name: owner-port\n        type: u16\n",
            want: Breaks { msg: "owner-port: byte order changed", old: false, anchor: "name: owner-port", needle: "name: owner-port" },
        },
        Mutation {
            name: "smaller max",
            find: "max: 1000",
            replace: "max: 500",
            want: Breaks { msg: "attribute tag.weight: max 1000 -> 500 (tightened", old: false, anchor: "name: weight", needle: "max: 500" },
        },
        Mutation {
            name: "larger min",
            find: "min: 1\n          max: u32-max",
            replace: "min: 5\n          max: u32-max",
            want: Breaks { msg: "attribute entry.ttl-ms: min 1 -> 5 (tightened", old: false, anchor: "name: ttl-ms", needle: "min: 5" },
        },
        Mutation {
            name: "shorter max-len",
            find: "max-len: 32\n          unterminated-ok: true",
            replace: "max-len: 20\n          unterminated-ok: true",
            want: Breaks { msg: "attribute entry.label: max-len 32 -> 20 (tightened", old: false, anchor: "name: label", needle: "max-len: 20" },
        },
        Mutation {
            name: "new max-len",
            find: "name: value\n        type: u32\n",
            replace: "name: value\n        type: u32\n        checks:\n          max: 7\n",
            want: Breaks { msg: "attribute meta-item.value: max none -> 7 (tightened", old: false, anchor: "name: meta-item", needle: "max: 7" },
        },
        Mutation {
            name: "unterminated-ok dropped",
            find: "          unterminated-ok: true\n",
            replace: "",
            want: Breaks { msg: "entry.label: unterminated-ok removed (tightened", old: false, anchor: "name: label", needle: "checks:" },
        },
        Mutation {
            name: "enum value renumbered",
            find: "name: counter\n        value: 5",
            replace: "name: counter\n        value: 6",
            want: Breaks { msg: "enum kind: entry counter renumbered from 5 to 6", old: false, anchor: "name: counter", needle: "value: 6" },
        },
        Mutation {
            name: "enum entry removed",
            find: "entries: [ created, updated, deleted, evicted ]",
            replace: "entries: [ created, updated, deleted ]",
            want: Breaks { msg: "enum change: entry evicted (value 3) removed", old: true, anchor: "name: change\n    type: enum", needle: "entries:" },
        },
        Mutation {
            name: "admin-perm added to an op",
            find: "      name: get\n      doc: Read one entry, or dump the namespace.\n",
            replace: "      name: get\n      doc: Read one entry, or dump the namespace.\n      flags: [ admin-perm ]\n",
            want: Breaks { msg: "operation get: flags changed from [none] to [admin-perm]", old: false, anchor: "      name: get\n", needle: "flags:" },
        },
        Mutation {
            name: "op removed",
            find: "    -\n      name: tick-ntf\n      doc: One tick of a watch.\n      attribute-set: entry\n      event:\n        attributes: [ tick, count, period-ms ]\n      mcgrp: ticks\n",
            replace: "",
            want: Breaks { msg: "operation tick-ntf removed", old: true, anchor: "operations:", needle: "name: tick-ntf" },
        },
        Mutation {
            name: "op renamed (same message id)",
            find: "      name: evict-ntf\n",
            replace: "      name: evict-event\n",
            want: Compatible { warning: Some("operation evict-ntf renamed to evict-event") },
        },
        Mutation {
            name: "op inserted in the middle (renumbers the rest)",
            find: "    -\n      name: delete\n",
            replace: "    -\n      name: inserted-op\n      doc: new\n      attribute-set: entry\n      do:\n        request:\n          attributes: [ key ]\n    -\n      name: delete\n",
            want: Breaks { msg: "operation delete renumbered from 3 to 4", old: false, anchor: "operations:", needle: "name: delete" },
        },
        Mutation {
            name: "request attribute dropped",
            find: "attributes: [ key, delta ]",
            replace: "attributes: [ key ]",
            want: Breaks { msg: "operation incr: do request no longer accepts attribute delta", old: false, anchor: "name: incr", needle: "request:" },
        },
        Mutation {
            name: "fixed header grew",
            find: "        name: reserved\n        type: u32\n        doc: Must be zero.\n",
            replace: "        name: reserved\n        type: u32\n        doc: Must be zero.\n      -\n        name: extra\n        type: u32\n",
            want: Breaks { msg: "struct kv-hdr: layout changed (member extra added; size 8 -> 12)", old: false, anchor: "name: kv-hdr", needle: "name: extra" },
        },
        Mutation {
            name: "multicast group removed",
            find: "    -\n      name: audit\n      flags: [ admin-perm ]\n",
            replace: "",
            want: Breaks { msg: "multicast group audit removed", old: true, anchor: "mcast-groups:", needle: "name: audit" },
        },
        Mutation {
            name: "admin-perm added to a multicast group",
            find: "      name: changes\n",
            replace: "      name: changes\n      flags: [ admin-perm ]\n",
            want: Breaks { msg: "multicast group changes: flags changed from [none] to [admin-perm]", old: false, anchor: "mcast-groups:", needle: "flags:" },
        },
        // Compatible changes.
        Mutation {
            name: "new attribute at the end",
            find: "doc: Number of a tick notification within its watch, from 1.\n",
            replace: "doc: Number of a tick notification within its watch, from 1.\n      -\n        name: brand-new\n        type: u64\n",
            want: Compatible { warning: None },
        },
        Mutation {
            name: "new op at the end",
            find: "\nmcast-groups:",
            replace: "    -\n      name: brand-new-op\n      doc: New.\n      attribute-set: entry\n      do:\n        request:\n          attributes: [ key ]\n\nmcast-groups:",
            want: Compatible { warning: None },
        },
        Mutation {
            name: "doc change",
            find: "doc: Survives a clear.",
            replace: "doc: Survives a clear (reworded).",
            want: Compatible { warning: None },
        },
        Mutation {
            name: "loosened check",
            find: "max: 1000",
            replace: "max: 2000",
            want: Compatible { warning: Some("attribute tag.weight: max 1000 -> 2000 (loosened") },
        },
        Mutation {
            name: "new enum entry at the end",
            find: "entries: [ created, updated, deleted, evicted ]",
            replace: "entries: [ created, updated, deleted, evicted, expired ]",
            want: Compatible { warning: None },
        },
        Mutation {
            name: "new multicast group at the end",
            find: "      flags: [ admin-perm ]\n",
            replace: "      flags: [ admin-perm ]\n    -\n      name: brand-new-group\n",
            want: Compatible { warning: None },
        },
    ]
}

fn abi_check(old: &Path, new: &Path) -> std::process::Output {
    nlspec(&["abi-check", old.to_str().unwrap(), new.to_str().unwrap()])
}

#[test]
fn mutations_of_nlkv() {
    let dir = tmpdir("mut");
    let old = our_spec("nlkv.yaml");
    let old_text = std::fs::read_to_string(&old).unwrap();
    let o = abi_check(&old, &old);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    for (i, m) in mutations().iter().enumerate() {
        // The last occurrence for the last mcast-group flags, the first otherwise.
        let new_text = if m.name == "new multicast group at the end" {
            let at = old_text.rfind(m.find).unwrap();
            format!("{}{}{}", &old_text[..at], m.replace, &old_text[at + m.find.len()..])
        } else {
            assert!(old_text.contains(m.find), "{}: {:?} not in nlkv.yaml", m.name, m.find);
            old_text.replacen(m.find, m.replace, 1)
        };
        // Removing an attribute (a group) also takes it out of the op that lists it.
        let new_text = match m.name {
            "attribute removed" => new_text.replacen("attributes: [ open-dumps ]", "attributes: [ count ]", 1),
            "multicast group removed" => new_text.replacen("mcgrp: audit", "mcgrp: changes", 1),
            _ => new_text,
        };
        let new = dir.join(format!("m{i}.yaml"));
        std::fs::write(&new, &new_text).unwrap();
        if let Err(d) = nlspec_model::load_and_resolve(&new) {
            panic!("{}: the mutated spec does not resolve:\n{d}", m.name);
        }
        let o = abi_check(&old, &new);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert!(!err.contains("panicked"), "{}: {err}", m.name);
        match &m.want {
            Want::Breaks { msg, old: at_old, anchor, needle } => {
                assert_eq!(o.status.code(), Some(1), "{}: not caught:\n{out}{err}", m.name);
                let (file, t) = if *at_old { (&old, &old_text) } else { (&new, &new_text) };
                let line = line_of(t, anchor, needle);
                let hit = out.lines().find(|l| l.contains(msg)).unwrap_or_else(|| {
                    panic!("{}: no finding {msg:?} in:\n{out}", m.name);
                });
                let want_prefix = format!("{}:{line}:", file.display());
                assert!(hit.starts_with(&want_prefix), "{}: {hit}\n  expected at {want_prefix}", m.name);
                assert!(hit.contains(": error: "), "{}: {hit}", m.name);
            }
            Want::Compatible { warning } => {
                assert_eq!(o.status.code(), Some(0), "{}: reported as breaking:\n{out}{err}", m.name);
                assert!(!out.contains(": error: "), "{}: {out}", m.name);
                match warning {
                    Some(w) => {
                        assert!(out.lines().any(|l| l.contains(w) && l.contains(": warning: ")), "{}: {out}", m.name)
                    }
                    None => assert!(!out.contains(": warning: ") || m.name.starts_with("new"), "{}: {out}", m.name),
                }
            }
        }
    }
    // Every line is `file:line:col: error|warning: message`.
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_and_invalid_specs() {
    let o = nlspec(&["abi-check", our_spec("nlkv.yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/errors/dangling_enum.yaml");
    let o = abi_check(&our_spec("nlkv.yaml"), &bad);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("dangling_enum.yaml:"), "{}", text(&o.stderr));
}

/// The specs directory of another kernel source tarball (default: Debian's 6.12), extracted
/// once per tarball.
fn old_specs() -> PathBuf {
    let tarball =
        std::env::var("NLSPEC_LINUX_SOURCE_OLD").unwrap_or_else(|_| "/usr/src/linux-source-6.12.tar.xz".into());
    assert!(
        Path::new(&tarball).is_file(),
        "{tarball} is missing: this test compares every spec of it with the 7.3 ones \
         (apt-get install linux-source-6.12, or point NLSPEC_LINUX_SOURCE_OLD at a linux-source-*.tar.xz)"
    );
    let len = std::fs::metadata(&tarball).unwrap().len();
    let dir = std::env::temp_dir().join(format!("nlspec-abi-old-{len}"));
    let find = |d: &Path| -> Option<PathBuf> {
        std::fs::read_dir(d).ok()?.flatten().map(|e| e.path().join("Documentation/netlink/specs")).find(|p| p.is_dir())
    };
    if let Some(p) = find(&dir) {
        return p;
    }
    let tmp = std::env::temp_dir().join(format!("nlspec-abi-old-{len}.{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let st = Command::new("tar")
        .arg("-xf")
        .arg(&tarball)
        .arg("-C")
        .arg(&tmp)
        .args(["--wildcards", "*/Documentation/netlink/specs/*"])
        .status()
        .unwrap();
    assert!(st.success());
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    find(&dir).unwrap()
}

fn family_name(p: &Path) -> String {
    let t = std::fs::read_to_string(p).unwrap();
    t.lines().find_map(|l| l.strip_prefix("name:")).map(|n| n.trim().to_string()).unwrap_or_default()
}

/// Every family with a spec in both 6.12 and 7.3 (paired by family name: some files were
/// renamed, e.g. rt_link.yaml → rt-link.yaml): abi-check runs without a panic and says
/// compatible (0) or breaking (1); the table is printed.
#[test]
fn upstream_6_12_to_7_3_verdicts() {
    let old_dir = old_specs();
    let new_dir = upstream_specs_dir();
    let list = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        v.sort();
        v
    };
    let news: Vec<(String, PathBuf)> = list(&new_dir).into_iter().map(|p| (family_name(&p), p)).collect();
    let mut rows = Vec::new();
    for old in list(&old_dir) {
        let fam = family_name(&old);
        let Some((_, new)) = news.iter().find(|(n, _)| *n == fam) else { continue };
        let o = abi_check(&old, new);
        let err = text(&o.stderr);
        assert!(!err.contains("panicked"), "{fam}: {err}");
        let out = text(&o.stdout);
        let (e, w) = (out.matches(": error: ").count(), out.matches(": warning: ").count());
        match o.status.code() {
            Some(0) => assert_eq!(e, 0, "{fam}"),
            Some(1) => assert!(e > 0 || err.contains("error"), "{fam}: {err}"),
            c => panic!("{fam}: exit {c:?}: {err}"),
        }
        let first = out.lines().find(|l| l.contains(": error: ")).map(|l| l.split(": error: ").nth(1).unwrap_or(""));
        rows.push(format!(
            "| {fam} | {} | {e} | {w} | {} |",
            if o.status.code() == Some(0) { "compatible" } else { "BREAKING" },
            first.unwrap_or("")
        ));
    }
    assert!(rows.len() >= 15, "only {} families in both", rows.len());
    println!("\n| family | 6.12 -> 7.3 | errors | warnings | first error |\n|---|---|---|---|---|");
    for r in &rows {
        println!("{r}");
    }
}

//! The `imports` rule of `cargo xtask tidy`: no import cycles between the files of a crate.
//!
//! Each `src/` tree of a hand-written crate is read as text. A file's module path follows from
//! its place (`src/lib.rs` → the root, `src/a.rs` and `src/a/mod.rs` → `a`, `src/a/b.rs` →
//! `a::b`). A file imports another when it names an item through it: `crate::a::b::X`,
//! `super::X`, `self::x::Y`, or, in a module that declares `mod x;`, `x::Y` in a `use`. The target
//! is the longest prefix of the path that is a module file. `mod x;` itself is not an import.
//! A cycle (strongly connected set of two or more files) fails, listing its files and one
//! reference per edge. Reading text can miss an import (a macro) but does not invent one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One reference from a file to another module file.
#[derive(Debug, Clone)]
pub struct Edge {
    pub line: usize,
    pub what: String,
}

/// The module graph of one crate: file (relative to the repo root) → file → first reference.
pub type Graph = BTreeMap<String, BTreeMap<String, Edge>>;

/// Module path (`["a", "b"]`) of `rel` below `src_prefix` (`cli/src/`), or `None` for files
/// that are not modules of the library/binary tree (`src/bin/*`).
fn module_path(src_prefix: &str, rel: &str) -> Option<Vec<String>> {
    let inner = rel.strip_prefix(src_prefix)?.strip_suffix(".rs")?;
    if inner.starts_with("bin/") {
        return None;
    }
    let mut parts: Vec<String> = inner.split('/').map(str::to_string).collect();
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        return Some(Vec::new());
    }
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

/// The code of `line`: without a trailing `//` comment and with string literals blanked (a
/// doc string naming `super::X` is not an import).
fn code_part(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_str = false;
                    out.push('"');
                }
                _ => {}
            }
        } else if c == '"' {
            in_str = true;
            out.push('"');
        } else if c == '/' && chars.peek() == Some(&'/') {
            break;
        } else {
            out.push(c);
        }
    }
    out
}

/// Paths named after `prefix` (`crate::`, `super::`, `self::`, or a child module name) in
/// `code`: each as its segments, braces expanded one level (`crate::{a, b::c}`).
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + prefix.len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let segs = segments(item.trim());
                if !segs.is_empty() {
                    out.push(segs);
                }
            }
        } else {
            let segs = segments(after);
            if !segs.is_empty() {
                out.push(segs);
            }
        }
    }
    out
}

/// The paths of a one-line use tree: `a::b::{C, d::E}` → `[a,b,C]`, `[a,b,d,E]`; `a::B` → `[a,B]`.
fn use_tree(s: &str) -> Vec<Vec<String>> {
    let s = s.trim().trim_end_matches(';');
    match s.find("::{") {
        Some(i) => {
            let base = segments(&s[..i]);
            let inner = s[i + 3..].trim_end_matches('}');
            inner
                .split(',')
                .map(|item| segments(item.trim()))
                .filter(|segs| !segs.is_empty() && segs[0] != "self")
                .map(|segs| base.iter().cloned().chain(segs).collect())
                .collect()
        }
        None => vec![segments(s)].into_iter().filter(|p| !p.is_empty()).collect(),
    }
}

/// `a::b::C` at the start of `s` → `["a", "b", "C"]`.
fn segments(s: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut rest = s;
    loop {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segs.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    segs
}

/// The module graph of the crate whose sources are `files` (repo-relative, all below
/// `src_prefix`), read from `read(rel)`.
pub fn graph(src_prefix: &str, files: &[(String, String)]) -> Graph {
    let modules: BTreeMap<Vec<String>, String> =
        files.iter().filter_map(|(rel, _)| module_path(src_prefix, rel).map(|m| (m, rel.clone()))).collect();
    // `pub use` re-exports per module: item name → the path it names (absolute), so a
    // reference through a facade (`super::Cx` re-exported by `attr/mod.rs` from `attr/cx.rs`)
    // counts as an import of the file that defines it.
    let mut reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (rel, text) in files {
        let Some(me) = module_path(src_prefix, rel) else { continue };
        let parent: Vec<String> = me.iter().take(me.len().saturating_sub(1)).cloned().collect();
        for line in text.lines() {
            let code = code_part(line);
            let t = code.trim();
            let Some(rest) = t.strip_prefix("pub use ").or_else(|| t.strip_prefix("pub(crate) use ")) else {
                continue;
            };
            let (base, tail) = if let Some(r) = rest.strip_prefix("crate::") {
                (Vec::new(), r)
            } else if let Some(r) = rest.strip_prefix("super::") {
                (parent.clone(), r)
            } else if let Some(r) = rest.strip_prefix("self::") {
                (me.clone(), r)
            } else {
                (me.clone(), rest)
            };
            for p in use_tree(tail) {
                if let Some(name) = p.last() {
                    let full: Vec<String> = base.iter().cloned().chain(p.iter().cloned()).collect();
                    reexports.entry(me.clone()).or_default().insert(name.clone(), full);
                }
            }
        }
    }
    let resolve = |path: &[String]| -> Option<&String> {
        let mut path = path.to_vec();
        for _ in 0..4 {
            let n = (0..=path.len()).rev().find(|n| modules.contains_key(&path[..*n]))?;
            let via = path.get(n).and_then(|item| reexports.get(&path[..n])?.get(item));
            match via {
                Some(target) if target.as_slice() != path.as_slice() => {
                    path = target.iter().cloned().chain(path[n + 1..].iter().cloned()).collect();
                }
                _ => return modules.get(&path[..n]),
            }
        }
        modules.get(&path)
    };
    let mut g = Graph::new();
    for (rel, text) in files {
        let Some(me) = module_path(src_prefix, rel) else { continue };
        // The crate root declares and re-exports every module: naming them is its job, not an
        // import. What the other files take from it (its own items, macros) still counts.
        if me.is_empty() {
            continue;
        }
        // Child modules declared here: `use x::Y` in this file names `me::x`.
        let children: BTreeSet<String> = text
            .lines()
            .filter_map(|l| {
                let code = code_part(l);
                let t = code.trim();
                let t = t.strip_prefix("pub ").or_else(|| t.strip_prefix("pub(crate) ")).unwrap_or(t);
                t.strip_prefix("mod ").map(|r| r.trim_end_matches(';').trim().to_string())
            })
            .collect();
        let parent: Vec<String> = me.iter().take(me.len().saturating_sub(1)).cloned().collect();
        for (i, line) in text.lines().enumerate() {
            // Unit tests (by convention the file's last item) may reach anywhere.
            if line.trim() == "#[cfg(test)]" {
                break;
            }
            let code = code_part(line);
            let code = code.as_str();
            let mut targets: Vec<Vec<String>> = Vec::new();
            for p in paths_after(code, "crate::") {
                targets.push(p);
            }
            for p in paths_after(code, "super::") {
                targets.push(parent.iter().cloned().chain(p).collect());
            }
            for p in paths_after(code, "self::") {
                targets.push(me.iter().cloned().chain(p).collect());
            }
            if code.trim_start().starts_with("use ") || code.trim_start().starts_with("pub use ") {
                for child in &children {
                    for p in paths_after(code, &format!("{child}::")) {
                        targets.push(me.iter().cloned().chain(std::iter::once(child.clone())).chain(p).collect());
                    }
                }
            }
            for t in targets {
                let Some(to) = resolve(&t) else { continue };
                if to != rel {
                    g.entry(rel.clone())
                        .or_default()
                        .entry(to.clone())
                        .or_insert_with(|| Edge { line: i + 1, what: code.trim().to_string() });
                }
            }
        }
    }
    g
}

/// Strongly connected sets of two or more files (Tarjan), each sorted.
pub fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct St<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut St<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        if let Some(next) = s.g.get(v) {
            for w in next.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(lw));
                } else if s.on.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(iw));
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s =
        St { g, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    let nodes: Vec<&str> = g.keys().map(String::as_str).collect();
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// The `src/` prefixes of the hand-written crates among `files` (`<dir>/src/` of every
/// `<dir>/Cargo.toml` outside `generated/`).
pub fn crate_src_dirs(root: &Path, files: &[String]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| f.strip_suffix("Cargo.toml"))
        .filter(|d| !d.starts_with("generated/") && root.join(d).join("src").is_dir())
        .map(|d| format!("{d}src/"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn finds_a_cycle_through_crate_and_super_paths() {
        let f = files(&[
            ("c/src/lib.rs", "mod a;\nmod b;\n"),
            ("c/src/a.rs", "use crate::b::Thing;\n"),
            ("c/src/b.rs", "// crate::a::Not in a comment\nfn f() { super::a::g() }\n"),
        ]);
        let g = graph("c/src/", &f);
        assert_eq!(cycles(&g), vec![vec!["c/src/a.rs".to_string(), "c/src/b.rs".to_string()]]);
    }

    #[test]
    fn a_one_way_tree_has_none() {
        let f = files(&[
            ("c/src/lib.rs", "mod a;\nmod b;\npub use a::X;\n"),
            ("c/src/a/mod.rs", "mod inner;\nuse crate::b::{Y, Z};\n"),
            ("c/src/a/inner.rs", "use crate::b::Y;\n"),
            ("c/src/b.rs", "pub struct Y; pub struct Z;\n"),
        ]);
        let g = graph("c/src/", &f);
        assert!(g["c/src/a/mod.rs"].contains_key("c/src/b.rs"));
        assert!(!g.contains_key("c/src/lib.rs"), "the root's declarations are not imports");
        assert!(cycles(&g).is_empty(), "{g:?}");
    }

    #[test]
    fn a_child_naming_its_parent_that_uses_it_is_a_cycle() {
        let f = files(&[
            ("c/src/lib.rs", "mod m;\n"),
            ("c/src/m/mod.rs", "mod k;\npub use k::K;\npub struct P;\n"),
            ("c/src/m/k.rs", "use super::P;\npub struct K;\n"),
        ]);
        assert_eq!(cycles(&graph("c/src/", &f)).len(), 1);
    }

    #[test]
    fn a_name_taken_through_a_facade_counts_for_the_file_that_defines_it() {
        let f = files(&[
            ("c/src/lib.rs", "mod attr;\n"),
            ("c/src/attr/mod.rs", "pub mod cx;\npub mod policy;\npub use cx::{cast, ident, Cx};\n"),
            ("c/src/attr/cx.rs", "pub fn ident() {}\n"),
            ("c/src/attr/policy.rs", "fn f() { let s = \"super::Cx in a string\"; super::ident() }\n"),
        ]);
        let g = graph("c/src/", &f);
        assert_eq!(g["c/src/attr/policy.rs"].keys().collect::<Vec<_>>(), vec!["c/src/attr/cx.rs"]);
        assert!(cycles(&g).is_empty());
    }
}

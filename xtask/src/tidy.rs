//! `cargo xtask tidy`: repository rules checked by reading the source, in the manner of
//! rust-analyzer's tidy test.
//!
//! - **unsafe**: `unsafe` (block, fn, impl, trait, extern, attribute) appears in Rust code only in
//!   the designated places: [`UNSAFE_ALLOWED`] and `kernel/` (the kernel support layer, its proof
//!   module and client). A file under `generated/kmod/` or `generated/intree/` that is a
//!   byte-for-byte copy of a `kernel/support/` file is that support file (the kernel emitter
//!   copies the support layer into every module directory); any other file, generated code and
//!   tests included, must be safe.
//!   Comments, strings and char literals are skipped.
//! - **header**: every `.rs` file outside `generated/` starts (after an optional SPDX line) with
//!   a comment saying what it holds: `//!` for crate roots (`src/lib.rs`, `src/main.rs`,
//!   `src/bin/*`, `build.rs`, `tests/*.rs`, ...), `//!` or `//` for other files and anything
//!   under `kernel/`.
//! - **machine paths**: no file contains an absolute path of a particular machine: anything
//!   below root's or a user's home directory (`/root`, `/home/<name>`) or `/work`, shell-job and
//!   mktemp directories in `/tmp`, or this machine's workspace, home, cargo and target
//!   directories. (Paths inside the test VM, such as a guest script's scratch files in `/tmp` or
//!   its `HOME=/root`, are fine.)
//!
//! - **imports**: no import cycle between the files of a hand-written crate ([`crate::cycles`]).
//!
//! Files are those git knows: tracked, plus untracked ones not ignored (so a new file is checked
//! before its first commit). Each violation is printed as `path:line: rule: what`.

use crate::err;
use crate::util::{self, note, Result};
use std::path::Path;
use std::process::Command;

/// Files (besides `kernel/`) where `unsafe` may appear: the runtime's syscall layer and its tokio
/// fd registration.
pub const UNSAFE_ALLOWED: &[&str] = &["runtime/src/sys.rs", "runtime/src/tokio_socket.rs"];

/// Directory (prefix) where `unsafe` may appear anywhere: the kernel support layer and its tests.
pub const UNSAFE_ALLOWED_DIR: &str = "kernel/";

/// Test and bench files that may hold `unsafe`, each for a reason no safe code can meet. Keep
/// this list short; library code never goes here.
pub const UNSAFE_TEST_EXCEPTIONS: &[(&str, &str)] = &[
    ("runtime/tests/alloc.rs", "counting global allocator (impl GlobalAlloc is unsafe)"),
    ("codegen/tests/client_alloc.rs", "counting global allocator (impl GlobalAlloc is unsafe)"),
    ("runtime/benches/peers.rs", "counting global allocator and the raw libc floor the runtime is measured against"),
    ("runtime/benches/dump.rs", "the raw libc floor the runtime is measured against"),
    (
        "runtime/benches/rtnl.rs",
        "counting global allocator and the raw libc floor the rtnetlink dumps are measured against",
    ),
];

/// One broken rule.
#[derive(Debug, PartialEq)]
pub struct Violation {
    pub path: String,
    pub line: usize,
    pub rule: &'static str,
    pub what: String,
}

pub fn tidy() -> Result<i32> {
    let root = util::workspace_root();
    let files = repo_files(&root)?;
    let mut v = Vec::new();
    let forbidden = machine_paths(&root);
    let mut checked = 0;
    for rel in &files {
        let Ok(bytes) = std::fs::read(root.join(rel)) else { continue };
        // Binary files (and non-UTF-8 test fixtures) hold no source to check.
        let Ok(text) = String::from_utf8(bytes) else { continue };
        checked += 1;
        check_machine_paths(rel, &text, &forbidden, &mut v);
        if rel.ends_with(".rs") {
            if !unsafe_allowed(&root, rel, &text) {
                check_unsafe(rel, &text, &mut v);
            }
            if !rel.starts_with("generated/") {
                check_header(rel, &text, is_crate_root(&root, rel), &mut v);
            }
        }
    }
    let crates = check_import_cycles(&root, &files, &mut v);
    for x in &v {
        println!("{}:{}: {}: {}", x.path, x.line, x.rule, x.what);
    }
    if v.is_empty() {
        note(format!(
            "tidy: {checked} files clean (unsafe, header, machine paths); no import cycle in {crates} crates"
        ));
        Ok(0)
    } else {
        eprintln!("tidy: {} violation(s) in {checked} files (rules: xtask/src/tidy.rs)", v.len());
        Ok(1)
    }
}

/// The `imports` rule ([`crate::cycles`]): one violation per file of every import cycle inside a
/// hand-written crate, naming the file it imports from the same cycle. Returns the number of
/// crates checked.
fn check_import_cycles(root: &Path, files: &[String], v: &mut Vec<Violation>) -> usize {
    let dirs = crate::cycles::crate_src_dirs(root, files);
    for dir in &dirs {
        let sources: Vec<(String, String)> = files
            .iter()
            .filter(|f| f.starts_with(dir.as_str()) && f.ends_with(".rs"))
            .filter_map(|f| std::fs::read_to_string(root.join(f)).ok().map(|t| (f.clone(), t)))
            .collect();
        let g = crate::cycles::graph(dir, &sources);
        for cycle in crate::cycles::cycles(&g) {
            for file in &cycle {
                let Some(edges) = g.get(file) else { continue };
                for (to, e) in edges.iter().filter(|(to, _)| cycle.contains(to)) {
                    v.push(Violation {
                        path: file.clone(),
                        line: e.line,
                        rule: "imports",
                        what: format!("import cycle ({}): imports {to} here: `{}`", cycle.join(" ↔ "), e.what),
                    });
                }
            }
        }
    }
    dirs.len()
}

/// Tracked and untracked-but-not-ignored files, relative to the root, `/`-separated, sorted; files
/// deleted from the work tree are left out by the callers' reads.
fn repo_files(root: &Path) -> Result<Vec<String>> {
    let out = util::run_capture(Command::new("git").current_dir(root).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]))
    .map_err(|e| err!("tidy lists the files git knows, and git failed (is this a git checkout?): {e}"))?;
    let mut files: Vec<String> =
        out.split('\0').filter(|s| !s.is_empty() && !s.split('/').any(|c| c == "target")).map(String::from).collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Whether `rel` may hold `unsafe`: a designated file, under `kernel/`, or a verbatim copy of a
/// kernel support file in a generated module or driver directory.
fn unsafe_allowed(root: &Path, rel: &str, text: &str) -> bool {
    if UNSAFE_ALLOWED.contains(&rel)
        || rel.starts_with(UNSAFE_ALLOWED_DIR)
        || UNSAFE_TEST_EXCEPTIONS.iter().any(|(p, _)| *p == rel)
    {
        return true;
    }
    let generated_module = rel.starts_with("generated/kmod/") || rel.starts_with("generated/intree/");
    if let (true, Some(name)) = (generated_module, rel.rsplit('/').next()) {
        let support = root.join("kernel/support").join(name);
        return std::fs::read(support).is_ok_and(|s| s == text.as_bytes());
    }
    false
}

/// Whether `rel` is the root of a crate target (its doc comment is the crate's), judged by the
/// layout cargo infers from: `<crate>/src/{lib,main}.rs`, `<crate>/src/bin/*.rs` (or
/// `*/main.rs`), `<crate>/build.rs`, `<crate>/{tests,benches,examples}/*.rs` (or `*/main.rs`),
/// where `<crate>` has a `Cargo.toml`.
fn is_crate_root(root: &Path, rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let n = parts.len();
    let crate_at = |depth: usize| -> bool {
        // `depth` path components above the file is the crate directory.
        n > depth && root.join(parts[..n - 1 - depth].join("/")).join("Cargo.toml").is_file()
    };
    let file = parts[n - 1];
    let parent = |k: usize| if n > k { parts[n - 1 - k] } else { "" };
    match (parent(1), parent(2), parent(3)) {
        ("src", _, _) if file == "lib.rs" || file == "main.rs" => crate_at(1),
        ("bin", "src", _) => crate_at(2),
        (_, "bin", "src") if file == "main.rs" => crate_at(3),
        ("tests" | "benches" | "examples", _, _) => crate_at(1),
        (_, "tests" | "benches" | "examples", _) if file == "main.rs" => crate_at(2),
        _ => file == "build.rs" && crate_at(0),
    }
}

/// The header rule: after blank lines and an SPDX line, a comment with text; `//!` for crate
/// roots outside `kernel/`.
fn check_header(rel: &str, text: &str, crate_root: bool, v: &mut Vec<Violation>) {
    let first = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with("// SPDX-License-Identifier:"));
    let doc_needed = crate_root && !rel.starts_with("kernel/");
    let want = if doc_needed { "a `//!` comment (crate root)" } else { "a `//!` or `//` comment" };
    let (line, ok) = match first {
        None => (1, false),
        Some((i, l)) => {
            let l = l.trim_start();
            let body = if doc_needed { l.strip_prefix("//!") } else { l.strip_prefix("//") };
            (i + 1, body.is_some_and(|b| !b.trim_start_matches(['/', '!']).trim().is_empty()))
        }
    };
    if !ok {
        v.push(Violation {
            path: rel.into(),
            line,
            rule: "header",
            what: format!("the file must start with {want} saying what it holds"),
        });
    }
}

fn check_unsafe(rel: &str, text: &str, v: &mut Vec<Violation>) {
    for (i, line) in code_only(text).lines().enumerate() {
        if has_word(line, "unsafe") {
            v.push(Violation {
                path: rel.into(),
                line: i + 1,
                rule: "unsafe",
                what: format!(
                    "`unsafe` outside the designated places ({}, {UNSAFE_ALLOWED_DIR})",
                    UNSAFE_ALLOWED.join(", ")
                ),
            });
        }
    }
}

/// Whether `word` occurs in `line` as a whole identifier.
fn has_word(line: &str, word: &str) -> bool {
    let b = line.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    line.match_indices(word).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + word.len()).copied();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// `src` with every comment and string, byte-string, raw-string and char literal replaced by
/// spaces; newlines are kept, so line numbers stay right.
pub fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let blank =
        |out: &mut Vec<u8>, bytes: &[u8]| out.extend(bytes.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }));
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            let end = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p);
            blank(&mut out, &b[i..end]);
            i = end;
        } else if c == b'/' && next == Some(b'*') {
            // Block comments nest.
            let (mut j, mut depth) = (i + 2, 1);
            while j < b.len() && depth > 0 {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &b[i..j]);
            i = j;
        } else if c == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            blank(&mut out, &b[i..end]);
            i = end;
        } else if let Some(end) = raw_string_end(b, i).filter(|_| i == 0 || !ident(b[i - 1])) {
            blank(&mut out, &b[i..end]);
            i = end;
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\u{..}', '"'), or else a lifetime / label.
            let end = if next == Some(b'\\') {
                b.get(i + 3..).and_then(|r| r.iter().position(|&c| c == b'\'')).map(|p| i + 3 + p + 1)
            } else {
                let len = next.map_or(1, utf8_len);
                (b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 2 + len)
            };
            match end.filter(|&e| e <= b.len()) {
                Some(e) => {
                    blank(&mut out, &b[i..e]);
                    i = e;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    // Only ASCII was replaced, and whole literals and comments at that: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// If a raw string literal (`r"…"`, `r#"…"#`, `br…`, `cr…`) starts at `i`, the index after it.
fn raw_string_end(b: &[u8], i: usize) -> Option<usize> {
    let start = match (b[i], b.get(i + 1)) {
        (b'r', _) => i + 1,
        (b'b' | b'c', Some(b'r')) => i + 2,
        _ => return None,
    };
    let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
    if b.get(start + hashes) != Some(&b'"') {
        return None;
    }
    let body = start + hashes + 1;
    let mut close = vec![b'"'];
    close.extend(std::iter::repeat_n(b'#', hashes));
    let end =
        b[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(b.len(), |p| body + p + close.len());
    Some(end)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// The strings that mark a machine path: fixed ones for the usual places of one machine, plus
/// the directories of the machine running tidy (workspace, home, cargo, target).
fn machine_paths(root: &Path) -> Vec<String> {
    // Spelled in pieces so this file does not match itself.
    let mut v: Vec<String> = ["root/", "work/", "tmp/bash_jobs", "tmp/tmp."].iter().map(|s| format!("/{s}")).collect();
    let mut add = |p: &Path| {
        let s = p.to_string_lossy().trim_end_matches('/').to_string();
        // Only directories at least two levels deep: `/usr` or `/` are not machine specific.
        if s.matches('/').count() >= 2 && !v.iter().any(|x| s.starts_with(x.as_str()) || format!("{s}/") == *x) {
            v.push(format!("{s}/"));
        }
    };
    add(root);
    for var in ["HOME", "CARGO_HOME", "RUSTUP_HOME", "CARGO_TARGET_DIR"] {
        if let Some(p) = std::env::var_os(var).filter(|p| Path::new(p).is_absolute()) {
            add(Path::new(&p));
        }
    }
    v
}

fn check_machine_paths(rel: &str, text: &str, forbidden: &[String], v: &mut Vec<Violation>) {
    // `/home/<name>/`: any user's home directory (the guest's `/home/user` is never followed by
    // a further path component in this tree).
    let home = format!("/{}/", "home");
    for (i, line) in text.lines().enumerate() {
        let mut hits: Vec<&str> = forbidden.iter().filter(|f| line.contains(f.as_str())).map(String::as_str).collect();
        if let Some(p) = line.find(&home) {
            let rest = &line[p + home.len()..];
            let name_len =
                rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')).unwrap_or(rest.len());
            if name_len > 0 && rest[name_len..].starts_with('/') {
                hits.push("/home/<name>/");
            }
        }
        if let Some(h) = hits.first() {
            v.push(Violation {
                path: rel.into(),
                line: i + 1,
                rule: "machine-path",
                what: format!(
                    "a path of one particular machine (`{h}`); use a relative path, `~` or an environment variable"
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsafe_lines(src: &str) -> Vec<usize> {
        let mut v = Vec::new();
        check_unsafe("x.rs", src, &mut v);
        v.iter().map(|x| x.line).collect()
    }

    #[test]
    fn unsafe_in_code_is_found() {
        let src = "fn a() {\n    let x = unsafe { f() };\n}\nunsafe impl Send for X {}\npub unsafe fn g() {}\n\
                   #[unsafe(no_mangle)]\nextern \"C\" { fn h(); }\nunsafe extern \"C\" {}\n";
        assert_eq!(unsafe_lines(src), [2, 4, 5, 6, 8]);
    }

    #[test]
    fn unsafe_in_comments_strings_and_idents_is_not() {
        let src = r####"//! All `unsafe` lives in sys.rs.
/* unsafe /* nested unsafe */ still comment unsafe */
#![forbid(unsafe_code)]
let s = "unsafe \" unsafe";
let r = r#"unsafe "quoted" unsafe"#;
let b = br##"unsafe"# unsafe"##;
let c = '"'; let d = '\''; let e = unsafe_fn(); let f: &'static str = "x";
fn g<'a>(x: &'a u8) -> char { 'é' } // unsafe
let not_unsafe = 1; let unsafe_ = 2;
"####;
        assert_eq!(unsafe_lines(src), Vec::<usize>::new());
        // Line numbers survive multi-line comments and strings.
        assert_eq!(unsafe_lines("/*\n\n*/ let s = \"a\nb\";\nunsafe {}\n"), [5]);
        // A char literal holding a quote does not open a string.
        assert_eq!(unsafe_lines("let q = '\"';\nunsafe {}\n"), [2]);
    }

    #[test]
    fn headers() {
        let check = |rel: &str, src: &str, root: bool| {
            let mut v = Vec::new();
            check_header(rel, src, root, &mut v);
            v.is_empty()
        };
        assert!(check("a/src/lib.rs", "//! The crate.\n", true));
        assert!(check("a/src/x.rs", "// SPDX-License-Identifier: GPL-2.0\n\n//! Module.\n", false));
        assert!(check("a/src/x.rs", "// Plain comment about the module.\nfn f() {}\n", false));
        assert!(!check("a/src/lib.rs", "// Plain comment.\n", true));
        assert!(check("kernel/proof/module/m.rs", "// SPDX-License-Identifier: GPL-2.0\n// The module.\n", true));
        assert!(!check("a/src/x.rs", "use std::io;\n", false));
        assert!(!check("a/src/x.rs", "//!\nuse std::io;\n", false));
        assert!(!check("a/src/x.rs", "", false));
    }

    #[test]
    fn machine_paths_are_found() {
        let forbidden = vec![format!("/{}/", "work")];
        let mut v = Vec::new();
        let text = format!(
            "ok: /tmp/cli.txt HOME=/root /home/user:/bin/sh\nbad: /{w}/x\nbad: /{h}/alice/.cargo\n",
            w = "work",
            h = "home"
        );
        check_machine_paths("f", &text, &forbidden, &mut v);
        assert_eq!(v.iter().map(|x| x.line).collect::<Vec<_>>(), [2, 3]);
    }
}

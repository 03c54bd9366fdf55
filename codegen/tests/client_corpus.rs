//! Every spec of the kernel's own `Documentation/netlink/specs` (extracted from Debian's
//! linux-source tarballs at test time, never committed) yields a client that compiles.
//!
//! All clients become modules of ONE temporary crate (compiled once) under
//! `target/client-corpus/crate-<pid>/`, depending on `nlspec-rt` by path, checked with `cargo clippy -- -D warnings`
//! in its own target dir. Every spec gets the full client: genetlink* specs over `GenlSocket`
//! (and the tokio `AsyncClient`), netlink-raw specs (rtnetlink, nftables, conntrack, tc ...)
//! over `NlSocket` (blocking). Prints "N of M compiled" (and the netlink-raw count) and fails
//! listing the failures.
//!
//! Run: `cargo test -p nlspec-codegen --test client_corpus -- --nocapture`

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use nlspec_codegen::emit::client::{module_rs, AsyncClient};

#[path = "../../model/tests/corpus_support.rs"]
mod corpus_support;
#[path = "support/token_words.rs"]
mod token_words;
use token_words::token_words;

#[test]
fn every_kernel_spec_generates_a_compiling_client() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let work = root.join("target/client-corpus");
    // One crate directory per run: concurrent runs (e.g. a workspace test run beside this
    // one) must not delete each other's sources.
    let krate = work.join(format!("crate-{}", std::process::id()));
    let src = krate.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).unwrap();

    let mut failures: Vec<String> = Vec::new();
    let mut modules: BTreeMap<String, String> = BTreeMap::new(); // module -> label
    let mut seen: BTreeSet<String> = BTreeSet::new(); // identical specs in both tarballs once
    let mut total = 0;
    let mut raw: BTreeSet<String> = BTreeSet::new(); // modules of netlink-raw specs
                                                     // The golden specs (tests/golden/*.yaml) are compiled along, as version "golden".
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut golden: Vec<PathBuf> = std::fs::read_dir(&golden_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    golden.sort();
    let mut sources: Vec<(String, Vec<PathBuf>)> = corpus_support::TARBALLS
        .iter()
        .map(|tb| {
            (corpus_support::stem(tb).trim_start_matches("linux-source-").to_string(), corpus_support::extract(tb))
        })
        .collect();
    sources.push(("golden".into(), golden));
    for (ver, specs) in &sources {
        for spec in specs.clone() {
            let text = std::fs::read_to_string(&spec).unwrap();
            if !seen.insert(text.clone()) {
                continue;
            }
            total += 1;
            let file = spec.file_name().unwrap().to_string_lossy().into_owned();
            let label = format!("{ver}/{file}");
            let fam = match nlspec_codegen::resolve_str(&file, &text) {
                Ok(f) => f,
                Err(d) => {
                    failures.push(format!("{label}: does not resolve:\n{d}"));
                    continue;
                }
            };
            let m = format!("k{}_{}", ver.replace('.', "_"), file.trim_end_matches(".yaml").replace(['-', '.'], "_"));
            match module_rs(&fam, AsyncClient::Always) {
                Ok(code) => {
                    if !fam.is_genetlink() {
                        raw.insert(m.clone());
                    }
                    std::fs::write(src.join(format!("{m}.rs")), code).unwrap();
                    modules.insert(m, label);
                }
                Err(e) => failures.push(format!("{label}: generator: {e}")),
            }
        }
    }
    let lib: String = modules.keys().map(|m| format!("pub mod {m};\n")).collect();
    std::fs::write(src.join("lib.rs"), lib).unwrap();
    let rt = root.join("runtime");
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"client-corpus\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
[dependencies]\nnlspec-rt = {{ path = {:?}, features = [\"tokio\"] }}\n\n[workspace]\n",
            rt.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO"))
        // clippy with -D warnings, no allows: generated code must be as clean as hand-written.
        .args(["clippy", "--quiet", "--message-format=short", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .args(["--", "-D", "warnings"])
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("running cargo clippy");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut broken: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in stderr.lines().filter(|l| l.contains(": error")) {
        let module = line
            .split(':')
            .next()
            .and_then(|p| Path::new(p).file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        broken.entry(module).or_default().push(line.to_string());
    }
    if !out.status.success() && broken.is_empty() {
        failures.push(format!("cargo clippy failed:\n{stderr}"));
    }
    for (m, errs) in &broken {
        let label = modules.get(m).cloned().unwrap_or_else(|| m.clone());
        let shown: Vec<&String> = errs.iter().take(5).collect();
        failures.push(format!(
            "{label}: {} errors, e.g.\n  {}",
            errs.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
        ));
    }
    let _ = std::fs::remove_dir_all(&krate);
    let ok = modules.keys().filter(|m| !broken.contains_key(*m)).count();
    let raw_ok = raw.iter().filter(|m| !broken.contains_key(*m)).count();
    println!(
        "client corpus: {ok} of {total} distinct specs (kernel 6.12 + 7.3 and the golden specs) generated a client that compiles"
    );
    println!(
        "client corpus: {raw_ok} of {} netlink-raw specs generated a client (ops, Client over NlSocket) that compiles",
        raw.len()
    );
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The client is printed from its tokens by nlspec's own layout printer (no parser): for every
/// spec of the corpus, the project's specs and the golden specs, the crate root it prints reads
/// back as the tokens the emitter built (prelude paths written short; string literals compared
/// by value, so `///` and `#[doc = ""]` are the same; trailing commas and braces around a
/// closure's or an arm's body are layout), and no line of code is longer than 100 columns
/// (doc comments and lines holding a string literal aside).
#[test]
fn the_printer_writes_the_tokens_it_was_given() {
    use nlspec_codegen::emit::client::{lib_rs, lib_tokens};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut specs = Vec::new();
    for tarball in corpus_support::TARBALLS {
        specs.extend(corpus_support::extract(tarball));
    }
    for dir in [root.join("specs"), root.join("codegen/tests/golden")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                specs.push(p);
            }
        }
    }
    let (mut checked, mut failures) = (0, Vec::new());
    for spec in &specs {
        let label = spec.display().to_string();
        let fam = match nlspec_codegen::load_and_resolve(spec) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{label}: does not resolve: {e}"));
                continue;
            }
        };
        let printed = lib_rs(&fam).unwrap();
        let (tokens, paths) = lib_tokens(&fam);
        let back: proc_macro2::TokenStream = printed.parse().unwrap_or_else(|e| panic!("{label}: {e}"));
        let (a, b) = (token_words(back), shorten(token_words(tokens.to_proc_macro2()), paths));
        if a != b {
            let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            let around = |v: &[String]| v[at.saturating_sub(8)..(at + 8).min(v.len())].join(" ");
            failures.push(format!("{label}: tokens differ at {at}: `{}` printed, `{}` built", around(&a), around(&b)));
        }
        let long: Vec<&str> = printed
            .lines()
            .filter(|l| l.len() > 100 && !l.trim_start().starts_with("//") && !l.contains('"'))
            .collect();
        if !long.is_empty() {
            failures.push(format!("{label}: {} code lines over 100 columns:\n{}", long.len(), long.join("\n")));
        }
        checked += 1;
    }
    println!("{checked} clients printed with the tokens the emitter built");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 60, "expected the corpus, got {checked} specs");
}

/// `words` with each `(long, short)` path written short, as the printer does.
fn shorten(words: Vec<String>, paths: &[(&str, &str)]) -> Vec<String> {
    let split = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .flat_map(|w| if w == "::" { vec![":".to_string(), ":".to_string()] } else { vec![w.to_string()] })
            .collect()
    };
    let rules: Vec<(Vec<String>, Vec<String>)> = paths.iter().map(|(l, s)| (split(l), split(s))).collect();
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    'next: while i < words.len() {
        for (long, short) in &rules {
            if words[i..].starts_with(long) {
                out.extend(short.iter().cloned());
                i += long.len();
                continue 'next;
            }
        }
        out.push(words[i].clone());
        i += 1;
    }
    out
}

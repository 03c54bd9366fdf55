//! Nothing panics on any input: a deterministic mutation loop over real specs and fixtures,
//! plus hand-picked hostile inputs. Every failure must come back as located diagnostics.

use std::panic;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "-",
    ":",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a",
    "*a",
    "*nope",
    "!!binary",
    "? ",
    "|",
    ">",
    "'",
    "\"",
    "#",
    "\t",
    "\n",
    "  ",
    "null",
    "~",
    "0",
    "-1",
    "65536",
    "16384",
    "0xffffffffffffffff",
    "99999999999999999999999",
    "1.5",
    "true",
    "u8",
    "u64",
    "s8",
    "nest",
    "indexed-array",
    "nest-type-value",
    "sub-message",
    "bitfield32",
    "flags",
    "enum",
    "struct",
    "const",
    "u32-max",
    "s64-min",
    "name",
    "value",
    "type",
    "subset-of",
    "nested-attributes",
    "attributes",
    "enum-model",
    "directional",
    "notify",
    "event",
    "mcgrp",
    "selector",
    "checks",
    "max",
    "min",
    "exact-len",
    "fixed-header",
    "protocol: netlink-raw",
    "protocol: genetlink-legacy",
    "---",
    "...",
    "%YAML 1.2",
    "é",
    "\u{feff}",
    "\0",
];

fn seeds() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = vec![std::fs::read_to_string(root.join("../specs/nlctrl.yaml")).unwrap()];
    let mut fx: Vec<_> = ["../model/tests/fixtures/valid", "../model/tests/fixtures/errors"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap().map(|e| e.unwrap().path()))
        .collect();
    fx.sort();
    // extra seeds, e.g. the kernel corpus: NLSPEC_MUTATION_SEEDS=<dir of .yaml>
    if let Ok(dir) = std::env::var("NLSPEC_MUTATION_SEEDS") {
        let mut extra: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        extra.sort();
        fx.extend(extra);
    }
    for p in fx {
        // Seeds are mutated as text; a fixture that is deliberately not UTF-8 (not_utf8.yaml)
        // still seeds, with its bad bytes replaced.
        v.push(String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned());
    }
    v
}

fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut b: Vec<char> = s.chars().collect();
    let n = 1 + rng.below(4);
    for _ in 0..n {
        let len = b.len();
        match rng.below(7) {
            0 if len > 0 => {
                // delete a range
                let i = rng.below(len);
                let j = (i + 1 + rng.below(40)).min(len);
                b.drain(i..j);
            }
            1 => {
                // insert a token
                let i = rng.below(len + 1);
                let t = TOKENS[rng.below(TOKENS.len())];
                for (k, c) in t.chars().enumerate() {
                    b.insert(i + k, c);
                }
            }
            2 if len > 0 => {
                // replace a word
                let i = rng.below(len);
                let j = (i..len).find(|&k| !b[k].is_alphanumeric() && b[k] != '-').unwrap_or(len);
                let t = TOKENS[rng.below(TOKENS.len())];
                b.splice(i..j, t.chars());
            }
            3 => {
                // duplicate or drop a line
                let text: String = b.iter().collect();
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    if rng.below(2) == 0 {
                        let l = lines[i];
                        lines.insert(i, l);
                    } else {
                        lines.remove(i);
                    }
                }
                b = lines.join("\n").chars().collect();
            }
            4 if len > 0 => {
                // truncate
                b.truncate(rng.below(len));
            }
            5 => {
                // swap two lines
                let text: String = b.iter().collect();
                let mut lines: Vec<&str> = text.lines().collect();
                if lines.len() > 1 {
                    let i = rng.below(lines.len());
                    let j = rng.below(lines.len());
                    lines.swap(i, j);
                }
                b = lines.join("\n").chars().collect();
            }
            _ => {
                // change indentation of a line
                let text: String = b.iter().collect();
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    if rng.below(2) == 0 {
                        lines[i].insert_str(0, "  ");
                    } else {
                        lines[i] = lines[i].trim_start().to_string();
                    }
                }
                b = lines.join("\n").chars().collect();
            }
        }
    }
    b.into_iter().collect()
}

fn check(name: &str, text: &str) {
    let r = panic::catch_unwind(|| nlspec_codegen::resolve_str(name, text));
    match r {
        Err(_) => panic!("panicked on input:\n-----\n{text}\n-----"),
        Ok(Err(d)) => {
            assert!(!d.is_empty(), "error without diagnostics on:\n{text}");
            for x in d.iter() {
                assert_eq!(x.file, name);
                assert!(!x.message.is_empty());
            }
        }
        Ok(Ok(_)) => {}
    }
}

/// A spec that resolves must also generate: the client emitter neither panics nor fails on it.
fn emits(fam: &nlspec_codegen::model::ir::Family, text: &str) {
    let rt = nlspec_codegen::emit::client::RtDependency { path: None, version: "0.1.0".into() };
    match panic::catch_unwind(|| nlspec_codegen::emit::client::crate_files(fam, &rt)) {
        Err(_) => panic!("client emitter panicked on:\n-----\n{text}\n-----"),
        Ok(Err(e)) => panic!("client emitter failed ({e}) on:\n-----\n{text}\n-----"),
        Ok(Ok(_)) => {}
    }
}

#[test]
fn mutated_specs_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let iterations: usize = std::env::var("NLSPEC_MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
    let (mut ok, mut err) = (0, 0);
    for i in 0..iterations {
        // valid specs (the first four seeds) get half of the iterations
        let s = if i % 2 == 0 { &seeds[(i / 2) % 4] } else { &seeds[i % seeds.len()] };
        let m = mutate(&mut rng, s);
        check("mutated.yaml", &m);
        match nlspec_codegen::resolve_str("mutated.yaml", &m) {
            Ok(fam) => {
                ok += 1;
                emits(&fam, &m);
            }
            Err(_) => err += 1,
        }
    }
    println!("{iterations} mutations: {ok} resolved, {err} rejected with diagnostics");
}

#[test]
fn hostile_inputs_never_panic() {
    let deep_seq = "[".repeat(100_000);
    let deep_map = "a: {".repeat(20_000);
    let deep_block: String = (0..3000).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    let block_under_limit: String = (0..990).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    let seq_under_limit: String = (0..990).map(|i| format!("{}- \n", " ".repeat(i))).collect();
    let flow_lines = "[\n".repeat(100_000);
    let cases: Vec<String> = vec![
        String::new(),
        "\n".into(),
        "~".into(),
        "[]".into(),
        "42".into(),
        "name: x".into(),
        "---\n---\n".into(),
        "name: x\ndoc: d\nattribute-sets: []\noperations: {list: []}\n---\nname: y\n".into(),
        "\u{feff}name: x\ndoc: d\nattribute-sets: []\noperations: {list: []}\n".into(),
        "name: x\ndoc: d\nattribute-sets: []\noperations: {list: [{name: a, doc: d, value: -1}]}\n".into(),
        "name: x\ndoc: d\nattribute-sets: [{name: s, attributes: [{name: a, type: u8, value: -5}]}]\noperations: {list: []}\n".into(),
        "name: x\ndoc: d\nattribute-sets: [{name: s, subset-of: s, attributes: [{name: a}]}]\noperations: {list: []}\n".into(),
        "name: x\ndoc: d\nattribute-sets: [{name: s, attributes: [{name: a, type: nest, nested-attributes: s}]}]\noperations: {list: []}\n".into(),
        "name: x\ndoc: d\ndefinitions: [{name: e, type: flags, entries: [{name: a, value: 64}]}]\nattribute-sets: []\noperations: {list: []}\n".into(),
        "name: x\ndoc: d\ndefinitions: [{name: e, type: enum, value-start: 4294967295, entries: [a, b]}]\nattribute-sets: []\noperations: {list: []}\n".into(),
        "name: x\nprotocol: genetlink-legacy\ndoc: d\ndefinitions: [{name: s, type: struct, members: [{name: m, type: binary, struct: s}]}]\nattribute-sets: []\noperations: {list: []}\n".into(),
        "name: x\nprotocol: genetlink-legacy\ndoc: d\ndefinitions: [{name: a, type: struct, members: [{name: m, type: binary, struct: b}]}, {name: b, type: struct, members: [{name: m, type: binary, struct: a}]}]\nattribute-sets: []\noperations: {list: []}\n".into(),
        "name: x\ndoc: d\nattribute-sets: [{name: s, attributes: [{name: a, type: u64, checks: {min: -99999999999999999999999999999999999, max: 0xffffffffffffffffff}}]}]\noperations: {list: []}\n".into(),
        "name: x\nprotocol: genetlink-legacy\ndoc: d\nattribute-sets: []\noperations: {enum-model: directional, list: [{name: a, doc: d}, {name: b, doc: d, do: {request: {value: 99999999999}}}]}\n".into(),
        deep_seq,
        deep_map,
        deep_block,
        block_under_limit,
        seq_under_limit,
        flow_lines,
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&format!("hostile{i}.yaml"), c);
    }
}

//! The structure-aware spec mutator: a spec's model (the YAML tree with the spec's
//! structure: definitions, attribute sets, operations, sub-messages, groups) is changed the
//! way a spec author would change it (names, types, checks, nesting, ops, sub-messages,
//! definitions) and written back as YAML, so that most mutants still load and resolve and the
//! emitters see many different valid families. Byte-level mutation gets only a few percent
//! of specs past the resolver.

use serde_yaml::{Mapping, Value};

/// xorshift64*, seeded by libFuzzer.
pub struct Rng(u64);

impl Rng {
    /// A generator from libFuzzer's seed.
    pub fn new(seed: u32) -> Self {
        Rng(u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number below `n` (0 if `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const ATTR_TYPES: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "s8",
    "s16",
    "s32",
    "s64",
    "uint",
    "sint",
    "string",
    "binary",
    "flag",
    "nest",
    "indexed-array",
    "nest-type-value",
    "bitfield32",
    "sub-message",
    "pad",
    "unused",
];
const MEMBER_TYPES: &[&str] = &["u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "string", "binary", "pad"];
const CHECK_KEYS: &[&str] = &["min", "max", "min-len", "max-len", "exact-len", "unterminated-ok", "flags-mask"];
const HINTS: &[&str] = &["hex", "mac", "fddi", "ipv4", "ipv6", "ipv4-or-v6", "uuid"];
const ATTR_KEYS: &[&str] = &[
    "multi-attr",
    "byte-order",
    "display-hint",
    "sub-type",
    "enum",
    "enum-as-flags",
    "struct",
    "value",
    "selector",
    "name-prefix",
    "doc",
];
const NUMBERS: &[i64] = &[
    0,
    1,
    -1,
    2,
    7,
    8,
    15,
    16,
    31,
    32,
    63,
    64,
    127,
    128,
    255,
    256,
    4095,
    4096,
    32767,
    32768,
    65535,
    65536,
    16383,
    16384,
    i32::MAX as i64,
    i32::MIN as i64,
    u32::MAX as i64,
    i64::MAX,
    i64::MIN,
];

fn key(s: impl AsRef<str>) -> Value {
    Value::String(s.as_ref().to_owned())
}

fn map_mut<'a>(v: &'a mut Value, k: &str) -> Option<&'a mut Value> {
    v.as_mapping_mut()?.get_mut(key(k))
}

/// Names of the entries of list `k` of `v` (sets, definitions, sub-messages, ops).
fn names(v: &Value, path: &[&str]) -> Vec<String> {
    let mut cur = v;
    for p in path {
        match cur.get(*p) {
            Some(x) => cur = x,
            None => return Vec::new(),
        }
    }
    cur.as_sequence()
        .map(|s| s.iter().filter_map(|e| e.get("name").and_then(Value::as_str).map(String::from)).collect())
        .unwrap_or_default()
}

/// Every attribute name of every set.
fn attr_names(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(sets) = v.get("attribute-sets").and_then(Value::as_sequence) {
        for s in sets {
            if let Some(a) = s.get("attributes").and_then(Value::as_sequence) {
                out.extend(a.iter().filter_map(|e| e.get("name").and_then(Value::as_str).map(String::from)));
            }
        }
    }
    out
}

fn number(rng: &mut Rng) -> Value {
    let n = *rng.pick(NUMBERS);
    Value::Number(match rng.below(3) {
        0 => n.into(),
        1 => (rng.below(70) as i64).into(),
        _ => n.wrapping_add(rng.below(3) as i64 - 1).into(),
    })
}

/// A name: an existing one (to collide), a fresh one, or an odd one.
fn name(rng: &mut Rng, existing: &[String]) -> Value {
    if !existing.is_empty() && rng.chance(2) {
        return key(rng.pick(existing));
    }
    let odd =
        ["a", "x-y", "-lead", "trail-", "A-B", "9start", "with space", "ü", "", "very-long-name-of-an-attribute-x"];
    if rng.chance(3) {
        return key(rng.pick(&odd));
    }
    key(format!("fz-{}", rng.below(1000)))
}

/// A mutable element of list `path` of the spec (a random one).
fn pick_elem<'a>(rng: &mut Rng, v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = v;
    for p in path {
        cur = map_mut(cur, p)?;
    }
    let s = cur.as_sequence_mut()?;
    let n = s.len();
    if n == 0 {
        return None;
    }
    s.get_mut(rng.below(n))
}

/// A random attribute of a random set.
fn pick_attr<'a>(rng: &mut Rng, v: &'a mut Value) -> Option<&'a mut Value> {
    let set = pick_elem(rng, v, &["attribute-sets"])?;
    pick_elem(rng, set, &["attributes"])
}

fn set_or_remove(m: &mut Mapping, k: &str, val: Value, rng: &mut Rng) {
    if rng.chance(4) {
        m.remove(key(k));
    } else {
        m.insert(key(k), val);
    }
}

fn mutate_attr(rng: &mut Rng, spec: &Value, a: &mut Value) {
    let sets = names(spec, &["attribute-sets"]);
    let defs = names(spec, &["definitions"]);
    let subs = names(spec, &["sub-messages"]);
    let attrs = attr_names(spec);
    let Some(m) = a.as_mapping_mut() else { return };
    match rng.below(10) {
        0 => _ = m.insert(key("type"), key(rng.pick(ATTR_TYPES))),
        1 => _ = m.insert(key("name"), name(rng, &attrs)),
        2 => {
            // checks: add, change or drop one bound
            let checks = m.entry(key("checks")).or_insert_with(|| Value::Mapping(Mapping::new()));
            if let Some(c) = checks.as_mapping_mut() {
                let k = rng.pick(CHECK_KEYS);
                let v = match rng.below(4) {
                    0 => key(rng.pick(&["u32-max", "s32-min", "u16-max", "s64-max", "u8-max", "no-such-const"])),
                    1 if !defs.is_empty() => key(rng.pick(&defs)),
                    2 if *k == "unterminated-ok" => Value::Bool(rng.chance(2)),
                    _ => number(rng),
                };
                set_or_remove(c, k, v, rng);
            } else {
                m.remove(key("checks"));
            }
        }
        3 => {
            // nesting: point at another set (itself, a subset, a missing one)
            let t = rng.pick(&["nest", "indexed-array", "nest-type-value"]);
            m.insert(key("type"), key(t));
            m.insert(key("nested-attributes"), name(rng, &sets));
            if *t == "indexed-array" && rng.chance(2) {
                m.insert(key("sub-type"), key(rng.pick(&["nest", "u32", "u8", "binary", "string"])));
            }
        }
        4 => {
            m.insert(key("type"), key("sub-message"));
            m.insert(key("sub-message"), name(rng, &subs));
            m.insert(key("selector"), name(rng, &attrs));
        }
        5 => {
            let k = rng.pick(ATTR_KEYS);
            let v = match *k {
                "multi-attr" | "enum-as-flags" => Value::Bool(rng.chance(2)),
                "byte-order" => key(rng.pick(&["big-endian", "little-endian", "network"])),
                "display-hint" => key(rng.pick(HINTS)),
                "sub-type" => key(rng.pick(ATTR_TYPES)),
                "enum" | "struct" => name(rng, &defs),
                "value" => number(rng),
                "selector" => name(rng, &attrs),
                _ => key("fz"),
            };
            set_or_remove(m, k, v, rng);
        }
        6 => {
            // a scalar with an enum
            m.insert(key("type"), key(rng.pick(&["u8", "u16", "u32", "u64"])));
            m.insert(key("enum"), name(rng, &defs));
        }
        7 => {
            m.insert(key("type"), key("binary"));
            m.insert(key("struct"), name(rng, &defs));
        }
        8 => _ = m.insert(key("value"), number(rng)),
        _ => {
            let k = m.keys().nth(rng.below(m.len())).cloned();
            if let Some(k) = k {
                if k != key("name") || rng.chance(4) {
                    m.remove(&k);
                }
            }
        }
    }
}

fn mutate_set(rng: &mut Rng, spec: &Value, s: &mut Value) {
    let sets = names(spec, &["attribute-sets"]);
    let Some(m) = s.as_mapping_mut() else { return };
    match rng.below(6) {
        0 => _ = m.insert(key("name"), name(rng, &sets)),
        1 => set_or_remove(m, "subset-of", name(rng, &sets), rng),
        2 => set_or_remove(m, "name-prefix", key(rng.pick(&["fz-", "a-", ""])), rng),
        3 => {
            // duplicate an attribute (renamed), or drop one
            if let Some(list) = m.get_mut(key("attributes")).and_then(Value::as_sequence_mut) {
                let n = list.len();
                if n > 0 {
                    let i = rng.below(n);
                    if rng.chance(2) {
                        let mut a = list[i].clone();
                        if let Some(am) = a.as_mapping_mut() {
                            am.insert(key("name"), key(format!("fz-{}", rng.below(100))));
                        }
                        list.insert(rng.below(n + 1), a);
                    } else {
                        list.remove(i);
                    }
                }
            }
        }
        4 => {
            // reorder attributes
            if let Some(list) = m.get_mut(key("attributes")).and_then(Value::as_sequence_mut) {
                let n = list.len();
                if n > 1 {
                    list.swap(rng.below(n), rng.below(n));
                }
            }
        }
        _ => {
            // a new attribute
            let mut a = Mapping::new();
            a.insert(key("name"), key(format!("fz-{}", rng.below(100))));
            a.insert(key("type"), key(rng.pick(ATTR_TYPES)));
            if let Some(list) = m.get_mut(key("attributes")).and_then(Value::as_sequence_mut) {
                let n = list.len();
                list.insert(rng.below(n + 1), Value::Mapping(a));
            }
        }
    }
}

fn mutate_op(rng: &mut Rng, spec: &Value, op: &mut Value) {
    let sets = names(spec, &["attribute-sets"]);
    let defs = names(spec, &["definitions"]);
    let attrs = attr_names(spec);
    let ops = names(spec, &["operations", "list"]);
    let groups = names(spec, &["mcast-groups", "list"]);
    let Some(m) = op.as_mapping_mut() else { return };
    match rng.below(9) {
        0 => _ = m.insert(key("name"), name(rng, &ops)),
        1 => set_or_remove(m, "attribute-set", name(rng, &sets), rng),
        2 => set_or_remove(m, "value", number(rng), rng),
        3 => set_or_remove(m, "fixed-header", name(rng, &defs), rng),
        4 => {
            let flags: Vec<Value> =
                ["admin-perm", "uns-admin-perm", "bogus"].iter().filter(|_| rng.chance(2)).map(key).collect();
            set_or_remove(m, "flags", Value::Sequence(flags), rng);
        }
        5 => set_or_remove(m, "notify", name(rng, &ops), rng),
        6 => {
            set_or_remove(m, "mcgrp", name(rng, &groups), rng);
            if rng.chance(2) {
                m.insert(key("event"), serde_yaml::from_str("{attributes: []}").unwrap_or(Value::Null));
            }
        }
        7 => {
            // do/dump: drop one, or change a request/reply attribute list
            let which = *rng.pick(&["do", "dump"]);
            if rng.chance(4) {
                m.remove(key(which));
                return;
            }
            let part = m.entry(key(which)).or_insert_with(|| Value::Mapping(Mapping::new()));
            let Some(pm) = part.as_mapping_mut() else { return };
            let dir = *rng.pick(&["request", "reply"]);
            let d = pm.entry(key(dir)).or_insert_with(|| Value::Mapping(Mapping::new()));
            let Some(dm) = d.as_mapping_mut() else { return };
            let list = dm.entry(key("attributes")).or_insert_with(|| Value::Sequence(Vec::new()));
            if let Some(l) = list.as_sequence_mut() {
                if !l.is_empty() && rng.chance(2) {
                    let i = rng.below(l.len());
                    l.remove(i);
                } else {
                    l.push(name(rng, &attrs));
                }
            }
            if rng.chance(5) {
                set_or_remove(dm, "value", number(rng), rng);
            }
        }
        _ => {
            let k = m.keys().nth(rng.below(m.len())).cloned();
            if let Some(k) = k {
                m.remove(&k);
            }
        }
    }
}

fn mutate_def(rng: &mut Rng, spec: &Value, d: &mut Value) {
    let defs = names(spec, &["definitions"]);
    let Some(m) = d.as_mapping_mut() else { return };
    match rng.below(6) {
        0 => _ = m.insert(key("type"), key(rng.pick(&["const", "enum", "flags", "struct"]))),
        1 => _ = m.insert(key("name"), name(rng, &defs)),
        2 => set_or_remove(m, "value-start", number(rng), rng),
        3 => set_or_remove(m, "value", number(rng), rng),
        4 => {
            // entries: add, drop, give a value
            if let Some(l) = m.get_mut(key("entries")).and_then(Value::as_sequence_mut) {
                match rng.below(3) {
                    0 if !l.is_empty() => {
                        let i = rng.below(l.len());
                        l.remove(i);
                    }
                    1 => l.push(key(format!("fz-{}", rng.below(50)))),
                    _ => {
                        let mut e = Mapping::new();
                        e.insert(key("name"), key(format!("fz-{}", rng.below(50))));
                        e.insert(key("value"), number(rng));
                        l.push(Value::Mapping(e));
                    }
                }
            }
        }
        _ => {
            // struct members: type, length, enum, nested struct
            if let Some(l) = m.get_mut(key("members")).and_then(Value::as_sequence_mut) {
                let n = l.len();
                if n == 0 {
                    return;
                }
                if let Some(mm) = l[rng.below(n)].as_mapping_mut() {
                    match rng.below(4) {
                        0 => _ = mm.insert(key("type"), key(rng.pick(MEMBER_TYPES))),
                        1 => set_or_remove(mm, "len", number(rng), rng),
                        2 => set_or_remove(mm, "enum", name(rng, &defs), rng),
                        _ => set_or_remove(mm, "struct", name(rng, &defs), rng),
                    }
                }
            }
        }
    }
}

fn mutate_sub_message(rng: &mut Rng, spec: &Value, s: &mut Value) {
    let sets = names(spec, &["attribute-sets"]);
    let defs = names(spec, &["definitions"]);
    let subs = names(spec, &["sub-messages"]);
    let Some(m) = s.as_mapping_mut() else { return };
    if rng.chance(4) {
        m.insert(key("name"), name(rng, &subs));
        return;
    }
    let Some(formats) = m.get_mut(key("formats")).and_then(Value::as_sequence_mut) else { return };
    let n = formats.len();
    if n == 0 {
        return;
    }
    if rng.chance(4) {
        let f = formats[rng.below(n)].clone();
        formats.push(f);
        return;
    }
    if let Some(fm) = formats[rng.below(n)].as_mapping_mut() {
        match rng.below(3) {
            0 => set_or_remove(fm, "attribute-set", name(rng, &sets), rng),
            1 => set_or_remove(fm, "fixed-header", name(rng, &defs), rng),
            _ => _ = fm.insert(key("value"), key(rng.pick(&["veth", "bond", "fz", ""]))),
        }
    }
}

/// Anywhere in the tree: replace a scalar, drop a key, or copy a subtree from `donor`.
fn mutate_anywhere(rng: &mut Rng, v: &mut Value, donor: &Value, depth: usize) {
    match v {
        Value::Mapping(m) if !m.is_empty() && depth < 8 && !rng.chance(4) => {
            let k = m.keys().nth(rng.below(m.len())).cloned();
            if let Some(k) = k {
                if let Some(c) = m.get_mut(&k) {
                    mutate_anywhere(rng, c, donor, depth + 1);
                }
            }
        }
        Value::Sequence(s) if !s.is_empty() && depth < 8 && !rng.chance(4) => {
            let i = rng.below(s.len());
            mutate_anywhere(rng, &mut s[i], donor, depth + 1);
        }
        _ => {
            *v = match rng.below(5) {
                0 => number(rng),
                1 => Value::Bool(rng.chance(2)),
                2 => Value::Null,
                3 => subtree(rng, donor, 0),
                _ => key(rng.pick(ATTR_TYPES)),
            };
        }
    }
}

/// A random subtree of `v`.
fn subtree(rng: &mut Rng, v: &Value, depth: usize) -> Value {
    if depth > 6 || rng.chance(3) {
        return v.clone();
    }
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            let c = m.values().nth(rng.below(m.len())).cloned().unwrap_or(Value::Null);
            subtree(rng, &c, depth + 1)
        }
        Value::Sequence(s) if !s.is_empty() => {
            let i = rng.below(s.len());
            subtree(rng, &s[i], depth + 1)
        }
        _ => v.clone(),
    }
}

/// Apply 1-4 spec-aware mutations to `spec` (`donor`: another spec, for crossover).
pub fn mutate_spec(rng: &mut Rng, spec: &mut Value, donor: &Value) {
    for _ in 0..1 + rng.below(4) {
        let snapshot = spec.clone();
        match rng.below(12) {
            0..=2 => {
                if let Some(a) = pick_attr(rng, spec) {
                    mutate_attr(rng, &snapshot, a);
                }
            }
            3 => {
                if let Some(s) = pick_elem(rng, spec, &["attribute-sets"]) {
                    mutate_set(rng, &snapshot, s);
                }
            }
            4 | 5 => {
                if let Some(o) = pick_elem(rng, spec, &["operations", "list"]) {
                    mutate_op(rng, &snapshot, o);
                }
            }
            6 => {
                if let Some(d) = pick_elem(rng, spec, &["definitions"]) {
                    mutate_def(rng, &snapshot, d);
                }
            }
            7 => {
                if let Some(s) = pick_elem(rng, spec, &["sub-messages"]) {
                    mutate_sub_message(rng, &snapshot, s);
                }
            }
            8 => {
                // crossover: a set, definition or sub-message of the donor joins the spec
                let k = *rng.pick(&["attribute-sets", "definitions", "sub-messages"]);
                let from = donor.get(k).and_then(Value::as_sequence).filter(|s| !s.is_empty());
                if let Some(from) = from {
                    let e = from[rng.below(from.len())].clone();
                    if let Some(m) = spec.as_mapping_mut() {
                        let list = m.entry(key(k)).or_insert_with(|| Value::Sequence(Vec::new()));
                        if let Some(l) = list.as_sequence_mut() {
                            l.push(e);
                        }
                    }
                }
            }
            9 => {
                // top level: protocol, enum model, name, a whole section dropped
                let Some(m) = spec.as_mapping_mut() else { continue };
                match rng.below(4) {
                    0 => {
                        _ = m.insert(
                            key("protocol"),
                            key(rng.pick(&["genetlink", "genetlink-legacy", "genetlink-c", "netlink-raw"])),
                        )
                    }
                    1 => {
                        if let Some(ops) = m.get_mut(key("operations")).and_then(Value::as_mapping_mut) {
                            set_or_remove(ops, "enum-model", key(rng.pick(&["unified", "directional"])), rng);
                        }
                    }
                    2 => set_or_remove(m, "protonum", number(rng), rng),
                    _ => {
                        let k =
                            *rng.pick(&["definitions", "sub-messages", "mcast-groups", "kernel-family", "uapi-header"]);
                        m.remove(key(k));
                    }
                }
            }
            _ => mutate_anywhere(rng, spec, donor, 0),
        }
    }
}

//! `--validate --schema FILE`: a spec checked against a JSON schema, as YNL does with Python's
//! `jsonschema` (draft 7 keywords: the ones the kernel's `Documentation/netlink/*.yaml` use and
//! the other common ones). Errors carry `jsonschema`'s wording and the spec's file:line:col.
//!
//! This is in addition to nlspec's own validator, which knows more than any schema says (names
//! that must resolve, value ranges, layouts): the schema check exists so that a spec meant for
//! YNL with a given (perhaps newer or project-specific) schema is held to that schema.

use crate::dynamic::value::py_str;
use nlspec_model::loader::{Node, Tree};
use nlspec_model::Diagnostics;

/// Deepest `$ref` / sub-schema nesting followed (a schema whose references loop is an error).
const MAX_DEPTH: usize = 128;

/// Validates `doc` against `schema`; every violation is a diagnostic located in `doc`.
pub fn validate(schema: &Tree, doc: &Tree) -> Result<(), Diagnostics> {
    let mut v = Validator { root: &schema.root, schema_file: &schema.file, errors: Vec::new() };
    v.check(&schema.root, &doc.root, "", 0);
    if v.errors.is_empty() {
        return Ok(());
    }
    let mut diags = Diagnostics::new();
    for (path, msg) in v.errors {
        // An unexpected key is shown where the key is, everything else at the value.
        let d = if msg.starts_with("Additional properties") {
            doc.error_at_key(&path, msg)
        } else {
            doc.error_at(&path, msg)
        };
        diags.push(d.with_help(format!("required by the schema {}", schema.file)));
    }
    Err(diags)
}

struct Validator<'s> {
    root: &'s Node,
    schema_file: &'s str,
    errors: Vec<(String, String)>,
}

fn get<'a>(map: &'a [(String, Node)], key: &str) -> Option<&'a Node> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'s> Validator<'s> {
    fn err(&mut self, path: &str, msg: String) {
        self.errors.push((path.to_string(), msg));
    }

    /// Errors `schema` finds in `inst`, without recording them (for oneOf/anyOf/not/if).
    fn probe(&mut self, schema: &'s Node, inst: &Node, path: &str, depth: usize) -> Vec<(String, String)> {
        let saved = std::mem::take(&mut self.errors);
        self.check(schema, inst, path, depth);
        std::mem::replace(&mut self.errors, saved)
    }

    fn resolve(&mut self, r: &str, path: &str) -> Option<&'s Node> {
        let Some(pointer) = r.strip_prefix('#') else {
            self.err(
                path,
                format!("the schema's $ref {r:?} is not inside {} (only `#/...` is supported)", self.schema_file),
            );
            return None;
        };
        let mut node = self.root;
        for part in pointer.split('/').filter(|p| !p.is_empty()) {
            let part = part.replace("~1", "/").replace("~0", "~");
            node = match node {
                Node::Map(m) => match get(m, &part) {
                    Some(n) => n,
                    None => {
                        self.err(path, format!("the schema's $ref {r:?} does not resolve in {}", self.schema_file));
                        return None;
                    }
                },
                Node::Seq(items) => match part.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(n) => n,
                    None => {
                        self.err(path, format!("the schema's $ref {r:?} does not resolve in {}", self.schema_file));
                        return None;
                    }
                },
                _ => {
                    self.err(path, format!("the schema's $ref {r:?} does not resolve in {}", self.schema_file));
                    return None;
                }
            };
        }
        Some(node)
    }

    fn check(&mut self, schema: &'s Node, inst: &Node, path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.err(
                path,
                format!("the schema {} nests deeper than {MAX_DEPTH} levels (a $ref loop?)", self.schema_file),
            );
            return;
        }
        let s = match schema {
            Node::Bool(true) => return,
            Node::Bool(false) => return self.err(path, format!("{} is not allowed here", repr(inst))),
            Node::Map(m) => m,
            _ => return,
        };
        if let Some(Node::Str(r)) = get(s, "$ref") {
            // Draft 7: a $ref's siblings are ignored.
            if let Some(target) = self.resolve(r, path) {
                self.check(target, inst, path, depth + 1);
            }
            return;
        }
        for (kw, val) in s {
            self.keyword(kw, val, s, inst, path, depth);
        }
    }

    fn keyword(&mut self, kw: &str, val: &'s Node, s: &'s [(String, Node)], inst: &Node, path: &str, depth: usize) {
        match (kw, val) {
            ("type", t) => {
                let names: Vec<&str> = match t {
                    Node::Str(n) => vec![n.as_str()],
                    Node::Seq(items) => items
                        .iter()
                        .filter_map(|i| if let Node::Str(n) = i { Some(n.as_str()) } else { None })
                        .collect(),
                    _ => return,
                };
                if !names.iter().any(|n| is_type(inst, n)) {
                    let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
                    self.err(path, format!("{} is not of type {}", repr(inst), list.join(", ")));
                }
            }
            ("enum", Node::Seq(options)) if !options.iter().any(|o| equal(o, inst)) => {
                let list: Vec<String> = options.iter().map(repr).collect();
                self.err(path, format!("{} is not one of [{}]", repr(inst), list.join(", ")));
            }
            ("const", c) if !equal(c, inst) => self.err(path, format!("{} was expected", repr(c))),
            ("pattern", Node::Str(p)) => {
                if let Node::Str(text) = inst {
                    match regex_lite::Regex::new(p) {
                        Ok(re) if re.is_match(text) => {}
                        Ok(_) => self.err(path, format!("{} does not match {}", repr(inst), repr(val))),
                        Err(e) => {
                            self.err(path, format!("the schema's pattern {p:?} is not a regular expression: {e}"))
                        }
                    }
                }
            }
            ("minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum", bound) => {
                if let (Some(x), Some(b)) = (number(inst), number(bound)) {
                    let bad = match kw {
                        "minimum" => x < b,
                        "maximum" => x > b,
                        "exclusiveMinimum" => x <= b,
                        _ => x >= b,
                    };
                    if bad {
                        let what = match kw {
                            "minimum" => "less than the minimum of",
                            "maximum" => "greater than the maximum of",
                            "exclusiveMinimum" => "less than or equal to the minimum of",
                            _ => "greater than or equal to the maximum of",
                        };
                        self.err(path, format!("{} is {what} {}", repr(inst), repr(bound)));
                    }
                }
            }
            ("minLength" | "maxLength", n) => {
                if let (Node::Str(text), Some(n)) = (inst, number(n)) {
                    let len = text.chars().count() as f64;
                    if (kw == "minLength" && len < n) || (kw == "maxLength" && len > n) {
                        let how = if kw == "minLength" { "short" } else { "long" };
                        self.err(path, format!("{} is too {how}", repr(inst)));
                    }
                }
            }
            ("minItems" | "maxItems", n) => {
                if let (Node::Seq(items), Some(n)) = (inst, number(n)) {
                    let len = items.len() as f64;
                    if (kw == "minItems" && len < n) || (kw == "maxItems" && len > n) {
                        let how = if kw == "minItems" { "short" } else { "long" };
                        self.err(path, format!("{} is too {how}", repr(inst)));
                    }
                }
            }
            ("uniqueItems", Node::Bool(true)) => {
                if let Node::Seq(items) = inst {
                    if items.iter().enumerate().any(|(i, a)| items[..i].iter().any(|b| equal(a, b))) {
                        self.err(path, format!("{} has non-unique elements", repr(inst)));
                    }
                }
            }
            ("required", Node::Seq(keys)) => {
                if let Node::Map(m) = inst {
                    for k in keys {
                        if let Node::Str(k) = k {
                            if get(m, k).is_none() {
                                self.err(path, format!("'{k}' is a required property"));
                            }
                        }
                    }
                }
            }
            ("properties", Node::Map(props)) => {
                if let Node::Map(m) = inst {
                    for (k, v) in m {
                        if let Some(sub) = get(props, k) {
                            self.check(sub, v, &child(path, k), depth + 1);
                        }
                    }
                }
            }
            ("patternProperties", Node::Map(pats)) => {
                if let Node::Map(m) = inst {
                    for (p, sub) in pats {
                        let Ok(re) = regex_lite::Regex::new(p) else {
                            self.err(path, format!("the schema's pattern {p:?} is not a regular expression"));
                            continue;
                        };
                        for (k, v) in m.iter().filter(|(k, _)| re.is_match(k)) {
                            self.check(sub, v, &child(path, k), depth + 1);
                        }
                    }
                }
            }
            ("additionalProperties", extra) => {
                if let Node::Map(m) = inst {
                    let declared = |k: &str| {
                        matches!(get(s, "properties"), Some(Node::Map(p)) if get(p, k).is_some())
                            || matches!(get(s, "patternProperties"), Some(Node::Map(p))
                                if p.iter().any(|(pat, _)| regex_lite::Regex::new(pat).is_ok_and(|re| re.is_match(k))))
                    };
                    let others: Vec<&(String, Node)> = m.iter().filter(|(k, _)| !declared(k)).collect();
                    if matches!(extra, Node::Bool(false)) {
                        if !others.is_empty() {
                            let names: Vec<String> = others.iter().map(|(k, _)| format!("'{k}'")).collect();
                            let verb = if names.len() == 1 { "was" } else { "were" };
                            // Located at the first unexpected key.
                            self.err(
                                &child(path, &others[0].0),
                                format!(
                                    "Additional properties are not allowed ({} {verb} unexpected)",
                                    names.join(", ")
                                ),
                            );
                        }
                    } else {
                        for (k, v) in others {
                            self.check(extra, v, &child(path, k), depth + 1);
                        }
                    }
                }
            }
            ("items", items) => {
                if let Node::Seq(elems) = inst {
                    match items {
                        Node::Seq(tuple) => {
                            for (i, (sub, e)) in tuple.iter().zip(elems).enumerate() {
                                self.check(sub, e, &format!("{path}[{i}]"), depth + 1);
                            }
                        }
                        sub => {
                            for (i, e) in elems.iter().enumerate() {
                                self.check(sub, e, &format!("{path}[{i}]"), depth + 1);
                            }
                        }
                    }
                }
            }
            ("dependencies", Node::Map(deps)) => {
                if let Node::Map(m) = inst {
                    for (k, dep) in deps {
                        if get(m, k).is_none() {
                            continue;
                        }
                        match dep {
                            Node::Seq(needed) => {
                                for n in needed {
                                    if let Node::Str(n) = n {
                                        if get(m, n).is_none() {
                                            self.err(path, format!("'{n}' is a dependency of '{k}'"));
                                        }
                                    }
                                }
                            }
                            sub => self.check(sub, inst, path, depth + 1),
                        }
                    }
                }
            }
            ("allOf", Node::Seq(subs)) => {
                for sub in subs {
                    self.check(sub, inst, path, depth + 1);
                }
            }
            ("anyOf" | "oneOf", Node::Seq(subs)) => {
                let results: Vec<Vec<(String, String)>> =
                    subs.iter().map(|sub| self.probe(sub, inst, path, depth + 1)).collect();
                let valid = results.iter().filter(|r| r.is_empty()).count();
                if valid == 0 {
                    // Like jsonschema's best match: the errors of the branch whose type fits
                    // (the fewest errors), else the summary.
                    match results
                        .into_iter()
                        .filter(|r| !r.iter().any(|(p, m)| p == path && m.contains(" is not of type ")))
                        .min_by_key(Vec::len)
                    {
                        Some(best) => self.errors.extend(best),
                        None => self.err(path, format!("{} is not valid under any of the given schemas", repr(inst))),
                    }
                } else if kw == "oneOf" && valid > 1 {
                    self.err(path, format!("{} is valid under each of {valid} of the given schemas", repr(inst)));
                }
            }
            ("not", sub) if self.probe(sub, inst, path, depth + 1).is_empty() => {
                self.err(path, format!("{} should not be valid under {}", repr(inst), repr(sub)));
            }
            ("if", cond) => {
                let branch = if self.probe(cond, inst, path, depth + 1).is_empty() { "then" } else { "else" };
                if let Some(sub) = get(s, branch) {
                    self.check(sub, inst, path, depth + 1);
                }
            }
            _ => {} // annotations ($id, $schema, $defs, title, description, ...) and unknown keywords
        }
    }
}

fn is_type(n: &Node, ty: &str) -> bool {
    match ty {
        "object" => matches!(n, Node::Map(_)),
        "array" => matches!(n, Node::Seq(_)),
        "string" => matches!(n, Node::Str(_)),
        "integer" => matches!(n, Node::Int(_)) || matches!(n, Node::Float(f) if f.fract() == 0.0),
        "number" => matches!(n, Node::Int(_) | Node::Float(_)),
        "boolean" => matches!(n, Node::Bool(_)),
        "null" => matches!(n, Node::Null),
        _ => false,
    }
}

fn number(n: &Node) -> Option<f64> {
    match n {
        Node::Int(i) => Some(*i as f64),
        Node::Float(f) => Some(*f),
        _ => None,
    }
}

/// JSON equality (1 == 1.0; booleans are not numbers; maps regardless of order).
fn equal(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Map(x), Node::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| get(y, k).is_some_and(|w| equal(v, w)))
        }
        (Node::Seq(x), Node::Seq(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| equal(v, w)),
        (Node::Int(_) | Node::Float(_), Node::Int(_) | Node::Float(_)) => number(a) == number(b),
        _ => a == b,
    }
}

/// Python's `repr` of the JSON value, as jsonschema's messages show it (long ones shortened).
fn repr(n: &Node) -> String {
    let full = match n {
        Node::Null => "None".to_string(),
        Node::Bool(true) => "True".to_string(),
        Node::Bool(false) => "False".to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => format!("{f:?}"),
        Node::Str(s) => py_str(s),
        Node::Seq(items) => format!("[{}]", items.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Node::Map(m) => {
            format!("{{{}}}", m.iter().map(|(k, v)| format!("'{k}': {}", repr(v))).collect::<Vec<_>>().join(", "))
        }
    };
    if full.chars().count() > 80 {
        let cut: String = full.chars().take(77).collect();
        format!("{cut}...")
    } else {
        full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(file: &str, text: &str) -> Tree {
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("nlspec-schema-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(file);
        std::fs::write(&p, text).unwrap();
        let t = nlspec_model::loader::load_tree(&p).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        t
    }

    const SCHEMA: &str = "\
$defs:
  name:
    type: string
    pattern: ^[0-9a-z-]+$
type: object
required: [ name, ops ]
additionalProperties: False
properties:
  name:
    $ref: '#/$defs/name'
  version:
    type: integer
    minimum: 1
  kind:
    enum: [ a, b ]
  ops:
    type: array
    items:
      oneOf:
        - type: string
        - type: object
          required: [ name ]
          additionalProperties: False
          properties:
            name:
              $ref: '#/$defs/name'
  loop:
    $ref: '#/$defs/loop'
dependencies:
  kind:
    not:
      required: [ version ]
";

    fn errors(doc: &str) -> Vec<String> {
        let s = tree("schema.yaml", SCHEMA);
        let d = tree("spec.yaml", doc);
        match validate(&s, &d) {
            Ok(()) => Vec::new(),
            Err(ds) => ds.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn valid_document_passes() {
        assert_eq!(errors("name: ok-name\nversion: 2\nops: [ x, { name: yy } ]\n"), Vec::<String>::new());
    }

    #[test]
    fn violations_are_located_with_jsonschema_wording() {
        let e = errors("name: Bad_Name\nversion: 0\nbogus: 1\nops:\n  - { name: yy, extra: 1 }\n  - 3\n");
        let all = e.join("\n");
        assert!(all.contains("spec.yaml:1:7") && all.contains("'Bad_Name' does not match '^[0-9a-z-]+$'"), "{all}");
        assert!(all.contains("spec.yaml:2:10") && all.contains("0 is less than the minimum of 1"), "{all}");
        assert!(
            all.contains("spec.yaml:3:1")
                && all.contains("Additional properties are not allowed ('bogus' was unexpected)"),
            "{all}"
        );
        assert!(all.contains("('extra' was unexpected)"), "{all}");
        assert!(all.contains("3 is not valid under any of the given schemas"), "{all}");
        assert_eq!(e.len(), 5, "{all}");
    }

    #[test]
    fn required_enum_not_and_ref_loops() {
        let all = errors("kind: c\nversion: 1\n").join("\n");
        assert!(all.contains("'name' is a required property") && all.contains("'ops' is a required property"), "{all}");
        assert!(all.contains("'c' is not one of ['a', 'b']"), "{all}");
        assert!(all.contains("should not be valid under {'required': ['version']}"), "{all}");
        let s = tree("loop.yaml", "$defs:\n  loop:\n    $ref: '#/$defs/loop'\n$ref: '#/$defs/loop'\n");
        let d = tree("spec.yaml", "a: 1\n");
        let e = validate(&s, &d).unwrap_err().iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n");
        assert!(e.contains("nests deeper than"), "{e}");
    }
}

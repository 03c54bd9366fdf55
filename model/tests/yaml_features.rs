//! YAML anchors and aliases work, and errors inside aliased content are located.

#[test]
fn anchors_and_aliases() {
    let text = r#"
name: anchored
doc: anchors for checks, attribute lists and whole sub-ops
definitions:
  - {name: key-len, type: const, value: 32}
attribute-sets:
  -
    name: main
    attributes:
      -
        name: key
        type: binary
        checks: &key-checks
          exact-len: key-len
      -
        name: other-key
        type: binary
        checks: *key-checks
      -
        name: id
        type: u32
operations:
  list:
    -
      name: get
      doc: get one
      attribute-set: main
      do: &get-do
        request:
          attributes: &ids [id]
        reply:
          attributes: [id, key, other-key]
      dump: *get-do
    -
      name: del
      doc: delete one
      attribute-set: main
      do:
        request:
          attributes: *ids
"#;
    let f = nlspec_model::resolve_str("anchors.yaml", text).unwrap_or_else(|d| panic!("{d}"));
    let main = f.set_by_name("main").unwrap();
    assert_eq!(main.attr("other-key").unwrap().checks.exact_len.as_ref().unwrap().value, 32);
    let get = f.op_by_name("get").unwrap();
    assert_eq!(get.dump.as_ref().unwrap().reply.as_ref().unwrap().attrs.len(), 3);
    let del = f.op_by_name("del").unwrap();
    assert_eq!(del.do_.as_ref().unwrap().request.as_ref().unwrap().attrs, vec![f.attr_ref(main.id, "id").unwrap()]);
}

#[test]
fn error_in_aliased_content_points_at_the_alias() {
    let text = "name: x\ndoc: d\nattribute-sets:\n  - name: s\n    attributes:\n      - {name: a, type: u8}\noperations:\n  list:\n    - name: one\n      doc: d\n      attribute-set: s\n      do: &d\n        request:\n          attributes: [a]\n    - name: two\n      doc: d\n      attribute-set: s\n      do: *d\n";
    // fine as is
    nlspec_model::resolve_str("alias.yaml", text).unwrap_or_else(|d| panic!("{d}"));
    // op `two` uses a set without `a`: the error is reported at the alias `*d` (18:11)
    let bad = text
        .replace(
            "    - name: two\n      doc: d\n      attribute-set: s",
            "    - name: two\n      doc: d\n      attribute-set: t",
        )
        .replace("operations:", "  - name: t\n    attributes:\n      - {name: b, type: u8}\noperations:");
    let d = nlspec_model::resolve_str("alias.yaml", &bad).unwrap_err();
    assert_eq!(d.len(), 1, "{d}");
    assert_eq!((d.0[0].line, d.0[0].col), (21, 11), "{d}");
    assert!(d.0[0].message.contains("attribute `a` is not in attribute set `t`"), "{d}");
}

#[test]
fn merge_keys_are_a_clean_error() {
    // YAML 1.1 merge keys are not part of YAML 1.2 (which the kernel's specs declare)
    let text = "name: x\ndoc: d\nattribute-sets:\n  - name: s\n    attributes:\n      - &base {name: a, type: u8}\n      - <<: *base\n        name: b\noperations:\n  list: []\n";
    let d = nlspec_model::resolve_str("merge.yaml", text).unwrap_err();
    assert!(d.0[0].message.contains("<<"), "{d}");
    assert_eq!(d.0[0].line, 7, "{d}");
}

#[test]
fn alias_bomb_is_rejected_not_expanded_forever() {
    let mut text = String::from("name: x\ndoc: d\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    text.push_str("attribute-sets: []\noperations:\n  list: []\n");
    let d = nlspec_model::resolve_str("bomb.yaml", &text).unwrap_err();
    assert!(!d.is_empty());
}

#[test]
fn yaml_1_1_booleans_are_flagged() {
    let text = "name: x\ndoc: d\ndefinitions:\n  - name: sw\n    type: enum\n    entries: [on, 'off', auto]\nattribute-sets: []\noperations:\n  list: []\n";
    let f = nlspec_model::resolve_str("b.yaml", text).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(f.enums[0].entries[0].name, "on");
    assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
    assert_eq!((f.warnings[0].line, f.warnings[0].col), (6, 15));
    assert!(f.warnings[0].message.contains("`on` is read as a boolean"));
}

/// The quick look that spares building the position index finds every YAML 1.1 boolean the
/// event parser finds, wherever YAML puts a plain scalar (block and flow, keys and values).
#[test]
fn the_quick_look_for_yaml_1_1_booleans_misses_none() {
    let cases = [
        ("entries: [on, 'off', auto]\n", 1),
        ("entries: [auto,on]\n", 1),
        ("entries: {a: no}\n", 1),
        ("entries:\n  - yes\n  - maybe\n", 1),
        ("entries:\n  -   Off   # comment\n", 1),
        ("doc: |\n  turn on\n  off the wire\n", 0),
        ("x: N\n", 1),
        ("x: [a, y]\n", 1),
        ("doc: turn it on\nname: json\nvalue: 'no'\n", 0),
        ("doc: >\n  on the wire\n", 0),
    ];
    for (text, n) in cases {
        assert_eq!(nlspec_model::loader::build_spans(text).yaml11_bools.len(), n, "{text}");
        assert_eq!(nlspec_model::loader::may_hold_yaml11_bool(text), n > 0, "{text}");
    }
}

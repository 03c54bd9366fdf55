//! The dynamic codec (`nlspec_cli::dynamic`) against the kernel's YNL library itself,
//! offline: for the nlkv showcase spec (every attribute kind) and nlctrl, the same JSON must
//! encode to the same bytes as YNL's `_add_attr`, and the same bytes must decode to the same
//! JSON as YNL's `_decode` (with `process_unknown`, YNL's tolerant mode).

mod cli_support;

use cli_support::*;
use nlspec_cli::dynamic::{Decoder, Encoder};
use serde_json::{json, Value as J};
use std::io::Write;
use std::process::{Command, Stdio};

const HELPER: &str = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily, SpecFamily
from lib.ynl import SpaceAttrs, NlAttrs

class Enc(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, bytes):
            return bytes.hex(o)
        if isinstance(o, set):
            return sorted(o)
        return json.JSONEncoder.default(self, o)

spec, schema, mode, space = sys.argv[2:6]
y = YnlFamily.__new__(YnlFamily)
SpecFamily.__init__(y, spec, schema)
y.process_unknown = True
y.include_raw = False
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    if mode == 'encode':
        vals = json.loads(line)
        sa = SpaceAttrs(y.attr_sets[space], vals)
        print(b''.join(y._add_attr(space, k, v, sa) for k, v in vals.items()).hex())
    elif mode == 'struct':
        print(y._encode_struct(space, json.loads(line)).hex())
    else:
        print(json.dumps(y._decode(NlAttrs(bytes.fromhex(line)), space), cls=Enc))
"#;

fn ynl_lib(spec: &std::path::Path, mode: &str, space: &str, inputs: &[String]) -> Vec<String> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nlspec-codec-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let helper = dir.join("helper.py");
    std::fs::write(&helper, HELPER).unwrap();
    let mut c = Command::new("python3")
        .arg(&helper)
        .arg(ynl_root().join("tools/net/ynl/pyynl"))
        .arg(spec)
        .arg(schema_for(spec))
        .arg(mode)
        .arg(space)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    c.stdin.take().unwrap().write_all((inputs.join("\n") + "\n").as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(o.status.success(), "YNL library ({mode}) failed:\n{}", text(&o.stderr));
    text(&o.stdout).lines().map(String::from).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Encode `cases` with both, compare bytes; decode those bytes with both, compare JSON.
fn cross_check(spec_path: std::path::PathBuf, set_name: &str, cases: &[J], extra_bytes: &[Vec<u8>]) {
    let fam = nlspec_model::load_and_resolve(&spec_path).unwrap_or_else(|d| panic!("{d}"));
    let set = fam.set_by_name(set_name).unwrap().id;
    let enc = Encoder::new(&fam);
    let dec = Decoder::new(&fam);
    let inputs: Vec<String> = cases.iter().map(|c| c.to_string()).collect();
    let theirs = ynl_lib(&spec_path, "encode", set_name, &inputs);
    assert_eq!(theirs.len(), cases.len());
    let mut blobs = Vec::new();
    for (case, their_hex) in cases.iter().zip(&theirs) {
        let (_, ours) =
            enc.message(Some(set), None, case.as_object().unwrap()).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(&hex(&ours), their_hex, "encoding of {case} differs from YNL's");
        blobs.push(ours);
    }
    blobs.extend(extra_bytes.iter().cloned());
    let theirs = ynl_lib(&spec_path, "decode", set_name, &blobs.iter().map(|b| hex(b)).collect::<Vec<_>>());
    assert_eq!(theirs.len(), blobs.len());
    for (b, their_json) in blobs.iter().zip(&theirs) {
        let ours = dec.message(Some(set), b, None, &[]).unwrap_or_else(|e| panic!("{}: {e}", hex(b)));
        let ours: J = serde_json::from_str(&ours.to_json()).unwrap();
        let their: J = serde_json::from_str(their_json).unwrap();
        assert_eq!(ours, their, "decoding of {} differs from YNL's", hex(b));
        // And the exact text YNL's CLI would print.
        assert_eq!(dec.message(Some(set), b, None, &[]).unwrap().to_json(), *their_json);
    }
}

fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() & 3 != 0 {
        v.push(0);
    }
    v
}

#[test]
fn nlkv_every_kind_matches_ynl() {
    let cases = vec![
        json!({"key": "alpha", "value": "00ff10", "kind": "blob", "flags": ["persistent", "secret"], "ttl-ms": 5000, "priority": -3}),
        json!({"counter": 7, "delta": -9, "old-counter": 1i64 << 40}),
        json!({"counter": 1u64 << 40, "delta": -(1i64 << 40)}),
        json!({"stats": {"created-ns": 123456789012i64, "reads": 4, "writes": 5}}),
        json!({"tags": [{"name": "red", "weight": 3}, {"name": "blue"}]}),
        json!({"label": ["a", "bb", "ccc"]}),
        json!({"digest": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}),
        json!({"owner-addr": "192.0.2.7", "owner-port": 8080}),
        json!({"flag-update": {"value": ["readonly"], "selector": ["readonly", "secret"]}}),
        json!({"change": "evicted", "create-only": true, "count": 3}),
        json!({"filter": {"key": "k", "kind": "counter", "flags": ["readonly"]}}),
        json!({"kind": 1, "flags": "persistent", "owner-addr": 16909060}),
    ];
    let fam = nlspec_model::load_and_resolve(our_spec("nlkv.yaml")).unwrap();
    let set = fam.set_by_name("entry").unwrap();
    let ty = |n: &str| set.attr(n).unwrap().value;
    let extra = vec![
        // Values the spec does not know: enum, flag bits, a whole attribute, a nested one.
        [attr(ty("kind"), &99u32.to_ne_bytes()), attr(ty("flags"), &(1u32 << 10 | 1).to_ne_bytes())].concat(),
        [attr(200, b"xyz"), attr(201 | 0x8000, &attr(1, &5u32.to_ne_bytes())), attr(200, b"w")].concat(),
        // nest-type-value (YNL cannot encode it; both decode it).
        attr(ty("meta") | 0x8000, &attr(7 | 0x8000, &attr(1, &42u32.to_ne_bytes()))),
        // An indexed array as the kernel sends it (indices from 1).
        attr(
            ty("tags") | 0x8000,
            &[attr(1 | 0x8000, &attr(1, b"x\0")), attr(2 | 0x8000, &attr(2, &9u16.to_ne_bytes()))].concat(),
        ),
    ];
    cross_check(our_spec("nlkv.yaml"), "entry", &cases, &extra);
}

#[test]
fn nlkv_fixed_header_matches_ynl() {
    let spec = our_spec("nlkv.yaml");
    let fam = nlspec_model::load_and_resolve(&spec).unwrap();
    let st = fam.ops.fixed_header.expect("nlkv has a fixed header");
    let name = fam.struct_(st).name.clone();
    let set = fam.set_by_name("entry").unwrap().id;
    let input = json!({"ns": 7, "key": "a"});
    let their = ynl_lib(&spec, "struct", &name, &[json!({"ns": 7}).to_string()]);
    let (hdr, attrs) = Encoder::new(&fam).message(Some(set), Some(st), input.as_object().unwrap()).unwrap();
    assert_eq!(hex(&hdr), their[0]);
    assert_eq!(attrs, attr(fam.set(set).attr("key").unwrap().value, b"a\0"));
    // Decoded back: header fields merged after the attributes, as YNL does.
    let v = Decoder::new(&fam).message(Some(set), &attrs, Some(st), &hdr).unwrap();
    assert_eq!(v.to_json(), r#"{"key": "a", "ns": 7, "reserved": 0}"#);
}

#[test]
fn nlctrl_matches_ynl_both_specs() {
    let cases = vec![
        json!({"family-name": "nlctrl"}),
        json!({"family-id": 16, "op": 3}),
        json!({"ops": [{"id": 3, "flags": ["cmd-cap-do", "admin-perm"]}], "mcast-groups": [{"name": "g", "id": 9}]}),
    ];
    // A policy entry as the kernel sends it (nest-type-value, two levels).
    let pol = attr(
        8 | 0x8000,
        &attr(0x8000, &attr(2 | 0x8000, &[attr(1, &11u32.to_ne_bytes()), attr(7, &15u32.to_ne_bytes())].concat())),
    );
    for spec in [our_spec("nlctrl.yaml"), upstream_spec("nlctrl.yaml")] {
        cross_check(spec, "ctrl-attrs", &cases, std::slice::from_ref(&pol));
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let fam = nlspec_model::load_and_resolve(our_spec("nlkv.yaml")).unwrap();
    let set = fam.set_by_name("entry").unwrap().id;
    let enc = Encoder::new(&fam);
    for (input, want) in [
        (json!({"kind": "nope"}), "\"nope\" is not in enum \"kind\"; valid: text, blob, counter"),
        (json!({"flags": ["persistent", "bogus"]}), "\"bogus\" is not in flags"),
        (json!({"priority": 200}), "200 does not fit s8 (-128..127)"),
        // beyond 64 bits (JSON gives a float): still an integer too large, not a non-integer
        (
            serde_json::from_str(r#"{"priority": 18446744073709551616}"#).unwrap(),
            "18446744073709551616 does not fit s8",
        ),
        // a struct member's type as the spec spells it
        (json!({"stats": {"reads": 70000000000u64}}), "70000000000 does not fit u32 (0..4294967295)"),
        (json!({"tags": {"name": "x"}}), "an indexed-array must be a JSON list"),
        (json!({"tags": [{"nope": 1}]}), "at .tags[0]: attribute set \"tag\" has no attribute \"nope\""),
        (json!({"value": "xyz"}), "is not hex bytes"),
        (json!({"owner-addr": "300.1.1.1"}), "is not an IPv4 or IPv6 address"),
        (json!({"stats": {"reads": 1, "nope": 2}}), "struct \"entry-stats\" has no member \"nope\""),
        (json!({"flag-update": {"value": 1}}), "bitfield32 needs \"selector\""),
        (json!({"filter": 3}), "a nest must be a JSON object"),
        (json!({"key": ["a"]}), "expected a string, got a list"),
    ] {
        let e = enc.message(Some(set), None, input.as_object().unwrap()).unwrap_err().to_string();
        assert!(e.contains(want), "{input}: {e}");
    }
    // Truncated / malformed replies.
    let dec = Decoder::new(&fam);
    let key = fam.set(set).attr("priority").unwrap().value;
    for b in [vec![8u8, 0, key as u8, 0, 1], attr(key, &[1, 2]), vec![3, 0, 0, 0]] {
        assert!(dec.message(Some(set), &b, None, &[]).is_err(), "{}", hex(&b));
    }
}

/// netlink-raw's sub-messages (selector in the enclosing nest) and structs, on rt-link: the
/// codec is protocol-independent even though the CLI only talks Generic Netlink.
#[test]
fn rt_link_sub_messages_match_ynl() {
    let cases = vec![
        json!({"ifname": "v0", "linkinfo": {"kind": "vlan", "data": {"id": 5, "protocol": "8021ad", "flags": {"flags": 1, "mask": 1}}}}),
        json!({"linkinfo": {"kind": "bond", "data": {"mode": 4, "miimon": 100}}}),
        json!({"mtu": 1400, "address": "00:11:22:33:44:55", "txqlen": 1000}),
    ];
    cross_check(upstream_spec("rt-link.yaml"), "link-attrs", &cases, &[]);
}

/// Hostile bytes and odd JSON never panic the codec (every set of our specs and of every
/// upstream spec).
#[test]
fn hostile_input_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let scalars = [
        json!(null),
        json!(true),
        json!(-1),
        json!(0),
        json!(1u64 << 63),
        json!(1.5),
        json!("x"),
        json!("0x10"),
        json!(""),
        json!("ff:ff"),
        json!([]),
        json!(["a"]),
        json!({}),
        json!({"value": 1, "selector": 1}),
    ];
    let mut specs = vec![our_spec("nlkv.yaml"), our_spec("nlctrl.yaml")];
    let mut upstream: Vec<_> = std::fs::read_dir(ynl_root().join("Documentation/netlink/specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    upstream.sort();
    assert!(upstream.len() > 20);
    specs.extend(upstream);
    for spec in specs {
        let fam = nlspec_model::load_and_resolve(&spec).unwrap();
        let (enc, dec) = (Encoder::new(&fam), Decoder::new(&fam));
        for set in &fam.sets {
            for _ in 0..60 {
                // Random attribute streams, biased towards this set's types and nesting.
                let mut b = Vec::new();
                for _ in 0..(rnd() % 6) {
                    let Some(a) = set.attrs.get((rnd() as usize) % set.attrs.len().max(1)) else { break };
                    let len = (rnd() % 24) as usize;
                    let payload: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
                    let inner = if rnd() % 3 == 0 { attr((rnd() % 8) as u16, &payload) } else { payload };
                    b.extend(attr(a.value | if rnd() % 2 == 0 { 0x8000 } else { 0 }, &inner));
                }
                if rnd() % 4 == 0 {
                    b.truncate((rnd() as usize) % (b.len() + 1));
                }
                let _ = dec.message(Some(set.id), &b, fam.ops.fixed_header, &b[..b.len().min(3)]);
            }
            for a in &set.attrs {
                for v in &scalars {
                    let mut o = serde_json::Map::new();
                    o.insert(a.name.clone(), v.clone());
                    let _ = enc.message(Some(set.id), fam.ops.fixed_header, &o);
                    o.insert(a.name.clone(), json!([v.clone(), {"x": v.clone()}]));
                    let _ = enc.message(Some(set.id), None, &o);
                }
            }
        }
    }
}

/// A reply nested as deep as one datagram allows decodes to an error, not a stack overflow
/// (the limit is the generated clients' 32 levels).
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let fam = nlspec_model::load_and_resolve(our_spec("nlkv.yaml")).unwrap();
    let set = fam.set_by_name("entry").unwrap().id;
    let dec = Decoder::new(&fam);
    let nested = |levels: usize| (0..levels).fold(Vec::new(), |b, _| attr(300 | 0x8000, &b));
    let e = dec.message(Some(set), &nested(16000), None, &[]).unwrap_err();
    assert!(e.msg.contains("nested deeper than 32 levels"), "{e}");
    assert!(e.path.starts_with(".300.300."), "{e}");
    let v = dec.message(Some(set), &nested(32), None, &[]).unwrap();
    assert!(v.to_json().starts_with(r#"{"UnknownAttr(300)": {"UnknownAttr(300)": "#));
}

/// A hex display-hint integer with two signs (`--8000...`, i128::MIN once parsed) is rejected
/// like Python's `int(s, 16)` does, not negated into an overflow.
#[test]
fn hex_hint_with_two_signs_is_an_error() {
    let spec = r#"
name: hexy
protocol: genetlink
doc: One hex-hinted integer.
attribute-sets:
  - name: main
    attributes:
      - name: mask
        type: u64
        display-hint: hex
operations:
  list:
    - name: get
      doc: Get.
      attribute-set: main
      do:
        request:
          attributes: [mask]
"#;
    let fam = nlspec_model::resolve_str("hexy.yaml", spec).unwrap();
    let set = fam.set_by_name("main").unwrap().id;
    let enc = Encoder::new(&fam);
    for bad in ["--80000000000000000000000000000000", "-+1f", "+-1f", "0x-1f"] {
        let e = enc.message(Some(set), None, json!({ "mask": bad }).as_object().unwrap()).unwrap_err();
        assert!(e.to_string().contains("is not a hex number"), "{bad}: {e}");
    }
    let (_, b) = enc.message(Some(set), None, json!({"mask": "0x1f"}).as_object().unwrap()).unwrap();
    assert_eq!(b, attr(1, &0x1fu64.to_ne_bytes()));
}

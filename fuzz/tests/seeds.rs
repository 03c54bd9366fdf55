//! Records the checked-in seed corpora (`fuzz/corpus/<target>/`) from real traffic: exchanges
//! with this host's kernel through the runtime's sockets (nlctrl, rtnetlink), captured by the
//! runtime's recorder (`nlspec_rt::fuzzing::record`), and messages built by the generated
//! encoders. Ignored by default (it rewrites files): `cargo xtask fuzz --seeds` runs it.

use std::path::{Path, PathBuf};

use nlspec_rt::fuzzing::{record, take_recording};
use nlspec_rt::{ctrl, GenlMsg, GenlSocket, NlRequest, NlSocket};

fn corpus(target: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    std::fs::write(corpus(target).join(name), bytes).unwrap();
}

/// The datagrams of a recorded script: (kind, bytes).
fn datagrams(script: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut s = script;
    while let [kind, a, b, rest @ ..] = s {
        let len = u16::from_le_bytes([*a, *b]) as usize;
        out.push((*kind, rest[..len].to_vec()));
        s = &rest[len..];
    }
    out
}

/// A script from a mode byte and datagrams, keeping the first `head` and the last `tail`
/// datagrams of long exchanges (a dump's middle adds bytes, not coverage).
fn script(mode: u8, d: &[(u8, Vec<u8>)], head: usize, tail: usize) -> Vec<u8> {
    let keep: Vec<&(u8, Vec<u8>)> =
        if d.len() > head + tail { d[..head].iter().chain(&d[d.len() - tail..]).collect() } else { d.iter().collect() };
    let mut out = vec![mode];
    for (kind, bytes) in keep {
        out.push(*kind);
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

/// Record what `f` receives; returns the datagrams.
fn recorded(f: impl FnOnce()) -> Vec<(u8, Vec<u8>)> {
    record(0);
    f();
    datagrams(&take_recording().unwrap()[1..])
}

/// The messages of a datagram.
fn messages(d: &[u8]) -> Vec<Vec<u8>> {
    nlspec_rt::msg::NlMsgIter::new(d).map_while(Result::ok).map(|m| m.bytes().to_vec()).collect()
}

/// Index of operation `name` in `spec`'s resolved op list.
fn op_index(spec: &str, name: &str) -> u8 {
    let (_, text) = nlspec_fuzz::SPECS.iter().find(|(n, _)| *n == spec).unwrap();
    let fam = nlspec_model::resolve_str(spec, text).unwrap();
    fam.ops.list.iter().position(|o| o.name == name).unwrap() as u8
}

#[test]
#[ignore = "rewrites fuzz/corpus from live traffic: cargo xtask fuzz --seeds"]
fn record_seeds() {
    for t in ["rt_stream", "client_views", "cli_codec", "spec_load", "spec_text", "spec_model"] {
        let d = corpus(t);
        for e in std::fs::read_dir(&d).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
    }

    // ---- rt_stream: one fresh socket per exchange, so sequence numbers start at 1 as the
    // target's do.
    let getfamily = recorded(|| {
        GenlSocket::new().unwrap().resolve_family("nlctrl").unwrap();
    });
    write("rt_stream", "request-getfamily", &script(0, &getfamily, 4, 4));
    write("rt_stream", "request-ack-getfamily", &script(1, &getfamily, 4, 4));
    write("rt_stream", "request-all-getfamily", &script(2, &getfamily, 4, 4));
    let enoent = recorded(|| {
        assert!(GenlSocket::new().unwrap().resolve_family("no-such-family").is_err());
    });
    write("rt_stream", "request-enoent", &script(0, &enoent, 4, 4));
    // A dump in small datagrams (one family each).
    let dump = recorded(|| {
        let mut s = GenlSocket::new().unwrap();
        s.set_rx_buffer(256, true);
        assert!(s.list_families().unwrap().len() > 1);
    });
    write("rt_stream", "dump-families", &script(3, &dump, 2, 2));
    write("rt_stream", "dump-families-retry-small", &script(3 | 0x10 | 0x20, &dump, 2, 2));
    write("rt_stream", "dump-abandoned-then-request", &{
        let mut d = dump[..dump.len().min(2)].to_vec();
        d.extend(dump[dump.len() - 1..].iter().cloned());
        d.extend(getfamily.iter().map(|(k, b)| {
            // The request after the drain is the socket's second: sequence number 2.
            let mut b = b.clone();
            let mut off = 0;
            while off + 16 <= b.len() {
                let len = u32::from_ne_bytes(b[off..off + 4].try_into().unwrap()) as usize;
                b[off + 8..off + 12].copy_from_slice(&2u32.to_ne_bytes());
                off += (len + 3) & !3;
                if len == 0 {
                    break;
                }
            }
            (*k, b)
        }));
        script(6, &d, 8, 8)
    });
    // As notifications: the same messages, received as multicast on nlctrl's group.
    let as_multicast: Vec<(u8, Vec<u8>)> = dump.iter().map(|(_, b)| (1 | (15 << 2), b.clone())).collect();
    write("rt_stream", "notifications", &script(5, &as_multicast, 2, 1));
    // A batch: one request that succeeds, one that fails, one that succeeds.
    let batch = recorded(|| {
        let mut s = GenlSocket::new().unwrap();
        let req = ctrl::getfamily_request();
        let mut good = Vec::new();
        let mut w = nlspec_rt::AttrWriter::new(&mut good);
        ctrl::put_family_name(&mut w, "nlctrl");
        w.finish().unwrap();
        let mut bad = Vec::new();
        let mut w = nlspec_rt::AttrWriter::new(&mut bad);
        ctrl::put_family_name(&mut w, "no-such-family");
        w.finish().unwrap();
        let reqs = [(req, &good[..]), (req, &bad[..]), (req, &good[..])];
        let mut it = s.request_batch(&reqs, 0).unwrap();
        while let Some(x) = it.next() {
            let _ = x;
        }
    });
    write("rt_stream", "batch", &script(4, &batch, 8, 8));
    // rtnetlink: the loopback link, and a missing one (extended ACK).
    let ifinfomsg = |index: i32| {
        let mut h = [0u8; 16];
        h[4..8].copy_from_slice(&index.to_ne_bytes());
        h
    };
    let lo_hdr = ifinfomsg(1);
    let getlink = recorded(|| {
        let mut s = NlSocket::open(0).unwrap();
        s.request(&NlRequest::new(18).header(&lo_hdr), |_| {}).unwrap();
    });
    write("rt_stream", "raw-getlink-lo", &script(7, &getlink, 4, 4));
    let missing_hdr = ifinfomsg(0x7fff_fff0);
    let enodev = recorded(|| {
        let mut s = NlSocket::open(0).unwrap();
        assert!(s.request(&NlRequest::new(18).header(&missing_hdr), |_| {}).is_err());
    });
    write("rt_stream", "raw-getlink-enodev", &script(7, &enodev, 4, 4));

    // ---- client_views: byte 0 picks the view (see fuzz_targets/client_views.rs).
    let fam_msg = messages(&getfamily[0].1).remove(0);
    write("client_views", "nlctrl-getfamily-reply", &[&[5u8][..], &fam_msg].concat());
    let g = GenlMsg::parse(&fam_msg, 0).unwrap();
    write("client_views", "nlctrl-ctrl-attrs", &[&[0u8][..], g.attr_bytes()].concat());
    for a in g.attrs().flatten() {
        let (view, name) = match a.ty() {
            ctrl::CTRL_ATTR_OPS => (1u8, "nlctrl-op-attrs"),
            ctrl::CTRL_ATTR_MCAST_GROUPS => (2, "nlctrl-mcast-group-attrs"),
            _ => continue,
        };
        if let Some(Ok(first)) = a.nested().next() {
            write("client_views", name, &[&[view][..], first.payload()].concat());
        }
    }
    write("client_views", "nlctrl-notification", &[&[7u8][..], &fam_msg].concat());
    let policy = recorded(|| {
        let mut s = GenlSocket::new().unwrap();
        let req = ctrl::getpolicy_request();
        let mut it = s.dump(&req, |w| ctrl::put_family_name(w, "nlctrl")).unwrap();
        while let Some(m) = it.next() {
            m.unwrap();
        }
    });
    if let Some(m) = policy.first().and_then(|(_, d)| messages(d).into_iter().next()) {
        write("client_views", "nlctrl-getpolicy-reply", &[&[6u8][..], &m].concat());
        let g = GenlMsg::parse(&m, 0).unwrap();
        if let Some(p) = g.attrs().flatten().find(|a| a.ty() == ctrl::CTRL_ATTR_POLICY) {
            if let Some(leaf) = p.nested().flatten().next().and_then(|t| t.nested().flatten().next()) {
                write("client_views", "nlctrl-policy-attrs", &[&[3u8][..], leaf.payload()].concat());
            }
        }
    }
    let link_msg = messages(&getlink[0].1).remove(0);
    write("client_views", "rt-link-getlink-reply", &[&[24u8][..], &link_msg].concat());
    write("client_views", "rt-link-notification", &[&[25u8][..], &link_msg].concat());
    write("client_views", "rt-link-link-attrs", &[&[21u8][..], &link_msg[32..]].concat());
    // nlkv: no kernel module on the host; its messages from the generated encoders.
    let set = nlspec_nlkv::SetRequest::new(Default::default()).key("k1").value(b"\x01\x02\x03");
    write("client_views", "nlkv-entry", &[&[8u8][..], set.encoded_attrs()].concat());

    // ---- cli_codec: byte 0 = family | direction | op << 3.
    let sel = |fam: u8, decode: bool, op: u8| fam | if decode { 4 } else { 0 } | op << 3;
    let getfamily_op = op_index("nlctrl.yaml", "getfamily");
    let getlink_op = op_index("rt-link.yaml", "getlink");
    let set_op = op_index("nlkv.yaml", "set");
    let json: &[(&str, u8, &str)] = &[
        ("nlctrl-getfamily", sel(0, false, getfamily_op), r#"{"family-name": "nlctrl", "family-id": 16}"#),
        ("rt-link-getlink", sel(2, false, getlink_op), r#"{"ifi-index": 1, "ifname": "lo", "mtu": 65536}"#),
        ("nlkv-set", sel(1, false, set_op), r#"{"key": "k1", "value": "0a0b", "kind": "counter"}"#),
    ];
    for (name, s, text) in json {
        write("cli_codec", &format!("encode-{name}"), &[&[*s][..], text.as_bytes()].concat());
    }
    write("cli_codec", "decode-nlctrl-getfamily", &[&[sel(0, true, getfamily_op)][..], g.attr_bytes()].concat());
    write("cli_codec", "decode-rt-link-getlink", &[&[sel(2, true, getlink_op)][..], &link_msg[16..]].concat());
    write("cli_codec", "decode-nlkv-set", &[&[sel(1, true, set_op)][..], &[0u8; 8][..], set.encoded_attrs()].concat());

    // ---- spec targets: the project's specs.
    for (name, text) in nlspec_fuzz::SPECS {
        write("spec_load", name, text.as_bytes());
        write("spec_text", name, text.as_bytes());
        write("spec_model", name, text.as_bytes());
    }
    write_dicts();
}

/// A libFuzzer dictionary entry: the bytes quoted, non-printable ones as `\xNN`.
fn entry(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        if c.is_ascii_graphic() && c != b'"' && c != b'\\' || c == b' ' {
            s.push(c as char);
        } else {
            s.push_str(&format!("\\x{c:02x}"));
        }
    }
    s.push('"');
    s
}

fn write_dict(name: &str, entries: impl IntoIterator<Item = Vec<u8>>, what: &str) {
    let mut seen = std::collections::BTreeSet::new();
    let mut text = format!("# {what}\n# Written by fuzz/tests/seeds.rs (cargo xtask fuzz --seeds) from the specs.\n");
    for e in entries {
        if !e.is_empty() && seen.insert(e.clone()) {
            text.push_str(&entry(&e));
            text.push('\n');
        }
    }
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("dict");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(format!("{name}.dict")), text).unwrap();
}

/// Attribute headers (`nla_len`, `nla_type`) of every attribute of `fams`, at the lengths its
/// kind takes, nests with `NLA_F_NESTED`.
fn attr_headers(fams: &[nlspec_model::ir::Family]) -> Vec<Vec<u8>> {
    use nlspec_model::ir::AttrKind;
    let mut out = Vec::new();
    for f in fams {
        for set in &f.sets {
            for a in &set.attrs {
                let nested = matches!(
                    a.kind,
                    AttrKind::Nest { .. } | AttrKind::IndexedArray { .. } | AttrKind::NestTypeValue { .. }
                );
                let ty = a.value | if nested { 0x8000 } else { 0 };
                for len in [4u16, 5, 6, 8, 12] {
                    out.push([len.to_ne_bytes(), ty.to_ne_bytes()].concat());
                }
            }
        }
    }
    out
}

fn write_dicts() {
    let fams: Vec<_> = nlspec_fuzz::SPECS[..3].iter().map(|(n, t)| nlspec_model::resolve_str(n, t).unwrap()).collect();
    // Specs: every key and every short scalar of the project's specs.
    let mut words = Vec::new();
    fn walk(v: &serde_yaml::Value, out: &mut Vec<Vec<u8>>) {
        match v {
            serde_yaml::Value::Mapping(m) => {
                for (k, v) in m {
                    walk(k, out);
                    if let Some(k) = k.as_str() {
                        out.push(format!("{k}:").into_bytes());
                    }
                    walk(v, out);
                }
            }
            serde_yaml::Value::Sequence(s) => s.iter().for_each(|x| walk(x, out)),
            serde_yaml::Value::String(s) if s.len() <= 32 && !s.contains('\n') => out.push(s.clone().into_bytes()),
            _ => {}
        }
    }
    for (_, t) in nlspec_fuzz::SPECS {
        walk(&serde_yaml::from_str(t).unwrap(), &mut words);
    }
    words.extend(
        ["- name: ", "  - ", "type: nest", "nested-attributes: ", "checks:", "sub-message: "]
            .map(|w| w.as_bytes().to_vec()),
    );
    write_dict("spec", words, "spec_load, spec_text, spec_model: YAML keys and values of the project's specs");

    // Netlink headers: message types, flags, extended-ACK attributes, nlctrl's attributes.
    let mut nl: Vec<Vec<u8>> = Vec::new();
    for ty in [1u16, 2, 3, 4, 16, 18, 0x10] {
        nl.push(ty.to_ne_bytes().to_vec());
    }
    for fl in [0x2u16, 0x10, 0x100, 0x200, 0x300, 0x102] {
        nl.push(fl.to_ne_bytes().to_vec());
    }
    for t in 1u16..=6 {
        for len in [4u16, 8, 12, 20] {
            nl.push([len.to_ne_bytes(), t.to_ne_bytes()].concat());
        }
    }
    nl.extend(attr_headers(&fams[..1]));
    write_dict(
        "rt_stream",
        nl,
        "rt_stream: netlink message types and flags, extended-ACK and nlctrl attribute headers",
    );
    write_dict("client_views", attr_headers(&fams), "client_views: attribute headers of nlctrl, nlkv and rt-link");

    // JSON: every attribute, struct member and enum entry name, quoted.
    let mut json = Vec::new();
    for f in &fams {
        for set in &f.sets {
            for a in &set.attrs {
                json.push(format!("\"{}\":", a.name).into_bytes());
            }
        }
        for st in &f.structs {
            for m in &st.members {
                json.push(format!("\"{}\":", m.name).into_bytes());
            }
        }
        for e in &f.enums {
            for x in &e.entries {
                json.push(format!("\"{}\"", x.name).into_bytes());
            }
        }
    }
    write_dict(
        "cli_codec",
        json,
        "cli_codec: attribute, struct member and enum entry names of nlctrl, nlkv and rt-link",
    );
}

//! Generated nlkv client: encode with the generated builders/encoders, decode with the
//! generated views, for every attribute kind (proptest); hostile and truncated bytes give
//! typed errors and never panic.

use std::net::Ipv4Addr;

use nlspec_nlkv::{attrs, Change, Entry, EntryEncoder, EntryFlags, EntryStats, GetReply, Kind, KvHdr, SetRequest};
use nlspec_rt::{AttrWriter, GenlMsg};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Input {
    key: String,
    value: Vec<u8>,
    kind: u32,
    flags: u32,
    ttl: u64,
    priority: i8,
    counter: u64,
    delta: i64,
    stats: (u64, u32, u32),
    tags: Vec<(String, u16)>,
    labels: Vec<String>,
    digest: Vec<u8>,
    addr: u32,
    port: u16,
    meta: Vec<(u16, u32)>,
    bf: (u32, u32),
    change: u8,
    create_only: bool,
    filter_key: Option<String>,
    count: u32,
}

fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,20}"
}

fn input() -> impl Strategy<Value = Input> {
    (
        (text(), proptest::collection::vec(any::<u8>(), 0..64), any::<u32>(), any::<u32>(), any::<u64>(), any::<i8>()),
        (any::<u64>(), any::<i64>(), any::<(u64, u32, u32)>(), proptest::collection::vec((text(), any::<u16>()), 0..5)),
        (
            proptest::collection::vec(text(), 0..4),
            proptest::collection::vec(any::<u8>(), 32),
            any::<u32>(),
            any::<u16>(),
        ),
        (
            proptest::collection::vec((0u16..0x4000, any::<u32>()), 0..5),
            any::<(u32, u32)>(),
            any::<u8>(),
            any::<bool>(),
        ),
        (proptest::option::of(text()), any::<u32>()),
    )
        .prop_map(|(a, b, c, d, e)| Input {
            key: a.0,
            value: a.1,
            kind: a.2,
            flags: a.3,
            ttl: a.4,
            priority: a.5,
            counter: b.0,
            delta: b.1,
            stats: b.2,
            tags: b.3,
            labels: c.0,
            digest: c.1,
            addr: c.2,
            port: c.3,
            meta: d.0,
            bf: d.1,
            change: d.2,
            create_only: d.3,
            filter_key: e.0,
            count: e.1,
        })
}

/// Every attribute of set `entry`, through the set's encoder.
fn encode(i: &Input) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    let mut e = EntryEncoder::new(&mut w);
    e.key(&i.key)
        .value(&i.value)
        .kind(Kind(i.kind))
        .flags(EntryFlags(i.flags))
        .ttl_ms(i.ttl)
        .priority(i.priority)
        .counter(i.counter)
        .delta(i.delta)
        .stats(&EntryStats { created_ns: i.stats.0, reads: i.stats.1, writes: i.stats.2 })
        .tags(|a| {
            for (n, wt) in &i.tags {
                a.item(|t| {
                    t.name(n).weight(*wt);
                });
            }
        })
        .digest(&i.digest)
        .owner_addr(Ipv4Addr::from(i.addr))
        .owner_port(i.port)
        .meta(|a| {
            for (slot, v) in &i.meta {
                a.item_at(*slot, |m| {
                    m.value(*v);
                });
            }
        })
        .flag_update(EntryFlags(i.bf.0), EntryFlags(i.bf.1))
        .change(Change(u32::from(i.change)))
        .count(i.count)
        .old_counter(-i.delta);
    for l in &i.labels {
        e.label(l);
    }
    if i.create_only {
        e.create_only();
    }
    if let Some(k) = &i.filter_key {
        e.filter(|f| {
            f.key(k).kind(Kind::COUNTER);
        });
    }
    w.finish().unwrap();
    buf
}

fn check(i: &Input, v: &Entry<'_>) {
    assert_eq!(v.key(), Some(i.key.as_str()));
    assert_eq!(v.key_bytes(), Some(i.key.as_bytes()));
    assert_eq!(v.value(), Some(&i.value[..]));
    assert_eq!(v.kind(), Some(Kind(i.kind)));
    assert_eq!(v.flags(), Some(EntryFlags(i.flags)));
    assert_eq!(v.ttl_ms(), Some(i.ttl));
    assert_eq!(v.priority(), Some(i.priority));
    assert_eq!(v.counter(), Some(i.counter));
    assert_eq!(v.delta(), Some(i.delta));
    assert_eq!(v.old_counter(), Some(-i.delta));
    assert_eq!(v.stats(), Some(EntryStats { created_ns: i.stats.0, reads: i.stats.1, writes: i.stats.2 }));
    let tags: Vec<(String, u16)> =
        v.tags().map(|(_, t)| (t.name().unwrap().to_string(), t.weight().unwrap())).collect();
    assert_eq!(tags, i.tags);
    assert!(v.tags().enumerate().all(|(n, (idx, _))| usize::from(idx) == n));
    assert_eq!(v.label().collect::<Vec<_>>(), i.labels.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert_eq!(v.digest(), Some(&i.digest[..]));
    assert_eq!(v.owner_addr(), Some(Ipv4Addr::from(i.addr)));
    assert_eq!(v.owner_port(), Some(i.port));
    let meta: Vec<(u16, u32)> = v.meta().map(|(s, m)| (s, m.value().unwrap())).collect();
    assert_eq!(meta, i.meta);
    assert_eq!(v.flag_update(), Some((EntryFlags(i.bf.0), EntryFlags(i.bf.1))));
    assert_eq!(v.change(), Some(Change(u32::from(i.change))));
    assert_eq!(v.create_only(), i.create_only);
    assert_eq!(v.count(), Some(i.count));
    match &i.filter_key {
        Some(k) => {
            let f = v.filter().unwrap();
            assert_eq!(f.key(), Some(k.as_str()));
            assert_eq!(f.kind(), Some(Kind::COUNTER));
        }
        None => assert!(v.filter().is_none()),
    }
    assert_eq!(v.unknown_attrs().count(), 0);
    // The owned form carries the same values.
    let o = v.to_owned();
    assert_eq!(o.key.as_deref(), Some(i.key.as_str()));
    assert_eq!(o.tags.len(), i.tags.len());
    assert_eq!(o.label.len(), i.labels.len());
    assert_eq!(o.meta.len(), i.meta.len());
    let _ = format!("{v:?}");
}

/// A reply message of `get` around attribute bytes.
fn message(hdr: &KvHdr, attrs: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    let len = 16 + 4 + KvHdr::SIZE + attrs.len();
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&0x20u16.to_ne_bytes());
    m.extend_from_slice(&0u16.to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&[nlspec_nlkv::cmd::GET, 2, 0, 0]);
    m.extend_from_slice(&hdr.to_bytes());
    m.extend_from_slice(attrs);
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_kind_round_trips(i in input()) {
        let bytes = encode(&i);
        let v = Entry::decode(&bytes).unwrap();
        check(&i, &v);
        // Through a whole message with the fixed header.
        let hdr = KvHdr { ns: i.count, reserved: 0 };
        let m = message(&hdr, &bytes);
        let g = GenlMsg::parse(&m, KvHdr::SIZE).unwrap();
        let r = GetReply::decode(&g).unwrap();
        prop_assert_eq!(r.header, hdr);
        check(&i, &r);
    }

    #[test]
    fn request_builder_encodes_only_its_attributes(key in text(), value in proptest::collection::vec(any::<u8>(), 0..32)) {
        let req = SetRequest::new(KvHdr { ns: 7, reserved: 0 })
            .key(&key)
            .value(&value)
            .flags(EntryFlags::PERSISTENT | EntryFlags::SECRET)
            .label("a")
            .label("b")
            .create_only();
        let v = Entry::decode(req.encoded_attrs()).unwrap();
        prop_assert_eq!(v.key(), Some(key.as_str()));
        prop_assert_eq!(v.value(), Some(&value[..]));
        prop_assert!(v.flags().unwrap().contains(EntryFlags::SECRET));
        prop_assert_eq!(v.label().collect::<Vec<_>>(), vec!["a", "b"]);
        prop_assert!(v.create_only());
    }

    #[test]
    fn truncated_encodings_never_panic(i in input(), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&i);
        let n = cut.index(bytes.len() + 1);
        if let Ok(v) = Entry::decode(&bytes[..n]) {
            let _ = format!("{v:?}");
            let _ = v.to_owned();
        }
    }

    #[test]
    fn hostile_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(v) = Entry::decode(&b) {
            let _ = format!("{v:?}");
            let _ = v.to_owned();
            let _ = v.tags().count() + v.meta().count() + v.label().count();
        }
        if let Ok(v) = nlspec_nlctrl::CtrlAttrs::decode(&b) {
            let _ = format!("{v:?}");
            let _ = v.to_owned();
        }
        if let Ok(g) = GenlMsg::parse(&b, KvHdr::SIZE) {
            if let Ok(r) = GetReply::decode(&g) {
                let _ = format!("{r:?}");
            }
        }
        let _ = KvHdr::from_bytes(&b);
        let _ = EntryStats::from_bytes(&b);
    }
}

#[test]
fn malformed_values_name_their_path() {
    // tags[1].weight with 3 bytes instead of 2.
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    let arr = w.nest_start(attrs::entry::TAGS);
    let t0 = w.nest_start(0);
    w.put_u16(attrs::tag::WEIGHT, 5);
    w.nest_end(t0);
    let t1 = w.nest_start(1);
    w.put_raw(attrs::tag::WEIGHT, &[1, 2, 3]);
    w.nest_end(t1);
    w.nest_end(arr);
    w.finish().unwrap();
    let e = Entry::decode(&buf).unwrap_err();
    assert_eq!(e.path.to_string(), ".tags[1].weight", "{e}");

    // A u64 attribute with 4 bytes.
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    w.put_u32(attrs::entry::TTL_MS, 1);
    w.finish().unwrap();
    let e = Entry::decode(&buf).unwrap_err();
    assert_eq!(e.path.to_string(), ".ttl-ms");
    assert!(matches!(e.kind, nlspec_rt::DecodeErrorKind::BadLength { got: 4, .. }), "{e}");

    // A struct that is too short.
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    w.put_bytes(attrs::entry::STATS, &[0; 8]); // 16 bytes expected
    w.finish().unwrap();
    let e = Entry::decode(&buf).unwrap_err();
    assert_eq!(e.path.to_string(), ".stats", "{e}");
}

#[test]
fn unknown_values_and_attributes_are_kept() {
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    w.put_u32(attrs::entry::KIND, 77); // not in the spec
    w.put_u32(attrs::entry::FLAGS, 0x8000_0001); // persistent + an unknown bit
    w.put_u32(200, 9); // an attribute from a newer kernel
    w.finish().unwrap();
    let v = Entry::decode(&buf).unwrap();
    assert_eq!(v.kind(), Some(Kind(77)));
    assert!(!v.kind().unwrap().is_known());
    assert_eq!(format!("{:?}", v.kind().unwrap()), "Kind(77)");
    let f = v.flags().unwrap();
    assert!(f.contains(EntryFlags::PERSISTENT));
    assert_eq!(f.unknown_bits(), 0x8000_0000);
    assert_eq!(format!("{f:?}"), "persistent | 0x80000000");
    let unknown: Vec<u16> = v.unknown_attrs().map(|a| a.ty()).collect();
    assert_eq!(unknown, [200]);
}

#[test]
fn nest_type_value_errors_name_both_levels() {
    // nlctrl `policy`: nest-type-value [policy-idx, attr-type] of policy-attrs; `type` (1) is a
    // u32, here given 2 bytes at policy 3, attribute 1.
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    let policy = w.nest_start(8);
    let p3 = w.nest_start(3);
    let a1 = w.nest_start(1);
    w.put_u16(1, 5);
    w.nest_end(a1);
    w.nest_end(p3);
    w.nest_end(policy);
    w.finish().unwrap();
    let e = nlspec_nlctrl::CtrlAttrs::decode(&buf).unwrap_err();
    assert_eq!(e.path.to_string(), ".policy[3][1].type", "{e}");
}

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
    assert_eq!(v.key(), Ok(Some(i.key.as_str())));
    assert_eq!(v.key_bytes(), Ok(Some(i.key.as_bytes())));
    assert_eq!(v.value(), Ok(Some(&i.value[..])));
    assert_eq!(v.kind(), Ok(Some(Kind(i.kind))));
    assert_eq!(v.flags(), Ok(Some(EntryFlags(i.flags))));
    assert_eq!(v.ttl_ms(), Ok(Some(i.ttl)));
    assert_eq!(v.priority(), Ok(Some(i.priority)));
    assert_eq!(v.counter(), Ok(Some(i.counter)));
    assert_eq!(v.delta(), Ok(Some(i.delta)));
    assert_eq!(v.old_counter(), Ok(Some(-i.delta)));
    assert_eq!(v.stats(), Ok(Some(EntryStats { created_ns: i.stats.0, reads: i.stats.1, writes: i.stats.2 })));
    let tags: Vec<(String, u16)> = v
        .tags()
        .unwrap()
        .map(|e| {
            let (_, t) = e.unwrap();
            (t.name().unwrap().unwrap().to_string(), t.weight().unwrap().unwrap())
        })
        .collect();
    assert_eq!(tags, i.tags);
    assert!(v.tags().unwrap().enumerate().all(|(n, e)| usize::from(e.unwrap().0) == n));
    assert_eq!(v.label().collect::<Result<Vec<_>, _>>(), Ok(i.labels.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    assert_eq!(v.digest(), Ok(Some(&i.digest[..])));
    assert_eq!(v.owner_addr(), Ok(Some(Ipv4Addr::from(i.addr))));
    assert_eq!(v.owner_port(), Ok(Some(i.port)));
    let meta: Vec<(u16, u32)> = v
        .meta()
        .unwrap()
        .map(|e| {
            let (s, m) = e.unwrap();
            (s, m.value().unwrap().unwrap())
        })
        .collect();
    assert_eq!(meta, i.meta);
    assert_eq!(v.flag_update(), Ok(Some((EntryFlags(i.bf.0), EntryFlags(i.bf.1)))));
    assert_eq!(v.change(), Ok(Some(Change(u32::from(i.change)))));
    assert_eq!(v.create_only(), Ok(i.create_only));
    assert_eq!(v.count(), Ok(Some(i.count)));
    match &i.filter_key {
        Some(k) => {
            let f = v.filter().unwrap().unwrap();
            assert_eq!(f.key(), Ok(Some(k.as_str())));
            assert_eq!(f.kind(), Ok(Some(Kind::COUNTER)));
        }
        None => assert!(v.filter().unwrap().is_none()),
    }
    assert_eq!(v.unknown_attrs().count(), 0);
    // The owned form (every attribute read, every nest to the bottom: the whole encoding is
    // well-formed) carries the same values.
    let o = v.to_owned().unwrap();
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
        let v = Entry::new(&bytes);
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
        let v = Entry::new(req.encoded_attrs());
        prop_assert!(v.to_owned().is_ok(), "{:?}", v.to_owned());
        prop_assert_eq!(v.key(), Ok(Some(key.as_str())));
        prop_assert_eq!(v.value(), Ok(Some(&value[..])));
        prop_assert!(v.flags().unwrap().unwrap().contains(EntryFlags::SECRET));
        prop_assert_eq!(v.label().collect::<Result<Vec<_>, _>>(), Ok(vec!["a", "b"]));
        prop_assert_eq!(v.create_only(), Ok(true));
    }

    #[test]
    fn truncated_encodings_never_panic(i in input(), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&i);
        let n = cut.index(bytes.len() + 1);
        // Every cut is a view; what is cut off is reported when read, never a panic.
        let v = Entry::new(&bytes[..n]);
        let _ = format!("{v:?}");
        let _ = v.to_owned();
    }

    #[test]
    fn hostile_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..256)) {
        // Any bytes are a view; every getter reports what it cannot read, never a panic.
        let v = Entry::new(&b);
        let _ = format!("{v:?}");
        let _ = v.to_owned();
        let _ = v.tags().map_or(0, Iterator::count) + v.meta().map_or(0, Iterator::count) + v.label().count();
        let v = nlspec_nlctrl::CtrlAttrs::new(&b);
        let _ = format!("{v:?}");
        let _ = v.to_owned();
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
    let v = Entry::new(&buf);
    // Reading everything (`to_owned`) locates the error from the view down.
    let e = v.to_owned().unwrap_err();
    assert_eq!(e.path().to_string(), ".tags[1].weight", "{e}");
    assert!(matches!(e.kind(), nlspec_rt::DecodeErrorKind::BadLength { got: 3, .. }), "{e}");
    // Through the getters: tags[0] reads, tags[1]'s weight is the error when it is read.
    let mut tags = v.tags().unwrap();
    assert_eq!(tags.next().unwrap().unwrap().1.weight(), Ok(Some(5)));
    let (idx, t1) = tags.next().unwrap().unwrap();
    assert_eq!(idx, 1);
    let e = t1.weight().unwrap_err();
    assert_eq!(e.path().to_string(), ".weight", "{e}");
    assert!(matches!(e.kind(), nlspec_rt::DecodeErrorKind::BadLength { got: 3, .. }), "{e}");
    assert!(tags.next().is_none());
    assert!(format!("{v:?}").contains("<malformed:"), "{v:?}");

    // A u64 attribute with 4 bytes.
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    w.put_u32(attrs::entry::TTL_MS, 1);
    w.finish().unwrap();
    let v = Entry::new(&buf);
    let e = v.ttl_ms().unwrap_err();
    assert_eq!(e.path().to_string(), ".ttl-ms");
    assert_eq!(v.counter(), Ok(None)); // what does not read the bad attribute is unaffected
    assert!(matches!(e.kind(), nlspec_rt::DecodeErrorKind::BadLength { got: 4, .. }), "{e}");
    assert_eq!(v.to_owned().unwrap_err(), e);
    assert!(format!("{v:?}").contains("<malformed:"), "{v:?}");

    // A struct that is too short.
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    w.put_bytes(attrs::entry::STATS, &[0; 8]); // 16 bytes expected
    w.finish().unwrap();
    let v = Entry::new(&buf);
    let e = v.stats().unwrap_err();
    assert_eq!(e.path().to_string(), ".stats", "{e}");
    assert_eq!(v.to_owned().unwrap_err(), e);
    assert!(format!("{v:?}").contains("<malformed:"), "{v:?}");
}

/// A view reads what it is asked for: a getter whose attribute comes before a malformed
/// header reads it; one whose attribute is absent walks to the malformed header and reports
/// it (never `None`); `to_owned` and `Debug` report it too. Of two attributes of one type, the
/// getter (and `to_owned`) read the first.
#[test]
fn getters_read_up_to_what_they_need() {
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    w.put_str(attrs::entry::KEY, "first");
    w.put_str(attrs::entry::KEY, "second");
    w.put_u64(attrs::entry::COUNTER, 3);
    w.finish().unwrap();
    let v = Entry::new(&buf);
    assert_eq!(v.key(), Ok(Some("first")));
    assert_eq!(v.to_owned().unwrap().key.as_deref(), Some("first"));

    // A header whose nla_len runs past the end, after the counter.
    buf.extend_from_slice(&[0xff, 0, attrs::entry::TTL_MS as u8, 0]);
    let v = Entry::new(&buf);
    assert_eq!(v.key(), Ok(Some("first")));
    assert_eq!(v.counter(), Ok(Some(3)));
    let e = v.ttl_ms().unwrap_err();
    assert!(matches!(e.kind(), nlspec_rt::DecodeErrorKind::BadAttrLen { nla_len: 0xff, .. }), "{e}");
    assert_eq!(v.priority().unwrap_err(), e); // absent: the walk reaches the bad header
    assert_eq!(v.to_owned().unwrap_err(), e);
    assert!(format!("{v:?}").contains("<malformed:"), "{v:?}");

    // Trailing bytes shorter than a header: zero padding is the end, anything else an error.
    buf.truncate(buf.len() - 4);
    buf.extend_from_slice(&[0, 0]);
    assert_eq!(Entry::new(&buf).priority(), Ok(None));
    buf.truncate(buf.len() - 2);
    buf.extend_from_slice(&[1, 0]);
    assert!(Entry::new(&buf).priority().is_err());
    assert_eq!(Entry::new(&buf).key(), Ok(Some("first")));
}

#[test]
fn unknown_values_and_attributes_are_kept() {
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    w.put_u32(attrs::entry::KIND, 77); // not in the spec
    w.put_u32(attrs::entry::FLAGS, 0x8000_0001); // persistent + an unknown bit
    w.put_u32(200, 9); // an attribute from a newer kernel
    w.finish().unwrap();
    let v = Entry::new(&buf);
    assert!(v.to_owned().is_ok(), "{:?}", v.to_owned());
    assert_eq!(v.kind(), Ok(Some(Kind(77))));
    assert!(!v.kind().unwrap().unwrap().is_known());
    assert_eq!(format!("{:?}", v.kind().unwrap().unwrap()), "Kind(77)");
    let f = v.flags().unwrap().unwrap();
    assert!(f.contains(EntryFlags::PERSISTENT));
    assert_eq!(f.unknown_bits(), 0x8000_0000);
    assert_eq!(format!("{f:?}"), "persistent | 0x80000000");
    let unknown: Vec<u16> = v.unknown_attrs().map(|a| a.unwrap().ty()).collect();
    assert_eq!(unknown, [200]);

    // A malformed header after them ends the unknown attributes with its error, not silently.
    let mut bad = buf.clone();
    bad.extend_from_slice(&[12, 0, 201, 0, 1, 0, 0, 0]); // nla_len 12, 8 bytes left
    let v = Entry::new(&bad);
    let unknown: Vec<_> = v.unknown_attrs().collect();
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    assert_eq!(unknown[0].as_ref().map(|a| a.ty()), Ok(200));
    let e = unknown[1].as_ref().unwrap_err();
    assert!(matches!(e.kind(), nlspec_rt::DecodeErrorKind::BadAttrLen { nla_len: 12, .. }), "{e}");
    let shown = format!("{v:?}");
    assert!(shown.contains("unknown: [") && shown.contains("malformed"), "{shown}");
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
    let v = nlspec_nlctrl::CtrlAttrs::new(&buf);
    let e = v.to_owned().unwrap_err();
    assert_eq!(e.path().to_string(), ".policy[3][1].type", "{e}");
    assert!(matches!(e.kind(), nlspec_rt::DecodeErrorKind::BadLength { got: 2, .. }), "{e}");
    // Through the getters: the element is there, its `type` is the error when it is read.
    let mut policy = v.policy().unwrap();
    let (idx, attr, leaf) = policy.next().unwrap().unwrap();
    assert_eq!((idx, attr), (3, 1));
    let e = leaf.type_().unwrap_err();
    assert_eq!(e.path().to_string(), ".type", "{e}");
    assert!(policy.next().is_none());
}

//! Property tests: encode → decode round trips for every primitive, and no panics on hostile
//! bytes anywhere in the decoding paths. Plus offline extended-ACK decoding cases the host
//! kernel cannot produce on demand (missing attribute inside a nest, array indices).

use nlspec_rt::attr::{Attrs, NLA_F_NESTED};
use nlspec_rt::error::{
    offset_to_path, parse_done_msg, parse_error_msg, RequestContext, NLMSGERR_ATTR_MISS_NEST, NLMSGERR_ATTR_MISS_TYPE,
    NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY,
};
use nlspec_rt::msg::{
    finish_message, start_message, start_nl_message, GenlMsg, NlMsg, NlMsgHdr, NlMsgIter, GENL_HDRLEN, NLMSG_ERROR,
    NLM_F_ACK_TLVS, NLM_F_CAPPED,
};
use nlspec_rt::{AttrInfo, AttrSet, AttrWriter, DecodeErrorKind, Error, NestKind, Policy};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Val {
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    S8(i8),
    S16(i16),
    S32(i32),
    S64(i64),
    U16Be(u16),
    U32Be(u32),
    U64Be(u64),
    S16Be(i16),
    S32Be(i32),
    S64Be(i64),
    Uint(u64),
    Sint(i64),
    UintBe(u64),
    SintBe(i64),
    Flag,
    Str(String),
    Bytes(Vec<u8>),
    Bitfield(u32, u32),
    Nest(Vec<(u16, Val)>),
}

fn leaf() -> impl Strategy<Value = Val> {
    prop_oneof![
        any::<u8>().prop_map(Val::U8),
        any::<u16>().prop_map(Val::U16),
        any::<u32>().prop_map(Val::U32),
        any::<u64>().prop_map(Val::U64),
        any::<i8>().prop_map(Val::S8),
        any::<i16>().prop_map(Val::S16),
        any::<i32>().prop_map(Val::S32),
        any::<i64>().prop_map(Val::S64),
        any::<u16>().prop_map(Val::U16Be),
        any::<u32>().prop_map(Val::U32Be),
        any::<u64>().prop_map(Val::U64Be),
        any::<i16>().prop_map(Val::S16Be),
        any::<i32>().prop_map(Val::S32Be),
        any::<i64>().prop_map(Val::S64Be),
        any::<u64>().prop_map(Val::Uint),
        any::<i64>().prop_map(Val::Sint),
        any::<u64>().prop_map(Val::UintBe),
        any::<i64>().prop_map(Val::SintBe),
        Just(Val::Flag),
        "[^\u{0}]{0,40}".prop_map(Val::Str),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Val::Bytes),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| Val::Bitfield(a, b)),
    ]
}

fn val() -> impl Strategy<Value = Val> {
    leaf().prop_recursive(3, 24, 6, |inner| proptest::collection::vec((1u16..0x3fff, inner), 0..6).prop_map(Val::Nest))
}

fn put(w: &mut AttrWriter<'_>, ty: u16, v: &Val) {
    match v {
        Val::U8(x) => w.put_u8(ty, *x),
        Val::U16(x) => w.put_u16(ty, *x),
        Val::U32(x) => w.put_u32(ty, *x),
        Val::U64(x) => w.put_u64(ty, *x),
        Val::S8(x) => w.put_s8(ty, *x),
        Val::S16(x) => w.put_s16(ty, *x),
        Val::S32(x) => w.put_s32(ty, *x),
        Val::S64(x) => w.put_s64(ty, *x),
        Val::U16Be(x) => w.put_u16_be(ty, *x),
        Val::U32Be(x) => w.put_u32_be(ty, *x),
        Val::U64Be(x) => w.put_u64_be(ty, *x),
        Val::S16Be(x) => w.put_s16_be(ty, *x),
        Val::S32Be(x) => w.put_s32_be(ty, *x),
        Val::S64Be(x) => w.put_s64_be(ty, *x),
        Val::Uint(x) => w.put_uint(ty, *x),
        Val::Sint(x) => w.put_sint(ty, *x),
        Val::UintBe(x) => w.put_uint_be(ty, *x),
        Val::SintBe(x) => w.put_sint_be(ty, *x),
        Val::Flag => w.put_flag(ty),
        Val::Str(s) => w.put_str(ty, s),
        Val::Bytes(b) => w.put_bytes(ty, b),
        Val::Bitfield(a, b) => w.put_bitfield32(ty, *a, *b),
        Val::Nest(items) => {
            let n = w.nest_start(ty);
            for (t, v) in items {
                put(w, *t, v);
            }
            w.nest_end(n);
        }
    }
}

fn check(a: &nlspec_rt::Attr<'_>, ty: u16, v: &Val) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.ty(), ty);
    match v {
        Val::U8(x) => prop_assert_eq!(a.get_u8().unwrap(), *x),
        Val::U16(x) => prop_assert_eq!(a.get_u16().unwrap(), *x),
        Val::U32(x) => prop_assert_eq!(a.get_u32().unwrap(), *x),
        Val::U64(x) => prop_assert_eq!(a.get_u64().unwrap(), *x),
        Val::S8(x) => prop_assert_eq!(a.get_s8().unwrap(), *x),
        Val::S16(x) => prop_assert_eq!(a.get_s16().unwrap(), *x),
        Val::S32(x) => prop_assert_eq!(a.get_s32().unwrap(), *x),
        Val::S64(x) => prop_assert_eq!(a.get_s64().unwrap(), *x),
        Val::U16Be(x) => prop_assert_eq!(a.get_u16_be().unwrap(), *x),
        Val::U32Be(x) => prop_assert_eq!(a.get_u32_be().unwrap(), *x),
        Val::U64Be(x) => prop_assert_eq!(a.get_u64_be().unwrap(), *x),
        Val::S16Be(x) => prop_assert_eq!(a.get_s16_be().unwrap(), *x),
        Val::S32Be(x) => prop_assert_eq!(a.get_s32_be().unwrap(), *x),
        Val::S64Be(x) => prop_assert_eq!(a.get_s64_be().unwrap(), *x),
        Val::Uint(x) => {
            prop_assert_eq!(a.get_uint().unwrap(), *x);
            prop_assert_eq!(a.payload().len(), if *x <= u32::MAX as u64 { 4 } else { 8 });
        }
        Val::Sint(x) => {
            prop_assert_eq!(a.get_sint().unwrap(), *x);
            let small = i32::try_from(*x).is_ok();
            prop_assert_eq!(a.payload().len(), if small { 4 } else { 8 });
        }
        Val::UintBe(x) => prop_assert_eq!(a.get_uint_be().unwrap(), *x),
        Val::SintBe(x) => prop_assert_eq!(a.get_sint_be().unwrap(), *x),
        Val::Flag => prop_assert!(a.get_flag().unwrap()),
        Val::Str(s) => {
            prop_assert_eq!(a.get_str().unwrap(), s.as_str());
            prop_assert_eq!(a.get_str_bytes().unwrap(), s.as_bytes());
        }
        Val::Bytes(b) => prop_assert_eq!(a.get_bytes(), b.as_slice()),
        Val::Bitfield(x, y) => {
            let bf = a.get_bitfield32().unwrap();
            prop_assert_eq!((bf.value, bf.selector), (*x, *y));
        }
        Val::Nest(items) => {
            prop_assert!(a.is_nested());
            let got: Vec<_> = a.nested().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(got.len(), items.len());
            for (g, (t, v)) in got.iter().zip(items) {
                check(g, *t, v)?;
            }
        }
    }
    Ok(())
}

/// Call every getter; only errors, never panics.
fn poke(a: &nlspec_rt::Attr<'_>, depth: u32) {
    let _ = (a.get_u8(), a.get_u16(), a.get_u32(), a.get_u64());
    let _ = (a.get_s8(), a.get_s16(), a.get_s32(), a.get_s64());
    let _ = (a.get_u16_be(), a.get_u32_be(), a.get_u64_be(), a.get_s16_be(), a.get_s32_be(), a.get_s64_be());
    let _ = (a.get_uint(), a.get_sint(), a.get_uint_be(), a.get_sint_be(), a.get_flag());
    let _ = (a.get_str(), a.get_str_bytes(), a.get_str_bytes_lax(), a.get_bitfield32(), a.get_array::<16>());
    let _ = Policy::decode(a.nested());
    if depth < 4 {
        for x in a.nested().flatten() {
            poke(&x, depth + 1);
        }
    }
}

static INNER: AttrSet = AttrSet {
    name: "inner",
    attrs: &[
        AttrInfo { ty: 1, name: "id", nest: NestKind::None },
        AttrInfo { ty: 2, name: "flags", nest: NestKind::None },
    ],
};
static ROOT: AttrSet = AttrSet {
    name: "root",
    attrs: &[
        AttrInfo { ty: 1, name: "name", nest: NestKind::None },
        AttrInfo { ty: 6, name: "ops", nest: NestKind::Array(Some(&INNER)) },
        AttrInfo { ty: 7, name: "cfg", nest: NestKind::Nest(&INNER) },
    ],
};

/// name, ops: [ {id, flags}, {id, flags}, {id, flags} ], cfg: {id}
fn sample_request() -> (Vec<u8>, usize, usize, usize) {
    let mut b = Vec::new();
    start_message(&mut b, 0x20, 0, 1, 0, 1, 1, &[]);
    let mut w = AttrWriter::new(&mut b);
    w.put_str(1, "x");
    let ops = w.nest_start(6);
    let mut flags_off = 0;
    for i in 0..3u16 {
        let e = w.nest_start(i);
        w.put_u32(1, i as u32);
        if i == 2 {
            flags_off = w.len();
        }
        w.put_u32(2, 0);
        w.nest_end(e);
    }
    w.nest_end(ops);
    let cfg_off = w.len();
    let cfg = w.nest_start(7);
    w.put_u32(1, 9);
    w.nest_end(cfg);
    let elem2_off = flags_off - 8 - 4; // element header precedes its `id` attribute (8 bytes)
    finish_message(&mut b).unwrap();
    (b, flags_off, cfg_off, elem2_off)
}

fn error_msg(errno: i32, req: &[u8], tlvs: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
    let mut b = Vec::new();
    let req_hdr = NlMsgHdr::parse(req).unwrap();
    let mut h = NlMsgHdr { len: 0, ty: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, seq: 1, pid: 0 };
    b.extend_from_slice(&h.to_bytes());
    b.extend_from_slice(&(-errno).to_ne_bytes());
    b.extend_from_slice(&req_hdr.to_bytes());
    let mut w = AttrWriter::new(&mut b);
    tlvs(&mut w);
    h.len = b.len() as u32;
    b[..16].copy_from_slice(&h.to_bytes());
    b
}

#[test]
fn offset_walk_names_nested_and_array_paths() {
    let (req, flags_off, cfg_off, elem2_off) = sample_request();
    let p = offset_to_path(&req, flags_off, 0, Some(&ROOT));
    assert_eq!(p.path.to_string(), ".ops[2].flags");
    let p = offset_to_path(&req, flags_off, 0, None);
    // Without names the runtime cannot tell an array from a nest: every level is numeric.
    assert_eq!(p.path.to_string(), ".6.2.2");
    let p = offset_to_path(&req, cfg_off, 0, Some(&ROOT));
    assert_eq!(p.path.to_string(), ".cfg");
    assert_eq!(p.inner.map(|s| s.name), Some("inner"));
    let p = offset_to_path(&req, elem2_off, 0, Some(&ROOT));
    assert_eq!(p.path.to_string(), ".ops[2]");
    let p = offset_to_path(&req, 3, 0, Some(&ROOT));
    assert!(p.path.is_empty());
}

/// A request of a netlink-raw protocol (no `genlmsghdr`): extended-ACK offsets are resolved
/// after its fixed header, whatever the header's size (none, `rtgenmsg`'s 1 byte,
/// `ifinfomsg`'s 16).
#[test]
fn ext_ack_offsets_in_raw_protocol_requests() {
    for fixed in [&[][..], &[0u8][..], &[0u8; 16][..]] {
        let mut b = Vec::new();
        start_nl_message(&mut b, 18, 0, 1, 0, fixed);
        let mut w = AttrWriter::new(&mut b);
        w.put_str(1, "x");
        let cfg_off = w.len();
        let cfg = w.nest_start(7);
        w.put_u32(1, 9);
        let flags_off = w.len();
        w.put_u32(2, 0);
        w.nest_end(cfg);
        finish_message(&mut b).unwrap();
        let msg = error_msg(libc::ERANGE, &b, |w| {
            w.put_u32(NLMSGERR_ATTR_OFFS, flags_off as u32);
            w.put_u32(NLMSGERR_ATTR_MISS_TYPE, 2);
            w.put_u32(NLMSGERR_ATTR_MISS_NEST, cfg_off as u32);
        });
        let ctx = RequestContext { bytes: &b, proto_hdrlen: 0, hdrsize: fixed.len(), schema: Some(&ROOT) };
        let e = parse_error_msg(&NlMsg::parse(&msg).unwrap(), Some(ctx)).unwrap_err();
        let Error::Kernel { path, missing, .. } = &e else { panic!("{e}") };
        assert_eq!(path.as_ref().map(|p| p.to_string()).as_deref(), Some(".cfg.flags"), "fixed header {}", fixed.len());
        let miss = missing.as_ref().unwrap();
        assert_eq!((miss.name, miss.nest.as_ref().map(|p| p.to_string())), (Some("flags"), Some(".cfg".into())));
    }
}

#[test]
fn ext_ack_missing_in_nest_and_message_and_policy() {
    let (req, flags_off, cfg_off, _) = sample_request();
    let msg = error_msg(libc::EINVAL, &req, |w| {
        w.put_str(NLMSGERR_ATTR_MSG, "missing id");
        w.put_u32(NLMSGERR_ATTR_MISS_TYPE, 2);
        w.put_u32(NLMSGERR_ATTR_MISS_NEST, cfg_off as u32);
    });
    let m = NlMsg::parse(&msg).unwrap();
    let ctx = RequestContext { bytes: &req, proto_hdrlen: GENL_HDRLEN, hdrsize: 0, schema: Some(&ROOT) };
    let e = parse_error_msg(&m, Some(ctx)).unwrap_err();
    let Error::Kernel { errno, msg, missing, .. } = &e else { panic!() };
    assert_eq!(*errno, libc::EINVAL);
    assert_eq!(msg.as_deref(), Some("missing id"));
    let miss = missing.as_ref().unwrap();
    assert_eq!(miss.name, Some("flags"));
    assert_eq!(miss.nest.as_ref().unwrap().to_string(), ".cfg");
    assert_eq!(
        e.to_string(),
        "kernel error EINVAL: Invalid argument (os error 22): missing id (missing attribute flags in .cfg)"
    );

    let msg = error_msg(libc::ERANGE, &req, |w| {
        w.put_u32(NLMSGERR_ATTR_OFFS, flags_off as u32);
        let p = w.nest_start(NLMSGERR_ATTR_POLICY);
        w.put_u32(1, 4); // NL_ATTR_TYPE_U32
        w.put_u64(4, 1);
        w.put_u64(5, 10);
        w.nest_end(p);
    });
    let e = parse_error_msg(&NlMsg::parse(&msg).unwrap(), Some(ctx)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "kernel error ERANGE: Numerical result out of range (os error 34) (at .ops[2].flags) (policy: type u32, range 1..=10)"
    );

    // An ACK is Ok; a DONE with an error is an error.
    let ack = error_msg(0, &req, |_| {});
    assert!(parse_error_msg(&NlMsg::parse(&ack).unwrap(), Some(ctx)).is_ok());
    let mut done = ack.clone();
    done[4..6].copy_from_slice(&3u16.to_ne_bytes());
    done[16..20].copy_from_slice(&(-libc::EBUSY).to_ne_bytes());
    let e = parse_done_msg(&NlMsg::parse(&done).unwrap(), None).unwrap_err();
    assert_eq!(e.errno(), Some(libc::EBUSY));
}

/// A u32 policy field sent as 8 bytes is read, but a value that does not fit is an error
/// (it was silently truncated: 2^32 + 5 read as 5).
#[test]
fn policy_u32_fields_are_not_truncated() {
    let policy = |max_len: u64| {
        let mut v = Vec::new();
        let mut w = AttrWriter::new(&mut v);
        w.put_u64(7, max_len); // NL_POLICY_TYPE_ATTR_MAX_LENGTH
        w.finish().unwrap();
        Policy::decode(Attrs::new(&v))
    };
    assert_eq!(policy(5).unwrap().max_len, Some(5));
    let e = policy((1 << 32) + 5).unwrap_err();
    assert_eq!(e.to_string(), ".7: 4294967301 does not fit the u32 field");
}

#[test]
fn malformed_messages_are_typed_errors() {
    // nlmsg_len beyond the datagram
    let mut b = NlMsgHdr { len: 100, ty: 0x10, flags: 0, seq: 0, pid: 0 }.to_bytes().to_vec();
    b.extend_from_slice(&[0; 8]);
    assert!(matches!(NlMsg::parse(&b).unwrap_err().kind(), DecodeErrorKind::BadMessage(_)));
    // below header size
    let b = NlMsgHdr { len: 3, ty: 0x10, flags: 0, seq: 0, pid: 0 }.to_bytes();
    assert!(NlMsg::parse(&b).is_err());
    // genl header missing
    let b = NlMsgHdr { len: 16, ty: 0x10, flags: 0, seq: 0, pid: 0 }.to_bytes();
    assert!(GenlMsg::parse(&b, 0).is_err());
    // fixed header longer than the message
    let mut b = NlMsgHdr { len: 24, ty: 0x10, flags: 0, seq: 0, pid: 0 }.to_bytes().to_vec();
    b.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    assert!(GenlMsg::parse(&b, 4).is_ok());
    assert!(GenlMsg::parse(&b, 8).is_err());
    // truncated nlmsgerr
    let b = NlMsgHdr { len: 18, ty: NLMSG_ERROR, flags: 0, seq: 0, pid: 0 }.to_bytes().to_vec();
    let mut b2 = b.clone();
    b2.extend_from_slice(&[0, 0]);
    assert!(matches!(parse_error_msg(&NlMsg::parse(&b2).unwrap(), None), Err(Error::Decode(_))));
    // nested flag with garbage inside
    let mut v = Vec::new();
    let mut w = AttrWriter::new(&mut v);
    w.put_raw(5 | NLA_F_NESTED, &[200, 0, 1, 0]);
    let a = Attrs::new(&v).next().unwrap().unwrap();
    let inner: Vec<_> = a.nested().collect();
    assert_eq!(inner.len(), 1);
    assert!(inner[0].is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn roundtrip(items in proptest::collection::vec((1u16..0x3fff, val()), 0..8)) {
        let mut buf = Vec::new();
        let mut w = AttrWriter::new(&mut buf);
        for (t, v) in &items {
            put(&mut w, *t, v);
        }
        w.finish().unwrap();
        prop_assert_eq!(buf.len() % 4, 0);
        let got: Vec<_> = Attrs::new(&buf).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got.len(), items.len());
        for (g, (t, v)) in got.iter().zip(&items) {
            check(g, *t, v)?;
        }
    }

    #[test]
    fn roundtrip_in_a_message(cmd in any::<u8>(), hdr in proptest::collection::vec(any::<u8>(), 0..12),
                              items in proptest::collection::vec((1u16..0x3fff, leaf()), 0..6)) {
        let mut buf = Vec::new();
        start_message(&mut buf, 0x42, 0, 7, 9, cmd, 1, &hdr);
        let mut w = AttrWriter::new(&mut buf);
        for (t, v) in &items {
            put(&mut w, *t, v);
        }
        w.finish().unwrap();
        finish_message(&mut buf).unwrap();
        let m = GenlMsg::parse(&buf, hdr.len()).unwrap();
        prop_assert_eq!(m.cmd(), cmd);
        prop_assert_eq!(m.family(), 0x42);
        prop_assert_eq!(m.fixed_header(), hdr.as_slice());
        let got: Vec<_> = m.attrs().collect::<Result<_, _>>().unwrap();
        for (g, (t, v)) in got.iter().zip(&items) {
            check(g, *t, v)?;
        }
        let owned = m.to_owned_msg();
        prop_assert_eq!(owned.view().attr_bytes(), m.attr_bytes());
    }

    #[test]
    fn hostile_attr_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        for a in Attrs::new(&bytes).take(64) {
            match a {
                Ok(a) => poke(&a, 0),
                Err(e) => { let _ = e.to_string(); }
            }
        }
        let _ = Attrs::new(&bytes).validate();
        let _ = Attrs::new(&bytes).find(1);
    }

    #[test]
    fn hostile_messages_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256),
                                    hdrsize in 0usize..16, offset in 0usize..300, genl in any::<bool>()) {
        let proto_hdrlen = if genl { GENL_HDRLEN } else { 0 };
        for m in NlMsgIter::new(&bytes).take(16) {
            let Ok(m) = m else { continue };
            let ctx = RequestContext { bytes: &bytes, proto_hdrlen, hdrsize, schema: Some(&ROOT) };
            let _ = parse_error_msg(&m, Some(ctx)).map_err(|e| e.to_string());
            let _ = parse_done_msg(&m, None);
            if let Ok(g) = m.genl(hdrsize) {
                for a in g.attrs().take(32).flatten() {
                    poke(&a, 0);
                }
            }
        }
        let _ = offset_to_path(&bytes, offset, hdrsize, Some(&ROOT));
        let _ = offset_to_path(&bytes, offset, hdrsize, None);
    }

    #[test]
    fn offset_walk_on_valid_requests_never_panics(items in proptest::collection::vec((1u16..16, val()), 0..6),
                                                  offset in 0usize..512) {
        let mut buf = Vec::new();
        start_message(&mut buf, 0x42, 0, 1, 0, 1, 1, &[]);
        let mut w = AttrWriter::new(&mut buf);
        for (t, v) in &items {
            put(&mut w, *t, v);
        }
        finish_message(&mut buf).unwrap();
        let _ = offset_to_path(&buf, offset, 0, Some(&ROOT)).path.to_string();
    }
}

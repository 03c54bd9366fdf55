//! Tests against the host's running kernel: nlctrl, ethtool and netdev (a host kernel without
//! ethtool or netdev fails these tests by name rather than skipping them).

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use nlspec_rt::ctrl::{self, PolicyDumpEntry, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_OP};
use nlspec_rt::msg::{GenlMsgHdr, NlMsgHdr, NLMSG_HDRLEN};
use nlspec_rt::{AttrInfo, AttrSet, Error, GenlSocket, NestKind, PathSeg, Request};

/// `genl ctrl list` (iproute2), parsed into (name, id) pairs: the independent source.
fn iproute2_families() -> BTreeSet<(String, u16)> {
    let out = Command::new("genl").args(["ctrl", "list"]).output().expect("run `genl ctrl list` (iproute2)");
    assert!(out.status.success(), "genl ctrl list failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut set = BTreeSet::new();
    let mut name: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(n) = line.strip_prefix("Name: ") {
            name = Some(n.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("ID: ") {
            let hex = rest.split_whitespace().next().unwrap();
            let id = u16::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap();
            set.insert((name.take().expect("ID before Name"), id));
        }
    }
    assert!(!set.is_empty());
    set
}

static CTRL_ATTRS: AttrSet = AttrSet {
    name: "ctrl-attrs",
    attrs: &[
        AttrInfo { ty: CTRL_ATTR_FAMILY_ID, name: "family-id", nest: NestKind::None },
        AttrInfo { ty: CTRL_ATTR_FAMILY_NAME, name: "family-name", nest: NestKind::None },
        AttrInfo { ty: CTRL_ATTR_OP, name: "op", nest: NestKind::None },
    ],
};

#[test]
fn resolve_nlctrl_and_every_family() {
    let mut s = GenlSocket::new().unwrap();
    let f = s.resolve_family("nlctrl").unwrap();
    assert_eq!(f.id, 0x10);
    assert_eq!(f.name, "nlctrl");
    assert!(f.version >= 1);
    assert!(f.group("notify").is_some(), "{f:?}");
    assert!(f.ops.iter().any(|&(cmd, _)| cmd == u32::from(ctrl::CTRL_CMD_GETFAMILY)));
    for (name, id) in iproute2_families() {
        let mut fresh = GenlSocket::new().unwrap();
        assert_eq!(fresh.family_id(&name).unwrap(), id, "{name}: family_id, resolving");
        assert_eq!(fresh.family_id(&name).unwrap(), id, "{name}: family_id, cached");
        let info = s.resolve_family(&name).unwrap();
        assert_eq!(info.id, id, "{name}");
    }
    assert_eq!(s.family_id("nosuchfamily").unwrap_err().errno(), Some(libc::ENOENT));
    // Cached: the same Arc comes back.
    let again = s.resolve_family("nlctrl").unwrap();
    assert!(std::sync::Arc::ptr_eq(&f, &again));
}

#[test]
fn dump_families_equals_iproute2() {
    let mut s = GenlSocket::new().unwrap();
    let owned = s.dump(&ctrl::getfamily_request(), |_| {}).unwrap().collect_owned().unwrap();
    assert_eq!(owned.len(), iproute2_families().len());
    let ours: BTreeSet<(String, u16)> = s.list_families().unwrap().into_iter().map(|f| (f.name, f.id)).collect();
    assert_eq!(ours, iproute2_families());
}

#[test]
fn dump_through_small_buffer_returns_everything() {
    let mut normal = GenlSocket::new().unwrap();
    let all = normal.list_families().unwrap();

    let mut small = GenlSocket::new().unwrap();
    // A 256-byte user buffer, grown (via MSG_PEEK|MSG_TRUNC) only as far as each datagram
    // needs, and a small kernel receive queue so the dump advances one datagram at a time.
    small.set_rx_buffer(256, true);
    small.set_rcvbuf(4096).unwrap();
    let got = small.list_families().unwrap();
    assert_eq!(got, all);
    assert!(small.rx_buffer_size() > 256, "the buffer had to grow: {}", small.rx_buffer_size());

    // A bigger dump that certainly spans several datagrams: a policy dump.
    let fam = if normal.resolve_family("ethtool").is_ok() { "ethtool" } else { "nlctrl" };
    let before = normal.datagrams_received();
    let policies = normal.family_policy(fam).unwrap();
    let normal_datagrams = normal.datagrams_received() - before;
    let before = small.datagrams_received();
    let small_policies = small.family_policy(fam).unwrap();
    let small_datagrams = small.datagrams_received() - before;
    eprintln!(
        "{fam} policy dump: {} entries, {normal_datagrams} datagrams with 32 KiB buffers, \
         {small_datagrams} through the small buffer",
        policies.len()
    );
    assert_eq!(small_policies, policies);
    if fam == "ethtool" {
        assert!(small_datagrams >= 3, "{small_datagrams}");
    }
}

#[test]
fn truncation_is_detected_when_growth_is_off() {
    let mut s = GenlSocket::new().unwrap();
    s.set_rx_buffer(64, false);
    match s.resolve_family("nlctrl") {
        Err(Error::Truncated { len, buffer }) => {
            assert_eq!(buffer, 64);
            assert!(len > 64);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn missing_family_is_enoent() {
    let mut s = GenlSocket::new().unwrap();
    let e = s.resolve_family("nosuchfamily").unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    assert!(e.to_string().contains("ENOENT"), "{e}");
    // The socket stays usable.
    assert_eq!(s.resolve_family("nlctrl").unwrap().id, 0x10);
}

#[test]
fn policy_violation_decodes_ext_ack_with_named_path() {
    let mut s = GenlSocket::new().unwrap();
    // CTRL_ATTR_FAMILY_ID is NLA_U16; send 1 byte.
    let req = ctrl::getfamily_request().schema(&CTRL_ATTRS);
    let e = s.request(&req, |w| w.put_u8(CTRL_ATTR_FAMILY_ID, 16)).unwrap_err();
    eprintln!("{e}");
    let Error::Kernel { errno, msg, path, offset, policy, .. } = &e else { panic!("{e:?}") };
    assert!(*errno == libc::EINVAL || *errno == libc::ERANGE, "{e}");
    assert!(msg.as_deref().is_some_and(|m| !m.is_empty()), "{e:?}");
    assert_eq!(*offset, Some(20), "first attribute right after nlmsghdr+genlmsghdr");
    assert_eq!(path.as_ref().unwrap().to_string(), ".family-id");
    assert!(e.to_string().contains(".family-id"), "{e}");
    let policy = policy.as_ref().expect("policy in ext ack");
    assert_eq!(policy.kind, Some(3), "NL_ATTR_TYPE_U16");

    // Without a name table the path is numeric; a too-long name is found behind another attr.
    let req = ctrl::getfamily_request();
    let e = s
        .request(&req, |w| {
            w.put_u16(CTRL_ATTR_FAMILY_ID, 0x10);
            w.put_str(CTRL_ATTR_FAMILY_NAME, "a-family-name-longer-than-GENL_NAMSIZ");
        })
        .unwrap_err();
    eprintln!("{e}");
    let Error::Kernel { errno, path, policy, .. } = &e else { panic!("{e:?}") };
    assert!(*errno == libc::EINVAL || *errno == libc::ERANGE, "{e}");
    assert_eq!(path.as_ref().unwrap().segments(), &[PathSeg::Type(CTRL_ATTR_FAMILY_NAME)]);
    let policy = policy.as_ref().expect("policy");
    assert_eq!(policy.max_len, Some(15), "{policy}");
}

#[test]
fn getpolicy_dump_of_nlctrl_decodes() {
    let mut s = GenlSocket::new().unwrap();
    let entries = s.family_policy("nlctrl").unwrap();
    assert!(!entries.is_empty());
    let getfamily_do = entries
        .iter()
        .find_map(|e| match e {
            PolicyDumpEntry::Op { cmd, do_policy, .. } if *cmd == u32::from(ctrl::CTRL_CMD_GETFAMILY) => *do_policy,
            _ => None,
        })
        .expect("op policy for getfamily");
    let name_policy = entries
        .iter()
        .find_map(|e| match e {
            PolicyDumpEntry::Attr { policy_idx, attr, policy }
                if *policy_idx == getfamily_do && *attr == CTRL_ATTR_FAMILY_NAME =>
            {
                Some(policy.clone())
            }
            _ => None,
        })
        .expect("family-name policy");
    assert_eq!(name_policy.kind, Some(12), "NL_ATTR_TYPE_NUL_STRING: {name_policy}");
    assert_eq!(name_policy.max_len, Some(15));

    // A bad op number in the dump request: the error comes back with the attribute named.
    let req = ctrl::getpolicy_request().schema(&CTRL_ATTRS);
    let mut it = s
        .dump(&req, |w| {
            w.put_str(CTRL_ATTR_FAMILY_NAME, "nlctrl");
            w.put_u32(CTRL_ATTR_OP, 200);
        })
        .unwrap();
    let e = match it.next() {
        Some(Err(e)) => e,
        other => panic!("expected an error, got {:?}", other.map(|r| r.map(|m| m.cmd()))),
    };
    drop(it);
    eprintln!("{e}");
    let Error::Kernel { path, .. } = &e else { panic!("{e:?}") };
    assert_eq!(path.as_ref().unwrap().to_string(), ".op");
}

#[test]
fn abandoned_dump_is_drained() {
    let mut s = GenlSocket::new().unwrap();
    s.set_rx_buffer(256, true);
    s.set_rcvbuf(4096).unwrap();
    {
        let mut it = s.dump(&ctrl::getfamily_request(), |_| {}).unwrap();
        let first = it.next().unwrap().unwrap();
        assert_eq!(first.cmd(), ctrl::CTRL_CMD_NEWFAMILY);
        // dropped mid-dump
    }
    // A new dump on the same socket would get EBUSY if the old one were still running.
    let n = s.list_families().unwrap().len();
    assert_eq!(n, iproute2_families().len());
}

// ethtool: nested request attributes (header nest), real nested ext-ack paths.
const ETHTOOL_MSG_LINKINFO_GET: u8 = 2;
const ETHTOOL_A_LINKINFO_HEADER: u16 = 1;
const ETHTOOL_A_HEADER_DEV_NAME: u16 = 2;
const ETHTOOL_A_HEADER_FLAGS: u16 = 3;
static ETHTOOL_HEADER: AttrSet = AttrSet {
    name: "header",
    attrs: &[
        AttrInfo { ty: 1, name: "dev-index", nest: NestKind::None },
        AttrInfo { ty: ETHTOOL_A_HEADER_DEV_NAME, name: "dev-name", nest: NestKind::None },
        AttrInfo { ty: ETHTOOL_A_HEADER_FLAGS, name: "flags", nest: NestKind::None },
    ],
};
static ETHTOOL_LINKINFO: AttrSet = AttrSet {
    name: "linkinfo",
    attrs: &[AttrInfo { ty: ETHTOOL_A_LINKINFO_HEADER, name: "header", nest: NestKind::Nest(&ETHTOOL_HEADER) }],
};

fn family_id(s: &mut GenlSocket, name: &str) -> u16 {
    match s.resolve_family(name) {
        Ok(f) => f.id,
        Err(e) => panic!("the host kernel's {name} family is needed by this test: {e}"),
    }
}

#[test]
fn nested_ext_ack_path_and_mask_policy_from_ethtool() {
    let mut s = GenlSocket::new().unwrap();
    let id = family_id(&mut s, "ethtool");
    let req = Request::new(id, ETHTOOL_MSG_LINKINFO_GET, 1).schema(&ETHTOOL_LINKINFO);
    // Unknown device name: the error points into the nest.
    let e = s
        .request(&req, |w| {
            let n = w.nest_start(ETHTOOL_A_LINKINFO_HEADER);
            w.put_str(ETHTOOL_A_HEADER_DEV_NAME, "nlspec-nodev0");
            w.nest_end(n);
        })
        .unwrap_err();
    eprintln!("{e}");
    let Error::Kernel { errno, msg, path, .. } = &e else { panic!("{e:?}") };
    assert_eq!(*errno, libc::ENODEV);
    assert!(msg.is_some());
    assert_eq!(path.as_ref().unwrap().to_string(), ".header.dev-name");

    // Same without names: numeric.
    let req_num = Request::new(id, ETHTOOL_MSG_LINKINFO_GET, 1);
    let e = s
        .request(&req_num, |w| {
            let n = w.nest_start(ETHTOOL_A_LINKINFO_HEADER);
            w.put_str(ETHTOOL_A_HEADER_DEV_NAME, "nlspec-nodev0");
            w.nest_end(n);
        })
        .unwrap_err();
    let Error::Kernel { path, .. } = &e else { panic!("{e:?}") };
    assert_eq!(path.as_ref().unwrap().to_string(), ".1.2");

    // Flags outside the policy's mask.
    let e = s
        .request(&req, |w| {
            let n = w.nest_start(ETHTOOL_A_LINKINFO_HEADER);
            w.put_str(ETHTOOL_A_HEADER_DEV_NAME, "lo");
            w.put_u32(ETHTOOL_A_HEADER_FLAGS, 0x8000_0000);
            w.nest_end(n);
        })
        .unwrap_err();
    eprintln!("{e}");
    let Error::Kernel { errno, path, .. } = &e else { panic!("{e:?}") };
    assert_eq!(*errno, libc::EINVAL);
    assert_eq!(path.as_ref().unwrap().to_string(), ".header.flags");

    // A nested string over its policy's length: the policy comes back too.
    let long = "x".repeat(200);
    let e = s
        .request(&req, |w| {
            let n = w.nest_start(ETHTOOL_A_LINKINFO_HEADER);
            w.put_str(ETHTOOL_A_HEADER_DEV_NAME, &long);
            w.nest_end(n);
        })
        .unwrap_err();
    eprintln!("{e}");
    let Error::Kernel { path, policy, .. } = &e else { panic!("{e:?}") };
    assert_eq!(path.as_ref().unwrap().to_string(), ".header.dev-name");
    let p = policy.as_ref().expect("policy");
    assert_eq!(p.kind, Some(12), "nul-string: {p}");
    assert_eq!(p.max_len, Some(127), "{p}");

    // Header missing entirely: reported as a missing attribute, named.
    let e = s.request(&req, |_| {}).unwrap_err();
    eprintln!("{e}");
    let Error::Kernel { errno, missing, .. } = &e else { panic!("{e:?}") };
    assert_eq!(*errno, libc::EINVAL);
    let m = missing.as_ref().expect("missing attr");
    assert_eq!(m.ty, ETHTOOL_A_LINKINFO_HEADER);
    assert_eq!(m.name, Some("header"));
    assert_eq!(m.nest, None);
    assert!(e.to_string().contains("missing attribute header"), "{e}");

    // And a good request (ETHTOOL_MSG_STRSET_GET for lo, same header) gets a reply.
    let strset = Request::new(id, 1, 1);
    let reply = s
        .request(&strset, |w| {
            let n = w.nest_start(ETHTOOL_A_LINKINFO_HEADER);
            w.put_str(ETHTOOL_A_HEADER_DEV_NAME, "lo");
            w.nest_end(n);
        })
        .unwrap();
    assert!(reply.attrs().count() > 0);
}

#[test]
fn missing_attribute_from_netdev() {
    let mut s = GenlSocket::new().unwrap();
    let id = family_id(&mut s, "netdev");
    static NETDEV_DEV: AttrSet =
        AttrSet { name: "dev", attrs: &[AttrInfo { ty: 1, name: "ifindex", nest: NestKind::None }] };
    // NETDEV_CMD_DEV_GET without NETDEV_A_DEV_IFINDEX.
    let req = Request::new(id, 1, 1).schema(&NETDEV_DEV);
    let e = s.request(&req, |_| {}).unwrap_err();
    eprintln!("{e}");
    let Error::Kernel { errno, missing, .. } = &e else { panic!("{e:?}") };
    assert_eq!(*errno, libc::EINVAL);
    let m = missing.as_ref().expect("missing");
    assert_eq!((m.ty, m.name), (1, Some("ifindex")));
}

/// Tests that multicast into nlctrl's "notify" group would see each other's messages.
static MULTICAST: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Tags this process's fake notifications (another test process may multicast too).
fn marker() -> u16 {
    0x4000 | (std::process::id() as u16 & 0x3fff)
}

/// A Generic Netlink message as a notification would look, built by hand.
fn fake_notification(family: u16, cmd: u8, seq: u32) -> Vec<u8> {
    let mut b = Vec::new();
    let mut h = NlMsgHdr { len: 0, ty: family, flags: 0, seq, pid: 0 };
    b.extend_from_slice(&h.to_bytes());
    b.extend_from_slice(&GenlMsgHdr { cmd, version: 2, reserved: 0 }.to_bytes());
    let mut w = nlspec_rt::AttrWriter::new(&mut b);
    w.put_str(CTRL_ATTR_FAMILY_NAME, "fake");
    w.put_u16(CTRL_ATTR_FAMILY_ID, marker());
    h.len = b.len() as u32;
    b[..NLMSG_HDRLEN].copy_from_slice(&h.to_bytes());
    b
}

#[test]
fn notifications_arriving_during_a_request_are_queued() {
    let _serial = MULTICAST.lock().unwrap_or_else(|e| e.into_inner());
    let mut listener = GenlSocket::new().unwrap();
    let group = listener.subscribe("nlctrl", "notify").unwrap();
    let mut bystander = GenlSocket::new().unwrap(); // not subscribed
    let mut sender = GenlSocket::new().unwrap();
    // Multicast into nlctrl's "notify" group from user space (needs CAP_NET_ADMIN). The
    // datagrams sit in the listener's queue ahead of the reply to its next request.
    let n1 = fake_notification(0x10, ctrl::CTRL_CMD_NEWFAMILY, 0);
    let n2 = fake_notification(0x10, ctrl::CTRL_CMD_DELFAMILY, 0);
    if let Err(e) = sender.send_raw_to(&n1, 0, 1 << (group - 1)) {
        if e.errno() == Some(libc::EPERM) {
            eprintln!("SKIP: no CAP_NET_ADMIN to multicast from user space");
            return;
        }
        panic!("{e}");
    }
    sender.send_raw_to(&n2, 0, 1 << (group - 1)).unwrap();

    // A request while the notifications are pending: they are queued, the reply is found.
    listener.forget_families();
    let f = listener.resolve_family("nlctrl").unwrap();
    assert_eq!(f.id, 0x10);
    assert!(listener.queued_notifications() >= 2);
    // And a dump too.
    sender.send_raw_to(&n1, 0, 1 << (group - 1)).unwrap();
    let n = listener.list_families().unwrap().len();
    assert!(n > 1);
    assert!(listener.queued_notifications() >= 3);

    let mut cmds = Vec::new();
    while let Some(note) = listener.recv_notification_timeout(Duration::from_millis(200)).unwrap() {
        assert_eq!(note.group, group);
        let m = note.genl(0).unwrap();
        let info = nlspec_rt::FamilyInfo::decode(&m).unwrap();
        if info.id == marker() {
            assert_eq!(info.name, "fake");
            cmds.push(m.cmd());
        }
    }
    assert_eq!(cmds, [ctrl::CTRL_CMD_NEWFAMILY, ctrl::CTRL_CMD_DELFAMILY, ctrl::CTRL_CMD_NEWFAMILY]);
    assert!(bystander.recv_notification_timeout(Duration::from_millis(50)).unwrap().is_none());

    // Unsubscribed: no more.
    listener.unsubscribe_id(group).unwrap();
    sender.send_raw_to(&n1, 0, 1 << (group - 1)).unwrap();
    assert!(listener.recv_notification_timeout(Duration::from_millis(50)).unwrap().is_none());
}

#[test]
fn unknown_group_is_a_clear_error() {
    let mut s = GenlSocket::new().unwrap();
    let e = s.subscribe("nlctrl", "no-such-group").unwrap_err();
    assert!(matches!(e, Error::UnknownGroup { .. }));
    assert_eq!(e.to_string(), "family \"nlctrl\" has no multicast group \"no-such-group\"");
}

#[test]
fn overflowing_notifications_do_not_break_requests_and_are_reported() {
    let _serial = MULTICAST.lock().unwrap_or_else(|e| e.into_inner());
    let mut listener = GenlSocket::new().unwrap();
    let group = listener.subscribe("nlctrl", "notify").unwrap();
    listener.set_rcvbuf(1024).unwrap(); // the kernel rounds up to its minimum
    let mut sender = GenlSocket::new().unwrap();
    let n = fake_notification(0x10, ctrl::CTRL_CMD_NEWFAMILY, 0);
    for i in 0..500 {
        if let Err(e) = sender.send_raw_to(&n, 0, 1 << (group - 1)) {
            assert_eq!((i, e.errno()), (0, Some(libc::EPERM)), "{e}");
            eprintln!("SKIP: no CAP_NET_ADMIN");
            return;
        }
    }
    // The queue is full: the kernel drops the reply to a request now, and says so (ENOBUFS).
    // The request must fail cleanly, not hang.
    listener.forget_families();
    match listener.resolve_family("nlctrl") {
        Err(Error::ReplyLost) => {}
        other => panic!("expected ReplyLost, got {other:?}"),
    }
    let (mut got, mut lost) = (0, 0);
    loop {
        match listener.recv_notification_timeout(Duration::from_millis(50)) {
            Ok(Some(_)) => got += 1,
            Ok(None) => break,
            Err(Error::NotificationsLost) => lost += 1,
            Err(e) => panic!("{e}"),
        }
    }
    eprintln!("received {got} of 500 notifications, loss reported {lost} time(s)");
    assert!(got > 0 && got < 500);
    assert_eq!(lost, 1);
    // With the queue read, requests work again.
    assert_eq!(listener.resolve_family("nlctrl").unwrap().id, 0x10);
}

/// `request_all`: every reply message of a do until the ACK. nlctrl's getfamily answers with
/// exactly one; a failing do ends with the kernel's error; the socket stays usable, also after
/// an iterator dropped before the ACK. (No family on this host answers a do with several
/// messages on demand; that case is tested on hand-made datagrams in `core.rs`.)
#[test]
fn request_all_returns_every_reply_until_the_ack() {
    let mut s = GenlSocket::new().unwrap();
    let req = ctrl::getfamily_request();
    let mut it = s.request_all(&req, |w| ctrl::put_family_name(w, "nlctrl")).unwrap();
    let mut ids = Vec::new();
    while let Some(m) = it.next() {
        ids.push(ctrl::FamilyInfo::decode(&m.unwrap()).unwrap().id);
    }
    assert!(it.warning().is_none());
    drop(it);
    assert_eq!(ids, [0x10]);
    assert!(s.last_warning().is_none());

    let mut it = s.request_all(&req, |w| ctrl::put_family_name(w, "no-such-family")).unwrap();
    match it.next() {
        Some(Err(e)) => assert_eq!(e.errno(), Some(libc::ENOENT), "{e}"),
        other => panic!("{:?}", other.map(|r| r.map(|m| m.cmd()))),
    }
    assert!(it.next().is_none());
    drop(it);

    // Dropped after the reply, before the ACK: drained before the next request.
    let mut it = s.request_all(&req, |w| ctrl::put_family_name(w, "nlctrl")).unwrap();
    assert!(it.next().unwrap().is_ok());
    drop(it);
    let m = s.request(&req, |w| ctrl::put_family_name(w, "nlctrl")).unwrap();
    assert_eq!(ctrl::FamilyInfo::decode(&m).unwrap().name, "nlctrl");
}

/// `request_batch`: three getfamily requests in one datagram; the failing middle one does not
/// stop the others; replies come back matched to their request.
#[test]
fn request_batch_in_one_datagram() {
    let mut s = GenlSocket::new().unwrap();
    let attrs = |name: &str| {
        let mut v = Vec::new();
        let mut w = nlspec_rt::AttrWriter::new(&mut v);
        ctrl::put_family_name(&mut w, name);
        w.finish().unwrap();
        v
    };
    let (a, b, c) = (attrs("nlctrl"), attrs("no-such-family"), attrs("nlctrl"));
    let req = ctrl::getfamily_request();
    let before = s.datagrams_received();
    let mut it = s.request_batch(&[(req, &a[..]), (req, &b[..]), (req, &c[..])], 0).unwrap();
    let mut events = Vec::new();
    while let Some(item) = it.next() {
        match item.unwrap() {
            nlspec_rt::BatchItem::Reply { index, msg } => {
                events.push(format!("{index}:{}", ctrl::FamilyInfo::decode(&msg).unwrap().name))
            }
            nlspec_rt::BatchItem::Done { index, result } => events.push(match result {
                Ok(None) => format!("{index}:ack"),
                Ok(Some(w)) => format!("{index}:{w}"),
                Err(e) => format!("{index}:errno {}", e.errno().unwrap()),
            }),
        }
    }
    assert!(it.is_done());
    drop(it);
    assert_eq!(
        events,
        [
            "0:nlctrl".to_string(),
            "0:ack".into(),
            format!("1:errno {}", libc::ENOENT),
            "2:nlctrl".into(),
            "2:ack".into()
        ]
    );
    assert!(s.datagrams_received() - before >= 5);
}

/// A successful dump whose NLMSG_DONE carries an extended-ACK message (ethtool's linkinfo-get
/// over all devices: drivers that cannot report link settings, e.g. `lo`'s, leave "failed to
/// retrieve link settings" with error 0): `DumpIter::warning` after the end, and
/// `last_warning` on the socket. Skipped when this host's dump has no such warning.
#[test]
fn dump_done_warning_is_surfaced() {
    let mut s = GenlSocket::new().unwrap();
    let id = family_id(&mut s, "ethtool");
    // ETHTOOL_MSG_LINKINFO_GET = 2, version 1.
    let req = Request::new(id, 2, 1);
    let mut it = s.dump(&req, |_| {}).unwrap();
    let mut n = 0;
    while let Some(m) = it.next() {
        m.unwrap();
        assert!(it.warning().is_none() || n > 0);
        n += 1;
    }
    let w = it.warning().cloned();
    drop(it);
    let Some(w) = w else {
        eprintln!("SKIP: this host's ethtool linkinfo-get dump ended without a warning");
        return;
    };
    eprintln!("{w}");
    assert_eq!(w.header.ty, nlspec_rt::msg::NLMSG_DONE);
    assert_eq!(w.msg.as_deref(), Some("failed to retrieve link settings"));
    assert_eq!(s.last_warning(), Some(&w));
    // The next request clears it.
    s.resolve_family("nlctrl").unwrap();
    s.forget_families();
    let _ = s.request(&ctrl::getfamily_request(), |w| ctrl::put_family_name(w, "nlctrl")).unwrap();
    assert!(s.last_warning().is_none());
}

/// A bound on a dump (`set_dump_limit`): nlctrl's family dump through a small buffer (so it
/// spans several datagrams and is still running in the kernel when the bound is hit) stops with
/// the typed `DumpLimitExceeded` after exactly the allowed messages; the socket then works for a
/// request (the rest of the dump drained first), an unbounded dump returns everything, and with
/// the bound kept, the drain of an abandoned dump is bounded too and a request still succeeds.
#[test]
fn dump_limit_stops_a_dump_typed_and_the_socket_stays_usable() {
    let all = GenlSocket::new().unwrap().list_families().unwrap();
    assert!(all.len() >= 3, "need a dump of at least 3 families, have {}", all.len());
    let mut s = GenlSocket::new().unwrap();
    s.set_rx_buffer(256, true);
    s.set_rcvbuf(4096).unwrap();
    s.set_dump_limit(nlspec_rt::DumpLimit::messages(2));
    let mut it = s.dump(&ctrl::getfamily_request(), |_| {}).unwrap();
    let mut n = 0;
    let end = loop {
        match it.next() {
            Some(Ok(_)) => n += 1,
            Some(Err(e)) => break Some(e),
            None => break None,
        }
    };
    drop(it);
    assert_eq!(n, 2, "messages before the bound");
    match end {
        Some(Error::DumpLimitExceeded { messages: 3, bytes, .. }) => assert!(bytes > 0),
        other => panic!("expected DumpLimitExceeded after 3 messages, got {other:?}"),
    }
    // Unbounded again: the drain before the next request reads the dump to its end.
    s.set_dump_limit(nlspec_rt::DumpLimit::NONE);
    assert_eq!(s.resolve_family("nlctrl").unwrap().id, 0x10);
    assert_eq!(s.list_families().unwrap(), all);

    // Bound kept: the abandoned dump's drain gives up at the bound too; the request after it
    // still finds its answer among the dump's later datagrams.
    s.set_dump_limit(nlspec_rt::DumpLimit::messages(1));
    let mut it = s.dump(&ctrl::getfamily_request(), |_| {}).unwrap();
    assert!(it.next().unwrap().is_ok());
    assert!(matches!(it.next(), Some(Err(Error::DumpLimitExceeded { messages: 2, .. }))));
    drop(it);
    s.forget_families();
    assert_eq!(s.resolve_family("nlctrl").unwrap().id, 0x10);
    // A time bound that has already passed when the first message comes.
    s.set_dump_limit(nlspec_rt::DumpLimit::duration(Duration::ZERO));
    let r = s.list_families();
    assert!(matches!(r, Err(Error::DumpLimitExceeded { .. }) | Err(Error::Kernel { errno: libc::EBUSY, .. })), "{r:?}");
}

//! The generated nlctrl client (`generated/client/nlctrl`) against the host's live kernel.

use std::collections::BTreeMap;
use std::process::Command;

use nlspec_nlctrl::{AttrType, Client, GetfamilyDumpRequest, GetfamilyRequest, GetpolicyDumpRequest, OpFlags};

/// One family as iproute2's `genl ctrl list` prints it.
#[derive(Debug, Default, PartialEq)]
struct Fam {
    id: u16,
    version: u32,
    hdrsize: u32,
    maxattr: u32,
    /// (command, flags); iproute2 prints the flags only for some families (`None` then).
    ops: Vec<(u32, Option<u32>)>,
    groups: Vec<(String, u32)>,
}

fn hex(s: &str) -> u32 {
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("not hex: {s}"))
}

/// Parse `genl ctrl list` (iproute2): `Name:`, `ID: .. Version: .. header size: .. max attribs: ..`,
/// `#n:  ID-0x3`, `Capabilities (0xe):`, groups `#n:  ID-0x10  name: notify`.
fn genl_ctrl_list() -> BTreeMap<String, Fam> {
    let out = Command::new("genl")
        .args(["ctrl", "list"])
        .output()
        .expect("running `genl ctrl list` (iproute2, installed by .ci/run)");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut all = BTreeMap::new();
    let mut cur: Option<(String, Fam)> = None;
    let mut in_groups = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("Name: ") {
            if let Some((n, f)) = cur.take() {
                all.insert(n, f);
            }
            cur = Some((name.trim().to_string(), Fam::default()));
            in_groups = false;
            continue;
        }
        let Some((_, f)) = cur.as_mut() else { continue };
        if t.starts_with("ID: ") {
            let w: Vec<&str> = t.split_whitespace().collect();
            f.id = hex(w[1]) as u16;
            f.version = hex(w[3]);
            f.hdrsize = w[6].parse().unwrap();
            f.maxattr = w[9].parse().unwrap();
        } else if t.starts_with("multicast groups:") {
            in_groups = true;
        } else if t.starts_with('#') {
            let w: Vec<&str> = t.split_whitespace().collect();
            let id = hex(w[1].trim_start_matches("ID-"));
            if in_groups {
                f.groups.push((w[3].to_string(), id));
            } else {
                f.ops.push((id, None));
            }
        } else if let Some(c) = t.strip_prefix("Capabilities (") {
            let flags = hex(c.trim_end_matches("):"));
            if let Some(last) = f.ops.last_mut() {
                last.1 = Some(flags);
            }
        }
    }
    if let Some((n, f)) = cur.take() {
        all.insert(n, f);
    }
    all
}

#[test]
fn resolves_families() {
    let mut c = Client::new().unwrap();
    let me = c.family().unwrap();
    assert_eq!(me.id, 0x10);
    let r = c.getfamily(&GetfamilyRequest::new().family_name("nlctrl")).unwrap();
    assert_eq!(r.family_id(), Ok(Some(0x10)));
    assert_eq!(r.family_name(), Ok(Some("nlctrl")));
    let ops: Vec<_> = r
        .ops()
        .unwrap()
        .map(|op| {
            let (_, op) = op.unwrap();
            (op.id().unwrap(), op.flags().unwrap())
        })
        .collect();
    assert!(ops.iter().any(|(id, f)| *id == Some(3) && f.unwrap().contains(OpFlags::CMD_CAP_DO)), "{ops:?}");
    let groups: Vec<_> =
        r.mcast_groups().unwrap().map(|g| g.unwrap().1.name().unwrap().unwrap_or("").to_string()).collect();
    assert_eq!(groups, ["notify"]);
}

#[test]
fn dump_matches_genl_ctrl_list() {
    let expected = genl_ctrl_list();
    let mut c = Client::new().unwrap();
    let mut got = BTreeMap::new();
    let mut it = c.getfamily_dump(&GetfamilyDumpRequest::new()).unwrap();
    while let Some(r) = it.next() {
        let r = r.unwrap();
        let f = Fam {
            id: r.family_id().unwrap().unwrap(),
            version: r.version().unwrap().unwrap(),
            hdrsize: r.hdrsize().unwrap().unwrap(),
            maxattr: r.maxattr().unwrap().unwrap(),
            ops: r
                .ops()
                .unwrap()
                .map(|o| {
                    let (_, o) = o.unwrap();
                    (o.id().unwrap().unwrap(), Some(o.flags().unwrap().unwrap().bits()))
                })
                .collect(),
            groups: r
                .mcast_groups()
                .unwrap()
                .map(|g| {
                    let (_, g) = g.unwrap();
                    (g.name().unwrap().unwrap().to_string(), g.id().unwrap().unwrap())
                })
                .collect(),
        };
        got.insert(r.family_name().unwrap().unwrap().to_string(), f);
    }
    assert!(got.len() >= 2, "{got:?}");
    // Where iproute2 did not print an op's flags, compare only the op ids.
    for (name, f) in got.iter_mut() {
        if let Some(e) = expected.get(name) {
            for (op, eop) in f.ops.iter_mut().zip(&e.ops) {
                if eop.1.is_none() {
                    op.1 = None;
                }
            }
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn getpolicy_dump_decodes_nest_type_value() {
    let mut c = Client::new().unwrap();
    let mut it = c.getpolicy_dump(&GetpolicyDumpRequest::new().family_name("nlctrl")).unwrap();
    let mut attrs = 0;
    let mut op_policies = 0;
    let mut string_seen = false;
    while let Some(r) = it.next() {
        let r = r.unwrap();
        assert_eq!(r.family_id(), Ok(Some(0x10)));
        for e in r.policy().unwrap() {
            let (policy_idx, attr_type, p) = e.unwrap();
            attrs += 1;
            let ty = p.type_().unwrap().expect("every policy entry has a type");
            assert!(ty.is_known(), "policy {policy_idx} attr {attr_type}: unknown type {ty:?}");
            if ty == AttrType::NUL_STRING {
                string_seen = true;
                assert!(p.max_length().unwrap().is_some());
            }
        }
        for e in r.op_policy().unwrap() {
            let (_op, p) = e.unwrap();
            op_policies += 1;
            assert!(p.do_().unwrap().is_some() || p.dump().unwrap().is_some());
        }
    }
    assert!(attrs >= 3, "policy entries: {attrs}");
    assert!(op_policies >= 1);
    assert!(string_seen, "nlctrl's family-name is an NLA_NUL_STRING");
}

#[test]
fn missing_family_is_enoent() {
    // nlctrl's getfamily returns a bare -ENOENT (no extended-ACK attributes); the decoded
    // extended ACK is exercised by `policy_violation_names_the_attribute`.
    let mut c = Client::new().unwrap();
    let e = c.getfamily(&GetfamilyRequest::new().family_name("no-such-family")).unwrap_err();
    assert_eq!(e.errno(), Some(2), "ENOENT expected: {e}");
}

#[test]
fn policy_violation_names_the_attribute() {
    // family-name is NLA_NUL_STRING of at most GENL_NAMSIZ - 1 bytes: the kernel rejects a
    // longer one, and the extended ACK's offset comes back as the attribute's spec name.
    let mut c = Client::new().unwrap();
    let e = c.getfamily(&GetfamilyRequest::new().family_name("a-family-name-far-too-long")).unwrap_err();
    match &e {
        nlspec_rt::Error::Kernel { errno, path, policy, .. } => {
            assert_eq!(*errno, 22, "EINVAL expected: {e}");
            assert_eq!(path.as_ref().map(|p| p.to_string()).as_deref(), Some(".family-name"), "{e}");
            assert!(policy.is_some(), "{e}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn small_receive_buffer_still_returns_everything() {
    let mut big = Client::new().unwrap();
    let mut all = Vec::new();
    let mut it = big.getfamily_dump(&GetfamilyDumpRequest::new()).unwrap();
    while let Some(r) = it.next() {
        all.push(r.unwrap().family_name().unwrap().unwrap().to_string());
    }
    let mut small = Client::new().unwrap();
    small.socket().set_rx_buffer(256, true);
    small.socket().set_rcvbuf(4096).unwrap();
    let mut got = Vec::new();
    let mut it = small.getfamily_dump(&GetfamilyDumpRequest::new()).unwrap();
    while let Some(r) = it.next() {
        got.push(r.unwrap().family_name().unwrap().unwrap().to_string());
    }
    drop(it);
    all.sort();
    got.sort();
    assert_eq!(all, got);
    assert!(small.socket().datagrams_received() >= 2);
}

/// A Generic Netlink dump through `try_for_each` lends the replies `next` returns.
#[test]
fn try_for_each_lends_what_next_returns() {
    let mut c = Client::new().unwrap();
    let key = |r: &nlspec_nlctrl::GetfamilyReply<'_>| {
        (
            r.family_id().unwrap(),
            r.family_name().unwrap().map(str::to_owned),
            r.ops().unwrap().map(Result::unwrap).count(),
            r.mcast_groups().unwrap().map(Result::unwrap).count(),
        )
    };
    let mut by_next = Vec::new();
    let mut it = c.getfamily_dump(&GetfamilyDumpRequest::new()).unwrap();
    while let Some(r) = it.next() {
        by_next.push(key(&r.unwrap()));
    }
    drop(it);
    let mut by_each = Vec::new();
    c.getfamily_dump(&GetfamilyDumpRequest::new())
        .unwrap()
        .try_for_each(|r| {
            by_each.push(key(r));
            Ok::<_, nlspec_rt::Error>(())
        })
        .unwrap();
    assert!(by_next.len() >= 2, "{by_next:?}");
    assert_eq!(by_each, by_next);
}

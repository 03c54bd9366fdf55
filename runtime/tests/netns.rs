//! Tests that change networking state, each in a private network namespace of its own: the
//! test re-executes this binary for itself under `unshare --net` (root needed; skipped with a
//! message otherwise), so the host's interfaces are never touched. rtnetlink (`NETLINK_ROUTE`)
//! through [`NlSocket`] makes what the host kernel cannot be asked for otherwise: datagrams
//! larger than the receive buffer, interrupted dumps, notification floods.

use std::process::Command;
use std::time::{Duration, Instant};

use nlspec_rt::attr::Attrs;
use nlspec_rt::{AttrWriter, Error, NlMsg, NlRequest, NlSocket, DEFAULT_RX_BUFFER};

const NETLINK_ROUTE: u32 = 0;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWLINKPROP: u16 = 108;
const IFLA_IFNAME: u16 = 3;
const IFLA_EXT_MASK: u16 = 29;
const RTEXT_FILTER_VF: u32 = 1;
const IFLA_PROP_LIST: u16 = 52;
const IFLA_ALT_IFNAME: u16 = 53;
const NLA_F_NESTED: u16 = 1 << 15;
const IFF_UP: u32 = 1;
/// `RTNLGRP_LINK`.
const GROUP_LINK: u32 = 1;
const LO: i32 = 1;

/// Run `body` in a fresh network namespace: in the child started for this one test, run it;
/// in the parent, start that child (this binary, `--exact name`, under `unshare --net`) and
/// require it to pass.
fn in_netns(name: &str, body: impl FnOnce()) {
    if std::env::var_os("NLSPEC_RT_IN_NETNS").is_some() {
        body();
        return;
    }
    if Command::new("unshare").args(["--net", "true"]).status().map_or(true, |s| !s.success()) {
        eprintln!("SKIP {name}: cannot create a network namespace (`unshare --net` needs root)");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("unshare")
        .arg("--net")
        .arg("--")
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("NLSPEC_RT_IN_NETNS", "1")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("--- {name} in its network namespace ---\n{text}");
    assert!(out.status.success(), "{name} failed in its network namespace");
    assert!(text.contains("1 passed"), "the child did not run {name}");
}

/// `struct ifinfomsg` for interface `index`.
fn ifinfomsg(index: i32, flags: u32, change: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

fn set_lo_up(s: &mut NlSocket, up: bool) {
    let h = ifinfomsg(LO, if up { IFF_UP } else { 0 }, IFF_UP);
    s.request_ack(&NlRequest::new(RTM_NEWLINK).header(&h), |_| {}).unwrap();
}

/// (ifindex, ifname, alternative names) of an `RTM_NEWLINK` message.
fn link(m: &NlMsg<'_>) -> (i32, String, Vec<String>) {
    assert_eq!(m.hdr.ty, RTM_NEWLINK);
    let p = m.payload();
    let index = i32::from_ne_bytes(p[4..8].try_into().unwrap());
    let attrs = Attrs::new(&p[16..]);
    let name = attrs.find(IFLA_IFNAME).unwrap().unwrap().get_str().unwrap().to_owned();
    let mut alt = Vec::new();
    if let Some(list) = attrs.find(IFLA_PROP_LIST).unwrap() {
        for a in list.nested() {
            let a = a.unwrap();
            if a.ty() == IFLA_ALT_IFNAME {
                alt.push(a.get_str().unwrap().to_owned());
            }
        }
    }
    (index, name, alt)
}

/// `lo` with 300 alternative names of 120 bytes: its `RTM_NEWLINK` message is ~40 KiB, larger
/// than the default receive buffer, as a do reply, as a dump datagram (rtnetlink sizes link
/// dump datagrams after the largest link, `min_dump_alloc`) and as a notification. Each arrives
/// whole with growing buffers (the default: one `recvmsg` spilling past the buffer; a small
/// one: peeked first), and is reported as truncated with a fixed buffer.
#[test]
fn link_messages_larger_than_the_buffer_arrive_whole() {
    in_netns("link_messages_larger_than_the_buffer_arrive_whole", || {
        let mut s = NlSocket::open(NETLINK_ROUTE).unwrap();
        let names: Vec<String> = (0..300).map(|i| format!("alt{i:03}-{}", "x".repeat(116))).collect();
        for chunk in names.chunks(50) {
            let mut nest = Vec::new();
            let mut w = AttrWriter::new(&mut nest);
            for n in chunk {
                w.put_str(IFLA_ALT_IFNAME, n);
            }
            w.finish().unwrap();
            let h = ifinfomsg(LO, 0, 0);
            s.request_ack(&NlRequest::new(RTM_NEWLINKPROP).header(&h), |w| {
                w.put_raw(IFLA_PROP_LIST | NLA_F_NESTED, &nest)
            })
            .unwrap();
        }
        let mut listener = NlSocket::open(NETLINK_ROUTE).unwrap();
        listener.subscribe_id(GROUP_LINK).unwrap();

        let h = ifinfomsg(LO, 0, 0);
        let getlink = NlRequest::new(RTM_GETLINK).header(&h);
        for small in [false, true] {
            let mut c = NlSocket::open(NETLINK_ROUTE).unwrap();
            if small {
                c.set_rx_buffer(256, true);
            }
            let d0 = c.datagrams_received();
            let reply = c.request(&getlink, |_| {}).unwrap();
            let len = reply.bytes().len();
            assert!(len > DEFAULT_RX_BUFFER, "{len}");
            assert!(link(&reply) == (LO, "lo".to_owned(), names.clone()), "the link differs");
            assert_eq!(c.datagrams_received() - d0, 2, "reply + ACK");

            // With IFLA_EXT_MASK (as `ip link` sends it) rtnetlink sizes the dump datagrams
            // for the largest link (`rtnl_calcit`); without it they are NLMSG_GOODSIZE and a
            // larger link is left out of the dump without an error.
            let all = NlRequest::new(RTM_GETLINK).header(&[0; 16]);
            let d0 = c.datagrams_received();
            let mut it = c.dump(&all, |w| w.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_VF)).unwrap();
            let mut links = Vec::new();
            while let Some(m) = it.next() {
                links.push(link(&m.unwrap()));
            }
            drop(it);
            assert_eq!(links.len(), 1);
            assert!(c.datagrams_received() - d0 <= 2, "the link and DONE: one or two datagrams");
            assert!(links == [(LO, "lo".to_owned(), names.clone())], "the dumped link differs");
            assert!(c.rx_buffer_size() >= len);
            eprintln!("small={small}: {len}-byte reply, buffer now {} bytes", c.rx_buffer_size());
        }

        let mut fixed = NlSocket::open(NETLINK_ROUTE).unwrap();
        fixed.set_rx_buffer(DEFAULT_RX_BUFFER, false);
        match fixed.request(&getlink, |_| {}) {
            Err(Error::Truncated { len, buffer }) => assert!(len > buffer && buffer == DEFAULT_RX_BUFFER),
            other => panic!("expected Truncated, got {other:?}"),
        }

        // A notification of the same size: `lo` goes up.
        set_lo_up(&mut s, true);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = listener.recv_notification_timeout(left).unwrap().expect("RTM_NEWLINK notification");
            if n.msg.hdr.ty == RTM_NEWLINK {
                assert!(n.msg.bytes().len() > DEFAULT_RX_BUFFER);
                assert!(link(&n.msg).2 == names, "the notified link differs");
                break;
            }
        }
    });
}

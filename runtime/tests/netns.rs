//! Tests that change networking state, each in a private network namespace of its own: the
//! test re-executes this binary for itself under `unshare --net` (root needed; fails with a
//! message otherwise), so the host's interfaces are never touched. rtnetlink (`NETLINK_ROUTE`)
//! through [`NlSocket`] makes what the host kernel cannot be asked for otherwise: datagrams
//! larger than the receive buffer, interrupted dumps, notification floods.

use std::process::Command;
use std::time::{Duration, Instant};

use nlspec_rt::attr::Attrs;
use nlspec_rt::{AttrWriter, DumpRetry, Error, NlMsg, NlRequest, NlSocket, DEFAULT_RX_BUFFER};

const NETLINK_ROUTE: u32 = 0;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_GETADDR: u16 = 22;
const RTM_NEWLINKPROP: u16 = 108;
const IFLA_IFNAME: u16 = 3;
const IFLA_EXT_MASK: u16 = 29;
const RTEXT_FILTER_VF: u32 = 1;
const IFLA_PROP_LIST: u16 = 52;
const IFLA_ALT_IFNAME: u16 = 53;
const NLA_F_NESTED: u16 = 1 << 15;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const IFF_UP: u32 = 1;
/// `RTNLGRP_LINK`, `RTNLGRP_IPV4_IFADDR`.
const GROUP_LINK: u32 = 1;
const GROUP_IPV4_IFADDR: u32 = 5;
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
        panic!("{name}: cannot create a network namespace (`unshare --net` needs root and util-linux)");
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

/// `struct ifaddrmsg`: IPv4, /32, on `lo`.
fn ifaddrmsg() -> [u8; 8] {
    let mut h = [0u8; 8];
    h[0] = libc::AF_INET as u8;
    h[1] = 32;
    h[4..8].copy_from_slice(&(LO as u32).to_ne_bytes());
    h
}

/// The `n`th test address, 10.a.b.c.
fn addr(n: u32) -> [u8; 4] {
    let v = (10 << 24) | (n + 1);
    v.to_be_bytes()
}

fn set_addr(s: &mut NlSocket, n: u32, add: bool) -> Result<(), Error> {
    let h = ifaddrmsg();
    let req = if add {
        NlRequest::new(RTM_NEWADDR).flags(NLM_F_CREATE | NLM_F_EXCL).header(&h)
    } else {
        NlRequest::new(RTM_DELADDR).header(&h)
    };
    s.request_ack(&req, |w| {
        w.put_raw(IFA_LOCAL, &addr(n));
        w.put_raw(IFA_ADDRESS, &addr(n));
    })
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

/// Give link `index` 300 alternative names of 120 bytes starting with `prefix` (its
/// `RTM_NEWLINK` message grows to ~40 KiB); returns them.
fn add_alt_names(s: &mut NlSocket, index: i32, prefix: &str) -> Vec<String> {
    let names: Vec<String> = (0..300).map(|i| format!("{prefix}{i:03}-{}", "x".repeat(116))).collect();
    for chunk in names.chunks(50) {
        let mut nest = Vec::new();
        let mut w = AttrWriter::new(&mut nest);
        for n in chunk {
            w.put_str(IFLA_ALT_IFNAME, n);
        }
        w.finish().unwrap();
        let h = ifinfomsg(index, 0, 0);
        s.request_ack(&NlRequest::new(RTM_NEWLINKPROP).header(&h), |w| w.put_raw(IFLA_PROP_LIST | NLA_F_NESTED, &nest))
            .unwrap();
    }
    names
}

/// Two ~40 KiB links in one dump: the first datagram comes after small ones (received with
/// `recvfrom` into spill space, then copied), the second right after a large one (received
/// with `recvmsg` straight into the buffer, spilling past it): each arrives whole, and so do
/// the `NLMSG_DONE` and a do's reply and ACK after them, dump after dump.
#[test]
fn consecutive_large_dump_datagrams_arrive_whole() {
    in_netns("consecutive_large_dump_datagrams_arrive_whole", || {
        let kind = ["dummy", "ifb"]
            .into_iter()
            .find(|k| Command::new("ip").args(["link", "add", "big1", "type", k]).status().is_ok_and(|s| s.success()))
            .expect("this kernel has neither dummy nor ifb links");
        let mut s = NlSocket::open(NETLINK_ROUTE).unwrap();
        let by_name = NlRequest::new(RTM_GETLINK).header(&[0; 16]);
        let big1 = link(&s.request(&by_name, |w| w.put_str(IFLA_IFNAME, "big1")).unwrap()).0;
        assert!(big1 > LO, "index of big1 ({kind})");
        let lo_names = add_alt_names(&mut s, LO, "lo");
        let big1_names = add_alt_names(&mut s, big1, "b1");

        let all = NlRequest::new(RTM_GETLINK).header(&[0; 16]);
        let mut c = NlSocket::open(NETLINK_ROUTE).unwrap();
        for round in 0..3 {
            let d0 = c.datagrams_received();
            let mut it = c.dump(&all, |w| w.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_VF)).unwrap();
            let mut links = Vec::new();
            while let Some(m) = it.next() {
                let m = m.unwrap();
                assert!(m.bytes().len() > DEFAULT_RX_BUFFER, "round {round}: {} bytes", m.bytes().len());
                links.push(link(&m));
            }
            drop(it);
            assert!(c.datagrams_received() - d0 >= 2, "round {round}: one datagram per link");
            assert!(
                links == [(LO, "lo".to_owned(), lo_names.clone()), (big1, "big1".to_owned(), big1_names.clone())],
                "round {round}: the dumped links differ"
            );
            let h = ifinfomsg(LO, 0, 0);
            let reply = c.request(&NlRequest::new(RTM_GETLINK).header(&h), |_| {}).unwrap();
            assert!(link(&reply) == (LO, "lo".to_owned(), lo_names.clone()), "round {round}: the do's reply differs");
        }
    });
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
        let names = add_alt_names(&mut s, LO, "alt");
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

/// `struct ifaddrmsg` of an IPv4 address dump request (strict checking: all else zero).
const GETADDR_V4: [u8; 8] = [libc::AF_INET as u8, 0, 0, 0, 0, 0, 0, 0];

/// The IPv4 addresses of an `RTM_NEWADDR` message.
fn address(m: &NlMsg<'_>) -> [u8; 4] {
    assert_eq!(m.hdr.ty, RTM_NEWADDR);
    let a = Attrs::new(&m.payload()[8..]).find(IFA_LOCAL).unwrap().expect("IFA_LOCAL");
    a.get_bytes().try_into().unwrap()
}

/// Dump every IPv4 address (on `s`, whose dump policy applies): the addresses of the last
/// attempt, the number of restarts, or the error that ended the dump.
fn dump_addresses(s: &mut NlSocket, between: &mut dyn FnMut(usize)) -> Result<(Vec<[u8; 4]>, u32), Error> {
    let req = NlRequest::new(RTM_GETADDR).header(&GETADDR_V4);
    let mut it = s.dump(&req, |_| {})?;
    let (mut out, mut seen) = (Vec::new(), 0);
    while let Some(m) = it.next() {
        let a = address(&m?);
        if it.restarts() != seen {
            seen = it.restarts();
            out.clear();
        }
        out.push(a);
        between(out.len());
    }
    Ok((out, it.restarts()))
}

/// `NLM_F_DUMP_INTR` provoked for real: 200 addresses dumped through a small buffer (several
/// datagrams, each built while the previous one is received), and an address added by another
/// socket after the first message. Default policy: the dump ends with `DumpInterrupted`. Under
/// `DumpRetry::Retry`: the dump restarts once and returns the complete, current list.
#[test]
fn interrupted_dump_fails_or_restarts() {
    in_netns("interrupted_dump_fails_or_restarts", || {
        let mut changer = NlSocket::open(NETLINK_ROUTE).unwrap();
        for n in 0..200 {
            set_addr(&mut changer, n, true).unwrap();
        }
        drop(changer);
        let mut d = NlSocket::open(NETLINK_ROUTE).unwrap();
        d.set_rx_buffer(256, true); // NLMSG_GOODSIZE datagrams: several for 200 addresses
        let (all, restarts) = dump_addresses(&mut d, &mut |_| {}).unwrap();
        assert_eq!((all.len(), restarts), (200, 0));

        // One new address, right after the first message of the dump.
        let change = |n: u32| {
            let mut armed = true;
            move |i: usize| {
                if i == 1 && std::mem::take(&mut armed) {
                    let mut s = NlSocket::open(NETLINK_ROUTE).unwrap();
                    set_addr(&mut s, n, true).unwrap();
                }
            }
        };
        match dump_addresses(&mut d, &mut change(200)) {
            Err(Error::DumpInterrupted) => {}
            other => panic!("expected DumpInterrupted, got {other:?}"),
        }
        // The socket is fine afterwards (the rest of the interrupted dump was drained).
        assert_eq!(dump_addresses(&mut d, &mut |_| {}).unwrap().0.len(), 201);

        d.set_dump_retry(DumpRetry::Retry { max_attempts: 3 });
        let (got, restarts) = dump_addresses(&mut d, &mut change(201)).unwrap();
        assert_eq!(restarts, 1);
        let mut want: Vec<[u8; 4]> = (0..202).map(addr).collect();
        let mut got_sorted = got.clone();
        want.sort_unstable();
        got_sorted.sort_unstable();
        assert_eq!(got_sorted, want, "the last attempt's complete list, no duplicates");
    });
}

/// A notification listener with a tiny receive queue, flooded with 300 address notifications:
/// the kernel drops some and says so (`ENOBUFS`), reported once as `NotificationsLost`. The
/// resynchronisation pattern: on `NotificationsLost`, re-dump (here on another socket) and go on
/// applying notifications, which are full-state events in order and so converge onto the dump.
/// Notifications flow again afterwards, and the state built that way matches a fresh dump.
#[test]
fn notification_overflow_is_reported_and_resynchronised() {
    in_netns("notification_overflow_is_reported_and_resynchronised", || {
        let mut listener = NlSocket::open(NETLINK_ROUTE).unwrap();
        listener.subscribe_id(GROUP_IPV4_IFADDR).unwrap();
        listener.set_rcvbuf(1).unwrap(); // the kernel's minimum, a few KiB
        let mut changer = NlSocket::open(NETLINK_ROUTE).unwrap();
        for n in 0..300 {
            set_addr(&mut changer, n, true).unwrap();
        }

        let mut state = std::collections::BTreeSet::new();
        let (mut got, mut lost) = (0, 0);
        let deadline = Instant::now() + Duration::from_secs(10);
        let resync = |state: &mut std::collections::BTreeSet<[u8; 4]>| {
            let mut d = NlSocket::open(NETLINK_ROUTE).unwrap();
            d.set_dump_retry(DumpRetry::Retry { max_attempts: 5 });
            *state = dump_addresses(&mut d, &mut |_| {}).unwrap().0.into_iter().collect();
        };
        loop {
            assert!(Instant::now() < deadline, "bounded in time");
            match listener.recv_notification_timeout(Duration::from_millis(100)) {
                Ok(Some(n)) => {
                    got += 1;
                    let a = address(&n.msg);
                    if n.msg.hdr.ty == RTM_NEWADDR {
                        state.insert(a);
                    }
                }
                Ok(None) => break,
                Err(Error::NotificationsLost) => {
                    lost += 1;
                    resync(&mut state);
                }
                Err(e) => panic!("{e}"),
            }
        }
        eprintln!("flood: {got} of 300 notifications received, loss reported {lost} time(s)");
        assert!(got < 300, "the queue must have overflowed");
        assert_eq!(lost, 1);
        assert_eq!(state.len(), 300, "the re-dump filled in what was lost");

        // Notifications flow again: a change after the flood arrives, and the state built from
        // the dump plus notifications matches a fresh dump.
        set_addr(&mut changer, 300, true).unwrap();
        set_addr(&mut changer, 0, false).unwrap();
        for want in [(RTM_NEWADDR, addr(300)), (RTM_DELADDR, addr(0))] {
            let n = listener.recv_notification_timeout(Duration::from_secs(5)).unwrap().expect("a notification");
            let a = Attrs::new(&n.msg.payload()[8..]).find(IFA_LOCAL).unwrap().unwrap();
            assert_eq!((n.msg.hdr.ty, a.get_bytes()), (want.0, &want.1[..]));
            if want.0 == RTM_NEWADDR {
                state.insert(want.1);
            } else {
                state.remove(&want.1);
            }
        }
        let mut d = NlSocket::open(NETLINK_ROUTE).unwrap();
        let fresh: std::collections::BTreeSet<_> = dump_addresses(&mut d, &mut |_| {}).unwrap().0.into_iter().collect();
        assert_eq!(state, fresh);
    });
}

/// A flood on the link and address groups while the subscriber is busy with a dump of its own:
/// the kernel's queue overflows (`ENOBUFS`) and the notifications that reach the socket during
/// the dump are queued in user space only up to the socket's bound
/// (`set_notification_queue_limit`), so memory stays bounded however long the dump and the
/// flood last. The dump itself is complete; the loss is reported once, typed
/// (`NotificationsLost`); the socket keeps working for requests and notifications.
#[test]
fn notification_flood_during_a_dump_stays_bounded() {
    in_netns("notification_flood_during_a_dump_stays_bounded", || {
        const QUEUE_LIMIT: usize = 4096;
        let mut listener = NlSocket::open(NETLINK_ROUTE).unwrap();
        listener.subscribe_id(GROUP_LINK).unwrap();
        listener.subscribe_id(GROUP_IPV4_IFADDR).unwrap();
        // A kernel queue much larger than the user-space bound: notifications reach the socket
        // during the dump in numbers, and the bound is what stops them.
        listener.set_rcvbuf(256 * 1024).unwrap();
        listener.set_notification_queue_limit(QUEUE_LIMIT);
        let mut changer = NlSocket::open(NETLINK_ROUTE).unwrap();
        set_lo_up(&mut changer, true);
        for n in 0..400 {
            set_addr(&mut changer, n, true).unwrap();
            if n % 50 == 0 {
                set_lo_up(&mut changer, n % 100 == 0);
            }
        }
        // While the listener dumps (through a small buffer: many datagrams), the changer keeps
        // going (link changes), so notifications keep arriving between the dump's datagrams.
        listener.set_rx_buffer(512, true);
        listener.set_dump_intr_fatal(false);
        let mut flood_during = 0u32;
        let (addrs, _) = {
            let mut between = |n: usize| {
                // lo down and up: link notifications (the dump is flagged interrupted by them,
                // which this test does not care about: its addresses do not change).
                if n % 20 == 0 {
                    set_lo_up(&mut changer, false);
                    set_lo_up(&mut changer, true);
                    flood_during += 1;
                }
            };
            let mut d = listener;
            let r = dump_addresses(&mut d, &mut between);
            listener = d;
            r.unwrap()
        };
        let ours = addrs.iter().filter(|a| a[0] == 10).collect::<std::collections::BTreeSet<_>>().len();
        assert_eq!(ours, 400, "the dump is complete despite the flood (lo's 127.0.0.1 aside)");
        let queued = listener.queued_notifications();
        eprintln!(
            "flood: {flood_during} lo down/up pairs during the dump; {queued} notifications queued (bound {QUEUE_LIMIT} bytes), receive buffer {} bytes",
            listener.rx_buffer_size()
        );
        assert!(flood_during >= 10, "the flood ran during the dump");
        // Each notification is at least an nlmsghdr + ifaddrmsg: the bound holds.
        assert!(queued >= 1, "notifications were queued during the dump");
        assert!(queued * 24 <= QUEUE_LIMIT, "{queued} queued notifications exceed the {QUEUE_LIMIT}-byte bound");
        assert!(listener.rx_buffer_size() <= 64 * 1024, "receive buffer grew to {}", listener.rx_buffer_size());

        let (mut got, mut lost) = (0, 0);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "bounded in time");
            match listener.recv_notification_timeout(Duration::from_millis(100)) {
                Ok(Some(_)) => got += 1,
                Ok(None) => break,
                Err(Error::NotificationsLost) => lost += 1,
                Err(e) => panic!("{e}"),
            }
        }
        eprintln!("after the dump: {got} notifications read, loss reported {lost} time(s)");
        assert!(lost >= 1, "the overflow was reported");
        assert!(got < 400 + 2 * flood_during as usize + 8, "some were dropped");
        // Still usable: a request, then a fresh notification.
        let mut it = listener.dump(&NlRequest::new(RTM_GETLINK).header(&ifinfomsg(0, 0, 0)), |_| {}).unwrap();
        let mut links = 0;
        while let Some(m) = it.next() {
            m.unwrap();
            links += 1;
        }
        drop(it);
        assert!(links >= 1);
        set_addr(&mut changer, 5000, true).unwrap();
        let n = listener.recv_notification_timeout(Duration::from_secs(5)).unwrap().expect("a notification");
        assert_eq!(n.msg.hdr.ty, RTM_NEWADDR);
        assert_eq!(address(&n.msg), addr(5000));
    });
}

/// A namespace that lives while the value does: `unshare --net sleep` (unshare execs sleep, so
/// its pid's `ns/net` is the new namespace).
struct ChildNetns(std::process::Child);

impl ChildNetns {
    fn new() -> ChildNetns {
        let child = Command::new("unshare").args(["--net", "--", "sleep", "120"]).spawn().expect("unshare --net sleep");
        let me = std::fs::read_link("/proc/self/ns/net").unwrap();
        let path = format!("/proc/{}/ns/net", child.id());
        // Wait until unshare has moved the child (its ns/net differs from ours).
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_link(&path).map_or(true, |l| l == me) {
            assert!(Instant::now() < deadline, "unshare --net did not make a namespace");
            std::thread::sleep(Duration::from_millis(10));
        }
        ChildNetns(child)
    }
    fn path(&self) -> std::path::PathBuf {
        format!("/proc/{}/ns/net", self.0.id()).into()
    }
}

impl Drop for ChildNetns {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sockets opened in another namespace (by path, by descriptor; NlSocket, GenlSocket) act there
/// and only there, and the opening thread stays where it was: an address added through the
/// other namespace's socket is seen by its dump and by `ip` entered into it, not by a socket of
/// the test's own namespace.
#[test]
fn sockets_open_in_a_chosen_namespace() {
    in_netns("sockets_open_in_a_chosen_namespace", || {
        use nlspec_rt::{GenlSocket, Netns};
        let other = ChildNetns::new();
        let path = other.path();
        let mut there = NlSocket::open_in(NETLINK_ROUTE, Netns::Path(&path)).unwrap();
        set_addr(&mut there, 77, true).unwrap();
        let (in_other, _) = dump_addresses(&mut there, &mut |_| {}).unwrap();
        assert!(in_other.contains(&addr(77)), "{in_other:?}");

        // The same namespace by descriptor sees it too.
        let file = std::fs::File::open(&path).unwrap();
        let mut by_fd = NlSocket::open_in(NETLINK_ROUTE, Netns::Fd(std::os::fd::AsFd::as_fd(&file))).unwrap();
        let (again, _) = dump_addresses(&mut by_fd, &mut |_| {}).unwrap();
        assert_eq!(again, in_other);

        // Our own namespace (this thread's) does not.
        let mut here = NlSocket::open(NETLINK_ROUTE).unwrap();
        let (in_ours, _) = dump_addresses(&mut here, &mut |_| {}).unwrap();
        assert!(!in_ours.contains(&addr(77)), "{in_ours:?}");

        // iproute2 entered into the namespace agrees.
        let pid = other.0.id().to_string();
        let out = Command::new("nsenter").args(["-t", &pid, "-n", "ip", "-j", "-4", "addr", "show"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("\"10.0.0.78\""),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );

        // Generic Netlink in the other namespace resolves nlctrl there.
        let mut genl = GenlSocket::new_in(Netns::Path(&path)).unwrap();
        assert_eq!(genl.resolve_family("nlctrl").unwrap().id, 0x10);
    });
}

/// Bad namespaces are errors naming what was asked for, never a socket in the wrong place.
#[test]
fn bad_namespaces_are_named_errors() {
    use nlspec_rt::Netns;
    let e = NlSocket::open_in(NETLINK_ROUTE, Netns::Named("a/b")).unwrap_err().to_string();
    assert!(e.contains("`a/b` is not a network namespace name"), "{e}");
    let e = NlSocket::open_in(NETLINK_ROUTE, Netns::Named("nlspec-no-such-netns")).unwrap_err().to_string();
    assert!(e.contains("/var/run/netns/nlspec-no-such-netns"), "{e}");
    // A file that is not a namespace: setns refuses it (EINVAL).
    let e = NlSocket::open_in(NETLINK_ROUTE, Netns::Path(std::path::Path::new("/proc/self/status"))).unwrap_err();
    assert!(e.to_string().contains("entering network namespace /proc/self/status"), "{e}");
}

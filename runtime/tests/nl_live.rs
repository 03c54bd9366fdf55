//! [`NlSocket`], the socket of any netlink protocol, against the host kernel's rtnetlink
//! (`NETLINK_ROUTE`, always present): a dump, a do with its reply, a kernel error with its
//! extended ACK resolved after the fixed header, an abandoned dump drained before the next
//! request. Read-only: nothing is changed on the host.

use nlspec_rt::attr::Attrs;
use nlspec_rt::{AttrInfo, AttrSet, Error, NestKind, NlMsg, NlRequest, NlSocket};

const NETLINK_ROUTE: u32 = 0;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const IFLA_IFNAME: u16 = 3;
/// `struct ifinfomsg`, all zero (`AF_UNSPEC`, any interface).
const IFINFOMSG: [u8; 16] = [0; 16];

static LINK_ATTRS: AttrSet =
    AttrSet { name: "link-attrs", attrs: &[AttrInfo { ty: IFLA_IFNAME, name: "ifname", nest: NestKind::None }] };

/// (ifindex, ifname) of an `RTM_NEWLINK` message.
fn link(m: &NlMsg<'_>) -> (i32, String) {
    assert_eq!(m.hdr.ty, RTM_NEWLINK);
    let p = m.payload();
    let index = i32::from_ne_bytes(p[4..8].try_into().unwrap());
    let name = Attrs::new(&p[16..]).find(IFLA_IFNAME).unwrap().expect("IFLA_IFNAME").get_str().unwrap().to_owned();
    (index, name)
}

#[test]
fn rtnetlink_dump_do_and_error() {
    let mut s = NlSocket::open(NETLINK_ROUTE).unwrap();
    assert_ne!(s.port_id(), 0);
    let getlink = NlRequest::new(RTM_GETLINK).header(&IFINFOMSG).schema(&LINK_ATTRS);

    let mut links = Vec::new();
    let mut it = s.dump(&getlink, |_| {}).unwrap();
    while let Some(m) = it.next() {
        links.push(link(&m.unwrap()));
    }
    assert!(it.warning().is_none());
    drop(it);
    assert!(links.contains(&(1, "lo".to_owned())), "{links:?}");

    // A do: its one reply (request), or every reply until the ACK (request_all).
    let put_lo = |w: &mut nlspec_rt::AttrWriter<'_>| w.put_str(IFLA_IFNAME, "lo");
    assert_eq!(link(&s.request(&getlink, put_lo).unwrap()), (1, "lo".to_owned()));
    let mut it = s.request_all(&getlink, put_lo).unwrap();
    let mut n = 0;
    while let Some(m) = it.next() {
        assert_eq!(link(&m.unwrap()), (1, "lo".to_owned()));
        n += 1;
    }
    assert_eq!(n, 1);
    drop(it);
    s.request_ack(&getlink, put_lo).unwrap();

    // Too long a name: the policy's ERANGE, pointing after nlmsghdr + ifinfomsg (no genl header).
    let e = s.request(&getlink, |w| w.put_str(IFLA_IFNAME, "an-interface-name-too-long")).unwrap_err();
    let Error::Kernel { errno, path, offset, .. } = &e else { panic!("{e}") };
    assert_eq!(*errno, libc::ERANGE, "{e}");
    assert_eq!(*offset, Some(32), "{e}");
    assert_eq!(path.as_ref().unwrap().to_string(), ".ifname", "{e}");

    // A dump abandoned after its first message is drained before the next request.
    let mut it = s.dump(&getlink, |_| {}).unwrap();
    it.next().unwrap().unwrap();
    drop(it);
    assert_eq!(link(&s.request(&getlink, put_lo).unwrap()).1, "lo");
}

#[test]
fn open_rejects_bad_protocols() {
    assert!(matches!(NlSocket::open(u32::MAX), Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::InvalidInput));
    // MAX_LINKS is 32: no netlink protocol has a larger number.
    assert!(matches!(NlSocket::open(40), Err(Error::Io(_))));
}

/// A 100 KiB multicast datagram from user space (`NETLINK_USERSOCK` lets any process send to
/// its groups) arrives whole as a notification: through the default buffer (one `recvmsg`,
/// the rest spilled and appended) and through a small growing one (peeked first).
#[test]
fn multicast_larger_than_the_buffer_arrives_whole() {
    const NETLINK_USERSOCK: u32 = 2;
    const GROUP: u32 = 29; // unlikely to be used by anything else on the host
    for small in [false, true] {
        let mut rx = NlSocket::open(NETLINK_USERSOCK).unwrap();
        if small {
            rx.set_rx_buffer(256, true);
        }
        rx.subscribe_id(GROUP).unwrap();
        let mut tx = NlSocket::open(NETLINK_USERSOCK).unwrap();
        tx.set_user_unicast(true).unwrap(); // it sends the unicast copy to itself
        let len = 100 * 1024;
        let mut msg = nlspec_rt::msg::NlMsgHdr { len: len as u32, ty: 0x77, flags: 0, seq: 9, pid: tx.port_id() }
            .to_bytes()
            .to_vec();
        msg.extend((0..len - msg.len()).map(|i| (i % 251) as u8));
        // Multicast, plus a unicast copy back to the sender itself (user space has no kernel
        // socket on this protocol: the unicast part of a send to port 0 would be refused).
        let own = tx.port_id();
        tx.send_raw_to(&msg, own, 1 << (GROUP - 1)).unwrap();
        let n = rx.recv_notification_timeout(std::time::Duration::from_secs(5)).unwrap().expect("the datagram");
        assert_eq!(n.group, GROUP);
        assert_eq!(n.msg.hdr.ty, 0x77);
        assert!(n.msg.bytes() == &msg[..], "small={small}: the datagram arrived altered");
        assert_eq!(rx.datagrams_received(), 1);
    }
}

/// A socket takes unicasts from the kernel only: another process's unicast to it is refused at
/// the sender (the kernel's check, so replies cannot be forged by a local process), until the
/// socket accepts user unicasts; then the datagram arrives with its sender's port id.
#[test]
fn user_unicast_is_refused_unless_accepted() {
    const NETLINK_USERSOCK: u32 = 2;
    let mut rx = NlSocket::open(NETLINK_USERSOCK).unwrap();
    let mut tx = NlSocket::open(NETLINK_USERSOCK).unwrap();
    let msg = nlspec_rt::msg::NlMsgHdr { len: 16, ty: 0x77, flags: 0, seq: 5, pid: tx.port_id() }.to_bytes();
    match tx.send_raw_to(&msg, rx.port_id(), 0) {
        Err(Error::Io(e)) => assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED), "{e}"),
        r => panic!("a unicast to a socket connected to the kernel: {r:?}"),
    }
    rx.set_user_unicast(true).unwrap();
    tx.send_raw_to(&msg, rx.port_id(), 0).unwrap();
    let mut buf = Vec::new();
    let got = rx.recv_raw_timeout(&mut buf, std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(got, Some((16, tx.port_id())));
    assert_eq!(&buf[..16], &msg[..]);
    rx.set_user_unicast(false).unwrap();
    assert!(tx.send_raw_to(&msg, rx.port_id(), 0).is_err());
}

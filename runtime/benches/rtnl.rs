//! rtnetlink dumps at scale: a full link dump and a full IPv4 route dump of a network namespace
//! holding 1,000 links and 10,000 routes, through nlspec's generated rt-link/rt-route clients,
//! through rust-netlink (`netlink-sys` + `netlink-packet-route`), and through a raw libc floor
//! (one socket, one 32 KiB buffer, the attributes walked by hand), side by side in one run.
//! See `README.md` here.
//!
//! `cargo bench -p nlspec-rt --bench rtnl` (root: the bench re-executes itself under
//! `unshare --net` and fills that namespace with `ip -batch`; nothing outside it is touched).
//!
//! Every implementation reads the same fields (links: index, MTU, name length; routes: table,
//! output interface, destination prefix) into a checksum, and all checksums must agree before
//! anything is timed. Allocations per dumped message are counted with a counting global
//! allocator; then criterion times each dump.
//!
//! Two more groups time decoding alone (no socket, no kernel): the datagrams of one link dump
//! and one route dump are captured once and decoded from memory, as `peers.rs` does for Generic
//! Netlink: the generated views (`<Op>Reply::decode_msg`, each getter reading its attribute when
//! called, a malformed one an error; only the fields above read), rust-netlink
//! (`NetlinkMessage::<RouteNetlinkMessage>::deserialize`, every attribute into owned enums) and
//! a libc-style hand walk reading only the fields above.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::Write;
use std::mem;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
mod common;

use std::time::Duration;

use criterion::{Criterion, Throughput};

use nlspec_rt::msg::{nlmsg_align, NlMsgHdr, NlMsgIter, NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST};
use nlspec_rt::typed_raw::DecodeMsg;
use nlspec_rt_link as link;
use nlspec_rt_route as route;

const LINKS: usize = 1_000;
const ROUTES: usize = 10_000;
const IN_NETNS: &str = "NLSPEC_RTNL_BENCH_IN_NETNS";

// ---------------------------------------------------------------------------------------------
// Counting allocator.

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (checksum, messages) of one dump.
type Dump = (u64, u64);

fn link_ck(index: i32, mtu: u32, name_len: usize) -> u64 {
    index as u64 * 1_000_003 + mtu as u64 * 7 + name_len as u64
}

fn route_ck(table: u32, oif: u32, dst: &[u8], dst_len: u8) -> u64 {
    let d = dst.iter().fold(0u64, |a, b| a * 31 + *b as u64);
    table as u64 * 13 + oif as u64 * 17 + d + dst_len as u64
}

// ---------------------------------------------------------------------------------------------
// The raw libc floor.

struct RawSock {
    fd: i32,
    buf: Vec<u8>,
}

impl RawSock {
    fn new() -> Self {
        // SAFETY: plain socket(2) call with integer arguments.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_ROUTE) };
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        RawSock { fd, buf: vec![0; 32 * 1024] }
    }

    fn send(&self, req: &[u8]) {
        // SAFETY: all-zero sockaddr_nl is valid; it addresses the kernel (pid 0).
        let mut sa: libc::sockaddr_nl = unsafe { mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `req` is readable for its length, `sa` is a valid sockaddr_nl of that size.
        let rc = unsafe {
            libc::sendto(
                self.fd,
                req.as_ptr().cast(),
                req.len(),
                0,
                (&sa as *const libc::sockaddr_nl).cast(),
                mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        assert!(rc >= 0, "sendto: {}", std::io::Error::last_os_error());
    }

    fn recv(&mut self) -> usize {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::recv(self.fd, self.buf.as_mut_ptr().cast(), self.buf.len(), 0) };
        assert!(n > 0, "recv: {}", std::io::Error::last_os_error());
        n as usize
    }

    /// A dump of type `ty` with fixed header `hdr`; `f` reads each message's payload.
    fn dump(&mut self, ty: u16, hdr: &[u8], f: impl FnMut(&[u8]) -> u64) -> Dump {
        self.dump_keep(ty, hdr, f, None)
    }

    /// [`Self::dump`], copying every datagram into `keep` when given (capture for decode-only).
    fn dump_keep(
        &mut self,
        ty: u16,
        hdr: &[u8],
        mut f: impl FnMut(&[u8]) -> u64,
        mut keep: Option<&mut Vec<Vec<u8>>>,
    ) -> Dump {
        let mut req = NlMsgHdr { len: (16 + hdr.len()) as u32, ty, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: 1, pid: 0 }
            .to_bytes()
            .to_vec();
        req.extend_from_slice(hdr);
        self.send(&req);
        let (mut sum, mut msgs) = (0, 0);
        loop {
            let n = self.recv();
            if let Some(k) = keep.as_mut() {
                k.push(self.buf[..n].to_vec());
            }
            let (s, m, done) = walk_datagram(&self.buf[..n], &mut f);
            sum += s;
            msgs += m;
            if done {
                return (sum, msgs);
            }
        }
    }
}

/// The `nlmsghdr` chain of one datagram walked by hand: `f` on each data message's payload.
/// Returns (checksum, messages, whether the dump ended here).
fn walk_datagram(d: &[u8], f: &mut impl FnMut(&[u8]) -> u64) -> (u64, u64, bool) {
    let (mut sum, mut msgs, mut pos) = (0, 0, 0);
    while pos + 16 <= d.len() {
        let h = NlMsgHdr::parse(&d[pos..]).unwrap();
        if h.ty == NLMSG_DONE || h.ty == NLMSG_ERROR {
            return (sum, msgs, true);
        }
        sum += f(&d[pos + 16..pos + h.len as usize]);
        msgs += 1;
        pos += nlmsg_align(h.len as usize);
    }
    (sum, msgs, false)
}

impl RawSock {
    fn capture(&mut self, ty: u16, hdr: &[u8]) -> Vec<Vec<u8>> {
        let mut keep = Vec::new();
        self.dump_keep(ty, hdr, |_| 0, Some(&mut keep));
        keep
    }
}

impl Drop for RawSock {
    fn drop(&mut self) {
        // SAFETY: we own the fd and close it once.
        unsafe { libc::close(self.fd) };
    }
}

/// Walk the attributes at `b` by hand, calling `f(type, payload)`.
fn walk<'a>(mut b: &'a [u8], mut f: impl FnMut(u16, &'a [u8])) {
    while b.len() >= 4 {
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]) & 0x3fff;
        if len < 4 || len > b.len() {
            return;
        }
        f(ty, &b[4..len]);
        b = &b[nlmsg_align(len).min(b.len())..];
    }
}

fn u32_of(p: &[u8]) -> u32 {
    u32::from_ne_bytes(p[..4].try_into().unwrap())
}

/// The hand walk of one link message's payload (`struct ifinfomsg`, then attributes).
fn hand_link(p: &[u8]) -> u64 {
    let index = i32::from_ne_bytes(p[4..8].try_into().unwrap());
    let (mut mtu, mut name_len) = (0, 0);
    walk(&p[16..], |ty, v| match ty {
        3 => name_len = v.len() - 1,
        4 => mtu = u32_of(v),
        _ => {}
    });
    link_ck(index, mtu, name_len)
}

/// The hand walk of one route message's payload (`struct rtmsg`, then attributes).
fn hand_route(p: &[u8]) -> u64 {
    let (dst_len, mut table) = (p[1], p[4] as u32);
    let (mut oif, mut dst): (u32, &[u8]) = (0, &[]);
    walk(&p[12..], |ty, v| match ty {
        1 => dst = v,
        4 => oif = u32_of(v),
        15 => table = u32_of(v),
        _ => {}
    });
    route_ck(table, oif, dst, dst_len)
}

const ROUTE_REQ_HDR: [u8; 12] = [libc::AF_INET as u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

fn floor_links(s: &mut RawSock) -> Dump {
    s.dump(18, &[0; 16], hand_link)
}

fn floor_routes(s: &mut RawSock) -> Dump {
    s.dump(26, &ROUTE_REQ_HDR, hand_route)
}

// ---------------------------------------------------------------------------------------------
// Decode only: captured datagrams, from memory.

fn hand_decode(cap: &[Vec<u8>], mut f: impl FnMut(&[u8]) -> u64) -> Dump {
    let (mut sum, mut msgs) = (0, 0);
    for d in cap {
        let (s, m, _) = walk_datagram(d, &mut f);
        sum += s;
        msgs += m;
    }
    (sum, msgs)
}

/// Every data message of the captured datagrams through `f` (nlspec-rt's `NlMsgIter`).
fn nlspec_decode(cap: &[Vec<u8>], mut f: impl FnMut(&nlspec_rt::NlMsg<'_>) -> u64) -> Dump {
    let (mut sum, mut msgs) = (0, 0);
    for d in cap {
        for m in NlMsgIter::new(d) {
            let m = m.unwrap();
            if m.hdr.ty == NLMSG_DONE {
                break;
            }
            sum += f(&m);
            msgs += 1;
        }
    }
    (sum, msgs)
}

/// The checksum of a decoded link reply (what `hand_link` reads).
fn link_reply_ck(r: &link::GetlinkReply<'_>) -> u64 {
    link_ck(r.header.ifi_index, r.mtu().unwrap().unwrap_or(0), r.ifname().unwrap().map_or(0, str::len))
}

/// The checksum of a decoded route reply (what `hand_route` reads).
fn route_reply_ck(r: &route::GetrouteReply<'_>) -> u64 {
    let table = r.table().unwrap().unwrap_or(r.header.rtm_table.into());
    route_ck(table, r.oif().unwrap().unwrap_or(0), r.dst().unwrap().unwrap_or_default(), r.header.rtm_dst_len)
}

fn nlspec_decode_links(cap: &[Vec<u8>]) -> Dump {
    nlspec_decode(cap, |m| link_reply_ck(&link::GetlinkReply::decode_msg(m).unwrap()))
}

fn nlspec_decode_routes(cap: &[Vec<u8>]) -> Dump {
    nlspec_decode(cap, |m| route_reply_ck(&route::GetrouteReply::decode_msg(m).unwrap()))
}

/// [`nlspec_decode_routes`] through `decode_msg_with`: each reply decoded where it is read.
fn nlspec_decode_routes_with(cap: &[Vec<u8>]) -> Dump {
    nlspec_decode(cap, |m| route::GetrouteReply::decode_msg_with(m, route_reply_ck).unwrap())
}

/// [`nlspec_decode_links`] through `decode_msg_with`.
fn nlspec_decode_links_with(cap: &[Vec<u8>]) -> Dump {
    nlspec_decode(cap, |m| link::GetlinkReply::decode_msg_with(m, link_reply_ck).unwrap())
}

// ---------------------------------------------------------------------------------------------
// nlspec's generated clients.

fn link_dump_req() -> link::GetlinkDumpRequest {
    link::GetlinkDumpRequest::new(link::Ifinfomsg::default())
}

fn route_dump_req() -> route::GetrouteDumpRequest {
    route::GetrouteDumpRequest::new(route::Rtmsg { rtm_family: libc::AF_INET as u8, ..Default::default() })
}

fn nlspec_links(c: &mut link::Client) -> Dump {
    let mut it = c.getlink_dump(&link_dump_req()).unwrap();
    let (mut sum, mut msgs) = (0, 0);
    while let Some(r) = it.next() {
        sum += link_reply_ck(&r.unwrap());
        msgs += 1;
    }
    (sum, msgs)
}

fn nlspec_routes(c: &mut route::Client) -> Dump {
    let mut it = c.getroute_dump(&route_dump_req()).unwrap();
    let (mut sum, mut msgs) = (0, 0);
    while let Some(r) = it.next() {
        sum += route_reply_ck(&r.unwrap());
        msgs += 1;
    }
    (sum, msgs)
}

/// [`nlspec_links`] through `try_for_each`: each reply lent to a closure, never moved.
fn nlspec_links_each(c: &mut link::Client) -> Dump {
    let (mut sum, mut msgs) = (0, 0);
    c.getlink_dump(&link_dump_req())
        .unwrap()
        .try_for_each(|r| {
            sum += link_reply_ck(r);
            msgs += 1;
            Ok::<_, nlspec_rt::Error>(())
        })
        .unwrap();
    (sum, msgs)
}

/// [`nlspec_routes`] through `try_for_each`.
fn nlspec_routes_each(c: &mut route::Client) -> Dump {
    let (mut sum, mut msgs) = (0, 0);
    c.getroute_dump(&route_dump_req())
        .unwrap()
        .try_for_each(|r| {
            sum += route_reply_ck(r);
            msgs += 1;
            Ok::<_, nlspec_rt::Error>(())
        })
        .unwrap();
    (sum, msgs)
}

// ---------------------------------------------------------------------------------------------
// rust-netlink: netlink-sys's socket, netlink-packet-route's owned messages.

mod rust_netlink {
    use super::{link_ck, route_ck, Dump};
    use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
    use netlink_packet_route::link::{LinkAttribute, LinkMessage};
    use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
    use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
    use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

    pub struct Sock {
        sock: Socket,
        rx: Vec<u8>,
        tx: Vec<u8>,
    }

    impl Sock {
        pub fn new() -> Self {
            let mut sock = Socket::new(NETLINK_ROUTE).unwrap();
            sock.bind_auto().unwrap();
            sock.connect(&SocketAddr::new(0, 0)).unwrap();
            Sock { sock, rx: Vec::with_capacity(32 * 1024), tx: Vec::new() }
        }

        fn dump(&mut self, req: RouteNetlinkMessage, mut f: impl FnMut(RouteNetlinkMessage) -> u64) -> Dump {
            let mut m = NetlinkMessage::from(req);
            m.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
            m.header.sequence_number = 1;
            m.finalize();
            self.tx.resize(m.buffer_len(), 0);
            m.serialize(&mut self.tx);
            self.sock.send(&self.tx, 0).unwrap();
            let (mut sum, mut msgs) = (0, 0);
            loop {
                self.rx.clear();
                self.sock.recv(&mut self.rx, 0).unwrap();
                let mut pos = 0;
                while pos < self.rx.len() {
                    let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&self.rx[pos..]).unwrap();
                    pos += super::nlmsg_align(m.header.length as usize);
                    match m.payload {
                        NetlinkPayload::Done(_) | NetlinkPayload::Error(_) => return (sum, msgs),
                        NetlinkPayload::InnerMessage(r) => {
                            sum += f(r);
                            msgs += 1;
                        }
                        _ => {}
                    }
                }
            }
        }

        pub fn links(&mut self) -> Dump {
            self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()), link_of)
        }

        pub fn routes(&mut self) -> Dump {
            let mut req = RouteMessage::default();
            req.header.address_family = AddressFamily::Inet;
            self.dump(RouteNetlinkMessage::GetRoute(req), route_of)
        }
    }

    fn link_of(m: RouteNetlinkMessage) -> u64 {
        let RouteNetlinkMessage::NewLink(l) = m else { return 0 };
        let (mut mtu, mut name_len) = (0, 0);
        for a in &l.attributes {
            match a {
                LinkAttribute::IfName(n) => name_len = n.len(),
                LinkAttribute::Mtu(v) => mtu = *v,
                _ => {}
            }
        }
        link_ck(l.header.index as i32, mtu, name_len)
    }

    fn route_of(m: RouteNetlinkMessage) -> u64 {
        let RouteNetlinkMessage::NewRoute(r) = m else { return 0 };
        let (mut table, mut oif, mut dst) = (r.header.table as u32, 0, Vec::new());
        for a in &r.attributes {
            match a {
                RouteAttribute::Table(t) => table = *t,
                RouteAttribute::Oif(o) => oif = *o,
                RouteAttribute::Destination(RouteAddress::Inet(d)) => dst = d.octets().to_vec(),
                _ => {}
            }
        }
        route_ck(table, oif, &dst, r.header.destination_prefix_length)
    }

    /// Every message of the captured datagrams deserialized, `f` on each data message.
    fn decode(cap: &[Vec<u8>], f: fn(RouteNetlinkMessage) -> u64) -> Dump {
        let (mut sum, mut msgs) = (0, 0);
        for d in cap {
            let mut pos = 0;
            while pos < d.len() {
                let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&d[pos..]).unwrap();
                pos += super::nlmsg_align(m.header.length as usize);
                match m.payload {
                    NetlinkPayload::Done(_) | NetlinkPayload::Error(_) => return (sum, msgs),
                    NetlinkPayload::InnerMessage(r) => {
                        sum += f(r);
                        msgs += 1;
                    }
                    _ => {}
                }
            }
        }
        (sum, msgs)
    }

    pub fn decode_links(cap: &[Vec<u8>]) -> Dump {
        decode(cap, link_of)
    }

    pub fn decode_routes(cap: &[Vec<u8>]) -> Dump {
        decode(cap, route_of)
    }
}

// ---------------------------------------------------------------------------------------------
// neli 0.7: its synchronous socket and its rtnl types (`Ifinfomsg`, `Rtmsg` with attribute
// buffers), decoded message by message.

mod neli_impl {
    use super::{link_ck, route_ck, Dump};
    use neli::consts::nl::NlmF;
    use neli::consts::rtnl::{Ifla, RtAddrFamily, RtScope, RtTable, Rta, Rtm, Rtn, Rtprot};
    use neli::consts::socket::NlFamily;
    use neli::nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder};
    use neli::rtnl::{Ifinfomsg, IfinfomsgBuilder, Rtmsg, RtmsgBuilder};
    use neli::socket::synchronous::NlSocketHandle;
    use neli::utils::Groups;
    use neli::{FromBytes, Size, ToBytes};
    use std::io::Cursor;

    fn link_of(l: &Ifinfomsg) -> u64 {
        let h = l.rtattrs().get_attr_handle();
        let mtu = h.get_attr_payload_as::<u32>(Ifla::Mtu).unwrap_or(0);
        let name = h.get_attr_payload_as_with_len_borrowed::<&[u8]>(Ifla::Ifname).map_or(0, |n| n.len() - 1);
        link_ck(*l.ifi_index(), mtu, name)
    }

    fn route_of(r: &Rtmsg) -> u64 {
        let h = r.rtattrs().get_attr_handle();
        let table = h.get_attr_payload_as::<u32>(Rta::Table).unwrap_or(u8::from(*r.rtm_table()) as u32);
        let oif = h.get_attr_payload_as::<u32>(Rta::Oif).unwrap_or(0);
        let dst = h.get_attr_payload_as_with_len_borrowed::<&[u8]>(Rta::Dst).unwrap_or(&[]);
        route_ck(table, oif, dst, *r.rtm_dst_len())
    }

    /// The data messages of one datagram: (sum, messages, DONE seen).
    fn decode_datagram<P>(d: &[u8], f: fn(&P) -> u64) -> (u64, u64, bool)
    where
        P: Size + for<'a> neli::FromBytesWithInput<Input = usize>,
    {
        let (mut sum, mut msgs) = (0, 0);
        let mut c = Cursor::new(d);
        while (c.position() as usize) < d.len() {
            let m = Nlmsghdr::<Rtm, P>::from_bytes(&mut c).unwrap();
            match m.nl_payload() {
                NlPayload::Payload(p) => {
                    sum += f(p);
                    msgs += 1;
                }
                NlPayload::Err(e) => panic!("kernel error {e:?}"),
                _ => return (sum, msgs, true),
            }
        }
        (sum, msgs, false)
    }

    fn decode<P>(cap: &[Vec<u8>], f: fn(&P) -> u64) -> Dump
    where
        P: Size + for<'a> neli::FromBytesWithInput<Input = usize>,
    {
        let (mut sum, mut msgs) = (0, 0);
        for d in cap {
            let (s, m, done) = decode_datagram(d, f);
            sum += s;
            msgs += m;
            if done {
                break;
            }
        }
        (sum, msgs)
    }

    pub fn decode_links(cap: &[Vec<u8>]) -> Dump {
        decode(cap, link_of)
    }

    pub fn decode_routes(cap: &[Vec<u8>]) -> Dump {
        decode(cap, route_of)
    }

    pub struct Sock(NlSocketHandle, u32);

    impl Sock {
        pub fn new() -> Self {
            Sock(NlSocketHandle::connect(NlFamily::Route, None, Groups::empty()).unwrap(), 0)
        }

        fn dump<Q, P>(&mut self, ty: Rtm, req: Q, f: fn(&P) -> u64) -> Dump
        where
            Q: Size + ToBytes + std::fmt::Debug,
            P: Size + for<'a> neli::FromBytesWithInput<Input = usize> + std::fmt::Debug,
        {
            self.1 = self.1.wrapping_add(1);
            let msg = NlmsghdrBuilder::default()
                .nl_type(ty)
                .nl_flags(NlmF::REQUEST | NlmF::DUMP)
                .nl_seq(self.1)
                .nl_payload(NlPayload::Payload(req))
                .build()
                .unwrap();
            self.0.send(&msg).unwrap();
            let (mut sum, mut msgs) = (0, 0);
            loop {
                let (it, _) = self.0.recv::<Rtm, P>().unwrap();
                for m in it {
                    match m.unwrap().nl_payload() {
                        NlPayload::Payload(p) => {
                            sum += f(p);
                            msgs += 1;
                        }
                        NlPayload::Err(e) => panic!("kernel error {e:?}"),
                        _ => return (sum, msgs),
                    }
                }
            }
        }

        pub fn links(&mut self) -> Dump {
            let req = IfinfomsgBuilder::default().ifi_family(RtAddrFamily::Unspecified).build().unwrap();
            self.dump(Rtm::Getlink, req, link_of)
        }

        pub fn routes(&mut self) -> Dump {
            let req = RtmsgBuilder::default()
                .rtm_family(RtAddrFamily::Inet)
                .rtm_dst_len(0)
                .rtm_src_len(0)
                .rtm_tos(0)
                .rtm_table(RtTable::Unspec)
                .rtm_protocol(Rtprot::Unspec)
                .rtm_scope(RtScope::Universe)
                .rtm_type(Rtn::Unspec)
                .build()
                .unwrap();
            self.dump(Rtm::Getroute, req, route_of)
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// Fill this (fresh) namespace: `LINKS` ifb links (the host kernel may lack dummy), the first
/// one up with 10.0.0.1/8, and `ROUTES` /24 routes through it.
fn populate() {
    let mut batch = String::new();
    for i in 0..LINKS {
        batch += &format!("link add nlb{i} type ifb\n");
    }
    batch += "link set nlb0 up\naddr add 10.0.0.1/8 dev nlb0\n";
    for i in 0..ROUTES {
        batch += &format!("route add 11.{}.{}.0/24 dev nlb0\n", i / 256, i % 256);
    }
    let mut ip = Command::new("ip").args(["-batch", "-"]).stdin(Stdio::piped()).spawn().expect("running ip (iproute2)");
    ip.stdin.take().unwrap().write_all(batch.as_bytes()).unwrap();
    assert!(ip.wait().unwrap().success(), "ip -batch failed");
}

fn allocs_per_msg(name: &str, mut f: impl FnMut() -> Dump) {
    f(); // warm: buffers grown, sockets' spill space mapped
    const N: u64 = 5;
    let before = ALLOCS.load(Ordering::Relaxed);
    let mut msgs = 0;
    for _ in 0..N {
        msgs += black_box(f()).1;
    }
    let a = ALLOCS.load(Ordering::Relaxed) - before;
    eprintln!(
        "[alloc] {name:<40} {:>10.1} allocs/dump {:>8.3} allocs/msg",
        a as f64 / N as f64,
        a as f64 / msgs as f64
    );
}

type Op<'a> = Box<dyn FnMut() -> Dump + 'a>;

/// One group from one list of ops (the first the floor): allocations per message, the
/// interleaved report (`rounds` rounds), then criterion's measurement as group `title`.
fn run_group(c: &mut Criterion, name: &str, title: &str, msgs: u64, rounds: usize, mut ops: Vec<(&str, Op<'_>)>) {
    for (op, f) in &mut ops {
        allocs_per_msg(&format!("{name}: {op}"), f);
    }
    common::report_interleaved(name, rounds, &mut ops);
    let mut g = c.benchmark_group(title);
    g.throughput(Throughput::Elements(msgs));
    for (op, f) in &mut ops {
        g.bench_function(*op, |b| b.iter(|| black_box(f())));
    }
    g.finish();
}

fn main() {
    if std::env::var_os(IN_NETNS).is_none() {
        let exe = std::env::current_exe().unwrap();
        let st = Command::new("unshare")
            .args(["--net", "--"])
            .arg(exe)
            .args(std::env::args_os().skip(1))
            .env(IN_NETNS, "1")
            .status()
            .expect("running unshare (util-linux; the bench needs root)");
        std::process::exit(st.code().unwrap_or(1));
    }
    populate();

    let mut floor = RawSock::new();
    let mut lc = link::Client::new().unwrap();
    let mut rc = route::Client::new().unwrap();
    let mut lc2 = link::Client::new().unwrap();
    let mut rc2 = route::Client::new().unwrap();
    let mut rn = rust_netlink::Sock::new();
    let mut ne = neli_impl::Sock::new();

    // Same work: the checksums agree, and the dumps have the sizes the namespace was filled to.
    let fl = floor_links(&mut floor);
    assert_eq!(fl.1, LINKS as u64 + 1, "links (with lo)");
    assert_eq!(nlspec_links(&mut lc), fl);
    assert_eq!(nlspec_links_each(&mut lc), fl);
    assert_eq!(rn.links(), fl);
    assert_eq!(ne.links(), fl);
    let fr = floor_routes(&mut floor);
    assert!(fr.1 >= ROUTES as u64, "{} routes", fr.1);
    assert_eq!(nlspec_routes(&mut rc), fr);
    assert_eq!(nlspec_routes_each(&mut rc), fr);
    assert_eq!(rn.routes(), fr);
    assert_eq!(ne.routes(), fr);
    eprintln!("namespace: {} links, {} IPv4 routes (all tables)", fl.1, fr.1);

    // Decode only: one dump of each captured, then decoded from memory by all three; the
    // checksums agree with the live dumps'.
    let lcap = floor.capture(18, &[0; 16]);
    let rcap = floor.capture(26, &ROUTE_REQ_HDR);
    let size = |c: &[Vec<u8>]| (c.len(), c.iter().map(Vec::len).sum::<usize>());
    eprintln!("captured: link dump {:?}, route dump {:?} (datagrams, bytes)", size(&lcap), size(&rcap));
    assert_eq!(hand_decode(&lcap, hand_link), fl);
    assert_eq!(nlspec_decode_links(&lcap), fl);
    assert_eq!(nlspec_decode_links_with(&lcap), fl);
    assert_eq!(rust_netlink::decode_links(&lcap), fl);
    assert_eq!(neli_impl::decode_links(&lcap), fl);
    assert_eq!(hand_decode(&rcap, hand_route), fr);
    assert_eq!(nlspec_decode_routes(&rcap), fr);
    assert_eq!(nlspec_decode_routes_with(&rcap), fr);
    assert_eq!(rust_netlink::decode_routes(&rcap), fr);
    assert_eq!(neli_impl::decode_routes(&rcap), fr);

    let mut c = Criterion::default().configure_from_args().sample_size(20).measurement_time(Duration::from_secs(5));
    run_group(
        &mut c,
        "link dump",
        "link dump (1001 links)",
        fl.1,
        100,
        vec![
            ("libc floor", Box::new(|| floor_links(&mut floor))),
            ("nlspec rt-link", Box::new(|| nlspec_links(&mut lc))),
            ("nlspec rt-link try_for_each", Box::new(|| nlspec_links_each(&mut lc2))),
            ("rust-netlink", Box::new(|| rn.links())),
            ("neli", Box::new(|| ne.links())),
        ],
    );
    run_group(
        &mut c,
        "route dump",
        "route dump (10000+ routes)",
        fr.1,
        200,
        vec![
            ("libc floor", Box::new(|| floor_routes(&mut floor))),
            ("nlspec rt-route", Box::new(|| nlspec_routes(&mut rc))),
            ("nlspec rt-route try_for_each", Box::new(|| nlspec_routes_each(&mut rc2))),
            ("rust-netlink", Box::new(|| rn.routes())),
            ("neli", Box::new(|| ne.routes())),
        ],
    );
    run_group(
        &mut c,
        "link decode only",
        "link decode only (1001 links, captured)",
        fl.1,
        300,
        vec![
            ("hand walk", Box::new(|| hand_decode(&lcap, hand_link))),
            ("nlspec rt-link", Box::new(|| nlspec_decode_links(&lcap))),
            ("nlspec rt-link decode_with", Box::new(|| nlspec_decode_links_with(&lcap))),
            ("rust-netlink", Box::new(|| rust_netlink::decode_links(&lcap))),
            ("neli", Box::new(|| neli_impl::decode_links(&lcap))),
        ],
    );
    run_group(
        &mut c,
        "route decode only",
        "route decode only (10000+ routes, captured)",
        fr.1,
        300,
        vec![
            ("hand walk", Box::new(|| hand_decode(&rcap, hand_route))),
            ("nlspec rt-route", Box::new(|| nlspec_decode_routes(&rcap))),
            ("nlspec rt-route decode_with", Box::new(|| nlspec_decode_routes_with(&rcap))),
            ("rust-netlink", Box::new(|| rust_netlink::decode_routes(&rcap))),
            ("neli", Box::new(|| neli_impl::decode_routes(&rcap))),
        ],
    );
    c.final_summary();
}

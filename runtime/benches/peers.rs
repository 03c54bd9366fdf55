//! nlspec next to the raw syscall floor and the well-known Rust netlink crates, all doing the
//! same work against the same live kernel (nlctrl is always there). See `README.md` here.
//!
//! `cargo bench -p nlspec-rt --bench peers` (add `-- --quick` for a short run).
//!
//! Groups (one criterion group each, so the report shows the implementations side by side):
//! 1. `family dump decoded`: a complete `CTRL_CMD_GETFAMILY` dump, every entry's id and name
//!    read out;
//! 2. `getfamily do`: resolve the family `nlctrl` by name (request + reply + ACK);
//! 3. `decode only`: the datagrams of one family dump, captured once, decoded from memory (no
//!    syscalls), which separates parse cost from kernel cost;
//! 4. `decode designs: partial read` and `decode designs: full walk`: the same captured dump,
//!    reading id and name only, or every attribute the family reply has (ops and multicast
//!    groups included), by the generated view (each getter reads its attribute when called,
//!    malformed data an error there), by netlink-bindings, and by hand-written
//!    decoders of the view designs the generator could emit (`designs/mod.rs`).
//!
//! Before the groups run, outside criterion: every decoding implementation must produce the
//! same checksum (sum over families of `id * 1000 + name length`), so all of them do the same
//! work; allocations (and bytes) per operation and per decoded message are counted with a
//! counting global allocator; and (because the box this was written on is shared) all
//! implementations of the group are timed round-robin, min and median per op.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
mod common;
mod designs;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use nlspec_rt::ctrl::{self, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME};
use nlspec_rt::msg::{
    finish_message, nlmsg_align, start_message, NlMsgHdr, NlMsgIter, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_REQUEST,
};
use nlspec_rt::{AttrWriter, FamilyInfo, GenlMsg, GenlSocket};

// ---------------------------------------------------------------------------------------------
// Counting allocator: every thread's allocations (neli's router has a receive thread).

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        ALLOC_BYTES.fetch_add(l.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        ALLOC_BYTES.fetch_add(l.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        ALLOC_BYTES.fetch_add(n.saturating_sub(l.size()) as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn alloc_counts() -> (u64, u64) {
    (ALLOCS.load(Ordering::Relaxed), ALLOC_BYTES.load(Ordering::Relaxed))
}

/// What every decoding implementation computes per family entry.
fn ck(id: u16, name: &str) -> u64 {
    u64::from(id) * 1000 + name.len() as u64
}

const PROBE: &str = "nlctrl";

// ---------------------------------------------------------------------------------------------
// Floor: libc socket, send + recv loop walking only the nlmsghdr chain.

struct RawSock {
    fd: i32,
    buf: Vec<u8>,
}

impl RawSock {
    fn new() -> Self {
        // SAFETY: plain socket(2) call with integer arguments.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_GENERIC) };
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

    /// Send `req`, receive until NLMSG_DONE (dump) or NLMSG_ERROR (ACK); returns the number of
    /// data messages. With `keep`, every datagram is copied out (capture for decode-only).
    fn transact(&mut self, req: &[u8], mut keep: Option<&mut Vec<Vec<u8>>>) -> u64 {
        self.send(req);
        let mut msgs = 0;
        loop {
            let n = self.recv();
            if let Some(k) = keep.as_deref_mut() {
                k.push(self.buf[..n].to_vec());
            }
            let mut pos = 0;
            while pos + 16 <= n {
                let h = NlMsgHdr::parse(&self.buf[pos..n]).unwrap();
                if h.ty == NLMSG_DONE || h.ty == NLMSG_ERROR {
                    return msgs;
                }
                msgs += 1;
                pos += nlmsg_align(h.len as usize);
            }
        }
    }
}

impl Drop for RawSock {
    fn drop(&mut self) {
        // SAFETY: we own the fd and close it once.
        unsafe { libc::close(self.fd) };
    }
}

fn raw_request(flags: u16, name: Option<&str>) -> Vec<u8> {
    let mut v = Vec::new();
    start_message(
        &mut v,
        ctrl::GENL_ID_CTRL,
        NLM_F_REQUEST | flags,
        1,
        0,
        ctrl::CTRL_CMD_GETFAMILY,
        ctrl::CTRL_VERSION,
        &[],
    );
    if let Some(n) = name {
        let mut w = AttrWriter::new(&mut v);
        w.put_str(CTRL_ATTR_FAMILY_NAME, n);
        w.finish().unwrap();
    }
    finish_message(&mut v).unwrap();
    v
}

// ---------------------------------------------------------------------------------------------
// nlspec-rt primitives: read the two attributes off the attribute stream.

fn rt_id_name(m: &GenlMsg<'_>) -> u64 {
    let (mut id, mut name) = (0, "");
    for a in m.attrs() {
        let a = a.unwrap();
        match a.ty() {
            CTRL_ATTR_FAMILY_ID => id = a.get_u16().unwrap(),
            CTRL_ATTR_FAMILY_NAME => name = a.get_str().unwrap(),
            _ => {}
        }
    }
    ck(id, name)
}

// ---------------------------------------------------------------------------------------------
// rust-netlink: netlink-sys socket, netlink-packet-core + netlink-packet-generic (GenlCtrl).

mod rn {
    use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
    use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
    use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
    use netlink_packet_generic::GenlMessage;
    use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr};

    pub type Msg = NetlinkMessage<GenlMessage<GenlCtrl>>;

    pub struct Sock {
        sock: Socket,
        rx: Vec<u8>,
        tx: Vec<u8>,
    }

    pub fn id_name(nlas: &[GenlCtrlAttrs]) -> u64 {
        let (mut id, mut name) = (0, "");
        for a in nlas {
            match a {
                GenlCtrlAttrs::FamilyId(v) => id = *v,
                GenlCtrlAttrs::FamilyName(s) => name = s,
                _ => {}
            }
        }
        super::ck(id, name)
    }

    /// Decode every message of one datagram; `Some(sum)` once DONE/ACK is seen.
    pub fn decode_datagram(buf: &[u8], sum: &mut u64) -> bool {
        let mut off = 0;
        while off < buf.len() {
            let m = Msg::deserialize(&buf[off..]).unwrap();
            match &m.payload {
                NetlinkPayload::InnerMessage(g) => *sum += id_name(&g.payload.nlas),
                NetlinkPayload::Done(_) => return true,
                NetlinkPayload::Error(e) => {
                    assert!(e.code.is_none(), "kernel error {e:?}");
                    return true;
                }
                _ => {}
            }
            off += (m.header.length as usize + 3) & !3;
        }
        false
    }

    impl Sock {
        pub fn new() -> Self {
            let mut sock = Socket::new(NETLINK_GENERIC).unwrap();
            sock.bind_auto().unwrap();
            sock.connect(&SocketAddr::new(0, 0)).unwrap();
            Sock { sock, rx: Vec::with_capacity(32 * 1024), tx: Vec::new() }
        }

        fn transact(&mut self, nlas: Vec<GenlCtrlAttrs>, flags: u16) -> u64 {
            let mut g = GenlMessage::from_payload(GenlCtrl { cmd: GenlCtrlCmd::GetFamily, nlas });
            g.finalize();
            let mut m = NetlinkMessage::from(g);
            m.header.flags = NLM_F_REQUEST | flags;
            m.header.sequence_number = 1;
            m.finalize();
            self.tx.resize(m.buffer_len(), 0);
            m.serialize(&mut self.tx);
            self.sock.send(&self.tx, 0).unwrap();
            let mut sum = 0;
            loop {
                self.rx.clear();
                self.sock.recv(&mut self.rx, 0).unwrap();
                if decode_datagram(&self.rx, &mut sum) {
                    return sum;
                }
            }
        }

        pub fn family_dump(&mut self) -> u64 {
            self.transact(Vec::new(), NLM_F_DUMP)
        }

        pub fn getfamily(&mut self, name: &str) -> u64 {
            self.transact(vec![GenlCtrlAttrs::FamilyName(name.to_owned())], NLM_F_ACK)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// neli 0.7: NlSocketHandle (synchronous socket) and NlRouter (its high-level API).

mod neli_impl {
    use std::io::Cursor;

    use neli::consts::genl::{CtrlAttr, CtrlCmd};
    use neli::consts::nl::{GenlId, NlmF};
    use neli::consts::socket::NlFamily;
    use neli::genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder};
    use neli::nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder};
    use neli::router::synchronous::NlRouter;
    use neli::socket::synchronous::NlSocketHandle;
    use neli::types::{Buffer, GenlBuffer};
    use neli::utils::Groups;
    use neli::FromBytes;

    pub type Genl = Genlmsghdr<CtrlCmd, CtrlAttr>;
    pub type Msg = Nlmsghdr<u16, Genl>;

    pub fn id_name(p: &Genl) -> u64 {
        let h = p.attrs().get_attr_handle();
        let id = h.get_attr_payload_as::<u16>(CtrlAttr::FamilyId).unwrap();
        let name = h.get_attr_payload_as_with_len_borrowed::<&str>(CtrlAttr::FamilyName).unwrap();
        super::ck(id, name.trim_end_matches('\0'))
    }

    /// Returns true at DONE / ACK.
    fn account(m: &Msg, sum: &mut u64) -> bool {
        match m.nl_payload() {
            NlPayload::Payload(p) => {
                *sum += id_name(p);
                false
            }
            NlPayload::Err(e) => panic!("kernel error {e:?}"),
            _ => true,
        }
    }

    pub fn decode_datagram(buf: &[u8], sum: &mut u64) -> bool {
        let mut c = Cursor::new(buf);
        while (c.position() as usize) < buf.len() {
            let m = Msg::from_bytes(&mut c).unwrap();
            if account(&m, sum) {
                return true;
            }
        }
        false
    }

    fn request(name: Option<&str>) -> Genl {
        let mut attrs = GenlBuffer::<CtrlAttr, Buffer>::new();
        if let Some(n) = name {
            attrs.push(
                NlattrBuilder::default()
                    .nla_type(AttrTypeBuilder::default().nla_type(CtrlAttr::FamilyName).build().unwrap())
                    .nla_payload(n)
                    .build()
                    .unwrap(),
            );
        }
        GenlmsghdrBuilder::default().cmd(CtrlCmd::Getfamily).version(2).attrs(attrs).build().unwrap()
    }

    pub struct Sock(NlSocketHandle, u32);

    impl Sock {
        pub fn new() -> Self {
            Sock(NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty()).unwrap(), 0)
        }

        fn transact(&mut self, name: Option<&str>, flags: NlmF) -> u64 {
            self.1 = self.1.wrapping_add(1);
            let msg = NlmsghdrBuilder::default()
                .nl_type(GenlId::Ctrl)
                .nl_flags(NlmF::REQUEST | flags)
                .nl_seq(self.1)
                .nl_pid(self.0.pid())
                .nl_payload(NlPayload::Payload(request(name)))
                .build()
                .unwrap();
            self.0.send(&msg).unwrap();
            let mut sum = 0;
            loop {
                let (it, _) = self.0.recv::<u16, Genl>().unwrap();
                for m in it {
                    if account(&m.unwrap(), &mut sum) {
                        return sum;
                    }
                }
            }
        }

        pub fn family_dump(&mut self) -> u64 {
            self.transact(None, NlmF::DUMP)
        }

        pub fn getfamily(&mut self, name: &str) -> u64 {
            self.transact(Some(name), NlmF::ACK)
        }
    }

    pub struct Router(NlRouter);

    impl Router {
        pub fn new() -> Self {
            Router(NlRouter::connect(NlFamily::Generic, None, Groups::empty()).unwrap().0)
        }

        pub fn family_dump(&mut self) -> u64 {
            let recv =
                self.0.send::<_, _, u16, Genl>(GenlId::Ctrl, NlmF::DUMP, NlPayload::Payload(request(None))).unwrap();
            let mut sum = 0;
            for m in recv {
                if account(&m.unwrap(), &mut sum) {
                    break;
                }
            }
            sum
        }

        /// neli's own name → id resolution (`NlRouter::resolve_genl_family`).
        pub fn resolve(&mut self, name: &str) -> u64 {
            u64::from(self.0.resolve_genl_family(name).unwrap())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// netlink-bindings 0.3 (YNL-generated, zero-copy views) on its socket crate netlink-socket2.

mod nb {
    use netlink_bindings::nlctrl::{self, CtrlAttrs, IterableCtrlAttrs, OpGetfamilyDump};
    use netlink_socket2::NetlinkSocket;

    pub fn id_name(r: &IterableCtrlAttrs<'_>) -> u64 {
        super::ck(r.get_family_id().unwrap(), r.get_family_name().unwrap().to_str().unwrap())
    }

    /// A family reply's view over a message payload (genetlink header included).
    pub fn decode(payload: &[u8]) -> IterableCtrlAttrs<'_> {
        OpGetfamilyDump::decode_request(payload)
    }

    /// Every attribute the decode designs read, in one pass per level (its iterator).
    pub fn full_walk(r: &IterableCtrlAttrs<'_>) -> u64 {
        let mut sum = 0;
        for a in *r {
            match a.unwrap() {
                CtrlAttrs::FamilyId(v) => sum += u64::from(v) * 1000,
                CtrlAttrs::FamilyName(n) => sum += n.to_str().unwrap().len() as u64,
                CtrlAttrs::Version(v) | CtrlAttrs::Hdrsize(v) | CtrlAttrs::Maxattr(v) => sum += u64::from(v),
                CtrlAttrs::Ops(ops) => {
                    for o in ops {
                        let o = o.unwrap();
                        sum += u64::from(o.get_id().unwrap_or(0)) + u64::from(o.get_flags().unwrap_or(0));
                    }
                }
                CtrlAttrs::McastGroups(groups) => {
                    for g in groups {
                        let g = g.unwrap();
                        sum +=
                            u64::from(g.get_id().unwrap_or(0)) + g.get_name().map_or(0, |n| n.to_bytes().len() as u64);
                    }
                }
                _ => {}
            }
        }
        sum
    }

    /// Decode every message of one datagram (the generated reply view over each payload).
    pub fn decode_datagram(buf: &[u8], sum: &mut u64) {
        for m in nlspec_rt::msg::NlMsgIter::new(buf) {
            let m = m.unwrap();
            if m.hdr.ty == nlspec_rt::msg::NLMSG_DONE {
                return;
            }
            *sum += id_name(&OpGetfamilyDump::decode_request(m.payload()));
        }
    }

    pub struct Sock(NetlinkSocket);

    impl Sock {
        pub fn new() -> Self {
            Sock(NetlinkSocket::new())
        }

        pub fn family_dump(&mut self) -> u64 {
            let req = nlctrl::Request::new().op_getfamily_dump();
            let mut it = self.0.request(&req).unwrap();
            let mut sum = 0;
            while let Some(r) = it.recv() {
                sum += id_name(&r.unwrap());
            }
            sum
        }

        pub fn getfamily(&mut self, name: &str) -> u64 {
            let mut req = nlctrl::Request::new().op_getfamily_do();
            req.encode().push_family_name_bytes(name.as_bytes());
            let mut it = self.0.request(&req).unwrap();
            let id = u64::from(it.recv_one().unwrap().get_family_id().unwrap());
            assert!(it.recv().is_none(), "the ACK ends it");
            id
        }
    }
}

// ---------------------------------------------------------------------------------------------

type Op<'a> = Box<dyn FnMut() -> u64 + 'a>;

/// Runs each op a few times, then counts allocations over `n` runs; prints per op and per
/// message (`msgs` data messages per op).
fn report_allocs(group: &str, ops: &mut [(&str, Op<'_>)], msgs: u64) {
    const N: u64 = 50;
    eprintln!("\n[alloc] {group}: {msgs} message(s) per op; heap allocations counted over {N} ops");
    eprintln!("[alloc] {:<44} {:>10} {:>12} {:>10}", "implementation", "allocs/op", "bytes/op", "allocs/msg");
    for (name, op) in ops.iter_mut() {
        for _ in 0..3 {
            black_box(op());
        }
        let (a0, b0) = alloc_counts();
        for _ in 0..N {
            black_box(op());
        }
        let (a1, b1) = alloc_counts();
        let per_op = (a1 - a0) as f64 / N as f64;
        eprintln!(
            "[alloc] {:<44} {:>10.1} {:>12.0} {:>10.2}",
            name,
            per_op,
            (b1 - b0) as f64 / N as f64,
            per_op / msgs.max(1) as f64
        );
    }
}

/// All decoding ops must agree with the first one (the floor is exempt: it only counts).
fn check_same(group: &str, ops: &mut [(&str, Op<'_>)], skip: &[&str]) {
    let mut want = None;
    for (name, op) in ops.iter_mut() {
        if skip.contains(name) {
            continue;
        }
        let got = op();
        match want {
            None => want = Some((name.to_string(), got)),
            Some((ref n, w)) => assert_eq!(got, w, "{group}: {name} disagrees with {n}"),
        }
    }
}

fn run_group(c: &mut Criterion, group: &str, mut ops: Vec<(&str, Op<'_>)>, msgs: Option<u64>) {
    let mut g = c.benchmark_group(group);
    if let Some(m) = msgs {
        g.throughput(Throughput::Elements(m));
    }
    for (name, op) in ops.iter_mut() {
        g.bench_function(*name, |b| b.iter(|| black_box(op())));
    }
    g.finish();
}

/// One group, start to end: the checksums compared (except `skip`), allocations counted
/// (`msgs` messages per op), the round-robin timing, then criterion (per message when the op
/// decodes `msgs` messages, per op otherwise).
fn group(c: &mut Criterion, name: &str, mut ops: Vec<(&str, Op<'_>)>, skip: &[&str], msgs: u64, per_msg: bool) {
    check_same(name, &mut ops, skip);
    report_allocs(name, &mut ops, msgs);
    common::report_interleaved(name, 1000, &mut ops);
    run_group(c, name, ops, per_msg.then_some(msgs));
}

const FLOOR: &str = "floor: libc send/recv, headers only";
const FLOOR_DECODE: &str = "floor: header walk only";

fn benches(c: &mut Criterion) {
    let dump_req = raw_request(NLM_F_DUMP, None);
    let do_req = raw_request(NLM_F_ACK, Some(PROBE));

    // Capture one dump for the decode-only group, and count its messages.
    let mut captured = Vec::new();
    let msgs = RawSock::new().transact(&dump_req, Some(&mut captured));
    let bytes: usize = captured.iter().map(Vec::len).sum();
    eprintln!("family dump: {msgs} families, {} datagrams, {bytes} bytes (captured for decode only)", captured.len());

    // --- 1. family dump, fully decoded --------------------------------------------------------
    {
        let mut raw = RawSock::new();
        let mut rt = GenlSocket::new().unwrap();
        let mut rt2 = GenlSocket::new().unwrap();
        let mut gen = nlspec_nlctrl::Client::new().unwrap();
        let mut gen2 = nlspec_nlctrl::Client::new().unwrap();
        let mut rn = rn::Sock::new();
        let mut ns = neli_impl::Sock::new();
        let mut nr = neli_impl::Router::new();
        let mut nb = nb::Sock::new();
        let req = ctrl::getfamily_request();
        let dump_req = &dump_req;
        let ops: Vec<(&str, Op<'_>)> = vec![
            (FLOOR, Box::new(move || raw.transact(dump_req, None))),
            (
                "nlspec-rt primitives (GenlSocket::dump + attrs)",
                Box::new(move || {
                    let mut it = rt.dump(&req, |_| {}).unwrap();
                    let mut sum = 0;
                    while let Some(m) = it.next() {
                        sum += rt_id_name(&m.unwrap());
                    }
                    sum
                }),
            ),
            (
                "nlspec-rt FamilyInfo::decode (owned, all attrs)",
                Box::new(move || {
                    let mut it = rt2.dump(&req, |_| {}).unwrap();
                    let mut sum = 0;
                    while let Some(m) = it.next() {
                        let f = FamilyInfo::decode(&m.unwrap()).unwrap();
                        sum += ck(f.id, &f.name);
                    }
                    sum
                }),
            ),
            (
                "nlspec-nlctrl generated Client::getfamily_dump",
                Box::new(move || {
                    let mut it = gen.getfamily_dump(&nlspec_nlctrl::GetfamilyDumpRequest::new()).unwrap();
                    let mut sum = 0;
                    while let Some(r) = it.next() {
                        let r = r.unwrap();
                        sum += ck(r.family_id().unwrap().unwrap(), r.family_name().unwrap().unwrap());
                    }
                    sum
                }),
            ),
            (
                "nlspec-nlctrl generated getfamily_dump + try_for_each",
                Box::new(move || {
                    let mut sum = 0;
                    gen2.getfamily_dump(&nlspec_nlctrl::GetfamilyDumpRequest::new())
                        .unwrap()
                        .try_for_each(|r| {
                            sum += ck(r.family_id().unwrap().unwrap(), r.family_name().unwrap().unwrap());
                            Ok::<_, nlspec_rt::Error>(())
                        })
                        .unwrap();
                    sum
                }),
            ),
            ("rust-netlink (netlink-sys + packet-generic)", Box::new(move || rn.family_dump())),
            ("neli 0.7 NlSocketHandle", Box::new(move || ns.family_dump())),
            ("neli 0.7 NlRouter", Box::new(move || nr.family_dump())),
            ("netlink-bindings 0.3 (netlink-socket2)", Box::new(move || nb.family_dump())),
        ];
        group(c, "family dump decoded", ops, &[FLOOR], msgs, true);
    }

    // --- 2. resolve one family by name (getfamily do) -----------------------------------------
    {
        let mut raw = RawSock::new();
        let mut rt = GenlSocket::new().unwrap();
        let mut rt2 = GenlSocket::new().unwrap();
        let mut gen = nlspec_nlctrl::Client::new().unwrap();
        let mut rn = rn::Sock::new();
        let mut ns = neli_impl::Sock::new();
        let mut nr = neli_impl::Router::new();
        let mut nb = nb::Sock::new();
        let req = ctrl::getfamily_request();
        let do_req = &do_req;
        let ops: Vec<(&str, Op<'_>)> = vec![
            ("floor: libc send/recv + ACK, headers only", Box::new(move || raw.transact(do_req, None))),
            (
                "nlspec-rt primitives (GenlSocket::request + attrs)",
                Box::new(move || {
                    let m = rt.request(&req, |w| ctrl::put_family_name(w, PROBE)).unwrap();
                    rt_id_name(&m) / 1000
                }),
            ),
            (
                "nlspec-rt resolve_family (uncached, owned FamilyInfo)",
                Box::new(move || {
                    rt2.forget_family(PROBE);
                    u64::from(rt2.resolve_family(PROBE).unwrap().id)
                }),
            ),
            (
                "nlspec-nlctrl generated Client::getfamily",
                Box::new(move || {
                    let r = gen.getfamily(&nlspec_nlctrl::GetfamilyRequest::new().family_name(PROBE)).unwrap();
                    u64::from(r.family_id().unwrap().unwrap())
                }),
            ),
            ("rust-netlink (netlink-sys + packet-generic)", Box::new(move || rn.getfamily(PROBE) / 1000)),
            ("neli 0.7 NlSocketHandle", Box::new(move || ns.getfamily(PROBE) / 1000)),
            ("neli 0.7 NlRouter::resolve_genl_family", Box::new(move || nr.resolve(PROBE))),
            ("netlink-bindings 0.3 (netlink-socket2)", Box::new(move || nb.getfamily(PROBE))),
        ];
        group(c, "getfamily do", ops, &["floor: libc send/recv + ACK, headers only"], 1, false);
    }

    // --- 3. decode only: the captured dump, from memory -----------------------------------------
    {
        let cap = &captured;
        let ops: Vec<(&str, Op<'_>)> = vec![
            (
                FLOOR_DECODE,
                Box::new(move || {
                    let mut n = 0;
                    for d in cap {
                        for m in NlMsgIter::new(d) {
                            n += u64::from(m.unwrap().hdr.ty != NLMSG_DONE);
                        }
                    }
                    n
                }),
            ),
            (
                "nlspec-rt primitives (GenlMsg + attrs)",
                Box::new(move || {
                    let mut sum = 0;
                    for d in cap {
                        for m in NlMsgIter::new(d) {
                            let m = m.unwrap();
                            if m.hdr.ty == NLMSG_DONE {
                                break;
                            }
                            sum += rt_id_name(&m.genl(0).unwrap());
                        }
                    }
                    sum
                }),
            ),
            (
                "nlspec-rt FamilyInfo::decode (owned, all attrs)",
                Box::new(move || {
                    let mut sum = 0;
                    for d in cap {
                        for m in NlMsgIter::new(d) {
                            let m = m.unwrap();
                            if m.hdr.ty == NLMSG_DONE {
                                break;
                            }
                            let f = FamilyInfo::decode(&m.genl(0).unwrap()).unwrap();
                            sum += ck(f.id, &f.name);
                        }
                    }
                    sum
                }),
            ),
            (
                "nlspec-nlctrl generated GetfamilyReply::decode",
                Box::new(move || {
                    let mut sum = 0;
                    for d in cap {
                        for m in NlMsgIter::new(d) {
                            let m = m.unwrap();
                            if m.hdr.ty == NLMSG_DONE {
                                break;
                            }
                            let r = nlspec_nlctrl::GetfamilyReply::decode(&m.genl(0).unwrap()).unwrap();
                            sum += ck(r.family_id().unwrap().unwrap(), r.family_name().unwrap().unwrap());
                        }
                    }
                    sum
                }),
            ),
            (
                "rust-netlink NetlinkMessage<GenlMessage<GenlCtrl>>",
                Box::new(move || {
                    let mut sum = 0;
                    for d in cap {
                        rn::decode_datagram(d, &mut sum);
                    }
                    sum
                }),
            ),
            (
                "neli 0.7 Nlmsghdr<_, Genlmsghdr<CtrlCmd, CtrlAttr>>",
                Box::new(move || {
                    let mut sum = 0;
                    for d in cap {
                        neli_impl::decode_datagram(d, &mut sum);
                    }
                    sum
                }),
            ),
            (
                "netlink-bindings 0.3 IterableCtrlAttrs",
                Box::new(move || {
                    let mut sum = 0;
                    for d in cap {
                        nb::decode_datagram(d, &mut sum);
                    }
                    sum
                }),
            ),
        ];
        group(c, "decode only", ops, &[FLOOR_DECODE], msgs, true);
    }

    // --- 4. decode designs: the captured dump, read partly and fully ----------------------------
    let each = |f: &mut dyn FnMut(&[u8], &[u8])| {
        for d in &captured {
            for m in NlMsgIter::new(d) {
                let m = m.unwrap();
                if m.hdr.ty == NLMSG_DONE {
                    break;
                }
                f(m.payload(), m.genl(0).unwrap().attr_bytes());
            }
        }
    };
    {
        let ops: Vec<(&str, Op<'_>)> = vec![
            (
                "nlspec-nlctrl generated (getters read when called)",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |_, attrs| {
                        let r = nlspec_nlctrl::CtrlAttrs::new(attrs);
                        sum += ck(r.family_id().unwrap().unwrap(), r.family_name().unwrap().unwrap());
                    });
                    sum
                }),
            ),
            (
                "netlink-bindings 0.3 (getters scan)",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |payload, _| sum += nb::id_name(&nb::decode(payload)));
                    sum
                }),
            ),
            (
                "design: one top-level pass, nests raw",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |_, attrs| {
                        let r = designs::Pass::decode(attrs).unwrap();
                        sum += ck(r.family_id.unwrap(), r.family_name().unwrap());
                    });
                    sum
                }),
            ),
            (
                "design: getters scan, fallible",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |_, attrs| {
                        let id = designs::scan_family_id(attrs).unwrap().unwrap();
                        sum += ck(id, designs::scan_family_name(attrs).unwrap().unwrap());
                    });
                    sum
                }),
            ),
        ];
        group(c, "decode designs: partial read", ops, &[], msgs, true);
    }
    {
        let ops: Vec<(&str, Op<'_>)> = vec![
            (
                "nlspec-nlctrl generated (getters read when called)",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |_, attrs| {
                        let r = nlspec_nlctrl::CtrlAttrs::new(attrs);
                        sum += ck(r.family_id().unwrap().unwrap(), r.family_name().unwrap().unwrap());
                        sum += u64::from(
                            r.version().unwrap().unwrap_or(0)
                                + r.hdrsize().unwrap().unwrap_or(0)
                                + r.maxattr().unwrap().unwrap_or(0),
                        );
                        for o in r.ops().unwrap() {
                            let (_, o) = o.unwrap();
                            sum += u64::from(o.id().unwrap().unwrap_or(0))
                                + u64::from(o.flags().unwrap().map_or(0, |f| f.0));
                        }
                        for g in r.mcast_groups().unwrap() {
                            let (_, g) = g.unwrap();
                            sum += u64::from(g.id().unwrap().unwrap_or(0))
                                + g.name().unwrap().map_or(0, |n| n.len() as u64);
                        }
                    });
                    sum
                }),
            ),
            (
                "netlink-bindings 0.3 (one pass per level)",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |payload, _| sum += nb::full_walk(&nb::decode(payload)));
                    sum
                }),
            ),
            (
                "design: one top-level pass, each nest walked once when read",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |_, attrs| {
                        let r = designs::Pass::decode(attrs).unwrap();
                        sum += ck(r.family_id.unwrap(), r.family_name().unwrap());
                        sum += u64::from(r.version.unwrap_or(0) + r.hdrsize.unwrap_or(0) + r.maxattr.unwrap_or(0));
                        r.for_each_op(|id, flags| sum += u64::from(id.unwrap_or(0)) + u64::from(flags.unwrap_or(0)))
                            .unwrap();
                        r.for_each_group(|id, name| {
                            sum += u64::from(id.unwrap_or(0)) + name.map_or(0, |n| n.len() as u64)
                        })
                        .unwrap();
                    });
                    sum
                }),
            ),
            (
                "design: getters scan, fallible",
                Box::new(|| {
                    let mut sum = 0;
                    each(&mut |_, attrs| sum += designs::scan_full_walk(attrs).unwrap());
                    sum
                }),
            ),
        ];
        group(c, "decode designs: full walk", ops, &[], msgs, true);
    }
}

criterion_group! {
    name = peers;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(peers);

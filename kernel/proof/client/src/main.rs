//! Test program for the `nlspecproof` module, run inside the guest. Raw generic netlink over
//! libc's socket calls (declared here; std already links libc), no dependencies.
//! Prints one `NLSPEC-CASE PASS|FAIL name: detail` line per case; exits 1 on any failure.
//! Without arguments it runs the suite; `hold DIR` keeps a subscribed socket across an unload of
//! the module (signal files in DIR, see [`hold`]). Run by `cargo xtask proof` / `vm-test`
//! (`xtask/src/proof.rs`).

use std::ffi::c_int;
use std::ffi::c_void;

const AF_NETLINK: c_int = 16;
const SOCK_RAW: c_int = 3;
const SOCK_CLOEXEC: c_int = 0o2000000;
const NETLINK_GENERIC: c_int = 16;
const SOL_NETLINK: c_int = 270;
const NETLINK_ADD_MEMBERSHIP: c_int = 1;
const NETLINK_CAP_ACK: c_int = 10;
const NETLINK_EXT_ACK: c_int = 11;
const SOL_SOCKET: c_int = 1;
const SO_RCVBUF: c_int = 8;
const SO_RCVTIMEO: c_int = 20;
const MSG_DONTWAIT: c_int = 0x40;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_MULTI: u16 = 2;
const NLM_F_ACK: u16 = 4;
const NLM_F_DUMP: u16 = 0x300;
const GENL_ID_CTRL: u16 = 16;

const EPERM: i32 = 1;
const EINVAL: i32 = 22;
const ERANGE: i32 = 34;

// proof family
const A_NUM: u16 = 1;
const A_NAME: u16 = 2;
const A_VALUE: u16 = 3;
const A_IDX: u16 = 4;
const A_BLOB: u16 = 5;
const A_BIG: u16 = 6;
const A_MODE: u16 = 7;
const A_NEST: u16 = 8;
const A_FLAG: u16 = 9;
const A_BITS: u16 = 10;
const A_MAC: u16 = 11;
const A_LIST: u16 = 12;
const A_FLAGS: u16 = 13;
const A_TEMP: u16 = 14;
const A_COUNT: u16 = 15;
const A_DELTA: u16 = 16;
const A_RAW: u16 = 17;
const A_SHORT: u16 = 18;
const A_LONG: u16 = 19;
const C_ECHO: u8 = 1;
const C_LIST: u8 = 2;
const C_EVENT: u8 = 3;
const C_ADMIN: u8 = 4;
const C_SESSION: u8 = 5;

#[repr(C)]
struct SockaddrNl {
    nl_family: u16,
    nl_pad: u16,
    nl_pid: u32,
    nl_groups: u32,
}

#[repr(C)]
struct Timeval {
    tv_sec: i64,
    tv_usec: i64,
}

extern "C" {
    fn socket(domain: c_int, ty: c_int, proto: c_int) -> c_int;
    fn bind(fd: c_int, addr: *const SockaddrNl, len: u32) -> c_int;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, val: *const c_void, len: u32) -> c_int;
    fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize;
    fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize;
    fn close(fd: c_int) -> c_int;
    fn fork() -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn setuid(uid: u32) -> c_int;
    fn _exit(code: c_int) -> !;
    fn unshare(flags: c_int) -> c_int;
}

const CLONE_NEWNET: c_int = 0x4000_0000;
const ENOENT: i32 = 2;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

struct Sock {
    fd: c_int,
    seq: u32,
}

impl Sock {
    fn open(rcvbuf: i32) -> Sock {
        Sock::try_open_on(NETLINK_GENERIC, rcvbuf).unwrap_or_else(|e| panic!("socket: errno {e}"))
    }

    /// A socket of netlink protocol `proto`; the errno when `socket` fails.
    fn try_open_on(proto: c_int, rcvbuf: i32) -> Result<Sock, i32> {
        // SAFETY: plain syscalls with valid pointers/lengths.
        unsafe {
            let fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
            if fd < 0 {
                return Err(errno());
            }
            assert!(fd >= 0, "socket: errno {}", errno());
            let one: c_int = 1;
            setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one as *const _ as *const c_void, 4);
            setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one as *const _ as *const c_void, 4);
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf as *const _ as *const c_void, 4);
            let tv = Timeval { tv_sec: 5, tv_usec: 0 };
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv as *const _ as *const c_void, 16);
            let sa = SockaddrNl { nl_family: AF_NETLINK as u16, nl_pad: 0, nl_pid: 0, nl_groups: 0 };
            assert!(bind(fd, &sa, 12) == 0, "bind: errno {}", errno());
            Ok(Sock { fd, seq: 1 })
        }
    }

    fn join(&self, group: u32) -> bool {
        // SAFETY: valid pointer/len.
        unsafe { setsockopt(self.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group as *const _ as *const c_void, 4) == 0 }
    }

    fn send_msg(&mut self, family: u16, flags: u16, cmd: u8, attrs: &[u8]) -> u32 {
        self.send_with_header(family, flags, [cmd, 1, 0, 0], attrs)
    }

    /// A message of type `ty` whose 4-byte header is `hdr` (the genl header, or the fixed
    /// header of the proof's classic protocol).
    fn send_with_header(&mut self, ty: u16, flags: u16, hdr: [u8; 4], attrs: &[u8]) -> u32 {
        self.try_send_with_header(ty, flags, hdr, attrs).unwrap_or_else(|e| panic!("send: errno {e}"))
    }

    /// [`Sock::send_with_header`], the errno when `send` fails.
    fn try_send_with_header(&mut self, ty: u16, flags: u16, hdr: [u8; 4], attrs: &[u8]) -> Result<u32, i32> {
        self.seq += 1;
        let len = 16 + 4 + attrs.len();
        let mut m = Vec::with_capacity(len);
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        m.extend_from_slice(&self.seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&hdr);
        m.extend_from_slice(attrs);
        // SAFETY: valid buffer.
        let r = unsafe { send(self.fd, m.as_ptr() as *const c_void, m.len(), 0) };
        if r != m.len() as isize {
            return Err(errno());
        }
        Ok(self.seq)
    }

    /// One datagram (= one kernel skb); None on timeout / EAGAIN.
    fn recv_dgram(&self, flags: c_int) -> Option<Vec<u8>> {
        self.recv_dgram_len(flags, 256 * 1024)
    }

    /// One datagram read with a `len`-byte buffer (netlink sizes dump skbs after it).
    fn recv_dgram_len(&self, flags: c_int, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len];
        // SAFETY: valid buffer.
        let r = unsafe { recv(self.fd, buf.as_mut_ptr() as *mut c_void, buf.len(), flags) };
        if r < 0 {
            return None;
        }
        buf.truncate(r as usize);
        Some(buf)
    }
}

impl Drop for Sock {
    fn drop(&mut self) {
        // SAFETY: our fd.
        unsafe { close(self.fd) };
    }
}

struct Msg {
    ty: u16,
    flags: u16,
    seq: u32,
    payload: Vec<u8>,
}

fn split_msgs(d: &[u8]) -> Vec<Msg> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 16 <= d.len() {
        let len = u32::from_ne_bytes(d[off..off + 4].try_into().unwrap()) as usize;
        if len < 16 || off + len > d.len() {
            break;
        }
        out.push(Msg {
            ty: u16::from_ne_bytes(d[off + 4..off + 6].try_into().unwrap()),
            flags: u16::from_ne_bytes(d[off + 6..off + 8].try_into().unwrap()),
            seq: u32::from_ne_bytes(d[off + 8..off + 12].try_into().unwrap()),
            payload: d[off + 16..off + len].to_vec(),
        });
        off += (len + 3) & !3;
    }
    out
}

fn put(buf: &mut Vec<u8>, ty: u16, payload: &[u8]) {
    let len = 4 + payload.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
    buf.extend_from_slice(payload);
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}

fn put_u32(buf: &mut Vec<u8>, ty: u16, v: u32) {
    put(buf, ty, &v.to_ne_bytes())
}

fn put_str(buf: &mut Vec<u8>, ty: u16, s: &str) {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    put(buf, ty, &b)
}

fn attrs(mut d: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while d.len() >= 4 {
        let len = u16::from_ne_bytes([d[0], d[1]]) as usize;
        let ty = u16::from_ne_bytes([d[2], d[3]]) & 0x3fff;
        if len < 4 || len > d.len() {
            break;
        }
        out.push((ty, d[4..len].to_vec()));
        d = &d[((len + 3) & !3).min(d.len())..];
    }
    out
}

fn find(a: &[(u16, Vec<u8>)], ty: u16) -> Option<&Vec<u8>> {
    a.iter().find(|(t, _)| *t == ty).map(|(_, v)| v)
}

fn u32_of(v: &[u8]) -> u32 {
    u32::from_ne_bytes(v[..4].try_into().unwrap())
}

/// Outcome of a do request: the reply's attributes, or the error with its ext-ack attributes.
enum Outcome {
    Reply(Vec<(u16, Vec<u8>)>),
    Err { errno: i32, msg: Option<String>, offs: Option<u32>, miss_type: Option<u32>, miss_nest: Option<u32> },
}

fn parse_err(p: &[u8]) -> Outcome {
    let err = i32::from_ne_bytes(p[..4].try_into().unwrap());
    // CAP_ACK: the echoed request is only its header (16 bytes)
    let tlvs = if p.len() > 20 { attrs(&p[20..]) } else { Vec::new() };
    let msg = find(&tlvs, 1).map(|v| String::from_utf8_lossy(v).trim_end_matches('\0').to_string());
    let offs = find(&tlvs, 2).map(|v| u32_of(v));
    let miss_type = find(&tlvs, 5).map(|v| u32_of(v));
    let miss_nest = find(&tlvs, 6).map(|v| u32_of(v));
    Outcome::Err { errno: -err, msg, offs, miss_type, miss_nest }
}

fn do_req(s: &mut Sock, family: u16, cmd: u8, a: &[u8]) -> Outcome {
    do_req_with_header(s, family, [cmd, 1, 0, 0], a)
}

/// A request of type `ty` with the 4-byte header `hdr` and its ACK; the reply's attributes
/// (after its own 4-byte header).
fn do_req_with_header(s: &mut Sock, ty: u16, hdr: [u8; 4], a: &[u8]) -> Outcome {
    let seq = s.send_with_header(ty, NLM_F_ACK, hdr, a);
    let mut reply = None;
    loop {
        let d = match s.recv_dgram(0) {
            Some(d) => d,
            None => {
                return Outcome::Err {
                    errno: -1,
                    msg: Some("timeout".into()),
                    offs: None,
                    miss_type: None,
                    miss_nest: None,
                }
            }
        };
        for m in split_msgs(&d) {
            if m.seq != seq {
                continue;
            }
            if m.ty == NLMSG_ERROR {
                let o = parse_err(&m.payload);
                if let Outcome::Err { errno: 0, .. } = o {
                    return Outcome::Reply(reply.unwrap_or_default());
                }
                return o;
            }
            reply = Some(attrs(&m.payload[4..]));
        }
    }
}

struct Family {
    id: u16,
    groups: Vec<(String, u32)>,
}

fn resolve(s: &mut Sock, name: &str) -> Option<Family> {
    let mut a = Vec::new();
    put_str(&mut a, 2, name);
    match do_req(s, GENL_ID_CTRL, 3, &a) {
        Outcome::Reply(r) => {
            let id = u16::from_ne_bytes(find(&r, 1)?[..2].try_into().ok()?);
            let mut groups = Vec::new();
            if let Some(g) = find(&r, 7) {
                for (_, grp) in attrs(g) {
                    let ga = attrs(&grp);
                    let gname = find(&ga, 1).map(|v| String::from_utf8_lossy(v).trim_end_matches('\0').to_string());
                    let gid = find(&ga, 2).map(|v| u32_of(v));
                    if let (Some(n), Some(i)) = (gname, gid) {
                        groups.push((n, i));
                    }
                }
            }
            Some(Family { id, groups })
        }
        Outcome::Err { .. } => None,
    }
}

struct Report {
    failed: u32,
}

impl Report {
    fn case(&mut self, name: &str, ok: bool, detail: String) {
        if ok {
            println!("NLSPEC-CASE PASS {name}: {detail}");
        } else {
            self.failed += 1;
            println!("NLSPEC-CASE FAIL {name}: {detail}");
        }
    }
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Reply(r) => format!("reply with {} attrs", r.len()),
        Outcome::Err { errno, msg, offs, miss_type, miss_nest } => {
            format!("errno {errno} msg {msg:?} offs {offs:?} miss_type {miss_type:?} miss_nest {miss_nest:?}")
        }
    }
}

fn expect_err(rep: &mut Report, name: &str, o: Outcome, want: i32, want_offs: Option<u32>, want_msg: Option<&str>) {
    let d = describe(&o);
    let ok = match &o {
        Outcome::Err { errno, msg, offs, .. } => {
            *errno == want
                && (want_offs.is_none() || *offs == want_offs)
                && (want_msg.is_none() || msg.as_deref() == want_msg)
        }
        _ => false,
    };
    rep.case(name, ok, d);
}

/// Dump LIST on `family` reading with `buflen`-byte receive buffers; returns (entry indexes,
/// datagrams, saw DONE, every entry's values right).
fn dump_list(family: u16, buflen: usize) -> (Vec<u32>, usize, bool, bool) {
    let mut s = Sock::open(1 << 20);
    let seq = s.send_msg(family, NLM_F_DUMP, C_LIST, &[]);
    let mut idx = Vec::new();
    let mut dgrams = 0;
    let mut done = false;
    let mut good = true;
    while !done {
        let d = match s.recv_dgram_len(0, buflen) {
            Some(d) => d,
            None => break,
        };
        dgrams += 1;
        for m in split_msgs(&d) {
            if m.seq != seq {
                continue;
            }
            match m.ty {
                NLMSG_DONE => done = true,
                NLMSG_ERROR => {
                    good = false;
                    done = true;
                }
                _ => {
                    if m.flags & NLM_F_MULTI == 0 {
                        good = false;
                    }
                    let a = attrs(&m.payload[4..]);
                    let i = find(&a, A_IDX).map(|v| u32_of(v)).unwrap_or(u32::MAX);
                    let v = find(&a, A_VALUE).map(|v| u32_of(v)).unwrap_or(0);
                    let blob_ok =
                        find(&a, A_BLOB).map(|b| b.len() == 200 && b.iter().all(|&x| x == 0xab)).unwrap_or(false);
                    let nest_ok =
                        find(&a, A_NEST).map(|n| find(&attrs(n), A_IDX).map(|v| u32_of(v)) == Some(i)).unwrap_or(false);
                    if v != i.wrapping_mul(i) || !blob_ok || !nest_ok {
                        good = false;
                    }
                    idx.push(i);
                }
            }
        }
    }
    (idx, dgrams, done, good)
}

/// Dump LIST with request attributes; returns (first index, entries, errno of DONE/ERROR).
fn dump_raw(family: u16, a: &[u8]) -> (Option<u32>, usize, i32) {
    let mut s = Sock::open(1 << 20);
    let seq = s.send_msg(family, NLM_F_DUMP, C_LIST, a);
    let (mut first, mut count, mut err) = (None, 0, -1);
    'outer: while let Some(d) = s.recv_dgram(0) {
        for m in split_msgs(&d) {
            if m.seq != seq {
                continue;
            }
            if m.ty == NLMSG_DONE || m.ty == NLMSG_ERROR {
                err = -i32::from_ne_bytes(m.payload[..4].try_into().unwrap());
                break 'outer;
            }
            let at = attrs(&m.payload[4..]);
            if first.is_none() {
                first = find(&at, A_IDX).map(|v| u32_of(v));
            }
            count += 1;
        }
    }
    (first, count, err)
}

fn num_of(v: &[u8]) -> i64 {
    match v.len() {
        4 => i32::from_ne_bytes(v[..4].try_into().unwrap()) as i64,
        8 => i64::from_ne_bytes(v[..8].try_into().unwrap()),
        _ => i64::MIN,
    }
}

/// One attribute of a dumped policy: (policy index, attribute type, [(policy type attribute,
/// value)]).
type PolicyEntry = (u16, u16, Vec<(u16, i64)>);

fn check_policy_dump(rep: &mut Report, s: &mut Sock) {
    let mut a = Vec::new();
    put_str(&mut a, 2, "nlspecproof");
    put_u32(&mut a, 10, C_ECHO as u32);
    let seq = s.send_msg(GENL_ID_CTRL, NLM_F_DUMP, 10, &a);
    let mut pol: Vec<PolicyEntry> = Vec::new();
    let mut done = false;
    while !done {
        let Some(d) = s.recv_dgram(0) else { break };
        for m in split_msgs(&d) {
            if m.seq != seq {
                continue;
            }
            if m.ty == NLMSG_DONE || m.ty == NLMSG_ERROR {
                done = true;
                continue;
            }
            for (t, v) in attrs(&m.payload[4..]) {
                if t != 8 {
                    continue;
                }
                for (idx, tbl) in attrs(&v) {
                    for (aty, props) in attrs(&tbl) {
                        let p = attrs(&props).into_iter().map(|(k, v)| (k, num_of(&v))).collect();
                        pol.push((idx, aty, p));
                    }
                }
            }
        }
    }
    let echo_idx = pol.iter().find(|(_, aty, _)| *aty == A_LONG).map(|p| p.0);
    let get = |aty: u16, k: u16| -> Option<i64> {
        pol.iter()
            .find(|(i, t, _)| Some(*i) == echo_idx && *t == aty)
            .and_then(|(_, _, p)| p.iter().find(|(kk, _)| *kk == k).map(|x| x.1))
    };
    // (attr, NL_POLICY_TYPE_ATTR_*, expected)
    let want: &[(u16, u16, i64, &str)] = &[
        (A_NUM, 1, 4, "NUM type u32"),
        (A_NUM, 4, 1, "NUM min"),
        (A_NUM, 5, 1000, "NUM max"),
        (A_NAME, 1, 12, "NAME nul-string"),
        (A_NAME, 7, 15, "NAME max len"),
        (A_BIG, 4, 10, "BIG min"),
        (A_BIG, 5, 1 << 40, "BIG max"),
        (A_NEST, 1, 13, "NEST nested"),
        (A_NEST, 9, 4, "NEST maxtype"),
        (A_FLAG, 1, 1, "FLAG flag"),
        (A_BITS, 1, 15, "BITS bitfield32"),
        (A_BITS, 10, 7, "BITS mask"),
        (A_MAC, 6, 6, "MAC min len"),
        (A_MAC, 7, 6, "MAC max len"),
        (A_LIST, 1, 14, "LIST nested-array"),
        (A_FLAGS, 12, 5, "FLAGS mask"),
        (A_TEMP, 2, -300, "TEMP min"),
        (A_TEMP, 3, -10, "TEMP max"),
        (A_COUNT, 1, 17, "COUNT uint"),
        (A_COUNT, 5, 100, "COUNT max"),
        (A_DELTA, 1, 16, "DELTA sint"),
        (A_DELTA, 2, -5, "DELTA min"),
        (A_RAW, 1, 11, "RAW string"),
        (A_RAW, 7, 4, "RAW max len"),
        (A_SHORT, 6, 2, "SHORT min len"),
        (A_SHORT, 7, 4, "SHORT max len"),
        // the kernel's policy dump reports binary lengths only for ranges, not NLA_VALIDATE_MIN
        (A_LONG, 1, 10, "LONG binary"),
    ];
    let mut bad = Vec::new();
    for &(aty, k, v, what) in want {
        let got = get(aty, k);
        if got != Some(v) {
            bad.push(format!("{what}: want {v} got {got:?}"));
        }
    }
    rep.case(
        "getpolicy-matches-tables",
        echo_idx.is_some() && bad.is_empty(),
        format!("{} entries, {} checked, mismatches {:?}", pol.len(), want.len(), bad),
    );
}

/// `hold DIR`: subscribe, create `DIR/subscribed`, keep the socket until `DIR/unloaded` appears
/// (the guest script unloads the module meanwhile), then check that requests to the vanished
/// family fail cleanly (ENOENT) and the socket still works (nlctrl).
fn hold(dir: &str) {
    let mut rep = Report { failed: 0 };
    let mut s = Sock::open(1 << 20);
    let fam = resolve(&mut s, "nlspecproof").expect("family");
    let grp = fam.groups.first().map(|g| g.1).unwrap_or(0);
    // per-socket state that is still held at unload: the unregistration releases it
    let held = session(&mut s, fam.id, &[]);
    rep.case(
        "hold-subscribed",
        s.join(grp) && held.as_ref().is_ok_and(|x| x.0 == 1),
        format!("group {grp}, per-socket state {held:?}"),
    );
    let dir = std::path::Path::new(dir);
    std::fs::write(dir.join("subscribed"), b"").expect("signal file");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !dir.join("unloaded").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    let o = do_req(&mut s, fam.id, C_ECHO, &a);
    rep.case("hold-after-unload-enoent", matches!(o, Outcome::Err { errno: 2, .. }), describe(&o));
    rep.case("hold-ctrl-still-works", resolve(&mut s, "nlctrl").is_some(), "nlctrl resolves".into());
    std::process::exit(if rep.failed == 0 { 0 } else { 1 });
}

/// `netnsok`: `nlspecproof3` (netnsok false) works in the initial network namespace; a child in
/// a new network namespace (root, so `unshare(CLONE_NEWNET)` needs no user namespace) cannot
/// resolve it (ENOENT from nlctrl) nor reach it by its id (ENOENT from genetlink), while
/// `nlspecproof` (netnsok true, id `fam1`) resolves and answers there.
fn netnsok_cases(rep: &mut Report, s: &mut Sock, fam1: u16) {
    let Some(fam3) = resolve(s, "nlspecproof3") else {
        rep.case("netnsok-false-init-netns", false, "nlspecproof3 does not resolve".into());
        rep.case("netnsok-false-absent-in-new-netns", false, "skipped".into());
        return;
    };
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 4);
    let o = do_req(s, fam3.id, C_ECHO, &a);
    let ok = matches!(&o, Outcome::Reply(r) if find(r, A_VALUE).map(|v| u32_of(v)) == Some(20));
    rep.case("netnsok-false-init-netns", ok, describe(&o));
    // Exit code of the child: 0 all good, else the number of the first check that failed.
    // SAFETY: fork/unshare/_exit in a single-threaded program; the child only makes syscalls
    // through this file's wrappers and leaves with _exit.
    let st = unsafe {
        let pid = fork();
        if pid == 0 {
            let code = if unshare(CLONE_NEWNET) != 0 {
                10
            } else {
                let mut c = Sock::open(1 << 16);
                let mut n = Vec::new();
                put_str(&mut n, 2, "nlspecproof3");
                let mut a = Vec::new();
                put_u32(&mut a, A_NUM, 4);
                match (
                    do_req(&mut c, GENL_ID_CTRL, 3, &n),
                    do_req(&mut c, fam3.id, C_ECHO, &a),
                    resolve(&mut c, "nlspecproof").map(|f| f.id),
                    do_req(&mut c, fam1, C_ECHO, &a),
                ) {
                    (Outcome::Reply(_), ..) => 1,
                    (Outcome::Err { errno, .. }, ..) if errno != ENOENT => 2,
                    (_, Outcome::Reply(_), ..) => 3,
                    (_, Outcome::Err { errno, .. }, ..) if errno != ENOENT => 4,
                    (_, _, id, _) if id != Some(fam1) => 5,
                    (.., Outcome::Reply(r)) if find(&r, A_VALUE).map(|v| u32_of(v)) == Some(8) => 0,
                    _ => 6,
                }
            };
            _exit(code);
        }
        let mut st: c_int = 0;
        waitpid(pid, &mut st, 0);
        st
    };
    let why = match (st >> 8) & 0xff {
        0 if st == 0 => "hidden in a new netns (ENOENT by name and by id); nlspecproof reachable".to_string(),
        10 => "unshare(CLONE_NEWNET) failed".into(),
        1 => "nlspecproof3 resolved in a new netns".into(),
        2 => "resolving nlspecproof3 failed with another errno than ENOENT".into(),
        3 => "nlspecproof3 answered by id in a new netns".into(),
        4 => "nlspecproof3 by id: another errno than ENOENT".into(),
        5 => "nlspecproof (netnsok) did not resolve to the same id in the new netns".into(),
        6 => "nlspecproof (netnsok) echo failed in the new netns".into(),
        _ => format!("child status {st}"),
    };
    rep.case("netnsok-false-absent-in-new-netns", st == 0, why);
}

// The classic protocol of the proof module (unit 27, initial network namespace only).
const PROOF_UNIT: c_int = 27;
const RT_ECHO: u16 = 16;
const RT_LIST: u16 = 17;
const RT_ADMIN: u16 = 18;
const RT_EVENT: u16 = 19;
const R_NUM: u16 = 1;
const R_TEXT: u16 = 2;
const R_COUNT: u16 = 3;
const R_POST: u16 = 4;
const R_OPEN: u16 = 5;
const ECONNREFUSED: i32 = 111;

/// `RT_ECHO` with `num`; the reply's (R_NUM, R_POST, R_OPEN).
fn raw_echo(s: &mut Sock, num: u32) -> Result<(u32, u32, u32), String> {
    let mut a = Vec::new();
    put_u32(&mut a, R_NUM, num);
    match do_req_with_header(s, RT_ECHO, [0, 0, 0, 1], &a) {
        Outcome::Reply(r) => {
            let get = |t| find(&r, t).map(|v| u32_of(v)).ok_or(format!("echo reply without attribute {t}"));
            Ok((get(R_NUM)?, get(R_POST)?, get(R_OPEN)?))
        }
        o => Err(describe(&o)),
    }
}

/// Reads a `RT_LIST` dump of `count` entries from `first` on: (entry indexes, headers right,
/// datagrams, saw DONE).
fn raw_dump(s: &mut Sock, first: u32, count: u32, extra: &[u8]) -> (Vec<u32>, bool, usize, bool) {
    let mut a = Vec::new();
    put_u32(&mut a, R_NUM, first);
    put_u32(&mut a, R_COUNT, count);
    a.extend_from_slice(extra);
    let seq = s.send_with_header(RT_LIST, NLM_F_DUMP, [0; 4], &a);
    let (mut idx, mut headers, mut dgrams) = (Vec::new(), true, 0);
    // A buffer larger than any dump skb: netlink sizes those after the socket's receive buffers.
    while let Some(d) = s.recv_dgram(0) {
        dgrams += 1;
        for m in split_msgs(&d) {
            if m.seq != seq {
                continue;
            }
            match m.ty {
                NLMSG_DONE => return (idx, headers, dgrams, true),
                NLMSG_ERROR => return (idx, false, dgrams, false),
                _ => {
                    let i = find(&attrs(&m.payload[4..]), R_NUM).map(|v| u32_of(v)).unwrap_or(u32::MAX);
                    headers &= m.payload[..4] == i.to_ne_bytes() && m.flags & NLM_F_MULTI != 0;
                    idx.push(i);
                }
            }
        }
    }
    (idx, headers, dgrams, false)
}

/// Polls echo until the module's count of open list dumps is `want` (a dump's `done` runs when
/// the dump ends, or when its socket is released, possibly from a work item).
fn raw_wait_open(s: &mut Sock, want: u32) -> Result<(), String> {
    for _ in 0..250 {
        let (_, _, open) = raw_echo(s, 1)?;
        if open == want {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Err(format!("open dumps never became {want}"))
}

/// The support layer's classic netlink section, by hand: a protocol unit with three message
/// types, strict and liberal parsing, hooks, unicast replies, a multi-skb dump, broadcasts to an
/// open and an admin-only group, permissions, and the unit's absence outside the initial netns.
/// Per-socket state (`SESSION`): (this socket's count, sockets with state), or the outcome.
fn session(s: &mut Sock, family: u16, a: &[u8]) -> Result<(u32, u32), String> {
    match do_req(s, family, C_SESSION, a) {
        Outcome::Reply(r) => match (find(&r, A_VALUE), find(&r, A_IDX)) {
            (Some(v), Some(n)) => Ok((u32_of(v), u32_of(n))),
            _ => Err("reply without VALUE/IDX".into()),
        },
        o => Err(describe(&o)),
    }
}

/// `Request::sock_priv`: state per socket, shared by its requests and dumps, dropped when the
/// socket closes, refused for a type the family was not registered with.
fn sock_priv_cases(rep: &mut Report, family: u16) {
    let mut a = Sock::open(1 << 20);
    let first = (1..=3).map(|_| session(&mut a, family, &[])).collect::<Result<Vec<_>, _>>();
    // sockets of other running clients (the hold process) may have state too: count from here
    let base = first.as_ref().map_or(0, |v| v[0].1.saturating_sub(1));
    let ok = first.as_ref().is_ok_and(|v| v.iter().map(|x| x.0).eq(1..=3));
    let mut b = Sock::open(1 << 20);
    let other = session(&mut b, family, &[]);
    let ok = ok && other == Ok((1, base + 2));
    rep.case("sock-priv-per-socket", ok, format!("socket A {first:?}, socket B {other:?}"));

    // a dump on A counts in A's state (LIST bumps it once, from its request)
    let mut d = Vec::new();
    put_u32(&mut d, 1, 495);
    a.send_msg(family, NLM_F_REQUEST | NLM_F_DUMP, C_LIST, &d);
    let mut entries = 0;
    let mut done = false;
    while let Some(dg) = a.recv_dgram(0) {
        for m in split_msgs(&dg) {
            if m.ty == NLMSG_DONE {
                done = true;
            } else if m.ty == family {
                entries += 1;
            }
        }
        if done {
            break;
        }
    }
    let after = session(&mut a, family, &[]);
    rep.case(
        "sock-priv-dump-shares",
        done && entries == 5 && after.as_ref().is_ok_and(|x| x.0 == 5),
        format!("dump of {entries} entries (done {done}), then {after:?}"),
    );

    // closing B drops its state (the kernel calls destroy from the socket's release)
    drop(b);
    let closed = session(&mut a, family, &[]);
    rep.case(
        "sock-priv-destroyed-on-close",
        closed == Ok((6, base + 1)),
        format!("{closed:?} (sockets with state before: {})", base + 2),
    );

    let mut w = Vec::new();
    put(&mut w, A_FLAG, &[]);
    expect_err(
        rep,
        "sock-priv-wrong-type-einval",
        do_req(&mut a, family, C_SESSION, &w),
        EINVAL,
        None,
        Some("family has no per-socket state of this type"),
    );
}

fn classic_cases(rep: &mut Report) {
    let mut s = match Sock::try_open_on(PROOF_UNIT, 1 << 20) {
        Ok(s) => s,
        Err(e) => {
            rep.case("raw-protocol-open", false, format!("socket(AF_NETLINK, 27): errno {e}"));
            return;
        }
    };
    rep.case("raw-protocol-open", true, "protocol 27 exists".into());
    let listener = Sock::try_open_on(PROOF_UNIT, 1 << 20).expect("second socket");
    rep.case("raw-join-groups-as-root", listener.join(1) && listener.join(2), "groups 1 and 2".into());

    let mut a = Vec::new();
    put_u32(&mut a, R_NUM, 7);
    put_str(&mut a, R_TEXT, "hi");
    let o = do_req_with_header(&mut s, RT_ECHO, [1, 2, 3, 4], &a);
    let ok = matches!(&o, Outcome::Reply(r) if find(r, R_NUM).map(|v| u32_of(v)) == Some(21)
        && find(r, R_TEXT).map(|v| v.as_slice()) == Some(&b"hi\0"[..]));
    rep.case("raw-echo-unicast-reply", ok, describe(&o));
    let mut events = Vec::new();
    while events.len() < 2 {
        let Some(d) = listener.recv_dgram(0) else { break };
        for m in split_msgs(&d) {
            if m.ty == RT_EVENT {
                events.push(find(&attrs(&m.payload[4..]), R_NUM).map(|v| u32_of(v)));
            }
        }
    }
    rep.case("raw-broadcast-both-groups", events == [Some(7), Some(7)], format!("{events:?}"));

    let mut a = Vec::new();
    put_u32(&mut a, R_NUM, 0);
    expect_err(rep, "raw-policy-range", do_req_with_header(&mut s, RT_ECHO, [0; 4], &a), ERANGE, Some(20), None);
    let mut a = Vec::new();
    put_u32(&mut a, R_NUM, 3);
    put_u32(&mut a, 9, 3);
    expect_err(
        rep,
        "raw-strict-unknown-attribute",
        do_req_with_header(&mut s, RT_ECHO, [0; 4], &a),
        EINVAL,
        Some(28),
        None,
    );
    let o = do_req_with_header(&mut s, RT_ECHO, [0; 4], &[]);
    let missing = matches!(&o, Outcome::Err { errno, miss_type: Some(1), .. } if *errno == EINVAL);
    rep.case("raw-missing-attribute", missing, describe(&o));

    // Hooks: pre_doit refuses the header ff ff ff ff (no doit, no post_doit); post_doit counts
    // every other request the handler ran for, the failed one above (missing attribute) too.
    let hooks = (|| -> Result<String, String> {
        let (_, p0, _) = raw_echo(&mut s, 2)?;
        let mut a = Vec::new();
        put_u32(&mut a, R_NUM, 2);
        match do_req_with_header(&mut s, RT_ECHO, [0xff; 4], &a) {
            Outcome::Err { errno, msg, .. }
                if errno == EINVAL && msg.as_deref() == Some("proof: header refused by pre_doit") => {}
            o => return Err(format!("pre_doit: {}", describe(&o))),
        }
        let _ = do_req_with_header(&mut s, RT_ECHO, [0; 4], &[]);
        let (_, p1, _) = raw_echo(&mut s, 2)?;
        if p1 != p0 + 2 {
            return Err(format!("post_doit count {p0} -> {p1}, want +2"));
        }
        Ok(format!("post_doit count {p0} -> {p1}"))
    })();
    rep.case("raw-pre-post-doit", hooks.is_ok(), hooks.unwrap_or_else(|e| e));

    let (idx, headers, dgrams, done) = raw_dump(&mut s, 10, 1000, &[]);
    let ok = idx == (10..1010).collect::<Vec<u32>>() && headers && done && dgrams > 2;
    rep.case(
        "raw-dump-start-and-entries",
        ok,
        format!("{} entries from {:?}, {dgrams} datagrams", idx.len(), idx.first()),
    );
    let closed = raw_wait_open(&mut s, 0);
    rep.case("raw-dump-done-at-end", closed.is_ok(), format!("{closed:?}"));
    let mut extra = Vec::new();
    put_u32(&mut extra, 9, 1);
    let (idx, _, _, done) = raw_dump(&mut s, 0, 3, &extra);
    rep.case("raw-dump-liberal", idx == [0, 1, 2] && done, format!("unknown attribute ignored: {idx:?}"));
    let abandoned = (|| -> Result<(), String> {
        let mut d = Sock::try_open_on(PROOF_UNIT, 1 << 16).map_err(|e| format!("errno {e}"))?;
        let mut a = Vec::new();
        put_u32(&mut a, R_COUNT, 1000);
        d.send_with_header(RT_LIST, NLM_F_DUMP, [0; 4], &a);
        d.recv_dgram_len(0, 4096).ok_or("no first datagram")?;
        raw_wait_open(&mut s, 1)?;
        drop(d);
        raw_wait_open(&mut s, 0)
    })();
    rep.case("raw-dump-done-on-close", abandoned.is_ok(), format!("{abandoned:?}"));

    let o = do_req_with_header(&mut s, RT_ADMIN, [0; 4], &extra);
    rep.case("raw-admin-as-root-liberal", matches!(o, Outcome::Reply(_)), describe(&o));

    // Unprivileged: the admin type is refused, group 1 can be joined, group 2 cannot.
    // SAFETY: fork/setuid/_exit in a single-threaded program (the threads above have ended).
    let st = unsafe {
        let pid = fork();
        if pid == 0 {
            let code = if setuid(65534) != 0 {
                10
            } else {
                match Sock::try_open_on(PROOF_UNIT, 1 << 16) {
                    Err(_) => 11,
                    Ok(mut u) => match do_req_with_header(&mut u, RT_ADMIN, [0; 4], &[]) {
                        Outcome::Err { errno, .. } if errno == EPERM => match (u.join(1), u.join(2)) {
                            (true, false) => match raw_echo(&mut u, 3) {
                                Ok((9, _, _)) => 0,
                                _ => 4,
                            },
                            (false, _) => 2,
                            (true, true) => 3,
                        },
                        _ => 1,
                    },
                }
            };
            _exit(code);
        }
        let mut st: c_int = 0;
        waitpid(pid, &mut st, 0);
        st
    };
    let why = match (st >> 8) & 0xff {
        0 if st == 0 => "admin type EPERM, group 1 joined, group 2 refused, echo works".to_string(),
        1 => "admin type not refused with EPERM".into(),
        2 => "group 1 refused".into(),
        3 => "admin-only group 2 joined".into(),
        4 => "echo failed".into(),
        10 => "setuid failed".into(),
        11 => "socket failed".into(),
        _ => format!("child status {st}"),
    };
    rep.case("raw-unprivileged", st == 0, why);

    // The unit exists in the initial network namespace only (netns: false): a process in another
    // one can open a socket of the protocol (netlink registers protocols globally), but there is
    // no kernel socket to send to there.
    // SAFETY: as above.
    let st = unsafe {
        let pid = fork();
        if pid == 0 {
            let code = if unshare(CLONE_NEWNET) != 0 {
                10
            } else {
                match Sock::try_open_on(PROOF_UNIT, 1 << 16) {
                    Err(_) => 2,
                    Ok(mut u) => match u.try_send_with_header(RT_ECHO, NLM_F_ACK, [0; 4], &[]) {
                        Err(e) if e == ECONNREFUSED => 0,
                        Err(_) => 3,
                        Ok(_) => 1,
                    },
                }
            };
            _exit(code);
        }
        let mut st: c_int = 0;
        waitpid(pid, &mut st, 0);
        st
    };
    let why = match (st >> 8) & 0xff {
        0 if st == 0 => "no kernel socket in a new netns: ECONNREFUSED".to_string(),
        1 => "a request was accepted in a new netns".into(),
        2 => "socket failed in a new netns".into(),
        3 => "send failed with another errno than ECONNREFUSED".into(),
        10 => "unshare(CLONE_NEWNET) failed".into(),
        _ => format!("child status {st}"),
    };
    rep.case("raw-absent-in-new-netns", st == 0, why);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "hold" {
        hold(&args[2]);
    }
    let mut rep = Report { failed: 0 };
    let mut s = Sock::open(1 << 20);

    let fam = resolve(&mut s, "nlspecproof");
    let fam2 = resolve(&mut s, "nlspecproof2");
    rep.case("resolve", fam.is_some() && fam2.is_some(), "nlspecproof + nlspecproof2 via nlctrl".into());
    let (fam, fam2) = match (fam, fam2) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            println!("NLSPEC-RESULT FAIL");
            std::process::exit(1);
        }
    };
    let grp = fam.groups.iter().find(|(n, _)| n == "events").map(|g| g.1);
    rep.case("mcast-group-listed", grp.is_some(), format!("{:?}", fam.groups));
    let grp = grp.unwrap_or(0);
    let grp2 = fam2.groups.iter().find(|(n, _)| n == "events").map(|g| g.1).unwrap_or(0);

    let listener = Sock::open(1 << 20);
    rep.case("subscribe", listener.join(grp) && listener.join(grp2), format!("groups {grp} {grp2}"));
    let bystander = Sock::open(1 << 20);

    // do op with every request attribute kind
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 21);
    put_str(&mut a, A_NAME, "bob");
    put(&mut a, A_BIG, &(1u64 << 35).to_ne_bytes());
    put_u32(&mut a, A_MODE, 4);
    let mut nest = Vec::new();
    put_u32(&mut nest, A_IDX, 5);
    put_u32(&mut nest, A_IDX, 6);
    put(&mut a, A_NEST | 0x8000, &nest);
    let o = do_req(&mut s, fam.id, C_ECHO, &a);
    let d = describe(&o);
    let ok = match &o {
        Outcome::Reply(r) => {
            find(r, A_VALUE).map(|v| u32_of(v)) == Some(42)
                && find(r, A_IDX).map(|v| u32_of(v)) == Some(5)
                && find(r, A_NAME).map(|v| v.as_slice()) == Some(b"bob\0".as_slice())
                && find(r, A_BIG).map(|v| v.as_slice()) == Some((1u64 << 35).to_ne_bytes().as_slice())
                && find(r, A_NEST).map(|n| find(&attrs(n), A_IDX).map(|v| u32_of(v))) == Some(Some(11))
        }
        _ => false,
    };
    rep.case("do-echo", ok, d);

    // small uint goes out as 4 bytes
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    put(&mut a, A_BIG, &100u64.to_ne_bytes());
    let o = do_req(&mut s, fam.id, C_ECHO, &a);
    let ok = matches!(&o, Outcome::Reply(r) if find(r, A_BIG).map(|v| v.as_slice()) == Some(100u32.to_ne_bytes().as_slice()));
    rep.case("reply-uint-width", ok, describe(&o));

    // notifications: subscribed gets both events (21, then 1), bystander none
    let mut got = Vec::new();
    for _ in 0..2 {
        if let Some(d) = listener.recv_dgram(0) {
            for m in split_msgs(&d) {
                if m.ty == fam.id && m.payload[0] == C_EVENT {
                    got.push(find(&attrs(&m.payload[4..]), A_VALUE).map(|v| u32_of(v)));
                }
            }
        }
    }
    rep.case("notify-subscribed", got == vec![Some(21), Some(1)], format!("{got:?}"));
    let stray = bystander.recv_dgram(MSG_DONTWAIT);
    rep.case("notify-unsubscribed", stray.is_none(), format!("{:?} bytes", stray.map(|d| d.len())));

    // policy rejections with extended ACK
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 0);
    expect_err(&mut rep, "policy-range", do_req(&mut s, fam.id, C_ECHO, &a), ERANGE, Some(20), None);
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    put_str(&mut a, A_NAME, "a-name-that-is-too-long");
    expect_err(&mut rep, "policy-string-len", do_req(&mut s, fam.id, C_ECHO, &a), EINVAL, Some(28), None);
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    put(&mut a, A_BIG, &5u64.to_ne_bytes());
    expect_err(&mut rep, "policy-u64-full-range", do_req(&mut s, fam.id, C_ECHO, &a), ERANGE, Some(28), None);
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    put_u32(&mut a, A_MODE, 2);
    expect_err(
        &mut rep,
        "policy-sparse-enum",
        do_req(&mut s, fam.id, C_ECHO, &a),
        EINVAL,
        Some(28),
        Some("MODE must be 1, 4 or 9"),
    );
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    put_u32(&mut a, A_VALUE, 1);
    expect_err(&mut rep, "policy-reject", do_req(&mut s, fam.id, C_ECHO, &a), EINVAL, Some(28), None);
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    put_u32(&mut a, 30, 1);
    expect_err(&mut rep, "policy-unknown-attr", do_req(&mut s, fam.id, C_ECHO, &a), EINVAL, None, None);
    let mut a = Vec::new();
    put(&mut a, A_NUM, &[1, 0]);
    expect_err(
        &mut rep,
        "policy-wrong-length",
        do_req(&mut s, fam.id, C_ECHO, &a),
        EINVAL,
        Some(20),
        Some("invalid attribute length"),
    );
    let mut a = Vec::new();
    put_str(&mut a, A_NAME, "x");
    let o = do_req(&mut s, fam.id, C_ECHO, &a);
    let ok = matches!(&o, Outcome::Err { errno, msg, miss_type, .. }
        if *errno == EINVAL && *miss_type == Some(A_NUM as u32) && msg.as_deref() == Some("missing required attribute"));
    rep.case("missing-attr-extack", ok, describe(&o));

    // missing attribute inside a nest: miss_type + miss_nest (offset of the nest)
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 1);
    put(&mut a, A_NEST | 0x8000, &[]);
    let o = do_req(&mut s, fam.id, C_ECHO, &a);
    let ok = matches!(&o, Outcome::Err { errno, miss_type, miss_nest, msg, .. }
        if *errno == EINVAL && *miss_type == Some(A_IDX as u32) && *miss_nest == Some(28) && msg.as_deref() == Some("NEST needs IDX"));
    rep.case("missing-in-nest-extack", ok, describe(&o));

    // every policy constructor: valid values accepted
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 2);
    put(&mut a, A_FLAG, &[]);
    let mut bf = Vec::new();
    bf.extend_from_slice(&5u32.to_ne_bytes());
    bf.extend_from_slice(&7u32.to_ne_bytes());
    put(&mut a, A_BITS, &bf);
    put(&mut a, A_MAC, &[1, 2, 3, 4, 5, 6]);
    let mut elem = Vec::new();
    put_u32(&mut elem, A_IDX, 3);
    let mut arr = Vec::new();
    put(&mut arr, 1 | 0x8000, &elem);
    put(&mut arr, 2 | 0x8000, &elem);
    put(&mut a, A_LIST | 0x8000, &arr);
    put_u32(&mut a, A_FLAGS, 4);
    put(&mut a, A_TEMP, &(-20i32).to_ne_bytes());
    put(&mut a, A_COUNT, &100u64.to_ne_bytes());
    put(&mut a, A_DELTA, &(-5i32).to_ne_bytes());
    put(&mut a, A_RAW, b"abcd");
    put(&mut a, A_SHORT, &[1, 2, 3]);
    put(&mut a, A_LONG, &[0u8; 40]);
    let o = do_req(&mut s, fam.id, C_ECHO, &a);
    let ok =
        matches!(&o, Outcome::Reply(r) if find(r, A_FLAG).is_some() && find(r, A_VALUE).map(|v| u32_of(v)) == Some(4));
    rep.case("policy-all-kinds-accept", ok, describe(&o));
    // ...and each one rejecting (attribute at offset 28, right after NUM)
    let bad: Vec<(&str, u16, Vec<u8>, i32)> = vec![
        ("bitfield32-invalid-bits", A_BITS, [8u32.to_ne_bytes(), 8u32.to_ne_bytes()].concat(), EINVAL),
        ("binary-exact-len", A_MAC, vec![1, 2, 3, 4, 5], ERANGE),
        ("flags-mask", A_FLAGS, 2u32.to_ne_bytes().to_vec(), EINVAL),
        ("s32-full-range", A_TEMP, (-5i32).to_ne_bytes().to_vec(), ERANGE),
        ("uint-max", A_COUNT, 101u32.to_ne_bytes().to_vec(), ERANGE),
        ("sint-min", A_DELTA, (-6i64).to_ne_bytes().to_vec(), ERANGE),
        ("string-unterminated-max", A_RAW, b"abcde".to_vec(), ERANGE),
        ("binary-len-range", A_SHORT, vec![1], ERANGE),
        ("binary-min-len", A_LONG, vec![1, 2], ERANGE),
        ("flag-with-payload", A_FLAG, vec![1, 0, 0, 0], ERANGE),
    ];
    for (name, ty, payload, want) in bad {
        let mut a = Vec::new();
        put_u32(&mut a, A_NUM, 2);
        put(&mut a, ty, &payload);
        expect_err(&mut rep, &format!("policy-{name}"), do_req(&mut s, fam.id, C_ECHO, &a), want, Some(28), None);
    }
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 2);
    let mut bad_elem = Vec::new();
    put_u32(&mut bad_elem, A_IDX, 3);
    put_u32(&mut bad_elem, 1, 3); // rejected inside the element policy
    let mut arr = Vec::new();
    put(&mut arr, 1 | 0x8000, &bad_elem);
    put(&mut a, A_LIST | 0x8000, &arr);
    expect_err(&mut rep, "policy-nested-array-element", do_req(&mut s, fam.id, C_ECHO, &a), EINVAL, Some(44), None);

    // the kernel's view of the tables (nlctrl getpolicy) matches what the const fns built
    check_policy_dump(&mut rep, &mut s);

    // dump across many skbs: 500 entries exactly once, in order
    for (buflen, min_dgrams) in [(32 * 1024, 3usize), (8 * 1024, 10usize)] {
        let (idx, dgrams, done, good) = dump_list(fam.id, buflen);
        let exact = idx.len() == 500 && idx.iter().enumerate().all(|(i, &v)| v == i as u32);
        rep.case(
            &format!("dump-500-recvbuf-{}k", buflen / 1024),
            exact && done && good && dgrams >= min_dgrams,
            format!("{} entries, {} datagrams, done {}, values ok {}", idx.len(), dgrams, done, good),
        );
    }

    // dump request attributes (parsed with the dump's policy) and the oversized-entry error
    let (first, count, err) = dump_raw(fam.id, &{
        let mut a = Vec::new();
        put_u32(&mut a, 1, 450);
        a
    });
    rep.case(
        "dump-request-attrs",
        first == Some(450) && count == 50 && err == 0,
        format!("first {first:?} count {count} done errno {err}"),
    );
    let (_, count, err) = dump_raw(fam.id, &{
        let mut a = Vec::new();
        put(&mut a, 2, &[]);
        a
    });
    rep.case("dump-entry-too-big-emsgsize", count == 0 && err == 90, format!("count {count} done errno {err}"));
    let (_, count, err) = dump_raw(fam.id, &{
        let mut a = Vec::new();
        put_u32(&mut a, 1, 500);
        a
    });
    rep.case("dump-policy-checked", count == 0 && err == ERANGE, format!("count {count} errno {err}"));

    // admin-perm: root ok, unprivileged EPERM
    let o = do_req(&mut s, fam.id, C_ADMIN, &[]);
    let counts = |o: &Outcome| match o {
        Outcome::Reply(r) => (find(r, A_VALUE).map(|v| u32_of(v)), find(r, A_IDX).map(|v| u32_of(v))),
        _ => (None, None),
    };
    rep.case("admin-as-root", counts(&o) == (Some(1), Some(0)), format!("{} pre/post {:?}", describe(&o), counts(&o)));
    // split-op pre_doit / post_doit hooks: pre refuses NUM=999 (no doit, no post), else counts
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 999);
    expect_err(
        &mut rep,
        "pre-doit-refuses",
        do_req(&mut s, fam.id, C_ADMIN, &a),
        EPERM,
        Some(20),
        Some("refused by pre_doit"),
    );
    let o = do_req(&mut s, fam.id, C_ADMIN, &[]);
    rep.case("pre-post-doit-ran", counts(&o) == (Some(2), Some(1)), format!("pre/post {:?}", counts(&o)));
    // SAFETY: fork/setuid/_exit in a single-threaded program.
    unsafe {
        let pid = fork();
        if pid == 0 {
            let code = if setuid(65534) != 0 {
                3
            } else {
                let mut s2 = Sock::open(1 << 16);
                match do_req(&mut s2, fam.id, C_ADMIN, &[]) {
                    Outcome::Err { errno, .. } if errno == EPERM => 0,
                    _ => 1,
                }
            };
            _exit(code);
        }
        let mut st: c_int = 0;
        waitpid(pid, &mut st, 0);
        rep.case("admin-unprivileged-eperm", st == 0, format!("child status {st}"));
    }

    netnsok_cases(&mut rep, &mut s, fam.id);

    // second family: genl_ops table with a family-wide policy
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 7);
    let o = do_req(&mut s, fam2.id, C_ECHO, &a);
    let ok = matches!(&o, Outcome::Reply(r) if find(r, A_VALUE).map(|v| u32_of(v)) == Some(21));
    rep.case("ops-table-do", ok, describe(&o));
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 8);
    put_u32(&mut a, 30, 1);
    let o = do_req(&mut s, fam2.id, C_ECHO, &a);
    let ok = matches!(&o, Outcome::Reply(r) if find(r, A_VALUE).map(|v| u32_of(v)) == Some(24));
    rep.case("ops-table-dont-validate-strict", ok, format!("unknown attr ignored: {}", describe(&o)));
    let mut a = Vec::new();
    put_u32(&mut a, A_NUM, 5000);
    expect_err(&mut rep, "ops-table-family-policy", do_req(&mut s, fam2.id, C_ECHO, &a), ERANGE, Some(20), None);
    // (events of the first family from the policy cases above are still queued: skip them)
    let mut got2 = None;
    while got2.is_none() {
        let Some(d) = listener.recv_dgram(0) else { break };
        for m in split_msgs(&d) {
            if m.ty == fam2.id && m.payload[0] == C_EVENT {
                got2 = find(&attrs(&m.payload[4..]), A_VALUE).map(|v| u32_of(v));
            }
        }
    }
    rep.case("ops-table-notify", got2 == Some(7), format!("{got2:?}"));
    let (idx, dgrams, done, good) = dump_list(fam2.id, 32 * 1024);
    rep.case(
        "ops-table-dump",
        idx.len() == 500 && done && good,
        format!("{} entries, {} datagrams", idx.len(), dgrams),
    );

    // several clients at once (the split family runs with parallel_ops)
    let id = fam.id;
    let workers: Vec<_> = (0..4u32)
        .map(|t| {
            std::thread::spawn(move || {
                let mut s = Sock::open(1 << 20);
                let mut ok = 0;
                for i in 0..25u32 {
                    let n = 1 + t * 100 + i;
                    let mut a = Vec::new();
                    put_u32(&mut a, A_NUM, n);
                    if let Outcome::Reply(r) = do_req(&mut s, id, C_ECHO, &a) {
                        if find(&r, A_VALUE).map(|v| u32_of(v)) == Some(2 * n) {
                            ok += 1;
                        }
                    }
                }
                let (idx, _, done, good) = dump_list(id, 16 * 1024);
                ok + (idx.len() == 500 && done && good) as u32
            })
        })
        .collect();
    let results: Vec<u32> = workers.into_iter().map(|w| w.join().unwrap_or(0)).collect();
    rep.case("concurrent-clients", results.iter().all(|&r| r == 26), format!("per thread ok {results:?} of 26"));

    sock_priv_cases(&mut rep, fam.id);
    classic_cases(&mut rep);

    if rep.failed == 0 {
        println!("NLSPEC-RESULT PASS");
    } else {
        println!("NLSPEC-RESULT FAIL ({} failed)", rep.failed);
        std::process::exit(1);
    }
}

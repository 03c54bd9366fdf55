//! Dump decode throughput: nlspec-rt against a raw syscall floor over the same dumps.
//!
//! `cargo bench -p nlspec-rt --bench dump`. Each iteration runs one complete dump against the
//! live kernel: the nlctrl family list, and the (larger) ethtool policy dump when the host has
//! ethtool. "floor" is a plain libc send + recv loop that only walks the nlmsghdr chain; "rt"
//! is `GenlSocket::dump` plus walking every top-level attribute of every message.

use std::hint::black_box;
use std::mem;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nlspec_rt::ctrl::{self, CTRL_ATTR_FAMILY_NAME};
use nlspec_rt::msg::{finish_message, start_message, NlMsgHdr, NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST};
use nlspec_rt::{AttrWriter, GenlSocket, Request};

struct RawSock(i32);

impl RawSock {
    fn new() -> Self {
        // SAFETY: plain socket(2) call with integer arguments.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_GENERIC) };
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        RawSock(fd)
    }

    /// Send `req` and receive until NLMSG_DONE; returns (messages, bytes).
    fn dump(&self, req: &[u8], buf: &mut [u8]) -> (u64, u64) {
        // SAFETY: all-zero sockaddr_nl is valid; it addresses the kernel (pid 0).
        let mut sa: libc::sockaddr_nl = unsafe { mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `req` is readable for its length, `sa` is a valid sockaddr_nl of that size.
        let rc = unsafe {
            libc::sendto(
                self.0,
                req.as_ptr().cast(),
                req.len(),
                0,
                (&sa as *const libc::sockaddr_nl).cast(),
                mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        assert!(rc >= 0);
        let (mut msgs, mut bytes) = (0u64, 0u64);
        loop {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
            assert!(n > 0);
            let n = n as usize;
            bytes += n as u64;
            let mut pos = 0;
            while pos + 16 <= n {
                let h = NlMsgHdr::parse(&buf[pos..n]).unwrap();
                if h.ty == NLMSG_DONE || h.ty == NLMSG_ERROR {
                    return (msgs, bytes);
                }
                msgs += 1;
                pos += (h.len as usize + 3) & !3;
            }
        }
    }
}

impl Drop for RawSock {
    fn drop(&mut self) {
        // SAFETY: we own the fd and close it once.
        unsafe { libc::close(self.0) };
    }
}

fn bench_one(c: &mut Criterion, name: &str, req: Request<'static>, family_name: Option<&'static str>) {
    let mut raw_req = Vec::new();
    start_message(&mut raw_req, req.family, NLM_F_REQUEST | NLM_F_DUMP, 1, 0, req.cmd, req.version, &[]);
    let mut w = AttrWriter::new(&mut raw_req);
    if let Some(f) = family_name {
        w.put_str(CTRL_ATTR_FAMILY_NAME, f);
    }
    finish_message(&mut raw_req).unwrap();

    let raw = RawSock::new();
    let mut buf = vec![0u8; 32 * 1024];
    let (msgs, bytes) = raw.dump(&raw_req, &mut buf);
    let mut sock = GenlSocket::new().unwrap();

    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(msgs));
    eprintln!("{name}: {msgs} messages, {bytes} bytes per dump");
    g.bench_function("floor (libc recv loop)", |b| b.iter(|| black_box(raw.dump(&raw_req, &mut buf))));
    g.bench_function("rt (GenlSocket::dump + attrs)", |b| {
        b.iter(|| {
            let mut it = sock
                .dump(&req, |w| {
                    if let Some(f) = family_name {
                        w.put_str(CTRL_ATTR_FAMILY_NAME, f);
                    }
                })
                .unwrap();
            let mut n = 0u64;
            while let Some(m) = it.next() {
                for a in m.unwrap().attrs() {
                    n += u64::from(a.unwrap().ty());
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_one(c, "nlctrl getfamily dump", ctrl::getfamily_request(), None);
    let mut s = GenlSocket::new().unwrap();
    if s.resolve_family("ethtool").is_ok() {
        bench_one(c, "ethtool getpolicy dump", ctrl::getpolicy_request(), Some("ethtool"));
    }
}

criterion_group! {
    name = dump;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(dump);

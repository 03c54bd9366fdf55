//! netlink-raw families (rtnetlink and friends): the same YNL convention over a plain netlink
//! socket of the spec's `protonum`. `nlspec_rt::GenlSocket` speaks Generic Netlink only, so
//! this module has its own minimal socket (the only `unsafe` of the CLI, each block with its
//! argument); message parsing and kernel-error decoding reuse `nlspec_rt`.

use std::collections::VecDeque;
use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nlspec_rt::error::{parse_done_msg, parse_error_msg, RequestContext};
use nlspec_rt::msg::{
    finish_message, nlmsg_align, NlMsg, NlMsgHdr, NlMsgIter, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP,
    NLMSG_OVERRUN, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};

/// A netlink socket of any protocol.
pub struct RawSock {
    fd: OwnedFd,
    port: u32,
    seq: u32,
    /// Datagrams that arrived while waiting for a reply and are not ours: notifications.
    queued: VecDeque<Vec<u8>>,
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn set_opt(fd: RawFd, name: libc::c_int, val: libc::c_int) -> io::Result<()> {
    // SAFETY: `val` is a live c_int and the length passed is exactly its size.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_NETLINK,
            name,
            &val as *const libc::c_int as *const libc::c_void,
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
}

fn sockaddr() -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is a plain C struct of integers; all-zero is a valid value.
    let mut sa: libc::sockaddr_nl = unsafe { mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa
}

impl RawSock {
    /// Open, set the ACK options YNL sets, and bind to an automatic port.
    pub fn new(protonum: u32) -> io::Result<Self> {
        let proto = libc::c_int::try_from(protonum).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: plain syscall with integer arguments.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto) };
        check(fd)?;
        // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let raw = fd.as_raw_fd();
        set_opt(raw, libc::NETLINK_CAP_ACK, 1)?;
        set_opt(raw, libc::NETLINK_EXT_ACK, 1)?;
        set_opt(raw, libc::NETLINK_GET_STRICT_CHK, 1)?;
        let sa = sockaddr();
        // SAFETY: `sa` is a valid sockaddr_nl and the length is its size.
        check(unsafe {
            libc::bind(
                raw,
                &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
                mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        let mut out = sockaddr();
        let mut len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: `out` is writable for `len` bytes; `len` is a valid in/out length.
        check(unsafe { libc::getsockname(raw, &mut out as *mut libc::sockaddr_nl as *mut libc::sockaddr, &mut len) })?;
        Ok(RawSock { fd, port: out.nl_pid, seq: 0, queued: VecDeque::new() })
    }

    /// Join multicast group `group` (the spec's `mcast-groups` value).
    pub fn add_membership(&self, group: u32) -> io::Result<()> {
        let g = libc::c_int::try_from(group).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        set_opt(self.fd.as_raw_fd(), libc::NETLINK_ADD_MEMBERSHIP, g)
    }

    fn send(&self, b: &[u8]) -> io::Result<()> {
        let sa = sockaddr();
        // SAFETY: `b` is readable for its length; `sa` is a valid sockaddr_nl of the given size.
        let rc = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                b.as_ptr() as *const libc::c_void,
                b.len(),
                0,
                &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
                mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// One datagram, waiting at most `timeout` (`None`: forever). `Ok(None)` on timeout.
    fn recv(&self, timeout: Option<Duration>) -> io::Result<Option<Vec<u8>>> {
        let fd = self.fd.as_raw_fd();
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        let ms = timeout.map(|t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX)).unwrap_or(-1);
        loop {
            // SAFETY: one valid pollfd, count 1.
            let rc = unsafe { libc::poll(&mut p, 1, ms) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if rc == 0 {
                return Ok(None);
            }
            break;
        }
        // Size the buffer to the datagram: MSG_PEEK | MSG_TRUNC returns its real length.
        let mut empty = [0u8; 0];
        // SAFETY: a zero-length buffer: the kernel writes nothing.
        let n = unsafe { libc::recv(fd, empty.as_mut_ptr() as *mut libc::c_void, 0, libc::MSG_PEEK | libc::MSG_TRUNC) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = vec![0u8; (n as usize).max(16)];
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        buf.truncate(n as usize);
        Ok(Some(buf))
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }
}

/// Split a datagram into its netlink messages (stops at the first malformed one).
fn messages(d: &[u8]) -> Vec<NlMsg<'_>> {
    NlMsgIter::new(d).map_while(Result::ok).collect()
}

/// A message the kernel sent: type, fixed header bytes, attribute bytes.
pub struct Reply<'a> {
    pub ty: u16,
    pub header: &'a [u8],
    pub attrs: &'a [u8],
}

/// Split a message's payload by the fixed-header size.
pub fn reply<'a>(m: &NlMsg<'a>, hdrsize: usize) -> Reply<'a> {
    let p = m.payload();
    let h = hdrsize.min(p.len());
    let a = ((hdrsize + 3) & !3).min(p.len());
    Reply { ty: m.hdr.ty, header: &p[..h], attrs: &p[a..] }
}

/// Why an exchange stopped.
pub enum Failure {
    Io(io::Error),
    Kernel(nlspec_rt::Error),
    /// The callback's own error.
    Stop(super::Fail),
}

impl RawSock {
    /// Send a request (`ty`, extra `flags`, fixed `header`, `attrs`; a dump if `dump`) and hand
    /// every reply message to `f` until the ACK (do) or DONE (dump). Messages that are not
    /// replies to it are queued for [`RawSock::notification`].
    pub fn exchange(
        &mut self,
        ty: u16,
        flags: u16,
        dump: bool,
        header: &[u8],
        attrs: &[u8],
        mut f: impl FnMut(&NlMsg<'_>) -> Result<(), super::Fail>,
    ) -> Result<(), Failure> {
        let seq = self.next_seq();
        let mut nl_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        if dump {
            nl_flags |= NLM_F_DUMP;
        }
        let mut req = Vec::with_capacity(NLMSG_HDRLEN + header.len() + attrs.len() + 4);
        req.extend_from_slice(&NlMsgHdr { len: 0, ty, flags: nl_flags, seq, pid: self.port }.to_bytes());
        req.extend_from_slice(header);
        req.resize(nlmsg_align(req.len()), 0);
        req.extend_from_slice(attrs);
        finish_message(&mut req).map_err(|e| Failure::Kernel(e.into()))?;
        self.send(&req).map_err(Failure::Io)?;
        // The runtime's offset walk assumes a 4-byte genl header after the nlmsghdr; shifting
        // the fixed-header size by 4 makes it walk our attributes (headers are 4-aligned).
        let ctx = (header.len() >= 4).then(|| RequestContext { bytes: &req, hdrsize: header.len() - 4, schema: None });
        loop {
            let d = self.recv(None).map_err(Failure::Io)?.unwrap_or_default();
            let mut queue = false;
            for nl in messages(&d) {
                if nl.hdr.seq != seq || nl.hdr.pid != self.port {
                    queue = true;
                    continue;
                }
                match nl.hdr.ty {
                    NLMSG_ERROR => {
                        return parse_error_msg(&nl, ctx).map_err(Failure::Kernel);
                    }
                    NLMSG_DONE => {
                        return parse_done_msg(&nl, ctx).map_err(Failure::Kernel);
                    }
                    NLMSG_NOOP => {}
                    NLMSG_OVERRUN => {
                        return Err(Failure::Kernel(nlspec_rt::Error::Protocol("NLMSG_OVERRUN".into())));
                    }
                    _ => f(&nl).map_err(Failure::Stop)?,
                }
            }
            if queue {
                self.queued.push_back(d);
            }
        }
    }

    /// The next datagram that was not a reply (a notification), waiting until `deadline`.
    pub fn notification(&mut self, deadline: Option<Instant>) -> io::Result<Option<Vec<u8>>> {
        if let Some(d) = self.queued.pop_front() {
            return Ok(Some(d));
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Ok(None);
        }
        self.recv(left)
    }

    /// Split a notification datagram into messages (multicast datagrams may hold several).
    pub fn split(d: &[u8]) -> Vec<NlMsg<'_>> {
        messages(d)
    }
}

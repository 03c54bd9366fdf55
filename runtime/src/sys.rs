//! The syscall layer: the only module with `unsafe` (apart from registering a socket with
//! tokio). Thin wrappers over `libc`, for netlink sockets of any protocol.
//!
//! Why `libc` directly: the runtime needs `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK`,
//! `NETLINK_GET_STRICT_CHK`, `NETLINK_PKTINFO` (to tell multicast from unicast datagrams),
//! `NETLINK_ADD/DROP_MEMBERSHIP`, `recvmsg` with `MSG_TRUNC` into two buffers (see [`Spill`]),
//! `recvfrom` with `MSG_TRUNC` (the sender's address without a control message),
//! `recv(MSG_PEEK | MSG_TRUNC)`, an anonymous `MAP_NORESERVE` mapping and a raw fd for tokio's
//! `AsyncFd`. `libc` has every one of these with the kernel's own values and types; wrapper
//! crates (netlink-sys, rustix) cover only some of them, so we would end up with `libc` anyway.
//!
//! Under `cfg(test)` every send and receive syscall is counted per thread ([`count`]), so unit
//! tests can assert how many a request or a dump costs.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

use crate::msg::RecvInfo;

/// Open a netlink socket of `protocol` (`NETLINK_GENERIC`, `NETLINK_ROUTE`, ...; close-on-exec,
/// non-blocking if asked).
pub fn socket(protocol: libc::c_int, nonblocking: bool) -> io::Result<OwnedFd> {
    let mut ty = libc::SOCK_RAW | libc::SOCK_CLOEXEC;
    if nonblocking {
        ty |= libc::SOCK_NONBLOCK;
    }
    // SAFETY: plain syscall with integer arguments; no memory is passed.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, ty, protocol) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2), is valid and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Move the calling thread into the network namespace `ns` refers to (`setns(2)` with
/// `CLONE_NEWNET`: only this thread moves; sockets it opens afterwards belong to that namespace
/// for their whole life).
pub fn setns_net(ns: RawFd) -> io::Result<()> {
    // SAFETY: plain syscall with integer arguments; no memory is passed. A bad descriptor or a
    // file that is not a network namespace is reported by the kernel as an error.
    let rc = unsafe { libc::setns(ns, libc::CLONE_NEWNET) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn sockaddr(pid: u32, groups: u32) -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is a plain C struct of integers (and padding); all-zero is valid.
    let mut sa: libc::sockaddr_nl = unsafe { mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa.nl_pid = pid;
    sa.nl_groups = groups;
    sa
}

/// Bind to an automatically chosen port id and return it.
pub fn bind_auto(fd: &OwnedFd) -> io::Result<u32> {
    let sa = sockaddr(0, 0);
    // SAFETY: `sa` is a valid sockaddr_nl and the length passed is exactly its size.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
            mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as in `sockaddr`, all-zero is a valid sockaddr_nl.
    let mut out: libc::sockaddr_nl = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    // SAFETY: `out` is writable for `len` bytes and `len` is a valid in/out length.
    let rc = unsafe {
        libc::getsockname(fd.as_raw_fd(), &mut out as *mut libc::sockaddr_nl as *mut libc::sockaddr, &mut len)
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(out.nl_pid)
}

/// `setsockopt(fd, level, name, &(val as c_int))`.
pub fn setsockopt_int(fd: RawFd, level: i32, name: i32, val: i32) -> io::Result<()> {
    let v: libc::c_int = val;
    // SAFETY: `v` is a live c_int and the length passed is its size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &v as *const libc::c_int as *const libc::c_void,
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Netlink-level socket option (`SOL_NETLINK`).
pub fn set_netlink_opt(fd: RawFd, name: i32, val: i32) -> io::Result<()> {
    setsockopt_int(fd, libc::SOL_NETLINK, name, val)
}

/// Join (`join`) or leave multicast group `group` (`NETLINK_ADD/DROP_MEMBERSHIP`). The kernel
/// reads the option as an unsigned int: the cast keeps the bits.
pub fn set_membership(fd: RawFd, group: u32, join: bool) -> io::Result<()> {
    let opt = if join { libc::NETLINK_ADD_MEMBERSHIP } else { libc::NETLINK_DROP_MEMBERSHIP };
    set_netlink_opt(fd, opt, group as i32)
}

/// Send one datagram to the kernel (port 0, no groups).
pub fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    send_to(fd, buf, 0, 0)
}

/// Send one datagram to port `pid` and/or multicast group bitmask `groups` (`nl_groups`).
pub fn send_to(fd: RawFd, buf: &[u8], pid: u32, groups: u32) -> io::Result<usize> {
    #[cfg(test)]
    count::bump(&count::SENDS);
    let sa = sockaddr(pid, groups);
    // SAFETY: `buf` is readable for its length; `sa` is a valid sockaddr_nl of the given size.
    let rc = unsafe {
        libc::sendto(
            fd,
            buf.as_ptr() as *const libc::c_void,
            buf.len(),
            0,
            &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
            mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

/// Length of the next queued datagram, without consuming it (`MSG_PEEK | MSG_TRUNC`, zero-size
/// buffer). Blocks unless `dontwait`.
pub fn peek_len(fd: RawFd, dontwait: bool) -> io::Result<usize> {
    let mut flags = libc::MSG_PEEK | libc::MSG_TRUNC;
    if dontwait {
        flags |= libc::MSG_DONTWAIT;
    }
    #[cfg(test)]
    count::bump(&count::PEEKS);
    let mut dummy = [0u8; 0];
    // SAFETY: a zero-length buffer is passed, so the kernel writes nothing; the pointer is
    // valid (dangling-but-aligned is fine for length 0).
    let rc = unsafe { libc::recv(fd, dummy.as_mut_ptr() as *mut libc::c_void, 0, flags) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

/// Receive one datagram into `buf`, and what does not fit there into `spill` (if given): the
/// datagram is scattered over both (`recvmsg` with two `iovec`s), so a datagram up to
/// `buf.len() + spill.len()` bytes arrives whole in this one syscall. Passes `MSG_TRUNC` so the
/// real length is reported: `RecvInfo::len` is what was stored (over both buffers),
/// `full_len` the datagram's size.
pub fn recv(fd: RawFd, buf: &mut [u8], spill: Option<&mut [u8]>, dontwait: bool) -> io::Result<RecvInfo> {
    #[cfg(test)]
    count::bump(&count::RECVS);
    let mut sa = sockaddr(0, 0);
    let room = buf.len() + spill.as_ref().map_or(0, |s| s.len());
    let mut iov = [
        libc::iovec { iov_base: buf.as_mut_ptr() as *mut libc::c_void, iov_len: buf.len() },
        libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 },
    ];
    let mut iovlen = 1;
    if let Some(s) = spill {
        iov[1] = libc::iovec { iov_base: s.as_mut_ptr() as *mut libc::c_void, iov_len: s.len() };
        iovlen = 2;
    }
    // u64 array: aligned for cmsghdr; 64 bytes holds one nl_pktinfo control message.
    let mut cbuf = [0u64; 8];
    // SAFETY: msghdr is a plain C struct; all-zero is a valid starting value.
    let mut mh: libc::msghdr = unsafe { mem::zeroed() };
    mh.msg_name = &mut sa as *mut libc::sockaddr_nl as *mut libc::c_void;
    mh.msg_namelen = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    mh.msg_iov = iov.as_mut_ptr();
    mh.msg_iovlen = iovlen;
    mh.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
    mh.msg_controllen = mem::size_of_val(&cbuf) as _;
    let mut flags = libc::MSG_TRUNC;
    if dontwait {
        flags |= libc::MSG_DONTWAIT;
    }
    // SAFETY: every pointer in `mh` refers to a live local (`sa`, `iov`, `cbuf`) or to `buf` /
    // `spill` (exclusively borrowed), each valid for the length given next to it, for the
    // duration of the call; `msg_iovlen` counts only the initialized `iov` entries.
    let rc = unsafe { libc::recvmsg(fd, &mut mh, flags) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let full_len = rc as usize;
    let mut group = 0u32;
    // SAFETY: CMSG_FIRSTHDR/CMSG_NXTHDR only read `mh` and the control buffer the kernel filled
    // (bounded by `msg_controllen`, which the kernel updated); CMSG_DATA points inside it.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&mh);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_NETLINK && (*c).cmsg_type == libc::NETLINK_PKTINFO {
                let data = libc::CMSG_DATA(c) as *const u8;
                group = std::ptr::read_unaligned(data as *const u32);
            }
            c = libc::CMSG_NXTHDR(&mh, c);
        }
    }
    Ok(RecvInfo { len: full_len.min(room), full_len, group, sender: sa.nl_pid })
}

/// Receive one datagram into `buf` with `recvfrom`: the sender's address but no control
/// message, and so cheaper than [`recv`] (no `msghdr` or `iovec` to copy in, no `cmsg` to
/// copy out: ~0.1 µs per datagram). For sockets in no multicast group, where every datagram
/// is unicast; `RecvInfo::group` is still set from the address's group mask when a datagram
/// says it was multicast to one of groups 1-32. `MSG_TRUNC` reports the real length.
pub fn recv_from(fd: RawFd, buf: &mut [u8], dontwait: bool) -> io::Result<RecvInfo> {
    #[cfg(test)]
    count::bump(&count::RECVS);
    let mut sa = sockaddr(0, 0);
    let mut sa_len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    let mut flags = libc::MSG_TRUNC;
    if dontwait {
        flags |= libc::MSG_DONTWAIT;
    }
    // SAFETY: `buf` is exclusively borrowed and valid for `buf.len()` bytes; `sa` and `sa_len`
    // are live locals, `sa_len` holding the size of `sa`.
    let rc = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr() as *mut libc::c_void,
            buf.len(),
            flags,
            &mut sa as *mut libc::sockaddr_nl as *mut libc::sockaddr,
            &mut sa_len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let full_len = rc as usize;
    let group = if sa.nl_groups == 0 { 0 } else { sa.nl_groups.trailing_zeros() + 1 };
    Ok(RecvInfo { len: full_len.min(buf.len()), full_len, group, sender: sa.nl_pid })
}

/// Receive one datagram into `buf` on a socket connected to the kernel ([`connect_kernel`])
/// and in no multicast group: every datagram is then a unicast from the kernel, so its sender
/// is not asked for (a `recv` without an address: the address's copy-out was ~4 % of a do's
/// round trip). `MSG_TRUNC` as in [`recv`].
pub fn recv_kernel(fd: RawFd, buf: &mut [u8], dontwait: bool) -> io::Result<RecvInfo> {
    #[cfg(test)]
    count::bump(&count::RECVS);
    let mut flags = libc::MSG_TRUNC;
    if dontwait {
        flags |= libc::MSG_DONTWAIT;
    }
    // SAFETY: `buf` is exclusively borrowed and valid for `buf.len()` bytes.
    let rc = unsafe { libc::recv(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), flags) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let full_len = rc as usize;
    Ok(RecvInfo { len: full_len.min(buf.len()), full_len, group: 0, sender: 0 })
}

/// Connect `fd` to the kernel (port 0), or with `false` undo it (`AF_UNSPEC`). A connected
/// netlink socket receives no unicast from another user-space socket: the kernel refuses it
/// at the sender (`ECONNREFUSED`). Multicast is not affected.
pub fn connect_kernel(fd: RawFd, connect: bool) -> io::Result<()> {
    let mut sa = sockaddr(0, 0);
    if !connect {
        sa.nl_family = libc::AF_UNSPEC as libc::sa_family_t;
    }
    // SAFETY: `sa` is a valid sockaddr_nl and the length passed is exactly its size.
    let rc = unsafe {
        libc::connect(
            fd,
            &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
            mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Wait until `fd` is readable or `timeout` passes; `true` if readable.
pub fn poll_readable(fd: RawFd, timeout: std::time::Duration) -> io::Result<bool> {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    loop {
        // SAFETY: `p` is one valid pollfd and the count passed is 1.
        let rc = unsafe { libc::poll(&mut p, 1, ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        return Ok(rc > 0);
    }
}

/// Spill space for [`recv`]: an anonymous private mapping reserved with `MAP_NORESERVE`.
/// Reserving it costs address space only; a page takes memory once the kernel writes a datagram
/// into it (only for datagrams larger than the receive buffer), and [`Spill::release`] gives
/// the pages back after the datagram was copied out.
pub struct Spill {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: `Spill` owns its mapping exclusively (nothing else points into it), like a `Box<[u8]>`.
unsafe impl Send for Spill {}
// SAFETY: through `&Spill` the mapping is only read (`as_slice`), like a shared `Box<[u8]>`.
unsafe impl Sync for Spill {}

impl Spill {
    /// Reserve `len` bytes.
    pub fn map(len: usize) -> io::Result<Spill> {
        // SAFETY: a new anonymous mapping at an address the kernel chooses: no existing memory is
        // touched; the result is checked against MAP_FAILED before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p as *mut u8).ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        Ok(Spill { ptr, len })
    }

    /// The whole space.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the mapping is `len` bytes, readable and initialized (anonymous pages read as
        // zeros until written); `&self` rules out a `&mut` into it for the borrow's duration.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The whole space, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is `len` bytes, readable and writable, and initialized (anonymous
        // pages read as zeros until written); `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Give the pages of the first `n` bytes back to the kernel (they read as zeros again).
    pub fn release(&mut self, n: usize) {
        self.release_range(0, n);
    }

    /// Give back the pages of `from..to` that lie wholly inside it (`from` rounded up to a
    /// page), keeping the ones before `from` mapped in.
    pub fn release_range(&mut self, from: usize, to: usize) {
        if to.min(self.len) <= from {
            return; // nothing past `from` (the common case: no call at all)
        }
        // SAFETY: sysconf only reads a system constant.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096).max(1);
        let from = from.div_ceil(page) * page;
        let to = to.min(self.len);
        if to <= from {
            return;
        }
        // SAFETY: `from` is page-aligned and `from..to` lies inside our page-aligned mapping (the
        // kernel rounds the length up to a page, which stays inside it too); MADV_DONTNEED on a
        // private anonymous mapping only drops its pages (later reads see zeros), and
        // `&mut self` guarantees no reference into it is live. Advisory: on failure the pages
        // just stay.
        let _ =
            unsafe { libc::madvise(self.ptr.as_ptr().add(from) as *mut libc::c_void, to - from, libc::MADV_DONTNEED) };
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `map` created, which nothing references any more.
        unsafe { libc::munmap(self.ptr.as_ptr() as *mut libc::c_void, self.len) };
    }
}

/// Per-thread counts of the send and receive syscalls made through this module (tests only).
#[cfg(test)]
pub(crate) mod count {
    use std::cell::Cell;
    use std::thread::LocalKey;

    thread_local! {
        /// `sendto` calls.
        pub static SENDS: Cell<u64> = const { Cell::new(0) };
        /// `recvmsg` calls (datagrams consumed or attempted).
        pub static RECVS: Cell<u64> = const { Cell::new(0) };
        /// `recv(MSG_PEEK | MSG_TRUNC)` calls.
        pub static PEEKS: Cell<u64> = const { Cell::new(0) };
    }

    pub(crate) fn bump(c: &'static LocalKey<Cell<u64>>) {
        c.with(|c| c.set(c.get() + 1));
    }

    /// (sends, recvmsgs, peeks) made by this thread so far.
    pub(crate) fn snapshot() -> (u64, u64, u64) {
        (SENDS.with(Cell::get), RECVS.with(Cell::get), PEEKS.with(Cell::get))
    }
}

//! The syscall layer: the only module with `unsafe` (apart from registering a socket with
//! tokio). Thin wrappers over `libc`, for netlink sockets of any protocol.
//!
//! Why `libc` directly: the runtime needs `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK`,
//! `NETLINK_GET_STRICT_CHK`, `NETLINK_PKTINFO` (to tell multicast from unicast datagrams),
//! `NETLINK_ADD/DROP_MEMBERSHIP`, `recv(MSG_PEEK | MSG_TRUNC)` and a raw fd for tokio's
//! `AsyncFd`. `libc` has every one of these with the kernel's own values and types; wrapper
//! crates (netlink-sys, rustix) cover only some of them, so we would end up with `libc` anyway.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

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

/// Receive one datagram into `buf`. Passes `MSG_TRUNC` so the real length is reported.
pub fn recv(fd: RawFd, buf: &mut [u8], dontwait: bool) -> io::Result<RecvInfo> {
    let mut sa = sockaddr(0, 0);
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr() as *mut libc::c_void, iov_len: buf.len() };
    // u64 array: aligned for cmsghdr; 64 bytes holds one nl_pktinfo control message.
    let mut cbuf = [0u64; 8];
    // SAFETY: msghdr is a plain C struct; all-zero is a valid starting value.
    let mut mh: libc::msghdr = unsafe { mem::zeroed() };
    mh.msg_name = &mut sa as *mut libc::sockaddr_nl as *mut libc::c_void;
    mh.msg_namelen = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    mh.msg_iov = &mut iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
    mh.msg_controllen = mem::size_of_val(&cbuf) as _;
    let mut flags = libc::MSG_TRUNC;
    if dontwait {
        flags |= libc::MSG_DONTWAIT;
    }
    // SAFETY: every pointer in `mh` refers to a live local (`sa`, `iov`, `cbuf`) or to `buf`,
    // each valid for the length given next to it, for the duration of the call.
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
    Ok(RecvInfo { len: full_len.min(buf.len()), full_len, group, sender: sa.nl_pid })
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

//! The raw Generic Netlink socket the fuzzer sends its bytes through (libc calls; the only
//! `unsafe` of the crate): no framing, no sequence matching, so malformed messages reach the
//! kernel exactly as built.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

const NETLINK_GENERIC: libc::c_int = 16;
const SOL_NETLINK: libc::c_int = 270;
const NETLINK_ADD_MEMBERSHIP: libc::c_int = 1;
const NETLINK_CAP_ACK: libc::c_int = 10;
const NETLINK_EXT_ACK: libc::c_int = 11;

/// One `AF_NETLINK`/`NETLINK_GENERIC` socket, extended ACKs on, echoed requests capped.
#[derive(Debug)]
pub struct RawSock {
    fd: OwnedFd,
}

fn check(rc: libc::c_int, what: &str) -> io::Result<()> {
    if rc < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(())
}

impl RawSock {
    /// A bound socket whose receives give up after `timeout`.
    pub fn open(timeout: Duration) -> io::Result<RawSock> {
        // SAFETY: socket(2) takes no pointers; the result is checked before use.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, NETLINK_GENERIC) };
        check(fd, "socket(AF_NETLINK, NETLINK_GENERIC)")?;
        // SAFETY: fd is a fresh descriptor we own (checked above); OwnedFd closes it once.
        let s = RawSock { fd: unsafe { OwnedFd::from_raw_fd(fd) } };
        s.set_int(SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK")?;
        s.set_int(SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK")?;
        s.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, 1 << 20, "SO_RCVBUF")?;
        let tv = libc::timeval { tv_sec: timeout.as_secs() as libc::time_t, tv_usec: timeout.subsec_micros() as _ };
        // SAFETY: tv is a live timeval and its exact size is passed.
        let rc = unsafe {
            libc::setsockopt(
                s.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        check(rc, "SO_RCVTIMEO")?;
        // SAFETY: sockaddr_nl is plain data; all-zero is a valid value (pid 0: kernel assigns).
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: sa is a live sockaddr_nl and its exact size is passed.
        let rc = unsafe {
            libc::bind(
                s.fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        check(rc, "bind")?;
        Ok(s)
    }

    pub(crate) fn set_int(&self, level: libc::c_int, name: libc::c_int, v: libc::c_int, what: &str) -> io::Result<()> {
        // SAFETY: v is a live c_int and its exact size is passed.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        check(rc, what)
    }

    /// Joins multicast group `id`.
    pub fn join(&self, id: u32) -> io::Result<()> {
        self.set_int(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, id as libc::c_int, "NETLINK_ADD_MEMBERSHIP")
    }

    /// Sends `bytes` as one datagram to the kernel.
    pub fn send(&self, bytes: &[u8]) -> io::Result<()> {
        // SAFETY: all-zero sockaddr_nl is valid; it addresses the kernel (pid 0).
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: bytes and sa are live for the call and their exact lengths are passed.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                0,
                (&sa as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Receives one datagram into `buf` (cleared first); `Ok(false)` when the receive timed out
    /// (or, with `nowait`, when nothing is queued).
    pub fn recv(&self, buf: &mut Vec<u8>, nowait: bool) -> io::Result<bool> {
        buf.clear();
        buf.resize(1 << 16, 0);
        let flags = if nowait { libc::MSG_DONTWAIT } else { 0 };
        // SAFETY: buf is live and writable for its whole length, which is passed.
        let n = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
        if n < 0 {
            let e = io::Error::last_os_error();
            buf.clear();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) => Ok(false),
                _ => Err(e),
            };
        }
        buf.truncate(n as usize);
        Ok(true)
    }
}

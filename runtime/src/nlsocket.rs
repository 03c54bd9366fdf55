//! The blocking netlink socket of any protocol ([`NlSocket`]): the I/O driver of the
//! [`crate::core`] state machine over the syscalls of `sys`. [`crate::GenlSocket`] is this
//! socket opened on `NETLINK_GENERIC` plus Generic Netlink's headers and family resolution; the
//! netlink-raw families (rtnetlink & co.) use it directly, with [`NlRequest`]s.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::attr::AttrWriter;
use crate::core::{Class, Core, DumpLimit, DumpRetry, DumpState, DumpStep, Notification, ReqState, Slot, SPILL_SIZE};
use crate::error::{Error, Warning};
use crate::msg::{NlMsg, NlRequest, RecvInfo, NLM_F_ACK, NLM_F_DUMP};
use crate::netns::Netns;
use crate::sys;

thread_local! {
    /// This thread's spill space for [`recv_io`] (mapped on first use; `None` inside if the
    /// mapping failed, e.g. under a tight `RLIMIT_AS`: receives then peek instead).
    static SPILL: RefCell<Option<Option<sys::Spill>>> = const { RefCell::new(None) };
}

/// Receive one datagram into `slot` of `core` (`dontwait`: without blocking), whole, with one
/// syscall:
///
/// - into the socket's receive region ([`Core::map_rx`]: the main buffer of a socket with the
///   default buffer; see [`Core::recv_mapped`]): a `recv` (a `recvfrom` once the socket takes
///   user unicasts), or for a socket in a group (it needs `NETLINK_PKTINFO`) a `recvmsg`;
///
/// otherwise through this thread's spill space (address space reserved for the largest datagram):
///
/// - a socket in no multicast group (every datagram unicast) whose last datagram was small
///   (a do's reply, an ACK): one `recvfrom` into the spill space, the datagram then copied to
///   the slot's buffer (grown if it must);
/// - a socket in a group (it needs `NETLINK_PKTINFO`, which tells a multicast from a unicast
///   datagram), or one whose last datagram was large (a dump's, up to 32 KiB: copying it
///   costs more than the `recvmsg`'s extra ~0.1 µs): one `recvmsg` whose first buffer is the
///   slot's and whose second is the spill space; what overflows the slot's buffer is appended
///   to it from there.
///
/// For a small growing buffer ([`Core::peek`]) or without spill space, the datagram's size is
/// peeked at first (`MSG_PEEK | MSG_TRUNC`) to grow the buffer. Without growth, one plain
/// `recvmsg`: a larger datagram is reported truncated.
/// I/O errors come back as they are (`WouldBlock` for the tokio driver).
pub(crate) fn recv_io(core: &mut Core, raw: RawFd, slot: Slot, dontwait: bool) -> io::Result<RecvInfo> {
    let (multicast, kernel_only) = (core.multicast, core.kernel_only);
    let mapped = core.recv_mapped(slot, |buf| {
        if multicast {
            sys::recv(raw, buf, None, dontwait)
        } else {
            recv_unicast(raw, buf, kernel_only, dontwait)
        }
    });
    if let Some(r) = mapped {
        return r;
    }
    if core.grow && !core.peek {
        let scatter = core.multicast || core.last_rx_len > SCATTER_ABOVE;
        let r = SPILL.with(|cell| {
            let mut cell = cell.borrow_mut();
            let spill = cell.get_or_insert_with(|| sys::Spill::map(SPILL_SIZE).ok()).as_mut()?;
            let buf = core.buf_mut(slot);
            if !scatter {
                let r = recv_unicast(raw, spill.as_mut_slice(), kernel_only, dontwait);
                if let Ok(info) = &r {
                    let n = info.len;
                    if n > buf.len() {
                        buf.resize(n, 0);
                    }
                    buf[..n].copy_from_slice(&spill.as_mut_slice()[..n]);
                    // The first pages stay mapped in for the next datagram; a rare large one
                    // gives the rest back.
                    if n > KEEP_SPILL {
                        spill.release_range(KEEP_SPILL, n);
                    }
                }
                return Some(r);
            }
            Some(sys::recv(raw, buf, Some(spill.as_mut_slice()), dontwait).inspect(|info| {
                let have = buf.len();
                if info.len > have {
                    // Rare: a datagram larger than the buffer. The buffer grows to keep it.
                    buf.extend_from_slice(&spill.as_mut_slice()[..info.len - have]);
                    spill.release(info.len - have);
                }
            }))
        });
        if let Some(r) = r {
            if let Ok(info) = &r {
                core.last_rx_len = info.len;
            }
            return r;
        }
    }
    if core.grow {
        let n = sys::peek_len(raw, dontwait)?;
        core.prepare_recv(slot, n);
    }
    sys::recv(raw, core.buf_mut(slot), None, dontwait)
}

/// One datagram into `buf` on a socket in no multicast group: without asking its sender when the
/// socket is connected to the kernel (`kernel_only`: nothing else can unicast to it), else with
/// it (`sender` tells the kernel's datagrams from other processes').
fn recv_unicast(raw: RawFd, buf: &mut [u8], kernel_only: bool, dontwait: bool) -> io::Result<RecvInfo> {
    if kernel_only {
        sys::recv_kernel(raw, buf, dontwait)
    } else {
        sys::recv_from(raw, buf, dontwait)
    }
}

/// A datagram longer than this is received straight into the slot's buffer the next time (see
/// [`recv_io`]): past ~4 KiB, copying a datagram costs more than a `recvmsg` over a `recvfrom`.
const SCATTER_ABOVE: usize = 4096;

/// Bytes at the start of the spill space that stay mapped in after a receive into it (the
/// largest dump datagram the kernel builds, see [`crate::DEFAULT_RX_BUFFER`]).
const KEEP_SPILL: usize = crate::DEFAULT_RX_BUFFER;

/// Receive one datagram into `slot` of `core` now (see [`recv_io`]) and classify it.
pub(crate) fn recv_datagram(core: &mut Core, raw: RawFd, slot: Slot, dontwait: bool) -> Result<Class, Error> {
    match recv_io(core, raw, slot, dontwait) {
        Ok(info) => {
            #[cfg(feature = "fuzzing")]
            crate::record::recorded(core.buf(slot), &info);
            core.after_recv(slot, info)
        }
        Err(e) => core.on_recv_error(slot, e).map(|()| Class::Skip),
    }
}

/// Open and bind a netlink socket of `protocol` with the options every socket here uses; returns
/// it and its state machine (its port id, its receive region: [`Core::map_rx`]).
pub(crate) fn open_socket(protocol: libc::c_int, nonblocking: bool) -> Result<(OwnedFd, Core), Error> {
    let fd = sys::socket(protocol, nonblocking)?;
    let raw = fd.as_raw_fd();
    // Extended ACKs (messages, offsets, policies) and capped ACKs (no echo of our request).
    sys::set_netlink_opt(raw, libc::NETLINK_EXT_ACK, 1)?;
    sys::set_netlink_opt(raw, libc::NETLINK_CAP_ACK, 1)?;
    // Strict checking of dump requests (ignored by families that do not use it).
    sys::set_netlink_opt(raw, libc::NETLINK_GET_STRICT_CHK, 1)?;
    // The destination group of each datagram, to tell notifications from replies.
    sys::set_netlink_opt(raw, libc::NETLINK_PKTINFO, 1)?;
    let port = sys::bind_auto(&fd)?;
    // Unicasts from the kernel only (see `Core::kernel_only`).
    sys::connect_kernel(raw, true)?;
    let mut core = Core::new(port);
    core.map_rx();
    Ok((fd, core))
}

/// A blocking netlink socket of any protocol (`NETLINK_ROUTE`, `NETLINK_GENERIC`, ...).
///
/// The same machinery as [`crate::GenlSocket`] (which is built on it), for messages without a
/// Generic Netlink header: requests described by [`NlRequest`] (message type, flags, the
/// family's fixed header), sequence numbers and ACK matching, dumps ([`NlDumpIter`]), extended
/// ACKs, and notifications queued while a request waits. Replies are [`NlMsg`] views of the
/// socket's receive buffer, valid until the next call that receives.
pub struct NlSocket {
    fd: OwnedFd,
    pub(crate) core: Core,
}

impl std::fmt::Debug for NlSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NlSocket").field("fd", &self.fd).field("port", &self.core.port).finish()
    }
}

impl AsFd for NlSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl NlSocket {
    /// Open and bind a socket of netlink protocol `protocol` (e.g. 0 for `NETLINK_ROUTE`, a
    /// netlink-raw spec's `protonum`) with `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK`,
    /// `NETLINK_GET_STRICT_CHK` and `NETLINK_PKTINFO` set, and a 32 KiB receive buffer that grows
    /// on demand.
    pub fn open(protocol: u32) -> Result<Self, Error> {
        let protocol = libc::c_int::try_from(protocol)
            .map_err(|_| Error::Io(std::io::Error::from(std::io::ErrorKind::InvalidInput)))?;
        Self::open_proto(protocol)
    }

    pub(crate) fn open_proto(protocol: libc::c_int) -> Result<Self, Error> {
        let (fd, core) = open_socket(protocol, false)?;
        Ok(NlSocket { fd, core })
    }

    /// [`NlSocket::open`] inside the network namespace `netns` (needs `CAP_SYS_ADMIN` over it).
    /// The socket stays in that namespace; the calling thread does not change namespace.
    ///
    /// ```no_run
    /// # use nlspec_rt::{Netns, NlSocket};
    /// // The namespace of `ip netns add blue`, through rtnetlink (protocol 0).
    /// let sock = NlSocket::open_in(0, Netns::Named("blue"))?;
    /// # Ok::<(), nlspec_rt::Error>(())
    /// ```
    pub fn open_in(protocol: u32, netns: Netns<'_>) -> Result<Self, Error> {
        let protocol = libc::c_int::try_from(protocol)
            .map_err(|_| Error::Io(std::io::Error::from(std::io::ErrorKind::InvalidInput)))?;
        Self::open_proto_in(protocol, netns)
    }

    pub(crate) fn open_proto_in(protocol: libc::c_int, netns: Netns<'_>) -> Result<Self, Error> {
        let (fd, core) = netns.enter_and(|| open_socket(protocol, false))?;
        Ok(NlSocket { fd, core })
    }

    /// Whether this socket accepts unicast datagrams from other user-space sockets (`false`
    /// by default: the socket is connected to the kernel, and the kernel refuses such a
    /// unicast at its sender with `ECONNREFUSED`). Protocols where processes exchange
    /// messages by port id ([`NlSocket::send_raw_to`], [`NlSocket::recv_raw_timeout`]) need
    /// `true` on the receiving socket. Requests, dumps and notifications work either way: they
    /// skip datagrams that are not the kernel's (with `true`, at the cost of asking each
    /// receive for its sender).
    pub fn set_user_unicast(&mut self, allow: bool) -> Result<(), Error> {
        sys::connect_kernel(self.fd.as_raw_fd(), !allow)?;
        self.core.kernel_only = !allow;
        Ok(())
    }

    /// The socket's netlink port id.
    pub fn port_id(&self) -> u32 {
        self.core.port
    }

    /// Set the user-space receive buffer to `size` bytes, in place of the default one (the
    /// reserved receive region, see the crate docs). With `grow` it
    /// still grows to fit any datagram: from [`crate::DEFAULT_RX_BUFFER`] (32 KiB) up, each
    /// datagram is received with one syscall, through this thread's spill space where it does
    /// not fit (see the crate docs); below that, each datagram's size is peeked first (`MSG_PEEK | MSG_TRUNC`, one
    /// more syscall per datagram) so that the kernel, which sizes dump datagrams after the
    /// receive lengths it sees, splits dumps into small datagrams. Without `grow`, one
    /// `recvmsg` per datagram, and a larger datagram is an [`Error::Truncated`] (it is lost).
    pub fn set_rx_buffer(&mut self, size: usize, grow: bool) {
        self.core.set_rx_buffer(size, grow);
    }

    /// Current size of the main receive buffer (grows to fit the largest datagram seen).
    pub fn rx_buffer_size(&self) -> usize {
        self.core.rx_capacity()
    }

    /// Set the kernel socket receive queue size (`SO_RCVBUF`).
    pub fn set_rcvbuf(&mut self, bytes: usize) -> Result<(), Error> {
        let v = i32::try_from(bytes).unwrap_or(i32::MAX);
        sys::setsockopt_int(self.fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, v)?;
        Ok(())
    }

    /// Whether a dump message flagged `NLM_F_DUMP_INTR` (the dumped data changed during the
    /// dump) ends the dump with [`Error::DumpInterrupted`]: `true`, the default. With `false`
    /// such messages are returned like the others (their header still has the flag), as the
    /// kernel's YNL CLI and iproute2 do.
    pub fn set_dump_intr_fatal(&mut self, fatal: bool) {
        self.core.dump_intr_fatal = fatal;
    }

    /// What a dump does when the kernel flags it `NLM_F_DUMP_INTR` (while
    /// [`NlSocket::set_dump_intr_fatal`] is on): fail (the default) or restart it from scratch,
    /// a bounded number of times. See [`DumpRetry`] for what the iterator shows of a restart.
    pub fn set_dump_retry(&mut self, retry: DumpRetry) {
        self.core.dump_retry = retry;
    }

    /// Bounds on every dump and every `request_all` on this socket (default: none), for a peer
    /// that may send without end: past one, the dump ends with [`Error::DumpLimitExceeded`].
    /// See [`DumpLimit`] for what the socket is good for afterwards.
    pub fn set_dump_limit(&mut self, limit: DumpLimit) {
        self.core.dump_limit = limit;
    }

    /// Most bytes of notifications kept queued while a request or dump waits for its answer
    /// (default [`crate::DEFAULT_NOTIFICATION_QUEUE_LIMIT`], 4 MiB). Past it further
    /// notifications are dropped, and the loss is reported once as
    /// [`Error::NotificationsLost`] by the next notification receive, exactly like an overflow
    /// of the kernel's queue, so a flood during a long dump cannot grow memory without bound.
    pub fn set_notification_queue_limit(&mut self, bytes: usize) {
        self.core.queue_limit = bytes;
    }

    /// Datagrams received by this socket so far (replies, dump parts, ACKs, notifications).
    pub fn datagrams_received(&self) -> u64 {
        self.core.datagrams
    }

    /// Calls `trace` with every datagram this socket receives, as received (before it is
    /// checked, matched or queued), e.g. to print receive-level debug output; `None` stops it.
    pub fn set_recv_trace(&mut self, trace: Option<fn(&[u8])>) {
        self.core.recv_trace = trace;
    }

    /// Number of notifications received and queued but not yet returned.
    pub fn queued_notifications(&self) -> usize {
        self.core.queued_notifications()
    }

    pub(crate) fn recv_slot(&mut self, slot: Slot, dontwait: bool) -> Result<Class, Error> {
        recv_datagram(&mut self.core, self.fd.as_raw_fd(), slot, dontwait)
    }

    /// Finish an abandoned dump, if any, then encode a request (or a batch) into the core's
    /// `tx` with `build` and send it; returns what `build` returned (the sequence number).
    pub(crate) fn send_request<T>(&mut self, build: impl FnOnce(&mut Core) -> Result<T, Error>) -> Result<T, Error> {
        if self.core.drain.is_some() {
            self.drain()?;
        }
        let sent = build(&mut self.core)?;
        sys::send(self.fd.as_raw_fd(), self.core.tx())?;
        Ok(sent)
    }

    #[cold]
    #[inline(never)]
    fn drain(&mut self) -> Result<(), Error> {
        while let Some(mut st) = self.core.drain_state() {
            loop {
                match self.core.dump_step(&mut st) {
                    DumpStep::NeedRecv => {
                        let lossy = self.core.lossy;
                        match self.recv_slot(Slot::Rx, lossy) {
                            Ok(_) => {}
                            // The rest of the abandoned dump was dropped by the kernel.
                            Err(Error::ReplyLost) => break,
                            Err(e) => {
                                self.core.drain = None;
                                return Err(e);
                            }
                        }
                    }
                    DumpStep::Item(..) => {}
                    DumpStep::Done | DumpStep::Err(_) | DumpStep::Restart => break,
                }
            }
            self.core.drained(st.seq);
        }
        Ok(())
    }

    /// Wait for the ACK of request `seq`; returns the byte range in `rx` of its first reply.
    pub(crate) fn wait_ack(&mut self, seq: u32, want_reply: bool) -> Result<Option<(usize, usize)>, Error> {
        let mut st = ReqState { seq, reply: None, want_reply };
        loop {
            let slot = st.next_slot();
            let lossy = self.core.lossy;
            if let Class::Kernel(len) = self.recv_slot(slot, lossy)? {
                if let Some(r) = self.core.request_step(&mut st, len) {
                    r?;
                    return Ok(st.reply);
                }
            }
        }
    }

    /// The next message of a dump (or of a do's replies): its byte range in `rx`. Not inlined:
    /// the iterators take plain messages through `Core::dump_fast` first, so this runs about
    /// once per datagram.
    #[inline(never)]
    pub(crate) fn dump_next(&mut self, st: &mut DumpState) -> Option<Result<(usize, usize), Error>> {
        loop {
            match self.core.dump_step(st) {
                DumpStep::NeedRecv => {
                    let lossy = self.core.lossy;
                    if let Err(e) = self.recv_slot(Slot::Rx, lossy) {
                        self.core.dump_recv_failed(st);
                        return Some(Err(e));
                    }
                }
                DumpStep::Item(a, b) => return Some(Ok((a, b))),
                DumpStep::Done => return None,
                DumpStep::Err(e) => return Some(Err(e)),
                DumpStep::Restart => {
                    self.core.restart_dump(st);
                    if let Err(e) = sys::send(self.fd.as_raw_fd(), self.core.tx()) {
                        st.done = true;
                        return Some(Err(e.into()));
                    }
                }
            }
        }
    }

    /// Send a request with `NLM_F_ACK` and return its reply message (borrowed from the receive
    /// buffer), after the kernel's ACK. `build` writes the attributes. A kernel error becomes
    /// [`Error::Kernel`]; an ACK without a reply is [`Error::NoReply`].
    pub fn request(
        &mut self,
        req: &NlRequest<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<NlMsg<'_>, Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_ACK, build))?;
        let reply = self.wait_ack(seq, true)?.ok_or(Error::NoReply)?;
        self.core.rx_nlmsg(reply)
    }

    /// Send a request with `NLM_F_ACK` and wait for the ACK (a reply message, if one comes, is
    /// ignored).
    pub fn request_ack(&mut self, req: &NlRequest<'_>, build: impl FnOnce(&mut AttrWriter<'_>)) -> Result<(), Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_ACK, build))?;
        self.wait_ack(seq, false).map(|_| ())
    }

    /// Send a request with `NLM_F_ACK` and return **every** reply message it gets before the
    /// ACK, as a lending iterator (see [`NlDumpIter`]): `None` after the ACK, `Some(Err(_))`
    /// for a kernel error. No reply at all is not an error here.
    pub fn request_all(
        &mut self,
        req: &NlRequest<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<NlDumpIter<'_>, Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_ACK, build))?;
        Ok(NlDumpIter { sock: self, st: DumpState::new(seq) })
    }

    /// Start a dump (`NLM_F_DUMP`); iterate the returned [`NlDumpIter`] for the messages.
    pub fn dump(
        &mut self,
        req: &NlRequest<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<NlDumpIter<'_>, Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_DUMP, build))?;
        Ok(NlDumpIter { sock: self, st: DumpState::dump(seq) })
    }

    /// The kernel's warning for the last request or dump, when it ended successfully with an
    /// extended ACK anyway. Valid after the request returned or the dump iterator returned
    /// `None`; cleared when the next request is sent.
    pub fn last_warning(&self) -> Option<&Warning> {
        self.core.warning.as_ref()
    }

    /// Join a multicast group by id (`NETLINK_ADD_MEMBERSHIP`).
    pub fn subscribe_id(&mut self, group: u32) -> Result<(), Error> {
        self.core.multicast = true;
        Ok(sys::set_membership(self.fd.as_raw_fd(), group, true)?)
    }

    /// Leave a multicast group by id.
    pub fn unsubscribe_id(&mut self, group: u32) -> Result<(), Error> {
        Ok(sys::set_membership(self.fd.as_raw_fd(), group, false)?)
    }

    /// The next notification: queued ones first, then blocking for a new one. Besides the
    /// multicasts of subscribed groups, a notification is any message the kernel unicast to
    /// this socket on its own (sequence number 0, [`Notification::group`](crate::Notification::group)
    /// 0), such as the ticks a module's timer sends to a port id it stored.
    ///
    /// [`Error::NotificationsLost`] reports (once per overflow) that the kernel dropped
    /// multicast messages because the socket's queue was full; receiving can continue
    /// afterwards. To resynchronise, re-dump what the notifications describe and keep applying
    /// the notifications that follow: netlink notifications carry the object's full state (or
    /// its deletion) and stay in order, so the ones that raced with the dump are replayed onto
    /// it and converge. The dump is best made on another socket (or with
    /// [`crate::DumpRetry::Retry`]), so it neither competes with the notification flood for
    /// this socket's queue nor fails on `NLM_F_DUMP_INTR` while things change:
    ///
    /// ```no_run
    /// # use nlspec_rt::{Error, NlSocket, NlRequest, DumpRetry};
    /// # fn apply(_: &nlspec_rt::NlMsg<'_>) {}
    /// # fn f(listener: &mut NlSocket, req: &NlRequest<'_>) -> Result<(), Error> {
    /// loop {
    ///     match listener.recv_notification() {
    ///         Ok(n) => apply(&n.msg),
    ///         Err(Error::NotificationsLost) => {
    ///             let mut d = NlSocket::open(0)?;
    ///             d.set_dump_retry(DumpRetry::Retry { max_attempts: 5 });
    ///             let mut it = d.dump(req, |_| {})?;
    ///             // (clear the state first; under Retry also on `it.restarts()` growing)
    ///             while let Some(m) = it.next() {
    ///                 apply(&m?);
    ///             }
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # }
    /// ```
    ///
    /// (`tests/netns.rs` floods a listener with address notifications and does exactly this.)
    pub fn recv_notification(&mut self) -> Result<Notification<'_>, Error> {
        loop {
            if let Some(r) = self.core.notif_step() {
                return self.core.notification(r?);
            }
            self.core.take_overrun()?;
            if let Class::Multicast(len, group) = self.recv_slot(Slot::Notif, false)? {
                self.core.notif_received(len, group);
            }
        }
    }

    /// Like [`NlSocket::recv_notification`], but gives up with `Ok(None)` after `timeout`
    /// (zero: only what is already queued or readable).
    pub fn recv_notification_timeout(&mut self, timeout: Duration) -> Result<Option<Notification<'_>>, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.core.notif_step() {
                return self.core.notification(r?).map(Some);
            }
            self.core.take_overrun()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if !sys::poll_readable(self.fd.as_raw_fd(), left)? {
                return Ok(None);
            }
            match self.recv_slot(Slot::Notif, true) {
                Ok(Class::Multicast(len, group)) => self.core.notif_received(len, group),
                Ok(_) => {}
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Receive the next datagram from any sender into `buf` (resized to fit it), unparsed,
    /// waiting at most `timeout`: `Some((len, sender port id))`, `None` on timeout. For sockets
    /// that exchange messages with other processes by port id (protocols that allow it, see
    /// [`NlSocket::send_raw_to`]); the request and notification paths skip such messages.
    pub fn recv_raw_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<Option<(usize, u32)>, Error> {
        if !sys::poll_readable(self.fd.as_raw_fd(), timeout)? {
            return Ok(None);
        }
        let len = match sys::peek_len(self.fd.as_raw_fd(), true) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        buf.resize(len.max(16), 0);
        match sys::recv(self.fd.as_raw_fd(), buf, None, true) {
            Ok(info) => {
                buf.truncate(info.len);
                Ok(Some((info.len, info.sender)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Send raw bytes to another netlink port and/or multicast groups (`nl_groups` bitmask).
    /// Meant for tests (sending to a multicast group needs `CAP_NET_ADMIN`).
    pub fn send_raw_to(&mut self, bytes: &[u8], port: u32, groups: u32) -> Result<(), Error> {
        sys::send_to(self.fd.as_raw_fd(), bytes, port, groups)?;
        Ok(())
    }
}

/// The messages of a dump (or the replies of [`NlSocket::request_all`]), lent one at a time:
/// each borrows the socket's receive buffer.
///
/// Use `while let Some(msg) = it.next() { let msg = msg?; ... }`. After the last message (the
/// kernel's `NLMSG_DONE`, or the ACK of a do) it returns `None`; a kernel error ends it with
/// `Some(Err(_))`. Dropping it early is fine: the rest is drained before the socket's next
/// request.
pub struct NlDumpIter<'s> {
    sock: &'s mut NlSocket,
    st: DumpState,
}

impl NlDumpIter<'_> {
    /// The next message (a lending iterator: the message borrows this iterator).
    #[allow(clippy::should_implement_trait, reason = "a lending iterator: `Iterator` cannot lend")]
    #[inline(always)]
    pub fn next(&mut self) -> Option<Result<NlMsg<'_>, Error>> {
        if let Some(m) = self.sock.core.dump_fast(&mut self.st) {
            return Some(Ok(self.sock.core.fast_item(&m)));
        }
        match self.sock.dump_next(&mut self.st)? {
            Ok(range) => Some(self.sock.core.rx_nlmsg(range)),
            Err(e) => Some(Err(e)),
        }
    }

    /// After the end (`next` returned `None`): the kernel's extended-ACK warning on the
    /// successful `NLMSG_DONE` (or ACK), if it sent one. `None` before the end.
    pub fn warning(&self) -> Option<&Warning> {
        if self.st.done {
            self.sock.core.warning.as_ref()
        } else {
            None
        }
    }

    /// How many times the dump was restarted after `NLM_F_DUMP_INTR` (under
    /// [`DumpRetry::Retry`]). When this grows, the messages returned before belong to an
    /// abandoned attempt: discard them, the dump starts over with the next message.
    pub fn restarts(&self) -> u32 {
        self.st.restarts
    }
}

impl Drop for NlDumpIter<'_> {
    fn drop(&mut self) {
        self.sock.core.abandon_dump(&self.st);
    }
}

#[cfg(test)]
mod tests {
    //! Syscall counts of the blocking driver against the live kernel (nlctrl is always there),
    //! through the per-thread counters of `sys`.
    use crate::sys::count;
    use crate::GenlSocket;

    /// (sends, recvmsgs, peeks) that `f` made on this thread.
    fn syscalls<T>(f: impl FnOnce() -> T) -> (T, (u64, u64, u64)) {
        let (s0, r0, p0) = count::snapshot();
        let out = f();
        let (s1, r1, p1) = count::snapshot();
        (out, (s1 - s0, r1 - r0, p1 - p0))
    }

    /// A do is 1 send + 2 receives (reply, ACK); a dump is 1 send + one receive per datagram;
    /// no peeks with the default buffer. A growing buffer below 32 KiB peeks before every
    /// receive (the old cost); a fixed one receives once per datagram.
    #[test]
    fn do_and_dump_syscall_counts() {
        let mut s = GenlSocket::new().unwrap();
        let id = s.resolve_family("nlctrl").unwrap().id; // also maps this thread's spill space
        for _ in 0..3 {
            s.forget_family("nlctrl");
            let (info, n) = syscalls(|| s.resolve_family("nlctrl").unwrap());
            assert_eq!(info.id, id);
            assert_eq!(n, (1, 2, 0), "a do: (sends, recvmsgs, peeks)");
        }

        let d0 = s.datagrams_received();
        let (fams, n) = syscalls(|| s.list_families().unwrap());
        let datagrams = s.datagrams_received() - d0;
        assert!(fams.len() > 1);
        assert_eq!(n, (1, datagrams, 0), "a dump: (sends, recvmsgs, peeks)");

        // Small growing buffer: peek first (as before), so the kernel keeps sizing dump
        // datagrams after it.
        s.set_rx_buffer(256, true);
        s.forget_family("nlctrl");
        let (_, n) = syscalls(|| s.resolve_family("nlctrl").unwrap());
        assert_eq!(n, (1, 2, 2));
        let d0 = s.datagrams_received();
        let (small, n) = syscalls(|| s.list_families().unwrap());
        let datagrams = s.datagrams_received() - d0;
        assert_eq!(small, fams);
        assert_eq!(n, (1, datagrams, datagrams));

        // A fixed buffer large enough: one receive per datagram.
        s.set_rx_buffer(64 * 1024, false);
        s.forget_family("nlctrl");
        let (_, n) = syscalls(|| s.resolve_family("nlctrl").unwrap());
        assert_eq!(n, (1, 2, 0));

        // A growing buffer of the default size set explicitly: no receive region (as when the
        // reservation fails), the per-thread spill space instead; still one receive each.
        s.set_rx_buffer(crate::DEFAULT_RX_BUFFER, true);
        s.forget_family("nlctrl");
        let (info, n) = syscalls(|| s.resolve_family("nlctrl").unwrap());
        assert_eq!((info.id, n), (id, (1, 2, 0)));
        let d0 = s.datagrams_received();
        let (again, n) = syscalls(|| s.list_families().unwrap());
        assert_eq!(again, fams);
        assert_eq!(n, (1, s.datagrams_received() - d0, 0));
    }
}

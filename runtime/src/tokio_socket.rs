//! The tokio flavour of the sockets (cargo feature `tokio`): [`AsyncNlSocket`] (any netlink
//! protocol, the counterpart of [`crate::NlSocket`]) and [`AsyncGenlSocket`] on it (the
//! counterpart of [`crate::GenlSocket`]).
//!
//! Same protocol state machine ([`crate::core`]), driven by readiness from tokio's `AsyncFd`
//! on a non-blocking socket opened like [`crate::NlSocket`]'s.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use tokio::io::unix::AsyncFd;

use crate::attr::AttrWriter;
use crate::core::{BatchState, BatchStep, Class, Core, DumpRetry, DumpState, DumpStep, Notification, ReqState, Slot};
use crate::ctrl::{FamilyCache, FamilyInfo};
use crate::error::{Error, Warning};
use crate::msg::{GenlMsg, NlMsg, NlRequest, OwnedGenlMsg, Request, NLM_F_ACK, NLM_F_DUMP};
use crate::nlsocket::{open_socket, recv_datagram, recv_io};
use crate::socket::BatchItem;
use crate::sys;

/// A netlink socket of any protocol for tokio. Same semantics as [`crate::NlSocket`]; every
/// call that waits is `async`. Must be created inside a tokio runtime with I/O enabled.
pub struct AsyncNlSocket {
    fd: AsyncFd<OwnedFd>,
    core: Core,
}

impl std::fmt::Debug for AsyncNlSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncNlSocket").field("port", &self.core.port).finish()
    }
}

impl AsyncNlSocket {
    /// Open a non-blocking socket of netlink protocol `protocol` (e.g. 0 for `NETLINK_ROUTE`, a
    /// netlink-raw spec's `protonum`), registered with the current tokio runtime. Options as
    /// in [`crate::NlSocket::open`].
    pub fn open(protocol: u32) -> Result<Self, Error> {
        let protocol =
            libc::c_int::try_from(protocol).map_err(|_| Error::Io(io::Error::from(io::ErrorKind::InvalidInput)))?;
        Self::open_proto(protocol)
    }

    /// [`AsyncNlSocket::open`] inside the network namespace `netns` (see
    /// [`crate::NlSocket::open_in`]).
    pub fn open_in(protocol: u32, netns: crate::Netns<'_>) -> Result<Self, Error> {
        let protocol =
            libc::c_int::try_from(protocol).map_err(|_| Error::Io(io::Error::from(io::ErrorKind::InvalidInput)))?;
        Self::open_proto_in(protocol, Some(netns))
    }

    fn open_proto(protocol: libc::c_int) -> Result<Self, Error> {
        Self::open_proto_in(protocol, None)
    }

    fn open_proto_in(protocol: libc::c_int, netns: Option<crate::Netns<'_>>) -> Result<Self, Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::Io(io::Error::other("an async netlink socket must be opened inside a tokio runtime")));
        }
        let (fd, core) = match netns {
            Some(ns) => ns.enter_and(|| open_socket(protocol, true))?,
            None => open_socket(protocol, true)?,
        };
        // SAFETY: `fd` is an open socket that the AsyncFd owns from here on; an OwnedFd's
        // `as_raw_fd` always returns the same descriptor and it stays open until the AsyncFd
        // (and with it the OwnedFd) is dropped.
        let fd = unsafe { AsyncFd::register(fd) }.map_err(|e| Error::Io(e.into()))?;
        Ok(AsyncNlSocket { fd, core })
    }

    /// The socket's netlink port id.
    pub fn port_id(&self) -> u32 {
        self.core.port
    }

    /// See [`crate::NlSocket::set_rx_buffer`].
    pub fn set_rx_buffer(&mut self, size: usize, grow: bool) {
        self.core.set_rx_buffer(size, grow);
    }

    /// See [`crate::NlSocket::set_dump_intr_fatal`].
    pub fn set_dump_intr_fatal(&mut self, fatal: bool) {
        self.core.dump_intr_fatal = fatal;
    }

    /// See [`crate::NlSocket::set_dump_retry`].
    pub fn set_dump_retry(&mut self, retry: DumpRetry) {
        self.core.dump_retry = retry;
    }

    /// See [`crate::GenlSocket::set_dump_limit`].
    pub fn set_dump_limit(&mut self, limit: crate::DumpLimit) {
        self.core.dump_limit = limit;
    }

    /// See [`crate::GenlSocket::set_notification_queue_limit`].
    pub fn set_notification_queue_limit(&mut self, bytes: usize) {
        self.core.queue_limit = bytes;
    }

    /// Datagrams received by this socket so far (replies, dump parts, ACKs, notifications).
    pub fn datagrams_received(&self) -> u64 {
        self.core.datagrams
    }

    /// Number of notifications received and queued but not yet returned.
    pub fn queued_notifications(&self) -> usize {
        self.core.queued_notifications()
    }

    async fn recv_slot(&mut self, slot: Slot) -> Result<Class, Error> {
        if self.core.lossy && slot != Slot::Notif {
            // After ENOBUFS: no waiting, the answer is either queued already or lost.
            return recv_datagram(&mut self.core, self.fd.get_ref().as_raw_fd(), slot, true);
        }
        loop {
            let mut guard = self.fd.readable().await?;
            let raw = guard.get_inner().as_raw_fd();
            let core = &mut self.core;
            match guard.try_io(|_| recv_io(core, raw, slot, true)) {
                Ok(Ok(info)) => return self.core.after_recv(slot, info),
                Ok(Err(e)) => return self.core.on_recv_error(slot, e).map(|()| Class::Skip),
                Err(_would_block) => continue,
            }
        }
    }

    async fn send_tx(&mut self) -> Result<(), Error> {
        loop {
            let mut guard = self.fd.writable().await?;
            let raw = guard.get_inner().as_raw_fd();
            let tx = self.core.tx();
            match guard.try_io(|_| sys::send(raw, tx)) {
                Ok(r) => {
                    r?;
                    return Ok(());
                }
                Err(_would_block) => continue,
            }
        }
    }

    async fn drain(&mut self) -> Result<(), Error> {
        while let Some(mut st) = self.core.drain_state() {
            loop {
                match self.core.dump_step(&mut st) {
                    DumpStep::NeedRecv => {
                        match self.recv_slot(Slot::Rx).await {
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

    /// Finish an abandoned dump, if any, then encode a request (or a batch) into the core's
    /// `tx` with `build` and send it; returns what `build` returned (the sequence number).
    async fn send_request<T>(&mut self, build: impl FnOnce(&mut Core) -> Result<T, Error>) -> Result<T, Error> {
        self.drain().await?;
        let sent = build(&mut self.core)?;
        self.send_tx().await?;
        Ok(sent)
    }

    /// Wait for the ACK of request `seq`; returns the byte range in `rx` of its first reply.
    async fn wait_ack(&mut self, seq: u32, want_reply: bool) -> Result<Option<(usize, usize)>, Error> {
        let mut st = ReqState { seq, reply: None, want_reply };
        loop {
            let slot = st.next_slot();
            if let Class::Kernel(len) = self.recv_slot(slot).await? {
                if let Some(r) = self.core.request_step(&mut st, len) {
                    r?;
                    return Ok(st.reply);
                }
            }
        }
    }

    /// The next message of a dump (or of a do's replies): its byte range in `rx`.
    async fn dump_next(&mut self, st: &mut DumpState) -> Option<Result<(usize, usize), Error>> {
        loop {
            match self.core.dump_step(st) {
                DumpStep::NeedRecv => {
                    if let Err(e) = self.recv_slot(Slot::Rx).await {
                        self.core.dump_recv_failed(st);
                        return Some(Err(e));
                    }
                }
                DumpStep::Item(a, b) => return Some(Ok((a, b))),
                DumpStep::Done => return None,
                DumpStep::Err(e) => return Some(Err(e)),
                DumpStep::Restart => {
                    self.core.restart_dump(st);
                    if let Err(e) = self.send_tx().await {
                        st.done = true;
                        return Some(Err(e));
                    }
                }
            }
        }
    }

    /// See [`crate::NlSocket::request`].
    pub async fn request(
        &mut self,
        req: &NlRequest<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<NlMsg<'_>, Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_ACK, build)).await?;
        let reply = self.wait_ack(seq, true).await?.ok_or(Error::NoReply)?;
        self.core.rx_nlmsg(reply)
    }

    /// See [`crate::NlSocket::request_ack`].
    pub async fn request_ack(
        &mut self,
        req: &NlRequest<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<(), Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_ACK, build)).await?;
        self.wait_ack(seq, false).await.map(|_| ())
    }

    /// See [`crate::NlSocket::request_all`].
    pub async fn request_all(
        &mut self,
        req: &NlRequest<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<AsyncNlDumpIter<'_>, Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_ACK, build)).await?;
        Ok(AsyncNlDumpIter { sock: self, st: DumpState::new(seq) })
    }

    /// See [`crate::NlSocket::dump`].
    pub async fn dump(
        &mut self,
        req: &NlRequest<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<AsyncNlDumpIter<'_>, Error> {
        let seq = self.send_request(|core| core.build_nl(req, NLM_F_DUMP, build)).await?;
        Ok(AsyncNlDumpIter { sock: self, st: DumpState::dump(seq) })
    }

    /// See [`crate::NlSocket::last_warning`].
    pub fn last_warning(&self) -> Option<&Warning> {
        self.core.warning.as_ref()
    }

    /// Join a multicast group by id (`NETLINK_ADD_MEMBERSHIP`).
    pub fn subscribe_id(&mut self, group: u32) -> Result<(), Error> {
        self.core.multicast = true;
        Ok(sys::set_membership(self.fd.get_ref().as_raw_fd(), group, true)?)
    }

    /// Leave a multicast group by id.
    pub fn unsubscribe_id(&mut self, group: u32) -> Result<(), Error> {
        Ok(sys::set_membership(self.fd.get_ref().as_raw_fd(), group, false)?)
    }

    /// See [`crate::NlSocket::recv_notification`]. Cancel-safe: a notification is either
    /// returned or stays queued.
    pub async fn recv_notification(&mut self) -> Result<Notification<'_>, Error> {
        loop {
            if let Some(r) = self.core.notif_step() {
                return self.core.notification(r?);
            }
            self.core.take_overrun()?;
            if let Class::Multicast(len, group) = self.recv_slot(Slot::Notif).await? {
                self.core.notif_received(len, group);
            }
        }
    }
}

/// The async counterpart of [`crate::NlDumpIter`]: `while let Some(m) = it.next().await { .. }`.
pub struct AsyncNlDumpIter<'s> {
    sock: &'s mut AsyncNlSocket,
    st: DumpState,
}

impl AsyncNlDumpIter<'_> {
    /// The next message, or `None` after the end.
    pub async fn next(&mut self) -> Option<Result<NlMsg<'_>, Error>> {
        if let Some(m) = self.sock.core.dump_fast(&mut self.st) {
            return Some(Ok(self.sock.core.fast_item(&m)));
        }
        match self.sock.dump_next(&mut self.st).await? {
            Ok(range) => Some(self.sock.core.rx_nlmsg(range)),
            Err(e) => Some(Err(e)),
        }
    }

    /// See [`crate::NlDumpIter::warning`].
    pub fn warning(&self) -> Option<&Warning> {
        if self.st.done {
            self.sock.core.warning.as_ref()
        } else {
            None
        }
    }

    /// See [`crate::NlDumpIter::restarts`].
    pub fn restarts(&self) -> u32 {
        self.st.restarts
    }
}

impl Drop for AsyncNlDumpIter<'_> {
    fn drop(&mut self) {
        self.sock.core.abandon_dump(&self.st);
    }
}

/// A Generic Netlink socket for tokio: an [`AsyncNlSocket`] on `NETLINK_GENERIC` plus the
/// Generic Netlink header and family resolution. Same semantics as [`crate::GenlSocket`];
/// every call that waits is `async`. Must be created inside a tokio runtime with I/O enabled.
pub struct AsyncGenlSocket {
    sock: AsyncNlSocket,
    families: FamilyCache,
}

impl std::fmt::Debug for AsyncGenlSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncGenlSocket").field("port", &self.sock.core.port).finish()
    }
}

impl AsyncGenlSocket {
    /// Open a non-blocking socket registered with the current tokio runtime. Options as in
    /// [`crate::GenlSocket::new`].
    pub fn new() -> Result<Self, Error> {
        Ok(AsyncGenlSocket {
            sock: AsyncNlSocket::open_proto(libc::NETLINK_GENERIC)?,
            families: FamilyCache::default(),
        })
    }

    /// [`AsyncGenlSocket::new`] inside the network namespace `netns` (see
    /// [`crate::NlSocket::open_in`]).
    pub fn new_in(netns: crate::Netns<'_>) -> Result<Self, Error> {
        Ok(AsyncGenlSocket {
            sock: AsyncNlSocket::open_proto_in(libc::NETLINK_GENERIC, Some(netns))?,
            families: FamilyCache::default(),
        })
    }

    /// The socket's netlink port id.
    pub fn port_id(&self) -> u32 {
        self.sock.port_id()
    }

    /// See [`crate::GenlSocket::set_rx_buffer`].
    pub fn set_rx_buffer(&mut self, size: usize, grow: bool) {
        self.sock.set_rx_buffer(size, grow);
    }

    /// See [`crate::GenlSocket::set_dump_retry`].
    pub fn set_dump_retry(&mut self, retry: DumpRetry) {
        self.sock.set_dump_retry(retry);
    }

    /// See [`crate::GenlSocket::set_dump_limit`].
    pub fn set_dump_limit(&mut self, limit: crate::DumpLimit) {
        self.sock.set_dump_limit(limit);
    }

    /// See [`crate::GenlSocket::set_notification_queue_limit`].
    pub fn set_notification_queue_limit(&mut self, bytes: usize) {
        self.sock.set_notification_queue_limit(bytes);
    }

    /// Datagrams received by this socket so far (replies, dump parts, ACKs, notifications).
    pub fn datagrams_received(&self) -> u64 {
        self.sock.datagrams_received()
    }

    /// Number of notifications received and queued but not yet returned.
    pub fn queued_notifications(&self) -> usize {
        self.sock.queued_notifications()
    }

    async fn do_request(
        &mut self,
        req: &Request<'_>,
        want_reply: bool,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<Option<(usize, usize)>, Error> {
        let seq = self.sock.send_request(|core| core.build(req, NLM_F_ACK, build)).await?;
        self.sock.wait_ack(seq, want_reply).await
    }

    /// See [`crate::GenlSocket::request`].
    pub async fn request(
        &mut self,
        req: &Request<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<GenlMsg<'_>, Error> {
        let reply = self.do_request(req, true, build).await?.ok_or(Error::NoReply)?;
        self.sock.core.rx_msg(reply, req.header.len())
    }

    /// See [`crate::GenlSocket::request_ack`].
    pub async fn request_ack(
        &mut self,
        req: &Request<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<(), Error> {
        self.do_request(req, false, build).await.map(|_| ())
    }

    /// See [`crate::GenlSocket::request_all`]: every reply message of a do, until the ACK.
    pub async fn request_all(
        &mut self,
        req: &Request<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<AsyncReplyIter<'_>, Error> {
        let seq = self.sock.send_request(|core| core.build(req, NLM_F_ACK, build)).await?;
        Ok(AsyncDumpIter { sock: &mut self.sock, st: DumpState::new(seq), hdrsize: req.header.len() })
    }

    /// See [`crate::GenlSocket::request_batch`].
    pub async fn request_batch(
        &mut self,
        reqs: &[(Request<'_>, &[u8])],
        flags: u16,
    ) -> Result<AsyncBatchIter<'_>, Error> {
        let st = self.sock.send_request(|core| core.build_batch(reqs, flags)).await?;
        Ok(AsyncBatchIter { sock: &mut self.sock, st })
    }

    /// See [`crate::GenlSocket::last_warning`].
    pub fn last_warning(&self) -> Option<&Warning> {
        self.sock.last_warning()
    }

    /// See [`crate::GenlSocket::dump`].
    pub async fn dump(
        &mut self,
        req: &Request<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<AsyncDumpIter<'_>, Error> {
        let seq = self.sock.send_request(|core| core.build(req, NLM_F_DUMP, build)).await?;
        Ok(AsyncDumpIter { sock: &mut self.sock, st: DumpState::dump(seq), hdrsize: req.header.len() })
    }

    /// See [`crate::GenlSocket::family_id`].
    pub async fn family_id(&mut self, name: &str) -> Result<u16, Error> {
        match self.families.get(name) {
            Some(f) => Ok(f.id),
            None => Ok(self.resolve_family(name).await?.id),
        }
    }

    /// See [`crate::GenlSocket::resolve_family`].
    pub async fn resolve_family(&mut self, name: &str) -> Result<Arc<FamilyInfo>, Error> {
        if let Some(f) = self.families.get(name) {
            return Ok(f.clone());
        }
        let req = crate::ctrl::getfamily_request();
        let msg = self.request(&req, |w| crate::ctrl::put_family_name(w, name)).await?;
        let info = Arc::new(FamilyInfo::decode(&msg)?);
        self.families.insert(name.to_owned(), info.clone());
        Ok(info)
    }

    /// Forget one family's cached information, so the next use resolves it again. A family
    /// gets a new id when its module is reloaded, and the kernel answers requests to an id
    /// that no longer exists with a bare `ENOENT`.
    pub fn forget_family(&mut self, name: &str) {
        self.families.remove(name);
    }

    /// Forget cached family information.
    pub fn forget_families(&mut self) {
        self.families.clear();
    }

    /// See [`crate::GenlSocket::list_families`].
    pub async fn list_families(&mut self) -> Result<Vec<FamilyInfo>, Error> {
        let req = crate::ctrl::getfamily_request();
        let mut it = self.dump(&req, |_| {}).await?;
        let mut out = Vec::new();
        while let Some(m) = it.next().await {
            out.push(FamilyInfo::decode(&m?)?);
        }
        Ok(out)
    }

    /// See [`crate::GenlSocket::subscribe`].
    pub async fn subscribe(&mut self, family: &str, group: &str) -> Result<u32, Error> {
        let info = self.resolve_family(family).await?;
        let id = info.group_id(family, group)?;
        self.subscribe_id(id)?;
        Ok(id)
    }

    /// Join a multicast group by id.
    pub fn subscribe_id(&mut self, group: u32) -> Result<(), Error> {
        self.sock.subscribe_id(group)
    }

    /// Leave a multicast group by id.
    pub fn unsubscribe_id(&mut self, group: u32) -> Result<(), Error> {
        self.sock.unsubscribe_id(group)
    }

    /// See [`crate::GenlSocket::recv_notification`]. Cancel-safe: a notification is either
    /// returned or stays queued.
    pub async fn recv_notification(&mut self) -> Result<Notification<'_>, Error> {
        self.sock.recv_notification().await
    }
}

/// The async counterpart of [`crate::ReplyIter`] (the replies of
/// [`AsyncGenlSocket::request_all`]).
pub type AsyncReplyIter<'s> = AsyncDumpIter<'s>;

/// The async counterpart of [`crate::DumpIter`].
pub struct AsyncDumpIter<'s> {
    sock: &'s mut AsyncNlSocket,
    st: DumpState,
    hdrsize: usize,
}

impl AsyncDumpIter<'_> {
    /// The next dump message, or `None` after the end.
    pub async fn next(&mut self) -> Option<Result<GenlMsg<'_>, Error>> {
        if let Some(m) = self.sock.core.dump_fast(&mut self.st) {
            return Some(self.sock.core.fast_item(&m).genl(self.hdrsize).map_err(Error::from));
        }
        match self.sock.dump_next(&mut self.st).await? {
            Ok(range) => Some(self.sock.core.rx_msg(range, self.hdrsize)),
            Err(e) => Some(Err(e)),
        }
    }
}

impl AsyncDumpIter<'_> {
    /// See [`crate::DumpIter::warning`].
    pub fn warning(&self) -> Option<&Warning> {
        if self.st.done {
            self.sock.core.warning.as_ref()
        } else {
            None
        }
    }

    /// See [`crate::DumpIter::restarts`].
    pub fn restarts(&self) -> u32 {
        self.st.restarts
    }

    /// Consume the whole dump into owned copies (after a restart, the last attempt's only).
    pub async fn collect_owned(mut self) -> Result<Vec<OwnedGenlMsg>, Error> {
        let mut out = Vec::new();
        let mut restarts = 0;
        while let Some(m) = self.next().await {
            let m = m?.to_owned_msg();
            if self.st.restarts != restarts {
                restarts = self.st.restarts;
                out.clear();
            }
            out.push(m);
        }
        Ok(out)
    }
}

/// The async counterpart of [`crate::BatchIter`].
pub struct AsyncBatchIter<'s> {
    sock: &'s mut AsyncNlSocket,
    st: BatchState,
}

impl AsyncBatchIter<'_> {
    /// See [`crate::BatchIter::next`].
    pub async fn next(&mut self) -> Option<Result<BatchItem<'_>, Error>> {
        let (i, a, b) = loop {
            match self.sock.core.batch_step(&mut self.st) {
                BatchStep::NeedRecv => {
                    if let Err(e) = self.sock.recv_slot(Slot::Rx).await {
                        return Some(Err(e));
                    }
                }
                BatchStep::Item(i, a, b) => break (i, a, b),
                BatchStep::Ack(index, result) => return Some(Ok(BatchItem::Done { index, result })),
                BatchStep::Done => return None,
                BatchStep::Err(e) => return Some(Err(e)),
            }
        };
        let hdrsize = self.st.hdrsize(i);
        Some(self.sock.core.rx_msg((a, b), hdrsize).map(|msg| BatchItem::Reply { index: i, msg }))
    }

    /// Whether every request was answered.
    pub fn is_done(&self) -> bool {
        self.st.done()
    }
}

impl Drop for AsyncDumpIter<'_> {
    fn drop(&mut self) {
        self.sock.core.abandon_dump(&self.st);
    }
}

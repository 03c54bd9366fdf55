//! The blocking Generic Netlink socket ([`GenlSocket`]): an [`NlSocket`] on `NETLINK_GENERIC`
//! plus the Generic Netlink header, family resolution through nlctrl (cached per socket), and
//! batches; with its lending iterators ([`DumpIter`], [`BatchIter`]).

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::time::Duration;

use crate::attr::AttrWriter;
use crate::core::{BatchState, BatchStep, DumpLimit, DumpRetry, DumpState, Notification, Slot};
use crate::ctrl::{FamilyCache, FamilyInfo, PolicyDumpEntry};
use crate::error::{Error, Warning};
use crate::msg::{GenlMsg, OwnedGenlMsg, Request, NLM_F_ACK, NLM_F_DUMP};
use crate::nlsocket::NlSocket;

/// A blocking Generic Netlink socket.
///
/// One socket carries requests (with sequence numbers and ACK matching), dumps and
/// notifications. Replies are borrowed views of the socket's receive buffer, valid until the
/// next call that receives; nothing is allocated per message. Notifications that arrive while
/// a request waits for its reply are queued and returned later by
/// [`GenlSocket::recv_notification`].
///
/// Family ids are cached per socket ([`GenlSocket::resolve_family`]); not process-wide, since
/// a family's id changes when its module is reloaded.
pub struct GenlSocket {
    sock: NlSocket,
    families: FamilyCache,
}

impl std::fmt::Debug for GenlSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenlSocket").field("sock", &self.sock).finish()
    }
}

impl AsFd for GenlSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl GenlSocket {
    /// Open and bind a socket with `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK`,
    /// `NETLINK_GET_STRICT_CHK` and `NETLINK_PKTINFO` set, and a 32 KiB receive buffer that
    /// grows on demand.
    pub fn new() -> Result<Self, Error> {
        Ok(GenlSocket { sock: NlSocket::open_proto(libc::NETLINK_GENERIC)?, families: FamilyCache::default() })
    }

    /// [`GenlSocket::new`] inside the network namespace `netns` (see [`NlSocket::open_in`]).
    pub fn new_in(netns: crate::Netns<'_>) -> Result<Self, Error> {
        Ok(GenlSocket {
            sock: NlSocket::open_proto_in(libc::NETLINK_GENERIC, netns)?,
            families: FamilyCache::default(),
        })
    }

    /// The socket's netlink port id.
    pub fn port_id(&self) -> u32 {
        self.sock.port_id()
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
        self.sock.set_rx_buffer(size, grow);
    }

    /// Current size of the main receive buffer (grows to fit the largest datagram seen).
    pub fn rx_buffer_size(&self) -> usize {
        self.sock.rx_buffer_size()
    }

    /// Set the kernel socket receive queue size (`SO_RCVBUF`).
    pub fn set_rcvbuf(&mut self, bytes: usize) -> Result<(), Error> {
        self.sock.set_rcvbuf(bytes)
    }

    /// What a dump does when the kernel flags it `NLM_F_DUMP_INTR`: fail with
    /// [`Error::DumpInterrupted`] (the default) or restart it from scratch, a bounded number of
    /// times. See [`DumpRetry`] and [`DumpIter::restarts`] for what the caller sees.
    pub fn set_dump_retry(&mut self, retry: DumpRetry) {
        self.sock.set_dump_retry(retry);
    }

    /// Bounds on every dump and `request_all` (default: none); see
    /// [`NlSocket::set_dump_limit`] and [`DumpLimit`].
    pub fn set_dump_limit(&mut self, limit: DumpLimit) {
        self.sock.set_dump_limit(limit);
    }

    /// Most bytes of notifications kept queued while a request waits; see
    /// [`NlSocket::set_notification_queue_limit`].
    pub fn set_notification_queue_limit(&mut self, bytes: usize) {
        self.sock.set_notification_queue_limit(bytes);
    }

    /// Datagrams received by this socket so far (replies, dump parts, ACKs, notifications).
    pub fn datagrams_received(&self) -> u64 {
        self.sock.datagrams_received()
    }

    /// Calls `trace` with every datagram this socket receives, as received (see
    /// [`crate::NlSocket::set_recv_trace`]); `None` stops it.
    pub fn set_recv_trace(&mut self, trace: Option<fn(&[u8])>) {
        self.sock.set_recv_trace(trace);
    }

    /// Number of notifications received and queued but not yet returned.
    pub fn queued_notifications(&self) -> usize {
        self.sock.queued_notifications()
    }

    fn do_request(
        &mut self,
        req: &Request<'_>,
        want_reply: bool,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<Option<(usize, usize)>, Error> {
        let seq = self.sock.send_request(|core| core.build(req, NLM_F_ACK, build))?;
        self.sock.wait_ack(seq, want_reply)
    }

    /// Send a request with `NLM_F_ACK` and return its reply message (borrowed from the receive
    /// buffer), after the kernel's ACK. `build` writes the attributes. A kernel error becomes
    /// [`Error::Kernel`]; an ACK without a reply is [`Error::NoReply`].
    pub fn request(
        &mut self,
        req: &Request<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<GenlMsg<'_>, Error> {
        let reply = self.do_request(req, true, build)?.ok_or(Error::NoReply)?;
        self.sock.core.rx_msg(reply, req.header.len())
    }

    /// Send a request with `NLM_F_ACK` and wait for the ACK (for ops without a reply). A reply
    /// message, if the family sends one anyway, is ignored.
    pub fn request_ack(&mut self, req: &Request<'_>, build: impl FnOnce(&mut AttrWriter<'_>)) -> Result<(), Error> {
        self.do_request(req, false, build).map(|_| ())
    }

    /// Send a request with `NLM_F_ACK` and return **every** reply message it gets before the
    /// ACK (a do that the family answers with several messages), as a lending iterator: `None`
    /// after the ACK, `Some(Err(_))` for a kernel error. No reply at all is not an error here
    /// (the iterator is just empty). [`GenlSocket::request`] keeps only the first reply.
    /// Dropping the iterator early is fine: the rest is drained before the next request.
    pub fn request_all(
        &mut self,
        req: &Request<'_>,
        build: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<ReplyIter<'_>, Error> {
        let seq = self.sock.send_request(|core| core.build(req, NLM_F_ACK, build))?;
        Ok(DumpIter { sock: &mut self.sock, st: DumpState::new(seq), hdrsize: req.header.len() })
    }

    /// Send several do-requests in one datagram (as YNL's `--multi` does; each with
    /// `NLM_F_ACK` and `flags`; attributes as ready-made bytes, e.g. from an [`AttrWriter`]
    /// on a `Vec`) and return their replies and ACKs as they come, matched by sequence
    /// number: see [`BatchIter`]. The kernel runs every request of the datagram even when an
    /// earlier one fails.
    pub fn request_batch(&mut self, reqs: &[(Request<'_>, &[u8])], flags: u16) -> Result<BatchIter<'_>, Error> {
        let st = self.sock.send_request(|core| core.build_batch(reqs, flags))?;
        Ok(BatchIter { sock: &mut self.sock, st })
    }

    /// The kernel's warning for the last request or dump, when it ended successfully with an
    /// extended ACK anyway (an ACK with error 0, or an `NLMSG_DONE` with error 0, carrying a
    /// message). Valid after the request returned or the dump iterator returned `None`;
    /// cleared when the next request is sent.
    pub fn last_warning(&self) -> Option<&Warning> {
        self.sock.last_warning()
    }

    /// Start a dump (`NLM_F_DUMP`); iterate the returned [`DumpIter`] for the messages.
    pub fn dump(&mut self, req: &Request<'_>, build: impl FnOnce(&mut AttrWriter<'_>)) -> Result<DumpIter<'_>, Error> {
        let seq = self.sock.send_request(|core| core.build(req, NLM_F_DUMP, build))?;
        Ok(DumpIter { sock: &mut self.sock, st: DumpState::dump(seq), hdrsize: req.header.len() })
    }

    /// Family information by name via nlctrl (`CTRL_CMD_GETFAMILY`), cached in this socket.
    pub fn resolve_family(&mut self, name: &str) -> Result<Arc<FamilyInfo>, Error> {
        if let Some(f) = self.families.get(name) {
            return Ok(f.clone());
        }
        let req = crate::ctrl::getfamily_request();
        let msg = self.request(&req, |w| crate::ctrl::put_family_name(w, name))?;
        let info = Arc::new(FamilyInfo::decode(&msg)?);
        self.families.insert(name.to_owned(), info.clone());
        Ok(info)
    }

    /// The id of family `name`: [`resolve_family`](Self::resolve_family)'s, without handing
    /// out the shared information (what every typed request asks first).
    pub fn family_id(&mut self, name: &str) -> Result<u16, Error> {
        match self.families.get(name) {
            Some(f) => Ok(f.id),
            None => Ok(self.resolve_family(name)?.id),
        }
    }

    /// Forget one family's cached information, so the next use resolves it again. A family
    /// gets a new id when its module is reloaded, and the kernel answers requests to an id
    /// that no longer exists with a bare `ENOENT`.
    pub fn forget_family(&mut self, name: &str) {
        self.families.remove(name);
    }

    /// Forget cached family information (e.g. after the family's module was reloaded).
    pub fn forget_families(&mut self) {
        self.families.clear();
    }

    /// All registered families (nlctrl dump), decoded.
    pub fn list_families(&mut self) -> Result<Vec<FamilyInfo>, Error> {
        let req = crate::ctrl::getfamily_request();
        let mut it = self.dump(&req, |_| {})?;
        let mut out = Vec::new();
        while let Some(m) = it.next() {
            out.push(FamilyInfo::decode(&m?)?);
        }
        Ok(out)
    }

    /// Join multicast group `group` of family `family` (both by name); returns the group id.
    pub fn subscribe(&mut self, family: &str, group: &str) -> Result<u32, Error> {
        let info = self.resolve_family(family)?;
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

    /// The next notification: queued ones first, then blocking for a new one. Besides the
    /// multicasts of subscribed groups, a notification is any message the kernel unicast to
    /// this socket on its own (sequence number 0, [`Notification::group`](crate::Notification::group)
    /// 0), such as the ticks a module's timer sends to a port id it stored.
    ///
    /// [`Error::NotificationsLost`] reports (once per overflow) that the kernel dropped
    /// multicast messages because the socket's queue was full; receiving can continue
    /// afterwards. Resynchronise by re-dumping, as described at
    /// [`NlSocket::recv_notification`](crate::NlSocket::recv_notification).
    pub fn recv_notification(&mut self) -> Result<Notification<'_>, Error> {
        self.sock.recv_notification()
    }

    /// Like [`GenlSocket::recv_notification`], but gives up with `Ok(None)` after `timeout`
    /// (zero: only what is already queued or readable).
    pub fn recv_notification_timeout(&mut self, timeout: Duration) -> Result<Option<Notification<'_>>, Error> {
        self.sock.recv_notification_timeout(timeout)
    }

    /// Send raw bytes to another netlink port and/or multicast groups (`nl_groups` bitmask).
    /// Meant for tests (sending to a multicast group needs `CAP_NET_ADMIN`).
    pub fn send_raw_to(&mut self, bytes: &[u8], port: u32, groups: u32) -> Result<(), Error> {
        self.sock.send_raw_to(bytes, port, groups)
    }

    /// The policies of family `name` (nlctrl `getpolicy` dump), decoded.
    pub fn family_policy(&mut self, name: &str) -> Result<Vec<PolicyDumpEntry>, Error> {
        let req = crate::ctrl::getpolicy_request();
        let mut it = self.dump(&req, |w| crate::ctrl::put_family_name(w, name))?;
        let mut out = Vec::new();
        while let Some(m) = it.next() {
            crate::ctrl::decode_policy_msg(&m?, &mut out)?;
        }
        Ok(out)
    }
}

/// The messages of a dump, lent one at a time (each borrows the socket's receive buffer).
///
/// Use `while let Some(msg) = it.next() { let msg = msg?; ... }`. After the last message (the
/// kernel's `NLMSG_DONE`) it returns `None`; a kernel error ends it with `Some(Err(_))`, and
/// `NLM_F_DUMP_INTR` with `Some(Err(Error::DumpInterrupted))`. Dropping it early is fine: the
/// rest of the dump is drained before the socket's next request. A warning the kernel put in
/// the successful end is [`DumpIter::warning`].
///
/// The same iterator returns the replies of [`GenlSocket::request_all`] (ended by the ACK).
pub type ReplyIter<'s> = DumpIter<'s>;

/// See [`ReplyIter`]: the lending iterator of a dump's (or a do's) messages.
pub struct DumpIter<'s> {
    sock: &'s mut NlSocket,
    st: DumpState,
    hdrsize: usize,
}

impl DumpIter<'_> {
    /// The next dump message (a lending iterator: the message borrows this iterator).
    #[allow(clippy::should_implement_trait, reason = "a lending iterator: `Iterator` cannot lend")]
    #[inline(always)]
    pub fn next(&mut self) -> Option<Result<GenlMsg<'_>, Error>> {
        if let Some(m) = self.sock.core.dump_fast(&mut self.st) {
            return Some(self.sock.core.fast_item(&m).genl(self.hdrsize).map_err(Error::from));
        }
        match self.sock.dump_next(&mut self.st)? {
            Ok(range) => Some(self.sock.core.rx_msg(range, self.hdrsize)),
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
    /// [`DumpRetry::Retry`]; always 0 otherwise). When this grows, every message returned
    /// before belongs to the abandoned attempt: discard them, the dump starts over with the
    /// next message. E.g.:
    ///
    /// ```no_run
    /// # fn f(sock: &mut nlspec_rt::GenlSocket, req: &nlspec_rt::Request<'_>) -> Result<(), nlspec_rt::Error> {
    /// sock.set_dump_retry(nlspec_rt::DumpRetry::Retry { max_attempts: 5 });
    /// let mut it = sock.dump(req, |_| {})?;
    /// let (mut ids, mut seen) = (Vec::new(), 0);
    /// while let Some(m) = it.next() {
    ///     let id = m?.cmd(); // take what is needed: the message borrows `it`
    ///     if it.restarts() != seen {
    ///         seen = it.restarts();
    ///         ids.clear();
    ///     }
    ///     ids.push(id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn restarts(&self) -> u32 {
        self.st.restarts
    }

    /// Consume the whole dump into owned copies (allocates per message; for when the messages
    /// must outlive the socket's next use). After a restart ([`DumpRetry::Retry`]) only the
    /// last attempt's messages are kept.
    pub fn collect_owned(mut self) -> Result<Vec<OwnedGenlMsg>, Error> {
        let mut out = Vec::new();
        let mut restarts = 0;
        while let Some(m) = self.next() {
            let m = m?.to_owned_msg();
            if self.st.restarts != restarts {
                restarts = self.st.restarts;
                out.clear();
            }
            out.push(m);
        }
        Ok(out)
    }

    /// Consume the whole dump, calling `f` on each message.
    pub fn for_each_msg(mut self, mut f: impl FnMut(GenlMsg<'_>) -> Result<(), Error>) -> Result<(), Error> {
        while let Some(m) = self.next() {
            f(m?)?;
        }
        Ok(())
    }
}

/// One event of a [`GenlSocket::request_batch`].
#[derive(Debug)]
pub enum BatchItem<'a> {
    /// A reply message of request `index` (borrowing the socket's receive buffer).
    Reply {
        /// Position of the request in the batch.
        index: usize,
        /// The reply.
        msg: GenlMsg<'a>,
    },
    /// Request `index` is over: acknowledged (with the kernel's warning, if its ACK carried
    /// one) or failed with its kernel error.
    Done {
        /// Position of the request in the batch.
        index: usize,
        /// The ACK's warning, or the request's error.
        result: Result<Option<Warning>, Error>,
    },
}

/// The replies and ACKs of a batch, lent one at a time. `None` once every request was
/// answered; `Some(Err(_))` (I/O or protocol trouble) ends it. A request's own kernel error is
/// its [`BatchItem::Done`], and the others go on. Dropping it early is fine: what is left of
/// the batch is skipped by later requests (it is matched by sequence number).
pub struct BatchIter<'s> {
    sock: &'s mut NlSocket,
    st: BatchState,
}

impl BatchIter<'_> {
    /// The next reply or ACK (a lending iterator).
    #[allow(clippy::should_implement_trait, reason = "a lending iterator: `Iterator` cannot lend")]
    pub fn next(&mut self) -> Option<Result<BatchItem<'_>, Error>> {
        let (i, a, b) = loop {
            match self.sock.core.batch_step(&mut self.st) {
                BatchStep::NeedRecv => {
                    let lossy = self.sock.core.lossy;
                    if let Err(e) = self.sock.recv_slot(Slot::Rx, lossy) {
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

impl Drop for DumpIter<'_> {
    fn drop(&mut self) {
        self.sock.core.abandon_dump(&self.st);
    }
}

//! The I/O-free protocol state machine that every socket drives: the sync [`crate::NlSocket`]
//! (and [`crate::GenlSocket`] on it) and the tokio [`crate::AsyncGenlSocket`]. Buffers,
//! sequence numbers, the notification queue, and the step functions that interpret received
//! datagrams (replies and ACKs of requests, dump parts, batches, abandoned dumps to drain). The
//! drivers only move bytes; nothing here does I/O or depends on a module that does.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::attr::AttrWriter;
use crate::error::{parse_done_msg_warn, parse_error_msg_warn, Error, RequestContext, Warning};
use crate::msg::{
    finish_message, nlmsg_align, start_message, start_nl_message, GenlMsg, NlMsg, NlMsgHdr, NlRequest, RecvInfo,
    Request, GENL_HDRLEN, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_MIN_TYPE, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK,
    NLM_F_DUMP_INTR, NLM_F_ECHO, NLM_F_REQUEST,
};
use crate::schema::AttrSet;
use crate::sys::Spill;

/// Default receive buffer: 32 KiB, the largest datagram the kernel builds for dumps (unless the
/// dump asks for more, see [`SPILL_SIZE`]).
///
/// The kernel sizes each dump datagram as `max(min_dump_alloc, NLMSG_GOODSIZE, the largest
/// recvmsg() length seen on the socket)`, that length capped at `SKB_WITH_OVERHEAD(32768)`
/// (`netlink_dump` / `netlink_recvmsg` in `net/netlink/af_netlink.c`; `NLMSG_GOODSIZE` is
/// `min(PAGE_SIZE, 8192)` less the skb overhead). So with this buffer every ordinary dump
/// datagram fits; replies of a do, notifications and dumps with a `min_dump_alloc` (rtnetlink
/// links with many VFs or alternative names, inet_diag) can be larger, and arrive whole
/// through the spill space.
pub const DEFAULT_RX_BUFFER: usize = 32 * 1024;

/// Size of the spill space a receive scatters into past the receive buffer (address space
/// reserved once per thread with `MAP_NORESERVE`; memory is used only while a datagram larger
/// than the buffer is copied out). 64 MiB: more than any datagram the kernel builds (an skb's
/// data is one kmalloc, at most 4 MiB with 4 KiB pages).
pub const SPILL_SIZE: usize = 64 << 20;

/// Default bound on the notifications a socket keeps queued while a request or dump waits
/// (4 MiB of datagrams; see [`crate::NlSocket::set_notification_queue_limit`]).
pub const DEFAULT_NOTIFICATION_QUEUE_LIMIT: usize = 4 << 20;

/// Bounds on one dump (or the replies of a `request_all`), for a peer that may never end it:
/// set per socket with `set_dump_limit`; every field `None` (the default) means unbounded.
///
/// When a bound is passed the dump ends with [`Error::DumpLimitExceeded`]. Its rest is then
/// drained before the socket's next request as for any abandoned dump, but that drain obeys
/// the same bounds: a dump that really never ends is given up after them. The kernel then still
/// holds the dump open on this socket (it only advances when the socket is read): the socket
/// keeps working for requests (the dump's further datagrams are recognised by their sequence
/// number and skipped, at most a receive queue's worth per request), but a new dump on it fails
/// with `EBUSY` until the socket is closed, which ends the kernel's dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DumpLimit {
    /// Most messages (not counting `NLMSG_DONE`).
    pub max_messages: Option<u64>,
    /// Most bytes of messages (their `nlmsg_len`, headers included).
    pub max_bytes: Option<u64>,
    /// Longest time from sending the dump request. Checked as messages arrive: a peer that sends
    /// nothing is not timed out by this (the kernel always sends while the socket is read).
    pub max_duration: Option<Duration>,
}

impl DumpLimit {
    /// No bound (the default).
    pub const NONE: DumpLimit = DumpLimit { max_messages: None, max_bytes: None, max_duration: None };

    /// At most `n` messages.
    pub fn messages(n: u64) -> Self {
        DumpLimit { max_messages: Some(n), ..Self::NONE }
    }

    /// At most `n` bytes of messages.
    pub fn bytes(n: u64) -> Self {
        DumpLimit { max_bytes: Some(n), ..Self::NONE }
    }

    /// At most `d` from the request.
    pub fn duration(d: Duration) -> Self {
        DumpLimit { max_duration: Some(d), ..Self::NONE }
    }

    /// The bound that `st` (after counting a message) has passed, if any.
    ///
    /// Reads the clock only when a duration is bounded or a bound has been passed: an unbounded
    /// dump costs no `clock_gettime` per message (it was 13% of a 10,000-route dump's time).
    #[inline]
    fn exceeded(&self, st: &mut DumpState, sent_at: Option<Instant>) -> Option<Error> {
        if *self == Self::NONE {
            return None;
        }
        let started = *st.started.get_or_insert_with(|| sent_at.unwrap_or_else(Instant::now));
        let over = self.max_messages.is_some_and(|m| st.messages > m)
            || self.max_bytes.is_some_and(|b| st.bytes > b)
            || self.max_duration.is_some_and(|d| started.elapsed() > d);
        over.then(|| Error::DumpLimitExceeded { messages: st.messages, bytes: st.bytes, elapsed: started.elapsed() })
    }
}

/// A message the kernel sent on its own: a multicast on a subscribed group, or a unicast to
/// this socket that answers no request (sequence number 0; `group` 0).
#[derive(Debug, Clone, Copy)]
pub struct Notification<'a> {
    /// The multicast group id it was sent to; 0 for a kernel-initiated unicast to this socket.
    pub group: u32,
    /// The message. Generic Netlink: decode it with [`Notification::genl`] (or [`NlMsg::genl`])
    /// and the family's fixed-header size; other protocols: its payload is the fixed header
    /// and the attributes.
    pub msg: NlMsg<'a>,
}

impl<'a> Notification<'a> {
    /// View as a Generic Netlink message with a `hdrsize`-byte fixed header.
    pub fn genl(&self, hdrsize: usize) -> Result<GenlMsg<'a>, Error> {
        Ok(self.msg.genl(hdrsize)?)
    }
}

/// Which buffer a receive goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Replies and dump messages.
    Rx,
    /// Datagrams after a reply was captured in `Rx` (e.g. the ACK that follows it).
    Aux,
    /// Notifications being handed out.
    Notif,
}

/// What a received datagram was.
pub(crate) enum Class {
    /// A unicast datagram from the kernel of this many bytes: process it.
    Kernel(usize),
    /// Queued as a notification, or ignored: receive again.
    Skip,
    /// (Notif slot only) a multicast datagram of this many bytes, with its group.
    Multicast(usize, u32),
}

pub(crate) struct Queued {
    group: u32,
    buf: Vec<u8>,
    len: usize,
}

/// Progress of a do-request.
pub(crate) struct ReqState {
    pub seq: u32,
    /// Byte range of the reply message in `rx`.
    pub reply: Option<(usize, usize)>,
    pub want_reply: bool,
}

impl ReqState {
    pub fn next_slot(&self) -> Slot {
        if self.reply.is_some() {
            Slot::Aux
        } else {
            Slot::Rx
        }
    }
}

/// What a dump does when the kernel flags it `NLM_F_DUMP_INTR` (the dumped data changed while
/// it was being dumped, so what was returned may be inconsistent). Set per socket with
/// `set_dump_retry`; applies to dumps only (never to a do's replies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DumpRetry {
    /// End the dump with [`Error::DumpInterrupted`] (the default).
    #[default]
    Fail,
    /// Restart the dump from scratch (the same request, a new sequence number) after the
    /// interrupted attempt ended, up to `max_attempts` attempts in all (the first included);
    /// the last one interrupted ends with [`Error::DumpInterrupted`]. The lending iterator
    /// cannot take back what it already returned: each restart increments the iterator's
    /// `restarts()` count, and messages returned before it belong to the abandoned attempt
    /// (discard them; `collect_owned` does).
    Retry {
        /// Attempts in all, the first included (0 and 1 mean no retry).
        max_attempts: u32,
    },
}

/// Progress of a dump.
#[derive(Debug)]
pub(crate) struct DumpState {
    pub seq: u32,
    pub done: bool,
    /// Consuming an abandoned dump: skip items, ignore `NLM_F_DUMP_INTR`.
    pub draining: bool,
    /// A dump (not a do's replies): may be restarted under [`DumpRetry::Retry`].
    pub restartable: bool,
    /// The current attempt was interrupted and will be restarted: skipping its rest.
    pub restarting: bool,
    /// Restarts so far.
    pub restarts: u32,
    /// Messages and bytes seen so far (all attempts, drained ones included), and when the
    /// dump was sent (known under a [`DumpLimit`] only, the clock read then: see
    /// [`Core::sent_at`]): what [`DumpLimit`] bounds.
    pub messages: u64,
    pub bytes: u64,
    pub started: Option<Instant>,
}

impl DumpState {
    /// The replies of a do (`request_all`) just sent with sequence number `seq`.
    pub fn new(seq: u32) -> Self {
        DumpState {
            seq,
            done: false,
            draining: false,
            restartable: false,
            restarting: false,
            restarts: 0,
            messages: 0,
            bytes: 0,
            started: None,
        }
    }

    /// A dump just sent with sequence number `seq`.
    pub fn dump(seq: u32) -> Self {
        DumpState { restartable: true, ..DumpState::new(seq) }
    }
}

/// A data message of a dump found by [`Core::dump_fast`]: its header and byte range in `rx`.
pub(crate) struct FastItem {
    hdr: NlMsgHdr,
    start: usize,
    end: usize,
}

/// One step of a dump.
pub(crate) enum DumpStep {
    /// Receive another datagram into `Rx`.
    NeedRecv,
    /// A dump message at this byte range of `rx`.
    Item(usize, usize),
    /// Finished (successfully, or the error was already returned).
    Done,
    /// Finished with an error.
    Err(Error),
    /// The attempt was interrupted and is over: call [`Core::restart_dump`] and send `tx`.
    Restart,
}

/// One request of a batch: where it sits in `tx`, for extended-ACK offsets.
pub(crate) struct BatchMsg {
    seq: u32,
    start: usize,
    end: usize,
    hdrsize: usize,
    schema: Option<&'static AttrSet>,
    acked: bool,
}

/// Progress of a batch of do-requests sent in one datagram.
pub(crate) struct BatchState {
    msgs: Vec<BatchMsg>,
    pending: usize,
}

impl BatchState {
    /// Fixed-header size of request `i` (for its replies).
    pub fn hdrsize(&self, i: usize) -> usize {
        self.msgs.get(i).map_or(0, |m| m.hdrsize)
    }
    pub fn done(&self) -> bool {
        self.pending == 0
    }
}

/// One step of a batch.
pub(crate) enum BatchStep {
    /// Receive another datagram into `Rx`.
    NeedRecv,
    /// A reply of request `.0` at this byte range of `rx`.
    Item(usize, usize, usize),
    /// Request `.0` is over: its ACK (with the warning it carried) or its kernel error.
    Ack(usize, Result<Option<Warning>, Error>),
    /// Every request was acknowledged.
    Done,
    /// A protocol error: the batch ends here.
    Err(Error),
}

/// The main receive buffer's bytes: the region when there is one, else the `Vec` (a function
/// of the two fields, so a caller keeps its other fields free to change).
#[inline]
fn rx_bytes<'a>(map: &'a Option<Spill>, vec: &'a [u8]) -> &'a [u8] {
    match map {
        Some(m) => m.as_slice(),
        None => vec,
    }
}

pub(crate) struct Core {
    pub port: u32,
    seq: u32,
    tx: Vec<u8>,
    /// Protocol header size of the request in `tx` (`GENL_HDRLEN` or 0), for error offsets.
    tx_proto_hdrlen: usize,
    tx_hdrsize: usize,
    tx_schema: Option<&'static AttrSet>,
    /// The main receive buffer, unless `rx_map` replaces it.
    rx: Vec<u8>,
    /// The main receive buffer as reserved address space ([`SPILL_SIZE`] bytes,
    /// `MAP_NORESERVE`), when the socket could reserve it and its buffer is the default one:
    /// every datagram lands in it whole with one plain receive and is read where it landed
    /// (no copy, no scatter). Pages past the first [`DEFAULT_RX_BUFFER`] bytes that a large
    /// datagram touched are given back before the next receive (`rx_touched`).
    rx_map: Option<Spill>,
    /// Bytes of `rx_map` the main buffer's last datagram wrote (its pages past the kept ones go
    /// back at the next receive into it; other slots' datagrams give theirs back at once).
    rx_touched: usize,
    /// The largest datagram received into `rx_map` (what [`Core::rx_capacity`] reports).
    rx_largest: usize,
    rx_len: usize,
    rx_pos: usize,
    aux: Vec<u8>,
    pub notif: Vec<u8>,
    notif_len: usize,
    notif_pos: usize,
    notif_group: u32,
    queue: VecDeque<Queued>,
    /// Bytes of datagrams in `queue`, and the most it may hold (past it, notifications are
    /// dropped and the loss reported as [`Error::NotificationsLost`], as the kernel does).
    queue_bytes: usize,
    pub queue_limit: usize,
    spare: Vec<Vec<u8>>,
    pub grow: bool,
    /// Size every datagram with `MSG_PEEK | MSG_TRUNC` before receiving it (a growing buffer
    /// set below [`DEFAULT_RX_BUFFER`]: the kernel sizes dump datagrams after the receive length
    /// it sees, which the spill space would inflate). Otherwise one `recvmsg` per datagram.
    pub peek: bool,
    /// The socket has joined a multicast group (ever): its datagrams may be multicast, so
    /// receives ask for `NETLINK_PKTINFO` (a `recvmsg`); until then a cheaper `recvfrom`.
    pub multicast: bool,
    /// The socket is connected to the kernel (the default, see
    /// [`crate::NlSocket::set_user_unicast`]): no other user-space socket can unicast to it, so
    /// outside multicast groups every datagram is the kernel's and receives do not ask for the
    /// sender.
    pub kernel_only: bool,
    /// Length of the last datagram received through the spill space (chooses how the next one
    /// is received: see `nlsocket::recv_io`).
    pub last_rx_len: usize,
    /// A dump the caller abandoned: drain it before the next request.
    pub drain: Option<u32>,
    /// Whether a dump message flagged `NLM_F_DUMP_INTR` ends the dump with
    /// [`Error::DumpInterrupted`] (the default), or is returned like any other.
    pub dump_intr_fatal: bool,
    /// Restart interrupted dumps?
    pub dump_retry: DumpRetry,
    /// Bounds on every dump and `request_all`, and on the drain of one abandoned.
    pub dump_limit: DumpLimit,
    /// Datagrams received so far (all kinds).
    pub datagrams: u64,
    /// Called with every datagram received, before it is classified (debug output).
    pub recv_trace: Option<fn(&[u8])>,
    /// The kernel reported `ENOBUFS` (queue overflow) and it was not reported yet.
    pub overrun: bool,
    /// `ENOBUFS` was seen while waiting for the current request's answer: the answer may have
    /// been dropped too, so stop blocking (see [`Core::on_recv_error`]).
    pub lossy: bool,
    /// The extended-ACK warning that ended the current request or dump successfully
    /// (an ACK or `NLMSG_DONE` with error 0 that carried TLVs). Cleared by [`Core::build`].
    pub warning: Option<Warning>,
    /// When the request in `tx` was built, read only under a [`DumpLimit`] (an unbounded dump or
    /// do reads no clock).
    sent_at: Option<Instant>,
}

impl Core {
    pub fn new(port: u32) -> Self {
        Core {
            port,
            seq: 0,
            tx: Vec::with_capacity(256),
            tx_proto_hdrlen: 0,
            tx_hdrsize: 0,
            tx_schema: None,
            rx: vec![0; DEFAULT_RX_BUFFER],
            rx_map: None,
            rx_touched: 0,
            rx_largest: 0,
            rx_len: 0,
            rx_pos: 0,
            aux: vec![0; 4096],
            notif: vec![0; 8192],
            notif_len: 0,
            notif_pos: 0,
            notif_group: 0,
            queue: VecDeque::new(),
            queue_bytes: 0,
            queue_limit: DEFAULT_NOTIFICATION_QUEUE_LIMIT,
            spare: Vec::new(),
            grow: true,
            peek: false,
            multicast: false,
            kernel_only: true,
            last_rx_len: 0,
            drain: None,
            dump_intr_fatal: true,
            dump_retry: DumpRetry::Fail,
            dump_limit: DumpLimit::NONE,
            datagrams: 0,
            recv_trace: None,
            overrun: false,
            lossy: false,
            warning: None,
            sent_at: None,
        }
    }

    /// Set the receive buffer size; `grow: false` makes oversize datagrams a
    /// [`Error::Truncated`] instead of growing the buffer. A growing buffer below
    /// [`DEFAULT_RX_BUFFER`] peeks at each datagram's size (see [`Core::peek`]).
    pub fn set_rx_buffer(&mut self, size: usize, grow: bool) {
        let size = size.max(crate::msg::NLMSG_HDRLEN);
        self.rx_map = None;
        self.rx = vec![0; size];
        self.aux = vec![0; size];
        self.notif = vec![0; size];
        self.grow = grow;
        self.peek = grow && size < DEFAULT_RX_BUFFER;
        self.rx_len = 0;
        self.rx_pos = 0;
        self.notif_len = 0;
        self.notif_pos = 0;
    }

    pub fn tx(&self) -> &[u8] {
        &self.tx
    }

    /// Reserve the receive region ([`Core::rx_map`]) for a socket with the default buffer;
    /// without it (e.g. under a tight `RLIMIT_AS`) the buffer stays a `Vec` received into
    /// through this thread's spill space.
    pub fn map_rx(&mut self) {
        if self.grow && !self.peek && self.rx_map.is_none() {
            if let Ok(m) = Spill::map(SPILL_SIZE) {
                self.rx_map = Some(m);
                self.rx = Vec::new();
            }
        }
    }

    /// Receive one datagram for `slot` through the receive region, when there is one
    /// (`None`: there is not). `recv` is the syscall, given the free part of the region: all of
    /// it for the main buffer, which is read where the datagram landed; past the main buffer's
    /// datagram for the other slots (that datagram may still be unread: a reply held while its
    /// ACK arrives), the datagram then copied into the slot's buffer (grown to fit). Either way
    /// it arrives whole.
    #[inline]
    pub fn recv_mapped(
        &mut self,
        slot: Slot,
        recv: impl FnOnce(&mut [u8]) -> std::io::Result<RecvInfo>,
    ) -> Option<std::io::Result<RecvInfo>> {
        let map = self.rx_map.as_mut()?;
        let off = match slot {
            Slot::Rx => {
                // The previous datagram is read by now: a large one's pages go back.
                if self.rx_touched > DEFAULT_RX_BUFFER {
                    map.release_range(DEFAULT_RX_BUFFER, self.rx_touched);
                    self.rx_touched = 0;
                }
                0
            }
            _ => nlmsg_align(self.rx_len),
        };
        let r = recv(&mut map.as_mut_slice()[off..]);
        let Ok(info) = &r else { return Some(r) };
        let n = info.len;
        if slot == Slot::Rx {
            self.rx_touched = n;
            self.rx_largest = self.rx_largest.max(n);
        } else {
            let buf = match slot {
                Slot::Aux => &mut self.aux,
                _ => &mut self.notif,
            };
            if buf.len() < n {
                buf.resize(n, 0);
            }
            buf[..n].copy_from_slice(&map.as_slice()[off..off + n]);
            // Copied out: pages it touched past the kept ones go back now (a socket that only
            // takes notifications may not receive into the main buffer again for long). The
            // page holding the end of the main buffer's datagram stays.
            map.release_range(DEFAULT_RX_BUFFER.max(off), off + n);
        }
        Some(r)
    }

    /// The main receive buffer's bytes.
    #[inline]
    fn rx(&self) -> &[u8] {
        rx_bytes(&self.rx_map, &self.rx)
    }

    /// Size of the main receive buffer: its length, or for a receive region the default size
    /// or the largest datagram received, whichever is larger.
    pub fn rx_capacity(&self) -> usize {
        match self.rx_map {
            Some(_) => self.rx_largest.max(DEFAULT_RX_BUFFER),
            None => self.rx.len(),
        }
    }

    pub fn queued_notifications(&self) -> usize {
        self.queue.len() + usize::from(self.notif_pos < self.notif_len)
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        if self.seq == 0 {
            self.seq = 1;
        }
        self.seq
    }

    /// Encode a Generic Netlink request into `tx`; returns its sequence number.
    pub fn build(&mut self, req: &Request<'_>, flags: u16, f: impl FnOnce(&mut AttrWriter<'_>)) -> Result<u32, Error> {
        let seq = self.next_seq();
        start_message(
            &mut self.tx,
            req.family,
            req.flags | flags | NLM_F_REQUEST,
            seq,
            self.port,
            req.cmd,
            req.version,
            req.header,
        );
        self.finish_build(GENL_HDRLEN, req.header.len(), req.schema, f)?;
        Ok(seq)
    }

    /// Encode a request without a Generic Netlink header (netlink-raw protocols) into `tx`;
    /// returns its sequence number.
    pub fn build_nl(
        &mut self,
        req: &NlRequest<'_>,
        flags: u16,
        f: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<u32, Error> {
        let seq = self.next_seq();
        start_nl_message(&mut self.tx, req.ty, req.flags | flags | NLM_F_REQUEST, seq, self.port, req.header);
        self.finish_build(0, req.header.len(), req.schema, f)?;
        Ok(seq)
    }

    /// After the headers: the attributes, the length, and the state of a fresh request.
    fn finish_build(
        &mut self,
        proto_hdrlen: usize,
        hdrsize: usize,
        schema: Option<&'static AttrSet>,
        f: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<(), Error> {
        let mut w = AttrWriter::new(&mut self.tx);
        f(&mut w);
        w.finish()?;
        finish_message(&mut self.tx)?;
        self.tx_proto_hdrlen = proto_hdrlen;
        self.tx_hdrsize = hdrsize;
        self.tx_schema = schema;
        // A fresh request: whatever was left in the receive buffer is stale.
        self.lossy = false;
        self.clear_warning();
        self.sent_at = self.limit_clock();
        self.rx_len = 0;
        self.rx_pos = 0;
        Ok(())
    }

    /// Encode several requests (each with `NLM_F_ACK` and `flags`, attributes given as
    /// ready-made bytes) back to back into `tx`, to be sent as one datagram.
    pub fn build_batch(&mut self, reqs: &[(Request<'_>, &[u8])], flags: u16) -> Result<BatchState, Error> {
        let mut out = Vec::new();
        let mut msgs = Vec::with_capacity(reqs.len());
        for (req, attrs) in reqs {
            let seq = self.build(req, flags | NLM_F_ACK, |w| w.put_raw_bytes(attrs))?;
            let start = out.len();
            out.extend_from_slice(&self.tx);
            msgs.push(BatchMsg {
                seq,
                start,
                end: out.len(),
                hdrsize: req.header.len(),
                schema: req.schema,
                acked: false,
            });
        }
        self.tx = out;
        Ok(BatchState { pending: msgs.len(), msgs })
    }

    /// Advance a batch over the messages in `rx`: replies and ACKs matched to their request
    /// by sequence number.
    pub fn batch_step(&mut self, st: &mut BatchState) -> BatchStep {
        loop {
            if st.pending == 0 {
                return BatchStep::Done;
            }
            if self.rx_pos >= self.rx_len {
                return BatchStep::NeedRecv;
            }
            let buf = &rx_bytes(&self.rx_map, &self.rx)[self.rx_pos..self.rx_len];
            let m = match NlMsg::parse(buf) {
                Ok(m) => m,
                Err(e) => {
                    st.pending = 0;
                    self.rx_pos = self.rx_len;
                    return BatchStep::Err(e.into());
                }
            };
            let start = self.rx_pos;
            let mlen = m.hdr.len as usize;
            self.rx_pos += nlmsg_align(mlen).min(buf.len());
            let Some(i) = st.msgs.iter().position(|b| b.seq == m.hdr.seq && !b.acked) else {
                continue; // stale, or not ours
            };
            match m.hdr.ty {
                NLMSG_ERROR | NLMSG_DONE => {
                    let b = &mut st.msgs[i];
                    b.acked = true;
                    st.pending -= 1;
                    let ctx = RequestContext {
                        bytes: &self.tx[b.start..b.end],
                        proto_hdrlen: GENL_HDRLEN,
                        hdrsize: b.hdrsize,
                        schema: b.schema,
                    };
                    let r = if m.hdr.ty == NLMSG_DONE {
                        parse_done_msg_warn(&m, Some(ctx))
                    } else {
                        parse_error_msg_warn(&m, Some(ctx))
                    };
                    return BatchStep::Ack(i, r);
                }
                NLMSG_NOOP => {}
                NLMSG_OVERRUN => {
                    st.pending = 0;
                    return BatchStep::Err(Error::Protocol("NLMSG_OVERRUN: data lost".into()));
                }
                _ => return BatchStep::Item(i, start, start + mlen),
            }
        }
    }

    fn ctx(&self) -> RequestContext<'_> {
        RequestContext {
            bytes: &self.tx,
            proto_hdrlen: self.tx_proto_hdrlen,
            hdrsize: self.tx_hdrsize,
            schema: self.tx_schema,
        }
    }

    /// The warning of the request just answered (`None` most of the time: then nothing is
    /// dropped, which an assignment would call out of line for).
    #[inline]
    fn set_warning(&mut self, w: Option<Warning>) {
        if w.is_some() || self.warning.is_some() {
            self.warning = w;
        }
    }

    #[inline]
    fn clear_warning(&mut self) {
        if self.warning.is_some() {
            self.warning = None;
        }
    }

    /// A slot's buffer, to receive into (never the receive region: see [`Core::map_rx`]).
    pub fn buf_mut(&mut self, slot: Slot) -> &mut Vec<u8> {
        match slot {
            Slot::Rx => {
                debug_assert!(self.rx_map.is_none(), "the receive region is not a Vec");
                &mut self.rx
            }
            Slot::Aux => &mut self.aux,
            Slot::Notif => &mut self.notif,
        }
    }

    pub(crate) fn buf(&self, slot: Slot) -> &[u8] {
        match slot {
            Slot::Rx => self.rx(),
            Slot::Aux => &self.aux,
            Slot::Notif => &self.notif,
        }
    }

    /// Before a receive: make room for a datagram of `len` bytes (if growth is allowed).
    pub fn prepare_recv(&mut self, slot: Slot, len: usize) {
        if self.grow {
            let b = self.buf_mut(slot);
            if b.len() < len {
                b.resize(len, 0);
            }
        }
    }

    /// A receive syscall failed. `Ok` means "receive again": after `EINTR`, or after
    /// `ENOBUFS` while waiting for a request's answer. `ENOBUFS` means the socket queue
    /// overflowed and the kernel dropped messages -- multicast ones, but possibly our reply
    /// too. Generic Netlink answers are queued synchronously while the request is sent (and
    /// dump parts while we receive), so from then on the drivers receive without blocking:
    /// finding the queue empty before the answer means it was dropped
    /// ([`Error::ReplyLost`]). The loss is also reported once to the notification receiver.
    pub fn on_recv_error(&mut self, slot: Slot, e: std::io::Error) -> Result<(), Error> {
        match e.raw_os_error() {
            Some(libc::EINTR) => Ok(()),
            Some(libc::ENOBUFS) => {
                if slot == Slot::Notif {
                    self.overrun = false;
                    Err(Error::NotificationsLost)
                } else {
                    self.overrun = true;
                    self.lossy = true;
                    Ok(())
                }
            }
            Some(libc::EAGAIN) if self.lossy && slot != Slot::Notif => Err(Error::ReplyLost),
            _ => Err(Error::Io(e)),
        }
    }

    /// Report a pending overrun to the notification receiver (once).
    pub fn take_overrun(&mut self) -> Result<(), Error> {
        if std::mem::take(&mut self.overrun) {
            Err(Error::NotificationsLost)
        } else {
            Ok(())
        }
    }

    /// After a receive into `slot`: detect truncation and classify the datagram.
    pub fn after_recv(&mut self, slot: Slot, info: RecvInfo) -> Result<Class, Error> {
        self.datagrams += 1;
        if let Some(trace) = self.recv_trace {
            let buf = self.buf(slot);
            trace(&buf[..info.len.min(buf.len())]);
        }
        if info.full_len > info.len {
            return Err(Error::Truncated { len: info.full_len, buffer: info.len });
        }
        let multicast = info.group != 0 && !(slot != Slot::Notif && info.sender == 0 && self.is_echo(slot, info.len));
        if multicast || (info.group == 0 && info.sender == 0 && self.is_unsolicited(slot, info.len)) {
            if slot == Slot::Notif {
                return Ok(Class::Multicast(info.len, info.group));
            }
            // A notification arrived while we wait for something else: keep it, unless the queue
            // is full (then it is lost like one the kernel drops, and reported the same way).
            if self.queue_bytes.saturating_add(info.len) > self.queue_limit {
                self.overrun = true;
                return Ok(Class::Skip);
            }
            self.queue_bytes += info.len;
            let mut buf = self.spare.pop().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(&self.buf(slot)[..info.len]);
            self.queue.push_back(Queued { group: info.group, buf, len: info.len });
            return Ok(Class::Skip);
        }
        if info.sender != 0 || slot == Slot::Notif {
            // Unicast from another user-space socket, or a stale unicast reply: not ours.
            return Ok(Class::Skip);
        }
        if slot == Slot::Rx {
            self.rx_len = info.len;
            self.rx_pos = 0;
        }
        Ok(Class::Kernel(info.len))
    }

    /// Whether the kernel datagram of `len` bytes in `slot`, sent to this socket alone, is one
    /// the kernel sent on its own initiative (a `genlmsg_unicast`/`nlmsg_unicast` to a port id
    /// a module stored, such as a timer's tick or an upcall), not an answer: its first message
    /// has sequence number 0, which no request of ours uses. It is delivered like a
    /// notification, with group 0.
    fn is_unsolicited(&self, slot: Slot, len: usize) -> bool {
        self.buf(slot).get(..len).and_then(|b| b.get(8..12)).is_some_and(|s| s == [0, 0, 0, 0])
    }

    /// Whether the group-tagged datagram of `len` bytes in `slot` is the echo the request in
    /// `tx` asked for, i.e. its reply.
    ///
    /// A request with `NLM_F_ECHO` is answered by `nlmsg_notify(..., report = 1)`: the kernel
    /// multicasts the message to the group *excluding the asker's port*, then unicasts the
    /// same skb to the asker. That skb still carries the group as its destination, so it
    /// arrives tagged with it (`NETLINK_PKTINFO`), though it is the one and only copy the
    /// asker gets, stamped with the asker's port id and the request's sequence number. (The
    /// qdisc get of rtnetlink answers only this way: `qdisc_get_notify`.) So: with
    /// `NLM_F_ECHO` set on the request, a message carrying our port id and the request's
    /// sequence number is the reply even if group-tagged.
    ///
    /// Without `NLM_F_ECHO` the same port id and sequence number do *not* make a reply: a
    /// socket subscribed to the group receives, as a notification, the multicast its own
    /// request caused (`report = 0` excludes no one), stamped with its port id and that
    /// request's sequence number, next to the ACK. That stays a notification.
    ///
    /// Every message of the datagram must match (a multicast datagram holds one message).
    fn is_echo(&self, slot: Slot, len: usize) -> bool {
        if self.tx.len() < 16 {
            return false;
        }
        let flags = u16::from_ne_bytes([self.tx[6], self.tx[7]]);
        let seq = u32::from_ne_bytes([self.tx[8], self.tx[9], self.tx[10], self.tx[11]]);
        if flags & NLM_F_ECHO == 0 {
            return false;
        }
        if slot == Slot::Notif {
            return false;
        }
        let d = &self.buf(slot)[..len];
        let mut pos = 0;
        while pos < d.len() {
            let Ok(m) = NlMsg::parse(&d[pos..]) else { return false };
            if m.hdr.seq != seq || m.hdr.pid != self.port {
                return false;
            }
            pos += nlmsg_align(m.hdr.len as usize).min(d.len() - pos);
        }
        pos > 0
    }

    /// Interpret a kernel datagram of `len` bytes in the request's current slot.
    /// `Some` when the request is complete.
    pub fn request_step(&mut self, st: &mut ReqState, len: usize) -> Option<Result<(), Error>> {
        let slot = st.next_slot();
        let base = match slot {
            Slot::Rx => &self.rx()[..len],
            _ => &self.aux[..len],
        };
        let mut pos = 0;
        while pos < base.len() {
            let m = match NlMsg::parse(&base[pos..]) {
                Ok(m) => m,
                Err(e) => return Some(Err(e.into())),
            };
            let start = pos;
            let mlen = m.hdr.len as usize;
            pos += nlmsg_align(mlen).min(base.len() - pos);
            if m.hdr.seq != st.seq {
                continue; // stale reply to an earlier request
            }
            match m.hdr.ty {
                NLMSG_ERROR => {
                    // The plain ACK (error 0, no extended ACK) needs no parser.
                    let plain = m.hdr.flags & crate::msg::NLM_F_ACK_TLVS == 0 && m.payload().get(..4) == Some(&[0; 4]);
                    let r = if plain {
                        self.clear_warning();
                        Ok(())
                    } else {
                        parse_error_msg_warn(&m, Some(self.ctx())).map(|w| self.set_warning(w))
                    };
                    return Some(r.and_then(|()| {
                        if st.want_reply && st.reply.is_none() {
                            Err(Error::NoReply)
                        } else {
                            Ok(())
                        }
                    }));
                }
                NLMSG_NOOP | NLMSG_DONE => {}
                NLMSG_OVERRUN => return Some(Err(Error::Protocol("NLMSG_OVERRUN: data lost".into()))),
                _ => {
                    if st.reply.is_none() && slot == Slot::Rx {
                        st.reply = Some((start, start + mlen));
                    }
                    // Further reply messages of a do are skipped here; `request_all` (driven
                    // by `dump_step`) returns every one.
                }
            }
        }
        None
    }

    /// Advance a dump over the messages in `rx`.
    #[inline]
    pub fn dump_step(&mut self, st: &mut DumpState) -> DumpStep {
        match self.dump_fast(st) {
            Some(m) => DumpStep::Item(m.start, m.end),
            None => self.dump_step_slow(st),
        }
    }

    /// The common case of [`Core::dump_step`], small enough to inline into every caller: the
    /// next message in the buffer is a well-formed data message (type `NLMSG_MIN_TYPE` or
    /// more) of this dump, not flagged `NLM_F_DUMP_INTR`, while no bound is set and nothing is
    /// being drained or restarted. Its header and byte range; `None` for anything else (then
    /// the slow path decides, as it would have without this one).
    #[inline]
    pub fn dump_fast(&mut self, st: &mut DumpState) -> Option<FastItem> {
        if st.done || st.draining || st.restarting || self.dump_limit != DumpLimit::NONE {
            return None;
        }
        let buf = self.rx().get(self.rx_pos..self.rx_len)?;
        if buf.len() < NLMSG_HDRLEN {
            return None; // the datagram's end (no error built: that would allocate)
        }
        let hdr = NlMsgHdr::parse(buf).ok()?;
        let mlen = hdr.len as usize;
        if mlen < NLMSG_HDRLEN
            || mlen > buf.len()
            || hdr.seq != st.seq
            || hdr.ty < NLMSG_MIN_TYPE
            || hdr.flags & NLM_F_DUMP_INTR != 0
        {
            return None;
        }
        let start = self.rx_pos;
        self.rx_pos += nlmsg_align(mlen).min(buf.len());
        st.messages += 1;
        st.bytes += mlen as u64;
        Some(FastItem { hdr, start, end: start + mlen })
    }

    /// The message [`Core::dump_fast`] found (no second parse).
    #[inline]
    pub fn fast_item(&self, m: &FastItem) -> NlMsg<'_> {
        NlMsg::from_parts(m.hdr, &self.rx()[m.start..m.end])
    }

    /// [`Core::dump_step`] for every case: control messages, other sequence numbers, flags,
    /// bounds, draining, restarts, errors.
    #[inline(never)]
    fn dump_step_slow(&mut self, st: &mut DumpState) -> DumpStep {
        loop {
            if st.done {
                return DumpStep::Done;
            }
            if self.rx_pos >= self.rx_len {
                return DumpStep::NeedRecv;
            }
            let buf = &rx_bytes(&self.rx_map, &self.rx)[self.rx_pos..self.rx_len];
            let m = match NlMsg::parse(buf) {
                Ok(m) => m,
                Err(e) => {
                    st.done = true;
                    self.drain = Some(st.seq);
                    self.rx_pos = self.rx_len;
                    return DumpStep::Err(e.into());
                }
            };
            let start = self.rx_pos;
            let mlen = m.hdr.len as usize;
            self.rx_pos += nlmsg_align(mlen).min(buf.len());
            if m.hdr.seq != st.seq {
                continue;
            }
            if !matches!(m.hdr.ty, NLMSG_DONE | NLMSG_ERROR | NLMSG_NOOP) {
                st.messages += 1;
                st.bytes += mlen as u64;
                if let Some(e) = self.dump_limit.exceeded(st, self.sent_at) {
                    st.done = true;
                    // Drained (within the same bounds) before the next request.
                    if !st.draining {
                        self.drain = Some(st.seq);
                    }
                    return DumpStep::Err(e);
                }
            }
            let intr = self.dump_intr_fatal && !st.draining && m.hdr.flags & NLM_F_DUMP_INTR != 0;
            match m.hdr.ty {
                // NLMSG_DONE ends a dump; NLMSG_ERROR (the ACK) ends the replies of a do
                // sent through `request_all`, or a dump that failed at its start.
                NLMSG_DONE | NLMSG_ERROR => {
                    // The kernel flags the DONE too when the change came after the last part.
                    if st.restarting || (intr && m.hdr.ty == NLMSG_DONE && self.may_restart(st)) {
                        self.rx_pos = self.rx_len;
                        return DumpStep::Restart;
                    }
                    st.done = true;
                    if intr && m.hdr.ty == NLMSG_DONE {
                        return DumpStep::Err(Error::DumpInterrupted);
                    }
                    let r = if m.hdr.ty == NLMSG_DONE {
                        parse_done_msg_warn(&m, Some(self.ctx()))
                    } else {
                        parse_error_msg_warn(&m, Some(self.ctx()))
                    };
                    return match r {
                        Ok(w) => {
                            if !st.draining {
                                self.set_warning(w);
                            }
                            DumpStep::Done
                        }
                        Err(e) => DumpStep::Err(e),
                    };
                }
                NLMSG_NOOP => {}
                NLMSG_OVERRUN => {
                    st.done = true;
                    self.drain = Some(st.seq);
                    return DumpStep::Err(Error::Protocol("NLMSG_OVERRUN: data lost".into()));
                }
                _ => {
                    if st.draining || st.restarting {
                        continue;
                    }
                    if intr && self.may_restart(st) {
                        // Skip the rest of this attempt; restart at its end.
                        st.restarting = true;
                        continue;
                    }
                    if intr {
                        st.done = true;
                        self.drain = Some(st.seq);
                        return DumpStep::Err(Error::DumpInterrupted);
                    }
                    return DumpStep::Item(start, start + mlen);
                }
            }
        }
    }

    /// Whether an interruption of dump `st` restarts it (policy and attempts left).
    fn may_restart(&self, st: &DumpState) -> bool {
        match self.dump_retry {
            DumpRetry::Fail => false,
            DumpRetry::Retry { max_attempts } => st.restartable && st.restarts + 1 < max_attempts,
        }
    }

    /// After [`DumpStep::Restart`]: make `tx` (still the dump's request) a new attempt with a
    /// fresh sequence number, for the driver to send again.
    pub fn restart_dump(&mut self, st: &mut DumpState) {
        let seq = self.next_seq();
        self.tx[8..12].copy_from_slice(&seq.to_ne_bytes());
        st.seq = seq;
        st.restarting = false;
        st.restarts += 1;
        self.rx_pos = self.rx_len;
        self.clear_warning();
    }

    /// The abandoned dump to drain before the next request, if any. Drive it with
    /// [`Core::dump_step`] and finish with [`Core::drained`].
    pub fn drain_state(&self) -> Option<DumpState> {
        self.drain.map(|seq| DumpState { draining: true, started: self.limit_clock(), ..DumpState::new(seq) })
    }

    /// Now, when a [`DumpLimit`] is set (its time bound, and the elapsed time of its error,
    /// count from here); without one no clock is read.
    fn limit_clock(&self) -> Option<Instant> {
        (self.dump_limit != DumpLimit::NONE).then(Instant::now)
    }

    /// The drain of dump `seq` is over (finished, or its rest was dropped by the kernel).
    pub fn drained(&mut self, seq: u32) {
        if self.drain == Some(seq) {
            self.drain = None;
        }
    }

    /// A receive for the dump failed: it ends here, and its rest is drained before the next
    /// request.
    pub fn dump_recv_failed(&mut self, st: &mut DumpState) {
        st.done = true;
        self.drain = Some(st.seq);
    }

    /// The message at byte range `a..b` of `rx` (a reply or dump message found by the step
    /// functions), with a `hdrsize`-byte fixed header.
    pub fn rx_msg(&self, (a, b): (usize, usize), hdrsize: usize) -> Result<GenlMsg<'_>, Error> {
        Ok(GenlMsg::parse(&self.rx()[a..b], hdrsize)?)
    }

    /// The message at byte range `a..b` of `rx`, as a plain netlink message.
    #[inline]
    pub fn rx_nlmsg(&self, (a, b): (usize, usize)) -> Result<NlMsg<'_>, Error> {
        Ok(NlMsg::parse(&self.rx()[a..b])?)
    }

    /// The notification at byte range `a..b` of `notif` (from [`Core::notif_step`]).
    pub fn notification(&self, (a, b, group): (usize, usize, u32)) -> Result<Notification<'_>, Error> {
        Ok(Notification { group, msg: NlMsg::parse(&self.notif[a..b])? })
    }

    /// Mark a dump abandoned before its end (drained before the next request).
    pub fn abandon_dump(&mut self, st: &DumpState) {
        if !st.done {
            self.drain = Some(st.seq);
        }
    }

    /// Next notification message already buffered or queued: its byte range in `notif` and
    /// group. `None` means a receive is needed.
    pub fn notif_step(&mut self) -> Option<Result<(usize, usize, u32), Error>> {
        loop {
            if self.notif_pos < self.notif_len {
                let buf = &self.notif[self.notif_pos..self.notif_len];
                match NlMsg::parse(buf) {
                    Ok(m) => {
                        let start = self.notif_pos;
                        let mlen = m.hdr.len as usize;
                        self.notif_pos += nlmsg_align(mlen).min(buf.len());
                        if matches!(m.hdr.ty, NLMSG_NOOP | NLMSG_DONE) {
                            continue;
                        }
                        return Some(Ok((start, start + mlen, self.notif_group)));
                    }
                    Err(e) => {
                        self.notif_pos = self.notif_len;
                        return Some(Err(e.into()));
                    }
                }
            }
            let q = self.queue.pop_front()?;
            self.queue_bytes -= q.len;
            let mut buf = q.buf;
            if buf.len() < self.notif.len() {
                buf.resize(self.notif.len(), 0);
            }
            let old = std::mem::replace(&mut self.notif, buf);
            if self.spare.len() < 8 {
                self.spare.push(old);
            }
            self.notif_len = q.len;
            self.notif_pos = 0;
            self.notif_group = q.group;
        }
    }

    /// After a multicast datagram was received into `notif`.
    pub fn notif_received(&mut self, len: usize, group: u32) {
        self.notif_len = len;
        self.notif_pos = 0;
        self.notif_group = group;
    }
}

#[cfg(test)]
mod tests {
    //! The protocol state machine fed with hand-made datagrams: cases the live kernel cannot
    //! be made to produce on demand (interrupted dumps, interleavings).
    use super::*;
    use crate::msg::{GenlMsg, GenlMsgHdr, NlMsgHdr, NLM_F_MULTI};

    fn msg(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let mut b = NlMsgHdr { len: (16 + payload.len()) as u32, ty, flags, seq, pid: 1 }.to_bytes().to_vec();
        b.extend_from_slice(payload);
        b.resize(nlmsg_align(b.len()), 0);
        b
    }
    fn genl(seq: u32, flags: u16, cmd: u8) -> Vec<u8> {
        msg(0x20, flags, seq, &GenlMsgHdr { cmd, version: 1, reserved: 0 }.to_bytes())
    }
    fn err(seq: u32, errno: i32) -> Vec<u8> {
        let mut p = (-errno).to_ne_bytes().to_vec();
        p.extend_from_slice(&NlMsgHdr { len: 20, ty: 0x20, flags: 5, seq, pid: 1 }.to_bytes());
        msg(NLMSG_ERROR, crate::msg::NLM_F_CAPPED, seq, &p)
    }
    fn done(seq: u32, errno: i32) -> Vec<u8> {
        msg(NLMSG_DONE, NLM_F_MULTI, seq, &(-errno).to_ne_bytes())
    }
    /// Put a datagram in `slot` as if received.
    fn deliver(c: &mut Core, slot: Slot, d: &[u8], group: u32) -> Class {
        let b = c.buf_mut(slot);
        if b.len() < d.len() {
            b.resize(d.len(), 0);
        }
        b[..d.len()].copy_from_slice(d);
        c.after_recv(slot, RecvInfo { len: d.len(), full_len: d.len(), group, sender: 0 }).unwrap()
    }
    fn request(c: &mut Core) -> u32 {
        c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_ACK, |_| {}).unwrap()
    }

    /// The receive region: a reply lands at its start and stays readable while the ACK lands
    /// after it and is copied to its own buffer; a large datagram for another slot is copied
    /// out whole and the pages it touched past the kept ones are given back at once (they read
    /// as zeros again), a large main-buffer datagram's at the next receive.
    #[test]
    fn receive_region_keeps_the_reply_and_gives_pages_back() {
        let mut c = Core::new(1);
        c.map_rx();
        assert!(c.rx_map.is_some(), "no region reserved: the test proves nothing");
        let seq = request(&mut c);
        let mut st = ReqState { seq, reply: None, want_reply: true };
        let land = |c: &mut Core, slot: Slot, d: &[u8]| {
            let r = c.recv_mapped(slot, |buf| {
                buf[..d.len()].copy_from_slice(d);
                Ok(RecvInfo { len: d.len(), full_len: d.len(), group: 0, sender: 0 })
            });
            let info = r.expect("mapped").unwrap();
            c.after_recv(slot, info).unwrap()
        };
        let Class::Kernel(len) = land(&mut c, Slot::Rx, &genl(seq, 0, 5)) else { panic!() };
        assert!(c.request_step(&mut st, len).is_none());
        let Class::Kernel(len) = land(&mut c, Slot::Aux, &err(seq, 0)) else { panic!() };
        assert!(matches!(c.request_step(&mut st, len), Some(Ok(()))));
        let (a, b) = st.reply.unwrap();
        assert_eq!(c.rx_msg((a, b), 0).unwrap().cmd(), 5);

        // 100 KiB for the notification slot: copied whole, the region's pages past 32 KiB back.
        let big: Vec<u8> = msg(0x20, 0, 0, &vec![0xa5; 100 << 10]);
        land(&mut c, Slot::Notif, &big);
        assert_eq!(&c.notif[..big.len()], &big[..]);
        let region = c.rx_map.as_ref().unwrap().as_slice();
        assert!(region[DEFAULT_RX_BUFFER + 4096..big.len()].iter().all(|&b| b == 0));
        assert_eq!(c.rx_msg((a, b), 0).unwrap().cmd(), 5, "the reply survived");

        // 100 KiB into the main buffer: read in place, its pages back before the next receive.
        let seq = request(&mut c);
        let mut st = DumpState::dump(seq);
        let mut d = big.clone();
        d[8..12].copy_from_slice(&seq.to_ne_bytes());
        land(&mut c, Slot::Rx, &d);
        assert_eq!(c.rx_capacity(), d.len());
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(0, n) if n == d.len()));
        land(&mut c, Slot::Rx, &done(seq, 0));
        let region = c.rx_map.as_ref().unwrap().as_slice();
        assert!(region[DEFAULT_RX_BUFFER + 4096..d.len()].iter().all(|&b| b == 0));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
    }

    #[test]
    fn notification_between_request_and_reply_is_queued() {
        let mut c = Core::new(1);
        request(&mut c); // an older request, whose reply comes late
        let seq = request(&mut c);
        let mut st = ReqState { seq, reply: None, want_reply: true };
        // A notification first: queued, not taken for the reply.
        assert!(matches!(deliver(&mut c, Slot::Rx, &genl(0, 0, 9), 3), Class::Skip));
        // A stale reply to an older request, then ours.
        let mut d = genl(seq.wrapping_sub(1), 0, 7);
        d.extend_from_slice(&genl(seq, 0, 5));
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &d, 0) else { panic!() };
        assert!(c.request_step(&mut st, len).is_none());
        let (a, b) = st.reply.unwrap();
        assert_eq!(GenlMsg::parse(&c.rx[a..b], 0).unwrap().cmd(), 5);
        // Another notification, then the ACK (into Aux, so the reply stays intact).
        assert_eq!(st.next_slot(), Slot::Aux);
        assert!(matches!(deliver(&mut c, Slot::Aux, &genl(0, 0, 10), 3), Class::Skip));
        let Class::Kernel(len) = deliver(&mut c, Slot::Aux, &err(seq, 0), 0) else { panic!() };
        assert!(matches!(c.request_step(&mut st, len), Some(Ok(()))));
        assert_eq!(GenlMsg::parse(&c.rx[a..b], 0).unwrap().cmd(), 5);
        // Both notifications come out, in order.
        assert_eq!(c.queued_notifications(), 2);
        for want in [9, 10] {
            let (a, b, g) = c.notif_step().unwrap().unwrap();
            assert_eq!(g, 3);
            assert_eq!(GenlMsg::parse(&c.notif[a..b], 0).unwrap().cmd(), want);
        }
        assert!(c.notif_step().is_none());
    }

    /// A group-tagged message with our port id (1 here) and the request's sequence number:
    /// the reply when the request asked for `NLM_F_ECHO` (the kernel's `nlmsg_notify` with
    /// `report` unicasts the multicast skb, group tag and all, to the asker and leaves the
    /// asker out of the multicast); a notification otherwise (the asker, subscribed, gets the
    /// multicast its own request caused, with its port id and sequence number).
    #[test]
    fn echo_is_the_reply_only_when_asked_for() {
        use crate::msg::{NLM_F_ACK, NLM_F_ECHO};
        // With NLM_F_ECHO.
        let mut c = Core::new(1);
        let seq = c.build(&Request::new(0x20, 1, 1), NLM_F_ACK | NLM_F_ECHO, |_| {}).unwrap();
        let mut st = ReqState { seq, reply: None, want_reply: true };
        // An unrelated notification (another sequence number) is still queued.
        assert!(matches!(deliver(&mut c, Slot::Rx, &genl(seq.wrapping_add(5), 0, 9), 3), Class::Skip));
        // A group-tagged message from another port with our sequence number: queued.
        let mut other = genl(seq, 0, 8);
        other[12..16].copy_from_slice(&2u32.to_ne_bytes());
        assert!(matches!(deliver(&mut c, Slot::Rx, &other, 3), Class::Skip));
        // The echo: group-tagged, our port, our sequence number: the reply.
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &genl(seq, 0, 5), 3) else { panic!("echo filed away") };
        assert!(c.request_step(&mut st, len).is_none());
        let (a, b) = st.reply.unwrap();
        assert_eq!(GenlMsg::parse(&c.rx[a..b], 0).unwrap().cmd(), 5);
        let Class::Kernel(len) = deliver(&mut c, Slot::Aux, &err(seq, 0), 0) else { panic!() };
        assert!(matches!(c.request_step(&mut st, len), Some(Ok(()))));
        assert_eq!(c.queued_notifications(), 2);
        // On the notification receiver, the same message is a notification as always.
        assert!(matches!(deliver(&mut c, Slot::Notif, &genl(seq, 0, 5), 3), Class::Multicast(_, 3)));

        // Without NLM_F_ECHO: the same message is a notification, the request gets NoReply.
        let mut c = Core::new(1);
        let seq = request(&mut c);
        let mut st = ReqState { seq, reply: None, want_reply: true };
        assert!(matches!(deliver(&mut c, Slot::Rx, &genl(seq, 0, 5), 3), Class::Skip));
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &err(seq, 0), 0) else { panic!() };
        assert!(matches!(c.request_step(&mut st, len), Some(Err(Error::NoReply))));
        assert_eq!(c.queued_notifications(), 1);
        let (a, b, g) = c.notif_step().unwrap().unwrap();
        assert_eq!((g, GenlMsg::parse(&c.notif[a..b], 0).unwrap().cmd()), (3, 5));
    }

    /// A message the kernel unicasts to this socket on its own (sequence number 0: a module's
    /// timer writing to a port id it stored) is a notification with group 0, whether it comes
    /// while a request waits (queued) or on the notification receiver; one from another
    /// user-space socket is not.
    #[test]
    fn kernel_unicast_with_seq_0_is_a_group_0_notification() {
        let mut c = Core::new(1);
        let seq = request(&mut c);
        let mut st = ReqState { seq, reply: None, want_reply: false };
        assert!(matches!(deliver(&mut c, Slot::Rx, &genl(0, 0, 13), 0), Class::Skip));
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &err(seq, 0), 0) else { panic!() };
        assert!(matches!(c.request_step(&mut st, len), Some(Ok(()))));
        assert_eq!(c.queued_notifications(), 1);
        let (a, b, g) = c.notif_step().unwrap().unwrap();
        assert_eq!((g, GenlMsg::parse(&c.notif[a..b], 0).unwrap().cmd()), (0, 13));
        assert!(matches!(deliver(&mut c, Slot::Notif, &genl(0, 0, 13), 0), Class::Multicast(_, 0)));
        // A stale answer (an earlier request's sequence number) is still dropped.
        assert!(matches!(deliver(&mut c, Slot::Notif, &genl(seq, 0, 13), 0), Class::Skip));
        // From another user-space socket: not ours.
        let b = c.buf_mut(Slot::Notif);
        let d = genl(0, 0, 13);
        b[..d.len()].copy_from_slice(&d);
        let r = c.after_recv(Slot::Notif, RecvInfo { len: d.len(), full_len: d.len(), group: 0, sender: 77 });
        assert!(matches!(r, Ok(Class::Skip)));
    }

    #[test]
    fn ack_without_reply_and_errors() {
        let mut c = Core::new(1);
        let seq = request(&mut c);
        let mut st = ReqState { seq, reply: None, want_reply: true };
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &err(seq, 0), 0) else { panic!() };
        assert!(matches!(c.request_step(&mut st, len), Some(Err(Error::NoReply))));
        let seq = request(&mut c);
        let mut st = ReqState { seq, reply: None, want_reply: false };
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &err(seq, libc::EPERM), 0) else { panic!() };
        let r = c.request_step(&mut st, len).unwrap();
        assert_eq!(r.unwrap_err().errno(), Some(libc::EPERM));
    }

    #[test]
    fn dump_multi_part_interrupted_and_failed() {
        let mut c = Core::new(1);
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        assert!(matches!(c.dump_step(&mut st), DumpStep::NeedRecv));
        let mut d = genl(seq, NLM_F_MULTI, 1);
        d.extend_from_slice(&genl(seq, NLM_F_MULTI, 2));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::NeedRecv));
        // Second part: interrupted.
        deliver(&mut c, Slot::Rx, &genl(seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 3), 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Err(Error::DumpInterrupted)));
        assert_eq!(c.drain, Some(seq));
        // Draining skips the rest (DUMP_INTR included) up to DONE.
        let mut dr = DumpState { draining: true, ..DumpState::new(seq) };
        let mut d = genl(seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 4);
        d.extend_from_slice(&done(seq, 0));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut dr), DumpStep::Done));

        // A dump that fails in its DONE.
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        let mut d = genl(seq, NLM_F_MULTI, 1);
        d.extend_from_slice(&done(seq, libc::EMSGSIZE));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        match c.dump_step(&mut st) {
            DumpStep::Err(e) => assert_eq!(e.errno(), Some(libc::EMSGSIZE)),
            _ => panic!(),
        }
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
    }

    /// A dump bounded to 3 messages: the 4th ends it with `DumpLimitExceeded` and counts;
    /// the drain that follows obeys the same bound, so an endless dump is given up, and a
    /// request afterwards still finds its ACK among the dump's later datagrams.
    #[test]
    fn dump_limit_ends_an_endless_dump_and_bounds_its_drain() {
        let mut c = Core::new(1);
        c.dump_limit = DumpLimit::messages(3);
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        let mut d = Vec::new();
        for i in 0..5 {
            d.extend_from_slice(&genl(seq, NLM_F_MULTI, i));
        }
        deliver(&mut c, Slot::Rx, &d, 0);
        for _ in 0..3 {
            assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        }
        match c.dump_step(&mut st) {
            DumpStep::Err(Error::DumpLimitExceeded { messages: 4, bytes, .. }) => assert_eq!(bytes, 4 * 20),
            DumpStep::Err(e) => panic!("{e}"),
            _ => panic!("no error at the bound"),
        }
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        assert_eq!(c.drain, Some(seq));
        // The drain: the dump never ends (no DONE), so it stops at the bound too.
        let mut dr = c.drain_state().unwrap();
        let mut stopped = false;
        for round in 0..10 {
            let mut d = Vec::new();
            for i in 0..2 {
                d.extend_from_slice(&genl(seq, NLM_F_MULTI, round * 2 + i));
            }
            deliver(&mut c, Slot::Rx, &d, 0);
            match c.dump_step(&mut dr) {
                DumpStep::NeedRecv => {}
                DumpStep::Err(Error::DumpLimitExceeded { messages: 4, .. }) => {
                    stopped = true;
                    break;
                }
                _ => panic!("unexpected drain step"),
            }
        }
        assert!(stopped, "the drain of an endless dump must stop at the bound");
        c.drained(seq);
        assert_eq!(c.drain, None);
        // A request now: more of the dump comes first (skipped by sequence number), then its ACK.
        let rseq = request(&mut c);
        let mut rs = ReqState { seq: rseq, reply: None, want_reply: false };
        let mut d = genl(seq, NLM_F_MULTI, 50);
        d.extend_from_slice(&err(rseq, 0));
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &d, 0) else { panic!() };
        assert!(matches!(c.request_step(&mut rs, len), Some(Ok(()))));
    }

    /// Byte and time bounds; a finished dump under its bound is untouched by them.
    #[test]
    fn dump_limit_bytes_and_duration() {
        let mut c = Core::new(1);
        c.dump_limit = DumpLimit::bytes(50);
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        let mut d = genl(seq, NLM_F_MULTI, 1);
        d.extend_from_slice(&genl(seq, NLM_F_MULTI, 2));
        d.extend_from_slice(&done(seq, 0));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done), "40 bytes and DONE: under the bound");
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        let mut d = Vec::new();
        for i in 0..3 {
            d.extend_from_slice(&genl(seq, NLM_F_MULTI, i));
        }
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Err(Error::DumpLimitExceeded { messages: 3, bytes: 60, .. })));

        c.dump_limit = DumpLimit::duration(Duration::from_millis(1));
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        st.started = Some(Instant::now() - Duration::from_millis(5));
        deliver(&mut c, Slot::Rx, &genl(seq, NLM_F_MULTI, 1), 0);
        match c.dump_step(&mut st) {
            DumpStep::Err(Error::DumpLimitExceeded { elapsed, .. }) => assert!(elapsed >= Duration::from_millis(5)),
            _ => panic!("the time bound did not end the dump"),
        }
    }

    /// Notifications queued while a request waits are bounded in bytes: past the limit they are
    /// dropped and the loss is reported once, as for the kernel's own overflow; the queue keeps
    /// working afterwards.
    #[test]
    fn notification_queue_is_bounded() {
        let mut c = Core::new(1);
        c.queue_limit = 100; // five 20-byte notifications
        let _seq = request(&mut c);
        for i in 0..50 {
            assert!(matches!(deliver(&mut c, Slot::Rx, &genl(0, 0, i), 3), Class::Skip));
        }
        assert_eq!(c.queued_notifications(), 5);
        assert!(matches!(c.take_overrun(), Err(Error::NotificationsLost)));
        assert!(c.take_overrun().is_ok(), "reported once");
        for want in 0..5 {
            let (a, b, _) = c.notif_step().unwrap().unwrap();
            assert_eq!(GenlMsg::parse(&c.notif[a..b], 0).unwrap().cmd(), want);
        }
        assert!(c.notif_step().is_none());
        assert_eq!(c.queue_bytes, 0);
        // Room again.
        assert!(matches!(deliver(&mut c, Slot::Rx, &genl(0, 0, 77), 3), Class::Skip));
        assert_eq!(c.queued_notifications(), 1);
        assert!(c.take_overrun().is_ok());
    }

    /// An extended-ACK message TLV (`NLMSGERR_ATTR_MSG`).
    fn ext_msg(text: &str) -> Vec<u8> {
        let mut v = Vec::new();
        let mut w = AttrWriter::new(&mut v);
        w.put_str(crate::error::NLMSGERR_ATTR_MSG, text);
        w.finish().unwrap();
        v
    }
    fn ack_warn(seq: u32, text: &str) -> Vec<u8> {
        let mut p = 0i32.to_ne_bytes().to_vec();
        p.extend_from_slice(&NlMsgHdr { len: 20, ty: 0x20, flags: 5, seq, pid: 1 }.to_bytes());
        p.extend_from_slice(&ext_msg(text));
        msg(NLMSG_ERROR, crate::msg::NLM_F_CAPPED | crate::msg::NLM_F_ACK_TLVS, seq, &p)
    }
    fn done_warn(seq: u32, text: &str) -> Vec<u8> {
        let mut p = 0i32.to_ne_bytes().to_vec();
        p.extend_from_slice(&ext_msg(text));
        msg(NLMSG_DONE, NLM_F_MULTI | crate::msg::NLM_F_ACK_TLVS, seq, &p)
    }

    /// A do answered by several messages (each its own datagram, as `genlmsg_reply` sends
    /// them), then the ACK: `request_all` (the dump stepper) yields every one and ends at the
    /// ACK; the one-reply `request_step` keeps the first.
    #[test]
    fn do_with_several_replies() {
        let mut c = Core::new(1);
        let seq = request(&mut c);
        let mut st = DumpState::new(seq);
        assert!(matches!(c.dump_step(&mut st), DumpStep::NeedRecv));
        let mut got = Vec::new();
        for cmd in [5, 6, 7] {
            // A notification in between is queued, not taken for a reply.
            assert!(matches!(deliver(&mut c, Slot::Rx, &genl(0, 0, 9), 3), Class::Skip));
            deliver(&mut c, Slot::Rx, &genl(seq, 0, cmd), 0);
            match c.dump_step(&mut st) {
                DumpStep::Item(a, b) => got.push(c.rx_msg((a, b), 0).unwrap().cmd()),
                _ => panic!(),
            }
            assert!(matches!(c.dump_step(&mut st), DumpStep::NeedRecv));
        }
        deliver(&mut c, Slot::Rx, &err(seq, 0), 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        assert_eq!(got, [5, 6, 7]);
        assert!(c.warning.is_none());
        assert_eq!(c.queued_notifications(), 3);

        // A failing do after one reply: the error ends the replies.
        let seq = request(&mut c);
        let mut st = DumpState::new(seq);
        let mut d = genl(seq, 0, 5);
        d.extend_from_slice(&err(seq, libc::EINVAL));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        match c.dump_step(&mut st) {
            DumpStep::Err(e) => assert_eq!(e.errno(), Some(libc::EINVAL)),
            _ => panic!(),
        }

        // The same stream through the single-reply path keeps the first reply.
        let seq = request(&mut c);
        let mut st = ReqState { seq, reply: None, want_reply: true };
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &genl(seq, 0, 5), 0) else { panic!() };
        assert!(c.request_step(&mut st, len).is_none());
        for d in [genl(seq, 0, 6), err(seq, 0)] {
            let Class::Kernel(len) = deliver(&mut c, Slot::Aux, &d, 0) else { panic!() };
            if let Some(r) = c.request_step(&mut st, len) {
                r.unwrap();
            }
        }
        assert_eq!(c.rx_msg(st.reply.unwrap(), 0).unwrap().cmd(), 5);
    }

    /// Successful ends carrying an extended ACK (a warning): the dump's `NLMSG_DONE`, a do's
    /// ACK (both paths) -- kept in `Core::warning`, cleared by the next request; a drained
    /// (abandoned) dump's warning is not reported.
    #[test]
    fn warnings_on_successful_ends() {
        let mut c = Core::new(1);
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::new(seq);
        let mut d = genl(seq, NLM_F_MULTI, 1);
        d.extend_from_slice(&done_warn(seq, "dump went odd"));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        let w = c.warning.clone().unwrap();
        assert_eq!(w.msg.as_deref(), Some("dump went odd"));
        assert_eq!(w.header.ty, NLMSG_DONE);
        assert_eq!(w.to_string(), "kernel warning: dump went odd");

        // The next request clears it; its ACK carries one (single-reply path).
        let seq = request(&mut c);
        assert!(c.warning.is_none());
        let mut st = ReqState { seq, reply: None, want_reply: false };
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &ack_warn(seq, "careful"), 0) else { panic!() };
        assert!(matches!(c.request_step(&mut st, len), Some(Ok(()))));
        let w = c.warning.clone().unwrap();
        assert_eq!(w.msg.as_deref(), Some("careful"));
        assert_eq!(w.header.ty, NLMSG_ERROR);
        assert_eq!(w.header.len as usize, 16 + 4 + 16 + 12);

        // Multi-reply path (request_all).
        let seq = request(&mut c);
        let mut st = DumpState::new(seq);
        let mut d = genl(seq, 0, 5);
        d.extend_from_slice(&ack_warn(seq, "multi"));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        assert_eq!(c.warning.as_ref().unwrap().msg.as_deref(), Some("multi"));

        // A plain ACK and a plain DONE carry none.
        let seq = request(&mut c);
        let mut st = DumpState::new(seq);
        deliver(&mut c, Slot::Rx, &err(seq, 0), 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        assert!(c.warning.is_none());

        // An abandoned dump drained later: its warning is not the next request's.
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let st = DumpState::new(seq);
        c.abandon_dump(&st);
        let mut dr = c.drain_state().unwrap();
        deliver(&mut c, Slot::Rx, &done_warn(seq, "stale"), 0);
        assert!(matches!(c.dump_step(&mut dr), DumpStep::Done));
        assert!(c.warning.is_none());
    }

    /// A batch of three requests in one datagram: replies and ACKs matched by sequence number
    /// (a stale message skipped), one request failing without ending the others, a warning
    /// on an ACK, and the error offset resolved inside the failing request's own bytes.
    #[test]
    fn batch_matches_replies_and_acks() {
        let mut c = Core::new(1);
        let attrs = {
            let mut v = Vec::new();
            let mut w = AttrWriter::new(&mut v);
            w.put_u32(1, 7);
            w.put_u32(2, 8);
            w.finish().unwrap();
            v
        };
        let r = Request::new(0x20, 1, 1);
        let mut st = c.build_batch(&[(r, &[][..]), (r, &attrs[..]), (r, &[][..])], 0).unwrap();
        // One datagram with three messages, consecutive sequence numbers.
        let tx = c.tx().to_vec();
        let seqs: Vec<u32> = crate::msg::NlMsgIter::new(&tx).map(|m| m.unwrap().hdr.seq).collect();
        assert_eq!(seqs.len(), 3);
        assert_eq!(seqs[1], seqs[0] + 1);
        assert_eq!(seqs[2], seqs[0] + 2);
        assert!(matches!(c.batch_step(&mut st), BatchStep::NeedRecv));
        // Request 0: two replies and an ACK; request 1: an error at its second attribute;
        // request 2: an ACK with a warning.
        let mut d = genl(seqs[0].wrapping_sub(9), 0, 1);
        d.extend_from_slice(&genl(seqs[0], 0, 5));
        d.extend_from_slice(&genl(seqs[0], 0, 6));
        d.extend_from_slice(&err(seqs[0], 0));
        deliver(&mut c, Slot::Rx, &d, 0);
        let mut e1 = err(seqs[1], libc::ERANGE);
        let mut offs = Vec::new();
        let mut w = AttrWriter::new(&mut offs);
        w.put_u32(crate::error::NLMSGERR_ATTR_OFFS, 20 + 8);
        w.finish().unwrap();
        e1.extend_from_slice(&offs);
        let l = e1.len() as u32;
        e1[0..4].copy_from_slice(&l.to_ne_bytes());
        e1[6..8].copy_from_slice(&(crate::msg::NLM_F_CAPPED | crate::msg::NLM_F_ACK_TLVS).to_ne_bytes());
        let mut got = Vec::new();
        loop {
            match c.batch_step(&mut st) {
                BatchStep::Item(i, a, b) => got.push(format!("{i}:reply {}", c.rx_msg((a, b), 0).unwrap().cmd())),
                BatchStep::Ack(i, r) => got.push(match r {
                    Ok(None) => format!("{i}:ack"),
                    Ok(Some(w)) => format!("{i}:warn {}", w.msg.unwrap()),
                    Err(Error::Kernel { errno, path, .. }) => {
                        format!("{i}:err {errno} at {}", path.unwrap())
                    }
                    Err(e) => format!("{i}:{e}"),
                }),
                BatchStep::NeedRecv => match got.len() {
                    3 => {
                        deliver(&mut c, Slot::Rx, &e1, 0);
                    }
                    4 => {
                        deliver(&mut c, Slot::Rx, &ack_warn(seqs[2], "heads up"), 0);
                    }
                    _ => panic!("{got:?}"),
                },
                BatchStep::Done => break,
                BatchStep::Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(
            got,
            ["0:reply 5", "0:reply 6", "0:ack", format!("1:err {} at .2", libc::ERANGE).as_str(), "2:warn heads up"]
        );
        assert!(st.done());
    }

    /// A request of a netlink-raw protocol: no `genlmsghdr`, the fixed header right after the
    /// `nlmsghdr`; its kernel error's offset resolved after that fixed header.
    #[test]
    fn raw_protocol_request_and_error_offset() {
        let mut c = Core::new(7);
        let ifinfomsg = [0u8; 16];
        let req = NlRequest::new(18).flags(crate::msg::NLM_F_CREATE).header(&ifinfomsg);
        let seq = c.build_nl(&req, crate::msg::NLM_F_ACK, |w| w.put_str(3, "eth0")).unwrap();
        let tx = c.tx().to_vec();
        let m = NlMsg::parse(&tx).unwrap();
        assert_eq!((m.hdr.ty, m.hdr.seq, m.hdr.pid), (18, seq, 7));
        assert_eq!(m.hdr.flags, NLM_F_REQUEST | crate::msg::NLM_F_ACK | crate::msg::NLM_F_CREATE);
        assert_eq!(m.hdr.len as usize, tx.len());
        assert_eq!(&m.payload()[..16], &ifinfomsg);
        let a = crate::attr::Attrs::new(&m.payload()[16..]).next().unwrap().unwrap();
        assert_eq!((a.ty(), a.get_str().unwrap()), (3, "eth0"));

        // The kernel points at the attribute (offset 32: nlmsghdr + ifinfomsg).
        let mut e = err(seq, libc::ERANGE);
        let mut offs = Vec::new();
        let mut w = AttrWriter::new(&mut offs);
        w.put_u32(crate::error::NLMSGERR_ATTR_OFFS, 32);
        w.finish().unwrap();
        e.extend_from_slice(&offs);
        let l = e.len() as u32;
        e[0..4].copy_from_slice(&l.to_ne_bytes());
        e[6..8].copy_from_slice(&(crate::msg::NLM_F_CAPPED | crate::msg::NLM_F_ACK_TLVS).to_ne_bytes());
        let mut st = ReqState { seq, reply: None, want_reply: false };
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &e, 0) else { panic!() };
        match c.request_step(&mut st, len) {
            Some(Err(Error::Kernel { errno, path, offset, .. })) => {
                assert_eq!((errno, offset), (libc::ERANGE, Some(32)));
                assert_eq!(path.unwrap().to_string(), ".3");
            }
            _ => panic!(),
        }
    }

    /// `NLM_F_DUMP_INTR` ends a dump by default; with `dump_intr_fatal` off the flagged
    /// messages are items like the others.
    #[test]
    fn dump_intr_not_fatal() {
        let mut c = Core::new(1);
        c.dump_intr_fatal = false;
        let seq = c.build_nl(&NlRequest::new(18), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::new(seq);
        let mut d = msg(16, NLM_F_MULTI | NLM_F_DUMP_INTR, seq, &[0; 16]);
        d.extend_from_slice(&msg(16, NLM_F_MULTI | NLM_F_DUMP_INTR, seq, &[0; 16]));
        d.extend_from_slice(&done(seq, 0));
        deliver(&mut c, Slot::Rx, &d, 0);
        for _ in 0..2 {
            let DumpStep::Item(a, b) = c.dump_step(&mut st) else { panic!() };
            assert_ne!(c.rx_nlmsg((a, b)).unwrap().hdr.flags & NLM_F_DUMP_INTR, 0);
        }
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        assert_eq!(c.drain, None);
    }

    /// `DumpRetry::Retry`: an interrupted attempt is skipped to its end and the same request
    /// sent again with a new sequence number (stale messages of the old attempt ignored); an
    /// interruption flagged only on `NLMSG_DONE` counts too; the last allowed attempt fails
    /// with `DumpInterrupted`. `Fail` reports a flagged DONE too; a do's replies never restart.
    #[test]
    fn dump_retry_restarts_interrupted_dumps() {
        fn flagged(mut m: Vec<u8>, flags: u16) -> Vec<u8> {
            m[6..8].copy_from_slice(&flags.to_ne_bytes());
            m
        }
        let cmd = |c: &Core, step: DumpStep| match step {
            DumpStep::Item(a, b) => c.rx_msg((a, b), 0).unwrap().cmd(),
            _ => panic!("not an item"),
        };
        let mut c = Core::new(1);
        c.dump_retry = DumpRetry::Retry { max_attempts: 3 };
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let tx0 = c.tx().to_vec();
        let mut st = DumpState::dump(seq);
        // Attempt 1: an item, then interrupted parts (skipped), then its DONE: restart.
        deliver(&mut c, Slot::Rx, &genl(seq, NLM_F_MULTI, 1), 0);
        let step = c.dump_step(&mut st);
        assert_eq!(cmd(&c, step), 1);
        let mut d = genl(seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 2);
        d.extend_from_slice(&genl(seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 3));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::NeedRecv));
        deliver(&mut c, Slot::Rx, &flagged(done(seq, 0), NLM_F_MULTI | NLM_F_DUMP_INTR), 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Restart));
        c.restart_dump(&mut st);
        let s2 = st.seq;
        assert_ne!(s2, seq);
        assert_eq!(st.restarts, 1);
        let tx = c.tx();
        assert_eq!(u32::from_ne_bytes(tx[8..12].try_into().unwrap()), s2);
        assert_eq!((&tx[..8], &tx[12..]), (&tx0[..8], &tx0[12..]), "the same request otherwise");
        // Attempt 2: a stale message of attempt 1 ignored; interrupted only at its DONE.
        let mut d = genl(seq, NLM_F_MULTI, 9);
        d.extend_from_slice(&genl(s2, NLM_F_MULTI, 4));
        d.extend_from_slice(&flagged(done(s2, 0), NLM_F_MULTI | NLM_F_DUMP_INTR));
        deliver(&mut c, Slot::Rx, &d, 0);
        let step = c.dump_step(&mut st);
        assert_eq!(cmd(&c, step), 4);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Restart));
        c.restart_dump(&mut st);
        let s3 = st.seq;
        // Attempt 3 of 3, interrupted: the error, and the rest drained later.
        deliver(&mut c, Slot::Rx, &genl(s3, NLM_F_MULTI | NLM_F_DUMP_INTR, 5), 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Err(Error::DumpInterrupted)));
        assert_eq!((st.restarts, c.drain), (2, Some(s3)));

        // A clean second attempt ends the dump normally.
        c.drain = None;
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        let mut d = genl(seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 1);
        d.extend_from_slice(&done(seq, libc::EINTR));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Restart), "the old attempt's DONE error is moot");
        c.restart_dump(&mut st);
        let mut d = genl(st.seq, NLM_F_MULTI, 2);
        d.extend_from_slice(&done(st.seq, 0));
        deliver(&mut c, Slot::Rx, &d, 0);
        let step = c.dump_step(&mut st);
        assert_eq!(cmd(&c, step), 2);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        assert_eq!((st.restarts, c.drain), (1, None));

        // The replies of a do (`request_all`) are never restarted.
        let seq = request(&mut c);
        let mut st = DumpState::new(seq);
        deliver(&mut c, Slot::Rx, &genl(seq, NLM_F_DUMP_INTR, 1), 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Err(Error::DumpInterrupted)));
        c.drain = None;

        // `Fail`: a DONE flagged interrupted is an error too (nothing to drain after it).
        c.dump_retry = DumpRetry::Fail;
        let seq = c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let mut st = DumpState::dump(seq);
        let mut d = genl(seq, NLM_F_MULTI, 1);
        d.extend_from_slice(&flagged(done(seq, 0), NLM_F_MULTI | NLM_F_DUMP_INTR));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Err(Error::DumpInterrupted)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Done));
        assert_eq!(c.drain, None);
    }

    #[test]
    fn truncation_is_an_error() {
        let mut c = Core::new(1);
        let r = c.after_recv(Slot::Rx, RecvInfo { len: 64, full_len: 100, group: 0, sender: 0 });
        assert!(matches!(r, Err(Error::Truncated { len: 100, buffer: 64 })));
    }

    /// A dump step as text, to compare two runs.
    fn step_text(s: &DumpStep) -> String {
        match s {
            DumpStep::NeedRecv => "recv".into(),
            DumpStep::Item(a, b) => format!("item {a}..{b}"),
            DumpStep::Done => "done".into(),
            DumpStep::Err(e) => format!("err {e}"),
            DumpStep::Restart => "restart".into(),
        }
    }

    /// `dump_step`'s inlined fast path changes nothing: over datagrams mixing data messages of
    /// this and other dumps, control messages, types below `NLMSG_MIN_TYPE`, `NLM_F_DUMP_INTR`
    /// (failing and retried), bounds and malformed tails, it gives the steps, and leaves the
    /// state, that the slow path alone gives.
    #[test]
    fn dump_fast_path_agrees_with_the_slow_path() {
        let start = |c: &mut Core| c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {}).unwrap();
        let seq = start(&mut Core::new(1));
        let data = |flags| genl(seq, NLM_F_MULTI | flags, 1);
        let cases: Vec<(Vec<Vec<u8>>, DumpRetry, DumpLimit)> = vec![
            (vec![[data(0), data(0)].concat(), [data(0), done(seq, 0)].concat()], DumpRetry::Fail, DumpLimit::NONE),
            (
                vec![
                    [
                        data(0),
                        genl(seq + 1, NLM_F_MULTI, 2),
                        msg(5, 0, seq, &[1, 2, 3, 4]),
                        msg(NLMSG_NOOP, 0, seq, &[]),
                    ]
                    .concat(),
                    [data(0), done(seq, 0)].concat(),
                ],
                DumpRetry::Fail,
                DumpLimit::NONE,
            ),
            (vec![[data(0), data(NLM_F_DUMP_INTR), data(0)].concat()], DumpRetry::Fail, DumpLimit::NONE),
            (
                vec![
                    [data(0), data(NLM_F_DUMP_INTR), done(seq, 0)].concat(),
                    [genl(seq + 1, NLM_F_MULTI, 1), done(seq + 1, 0)].concat(),
                ],
                DumpRetry::Retry { max_attempts: 3 },
                DumpLimit::NONE,
            ),
            (vec![[data(0), data(0), data(0), done(seq, 0)].concat()], DumpRetry::Fail, DumpLimit::messages(2)),
            (
                vec![[data(0), data(0)].concat(), [data(0), done(seq, libc::EPERM)].concat()],
                DumpRetry::Fail,
                DumpLimit::NONE,
            ),
            (
                vec![[data(0), {
                    let mut long = data(0);
                    long[0] = 100;
                    long
                }]
                .concat()],
                DumpRetry::Fail,
                DumpLimit::NONE,
            ),
            (vec![[data(0), msg(0x20, 0, seq, &[0; 8])[..12].to_vec()].concat()], DumpRetry::Fail, DumpLimit::NONE),
        ];
        for (i, (datagrams, retry, limit)) in cases.into_iter().enumerate() {
            let run = |fast: bool| {
                let mut c = Core::new(1);
                c.dump_retry = retry;
                c.dump_limit = limit;
                let mut st = DumpState::dump(start(&mut c));
                let mut steps = Vec::new();
                let mut queue = datagrams.iter();
                for _ in 0..64 {
                    let step = if fast { c.dump_step(&mut st) } else { c.dump_step_slow(&mut st) };
                    steps.push(step_text(&step));
                    match step {
                        DumpStep::NeedRecv => match queue.next() {
                            Some(d) => {
                                deliver(&mut c, Slot::Rx, d, 0);
                            }
                            None => break,
                        },
                        DumpStep::Restart => c.restart_dump(&mut st),
                        DumpStep::Done => break,
                        DumpStep::Item(..) | DumpStep::Err(_) => {}
                    }
                }
                (steps, c.rx_pos, c.drain, st.messages, st.bytes, st.done, st.restarts)
            };
            let (fast, slow) = (run(true), run(false));
            assert_eq!(fast, slow, "case {i}");
            assert!(fast.0.iter().any(|s| s.starts_with("item")), "case {i} returns items: {:?}", fast.0);
        }
    }
}

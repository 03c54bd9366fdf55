//! I/O-free protocol state shared by the sync [`crate::GenlSocket`] and the tokio
//! [`crate::AsyncGenlSocket`]: buffers, sequence numbers, the notification queue, and the
//! step functions that interpret received datagrams. The drivers only move bytes.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::attr::AttrWriter;
use crate::ctrl::FamilyInfo;
use crate::error::{parse_done_msg, parse_error_msg, Error, RequestContext};
use crate::msg::{
    finish_message, nlmsg_align, start_message, GenlMsg, NlMsg, NLMSG_DONE, NLMSG_ERROR,
    NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_DUMP_INTR, NLM_F_REQUEST,
};
use crate::schema::AttrSet;
use crate::socket::Notification;
use crate::sys::RecvInfo;

/// Default receive buffer: 32 KiB, the largest datagram the kernel builds for dumps.
pub const DEFAULT_RX_BUFFER: usize = 32 * 1024;

/// Describes one Generic Netlink request: family, command, version, extra flags, fixed header
/// and (optionally) the attribute-name table used to name attributes in kernel errors.
#[derive(Debug, Clone, Copy)]
pub struct Request<'h> {
    /// Family id (from [`crate::GenlSocket::resolve_family`]).
    pub family: u16,
    /// Command number.
    pub cmd: u8,
    /// Family interface version to put in the `genlmsghdr`.
    pub version: u8,
    /// Extra `NLM_F_*` flags (e.g. `NLM_F_CREATE`); `NLM_F_REQUEST`, `NLM_F_ACK` and
    /// `NLM_F_DUMP` are added by the call that sends it.
    pub flags: u16,
    /// The family's fixed header bytes (empty if it has none). Its length is also the fixed
    /// header size assumed for the reply.
    pub header: &'h [u8],
    /// Names of the request's top-level attributes, for extended-ACK paths.
    pub schema: Option<&'static AttrSet>,
}

impl Request<'static> {
    /// A request with no extra flags, no fixed header and no name table.
    pub const fn new(family: u16, cmd: u8, version: u8) -> Self {
        Request {
            family,
            cmd,
            version,
            flags: 0,
            header: &[],
            schema: None,
        }
    }
}

impl<'h> Request<'h> {
    /// Add `NLM_F_*` flags.
    pub const fn flags(mut self, flags: u16) -> Self {
        self.flags |= flags;
        self
    }
    /// Set the fixed header bytes.
    pub const fn header<'x>(self, header: &'x [u8]) -> Request<'x> {
        Request {
            family: self.family,
            cmd: self.cmd,
            version: self.version,
            flags: self.flags,
            header,
            schema: self.schema,
        }
    }
    /// Set the attribute-name table.
    pub const fn schema(mut self, schema: &'static AttrSet) -> Self {
        self.schema = Some(schema);
        self
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

/// Progress of a dump.
pub(crate) struct DumpState {
    pub seq: u32,
    pub done: bool,
    /// Consuming an abandoned dump: skip items, ignore `NLM_F_DUMP_INTR`.
    pub draining: bool,
}

impl DumpState {
    /// A dump just sent with sequence number `seq`.
    pub fn new(seq: u32) -> Self {
        DumpState {
            seq,
            done: false,
            draining: false,
        }
    }
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
}

pub(crate) struct Core {
    pub port: u32,
    seq: u32,
    tx: Vec<u8>,
    tx_hdrsize: usize,
    tx_schema: Option<&'static AttrSet>,
    pub rx: Vec<u8>,
    rx_len: usize,
    rx_pos: usize,
    aux: Vec<u8>,
    pub notif: Vec<u8>,
    notif_len: usize,
    notif_pos: usize,
    notif_group: u32,
    queue: VecDeque<Queued>,
    spare: Vec<Vec<u8>>,
    pub grow: bool,
    /// A dump the caller abandoned: drain it before the next request.
    pub drain: Option<u32>,
    pub families: HashMap<String, Arc<FamilyInfo>>,
    /// Datagrams received so far (all kinds).
    pub datagrams: u64,
    /// The kernel reported `ENOBUFS` (queue overflow) and it was not reported yet.
    pub overrun: bool,
    /// `ENOBUFS` was seen while waiting for the current request's answer: the answer may have
    /// been dropped too, so stop blocking (see [`Core::on_recv_error`]).
    pub lossy: bool,
}

impl Core {
    pub fn new(port: u32) -> Self {
        Core {
            port,
            seq: 0,
            tx: Vec::with_capacity(256),
            tx_hdrsize: 0,
            tx_schema: None,
            rx: vec![0; DEFAULT_RX_BUFFER],
            rx_len: 0,
            rx_pos: 0,
            aux: vec![0; 4096],
            notif: vec![0; 8192],
            notif_len: 0,
            notif_pos: 0,
            notif_group: 0,
            queue: VecDeque::new(),
            spare: Vec::new(),
            grow: true,
            drain: None,
            families: HashMap::new(),
            datagrams: 0,
            overrun: false,
            lossy: false,
        }
    }

    /// Set the receive buffer size; `grow: false` makes oversize datagrams a
    /// [`Error::Truncated`] instead of growing the buffer.
    pub fn set_rx_buffer(&mut self, size: usize, grow: bool) {
        let size = size.max(crate::msg::NLMSG_HDRLEN);
        self.rx = vec![0; size];
        self.aux = vec![0; size];
        self.notif = vec![0; size];
        self.grow = grow;
        self.rx_len = 0;
        self.rx_pos = 0;
        self.notif_len = 0;
        self.notif_pos = 0;
    }

    pub fn tx(&self) -> &[u8] {
        &self.tx
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

    /// Encode a request into `tx`; returns its sequence number.
    pub fn build(
        &mut self,
        req: &Request<'_>,
        flags: u16,
        f: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Result<u32, Error> {
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
        let mut w = AttrWriter::new(&mut self.tx);
        f(&mut w);
        w.finish()?;
        finish_message(&mut self.tx)?;
        self.tx_hdrsize = req.header.len();
        self.tx_schema = req.schema;
        // A fresh request: whatever was left in the receive buffer is stale.
        self.lossy = false;
        self.rx_len = 0;
        self.rx_pos = 0;
        Ok(seq)
    }

    fn ctx(&self) -> RequestContext<'_> {
        RequestContext {
            bytes: &self.tx,
            hdrsize: self.tx_hdrsize,
            schema: self.tx_schema,
        }
    }

    pub fn buf_mut(&mut self, slot: Slot) -> &mut Vec<u8> {
        match slot {
            Slot::Rx => &mut self.rx,
            Slot::Aux => &mut self.aux,
            Slot::Notif => &mut self.notif,
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
        if info.full_len > info.len {
            return Err(Error::Truncated {
                len: info.full_len,
                buffer: info.len,
            });
        }
        if info.group != 0 {
            if slot == Slot::Notif {
                return Ok(Class::Multicast(info.len, info.group));
            }
            // A notification arrived while we wait for something else: keep it.
            let mut buf = self.spare.pop().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(&self.buf_mut(slot)[..info.len]);
            self.queue.push_back(Queued {
                group: info.group,
                buf,
                len: info.len,
            });
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

    /// Interpret a kernel datagram of `len` bytes in the request's current slot.
    /// `Some` when the request is complete.
    pub fn request_step(&mut self, st: &mut ReqState, len: usize) -> Option<Result<(), Error>> {
        let slot = st.next_slot();
        let base = match slot {
            Slot::Rx => &self.rx[..len],
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
                    return Some(parse_error_msg(&m, Some(self.ctx())).and_then(|()| {
                        if st.want_reply && st.reply.is_none() {
                            Err(Error::NoReply)
                        } else {
                            Ok(())
                        }
                    }));
                }
                NLMSG_NOOP | NLMSG_DONE => {}
                NLMSG_OVERRUN => {
                    return Some(Err(Error::Protocol("NLMSG_OVERRUN: data lost".into())))
                }
                _ => {
                    if st.reply.is_none() && slot == Slot::Rx {
                        st.reply = Some((start, start + mlen));
                    }
                    // Further reply messages of a do are ignored (do replies are single).
                }
            }
        }
        None
    }

    /// Advance a dump over the messages in `rx`.
    pub fn dump_step(&mut self, st: &mut DumpState) -> DumpStep {
        loop {
            if st.done {
                return DumpStep::Done;
            }
            if self.rx_pos >= self.rx_len {
                return DumpStep::NeedRecv;
            }
            let buf = &self.rx[self.rx_pos..self.rx_len];
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
            match m.hdr.ty {
                NLMSG_DONE => {
                    st.done = true;
                    return match parse_done_msg(&m, Some(self.ctx())) {
                        Ok(()) => DumpStep::Done,
                        Err(e) => DumpStep::Err(e),
                    };
                }
                NLMSG_ERROR => {
                    st.done = true;
                    return match parse_error_msg(&m, Some(self.ctx())) {
                        Ok(()) => DumpStep::Done,
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
                    if st.draining {
                        continue;
                    }
                    if m.hdr.flags & NLM_F_DUMP_INTR != 0 {
                        st.done = true;
                        self.drain = Some(st.seq);
                        return DumpStep::Err(Error::DumpInterrupted);
                    }
                    return DumpStep::Item(start, start + mlen);
                }
            }
        }
    }

    /// The abandoned dump to drain before the next request, if any. Drive it with
    /// [`Core::dump_step`] and finish with [`Core::drained`].
    pub fn drain_state(&self) -> Option<DumpState> {
        self.drain.map(|seq| DumpState {
            seq,
            done: false,
            draining: true,
        })
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
        Ok(GenlMsg::parse(&self.rx[a..b], hdrsize)?)
    }

    /// The notification at byte range `a..b` of `notif` (from [`Core::notif_step`]).
    pub fn notification(
        &self,
        (a, b, group): (usize, usize, u32),
    ) -> Result<Notification<'_>, Error> {
        Ok(Notification {
            group,
            msg: NlMsg::parse(&self.notif[a..b])?,
        })
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
        let mut b = NlMsgHdr {
            len: (16 + payload.len()) as u32,
            ty,
            flags,
            seq,
            pid: 1,
        }
        .to_bytes()
        .to_vec();
        b.extend_from_slice(payload);
        b.resize(nlmsg_align(b.len()), 0);
        b
    }
    fn genl(seq: u32, flags: u16, cmd: u8) -> Vec<u8> {
        msg(
            0x20,
            flags,
            seq,
            &GenlMsgHdr {
                cmd,
                version: 1,
                reserved: 0,
            }
            .to_bytes(),
        )
    }
    fn err(seq: u32, errno: i32) -> Vec<u8> {
        let mut p = (-errno).to_ne_bytes().to_vec();
        p.extend_from_slice(
            &NlMsgHdr {
                len: 20,
                ty: 0x20,
                flags: 5,
                seq,
                pid: 1,
            }
            .to_bytes(),
        );
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
        c.after_recv(
            slot,
            RecvInfo {
                len: d.len(),
                full_len: d.len(),
                group,
                sender: 0,
            },
        )
        .unwrap()
    }
    fn request(c: &mut Core) -> u32 {
        c.build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_ACK, |_| {})
            .unwrap()
    }

    #[test]
    fn notification_between_request_and_reply_is_queued() {
        let mut c = Core::new(1);
        let seq = request(&mut c);
        let mut st = ReqState {
            seq,
            reply: None,
            want_reply: true,
        };
        // A notification first: queued, not taken for the reply.
        assert!(matches!(
            deliver(&mut c, Slot::Rx, &genl(0, 0, 9), 3),
            Class::Skip
        ));
        // A stale reply to an older request, then ours.
        let mut d = genl(seq.wrapping_sub(1), 0, 7);
        d.extend_from_slice(&genl(seq, 0, 5));
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &d, 0) else {
            panic!()
        };
        assert!(c.request_step(&mut st, len).is_none());
        let (a, b) = st.reply.unwrap();
        assert_eq!(GenlMsg::parse(&c.rx[a..b], 0).unwrap().cmd(), 5);
        // Another notification, then the ACK (into Aux, so the reply stays intact).
        assert_eq!(st.next_slot(), Slot::Aux);
        assert!(matches!(
            deliver(&mut c, Slot::Aux, &genl(0, 0, 10), 3),
            Class::Skip
        ));
        let Class::Kernel(len) = deliver(&mut c, Slot::Aux, &err(seq, 0), 0) else {
            panic!()
        };
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

    #[test]
    fn ack_without_reply_and_errors() {
        let mut c = Core::new(1);
        let seq = request(&mut c);
        let mut st = ReqState {
            seq,
            reply: None,
            want_reply: true,
        };
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &err(seq, 0), 0) else {
            panic!()
        };
        assert!(matches!(
            c.request_step(&mut st, len),
            Some(Err(Error::NoReply))
        ));
        let seq = request(&mut c);
        let mut st = ReqState {
            seq,
            reply: None,
            want_reply: false,
        };
        let Class::Kernel(len) = deliver(&mut c, Slot::Rx, &err(seq, libc::EPERM), 0) else {
            panic!()
        };
        let r = c.request_step(&mut st, len).unwrap();
        assert_eq!(r.unwrap_err().errno(), Some(libc::EPERM));
    }

    #[test]
    fn dump_multi_part_interrupted_and_failed() {
        let mut c = Core::new(1);
        let seq = c
            .build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {})
            .unwrap();
        let mut st = DumpState {
            seq,
            done: false,
            draining: false,
        };
        assert!(matches!(c.dump_step(&mut st), DumpStep::NeedRecv));
        let mut d = genl(seq, NLM_F_MULTI, 1);
        d.extend_from_slice(&genl(seq, NLM_F_MULTI, 2));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::Item(..)));
        assert!(matches!(c.dump_step(&mut st), DumpStep::NeedRecv));
        // Second part: interrupted.
        deliver(
            &mut c,
            Slot::Rx,
            &genl(seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 3),
            0,
        );
        assert!(matches!(
            c.dump_step(&mut st),
            DumpStep::Err(Error::DumpInterrupted)
        ));
        assert_eq!(c.drain, Some(seq));
        // Draining skips the rest (DUMP_INTR included) up to DONE.
        let mut dr = DumpState {
            seq,
            done: false,
            draining: true,
        };
        let mut d = genl(seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 4);
        d.extend_from_slice(&done(seq, 0));
        deliver(&mut c, Slot::Rx, &d, 0);
        assert!(matches!(c.dump_step(&mut dr), DumpStep::Done));

        // A dump that fails in its DONE.
        let seq = c
            .build(&Request::new(0x20, 1, 1), crate::msg::NLM_F_DUMP, |_| {})
            .unwrap();
        let mut st = DumpState {
            seq,
            done: false,
            draining: false,
        };
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

    #[test]
    fn truncation_is_an_error() {
        let mut c = Core::new(1);
        let r = c.after_recv(
            Slot::Rx,
            RecvInfo {
                len: 64,
                full_len: 100,
                group: 0,
                sender: 0,
            },
        );
        assert!(matches!(
            r,
            Err(Error::Truncated {
                len: 100,
                buffer: 64
            })
        ));
    }
}

//! netlink-raw families (rtnetlink and friends): the same YNL convention over a plain netlink
//! socket of the spec's `protonum`, which is `nlspec_rt::NlSocket` (the runtime's socket layer
//! for every netlink protocol: sequence numbers, ACKs, dumps, extended ACKs, notifications).
//! This module only adapts it to what `raw_run` needs; there is no `unsafe` here.

use std::io;
use std::time::Instant;

use nlspec_rt::msg::{NlMsg, NlMsgIter, NLM_F_ACK};
use nlspec_rt::{Error, NlRequest, NlSocket};

/// A netlink socket of any protocol.
pub struct RawSock {
    sock: NlSocket,
}

/// The runtime's error as an I/O error, for the callers that report socket trouble as such.
fn io_err(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        e => io::Error::other(e),
    }
}

impl RawSock {
    /// Open, set the ACK options YNL sets, and bind to an automatic port.
    pub fn new(protonum: u32) -> io::Result<Self> {
        let mut sock = NlSocket::open(protonum).map_err(io_err)?;
        // As YNL: messages of an interrupted dump (NLM_F_DUMP_INTR) are output like the others.
        sock.set_dump_intr_fatal(false);
        Ok(RawSock { sock })
    }

    /// Receive with a `size`-byte buffer (still growing to fit a larger datagram): the kernel
    /// then sizes dump datagrams after it (`--dbg-small-recv`).
    pub fn set_rx_buffer(&mut self, size: usize) {
        self.sock.set_rx_buffer(size, true);
    }

    /// Calls `trace` with every datagram received (`--dbg-small-recv`'s receive trace).
    pub fn set_recv_trace(&mut self, trace: Option<fn(&[u8])>) {
        self.sock.set_recv_trace(trace);
    }

    /// Join multicast group `group` (the spec's `mcast-groups` value).
    pub fn add_membership(&mut self, group: u32) -> io::Result<()> {
        self.sock.subscribe_id(group).map_err(io_err)
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

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => Failure::Io(e),
            e => Failure::Kernel(e),
        }
    }
}

impl RawSock {
    /// Send a request (`ty`, extra `flags`, fixed `header`, `attrs`; a dump if `dump`) and hand
    /// every reply message to `f` until the ACK (do) or DONE (dump). Notifications that arrive
    /// meanwhile are queued for [`RawSock::notification`].
    pub fn exchange(
        &mut self,
        ty: u16,
        flags: u16,
        dump: bool,
        header: &[u8],
        attrs: &[u8],
        mut f: impl FnMut(&NlMsg<'_>) -> Result<(), super::Fail>,
    ) -> Result<(), Failure> {
        // NLM_F_ACK on dumps too, as YNL sends them.
        let req = NlRequest::new(ty).flags(flags | NLM_F_ACK).header(header);
        let put = |w: &mut nlspec_rt::AttrWriter<'_>| w.put_raw_bytes(attrs);
        let mut it = if dump { self.sock.dump(&req, put)? } else { self.sock.request_all(&req, put)? };
        while let Some(m) = it.next() {
            f(&m?).map_err(Failure::Stop)?;
        }
        Ok(())
    }

    /// The next notification (one message, as a datagram of its own), waiting until `deadline`
    /// (`None`: for ever).
    pub fn notification(&mut self, deadline: Option<Instant>) -> io::Result<Option<Vec<u8>>> {
        let n = match deadline {
            None => self.sock.recv_notification().map(Some),
            Some(d) => self.sock.recv_notification_timeout(d.saturating_duration_since(Instant::now())),
        };
        Ok(n.map_err(io_err)?.map(|n| n.msg.bytes().to_vec()))
    }

    /// Split a notification datagram into messages (multicast datagrams may hold several).
    pub fn split(d: &[u8]) -> Vec<NlMsg<'_>> {
        messages(d)
    }
}

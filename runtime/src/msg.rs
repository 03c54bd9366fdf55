//! Netlink and Generic Netlink message headers, borrowed views of received messages, and the
//! descriptions of outgoing requests ([`Request`], [`NlRequest`]). Plain data: no I/O.
//!
//! Layout of a Generic Netlink message:
//! `nlmsghdr` (16 bytes) · `genlmsghdr` (4 bytes) · family fixed header (`hdrsize` bytes, often
//! 0; raw bytes that generated code decodes) · attributes.
//!
//! Layout of a message of the other netlink protocols (netlink-raw families: rtnetlink, ...):
//! `nlmsghdr` (16 bytes) · family fixed header (e.g. `struct ifinfomsg`) · attributes.

use crate::attr::{Attrs, DecodeError, DecodeErrorKind};
use crate::schema::AttrSet;

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct genlmsghdr`.
pub const GENL_HDRLEN: usize = 4;

/// Message type: nothing (ignored).
pub const NLMSG_NOOP: u16 = 1;
/// Message type: error or ACK (`struct nlmsgerr`).
pub const NLMSG_ERROR: u16 = 2;
/// Message type: end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// Message type: data lost.
pub const NLMSG_OVERRUN: u16 = 4;
/// First message type that is not a control message.
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// Flag: a request.
pub const NLM_F_REQUEST: u16 = 0x01;
/// Flag: part of a multi-part reply, terminated by `NLMSG_DONE`.
pub const NLM_F_MULTI: u16 = 0x02;
/// Flag: ask for an ACK.
pub const NLM_F_ACK: u16 = 0x04;
/// Flag: echo the request / resulting notifications.
pub const NLM_F_ECHO: u16 = 0x08;
/// Flag on dump messages: the dump was inconsistent (the data changed while dumping).
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// Flag on dump messages: the dump was filtered as requested.
pub const NLM_F_DUMP_FILTERED: u16 = 0x20;
/// GET modifier: return the whole table.
pub const NLM_F_ROOT: u16 = 0x100;
/// GET modifier: return all matching entries.
pub const NLM_F_MATCH: u16 = 0x200;
/// GET modifier: atomic get.
pub const NLM_F_ATOMIC: u16 = 0x400;
/// A dump request (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
/// NEW modifier: replace existing.
pub const NLM_F_REPLACE: u16 = 0x100;
/// NEW modifier: fail if it exists.
pub const NLM_F_EXCL: u16 = 0x200;
/// NEW modifier: create if it does not exist.
pub const NLM_F_CREATE: u16 = 0x400;
/// NEW modifier: add to the end.
pub const NLM_F_APPEND: u16 = 0x800;
/// ACK flag: the echoed request was capped to its header (`NETLINK_CAP_ACK`).
pub const NLM_F_CAPPED: u16 = 0x100;
/// ACK flag: extended-ACK TLVs follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// Round up to the 4-byte message alignment (`NLMSG_ALIGN`).
#[inline]
pub const fn nlmsg_align(len: usize) -> usize {
    (len + 3) & !3
}

/// `struct nlmsghdr`, host byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NlMsgHdr {
    /// Total message length including this header.
    pub len: u32,
    /// Message type (family id for Generic Netlink, or a control type).
    pub ty: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Sending port id.
    pub pid: u32,
}

impl NlMsgHdr {
    /// Parse the first 16 bytes of `b`.
    #[inline]
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        let h: &[u8; NLMSG_HDRLEN] = b
            .get(..NLMSG_HDRLEN)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| DecodeError::new(DecodeErrorKind::BadMessage("truncated nlmsghdr")))?;
        Ok(NlMsgHdr {
            len: u32::from_ne_bytes([h[0], h[1], h[2], h[3]]),
            ty: u16::from_ne_bytes([h[4], h[5]]),
            flags: u16::from_ne_bytes([h[6], h[7]]),
            seq: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
            pid: u32::from_ne_bytes([h[12], h[13], h[14], h[15]]),
        })
    }
    /// Encode as 16 bytes.
    pub fn to_bytes(&self) -> [u8; NLMSG_HDRLEN] {
        let mut b = [0u8; NLMSG_HDRLEN];
        b[0..4].copy_from_slice(&self.len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.ty.to_ne_bytes());
        b[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        b[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        b[12..16].copy_from_slice(&self.pid.to_ne_bytes());
        b
    }
}

/// `struct genlmsghdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GenlMsgHdr {
    /// Command.
    pub cmd: u8,
    /// Family interface version.
    pub version: u8,
    /// Reserved (0).
    pub reserved: u16,
}

impl GenlMsgHdr {
    /// Parse the first 4 bytes of `b`.
    #[inline]
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        match b.get(..GENL_HDRLEN) {
            Some(h) => Ok(GenlMsgHdr { cmd: h[0], version: h[1], reserved: u16::from_ne_bytes([h[2], h[3]]) }),
            None => Err(DecodeError::new(DecodeErrorKind::BadMessage("truncated genlmsghdr"))),
        }
    }
    /// Encode as 4 bytes.
    pub fn to_bytes(&self) -> [u8; GENL_HDRLEN] {
        let r = self.reserved.to_ne_bytes();
        [self.cmd, self.version, r[0], r[1]]
    }
}

/// A borrowed netlink message: header plus payload (both inside the receive buffer).
#[derive(Debug, Clone, Copy)]
pub struct NlMsg<'a> {
    /// The parsed header.
    pub hdr: NlMsgHdr,
    bytes: &'a [u8],
}

impl<'a> NlMsg<'a> {
    /// Parse one message at the start of `b` (its `nlmsg_len` must fit in `b`).
    #[inline]
    pub fn parse(b: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr = NlMsgHdr::parse(b)?;
        let len = hdr.len as usize;
        if len < NLMSG_HDRLEN {
            return Err(DecodeError::new(DecodeErrorKind::BadMessage("nlmsg_len below header size")));
        }
        if len > b.len() {
            return Err(DecodeError::new(DecodeErrorKind::BadMessage("nlmsg_len exceeds the received datagram")));
        }
        Ok(NlMsg { hdr, bytes: &b[..len] })
    }
    /// A message from its parsed header and its bytes (`hdr` parsed from `bytes`, whose length
    /// is its `nlmsg_len`, at least the header's).
    #[inline]
    pub(crate) fn from_parts(hdr: NlMsgHdr, bytes: &'a [u8]) -> Self {
        debug_assert!(bytes.len() == hdr.len as usize && bytes.len() >= NLMSG_HDRLEN);
        NlMsg { hdr, bytes }
    }
    /// The whole message, header included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// The payload after the 16-byte header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[NLMSG_HDRLEN..]
    }
    /// View as a Generic Netlink message whose family fixed header is `hdrsize` bytes.
    #[inline]
    pub fn genl(&self, hdrsize: usize) -> Result<GenlMsg<'a>, DecodeError> {
        let p = self.payload();
        let genl = GenlMsgHdr::parse(p)?;
        let rest = &p[GENL_HDRLEN..];
        if rest.len() < hdrsize {
            return Err(DecodeError::new(DecodeErrorKind::BadMessage(
                "message shorter than the family's fixed header",
            )));
        }
        let attrs_start = nlmsg_align(hdrsize).min(rest.len());
        Ok(GenlMsg { nl: self.hdr, genl, bytes: self.bytes, fixed: &rest[..hdrsize], attrs: &rest[attrs_start..] })
    }
}

/// Iterator over the messages packed in one datagram. Stops after the first error.
#[derive(Debug, Clone)]
pub struct NlMsgIter<'a> {
    buf: &'a [u8],
}

impl<'a> NlMsgIter<'a> {
    /// Iterate the messages in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        NlMsgIter { buf }
    }
}

impl<'a> Iterator for NlMsgIter<'a> {
    type Item = Result<NlMsg<'a>, DecodeError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        match NlMsg::parse(self.buf) {
            Ok(m) => {
                let adv = nlmsg_align(m.hdr.len as usize).min(self.buf.len());
                self.buf = &self.buf[adv..];
                Some(Ok(m))
            }
            Err(e) => {
                self.buf = &[];
                Some(Err(e))
            }
        }
    }
}

/// A borrowed Generic Netlink message: headers, fixed header bytes and attribute stream.
///
/// This is what replies, dump entries and notifications are: a view of the receive buffer,
/// `Copy`, with no allocation. Generated code decodes [`GenlMsg::fixed_header`] and
/// [`GenlMsg::attrs`] into typed views.
#[derive(Debug, Clone, Copy)]
pub struct GenlMsg<'a> {
    nl: NlMsgHdr,
    genl: GenlMsgHdr,
    bytes: &'a [u8],
    fixed: &'a [u8],
    attrs: &'a [u8],
}

impl<'a> GenlMsg<'a> {
    /// Parse a whole message (netlink header included) with a `hdrsize`-byte fixed header.
    pub fn parse(b: &'a [u8], hdrsize: usize) -> Result<Self, DecodeError> {
        NlMsg::parse(b)?.genl(hdrsize)
    }
    /// The netlink header.
    pub fn nl_header(&self) -> &NlMsgHdr {
        &self.nl
    }
    /// The Generic Netlink header.
    pub fn genl_header(&self) -> &GenlMsgHdr {
        &self.genl
    }
    /// The command.
    pub fn cmd(&self) -> u8 {
        self.genl.cmd
    }
    /// The version field.
    pub fn version(&self) -> u8 {
        self.genl.version
    }
    /// The family id (`nlmsg_type`).
    pub fn family(&self) -> u16 {
        self.nl.ty
    }
    /// `NLM_F_*` flags.
    pub fn flags(&self) -> u16 {
        self.nl.flags
    }
    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.nl.seq
    }
    /// The family's fixed header, raw (empty when the family has none).
    pub fn fixed_header(&self) -> &'a [u8] {
        self.fixed
    }
    /// The attribute bytes.
    pub fn attr_bytes(&self) -> &'a [u8] {
        self.attrs
    }
    /// The attributes.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::new(self.attrs)
    }
    /// The whole message, headers included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Copy into an owned message (for keeping beyond the receive buffer's next use).
    pub fn to_owned_msg(&self) -> OwnedGenlMsg {
        OwnedGenlMsg { bytes: self.bytes.to_vec(), hdrsize: self.fixed.len() }
    }
}

/// An owned copy of a Generic Netlink message; [`OwnedGenlMsg::view`] gives the borrowed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedGenlMsg {
    bytes: Vec<u8>,
    hdrsize: usize,
}

impl OwnedGenlMsg {
    /// Take ownership of message bytes, checking they parse with `hdrsize`.
    pub fn new(bytes: Vec<u8>, hdrsize: usize) -> Result<Self, DecodeError> {
        GenlMsg::parse(&bytes, hdrsize)?;
        Ok(OwnedGenlMsg { bytes, hdrsize })
    }
    /// Borrowed view.
    pub fn view(&self) -> GenlMsg<'_> {
        // Checked at construction; the bytes never change afterwards.
        GenlMsg::parse(&self.bytes, self.hdrsize).unwrap_or_else(|_| unreachable!("validated in new"))
    }
    /// The raw message bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

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
        Request { family, cmd, version, flags: 0, header: &[], schema: None }
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

/// Describes one request of a netlink protocol without a Generic Netlink header (rtnetlink and
/// the other netlink-raw families), for [`crate::NlSocket`]: message type, extra flags, the
/// family's fixed header and (optionally) the attribute-name table for kernel errors.
#[derive(Debug, Clone, Copy)]
pub struct NlRequest<'h> {
    /// Message type (`nlmsg_type`, e.g. `RTM_GETLINK`).
    pub ty: u16,
    /// Extra `NLM_F_*` flags; `NLM_F_REQUEST`, and `NLM_F_ACK` or `NLM_F_DUMP`, are added by
    /// the call that sends it.
    pub flags: u16,
    /// The fixed header bytes (e.g. a `struct ifinfomsg`; empty if there is none).
    pub header: &'h [u8],
    /// Names of the request's top-level attributes, for extended-ACK paths.
    pub schema: Option<&'static AttrSet>,
}

impl NlRequest<'static> {
    /// A request of message type `ty` with no extra flags, no fixed header and no name table.
    pub const fn new(ty: u16) -> Self {
        NlRequest { ty, flags: 0, header: &[], schema: None }
    }
}

impl<'h> NlRequest<'h> {
    /// Add `NLM_F_*` flags.
    pub const fn flags(mut self, flags: u16) -> Self {
        self.flags |= flags;
        self
    }
    /// Set the fixed header bytes.
    pub const fn header<'x>(self, header: &'x [u8]) -> NlRequest<'x> {
        NlRequest { ty: self.ty, flags: self.flags, header, schema: self.schema }
    }
    /// Set the attribute-name table.
    pub const fn schema(mut self, schema: &'static AttrSet) -> Self {
        self.schema = Some(schema);
        self
    }
}

/// What the receive syscall reported about one datagram.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecvInfo {
    /// Bytes written into the buffer.
    pub len: usize,
    /// Real size of the datagram (larger than `len` when it was truncated).
    pub full_len: usize,
    /// Destination multicast group from `NETLINK_PKTINFO` (0 = unicast).
    pub group: u32,
    /// Sender port id (0 = kernel).
    pub sender: u32,
}

/// Write a Generic Netlink request's headers into `buf` (cleared first); the caller appends
/// attributes and then calls [`finish_message`].
#[allow(clippy::too_many_arguments, reason = "one argument per header field; public API")]
pub fn start_message(
    buf: &mut Vec<u8>,
    family: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    cmd: u8,
    version: u8,
    fixed: &[u8],
) {
    let mut head = [0u8; NLMSG_HDRLEN + GENL_HDRLEN];
    head[..NLMSG_HDRLEN].copy_from_slice(&NlMsgHdr { len: 0, ty: family, flags, seq, pid }.to_bytes());
    head[NLMSG_HDRLEN..].copy_from_slice(&GenlMsgHdr { cmd, version, reserved: 0 }.to_bytes());
    start(buf, head, fixed);
}

/// Write the headers of a request without a Generic Netlink header (rtnetlink and the other
/// netlink-raw protocols) into `buf` (cleared first): `nlmsghdr`, then the fixed header,
/// padded. The caller appends attributes and then calls [`finish_message`].
pub fn start_nl_message(buf: &mut Vec<u8>, ty: u16, flags: u16, seq: u32, pid: u32, fixed: &[u8]) {
    start(buf, NlMsgHdr { len: 0, ty, flags, seq, pid }.to_bytes(), fixed);
}

/// `buf` cleared, then the headers `head` (of a fixed size: one copy, no copy call), then the
/// fixed header `fixed`, padded.
fn start<const N: usize>(buf: &mut Vec<u8>, head: [u8; N], fixed: &[u8]) {
    buf.clear();
    buf.extend_from_slice(&head);
    if !fixed.is_empty() {
        buf.extend_from_slice(fixed);
        buf.resize(nlmsg_align(buf.len()), 0);
    }
}

/// Set `nlmsg_len` to the buffer's length. Errors if it exceeds `u32`.
pub fn finish_message(buf: &mut [u8]) -> Result<(), DecodeError> {
    let len = u32::try_from(buf.len())
        .map_err(|_| DecodeError::new(DecodeErrorKind::BadMessage("message longer than 4 GiB")))?;
    if let Some(d) = buf.get_mut(0..4) {
        d.copy_from_slice(&len.to_ne_bytes());
    }
    Ok(())
}

//! Runtime errors, and decoding of kernel errors with their extended ACK.
//!
//! With `NETLINK_EXT_ACK` set, an error (`NLMSG_ERROR`, or the `NLMSG_DONE` that ends a failed
//! dump) can carry TLVs: a human message, the byte offset of the offending attribute inside our
//! request, the type (and enclosing nest) of a missing attribute, the policy the attribute
//! violated, and a cookie. [`Error::Kernel`] holds them decoded; the offset is turned into an
//! attribute path by walking the request we sent (names from an [`AttrSet`] when the generated
//! client provides one, numbers otherwise).

use std::borrow::Cow;
use std::fmt;
use std::io;

use crate::attr::{Attr, AttrPath, Attrs, DecodeError, DecodeErrorKind, EncodeError, PathSeg, NLA_HDRLEN};
use crate::msg::{nlmsg_align, NlMsg, NlMsgHdr, GENL_HDRLEN, NLMSG_HDRLEN, NLM_F_ACK_TLVS, NLM_F_CAPPED};
use crate::schema::{AttrSet, NestKind};

/// Extended-ACK attribute: human-readable message (string).
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// Extended-ACK attribute: offset of the offending attribute in the request (u32).
pub const NLMSGERR_ATTR_OFFS: u16 = 2;
/// Extended-ACK attribute: cookie (binary).
pub const NLMSGERR_ATTR_COOKIE: u16 = 3;
/// Extended-ACK attribute: policy of the offending attribute (nest of `NL_POLICY_TYPE_ATTR_*`).
pub const NLMSGERR_ATTR_POLICY: u16 = 4;
/// Extended-ACK attribute: type of a missing attribute (u32).
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
/// Extended-ACK attribute: offset of the nest the missing attribute belongs in (u32).
pub const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// Everything that can go wrong talking to a Generic Netlink family.
#[derive(Debug)]
pub enum Error {
    /// A socket syscall failed.
    Io(io::Error),
    /// The kernel rejected the request (`NLMSG_ERROR` / failed `NLMSG_DONE`), with whatever the
    /// extended ACK said.
    Kernel {
        /// Positive errno (e.g. `libc::ENOENT`).
        errno: i32,
        /// `NLMSGERR_ATTR_MSG`: the kernel's explanation.
        msg: Option<String>,
        /// `NLMSGERR_ATTR_OFFS` turned into an attribute path inside the request.
        path: Option<AttrPath>,
        /// The raw offset (from the start of the request's `nlmsghdr`).
        offset: Option<u32>,
        /// `NLMSGERR_ATTR_MISS_TYPE` / `_MISS_NEST`: a required attribute that was absent.
        missing: Option<Box<MissingAttr>>,
        /// `NLMSGERR_ATTR_POLICY`: the policy the attribute violated.
        policy: Option<Box<Policy>>,
        /// `NLMSGERR_ATTR_COOKIE`.
        cookie: Option<Box<[u8]>>,
    },
    /// A message could not be decoded.
    Decode(DecodeError),
    /// A request could not be encoded (an attribute too long).
    Encode(EncodeError),
    /// `NLM_F_DUMP_INTR`: the dumped data changed during the dump; it may be inconsistent.
    /// Retry the dump (or let the socket do it: `set_dump_retry` with [`crate::DumpRetry`]).
    DumpInterrupted,
    /// A datagram was larger than the receive buffer and was cut (`MSG_TRUNC`); its data is
    /// lost. Only happens when buffer growth was disabled.
    Truncated {
        /// Real datagram length.
        len: usize,
        /// Buffer length used.
        buffer: usize,
    },
    /// The kernel acknowledged a request that was expected to produce a reply, without one.
    NoReply,
    /// The family has no multicast group of that name.
    UnknownGroup {
        /// Family name.
        family: String,
        /// Group name asked for.
        group: String,
    },
    /// A wait timed out.
    Timeout,
    /// The socket's receive queue overflowed (`ENOBUFS`) while waiting for an answer, and the
    /// answer is not there: the kernel dropped it. Read notifications more often or enlarge
    /// the queue (`set_rcvbuf`), then retry.
    ReplyLost,
    /// The socket's receive queue overflowed (`ENOBUFS`): the kernel dropped multicast
    /// messages. Reported once per overflow; receiving can continue. Whatever state was being
    /// tracked from notifications is now incomplete: re-dump it (see
    /// [`crate::NlSocket::recv_notification`]).
    NotificationsLost,
    /// A dump (or the replies of a `request_all`) passed a bound set with `set_dump_limit`
    /// ([`crate::DumpLimit`]); it ended there. What it had returned is all there is.
    DumpLimitExceeded {
        /// Messages seen when it stopped (the one past the bound included).
        messages: u64,
        /// Bytes of messages seen.
        bytes: u64,
        /// Time since the request was sent.
        elapsed: std::time::Duration,
    },
    /// The kernel sent something that breaks the protocol (e.g. `NLMSG_OVERRUN`).
    Protocol(Cow<'static, str>),
}

impl Error {
    /// The errno of a kernel or I/O error.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            Error::Io(e) => e.raw_os_error(),
            _ => None,
        }
    }
    /// A kernel error with only an errno.
    pub fn from_errno(errno: i32) -> Self {
        Error::Kernel { errno, msg: None, path: None, offset: None, missing: None, policy: None, cookie: None }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}
impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}
impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        Error::Encode(e)
    }
}

/// A required attribute the kernel found missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingAttr {
    /// Its type number.
    pub ty: u16,
    /// Its name, when the request carried an attribute-name table.
    pub name: Option<&'static str>,
    /// Path of the nest it should have been in; `None` for the top level.
    pub nest: Option<AttrPath>,
}

/// Symbolic name of common errno values (`"ENOENT"`), for messages.
pub fn errno_name(e: i32) -> Option<&'static str> {
    Some(match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::ERANGE => "ERANGE",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ENOBUFS => "ENOBUFS",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EALREADY => "EALREADY",
        libc::EINPROGRESS => "EINPROGRESS",
        libc::ENODATA => "ENODATA",
        libc::ENOTCONN => "ENOTCONN",
        524 => "ENOTSUPP",
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "netlink socket error: {e}"),
            Error::Kernel { errno, msg, path, offset, missing, policy, cookie } => {
                let desc = io::Error::from_raw_os_error(*errno);
                match errno_name(*errno) {
                    Some(n) => write!(f, "kernel error {n}: {desc}")?,
                    None => write!(f, "kernel error {errno}: {desc}")?,
                }
                if let Some(m) = msg {
                    write!(f, ": {m}")?;
                }
                match (path, offset) {
                    (Some(p), _) => write!(f, " (at {p})")?,
                    (None, Some(o)) => write!(f, " (at request offset {o})")?,
                    _ => {}
                }
                if let Some(m) = missing {
                    match m.name {
                        Some(n) => write!(f, " (missing attribute {n}")?,
                        None => write!(f, " (missing attribute type {}", m.ty)?,
                    }
                    match &m.nest {
                        Some(p) => write!(f, " in {p})")?,
                        None => write!(f, ")")?,
                    }
                }
                if let Some(p) = policy {
                    write!(f, " (policy: {p})")?;
                }
                if let Some(c) = cookie {
                    write!(f, " (cookie ")?;
                    for b in c.iter() {
                        write!(f, "{b:02x}")?;
                    }
                    write!(f, ")")?;
                }
                Ok(())
            }
            Error::Decode(e) => write!(f, "cannot decode message: {e}"),
            Error::Encode(e) => write!(f, "cannot encode request: {e}"),
            Error::DumpInterrupted => {
                f.write_str("dump interrupted (NLM_F_DUMP_INTR): the data changed while dumping; retry")
            }
            Error::Truncated { len, buffer } => {
                write!(f, "datagram of {len} bytes truncated to the {buffer}-byte receive buffer (MSG_TRUNC)")
            }
            Error::NoReply => f.write_str("the kernel acknowledged the request but sent no reply"),
            Error::UnknownGroup { family, group } => {
                write!(f, "family {family:?} has no multicast group {group:?}")
            }
            Error::Timeout => f.write_str("timed out"),
            Error::ReplyLost => {
                f.write_str("the kernel dropped the reply: the socket's receive queue overflowed (ENOBUFS)")
            }
            Error::NotificationsLost => {
                f.write_str("notifications were lost: the socket's receive queue overflowed (ENOBUFS)")
            }
            Error::DumpLimitExceeded { messages, bytes, elapsed } => write!(
                f,
                "dump stopped at its limit after {messages} messages, {bytes} bytes, {} ms",
                elapsed.as_millis()
            ),
            Error::Protocol(s) => write!(f, "netlink protocol error: {s}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Decode(e) => Some(e),
            Error::Encode(e) => Some(e),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/// `NL_POLICY_TYPE_ATTR_TYPE`: the attribute kind (`NL_ATTR_TYPE_*`).
pub const NL_POLICY_TYPE_ATTR_TYPE: u16 = 1;
/// Minimum signed value (s64).
pub const NL_POLICY_TYPE_ATTR_MIN_VALUE_S: u16 = 2;
/// Maximum signed value (s64).
pub const NL_POLICY_TYPE_ATTR_MAX_VALUE_S: u16 = 3;
/// Minimum unsigned value (u64).
pub const NL_POLICY_TYPE_ATTR_MIN_VALUE_U: u16 = 4;
/// Maximum unsigned value (u64).
pub const NL_POLICY_TYPE_ATTR_MAX_VALUE_U: u16 = 5;
/// Minimum length (u32).
pub const NL_POLICY_TYPE_ATTR_MIN_LENGTH: u16 = 6;
/// Maximum length (u32).
pub const NL_POLICY_TYPE_ATTR_MAX_LENGTH: u16 = 7;
/// Index of the nested policy (u32).
pub const NL_POLICY_TYPE_ATTR_POLICY_IDX: u16 = 8;
/// Max attribute type of the nested policy (u32).
pub const NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE: u16 = 9;
/// Valid bits of a bitfield32 (u32).
pub const NL_POLICY_TYPE_ATTR_BITFIELD32_MASK: u16 = 10;
/// Padding.
pub const NL_POLICY_TYPE_ATTR_PAD: u16 = 11;
/// Valid bits of an integer (u64).
pub const NL_POLICY_TYPE_ATTR_MASK: u16 = 12;

/// The kernel's description of one attribute's policy (`NL_POLICY_TYPE_ATTR_*`), as sent in
/// extended ACKs and in nlctrl `getpolicy` dumps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Attribute kind (`NL_ATTR_TYPE_*`).
    pub kind: Option<u32>,
    /// Minimum signed value.
    pub min_s: Option<i64>,
    /// Maximum signed value.
    pub max_s: Option<i64>,
    /// Minimum unsigned value.
    pub min_u: Option<u64>,
    /// Maximum unsigned value.
    pub max_u: Option<u64>,
    /// Minimum payload length.
    pub min_len: Option<u32>,
    /// Maximum payload length.
    pub max_len: Option<u32>,
    /// Nested policy index.
    pub policy_idx: Option<u32>,
    /// Nested policy max type.
    pub policy_maxtype: Option<u32>,
    /// Valid bitfield32 bits.
    pub bitfield32_mask: Option<u32>,
    /// Valid integer bits.
    pub mask: Option<u64>,
}

/// Name of an `NL_ATTR_TYPE_*` value.
pub fn nl_attr_type_name(kind: u32) -> &'static str {
    match kind {
        0 => "invalid",
        1 => "flag",
        2 => "u8",
        3 => "u16",
        4 => "u32",
        5 => "u64",
        6 => "s8",
        7 => "s16",
        8 => "s32",
        9 => "s64",
        10 => "binary",
        11 => "string",
        12 => "nul-string",
        13 => "nested",
        14 => "nested-array",
        15 => "bitfield32",
        16 => "sint",
        17 => "uint",
        _ => "unknown",
    }
}

impl Policy {
    /// Decode a policy nest's contents. Unknown attributes are skipped.
    pub fn decode(attrs: Attrs<'_>) -> Result<Policy, DecodeError> {
        let mut p = Policy::default();
        for a in attrs {
            let a = a?;
            // u32 fields, read leniently as NLA_UINT but never truncated.
            let u32_of = |a: &Attr<'_>| {
                let v = a.get_uint()?;
                u32::try_from(v).map_err(|_| {
                    DecodeError::at_type(
                        DecodeErrorKind::Other(format!("{v} does not fit the u32 field").into()),
                        a.ty(),
                    )
                })
            };
            match a.ty() {
                NL_POLICY_TYPE_ATTR_TYPE => p.kind = Some(u32_of(&a)?),
                NL_POLICY_TYPE_ATTR_MIN_VALUE_S => p.min_s = Some(a.get_sint()?),
                NL_POLICY_TYPE_ATTR_MAX_VALUE_S => p.max_s = Some(a.get_sint()?),
                NL_POLICY_TYPE_ATTR_MIN_VALUE_U => p.min_u = Some(a.get_uint()?),
                NL_POLICY_TYPE_ATTR_MAX_VALUE_U => p.max_u = Some(a.get_uint()?),
                NL_POLICY_TYPE_ATTR_MIN_LENGTH => p.min_len = Some(u32_of(&a)?),
                NL_POLICY_TYPE_ATTR_MAX_LENGTH => p.max_len = Some(u32_of(&a)?),
                NL_POLICY_TYPE_ATTR_POLICY_IDX => p.policy_idx = Some(u32_of(&a)?),
                NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE => p.policy_maxtype = Some(u32_of(&a)?),
                NL_POLICY_TYPE_ATTR_BITFIELD32_MASK => p.bitfield32_mask = Some(u32_of(&a)?),
                NL_POLICY_TYPE_ATTR_MASK => p.mask = Some(a.get_uint()?),
                _ => {}
            }
        }
        Ok(p)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut item = |f: &mut fmt::Formatter<'_>, args: fmt::Arguments<'_>| -> fmt::Result {
            write!(f, "{sep}{args}")?;
            sep = ", ";
            Ok(())
        };
        if let Some(k) = self.kind {
            item(f, format_args!("type {}", nl_attr_type_name(k)))?;
        }
        match (self.min_s, self.max_s) {
            (Some(a), Some(b)) => item(f, format_args!("range {a}..={b}"))?,
            (Some(a), None) => item(f, format_args!("min {a}"))?,
            (None, Some(b)) => item(f, format_args!("max {b}"))?,
            _ => {}
        }
        match (self.min_u, self.max_u) {
            (Some(a), Some(b)) => item(f, format_args!("range {a}..={b}"))?,
            (Some(a), None) => item(f, format_args!("min {a}"))?,
            (None, Some(b)) => item(f, format_args!("max {b}"))?,
            _ => {}
        }
        if let Some(v) = self.min_len {
            item(f, format_args!("min length {v}"))?;
        }
        if let Some(v) = self.max_len {
            item(f, format_args!("max length {v}"))?;
        }
        if let Some(v) = self.bitfield32_mask {
            item(f, format_args!("valid bits {v:#x}"))?;
        }
        if let Some(v) = self.mask {
            item(f, format_args!("mask {v:#x}"))?;
        }
        if let Some(v) = self.policy_idx {
            item(f, format_args!("nested policy {v}"))?;
        }
        if let Some(v) = self.policy_maxtype {
            item(f, format_args!("max type {v}"))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Offset → path
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Level {
    Set(Option<&'static AttrSet>),
    Array(Option<&'static AttrSet>),
}

/// Where an offset inside a request points.
#[derive(Debug, Clone)]
pub struct Located {
    /// The attribute path (empty if the offset is in the headers).
    pub path: AttrPath,
    /// The attribute set of the located attribute's children, when it is a known nest.
    pub inner: Option<&'static AttrSet>,
}

/// Turn `offset` (bytes from the start of the request's `nlmsghdr`) into an attribute path by
/// walking `request`, whose family fixed header is `hdrsize` bytes. `schema` names the
/// top-level attributes; without it (or below what it describes) the path is numeric.
/// Never panics on any input; stops at the deepest attribute containing the offset.
pub fn offset_to_path(request: &[u8], offset: usize, hdrsize: usize, schema: Option<&'static AttrSet>) -> Located {
    locate_at(request, offset, NLMSG_HDRLEN + GENL_HDRLEN + nlmsg_align(hdrsize), schema)
}

/// [`offset_to_path`] for a request whose attributes start at byte `start`.
fn locate_at(request: &[u8], offset: usize, mut start: usize, schema: Option<&'static AttrSet>) -> Located {
    let mut path = AttrPath::new();
    let end = match NlMsgHdr::parse(request) {
        Ok(h) => (h.len as usize).min(request.len()),
        Err(_) => request.len(),
    };
    let mut level = Level::Set(schema);
    let mut inner = schema;
    if offset < start {
        return Located { path, inner };
    }
    let mut stop = end;
    'outer: while let Some(region) = request.get(start..stop) {
        let mut pos = start;
        for a in Attrs::new(region) {
            let Ok(a) = a else { break 'outer };
            let total = NLA_HDRLEN + a.payload().len();
            let a_end = pos + total;
            if offset >= pos && offset < crate::attr::nla_align(a_end).max(a_end) {
                let (seg, nest) = match level {
                    Level::Set(set) => {
                        let info = set.and_then(|s| s.get(a.ty()));
                        let seg = match info {
                            Some(i) => PathSeg::Name(Cow::Borrowed(i.name)),
                            None => PathSeg::Type(a.ty()),
                        };
                        let nest = match info.map(|i| i.nest) {
                            Some(NestKind::Nest(s)) => Some(Level::Set(Some(s))),
                            Some(NestKind::Array(s)) => Some(Level::Array(s)),
                            Some(NestKind::Opaque) => Some(Level::Set(None)),
                            Some(NestKind::None) => None,
                            None if a.is_nested() => Some(Level::Set(None)),
                            None => None,
                        };
                        (seg, nest)
                    }
                    Level::Array(elem) => {
                        let nest = match elem {
                            Some(s) => Some(Level::Set(Some(s))),
                            None if a.is_nested() => Some(Level::Set(None)),
                            None => None,
                        };
                        (PathSeg::Index(a.ty() as usize), nest)
                    }
                };
                path.push(seg);
                inner = match nest {
                    Some(Level::Set(s)) => s,
                    _ => None,
                };
                match nest {
                    Some(l) if offset >= pos + NLA_HDRLEN => {
                        level = l;
                        start = pos + NLA_HDRLEN;
                        stop = a_end;
                        continue 'outer;
                    }
                    _ => break 'outer,
                }
            }
            pos = crate::attr::nla_align(a_end);
        }
        // No attribute contains the offset (or the stream ended): stop here.
        break;
    }
    Located { path, inner }
}

// ---------------------------------------------------------------------------------------------
// NLMSG_ERROR / NLMSG_DONE
// ---------------------------------------------------------------------------------------------

/// The request an error refers to, for offset → path resolution.
#[derive(Clone, Copy)]
pub struct RequestContext<'r> {
    /// The request bytes as sent.
    pub bytes: &'r [u8],
    /// Size of the protocol header between the `nlmsghdr` and the family's fixed header:
    /// [`GENL_HDRLEN`] for Generic Netlink, 0 for the netlink-raw protocols (rtnetlink, ...).
    pub proto_hdrlen: usize,
    /// Its family fixed-header size.
    pub hdrsize: usize,
    /// Names for its top-level attributes.
    pub schema: Option<&'static AttrSet>,
}

impl RequestContext<'_> {
    /// Where the request's attributes start.
    fn attrs_start(&self) -> usize {
        NLMSG_HDRLEN + nlmsg_align(self.proto_hdrlen + self.hdrsize)
    }
}

fn error_from_tlvs(errno: i32, tlvs: &[u8], req: Option<RequestContext<'_>>) -> Error {
    let mut msg = None;
    let mut offset = None;
    let mut miss_type = None;
    let mut miss_nest = None;
    let mut policy = None;
    let mut cookie = None;
    // Best effort: a malformed TLV stream still yields the errno.
    for a in Attrs::new(tlvs) {
        let Ok(a) = a else { break };
        match a.ty() {
            NLMSGERR_ATTR_MSG => {
                msg = Some(String::from_utf8_lossy(a.get_str_bytes_lax()).into_owned());
            }
            NLMSGERR_ATTR_OFFS => offset = a.get_u32().ok(),
            NLMSGERR_ATTR_MISS_TYPE => miss_type = a.get_u32().ok(),
            NLMSGERR_ATTR_MISS_NEST => miss_nest = a.get_u32().ok(),
            NLMSGERR_ATTR_POLICY => policy = Policy::decode(a.nested()).ok().map(Box::new),
            NLMSGERR_ATTR_COOKIE => cookie = Some(a.payload().into()),
            _ => {}
        }
    }
    let locate = |off: u32| req.map(|r| locate_at(r.bytes, off as usize, r.attrs_start(), r.schema));
    let path = offset.and_then(|o| locate(o).map(|l| l.path));
    let missing = miss_type.map(|t| {
        let ty = t as u16;
        let (nest, set) = match miss_nest {
            Some(o) => match locate(o) {
                Some(l) => (Some(l.path), l.inner),
                None => (None, None),
            },
            None => (None, req.and_then(|r| r.schema)),
        };
        Box::new(MissingAttr { ty, name: set.and_then(|s| s.name_of(ty)), nest })
    });
    Error::Kernel { errno, msg, path, offset, missing, policy, cookie }
}

/// The `int error` that starts an `NLMSG_ERROR` / `NLMSG_DONE` payload (0 or `-errno`).
fn error_field(p: &[u8]) -> Option<i32> {
    p.get(..4).map(|e| i32::from_ne_bytes([e[0], e[1], e[2], e[3]]))
}

/// A successful end (an ACK with error 0, or the `NLMSG_DONE` of a dump) that carried an
/// extended ACK anyway: the kernel's warning. YNL prints these as `Netlink warning:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `NLMSGERR_ATTR_MSG`, the warning text.
    pub msg: Option<String>,
    /// `NLMSGERR_ATTR_OFFS` turned into an attribute path inside the request.
    pub path: Option<AttrPath>,
    /// The raw offset (from the start of the request's `nlmsghdr`).
    pub offset: Option<u32>,
    /// `NLMSGERR_ATTR_MISS_TYPE` / `_MISS_NEST`.
    pub missing: Option<Box<MissingAttr>>,
    /// `NLMSGERR_ATTR_POLICY`.
    pub policy: Option<Box<Policy>>,
    /// `NLMSGERR_ATTR_COOKIE`.
    pub cookie: Option<Box<[u8]>>,
    /// The header of the message that carried it (`NLMSG_ERROR` or `NLMSG_DONE`).
    pub header: NlMsgHdr,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kernel warning")?;
        if let Some(m) = &self.msg {
            write!(f, ": {m}")?;
        }
        match (&self.path, self.offset) {
            (Some(p), _) => write!(f, " (at {p})")?,
            (None, Some(o)) => write!(f, " (at request offset {o})")?,
            _ => {}
        }
        Ok(())
    }
}

fn warning_from_tlvs(m: &NlMsg<'_>, tlvs: &[u8], req: Option<RequestContext<'_>>) -> Option<Warning> {
    if m.hdr.flags & NLM_F_ACK_TLVS == 0 || tlvs.is_empty() {
        return None;
    }
    let Error::Kernel { msg, path, offset, missing, policy, cookie, .. } = error_from_tlvs(0, tlvs, req) else {
        return None;
    };
    Some(Warning { msg, path, offset, missing, policy, cookie, header: m.hdr })
}

/// The extended-ACK TLVs of an `NLMSG_ERROR` payload `p` (after the errno and the echoed
/// request).
fn error_tlvs<'p>(m: &NlMsg<'_>, p: &'p [u8]) -> &'p [u8] {
    if m.hdr.flags & NLM_F_ACK_TLVS == 0 {
        return &[];
    }
    // The echoed request follows the errno: its header only when capped, else all of it.
    let echoed = p.get(4..).unwrap_or(&[]);
    let skip = if m.hdr.flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        NlMsgHdr::parse(echoed).map(|h| nlmsg_align(h.len as usize)).unwrap_or(NLMSG_HDRLEN)
    };
    echoed.get(skip..).unwrap_or(&[])
}

/// Decode an `NLMSG_ERROR` message like [`parse_error_msg`], but keep the extended ACK of a
/// successful one: `Ok(Some(warning))` for an ACK (error 0) that carried TLVs.
pub fn parse_error_msg_warn(m: &NlMsg<'_>, req: Option<RequestContext<'_>>) -> Result<Option<Warning>, Error> {
    let p = m.payload();
    match error_field(p) {
        Some(0) => Ok(warning_from_tlvs(m, error_tlvs(m, p), req)),
        _ => parse_error_msg(m, req).map(|()| None),
    }
}

/// Decode an `NLMSG_DONE` message like [`parse_done_msg`], but keep the extended ACK of a
/// dump that ended well: `Ok(Some(warning))` when error 0 came with TLVs.
pub fn parse_done_msg_warn(m: &NlMsg<'_>, req: Option<RequestContext<'_>>) -> Result<Option<Warning>, Error> {
    let p = m.payload();
    match error_field(p) {
        Some(0) => Ok(warning_from_tlvs(m, p.get(4..).unwrap_or(&[]), req)),
        _ => parse_done_msg(m, req).map(|()| None),
    }
}

/// Decode an `NLMSG_ERROR` message: `Ok(())` for an ACK (error 0), else [`Error::Kernel`].
pub fn parse_error_msg(m: &NlMsg<'_>, req: Option<RequestContext<'_>>) -> Result<(), Error> {
    let p = m.payload();
    let Some(err) = error_field(p) else {
        return Err(Error::Decode(DecodeError::new(DecodeErrorKind::BadMessage("truncated nlmsgerr"))));
    };
    if err == 0 {
        return Ok(());
    }
    let tlvs = error_tlvs(m, p);
    Err(error_from_tlvs(err.saturating_neg(), tlvs, req))
}

/// Decode an `NLMSG_DONE` message: `Ok(())` when the dump ended well, else [`Error::Kernel`].
pub fn parse_done_msg(m: &NlMsg<'_>, req: Option<RequestContext<'_>>) -> Result<(), Error> {
    let p = m.payload();
    let Some(err) = error_field(p) else {
        return Ok(());
    };
    if err == 0 {
        return Ok(());
    }
    let tlvs = if m.hdr.flags & NLM_F_ACK_TLVS != 0 { &p[4..] } else { &[][..] };
    Err(error_from_tlvs(err.saturating_neg(), tlvs, req))
}

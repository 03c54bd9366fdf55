//! Netlink framing for the fuzzer: building Generic Netlink requests from raw parts, splitting
//! received datagrams into messages, and reading error/done payloads with their extended-ACK
//! attributes (message, offset of the bad attribute, missing attribute).

pub const NLMSG_HDRLEN: usize = 16;
pub const GENL_HDRLEN: usize = 4;
pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const F_REQUEST: u16 = 0x1;
pub const F_MULTI: u16 = 0x2;
pub const F_ACK: u16 = 0x4;
pub const F_DUMP: u16 = 0x300;
const F_CAPPED: u16 = 0x100;
const F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLMSGERR_ATTR_OFFS: u16 = 2;
const NLMSGERR_ATTR_POLICY: u16 = 4;
const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;

/// The netlink header of a message: `len, type, flags, seq, pid`.
pub fn nlmsghdr(len: u32, ty: u16, flags: u16, seq: u32) -> [u8; NLMSG_HDRLEN] {
    let mut h = [0u8; NLMSG_HDRLEN];
    h[0..4].copy_from_slice(&len.to_ne_bytes());
    h[4..6].copy_from_slice(&ty.to_ne_bytes());
    h[6..8].copy_from_slice(&flags.to_ne_bytes());
    h[8..12].copy_from_slice(&seq.to_ne_bytes());
    h
}

/// A whole Generic Netlink message: headers, the family's fixed header bytes, attributes.
pub fn genl_msg(family: u16, flags: u16, seq: u32, cmd: u8, version: u8, fixed: &[u8], attrs: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + GENL_HDRLEN + fixed.len() + attrs.len();
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&nlmsghdr(len as u32, family, flags, seq));
    m.extend_from_slice(&[cmd, version, 0, 0]);
    m.extend_from_slice(fixed);
    m.extend_from_slice(attrs);
    m
}

/// The sync marker sent after every request: a NOOP the kernel acknowledges (netlink acks a
/// message below `NLMSG_MIN_TYPE` without handing it to the family), so its ACK means every
/// answer to the datagram before it is queued.
pub fn sync_msg(seq: u32) -> Vec<u8> {
    nlmsghdr(NLMSG_HDRLEN as u32, NLMSG_NOOP, F_REQUEST | F_ACK, seq).to_vec()
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Msg {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: Vec<u8>,
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

/// The messages of one datagram from the kernel; `Err` names what is malformed (the kernel
/// must never send that).
pub fn split(dgram: &[u8]) -> Result<Vec<Msg>, String> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < dgram.len() {
        let len = u32_at(dgram, off).ok_or("datagram ends inside a message header")? as usize;
        if len < NLMSG_HDRLEN || off + len > dgram.len() {
            return Err(format!("message at {off} claims {len} bytes of {}", dgram.len() - off));
        }
        out.push(Msg {
            ty: u16_at(dgram, off + 4).unwrap_or(0),
            flags: u16_at(dgram, off + 6).unwrap_or(0),
            seq: u32_at(dgram, off + 8).unwrap_or(0),
            payload: dgram[off + NLMSG_HDRLEN..off + len].to_vec(),
        });
        off += (len + 3) & !3;
    }
    Ok(out)
}

/// What an `NLMSG_ERROR` (or a dump's `NLMSG_DONE`) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrInfo {
    /// Positive errno; 0 for an ACK.
    pub errno: i32,
    /// Offset of the offending attribute from the start of the request (`NLMSGERR_ATTR_OFFS`).
    pub offs: Option<u32>,
    /// The extended ACK's text.
    pub msg: Option<String>,
    /// Type of a missing attribute (`NLMSGERR_ATTR_MISS_TYPE`).
    pub miss_type: Option<u32>,
    /// The ACK carries the policy the attribute failed (`NLMSGERR_ATTR_POLICY`).
    pub policy: bool,
}

/// The texts of the kernel's attribute validation (lib/nlattr.c, 6.12 and 7.3) and of the
/// support layer's validation functions (sparse enums): not every validation failure carries
/// the policy TLV (a flags mask, a validation function), so these tell policy rejections from a
/// handler's.
const VALIDATION_TEXTS: &[&str] = &[
    "Array element too short",
    "Attribute failed policy validation",
    "NLA_F_NESTED is missing",
    "NLA_F_NESTED not expected",
    "Unknown attribute type",
    "Unsupported attribute",
    "allowed policy recursion depth exceeded",
    "binary attribute size out of range",
    "bytes leftover after parsing attributes",
    "integer out of range",
    "invalid attribute length",
    "reserved bit set",
    "invalid value",
];

impl ErrInfo {
    /// Policy validation (not a handler) rejected the request.
    pub fn by_policy(&self) -> bool {
        self.errno != 0 && (self.policy || self.msg.as_deref().is_some_and(|m| VALIDATION_TEXTS.contains(&m)))
    }
}

/// Reads the payload of an error (`done == false`) or done message with the message's `flags`.
pub fn parse_err(payload: &[u8], flags: u16, done: bool) -> Result<ErrInfo, String> {
    let code = u32_at(payload, 0).ok_or("error message shorter than its code")? as i32;
    let mut info = ErrInfo { errno: -code, ..ErrInfo::default() };
    let mut off = 4;
    if !done {
        // the request's header, and its payload unless capped
        let req_len = u32_at(payload, 4).ok_or("error message without the request's header")? as usize;
        off += if flags & F_CAPPED != 0 || code == 0 { NLMSG_HDRLEN } else { req_len.max(NLMSG_HDRLEN) };
        off = (off + 3) & !3;
    }
    if flags & F_ACK_TLVS == 0 {
        return Ok(info);
    }
    while off + 4 <= payload.len() {
        let len = u16_at(payload, off).unwrap_or(0) as usize;
        let ty = u16_at(payload, off + 2).unwrap_or(0) & 0x3fff;
        if len < 4 || off + len > payload.len() {
            return Err(format!("extended ACK attribute at {off} claims {len} bytes"));
        }
        let data = &payload[off + 4..off + len];
        match ty {
            NLMSGERR_ATTR_MSG => {
                info.msg = Some(String::from_utf8_lossy(data).trim_end_matches('\0').to_string());
            }
            NLMSGERR_ATTR_OFFS => info.offs = u32_at(data, 0),
            NLMSGERR_ATTR_MISS_TYPE => info.miss_type = u32_at(data, 0),
            NLMSGERR_ATTR_POLICY => info.policy = true,
            _ => {}
        }
        off += (len + 3) & !3;
    }
    Ok(info)
}

/// Offset (from the start of the attribute stream `attrs`) of the attribute reached by
/// following `path`: the first attribute of type `path[0]`, inside it the first of `path[1]`...
pub fn locate(attrs: &[u8], path: &[u16]) -> Option<usize> {
    let (&first, rest) = path.split_first()?;
    let mut off = 0;
    while off + 4 <= attrs.len() {
        let len = u16_at(attrs, off)? as usize;
        let ty = u16_at(attrs, off + 2)? & 0x3fff;
        if len < 4 || off + len > attrs.len() {
            return None;
        }
        if ty == first {
            if rest.is_empty() {
                return Some(off);
            }
            return locate(&attrs[off + 4..off + len], rest).map(|o| off + 4 + o);
        }
        off += (len + 3) & !3;
    }
    None
}

/// Spells a positive errno (`EINVAL`), or its number.
pub fn errno_name(e: i32) -> String {
    if e == 0 {
        return "OK".into();
    }
    nlspec_rt::error::errno_name(e).map(str::to_string).unwrap_or_else(|| format!("errno{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_follows_nests() {
        // [type 1: u32] [type 2 nest: [type 7: u8]]
        let mut a = vec![8, 0, 1, 0, 1, 2, 3, 4];
        a.extend([12, 0, 2, 0x80, 5, 0, 7, 0, 9, 0, 0, 0]);
        assert_eq!(locate(&a, &[1]), Some(0));
        assert_eq!(locate(&a, &[2]), Some(8));
        assert_eq!(locate(&a, &[2, 7]), Some(12));
        assert_eq!(locate(&a, &[3]), None);
    }

    #[test]
    fn error_with_tlvs_is_read() {
        let mut p = (-22i32).to_ne_bytes().to_vec();
        p.extend(nlmsghdr(40, 30, 5, 9));
        p.extend([8, 0, 2, 0, 24, 0, 0, 0]); // OFFS 24
        p.extend([8, 0, 1, 0, b'b', b'a', b'd', 0]);
        let e = parse_err(&p, F_CAPPED | F_ACK_TLVS, false).unwrap();
        assert_eq!(e, ErrInfo { errno: 22, offs: Some(24), msg: Some("bad".into()), miss_type: None, policy: false });
        assert!(split(&[1, 0, 0]).is_err());
    }
}

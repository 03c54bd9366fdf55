//! `--dbg-small-recv`'s receive trace: for every datagram the socket receives, the lines the
//! kernel's YNL CLI prints to stderr with that option: `Recv: read N bytes, M messages`, then
//! one line per netlink message (`nl_len = L (P) nl_flags = 0x.. nl_type = T`, P being the
//! payload bytes present), followed for an error or done message by its error code and its
//! extended ACK as YNL shows them (a Python dict). A datagram cut inside a message is described
//! as far as it goes and the cut named, where YNL would stop with a traceback.

use crate::dynamic::value::{py_bytes, py_str};
use nlspec_rt::error::nl_attr_type_name;
use std::fmt::Write;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// Prints [`describe`] of `datagram` to stderr (the socket's receive trace).
pub fn print(datagram: &[u8]) {
    eprint!("{}", describe(datagram));
}

/// The trace lines of one datagram, each ending in a newline.
pub fn describe(d: &[u8]) -> String {
    let mut msgs = Vec::new();
    let mut cut = None;
    let mut off = 0;
    while off < d.len() {
        let Some(hdr) = d.get(off..off + 16) else {
            cut = Some(format!("   {} bytes left at offset {off}, shorter than a netlink header", d.len() - off));
            break;
        };
        let len = u32::from_ne_bytes(hdr[0..4].try_into().expect("4 bytes")) as usize;
        let ty = u16::from_ne_bytes(hdr[4..6].try_into().expect("2 bytes"));
        let flags = u16::from_ne_bytes(hdr[6..8].try_into().expect("2 bytes"));
        let end = off.saturating_add(len).min(d.len());
        let payload = d.get(off + 16..end).unwrap_or(&[]);
        msgs.push(message(len, ty, flags, payload));
        if len < 16 {
            cut =
                Some(format!("   nl_len {len} at offset {off} is shorter than a netlink header; the rest is not read"));
            break;
        }
        if off + len > d.len() {
            cut = Some(format!("   message at offset {off} runs {} bytes past the datagram", off + len - d.len()));
            break;
        }
        off += len;
    }
    let mut out = format!("Recv: read {} bytes, {} messages\n", d.len(), msgs.len());
    for m in msgs {
        out += "   ";
        out += &m;
        out.push('\n');
    }
    if let Some(c) = cut {
        out += &c;
        out.push('\n');
    }
    out
}

fn message(len: usize, ty: u16, flags: u16, payload: &[u8]) -> String {
    let mut s = format!("nl_len = {len} ({}) nl_flags = 0x{flags:x} nl_type = {ty}", payload.len());
    let extack_off = match ty {
        NLMSG_ERROR => 20,
        NLMSG_DONE => 4,
        _ => return s,
    };
    let error = payload.get(0..4).map_or(0, |b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
    if error != 0 {
        let _ = write!(s, "\n\terror: {error}");
    }
    if flags & NLM_F_ACK_TLVS != 0 {
        let entries = extack(payload.get(extack_off..).unwrap_or(&[]));
        if !entries.is_empty() {
            let _ = write!(s, "\n\textack: {}", py_dict(&entries));
        }
    }
    s
}

/// Attributes of `b` as (type without flags, full length field, payload), as YNL walks them.
fn attrs(b: &[u8]) -> Vec<(u16, u16, &[u8])> {
    let mut out = Vec::new();
    let mut off = 0;
    while let Some(h) = b.get(off..off + 4) {
        let len = u16::from_ne_bytes([h[0], h[1]]);
        let ty = u16::from_ne_bytes([h[2], h[3]]) & NLA_TYPE_MASK;
        let end = (off + usize::from(len)).min(b.len()).max(off + 4);
        out.push((ty, len, &b[off + 4..end]));
        if len < 4 {
            break;
        }
        off += (usize::from(len) + 3) & !3;
    }
    out
}

fn u32_of(p: &[u8]) -> Option<u64> {
    p.get(0..4).map(|b| u64::from(u32::from_ne_bytes(b.try_into().expect("4 bytes"))))
}

fn u64_of(p: &[u8]) -> Option<u64> {
    p.get(0..8).map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes")))
}

/// The extended ACK as YNL's dict: `msg`, `miss-type`, `miss-nest`, `bad-attr-offs`, `policy`,
/// and `unknown` (a list of the other attributes).
fn extack(b: &[u8]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut unknown = Vec::new();
    for (ty, len, p) in attrs(b) {
        let num = |v: Option<u64>| v.map_or_else(|| py_bytes(p), |v| v.to_string());
        match ty {
            1 => out.push(("msg", py_str(&String::from_utf8_lossy(&p[..p.len().saturating_sub(1)])))),
            5 => out.push(("miss-type", num(u32_of(p)))),
            6 => out.push(("miss-nest", num(u32_of(p)))),
            2 => out.push(("bad-attr-offs", num(u32_of(p)))),
            4 => out.push(("policy", policy(p))),
            _ => unknown.push(format!("[type:{ty} len:{len}] {}", py_bytes(p))),
        }
    }
    if !unknown.is_empty() {
        out.push(("unknown", format!("[{}]", unknown.join(", "))));
    }
    out
}

/// `NLMSGERR_ATTR_POLICY` as YNL decodes it (`_genl_decode_policy`).
fn policy(b: &[u8]) -> String {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut set = |k: &'static str, v: String| match out.iter_mut().find(|(n, _)| *n == k) {
        Some(e) => e.1 = v,
        None => out.push((k, v)),
    };
    for (ty, _, p) in attrs(b) {
        let u32v = || u32_of(p).map_or_else(|| py_bytes(p), |v| v.to_string());
        let u64v = || u64_of(p).map_or_else(|| py_bytes(p), |v| v.to_string());
        match ty {
            1 => set(
                "type",
                // YNL names NL_ATTR_TYPE_FLAG (1) .. NL_ATTR_TYPE_UINT (17); others as numbers.
                match u32_of(p) {
                    Some(t @ 1..=17) => py_str(nl_attr_type_name(t as u32)),
                    _ => u32v(),
                },
            ),
            2 => set("min-value", u64_of(p).map_or_else(|| py_bytes(p), |v| (v as i64).to_string())),
            3 => set("max-value", u64_of(p).map_or_else(|| py_bytes(p), |v| (v as i64).to_string())),
            4 => set("min-value", u64v()),
            5 => set("max-value", u64v()),
            6 => set("min-length", u32v()),
            7 => set("max-length", u32v()),
            8 => set("policy-idx", u32v()),
            10 => set("bitfield32-mask", u32v()),
            12 => set("mask", u64v()),
            _ => {}
        }
    }
    py_dict(&out)
}

fn py_dict(entries: &[(&str, String)]) -> String {
    let body: Vec<String> = entries.iter().map(|(k, v)| format!("{}: {v}", py_str(k))).collect();
    format!("{{{}}}", body.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(ty: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&(16 + payload.len() as u32).to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(payload);
        m
    }

    fn attr(ty: u16, p: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&(4 + p.len() as u16).to_ne_bytes());
        a.extend_from_slice(&ty.to_ne_bytes());
        a.extend_from_slice(p);
        a.resize((a.len() + 3) & !3, 0);
        a
    }

    #[test]
    fn dump_datagram_like_ynl() {
        let mut d = msg(0x10, 0x2, &[1, 2, 3, 4]);
        d.extend(msg(NLMSG_DONE, 0x2, &0i32.to_ne_bytes()));
        assert_eq!(
            describe(&d),
            "Recv: read 40 bytes, 2 messages\n   nl_len = 20 (4) nl_flags = 0x2 nl_type = 16\n   \
             nl_len = 20 (4) nl_flags = 0x2 nl_type = 3\n"
        );
    }

    #[test]
    fn error_with_extended_ack() {
        let mut p = (-22i32).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 16]);
        p.extend(attr(1, b"it's bad\0"));
        p.extend(attr(2, &24u32.to_ne_bytes()));
        let mut pol = attr(1, &3u32.to_ne_bytes());
        pol.extend(attr(5, &100u64.to_ne_bytes()));
        p.extend(attr(4, &pol));
        p.extend(attr(3, &[7, 0x27]));
        let d = msg(NLMSG_ERROR, 0x300, &p);
        assert_eq!(
            describe(&d),
            format!(
                "Recv: read {} bytes, 1 messages\n   nl_len = {} ({}) nl_flags = 0x300 nl_type = 2\n\terror: -22\n\t\
                 extack: {{'msg': \"it's bad\", 'bad-attr-offs': 24, 'policy': {{'type': 'u16', 'max-value': 100}}, \
                 'unknown': [[type:3 len:6] b\"\\x07'\"]}}\n",
                d.len(),
                d.len(),
                d.len() - 16
            )
        );
    }

    #[test]
    fn cut_datagrams_are_named_not_panicked_on() {
        let d = msg(0x10, 0, &[0; 8]);
        assert!(describe(&d[..10]).contains("shorter than a netlink header"));
        assert!(describe(&d[..20]).contains("runs 4 bytes past the datagram"));
        let mut zero = d.clone();
        zero[0..4].copy_from_slice(&0u32.to_ne_bytes());
        assert!(describe(&zero).contains("nl_len 0 at offset 0"));
        for n in 0..d.len() {
            let _ = describe(&d[..n]);
        }
    }
}

//! Mutations of a valid request (whole netlink message bytes: `nlmsghdr`, genl header, fixed
//! header, attributes): wrong attribute types and lengths, truncated messages and attributes,
//! deep nesting, unknown attributes and commands, bad or short genl headers, garbage
//! `nlmsg_len`, flipped bytes. Each returns the datagram to send and a short name for the
//! statistics.

use crate::rng::Rng;
use crate::wire::{GENL_HDRLEN, NLMSG_HDRLEN};

const NLA_F_NESTED: u16 = 0x8000;
const NLA_F_NET_BYTEORDER: u16 = 0x4000;

/// Every mutation's name, in the order [`mutate`] numbers them.
pub const NAMES: &[&str] = &[
    "attr-type",
    "attr-len",
    "truncate",
    "truncate-keep-len",
    "deep-nest",
    "unknown-attr",
    "unknown-cmd",
    "genl-header",
    "short-message",
    "nlmsg-len",
    "flip-bytes",
    "dump-flag",
    "two-messages",
];

/// Top-level attribute offsets (start of each header) in `msg` from `start`.
fn attr_offsets(msg: &[u8], start: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut off = start;
    while off + 4 <= msg.len() {
        let len = u16::from_ne_bytes([msg[off], msg[off + 1]]) as usize;
        if len < 4 || off + len > msg.len() {
            break;
        }
        out.push(off);
        // descend into nests too, so inner attributes get mutated
        let ty = u16::from_ne_bytes([msg[off + 2], msg[off + 3]]);
        if ty & NLA_F_NESTED != 0 {
            let inner = attr_offsets(&msg[..off + len], off + 4);
            out.extend(inner);
        }
        off += (len + 3) & !3;
    }
    out
}

fn set_len(msg: &mut [u8]) {
    let l = msg.len() as u32;
    msg[0..4].copy_from_slice(&l.to_ne_bytes());
}

/// A mutated copy of `msg` (a valid request whose attributes start at `attrs_at`); `max_type`
/// is the highest attribute type of the request's set, `cmds` the family's command numbers.
pub fn mutate(rng: &mut Rng, msg: &[u8], attrs_at: usize, max_type: u16, cmds: &[u8]) -> (Vec<u8>, &'static str) {
    let mut m = msg.to_vec();
    let which = rng.below(NAMES.len() as u64) as usize;
    let offs = attr_offsets(&m, attrs_at);
    match which {
        // an attribute's type: another known one, an unknown one, 0, or flag bits toggled
        0 => {
            if let Some(&o) = rng.pick(&offs) {
                let ty = u16::from_ne_bytes([m[o + 2], m[o + 3]]);
                let new = match rng.below(4) {
                    0 => (rng.below(max_type as u64 + 1) as u16) | (ty & NLA_F_NESTED),
                    1 => max_type.saturating_add(1 + rng.below(8) as u16) & 0x3fff,
                    2 => ty & !0x3fff,
                    _ => ty ^ if rng.chance(1, 2) { NLA_F_NESTED } else { NLA_F_NET_BYTEORDER },
                };
                m[o + 2..o + 4].copy_from_slice(&new.to_ne_bytes());
            }
        }
        // an attribute's length: 0..3, one less/more, past the end
        1 => {
            if let Some(&o) = rng.pick(&offs) {
                let len = u16::from_ne_bytes([m[o], m[o + 1]]);
                let new = match rng.below(4) {
                    0 => rng.below(4) as u16,
                    1 => len.saturating_sub(1 + rng.below(4) as u16),
                    2 => len.saturating_add(1 + rng.below(4) as u16),
                    _ => (m.len() - o + 4 + rng.below(64) as usize).min(u16::MAX as usize) as u16,
                };
                m[o..o + 2].copy_from_slice(&new.to_ne_bytes());
            }
        }
        // cut the message anywhere after the netlink header, fixing nlmsg_len
        2 | 3 => {
            if m.len() > NLMSG_HDRLEN {
                let cut = NLMSG_HDRLEN + rng.below((m.len() - NLMSG_HDRLEN) as u64) as usize;
                m.truncate(cut);
                if which == 2 {
                    set_len(&mut m);
                }
            }
        }
        // a chain of nests, deep enough to hit the nesting limit, on a real or unknown type
        4 => {
            let depth = 8 + rng.below(120) as usize;
            let ty = if let Some(&o) = rng.pick(&offs) {
                u16::from_ne_bytes([m[o + 2], m[o + 3]]) & 0x3fff
            } else {
                1 + rng.below(max_type.max(1) as u64) as u16
            };
            let mut inner: Vec<u8> = Vec::new();
            for _ in 0..depth {
                let len = 4 + inner.len();
                if len > u16::MAX as usize {
                    break;
                }
                let mut n = (len as u16).to_ne_bytes().to_vec();
                n.extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
                n.extend_from_slice(&inner);
                inner = n;
            }
            m.truncate(attrs_at.min(m.len()));
            m.extend_from_slice(&inner);
            set_len(&mut m);
        }
        // unknown attribute types appended (with and without payload)
        5 => {
            for _ in 0..1 + rng.below(3) {
                let ty = max_type.saturating_add(1 + rng.below(200) as u16) & 0x3fff;
                let plen = rng.below(9) as usize;
                m.extend_from_slice(&((4 + plen) as u16).to_ne_bytes());
                m.extend_from_slice(&ty.to_ne_bytes());
                m.extend((0..plen).map(|_| rng.next_u64() as u8));
                while m.len() & 3 != 0 {
                    m.push(0);
                }
            }
            set_len(&mut m);
        }
        // a command number the family does not have
        6 => {
            let free: Vec<u8> = (0..=255u8).filter(|c| !cmds.contains(c)).collect();
            if let (Some(&c), true) = (rng.pick(&free), m.len() > NLMSG_HDRLEN) {
                m[NLMSG_HDRLEN] = c;
            }
        }
        // the genl header's version and reserved bytes
        7 => {
            if m.len() >= NLMSG_HDRLEN + GENL_HDRLEN {
                m[NLMSG_HDRLEN + 1 + rng.below(3) as usize] = rng.next_u64() as u8;
            }
        }
        // shorter than the genl header (and its fixed header)
        8 => {
            let keep = NLMSG_HDRLEN + rng.below((attrs_at - NLMSG_HDRLEN) as u64) as usize;
            m.truncate(keep.min(m.len()));
            set_len(&mut m);
        }
        // nlmsg_len that lies: 0, below the header, one off, beyond the datagram
        9 => {
            let l = match rng.below(5) {
                0 => 0,
                1 => rng.below(NLMSG_HDRLEN as u64) as u32,
                2 => m.len() as u32 - 1,
                3 => m.len() as u32 + 1 + rng.below(4096) as u32,
                _ => u32::MAX - rng.below(16) as u32,
            };
            m[0..4].copy_from_slice(&l.to_ne_bytes());
        }
        // random bytes flipped after the netlink header
        10 => {
            for _ in 0..1 + rng.below(4) {
                if m.len() > NLMSG_HDRLEN {
                    let i = NLMSG_HDRLEN + rng.below((m.len() - NLMSG_HDRLEN) as u64) as usize;
                    m[i] ^= 1 << rng.below(8);
                }
            }
        }
        // NLM_F_DUMP toggled: a dump of a do-only op, a do of a dump-only one
        11 => {
            let f = u16::from_ne_bytes([m[6], m[7]]) ^ 0x300;
            m[6..8].copy_from_slice(&f.to_ne_bytes());
        }
        // the request followed by a second, garbled copy in the same datagram
        _ => {
            let mut second = msg.to_vec();
            let i = rng.below(second.len() as u64) as usize;
            second[i] = rng.next_u64() as u8;
            while m.len() & 3 != 0 {
                m.push(0);
            }
            m.extend_from_slice(&second);
        }
    }
    (m, NAMES[which])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutation_runs_on_small_and_empty_requests() {
        let msg = crate::wire::genl_msg(30, 5, 1, 1, 1, &[], &[8, 0, 1, 0, 1, 0, 0, 0]);
        let empty = crate::wire::genl_msg(30, 5, 1, 1, 1, &[], &[]);
        let mut rng = Rng::new(3);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..5000 {
            let (m, name) = mutate(&mut rng, if i % 2 == 0 { &msg } else { &empty }, 20, 9, &[1, 2]);
            assert!(m.len() >= crate::wire::NLMSG_HDRLEN, "{name} cut into the netlink header");
            seen.insert(name);
        }
        assert_eq!(seen.len(), NAMES.len());
    }
}

//! Hand-written decoders of nlctrl's family reply, one per view design, to measure designs
//! before the generator emits one (`decode designs` groups of `peers.rs`). Each is strict in
//! what it reads: a malformed attribute it walks over is an error, never skipped; what a
//! design does not read it does not check.
//!
//! - `Pass`: one pass over the message's top level at decode (every top-level attribute's
//!   framing and scalar width checked, nests kept as raw bytes), nests walked once each when
//!   read (their errors reported then).
//! - `scan`: nothing at decode; each getter walks from the first attribute to the one it wants.

use nlspec_rt::{Attr, AttrWalk, DecodeError};

const FAMILY_ID: u16 = 1;
const FAMILY_NAME: u16 = 2;
const VERSION: u16 = 3;
const HDRSIZE: u16 = 4;
const MAXATTR: u16 = 5;
const OPS: u16 = 6;
const MCAST_GROUPS: u16 = 7;
const OP_ID: u16 = 1;
const OP_FLAGS: u16 = 2;
const GRP_NAME: u16 = 1;
const GRP_ID: u16 = 2;

/// The top level read in one pass; nests as raw attributes.
#[derive(Default, Clone, Copy)]
pub struct Pass<'a> {
    pub family_id: Option<u16>,
    name: Option<&'a [u8]>,
    pub version: Option<u32>,
    pub hdrsize: Option<u32>,
    pub maxattr: Option<u32>,
    ops: Option<Attr<'a>>,
    mcast_groups: Option<Attr<'a>>,
}

impl<'a> Pass<'a> {
    #[inline]
    pub fn decode(raw: &'a [u8]) -> Result<Self, DecodeError> {
        let mut v = Self::default();
        let mut walk = AttrWalk::new(raw);
        for a in walk.by_ref() {
            match a.ty() {
                FAMILY_ID => v.family_id = Some(a.get_u16()?),
                FAMILY_NAME => v.name = Some(a.get_str_bytes_lax()),
                VERSION => v.version = Some(a.get_u32()?),
                HDRSIZE => v.hdrsize = Some(a.get_u32()?),
                MAXATTR => v.maxattr = Some(a.get_u32()?),
                OPS => v.ops = Some(a),
                MCAST_GROUPS => v.mcast_groups = Some(a),
                _ => {}
            }
        }
        walk.finish()?;
        Ok(v)
    }

    #[inline]
    pub fn family_name(&self) -> Option<&'a str> {
        self.name.map(nlspec_rt::display::utf8_prefix)
    }

    /// Each op's (id, flags), walked now: an error where the nest is malformed.
    #[inline]
    pub fn for_each_op(&self, mut f: impl FnMut(Option<u32>, Option<u32>)) -> Result<(), DecodeError> {
        let Some(ops) = self.ops else { return Ok(()) };
        let mut outer = AttrWalk::new(ops.payload());
        for e in outer.by_ref() {
            let (mut id, mut flags) = (None, None);
            let mut inner = AttrWalk::new(e.payload());
            for a in inner.by_ref() {
                match a.ty() {
                    OP_ID => id = Some(a.get_u32()?),
                    OP_FLAGS => flags = Some(a.get_u32()?),
                    _ => {}
                }
            }
            inner.finish()?;
            f(id, flags);
        }
        outer.finish()
    }

    /// Each multicast group's (id, name), walked now.
    #[inline]
    pub fn for_each_group(&self, mut f: impl FnMut(Option<u32>, Option<&'a str>)) -> Result<(), DecodeError> {
        let Some(groups) = self.mcast_groups else { return Ok(()) };
        let mut outer = AttrWalk::new(groups.payload());
        for e in outer.by_ref() {
            let (mut id, mut name) = (None, None);
            let mut inner = AttrWalk::new(e.payload());
            for a in inner.by_ref() {
                match a.ty() {
                    GRP_ID => id = Some(a.get_u32()?),
                    GRP_NAME => name = Some(nlspec_rt::display::utf8_prefix(a.get_str_bytes_lax())),
                    _ => {}
                }
            }
            inner.finish()?;
            f(id, name);
        }
        outer.finish()
    }
}

/// The payload of the first attribute of type `ty`, walking from the start; a malformed
/// header before it (or, when it is absent, anywhere) is an error.
#[inline]
fn scan(raw: &[u8], ty: u16) -> Result<Option<&[u8]>, DecodeError> {
    let mut b = raw;
    while b.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([b[0], b[1]]));
        if len < 4 || len > b.len() {
            return Err(DecodeError::other("attribute header overruns the message"));
        }
        if u16::from_ne_bytes([b[2], b[3]]) & nlspec_rt::attr::NLA_TYPE_MASK == ty {
            return Ok(Some(&b[4..len]));
        }
        b = &b[((len + 3) & !3).min(b.len())..];
    }
    if b.is_empty() {
        Ok(None)
    } else {
        Err(DecodeError::other("trailing bytes after the last attribute"))
    }
}

/// `family-id` by scanning.
#[inline]
pub fn scan_family_id(raw: &[u8]) -> Result<Option<u16>, DecodeError> {
    scan(raw, FAMILY_ID)?
        .map(|p| {
            <[u8; 2]>::try_from(p).map(u16::from_ne_bytes).map_err(|_| DecodeError::other("family-id is not 2 bytes"))
        })
        .transpose()
}

/// `family-name` by scanning (up to its NUL, the valid UTF-8 prefix).
#[inline]
pub fn scan_family_name(raw: &[u8]) -> Result<Option<&str>, DecodeError> {
    Ok(scan(raw, FAMILY_NAME)?.map(|p| {
        let p = p.iter().position(|&c| c == 0).map_or(p, |n| &p[..n]);
        nlspec_rt::display::utf8_prefix(p)
    }))
}

/// A `u32` attribute by scanning.
#[inline]
pub fn scan_u32(raw: &[u8], ty: u16) -> Result<Option<u32>, DecodeError> {
    scan(raw, ty)?
        .map(|p| <[u8; 4]>::try_from(p).map(u32::from_ne_bytes).map_err(|_| DecodeError::other("not 4 bytes")))
        .transpose()
}

/// Every attribute the full walk reads, each through a scanning getter (the top level
/// rescanned per getter, each array element's members scanned).
#[inline]
pub fn scan_full_walk(raw: &[u8]) -> Result<u64, DecodeError> {
    let mut sum = u64::from(scan_family_id(raw)?.unwrap_or(0)) * 1000;
    sum += scan_family_name(raw)?.map_or(0, |n| n.len() as u64);
    for ty in [VERSION, HDRSIZE, MAXATTR] {
        sum += u64::from(scan_u32(raw, ty)?.unwrap_or(0));
    }
    if let Some(ops) = scan(raw, OPS)? {
        let mut outer = AttrWalk::new(ops);
        for e in outer.by_ref() {
            let p = e.payload();
            sum += u64::from(scan_u32(p, OP_ID)?.unwrap_or(0)) + u64::from(scan_u32(p, OP_FLAGS)?.unwrap_or(0));
        }
        outer.finish()?;
    }
    if let Some(groups) = scan(raw, MCAST_GROUPS)? {
        let mut outer = AttrWalk::new(groups);
        for e in outer.by_ref() {
            let p = e.payload();
            sum += u64::from(scan_u32(p, GRP_ID)?.unwrap_or(0));
            sum += scan(p, GRP_NAME)?.map_or(0, |n| {
                let n = n.iter().position(|&c| c == 0).map_or(n, |k| &n[..k]);
                nlspec_rt::display::utf8_prefix(n).len() as u64
            });
        }
        outer.finish()?;
    }
    Ok(sum)
}

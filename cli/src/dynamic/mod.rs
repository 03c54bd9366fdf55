//! Spec-driven encoding and decoding of Generic Netlink messages at run time, for the `nlspec`
//! CLI (`--do`, `--dump`, `--subscribe`).
//!
//! Nothing here is generated: the codec walks the resolved [`nlspec_model::ir::Family`]. Requests are
//! built from JSON objects ([`encode`]) and replies are decoded into [`Value`]s ([`decode`])
//! that have the same shape and values as the kernel's own YNL library
//! (`tools/net/ynl/pyynl/lib/ynl.py`) produces for the same spec and bytes:
//!
//! - enums as entry names, flags (and `enum-as-flags`) as sets of names (JSON: sorted lists),
//!   values without an entry as `Unknown(<n>)`;
//! - binary as hex strings, or per `display-hint` (`hex` → `"aa bb"`, `mac`, `ipv4`, `ipv6`,
//!   `uuid`); binary with `struct` as maps, with `sub-type` as lists of scalars;
//! - `indexed-array` as a list (elements of nests as `{index: {...}}`), `nest-type-value` as a
//!   map of the type-value names and the inner attributes, `bitfield32` as
//!   `{"value", "selector"}`, `multi-attr` as lists, flags as `true`, pads skipped;
//! - fixed headers merged into the top-level map;
//! - attributes missing from the spec as `UnknownAttr(<type>)` (nests decoded, else bytes).
//!
//! # Why this codec mirrors the generator's attribute kinds instead of sharing them
//!
//! The code generator keeps each attribute kind in one type of `nlspec_codegen::attr`
//! (`Scalar`, `Str`, `Binary`, `Flag`, `Nest`, `IndexedArray`, `NestTypeValue`, `Bitfield32`,
//! `SubMessage`, `Pad`; `attr::gen` picks it) implementing `AttrGen`, whose methods return
//! token streams: Rust source written at build time into the client crate (stored type, parse,
//! view, owned form, builder `put`, schema entry) and into the kernel module (`kernel_policy`,
//! `kernel_get`, `kernel_put`), typed with the names of the generated types (enum and flags
//! newtypes, structs, set views). This codec has no generated types to name and nothing to
//! emit: it acts at run time on values, `serde_json` objects in and [`Value`]s out, and those
//! values take the shapes of the Python objects of the kernel's YNL (`ynl.py`), not of the
//! generated API: an enum is its entry name and a flags value a set of names where the client
//! has a newtype, binary is hex or its display-hint rendering where the client has `&[u8]` or a
//! struct, an indexed-array is `[{index: {...}}]` where the client has an iterator of
//! `(index, view)`, an attribute the spec lacks is `UnknownAttr(N)`; and input is as lax as
//! YNL's `--json` (integers as decimal strings, enum and display-hint strings) where a generated
//! builder takes typed arguments. Sharing the kind types would give each a token half and a
//! value half with nothing in common but the kind's name. What is shared is what decides what
//! an attribute is: both sides load the spec with the same `nlspec_model::load_and_resolve`
//! and walk the same resolved IR ([`nlspec_model::ir`]), so the kind
//! ([`nlspec_model::ir::AttrKind`], with its nested set, indexed-array sub-type, nest-type-value
//! levels and sub-message selector), integer width and signedness (`AttrKind::ty`,
//! `AttrType::int_width`), byte order, enum/flags and `enum-as-flags`, struct layouts, binary
//! `sub-type` and display hints are resolved once, in `nlspec_model`; replies are walked with
//! the runtime's `nlspec_rt::Attrs`, as the generated views walk them. What is mirrored is how
//! each kind goes to and from the wire: the generator's per-kind `parse`/`put`, and here one
//! `match` over `AttrKind` per direction (in [`Encoder`], JSON → attribute; in [`Decoder`],
//! attribute → [`Value`]), plus the decoder's nesting limit (32, the generated clients'
//! `MAX_NEST_DEPTH`). Both matches, like `attr::gen`, name every `AttrKind` variant without a
//! catch-all, so a kind added to the IR does not compile until both sides handle it. What keeps
//! the two consistent is that each is tested against the same references, not against each
//! other (no test passes the same bytes through both): this codec against the kernel's own YNL,
//! offline in `cli/tests/cli_codec.rs` (the same JSON must encode to the bytes of YNL's
//! `_add_attr`, and those bytes must decode, ours and YNL's `_decode`, to the same JSON text:
//! an encode → decode round trip per case, for the nlkv showcase spec with every attribute
//! kind, nlctrl and rt-link's sub-messages) and live in `cli/tests/cli_live.rs` (`nlspec` next
//! to YNL's `cli.py` against the running kernel: every dump of the host's upstream families,
//! netlink-raw families, notifications, `--policy`, `--multi`, the pretty form); the generated
//! code by the round trips of `codegen/tests/client_roundtrip.rs` (generated encoders →
//! generated views, every nlkv kind, proptest), the live nlctrl client and the VM suite
//! (the generated client against the module built from the generated kernel code).

pub mod decode;
pub mod encode;
pub mod value;

pub use decode::{DecodeError, Decoder};
pub use encode::{EncodeError, Encoder};
pub use value::{Key, Value};

use std::fmt;

use nlspec_model::ir::{AttrType, ByteOrder, DisplayHint, Enum, EnumKind, Family, MemberType, StructId};

/// A codec failure ([`DecodeError`], [`EncodeError`]): where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    /// Path of the offending attribute or JSON value, outermost first (`.ops[1].flags`);
    /// empty for the top level.
    pub path: String,
    /// What is wrong (and, for input, what would be valid).
    pub msg: String,
}

impl CodecError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        CodecError { path: String::new(), msg: msg.into() }
    }
    /// Prepend an enclosing level (`.name` or `[i]`) while unwinding.
    pub(crate) fn within(mut self, seg: &str) -> Self {
        self.path = format!("{seg}{}", self.path);
        self
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.msg)
        } else {
            write!(f, "at {}: {}", self.path, self.msg)
        }
    }
}

impl std::error::Error for CodecError {}

/// Size in bytes of a message's fixed header (`None`: no fixed header, 0): where the header
/// bytes end that [`Decoder::message`] takes apart from the attributes.
pub(crate) fn struct_size(fam: &Family, st: Option<StructId>) -> usize {
    st.and_then(|s| fam.struct_(s).size).unwrap_or(0)
}

/// Width and signedness of a fixed-width scalar attribute type.
pub(crate) fn int_type(t: AttrType) -> Option<(usize, bool)> {
    t.int_width()
}

/// Width and signedness of a scalar struct member.
pub(crate) fn member_int(t: MemberType) -> Option<(usize, bool)> {
    Some(match t {
        MemberType::U8 => (1, false),
        MemberType::U16 => (2, false),
        MemberType::U32 => (4, false),
        MemberType::U64 => (8, false),
        MemberType::S8 => (1, true),
        MemberType::S16 => (2, true),
        MemberType::S32 => (4, true),
        MemberType::S64 => (8, true),
        _ => return None,
    })
}

/// Read an integer of exactly `b.len()` bytes (1, 2, 4 or 8).
pub(crate) fn read_int(b: &[u8], signed: bool, order: Option<ByteOrder>) -> i128 {
    let mut buf = [0u8; 8];
    let n = b.len().min(8);
    match order {
        Some(ByteOrder::BigEndian) => buf[8 - n..].copy_from_slice(&b[..n]),
        Some(ByteOrder::LittleEndian) => buf[..n].copy_from_slice(&b[..n]),
        None if cfg!(target_endian = "big") => buf[8 - n..].copy_from_slice(&b[..n]),
        None => buf[..n].copy_from_slice(&b[..n]),
    }
    let big = matches!(order, Some(ByteOrder::BigEndian)) || (order.is_none() && cfg!(target_endian = "big"));
    let u = if big { u64::from_be_bytes(buf) } else { u64::from_le_bytes(buf) };
    if signed && (1..8).contains(&n) {
        let shift = 64 - 8 * n as u32;
        (((u << shift) as i64) >> shift) as i128
    } else if signed {
        u as i64 as i128
    } else {
        u as i128
    }
}

/// Write `v` as `width` bytes; `None` if it does not fit.
pub(crate) fn write_int(v: i128, width: usize, signed: bool, order: Option<ByteOrder>) -> Option<Vec<u8>> {
    let bits = 8 * width as u32;
    let (lo, hi): (i128, i128) =
        if signed { (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1) } else { (0, (1i128 << bits) - 1) };
    if v < lo || v > hi {
        return None;
    }
    let u = v as u64;
    let big = matches!(order, Some(ByteOrder::BigEndian)) || (order.is_none() && cfg!(target_endian = "big"));
    Some(if big { u.to_be_bytes()[8 - width..].to_vec() } else { u.to_le_bytes()[..width].to_vec() })
}

/// Whether values of this enum are decoded/encoded as a set of bit names.
pub(crate) fn as_flags(e: &Enum, enum_as_flags: bool) -> bool {
    e.kind == EnumKind::Flags || enum_as_flags
}

/// Decode an enum value the way YNL's `_decode_enum` does.
pub(crate) fn decode_enum(e: &Enum, enum_as_flags: bool, raw: i128) -> Value {
    let name_of = |i: u64| -> String {
        match e.entries.iter().find(|x| x.raw == i) {
            Some(x) => x.name.clone(),
            None => format!("Unknown({i})"),
        }
    };
    if as_flags(e, enum_as_flags) {
        let mut set = Vec::new();
        let mut raw = raw as u128 & u64::MAX as u128;
        let mut i = 0u64;
        while raw != 0 {
            if raw & 1 == 1 {
                set.push(name_of(i));
            }
            raw >>= 1;
            i += 1;
        }
        Value::Set(set)
    } else if raw < 0 {
        Value::Str(format!("Unknown({raw})"))
    } else {
        Value::Str(name_of(raw as u64))
    }
}

/// Format an integer per display hint, as YNL's `_formatted_string`.
pub(crate) fn format_int(v: i128, hint: DisplayHint) -> Value {
    match hint {
        DisplayHint::Hex => Value::Str(if v < 0 { format!("-0x{:x}", -v) } else { format!("0x{v:x}") }),
        DisplayHint::Ipv4 | DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6 if v >= 0 => {
            if v < (1i128 << 32) {
                Value::Str(std::net::Ipv4Addr::from(v as u32).to_string())
            } else {
                Value::Str(ipv6_str(std::net::Ipv6Addr::from(v as u128)))
            }
        }
        _ => Value::Int(v),
    }
}

/// Python's `str(IPv6Address)`: compressed, and IPv4-mapped addresses with a dotted tail.
fn ipv6_str(a: std::net::Ipv6Addr) -> String {
    a.to_string()
}

/// Format bytes per display hint, as YNL's `_formatted_string`.
pub(crate) fn format_bytes(b: &[u8], hint: DisplayHint) -> Value {
    let join = |sep: &str| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(sep);
    match hint {
        DisplayHint::Mac => Value::Str(join(":")),
        DisplayHint::Hex => Value::Str(join(" ")),
        DisplayHint::Ipv4 | DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6 => match b.len() {
            4 => Value::Str(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                Value::Str(ipv6_str(std::net::Ipv6Addr::from(a)))
            }
            _ => Value::Bytes(b.to_vec()),
        },
        DisplayHint::Uuid if b.len() == 16 => {
            let h = join("");
            Value::Str(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
        }
        _ => Value::Bytes(b.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_round_trip() {
        for (v, w, s) in [
            (-1i128, 1, true),
            (255, 1, false),
            (-32768, 2, true),
            (0xdead_beef, 4, false),
            (i64::MIN as i128, 8, true),
        ] {
            for o in [None, Some(ByteOrder::BigEndian), Some(ByteOrder::LittleEndian)] {
                let b = write_int(v, w, s, o).unwrap();
                assert_eq!(read_int(&b, s, o), v);
            }
        }
        assert!(write_int(256, 1, false, None).is_none());
        assert!(write_int(-1, 4, false, None).is_none());
    }

    #[test]
    fn hints() {
        assert_eq!(format_int(31, DisplayHint::Hex), Value::Str("0x1f".into()));
        assert_eq!(format_int(0x7f000001, DisplayHint::Ipv4), Value::Str("127.0.0.1".into()));
        assert_eq!(format_bytes(&[1, 0xab], DisplayHint::Hex), Value::Str("01 ab".into()));
        assert_eq!(format_bytes(&[0, 1, 2, 3, 4, 5], DisplayHint::Mac), Value::Str("00:01:02:03:04:05".into()));
    }
}

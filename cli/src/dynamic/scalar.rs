//! What both directions know about single values: integer widths, signedness and byte orders
//! on the wire ([`read_int`], [`write_int`]), enum and flag values ([`as_flags`],
//! [`decode_enum`]), YNL's display-hint renderings ([`format_int`], [`format_bytes`]), and the
//! size of a fixed header ([`struct_size`]).

use nlspec_model::ir::{AttrType, ByteOrder, DisplayHint, Enum, EnumKind, Family, MemberType, StructId};

use super::value::Value;

/// Size in bytes of a message's fixed header (`None`: no fixed header, 0): where the header
/// bytes end that [`Decoder::message`](super::Decoder::message) takes apart from the attributes.
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

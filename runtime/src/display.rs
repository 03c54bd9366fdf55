//! Formatting helpers used by generated clients' `Debug` impls and getters: display hints
//! (hex, MAC, IP addresses, UUID), flag sets, lists from iterators, and UTF-8 prefixes.

use std::fmt;

/// How a byte string prints (the spec's `display-hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// No hint: a byte list.
    Raw,
    /// Hex digits.
    Hex,
    /// `aa:bb:cc:dd:ee:ff`.
    Mac,
    /// Dotted quad (4 bytes).
    Ipv4,
    /// IPv6 notation (16 bytes).
    Ipv6,
    /// IPv4 or IPv6 by length.
    Ip,
    /// `8-4-4-4-12` hex groups (16 bytes).
    Uuid,
}

/// Bytes printed according to a [`Hint`]; lengths that do not fit the hint print as hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bytes<'a>(pub &'a [u8], pub Hint);

fn hex(f: &mut fmt::Formatter<'_>, b: &[u8], sep: &str) -> fmt::Result {
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{x:02x}")?;
    }
    Ok(())
}

impl fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        match (self.1, b.len()) {
            (Hint::Raw, _) => fmt::Debug::fmt(b, f),
            (Hint::Mac, _) => hex(f, b, ":"),
            (Hint::Ipv4 | Hint::Ip, 4) => {
                write!(f, "{}", std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]))
            }
            (Hint::Ipv6 | Hint::Ip, 16) => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                write!(f, "{}", std::net::Ipv6Addr::from(a))
            }
            (Hint::Uuid, 16) => {
                hex(f, &b[..4], "")?;
                for r in [4..6, 6..8, 8..10, 10..16] {
                    f.write_str("-")?;
                    hex(f, &b[r], "")?;
                }
                Ok(())
            }
            _ => hex(f, b, ""),
        }
    }
}

/// An integer printed in hex (`0x1f`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hex<T>(pub T);

impl<T: fmt::LowerHex> fmt::Debug for Hex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// The items of a cloneable iterator, printed as a list (without collecting them).
#[derive(Clone)]
pub struct List<I>(pub I);

impl<I> fmt::Debug for List<I>
where
    I: Iterator + Clone,
    I::Item: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.clone()).finish()
    }
}

/// A value read fallibly, for `Debug`: the value, or the error of reading it (what generated
/// views print for an element that is malformed).
pub struct Fallible<T>(pub Result<T, crate::DecodeError>);

impl<T: fmt::Debug> fmt::Debug for Fallible<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Ok(v) => v.fmt(f),
            Err(e) => Malformed(e.clone()).fmt(f),
        }
    }
}

/// A decode error, for `Debug`: `<malformed: ...>` where a view shows what it could not read.
pub struct Malformed(pub crate::DecodeError);

impl fmt::Debug for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<malformed: {}>", self.0)
    }
}

/// For a generated view's `Debug`: attribute `name` as its getter read it, `got`: the value
/// when present, nothing when absent, what is malformed in it (a [`Malformed`]) when it could
/// not be read.
///
/// ```
/// use nlspec_rt::display::{attr, attr_as, Hex};
/// use nlspec_rt::DecodeError;
/// struct V(Result<Option<u32>, DecodeError>);
/// impl std::fmt::Debug for V {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         let mut d = f.debug_struct("V");
///         attr(&mut d, "id", self.0.clone());
///         attr_as(&mut d, "mask", self.0.clone(), Hex);
///         d.finish()
///     }
/// }
/// assert_eq!(format!("{:?}", V(Ok(Some(255)))), "V { id: 255, mask: 0xff }");
/// assert_eq!(format!("{:?}", V(Ok(None))), "V");
/// ```
pub fn attr<T: fmt::Debug>(d: &mut fmt::DebugStruct<'_, '_>, name: &str, got: Result<Option<T>, crate::DecodeError>) {
    attr_as(d, name, got, |v| v);
}

/// [`attr`], the value shown as `show` makes it (a display hint: [`Hex`], [`Bytes`]).
pub fn attr_as<T, D: fmt::Debug>(
    d: &mut fmt::DebugStruct<'_, '_>,
    name: &str,
    got: Result<Option<T>, crate::DecodeError>,
    show: impl FnOnce(T) -> D,
) {
    match got {
        Ok(Some(v)) => {
            d.field(name, &show(v));
        }
        Ok(None) => {}
        Err(e) => {
            d.field(name, &Malformed(e));
        }
    }
}

/// For a generated view's `Debug`: flag attribute `name`, shown (as `true`) when set.
pub fn flag(d: &mut fmt::DebugStruct<'_, '_>, name: &str, got: Result<bool, crate::DecodeError>) {
    attr(d, name, got.map(|set| set.then_some(true)));
}

/// For a generated view's `Debug`: repeated attribute `name` (an indexed array, a type-value
/// nest), shown as the [`List`] of its elements (each a value or what is malformed in it) when
/// it has one, what is malformed in it when it could not be read.
pub fn elements<T, I>(d: &mut fmt::DebugStruct<'_, '_>, name: &str, got: Result<I, crate::DecodeError>)
where
    T: fmt::Debug,
    I: Iterator<Item = Result<T, crate::DecodeError>> + Clone,
{
    let got = got.map(|v| v.clone().next().is_some().then_some(v));
    attr_as(d, name, got, |v| List(v.map(Fallible)));
}

/// The longest valid UTF-8 prefix of `b` (all of it when it is valid UTF-8).
pub fn utf8_prefix(b: &[u8]) -> &str {
    match std::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// Print a flag set: known names joined by ` | `, unknown bits as hex, `(empty)` for none.
pub fn fmt_flags(f: &mut fmt::Formatter<'_>, bits: u64, known: &[(&str, u64)]) -> fmt::Result {
    if bits == 0 {
        return f.write_str("(empty)");
    }
    let mut rest = bits;
    let mut first = true;
    for (name, bit) in known {
        if *bit != 0 && bits & bit == *bit {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !first {
            f.write_str(" | ")?;
        }
        write!(f, "{rest:#x}")?;
    }
    Ok(())
}

/// Print an enum value: its name, or `Name(value)` when the value is unknown.
pub fn fmt_enum(f: &mut fmt::Formatter<'_>, ty: &str, v: u64, name: Option<&str>) -> fmt::Result {
    match name {
        Some(n) => f.write_str(n),
        None => write!(f, "{ty}({v})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(format!("{:?}", Bytes(&[1, 2, 0xab], Hint::Mac)), "01:02:ab");
        assert_eq!(format!("{:?}", Bytes(&[10, 0, 0, 1], Hint::Ipv4)), "10.0.0.1");
        assert_eq!(format!("{:?}", Bytes(&[1, 2], Hint::Ipv4)), "0102");
        assert_eq!(format!("{:?}", Hex(255u32)), "0xff");
        assert_eq!(utf8_prefix(b"ab\xffc"), "ab");
        assert_eq!(format!("{:?}", List([1, 2].iter())), "[1, 2]");
    }
}

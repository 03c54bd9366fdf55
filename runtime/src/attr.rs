//! Netlink attributes (`struct nlattr` TLVs): zero-copy decoding and encoding.
//!
//! Wire format: every attribute is a 4-byte header (`nla_len: u16`, `nla_type: u16`, both in
//! host byte order) followed by `nla_len - 4` payload bytes, then zero padding up to the next
//! multiple of 4 ([`nla_align`]). The two top bits of `nla_type` are flags
//! ([`NLA_F_NESTED`], [`NLA_F_NET_BYTEORDER`]); [`Attr::ty`] masks them off.
//!
//! Decoding never panics and never allocates on success: [`Attrs`] walks a byte slice and
//! yields [`Attr`] views that borrow it. Anything malformed becomes a [`DecodeError`] that
//! carries an attribute path; decoders extend the path while they unwind out of nests so the
//! final message reads like `.ops[2].flags: expected 4 bytes, got 2`.
//!
//! Encoding goes through [`AttrWriter`], which appends to a `Vec<u8>`.

use std::borrow::Cow;
use std::fmt;

/// Flag bit in `nla_type`: the payload is a nested attribute stream.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// Flag bit in `nla_type`: the payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// Mask that removes both flag bits from `nla_type`.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
/// Size of the attribute header (`struct nlattr`).
pub const NLA_HDRLEN: usize = 4;
/// Largest payload one attribute can carry (`nla_len` is a `u16`).
pub const NLA_MAX_PAYLOAD: usize = u16::MAX as usize - NLA_HDRLEN;

/// Round `len` up to the 4-byte attribute alignment (`NLA_ALIGN`).
#[inline]
pub const fn nla_align(len: usize) -> usize {
    (len + 3) & !3
}

// ---------------------------------------------------------------------------------------------
// Paths and errors
// ---------------------------------------------------------------------------------------------

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    /// An attribute known by name (rendered `.name`).
    Name(Cow<'static, str>),
    /// An attribute known only by its type number (rendered `.<type>`, e.g. `.7`).
    Type(u16),
    /// An element of an indexed array or the n-th occurrence of a multi-attr (rendered `[n]`).
    Index(usize),
}

/// A path to an attribute inside a message, outermost first, e.g. `.ops[2].flags`.
///
/// Built by decoders and by the extended-ACK offset walk. Empty paths render as `<message>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<PathSeg>);

impl AttrPath {
    /// The empty path (the message itself).
    pub fn new() -> Self {
        AttrPath(Vec::new())
    }
    /// The segments, outermost first.
    pub fn segments(&self) -> &[PathSeg] {
        &self.0
    }
    /// True when the path names no attribute.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Append a segment at the inner end.
    pub fn push(&mut self, seg: PathSeg) {
        self.0.push(seg);
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<message>");
        }
        for seg in &self.0 {
            match seg {
                PathSeg::Name(n) => write!(f, ".{n}")?,
                PathSeg::Type(t) => write!(f, ".{t}")?,
                PathSeg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// What exactly was wrong with the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// Fewer bytes remain than an attribute header needs.
    TruncatedHeader {
        /// Bytes left in the stream.
        remaining: usize,
    },
    /// `nla_len` is smaller than the header or larger than the bytes left.
    BadAttrLen {
        /// The `nla_len` field.
        nla_len: u16,
        /// Bytes left in the stream, header included.
        remaining: usize,
    },
    /// The payload has the wrong size for the requested type.
    BadLength {
        /// What the getter accepts (e.g. `"4"`, `"4 or 8"`, `"at least 16"`).
        expected: &'static str,
        /// The payload length found.
        got: usize,
    },
    /// A string attribute has no terminating NUL.
    MissingNul,
    /// A string attribute is not UTF-8; use the bytes accessor for lossless access.
    InvalidUtf8,
    /// A netlink message header is malformed or truncated.
    BadMessage(&'static str),
    /// A required attribute is absent.
    Missing,
    /// Anything else a decoder wants to report (e.g. a selector with no matching sub-message).
    Other(Cow<'static, str>),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::TruncatedHeader { remaining } => {
                write!(f, "truncated attribute header ({remaining} bytes left, need 4)")
            }
            DecodeErrorKind::BadAttrLen { nla_len, remaining } => {
                write!(f, "attribute length {nla_len} is invalid ({remaining} bytes left, minimum 4)")
            }
            DecodeErrorKind::BadLength { expected, got } => {
                write!(f, "payload of {got} bytes, expected {expected}")
            }
            DecodeErrorKind::MissingNul => f.write_str("string is not NUL-terminated"),
            DecodeErrorKind::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            DecodeErrorKind::BadMessage(what) => write!(f, "malformed message: {what}"),
            DecodeErrorKind::Missing => f.write_str("required attribute is missing"),
            DecodeErrorKind::Other(s) => f.write_str(s),
        }
    }
}

/// A decoding failure with the attribute path where it happened.
///
/// Getters on [`Attr`] report the attribute's type number as the path (`.3`). Generated
/// decoders rename that segment with [`DecodeError::in_attr`] and prepend outer levels with
/// [`DecodeError::in_attr`] / [`DecodeError::at_index`] while unwinding, giving `.ops[2].flags`.
/// Errors allocate only when they happen; the success path never does.
///
/// One pointer wide (the error lives in a box): a getter's `Result<Option<u32>, DecodeError>`
/// travels in registers, which is what keeps reading an attribute at the cost of a header walk.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError(Box<ErrorAt>);

/// What a [`DecodeError`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorAt {
    kind: DecodeErrorKind,
    path: AttrPath,
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError").field("kind", &self.0.kind).field("path", &self.0.path).finish()
    }
}

impl DecodeError {
    /// An error with an empty path.
    #[cold]
    pub fn new(kind: DecodeErrorKind) -> Self {
        DecodeError(Box::new(ErrorAt { kind, path: AttrPath::new() }))
    }
    /// An error located at the attribute with type number `ty`.
    #[cold]
    pub fn at_type(kind: DecodeErrorKind, ty: u16) -> Self {
        DecodeError(Box::new(ErrorAt { kind, path: AttrPath(vec![PathSeg::Type(ty)]) }))
    }
    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }
    /// Where, outermost first.
    pub fn path(&self) -> &AttrPath {
        &self.0.path
    }
    /// A free-form error.
    #[cold]
    pub fn other(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(DecodeErrorKind::Other(msg.into()))
    }
    /// A required attribute is absent; `name` is the attribute that should have been there.
    #[cold]
    pub fn missing(name: impl Into<Cow<'static, str>>) -> Self {
        DecodeError(Box::new(ErrorAt {
            kind: DecodeErrorKind::Missing,
            path: AttrPath(vec![PathSeg::Name(name.into())]),
        }))
    }
    /// Name the attribute this error belongs to.
    ///
    /// If the outermost segment is a bare type number (as getters produce), it is replaced by
    /// `name`; otherwise `name` is prepended. Call it once per level while unwinding.
    #[cold]
    pub fn in_attr(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        match self.0.path.0.first_mut() {
            Some(seg @ PathSeg::Type(_)) => *seg = PathSeg::Name(name.into()),
            _ => self.0.path.0.insert(0, PathSeg::Name(name.into())),
        }
        self
    }
    /// Prepend a numeric attribute level (when no name is known).
    #[cold]
    pub fn in_type(mut self, ty: u16) -> Self {
        if !matches!(self.0.path.0.first(), Some(PathSeg::Type(t)) if *t == ty) {
            self.0.path.0.insert(0, PathSeg::Type(ty));
        }
        self
    }
    /// Prepend an index level (`[idx]`), for indexed arrays and multi-attr occurrences.
    #[cold]
    pub fn at_index(mut self, idx: usize) -> Self {
        self.0.path.0.insert(0, PathSeg::Index(idx));
        self
    }
    /// Locate this error at element `idx` of an indexed array or occurrence `idx` of a
    /// multi-attr: a leading bare type number (what a getter on the element reports) becomes
    /// `[idx]`; otherwise `[idx]` is prepended. Follow with [`DecodeError::in_attr`] for the
    /// array's name, giving `.ops[2].flags`.
    #[cold]
    pub fn at_element(mut self, idx: usize) -> Self {
        match self.0.path.0.first_mut() {
            Some(seg @ PathSeg::Type(_)) => *seg = PathSeg::Index(idx),
            _ => self.0.path.0.insert(0, PathSeg::Index(idx)),
        }
        self
    }
    /// Prepend an arbitrary segment.
    #[cold]
    pub fn prepend(mut self, seg: PathSeg) -> Self {
        self.0.path.0.insert(0, seg);
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path().is_empty() {
            write!(f, "{}", self.kind())
        } else {
            write!(f, "{}: {}", self.path(), self.kind())
        }
    }
}

impl std::error::Error for DecodeError {}

/// An attribute the caller cannot do without, read through a generated getter: absence
/// becomes a [`DecodeError`] naming it, like a malformed value does.
///
/// Getters return `Result<Option<T>, DecodeError>` (a family's attributes are optional on the
/// wire; which ones a reply always carries is the kernel's convention, not the spec's). Where a
/// caller relies on one, `.required(name)` turns that into `Result<T, DecodeError>`:
///
/// ```
/// use nlspec_rt::{AttrWriter, Attrs, DecodeErrorKind, Required};
///
/// let mut buf = Vec::new();
/// AttrWriter::new(&mut buf).put_u16(1, 0x10);
/// let attrs = Attrs::new(&buf);
/// let id = attrs.read(1, "family-id", |a| a.get_u16()).required("family-id")?;
/// assert_eq!(id, 0x10);
/// let e = attrs.read(2, "family-name", |a| a.get_str()).required("family-name").unwrap_err();
/// assert_eq!(e.kind(), &DecodeErrorKind::Missing);
/// assert_eq!(e.to_string(), ".family-name: required attribute is missing");
/// # Ok::<(), nlspec_rt::DecodeError>(())
/// ```
pub trait Required<T> {
    /// The value, or [`DecodeError::missing`]`(name)` when it is absent; a decoding error
    /// passes through unchanged.
    fn required(self, name: &'static str) -> Result<T, DecodeError>;
}

impl<T> Required<T> for Result<Option<T>, DecodeError> {
    #[inline]
    fn required(self, name: &'static str) -> Result<T, DecodeError> {
        match self {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(DecodeError::missing(name)),
            Err(e) => Err(e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// `struct nla_bitfield32`: a value and the selector saying which bits of it are meaningful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Bitfield32 {
    /// The bit values.
    pub value: u32,
    /// Which bits of `value` are being set/reported.
    pub selector: u32,
}

/// One attribute: its raw `nla_type` and a view of its payload (padding excluded).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    raw_type: u16,
    payload: &'a [u8],
}

impl fmt::Debug for Attr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attr")
            .field("ty", &self.ty())
            .field("nested", &self.is_nested())
            .field("payload", &self.payload)
            .finish()
    }
}

/// The error of a payload of `got` bytes where `expected` fit, at attribute type `ty` (by
/// value: a getter's attribute stays in registers on the hot path).
#[cold]
#[inline(never)]
fn len_err(ty: u16, got: usize, expected: &'static str) -> DecodeError {
    DecodeError::at_type(DecodeErrorKind::BadLength { expected, got }, ty)
}

macro_rules! fixed_getters {
    ($( $(#[$m:meta])* $name:ident -> $t:ty, $n:literal, $conv:ident; )*) => {$(
        $(#[$m])*
        #[inline]
        pub fn $name(&self) -> Result<$t, DecodeError> {
            match <[u8; $n]>::try_from(self.payload) {
                Ok(b) => Ok(<$t>::$conv(b)),
                Err(_) => Err(len_err(self.ty(), self.payload.len(), stringify!($n))),
            }
        }
    )*};
}

impl<'a> Attr<'a> {
    /// An attribute from its raw type (flags included) and payload.
    pub fn new(raw_type: u16, payload: &'a [u8]) -> Self {
        Attr { raw_type, payload }
    }
    /// The attribute type with [`NLA_F_NESTED`] and [`NLA_F_NET_BYTEORDER`] masked off.
    #[inline]
    pub fn ty(&self) -> u16 {
        self.raw_type & NLA_TYPE_MASK
    }
    /// The `nla_type` field as received, flags included.
    #[inline]
    pub fn raw_type(&self) -> u16 {
        self.raw_type
    }
    /// Whether the sender set [`NLA_F_NESTED`].
    #[inline]
    pub fn is_nested(&self) -> bool {
        self.raw_type & NLA_F_NESTED != 0
    }
    /// Whether the sender set [`NLA_F_NET_BYTEORDER`].
    #[inline]
    pub fn is_net_byteorder(&self) -> bool {
        self.raw_type & NLA_F_NET_BYTEORDER != 0
    }
    /// The payload, without header and padding.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
    /// The payload as raw bytes (binary attributes). Same as [`Attr::payload`].
    #[inline]
    pub fn get_bytes(&self) -> &'a [u8] {
        self.payload
    }

    fixed_getters! {
        /// `u8` payload.
        get_u8 -> u8, 1, from_ne_bytes;
        /// `u16` payload in host byte order.
        get_u16 -> u16, 2, from_ne_bytes;
        /// `u32` payload in host byte order.
        get_u32 -> u32, 4, from_ne_bytes;
        /// `u64` payload in host byte order.
        get_u64 -> u64, 8, from_ne_bytes;
        /// `s8` payload.
        get_s8 -> i8, 1, from_ne_bytes;
        /// `s16` payload in host byte order.
        get_s16 -> i16, 2, from_ne_bytes;
        /// `s32` payload in host byte order.
        get_s32 -> i32, 4, from_ne_bytes;
        /// `s64` payload in host byte order.
        get_s64 -> i64, 8, from_ne_bytes;
        /// `u16` payload in network (big-endian) byte order.
        get_u16_be -> u16, 2, from_be_bytes;
        /// `u32` payload in network (big-endian) byte order.
        get_u32_be -> u32, 4, from_be_bytes;
        /// `u64` payload in network (big-endian) byte order.
        get_u64_be -> u64, 8, from_be_bytes;
        /// `s16` payload in network (big-endian) byte order.
        get_s16_be -> i16, 2, from_be_bytes;
        /// `s32` payload in network (big-endian) byte order.
        get_s32_be -> i32, 4, from_be_bytes;
        /// `s64` payload in network (big-endian) byte order.
        get_s64_be -> i64, 8, from_be_bytes;
    }

    /// Variable-width unsigned (`uint`, `NLA_UINT`): 4 or 8 bytes, host byte order.
    #[inline]
    pub fn get_uint(&self) -> Result<u64, DecodeError> {
        match self.payload.len() {
            4 => self.get_u32().map(u64::from),
            8 => self.get_u64(),
            _ => Err(len_err(self.ty(), self.payload.len(), "4 or 8")),
        }
    }
    /// Variable-width unsigned in network byte order: 4 or 8 bytes.
    #[inline]
    pub fn get_uint_be(&self) -> Result<u64, DecodeError> {
        match self.payload.len() {
            4 => self.get_u32_be().map(u64::from),
            8 => self.get_u64_be(),
            _ => Err(len_err(self.ty(), self.payload.len(), "4 or 8")),
        }
    }
    /// Variable-width signed (`sint`, `NLA_SINT`): 4 or 8 bytes, host byte order, sign-extended.
    #[inline]
    pub fn get_sint(&self) -> Result<i64, DecodeError> {
        match self.payload.len() {
            4 => self.get_s32().map(i64::from),
            8 => self.get_s64(),
            _ => Err(len_err(self.ty(), self.payload.len(), "4 or 8")),
        }
    }
    /// Variable-width signed in network byte order: 4 or 8 bytes.
    #[inline]
    pub fn get_sint_be(&self) -> Result<i64, DecodeError> {
        match self.payload.len() {
            4 => self.get_s32_be().map(i64::from),
            8 => self.get_s64_be(),
            _ => Err(len_err(self.ty(), self.payload.len(), "4 or 8")),
        }
    }

    /// A flag attribute: presence is the value. Errors if the payload is not empty.
    #[inline]
    pub fn get_flag(&self) -> Result<bool, DecodeError> {
        if self.payload.is_empty() {
            Ok(true)
        } else {
            Err(len_err(self.ty(), self.payload.len(), "0"))
        }
    }

    /// NUL-terminated string: the text before the first NUL, which must exist and be UTF-8.
    #[inline]
    pub fn get_str(&self) -> Result<&'a str, DecodeError> {
        let bytes = self.get_str_bytes()?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError::at_type(DecodeErrorKind::InvalidUtf8, self.ty()))
    }
    /// NUL-terminated string as bytes (lossless; no UTF-8 check). The NUL must exist.
    #[inline]
    pub fn get_str_bytes(&self) -> Result<&'a [u8], DecodeError> {
        match self.payload.iter().position(|&b| b == 0) {
            Some(n) => Ok(&self.payload[..n]),
            None => Err(DecodeError::at_type(DecodeErrorKind::MissingNul, self.ty())),
        }
    }
    /// String that may be unterminated (`unterminated-ok`): the bytes up to the first NUL, or
    /// the whole payload when there is none. Lossless.
    #[inline]
    pub fn get_str_bytes_lax(&self) -> &'a [u8] {
        match self.payload.iter().position(|&b| b == 0) {
            Some(n) => &self.payload[..n],
            None => self.payload,
        }
    }
    /// `struct nla_bitfield32` (8 bytes: value, selector; host byte order).
    #[inline]
    pub fn get_bitfield32(&self) -> Result<Bitfield32, DecodeError> {
        match <[u8; 8]>::try_from(self.payload) {
            Ok(b) => Ok(Bitfield32 {
                value: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                selector: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
            }),
            Err(_) => Err(len_err(self.ty(), self.payload.len(), "8")),
        }
    }
    /// A fixed-size binary payload of exactly `N` bytes (e.g. a struct decoded by generated
    /// code, or an address).
    #[inline]
    pub fn get_array<const N: usize>(&self) -> Result<&'a [u8; N], DecodeError> {
        <&[u8; N]>::try_from(self.payload).map_err(|_| len_err(self.ty(), self.payload.len(), "the struct size"))
    }
    /// The payload as a nested attribute stream. Does not require [`NLA_F_NESTED`], since many
    /// kernel senders omit it.
    #[inline]
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.payload)
    }
}

/// Iterator over an attribute stream, yielding `Result<Attr, DecodeError>`.
///
/// Stops after the first error (it cannot resynchronise). Trailing bytes shorter than an
/// attribute header are an error, except for up to 3 bytes of zero padding.
#[derive(Clone, Debug)]
pub struct Attrs<'a> {
    buf: &'a [u8],
}

impl<'a> Attrs<'a> {
    /// Iterate the attributes in `buf`.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { buf }
    }
    /// The bytes not yet iterated.
    #[inline]
    pub fn remaining(&self) -> &'a [u8] {
        self.buf
    }
    /// The first attribute with type `ty` (flags masked), if any. Stops at the first error:
    /// a malformed header before it, or anywhere when there is none, is the error (the one
    /// iterating would give). What every generated getter calls: one tight loop over the
    /// headers, the error paths out of line.
    #[inline]
    pub fn find(&self, ty: u16) -> Result<Option<Attr<'a>>, DecodeError> {
        match self.find_fast(ty) {
            Ok(a) => Ok(a),
            Err(rest) => Self::stopped(rest),
        }
    }

    /// [`Attrs::find`]'s loop ([`AttrWalk`]'s, with an early return: through `AttrWalk` the
    /// peers bench's generated full walk took 5 % longer): the attribute, or the bytes from
    /// where the walk stopped (a malformed header, or fewer bytes than a header).
    #[inline(always)]
    fn find_fast(&self, ty: u16) -> Result<Option<Attr<'a>>, &'a [u8]> {
        let mut b = self.buf;
        while b.len() >= NLA_HDRLEN {
            let len = usize::from(u16::from_ne_bytes([b[0], b[1]]));
            let raw_type = u16::from_ne_bytes([b[2], b[3]]);
            if len < NLA_HDRLEN || len > b.len() {
                return Err(b);
            }
            if raw_type & NLA_TYPE_MASK == ty {
                return Ok(Some(Attr { raw_type, payload: &b[NLA_HDRLEN..len] }));
            }
            b = &b[nla_align(len).min(b.len())..];
        }
        if b.is_empty() {
            Ok(None)
        } else {
            Err(b)
        }
    }

    /// The first attribute of type `ty`, read by `read` (its error located at `name`), or
    /// `None` when there is none; a malformed header on the way is the error ([`Attrs::find`]).
    /// What generated getters are made of.
    #[inline]
    pub fn read<T>(
        &self,
        ty: u16,
        name: &'static str,
        read: impl FnOnce(Attr<'a>) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        match self.find(ty)? {
            Some(a) => read(a).map(Some).map_err(|e| e.in_attr(name)),
            None => Ok(None),
        }
    }

    /// Where [`Attrs::find`]'s walk stopped short of the end: tolerated zero padding (`None`),
    /// or the framing error there ([`AttrWalk::finish`] judges both).
    #[cold]
    #[inline(never)]
    fn stopped(rest: &'a [u8]) -> Result<Option<Attr<'a>>, DecodeError> {
        AttrWalk::new(rest).finish().map(|()| None)
    }
    /// Check the whole stream is well-formed (every header and length valid).
    pub fn validate(&self) -> Result<(), DecodeError> {
        for a in self.clone() {
            a?;
        }
        Ok(())
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let buf = self.buf;
        if buf.is_empty() {
            return None;
        }
        if buf.len() < NLA_HDRLEN {
            self.buf = &[];
            if buf.iter().all(|&b| b == 0) {
                return None; // tolerated trailing padding
            }
            return Some(Err(DecodeError::new(DecodeErrorKind::TruncatedHeader { remaining: buf.len() })));
        }
        let nla_len = u16::from_ne_bytes([buf[0], buf[1]]);
        let raw_type = u16::from_ne_bytes([buf[2], buf[3]]);
        let len = nla_len as usize;
        if len < NLA_HDRLEN || len > buf.len() {
            self.buf = &[];
            return Some(Err(DecodeError::at_type(
                DecodeErrorKind::BadAttrLen { nla_len, remaining: buf.len() },
                raw_type & NLA_TYPE_MASK,
            )));
        }
        let payload = &buf[NLA_HDRLEN..len];
        let next = nla_align(len).min(buf.len());
        self.buf = &buf[next..];
        Some(Ok(Attr { raw_type, payload }))
    }
}

impl std::iter::FusedIterator for Attrs<'_> {}

/// The well-formed attributes of a stream, for decoders that validate a whole stream in one
/// pass (the generated views): each step yields a plain [`Attr`] rather than a `Result`, the
/// walk stops at the first malformed header, and [`AttrWalk::finish`] reports it. Same
/// framing rules as [`Attrs`] (trailing zero padding shorter than a header is accepted).
///
/// ```
/// # use nlspec_rt::{AttrWalk, AttrWriter};
/// let mut buf = Vec::new();
/// let mut w = AttrWriter::new(&mut buf);
/// w.put_u32(1, 7);
/// w.put_u16(2, 9);
/// let mut walk = AttrWalk::new(&buf);
/// let types: Vec<u16> = walk.by_ref().map(|a| a.ty()).collect();
/// assert_eq!(types, [1, 2]);
/// walk.finish().unwrap();
/// assert!(AttrWalk::new(&[8, 0, 1, 0]).finish().is_err()); // nla_len beyond the buffer
/// ```
#[derive(Clone, Debug)]
pub struct AttrWalk<'a> {
    /// From the next attribute on; when the walk has stopped, from the malformed header on.
    buf: &'a [u8],
}

impl<'a> AttrWalk<'a> {
    /// Walk the attributes in `buf`.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        AttrWalk { buf }
    }

    /// `Ok` when every byte of the stream was walked; else the framing error at which the walk
    /// stopped (the error [`Attrs`] gives there). Attributes not yet walked are walked first.
    #[inline]
    pub fn finish(mut self) -> Result<(), DecodeError> {
        for _ in self.by_ref() {}
        match Attrs::new(self.buf).next() {
            Some(Err(e)) => Err(e),
            _ => Ok(()),
        }
    }
}

impl<'a> Iterator for AttrWalk<'a> {
    type Item = Attr<'a>;

    #[inline]
    fn next(&mut self) -> Option<Attr<'a>> {
        let buf = self.buf;
        if buf.len() < NLA_HDRLEN {
            return None;
        }
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        if len < NLA_HDRLEN || len > buf.len() {
            return None;
        }
        let raw_type = u16::from_ne_bytes([buf[2], buf[3]]);
        let payload = &buf[NLA_HDRLEN..len];
        self.buf = &buf[nla_align(len).min(buf.len())..];
        Some(Attr { raw_type, payload })
    }
}

impl std::iter::FusedIterator for AttrWalk<'_> {}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// An encoding failure (the only one possible is exceeding the 64 KiB attribute length field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// The attribute type that overflowed.
    pub ty: u16,
    /// Its payload length.
    pub len: usize,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attribute type {} has a payload of {} bytes; the maximum is {}", self.ty, self.len, NLA_MAX_PAYLOAD)
    }
}

impl std::error::Error for EncodeError {}

/// An open nest returned by [`AttrWriter::nest_start`]; close it with [`AttrWriter::nest_end`].
#[derive(Debug)]
#[must_use = "a nest must be closed with AttrWriter::nest_end"]
pub struct Nest {
    start: usize,
    ty: u16,
}

/// Appends attributes to a `Vec<u8>`.
///
/// `put_*` never fails on the spot: an attribute or nest longer than `nla_len` can express is
/// recorded and reported by [`AttrWriter::finish`] (the socket calls it before sending), so
/// builder code stays free of `?`.
#[derive(Debug)]
pub struct AttrWriter<'b> {
    buf: &'b mut Vec<u8>,
    error: Option<EncodeError>,
}

macro_rules! fixed_putters {
    ($( $(#[$m:meta])* $name:ident($t:ty) => $conv:ident; )*) => {$(
        $(#[$m])*
        #[inline]
        pub fn $name(&mut self, ty: u16, v: $t) {
            self.put_raw(ty, &v.$conv());
        }
    )*};
}

impl<'b> AttrWriter<'b> {
    /// A writer appending to `buf` (which should end 4-byte aligned relative to the message).
    pub fn new(buf: &'b mut Vec<u8>) -> Self {
        AttrWriter { buf, error: None }
    }
    /// The bytes written so far (the whole underlying buffer).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf
    }
    /// Current length of the underlying buffer.
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    /// True if the underlying buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// The first overflow recorded, if any.
    pub fn error(&self) -> Option<&EncodeError> {
        self.error.as_ref()
    }
    /// Finish writing: `Err` if any attribute or nest was too long.
    pub fn finish(self) -> Result<(), EncodeError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn record(&mut self, ty: u16, len: usize) {
        if self.error.is_none() {
            self.error = Some(EncodeError { ty: ty & NLA_TYPE_MASK, len });
        }
    }

    fn pad(&mut self) {
        let padded = nla_align(self.buf.len());
        self.buf.resize(padded, 0);
    }

    /// The header of an attribute whose payload of `len` bytes follows (an overlong one is
    /// recorded, its `nla_len` saturated).
    fn put_header(&mut self, raw_type: u16, len: usize) {
        let total = NLA_HDRLEN + len;
        let nla_len = u16::try_from(total).unwrap_or_else(|_| {
            self.record(raw_type, len);
            u16::MAX
        });
        self.buf.reserve(nla_align(total));
        self.buf.extend_from_slice(&nla_len.to_ne_bytes());
        self.buf.extend_from_slice(&raw_type.to_ne_bytes());
    }

    /// An attribute with raw `nla_type` (flags as given) and `payload`, padded to 4 bytes.
    pub fn put_raw(&mut self, raw_type: u16, payload: &[u8]) {
        self.put_header(raw_type, payload.len());
        self.buf.extend_from_slice(payload);
        self.pad();
    }

    fixed_putters! {
        /// `u8` attribute.
        put_u8(u8) => to_ne_bytes;
        /// `u16` attribute, host byte order.
        put_u16(u16) => to_ne_bytes;
        /// `u32` attribute, host byte order.
        put_u32(u32) => to_ne_bytes;
        /// `u64` attribute, host byte order.
        put_u64(u64) => to_ne_bytes;
        /// `s8` attribute.
        put_s8(i8) => to_ne_bytes;
        /// `s16` attribute, host byte order.
        put_s16(i16) => to_ne_bytes;
        /// `s32` attribute, host byte order.
        put_s32(i32) => to_ne_bytes;
        /// `s64` attribute, host byte order.
        put_s64(i64) => to_ne_bytes;
        /// `u16` attribute, network byte order.
        put_u16_be(u16) => to_be_bytes;
        /// `u32` attribute, network byte order.
        put_u32_be(u32) => to_be_bytes;
        /// `u64` attribute, network byte order.
        put_u64_be(u64) => to_be_bytes;
        /// `s16` attribute, network byte order.
        put_s16_be(i16) => to_be_bytes;
        /// `s32` attribute, network byte order.
        put_s32_be(i32) => to_be_bytes;
        /// `s64` attribute, network byte order.
        put_s64_be(i64) => to_be_bytes;
    }

    /// Variable-width unsigned (`uint`): 4 bytes when the value fits in `u32`, else 8.
    #[inline]
    pub fn put_uint(&mut self, ty: u16, v: u64) {
        match u32::try_from(v) {
            Ok(v) => self.put_u32(ty, v),
            Err(_) => self.put_u64(ty, v),
        }
    }
    /// Variable-width unsigned in network byte order: 4 or 8 bytes.
    #[inline]
    pub fn put_uint_be(&mut self, ty: u16, v: u64) {
        match u32::try_from(v) {
            Ok(v) => self.put_u32_be(ty, v),
            Err(_) => self.put_u64_be(ty, v),
        }
    }
    /// Variable-width signed (`sint`): 4 bytes when the value fits in `i32`, else 8.
    #[inline]
    pub fn put_sint(&mut self, ty: u16, v: i64) {
        match i32::try_from(v) {
            Ok(v) => self.put_s32(ty, v),
            Err(_) => self.put_s64(ty, v),
        }
    }
    /// Variable-width signed in network byte order: 4 or 8 bytes.
    #[inline]
    pub fn put_sint_be(&mut self, ty: u16, v: i64) {
        match i32::try_from(v) {
            Ok(v) => self.put_s32_be(ty, v),
            Err(_) => self.put_s64_be(ty, v),
        }
    }
    /// Flag attribute (empty payload).
    #[inline]
    pub fn put_flag(&mut self, ty: u16) {
        self.put_raw(ty, &[]);
    }
    /// NUL-terminated string. `s` should not contain NUL itself (the receiver would stop there).
    pub fn put_str(&mut self, ty: u16, s: &str) {
        self.put_str_bytes(ty, s.as_bytes());
    }
    /// NUL-terminated string from raw bytes (lossless counterpart of [`AttrWriter::put_str`]).
    pub fn put_str_bytes(&mut self, ty: u16, s: &[u8]) {
        self.put_header(ty, s.len() + 1);
        self.buf.extend_from_slice(s);
        self.buf.push(0);
        self.pad();
    }
    /// Binary attribute.
    #[inline]
    pub fn put_bytes(&mut self, ty: u16, b: &[u8]) {
        self.put_raw(ty, b);
    }
    /// `struct nla_bitfield32` attribute.
    pub fn put_bitfield32(&mut self, ty: u16, value: u32, selector: u32) {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&value.to_ne_bytes());
        b[4..].copy_from_slice(&selector.to_ne_bytes());
        self.put_raw(ty, &b);
    }
    /// Open a nest of type `ty` ([`NLA_F_NESTED`] is set). Attributes put until the matching
    /// [`AttrWriter::nest_end`] go inside it. Nests may be nested.
    pub fn nest_start(&mut self, ty: u16) -> Nest {
        let start = self.buf.len();
        let raw = (ty & NLA_TYPE_MASK) | NLA_F_NESTED;
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&raw.to_ne_bytes());
        Nest { start, ty: raw }
    }
    /// Close a nest: writes its final length.
    pub fn nest_end(&mut self, nest: Nest) {
        let total = self.buf.len() - nest.start;
        let nla_len = u16::try_from(total).unwrap_or_else(|_| {
            self.record(nest.ty, total - NLA_HDRLEN);
            u16::MAX
        });
        if let Some(dst) = self.buf.get_mut(nest.start..nest.start + 2) {
            dst.copy_from_slice(&nla_len.to_ne_bytes());
        }
        self.pad();
    }
    /// Append raw bytes (e.g. a fixed header or a pre-encoded struct). The caller keeps the
    /// stream 4-byte aligned.
    pub fn put_raw_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `required` keeps a malformed value's error (and its path) and names an absent one.
    #[test]
    fn required_names_the_absent_and_keeps_the_malformed() {
        let mut buf = Vec::new();
        AttrWriter::new(&mut buf).put_u8(1, 7);
        let attrs = Attrs::new(&buf);
        let bad = attrs.read(1, "mtu", |a| a.get_u32()).required("mtu").unwrap_err();
        assert_eq!(bad.kind(), &DecodeErrorKind::BadLength { expected: "4", got: 1 });
        assert_eq!(bad.to_string(), ".mtu: payload of 1 bytes, expected 4");
        assert_eq!(attrs.read(1, "x", |a| a.get_u8()).required("x"), Ok(7));
        let absent = attrs.read(2, "ifname", |a| a.get_str()).required("ifname").unwrap_err();
        assert_eq!(absent, DecodeError::missing("ifname"));
    }

    /// A well-formed stream (u8 `1`, string `2`, u64 `3`, then `extra` attributes) and the
    /// framings of it the walkers must agree on: as it is, with trailing zero padding, with two
    /// trailing non-zero bytes, cut at every length, and with the second header's `nla_len`
    /// below the header size.
    fn framing_cases(extra: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<Vec<u8>> {
        let mut good = Vec::new();
        let mut w = AttrWriter::new(&mut good);
        w.put_u8(1, 7);
        w.put_str(2, "abc");
        w.put_u64(3, 9);
        extra(&mut w);
        let mut cases = vec![good.clone(), [&good[..], &[0, 0]].concat(), [&good[..], &[1, 2]].concat()];
        for cut in 1..good.len() {
            cases.push(good[..cut].to_vec());
        }
        let mut bad_len = good.clone();
        bad_len[8] = 3;
        cases.push(bad_len);
        cases
    }

    /// `AttrWalk` yields what `Attrs` yields on a good stream, stops where `Attrs` errs, and
    /// its `finish` gives `Attrs`' error (trailing zero padding accepted by both).
    #[test]
    fn attr_walk_agrees_with_attrs() {
        for case in &framing_cases(|_| {}) {
            let expect: Vec<_> = Attrs::new(case).collect();
            let mut walk = AttrWalk::new(case);
            let got: Vec<_> = walk.by_ref().map(|a| (a.raw_type(), a.payload())).collect();
            let ok: Vec<_> =
                expect.iter().filter_map(|r| r.as_ref().ok()).map(|a| (a.raw_type(), a.payload())).collect();
            assert_eq!(got, ok, "{case:?}");
            let err = expect.iter().find_map(|r| r.as_ref().err()).cloned();
            assert_eq!(walk.finish().err(), err, "{case:?}");
        }
    }

    /// `Attrs::find` (what generated getters call) answers what iterating would: the first
    /// attribute of the type, `None` at a clean end (trailing zero padding included), and the
    /// iterator's error at a malformed header before the attribute, or anywhere when it is
    /// absent; an error after it is not read.
    #[test]
    fn find_agrees_with_iterating() {
        let cases = framing_cases(|w| w.put_u8(1, 8)); // a second `1`: the first is found
        for case in &cases {
            for ty in 0..5 {
                let mut expect = Ok(None);
                for a in Attrs::new(case) {
                    match a {
                        Ok(a) if a.ty() == ty => {
                            expect = Ok(Some((a.raw_type(), a.payload())));
                            break;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            expect = Err(e);
                            break;
                        }
                    }
                }
                let got = Attrs::new(case).find(ty).map(|a| a.map(|a| (a.raw_type(), a.payload())));
                assert_eq!(got, expect, "type {ty} in {case:?}");
            }
        }
        assert_eq!(Attrs::new(&cases[0]).find(1).unwrap().unwrap().get_u8(), Ok(7));
    }

    /// A decode error is one pointer wide, so a getter's result stays small (what keeps the
    /// generated views' reads at the cost of their header walk).
    #[test]
    fn decode_error_is_one_pointer() {
        assert_eq!(std::mem::size_of::<DecodeError>(), std::mem::size_of::<usize>());
        assert!(std::mem::size_of::<Result<Option<u32>, DecodeError>>() <= 16);
    }

    #[test]
    fn roundtrip_basic() {
        let mut v = Vec::new();
        let mut w = AttrWriter::new(&mut v);
        w.put_u8(1, 7);
        w.put_u32_be(2, 0x01020304);
        w.put_str(3, "hi");
        let n = w.nest_start(4);
        w.put_uint(1, 5);
        w.put_uint(2, u64::MAX);
        w.put_flag(3);
        w.nest_end(n);
        w.finish().unwrap();
        assert_eq!(v.len() % 4, 0);
        let attrs: Vec<_> = Attrs::new(&v).collect::<Result<_, _>>().unwrap();
        assert_eq!(attrs.len(), 4);
        assert_eq!(attrs[0].get_u8().unwrap(), 7);
        assert_eq!(attrs[1].get_u32_be().unwrap(), 0x01020304);
        assert_eq!(&attrs[1].payload(), &[1, 2, 3, 4]);
        assert_eq!(attrs[2].get_str().unwrap(), "hi");
        assert!(attrs[3].is_nested());
        assert_eq!(attrs[3].ty(), 4);
        let inner: Vec<_> = attrs[3].nested().collect::<Result<_, _>>().unwrap();
        assert_eq!(inner[0].get_uint().unwrap(), 5);
        assert_eq!(inner[0].payload().len(), 4);
        assert_eq!(inner[1].get_uint().unwrap(), u64::MAX);
        assert_eq!(inner[1].payload().len(), 8);
        assert!(inner[2].get_flag().unwrap());
    }

    #[test]
    fn errors_have_paths() {
        let mut v = Vec::new();
        let mut w = AttrWriter::new(&mut v);
        w.put_u16(3, 1);
        let a = Attrs::new(&v).next().unwrap().unwrap();
        let e = a.get_u32().unwrap_err();
        assert_eq!(e.to_string(), ".3: payload of 2 bytes, expected 4");
        let e = e.in_attr("flags").at_index(2).in_attr("ops");
        assert_eq!(e.path().to_string(), ".ops[2].flags");
    }

    #[test]
    fn truncated() {
        // nla_len says 8 but only 6 bytes.
        let b = [8u8, 0, 1, 0, 0, 0];
        let mut it = Attrs::new(&b);
        assert!(matches!(it.next(), Some(Err(e)) if matches!(e.kind(), DecodeErrorKind::BadAttrLen { .. })));
        assert!(it.next().is_none());
        // nla_len < 4
        let b = [2u8, 0, 1, 0];
        assert!(Attrs::new(&b).next().unwrap().is_err());
        // short trailing non-zero
        let b = [1u8, 2];
        assert!(Attrs::new(&b).next().unwrap().is_err());
        // missing NUL
        let b = [6u8, 0, 1, 0, b'a', b'b', 0, 0];
        let a = Attrs::new(&b).next().unwrap().unwrap();
        assert_eq!(*a.get_str().unwrap_err().kind(), DecodeErrorKind::MissingNul);
        assert_eq!(a.get_str_bytes_lax(), b"ab");
    }

    #[test]
    fn overflow_is_reported() {
        let mut v = Vec::new();
        let mut w = AttrWriter::new(&mut v);
        w.put_bytes(9, &vec![0u8; 70000]);
        assert_eq!(w.finish().unwrap_err().ty, 9);
        // Strings count their NUL; nests their contents.
        let mut v = Vec::new();
        let mut w = AttrWriter::new(&mut v);
        w.put_str(3, &"x".repeat(NLA_MAX_PAYLOAD));
        assert_eq!(w.finish(), Err(EncodeError { ty: 3, len: NLA_MAX_PAYLOAD + 1 }));
        let mut v = Vec::new();
        let mut w = AttrWriter::new(&mut v);
        let n = w.nest_start(4);
        w.put_bytes(1, &vec![0u8; NLA_MAX_PAYLOAD - NLA_HDRLEN]);
        w.nest_end(n);
        // Inner attribute: 65531 bytes, padded to 65532; the nest: 4 + 65532 > 65535.
        assert_eq!(w.finish(), Err(EncodeError { ty: 4, len: 65_532 }));
    }
}

//! JSON → request attributes, per the resolved spec, accepting what the kernel's YNL CLI
//! accepts for `--json` (and a little more: enum names in struct members, nest-type-value,
//! scalar indexed arrays, `{index: {...}}` array elements as YNL prints them).

use serde_json::{Map as JMap, Value as J};

use super::error::CodecError;
use super::scalar::{as_flags, int_type, member_int, write_int};
use nlspec_model::ir::{Attr, AttrKind, AttrType, DisplayHint, EnumId, Family, MemberType, SetId, StructId};

const NLA_F_NESTED: u16 = 0x8000;
const NLA_HDRLEN: usize = 4;

/// Bad `--json` input: where (path in the JSON, `.mcast-groups[0].name`) and what would be
/// valid.
pub type EncodeError = CodecError;

type R<T> = Result<T, EncodeError>;

/// JSON objects of the enclosing levels (for sub-message selectors), innermost first.
struct Scope<'a> {
    set: SetId,
    vals: &'a JMap<String, J>,
    outer: Option<&'a Scope<'a>>,
}

/// Builds request payloads of one family.
pub struct Encoder<'f> {
    fam: &'f Family,
}

fn put(out: &mut Vec<u8>, ty: u16, payload: &[u8]) -> R<()> {
    let len = NLA_HDRLEN + payload.len();
    if len > u16::MAX as usize {
        return Err(EncodeError::new(format!("attribute of {} bytes exceeds the 64 KiB netlink limit", payload.len())));
    }
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(payload);
    while out.len() & 3 != 0 {
        out.push(0);
    }
    Ok(())
}

fn kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "an object",
    }
}

fn truthy(v: &J) -> bool {
    match v {
        J::Null => false,
        J::Bool(b) => *b,
        J::Number(n) => n.as_f64() != Some(0.0),
        J::String(s) => !s.is_empty(),
        J::Array(a) => !a.is_empty(),
        J::Object(o) => !o.is_empty(),
    }
}

/// Python's `int(str)`: optional sign, digits, underscores between digits, surrounding space.
fn py_int(s: &str) -> Option<i128> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if !clean.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i128 = clean.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Python's `bytes.fromhex`, which YNL decodes binary input with: pairs of hex digits, with
/// ASCII whitespace (space, `\t`, `\n`, `\v`, `\f`, `\r`) allowed before, between and after
/// the pairs but not inside one. Anything else (signs, `0x`, an odd digit) is refused, at its
/// character position as Python reports it.
fn from_hex(s: &str) -> R<Vec<u8>> {
    let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r');
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut chars = s.chars().enumerate();
    let bad = |pos: usize| {
        EncodeError::new(format!(
            "{s:?} is not hex bytes: non-hexadecimal number at position {pos} (pairs of hex digits, \
             optionally separated by whitespace, e.g. \"0a1b\" or \"0a 1b\")"
        ))
    };
    while let Some((i, c)) = chars.next() {
        if space(c) {
            continue;
        }
        let hi = c.to_digit(16).ok_or_else(|| bad(i))?;
        let (j, lo) = match chars.next() {
            Some((j, c)) => (j, c.to_digit(16)),
            None => (i + 1, None),
        };
        let lo = lo.ok_or_else(|| bad(j))?;
        out.push((hi << 4 | lo) as u8);
    }
    Ok(out)
}

impl<'f> Encoder<'f> {
    /// An encoder for `fam`.
    pub fn new(fam: &'f Family) -> Self {
        Encoder { fam }
    }

    /// Encode a request: the fixed header `fixed` (its members are taken out of `obj`, missing
    /// ones are 0), then every other key of `obj` as an attribute of `set`, in `obj`'s order.
    /// Returns (fixed header bytes, attribute bytes).
    pub fn message(&self, set: Option<SetId>, fixed: Option<StructId>, obj: &JMap<String, J>) -> R<(Vec<u8>, Vec<u8>)> {
        let mut rest = obj.clone();
        let mut hdr = Vec::new();
        if let Some(st) = fixed {
            let s = self.fam.struct_(st);
            let mut fields = JMap::new();
            for m in &s.members {
                if let Some(v) = rest.shift_remove(&m.name) {
                    fields.insert(m.name.clone(), v);
                }
            }
            hdr = self.struct_(st, &fields)?;
        }
        let attrs = match set {
            Some(set) => self.attrs(set, &rest, None)?,
            None if rest.is_empty() => Vec::new(),
            None => {
                let k = rest.keys().next().cloned().unwrap_or_default();
                return Err(EncodeError::new(format!("the operation takes no attributes, got {k:?}")));
            }
        };
        Ok((hdr, attrs))
    }

    fn attrs(&self, set: SetId, obj: &JMap<String, J>, outer: Option<&Scope<'_>>) -> R<Vec<u8>> {
        let s = self.fam.set(set);
        let scope = Scope { set, vals: obj, outer };
        let mut out = Vec::new();
        for (name, v) in obj {
            let Some(a) = s.attr(name) else {
                let names: Vec<&str> = s
                    .attrs
                    .iter()
                    .filter(|a| !matches!(a.kind, AttrKind::Unused | AttrKind::Pad))
                    .map(|a| a.name.as_str())
                    .collect();
                return Err(EncodeError::new(format!(
                    "attribute set {:?} has no attribute {name:?}; valid: {}",
                    s.name,
                    names.join(", ")
                )));
            };
            self.attr(a, v, &scope, &mut out).map_err(|e| e.within(&format!(".{name}")))?;
        }
        Ok(out)
    }

    fn attr(&self, a: &Attr, v: &J, scope: &Scope<'_>, out: &mut Vec<u8>) -> R<()> {
        if a.multi_attr {
            if let J::Array(items) = v {
                for (i, x) in items.iter().enumerate() {
                    self.single(a, x, scope, out).map_err(|e| e.within(&format!("[{i}]")))?;
                }
                return Ok(());
            }
        }
        self.single(a, v, scope, out)
    }

    fn object<'v>(&self, v: &'v J, what: &str) -> R<&'v JMap<String, J>> {
        v.as_object().ok_or_else(|| EncodeError::new(format!("{what} must be a JSON object, got {}", kind(v))))
    }

    fn single(&self, a: &Attr, v: &J, scope: &Scope<'_>, out: &mut Vec<u8>) -> R<()> {
        let ty = a.value;
        match &a.kind {
            AttrKind::Nest { set } => {
                let p = self.attrs(*set, self.object(v, "a nest")?, Some(scope))?;
                put(out, ty | NLA_F_NESTED, &p)
            }
            AttrKind::IndexedArray { sub_type, set } => {
                let items = v.as_array().ok_or_else(|| {
                    EncodeError::new(format!("an indexed-array must be a JSON list, got {}", kind(v)))
                })?;
                let mut p = Vec::new();
                for (i, x) in items.iter().enumerate() {
                    let seg = format!("[{i}]");
                    let r: R<()> = (|| {
                        let mut idx = i as u16;
                        match sub_type {
                            AttrType::Nest => {
                                let mut o = self.object(x, "an array element")?;
                                // Accept the `{index: {...}}` form YNL prints.
                                if let (1, Some((k, inner))) = (o.len(), o.iter().next()) {
                                    if let (Some(n), Some(io)) = (py_int(k), inner.as_object()) {
                                        idx = u16::try_from(n)
                                            .map_err(|_| EncodeError::new(format!("array index {k} out of range")))?;
                                        o = io;
                                    }
                                }
                                let set =
                                    set.ok_or_else(|| EncodeError::new("indexed-array without nested-attributes"))?;
                                let ip = self.attrs(set, o, Some(scope))?;
                                put(&mut p, idx | NLA_F_NESTED, &ip)
                            }
                            AttrType::Binary => put(&mut p, idx, &self.bytes(a, x)?),
                            AttrType::String => put(&mut p, idx, &self.string(x)?),
                            t => put(&mut p, idx, &self.scalar_bytes(a, *t, x)?),
                        }
                    })();
                    r.map_err(|e| e.within(&seg))?;
                }
                let flags = if *sub_type == AttrType::Nest { NLA_F_NESTED } else { 0 };
                put(out, ty | flags, &p)
            }
            AttrKind::NestTypeValue { type_value, set } => {
                let o = self.object(v, "a nest-type-value")?;
                let mut rest = o.clone();
                let mut types = Vec::new();
                for n in type_value {
                    let t = rest
                        .shift_remove(n)
                        .ok_or_else(|| EncodeError::new(format!("missing type-value key {n:?}")))?;
                    let t = self.int(&t, None, None).map_err(|e| e.within(&format!(".{n}")))?;
                    types.push(u16::try_from(t).map_err(|_| {
                        EncodeError::new(format!("{n} = {t} is not a valid attribute type (0..65535)"))
                    })?);
                }
                let mut p = self.attrs(*set, &rest, Some(scope))?;
                for t in types.iter().rev() {
                    let mut w = Vec::new();
                    put(&mut w, t | NLA_F_NESTED, &p)?;
                    p = w;
                }
                put(out, ty | NLA_F_NESTED, &p)
            }
            AttrKind::Flag => {
                if truthy(v) {
                    put(out, ty, &[])?;
                }
                Ok(())
            }
            AttrKind::String => put(out, ty, &self.string(v)?),
            AttrKind::Binary => put(out, ty, &self.bytes(a, v)?),
            AttrKind::Uint | AttrKind::Sint => {
                let signed = a.kind == AttrKind::Sint;
                let n = self.int(v, a.enum_.map(|e| (e, a.enum_as_flags)), a.display_hint.map(|h| (h, false)))?;
                let fits32 = if signed { i32::try_from(n).is_ok() } else { u32::try_from(n).is_ok() };
                let w = if fits32 { 4 } else { 8 };
                let b = write_int(n, w, signed, a.byte_order).ok_or_else(|| {
                    EncodeError::new(format!(
                        "{n} does not fit a{} {}",
                        if signed { " signed" } else { "n unsigned" },
                        "64-bit integer"
                    ))
                })?;
                put(out, ty, &b)
            }
            AttrKind::U8
            | AttrKind::U16
            | AttrKind::U32
            | AttrKind::U64
            | AttrKind::S8
            | AttrKind::S16
            | AttrKind::S32
            | AttrKind::S64 => put(out, ty, &self.scalar_bytes(a, a.kind.ty(), v)?),
            AttrKind::Bitfield32 => {
                let o = self.object(v, "a bitfield32 ({\"value\": .., \"selector\": ..})")?;
                let en = a.enum_.map(|e| (e, a.enum_as_flags));
                let get = |k: &str| -> R<u32> {
                    let x = o
                        .get(k)
                        .ok_or_else(|| EncodeError::new(format!("bitfield32 needs {k:?} (keys: value, selector)")))?;
                    let n = self.int(x, en, None).map_err(|e| e.within(&format!(".{k}")))?;
                    u32::try_from(n).map_err(|_| {
                        EncodeError::new(format!("{k} = {n} does not fit 32 bits")).within(&format!(".{k}"))
                    })
                };
                let (value, selector) = (get("value")?, get("selector")?);
                let mut p = value.to_ne_bytes().to_vec();
                p.extend_from_slice(&selector.to_ne_bytes());
                put(out, ty, &p)
            }
            AttrKind::SubMessage { sub_message, selector } => {
                let sm = self.fam.sub_message(*sub_message);
                let sel = self.lookup(scope, &selector.name)?;
                let key = match sel {
                    J::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let f = sm.formats.iter().find(|f| f.value == key).ok_or_else(|| {
                    let vals: Vec<&str> = sm.formats.iter().map(|f| f.value.as_str()).collect();
                    EncodeError::new(format!(
                        "selector {} = {key:?} has no format in sub-message {:?}; valid: {}",
                        selector.name,
                        sm.name,
                        vals.join(", ")
                    ))
                })?;
                let o = self.object(v, "a sub-message")?;
                let mut rest = o.clone();
                let mut p = Vec::new();
                if let Some(st) = f.fixed_header {
                    let mut fields = JMap::new();
                    for m in &self.fam.struct_(st).members {
                        if let Some(x) = rest.shift_remove(&m.name) {
                            fields.insert(m.name.clone(), x);
                        }
                    }
                    p = self.struct_(st, &fields)?;
                }
                let mut flags = 0;
                if let Some(set) = f.attribute_set {
                    flags = NLA_F_NESTED;
                    p.extend(self.attrs(set, &rest, Some(scope))?);
                }
                put(out, ty | flags, &p)
            }
            AttrKind::Unused | AttrKind::Pad => {
                Err(EncodeError::new(format!("attribute {:?} is {:?} and carries no value", a.name, a.kind.ty())))
            }
        }
    }

    fn lookup<'a>(&self, scope: &'a Scope<'a>, name: &str) -> R<&'a J> {
        let mut cur = Some(scope);
        while let Some(s) = cur {
            if self.fam.set(s.set).attr(name).is_some() {
                return s.vals.get(name).ok_or_else(|| {
                    EncodeError::new(format!(
                        "the sub-message needs its selector {name:?} in {:?}",
                        self.fam.set(s.set).name
                    ))
                });
            }
            cur = s.outer;
        }
        Err(EncodeError::new(format!("selector {name:?} is not defined in any enclosing attribute set")))
    }

    fn string(&self, v: &J) -> R<Vec<u8>> {
        let s = match v {
            J::String(s) => s.clone(),
            J::Number(n) => n.to_string(),
            other => return Err(EncodeError::new(format!("expected a string, got {}", kind(other)))),
        };
        if s.contains('\0') {
            return Err(EncodeError::new("a string attribute cannot contain NUL"));
        }
        let mut b = s.into_bytes();
        b.push(0);
        Ok(b)
    }

    fn bytes(&self, a: &Attr, v: &J) -> R<Vec<u8>> {
        // A C array of scalars: element type, width, signedness.
        let array = a.sub_type.and_then(|t| int_type(t).map(|(w, s)| (t, w, s)));
        match (v, a.struct_, array) {
            (J::Null, ..) => Ok(Vec::new()),
            (J::String(s), st, _) => {
                let b = match a.display_hint {
                    Some(h) => from_string_bytes(s, h)?,
                    None => from_hex(s)?,
                };
                // A struct given as bytes must hold the whole struct, or its decoder (the
                // kernel's, and ours) would read past the end.
                if let Some(st) = st.map(|st| self.fam.struct_(st)) {
                    if let Some(size) = st.size.filter(|&size| b.len() < size) {
                        return Err(EncodeError::new(format!(
                            "struct {} is {size} bytes, the hex string gives {}",
                            st.name,
                            b.len()
                        )));
                    }
                }
                Ok(b)
            }
            (J::Object(o), Some(st), _) => self.struct_(st, o),
            (J::Array(items), _, Some((t, w, s))) => {
                let mut p = Vec::new();
                for (i, x) in items.iter().enumerate() {
                    let n = self
                        .int(x, a.enum_.map(|e| (e, a.enum_as_flags)), None)
                        .map_err(|e| e.within(&format!("[{i}]")))?;
                    p.extend(
                        write_int(n, w, s, None)
                            .ok_or_else(|| does_not_fit(n, t.as_str(), w, s).within(&format!("[{i}]")))?,
                    );
                }
                Ok(p)
            }
            (other, ..) => Err(EncodeError::new(format!(
                "binary attribute {:?} takes a hex string{}, got {}",
                a.name,
                if a.struct_.is_some() {
                    " or an object of the struct's members"
                } else if a.sub_type.is_some() {
                    " or a list of numbers"
                } else {
                    ""
                },
                kind(other)
            ))),
        }
    }

    fn scalar_bytes(&self, a: &Attr, t: AttrType, v: &J) -> R<Vec<u8>> {
        let (w, s) = int_type(t).ok_or_else(|| EncodeError::new(format!("{t:?} is not a scalar type")))?;
        let n = self.int(v, a.enum_.map(|e| (e, a.enum_as_flags)), a.display_hint.map(|h| (h, false)))?;
        write_int(n, w, s, a.byte_order).ok_or_else(|| does_not_fit(n, t.as_str(), w, s))
    }

    /// YNL's `_get_scalar`: a number, a decimal string, enum names (a list for flags), or a
    /// display-hint rendering.
    fn int(&self, v: &J, en: Option<(EnumId, bool)>, hint: Option<(DisplayHint, bool)>) -> R<i128> {
        if let (J::Array(_), Some((e, f))) = (v, en) {
            return self.enum_value(e, f, v); // a list of flag names
        }
        match v {
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    return Ok(i as i128);
                }
                if let Some(u) = n.as_u64() {
                    return Ok(u as i128);
                }
                // JSON integers beyond 64 bits arrive as floats: an integer too large for the
                // attribute, said as such by the caller's range check
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 1e38 => Ok(f as i128),
                    Some(f) if f.fract() == 0.0 => {
                        Err(EncodeError::new(format!("{n} is too large for any integer type")))
                    }
                    _ => Err(EncodeError::new(format!("{n} is not an integer"))),
                }
            }
            J::Bool(b) => Ok(*b as i128),
            J::String(s) => {
                if let Some(i) = py_int(s) {
                    return Ok(i);
                }
                if let Some((e, f)) = en {
                    return self.enum_value(e, f, v);
                }
                if let Some((h, _)) = hint {
                    return from_string_int(s, h);
                }
                Err(EncodeError::new(format!("{s:?} is not an integer")))
            }
            other => Err(EncodeError::new(format!(
                "expected an integer{}, got {}",
                if en.is_some() { " or enum name(s)" } else { "" },
                kind(other)
            ))),
        }
    }

    fn enum_value(&self, e: EnumId, enum_as_flags: bool, v: &J) -> R<i128> {
        let en = self.fam.enum_(e);
        let names: Vec<&str> = en.entries.iter().map(|x| x.name.as_str()).collect();
        let one = |n: &str, flags: bool| -> R<i128> {
            // What the decoder prints for a value without an entry (`Unknown(7)`, a bit number
            // for flags) encodes back to that value: `nlspec`'s output is valid input.
            let unknown =
                n.strip_prefix("Unknown(").and_then(|r| r.strip_suffix(')')).and_then(|r| r.parse::<i128>().ok());
            match unknown {
                Some(b) if flags && (0..64).contains(&b) => return Ok(1i128 << b),
                Some(v) if !flags => return Ok(v),
                _ => {}
            }
            let x = en.entry(n).ok_or_else(|| {
                EncodeError::new(format!(
                    "{n:?} is not in {} {:?}; valid: {}",
                    if flags { "flags" } else { "enum" },
                    en.name,
                    names.join(", ")
                ))
            })?;
            Ok(if flags { 1i128 << x.raw.min(127) } else { x.raw as i128 })
        };
        if as_flags(en, enum_as_flags) {
            let list: Vec<&J> = match v {
                J::Array(a) => a.iter().collect(),
                x => vec![x],
            };
            let mut m = 0i128;
            for x in list {
                match x {
                    J::String(s) => m |= one(s, true)?,
                    other => return Err(EncodeError::new(format!("flag names must be strings, got {}", kind(other)))),
                }
            }
            Ok(m)
        } else {
            match v {
                J::String(s) => one(s, false),
                other => Err(EncodeError::new(format!("enum {:?} takes one name, got {}", en.name, kind(other)))),
            }
        }
    }

    /// YNL's `_encode_struct`: members in order, missing ones zero.
    pub fn struct_(&self, st: StructId, vals: &JMap<String, J>) -> R<Vec<u8>> {
        let s = self.fam.struct_(st);
        if let Some(k) = vals.keys().find(|k| !s.members.iter().any(|m| &&m.name == k)) {
            let names: Vec<&str> =
                s.members.iter().filter(|m| m.ty != MemberType::Pad).map(|m| m.name.as_str()).collect();
            return Err(EncodeError::new(format!(
                "struct {:?} has no member {k:?}; valid: {}",
                s.name,
                names.join(", ")
            )));
        }
        let mut p = Vec::new();
        for m in &s.members {
            let v = vals.get(&m.name);
            let r: R<()> = (|| {
                match m.ty {
                    MemberType::Pad => p.extend(std::iter::repeat_n(0u8, m.len.unwrap_or(0))),
                    MemberType::Binary => match (m.struct_, v) {
                        (Some(inner), v) => {
                            let empty = JMap::new();
                            let o = match v {
                                None => &empty,
                                Some(x) => self.object(x, "a struct member of struct type")?,
                            };
                            p.extend(self.struct_(inner, o)?);
                        }
                        (None, None) => p.extend(std::iter::repeat_n(0u8, m.len.unwrap_or(0))),
                        (None, Some(x)) => {
                            let s = x.as_str().ok_or_else(|| {
                                EncodeError::new(format!("a binary member takes a hex string, got {}", kind(x)))
                            })?;
                            let b = match m.display_hint {
                                Some(h) => from_string_bytes(s, h)?,
                                None => from_hex(s)?,
                            };
                            if let Some(len) = m.len {
                                if b.len() != len {
                                    return Err(EncodeError::new(format!("member is {len} bytes, got {}", b.len())));
                                }
                            }
                            p.extend(b);
                        }
                    },
                    MemberType::String => {
                        let len = m.len.unwrap_or(0);
                        let mut b = match v {
                            None => Vec::new(),
                            Some(x) => self.string(x)?,
                        };
                        if b.len() > len {
                            return Err(EncodeError::new(format!(
                                "string member holds at most {} bytes",
                                len.saturating_sub(1)
                            )));
                        }
                        b.resize(len, 0);
                        p.extend(b);
                    }
                    t => {
                        let (w, signed) = member_int(t).unwrap_or((1, false));
                        let n = match v {
                            None => 0,
                            Some(x) => {
                                self.int(x, m.enum_.map(|e| (e, m.enum_as_flags)), m.display_hint.map(|h| (h, false)))?
                            }
                        };
                        p.extend(
                            write_int(n, w, signed, m.byte_order)
                                .ok_or_else(|| does_not_fit(n, &format!("{t:?}").to_lowercase(), w, signed))?,
                        );
                    }
                }
                Ok(())
            })();
            r.map_err(|e| e.within(&format!(".{}", m.name)))?;
        }
        Ok(p)
    }
}

fn parse_ip(s: &str) -> R<std::net::IpAddr> {
    s.parse().map_err(|_| EncodeError::new(format!("{s:?} is not an IPv4 or IPv6 address")))
}

fn parse_mac(s: &str) -> R<Vec<u8>> {
    let bad = || EncodeError::new(format!("{s:?} is not a MAC address (00:11:22:33:44:55)"));
    if s.contains(':') {
        s.split(':').map(|x| u8::from_str_radix(x, 16).map_err(|_| bad())).collect()
    } else {
        if s.len() & 1 == 1 {
            return Err(bad());
        }
        from_hex(s).map_err(|_| bad())
    }
}

/// YNL's `_from_string` for binary attributes.
fn from_string_bytes(s: &str, h: DisplayHint) -> R<Vec<u8>> {
    match h {
        DisplayHint::Ipv4 | DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6 => Ok(match parse_ip(s)? {
            std::net::IpAddr::V4(a) => a.octets().to_vec(),
            std::net::IpAddr::V6(a) => a.octets().to_vec(),
        }),
        DisplayHint::Hex => from_hex(s),
        DisplayHint::Mac => parse_mac(s),
        DisplayHint::Uuid => {
            let h: String = s.chars().filter(|c| *c != '-').collect();
            let b = from_hex(&h)?;
            if b.len() != 16 {
                return Err(EncodeError::new(format!("{s:?} is not a UUID")));
            }
            Ok(b)
        }
        DisplayHint::Fddi => from_hex(s),
    }
}

/// YNL's `_from_string` for integer attributes.
fn from_string_int(s: &str, h: DisplayHint) -> R<i128> {
    match h {
        DisplayHint::Ipv4 | DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6 => Ok(match parse_ip(s)? {
            std::net::IpAddr::V4(a) => u32::from(a) as i128,
            std::net::IpAddr::V6(a) => u128::from(a) as i128,
        }),
        DisplayHint::Hex => {
            let t = s.trim();
            let (neg, t) = match t.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, t.strip_prefix('+').unwrap_or(t)),
            };
            let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
            let bad = || EncodeError::new(format!("{s:?} is not a hex number"));
            // One sign only (from_str_radix would take a second one, and `--8000…` is i128::MIN).
            if t.starts_with(['+', '-']) {
                return Err(bad());
            }
            let v = i128::from_str_radix(&t.replace('_', ""), 16).map_err(|_| bad())?;
            Ok(if neg { -v } else { v })
        }
        DisplayHint::Mac => {
            let b = parse_mac(s)?;
            Ok(b.iter().fold(0i128, |acc, x| (acc << 8) | *x as i128))
        }
        _ => Err(EncodeError::new(format!("display hint {:?} cannot be parsed into an integer", h.as_str()))),
    }
}

/// `n` does not fit the `w`-byte integer type `name` (signed or not): the message names the
/// type as the spec spells it and its range.
fn does_not_fit(n: i128, name: &str, w: usize, signed: bool) -> EncodeError {
    let bits = 8 * w as u32;
    let range = if signed {
        format!("-{}..{}", 1u128 << (bits - 1), (1u128 << (bits - 1)) - 1)
    } else {
        format!("0..{}", (1u128 << bits) - 1)
    };
    EncodeError::new(format!("{n} does not fit {name} ({range})"))
}

#[cfg(test)]
mod tests {
    use super::from_hex;

    /// Found by the `cli_codec` fuzz target: a value without an enum entry decodes as
    /// `Unknown(N)` (YNL's rendering), which the encoder refused, so decoded output was not
    /// valid input. It encodes back to N now (a bit number for flags).
    #[test]
    fn unknown_enum_values_encode_back() {
        let text = include_str!("../../../specs/rt-link.yaml");
        let fam = nlspec_model::resolve_str("rt-link.yaml", text).unwrap();
        let op = fam.ops.list.iter().find(|o| o.name == "getlink").unwrap();
        let enc = super::Encoder::new(&fam);
        let dec = crate::dynamic::Decoder::new(&fam);
        let json = |t: &str| match serde_json::from_str(t).unwrap() {
            serde_json::Value::Object(o) => o,
            _ => unreachable!(),
        };
        for input in [r#"{"operstate": 7, "ifi-flags": 1048576}"#, r#"{"operstate": "up", "ifi-flags": ["up"]}"#] {
            let (hdr, attrs) = enc.message(op.attribute_set, op.fixed_header, &json(input)).unwrap();
            let text = dec.message(op.attribute_set, &attrs, op.fixed_header, &hdr).unwrap().to_json();
            let again = enc.message(op.attribute_set, op.fixed_header, &json(&text)).unwrap();
            assert_eq!(again, (hdr, attrs), "{input} decoded as {text}");
        }
        let (_, attrs) = enc.message(op.attribute_set, None, &json(r#"{"operstate": "Unknown(7)"}"#)).unwrap();
        assert_eq!(&attrs[4..5], &[7]);
        assert!(enc.message(op.attribute_set, None, &json(r#"{"operstate": "Unknown(x)"}"#)).is_err());
    }

    /// A struct attribute given as a hex string must hold the whole struct: `"    "` (no bytes)
    /// for nlkv's 16-byte `stats` encoded to an empty attribute that nothing could decode (found
    /// by the cli_codec fuzz target). The whole struct, or more (a newer kernel's longer struct),
    /// still encodes.
    #[test]
    fn struct_attributes_given_as_hex_hold_the_struct() {
        let text = include_str!("../../../specs/nlkv.yaml");
        let fam = nlspec_model::resolve_str("nlkv.yaml", text).unwrap();
        let set = fam.ops.list.iter().find(|o| o.name == "get").unwrap().attribute_set;
        let enc = super::Encoder::new(&fam);
        let json = |t: &str| match serde_json::from_str(t).unwrap() {
            serde_json::Value::Object(o) => o,
            _ => unreachable!(),
        };
        for short in [r#"{"stats": "    "}"#, r#"{"stats": "00112233"}"#] {
            let e = enc.message(set, None, &json(short)).unwrap_err().to_string();
            assert!(e.contains("struct entry-stats is 16 bytes, the hex string gives"), "{short}: {e}");
            assert!(e.contains("stats"), "{short}: the error names the attribute: {e}");
        }
        let whole = format!(r#"{{"stats": "{}"}}"#, "00".repeat(16));
        let (_, attrs) = enc.message(set, None, &json(&whole)).unwrap();
        assert_eq!(attrs.len(), 4 + 16);
        let dec = crate::dynamic::Decoder::new(&fam);
        dec.message(set, &attrs, None, &[]).unwrap();
    }

    /// `from_hex` accepts exactly what Python's `bytes.fromhex` accepts (YNL's binary input),
    /// and refuses at the position Python names. Expected values are Python 3.11's.
    #[test]
    fn hex_input_is_bytes_fromhex() {
        let ok: &[(&str, &[u8])] = &[
            ("", &[]),
            ("0a1b", &[0x0a, 0x1b]),
            (" 0a 1b\t\n", &[0x0a, 0x1b]),
            ("0A\u{b}1b\u{c}\r", &[0x0a, 0x1b]),
            ("FFff", &[0xff, 0xff]),
        ];
        for (s, want) in ok {
            assert_eq!(from_hex(s).unwrap(), *want, "{s:?}");
        }
        let bad: &[(&str, usize)] = &[
            ("+f+f", 0),
            ("0 a", 1),
            ("abc", 3),
            ("0x1f", 1),
            ("\u{e9}0a", 0),
            ("\u{a0}0a", 0),
            ("-1", 0),
            ("0a\u{3000}1b", 2),
        ];
        for (s, pos) in bad {
            let e = from_hex(s).unwrap_err().to_string();
            assert!(e.contains(&format!("at position {pos} ")), "{s:?}: {e}");
        }
    }
}

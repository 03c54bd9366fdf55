//! Attributes → [`Value`], per the resolved spec, with YNL's rendering rules (see the module
//! docs of [`crate::dynamic`]).

use nlspec_rt::Attrs;

use super::error::CodecError;
use super::scalar::{decode_enum, format_bytes, format_int, int_type, member_int, read_int};
use super::value::{Key, Value};
use nlspec_model::ir::{Attr, AttrKind, AttrType, Family, MemberType, SetId, StructId};

/// A reply that does not match the spec: where (attribute path, `.ops[1].flags`) and what.
pub type DecodeError = CodecError;

type R<T> = Result<T, DecodeError>;
type Map = Vec<(Key, Value)>;

/// Nesting deeper than this is an error, not a stack overflow (the generated clients' limit).
const MAX_NEST_DEPTH: u32 = 32;

/// Values decoded so far at each enclosing level (for sub-message selectors), innermost first.
struct Scope<'a> {
    set: SetId,
    vals: &'a Map,
    outer: Option<&'a Scope<'a>>,
}

/// Decodes messages of one family.
pub struct Decoder<'f> {
    fam: &'f Family,
}

fn map_set(m: &mut Map, key: Key, v: Value) {
    match m.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = v,
        None => m.push((key, v)),
    }
}

/// YNL's `_rsp_add`: `multi` = `Some(is_multi)` for known attributes, `None` for unknown ones
/// (a list once it repeats).
fn rsp_add(m: &mut Map, key: Key, multi: Option<bool>, v: Value) {
    let pos = m.iter().position(|(k, _)| *k == key);
    let multi = match multi {
        Some(b) => b,
        None => match pos {
            Some(p) if !matches!(m[p].1, Value::List(_)) => {
                let old = std::mem::replace(&mut m[p].1, Value::Null);
                m[p].1 = Value::List(vec![old]);
                true
            }
            _ => false,
        },
    };
    match (multi, pos) {
        (false, _) => map_set(m, key, v),
        (true, Some(p)) => match &mut m[p].1 {
            Value::List(l) => l.push(v),
            other => {
                let old = std::mem::replace(other, Value::Null);
                *other = Value::List(vec![old, v]);
            }
        },
        (true, None) => m.push((key, Value::List(vec![v]))),
    }
}

fn c_array(b: &[u8], t: AttrType) -> R<Vec<i128>> {
    let (w, s) = int_type(t).ok_or_else(|| DecodeError::new(format!("sub-type {t:?} is not a scalar")))?;
    if b.chunks(w).any(|c| c.len() != w) {
        return Err(DecodeError::new(format!("{} bytes is not a whole number of {w}-byte elements", b.len())));
    }
    Ok(b.chunks(w).map(|c| read_int(c, s, None)).collect())
}

impl<'f> Decoder<'f> {
    /// A decoder for `fam`.
    pub fn new(fam: &'f Family) -> Self {
        Decoder { fam }
    }

    /// Decode a message: the attributes (in `set`) and the fixed header (`header` bytes laid
    /// out as struct `fixed`), merged as YNL does (header fields after the attributes).
    pub fn message(&self, set: Option<SetId>, attrs: &[u8], fixed: Option<StructId>, header: &[u8]) -> R<Value> {
        let mut m = self.attrs(attrs, set, None, 0)?;
        if let Some(st) = fixed {
            for (k, v) in self.struct_(header, st)? {
                map_set(&mut m, k, v);
            }
        }
        Ok(Value::Map(m))
    }

    /// Decode the attributes in `b` as members of `set` (`None`: no spec, all unknown);
    /// `depth` counts the enclosing levels decoded so far.
    fn attrs(&self, b: &[u8], set: Option<SetId>, outer: Option<&Scope<'_>>, depth: u32) -> R<Map> {
        if depth > MAX_NEST_DEPTH {
            return Err(DecodeError::new(format!("attributes nested deeper than {MAX_NEST_DEPTH} levels")));
        }
        let mut rsp: Map = Vec::new();
        for a in Attrs::new(b) {
            let a = a.map_err(|e| DecodeError::new(format!("malformed attribute: {e}")))?;
            let spec = set.and_then(|s| self.fam.set(s).attr_by_value(a.ty()));
            let Some(spec) = spec else {
                let v =
                    self.unknown(a.payload(), a.is_nested(), depth).map_err(|e| e.within(&format!(".{}", a.ty())))?;
                rsp_add(&mut rsp, Key::Str(format!("UnknownAttr({})", a.ty())), None, v);
                continue;
            };
            if spec.kind == AttrKind::Pad {
                continue;
            }
            let scope = set.map(|s| Scope { set: s, vals: &rsp, outer });
            let v = self
                .attr(spec, a.payload(), a.is_nested(), scope.as_ref(), depth)
                .map_err(|e| e.within(&format!(".{}", spec.name)))?;
            rsp_add(&mut rsp, Key::Str(spec.name.clone()), Some(spec.multi_attr), v);
        }
        Ok(rsp)
    }

    fn unknown(&self, b: &[u8], nested: bool, depth: u32) -> R<Value> {
        if nested {
            Ok(Value::Map(self.attrs(b, None, None, depth + 1)?))
        } else {
            Ok(Value::Bytes(b.to_vec()))
        }
    }

    fn scalar(&self, spec: &Attr, t: AttrType, b: &[u8], hint: bool) -> R<Value> {
        let (w, s) = match t {
            AttrType::Uint | AttrType::Sint => {
                if b.len() != 4 && b.len() != 8 {
                    return Err(DecodeError::new(format!(
                        "variable-width integer of {} bytes (must be 4 or 8)",
                        b.len()
                    )));
                }
                (b.len(), t == AttrType::Sint)
            }
            t => int_type(t).ok_or_else(|| DecodeError::new(format!("{t:?} is not a scalar")))?,
        };
        if b.len() != w {
            return Err(DecodeError::new(format!("expected {w} bytes, got {}", b.len())));
        }
        let v = read_int(b, s, spec.byte_order);
        if let Some(e) = spec.enum_ {
            return Ok(decode_enum(self.fam.enum_(e), spec.enum_as_flags, v));
        }
        match spec.display_hint {
            Some(h) if hint => Ok(format_int(v, h)),
            _ => Ok(Value::Int(v)),
        }
    }

    fn attr(&self, spec: &Attr, b: &[u8], nested: bool, scope: Option<&Scope<'_>>, depth: u32) -> R<Value> {
        match &spec.kind {
            AttrKind::Nest { set } => Ok(Value::Map(self.attrs(b, Some(*set), scope, depth + 1)?)),
            AttrKind::String => {
                // YNL: `raw.decode('ascii')[:-1]` — the last byte (the NUL) is dropped.
                let s = &b[..b.len().saturating_sub(1)];
                Ok(Value::Str(String::from_utf8_lossy(s).into_owned()))
            }
            AttrKind::Binary => self.binary(spec, b),
            AttrKind::Flag => Ok(Value::Bool(true)),
            AttrKind::Uint | AttrKind::Sint => self.scalar(spec, spec.kind.ty(), b, false),
            AttrKind::U8
            | AttrKind::U16
            | AttrKind::U32
            | AttrKind::U64
            | AttrKind::S8
            | AttrKind::S16
            | AttrKind::S32
            | AttrKind::S64 => self.scalar(spec, spec.kind.ty(), b, true),
            AttrKind::IndexedArray { sub_type, set } => {
                let mut out = Vec::new();
                for item in Attrs::new(b) {
                    let item = item.map_err(|e| DecodeError::new(format!("malformed array element: {e}")))?;
                    let seg = format!("[{}]", item.ty());
                    let p = item.payload();
                    let v = match sub_type {
                        AttrType::Nest => {
                            let m = self.attrs(p, *set, None, depth + 1).map_err(|e| e.within(&seg))?;
                            Value::Map(vec![(Key::Int(item.ty() as u64), Value::Map(m))])
                        }
                        AttrType::Binary => match spec.display_hint {
                            Some(h) => format_bytes(p, h),
                            None => Value::Bytes(p.to_vec()),
                        },
                        AttrType::String => {
                            Value::Str(String::from_utf8_lossy(&p[..p.len().saturating_sub(1)]).into_owned())
                        }
                        t => self.scalar(spec, *t, p, true).map_err(|e| e.within(&seg))?,
                    };
                    out.push(v);
                }
                Ok(Value::List(out))
            }
            AttrKind::Bitfield32 => {
                if b.len() != 8 {
                    return Err(DecodeError::new(format!("bitfield32 of {} bytes (must be 8)", b.len())));
                }
                let value = read_int(&b[..4], false, None);
                let selector = read_int(&b[4..], false, None);
                let (value, selector) = match spec.enum_ {
                    Some(e) => {
                        let e = self.fam.enum_(e);
                        (decode_enum(e, spec.enum_as_flags, value), decode_enum(e, spec.enum_as_flags, selector))
                    }
                    None => (Value::Int(value), Value::Int(selector)),
                };
                Ok(Value::Map(vec![(Key::Str("value".into()), value), (Key::Str("selector".into()), selector)]))
            }
            AttrKind::NestTypeValue { type_value, set } => {
                // YNL descends into the first attribute once per type-value name.
                let mut m: Map = Vec::new();
                let mut cur = b;
                for name in type_value {
                    let first = Attrs::new(cur)
                        .next()
                        .ok_or_else(|| DecodeError::new(format!("no nested attribute for type-value {name:?}")))?
                        .map_err(|e| DecodeError::new(format!("malformed attribute: {e}")))?;
                    map_set(&mut m, Key::Str(name.clone()), Value::Int(first.ty() as i128));
                    cur = first.payload();
                }
                for (k, v) in self.attrs(cur, Some(*set), None, depth + 1)? {
                    map_set(&mut m, k, v);
                }
                Ok(Value::Map(m))
            }
            AttrKind::SubMessage { sub_message, selector } => {
                let sm = self.fam.sub_message(*sub_message);
                let sel = lookup(self.fam, scope, &selector.name)?;
                let key = match sel {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    other => other.to_json(),
                };
                // A selector value the spec has no format for (YNL gives up here): keep the
                // payload as an unknown attribute would be kept.
                let Some(fmt) = sm.formats.iter().find(|f| f.value == key) else {
                    return self.unknown(b, nested, depth);
                };
                let mut m: Map = Vec::new();
                let mut off = 0;
                if let Some(st) = fmt.fixed_header {
                    m = self.struct_(b, st)?;
                    off = self.fam.struct_(st).size.unwrap_or(0).min(b.len());
                }
                if let Some(set) = fmt.attribute_set {
                    for (k, v) in self.attrs(&b[off..], Some(set), scope, depth + 1)? {
                        map_set(&mut m, k, v);
                    }
                }
                Ok(Value::Map(m))
            }
            AttrKind::Unused | AttrKind::Pad => self.unknown(b, nested, depth),
        }
    }

    fn binary(&self, spec: &Attr, b: &[u8]) -> R<Value> {
        if let Some(st) = spec.struct_ {
            return Ok(Value::Map(self.struct_(b, st)?));
        }
        if let Some(t) = spec.sub_type {
            let vals = c_array(b, t)?;
            return Ok(Value::List(
                vals.into_iter()
                    .map(|v| match (spec.enum_, spec.display_hint) {
                        (Some(e), _) => decode_enum(self.fam.enum_(e), spec.enum_as_flags, v),
                        (None, Some(h)) => format_int(v, h),
                        (None, None) => Value::Int(v),
                    })
                    .collect(),
            ));
        }
        Ok(match spec.display_hint {
            Some(h) => format_bytes(b, h),
            None => Value::Bytes(b.to_vec()),
        })
    }

    /// Decode struct `st` from the start of `b` (YNL's `_decode_struct`).
    pub fn struct_(&self, b: &[u8], st: StructId) -> R<Map> {
        let s = self.fam.struct_(st);
        let mut m: Map = Vec::new();
        let mut off = 0usize;
        for mem in &s.members {
            let len = match (mem.ty, mem.struct_) {
                (MemberType::Binary, Some(inner)) => self.fam.struct_(inner).size.unwrap_or(0),
                _ => mem.len.unwrap_or(0),
            };
            let Some(bytes) = b.get(off..off + len) else {
                return Err(DecodeError::new(format!(
                    "struct {} member {} needs bytes {}..{}, only {} present",
                    s.name,
                    mem.name,
                    off,
                    off + len,
                    b.len()
                )));
            };
            off += len;
            let v = match mem.ty {
                MemberType::Pad => continue,
                MemberType::Binary => match mem.struct_ {
                    Some(inner) => {
                        Value::Map(self.struct_(bytes, inner).map_err(|e| e.within(&format!(".{}", mem.name)))?)
                    }
                    None => Value::Bytes(bytes.to_vec()),
                },
                MemberType::String => {
                    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
                    Value::Str(String::from_utf8_lossy(&bytes[..end]).into_owned())
                }
                t => {
                    let (_, signed) = member_int(t).unwrap_or((len, false));
                    Value::Int(read_int(bytes, signed, mem.byte_order))
                }
            };
            let v = match (mem.enum_, mem.display_hint, &v) {
                (Some(e), _, Value::Int(i)) => decode_enum(self.fam.enum_(e), mem.enum_as_flags, *i),
                (None, Some(h), Value::Int(i)) => format_int(*i, h),
                (None, Some(h), Value::Bytes(b)) => format_bytes(b, h),
                _ => v,
            };
            m.push((Key::Str(mem.name.clone()), v));
        }
        Ok(m)
    }
}

/// YNL's `SpaceAttrs.lookup`: the innermost enclosing level whose set defines `name`.
fn lookup<'a>(fam: &Family, scope: Option<&'a Scope<'a>>, name: &str) -> R<&'a Value> {
    let mut cur = scope;
    while let Some(s) = cur {
        if fam.set(s.set).attr(name).is_some() {
            return s.vals.iter().find(|(k, _)| matches!(k, Key::Str(n) if n == name)).map(|(_, v)| v).ok_or_else(
                || {
                    DecodeError::new(format!(
                        "selector {name:?} not present in {:?} before the sub-message",
                        fam.set(s.set).name
                    ))
                },
            );
        }
        cur = s.outer;
    }
    Err(DecodeError::new(format!("selector {name:?} is not defined in any enclosing attribute set")))
}

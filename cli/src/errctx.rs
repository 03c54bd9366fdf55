//! Kernel errors of a request, worded for the user ([`ErrCtx::fail`]): errno name and
//! description, the extended ACK's message, policy and cookie, and the attributes it points at
//! (the bad attribute by its offset into the request, a missing one by its nest path) named
//! through the spec (`.linkinfo.data.mode`), as YNL's `_decode_extack` names them by walking
//! the request with the spec.

use nlspec_model::ir::{AttrKind, AttrType, Family, SetId};
use nlspec_rt::{AttrPath, Attrs, Error, PathSeg};

use crate::errors::{sock_err, Fail};

/// What a kernel error refers to, for naming its attribute paths.
pub(crate) struct ErrCtx<'a> {
    pub fam: &'a Family,
    pub set: Option<SetId>,
    /// Offset of the first attribute in the request (headers and fixed header before it).
    pub base: usize,
    pub attrs: &'a [u8],
}

impl ErrCtx<'_> {
    pub(crate) fn fail(&self, e: Error) -> Fail {
        let Error::Kernel { errno, msg, path, offset, missing, policy, cookie } = &e else {
            return sock_err("request failed", e);
        };
        let desc = std::io::Error::from_raw_os_error(*errno).to_string();
        let desc = desc.split(" (os error").next().unwrap_or(&desc).to_string();
        let name = nlspec_rt::error::errno_name(*errno).map(str::to_string).unwrap_or_else(|| format!("errno {errno}"));
        let mut s = format!("nlspec: kernel error {name} ({desc}, errno {errno})");
        if let Some(m) = msg {
            s.push_str(&format!(": {m}"));
        }
        if let Some(off) = offset {
            let base = self.base;
            let p = if (*off as usize) < base {
                "the message header".to_string()
            } else {
                let p = name_offset(self.fam, self.set, self.attrs, *off as usize - base);
                if p.is_empty() {
                    path.as_ref().map(|p| p.to_string()).unwrap_or_else(|| format!("request offset {off}"))
                } else {
                    p
                }
            };
            s.push_str(&format!("\n  at attribute {p}"));
        }
        if let Some(m) = missing {
            let (nest, set) = match &m.nest {
                Some(p) => name_numeric(self.fam, self.set, p),
                None => (String::new(), self.set),
            };
            let attr = set
                .and_then(|s| self.fam.set(s).attr_by_value(m.ty))
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("type {}", m.ty));
            if nest.is_empty() {
                s.push_str(&format!("\n  missing attribute .{attr}"));
            } else {
                s.push_str(&format!("\n  missing attribute {nest}.{attr} (inside {nest})"));
            }
        }
        if let Some(p) = policy {
            s.push_str(&format!("\n  policy: {p}"));
        }
        if let Some(c) = cookie {
            let h: String = c.iter().map(|b| format!("{b:02x}")).collect();
            s.push_str(&format!("\n  cookie: {h}"));
        }
        Fail::Error(s)
    }
}

/// Level of a path walk.
#[derive(Clone)]
enum Level {
    Set(Option<SetId>),
    /// Elements of an indexed array: each a nest of the set, or a scalar.
    Array(Option<SetId>),
    /// Remaining nest-type-value levels, then the set.
    Ntv(usize, SetId),
}

fn child(fam: &Family, level: &Level, ty: u16) -> (String, Option<Level>) {
    match level {
        Level::Set(set) => {
            let a = set.and_then(|s| fam.set(s).attr_by_value(ty));
            match a {
                None => (format!(".{ty}"), Some(Level::Set(None))),
                Some(a) => {
                    let next = match &a.kind {
                        AttrKind::Nest { set } => Some(Level::Set(Some(*set))),
                        AttrKind::IndexedArray { sub_type: AttrType::Nest, set } => Some(Level::Array(*set)),
                        AttrKind::IndexedArray { .. } => Some(Level::Array(None)),
                        AttrKind::NestTypeValue { type_value, set } => Some(Level::Ntv(type_value.len(), *set)),
                        AttrKind::SubMessage { .. } => Some(Level::Set(None)),
                        _ => None,
                    };
                    (format!(".{}", a.name), next)
                }
            }
        }
        Level::Array(set) => (format!("[{ty}]"), set.map(|s| Level::Set(Some(s)))),
        Level::Ntv(n, set) => {
            let next = if *n > 1 { Level::Ntv(n - 1, *set) } else { Level::Set(Some(*set)) };
            (format!("[{ty}]"), Some(next))
        }
    }
}

/// Name the attribute at byte `target` of the request's attribute stream `b`.
fn name_offset(fam: &Family, set: Option<SetId>, b: &[u8], target: usize) -> String {
    let mut path = String::new();
    let mut level = Level::Set(set);
    let mut region = b;
    let mut target = target;
    'outer: loop {
        let mut pos = 0usize;
        for a in Attrs::new(region) {
            let Ok(a) = a else { break 'outer };
            let total = 4 + a.payload().len();
            let end = (pos + total + 3) & !3;
            if target >= pos && target < end {
                let (seg, next) = child(fam, &level, a.ty());
                path.push_str(&seg);
                match next {
                    Some(l) if target >= pos + 4 => {
                        level = l;
                        region = a.payload();
                        target -= pos + 4;
                        continue 'outer;
                    }
                    _ => break 'outer,
                }
            }
            pos = end;
        }
        break;
    }
    path
}

/// Name a numeric path (the runtime's, without a schema) through the spec; returns the path
/// and the set of the nest it ends in.
fn name_numeric(fam: &Family, set: Option<SetId>, p: &AttrPath) -> (String, Option<SetId>) {
    let mut s = String::new();
    let mut level = Some(Level::Set(set));
    for seg in p.segments() {
        let ty = match seg {
            PathSeg::Type(t) => *t,
            PathSeg::Index(i) => *i as u16,
            PathSeg::Name(n) => {
                s.push_str(&format!(".{n}"));
                level = None;
                continue;
            }
        };
        match &level {
            Some(l) => {
                let (seg, next) = child(fam, l, ty);
                s.push_str(&seg);
                level = next;
            }
            None => s.push_str(&format!(".{ty}")),
        }
    }
    let set = match level {
        Some(Level::Set(s)) => s,
        _ => None,
    };
    (s, set)
}

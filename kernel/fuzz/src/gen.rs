//! Requests from the spec: random values that every check of the spec allows
//! ([`Gen::request`]), and the boundary cases of every check ([`boundary_cases`]): at the limit
//! (validation must accept) and one step beyond it (validation must reject, with an extended
//! ACK whose offset names the attribute). Values are JSON in the shapes the CLI's run-time
//! codec (`nlspec_cli::dynamic::Encoder`) takes, so the encoding is the project's own.
//!
//! What the kernel validates is what the spec says (YNL's reading, as ynl-gen-c renders it):
//! `min`/`max` first, else `flags-mask`, else an enum's values (dense: a range; sparse: the
//! entries; flags: the mask), for host-order integers; `max-len`/`exact-len` of strings;
//! `min-len`/`max-len`/`exact-len` of binaries (a sized struct's size when none is given); the
//! valid bits of a bitfield32; integer payload widths. A string's `min-len` has no policy form
//! (the handler's getter checks it), so it is not expected of validation.

use nlspec_model::ir::{
    Attr, AttrKind, AttrType, Bound, BoundSource, ByteOrder, DisplayHint, Family, MemberType, Op, SetId,
};
use serde_json::{Map, Value as J};

use crate::rng::Rng;

/// How deep random requests nest.
const MAX_DEPTH: usize = 3;
/// Longest random string or binary payload without a `max-len`.
const DEFAULT_MAX_LEN: i128 = 40;

/// One request form of an op: its do or its dump.
#[derive(Debug, Clone, Copy)]
pub struct Form<'f> {
    pub op: &'f Op,
    pub dump: bool,
}

impl Form<'_> {
    /// `name/do` or `name/dump`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.op.name, if self.dump { "dump" } else { "do" })
    }
    /// The command number of the request.
    pub fn cmd(&self) -> u8 {
        self.op.req_value.unwrap_or(0) as u8
    }
    /// Whether the kernel validates this form's attributes at all.
    pub fn validated(&self) -> bool {
        !(self.dump && self.op.dont_validate.dump)
    }
}

/// Every form a client can send: each op's do (not notifications or events) and dump.
pub fn forms(fam: &Family) -> Vec<Form<'_>> {
    let mut out = Vec::new();
    for op in &fam.ops.list {
        if op.is_async() || op.req_value.is_none() {
            continue;
        }
        if op.do_.is_some() {
            out.push(Form { op, dump: false });
        }
        if op.dump.is_some() {
            out.push(Form { op, dump: true });
        }
    }
    out
}

/// The request attributes the spec lists for a form.
pub fn request_attrs<'f>(fam: &'f Family, f: &Form<'f>) -> Vec<&'f Attr> {
    let sub = if f.dump { f.op.dump.as_ref() } else { f.op.do_.as_ref() };
    sub.and_then(|s| s.request.as_ref()).map(|m| m.attrs.iter().map(|r| fam.attr(*r)).collect()).unwrap_or_default()
}

/// The attributes of a nested set a request may carry.
fn set_attrs(fam: &Family, set: SetId) -> Vec<&Attr> {
    fam.set(set).attrs.iter().filter(|a| a.value != 0 && carries_value(a)).collect()
}

fn carries_value(a: &Attr) -> bool {
    !matches!(a.kind, AttrKind::Unused | AttrKind::Pad | AttrKind::SubMessage { .. })
}

/// The value range of an integer type.
pub fn int_limits(t: AttrType) -> (i128, i128) {
    match t.int_range_width() {
        Some((w, true)) => (-(1i128 << (8 * w - 1)), (1i128 << (8 * w - 1)) - 1),
        Some((w, false)) => (0, (1i128 << (8 * w)) - 1),
        None => (0, 0),
    }
}

/// A bound's number (a const from a C header included: the spec gives its value, and the
/// generated policy is written with that number).
fn known(fam: &Family, b: Option<&Bound>) -> Option<i128> {
    let b = b?;
    // A const a kernel header defines with a placeholder 0 in the spec: the generated policy
    // uses the kernel's value. netdev's page-size is PAGE_SIZE, 4096 in the x86_64 guests this
    // fuzzer runs in; any other such placeholder is unknown.
    if let BoundSource::Const(c) = &b.source {
        let c = fam.const_(*c);
        if c.header.is_some() && b.value == 0 {
            return (c.name == "page-size").then_some(4096);
        }
    }
    Some(b.value)
}

fn is_be(a: &Attr) -> bool {
    a.byte_order == Some(ByteOrder::BigEndian)
}

fn num(v: i128) -> J {
    if let Ok(i) = i64::try_from(v) {
        J::from(i)
    } else {
        J::from(v as u64)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What validation allows of an integer attribute, in the order the generator applies checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntRule {
    /// `lo..=hi`, with whether each end is a check (not the type's limit).
    Range { lo: i128, hi: i128, lo_checked: bool, hi_checked: bool },
    /// Only these bits.
    Mask(u64),
    /// Only these values (a sparse enum).
    OneOf(Vec<i128>),
}

/// The rule validation applies to integer attribute `a` of type `t`.
pub fn int_rule(fam: &Family, a: &Attr, t: AttrType) -> IntRule {
    let (tlo, thi) = int_limits(t);
    let signed = matches!(t.int_range_width(), Some((_, true)));
    let c = &a.checks;
    if c.min.is_some() || c.max.is_some() {
        let (lo, hi) = (known(fam, c.min.as_ref()), known(fam, c.max.as_ref()));
        return IntRule::Range {
            lo: lo.unwrap_or(tlo).max(tlo),
            hi: hi.unwrap_or(thi).min(thi),
            lo_checked: lo.is_some(),
            hi_checked: hi.is_some(),
        };
    }
    let full = IntRule::Range { lo: tlo, hi: thi, lo_checked: false, hi_checked: false };
    if let Some(fm) = &c.flags_mask {
        return if !signed && fm.mask <= u32::MAX as u64 && !is_be(a) { IntRule::Mask(fm.mask) } else { full };
    }
    let Some(e) = a.enum_.map(|e| fam.enum_(e)).filter(|e| !e.entries.is_empty() && !is_be(a)) else {
        return full;
    };
    if a.enum_as_flags || e.kind == nlspec_model::ir::EnumKind::Flags {
        let mask = e.flags_mask();
        return if signed || mask > u32::MAX as u64 { full } else { IntRule::Mask(mask) };
    }
    let min = e.entries.iter().map(|x| x.value).min().unwrap_or(0) as i128;
    let max = e.max_value() as i128;
    if e.is_dense() && max <= thi {
        return IntRule::Range { lo: min, hi: max, lo_checked: true, hi_checked: true };
    }
    IntRule::OneOf(e.entries.iter().map(|x| x.value as i128).collect())
}

/// Payload length limits of a string (`None`: the value is not validated by length) in bytes
/// including the NUL: `(min, max)`.
fn binary_len_rule(fam: &Family, a: &Attr) -> (i128, Option<i128>) {
    let c = &a.checks;
    if let Some(x) = known(fam, c.exact_len.as_ref()) {
        return (x, Some(x));
    }
    let sized = a.struct_.and_then(|s| fam.struct_(s).size);
    match (c.min_len.is_some() || c.max_len.is_some(), sized) {
        (false, Some(s)) => (s as i128, Some(s as i128)),
        _ => (known(fam, c.min_len.as_ref()).unwrap_or(0), known(fam, c.max_len.as_ref())),
    }
}

/// Random requests of one family.
pub struct Gen<'f> {
    pub fam: &'f Family,
}

impl<'f> Gen<'f> {
    /// A random request object for form `f`: a random subset of its request attributes, each
    /// with a value every check allows, plus the fixed header's members.
    pub fn request(&self, rng: &mut Rng, f: &Form<'f>) -> Map<String, J> {
        let mut obj = self.object(rng, &request_attrs(self.fam, f), 0);
        if let Some(st) = f.op.fixed_header {
            for m in &self.fam.struct_(st).members {
                if let Some(v) = self.member(rng, m) {
                    obj.insert(m.name.clone(), v);
                }
            }
        }
        obj
    }

    fn member(&self, rng: &mut Rng, m: &nlspec_model::ir::Member) -> Option<J> {
        let t = match m.ty {
            MemberType::U8 => AttrType::U8,
            MemberType::U16 => AttrType::U16,
            MemberType::U32 => AttrType::U32,
            MemberType::U64 => AttrType::U64,
            MemberType::S8 => AttrType::S8,
            MemberType::S16 => AttrType::S16,
            MemberType::S32 => AttrType::S32,
            MemberType::S64 => AttrType::S64,
            MemberType::Binary if m.struct_.is_none() && m.display_hint.is_none() => {
                let len = m.len?;
                let b: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
                return Some(J::String(hex(&b)));
            }
            _ => return None,
        };
        let (lo, hi) = int_limits(t);
        Some(num(edge_biased(rng, lo, hi)))
    }

    fn object(&self, rng: &mut Rng, attrs: &[&'f Attr], depth: usize) -> Map<String, J> {
        let mut obj = Map::new();
        for a in attrs {
            if !rng.chance(2, 3) {
                continue;
            }
            let v = if a.multi_attr {
                let n = 1 + rng.below(3);
                let items: Vec<J> = (0..n).filter_map(|_| self.value(rng, a, depth)).collect();
                if items.is_empty() {
                    None
                } else {
                    Some(J::Array(items))
                }
            } else {
                self.value(rng, a, depth)
            };
            if let Some(v) = v {
                obj.insert(a.name.clone(), v);
            }
        }
        obj
    }

    /// A valid value of attribute `a`; `None` for kinds that carry none (or nests too deep).
    pub fn value(&self, rng: &mut Rng, a: &'f Attr, depth: usize) -> Option<J> {
        let fam = self.fam;
        match &a.kind {
            AttrKind::Unused | AttrKind::Pad | AttrKind::SubMessage { .. } => None,
            AttrKind::Flag => Some(J::Bool(true)),
            AttrKind::U8
            | AttrKind::U16
            | AttrKind::U32
            | AttrKind::U64
            | AttrKind::S8
            | AttrKind::S16
            | AttrKind::S32
            | AttrKind::S64
            | AttrKind::Uint
            | AttrKind::Sint => Some(num(self.int(rng, a, a.kind.ty()))),
            AttrKind::String => {
                let c = &a.checks;
                let (lo, hi) = match known(fam, c.exact_len.as_ref()) {
                    Some(x) => (x - 1, x - 1),
                    None => (
                        known(fam, c.min_len.as_ref()).unwrap_or(0),
                        known(fam, c.max_len.as_ref()).filter(|m| *m > 0).unwrap_or(DEFAULT_MAX_LEN).min(512),
                    ),
                };
                if lo < 0 || lo > hi {
                    return None;
                }
                let n = edge_biased(rng, lo, hi) as usize;
                Some(J::String((0..n).map(|_| (b' ' + rng.below(95) as u8) as char).collect()))
            }
            AttrKind::Binary => {
                let (lo, hi) = binary_len_rule(fam, a);
                let hi = hi.unwrap_or(lo.max(DEFAULT_MAX_LEN)).min(lo.max(512));
                if lo > hi {
                    return None;
                }
                let n = edge_biased(rng, lo, hi) as usize;
                let b: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                binary_json(a, &b)
            }
            AttrKind::Nest { set } => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                Some(J::Object(self.object(rng, &set_attrs(fam, *set), depth + 1)))
            }
            AttrKind::IndexedArray { sub_type, set } => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let n = rng.below(4);
                let mut items = Vec::new();
                for _ in 0..n {
                    let item = match (sub_type, set) {
                        (AttrType::Nest, Some(s)) => J::Object(self.object(rng, &set_attrs(fam, *s), depth + 1)),
                        (AttrType::Nest, None) => continue,
                        (AttrType::String, _) => J::String(format!("s{}", rng.below(1000))),
                        (AttrType::Binary, _) => J::String(hex(&rng.next_u64().to_ne_bytes())),
                        (t, _) if t.int_range_width().is_some() => num(self.int(rng, a, *t)),
                        _ => continue,
                    };
                    items.push(item);
                }
                Some(J::Array(items))
            }
            AttrKind::NestTypeValue { type_value, set } => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let mut o = self.object(rng, &set_attrs(fam, *set), depth + 1);
                for n in type_value {
                    o.insert(n.clone(), J::from(rng.below(4)));
                }
                Some(J::Object(o))
            }
            AttrKind::Bitfield32 => {
                let valid = a.enum_.map(|e| fam.enum_(e).flags_mask() as u32).unwrap_or(u32::MAX);
                let selector = rng.next_u64() as u32 & valid;
                let value = rng.next_u64() as u32 & selector;
                let mut o = Map::new();
                o.insert("value".into(), J::from(value));
                o.insert("selector".into(), J::from(selector));
                Some(J::Object(o))
            }
        }
    }

    /// A random integer that attribute `a`'s rule allows (elements of an indexed array take the
    /// array's checks too).
    fn int(&self, rng: &mut Rng, a: &Attr, t: AttrType) -> i128 {
        match int_rule(self.fam, a, t) {
            IntRule::Range { lo, hi, .. } => edge_biased(rng, lo, hi),
            IntRule::Mask(m) => (rng.next_u64() & m) as i128,
            IntRule::OneOf(v) => rng.pick(&v).copied().unwrap_or(0),
        }
    }
}

/// Uniform in `lo..=hi`, but a third of the time one of the ends.
fn edge_biased(rng: &mut Rng, lo: i128, hi: i128) -> i128 {
    match rng.below(6) {
        0 => lo,
        1 => hi,
        _ => rng.range_i128(lo, hi),
    }
}

/// `bytes` as the JSON the encoder takes for binary attribute `a` (its display hint's form);
/// `None` when the hint cannot spell that many bytes.
fn binary_json(a: &Attr, b: &[u8]) -> Option<J> {
    let s = match a.display_hint {
        None | Some(DisplayHint::Hex) | Some(DisplayHint::Fddi) => hex(b),
        Some(DisplayHint::Mac) if !b.is_empty() => b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":"),
        Some(DisplayHint::Ipv4 | DisplayHint::Ipv4OrV6 | DisplayHint::Ipv6) if b.len() == 4 => {
            std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()
        }
        Some(DisplayHint::Ipv4 | DisplayHint::Ipv4OrV6 | DisplayHint::Ipv6) if b.len() == 16 => {
            std::net::Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?).to_string()
        }
        Some(DisplayHint::Uuid) if b.len() == 16 => hex(b),
        _ => return None,
    };
    Some(J::String(s))
}

/// One boundary case: a request holding one attribute (inside its chain of nests), and what
/// validation must do with it.
#[derive(Debug, Clone)]
pub struct Case {
    /// `attr.path = value (why)`.
    pub what: String,
    /// Attribute types from the top level to the attribute.
    pub path: Vec<u16>,
    /// The request object.
    pub obj: Map<String, J>,
    /// Validation must reject it (naming the attribute); else it must accept it.
    pub reject: bool,
    /// Send the attribute one byte shorter than encoded (its payload truncated).
    pub shorten: bool,
}

/// The boundary cases of every check on the attributes form `f` may carry (nested ones up to
/// [`MAX_DEPTH`] levels). Empty when the kernel does not validate the form.
pub fn boundary_cases(fam: &Family, f: &Form<'_>) -> Vec<Case> {
    let mut out = Vec::new();
    if !f.validated() {
        return out;
    }
    for a in request_attrs(fam, f) {
        walk(fam, a, &mut Vec::new(), &mut out, 0);
    }
    out
}

fn walk<'f>(fam: &'f Family, a: &'f Attr, chain: &mut Vec<&'f Attr>, out: &mut Vec<Case>, depth: usize) {
    chain.push(a);
    for (v, reject, shorten, why) in attr_cases(fam, a) {
        out.push(make_case(chain, v, reject, shorten, &why));
    }
    if let AttrKind::Nest { set } = a.kind {
        if depth < MAX_DEPTH {
            for inner in set_attrs(fam, set) {
                walk(fam, inner, chain, out, depth + 1);
            }
        }
    }
    chain.pop();
}

fn make_case(chain: &[&Attr], v: J, reject: bool, shorten: bool, why: &str) -> Case {
    let mut cur = v.clone();
    for a in chain.iter().rev() {
        let mut o = Map::new();
        o.insert(a.name.clone(), cur);
        cur = J::Object(o);
    }
    let names: Vec<&str> = chain.iter().map(|a| a.name.as_str()).collect();
    let shown = match &v {
        J::String(s) if s.len() > 12 => format!("<{} chars>", s.len()),
        other => other.to_string(),
    };
    Case {
        what: format!("{} = {shown} ({why})", names.join(".")),
        path: chain.iter().map(|a| a.value).collect(),
        obj: match cur {
            J::Object(o) => o,
            _ => Map::new(),
        },
        reject,
        shorten,
    }
}

/// (value, reject?, shorten?, why) for attribute `a`'s own checks.
fn attr_cases(fam: &Family, a: &Attr) -> Vec<(J, bool, bool, String)> {
    let mut v = Vec::new();
    match &a.kind {
        AttrKind::U8
        | AttrKind::U16
        | AttrKind::U32
        | AttrKind::U64
        | AttrKind::S8
        | AttrKind::S16
        | AttrKind::S32
        | AttrKind::S64
        | AttrKind::Uint
        | AttrKind::Sint => {
            let t = a.kind.ty();
            let (tlo, thi) = int_limits(t);
            let some_valid;
            match int_rule(fam, a, t) {
                IntRule::Range { lo, hi, lo_checked, hi_checked } => {
                    some_valid = lo;
                    v.push((num(lo), false, false, "lowest allowed".into()));
                    v.push((num(hi), false, false, "highest allowed".into()));
                    if lo_checked && lo > tlo {
                        v.push((num(lo - 1), true, false, "below the minimum".into()));
                    }
                    if hi_checked && hi < thi {
                        v.push((num(hi + 1), true, false, "above the maximum".into()));
                    }
                }
                IntRule::Mask(m) => {
                    some_valid = m as i128;
                    v.push((num(m as i128), false, false, "every allowed bit".into()));
                    if let Some(bit) = (0..64).map(|b| 1u64 << b).find(|b| m & b == 0 && (*b as i128) <= thi) {
                        v.push((num((m | bit) as i128), true, false, "a bit outside the mask".into()));
                    }
                }
                IntRule::OneOf(vals) => {
                    some_valid = vals.iter().copied().min().unwrap_or(0);
                    let max = vals.iter().copied().max().unwrap_or(0);
                    v.push((num(some_valid), false, false, "lowest enum value".into()));
                    v.push((num(max), false, false, "highest enum value".into()));
                    if let Some(gap) = (some_valid..max).find(|x| !vals.contains(x)) {
                        v.push((num(gap), true, false, "a value between enum entries".into()));
                    }
                    if max < thi {
                        v.push((num(max + 1), true, false, "above the last enum value".into()));
                    }
                }
            }
            v.push((num(some_valid), true, true, "payload one byte short".into()));
        }
        AttrKind::String => {
            let c = &a.checks;
            if let Some(x) = known(fam, c.exact_len.as_ref()).filter(|x| (1..=4096).contains(x)) {
                v.push((J::String("x".repeat(x as usize - 1)), false, false, "exact length".into()));
                v.push((J::String("x".repeat(x as usize)), true, false, "one byte over the exact length".into()));
            } else {
                if let Some(m) = known(fam, c.max_len.as_ref()).filter(|m| (1..=4096).contains(m)) {
                    v.push((J::String("x".repeat(m as usize)), false, false, "max-len characters".into()));
                    v.push((J::String("x".repeat(m as usize + 1)), true, false, "one over max-len".into()));
                }
                if !c.unterminated_ok {
                    v.push((J::String("abc".into()), true, true, "no terminating NUL".into()));
                }
            }
        }
        AttrKind::Binary if matches!(a.display_hint, None | Some(DisplayHint::Hex | DisplayHint::Fddi)) => {
            let (lo, hi) = binary_len_rule(fam, a);
            let bytes = |n: i128| J::String("ab".repeat(n as usize));
            // A struct attribute's value must hold the whole struct (the encoder refuses
            // less): shorter cases are the struct cut on the wire.
            let whole = a.struct_.and_then(|s| fam.struct_(s).size).map_or(0, |s| s as i128);
            if (0..=4096).contains(&lo) && lo >= whole {
                v.push((bytes(lo), false, false, "shortest allowed".into()));
                if lo > 0 && lo == whole {
                    v.push((bytes(lo), true, true, "struct one byte too short".into()));
                } else if lo > 0 {
                    v.push((bytes(lo - 1), true, false, "one byte too short".into()));
                }
            }
            if let Some(hi) = hi.filter(|h| (0..=4096).contains(h)) {
                v.push((bytes(hi), false, false, "longest allowed".into()));
                v.push((bytes(hi + 1), true, false, "one byte too long".into()));
            }
        }
        AttrKind::Bitfield32 => {
            let valid = a.enum_.map(|e| fam.enum_(e).flags_mask() as u32).unwrap_or(u32::MAX);
            let bf = |value: u32, selector: u32| {
                let mut o = Map::new();
                o.insert("value".into(), J::from(value));
                o.insert("selector".into(), J::from(selector));
                J::Object(o)
            };
            v.push((bf(valid, valid), false, false, "every valid bit".into()));
            if let Some(bit) = (0..32).map(|b| 1u32 << b).find(|b| valid & b == 0) {
                v.push((bf(0, valid | bit), true, false, "selector bit outside the valid bits".into()));
                v.push((bf(bit, valid | bit), true, false, "value bit outside the valid bits".into()));
            }
        }
        _ => {}
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use nlspec_cli::dynamic::Encoder;

    fn nlkv() -> Family {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/nlkv.yaml");
        nlspec_model::load_and_resolve(&p).expect("specs/nlkv.yaml loads")
    }

    /// Every random request of every form encodes (the generator speaks the codec's JSON), and
    /// every boundary case encodes with its attribute where its path says.
    #[test]
    fn random_requests_and_boundary_cases_encode() {
        let fam = nlkv();
        let g = Gen { fam: &fam };
        let enc = Encoder::new(&fam);
        let mut rng = Rng::new(42);
        let forms = forms(&fam);
        assert!(forms.len() >= 8, "nlkv has do and dump forms");
        for f in &forms {
            for _ in 0..300 {
                let obj = g.request(&mut rng, f);
                enc.message(f.op.attribute_set, f.op.fixed_header, &obj)
                    .unwrap_or_else(|e| panic!("{}: {obj:?}: {e}", f.label()));
            }
        }
        let mut n = 0;
        let mut rejects = 0;
        for f in &forms {
            for c in boundary_cases(&fam, f) {
                let (_, attrs) = enc
                    .message(f.op.attribute_set, f.op.fixed_header, &c.obj)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", f.label(), c.what));
                assert!(crate::wire::locate(&attrs, &c.path).is_some(), "{}: {} not found", f.label(), c.what);
                n += 1;
                rejects += c.reject as usize;
            }
        }
        assert!(n > 20 && rejects > 10, "{n} cases, {rejects} rejecting");
    }

    #[test]
    fn int_rules_follow_the_checks_order() {
        let fam = nlkv();
        let mut seen_range = false;
        for s in &fam.sets {
            for a in &s.attrs {
                if let Some((_, _)) = a.kind.ty().int_range_width() {
                    if let IntRule::Range { lo, hi, lo_checked: true, .. } = int_rule(&fam, a, a.kind.ty()) {
                        assert!(lo <= hi, "{}", a.name);
                        seen_range = true;
                    }
                }
            }
        }
        assert!(seen_range, "nlkv has checked integer ranges");
    }

    /// The same over every Generic Netlink spec of the kernel's own corpus (Debian's
    /// linux-source tarballs in /usr/src, extracted at test time; a missing one is a failure):
    /// the guest fuzzes these modules, so every form must encode.
    #[test]
    fn upstream_corpus_requests_encode() {
        let dir = std::env::temp_dir().join(format!("nlspec-kfuzz-corpus-{}", std::process::id()));
        let mut specs = Vec::new();
        for v in ["6.12", "7.3"] {
            let tb = format!("/usr/src/linux-source-{v}.tar.xz");
            let into = dir.join(v);
            std::fs::create_dir_all(&into).unwrap();
            let st = std::process::Command::new("tar")
                .args(["-xJf", &tb, "-C"])
                .arg(&into)
                .args(["--wildcards", "*/Documentation/netlink/specs/*.yaml"])
                .status()
                .unwrap_or_else(|e| panic!("tar: {e}"));
            assert!(st.success(), "extracting {tb} (package linux-source-{v}; `cargo xtask deps`)");
            let sub = std::fs::read_dir(&into).unwrap().flatten().next().unwrap().path();
            for e in std::fs::read_dir(sub.join("Documentation/netlink/specs")).unwrap().flatten() {
                specs.push(e.path());
            }
        }
        let (mut fams, mut forms_n, mut cases_n) = (0, 0, 0);
        for p in &specs {
            let fam = nlspec_model::load_and_resolve(p).unwrap_or_else(|d| panic!("{d}"));
            if !fam.is_genetlink() {
                continue;
            }
            fams += 1;
            let g = Gen { fam: &fam };
            let enc = Encoder::new(&fam);
            let mut rng = Rng::new(7);
            for f in forms(&fam) {
                forms_n += 1;
                for _ in 0..5 {
                    let obj = g.request(&mut rng, &f);
                    enc.message(f.op.attribute_set, f.op.fixed_header, &obj)
                        .unwrap_or_else(|e| panic!("{}: {}: {e}: {obj:?}", p.display(), f.label()));
                }
                for c in boundary_cases(&fam, &f) {
                    cases_n += 1;
                    let (_, attrs) = enc
                        .message(f.op.attribute_set, f.op.fixed_header, &c.obj)
                        .unwrap_or_else(|e| panic!("{}: {}: {}: {e}", p.display(), f.label(), c.what));
                    assert!(crate::wire::locate(&attrs, &c.path).is_some(), "{}: {}", p.display(), c.what);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        println!("{fams} genetlink specs, {forms_n} forms, {cases_n} boundary cases");
        assert!(fams >= 35 && forms_n > 300 && cases_n > 300, "{fams} specs, {forms_n} forms, {cases_n} cases");
    }
}

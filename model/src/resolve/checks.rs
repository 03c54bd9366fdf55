//! Attribute checks (`checks:` min/max, min-len/max-len/exact-len, flags-mask,
//! unterminated-ok) valid for the attribute's type, and their bounds: integer literals, type
//! limits (`u32-max`) and consts, in the range of the attribute's type.

use super::definitions::Definitions;
use super::{one_of, AttrPaths, Ctx};
use crate::ir;
use crate::spec::{self, AttrType, IntOrName};

/// The integer range of a fixed-width type.
pub(super) struct IntRange {
    pub(super) min: i128,
    pub(super) max: i128,
}

/// The range of `t`, if it is a fixed-width integer type.
pub(super) fn int_range(t: AttrType) -> Option<IntRange> {
    let (w, signed) = t.int_range_width()?;
    let bits = (w * 8) as u32;
    Some(if signed {
        IntRange { min: -(1i128 << (bits - 1)), max: (1i128 << (bits - 1)) - 1 }
    } else {
        IntRange { min: 0, max: (1i128 << bits) - 1 }
    })
}

/// `u32-max`, `s8-min`, ... → value.
fn limit_value(name: &str) -> Option<i128> {
    let (ty, which) = name.split_once('-')?;
    let t = match ty {
        "u8" => AttrType::U8,
        "u16" => AttrType::U16,
        "u32" => AttrType::U32,
        "u64" => AttrType::U64,
        "s8" => AttrType::S8,
        "s16" => AttrType::S16,
        "s32" => AttrType::S32,
        "s64" => AttrType::S64,
        _ => return None,
    };
    let range = int_range(t)?;
    match which {
        "min" => Some(range.min),
        "max" => Some(range.max),
        _ => None,
    }
}

/// The attribute whose checks are resolved.
pub(super) struct CheckedAttr<'p> {
    /// Its type.
    pub(super) ty: AttrType,
    /// Its effective spec (a subset attribute's own keys over the parent's).
    pub(super) attr: &'p spec::Attr,
    /// The keys its own entry sets.
    pub(super) own: &'p spec::Attr,
    /// Where its keys are.
    pub(super) paths: &'p AttrPaths,
}

impl CheckedAttr<'_> {
    /// Path of `checks.<key>`: in the attribute's own entry if its own checks set the key.
    fn path(&self, key: &str) -> String {
        let in_own = self.own.checks.as_ref().is_some_and(|oc| check_key_in(oc, key));
        self.paths.key(&format!("checks.{key}"), in_own)
    }
}

/// The checks of `at` (none when it has no `checks:`), each valid for its type and in range.
pub(super) fn resolve_checks(cx: &mut Ctx<'_>, defs: &Definitions<'_>, at: &CheckedAttr<'_>) -> ir::Checks {
    let mut out = ir::Checks::default();
    let Some(c) = &at.attr.checks else { return out };
    min_max(cx, defs, at, c, &mut out);
    lengths(cx, defs, at, c, &mut out);
    flags_mask(cx, defs, at, c, &mut out);
    if let Some(u) = c.unterminated_ok {
        if at.ty != AttrType::String {
            cx.err(
                &at.path("unterminated-ok"),
                format!(
                    "check `unterminated-ok` does not apply to attribute `{}` of type {}",
                    at.attr.name,
                    at.ty.as_str()
                ),
                Some("unterminated-ok is only valid for string attributes".into()),
            );
        }
        out.unterminated_ok = u;
    }
    out
}

/// `min` and `max`: integer attributes only, non-negative literals, in the type's range,
/// min <= max.
fn min_max(cx: &mut Ctx<'_>, defs: &Definitions<'_>, at: &CheckedAttr<'_>, c: &spec::Checks, out: &mut ir::Checks) {
    let (ty, name) = (at.ty, &at.attr.name);
    let range = int_range(ty);
    for (key, v, slot) in [("min", &c.min, 0), ("max", &c.max, 1)] {
        let Some(v) = v else { continue };
        let p = at.path(key);
        let Some(range) = &range else {
            cx.err(
                &p,
                format!("check `{key}` does not apply to attribute `{name}` of type {}", ty.as_str()),
                Some(
                    "min/max are valid for integer attributes (u8..u64, s8..s64, uint, sint); \
                     use min-len/max-len for strings and binaries"
                        .into(),
                ),
            );
            continue;
        };
        if let IntOrName::Int(i) = v {
            if *i < 0 {
                cx.err(
                    &p,
                    format!("check {key} is a negative literal ({i})"),
                    Some(format!(
                        "the YNL schema allows only non-negative literals here; define a const \
                         (`- {{name: {key}-{name}, type: const, value: {i}}}`) and name it, \
                         or use a limit such as s32-min"
                    )),
                );
                continue;
            }
        }
        let Some(b) = bound(cx, defs, v, &p) else { continue };
        if b.value < range.min || b.value > range.max {
            cx.err(
                &p,
                format!("check {key} {} does not fit attribute `{name}` of type {}", b.value, ty.as_str()),
                Some(format!("a {} holds {}..={}", ty.as_str(), range.min, range.max)),
            );
            continue;
        }
        if slot == 0 {
            out.min = Some(b);
        } else {
            out.max = Some(b);
        }
    }
    if let (Some(mn), Some(mx)) = (&out.min, &out.max) {
        if mn.value > mx.value {
            cx.err(
                &at.path("min"),
                format!("check min {} is greater than max {}", mn.value, mx.value),
                Some("min must be <= max".into()),
            );
        }
    }
}

/// `min-len`, `max-len`, `exact-len`: string and binary attributes (also as indexed-array
/// sub-type) only, 0..=65535, min-len <= max-len.
fn lengths(cx: &mut Ctx<'_>, defs: &Definitions<'_>, at: &CheckedAttr<'_>, c: &spec::Checks, out: &mut ir::Checks) {
    let (ty, name) = (at.ty, &at.attr.name);
    let len_ok = matches!(ty, AttrType::String | AttrType::Binary)
        || (ty == AttrType::IndexedArray && matches!(at.attr.sub_type, Some(AttrType::String | AttrType::Binary)));
    for (key, v, slot) in [("min-len", &c.min_len, 0), ("max-len", &c.max_len, 1), ("exact-len", &c.exact_len, 2)] {
        let Some(v) = v else { continue };
        let p = at.path(key);
        if !len_ok {
            cx.err(
                &p,
                format!("check `{key}` does not apply to attribute `{name}` of type {}", ty.as_str()),
                Some("length checks are valid for string and binary attributes; use min/max for integers".into()),
            );
            continue;
        }
        // lengths may also be spelled `<const> - 1` (the schema's len-or-define)
        let b = match v {
            IntOrName::Name(n) if n.ends_with(" - 1") => match defs.index.len_value(cx, v, &p) {
                Some(x) => ir::Bound { value: x, source: ir::BoundSource::Literal },
                None => continue,
            },
            _ => match bound(cx, defs, v, &p) {
                Some(b) => b,
                None => continue,
            },
        };
        if !(0..=u16::MAX as i128).contains(&b.value) {
            cx.err(
                &p,
                format!("check {key} {} is out of range", b.value),
                Some("a length is from 0 to 65535 bytes".into()),
            );
            continue;
        }
        match slot {
            0 => out.min_len = Some(b),
            1 => out.max_len = Some(b),
            _ => out.exact_len = Some(b),
        }
    }
    if let (Some(mn), Some(mx)) = (&out.min_len, &out.max_len) {
        if mn.value > mx.value {
            cx.err(
                &at.path("min-len"),
                format!("check min-len {} is greater than max-len {}", mn.value, mx.value),
                Some("min-len must be <= max-len".into()),
            );
        }
    }
}

/// `flags-mask`: unsigned integer attributes only, naming a flags definition whose bits fit
/// the type.
fn flags_mask(cx: &mut Ctx<'_>, defs: &Definitions<'_>, at: &CheckedAttr<'_>, c: &spec::Checks, out: &mut ir::Checks) {
    let Some(f) = &c.flags_mask else { return };
    let (ty, name) = (at.ty, &at.attr.name);
    let p = at.path("flags-mask");
    let unsigned = matches!(ty, AttrType::U8 | AttrType::U16 | AttrType::U32 | AttrType::U64 | AttrType::Uint);
    if !unsigned {
        cx.err(
            &p,
            format!("check `flags-mask` does not apply to attribute `{name}` of type {}", ty.as_str()),
            Some("flags-mask is valid for unsigned integer attributes (u8..u64, uint)".into()),
        );
        return;
    }
    let Some(id) = defs.index.lookup_enum(cx, f, &p) else { return };
    let en = &defs.enums[id.0];
    if en.kind != ir::EnumKind::Flags {
        cx.err(
            &p,
            format!("flags-mask `{f}` is an enum, not flags"),
            Some("flags-mask must name a `type: flags` definition".into()),
        );
        return;
    }
    let mask = en.flags_mask();
    let bits = ty.int_range_width().map(|(w, _)| w * 8).unwrap_or(64);
    if bits < 64 && mask >> bits != 0 {
        cx.err(
            &p,
            format!("flags `{f}` (mask {mask:#x}) do not fit attribute `{name}` of type {}", ty.as_str()),
            Some("use a wider type".into()),
        );
    }
    out.flags_mask = Some(ir::FlagsMask { enum_: id, mask });
}

/// A bound: an integer, a limit (`u8-min` … `s64-max`) or a const with an integer value.
fn bound(cx: &mut Ctx<'_>, defs: &Definitions<'_>, v: &IntOrName, path: &str) -> Option<ir::Bound> {
    match v {
        IntOrName::Int(i) => Some(ir::Bound { value: *i, source: ir::BoundSource::Literal }),
        IntOrName::Name(n) => {
            if let Some(x) = limit_value(n) {
                return Some(ir::Bound { value: x, source: ir::BoundSource::Limit(n.clone()) });
            }
            if let Some(id) = defs.index.const_def(n).map(|c| c.id) {
                return match defs.consts.get(id.0).map(|c| c.value.clone()) {
                    Some(ir::ConstValue::Int(x)) => Some(ir::Bound { value: x, source: ir::BoundSource::Const(id) }),
                    _ => {
                        cx.err(
                            path,
                            format!("const `{n}` has no integer value"),
                            Some(
                                "a bound must be an integer, a limit (u8-min … s64-max) \
                                 or a const with an integer value"
                                    .into(),
                            ),
                        );
                        None
                    }
                };
            }
            cx.err(
                path,
                format!("unknown limit or definition `{n}`"),
                Some(format!(
                    "use an integer, a limit `u8-min`…`u64-max` / `s8-min`…`s64-max`, or a const: {}",
                    one_of(&defs.index.const_names())
                )),
            );
            None
        }
    }
}

/// Whether checks `c` set `key`.
fn check_key_in(c: &spec::Checks, key: &str) -> bool {
    match key {
        "min" => c.min.is_some(),
        "max" => c.max.is_some(),
        "min-len" => c.min_len.is_some(),
        "max-len" => c.max_len.is_some(),
        "exact-len" => c.exact_len.is_some(),
        "flags-mask" => c.flags_mask.is_some(),
        "unterminated-ok" => c.unterminated_ok.is_some(),
        _ => false,
    }
}

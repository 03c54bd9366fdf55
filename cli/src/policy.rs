//! `--policy --do OP` / `--policy --dump OP`: the running kernel's policy for an operation
//! (nlctrl `getpolicy` with the family id and the op), shaped as YNL's
//! `NlPolicy.to_dict()` (tools/net/ynl/pyynl/lib/ynl.py): attribute names from the spec
//! (`attr-N` when unknown), each entry `{type, min-value, max-value, min-length, max-length,
//! bitfield32-mask, mask}` in the kernel's order, nested policies under `policy`, loops cut.

use crate::dynamic::{Key, Value};
use nlspec_model::ir::{Family, Op, SetId};
use nlspec_rt::ctrl::{
    getpolicy_request, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_OP, CTRL_ATTR_OP_POLICY, CTRL_ATTR_POLICY, CTRL_ATTR_POLICY_DO,
    CTRL_ATTR_POLICY_DUMP,
};
use nlspec_rt::error::*;
use nlspec_rt::{Attr, GenlSocket};

use crate::errors::{sock_err, Fail};

/// One decoded attribute policy: YNL's `_genl_decode_policy` dict (TLV order) and the nested
/// policy index.
struct Entry {
    attr: u16,
    props: Vec<(Key, Value)>,
    idx: Option<u32>,
}

/// An entry's properties in order.
type Props = Vec<(Key, Value)>;

fn decode(a: &Attr<'_>) -> Result<(Props, Option<u32>), nlspec_rt::DecodeError> {
    let mut props = Vec::new();
    let mut idx = None;
    let mut put = |k: &str, v: Value| {
        let k = Key::Str(k.into());
        // A repeated key keeps its first position and takes the last value, as in a dict.
        match props.iter_mut().find(|(x, _)| *x == k) {
            Some((_, old)) => *old = v,
            None => props.push((k, v)),
        }
    };
    for t in a.nested() {
        let t = t?;
        match t.ty() {
            NL_POLICY_TYPE_ATTR_TYPE => put("type", Value::Str(nl_attr_type_name(t.get_u32()?).into())),
            NL_POLICY_TYPE_ATTR_MIN_VALUE_S => put("min-value", Value::Int(t.get_s64()?.into())),
            NL_POLICY_TYPE_ATTR_MAX_VALUE_S => put("max-value", Value::Int(t.get_s64()?.into())),
            NL_POLICY_TYPE_ATTR_MIN_VALUE_U => put("min-value", Value::Int(t.get_u64()?.into())),
            NL_POLICY_TYPE_ATTR_MAX_VALUE_U => put("max-value", Value::Int(t.get_u64()?.into())),
            NL_POLICY_TYPE_ATTR_MIN_LENGTH => put("min-length", Value::Int(t.get_u32()?.into())),
            NL_POLICY_TYPE_ATTR_MAX_LENGTH => put("max-length", Value::Int(t.get_u32()?.into())),
            NL_POLICY_TYPE_ATTR_POLICY_IDX => idx = Some(t.get_u32()?),
            NL_POLICY_TYPE_ATTR_BITFIELD32_MASK => put("bitfield32-mask", Value::Int(t.get_u32()?.into())),
            NL_POLICY_TYPE_ATTR_MASK => put("mask", Value::Int(t.get_u64()?.into())),
            _ => {}
        }
    }
    Ok((props, idx))
}

/// The policy tables (index → entries in dump order) and the op's do/dump table indexes.
type Tables = (Vec<(u32, Vec<Entry>)>, Option<u32>, Option<u32>);

fn fetch(sock: &mut GenlSocket, family: u16, cmd: u32) -> Result<Tables, Fail> {
    let req = getpolicy_request();
    let mut it = sock
        .dump(&req, |w| {
            w.put_u16(CTRL_ATTR_FAMILY_ID, family);
            w.put_u32(CTRL_ATTR_OP, cmd);
        })
        .map_err(|e| sock_err("nlctrl getpolicy", e))?;
    let mut tables: Vec<(u32, Vec<Entry>)> = Vec::new();
    let (mut do_, mut dump) = (None, None);
    let bad = |e: nlspec_rt::DecodeError| Fail::Error(format!("nlspec: malformed nlctrl getpolicy reply: {e}"));
    while let Some(m) = it.next() {
        let m = m.map_err(|e| sock_err("nlctrl getpolicy", e))?;
        for a in m.attrs() {
            let a = a.map_err(bad)?;
            match a.ty() {
                CTRL_ATTR_OP_POLICY => {
                    for op in a.nested() {
                        for x in op.map_err(bad)?.nested() {
                            let x = x.map_err(bad)?;
                            match x.ty() {
                                CTRL_ATTR_POLICY_DO => do_ = Some(x.get_u32().map_err(bad)?),
                                CTRL_ATTR_POLICY_DUMP => dump = Some(x.get_u32().map_err(bad)?),
                                _ => {}
                            }
                        }
                    }
                }
                CTRL_ATTR_POLICY => {
                    for t in a.nested() {
                        let t = t.map_err(bad)?;
                        let idx = u32::from(t.ty());
                        for at in t.nested() {
                            let at = at.map_err(bad)?;
                            let (props, nested) = decode(&at).map_err(bad)?;
                            let e = Entry { attr: at.ty(), props, idx: nested };
                            let pos = match tables.iter().position(|(i, _)| *i == idx) {
                                Some(p) => p,
                                None => {
                                    tables.push((idx, Vec::new()));
                                    tables.len() - 1
                                }
                            };
                            let list = &mut tables[pos].1;
                            // A dict keyed by attribute: a repeat replaces in place.
                            match list.iter_mut().find(|x| x.attr == e.attr) {
                                Some(old) => *old = e,
                                None => list.push(e),
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok((tables, do_, dump))
}

/// The set an attribute's `nested-attributes` names, as YNL's `NlPolicy.__getitem__` follows it.
fn nested_set(fam: &Family, set: Option<SetId>, attr: u16) -> (String, Option<SetId>) {
    match set.and_then(|s| fam.set(s).attr_by_value(attr)) {
        None => (format!("attr-{attr}"), None),
        Some(a) => (a.name.clone(), a.kind.nested_set()),
    }
}

/// `NlPolicy.to_dict(seen)` for table `idx` with properties `props`.
fn to_dict(
    fam: &Family,
    tables: &[(u32, Vec<Entry>)],
    idx: Option<u32>,
    set: Option<SetId>,
    props: &[(Key, Value)],
    seen: &[u32],
) -> Value {
    let mut result: Vec<(Key, Value)> = props.to_vec();
    if let Some(i) = idx {
        if !seen.contains(&i) {
            let mut seen = seen.to_vec();
            seen.push(i);
            let mut children: Vec<(Key, Value)> = Vec::new();
            if let Some((_, entries)) = tables.iter().find(|(t, _)| *t == i) {
                for e in entries {
                    let (name, child_set) = nested_set(fam, set, e.attr);
                    let child_set = if e.idx.is_some() { child_set } else { None };
                    let v = to_dict(fam, tables, e.idx, child_set, &e.props, &seen);
                    let k = Key::Str(name);
                    match children.iter_mut().find(|(x, _)| *x == k) {
                        Some((_, old)) => *old = v,
                        None => children.push((k, v)),
                    }
                }
            }
            if props.is_empty() {
                result = children;
            } else {
                result.push((Key::Str("policy".into()), Value::Map(children)));
            }
        }
    }
    Value::Map(result)
}

/// YNL's `get_policy(op, mode).to_dict()`, or `None` (`Value::Null`) when the kernel has no
/// policy for that mode of the op.
pub fn policy(sock: &mut GenlSocket, fam: &Family, family_id: u16, op: &Op, dump: bool) -> Result<Value, Fail> {
    let cmd = op.req_value.unwrap_or(0);
    let (tables, do_, dump_idx) = fetch(sock, family_id, cmd)?;
    let idx = if dump { dump_idx } else { do_ };
    Ok(match idx {
        None => Value::Null,
        Some(i) => to_dict(fam, &tables, Some(i), op.attribute_set, &[], &[]),
    })
}

//! The sub-messages table (netlink-raw): each sub-message's formats by selector value, with
//! their fixed-header struct and attribute set.

use super::definitions::DefIndex;
use super::sets::SetIndex;
use super::{candidates, Ctx};
use crate::ir::{self, SubMsgId};
use crate::names::upper_camel;
use std::collections::HashMap;

/// The resolved sub-messages (duplicates dropped) and their name index.
pub(super) struct SubMessages<'a> {
    pub(super) index: SubMsgIndex<'a>,
    pub(super) list: Vec<ir::SubMessage>,
}

/// Sub-message names → ids.
pub(super) struct SubMsgIndex<'a> {
    by_name: HashMap<&'a str, SubMsgId>,
}

impl SubMsgIndex<'_> {
    /// The sub-message `name`; reported at `path` if there is none.
    pub(super) fn lookup(&self, cx: &mut Ctx<'_>, name: &str, path: &str) -> Option<SubMsgId> {
        if let Some(id) = self.by_name.get(name) {
            return Some(*id);
        }
        let mut names: Vec<&str> = self.by_name.keys().copied().collect();
        names.sort_unstable();
        cx.err(path, format!("unknown sub-message `{name}`"), Some(candidates(name, "sub-messages", &names)));
        None
    }
}

pub(super) fn resolve_sub_messages<'a>(cx: &mut Ctx<'a>, defs: &DefIndex<'a>, sets: &SetIndex<'a>) -> SubMessages<'a> {
    let mut index = SubMsgIndex { by_name: HashMap::new() };
    let mut list = Vec::new();
    let s = cx.spec;
    for (i, sm) in s.sub_messages.as_deref().unwrap_or(&[]).iter().enumerate() {
        if let Some(prev) = index.by_name.get(sm.name.as_str()) {
            let prev = prev.0;
            cx.err(
                &format!("sub-messages[{i}].name"),
                format!("duplicate sub-message name `{}`", sm.name),
                Some(format!("first defined at sub-messages[{prev}]")),
            );
            continue;
        }
        index.by_name.insert(&sm.name, SubMsgId(list.len()));
        let mut formats = Vec::new();
        let mut vals: HashMap<&str, usize> = HashMap::new();
        for (j, f) in sm.formats.iter().enumerate() {
            let fp = format!("sub-messages[{i}].formats[{j}]");
            if let Some(prev) = vals.insert(f.value.as_str(), j) {
                cx.err(
                    &format!("{fp}.value"),
                    format!("duplicate format value `{}`", f.value),
                    Some(format!("first used at formats[{prev}]")),
                );
            }
            let fixed_header =
                f.fixed_header.as_ref().and_then(|n| defs.lookup_struct(cx, n, &format!("{fp}.fixed-header")));
            let attribute_set =
                f.attribute_set.as_ref().and_then(|n| sets.lookup(cx, n, &format!("{fp}.attribute-set")));
            formats.push(ir::Format {
                value: f.value.clone(),
                rust_name: upper_camel(&f.value),
                fixed_header,
                attribute_set,
            });
        }
        list.push(ir::SubMessage { name: sm.name.clone(), rust_name: upper_camel(&sm.name), formats });
    }
    SubMessages { index, list }
}

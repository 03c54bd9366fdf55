//! One name table for the generated types of a family, used by both emitters: the client crate
//! and the kernel module name a spec's enum, struct, set and op alike, and an enum has the same
//! integer width on both sides.

use std::collections::HashSet;

use nlspec_model::ir::{self, AttrType, Family};

/// Rust names of the generated types of one family, unique within the generated client crate
/// and within the generated kernel file.
#[derive(Debug, Clone)]
pub struct TypeNames {
    /// Base name of each attribute set (index = `SetId`): the client's view type, the stem of
    /// `<Set>Owned`, `<Set>Encoder`, the kernel's `<Set>View`, `<Set>Writer`...
    pub sets: Vec<String>,
    /// Type of each enum/flags definition (index = `EnumId`).
    pub enums: Vec<String>,
    /// Integer type inside each enum/flags newtype (`u32`, or `u64` when a value, or an
    /// attribute or struct member carrying it, is wider).
    pub enum_repr: Vec<&'static str>,
    /// Type of each struct definition (index = `StructId`).
    pub structs: Vec<String>,
    /// Type of each sub-message (index = `SubMsgId`).
    pub sub_messages: Vec<String>,
    /// Base of each op's type names (`<base>Request`, `<base>Reply`, `<base>Op`...; index =
    /// `OpId`).
    pub ops: Vec<String>,
    /// Sets that can contain themselves (through nests): owned forms box them.
    pub recursive: Vec<bool>,
}

/// Names the generated client crate or kernel file define themselves (or use from their
/// runtime); a definition or set with one of these names gets a suffix.
const RESERVED: &[&str] = &[
    // client
    "Client",
    "AsyncClient",
    "Notification",
    "Group",
    "Error",
    "Attr",
    "Attrs",
    "DecodeError",
    "AttrWriter",
    "GenlMsg",
    "Option",
    "Result",
    "Vec",
    "String",
    "Box",
    "Self_",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Debug",
    "Iterator",
    "Clone",
    "Copy",
    "From",
    "FnOnce",
    "Fn",
    "FnMut",
    "Sized",
    "Send",
    "Sync",
    "Drop",
    "Into",
    "ToOwned",
    "ToString",
    "std",
    "core",
    "nlspec_rt",
    "FamilyInfo",
    "Request",
    "GenlSocket",
    "NlMsg",
    "FixedHeader",
    "Bitfield32",
    "EncodeError",
    // kernel
    "Sink",
    "ArrayIter",
    "Ops",
    "Dumped",
    "PhantomData",
];

/// Names derived from a set's base name (client and kernel).
const SET_DERIVED: &[&str] = &["Owned", "Encoder", "ArrayEncoder", "View", "Writer", "Array", "Slots", "Attrs"];
/// Names derived from an op's base name (client and kernel).
const OP_DERIVED: &[&str] = &[
    "Request",
    "DumpRequest",
    "Reply",
    "DumpIter",
    "Notification",
    "Op",
    "Dump",
    "DumpEntry",
    "DumpState",
    "ReplyAttrs",
    "DumpReplyAttrs",
    "Attrs",
    "Ntf",
];
/// Names derived from an enum's name (kernel policy value checks).
const ENUM_DERIVED: &[&str] = &["Check"];

impl TypeNames {
    /// Assign names: definitions keep their `rust_name`; a definition whose name is taken
    /// gets a kind suffix (`Enum`, `Struct`, a set `Attrs`, an op `Op`, a sub-message `Msg`),
    /// remaining clashes a number.
    pub fn new(f: &Family) -> Self {
        let mut taken: HashSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        taken.insert(format!("{}Handler", f.rust_name));
        // Claim `base` (or `base+suffix`, `base+suffix+2`, ...) such that the name and every
        // name derived from it are free.
        let mut claim = |base: &str, suffix: &str, derived: &[&str]| -> String {
            let free = |taken: &HashSet<String>, n: &str| {
                !taken.contains(n) && derived.iter().all(|d| !taken.contains(&format!("{n}{d}")))
            };
            let mut name = base.to_string();
            if !free(&taken, &name) {
                name = format!("{base}{suffix}");
            }
            let mut n = 2;
            while !free(&taken, &name) {
                name = format!("{base}{suffix}{n}");
                n += 1;
            }
            taken.insert(name.clone());
            for d in derived {
                taken.insert(format!("{name}{d}"));
            }
            name
        };
        let enums: Vec<String> = f.enums.iter().map(|e| claim(&e.rust_name, "Enum", ENUM_DERIVED)).collect();
        let structs: Vec<String> = f.structs.iter().map(|s| claim(&s.rust_name, "Struct", &[])).collect();
        let sets: Vec<String> = f.sets.iter().map(|s| claim(&s.rust_name, "Attrs", SET_DERIVED)).collect();
        let ops: Vec<String> = f.ops.list.iter().map(|o| claim(&o.rust_name, "Op", OP_DERIVED)).collect();
        let sub_messages: Vec<String> = f.sub_messages.iter().map(|s| claim(&s.rust_name, "Msg", &[])).collect();
        TypeNames { sets, enums, enum_repr: enum_reprs(f), structs, sub_messages, ops, recursive: recursive_sets(f) }
    }
}

/// An enum needs 64 bits if a value is wider than 32 bits or a 64-bit attribute or struct
/// member carries it.
fn enum_reprs(f: &Family) -> Vec<&'static str> {
    let mut wide: Vec<bool> = f.enums.iter().map(|e| e.max_value() > u32::MAX as u64).collect();
    for a in f.sets.iter().flat_map(|s| &s.attrs) {
        if let Some(e) = a.enum_ {
            if matches!(a.kind.ty(), AttrType::U64 | AttrType::S64 | AttrType::Uint | AttrType::Sint) {
                wide[e.0] = true;
            }
        }
    }
    for m in f.structs.iter().flat_map(|s| &s.members) {
        if let Some(e) = m.enum_ {
            if matches!(m.ty, ir::MemberType::U64 | ir::MemberType::S64) {
                wide[e.0] = true;
            }
        }
    }
    wide.iter().map(|w| if *w { "u64" } else { "u32" }).collect()
}

/// Whether each set can reach itself through nested sets.
fn recursive_sets(f: &Family) -> Vec<bool> {
    let edges: Vec<Vec<usize>> =
        f.sets.iter().map(|s| s.attrs.iter().filter_map(|a| a.kind.nested_set()).map(|id| id.0).collect()).collect();
    (0..f.sets.len())
        .map(|start| {
            let mut seen = vec![false; f.sets.len()];
            let mut stack: Vec<usize> = edges[start].clone();
            while let Some(n) = stack.pop() {
                if n == start {
                    return true;
                }
                if !std::mem::replace(&mut seen[n], true) {
                    stack.extend(edges[n].iter().copied());
                }
            }
            false
        })
        .collect()
}

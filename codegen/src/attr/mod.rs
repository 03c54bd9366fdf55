//! One Rust type per YNL attribute kind: everything the emitters need to know about an
//! attribute's type lives with that type.
//!
//! Each kind implements [`AttrGen`]. The client emitter asks it for the token stream that
//! parses an `nlspec_rt::Attr` when a view's getter reads it, the getter type and expression,
//! the owned type, the builder parameters and the `put_*` statements, the
//! schema-table entry and how the value prints. The kernel side is on the same trait
//! (`kernel_policy`, `kernel_get`, `kernel_put`); the runtime primitives share their names on
//! both sides (see ARCHITECTURE.md), so the put/get tokens serve both.
//!
//! Token conventions: expressions refer to `nlspec_rt` through the path `::nlspec_rt` on the
//! client side and to the kernel support layer as `nl`; the caller passes the names (`attr`,
//! `w`, `depth`) that the tokens may use.
//!
//! Layout (imports go one way, top to bottom): this module dispatches to the kinds ([`gen`])
//! and re-exports; `<kind>.rs` (one per kind) use [`kind`] (the [`AttrGen`] trait and what it
//! exchanges with the emitters), [`policy`] (kernel `nla_policy` building blocks) and [`cx`]
//! (the context [`Cx`] and token helpers), which uses [`names`] (the one name table). Nothing
//! here imports from `crate::emit`.

pub mod binary;
pub mod bitfield32;
pub mod cx;
pub mod flag;
pub mod indexed_array;
pub mod kind;
pub mod names;
pub mod nest;
pub mod nest_type_value;
pub mod pad;
pub mod policy;
pub mod scalar;
pub mod string;
pub mod sub_message;

pub use binary::Binary;
pub use bitfield32::Bitfield32;
pub use cx::{cast, doc_attrs, doc_lines, ident, int_ty, map_v, method_name, ty_lit, value_enum, Cx};
pub use cx::{is_token, ok_of, reads_self_depth, uses_depth};
pub use flag::Flag;
pub use indexed_array::IndexedArray;
pub use kind::{iter_accessors, option_accessors, AttrGen, ClientAccessor, ClientAccessors, Elements};
pub use names::TypeNames;
pub use nest::Nest;
pub use nest_type_value::NestTypeValue;
pub use pad::Pad;
pub use policy::{PolicyStatics, RangeStatic};
pub use scalar::Scalar;
pub use string::Str;
pub use sub_message::SubMessage;

use nlspec_model::ir;

/// The generator of an attribute's kind.
pub fn gen(a: &ir::Attr) -> &'static dyn AttrGen {
    match &a.kind {
        ir::AttrKind::Unused | ir::AttrKind::Pad => &Pad,
        ir::AttrKind::Flag => &Flag,
        ir::AttrKind::U8
        | ir::AttrKind::U16
        | ir::AttrKind::U32
        | ir::AttrKind::U64
        | ir::AttrKind::S8
        | ir::AttrKind::S16
        | ir::AttrKind::S32
        | ir::AttrKind::S64
        | ir::AttrKind::Uint
        | ir::AttrKind::Sint => &Scalar,
        ir::AttrKind::String => &Str,
        ir::AttrKind::Binary => &Binary,
        ir::AttrKind::Nest { .. } => &Nest,
        ir::AttrKind::IndexedArray { .. } => &IndexedArray,
        ir::AttrKind::NestTypeValue { .. } => &NestTypeValue,
        ir::AttrKind::Bitfield32 => &Bitfield32,
        ir::AttrKind::SubMessage { .. } => &SubMessage,
    }
}

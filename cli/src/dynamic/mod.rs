//! Spec-driven encoding and decoding of Generic Netlink messages at run time, for the `nlspec`
//! CLI (`--do`, `--dump`, `--subscribe`).
//!
//! Nothing here is generated: the codec walks the resolved [`nlspec_model::ir::Family`]. Requests are
//! built from JSON objects ([`encode`]) and replies are decoded into [`Value`]s ([`decode`])
//! that have the same shape and values as the kernel's own YNL library
//! (`tools/net/ynl/pyynl/lib/ynl.py`) produces for the same spec and bytes:
//!
//! - enums as entry names, flags (and `enum-as-flags`) as sets of names (JSON: sorted lists),
//!   values without an entry as `Unknown(<n>)`;
//! - binary as hex strings, or per `display-hint` (`hex` → `"aa bb"`, `mac`, `ipv4`, `ipv6`,
//!   `uuid`); binary with `struct` as maps, with `sub-type` as lists of scalars;
//! - `indexed-array` as a list (elements of nests as `{index: {...}}`), `nest-type-value` as a
//!   map of the type-value names and the inner attributes, `bitfield32` as
//!   `{"value", "selector"}`, `multi-attr` as lists, flags as `true`, pads skipped;
//! - fixed headers merged into the top-level map;
//! - attributes missing from the spec as `UnknownAttr(<type>)` (nests decoded, else bytes).
//!
//! # Why this codec mirrors the generator's attribute kinds instead of sharing them
//!
//! The code generator keeps each attribute kind in one type of `nlspec_codegen::attr`
//! (`Scalar`, `Str`, `Binary`, `Flag`, `Nest`, `IndexedArray`, `NestTypeValue`, `Bitfield32`,
//! `SubMessage`, `Pad`; `attr::gen` picks it) implementing `AttrGen`, whose methods return
//! token streams: Rust source written at build time into the client crate (stored type, parse,
//! view, owned form, builder `put`, schema entry) and into the kernel module (`kernel_policy`,
//! `kernel_get`, `kernel_put`), typed with the names of the generated types (enum and flags
//! newtypes, structs, set views). This codec has no generated types to name and nothing to
//! emit: it acts at run time on values, `serde_json` objects in and [`Value`]s out, and those
//! values take the shapes of the Python objects of the kernel's YNL (`ynl.py`), not of the
//! generated API: an enum is its entry name and a flags value a set of names where the client
//! has a newtype, binary is hex or its display-hint rendering where the client has `&[u8]` or a
//! struct, an indexed-array is `[{index: {...}}]` where the client has an iterator of
//! `(index, view)`, an attribute the spec lacks is `UnknownAttr(N)`; and input is as lax as
//! YNL's `--json` (integers as decimal strings, enum and display-hint strings) where a generated
//! builder takes typed arguments. Sharing the kind types would give each a token half and a
//! value half with nothing in common but the kind's name. What is shared is what decides what
//! an attribute is: both sides load the spec with the same `nlspec_model::load_and_resolve`
//! and walk the same resolved IR ([`nlspec_model::ir`]), so the kind
//! ([`nlspec_model::ir::AttrKind`], with its nested set, indexed-array sub-type, nest-type-value
//! levels and sub-message selector), integer width and signedness (`AttrKind::ty`,
//! `AttrType::int_width`), byte order, enum/flags and `enum-as-flags`, struct layouts, binary
//! `sub-type` and display hints are resolved once, in `nlspec_model`; replies are walked with
//! the runtime's `nlspec_rt::Attrs`, as the generated views walk them. What is mirrored is how
//! each kind goes to and from the wire: the generator's per-kind `parse`/`put`, and here one
//! `match` over `AttrKind` per direction (in [`Encoder`], JSON → attribute; in [`Decoder`],
//! attribute → [`Value`]), plus the decoder's nesting limit (32, the generated clients'
//! `MAX_NEST_DEPTH`). Both matches, like `attr::gen`, name every `AttrKind` variant without a
//! catch-all, so a kind added to the IR does not compile until both sides handle it. What keeps
//! the two consistent, besides that IR, is that each side is pinned to the wire by its own
//! tests (none passes the same bytes through both): this codec against the kernel's own YNL,
//! offline in `cli/tests/cli_codec.rs` (the same JSON must encode to the bytes of YNL's
//! `_add_attr`, and those bytes must decode, ours and YNL's `_decode`, to the same JSON text:
//! an encode → decode round trip per case, for the nlkv showcase spec with every attribute
//! kind, nlctrl and rt-link's sub-messages) and live in `cli/tests/cli_live.rs` (`nlspec` next
//! to YNL's `cli.py` against the running kernel: every dump of the host's upstream families,
//! netlink-raw families, notifications, `--policy`, `--multi`, the pretty form); the generated
//! code by the round trips of `codegen/tests/client_roundtrip.rs` (generated encoders →
//! generated views, every nlkv kind, proptest), the live nlctrl client and the VM suite
//! (the generated client against the module built from the generated kernel code).

pub mod decode;
pub mod encode;
mod error;
mod scalar;
pub mod value;

pub use decode::{DecodeError, Decoder};
pub use encode::{EncodeError, Encoder};
pub use error::CodecError;
pub(crate) use scalar::struct_size;
pub use value::{Key, Value};

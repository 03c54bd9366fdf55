//! nlspec userspace runtime: what generated Generic Netlink clients are built on.
//!
//! See ARCHITECTURE.md "Runtime primitives" for the contract with the client emitter.
#![warn(missing_docs)]

pub mod attr;

pub use attr::{
    Attr, AttrPath, AttrWriter, Attrs, Bitfield32, DecodeError, DecodeErrorKind, Nest, PathSeg,
};

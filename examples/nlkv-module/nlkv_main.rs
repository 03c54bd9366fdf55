// SPDX-License-Identifier: GPL-2.0

//! Kernel module `nlkv` built out of tree: the nlspec showcase, an in-kernel key-value store
//! served over the Generic Netlink family generated from `specs/nlkv.yaml`.
//!
//! This crate root only wires the parts together: the generated family file
//! (`generated/kmod/nlkv/nlkv_genl.rs`), the out-of-tree support layer (`nlspec_support.rs`,
//! copied here at build time) and the store with its handlers (`nlkv_store.rs`, the same file
//! the in-tree build uses, see `in-tree/nlkv.rs`).

#[path = "../../generated/kmod/nlkv/nlkv_genl.rs"]
mod nlkv_genl;
mod nlkv_store;
mod nlspec_support;

/// The support layer, as the family file and the handlers name it.
use nlspec_support as nl;

use kernel::prelude::*;
use nlkv_store::NlkvModule;

module! {
    type: NlkvModule,
    name: "nlkv",
    description: "nlkv: in-kernel key-value store over Generic Netlink (nlspec showcase)",
    license: "GPL",
}

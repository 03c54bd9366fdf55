// SPDX-License-Identifier: GPL-2.0

//! Kernel module `nlkv` built in a kernel tree with the `kernel::net::genetlink` series: the
//! nlspec showcase, an in-kernel key-value store served over the Generic Netlink family
//! generated from `Documentation/netlink/specs/nlkv.yaml`.
//!
//! This is the driver directory's crate root in place of the generated skeleton's: beside it
//! are the generated family file (`nlkv_genl.rs`), the in-tree support layer (`nlspec_genl.rs`,
//! `nlspec_macros.rs`) and the store with its handlers (`nlkv_store.rs`, the same file the
//! out-of-tree build uses, see `../nlkv_main.rs`).

mod nlkv_genl;
mod nlkv_store;
mod nlspec_genl;

/// The support layer, as the family file and the handlers name it.
use nlspec_genl as nl;

use kernel::prelude::*;
use nlkv_store::NlkvModule;

module! {
    type: NlkvModule,
    name: "nlkv",
    description: "nlkv: in-kernel key-value store over Generic Netlink (nlspec showcase)",
    license: "GPL",
}

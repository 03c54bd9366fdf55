// SPDX-License-Identifier: GPL-2.0
//! Deliberately broken: allocates 32 bytes holding a marker text and forgets the pointer, so
//! kmemleak reports an unreferenced object (its hex dump shows `nlspec-leak-marker`). For the
//! `detectors` VM suite only.

use kernel::prelude::*;

module! {
    type: BrokenLeak,
    name: "broken_leak",
    description: "nlspec detectors test: leaked allocation (kmemleak must report it)",
    license: "GPL",
}

struct BrokenLeak;

/// What the leaked object holds; xtask/src/detect.rs looks for `nlspec-leak` in the report.
const MARKER: [u8; 32] = *b"nlspec-leak-marker-0123456789abc";

impl kernel::Module for BrokenLeak {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // The bug: the box is turned into a raw pointer that nothing keeps or frees.
        let leaked = KBox::into_raw(KBox::new(MARKER, GFP_KERNEL)?);
        pr_info!("broken_leak: leaked {} bytes\n", core::mem::size_of_val(&MARKER));
        let _ = leaked;
        Ok(BrokenLeak)
    }
}

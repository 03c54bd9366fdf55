// SPDX-License-Identifier: GPL-2.0
//! Deliberately broken: allocates 32-byte objects holding a marker text and forgets the
//! pointers, so kmemleak reports unreferenced objects (their hex dump shows `nlspec-leak-marker`).
//! Several, so a stale copy of a pointer left in a kernel stack (kmemleak scans stacks) cannot
//! hide the leak. For the `detectors` VM suite only.

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
/// How many objects are leaked.
const LEAKS: u8 = 16;

impl kernel::Module for BrokenLeak {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        for i in 0..LEAKS {
            let mut text = MARKER;
            text[MARKER.len() - 1] = b'a' + i;
            // The bug: the box is turned into a raw pointer that nothing keeps or frees.
            let _leaked = KBox::into_raw(KBox::new(text, GFP_KERNEL)?);
        }
        pr_info!(
            "broken_leak: leaked {} objects of {} bytes\n",
            LEAKS,
            MARKER.len()
        );
        Ok(BrokenLeak)
    }
}

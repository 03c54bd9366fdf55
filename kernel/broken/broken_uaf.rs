// SPDX-License-Identifier: GPL-2.0
//! Deliberately broken: frees a heap allocation and reads it afterwards, so KASAN reports a
//! slab-use-after-free. For the `detectors` VM suite only.

use kernel::prelude::*;

module! {
    type: BrokenUaf,
    name: "broken_uaf",
    description: "nlspec detectors test: use after free (KASAN must report it)",
    license: "GPL",
}

struct BrokenUaf;

impl kernel::Module for BrokenUaf {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let raw = KBox::into_raw(KBox::new([0xa5u8; 64], GFP_KERNEL)?);
        // SAFETY: `raw` comes from `KBox::into_raw` just above and is turned back into a box
        // (and freed) exactly once, here.
        drop(unsafe { KBox::from_raw(raw) });
        // SAFETY: none; the unsafety is the point. `raw` was freed just above: this is the
        // deliberate use-after-free KASAN must report. KASAN's quarantine keeps the freed object
        // unreused (and its memory mapped), so the read itself does not fault.
        let stale = unsafe { core::ptr::read_volatile(raw.cast::<u8>()) };
        pr_info!("broken_uaf: read {} from a freed allocation\n", stale);
        Ok(BrokenUaf)
    }
}

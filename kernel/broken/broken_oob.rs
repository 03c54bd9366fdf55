// SPDX-License-Identifier: GPL-2.0
//! Deliberately broken: reads one byte past the end of a 17-byte heap allocation, so KASAN
//! reports a slab-out-of-bounds read. For the `detectors` VM suite only.

use kernel::prelude::*;

module! {
    type: BrokenOob,
    name: "broken_oob",
    description: "nlspec detectors test: out-of-bounds heap read (KASAN must report it)",
    license: "GPL",
}

struct BrokenOob;

/// Odd, so the byte after the end shares an 8-byte KASAN granule with the last valid byte:
/// only KASAN's exact tracking of the requested size catches it.
const LEN: usize = 17;

impl kernel::Module for BrokenOob {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let buf = KBox::new([0x5au8; LEN], GFP_KERNEL)?;
        let first = buf.as_ptr();
        // SAFETY: none; the unsafety is the point. `first + LEN` is one past the end of the
        // 17-byte allocation (computing it is allowed); reading it is the deliberate
        // out-of-bounds access KASAN must report. The byte lies in the same slab object's
        // redzone, so the read itself does not fault.
        let past_end = unsafe { core::ptr::read_volatile(first.add(LEN)) };
        pr_info!(
            "broken_oob: read {} one byte past a {}-byte allocation\n",
            past_end,
            LEN
        );
        drop(buf);
        Ok(BrokenOob)
    }
}

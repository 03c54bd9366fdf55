// SPDX-License-Identifier: GPL-2.0
//! Deliberately broken: allocates with GFP_KERNEL (which may sleep) while holding a spinlock,
//! so DEBUG_ATOMIC_SLEEP reports "sleeping function called from invalid context". For the
//! `detectors` VM suite only.

use kernel::prelude::*;
use kernel::sync::SpinLock;

module! {
    type: BrokenSleep,
    name: "broken_sleep",
    description: "nlspec detectors test: GFP_KERNEL allocation under a spinlock",
    license: "GPL",
}

struct BrokenSleep;

impl kernel::Module for BrokenSleep {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let lock: Pin<KBox<SpinLock<u64>>> =
            KBox::pin_init(kernel::new_spinlock!(0, "broken_sleep_lock"), GFP_KERNEL)?;
        pr_info!("broken_sleep: GFP_KERNEL allocation under a spinlock\n");
        let mut guard = lock.lock();
        // The bug: GFP_KERNEL may sleep, and a spinlock is held (GFP_ATOMIC would be right).
        let boxed = KBox::new(*guard + 1, GFP_KERNEL);
        *guard += 1;
        drop(guard);
        drop(boxed);
        Ok(BrokenSleep)
    }
}

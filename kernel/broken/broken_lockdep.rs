// SPDX-License-Identifier: GPL-2.0
//! Deliberately broken: takes two mutexes in the order A then B, then B then A, so lockdep
//! reports a possible circular locking dependency. Nothing deadlocks (one thread); lockdep
//! reports the order it saw. For the `detectors` VM suite only.

use kernel::prelude::*;
use kernel::sync::Mutex;

module! {
    type: BrokenLockdep,
    name: "broken_lockdep",
    description: "nlspec detectors test: AB/BA lock order (lockdep must report it)",
    license: "GPL",
}

struct BrokenLockdep;

impl kernel::Module for BrokenLockdep {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let a: Pin<KBox<Mutex<u32>>> =
            KBox::pin_init(kernel::new_mutex!(0, "broken_lockdep_a"), GFP_KERNEL)?;
        let b: Pin<KBox<Mutex<u32>>> =
            KBox::pin_init(kernel::new_mutex!(0, "broken_lockdep_b"), GFP_KERNEL)?;
        pr_info!("broken_lockdep: taking A then B\n");
        {
            let mut ga = a.lock();
            let mut gb = b.lock();
            *ga += 1;
            *gb += 1;
        }
        pr_info!("broken_lockdep: taking B then A (the inversion)\n");
        {
            let mut gb = b.lock();
            let mut ga = a.lock();
            *gb += 1;
            *ga += 1;
        }
        Ok(BrokenLockdep)
    }
}

// SPDX-License-Identifier: GPL-2.0
//! Smallest Rust module: proves a cached kernel builds and loads out-of-tree Rust modules.
//! Builds on 6.12 and 7.3 (no `author`/`authors` key: each kernel accepts only one spelling).

use kernel::prelude::*;

module! {
    type: NlspecHello,
    name: "nlspec_hello",
    description: "nlspec xtask smoke-test module",
    license: "GPL",
}

struct NlspecHello;

impl kernel::Module for NlspecHello {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("nlspec-hello: loaded\n");
        Ok(NlspecHello)
    }
}

impl Drop for NlspecHello {
    fn drop(&mut self) {
        pr_info!("nlspec-hello: unloaded\n");
    }
}

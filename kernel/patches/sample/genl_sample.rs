// SPDX-License-Identifier: GPL-2.0

//! A Generic Netlink family written directly on `kernel::net::genetlink`.
//!
//! The module uses nothing but the `kernel` crate of a kernel patched with the series (no
//! support layer of its own, no bindgen run, no C): this is what the series offers a driver
//! author. `cargo xtask series` builds it against each patched test kernel, loads it in the
//! booted kernel and drives it from userspace with `nlspec --spec genl-sample.yaml`.
//!
//! Family `genl-sample`, version 1:
//! - `echo` (do): returns `text` and `value * 2`, and multicasts the same to group `echoes` in
//!   the requester's network namespace; `value` must be in 1..=1000 (policy).
//! - `count` (dump): `value` entries (default 3, 1..=1000), each with `index` and `text`,
//!   large enough that a long dump spans several messages.

use kernel::net::genetlink::{
    self as genl, Dump, Dumped, FamilyOps, Operation, Policy, PolicyRef, PolicyTable, Request,
    SplitOp, SplitOpsTable,
};
use kernel::net::netlink::{Family, MulticastGroup, NetlinkSkBuff, GENLMSG_DEFAULT_SIZE};
use kernel::prelude::*;
use kernel::{c_str, error::code::EINVAL};

module! {
    type: GenlSample,
    name: "genl_sample",
    description: "Generic Netlink family on kernel::net::genetlink",
    license: "GPL",
}

/// Commands.
const CMD_ECHO: u8 = 1;
const CMD_COUNT: u8 = 2;
const CMD_ECHO_NTF: u8 = 3;

/// Attributes (one set).
const A_TEXT: u16 = 1;
const A_VALUE: u16 = 2;
const A_INDEX: u16 = 3;

/// Multicast group `echoes`.
const GRP_ECHOES: u32 = 0;

/// Longest `text`, without the terminating NUL.
const MAX_TEXT: u16 = 63;

static ECHO_POLICY: PolicyTable<3> = PolicyTable::new([
    Policy::unspec(),
    Policy::string(MAX_TEXT),
    Policy::u32().range(1, 1000),
]);

static COUNT_POLICY: PolicyTable<3> = PolicyTable::new([
    Policy::unspec(),
    Policy::unspec(),
    Policy::u32().range(1, 1000),
]);

/// `echo`: reply, then tell the group.
struct Echo;

#[vtable]
impl Operation for Echo {
    const POLICY: Option<PolicyRef> = Some(ECHO_POLICY.as_ref());
    type DumpState = ();

    fn doit(req: &Request<'_>) -> genl::Result {
        let text = req.require(A_TEXT)?.get_str()?;
        let value = req.require(A_VALUE)?.get_u32()?;
        let doubled = value.checked_mul(2).ok_or(EINVAL)?;

        let mut reply = NetlinkSkBuff::new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL)?
            .genlmsg_put_reply(req, CMD_ECHO)?;
        let mut w = reply.attrs();
        w.put_str(A_TEXT, text)?;
        w.put_u32(A_VALUE, doubled)?;
        reply.reply(req)?;

        let mut ntf = NetlinkSkBuff::new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL)?.genlmsg_put(
            0,
            0,
            &FAMILY,
            CMD_ECHO_NTF,
        )?;
        let mut w = ntf.attrs();
        w.put_str(A_TEXT, text)?;
        w.put_u32(A_VALUE, doubled)?;
        ntf.multicast_netns(&FAMILY, req.net(), 0, GRP_ECHOES, GFP_KERNEL)?;
        Ok(())
    }
}

/// `count`: a dump of `value` entries; the cursor is the next index.
struct Count;

#[vtable]
impl Operation for Count {
    const DUMP_POLICY: Option<PolicyRef> = Some(COUNT_POLICY.as_ref());
    type DumpState = u32;

    fn dumpit(dump: &mut Dump<'_>, next: &mut u32) -> genl::Result<Dumped> {
        let total = match dump.request().attr(A_VALUE) {
            Some(a) => a.get_u32()?,
            None => 3,
        };
        while *next < total {
            let i = *next;
            let written = dump.entry(CMD_COUNT, |w| {
                w.put_u32(A_INDEX, i)?;
                w.put_str(
                    A_TEXT,
                    "entry of a genl-sample count dump, padded to take some room",
                )?;
                Ok(())
            })?;
            if !written {
                return Ok(Dumped::More);
            }
            *next += 1;
        }
        Ok(Dumped::Done)
    }
}

static OPS: SplitOpsTable<2> = SplitOpsTable::new([
    SplitOp::do_op::<Echo>(CMD_ECHO),
    SplitOp::dump_op::<Count>(CMD_COUNT),
]);

static GROUPS: [MulticastGroup; 1] = [MulticastGroup::const_new(c_str!("echoes"))];

/// This module, for the family: `module!` defines a `THIS_MODULE` static before 7.0, and since
/// then `kernel::module::this_module()` gives it (the Kbuild file sets `this_module_fn` there).
#[cfg(this_module_fn)]
const fn this_module() -> &'static ThisModule {
    kernel::module::this_module::<LocalModule>()
}

#[cfg(not(this_module_fn))]
const fn this_module() -> &'static ThisModule {
    &THIS_MODULE
}

static FAMILY: Family = Family::const_new_ops(
    this_module(),
    b"genl-sample\0",
    1,
    &GROUPS,
    FamilyOps::new().netnsok(true).parallel_ops(true),
);

struct GenlSample {
    _registration: kernel::net::netlink::Registration,
}

impl kernel::Module for GenlSample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registration = FAMILY.register_with_ops(OPS.as_ref())?;
        pr_info!("genl-sample registered (family id {})\n", FAMILY.id());
        Ok(Self {
            _registration: registration,
        })
    }
}

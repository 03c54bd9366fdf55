// SPDX-License-Identifier: GPL-2.0

//! Hand-written proof of the nlspec kernel support layer: the family `nlspecproof`, written the
//! way generated code will be (tables as statics, handlers as safe trait impls, no `unsafe`).
//!
//! * `ECHO` (do, split op, per-op policy): `NUM` u32 in 1..=1000 (required), `NAME` string of at
//!   most 15 bytes, `BIG` u64 in 10..=1<<40 via a full range, `MODE` sparse enum {1, 4, 9};
//!   replies `VALUE` = NUM * 2, `NAME` echoed, `BIG` echoed as `uint`; then multicasts an
//!   `EVENT` with `VALUE` = NUM to group 0 (`events`).
//! * `LIST` (dump, split op): 500 entries (`IDX`, `VALUE` = IDX², `BLOB` 200 bytes, a nest with
//!   `IDX` inside), resumed from `cb->ctx` across skbs.
//! * `ADMIN` (do, admin-perm): replies with an empty message.
//! * The same ECHO also served by a second family `nlspecproof2` with a classic `genl_ops`
//!   table and a family-wide policy.
//! * A third family `nlspecproof3` with `netnsok` false: ECHO replies `VALUE` = NUM * 5, and
//!   only in the initial network namespace (elsewhere the family does not exist).

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;

mod nlspec_support;

use nlspec_support::{
    errno, Dump, Dumped, Error, Family, FamilyDef, McGroup, McGroups, McGroupsRef, Notification,
    Op, Operation, OpsTable, Policy, PolicyTable, RangeS, RangeU, Registration, Reply, Request,
    SplitOp, SplitOpsTable, ValueCheck,
};

module! {
    type: NlspecProof,
    name: "nlspecproof",
    description: "nlspec kernel support proof module",
    license: "GPL",
}

// attribute types
const A_NUM: u16 = 1;
const A_NAME: u16 = 2;
const A_VALUE: u16 = 3;
const A_IDX: u16 = 4;
const A_BLOB: u16 = 5;
const A_BIG: u16 = 6;
#[allow(dead_code)]
const A_MODE: u16 = 7;
const A_NEST: u16 = 8;
// validated only (each exercises one Policy constructor; checked through nlctrl getpolicy)
const A_FLAG: u16 = 9;
#[allow(dead_code)]
const A_BITS: u16 = 10;

// commands
const C_ECHO: u8 = 1;
const C_LIST: u8 = 2;
const C_EVENT: u8 = 3;
const C_ADMIN: u8 = 4;

const DUMP_ENTRIES: u32 = 500;

/// MODE: a sparse enum {1, 4, 9}.
struct ModeCheck;
impl ValueCheck for ModeCheck {
    fn check(v: u64) -> bool {
        matches!(v, 1 | 4 | 9)
    }
    const MESSAGE: &'static core::ffi::CStr = c"MODE must be 1, 4 or 9";
}

static BIG_RANGE: RangeU = RangeU::new(10, 1 << 40);
static TEMP_RANGE: RangeS = RangeS::new(-300, -10);

static NEST_POLICY: PolicyTable<5> = PolicyTable::from_array([
    Policy::unspec(),
    Policy::reject(),
    Policy::reject(),
    Policy::reject(),
    Policy::u32(),
]);

static ECHO_POLICY: PolicyTable<20> = PolicyTable::from_array([
    Policy::unspec(),
    Policy::u32().range(1, 1000),       // 1 NUM
    Policy::string(15),                 // 2 NAME
    Policy::reject(),                   // 3 VALUE (reply only)
    Policy::reject(),                   // 4 IDX
    Policy::reject(),                   // 5 BLOB
    Policy::u64().range_u(&BIG_RANGE),  // 6 BIG
    Policy::u32().check::<ModeCheck>(), // 7 MODE
    Policy::nested(&NEST_POLICY),       // 8 NEST
    Policy::flag(),                     // 9 FLAG
    Policy::bitfield32(0x7),            // 10 BITS
    Policy::binary_exact_len(6),        // 11 MAC
    Policy::nested_array(&NEST_POLICY), // 12 LIST
    Policy::u32().mask(0x5),            // 13 FLAGS
    Policy::s32().range_s(&TEMP_RANGE), // 14 TEMP
    Policy::uint().max(100),            // 15 COUNT
    Policy::sint().min(-5),             // 16 DELTA
    Policy::string_unterminated(4),     // 17 RAW
    Policy::binary_len_range(2, 4),     // 18 SHORT
    Policy::binary_min_len(3),          // 19 LONG
]);

// dump request: 1 START (first index, < 500), 2 HUGE (flag: entries too big for any skb)
static LIST_POLICY: PolicyTable<3> =
    PolicyTable::from_array([Policy::unspec(), Policy::u32().max(499), Policy::flag()]);
static HUGE_BLOB: [u8; 40000] = [0x5a; 40000];

static GROUPS: McGroups<1> = McGroups::new([McGroup::new(c"events")]);

struct Echo;

#[vtable]
impl Operation for Echo {
    const POLICY: Option<nlspec_support::PolicyRef> = Some(ECHO_POLICY.as_ref());
    type DumpState = ();

    fn doit(req: &Request<'_>) -> nlspec_support::Result {
        let num = req.require(A_NUM)?.get_u32()?;
        let mut reply = Reply::new(req, C_ECHO)?;
        reply.put_u32(A_VALUE, num * 2);
        if let Some(name) = req.attr(A_NAME) {
            reply.put_str(A_NAME, name.get_str()?);
        }
        if let Some(big) = req.attr(A_BIG) {
            reply.put_uint(A_BIG, big.get_u64()?);
        }
        // how many top-level attributes arrived (repeats included)
        let mut count = 0u32;
        for a in req.all_attrs() {
            a?;
            count += 1;
        }
        reply.put_u32(A_IDX, count);
        if req.attr(A_FLAG).is_some() {
            reply.put_flag(A_FLAG);
        }
        if let Some(nest) = req.attr(A_NEST) {
            if nest.nested().find(A_IDX)?.is_none() {
                return Err(Error::EINVAL
                    .msg(c"NEST needs IDX")
                    .missing_in(&nest, A_IDX));
            }
            let mut sum = 0u32;
            for a in nest.nested() {
                sum += a?.get_u32()?;
            }
            let n = reply.nest_start(A_NEST);
            reply.put_u32(A_IDX, sum);
            reply.nest_end(n);
        }
        reply.send()?;
        let mut ev = Notification::new(&FAMILY, C_EVENT, 0)?;
        ev.put_u32(A_VALUE, num);
        ev.send()
    }
}

#[derive(Clone, Copy, Default)]
struct ListCursor {
    next: u32,
    calls: u32,
    huge: bool,
}

struct List;

#[vtable]
impl Operation for List {
    const DUMP_POLICY: Option<nlspec_support::PolicyRef> = Some(LIST_POLICY.as_ref());
    type DumpState = ListCursor;

    fn dumpit(dump: &mut Dump<'_>, st: &mut ListCursor) -> nlspec_support::Result<Dumped> {
        if st.calls == 0 {
            let req = dump.request();
            if let Some(start) = req.attr(1) {
                st.next = start.get_u32()?;
            }
            st.huge = req.attr(2).is_some();
        }
        st.calls += 1;
        let blob = [0xabu8; 200];
        let huge = st.huge;
        while st.next < DUMP_ENTRIES {
            let i = st.next;
            let ok = dump.entry(C_LIST, |w| {
                w.put_u32(A_IDX, i);
                w.put_u32(A_VALUE, i * i);
                w.put_bytes(A_BLOB, if huge { &HUGE_BLOB[..] } else { &blob[..] });
                let n = w.nest_start(A_NEST);
                w.put_u32(A_IDX, i);
                w.nest_end(n);
            })?;
            if !ok {
                return Ok(Dumped::More);
            }
            st.next += 1;
        }
        Ok(Dumped::Done)
    }
}

struct Admin;

static ADMIN_POLICY: PolicyTable<2> = PolicyTable::from_array([Policy::unspec(), Policy::u32()]);
static PRE_CALLS: AtomicU32 = AtomicU32::new(0);
static POST_CALLS: AtomicU32 = AtomicU32::new(0);

#[vtable]
impl Operation for Admin {
    const POLICY: Option<nlspec_support::PolicyRef> = Some(ADMIN_POLICY.as_ref());
    type DumpState = ();

    fn pre_doit(req: &Request<'_>) -> nlspec_support::Result {
        if let Some(a) = req.attr(A_NUM) {
            if a.get_u32()? == 999 {
                return Err(Error::new(errno::EPERM)
                    .msg(c"refused by pre_doit")
                    .attr(&a));
            }
        }
        PRE_CALLS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn doit(req: &Request<'_>) -> nlspec_support::Result {
        let mut reply = Reply::new(req, C_ADMIN)?;
        reply.put_u32(A_VALUE, PRE_CALLS.load(Ordering::Relaxed));
        reply.put_u32(A_IDX, POST_CALLS.load(Ordering::Relaxed));
        reply.send()
    }

    fn post_doit(_req: &Request<'_>) {
        POST_CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

static SPLIT_OPS: SplitOpsTable<3> = SplitOpsTable::new([
    SplitOp::do_op::<Echo>(C_ECHO),
    SplitOp::dump_op::<List>(C_LIST),
    SplitOp::do_op::<Admin>(C_ADMIN).flags(nlspec_support::ADMIN_PERM),
]);

static FAMILY: Family = Family::new(FamilyDef {
    name: c"nlspecproof",
    version: 1,
    hdrsize: 0,
    policy: None,
    maxattr: 8,
    netnsok: true,
    parallel_ops: true,
    resv_start_op: 0,
    ops: SPLIT_OPS.as_ref(),
    mcgrps: GROUPS.as_ref(),
});

// Second family: classic genl_ops with a family-wide policy.
static GROUPS2: McGroups<1> = McGroups::new([McGroup::new(c"events")]);

struct Echo2;

#[vtable]
impl Operation for Echo2 {
    type DumpState = ();

    fn doit(req: &Request<'_>) -> nlspec_support::Result {
        let num = req.require(A_NUM)?.get_u32()?;
        let mut reply = Reply::new(req, C_ECHO)?;
        reply.put_u32(A_VALUE, num * 3);
        reply.send()?;
        let mut ev = Notification::new(&FAMILY2, C_EVENT, 0)?;
        ev.put_u32(A_VALUE, num);
        ev.send()
    }
}

static OPS2: OpsTable<2> = OpsTable::new([
    // legacy command (below resv_start_op): liberal validation, unknown attributes ignored
    Op::new::<Echo2>(C_ECHO).validate(nlspec_support::DONT_VALIDATE_STRICT),
    Op::new::<List>(C_LIST),
]);

static FAMILY2: Family = Family::new(FamilyDef {
    name: c"nlspecproof2",
    version: 2,
    hdrsize: 0,
    policy: Some(ECHO_POLICY.as_ref()),
    maxattr: 0,
    netnsok: true,
    parallel_ops: false,
    resv_start_op: C_ECHO + 1,
    ops: OPS2.as_ref(),
    mcgrps: GROUPS2.as_ref(),
});

// Third family: not netnsok, so only the initial network namespace sees it.
struct Echo3;

#[vtable]
impl Operation for Echo3 {
    type DumpState = ();

    fn doit(req: &Request<'_>) -> nlspec_support::Result {
        let num = req.require(A_NUM)?.get_u32()?;
        let mut reply = Reply::new(req, C_ECHO)?;
        reply.put_u32(A_VALUE, num * 5);
        reply.send()
    }
}

static OPS3: OpsTable<1> = OpsTable::new([Op::new::<Echo3>(C_ECHO)]);

static FAMILY3: Family = Family::new(FamilyDef {
    name: c"nlspecproof3",
    version: 1,
    hdrsize: 0,
    policy: Some(ECHO_POLICY.as_ref()),
    maxattr: 0,
    netnsok: false,
    parallel_ops: false,
    resv_start_op: C_ECHO + 1,
    ops: OPS3.as_ref(),
    mcgrps: McGroupsRef::NONE,
});

// Same name as FAMILY: registering it must fail cleanly (EEXIST) and leave it reusable.
static DUPLICATE: Family = Family::new(FamilyDef {
    name: c"nlspecproof",
    version: 1,
    hdrsize: 0,
    policy: None,
    maxattr: 0,
    netnsok: false,
    parallel_ops: false,
    resv_start_op: C_ECHO + 1,
    ops: OPS2.as_ref(),
    mcgrps: McGroupsRef::NONE,
});

// OPS2 has a DONT_VALIDATE_STRICT command but resv_start_op 0: refused before the kernel sees it.
static BAD_RESV: Family = Family::new(FamilyDef {
    name: c"nlspecproofbad",
    version: 1,
    hdrsize: 0,
    policy: None,
    maxattr: 0,
    netnsok: false,
    parallel_ops: false,
    resv_start_op: 0,
    ops: OPS2.as_ref(),
    mcgrps: McGroupsRef::NONE,
});

struct NlspecProof {
    _reg: Registration,
    _reg2: Registration,
    _reg3: Registration,
}

impl kernel::Module for NlspecProof {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let reg = Registration::register(&FAMILY, module)?;
        let reg2 = Registration::register(&FAMILY2, module)?;
        let reg3 = Registration::register(&FAMILY3, module)?;
        // A second registration of the same family is refused cleanly.
        if Registration::register(&FAMILY, module).is_ok() {
            pr_err!("nlspecproof: double registration was not refused\n");
            return Err(EINVAL);
        }
        match Registration::register(&DUPLICATE, module) {
            Ok(_) => {
                pr_err!("nlspecproof: duplicate family name was not refused\n");
                return Err(EINVAL);
            }
            Err(e) => pr_info!(
                "nlspecproof: duplicate family refused with errno {}, registered {}\n",
                e.to_errno(),
                DUPLICATE.is_registered()
            ),
        }
        match Registration::register(&BAD_RESV, module) {
            Ok(_) => {
                pr_err!("nlspecproof: bad resv_start_op was not refused\n");
                return Err(EINVAL);
            }
            Err(e) => pr_info!(
                "nlspecproof: bad resv_start_op refused with errno {}\n",
                e.to_errno()
            ),
        }
        pr_info!(
            "nlspecproof: registered families {} and {}\n",
            FAMILY.id(),
            FAMILY2.id()
        );
        Ok(NlspecProof {
            _reg: reg,
            _reg2: reg2,
            _reg3: reg3,
        })
    }
}

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
//! * `SESSION` (do): per-socket state (`Request::sock_priv`): replies `VALUE` = how many
//!   `SESSION` requests (and `LIST` dumps) this socket made, this one included, and `IDX` = how
//!   many sockets have such state now; with `FLAG` it asks for state of a wrong type instead
//!   (`EINVAL`). `LIST` counts itself in the dumping socket's state (`nlspecproof` only).
//! * The same ECHO also served by a second family `nlspecproof2` with a classic `genl_ops`
//!   table and a family-wide policy.
//! * A third family `nlspecproof3` with `netnsok` false: ECHO replies `VALUE` = NUM * 5, and
//!   only in the initial network namespace (elsewhere the family does not exist).
//! * Classic netlink: protocol unit 27 (`RAW_PROTOCOL`, initial network namespace only; group 1
//!   open to all, group 2 `CAP_NET_ADMIN`), 4-byte fixed header:
//!   - `RT_ECHO` (do, strict policy: `R_NUM` u32 in 1..=100 required, `R_TEXT` string of at
//!     most 15 bytes): replies `R_NUM` * 3, the text, the header, and `R_POST` = how many echo
//!     requests `post_doit` counted before; broadcasts `RT_EVENT` with `R_NUM` to group 1 and
//!     to group 2. Its `pre_doit` refuses the header `ff ff ff ff`.
//!   - `RT_LIST` (dump, liberal policy: `R_COUNT` u32 in 1..=1000, `R_NUM` the first index):
//!     `R_COUNT` entries of 100 bytes each from `R_NUM` on; `start` sets the cursor, `done`
//!     closes the count of open dumps that `RT_ECHO` reports as `R_OPEN`.
//!   - `RT_ADMIN` (do, `RawPerm::Admin`, liberal: unknown attributes tolerated): an empty reply.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;

mod nlspec_support;

use nlspec_support::{
    errno, AttrSlots, Dump, Dumped, Error, Family, FamilyDef, Gfp, McGroup, McGroups, McGroupsRef,
    Notification, Op, Operation, OpsTable, Policy, PolicyRef, PolicyTable, Protocol, ProtocolDef,
    ProtocolSpec, RangeS, RangeU, RawBroadcast, RawDump, RawOp, RawOperation, RawPerm,
    RawRegistration, RawReply, RawRequest, Registration, Reply, Request, SockPrivDef, SplitOp,
    SplitOpsTable, ValueCheck,
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
const C_SESSION: u8 = 5;

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
            // per-socket state exists in `nlspecproof` only (`nlspecproof2` shares this op)
            if let Ok(s) = req.sock_priv::<Session>() {
                s.requests.fetch_add(1, Ordering::Relaxed);
            }
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

/// Per-socket state of `nlspecproof`: requests counted per socket, and the number of sockets
/// with state kept in `SESSIONS` (up in `default`, down in `drop`: the kernel's destroy).
struct Session {
    requests: AtomicU32,
}

static SESSIONS: AtomicU32 = AtomicU32::new(0);

impl Default for Session {
    fn default() -> Self {
        SESSIONS.fetch_add(1, Ordering::Relaxed);
        Session {
            requests: AtomicU32::new(0),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        SESSIONS.fetch_sub(1, Ordering::Relaxed);
    }
}

static SESSION_POLICY: PolicyTable<10> = PolicyTable::from_array([
    Policy::unspec(),
    Policy::reject(),
    Policy::reject(),
    Policy::reject(),
    Policy::reject(),
    Policy::reject(),
    Policy::reject(),
    Policy::reject(),
    Policy::reject(),
    Policy::flag(), // 9 FLAG: ask for state of the wrong type
]);

struct SessionOp;

#[vtable]
impl Operation for SessionOp {
    const POLICY: Option<nlspec_support::PolicyRef> = Some(SESSION_POLICY.as_ref());
    type DumpState = ();

    fn doit(req: &Request<'_>) -> nlspec_support::Result {
        if req.attr(A_FLAG).is_some() {
            req.sock_priv::<AtomicU32>()?;
        }
        let s = req.sock_priv::<Session>()?;
        let n = s.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let mut reply = Reply::new(req, C_SESSION)?;
        reply.put_u32(A_VALUE, n);
        reply.put_u32(A_IDX, SESSIONS.load(Ordering::Relaxed));
        reply.send()
    }
}

static SPLIT_OPS: SplitOpsTable<4> = SplitOpsTable::new([
    SplitOp::do_op::<Echo>(C_ECHO),
    SplitOp::dump_op::<List>(C_LIST),
    SplitOp::do_op::<Admin>(C_ADMIN).flags(nlspec_support::ADMIN_PERM),
    SplitOp::do_op::<SessionOp>(C_SESSION),
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

// Classic netlink (protocol unit 27).
const RT_ECHO: u16 = 16;
const RT_LIST: u16 = 17;
const RT_ADMIN: u16 = 18;
const RT_EVENT: u16 = 19;
const R_NUM: u16 = 1;
const R_TEXT: u16 = 2;
const R_COUNT: u16 = 3;
const R_POST: u16 = 4;
const R_OPEN: u16 = 5;
const R_BLOB: u16 = 6;
const RAW_HDRLEN: usize = 4;

static RAW_ECHO_POLICY: PolicyTable<3> = PolicyTable::from_array([
    Policy::unspec(),
    Policy::u32().range(1, 100),
    Policy::string(15),
]);
static RAW_LIST_POLICY: PolicyTable<4> = PolicyTable::from_array([
    Policy::unspec(),
    Policy::u32(),
    Policy::unspec(),
    Policy::u32().range(1, 1000),
]);
static RAW_POST_CALLS: AtomicU32 = AtomicU32::new(0);
static RAW_OPEN_DUMPS: AtomicU32 = AtomicU32::new(0);

static RAW_PROTOCOL: Protocol = Protocol::new(ProtocolDef {
    unit: 27,
    groups: 2,
    admin_groups: 0b10,
    flags: nlspec_support::proto_flags::NONROOT_RECV,
    netns: false,
});

struct RawProto;
impl ProtocolSpec for RawProto {
    const PROTOCOL: &'static Protocol = &RAW_PROTOCOL;
}

struct RawEcho;

#[vtable]
impl RawOperation for RawEcho {
    const HDRLEN: usize = RAW_HDRLEN;
    const POLICY: Option<PolicyRef> = Some(RAW_ECHO_POLICY.as_ref());
    type Tb = AttrSlots<3>;
    type DumpTb = AttrSlots<1>;
    type DumpState = ();

    fn pre_doit(req: &RawRequest<'_>) -> nlspec_support::Result {
        if req.fixed_header() == [0xff; RAW_HDRLEN] {
            return Err(Error::EINVAL.msg(c"proof: header refused by pre_doit"));
        }
        Ok(())
    }

    fn doit(req: &RawRequest<'_>) -> nlspec_support::Result {
        let num = req.require(R_NUM)?.get_uint()?;
        let text = req.get_with(R_TEXT, |a| a.get_str())?;
        let mut reply = RawReply::with_size(req, RT_ECHO, RAW_HDRLEN, 128)?;
        reply.set_header(req.fixed_header());
        reply.put_uint(R_NUM, num * 3);
        if let Some(t) = text {
            reply.put_str(R_TEXT, t);
        }
        reply.put_uint(R_POST, RAW_POST_CALLS.load(Ordering::Relaxed).into());
        reply.put_uint(R_OPEN, RAW_OPEN_DUMPS.load(Ordering::Relaxed).into());
        reply.send()?;
        for group in [1, 2] {
            let mut ev = RawBroadcast::with_size(RT_EVENT, RAW_HDRLEN, group, 16, Gfp::Kernel)?;
            ev.put_uint(R_NUM, num);
            ev.send(&RAW_PROTOCOL)?;
        }
        Ok(())
    }

    fn post_doit(_req: &RawRequest<'_>) {
        RAW_POST_CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

struct RawList;

#[vtable]
impl RawOperation for RawList {
    const HDRLEN: usize = RAW_HDRLEN;
    const DUMP_POLICY: Option<PolicyRef> = Some(RAW_LIST_POLICY.as_ref());
    const DUMP_LIBERAL: bool = true;
    type Tb = AttrSlots<1>;
    type DumpTb = AttrSlots<4>;
    type DumpState = u32;

    fn start(req: &RawRequest<'_>, next: &mut u32) -> nlspec_support::Result {
        *next = req.get_with(R_NUM, |a| a.get_uint())?.unwrap_or(0) as u32;
        RAW_OPEN_DUMPS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn dumpit(
        req: &RawRequest<'_>,
        dump: &mut RawDump<'_>,
        next: &mut u32,
    ) -> nlspec_support::Result<Dumped> {
        let first = req.get_with(R_NUM, |a| a.get_uint())?.unwrap_or(0) as u32;
        let count = req.require(R_COUNT)?.get_uint()? as u32;
        let end = first.saturating_add(count);
        while *next < end {
            let i = *next;
            if !dump.entry(RT_LIST, |w| {
                w.set_header(&i.to_ne_bytes());
                w.put_uint(R_NUM, i.into());
                w.put_bytes(R_BLOB, &[0xa5; 100]);
            })? {
                return Ok(Dumped::More);
            }
            *next += 1;
        }
        Ok(Dumped::Done)
    }

    fn done(_next: &mut u32) {
        RAW_OPEN_DUMPS.fetch_sub(1, Ordering::Relaxed);
    }
}

struct RawAdmin;

#[vtable]
impl RawOperation for RawAdmin {
    const HDRLEN: usize = RAW_HDRLEN;
    const LIBERAL: bool = true;
    type Tb = AttrSlots<1>;
    type DumpTb = AttrSlots<1>;
    type DumpState = ();

    fn doit(req: &RawRequest<'_>) -> nlspec_support::Result {
        RawReply::with_size(req, RT_ADMIN, RAW_HDRLEN, 0)?.send()
    }
}

static RAW_OPS: [RawOp; 3] = [
    RawOp::new::<RawEcho>(RT_ECHO),
    RawOp::new::<RawList>(RT_LIST),
    RawOp::new::<RawAdmin>(RT_ADMIN).perm(RawPerm::Admin),
];

struct NlspecProof {
    _raw: RawRegistration,
    _reg: Registration,
    _reg2: Registration,
    _reg3: Registration,
}

impl kernel::Module for NlspecProof {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let reg = Registration::register_with(
            &FAMILY,
            SPLIT_OPS.as_ref(),
            Some(SockPrivDef::of::<Session>()),
            module,
        )?;
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
        let raw = RawRegistration::register::<RawProto>(&RAW_OPS, module)?;
        if RawRegistration::register::<RawProto>(&RAW_OPS, module).is_ok() {
            pr_err!("nlspecproof: double protocol registration was not refused\n");
            return Err(EINVAL);
        }
        pr_info!(
            "nlspecproof: registered families {} and {}, protocol 27\n",
            FAMILY.id(),
            FAMILY2.id()
        );
        Ok(NlspecProof {
            _raw: raw,
            _reg: reg,
            _reg2: reg2,
            _reg3: reg3,
        })
    }
}

// SPDX-License-Identifier: GPL-2.0

//! nlspec's in-tree layer: what an nlspec-generated family file needs, in safe Rust on top of
//! the kernel's own `kernel::net::genetlink` and `kernel::net::netlink`.
//!
//! A generated `<family>_genl.rs` names its support layer `nl` (`use crate::nl;`). Out of tree
//! that is `nlspec_support.rs`, which carries its own bindings and `unsafe` code because an
//! unpatched kernel has no genetlink abstraction. In a kernel tree with the
//! `kernel::net::genetlink` series (`kernel/patches/` in the nlspec repository) it is this file:
//! the crate root says `mod nlspec_genl; use nlspec_genl as nl;`, and the same generated family
//! file builds unchanged, its policies, ops and multicast groups becoming the kernel's types.
//!
//! Everything the family file uses is safe code over the kernel crate: no bindings, no C, no
//! `unsafe`. It holds
//!
//! * what the macros the family file is written in (`nlspec_macros.rs`, shared with the
//!   out-of-tree layer: `request!`, `attrs!`, `reply!`, `operation!`, ...) expand to: the names
//!   listed there, over the kernel's API;
//! * the few items whose spelling the family file shares with the out-of-tree layer:
//!   [`Policy`] (lengths taken as the spec's `u64` constants, checked to fit at build time),
//!   [`policy_table`], [`FamilyDef`] / [`family`] / [`family_sock_priv`], [`McGroup`] /
//!   [`McGroups`] and [`Registration::register_with`];
//! * [`Writer`]: reply, dump entry and notification builders keep the first error (a full
//!   message) and report it when the message is sent, so generated setters chain
//!   (`reply.key(k).value(v)`), as out of tree;
//! * the module conveniences a module's own handlers may use, the same as out of tree
//!   (`module_items!`: `Global`, `PortSlot`, `Ticker`, `monotonic_ns`, with [`err`],
//!   [`errno_of`] and [`errno`]). They are not genetlink API, and the only `unsafe` code of
//!   this layer: the `kernel` crate of 6.12 has no timer, RCU or static-lock abstraction to
//!   build them on, so `Ticker` calls the kernel's exported timer functions through
//!   `kernel::bindings` (`raw_timer`, below) and `Global`/`PortSlot` hold a raw pointer whose
//!   readers they count (`nlspec_macros.rs`).

#![allow(dead_code, unreachable_pub, unused_macros, unused_imports)]

use kernel::alloc::{flags, AllocError, Flags};
use kernel::c_str;
use kernel::net::genetlink as genl;
use kernel::net::netlink::{AttrWriter, GenlMsg, Nest, NetlinkSkBuff};
use kernel::prelude::*;

pub use kernel::net::genetlink::{
    dump_state_fits, Attr, Attrs, Bitfield32, Dump, Dumped, Error, Op, Operation, OpsRef, OpsTable,
    PolicyRef, PolicyTable, RangeS, RangeU, Request, Result, SplitOp, SplitOpsTable, ValueCheck,
    ADMIN_PERM, DONT_VALIDATE_DUMP, DONT_VALIDATE_DUMP_STRICT, DONT_VALIDATE_STRICT,
    UNS_ADMIN_PERM,
};
pub use kernel::net::netlink::{Family, MulticastGroup, Net, GENLMSG_DEFAULT_SIZE};

/// Room for attributes in a reply or notification by default (`GENLMSG_DEFAULT_SIZE`).
pub const DEFAULT_SIZE: usize = GENLMSG_DEFAULT_SIZE;

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/// A policy length: the spec's constants are `u64`, `nla_policy.len` is a `u16`.
const fn len16(v: u64) -> u16 {
    assert!(v <= u16::MAX as u64, "policy length does not fit u16");
    v as u16
}

/// One `nla_policy` entry: [`genl::Policy`] with lengths given as the spec's `u64` constants.
#[derive(Clone, Copy)]
pub struct Policy(pub genl::Policy);

macro_rules! policy_kinds {
    ($($name:ident)*) => {$(
        #[doc = concat!("[`genl::Policy::", stringify!($name), "`].")]
        pub const fn $name() -> Self {
            Policy(genl::Policy::$name())
        }
    )*};
}

impl Policy {
    policy_kinds!(unspec reject flag u8 u16 u32 u64 s8 s16 s32 s64 uint sint be16 be32 nested_any);

    /// `NLA_NUL_STRING` of at most `max_len` bytes before the NUL (0: no limit).
    pub const fn string(max_len: u64) -> Self {
        Policy(genl::Policy::string(len16(max_len)))
    }
    /// `NLA_STRING` of at most `max_len` bytes (0: no limit).
    pub const fn string_unterminated(max_len: u64) -> Self {
        Policy(genl::Policy::string_unterminated(len16(max_len)))
    }
    /// `NLA_BINARY` of at most `max_len` bytes (0: no limit).
    pub const fn binary(max_len: u64) -> Self {
        Policy(genl::Policy::binary(len16(max_len)))
    }
    /// `NLA_BINARY` of at least `min_len` bytes.
    pub const fn binary_min_len(min_len: u64) -> Self {
        Policy(genl::Policy::binary_min_len(len16(min_len)))
    }
    /// `NLA_BINARY` of exactly `len` bytes.
    pub const fn binary_exact_len(len: u64) -> Self {
        Policy(genl::Policy::binary_exact_len(len16(len)))
    }
    /// `NLA_BINARY` of `min_len..=max_len` bytes.
    pub const fn binary_len_range(min_len: u64, max_len: u64) -> Self {
        Policy(genl::Policy::binary_len_range(
            len16(min_len),
            len16(max_len),
        ))
    }
    /// `NLA_NESTED` validated against `policy`.
    pub const fn nested<const M: usize>(policy: &'static PolicyTable<M>) -> Self {
        Policy(genl::Policy::nested(policy))
    }
    /// `NLA_NESTED_ARRAY`, each element validated against `policy`.
    pub const fn nested_array<const M: usize>(policy: &'static PolicyTable<M>) -> Self {
        Policy(genl::Policy::nested_array(policy))
    }
    /// `NLA_BITFIELD32` accepting the bits of `valid`.
    pub const fn bitfield32(valid: u32) -> Self {
        Policy(genl::Policy::bitfield32(valid))
    }
    /// Whether `v` fits the inline bounds.
    pub const fn fits_inline(v: i64) -> bool {
        genl::Policy::fits_inline(v)
    }
    /// A lower bound.
    pub const fn min(self, min: i64) -> Self {
        Policy(self.0.min(min))
    }
    /// An upper bound.
    pub const fn max(self, max: i64) -> Self {
        Policy(self.0.max(max))
    }
    /// Inclusive bounds.
    pub const fn range(self, min: i64, max: i64) -> Self {
        Policy(self.0.range(min, max))
    }
    /// Unsigned 64-bit bounds.
    pub const fn range_u(self, range: &'static RangeU) -> Self {
        Policy(self.0.range_u(range))
    }
    /// Signed 64-bit bounds.
    pub const fn range_s(self, range: &'static RangeS) -> Self {
        Policy(self.0.range_s(range))
    }
    /// Only the bits of `mask`.
    pub const fn mask(self, mask: u32) -> Self {
        Policy(self.0.mask(mask))
    }
    /// Values accepted by `V`.
    pub const fn check<V: ValueCheck>(self) -> Self {
        Policy(self.0.check::<V>())
    }
}

/// A policy table keyed by attribute type (C: `[NLKV_A_ENTRY_KEY] = NLA_POLICY_MAX_LEN(64)`),
/// entries not listed `NLA_UNSPEC`; `N` (the highest type plus one) is the `static`'s. A type
/// outside the table or listed twice is a build error.
pub const fn policy_table<const N: usize>(entries: &[(u16, Policy)]) -> PolicyTable<N> {
    let mut all = [genl::Policy::unspec(); N];
    let mut set = [false; N];
    let mut i = 0;
    while i < entries.len() {
        let t = entries[i].0 as usize;
        assert!(t >= 1 && t < N, "attribute type outside the policy table");
        assert!(!set[t], "attribute type set twice in a policy table");
        all[t] = entries[i].1 .0;
        set[t] = true;
        i += 1;
    }
    PolicyTable::new(all)
}

// ---------------------------------------------------------------------------------------------
// The family
// ---------------------------------------------------------------------------------------------

/// `c` as the kernel crate's `CStr`: its own type before 7.0, `core::ffi::CStr` since. The bytes
/// of a `core::ffi::CStr` always convert (`None` cannot happen).
const fn kernel_cstr(c: &'static core::ffi::CStr) -> Option<&'static kernel::str::CStr> {
    match kernel::str::CStr::from_bytes_with_nul(c.to_bytes_with_nul()) {
        Ok(k) => Some(k),
        Err(_) => None,
    }
}

/// One multicast group, named by a C string literal.
#[derive(Clone, Copy)]
pub struct McGroup {
    name: &'static core::ffi::CStr,
    cap_net_admin: bool,
    cap_sys_admin: bool,
}

impl McGroup {
    /// A group named `name`.
    pub const fn new(name: &'static core::ffi::CStr) -> Self {
        McGroup {
            name,
            cap_net_admin: false,
            cap_sys_admin: false,
        }
    }
    /// Joining needs `CAP_NET_ADMIN`.
    pub const fn cap_net_admin(mut self) -> Self {
        self.cap_net_admin = true;
        self
    }
    /// Joining needs `CAP_SYS_ADMIN`.
    pub const fn cap_sys_admin(mut self) -> Self {
        self.cap_sys_admin = true;
        self
    }
    const fn to_kernel(self) -> MulticastGroup {
        let Some(name) = kernel_cstr(self.name) else {
            panic!("multicast group name");
        };
        let mut g = MulticastGroup::const_new(name);
        if self.cap_net_admin {
            g = g.cap_net_admin();
        }
        if self.cap_sys_admin {
            g = g.cap_sys_admin();
        }
        g
    }
}

/// The multicast groups of a family, as a `static` (index = group number).
pub struct McGroups<const N: usize>([MulticastGroup; N]);

impl<const N: usize> McGroups<N> {
    /// The groups, in group-number order.
    pub const fn new(groups: [McGroup; N]) -> Self {
        let mut out = [const { MulticastGroup::const_new(c_str!("")) }; N];
        let mut i = 0;
        while i < N {
            out[i] = groups[i].to_kernel();
            i += 1;
        }
        McGroups(out)
    }
    /// For [`FamilyDef::mcgrps`].
    pub const fn as_ref(&'static self) -> McGroupsRef {
        McGroupsRef(&self.0)
    }
}

/// The multicast groups of [`FamilyDef::mcgrps`].
#[derive(Clone, Copy)]
pub struct McGroupsRef(&'static [MulticastGroup]);

impl McGroupsRef {
    /// No multicast groups.
    pub const NONE: McGroupsRef = McGroupsRef(&[]);
}

/// Everything about a family, as the generated family file states it.
#[derive(Clone, Copy)]
pub struct FamilyDef {
    /// Family name.
    pub name: &'static core::ffi::CStr,
    /// Family version.
    pub version: u32,
    /// Size of the fixed header after the genl header (0: none).
    pub hdrsize: u32,
    /// Family-wide request policy (families with a global policy).
    pub policy: Option<PolicyRef>,
    /// Family maxattr when there is no family policy.
    pub maxattr: u32,
    /// Usable from every network namespace.
    pub netnsok: bool,
    /// Handlers run without `genl_mutex`.
    pub parallel_ops: bool,
    /// Commands below this keep the legacy liberal validation.
    pub resv_start_op: u8,
    /// The ops table given at construction ([`OpsRef::NONE`]: given at registration).
    pub ops: OpsRef,
    /// The multicast groups.
    pub mcgrps: McGroupsRef,
}

/// This module, for the family's `module` field: `module!` defines a `THIS_MODULE` static
/// before 7.0 and `kernel::module::this_module()` gives it since (the Makefile sets
/// `this_module_fn` there).
#[cfg(this_module_fn)]
pub const fn this_module() -> &'static kernel::ThisModule {
    kernel::module::this_module::<crate::LocalModule>()
}

/// This module, for the family's `module` field (see the other `this_module`).
#[cfg(not(this_module_fn))]
pub const fn this_module() -> &'static kernel::ThisModule {
    &crate::THIS_MODULE
}

/// The family `static` of definition `def`: a [`kernel::net::netlink::Family`] of this module.
pub const fn family(def: FamilyDef) -> Family {
    family_with(def, family_ops(def))
}

/// The family `static` of definition `def` with per-socket state of type `T`
/// ([`genl::FamilyOps::sock_priv`]; the handlers reach it with `Request::sock_priv::<T>()`).
pub const fn family_sock_priv<T: Default + Sync + 'static>(def: FamilyDef) -> Family {
    family_with(def, family_ops(def).sock_priv::<T>())
}

const fn family_ops(def: FamilyDef) -> genl::FamilyOps {
    let ops = genl::FamilyOps::new()
        .hdrsize(def.hdrsize)
        .maxattr(def.maxattr)
        .netnsok(def.netnsok)
        .parallel_ops(def.parallel_ops)
        .resv_start_op(def.resv_start_op)
        .ops(def.ops);
    match def.policy {
        Some(p) => ops.policy(p),
        None => ops,
    }
}

const fn family_with(def: FamilyDef, ops: genl::FamilyOps) -> Family {
    Family::const_new_ops(
        this_module(),
        def.name.to_bytes_with_nul(),
        def.version,
        def.mcgrps.0,
        ops,
    )
}

/// Per-socket state given at registration, which the series does not take: it is declared
/// when the family is built ([`family_sock_priv`]), so registration never has one (this type
/// has no values; the out-of-tree layer's has).
pub enum SockPrivDef {}

/// A registered family; dropping it unregisters the family.
pub struct Registration(kernel::net::netlink::Registration);

impl Registration {
    /// Registers `family` with the operations `ops` (the module is the family's, see
    /// [`family`]; `_module` is accepted for the out-of-tree layer's signature).
    pub fn register_with(
        family: &'static Family,
        ops: OpsRef,
        sock_priv: Option<SockPrivDef>,
        _module: &'static kernel::ThisModule,
    ) -> core::result::Result<Registration, kernel::error::Error> {
        if let Some(never) = sock_priv {
            match never {}
        }
        Ok(Registration(family.register_with_ops(ops)?))
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

impl<'a> ViewSrc<'a> for &'a Request<'a> {
    fn find(&self, ty: u16) -> Result<Option<Attr<'a>>> {
        Ok(self.attr(ty))
    }
    fn missing(&self, ty: u16) -> Error {
        Error::EINVAL.msg(msg::MISSING_ATTRIBUTE).missing(ty)
    }
}

/// `NLA_UINT` in network byte order: 4 or 8 bytes.
pub fn get_uint_be(a: &Attr<'_>) -> Result<u64> {
    match a.payload().len() {
        4 => a.get_u32_be().map(u64::from),
        _ => a.get_u64_be(),
    }
}

/// `NLA_SINT` in network byte order: 4 or 8 bytes.
pub fn get_sint_be(a: &Attr<'_>) -> Result<i64> {
    match a.payload().len() {
        4 => a.get_s32_be().map(i64::from),
        _ => a.get_s64_be(),
    }
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// What a [`Writer`] appends to: the kernel's [`AttrWriter`] of a message being built.
pub trait AttrSink {
    /// See [`AttrWriter::put_bytes`].
    fn put_bytes(&mut self, ty: u16, bytes: &[u8]) -> Result;
    /// See [`AttrWriter::put_str`].
    fn put_str(&mut self, ty: u16, s: &str) -> Result;
    /// See [`AttrWriter::put_u64_pad`].
    fn put_u64_pad(&mut self, ty: u16, v: u64, pad: u16) -> Result;
    /// See [`AttrWriter::nest_start`].
    fn nest_start(&mut self, ty: u16) -> Result<Nest>;
    /// See [`AttrWriter::nest_end`].
    fn nest_end(&mut self, nest: Nest) -> Result;
    /// See [`AttrWriter::nest_cancel`].
    fn nest_cancel(&mut self, nest: Nest);
    /// See [`AttrWriter::set_header`].
    fn set_header(&mut self, bytes: &[u8]);
}

impl AttrSink for AttrWriter<'_> {
    fn put_bytes(&mut self, ty: u16, bytes: &[u8]) -> Result {
        Ok(AttrWriter::put_bytes(self, ty, bytes)?)
    }
    fn put_str(&mut self, ty: u16, s: &str) -> Result {
        Ok(AttrWriter::put_str(self, ty, s)?)
    }
    fn put_u64_pad(&mut self, ty: u16, v: u64, pad: u16) -> Result {
        Ok(AttrWriter::put_u64_pad(self, ty, v, pad)?)
    }
    fn nest_start(&mut self, ty: u16) -> Result<Nest> {
        Ok(AttrWriter::nest_start(self, ty)?)
    }
    fn nest_end(&mut self, nest: Nest) -> Result {
        Ok(AttrWriter::nest_end(self, nest)?)
    }
    fn nest_cancel(&mut self, nest: Nest) {
        AttrWriter::nest_cancel(self, nest)
    }
    fn set_header(&mut self, bytes: &[u8]) {
        AttrWriter::set_header(self, bytes)
    }
}

/// Appends attributes to a message, keeping the first error (typically `EMSGSIZE`, the message
/// is full) for the message's `send()`; after an error, puts do nothing.
pub struct Writer<'w> {
    w: &'w mut (dyn AttrSink + 'w),
    err: &'w mut Option<Error>,
}

macro_rules! fixed_putters {
    ($($name:ident($t:ty) => $conv:ident;)*) => {$(
        #[doc = concat!("Appends a `", stringify!($t), "` attribute.")]
        #[inline]
        pub fn $name(&mut self, ty: u16, v: $t) {
            self.put_bytes(ty, &v.$conv());
        }
    )*};
}

impl<'w> Writer<'w> {
    /// A writer appending to `w`, keeping its first error in `err`.
    pub fn new(w: &'w mut (dyn AttrSink + 'w), err: &'w mut Option<Error>) -> Self {
        Writer { w, err }
    }

    /// The same writer, borrowed for a nest writer.
    pub fn reborrow(&mut self) -> Writer<'_> {
        Writer {
            w: &mut *self.w,
            err: &mut *self.err,
        }
    }

    fn record(&mut self, r: Result) {
        if let Err(e) = r {
            if self.err.is_none() {
                *self.err = Some(e);
            }
        }
    }

    fn failed(&self) -> bool {
        self.err.is_some()
    }

    /// Writes the family's fixed header (cut or zero-extended to its size).
    pub fn set_header(&mut self, bytes: &[u8]) {
        self.w.set_header(bytes);
    }

    /// Binary payload.
    pub fn put_bytes(&mut self, ty: u16, bytes: &[u8]) {
        if !self.failed() {
            let r = self.w.put_bytes(ty, bytes);
            self.record(r);
        }
    }

    fixed_putters! {
        put_u8(u8) => to_ne_bytes;
        put_u16(u16) => to_ne_bytes;
        put_u32(u32) => to_ne_bytes;
        put_u64(u64) => to_ne_bytes;
        put_s8(i8) => to_ne_bytes;
        put_s16(i16) => to_ne_bytes;
        put_s32(i32) => to_ne_bytes;
        put_s64(i64) => to_ne_bytes;
        put_u16_be(u16) => to_be_bytes;
        put_u32_be(u32) => to_be_bytes;
        put_u64_be(u64) => to_be_bytes;
        put_s16_be(i16) => to_be_bytes;
        put_s32_be(i32) => to_be_bytes;
        put_s64_be(i64) => to_be_bytes;
    }

    /// A 64-bit value, 8-byte aligned with the set's pad attribute where needed.
    pub fn put_u64_pad(&mut self, ty: u16, v: u64, pad: u16) {
        if !self.failed() {
            let r = self.w.put_u64_pad(ty, v, pad);
            self.record(r);
        }
    }
    /// `NLA_UINT`: 4 bytes when the value fits, else 8.
    pub fn put_uint(&mut self, ty: u16, v: u64) {
        match u32::try_from(v) {
            Ok(v) => self.put_u32(ty, v),
            Err(_) => self.put_u64(ty, v),
        }
    }
    /// `NLA_UINT` in network byte order.
    pub fn put_uint_be(&mut self, ty: u16, v: u64) {
        match u32::try_from(v) {
            Ok(v) => self.put_u32_be(ty, v),
            Err(_) => self.put_u64_be(ty, v),
        }
    }
    /// `NLA_SINT`: 4 bytes when the value fits, else 8.
    pub fn put_sint(&mut self, ty: u16, v: i64) {
        match i32::try_from(v) {
            Ok(v) => self.put_s32(ty, v),
            Err(_) => self.put_s64(ty, v),
        }
    }
    /// `NLA_SINT` in network byte order.
    pub fn put_sint_be(&mut self, ty: u16, v: i64) {
        match i32::try_from(v) {
            Ok(v) => self.put_s32_be(ty, v),
            Err(_) => self.put_s64_be(ty, v),
        }
    }
    /// A flag (no payload).
    pub fn put_flag(&mut self, ty: u16) {
        self.put_bytes(ty, &[]);
    }
    /// A NUL-terminated string.
    pub fn put_str(&mut self, ty: u16, s: &str) {
        if !self.failed() {
            let r = self.w.put_str(ty, s);
            self.record(r);
        }
    }
    /// A NUL-terminated string from bytes in any encoding, up to their first NUL.
    ///
    /// UTF-8 text is written in place; other bytes are copied into a buffer first (the kernel
    /// API appends the NUL only to a `str`), allocated atomically so that any context may call
    /// this.
    pub fn put_str_bytes(&mut self, ty: u16, s: &[u8]) {
        let s = match s.iter().position(|&c| c == 0) {
            Some(end) => &s[..end],
            None => s,
        };
        if let Ok(text) = core::str::from_utf8(s) {
            self.put_str(ty, text);
            return;
        }
        if self.failed() {
            return;
        }
        let mut v = KVec::new();
        let r = v
            .extend_from_slice(s, flags::GFP_ATOMIC)
            .and_then(|()| v.push(0, flags::GFP_ATOMIC))
            .map_err(|_| Error::new(ENOMEM));
        match r {
            Ok(()) => self.put_bytes(ty, &v),
            Err(e) => self.record(Err(e)),
        }
    }
    /// `struct nla_bitfield32`.
    pub fn put_bitfield32(&mut self, ty: u16, value: u32, selector: u32) {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&value.to_ne_bytes());
        b[4..].copy_from_slice(&selector.to_ne_bytes());
        self.put_bytes(ty, &b);
    }
    /// Opens a nest; `None` after an error (then [`Writer::nest_end`] does nothing).
    pub fn nest_start(&mut self, ty: u16) -> Option<Nest> {
        if self.failed() {
            return None;
        }
        match self.w.nest_start(ty) {
            Ok(n) => Some(n),
            Err(e) => {
                self.record(Err(e));
                None
            }
        }
    }
    /// Closes a nest opened by [`Writer::nest_start`]; after an error inside it, removes it.
    pub fn nest_end(&mut self, nest: Option<Nest>) {
        let Some(nest) = nest else { return };
        if self.failed() {
            self.w.nest_cancel(nest);
        } else {
            let r = self.w.nest_end(nest);
            self.record(r);
        }
    }
}

/// Something attributes are written into: a reply, a dump entry, a notification, a nest.
pub trait Sink {
    /// Runs `f` with the message's writer.
    fn with_writer(&mut self, f: impl FnOnce(&mut Writer<'_>));
}

/// How a message may allocate: in process context or in any (timers, interrupts, under a
/// spinlock).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Gfp {
    /// `GFP_KERNEL`: process context, may sleep.
    Kernel,
    /// `GFP_ATOMIC`: any context.
    Atomic,
}

impl Gfp {
    /// The kernel's allocation flags.
    pub fn flags(self) -> Flags {
        match self {
            Gfp::Kernel => flags::GFP_KERNEL,
            Gfp::Atomic => flags::GFP_ATOMIC,
        }
    }
}

fn alloc_err(_: AllocError) -> Error {
    Error::new(ENOMEM)
}

/// A reply to a do request, sent with [`Reply::send`].
pub struct Reply<'a> {
    msg: GenlMsg,
    req: &'a Request<'a>,
    err: Option<Error>,
}

impl<'a> Reply<'a> {
    /// A reply with command `cmd` and room for `size` bytes of attributes (process context).
    pub fn with_size(req: &'a Request<'a>, cmd: u8, size: usize) -> Result<Self> {
        let msg = NetlinkSkBuff::new(size, flags::GFP_KERNEL)
            .map_err(alloc_err)?
            .genlmsg_put_reply(req, cmd)
            .map_err(alloc_err)?;
        Ok(Reply {
            msg,
            req,
            err: None,
        })
    }
    /// Sends the reply to the requester, or returns the first error of building it.
    pub fn send(self) -> Result {
        if let Some(e) = self.err {
            return Err(e);
        }
        self.msg.reply(self.req)
    }
}

impl Sink for Reply<'_> {
    fn with_writer(&mut self, f: impl FnOnce(&mut Writer<'_>)) {
        let mut w = self.msg.attrs();
        f(&mut Writer::new(&mut w, &mut self.err));
    }
}

/// A kernel-initiated message of a family to one of its multicast groups or to one socket.
pub struct Notification {
    msg: GenlMsg,
    family: &'static Family,
    group: u32,
    gfp: Gfp,
    err: Option<Error>,
}

impl Notification {
    /// A message of `family` with command `cmd` for group `group`, with room for `size` bytes,
    /// built and sent in context `gfp`.
    pub fn with_size_in(
        family: &'static Family,
        cmd: u8,
        group: u32,
        size: usize,
        gfp: Gfp,
    ) -> Result<Self> {
        let msg = NetlinkSkBuff::new(size, gfp.flags())
            .map_err(alloc_err)?
            .genlmsg_put(0, 0, family, cmd)
            .map_err(alloc_err)?;
        Ok(Notification {
            msg,
            family,
            group,
            gfp,
            err: None,
        })
    }
    fn built(&mut self) -> Result {
        match self.err.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
    /// Multicasts it in every network namespace (no listener is not an error).
    pub fn send(mut self) -> Result {
        self.built()?;
        Ok(self.msg.multicast_allns(self.family, self.group)?)
    }
    /// Multicasts it in network namespace `net` only.
    pub fn send_to(mut self, net: &Net) -> Result {
        self.built()?;
        let flags = self.gfp.flags();
        Ok(self
            .msg
            .multicast_netns(self.family, net, 0, self.group, flags)?)
    }
    /// Unicasts it to socket `portid` of `net` (`ECONNREFUSED`: no such socket).
    pub fn unicast(mut self, net: &Net, portid: u32) -> Result {
        self.built()?;
        Ok(self.msg.unicast(net, portid)?)
    }
}

impl Sink for Notification {
    fn with_writer(&mut self, f: impl FnOnce(&mut Writer<'_>)) {
        let mut w = self.msg.attrs();
        f(&mut Writer::new(&mut w, &mut self.err));
    }
}

/// Writes one dump entry through `d`: the message gets the request's fixed header, then `f`
/// fills it; the first error of building it removes the entry again (`Ok(false)` for a full
/// buffer, so that the dump continues in the next call).
pub fn dump_entry(d: &mut Dump<'_>, cmd: u8, f: impl FnOnce(&mut Writer<'_>)) -> Result<bool> {
    let req = d.request();
    let hdr = req.fixed_header();
    d.entry(cmd, |aw| {
        aw.set_header(hdr);
        let mut err = None;
        f(&mut Writer::new(aw, &mut err));
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// What the shared macros (`nlspec_macros.rs`) need besides the above
// ---------------------------------------------------------------------------------------------

/// The macros generated family files are written in (`nl::request!`, `nl::attrs!`, ...).
#[path = "nlspec_macros.rs"]
mod macros;
pub(crate) use macros::*;

// `IntValue`, `take`, `ViewSrc`, `NestAttrs`, `ArrayIter`: the same code as out of tree.
layer_items!();

// ---------------------------------------------------------------------------------------------
// Module conveniences: module-wide state, a stored port, a timer, time
// ---------------------------------------------------------------------------------------------
//
// The same items as out of tree (`module_items!` in `nlspec_macros.rs`), so a module's handlers
// build in both homes. They are not genetlink API, and 6.12's `kernel` crate has no timer, RCU
// or static-lock abstraction to build them on: the timer calls the kernel's exported timer
// functions through `kernel::bindings` (`raw_timer`), `Global` and `PortSlot` keep a raw pointer
// whose readers they count; each `unsafe` with its SAFETY comment.

/// A kept reference to a network namespace ([`Net::to_owned`]).
#[cfg(sync_aref)]
pub type NetRef = kernel::sync::aref::ARef<Net>;
/// A kept reference to a network namespace ([`Net::to_owned`]).
#[cfg(not(sync_aref))]
pub type NetRef = kernel::types::ARef<Net>;

/// A new reference to `net`, to keep beyond the request it came with.
pub fn keep_net(net: &Net) -> NetRef {
    net.to_owned()
}

/// Errno values as positive integers, named as the out-of-tree layer names them (so handlers
/// compare and build errors the same way in both homes: [`err`], [`errno_of`]).
pub mod errno {
    macro_rules! errnos {
        ($($(#[$m:meta])* $name:ident,)*) => {
            $($(#[$m])* pub const $name: i32 = kernel::bindings::$name as i32;)*
        };
    }
    errnos! {
        /// Operation not permitted.
        EPERM,
        /// No such entry.
        ENOENT,
        /// No such process (multicast: no listeners).
        ESRCH,
        /// Argument list too long.
        E2BIG,
        /// Try again.
        EAGAIN,
        /// Out of memory.
        ENOMEM,
        /// Busy.
        EBUSY,
        /// Exists.
        EEXIST,
        /// No such device.
        ENODEV,
        /// Invalid argument.
        EINVAL,
        /// No space left.
        ENOSPC,
        /// Out of range.
        ERANGE,
        /// Message too long.
        EMSGSIZE,
        /// Operation not supported.
        EOPNOTSUPP,
        /// No buffer space.
        ENOBUFS,
        /// Connection refused (unicast: no socket with that port id).
        ECONNREFUSED,
    }
}

/// An error with an extended-ACK message, spelled the same in both layers:
/// `nl::err(nl::errno::ENOENT, c"no such key")`.
pub fn err(errno: i32, msg: &'static core::ffi::CStr) -> Error {
    let e = Error::new(kernel::error::Error::from_errno(-errno));
    match kernel_cstr(msg) {
        Some(m) => e.msg(m),
        None => e,
    }
}

/// The errno of `e`, positive, as [`errno`] spells it (the same in both layers).
pub fn errno_of(e: &Error) -> i32 {
    -e.error().to_errno()
}

/// The timer primitives [`Ticker`] runs on: the kernel's `timer_list`, through its exported
/// functions (`timer_setup` is a C macro; the lockdep class it would make is the ticker's
/// [`Key`](raw_timer::Key)).
mod raw_timer {
    use kernel::bindings as b;
    // `as_char_ptr` of a `c_str!`: the trait `CStrExt` of the prelude since 7.0.
    use kernel::prelude::*;

    pub(super) type Timer = b::timer_list;

    /// The lockdep class of a ticker's timer: a static object, as lockdep requires.
    pub(super) struct Key(core::cell::UnsafeCell<b::lock_class_key>);

    impl Key {
        pub(super) const fn new() -> Key {
            // SAFETY: all zeroes is what a `static struct lock_class_key` in C starts as.
            Key(core::cell::UnsafeCell::new(unsafe { core::mem::zeroed() }))
        }
    }

    /// # Safety
    /// `t` is valid for the timer's whole life and not armed.
    pub(super) unsafe fn setup(
        t: *mut Timer,
        f: unsafe extern "C" fn(*mut Timer),
        key: &'static Key,
    ) {
        // `timer_setup`'s function: `init_timer_key` until 6.16 renamed it.
        #[cfg(not(timer_init_key))]
        use b::init_timer_key as timer_init_key;
        #[cfg(timer_init_key)]
        use b::timer_init_key;
        let name = kernel::c_str!("nlspec-ticker").as_char_ptr();
        // SAFETY: as this function requires; `key` is a static object for the timer's life.
        unsafe { timer_init_key(t, Some(f), 0, name, key.0.get()) };
    }

    /// # Safety
    /// `t` was set up by [`setup`].
    pub(super) unsafe fn arm_ms(t: *mut Timer, ms: u32) {
        // SAFETY: `jiffies` is a kernel variable read without a lock (as C's `jiffies` is);
        // `__msecs_to_jiffies` has no preconditions; `t` was set up (required), and arming a
        // shut-down timer is a no-op.
        unsafe {
            let now = core::ptr::read_volatile(&raw const b::jiffies);
            b::mod_timer(t, now.wrapping_add(b::__msecs_to_jiffies(ms)))
        };
    }

    /// # Safety
    /// `t` was set up by [`setup`]; process context.
    pub(super) unsafe fn shutdown_sync(t: *mut Timer) {
        // SAFETY: as this function requires.
        unsafe { b::timer_shutdown_sync(t) };
    }
}

module_items!();

/// Extended-ACK messages of the macros' checks.
pub mod msg {
    use kernel::c_str;
    use kernel::str::CStr;

    /// A string attribute shorter than its spec's `min-len`.
    pub const SHORTER_THAN_MIN_LEN: &CStr = c_str!("string shorter than its min-len");
    /// A request without the family's whole fixed header.
    pub const FIXED_HEADER_TOO_SHORT: &CStr = c_str!("fixed header too short");
    /// A binary attribute shorter than the spec struct it holds.
    pub const TOO_SHORT_FOR_THE_STRUCT: &CStr = c_str!("too short for the struct");
    /// A required attribute is absent.
    pub const MISSING_ATTRIBUTE: &CStr = c_str!("missing required attribute");
}

/// A nest, array element or dump entry writer of the macros: a [`Writer`] borrowed from the
/// message's.
pub type NestWriter<'w> = Writer<'w>;

/// The bytes of string attribute `a` up to its first NUL.
pub fn str_bytes<'a>(a: &Attr<'a>) -> Result<&'a [u8]> {
    Ok(a.get_str_bytes())
}

/// Whether a socket in `net` listens on group `group` of `family`.
pub fn has_listeners(family: &Family, net: &Net, group: u32) -> bool {
    family.has_listeners_in(net, group)
}

/// Implements [`Sink`] for a writer type whose field `w` is a [`NestWriter`].
macro_rules! sink_nest {
    ($t:ty) => {
        impl $crate::nl::Sink for $t {
            fn with_writer(&mut self, f: impl FnOnce(&mut $crate::nl::Writer<'_>)) {
                f(&mut self.w.reborrow())
            }
        }
    };
}
pub(crate) use sink_nest;

/// Implements [`Sink`] for a message type by its field `$f` (a [`Reply`] or [`Notification`]).
macro_rules! sink_field {
    ($t:ty, $f:ident) => {
        impl $crate::nl::Sink for $t {
            fn with_writer(&mut self, f: impl FnOnce(&mut $crate::nl::Writer<'_>)) {
                $crate::nl::Sink::with_writer(&mut self.$f, f)
            }
        }
    };
}
pub(crate) use sink_field;

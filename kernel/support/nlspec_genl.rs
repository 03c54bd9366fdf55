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
//! This file has no `unsafe`, no bindings and no C: every `unsafe` operation is in the kernel
//! crate. It holds
//!
//! * the macros the family file is written in (`enum_type!`, `flags_type!`, `wire_struct!`,
//!   `nest_view!`, `request!`, `attrs!`, `reply!`, `dump!`, `notification!`, `operation!`), with
//!   the same input as `nlspec_support.rs`'s, expanding to the kernel's API;
//! * the few items whose spelling the family file shares with the out-of-tree layer:
//!   [`Policy`] (lengths taken as the spec's `u64` constants, checked to fit at build time),
//!   [`policy_table`], [`FamilyDef`] / [`family`], [`McGroup`] / [`McGroups`] and
//!   [`Registration::register_with`];
//! * [`Writer`]: reply, dump entry and notification builders keep the first error (a full
//!   message) and report it when the message is sent, so generated setters chain
//!   (`reply.key(k).value(v)`), as out of tree.

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
        let name = match kernel::str::CStr::from_bytes_with_nul(self.name.to_bytes_with_nul()) {
            Ok(n) => n,
            Err(_) => panic!("multicast group name"),
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
    let mut ops = genl::FamilyOps::new()
        .hdrsize(def.hdrsize)
        .maxattr(def.maxattr)
        .netnsok(def.netnsok)
        .parallel_ops(def.parallel_ops)
        .resv_start_op(def.resv_start_op)
        .ops(def.ops);
    if let Some(p) = def.policy {
        ops = ops.policy(p);
    }
    Family::const_new_ops(
        this_module(),
        def.name.to_bytes_with_nul(),
        def.version,
        def.mcgrps.0,
        ops,
    )
}

/// Per-socket state is declared with `genl::FamilyOps::sock_priv` when the family is built; the
/// registration-time form of the out-of-tree layer has no in-tree counterpart yet, so a family
/// with `sock-priv` does not build here (this type has no values).
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

/// Where a typed view reads its attributes: a request or a nest.
pub trait ViewSrc<'a> {
    /// The first attribute of type `ty`, if present.
    fn find(&self, ty: u16) -> Result<Option<Attr<'a>>>;
    /// The error for a missing attribute of type `ty`.
    fn missing(&self, ty: u16) -> Error;

    /// The attribute of type `ty` decoded by `f`, if present.
    fn get_with<T>(&self, ty: u16, f: fn(Attr<'a>) -> Result<T>) -> Result<Option<T>> {
        self.find(ty)?.map(f).transpose()
    }
    /// The attribute of type `ty` decoded by `f`; `EINVAL` naming the missing type if absent.
    fn require_with<T>(&self, ty: u16, f: fn(Attr<'a>) -> Result<T>) -> Result<T> {
        match self.find(ty)? {
            Some(a) => f(a),
            None => Err(self.missing(ty)),
        }
    }
}

impl<'a> ViewSrc<'a> for &'a Request<'a> {
    fn find(&self, ty: u16) -> Result<Option<Attr<'a>>> {
        Ok(self.attr(ty))
    }
    fn missing(&self, ty: u16) -> Error {
        Error::EINVAL
            .msg(c_str!("missing required attribute"))
            .missing(ty)
    }
}

/// The attributes of a received nest, as nest views see them.
#[derive(Clone)]
pub struct NestAttrs<'a> {
    attrs: Attrs<'a>,
    nest: Option<Attr<'a>>,
}

impl<'a> NestAttrs<'a> {
    /// The attributes in `attrs` (a nest's payload).
    pub fn new(attrs: Attrs<'a>) -> Self {
        NestAttrs { attrs, nest: None }
    }
    /// The attributes of nest attribute `nest` (errors for missing members name it).
    pub fn of(nest: Attr<'a>) -> Self {
        NestAttrs {
            attrs: nest.nested(),
            nest: Some(nest),
        }
    }
    /// The nest attribute itself, when known.
    pub fn nest(&self) -> Option<Attr<'a>> {
        self.nest
    }
    /// Every attribute of the nest, unparsed.
    pub fn all_attrs(&self) -> Attrs<'a> {
        self.attrs.clone()
    }
    /// The first attribute of type `ty`, if present (a malformed nest reads as absent).
    pub fn attr(&self, ty: u16) -> Option<Attr<'a>> {
        self.attrs.find(ty).ok().flatten()
    }
    /// Whether the flag attribute `ty` is present.
    pub fn flag(&self, ty: u16) -> Result<bool> {
        Ok(self.attrs.find(ty)?.is_some())
    }
}

impl<'a> ViewSrc<'a> for NestAttrs<'a> {
    fn find(&self, ty: u16) -> Result<Option<Attr<'a>>> {
        self.attrs.find(ty)
    }
    fn missing(&self, ty: u16) -> Error {
        let e = Error::EINVAL.msg(c_str!("missing required attribute"));
        match &self.nest {
            Some(n) => e.missing_in(n, ty),
            None => e.missing(ty),
        }
    }
}

/// Iterator over repeated attributes (multi-attr, indexed arrays, type-value nests), decoding
/// each.
pub struct ArrayIter<'a, T> {
    it: Attrs<'a>,
    only: Option<u16>,
    f: fn(Attr<'a>) -> Result<T>,
}

impl<'a, T> ArrayIter<'a, T> {
    /// Decodes with `f` every attribute of `it` (only those of type `only`, if given).
    pub fn new(it: Attrs<'a>, only: Option<u16>, f: fn(Attr<'a>) -> Result<T>) -> Self {
        ArrayIter { it, only, f }
    }
}

impl<'a, T> Iterator for ArrayIter<'a, T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        loop {
            let a = match self.it.next()? {
                Ok(a) => a,
                Err(e) => return Some(Err(e)),
            };
            match self.only {
                Some(t) if a.attrtype() != t => continue,
                _ => return Some((self.f)(a)),
            }
        }
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

/// An integer a spec struct member or attribute holds: the plain integer types and the enum
/// and flags newtypes (`enum_type!`/`flags_type!`), converted with `as` semantics.
pub trait IntValue: Copy {
    /// From the wire value (sign-extended for signed wire types).
    fn from_u64(v: u64) -> Self;
    /// To the wire value.
    fn to_u64(self) -> u64;
}

macro_rules! int_value {
    ($($t:ty => $wide:expr;)*) => {$(
        impl IntValue for $t {
            fn from_u64(v: u64) -> Self {
                v as $t
            }
            fn to_u64(self) -> u64 {
                let widen: fn($t) -> u64 = $wide;
                widen(self)
            }
        }
    )*};
}
int_value! {
    u8 => u64::from;
    u16 => u64::from;
    u32 => u64::from;
    u64 => u64::from;
    // Sign-extended, as the wire's two's complement.
    i8 => |v| i64::from(v) as u64;
    i16 => |v| i64::from(v) as u64;
    i32 => |v| i64::from(v) as u64;
    i64 => |v| v as u64;
}

/// `N` bytes of `b` from `at`, zero-filled where `b` is shorter (callers check lengths).
pub fn take<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut x = [0u8; N];
    if let Some(s) = b.get(at..at + N) {
        x.copy_from_slice(s);
    }
    x
}

// ---------------------------------------------------------------------------------------------
// The macros of generated family files (input as in nlspec_support.rs)
// ---------------------------------------------------------------------------------------------
/// An enum newtype of the spec (`pub struct Kind(pub u32)`) with its values as associated
/// consts: `name()`, `from_name()`, `known_values()`, `is_known()`, `Debug` by name, `From`
/// both ways, and [`ValueCheck`] (`Policy::u32().check::<Kind>()` accepts the known values).
/// Values the spec does not define are kept, not rejected.
macro_rules! enum_type {
    (
        $(#[$m:meta])*
        pub struct $t:ident($r:ident) {
            $( $(#[$em:meta])* $c:ident = $v:literal => $n:literal, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $t(pub $r);
        impl $t {
            $( $(#[$em])* pub const $c: Self = Self($v); )*
            /// Spec names and values of the entries.
            pub const NAMED: &'static [(&'static str, Self)] = &[$(($n, Self::$c)),*];
            /// Every value the spec defines.
            pub const fn known_values() -> &'static [Self] {
                &[$(Self::$c),*]
            }
            /// The spec name of this value; `None` if it is unknown.
            pub const fn name(self) -> Option<&'static str> {
                let mut i = 0;
                while i < Self::NAMED.len() {
                    if Self::NAMED[i].1 .0 == self.0 {
                        return Some(Self::NAMED[i].0);
                    }
                    i += 1;
                }
                None
            }
            /// The value with spec name `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::NAMED.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
            }
            /// Whether the spec defines this value.
            pub const fn is_known(self) -> bool {
                self.name().is_some()
            }
        }
        impl core::fmt::Debug for $t {
            /// The spec name, or `Type(value)` for a value the spec does not define.
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, concat!(stringify!($t), "({})"), self.0),
                }
            }
        }
        impl $crate::nlspec_genl::IntValue for $t {
            fn from_u64(v: u64) -> Self {
                Self(v as $r)
            }
            fn to_u64(self) -> u64 {
                $crate::nlspec_genl::IntValue::to_u64(self.0)
            }
        }
        impl From<$r> for $t {
            fn from(v: $r) -> Self {
                Self(v)
            }
        }
        impl From<$t> for $r {
            fn from(v: $t) -> Self {
                v.0
            }
        }
        impl $crate::nlspec_genl::ValueCheck for $t {
            fn check(value: u64) -> bool {
                match $r::try_from(value) {
                    Ok(v) => Self(v).is_known(),
                    Err(_) => false,
                }
            }
        }
    };
}
pub(crate) use enum_type;

/// A flags (bit set) newtype of the spec with its bits as associated consts: `NAMED`, `EMPTY`,
/// `ALL`, `bits()`, `contains()`, `intersects()`, `unknown_bits()`, `iter()`, `names()`, bit
/// operators, `Debug` as `a | b | 0x10`, `From` both ways. Unknown bits are kept.
macro_rules! flags_type {
    (
        $(#[$m:meta])*
        pub struct $t:ident($r:ident) {
            $( $(#[$em:meta])* $c:ident = $v:literal => $n:literal, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $t(pub $r);
        impl $t {
            $( $(#[$em])* pub const $c: Self = Self($v); )*
            /// Spec names and bits of the known flags.
            pub const NAMED: &'static [(&'static str, Self)] = &[$(($n, Self::$c)),*];
            /// No bit set.
            pub const EMPTY: Self = Self(0);
            /// Every known bit.
            pub const ALL: Self = Self(0 $(| $v)*);
            /// No bit set ([`Self::EMPTY`]).
            pub const fn empty() -> Self {
                Self::EMPTY
            }
            /// Every known bit ([`Self::ALL`]).
            pub const fn all() -> Self {
                Self::ALL
            }
            /// The raw bits.
            pub const fn bits(self) -> $r {
                self.0
            }
            /// No bit set?
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            /// All bits of `other` set?
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
            /// Any bit of `other` set?
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }
            /// Bits not in the spec.
            pub const fn unknown_bits(self) -> $r {
                self.0 & !Self::ALL.0
            }
            /// Each set bit (known or not) as its own value, lowest first.
            pub fn iter(self) -> impl Iterator<Item = Self> + Clone {
                (0..$r::BITS).map(|b| (1 as $r) << b).filter(move |b| self.0 & b != 0).map(Self)
            }
            /// The spec names of the set bits the spec defines.
            pub fn names(self) -> impl Iterator<Item = &'static str> + Clone {
                Self::NAMED.iter().filter(move |(_, v)| v.0 != 0 && self.contains(*v)).map(|(n, _)| *n)
            }
        }
        impl core::fmt::Debug for $t {
            /// Set flags by name, `|`-separated, unknown bits in hex; `(empty)` for none.
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                if self.0 == 0 {
                    return f.write_str("(empty)");
                }
                let mut rest = self.0;
                let mut sep = "";
                for (n, v) in Self::NAMED {
                    if v.0 != 0 && self.contains(*v) {
                        f.write_str(sep)?;
                        f.write_str(n)?;
                        sep = " | ";
                        rest &= !v.0;
                    }
                }
                if rest != 0 {
                    f.write_str(sep)?;
                    write!(f, "{rest:#x}")?;
                }
                Ok(())
            }
        }
        impl core::ops::BitOr for $t {
            type Output = Self;
            fn bitor(self, o: Self) -> Self {
                Self(self.0 | o.0)
            }
        }
        impl core::ops::BitOrAssign for $t {
            fn bitor_assign(&mut self, o: Self) {
                self.0 |= o.0
            }
        }
        impl core::ops::BitAnd for $t {
            type Output = Self;
            fn bitand(self, o: Self) -> Self {
                Self(self.0 & o.0)
            }
        }
        impl core::ops::Not for $t {
            type Output = Self;
            /// The known bits not set (unknown bits are cleared).
            fn not(self) -> Self {
                Self(!self.0 & Self::ALL.0)
            }
        }
        impl $crate::nlspec_genl::IntValue for $t {
            fn from_u64(v: u64) -> Self {
                Self(v as $r)
            }
            fn to_u64(self) -> u64 {
                $crate::nlspec_genl::IntValue::to_u64(self.0)
            }
        }
        impl From<$r> for $t {
            fn from(v: $r) -> Self {
                Self(v)
            }
        }
        impl From<$t> for $r {
            fn from(v: $t) -> Self {
                v.0
            }
        }
    };
}
pub(crate) use flags_type;

/// The value type (`@ty`) and the decoding expression (`@get`) of an attribute codec (see the
/// section comment).
#[doc(hidden)]
macro_rules! codec {
    (@ty u8) => { u8 };
    (@ty u16) => { u16 };
    (@ty u32) => { u32 };
    (@ty u64) => { u64 };
    (@ty s8) => { i8 };
    (@ty s16) => { i16 };
    (@ty s32) => { i32 };
    (@ty s64) => { i64 };
    (@ty uint) => { u64 };
    (@ty sint) => { i64 };
    (@ty u16_be) => { u16 };
    (@ty u32_be) => { u32 };
    (@ty u64_be) => { u64 };
    (@ty s16_be) => { i16 };
    (@ty s32_be) => { i32 };
    (@ty s64_be) => { i64 };
    (@ty uint_be) => { u64 };
    (@ty sint_be) => { i64 };
    (@ty str $(min($n:literal))?) => { &'a str };
    (@ty binary) => { &'a [u8] };
    (@ty flag) => { bool };
    (@ty bitfield32 $(as $t:ident)?) => { $crate::nlspec_genl::Bitfield32 };
    (@ty struct $t:ident) => { $t };
    (@ty nest $v:ident) => { $v<'a> };
    (@ty array $($k:tt)+) => {
        $crate::nlspec_genl::ArrayIter<'a, $crate::nlspec_genl::codec!(@ty $($k)+)>
    };
    (@ty slots $v:ident) => { $crate::nlspec_genl::ArrayIter<'a, (u16, $v<'a>)> };
    (@ty $p:ident as $t:ident) => { $t };

    (@get $a:ident, str) => { $a.get_str() };
    (@get $a:ident, str min($n:literal)) => {
        $a.get_str().and_then(|s| {
            if s.len() < $n {
                Err($crate::nlspec_genl::Error::EINVAL.msg(kernel::c_str!("string shorter than its min-len")).attr(&$a))
            } else {
                Ok(s)
            }
        })
    };
    (@get $a:ident, binary) => { Ok($a.payload()) };
    (@get $a:ident, flag) => { $a.get_flag() };
    (@get $a:ident, bitfield32 $(as $t:ident)?) => { $a.get_bitfield32() };
    (@get $a:ident, struct $t:ident) => { $t::from_bytes($a.payload()).map_err(|e| e.attr(&$a)) };
    (@get $a:ident, nest $v:ident) => { Ok($v::of($a)) };
    (@get $a:ident, array $($k:tt)+) => {
        Ok($crate::nlspec_genl::ArrayIter::new($a.nested(), None, |$a| {
            $crate::nlspec_genl::codec!(@get $a, $($k)+)
        }))
    };
    (@get $a:ident, slots $v:ident) => {
        Ok($crate::nlspec_genl::ArrayIter::new($a.nested(), None, |$a| Ok(($a.attrtype(), $v::of($a)))))
    };
    (@get $a:ident, $p:ident as $t:ident) => {
        $crate::nlspec_genl::codec!(@get $a, $p)
            .map(|v| $t($crate::nlspec_genl::IntValue::from_u64($crate::nlspec_genl::IntValue::to_u64(v))))
    };
    (@get $a:ident, uint_be) => { $crate::nlspec_genl::get_uint_be(&$a) };
    (@get $a:ident, sint_be) => { $crate::nlspec_genl::get_sint_be(&$a) };
    (@get $a:ident, $p:ident) => { kernel::macros::paste!($a.[<get_ $p>]()) };
}
pub(crate) use codec;

/// Getters of a request or nest view (`self.src` is a `&Request` or a [`NestAttrs`]): per
/// attribute `name() -> Result<Option<T>>`, `require_name() -> Result<T>` (`EINVAL` with the
/// extended-ACK missing type) and `name_attr()` (the raw attribute, for `Error::attr`); a flag
/// is a `bool` (`Result<bool>` in nests), a multi-attr an iterator of every occurrence.
#[doc(hidden)]
macro_rules! getters {
    ($mode:ident [$($set:tt)*]) => {};
    ($mode:ident [$($set:tt)*] $(#[$m:meta])* $name:ident: $c:ident => $($k:ident)+ $(($($arg:tt)*))?, $($rest:tt)*) => {
        $crate::nlspec_genl::getter!($mode $(#[$m])* $name, $($set)*::$c => $($k)+ $(($($arg)*))?);
        $crate::nlspec_genl::getters!($mode [$($set)*] $($rest)*);
    };
}
pub(crate) use getters;

#[doc(hidden)]
macro_rules! getter {
    (req $(#[$m:meta])* $name:ident, $c:expr => flag) => {
        $(#[$m])*
        pub fn $name(&self) -> bool {
            self.src.attr($c).is_some()
        }
    };
    (nest $(#[$m:meta])* $name:ident, $c:expr => flag) => {
        $(#[$m])*
        pub fn $name(&self) -> $crate::nlspec_genl::Result<bool> {
            self.src.flag($c)
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => raw) => {
        kernel::macros::paste! {
            $(#[$m])*
            ///
            /// The raw attribute (for `Error::attr`), if present.
            pub fn [<$name _attr>](&self) -> Option<$crate::nlspec_genl::Attr<'a>> {
                self.src.attr($c)
            }
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => multi $($k:tt)+) => {
        $(#[$m])*
        ///
        /// Every occurrence, in message order.
        pub fn $name(&self) -> $crate::nlspec_genl::ArrayIter<'a, $crate::nlspec_genl::codec!(@ty $($k)+)> {
            $crate::nlspec_genl::ArrayIter::new(self.src.all_attrs(), Some($c), |a| {
                $crate::nlspec_genl::codec!(@get a, $($k)+)
            })
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => str $(min($n:literal))?) => {
        $crate::nlspec_genl::getter!(@plain $mode $(#[$m])* $name, $c => str $(min($n))?);
        kernel::macros::paste! {
            $(#[$m])*
            ///
            /// The string's bytes up to the first NUL, whatever their encoding: the kernel does
            /// not require strings to be UTF-8.
            pub fn [<$name _bytes>](&self) -> $crate::nlspec_genl::Result<Option<&'a [u8]>> {
                $crate::nlspec_genl::ViewSrc::get_with(&self.src, $c, |a| {
                    let b = a.get_str_bytes();
                    $(if b.len() < $n {
                        return Err($crate::nlspec_genl::Error::EINVAL
                            .msg(kernel::c_str!("string shorter than its min-len"))
                            .attr(&a));
                    })?
                    Ok(b)
                })
            }
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => $($k:tt)+) => {
        $crate::nlspec_genl::getter!(@plain $mode $(#[$m])* $name, $c => $($k)+);
    };
    (@plain $mode:ident $(#[$m:meta])* $name:ident, $c:expr => $($k:tt)+) => {
        kernel::macros::paste! {
            $(#[$m])*
            pub fn $name(&self) -> $crate::nlspec_genl::Result<Option<$crate::nlspec_genl::codec!(@ty $($k)+)>> {
                $crate::nlspec_genl::ViewSrc::get_with(&self.src, $c, |a| $crate::nlspec_genl::codec!(@get a, $($k)+))
            }
            #[doc = concat!("`", stringify!($name), "`, or `EINVAL` (extended ACK: missing attribute) if absent.")]
            pub fn [<require_ $name>](&self) -> $crate::nlspec_genl::Result<$crate::nlspec_genl::codec!(@ty $($k)+)> {
                $crate::nlspec_genl::ViewSrc::require_with(&self.src, $c, |a| $crate::nlspec_genl::codec!(@get a, $($k)+))
            }
            /// The raw attribute (for `Error::attr`), if present.
            pub fn [<$name _attr>](&self) -> Option<$crate::nlspec_genl::Attr<'a>> {
                self.src.attr($c)
            }
        }
    };
}
pub(crate) use getter;

/// A typed view of a validated do or dump request: `raw()`, `header()` (with a fixed header
/// type after `:`) and the [`getters!`] of the listed attributes of set `attrs::x`.
macro_rules! request {
    (
        $(#[$m:meta])*
        pub struct $v:ident($($set:ident)::+) $(: $h:ty)? { $($body:tt)* }
    ) => {
        $(#[$m])*
        pub struct $v<'a> {
            src: &'a $crate::nlspec_genl::Request<'a>,
        }
        impl<'a> $v<'a> {
            /// The request as the support layer sees it (raw attributes, sender).
            pub fn raw(&self) -> &'a $crate::nlspec_genl::Request<'a> {
                self.src
            }
            $(
                /// The request's fixed header.
                pub fn header(&self) -> $crate::nlspec_genl::Result<$h> {
                    <$h>::from_bytes(self.src.fixed_header())
                        .map_err(|_| $crate::nlspec_genl::Error::EINVAL.msg(kernel::c_str!("fixed header too short")))
                }
            )?
            $crate::nlspec_genl::getters!(req [$($set)::+] $($body)*);
        }
    };
}
pub(crate) use request;

/// A typed view of a received nest of set `attrs::x`: `new(attrs)`, `of(nest)`, `nest()`,
/// `attrs()` and the [`getters!`] of the set's attributes.
macro_rules! nest_view {
    (
        $(#[$m:meta])*
        pub struct $v:ident($($set:ident)::+) { $($body:tt)* }
    ) => {
        $(#[$m])*
        #[derive(Clone)]
        pub struct $v<'a> {
            src: $crate::nlspec_genl::NestAttrs<'a>,
        }
        impl<'a> $v<'a> {
            /// A view of the attributes in `attrs` (a nest's payload).
            pub fn new(attrs: $crate::nlspec_genl::Attrs<'a>) -> Self {
                Self { src: $crate::nlspec_genl::NestAttrs::new(attrs) }
            }
            /// A view of the nest attribute `nest` (errors for missing members name it).
            pub fn of(nest: $crate::nlspec_genl::Attr<'a>) -> Self {
                Self { src: $crate::nlspec_genl::NestAttrs::of(nest) }
            }
            /// The nest attribute itself (for `Error::attr`), when known.
            pub fn nest(&self) -> Option<$crate::nlspec_genl::Attr<'a>> {
                self.src.nest()
            }
            /// Every attribute of the nest, unparsed.
            pub fn attrs(&self) -> $crate::nlspec_genl::Attrs<'a> {
                self.src.all_attrs()
            }
            $crate::nlspec_genl::getters!(nest [$($set)::+] $($body)*);
        }
    };
}
pub(crate) use nest_view;

/// Default-method setters (one per attribute) of a setter trait.
#[doc(hidden)]
macro_rules! setters {
    ([$($set:tt)*]) => {};
    ([$($set:tt)*] $(#[$m:meta])* $name:ident: $c:ident => $($k:ident)+ $(($($arg:tt)*))?, $($rest:tt)*) => {
        $crate::nlspec_genl::setter!([$($set)*] $(#[$m])* $name, $($set)*::$c => $($k)+ $(($($arg)*))?);
        $crate::nlspec_genl::setters!([$($set)*] $($rest)*);
    };
}
pub(crate) use setters;

#[doc(hidden)]
macro_rules! setter {
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => multi $($k:tt)+) => {
        $crate::nlspec_genl::setter!([$($set)*] $(#[$m])* #[doc = ""]
            #[doc = " May be called repeatedly: each call adds one attribute."] $name, $c => $($k)+);
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => flag) => {
        $(#[$m])*
        fn $name(&mut self) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_flag($c));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => str $(min($n:literal))?) => {
        $(#[$m])*
        fn $name(&mut self, v: &str) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_str($c, v));
            self
        }
        kernel::macros::paste! {
            $(#[$m])*
            ///
            /// From bytes in any encoding (up to a NUL, if they hold one).
            fn [<$name _bytes>](&mut self, v: &[u8]) -> &mut Self {
                $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_str_bytes($c, v));
                self
            }
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => binary) => {
        $(#[$m])*
        fn $name(&mut self, v: &[u8]) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_bytes($c, v));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => struct $t:ident) => {
        $(#[$m])*
        fn $name(&mut self, v: &$t) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_bytes($c, &v.to_bytes()));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => bitfield32) => {
        $(#[$m])*
        fn $name(&mut self, value: u32, selector: u32) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_bitfield32($c, value, selector));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => bitfield32 as $t:ident) => {
        $(#[$m])*
        fn $name(&mut self, value: $t, selector: $t) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_bitfield32($c, value.0 as u32, selector.0 as u32));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => nest $w:ident) => {
        $(#[$m])*
        fn $name(&mut self, f: impl FnOnce(&mut $w<'_>)) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| {
                let nest = w.nest_start($c);
                f(&mut $w { w: w.reborrow() });
                w.nest_end(nest);
            });
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => array nest $w:ident) => {
        $(#[$m])*
        fn $name(&mut self, f: impl FnOnce(&mut $w<'_>)) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| {
                let nest = w.nest_start($c);
                f(&mut $w { w: w.reborrow(), next: 0 });
                w.nest_end(nest);
            });
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => array $($k:tt)+) => {
        $(#[$m])*
        fn $name(&mut self, items: &[$crate::nlspec_genl::codec!(@ty $($k)+)]) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| {
                let nest = w.nest_start($c);
                for (i, v) in items.iter().enumerate() {
                    $crate::nlspec_genl::put!(w, i as u16, *v => $($k)+);
                }
                w.nest_end(nest);
            });
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => slots $w:ident) => {
        $(#[$m])*
        fn $name(&mut self, f: impl FnOnce(&mut $w<'_>)) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| {
                let nest = w.nest_start($c);
                f(&mut $w { w: w.reborrow() });
                w.nest_end(nest);
            });
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => $p:ident as $t:ident pad($pad:ident)) => {
        $(#[$m])*
        fn $name(&mut self, v: $t) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_u64_pad($c, v.0 as u64, $($set)*::$pad));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => $p:ident pad($pad:ident)) => {
        $(#[$m])*
        fn $name(&mut self, v: u64) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| w.put_u64_pad($c, v, $($set)*::$pad));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => $($k:tt)+) => {
        $(#[$m])*
        fn $name(&mut self, v: $crate::nlspec_genl::codec!(@ty $($k)+)) -> &mut Self {
            $crate::nlspec_genl::Sink::with_writer(self, |w| $crate::nlspec_genl::put!(w, $c, v => $($k)+));
            self
        }
    };
}
pub(crate) use setter;

/// Writes a scalar value `v` (codec `$p` or `$p as Newtype`) as attribute `ty`.
#[doc(hidden)]
macro_rules! put {
    ($w:ident, $ty:expr, $v:expr => str) => { $w.put_str($ty, $v) };
    ($w:ident, $ty:expr, $v:expr => binary) => { $w.put_bytes($ty, $v) };
    ($w:ident, $ty:expr, $v:expr => $p:ident as $t:ident) => {
        kernel::macros::paste!($w.[<put_ $p>](
            $ty,
            $crate::nlspec_genl::IntValue::from_u64($crate::nlspec_genl::IntValue::to_u64(($v).0)),
        ))
    };
    ($w:ident, $ty:expr, $v:expr => $p:ident) => { kernel::macros::paste!($w.[<put_ $p>]($ty, $v)) };
}
pub(crate) use put;

/// A setter trait (one default method per listed attribute of set `attrs::x`) implemented by
/// the messages carrying those attributes. With `for Writer`, also the nest writer
/// `Writer<'w>` implementing it, and optionally `array Array` (an indexed-array writer whose
/// `entry(|w| ..)` appends the next element) and `slots Slots` (a nest-type-value writer whose
/// `entry(ty, |w| ..)` appends a nest of type `ty`).
macro_rules! attrs {
    (
        $(#[$m:meta])*
        pub trait $tr:ident($($set:ident)::+) $(for $wr:ident $(, array $arr:ident)? $(, slots $sl:ident)?)? {
            $($body:tt)*
        }
    ) => {
        $(#[$m])*
        pub trait $tr: $crate::nlspec_genl::Sink + Sized {
            $crate::nlspec_genl::setters!([$($set)::+] $($body)*);
        }
        $(
            #[doc = concat!("Writes the attributes of a nest ([`", stringify!($tr), "`]).")]
            pub struct $wr<'w> {
                w: $crate::nlspec_genl::Writer<'w>,
            }
            impl $crate::nlspec_genl::Sink for $wr<'_> {
                fn with_writer(&mut self, f: impl FnOnce(&mut $crate::nlspec_genl::Writer<'_>)) {
                    f(&mut self.w.reborrow())
                }
            }
            impl $tr for $wr<'_> {}
            $(
                #[doc = concat!("Writes an indexed array of [`", stringify!($wr), "`] nests.")]
                pub struct $arr<'w> {
                    w: $crate::nlspec_genl::Writer<'w>,
                    next: u16,
                }
                impl $arr<'_> {
                    /// Appends the next element (indexes count from 0).
                    pub fn entry(&mut self, f: impl FnOnce(&mut $wr<'_>)) -> &mut Self {
                        let nest = self.w.nest_start(self.next);
                        f(&mut $wr { w: self.w.reborrow() });
                        self.w.nest_end(nest);
                        self.next += 1;
                        self
                    }
                }
            )?
            $(
                #[doc = concat!("Writes [`", stringify!($wr), "`] nests whose attribute type carries a value.")]
                pub struct $sl<'w> {
                    w: $crate::nlspec_genl::Writer<'w>,
                }
                impl $sl<'_> {
                    /// Appends a nest with attribute type `ty`.
                    pub fn entry(&mut self, ty: u16, f: impl FnOnce(&mut $wr<'_>)) -> &mut Self {
                        let nest = self.w.nest_start(ty);
                        f(&mut $wr { w: self.w.reborrow() });
                        self.w.nest_end(nest);
                        self
                    }
                }
            )?
        )?
    };
}
pub(crate) use attrs;

/// The reply type of a do request: `Reply::new(&req)` (fixed header copied from the request),
/// `with_size`, `set_header` (with a header type), the setters of its attribute trait, `send()`.
macro_rules! reply {
    ($(#[$m:meta])* pub struct $ty:ident($req:ident, $cmd:expr $(, $h:ty)?) $(: $tr:ident)?) => {
        $(#[$m])*
        pub struct $ty<'a> {
            r: $crate::nlspec_genl::Reply<'a>,
        }
        impl<'a> $ty<'a> {
            /// A reply with the default size; its fixed header is the request's.
            pub fn new(req: &$req<'a>) -> $crate::nlspec_genl::Result<Self> {
                Self::with_size(req, $crate::nlspec_genl::DEFAULT_SIZE)
            }
            /// A reply with room for `size` bytes of attributes.
            pub fn with_size(req: &$req<'a>, size: usize) -> $crate::nlspec_genl::Result<Self> {
                let raw = req.raw();
                let mut r = $crate::nlspec_genl::Reply::with_size(raw, $cmd, size)?;
                $crate::nlspec_genl::Sink::with_writer(&mut r, |w| w.set_header(raw.fixed_header()));
                Ok(Self { r })
            }
            $(
                /// Sets the message's fixed header.
                pub fn set_header(&mut self, h: &$h) -> &mut Self {
                    $crate::nlspec_genl::Sink::with_writer(&mut self.r, |w| w.set_header(&h.to_bytes()));
                    self
                }
            )?
            /// Sends the reply to the requester.
            pub fn send(self) -> $crate::nlspec_genl::Result {
                self.r.send()
            }
        }
        impl $crate::nlspec_genl::Sink for $ty<'_> {
            fn with_writer(&mut self, f: impl FnOnce(&mut $crate::nlspec_genl::Writer<'_>)) {
                self.r.with_writer(f)
            }
        }
        $(impl $tr for $ty<'_> {})?
    };
}
pub(crate) use reply;

/// One dumpit call of a dump (`$ty`) and the entry it writes (`$entry`): `dump.entry(|e| ..)`
/// writes one message (fixed header copied from the request) and returns `Ok(false)` when the
/// skb is full; `written()`.
macro_rules! dump {
    ($(#[$m:meta])* pub struct $ty:ident, $entry:ident($cmd:expr $(, $h:ty)?) $(: $tr:ident)?) => {
        $(#[$m])*
        pub struct $ty<'d, 'a> {
            d: &'d mut $crate::nlspec_genl::Dump<'a>,
        }
        impl $ty<'_, '_> {
            /// Writes one entry (a message whose fixed header is the request's).
            /// `Ok(true)`: written, advance the cursor; `Ok(false)`: the message is full,
            /// return `Dumped::More` without advancing.
            pub fn entry(&mut self, f: impl FnOnce(&mut $entry<'_>)) -> $crate::nlspec_genl::Result<bool> {
                $crate::nlspec_genl::dump_entry(self.d, $cmd, |w| f(&mut $entry { w: w.reborrow() }))
            }
            /// Entries written in this call so far.
            pub fn written(&self) -> u32 {
                self.d.written()
            }
        }
        /// One entry of the dump being written.
        pub struct $entry<'w> {
            w: $crate::nlspec_genl::Writer<'w>,
        }
        impl $entry<'_> {
            $(
                /// Sets the message's fixed header.
                pub fn set_header(&mut self, h: &$h) -> &mut Self {
                    self.w.set_header(&h.to_bytes());
                    self
                }
            )?
        }
        impl $crate::nlspec_genl::Sink for $entry<'_> {
            fn with_writer(&mut self, f: impl FnOnce(&mut $crate::nlspec_genl::Writer<'_>)) {
                f(&mut self.w.reborrow())
            }
        }
        $(impl $tr for $entry<'_> {})?
    };
}
pub(crate) use dump;

/// A kernel-initiated message of `$family` for multicast group `$grp`: `new()`/`with_size()`
/// in process context, `new_in(gfp)`/`with_size_in(size, gfp)` in any (fixed header all-zero
/// until `set_header`), setters, then `send()` to the group in every network namespace,
/// `send_to(net)` in one, or `unicast(net, portid)` to one socket (no listener is not an error
/// for the multicasts); `has_listeners(net)` first saves building one nobody hears.
macro_rules! notification {
    ($(#[$m:meta])* pub struct $ty:ident($family:path, $cmd:expr, $grp:expr $(, $h:ty)?) $(: $tr:ident)?) => {
        $(#[$m])*
        pub struct $ty {
            n: $crate::nlspec_genl::Notification,
        }
        impl $ty {
            /// A notification with the default size, in process context (fixed header
            /// all-zero until set).
            pub fn new() -> $crate::nlspec_genl::Result<Self> {
                Self::with_size_in($crate::nlspec_genl::DEFAULT_SIZE, $crate::nlspec_genl::Gfp::Kernel)
            }
            /// A notification with room for `size` bytes of attributes, in process context.
            pub fn with_size(size: usize) -> $crate::nlspec_genl::Result<Self> {
                Self::with_size_in(size, $crate::nlspec_genl::Gfp::Kernel)
            }
            /// A notification with the default size, built and sent in context `gfp`.
            pub fn new_in(gfp: $crate::nlspec_genl::Gfp) -> $crate::nlspec_genl::Result<Self> {
                Self::with_size_in($crate::nlspec_genl::DEFAULT_SIZE, gfp)
            }
            /// A notification with room for `size` bytes of attributes, in context `gfp`.
            pub fn with_size_in(size: usize, gfp: $crate::nlspec_genl::Gfp) -> $crate::nlspec_genl::Result<Self> {
                Ok(Self { n: $crate::nlspec_genl::Notification::with_size_in(&$family, $cmd, $grp, size, gfp)? })
            }
            /// Whether a socket in `net` listens on the notification's group.
            pub fn has_listeners(net: &$crate::nlspec_genl::Net) -> bool {
                $family.has_listeners_in(net, $grp)
            }
            $(
                /// Sets the message's fixed header.
                pub fn set_header(&mut self, h: &$h) -> &mut Self {
                    $crate::nlspec_genl::Sink::with_writer(&mut self.n, |w| w.set_header(&h.to_bytes()));
                    self
                }
            )?
            /// Multicasts it in every network namespace (no listener is not an error).
            pub fn send(self) -> $crate::nlspec_genl::Result {
                self.n.send()
            }
            /// Multicasts it in network namespace `net` only.
            pub fn send_to(self, net: &$crate::nlspec_genl::Net) -> $crate::nlspec_genl::Result {
                self.n.send_to(net)
            }
            /// Unicasts it to socket `portid` of `net` (`ECONNREFUSED`: no such socket).
            pub fn unicast(self, net: &$crate::nlspec_genl::Net, portid: u32) -> $crate::nlspec_genl::Result {
                self.n.unicast(net, portid)
            }
        }
        impl $crate::nlspec_genl::Sink for $ty {
            fn with_writer(&mut self, f: impl FnOnce(&mut $crate::nlspec_genl::Writer<'_>)) {
                self.n.with_writer(f)
            }
        }
        $(impl $tr for $ty {})?
    };
}
pub(crate) use notification;

/// The [`Operation`] type `$op<H>` of one command, served by handler `H` of the family's
/// handler trait: each clause routes a callback to a handler method (`doit: set(SetRequest)`
/// wraps the request in the typed view), hooks only when the handler implements them
/// (`pre_doit: m if HAS_M`), and sets the request policies.
macro_rules! operation {
    (
        $(#[$m:meta])*
        pub(crate) struct $op:ident<H: $h:ident> {
            $(policy: $pol:ident,)?
            $(dump_policy: $dpol:ident,)?
            $(doit: $dofn:ident($doreq:ident),)?
            $(pre_doit: $pre:ident if $prehas:ident,)?
            $(post_doit: $post:ident if $posthas:ident,)?
            $(dumpit: $dumpfn:ident($dumpreq:ident, $dump:ident, $st:ident),)?
            $(start: $start:ident if $starthas:ident,)?
            $(done: $done:ident if $donehas:ident,)?
        }
    ) => {
        $(#[$m])*
        #[doc = concat!("The `", stringify!($op), "` command type, served by the handler `H`.")]
        pub(crate) struct $op<H>(core::marker::PhantomData<H>);
        #[kernel::prelude::vtable]
        impl<H: $h> $crate::nlspec_genl::Operation for $op<H> {
            $(const POLICY: Option<$crate::nlspec_genl::PolicyRef> = Some($pol.as_ref());)?
            $(const DUMP_POLICY: Option<$crate::nlspec_genl::PolicyRef> = Some($dpol.as_ref());)?
            $(const HAS_PRE_DOIT: bool = H::$prehas;)?
            $(const HAS_POST_DOIT: bool = H::$posthas;)?
            $(const HAS_START: bool = H::$starthas;)?
            $(const HAS_DONE: bool = H::$donehas;)?
            type DumpState = $crate::nlspec_genl::operation!(@state $(H::$st)?);
            $(
                fn doit(req: &$crate::nlspec_genl::Request<'_>) -> $crate::nlspec_genl::Result {
                    H::$dofn(&$doreq { src: req })
                }
            )?
            $(
                fn pre_doit(req: &$crate::nlspec_genl::Request<'_>) -> $crate::nlspec_genl::Result {
                    H::$pre(req)
                }
            )?
            $(
                fn post_doit(req: &$crate::nlspec_genl::Request<'_>) {
                    H::$post(req)
                }
            )?
            $(
                fn dumpit(
                    dump: &mut $crate::nlspec_genl::Dump<'_>,
                    state: &mut H::$st,
                ) -> $crate::nlspec_genl::Result<$crate::nlspec_genl::Dumped> {
                    let raw = dump.request();
                    H::$dumpfn(&$dumpreq { src: &raw }, &mut $dump { d: dump }, state)
                }
            )?
            $(
                fn start(req: &$crate::nlspec_genl::Request<'_>, state: &mut Self::DumpState) -> $crate::nlspec_genl::Result {
                    H::$start(req, state)
                }
            )?
            $(
                fn done(state: &mut Self::DumpState) {
                    H::$done(state)
                }
            )?
        }
    };
    (@state) => { () };
    (@state $t:ty) => { $t };
}
pub(crate) use operation;

/// A spec struct with a fixed C layout: the fields, `SIZE`, `from_bytes` (longer input
/// accepted), `to_bytes`, `Debug` by spec member name. Each member is
/// `pub name: Type = wire order @ offset => "spec-name"`, `wire` an integer type (`u8`..`i64`;
/// `Type` may be an enum/flags newtype) or `bytes` (`Type` a byte array), `order` `ne`, `be`
/// or `le`.
macro_rules! wire_struct {
    (
        $(#[$m:meta])*
        pub struct $t:ident($size:literal) {
            $( $(#[$fm:meta])* pub $f:ident: $ft:ty = $w:ident $bo:ident @ $off:literal => $n:literal, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $t {
            $( $(#[$fm])* pub $f: $ft, )*
        }
        impl $t {
            /// Size on the wire in bytes.
            pub const SIZE: usize = $size;
            /// Decode from the start of `b` (longer input, e.g. from a newer kernel that grew
            /// the struct, is accepted; shorter is an error).
            pub fn from_bytes(b: &[u8]) -> $crate::nlspec_genl::Result<Self> {
                if b.len() < Self::SIZE {
                    return Err($crate::nlspec_genl::Error::EINVAL.msg(kernel::c_str!("too short for the struct")));
                }
                Ok(Self { $( $f: $crate::nlspec_genl::wire_struct!(@get b, $off, $w $bo), )* })
            }
            /// Encode in the wire layout.
            pub fn to_bytes(&self) -> [u8; $size] {
                #[allow(unused_mut)]
                let mut out = [0u8; $size];
                $( $crate::nlspec_genl::wire_struct!(@put out, $off, self.$f, $w $bo); )*
                out
            }
        }
        impl core::fmt::Debug for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($t)) $( .field($n, &self.$f) )* .finish()
            }
        }
    };
    (@get $b:ident, $off:literal, bytes $bo:ident) => { $crate::nlspec_genl::take($b, $off) };
    (@get $b:ident, $off:literal, $w:ident ne) => {
        $crate::nlspec_genl::IntValue::from_u64($crate::nlspec_genl::IntValue::to_u64(
            $w::from_ne_bytes($crate::nlspec_genl::take($b, $off)),
        ))
    };
    (@get $b:ident, $off:literal, $w:ident be) => {
        $crate::nlspec_genl::IntValue::from_u64($crate::nlspec_genl::IntValue::to_u64(
            $w::from_be_bytes($crate::nlspec_genl::take($b, $off)),
        ))
    };
    (@get $b:ident, $off:literal, $w:ident le) => {
        $crate::nlspec_genl::IntValue::from_u64($crate::nlspec_genl::IntValue::to_u64(
            $w::from_le_bytes($crate::nlspec_genl::take($b, $off)),
        ))
    };
    (@put $out:ident, $off:literal, $v:expr, bytes $bo:ident) => {
        $out[$off..$off + $v.len()].copy_from_slice(&$v)
    };
    (@put $out:ident, $off:literal, $v:expr, $w:ident ne) => {
        $out[$off..$off + core::mem::size_of::<$w>()]
            .copy_from_slice(&($crate::nlspec_genl::IntValue::to_u64($v) as $w).to_ne_bytes())
    };
    (@put $out:ident, $off:literal, $v:expr, $w:ident be) => {
        $out[$off..$off + core::mem::size_of::<$w>()]
            .copy_from_slice(&($crate::nlspec_genl::IntValue::to_u64($v) as $w).to_be_bytes())
    };
    (@put $out:ident, $off:literal, $v:expr, $w:ident le) => {
        $out[$off..$off + core::mem::size_of::<$w>()]
            .copy_from_slice(&($crate::nlspec_genl::IntValue::to_u64($v) as $w).to_le_bytes())
    };
}
pub(crate) use wire_struct;

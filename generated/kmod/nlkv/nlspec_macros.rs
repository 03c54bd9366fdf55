// SPDX-License-Identifier: GPL-2.0

//! The macros nlspec-generated family files are written in, shared by both support layers.
//!
//! A family file calls them as `nl::request!`, `nl::attrs!`, ...: `nl` is the crate root's name
//! for its layer, `nlspec_support.rs` out of tree or `nlspec_genl.rs` in a kernel tree with
//! `kernel::net::genetlink`. Both include this file (`#[path] mod macros`) and re-export its
//! macros, so the expansions below reach the layer's items through `$crate::nl::` and each
//! layer gives the same names:
//!
//! * values: `IntValue`, `take`, `ValueCheck`, `Bitfield32`, `Error` (`EINVAL`, `msg`, `attr`),
//!   `Result`, the messages of `msg`;
//! * requests: `Request`, `Attr` (`payload`, `attrtype`, `nested`, `get_*`), `Attrs`,
//!   `NestAttrs`, `ArrayIter`, `ViewSrc` (`get_with`, `require_with`), `str_bytes`,
//!   `get_uint_be`, `get_sint_be`;
//!
//! (`IntValue`, `take`, `ViewSrc`, `NestAttrs` and `ArrayIter` are the same code in both:
//! [`layer_items!`] below, which each layer invokes once over its own `Attr`, `Attrs`, `Error`,
//! `Result` and `msg::MISSING_ATTRIBUTE`)
//! * messages: `Sink` (`with_writer`), a writer with `put_*`, `nest_start`/`nest_end`,
//!   `set_header` and `reborrow` (a `NestWriter`), `Reply::with_size`, `dump_entry`,
//!   `Notification::with_size_in` (`send`, `send_to`, `unicast`), `has_listeners`, `Gfp`,
//!   `DEFAULT_SIZE`, `Net`, and the `sink_nest!`/`sink_field!` macros implementing `Sink`;
//! * ops: `Operation` (`#[vtable]`), `PolicyRef`, `Dump`, `Dumped`.

#![allow(unused_macros)]

/// The family-independent items both layers define the same way, over the layer's own `Attr`
/// (`attrtype`, `nested`), `Attrs` (`Clone`, an iterator of `Result<Attr>`, `find`), `Error`
/// (`EINVAL`, `msg`, `missing`, `missing_in`), `Result` and `msg::MISSING_ATTRIBUTE`: invoked
/// once at the top level of each layer, so the names resolve to that layer's.
macro_rules! layer_items {
    () => {
        /// An integer a spec struct member or attribute holds: the plain integer types and the
        /// enum and flags newtypes (`enum_type!`/`flags_type!`).
        pub trait IntValue: Copy {
            /// From the wire value (truncated to the type; sign-extended wire values of signed
            /// types come back as they were).
            fn from_u64(v: u64) -> Self;
            /// To the wire value (signed types sign-extended, as the wire's two's complement).
            fn to_u64(self) -> u64;
        }

        int_value_impls! {
            u8 => u64::from;
            u16 => u64::from;
            u32 => u64::from;
            u64 => u64::from;
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

        /// Where a typed view reads its attributes: a request or a nest.
        pub trait ViewSrc<'a> {
            /// The attribute of type `ty`, if present.
            fn find(&self, ty: u16) -> Result<Option<Attr<'a>>>;
            /// The error for a missing attribute of type `ty`.
            fn missing(&self, ty: u16) -> Error;

            /// The attribute of type `ty` decoded by `f`, if present.
            fn get_with<T>(&self, ty: u16, f: fn(Attr<'a>) -> Result<T>) -> Result<Option<T>> {
                self.find(ty)?.map(f).transpose()
            }
            /// The attribute of type `ty` decoded by `f`; `EINVAL` naming the missing type (and
            /// the nest, when known) if absent.
            fn require_with<T>(&self, ty: u16, f: fn(Attr<'a>) -> Result<T>) -> Result<T> {
                match self.find(ty)? {
                    Some(a) => f(a),
                    None => Err(self.missing(ty)),
                }
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
                let e = Error::EINVAL.msg(msg::MISSING_ATTRIBUTE);
                match &self.nest {
                    Some(n) => e.missing_in(n, ty),
                    None => e.missing(ty),
                }
            }
        }

        /// Iterator over repeated attributes (multi-attr, indexed arrays, type-value nests),
        /// decoding each.
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
    };
}
pub(crate) use layer_items;

/// Module conveniences both layers define the same way, over the layer's `Net` (with `NetRef`,
/// a counted reference that derefs to it, and `keep_net`), `Error`/`Result`/`err`/`errno`, and
/// its `raw_timer` primitives. They are not netlink API: they let handlers (trait functions
/// without `self`) reach module-wide state ([`Global`]), keep a socket to send to later
/// ([`PortSlot`]), and send from a timer ([`Ticker`]), the same way in both homes. Invoked once
/// at the top level of each layer, like [`layer_items!`].
macro_rules! module_items {
    () => {
        /// A published value readers reach without a lock: each reader is counted while it
        /// holds the value, and a writer replacing it waits until no reader counts before it
        /// frees the old one (no RCU, which 6.12's `kernel` crate does not wrap).
        ///
        /// # Invariants
        /// `ptr` is null or comes from `KBox::into_raw` and is owned by the slot; a pointer
        /// taken out of the slot is freed only once `users` was seen at zero after it was
        /// unpublished.
        struct Slot<T> {
            ptr: core::sync::atomic::AtomicPtr<T>,
            users: core::sync::atomic::AtomicUsize,
        }

        impl<T> Slot<T> {
            const fn new() -> Self {
                Slot {
                    ptr: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()),
                    users: core::sync::atomic::AtomicUsize::new(0),
                }
            }

            /// Runs `f` with the value, if one is published. Any context; `f` must not sleep
            /// long, as writers wait for it.
            fn with<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
                use core::sync::atomic::Ordering::SeqCst;
                // Count the reader before looking at the pointer (SeqCst on both sides: a
                // reader that sees a pointer is counted before the writer's swap, so the
                // writer waits for it).
                self.users.fetch_add(1, SeqCst);
                let p = self.ptr.load(SeqCst);
                let r = if p.is_null() {
                    None
                } else {
                    // SAFETY: `p` was published and is not freed while `users` counts us
                    // (type invariant).
                    Some(f(unsafe { &*p }))
                };
                self.users.fetch_sub(1, SeqCst);
                r
            }

            /// Publishes `new` if the slot is empty, else hands it back.
            fn fill(
                &self,
                new: kernel::alloc::KBox<T>,
            ) -> core::result::Result<(), kernel::alloc::KBox<T>> {
                use core::sync::atomic::Ordering::SeqCst;
                let raw = kernel::alloc::KBox::into_raw(new);
                match self
                    .ptr
                    .compare_exchange(core::ptr::null_mut(), raw, SeqCst, SeqCst)
                {
                    Ok(_) => Ok(()),
                    // SAFETY: `raw` came from `KBox::into_raw` above and was not published.
                    Err(_) => Err(unsafe { kernel::alloc::KBox::from_raw(raw) }),
                }
            }

            /// Publishes `new` (nothing: empties the slot) and returns the value it replaced
            /// once no reader can still be using it. Process context: sleeps while readers
            /// finish.
            fn replace(
                &self,
                new: Option<kernel::alloc::KBox<T>>,
            ) -> Option<kernel::alloc::KBox<T>> {
                use core::sync::atomic::Ordering::SeqCst;
                let new = new.map_or(core::ptr::null_mut(), kernel::alloc::KBox::into_raw);
                let old = self.ptr.swap(new, SeqCst);
                if old.is_null() {
                    return None;
                }
                while self.users.load(SeqCst) != 0 {
                    // SAFETY: `msleep` may be called in process context, as this function
                    // requires.
                    unsafe { kernel::bindings::msleep(1) };
                }
                // SAFETY: `old` came from `KBox::into_raw` (type invariant), the swap made this
                // call its only owner, and no reader is left inside `with`.
                Some(unsafe { kernel::alloc::KBox::from_raw(old) })
            }
        }

        /// A `static` slot for module-wide state that handlers (plain trait functions without
        /// `self`) reach safely: `static STORE: Global<Mutex<Store>> = Global::new();`, filled
        /// in `init` with [`Global::install`] (a pinned box, so `T` may be a kernel
        /// `Mutex`/`SpinLock` made with `new_mutex!`), read with [`Global::with`]. Dropping the
        /// returned [`GlobalGuard`] empties the slot, waits until no [`Global::with`] call is
        /// inside `f` any more, then frees the value. Keep the guard in the module struct
        /// *after* the family's `Registration`, so the family is unregistered (no handler
        /// running) before the state goes.
        pub struct Global<T: Send + Sync + 'static> {
            slot: Slot<T>,
        }

        // `Global` is `Sync` through its atomics; that is sound because `T: Send + Sync` (the
        // struct's bound): the slot hands out only `&T` and frees the value, possibly on another
        // thread, only after it is unpublished and no reader holds it.

        impl<T: Send + Sync + 'static> Global<T> {
            /// An empty slot.
            pub const fn new() -> Self {
                Global { slot: Slot::new() }
            }

            /// Publishes `value`; `EBUSY` if the slot is already filled.
            pub fn install(
                &'static self,
                value: core::pin::Pin<kernel::alloc::KBox<T>>,
            ) -> core::result::Result<GlobalGuard<T>, kernel::error::Error> {
                // SAFETY: the box is only dropped in place by `GlobalGuard::drop` (or right
                // here), never moved out of, so the value stays pinned.
                let value = unsafe { core::pin::Pin::into_inner_unchecked(value) };
                match self.slot.fill(value) {
                    Ok(()) => Ok(GlobalGuard { global: self }),
                    Err(_) => Err(kernel::error::code::EBUSY),
                }
            }

            /// Runs `f` with the value; `None` when the slot is empty (before `install`, after
            /// the guard dropped).
            pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
                self.slot.with(f)
            }
        }

        /// Keeps a [`Global`] filled; dropping it empties the slot and frees the value.
        pub struct GlobalGuard<T: Send + Sync + 'static> {
            global: &'static Global<T>,
        }

        impl<T: Send + Sync + 'static> Drop for GlobalGuard<T> {
            fn drop(&mut self) {
                drop(self.global.slot.replace(None));
            }
        }

        /// Nanoseconds of the kernel's monotonic clock (`ktime_get`).
        pub fn monotonic_ns() -> u64 {
            // SAFETY: `ktime_get` has no preconditions outside NMI context.
            let t = unsafe { kernel::bindings::ktime_get() };
            u64::try_from(t).unwrap_or(0)
        }

        /// A user-space socket kernel-initiated messages are unicast to (a notification's
        /// `unicast`): its network namespace and port id, stored by a handler in process context
        /// (typically from the request's `net()` and `portid()`) and read from any context,
        /// timers included. A `static PORT: PortSlot = PortSlot::new();` works; clear it on
        /// unload.
        pub struct PortSlot {
            slot: Slot<PortTarget>,
        }

        struct PortTarget {
            net: NetRef,
            portid: u32,
        }

        impl PortSlot {
            /// An empty slot.
            pub const fn new() -> Self {
                PortSlot { slot: Slot::new() }
            }

            /// Stores `portid` in `net` (a new reference to it is kept), replacing what was
            /// stored. Process context: it allocates (`GFP_KERNEL`) and waits for readers of
            /// the replaced port: when it returns, no [`with`](Self::with) closure that saw the
            /// replaced port is still running.
            /// `net` is what the request's `net()` gives: a `Net` out of tree, a `&Net` in tree.
            pub fn set(&self, net: impl core::borrow::Borrow<Net>, portid: u32) -> Result {
                let target = PortTarget {
                    net: keep_net(net.borrow()),
                    portid,
                };
                let b = kernel::alloc::KBox::new(target, kernel::alloc::flags::GFP_KERNEL)
                    .map_err(|_| err(errno::ENOMEM, c"out of memory"))?;
                drop(self.slot.replace(Some(b)));
                Ok(())
            }

            /// Forgets the stored port (drops its namespace reference). Process context.
            pub fn clear(&self) {
                drop(self.slot.replace(None));
            }

            /// Runs `f` with the stored namespace and port id, if any (`None`: nothing stored).
            /// Any context; [`set`](Self::set) and [`clear`](Self::clear) wait for `f`, so it
            /// must not sleep (send with `Gfp::Atomic`).
            pub fn with<R>(&self, f: impl FnOnce(&Net, u32) -> R) -> Option<R> {
                self.slot.with(|t| f(&t.net, t.portid))
            }

            /// The stored namespace (a new reference) and port id, if any. Any context.
            pub fn get(&self) -> Option<(NetRef, u32)> {
                self.with(|net, portid| (keep_net(net), portid))
            }
        }

        impl Default for PortSlot {
            fn default() -> Self {
                Self::new()
            }
        }

        impl Drop for PortSlot {
            fn drop(&mut self) {
                self.clear();
            }
        }

        const TICKER_DOWN: u8 = 0;
        const TICKER_BUSY: u8 = 1;
        const TICKER_LIVE: u8 = 2;

        /// A periodic timer whose callback runs in atomic (softirq) context: the module's own
        /// initiative for kernel-originated messages (built with `Gfp::Atomic`).
        ///
        /// # Invariants
        /// `timer` is set up by [`Ticker::start`] before it is armed, and shut down (no callback
        /// running or pending, re-arming a no-op) by [`TickerGuard`]'s drop before the ticker
        /// can be started again.
        pub struct Ticker {
            timer: core::cell::UnsafeCell<raw_timer::Timer>,
            key: raw_timer::Key,
            period_ms: core::sync::atomic::AtomicU32,
            state: core::sync::atomic::AtomicU8,
        }

        // SAFETY: the timer is touched only by the kernel's timer code and by start/drop,
        // which the state serialises; the period and state are atomic.
        unsafe impl Sync for Ticker {}

        /// What a [`Ticker`] runs.
        pub trait TickerSpec: 'static {
            /// The ticker.
            const TICKER: &'static Ticker;
            /// Called every period in atomic context: may not sleep (use `Gfp::Atomic`).
            fn tick();
        }

        /// # Safety
        /// Called by the kernel's timer code only, for `T::TICKER`'s timer.
        unsafe extern "C" fn ticker_trampoline<T: TickerSpec>(_t: *mut raw_timer::Timer) {
            use core::sync::atomic::Ordering;
            T::tick();
            let tk = T::TICKER;
            if tk.state.load(Ordering::Acquire) == TICKER_LIVE {
                // SAFETY: set up (type invariant); re-arming from the callback is allowed, and
                // after the guard's shutdown it is a no-op.
                unsafe { raw_timer::arm_ms(tk.timer.get(), tk.period_ms.load(Ordering::Relaxed)) };
            }
        }

        impl Ticker {
            /// A stopped ticker.
            pub const fn new() -> Self {
                Ticker {
                    // SAFETY: `timer_list` is plain C data for which all zeroes is a valid
                    // (unset) value; `start` sets it up before it is armed.
                    timer: core::cell::UnsafeCell::new(unsafe { core::mem::zeroed() }),
                    key: raw_timer::Key::new(),
                    period_ms: core::sync::atomic::AtomicU32::new(1000),
                    state: core::sync::atomic::AtomicU8::new(TICKER_DOWN),
                }
            }

            /// Starts calling `T::tick` every `period_ms` milliseconds until the guard drops;
            /// `EBUSY` if it runs already.
            pub fn start<T: TickerSpec>(
                period_ms: u32,
            ) -> core::result::Result<TickerGuard, kernel::error::Error> {
                use core::sync::atomic::Ordering;
                let tk = T::TICKER;
                if tk
                    .state
                    .compare_exchange(
                        TICKER_DOWN,
                        TICKER_BUSY,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    )
                    .is_err()
                {
                    return Err(kernel::error::code::EBUSY);
                }
                tk.period_ms.store(period_ms.max(1), Ordering::Relaxed);
                tk.state.store(TICKER_LIVE, Ordering::Release);
                // SAFETY: not armed (the state was DOWN: never started, or shut down by a
                // guard); the key lives as long as the ticker, which is `'static`.
                unsafe {
                    raw_timer::setup(tk.timer.get(), ticker_trampoline::<T>, &tk.key);
                    raw_timer::arm_ms(tk.timer.get(), period_ms.max(1));
                }
                Ok(TickerGuard { ticker: tk })
            }

            /// Changes the period (takes effect at the next tick).
            pub fn set_period_ms(&self, ms: u32) {
                self.period_ms
                    .store(ms.max(1), core::sync::atomic::Ordering::Relaxed);
            }

            /// Fires the next tick one (current) period from now instead of at the time already
            /// set: a new, shorter period takes effect at once. No effect unless the ticker runs.
            pub fn rearm(&self) {
                use core::sync::atomic::Ordering;
                if self.state.load(Ordering::Acquire) == TICKER_LIVE {
                    // SAFETY: LIVE: set up by start; if a guard shuts the timer down meanwhile,
                    // arming a shut-down timer is a no-op.
                    unsafe {
                        raw_timer::arm_ms(self.timer.get(), self.period_ms.load(Ordering::Relaxed))
                    };
                }
            }

            /// The current period.
            pub fn period_ms(&self) -> u32 {
                self.period_ms.load(core::sync::atomic::Ordering::Relaxed)
            }
        }

        /// Keeps a [`Ticker`] running; dropping it stops the timer and waits for a running
        /// callback.
        pub struct TickerGuard {
            ticker: &'static Ticker,
        }

        impl Drop for TickerGuard {
            fn drop(&mut self) {
                use core::sync::atomic::Ordering;
                self.ticker.state.store(TICKER_BUSY, Ordering::Release);
                // SAFETY: set up by start; the shutdown waits for a running callback and makes
                // later arming a no-op.
                unsafe { raw_timer::shutdown_sync(self.ticker.timer.get()) };
                self.ticker.state.store(TICKER_DOWN, Ordering::Release);
            }
        }
    };
}
pub(crate) use module_items;

/// `IntValue` for integer types, each widened to `u64` by the function given (for
/// [`layer_items!`]).
macro_rules! int_value_impls {
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
pub(crate) use int_value_impls;

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
        impl $crate::nl::IntValue for $t {
            fn from_u64(v: u64) -> Self {
                Self(v as $r)
            }
            fn to_u64(self) -> u64 {
                $crate::nl::IntValue::to_u64(self.0)
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
        impl $crate::nl::ValueCheck for $t {
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
        impl $crate::nl::IntValue for $t {
            fn from_u64(v: u64) -> Self {
                Self(v as $r)
            }
            fn to_u64(self) -> u64 {
                $crate::nl::IntValue::to_u64(self.0)
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
    (@ty bitfield32 $(as $t:ident)?) => { $crate::nl::Bitfield32 };
    (@ty struct $t:ident) => { $t };
    (@ty nest $v:ident) => { $v<'a> };
    (@ty array $($k:tt)+) => {
        $crate::nl::ArrayIter<'a, $crate::nl::codec!(@ty $($k)+)>
    };
    (@ty slots $v:ident) => { $crate::nl::ArrayIter<'a, (u16, $v<'a>)> };
    (@ty $p:ident as $t:ident) => { $t };

    (@get $a:ident, str) => { $a.get_str() };
    (@get $a:ident, str min($n:literal)) => {
        $a.get_str().and_then(|s| {
            if s.len() < $n {
                Err($crate::nl::Error::EINVAL.msg($crate::nl::msg::SHORTER_THAN_MIN_LEN).attr(&$a))
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
        Ok($crate::nl::ArrayIter::new($a.nested(), None, |$a| {
            $crate::nl::codec!(@get $a, $($k)+)
        }))
    };
    (@get $a:ident, slots $v:ident) => {
        Ok($crate::nl::ArrayIter::new($a.nested(), None, |$a| Ok(($a.attrtype(), $v::of($a)))))
    };
    (@get $a:ident, $p:ident as $t:ident) => {
        $crate::nl::codec!(@get $a, $p)
            .map(|v| $t($crate::nl::IntValue::from_u64($crate::nl::IntValue::to_u64(v))))
    };
    (@get $a:ident, uint_be) => { $crate::nl::get_uint_be(&$a) };
    (@get $a:ident, sint_be) => { $crate::nl::get_sint_be(&$a) };
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
        $crate::nl::getter!($mode $(#[$m])* $name, $($set)*::$c => $($k)+ $(($($arg)*))?);
        $crate::nl::getters!($mode [$($set)*] $($rest)*);
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
        pub fn $name(&self) -> $crate::nl::Result<bool> {
            self.src.flag($c)
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => raw) => {
        kernel::macros::paste! {
            $(#[$m])*
            ///
            /// The raw attribute (for `Error::attr`), if present.
            // `type_` (a keyword's escape) gives `type__attr`.
            #[allow(non_snake_case)]
            pub fn [<$name _attr>](&self) -> Option<$crate::nl::Attr<'a>> {
                self.src.attr($c)
            }
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => multi $($k:tt)+) => {
        $(#[$m])*
        ///
        /// Every occurrence, in message order.
        pub fn $name(&self) -> $crate::nl::ArrayIter<'a, $crate::nl::codec!(@ty $($k)+)> {
            $crate::nl::ArrayIter::new(self.src.all_attrs(), Some($c), |a| {
                $crate::nl::codec!(@get a, $($k)+)
            })
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => str $(min($n:literal))?) => {
        $crate::nl::getter!(@plain $mode $(#[$m])* $name, $c => str $(min($n))?);
        kernel::macros::paste! {
            $(#[$m])*
            ///
            /// The string's bytes up to the first NUL, whatever their encoding: the kernel does
            /// not require strings to be UTF-8.
            // `type_` (a keyword's escape) gives `type__attr`.
            #[allow(non_snake_case)]
            pub fn [<$name _bytes>](&self) -> $crate::nl::Result<Option<&'a [u8]>> {
                $crate::nl::ViewSrc::get_with(&self.src, $c, |a| {
                    let b = $crate::nl::str_bytes(&a)?;
                    $(if b.len() < $n {
                        return Err($crate::nl::Error::EINVAL
                            .msg($crate::nl::msg::SHORTER_THAN_MIN_LEN)
                            .attr(&a));
                    })?
                    Ok(b)
                })
            }
        }
    };
    ($mode:ident $(#[$m:meta])* $name:ident, $c:expr => $($k:tt)+) => {
        $crate::nl::getter!(@plain $mode $(#[$m])* $name, $c => $($k)+);
    };
    (@plain $mode:ident $(#[$m:meta])* $name:ident, $c:expr => $($k:tt)+) => {
        kernel::macros::paste! {
            $(#[$m])*
            pub fn $name(&self) -> $crate::nl::Result<Option<$crate::nl::codec!(@ty $($k)+)>> {
                $crate::nl::ViewSrc::get_with(&self.src, $c, |a| $crate::nl::codec!(@get a, $($k)+))
            }
            #[doc = concat!("`", stringify!($name), "`, or `EINVAL` (extended ACK: missing attribute) if absent.")]
            pub fn [<require_ $name>](&self) -> $crate::nl::Result<$crate::nl::codec!(@ty $($k)+)> {
                $crate::nl::ViewSrc::require_with(&self.src, $c, |a| $crate::nl::codec!(@get a, $($k)+))
            }
            /// The raw attribute (for `Error::attr`), if present.
            // `type_` (a keyword's escape) gives `type__attr`.
            #[allow(non_snake_case)]
            pub fn [<$name _attr>](&self) -> Option<$crate::nl::Attr<'a>> {
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
            src: &'a $crate::nl::Request<'a>,
        }
        // getters are named after the spec's attributes (`from-pid`), not by Rust's
        // conversion conventions
        #[allow(clippy::wrong_self_convention)]
        impl<'a> $v<'a> {
            /// The request as the support layer sees it (raw attributes, sender).
            pub fn raw(&self) -> &'a $crate::nl::Request<'a> {
                self.src
            }
            $(
                /// The request's fixed header.
                pub fn header(&self) -> $crate::nl::Result<$h> {
                    <$h>::from_bytes(self.src.fixed_header())
                        .map_err(|_| $crate::nl::Error::EINVAL.msg($crate::nl::msg::FIXED_HEADER_TOO_SHORT))
                }
            )?
            $crate::nl::getters!(req [$($set)::+] $($body)*);
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
            src: $crate::nl::NestAttrs<'a>,
        }
        // getters are named after the spec's attributes, not by Rust's conversion conventions
        #[allow(clippy::wrong_self_convention)]
        impl<'a> $v<'a> {
            /// A view of the attributes in `attrs` (a nest's payload).
            pub fn new(attrs: $crate::nl::Attrs<'a>) -> Self {
                Self { src: $crate::nl::NestAttrs::new(attrs) }
            }
            /// A view of the nest attribute `nest` (errors for missing members name it).
            pub fn of(nest: $crate::nl::Attr<'a>) -> Self {
                Self { src: $crate::nl::NestAttrs::of(nest) }
            }
            /// The nest attribute itself (for `Error::attr`), when known.
            pub fn nest(&self) -> Option<$crate::nl::Attr<'a>> {
                self.src.nest()
            }
            /// Every attribute of the nest, unparsed.
            pub fn attrs(&self) -> $crate::nl::Attrs<'a> {
                self.src.all_attrs()
            }
            $crate::nl::getters!(nest [$($set)::+] $($body)*);
        }
    };
}
pub(crate) use nest_view;

/// Default-method setters (one per attribute) of a setter trait.
#[doc(hidden)]
macro_rules! setters {
    ([$($set:tt)*]) => {};
    ([$($set:tt)*] $(#[$m:meta])* $name:ident: $c:ident => $($k:ident)+ $(($($arg:tt)*))?, $($rest:tt)*) => {
        $crate::nl::setter!([$($set)*] $(#[$m])* $name, $($set)*::$c => $($k)+ $(($($arg)*))?);
        $crate::nl::setters!([$($set)*] $($rest)*);
    };
}
pub(crate) use setters;

#[doc(hidden)]
macro_rules! setter {
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => multi $($k:tt)+) => {
        $crate::nl::setter!([$($set)*] $(#[$m])* #[doc = ""]
            #[doc = " May be called repeatedly: each call adds one attribute."] $name, $c => $($k)+);
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => flag) => {
        $(#[$m])*
        fn $name(&mut self) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| w.put_flag($c));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => str $(min($n:literal))?) => {
        $(#[$m])*
        fn $name(&mut self, v: &str) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| w.put_str($c, v));
            self
        }
        kernel::macros::paste! {
            $(#[$m])*
            ///
            /// From bytes in any encoding (up to a NUL, if they hold one).
            #[allow(non_snake_case)]
            fn [<$name _bytes>](&mut self, v: &[u8]) -> &mut Self {
                $crate::nl::Sink::with_writer(self, |w| w.put_str_bytes($c, v));
                self
            }
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => binary) => {
        $(#[$m])*
        fn $name(&mut self, v: &[u8]) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| w.put_bytes($c, v));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => struct $t:ident) => {
        $(#[$m])*
        fn $name(&mut self, v: &$t) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| w.put_bytes($c, &v.to_bytes()));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => bitfield32) => {
        $(#[$m])*
        fn $name(&mut self, value: u32, selector: u32) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| w.put_bitfield32($c, value, selector));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => bitfield32 as $t:ident) => {
        $(#[$m])*
        fn $name(&mut self, value: $t, selector: $t) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| w.put_bitfield32($c, value.0 as u32, selector.0 as u32));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => nest $w:ident) => {
        $(#[$m])*
        fn $name(&mut self, f: impl FnOnce(&mut $w<'_>)) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| {
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
            $crate::nl::Sink::with_writer(self, |w| {
                let nest = w.nest_start($c);
                f(&mut $w { w: w.reborrow(), next: 0 });
                w.nest_end(nest);
            });
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => array $($k:tt)+) => {
        $(#[$m])*
        fn $name(&mut self, items: &[$crate::nl::codec!(@ty $($k)+)]) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| {
                let nest = w.nest_start($c);
                for (i, v) in items.iter().enumerate() {
                    $crate::nl::put!(w, i as u16, *v => $($k)+);
                }
                w.nest_end(nest);
            });
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => slots $w:ident) => {
        $(#[$m])*
        fn $name(&mut self, f: impl FnOnce(&mut $w<'_>)) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| {
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
            $crate::nl::Sink::with_writer(self, |w| w.put_u64_pad($c, v.0 as u64, $($set)*::$pad));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => $p:ident pad($pad:ident)) => {
        $(#[$m])*
        fn $name(&mut self, v: u64) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| w.put_u64_pad($c, v, $($set)*::$pad));
            self
        }
    };
    ([$($set:tt)*] $(#[$m:meta])* $name:ident, $c:expr => $($k:tt)+) => {
        $(#[$m])*
        fn $name(&mut self, v: $crate::nl::codec!(@ty $($k)+)) -> &mut Self {
            $crate::nl::Sink::with_writer(self, |w| $crate::nl::put!(w, $c, v => $($k)+));
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
            $crate::nl::IntValue::from_u64($crate::nl::IntValue::to_u64(($v).0)),
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
        // setters are named after the spec's attributes (`from-pid`), not by Rust's
        // conversion conventions
        #[allow(clippy::wrong_self_convention)]
        pub trait $tr: $crate::nl::Sink + Sized {
            $crate::nl::setters!([$($set)::+] $($body)*);
        }
        $(
            #[doc = concat!("Writes the attributes of a nest ([`", stringify!($tr), "`]).")]
            pub struct $wr<'w> {
                w: $crate::nl::NestWriter<'w>,
            }
            $crate::nl::sink_nest!($wr<'_>);
            impl $tr for $wr<'_> {}
            $(
                #[doc = concat!("Writes an indexed array of [`", stringify!($wr), "`] nests.")]
                pub struct $arr<'w> {
                    w: $crate::nl::NestWriter<'w>,
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
                    w: $crate::nl::NestWriter<'w>,
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
            r: $crate::nl::Reply<'a>,
        }
        impl<'a> $ty<'a> {
            /// A reply with the default size; its fixed header is the request's.
            pub fn new(req: &$req<'a>) -> $crate::nl::Result<Self> {
                Self::with_size(req, $crate::nl::DEFAULT_SIZE)
            }
            /// A reply with room for `size` bytes of attributes.
            pub fn with_size(req: &$req<'a>, size: usize) -> $crate::nl::Result<Self> {
                let raw = req.raw();
                let mut r = $crate::nl::Reply::with_size(raw, $cmd, size)?;
                $crate::nl::Sink::with_writer(&mut r, |w| w.set_header(raw.fixed_header()));
                Ok(Self { r })
            }
            $(
                /// Sets the message's fixed header.
                pub fn set_header(&mut self, h: &$h) -> &mut Self {
                    $crate::nl::Sink::with_writer(&mut self.r, |w| w.set_header(&h.to_bytes()));
                    self
                }
            )?
            /// Sends the reply to the requester.
            pub fn send(self) -> $crate::nl::Result {
                self.r.send()
            }
        }
        $crate::nl::sink_field!($ty<'_>, r);
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
            d: &'d mut $crate::nl::Dump<'a>,
        }
        impl $ty<'_, '_> {
            /// Writes one entry (a message whose fixed header is the request's).
            /// `Ok(true)`: written, advance the cursor; `Ok(false)`: the message is full,
            /// return `Dumped::More` without advancing.
            pub fn entry(&mut self, f: impl FnOnce(&mut $entry<'_>)) -> $crate::nl::Result<bool> {
                $crate::nl::dump_entry(self.d, $cmd, |w| f(&mut $entry { w: w.reborrow() }))
            }
            /// Entries written in this call so far.
            pub fn written(&self) -> u32 {
                self.d.written()
            }
        }
        /// One entry of the dump being written.
        pub struct $entry<'w> {
            w: $crate::nl::NestWriter<'w>,
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
        $crate::nl::sink_nest!($entry<'_>);
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
            n: $crate::nl::Notification,
        }
        impl $ty {
            /// A notification with the default size, in process context (fixed header
            /// all-zero until set).
            pub fn new() -> $crate::nl::Result<Self> {
                Self::with_size_in($crate::nl::DEFAULT_SIZE, $crate::nl::Gfp::Kernel)
            }
            /// A notification with room for `size` bytes of attributes, in process context.
            pub fn with_size(size: usize) -> $crate::nl::Result<Self> {
                Self::with_size_in(size, $crate::nl::Gfp::Kernel)
            }
            /// A notification with the default size, built and sent in context `gfp`.
            pub fn new_in(gfp: $crate::nl::Gfp) -> $crate::nl::Result<Self> {
                Self::with_size_in($crate::nl::DEFAULT_SIZE, gfp)
            }
            /// A notification with room for `size` bytes of attributes, in context `gfp`.
            pub fn with_size_in(size: usize, gfp: $crate::nl::Gfp) -> $crate::nl::Result<Self> {
                Ok(Self { n: $crate::nl::Notification::with_size_in(&$family, $cmd, $grp, size, gfp)? })
            }
            /// Whether a socket in `net` listens on the notification's group.
            pub fn has_listeners(net: &$crate::nl::Net) -> bool {
                $crate::nl::has_listeners(&$family, net, $grp)
            }
            $(
                /// Sets the message's fixed header.
                pub fn set_header(&mut self, h: &$h) -> &mut Self {
                    $crate::nl::Sink::with_writer(&mut self.n, |w| w.set_header(&h.to_bytes()));
                    self
                }
            )?
            /// Multicasts it in every network namespace (no listener is not an error).
            pub fn send(self) -> $crate::nl::Result {
                self.n.send()
            }
            /// Multicasts it in network namespace `net` only.
            pub fn send_to(self, net: &$crate::nl::Net) -> $crate::nl::Result {
                self.n.send_to(net)
            }
            /// Unicasts it to socket `portid` of `net` (`ECONNREFUSED`: no such socket).
            pub fn unicast(self, net: &$crate::nl::Net, portid: u32) -> $crate::nl::Result {
                self.n.unicast(net, portid)
            }
        }
        $crate::nl::sink_field!($ty, n);
        $(impl $tr for $ty {})?
    };
}
pub(crate) use notification;

/// A policy table keyed by attribute constant, as C writes `static const struct nla_policy
/// name[LAST + 1] = { [A] = ..., }`: `static NAME[attrs::set::LAST + 1] { attrs::set::A =>
/// Policy::..., }`. An attribute outside the table, or listed twice, is a compile-time error
/// (`policy_table`).
macro_rules! policy {
    (
        $(#[$m:meta])*
        static $name:ident[$($len:tt)+] {
            $($ty:path => $p:expr,)*
        }
    ) => {
        $(#[$m])*
        static $name: $crate::nl::PolicyTable<{ ($($len)+) as usize }> =
            $crate::nl::policy_table(&[$(($ty, $p)),*]);
    };
}
pub(crate) use policy;

/// The range statics of policy entries whose bounds do not fit the policy's own fields:
/// `static NAME: RangeU(min, max);` (or `RangeS`), one per line.
macro_rules! ranges {
    ($($(#[$m:meta])* static $name:ident: $t:ident($lo:expr, $hi:expr);)*) => {
        $($(#[$m])* static $name: $crate::nl::$t = $crate::nl::$t::new($lo, $hi);)*
    };
}
pub(crate) use ranges;

/// The family's ops table for handler `H`: `pub(crate) struct Ops<H: Handler>: SplitOpsTable
/// { entries }`, one entry per op and kind: `do SetOp(cmd::SET)` and `dump GetOp(cmd::GET)` for
/// split ops, `op SetOp(cmd::SET)` in an `OpsTable` (or a classic netlink protocol's `[RawOp]`),
/// each maybe with `.flags(..)`, `.validate(..)` (`.perm(..)` for `RawOp`), and entries of ops
/// under `#[cfg(...)]` counted only where they exist. Defines `$name<H>` with the constant
/// `TABLE`.
macro_rules! ops_table {
    (
        $(#[$m:meta])*
        pub(crate) struct $name:ident<$hp:ident: $h:ident>: $table:ident {
            $($(#[$em:meta])* $kind:ident $op:ident($cmd:expr) $(.$f:ident($($a:expr),*))*,)*
        }
    ) => {
        $(#[$m])*
        pub(crate) struct $name<$hp>(core::marker::PhantomData<$hp>);
        impl<$hp: $h> $name<$hp> {
            /// The table (a constant per handler type, referenced by the family).
            pub const TABLE: &'static $crate::nl::$table<{ [$($(#[$em])* ()),*].len() }> =
                &$crate::nl::$table::new([$(
                    $(#[$em])*
                    $crate::nl::ops_table!(@op $kind $op<$hp> $cmd) $(.$f($($a),*))*
                ),*]);
        }
    };
    (
        $(#[$m:meta])*
        pub(crate) struct $name:ident<$hp:ident: $h:ident>: [RawOp] {
            $($(#[$em:meta])* op $op:ident($cmd:expr) $(.$f:ident($($a:expr),*))*,)*
        }
    ) => {
        $(#[$m])*
        pub(crate) struct $name<$hp>(core::marker::PhantomData<$hp>);
        impl<$hp: $h> $name<$hp> {
            /// The table (a constant per handler type, referenced by the protocol).
            pub const TABLE: &'static [$crate::nl::RawOp; [$($(#[$em])* ()),*].len()] = &[$(
                $(#[$em])*
                $crate::nl::RawOp::new::<$op<$hp>>($cmd) $(.$f($($a),*))*
            ),*];
        }
    };
    (@op do $op:ident<$hp:ident> $cmd:expr) => {
        $crate::nl::SplitOp::do_op::<$op<$hp>>($cmd)
    };
    (@op dump $op:ident<$hp:ident> $cmd:expr) => {
        $crate::nl::SplitOp::dump_op::<$op<$hp>>($cmd)
    };
    (@op op $op:ident<$hp:ident> $cmd:expr) => {
        $crate::nl::Op::new::<$op<$hp>>($cmd)
    };
}
pub(crate) use ops_table;

/// The family's multicast groups, in group-number order: `static GROUPS { nl::McGroup::new(
/// c"name"), ... }`.
macro_rules! mcgroups {
    ($(#[$m:meta])* static $name:ident { $($e:expr,)+ }) => {
        $(#[$m])*
        static $name: $crate::nl::McGroups<{ [$($crate::nl::mcgroups!(@one $e)),+].len() }> =
            $crate::nl::McGroups::new([$($e),+]);
    };
    (@one $e:expr) => {
        ()
    };
}
pub(crate) use mcgroups;

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
        impl<H: $h> $crate::nl::Operation for $op<H> {
            $(const POLICY: Option<$crate::nl::PolicyRef> = Some($pol.as_ref());)?
            $(const DUMP_POLICY: Option<$crate::nl::PolicyRef> = Some($dpol.as_ref());)?
            $(const HAS_PRE_DOIT: bool = H::$prehas;)?
            $(const HAS_POST_DOIT: bool = H::$posthas;)?
            $(const HAS_START: bool = H::$starthas;)?
            $(const HAS_DONE: bool = H::$donehas;)?
            type DumpState = $crate::nl::operation!(@state $(H::$st)?);
            $(
                fn doit(req: &$crate::nl::Request<'_>) -> $crate::nl::Result {
                    H::$dofn(&$doreq { src: req })
                }
            )?
            $(
                fn pre_doit(req: &$crate::nl::Request<'_>) -> $crate::nl::Result {
                    H::$pre(req)
                }
            )?
            $(
                fn post_doit(req: &$crate::nl::Request<'_>) {
                    H::$post(req)
                }
            )?
            $(
                fn dumpit(
                    dump: &mut $crate::nl::Dump<'_>,
                    state: &mut H::$st,
                ) -> $crate::nl::Result<$crate::nl::Dumped> {
                    let raw = dump.request();
                    H::$dumpfn(&$dumpreq { src: &raw }, &mut $dump { d: dump }, state)
                }
            )?
            $(
                fn start(req: &$crate::nl::Request<'_>, state: &mut Self::DumpState) -> $crate::nl::Result {
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
            pub fn from_bytes(b: &[u8]) -> $crate::nl::Result<Self> {
                if b.len() < Self::SIZE {
                    return Err($crate::nl::Error::EINVAL.msg($crate::nl::msg::TOO_SHORT_FOR_THE_STRUCT));
                }
                Ok(Self { $( $f: $crate::nl::wire_struct!(@get b, $off, $w $bo), )* })
            }
            /// Encode in the wire layout.
            pub fn to_bytes(self) -> [u8; $size] {
                #[allow(unused_mut)]
                let mut out = [0u8; $size];
                $( $crate::nl::wire_struct!(@put out, $off, self.$f, $w $bo); )*
                out
            }
        }
        impl core::fmt::Debug for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($t)) $( .field($n, &self.$f) )* .finish()
            }
        }
    };
    (@get $b:ident, $off:literal, bytes $bo:ident) => { $crate::nl::take($b, $off) };
    (@get $b:ident, $off:literal, $w:ident ne) => {
        $crate::nl::IntValue::from_u64($crate::nl::IntValue::to_u64(
            $w::from_ne_bytes($crate::nl::take($b, $off)),
        ))
    };
    (@get $b:ident, $off:literal, $w:ident be) => {
        $crate::nl::IntValue::from_u64($crate::nl::IntValue::to_u64(
            $w::from_be_bytes($crate::nl::take($b, $off)),
        ))
    };
    (@get $b:ident, $off:literal, $w:ident le) => {
        $crate::nl::IntValue::from_u64($crate::nl::IntValue::to_u64(
            $w::from_le_bytes($crate::nl::take($b, $off)),
        ))
    };
    (@put $out:ident, $off:literal, $v:expr, bytes $bo:ident) => {
        $out[$off..$off + $v.len()].copy_from_slice(&$v)
    };
    (@put $out:ident, $off:literal, $v:expr, $w:ident ne) => {
        $out[$off..$off + core::mem::size_of::<$w>()]
            .copy_from_slice(&($crate::nl::IntValue::to_u64($v) as $w).to_ne_bytes())
    };
    (@put $out:ident, $off:literal, $v:expr, $w:ident be) => {
        $out[$off..$off + core::mem::size_of::<$w>()]
            .copy_from_slice(&($crate::nl::IntValue::to_u64($v) as $w).to_be_bytes())
    };
    (@put $out:ident, $off:literal, $v:expr, $w:ident le) => {
        $out[$off..$off + core::mem::size_of::<$w>()]
            .copy_from_slice(&($crate::nl::IntValue::to_u64($v) as $w).to_le_bytes())
    };
}
pub(crate) use wire_struct;

// SPDX-License-Identifier: GPL-2.0

//! The nlkv store and its request handlers: the module's own code on top of the generated
//! family file, the same source in both homes (`nlkv_main.rs` out of tree, `in-tree/nlkv.rs`
//! in a kernel tree). It is safe Rust and names its support layer only as `crate::nl`; the
//! `unsafe` lives in that layer.
//!
//! Store: entries keyed by (namespace from the fixed header, key) in a `kernel::rbtree`, plus a
//! second tree by a creation id that gives dumps a stable cursor (the dump state is the next id,
//! so a dump spanning many skbs returns each entry once even when entries come and go). Entries
//! whose ttl ran out are evicted when they are next looked at (`evict-ntf` on `audit`). Every
//! change is multicast as `change-ntf` on `changes`, with the `change` attribute saying what
//! happened. A `watch` starts tick notifications sent by a kernel timer in atomic context:
//! unicast to the watching socket (its namespace and port id kept in a [`nl::PortSlot`]) and
//! multicast to `ticks` in its namespace when someone listens there.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::init::InPlaceInit;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::Mutex;

use crate::nl;
use crate::nlkv_genl::*;

/// Most tags, labels and meta slots one entry keeps.
const MAX_REPEATS: usize = 16;

/// A tag of an entry.
struct Tag {
    name: KVec<u8>,
    weight: Option<u16>,
}

/// Everything a `set` request supplies, decoded (and copied) before the store is locked.
struct Fields {
    value: KVec<u8>,
    kind: Kind,
    flags: EntryFlags,
    ttl_ms: Option<u64>,
    priority: i8,
    tags: KVec<Tag>,
    labels: KVec<KVec<u8>>,
    digest: Option<[u8; 32]>,
    owner_addr: Option<u32>,
    owner_port: Option<u16>,
    meta: KVec<(u16, Option<u32>)>,
}

impl Fields {
    fn empty(kind: Kind) -> Self {
        Fields {
            value: KVec::new(),
            kind,
            flags: EntryFlags::EMPTY,
            ttl_ms: None,
            priority: 0,
            tags: KVec::new(),
            labels: KVec::new(),
            digest: None,
            owner_addr: None,
            owner_port: None,
            meta: KVec::new(),
        }
    }
}

/// One entry of the store.
struct Entry {
    ns: u32,
    key: KVec<u8>,
    f: Fields,
    /// Monotonic deadline in ns (0: none).
    expires_ns: u64,
    counter: u64,
    stats: EntryStats,
}

impl Entry {
    fn expired(&self, now: u64) -> bool {
        self.expires_ns != 0 && now >= self.expires_ns
    }
    fn set_fields(&mut self, f: Fields, now: u64) {
        self.expires_ns = match f.ttl_ms {
            Some(ms) => now.saturating_add(ms.saturating_mul(1_000_000)).max(1),
            None => 0,
        };
        self.f = f;
    }
}

/// Lookup key: namespace, then key bytes.
struct Key {
    ns: u32,
    key: KVec<u8>,
}

impl PartialEq for Key {
    fn eq(&self, o: &Self) -> bool {
        self.ns == o.ns && self.key.as_slice() == o.key.as_slice()
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Key {
    fn cmp(&self, o: &Self) -> core::cmp::Ordering {
        (self.ns, self.key.as_slice()).cmp(&(o.ns, o.key.as_slice()))
    }
}

fn oom<E>(_: E) -> nl::Error {
    nl::err(nl::errno::ENOMEM, c"out of memory")
}

/// Whether `o` is `None` or `f` holds for its value: `Option::is_none_or`, which is newer than
/// the minimum Rust of 6.12.
fn none_or<T>(o: Option<T>, f: impl FnOnce(T) -> bool) -> bool {
    match o {
        None => true,
        Some(v) => f(v),
    }
}

fn kvec(b: &[u8]) -> nl::Result<KVec<u8>> {
    let mut v = KVec::with_capacity(b.len(), GFP_KERNEL).map_err(oom)?;
    v.extend_from_slice(b, GFP_KERNEL).map_err(oom)?;
    Ok(v)
}

/// The store: entries by id (dump order) and the (ns, key) → id index.
struct Store {
    next_id: u64,
    by_id: RBTree<u64, KBox<Entry>>,
    by_key: RBTree<Key, u64>,
}

impl Store {
    fn new() -> Self {
        Store {
            next_id: 1,
            by_id: RBTree::new(),
            by_key: RBTree::new(),
        }
    }

    /// The id of `(ns, key)`. An entry found expired is removed (with an `evict-ntf`) and
    /// reported absent.
    fn lookup(&mut self, ns: u32, key: &[u8], now: u64) -> nl::Result<Option<u64>> {
        let k = Key {
            ns,
            key: kvec(key)?,
        };
        let Some(id) = self.by_key.get(&k).copied() else {
            return Ok(None);
        };
        let expired = self.by_id.get(&id).map(|e| e.expired(now)).unwrap_or(true);
        if expired {
            if let Some(e) = self.remove(id)? {
                notify_evict(&e, Change::EVICTED);
            }
            return Ok(None);
        }
        Ok(Some(id))
    }

    fn get_mut(&mut self, id: u64) -> nl::Result<&mut Entry> {
        match self.by_id.get_mut(&id) {
            Some(e) => Ok(e),
            None => Err(nl::err(nl::errno::ENOENT, c"entry vanished")),
        }
    }

    /// Inserts a new entry; returns its id.
    fn insert(
        &mut self,
        ns: u32,
        key: &[u8],
        f: Fields,
        counter: u64,
        now: u64,
    ) -> nl::Result<u64> {
        let id = self.next_id;
        let mut e = KBox::new(
            Entry {
                ns,
                key: kvec(key)?,
                f: Fields::empty(Kind::TEXT),
                expires_ns: 0,
                counter,
                stats: EntryStats {
                    created_ns: now,
                    reads: 0,
                    writes: 1,
                },
            },
            GFP_KERNEL,
        )
        .map_err(oom)?;
        e.set_fields(f, now);
        let k = Key {
            ns,
            key: kvec(key)?,
        };
        // Reserve both nodes before touching either tree, so a failed allocation changes nothing.
        let n1 = kernel::rbtree::RBTreeNode::new(k, id, GFP_KERNEL).map_err(oom)?;
        let n2 = kernel::rbtree::RBTreeNode::new(id, e, GFP_KERNEL).map_err(oom)?;
        let _ = self.by_key.insert(n1);
        let _ = self.by_id.insert(n2);
        self.next_id += 1;
        Ok(id)
    }

    fn remove(&mut self, id: u64) -> nl::Result<Option<KBox<Entry>>> {
        let Some(e) = self.by_id.remove(&id) else {
            return Ok(None);
        };
        let k = Key {
            ns: e.ns,
            key: kvec(&e.key)?,
        };
        self.by_key.remove(&k);
        Ok(Some(e))
    }
}

static STORE: nl::Global<Mutex<Store>> = nl::Global::new();
/// `set` requests that got through the pre hook and the handler (counted by the post hook).
static SETS: AtomicU64 = AtomicU64::new(0);

/// Runs `f` on the locked store (`ENODEV` while the module is going away).
fn with_store<R>(f: impl FnOnce(&mut Store) -> nl::Result<R>) -> nl::Result<R> {
    match STORE.with(|m| {
        let mut g = m.lock();
        f(&mut g)
    }) {
        Some(r) => r,
        None => Err(nl::err(nl::errno::ENODEV, c"nlkv is unloading")),
    }
}

/// Writes the attributes of `get`'s reply for `e` (value left out for secret entries when
/// `hide_secret`).
fn put_entry<S: GetReplyAttrs>(s: &mut S, e: &Entry, hide_secret: bool) {
    s.key_bytes(&e.key);
    let secret = e.f.flags.contains(EntryFlags::SECRET);
    if e.f.kind != Kind::COUNTER && !(hide_secret && secret) {
        s.value(&e.f.value);
    }
    s.kind(e.f.kind).flags(e.f.flags).priority(e.f.priority);
    if let Some(ttl) = e.f.ttl_ms {
        s.ttl_ms(ttl);
    }
    if e.f.kind == Kind::COUNTER {
        s.counter(e.counter);
    }
    s.stats(&e.stats);
    if !e.f.tags.is_empty() {
        s.tags(|a| {
            for t in e.f.tags.iter() {
                a.entry(|w| {
                    w.name(core::str::from_utf8(&t.name).unwrap_or(""));
                    if let Some(wt) = t.weight {
                        w.weight(wt);
                    }
                });
            }
        });
    }
    for l in e.f.labels.iter() {
        s.label(core::str::from_utf8(l).unwrap_or(""));
    }
    if let Some(d) = &e.f.digest {
        s.digest(d);
    }
    if let Some(a) = e.f.owner_addr {
        s.owner_addr(a);
    }
    if let Some(p) = e.f.owner_port {
        s.owner_port(p);
    }
    if !e.f.meta.is_empty() {
        s.meta(|slots| {
            for (slot, v) in e.f.meta.iter() {
                slots.entry(*slot, |m| {
                    if let Some(v) = v {
                        m.value(*v);
                    }
                });
            }
        });
    }
}

fn hdr(ns: u32) -> KvHdr {
    KvHdr { ns, reserved: 0 }
}

/// `change-ntf` to `changes`: the entry as `get` shows it (secret values left out) plus `change`.
fn notify_change(e: &Entry, change: Change) {
    let r = (|| -> nl::Result {
        let mut n = ChangeNtf::new()?;
        n.set_header(&hdr(e.ns));
        put_entry(&mut n, e, true);
        n.change(change);
        n.send()
    })();
    if let Err(err) = r {
        pr_warn!("change-ntf not sent: errno {}\n", nl::errno_of(&err));
    }
}

/// `evict-ntf` to `audit`.
fn notify_evict(e: &Entry, change: Change) {
    let r = (|| -> nl::Result {
        let mut n = EvictNtf::new()?;
        n.set_header(&hdr(e.ns));
        n.key_bytes(&e.key).change(change);
        n.send()
    })();
    if let Err(err) = r {
        pr_warn!("evict-ntf not sent: errno {}\n", nl::errno_of(&err));
    }
}

/// A request without a key (keys are byte strings to the store, read with `key_bytes`: the
/// kernel does not require strings to be UTF-8).
fn missing_key() -> nl::Error {
    nl::err(nl::errno::EINVAL, c"missing required attribute").missing(attrs::entry::KEY)
}

/// Decodes the entry fields of a `set` request.
fn fields_of(req: &SetRequest<'_>) -> nl::Result<Fields> {
    let kind = req.kind()?.unwrap_or(Kind::TEXT);
    let mut f = Fields::empty(kind);
    if let Some(v) = req.value()? {
        if kind == Kind::COUNTER {
            return Err(key_error(
                nl::err(nl::errno::EINVAL, c"a counter entry takes no value"),
                req.value_attr(),
            ));
        }
        if kind == Kind::TEXT && core::str::from_utf8(v).is_err() {
            return Err(key_error(
                nl::err(nl::errno::EINVAL, c"a text value must be UTF-8"),
                req.value_attr(),
            ));
        }
        f.value = kvec(v)?;
    }
    f.flags = req.flags()?.unwrap_or(EntryFlags::EMPTY);
    f.ttl_ms = req.ttl_ms()?;
    f.priority = req.priority()?.unwrap_or(0);
    if let Some(tags) = req.tags()? {
        for t in tags {
            let t = t?;
            if f.tags.len() == MAX_REPEATS {
                return Err(too_many(c"at most 16 tags", req.tags_attr()));
            }
            // (the generated view enforces the spec's min-len, which string policies cannot)
            let tag = Tag {
                name: kvec(t.require_name()?.as_bytes())?,
                weight: t.weight()?,
            };
            f.tags.push(tag, GFP_KERNEL).map_err(oom)?;
        }
    }
    for l in req.label() {
        let l = l?;
        if f.labels.len() == MAX_REPEATS {
            return Err(too_many(c"at most 16 labels", None));
        }
        f.labels
            .push(kvec(l.as_bytes())?, GFP_KERNEL)
            .map_err(oom)?;
    }
    if let Some(d) = req.digest()? {
        let mut a = [0u8; 32];
        if d.len() != a.len() {
            return Err(nl::err(nl::errno::EINVAL, c"digest must be 32 bytes"));
        }
        a.copy_from_slice(d);
        f.digest = Some(a);
    }
    f.owner_addr = req.owner_addr()?;
    f.owner_port = req.owner_port()?;
    if let Some(meta) = req.meta()? {
        for m in meta {
            let (slot, item) = m?;
            if f.meta.len() == MAX_REPEATS {
                return Err(too_many(c"at most 16 meta slots", req.meta_attr()));
            }
            f.meta
                .push((slot, item.value()?), GFP_KERNEL)
                .map_err(oom)?;
        }
    }
    Ok(f)
}

fn too_many(msg: &'static core::ffi::CStr, a: Option<nl::Attr<'_>>) -> nl::Error {
    let e = nl::err(nl::errno::E2BIG, msg);
    match a {
        Some(a) => e.attr(&a),
        None => e,
    }
}

/// `e` naming attribute `a` (when present) as the offending one.
fn key_error(e: nl::Error, a: Option<nl::Attr<'_>>) -> nl::Error {
    match a {
        Some(a) => e.attr(&a),
        None => e,
    }
}

/// Writes `n` in decimal into `buf`, returns the digits.
fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// The handlers.
struct Kv;

/// Period of the ticker while no watch runs.
const IDLE_PERIOD_MS: u32 = 1000;

/// The timer behind `watch`: runs from load to unload, idle between watches.
static TICKER: nl::Ticker = nl::Ticker::new();
/// The socket the running watch unicasts to.
static WATCHER: nl::PortSlot = nl::PortSlot::new();
/// Ticks the running watch has still to send (0: no watch).
static TICKS_LEFT: AtomicU32 = AtomicU32::new(0);
/// Number of the last tick sent in the running watch.
static TICK_NO: AtomicU32 = AtomicU32::new(0);
/// Ticks not sent (allocation failures, full receive buffers), reported on unload.
static TICKS_LOST: AtomicU32 = AtomicU32::new(0);

impl nl::TickerSpec for Kv {
    const TICKER: &'static nl::Ticker = &TICKER;

    /// Atomic (timer) context: everything here allocates with `Gfp::Atomic` and takes no lock
    /// that sleeps.
    fn tick() {
        // Inside the watcher's read section, so a `watch` replacing the watcher (which waits
        // for it) never sees a tick of the old watch reach the new watcher.
        WATCHER.with(|net, port| {
            let Ok(before) =
                TICKS_LEFT.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            else {
                return;
            };
            let left = before - 1;
            let tick = TICK_NO.fetch_add(1, Ordering::AcqRel) + 1;
            let period = TICKER.period_ms();
            if left == 0 {
                TICKER.set_period_ms(IDLE_PERIOD_MS);
            }
            match send_tick(net, port, tick, left, period) {
                Ok(()) => {}
                // The watching socket is gone: the watch ends.
                Err(e) if nl::errno_of(&e) == nl::errno::ECONNREFUSED => {
                    TICKS_LEFT.store(0, Ordering::Release)
                }
                Err(_) => {
                    TICKS_LOST.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

/// One `tick-ntf`: to `ticks` in the watcher's namespace if anyone listens there, and to the
/// watcher itself.
fn send_tick(net: &nl::Net, port: u32, tick: u32, left: u32, period: u32) -> nl::Result {
    let build = || -> nl::Result<TickNtf> {
        let mut n = TickNtf::new_in(nl::Gfp::Atomic)?;
        n.set_header(&hdr(0));
        n.tick(tick).count(left).period_ms(period);
        Ok(n)
    };
    if TickNtf::has_listeners(net) {
        build()?.send_to(net)?;
    }
    build()?.unicast(net, port)
}

#[derive(Clone, Copy, Default)]
struct DumpCursor {
    /// The next entry id to look at.
    next_id: u64,
    /// Set by the dump start hook once this dump is counted in `OPEN_DUMPS`; the done hook
    /// uncounts only such dumps.
    counted: bool,
}

/// Get dumps between their start and done hooks (reported by `stats`).
static OPEN_DUMPS: AtomicU32 = AtomicU32::new(0);

#[vtable]
impl NlkvHandler for Kv {
    type GetDumpState = DumpCursor;

    fn nlkv_pre_write(req: &nl::Request<'_>) -> nl::Result {
        match KvHdr::from_bytes(req.fixed_header()) {
            Ok(h) if h.reserved == 0 => Ok(()),
            Ok(_) => Err(nl::err(nl::errno::EINVAL, c"kv-hdr.reserved must be zero")),
            Err(_) => Err(nl::err(nl::errno::EINVAL, c"fixed header too short")),
        }
    }

    fn nlkv_post_write(_req: &nl::Request<'_>) {
        SETS.fetch_add(1, Ordering::Relaxed);
    }

    fn nlkv_dump_start(req: &nl::Request<'_>, state: &mut DumpCursor) -> nl::Result {
        // The fixed header is checked once per dump here rather than on every dumpit call.
        if KvHdr::from_bytes(req.fixed_header()).is_err() {
            return Err(nl::err(nl::errno::EINVAL, c"fixed header too short"));
        }
        OPEN_DUMPS.fetch_add(1, Ordering::Relaxed);
        state.counted = true;
        Ok(())
    }

    fn nlkv_dump_done(state: &mut DumpCursor) {
        if state.counted {
            OPEN_DUMPS.fetch_sub(1, Ordering::Relaxed);
            state.counted = false;
        }
    }

    fn stats(req: &StatsRequest<'_>) -> nl::Result {
        let mut r = StatsReply::new(req)?;
        r.open_dumps(OPEN_DUMPS.load(Ordering::Relaxed));
        r.send()
    }

    fn set(req: &SetRequest<'_>) -> nl::Result {
        let ns = req.header()?.ns;
        let key = req.key_bytes()?.ok_or_else(missing_key)?;
        if key.is_empty() {
            return Err(key_error(
                nl::err(nl::errno::EINVAL, c"key must not be empty"),
                req.key_attr(),
            ));
        }
        let f = fields_of(req)?;
        let kind = f.kind;
        let now = nl::monotonic_ns();
        with_store(|s| {
            let (id, change) = match s.lookup(ns, key, now)? {
                Some(id) => {
                    let e = s.get_mut(id)?;
                    if req.create_only() {
                        return Err(key_error(
                            nl::err(nl::errno::EEXIST, c"key exists (create-only)"),
                            req.key_attr(),
                        ));
                    }
                    if e.f.flags.contains(EntryFlags::READONLY) {
                        return Err(key_error(
                            nl::err(nl::errno::EPERM, c"entry is readonly"),
                            req.key_attr(),
                        ));
                    }
                    e.set_fields(f, now);
                    e.stats.writes = e.stats.writes.wrapping_add(1);
                    (id, Change::UPDATED)
                }
                None => (s.insert(ns, key, f, 0, now)?, Change::CREATED),
            };
            let e = s.get_mut(id)?;
            let mut r = SetReply::new(req)?;
            r.key_bytes(key).kind(kind).stats(&e.stats);
            r.send()?;
            notify_change(e, change);
            Ok(())
        })
    }

    fn get(req: &GetRequest<'_>) -> nl::Result {
        let ns = req.header()?.ns;
        let key = req.key_bytes()?.ok_or_else(missing_key)?;
        let now = nl::monotonic_ns();
        with_store(|s| {
            let Some(id) = s.lookup(ns, key, now)? else {
                return Err(key_error(
                    nl::err(nl::errno::ENOENT, c"no such key"),
                    req.key_attr(),
                ));
            };
            let e = s.get_mut(id)?;
            e.stats.reads = e.stats.reads.wrapping_add(1);
            let mut r = GetReply::new(req)?;
            put_entry(&mut r, e, false);
            r.send()
        })
    }

    fn get_dump(
        req: &GetDumpRequest<'_>,
        dump: &mut GetDump<'_, '_>,
        state: &mut DumpCursor,
    ) -> nl::Result<nl::Dumped> {
        let ns = req.header()?.ns;
        let (fkey, fkind, fflags) = match req.filter()? {
            Some(f) => (f.key_bytes()?, f.kind()?, f.flags()?),
            None => (None, None, None),
        };
        let now = nl::monotonic_ns();
        with_store(|s| {
            for (id, e) in s.by_id.iter() {
                if *id < state.next_id {
                    continue;
                }
                let wanted = e.ns == ns
                    && !e.expired(now)
                    && none_or(fkey, |k| e.key.starts_with(k))
                    && none_or(fkind, |k| e.f.kind == k)
                    && none_or(fflags, |f| e.f.flags.contains(f));
                if wanted && !dump.entry(|w| put_entry(w, e, true))? {
                    return Ok(nl::Dumped::More);
                }
                state.next_id = *id + 1;
            }
            Ok(nl::Dumped::Done)
        })
    }

    fn delete(req: &DeleteRequest<'_>) -> nl::Result {
        let ns = req.header()?.ns;
        let key = req.key_bytes()?.ok_or_else(missing_key)?;
        let now = nl::monotonic_ns();
        with_store(|s| {
            let Some(id) = s.lookup(ns, key, now)? else {
                return Err(key_error(
                    nl::err(nl::errno::ENOENT, c"no such key"),
                    req.key_attr(),
                ));
            };
            if let Some(e) = s.remove(id)? {
                notify_change(&e, Change::DELETED);
            }
            Ok(())
        })
    }

    fn incr(req: &IncrRequest<'_>) -> nl::Result {
        let ns = req.header()?.ns;
        let key = req.key_bytes()?.ok_or_else(missing_key)?;
        let delta = req.require_delta()?;
        let now = nl::monotonic_ns();
        let range_err = || {
            let e = nl::err(nl::errno::ERANGE, c"counter would leave 0..=u64::MAX");
            key_error(e, req.delta_attr())
        };
        with_store(|s| {
            let (id, old, change) = match s.lookup(ns, key, now)? {
                Some(id) => {
                    let e = s.get_mut(id)?;
                    if e.f.kind != Kind::COUNTER {
                        return Err(key_error(
                            nl::err(nl::errno::EINVAL, c"not a counter entry"),
                            req.key_attr(),
                        ));
                    }
                    if e.f.flags.contains(EntryFlags::READONLY) {
                        return Err(key_error(
                            nl::err(nl::errno::EPERM, c"entry is readonly"),
                            req.key_attr(),
                        ));
                    }
                    let old = e.counter;
                    e.counter = old.checked_add_signed(delta).ok_or_else(range_err)?;
                    e.stats.writes = e.stats.writes.wrapping_add(1);
                    (id, old, Change::UPDATED)
                }
                None => {
                    let start = 0u64.checked_add_signed(delta).ok_or_else(range_err)?;
                    (
                        s.insert(ns, key, Fields::empty(Kind::COUNTER), start, now)?,
                        0,
                        Change::CREATED,
                    )
                }
            };
            let e = s.get_mut(id)?;
            let mut r = IncrReply::new(req)?;
            r.key_bytes(key).counter(e.counter).old_counter(old as i64);
            r.send()?;
            notify_change(e, change);
            Ok(())
        })
    }

    fn update_flags(req: &UpdateFlagsRequest<'_>) -> nl::Result {
        let ns = req.header()?.ns;
        let key = req.key_bytes()?.ok_or_else(missing_key)?;
        let bf = req.require_flag_update()?;
        let now = nl::monotonic_ns();
        with_store(|s| {
            let Some(id) = s.lookup(ns, key, now)? else {
                return Err(key_error(
                    nl::err(nl::errno::ENOENT, c"no such key"),
                    req.key_attr(),
                ));
            };
            let e = s.get_mut(id)?;
            e.f.flags = EntryFlags((e.f.flags.0 & !bf.selector) | (bf.value & bf.selector));
            let mut r = UpdateFlagsReply::new(req)?;
            r.key_bytes(key).flags(e.f.flags);
            r.send()?;
            notify_change(e, Change::UPDATED);
            Ok(())
        })
    }

    fn fill(req: &FillRequest<'_>) -> nl::Result {
        let ns = req.header()?.ns;
        let prefix = req.require_key()?;
        let count = req.require_count()?;
        let mut digits = [0u8; 10];
        if prefix.len() + decimal(count - 1, &mut digits).len() > MAX_KEY_LEN as usize {
            return Err(key_error(
                nl::err(
                    nl::errno::EINVAL,
                    c"key prefix too long for that many entries",
                ),
                req.key_attr(),
            ));
        }
        let now = nl::monotonic_ns();
        // One entry per lock hold: a fill of `max-fill` entries (each with its notification)
        // takes long on a slow machine, and other requests must not wait for all of it.
        let mut created = 0u32;
        for i in 0..count {
            let mut key = kvec(prefix.as_bytes())?;
            key.extend_from_slice(decimal(i, &mut digits), GFP_KERNEL)
                .map_err(oom)?;
            created += with_store(|s| {
                if s.lookup(ns, &key, now)?.is_some() {
                    return Ok(0);
                }
                let id = s.insert(ns, &key, Fields::empty(Kind::COUNTER), u64::from(i), now)?;
                notify_change(s.get_mut(id)?, Change::CREATED);
                Ok(1)
            })?;
        }
        let mut r = FillReply::new(req)?;
        r.count(created);
        r.send()
    }

    fn watch(req: &WatchRequest<'_>) -> nl::Result {
        let count = req.require_count()?;
        let period = req.require_period_ms()?;
        // Stop the running watch; replacing the watcher waits for a tick in flight.
        TICKS_LEFT.store(0, Ordering::Release);
        WATCHER.set(req.raw().net(), req.raw().portid())?;
        TICK_NO.store(0, Ordering::Release);
        TICKER.set_period_ms(period);
        TICKS_LEFT.store(count, Ordering::Release);
        TICKER.rearm();
        Ok(())
    }

    fn clear(req: &ClearRequest<'_>) -> nl::Result {
        let ns = req.header()?.ns;
        let removed = with_store(|s| {
            let mut ids = KVec::new();
            for (id, e) in s.by_id.iter() {
                if e.ns == ns && !e.f.flags.contains(EntryFlags::PERSISTENT) {
                    ids.push(*id, GFP_KERNEL).map_err(oom)?;
                }
            }
            // Room for every removed entry first, so no push below can fail halfway.
            let mut removed = KVec::with_capacity(ids.len(), GFP_KERNEL).map_err(oom)?;
            for id in ids.iter() {
                if let Some(e) = s.remove(*id)? {
                    removed.push(e, GFP_KERNEL).map_err(oom)?;
                }
            }
            Ok(removed)
        })?;
        // The notifications go out after the lock is dropped: the store is not held up by them.
        for e in removed.iter() {
            notify_evict(e, Change::DELETED);
        }
        let mut r = ClearReply::new(req)?;
        r.count(u32::try_from(removed.len()).unwrap_or(u32::MAX));
        r.send()
    }
}

/// Forgets the watcher (and its namespace reference) when dropped.
struct ClearWatcher;

impl Drop for ClearWatcher {
    fn drop(&mut self) {
        WATCHER.clear();
    }
}

/// The module: what `init` set up, torn down in field order.
pub(crate) struct NlkvModule {
    // Field order is drop order: the ticker stops first (no tick runs afterwards), then the
    // family goes (no handler runs afterwards, so no `watch` stores a watcher again), then the
    // watcher and the store.
    _ticker: nl::TickerGuard,
    _registration: nl::Registration,
    _watcher: ClearWatcher,
    _store: nl::GlobalGuard<Mutex<Store>>,
}

impl kernel::Module for NlkvModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let store = STORE.install(KBox::pin_init(
            kernel::new_mutex!(Store::new()),
            GFP_KERNEL,
        )?)?;
        let registration = register::<Kv>(module)?;
        let ticker = nl::Ticker::start::<Kv>(IDLE_PERIOD_MS)?;
        pr_info!("family registered (id {})\n", FAMILY.id());
        Ok(NlkvModule {
            _ticker: ticker,
            _registration: registration,
            _watcher: ClearWatcher,
            _store: store,
        })
    }
}

impl Drop for NlkvModule {
    fn drop(&mut self) {
        pr_info!(
            "unloading after {} set requests ({} ticks lost)\n",
            SETS.load(Ordering::Relaxed),
            TICKS_LOST.load(Ordering::Relaxed)
        );
    }
}

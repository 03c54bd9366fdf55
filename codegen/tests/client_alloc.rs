//! Decoding with the generated client allocates nothing per message: a counting global
//! allocator around dump loops over the live kernel (nlctrl; rtnetlink links and routes).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use nlspec_nlctrl::{Client, GetfamilyDumpRequest, GetfamilyRequest, GetpolicyDumpRequest};

struct Counting;

thread_local! {
    /// Allocations made by this thread. Per thread, not global: the test harness's main thread
    /// allocates whenever it reports a finished test, at any moment of another test's loop.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: during thread teardown the slot may be gone; such allocations are not ours.
    let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations this thread has made so far.
fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

#[test]
fn zero_allocations_per_decoded_message() {
    let mut c = Client::new().unwrap();
    // Warm up: family resolution and receive-buffer sizing allocate once.
    {
        let mut it = c.getfamily_dump(&GetfamilyDumpRequest::new()).unwrap();
        while let Some(r) = it.next() {
            r.unwrap();
        }
    }
    let mut msgs = 0;
    let mut checksum = 0u64;
    let mut loop_allocs = 0;
    let mut it = c.getfamily_dump(&GetfamilyDumpRequest::new()).unwrap();
    loop {
        let before = allocs();
        let Some(r) = it.next() else { break };
        let r = r.unwrap();
        // The view was made in next(); use every getter (each reads its attribute now, and
        // must find it well-formed), nested views and iterators included.
        checksum += r.family_name().unwrap().map_or(0, |n| n.len() as u64);
        checksum += u64::from(r.family_id().unwrap().unwrap_or(0));
        checksum += u64::from(
            r.version().unwrap().unwrap_or(0) + r.hdrsize().unwrap().unwrap_or(0) + r.maxattr().unwrap().unwrap_or(0),
        );
        for op in r.ops().unwrap() {
            let (i, op) = op.unwrap();
            checksum += u64::from(i)
                + u64::from(op.id().unwrap().unwrap_or(0))
                + u64::from(op.flags().unwrap().map_or(0, |f| f.bits()));
        }
        for g in r.mcast_groups().unwrap() {
            let (_, g) = g.unwrap();
            checksum += g.name().unwrap().map_or(0, |n| n.len() as u64) + u64::from(g.id().unwrap().unwrap_or(0));
        }
        checksum += r.unknown_attrs().count() as u64;
        let after = allocs();
        if msgs > 0 {
            loop_allocs += after - before;
        }
        msgs += 1;
    }
    drop(it);
    assert!(msgs >= 2 && checksum > 0);
    assert_eq!(loop_allocs, 0, "{loop_allocs} allocations while receiving and decoding {msgs} messages");

    // The policy dump (two-level nest-type-value) too.
    let mut n = 0;
    let mut total = 0;
    let mut it = c.getpolicy_dump(&GetpolicyDumpRequest::new().family_name("nlctrl")).unwrap();
    loop {
        let before = allocs();
        let Some(r) = it.next() else { break };
        let r = r.unwrap();
        for p in r.policy().unwrap() {
            let (_, _, p) = p.unwrap();
            checksum += p.type_().unwrap().map_or(0, |t| u64::from(t.0)) + p.max_length().unwrap().map_or(0, u64::from);
        }
        for p in r.op_policy().unwrap() {
            let (_, p) = p.unwrap();
            checksum += u64::from(p.do_().unwrap().unwrap_or(0));
        }
        if n > 0 {
            total += allocs() - before;
        }
        n += 1;
    }
    assert!(n >= 2 && checksum > 0);
    assert_eq!(total, 0, "{total} allocations decoding {n} policy messages");
}

/// A do, request built and dropped each time, allocates nothing once warm: the family id is
/// cached, the receive buffer sized, and a dropped request's attribute buffer is reused by
/// the next request built on the thread.
#[test]
fn zero_allocations_per_do() {
    let mut c = Client::new().unwrap();
    let mut checksum = 0u64;
    let mut round = |c: &mut Client| {
        let req = GetfamilyRequest::new().family_name("nlctrl");
        let r = c.getfamily(&req).unwrap();
        checksum += u64::from(r.family_id().unwrap().unwrap()) + r.ops().unwrap().map(Result::unwrap).count() as u64;
    };
    round(&mut c);
    let before = allocs();
    for _ in 0..100 {
        round(&mut c);
    }
    let n = allocs() - before;
    assert!(checksum > 0);
    assert_eq!(n, 0, "{n} allocations in 100 getfamily dos");
}

/// The same for the netlink-raw clients (rt-link, rt-route over `NlSocket`): read-only dumps
/// of the host's links and routes, every getter used, no allocation per message.
#[test]
fn zero_allocations_per_decoded_raw_message() {
    use nlspec_rt_link as link;
    use nlspec_rt_route as route;
    let mut c = link::Client::new().unwrap();
    let req = link::GetlinkDumpRequest::new(link::Ifinfomsg::default());
    {
        let mut it = c.getlink_dump(&req).unwrap();
        while let Some(r) = it.next() {
            r.unwrap();
        }
    }
    let (mut msgs, mut loop_allocs, mut checksum) = (0, 0, 0u64);
    let mut it = c.getlink_dump(&req).unwrap();
    loop {
        let before = allocs();
        let Some(r) = it.next() else { break };
        let r = r.unwrap();
        checksum += r.ifname().unwrap().map_or(0, |n| n.len() as u64) + u64::from(r.mtu().unwrap().unwrap_or(0));
        checksum += u64::from(r.header.ifi_flags.0) + r.address().unwrap().map_or(0, |a| a.len() as u64);
        checksum +=
            r.operstate().unwrap().map_or(0, |s| u64::from(s.0)) + r.alt_ifname().map(Result::unwrap).count() as u64;
        if let Some(li) = r.linkinfo().unwrap() {
            checksum += li.kind().unwrap().map_or(0, |k| k.len() as u64);
        }
        checksum += r.unknown_attrs().count() as u64;
        if msgs > 0 {
            loop_allocs += allocs() - before;
        }
        msgs += 1;
    }
    drop(it);
    assert!(msgs >= 1 && checksum > 0);
    assert_eq!(loop_allocs, 0, "{loop_allocs} allocations while receiving and decoding {msgs} link messages");

    let mut c = route::Client::new().unwrap();
    let req = route::GetrouteDumpRequest::new(route::Rtmsg::default());
    {
        let mut it = c.getroute_dump(&req).unwrap();
        while let Some(r) = it.next() {
            r.unwrap();
        }
    }
    let (mut msgs, mut loop_allocs) = (0, 0);
    let mut it = c.getroute_dump(&req).unwrap();
    loop {
        let before = allocs();
        let Some(r) = it.next() else { break };
        let r = r.unwrap();
        checksum += r.dst().unwrap().map_or(0, |d| d.len() as u64) + u64::from(r.table().unwrap().unwrap_or(0));
        checksum += u64::from(r.oif().unwrap().unwrap_or(0)) + u64::from(r.header.rtm_type.0);
        checksum += r.cacheinfo().unwrap().map_or(0, |ci| u64::from(ci.rta_used));
        if msgs > 0 {
            loop_allocs += allocs() - before;
        }
        msgs += 1;
    }
    assert!(msgs >= 2 && checksum > 0);
    assert_eq!(loop_allocs, 0, "{loop_allocs} allocations while receiving and decoding {msgs} route messages");
}

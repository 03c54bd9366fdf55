//! Zero allocations per message: after warm-up, a whole dump (request encoding, every
//! receive, every message and attribute decoded) and a whole do-request allocate nothing.
//! The counter is per thread, so the test harness's own allocations are not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use nlspec_rt::ctrl::{self, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS};
use nlspec_rt::GenlSocket;

struct Counting;
thread_local! {
    /// Allocations made by this thread.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: during thread teardown the slot may be gone; such allocations are not ours.
    let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn walk(s: &mut GenlSocket) -> (usize, usize) {
    let mut it = s.dump(&ctrl::getfamily_request(), |_| {}).unwrap();
    let (mut msgs, mut chars) = (0, 0);
    while let Some(m) = it.next() {
        let m = m.unwrap();
        msgs += 1;
        for a in m.attrs() {
            let a = a.unwrap();
            match a.ty() {
                CTRL_ATTR_FAMILY_NAME => chars += a.get_str().unwrap().len(),
                CTRL_ATTR_MCAST_GROUPS => {
                    for g in a.nested() {
                        for x in g.unwrap().nested() {
                            chars += x.unwrap().payload().len();
                        }
                    }
                }
                _ => {}
            }
        }
    }
    (msgs, chars)
}

#[test]
fn no_allocation_per_message() {
    let mut s = GenlSocket::new().unwrap();
    let id = s.resolve_family("nlctrl").unwrap().id;
    let warm = walk(&mut s);
    let req = nlspec_rt::Request::new(id, ctrl::CTRL_CMD_GETFAMILY, 2);
    s.request(&req, |w| w.put_str(CTRL_ATTR_FAMILY_NAME, "nlctrl")).unwrap();

    let before = ALLOCS.with(Cell::get);
    let got = walk(&mut s);
    let reply = s.request(&req, |w| w.put_str(CTRL_ATTR_FAMILY_NAME, "nlctrl")).unwrap();
    let n = reply.attrs().count();
    let after = ALLOCS.with(Cell::get);

    assert_eq!(got, warm);
    assert!(got.0 > 1 && n > 1);
    assert_eq!(after - before, 0, "allocations during a {}-message dump and a request", got.0);
}

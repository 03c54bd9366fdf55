//! The fuzzing entry point (`nlspec_rt::fuzzing`, feature `fuzzing`) replays what it records:
//! exchanges with the live kernel, captured from real sockets, go through the receive state
//! machine to the same end (a reply after its ACK, a dump to its `NLMSG_DONE`, a kernel error),
//! so the fuzz target starts from inputs that reach deep, not from rejected noise.

use nlspec_rt::fuzzing::{receive, record, take_recording};
use nlspec_rt::{ctrl, GenlSocket, NlRequest, NlSocket};

#[test]
fn recorded_exchanges_replay_to_their_end() {
    // A do: the reply, then the ACK.
    record(0);
    GenlSocket::new().unwrap().resolve_family("nlctrl").unwrap();
    let s = take_recording().unwrap();
    let o = receive(&s);
    assert!(o.finished && o.messages == 1 && o.errors == 0, "{o:?}");
    // The same datagrams with the ACK's sequence number changed: a stale ACK, skipped; the
    // script runs out before the answer (EAGAIN), which is an error.
    let first = 1 + 3 + u16::from_le_bytes([s[2], s[3]]) as usize;
    let mut stale = s.clone();
    stale[first + 3 + 8] ^= 0x55;
    let o = receive(&stale);
    assert_eq!((o.finished, o.errors), (false, 1), "{o:?}");

    // A kernel error (no such family): an error, nothing handed out.
    record(0);
    assert!(GenlSocket::new().unwrap().resolve_family("no-such-family").is_err());
    let o = receive(&take_recording().unwrap());
    assert_eq!((o.finished, o.messages, o.errors), (false, 0, 1), "{o:?}");

    // A dump in small datagrams, to its NLMSG_DONE: every family handed out.
    record(3);
    let mut sock = GenlSocket::new().unwrap();
    sock.set_rx_buffer(256, true);
    let families = sock.list_families().unwrap();
    let o = receive(&take_recording().unwrap());
    assert!(o.finished && o.errors == 0, "{o:?}");
    assert_eq!(o.messages, families.len());

    // The policy dump of nlctrl (nested policies).
    record(3);
    let mut sock = GenlSocket::new().unwrap();
    let mut it = sock.dump(&ctrl::getpolicy_request(), |w| ctrl::put_family_name(w, "nlctrl")).unwrap();
    let mut n = 0;
    while let Some(m) = it.next() {
        m.unwrap();
        n += 1;
    }
    drop(it);
    let o = receive(&take_recording().unwrap());
    assert!(o.finished && o.errors == 0 && o.messages == n, "{o:?} vs {n}");

    // rtnetlink: the loopback link, by index, with a 16-byte ifinfomsg.
    let mut hdr = [0u8; 16];
    hdr[4..8].copy_from_slice(&1i32.to_ne_bytes());
    record(7);
    NlSocket::open(0).unwrap().request(&NlRequest::new(18).header(&hdr), |_| {}).unwrap();
    let o = receive(&take_recording().unwrap());
    assert!(o.finished && o.messages == 1 && o.errors == 0, "{o:?}");
}

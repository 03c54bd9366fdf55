//! Fuzz target `rt_stream`: a scripted stream of received netlink datagrams → the runtime's
//! receive state machine (truncation, notification queueing, sequence matching, ACKs and
//! extended ACKs, dumps with draining and restarts, batches) and the decoding of every
//! message it hands out (headers, attributes, nests, nlctrl). Script format:
//! `nlspec_rt::fuzzing`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nlspec_rt::fuzzing::receive(data);
});

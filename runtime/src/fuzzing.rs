//! Fuzzing entry point (cargo feature `fuzzing`, hidden from the docs): feeds a scripted stream
//! of received datagrams through the same receive state machine the sockets drive
//! (`core::Core`: truncation, notification queueing, sequence matching, ACK and error
//! parsing with extended-ACK paths, dump draining and restarts, batches), then walks every
//! message it hands out (headers, attributes, nests, nlctrl's decoders).
//!
//! Only the syscalls are replaced: [`receive`] plays the datagrams of its script where the
//! drivers in `nlsocket.rs` call `recvmsg`, with the same buffer handling (a non-growing
//! buffer truncates, a growing one fits the datagram), and runs the drivers' loops over
//! `Core`'s step functions. [`record`] captures real datagrams from live sockets in the same
//! script format, for seed corpora.
//!
//! # Script format
//!
//! Byte 0 picks the operation and the socket's settings:
//! - bits 0-2: 0 request (reply wanted), 1 request (ACK only), 2 `request_all`, 3 dump,
//!   4 batch of three requests, 5 notifications, 6 a dump abandoned after its first message
//!   then a request (the abandoned dump is drained first), 7 a netlink-raw request
//!   (no Generic Netlink header, 16-byte fixed header);
//! - bit 3: `NLM_F_DUMP_INTR` not fatal; bit 4: [`crate::DumpRetry::Retry`] with 3 attempts;
//!   bit 5: a 256-byte receive buffer; bit 6: the buffer does not grow;
//!   bit 7: a 4-byte family fixed header.
//!
//! Then datagrams, each `[kind] [len: u16 little-endian] [len bytes]` (a short tail is
//! taken as it is): kind bits 0-1 are 0 a unicast from the kernel, 1 a multicast to group
//! `(kind >> 2) + 1`, 2 a unicast from another port, 3 a receive error (no bytes follow the
//! kind; errno by `kind >> 2`: `EINTR`, `ENOBUFS`, `EAGAIN`, else `EIO`). When the script
//! runs out, receives fail with `EAGAIN`.
//!
//! Requests get sequence numbers 1, 2, 3... in order (a fresh socket's), and the request of
//! every operation has the same attributes (see [`REQUEST_SCHEMA`]), so recorded exchanges
//! replay as they happened.

use std::io;

use crate::attr::{Attr, AttrWriter, Attrs};
use crate::core::{BatchStep, Class, Core, DumpRetry, DumpState, DumpStep, ReqState, Slot};
use crate::ctrl::{decode_policy_msg, FamilyInfo};
use crate::error::Error;
use crate::msg::{GenlMsg, NlMsg, NlRequest, RecvInfo, Request, NLM_F_ACK, NLM_F_DUMP};
use crate::schema::{AttrInfo, AttrSet, NestKind};

pub use crate::record::{record, take_recording};

/// Names for the fuzzed requests' attributes, so extended-ACK offsets resolve to named paths
/// (nlctrl's `ctrl-attrs`, in part: a string, scalars, an array of nests).
pub static REQUEST_SCHEMA: AttrSet = AttrSet {
    name: "ctrl-attrs",
    attrs: &[
        AttrInfo { ty: 1, name: "family-id", nest: NestKind::None },
        AttrInfo { ty: 2, name: "family-name", nest: NestKind::None },
        AttrInfo { ty: 6, name: "ops", nest: NestKind::Array(Some(&OP_SCHEMA)) },
        AttrInfo { ty: 10, name: "op", nest: NestKind::None },
    ],
};
static OP_SCHEMA: AttrSet = AttrSet {
    name: "op-attrs",
    attrs: &[
        AttrInfo { ty: 1, name: "id", nest: NestKind::None },
        AttrInfo { ty: 2, name: "flags", nest: NestKind::None },
    ],
};

/// The attributes of every fuzzed request: a family name, an id, and a nest with a nest in it.
fn request_attrs(w: &mut AttrWriter<'_>) {
    w.put_str(2, "nlctrl");
    w.put_u16(1, 16);
    let ops = w.nest_start(6);
    let op = w.nest_start(1);
    w.put_u32(1, 3);
    w.put_u32(2, 0x0e);
    w.nest_end(op);
    w.nest_end(ops);
}

/// nlctrl's `getfamily` command (the seeds are recorded from nlctrl).
const GENL_REQ: (u16, u8, u8) = (0x10, 3, 2);
/// rtnetlink's `RTM_GETLINK`.
const RAW_REQ_TY: u16 = 18;

/// The scripted datagrams.
struct Script<'d> {
    data: &'d [u8],
}

enum Next<'d> {
    Datagram { bytes: &'d [u8], group: u32, sender: u32 },
    Error(io::Error),
}

impl<'d> Script<'d> {
    fn next(&mut self) -> Next<'d> {
        let Some((&kind, rest)) = self.data.split_first() else {
            return Next::Error(io::Error::from_raw_os_error(libc::EAGAIN));
        };
        self.data = rest;
        if kind & 3 == 3 {
            let errno = match kind >> 2 {
                0 => libc::EINTR,
                1 => libc::ENOBUFS,
                2 => libc::EAGAIN,
                _ => libc::EIO,
            };
            return Next::Error(io::Error::from_raw_os_error(errno));
        }
        let len = match self.data {
            [a, b, rest @ ..] => {
                self.data = rest;
                u16::from_le_bytes([*a, *b]) as usize
            }
            _ => std::mem::take(&mut self.data).len(),
        };
        let (bytes, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        let (group, sender) = match kind & 3 {
            1 => (u32::from(kind >> 2) + 1, 0),
            2 => (0, 4242),
            _ => (0, 0),
        };
        Next::Datagram { bytes, group, sender }
    }
}

/// The receive of `nlsocket::recv_datagram` with the script in place of the socket: the
/// datagram lands in `slot`'s buffer as `recvmsg` would put it there (grown to fit, or cut to
/// the buffer with its full length reported), then `Core` classifies it.
fn recv(core: &mut Core, script: &mut Script<'_>, slot: Slot) -> Result<Class, Error> {
    match script.next() {
        Next::Datagram { bytes, group, sender } => {
            core.prepare_recv(slot, bytes.len());
            let buf = core.buf_mut(slot);
            let len = bytes.len().min(buf.len());
            buf[..len].copy_from_slice(&bytes[..len]);
            core.after_recv(slot, RecvInfo { len, full_len: bytes.len(), group, sender })
        }
        Next::Error(e) => core.on_recv_error(slot, e).map(|()| Class::Skip),
    }
}

/// How a script ended (for tests of this module).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Messages handed out (replies, dump messages, batch replies, notifications).
    pub messages: usize,
    /// Errors returned (kernel errors, protocol errors, decode errors of the messages).
    pub errors: usize,
    /// Whether the operation finished (ACK, `NLMSG_DONE`, every batch ACK) rather than
    /// running out of script or failing.
    pub finished: bool,
}

impl Outcome {
    fn error(&mut self, e: &Error) {
        self.errors += 1;
        std::hint::black_box((e.to_string(), format!("{e:?}"), e.errno()));
    }
}

/// Run one script (see the module docs). Never panics on any input: that is what is fuzzed.
pub fn receive(data: &[u8]) -> Outcome {
    let Some((&mode, rest)) = data.split_first() else {
        return Outcome::default();
    };
    let mut script = Script { data: rest };
    let mut core = Core::new(4242 + 1);
    core.dump_intr_fatal = mode & 0x08 == 0;
    if mode & 0x10 != 0 {
        core.dump_retry = DumpRetry::Retry { max_attempts: 3 };
    }
    if mode & 0x60 != 0 {
        let size = if mode & 0x20 != 0 { 256 } else { crate::DEFAULT_RX_BUFFER };
        core.set_rx_buffer(size, mode & 0x40 == 0);
    }
    let hdr = [0u8; 4];
    let header: &[u8] = if mode & 0x80 != 0 { &hdr } else { &[] };
    let hdrsize = header.len();
    let req = Request::new(GENL_REQ.0, GENL_REQ.1, GENL_REQ.2).header(header).schema(&REQUEST_SCHEMA);
    let mut out = Outcome::default();
    match mode & 7 {
        0 | 1 => {
            let want_reply = mode & 7 == 0;
            if let Ok(seq) = core.build(&req, NLM_F_ACK, request_attrs) {
                request(&mut core, &mut script, seq, want_reply, hdrsize, &mut out);
            }
        }
        2 | 3 => {
            let flags = if mode & 7 == 3 { NLM_F_DUMP } else { NLM_F_ACK };
            if let Ok(seq) = core.build(&req, flags, request_attrs) {
                let mut st = if flags == NLM_F_DUMP { DumpState::dump(seq) } else { DumpState::new(seq) };
                dump(&mut core, &mut script, &mut st, hdrsize, usize::MAX, &mut out);
            }
        }
        4 => batch(&mut core, &mut script, &req, &mut out),
        5 => notifications(&mut core, &mut script, &mut out),
        6 => {
            if let Ok(seq) = core.build(&req, NLM_F_DUMP, request_attrs) {
                let mut st = DumpState::dump(seq);
                dump(&mut core, &mut script, &mut st, hdrsize, 1, &mut out);
                core.abandon_dump(&st);
                if drain(&mut core, &mut script).is_ok() {
                    if let Ok(seq) = core.build(&req, NLM_F_ACK, request_attrs) {
                        request(&mut core, &mut script, seq, true, hdrsize, &mut out);
                    }
                }
            }
        }
        _ => {
            let ifinfomsg = [0u8; 16];
            let req = NlRequest::new(RAW_REQ_TY).header(&ifinfomsg).schema(&REQUEST_SCHEMA);
            if let Ok(seq) = core.build_nl(&req, NLM_F_ACK, request_attrs) {
                let mut st = ReqState { seq, reply: None, want_reply: true };
                if let Some(reply) = wait(&mut core, &mut script, &mut st, &mut out) {
                    out.finished = true;
                    match reply.map(|range| core.rx_nlmsg(range)) {
                        Some(Ok(m)) => walk_nlmsg(&m, 16, &mut out),
                        Some(Err(e)) => out.error(&e),
                        None => out.error(&Error::NoReply),
                    }
                }
            }
        }
    }
    // What is queued is handed out too, as `recv_notification` would.
    while let Some(r) = core.notif_step() {
        match r.and_then(|r| core.notification(r)) {
            Ok(n) => walk_nlmsg(&n.msg, 0, &mut out),
            Err(e) => out.error(&e),
        }
    }
    std::hint::black_box(core.warning.as_ref().map(|w| w.to_string()));
    out
}

/// `NlSocket::wait_ack`: the first reply's range once the ACK came; `None` on an error.
fn wait(
    core: &mut Core,
    script: &mut Script<'_>,
    st: &mut ReqState,
    out: &mut Outcome,
) -> Option<Option<(usize, usize)>> {
    loop {
        let slot = st.next_slot();
        match recv(core, script, slot) {
            Ok(Class::Kernel(len)) => {
                if let Some(r) = core.request_step(st, len) {
                    return match r {
                        Ok(()) => Some(st.reply),
                        Err(e) => {
                            out.error(&e);
                            None
                        }
                    };
                }
            }
            Ok(_) => {}
            Err(e) => {
                out.error(&e);
                return None;
            }
        }
    }
}

fn request(core: &mut Core, script: &mut Script<'_>, seq: u32, want_reply: bool, hdrsize: usize, out: &mut Outcome) {
    let mut st = ReqState { seq, reply: None, want_reply };
    if let Some(reply) = wait(core, script, &mut st, out) {
        out.finished = true;
        if let Some(range) = reply {
            match core.rx_msg(range, hdrsize) {
                Ok(m) => walk_genl(&m, out),
                Err(e) => out.error(&e),
            }
        }
    }
}

/// `NlSocket::dump_next` in a loop, at most `max` messages (then the dump is left unfinished).
fn dump(core: &mut Core, script: &mut Script<'_>, st: &mut DumpState, hdrsize: usize, max: usize, out: &mut Outcome) {
    let mut items = 0;
    while items < max {
        match core.dump_step(st) {
            DumpStep::NeedRecv => {
                if let Err(e) = recv(core, script, Slot::Rx) {
                    core.dump_recv_failed(st);
                    out.error(&e);
                    return;
                }
            }
            DumpStep::Item(a, b) => {
                items += 1;
                match core.rx_msg((a, b), hdrsize) {
                    Ok(m) => walk_genl(&m, out),
                    Err(e) => out.error(&e),
                }
            }
            DumpStep::Done => {
                out.finished = true;
                return;
            }
            DumpStep::Err(e) => out.error(&e),
            // The driver sends `tx` again here.
            DumpStep::Restart => core.restart_dump(st),
        }
    }
}

/// `NlSocket::drain`.
fn drain(core: &mut Core, script: &mut Script<'_>) -> Result<(), Error> {
    while let Some(mut st) = core.drain_state() {
        loop {
            match core.dump_step(&mut st) {
                DumpStep::NeedRecv => match recv(core, script, Slot::Rx) {
                    Ok(_) => {}
                    Err(Error::ReplyLost) => break,
                    Err(e) => {
                        core.drain = None;
                        return Err(e);
                    }
                },
                DumpStep::Item(..) => {}
                DumpStep::Done | DumpStep::Err(_) | DumpStep::Restart => break,
            }
        }
        core.drained(st.seq);
    }
    Ok(())
}

/// `GenlSocket::batch`'s iterator.
fn batch(core: &mut Core, script: &mut Script<'_>, req: &Request<'_>, out: &mut Outcome) {
    let mut attrs = Vec::new();
    let mut w = AttrWriter::new(&mut attrs);
    request_attrs(&mut w);
    if w.finish().is_err() {
        return;
    }
    let reqs = [(*req, &[][..]), (*req, &attrs[..]), (*req, &attrs[..8])];
    let Ok(mut st) = core.build_batch(&reqs, 0) else { return };
    loop {
        match core.batch_step(&mut st) {
            BatchStep::NeedRecv => {
                if let Err(e) = recv(core, script, Slot::Rx) {
                    out.error(&e);
                    return;
                }
            }
            BatchStep::Item(i, a, b) => match core.rx_msg((a, b), st.hdrsize(i)) {
                Ok(m) => walk_genl(&m, out),
                Err(e) => out.error(&e),
            },
            BatchStep::Ack(_, r) => match r {
                Ok(w) => _ = std::hint::black_box(w.map(|w| w.to_string())),
                Err(e) => out.error(&e),
            },
            BatchStep::Done => {
                out.finished = st.done();
                return;
            }
            BatchStep::Err(e) => {
                out.error(&e);
                return;
            }
        }
    }
}

/// `NlSocket::recv_notification` until the script runs out.
fn notifications(core: &mut Core, script: &mut Script<'_>, out: &mut Outcome) {
    loop {
        if let Some(r) = core.notif_step() {
            match r.and_then(|r| core.notification(r)) {
                Ok(n) => {
                    let _ = n.genl(0).map(|g| walk_genl(&g, out));
                    walk_nlmsg(&n.msg, 0, out);
                }
                Err(e) => out.error(&e),
            }
            continue;
        }
        if let Err(e) = core.take_overrun() {
            out.error(&e);
        }
        match recv(core, script, Slot::Notif) {
            Ok(Class::Multicast(len, group)) => core.notif_received(len, group),
            Ok(_) => {}
            Err(Error::Io(e)) if e.raw_os_error() == Some(libc::EAGAIN) => return,
            Err(e) => out.error(&e),
        }
    }
}

/// A Generic Netlink message: its headers, every attribute, and nlctrl's decoders.
fn walk_genl(m: &GenlMsg<'_>, out: &mut Outcome) {
    out.messages += 1;
    std::hint::black_box((m.cmd(), m.version(), m.family(), m.flags(), m.seq(), m.fixed_header(), m.bytes().len()));
    walk_attrs(m.attrs(), 0);
    match FamilyInfo::decode(m) {
        Ok(f) => _ = std::hint::black_box((f.group("notify"), format!("{f:?}"))),
        Err(e) => _ = std::hint::black_box(e.to_string()),
    }
    let mut policies = Vec::new();
    let r = decode_policy_msg(m, &mut policies);
    let _ = std::hint::black_box((format!("{policies:?}"), r.map_err(|e| e.to_string())));
}

/// A message of any protocol: its header, the `hdrsize`-byte fixed header, the attributes.
fn walk_nlmsg(m: &NlMsg<'_>, hdrsize: usize, out: &mut Outcome) {
    out.messages += 1;
    std::hint::black_box((m.hdr.ty, m.hdr.flags, m.bytes().len()));
    match crate::typed_raw::RawMsg::new(m, hdrsize) {
        Ok(r) => {
            std::hint::black_box((r.msg_type(), r.flags(), r.seq(), r.fixed_header(), r.nl_header()));
            walk_attrs(r.attrs(), 0)
        }
        Err(e) => _ = std::hint::black_box(e.to_string()),
    }
}

/// Every attribute, read as each kind a spec could give it, nests followed (bounded depth).
fn walk_attrs(attrs: Attrs<'_>, depth: u32) {
    for a in attrs {
        match a {
            Ok(a) => walk_attr(&a, depth),
            Err(e) => {
                std::hint::black_box(e.to_string());
                break;
            }
        }
    }
}

fn walk_attr(a: &Attr<'_>, depth: u32) {
    use std::hint::black_box;
    black_box((a.ty(), a.raw_type(), a.is_nested(), a.is_net_byteorder(), a.get_bytes()));
    // The getters a spec could use for a payload of this length (the others fail on the
    // length alone, which one of them shows).
    match a.payload().len() {
        0 => _ = black_box((a.get_flag(), a.get_u8().is_err())),
        1 => _ = black_box((a.get_u8(), a.get_s8())),
        2 => _ = black_box((a.get_u16(), a.get_s16(), a.get_u16_be(), a.get_s16_be())),
        4 => _ = black_box((a.get_u32(), a.get_s32(), a.get_u32_be(), a.get_s32_be(), a.get_uint(), a.get_sint())),
        6 => _ = black_box(a.get_array::<6>()),
        8 => {
            let _ =
                black_box((a.get_u64(), a.get_s64(), a.get_u64_be(), a.get_s64_be(), a.get_uint_be(), a.get_sint_be()));
            let _ = black_box(a.get_bitfield32());
        }
        16 => _ = black_box(a.get_array::<16>()),
        _ => _ = black_box(a.get_uint().is_err()),
    }
    black_box((a.get_str().ok(), a.get_str_bytes().ok(), a.get_str_bytes_lax()));
    black_box(crate::display::utf8_prefix(a.payload()));
    if depth < 8 && (a.is_nested() || depth < 2) {
        walk_attrs(a.nested(), depth + 1);
    }
}

//! The classic-netlink showcase suite, run inside the test VMs (`cargo xtask vm-test`, suite
//! `classic/`): the generated `nlspec-nlbus` client against the `nlbus` example module
//! (`examples/nlbus-module`) on netlink protocol 25. Each case prints
//! `NLSPEC-CASE PASS <case>` or `NLSPEC-CASE FAIL <case>: <why>`.
//!
//! Modes (first argument):
//! - `suite` (default): the cases below; exit status 1 if any failed;
//! - `listen <subscribe 0|1> <ms> [<n>]`: count the ticks one socket receives in that time (or
//!   until `n` arrived), print `TICKS <count>` (the broadcast case runs three of these as
//!   separate processes);
//! - `chat-peer`: print `PORT <port id>`, wait for a chat message, answer its sender, exit;
//! - `as-nobody`: the unprivileged cases (the suite runs itself this way as uid/gid 65534);
//! - `userns <parent-ns>`: root in a new user namespace that owns a new network namespace (the
//!   suite runs itself this way under busybox `unshare -r -n`, passing its `/proc/self/ns/net`);
//! - `netns`: echo and a tick inside the network namespace it runs in (the guest script starts
//!   it with `unshare -n`: the protocol exists in every namespace, broadcasts reach them all);
//! - `hold <dir>`: hold a subscribed socket across the guest script's unload and reload (files
//!   in `<dir>` synchronise the two), with its own cases.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nlspec_nlbus::{
    BusAttrs, BusAttrsEncoder, BusAttrsOwned, BusHdr, ChatNotification, Client, EchoRequest, Group, ListDumpRequest,
    Notification, SetPeriodRequest, PROTONUM,
};
use nlspec_rt::typed_raw::{OpRequest, RawMsg};
use nlspec_rt::{AttrWriter, DecodeError, Error, NlRequest, NlSocket};

type R = Result<(), String>;

static FAILED: AtomicUsize = AtomicUsize::new(0);

const EOPNOTSUPP: i32 = 95;
const EINVAL: i32 = 22;
const ERANGE: i32 = 34;
const EPERM: i32 = 1;
const EPROTONOSUPPORT: i32 = 93;
const NLM_F_REQUEST: u16 = 1;
const NLMSG_HDRLEN: usize = 16;

fn case(name: &str, f: impl FnOnce() -> R) {
    let t = Instant::now();
    match f() {
        Ok(()) => println!("NLSPEC-CASE PASS {name}"),
        Err(why) => {
            FAILED.fetch_add(1, Ordering::SeqCst);
            println!("NLSPEC-CASE FAIL {name}: {} ({} ms)", why.replace('\n', " | "), t.elapsed().as_millis());
        }
    }
}

fn ensure(cond: bool, why: impl FnOnce() -> String) -> R {
    if cond {
        Ok(())
    } else {
        Err(why())
    }
}

fn eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> R {
    ensure(got == want, || format!("{what}: got {got:?}, want {want:?}"))
}

/// Replies are views that read their attributes when asked. Every reply a case receives is read
/// whole before it counts as received, so that a malformed one fails the request, as it did when
/// replies were validated on receipt.
trait ReadAll<R> {
    /// The reply, once all of it was read.
    fn read_all(self) -> Result<R, Error>;
    /// An owned copy of the reply's attributes (which reads all of them).
    fn owned(self) -> Result<BusAttrsOwned, Error>;
}
impl<'a, R: std::ops::Deref<Target = BusAttrs<'a>>> ReadAll<R> for Result<R, Error> {
    fn read_all(self) -> Result<R, Error> {
        let r = self?;
        BusAttrs::to_owned(&r)?;
        Ok(r)
    }
    fn owned(self) -> Result<BusAttrsOwned, Error> {
        let r = self?;
        Ok(BusAttrs::to_owned(&r)?)
    }
}

/// Reads a notification whole, as receiving it did when notifications were validated on receipt.
fn read_all(n: &Notification<'_>) -> Result<(), DecodeError> {
    match n {
        Notification::Tick(m) => m.attrs.to_owned().map(|_| ()),
        Notification::Chat(m) => m.attrs.to_owned().map(|_| ()),
        Notification::Echo(m) => m.attrs.to_owned().map(|_| ()),
        Notification::List(m) => m.attrs.to_owned().map(|_| ()),
        Notification::SetPeriod(m) => m.attrs.to_owned().map(|_| ()),
        Notification::Other(_) => Ok(()),
    }
}

fn client() -> Result<Client, String> {
    Client::new().map_err(|e| format!("opening protocol {PROTONUM}: {e}"))
}

fn hdr(channel: u32, cookie: u32) -> BusHdr {
    BusHdr { channel, cookie }
}

/// The kernel error a request must have failed with.
fn kerr<T>(what: &str, r: Result<T, Error>) -> Result<Error, String> {
    match r {
        Ok(_) => Err(format!("{what}: succeeded, expected a kernel error")),
        Err(e @ Error::Kernel { .. }) => Ok(e),
        Err(e) => Err(format!("{what}: not a kernel error: {e}")),
    }
}

/// Checks errno and the extended ACK's attribute path (`.name`) or missing attribute.
fn rejected<T>(what: &str, r: Result<T, Error>, errno: i32, path: Option<&str>, missing: Option<&str>) -> R {
    let e = kerr(what, r)?;
    let Error::Kernel { errno: got, path: p, missing: m, .. } = &e else { unreachable!() };
    ensure(*got == errno, || format!("{what}: errno {got}, want {errno} ({e})"))?;
    if let Some(want) = path {
        let p = p.as_ref().map(|p| p.to_string());
        ensure(p.as_deref() == Some(want), || format!("{what}: attribute path {p:?}, want {want} ({e})"))?;
    }
    if let Some(want) = missing {
        let n = m.as_ref().and_then(|m| m.name);
        ensure(n == Some(want), || format!("{what}: missing attribute {n:?}, want {want} ({e})"))?;
    }
    Ok(())
}

/// A request built by hand (attributes the typed builders would not write), with the echo
/// request's attribute names for the error path.
fn raw_request(ty: u16, build: impl FnOnce(&mut AttrWriter<'_>)) -> Result<(), Error> {
    let mut s = NlSocket::open(PROTONUM)?;
    let h = hdr(1, 2).to_bytes();
    let mut req = NlRequest::new(ty).header(&h);
    if let Some(schema) = <EchoRequest as OpRequest>::SCHEMA {
        req = req.schema(schema);
    }
    s.request_ack(&req, build)
}

fn echo_round_trip() -> R {
    let mut c = client()?;
    let payload: Vec<u8> = (0..200u8).collect();
    let r = c
        .echo(&EchoRequest::new(hdr(7, 0xdead_beef)).payload(&payload).text("hello bus"))
        .map_err(|e| format!("echo: {e}"))?;
    let a = r.attrs.to_owned().map_err(|e| format!("echo: {e}"))?;
    eq("payload", a.payload.as_deref(), Some(&payload[..]))?;
    eq("text", a.text.as_deref(), Some("hello bus"))?;
    eq("header", r.header, hdr(7, 0xdead_beef))?;
    eq("message type", r.msg.msg_type(), 16)?;
    // The reply went to this socket's port id: a second socket sees nothing.
    Ok(())
}

fn echo_to_each_sender() -> R {
    let mut a = client()?;
    let mut b = client()?;
    ensure(a.socket().port_id() != b.socket().port_id(), || "two sockets share a port id".into())?;
    for i in 0..20u32 {
        let (c, name) = if i % 2 == 0 { (&mut a, "a") } else { (&mut b, "b") };
        let text = format!("{name}-{i}");
        let r = c
            .echo(&EchoRequest::new(hdr(i, i)).payload(&i.to_ne_bytes()).text(&text))
            .map_err(|e| format!("echo {i}: {e}"))?;
        let a = r.attrs.to_owned().map_err(|e| format!("echo {i}: {e}"))?;
        eq("text", a.text.as_deref(), Some(text.as_str()))?;
        eq("cookie", r.header.cookie, i)?;
    }
    Ok(())
}

fn dump_many() -> R {
    let mut c = client()?;
    c.socket().set_rx_buffer(8192, false);
    let before = c.socket().datagrams_received();
    let mut it = c.list_dump(&ListDumpRequest::new(hdr(3, 9)).count(3000)).map_err(|e| format!("list: {e}"))?;
    let mut next = 0u32;
    while let Some(m) = it.next() {
        let m = m.map_err(|e| format!("entry {next}: {e}"))?;
        let a = m.attrs.to_owned().map_err(|e| format!("entry {next}: {e}"))?;
        eq("index", a.index, Some(next))?;
        eq("text", a.text.as_deref(), Some("entry"))?;
        eq("header", m.header, hdr(3, 9))?;
        next += 1;
    }
    drop(it);
    eq("entries", next, 3000)?;
    let dgrams = c.socket().datagrams_received() - before;
    ensure(dgrams >= 10, || format!("3000 entries came in only {dgrams} datagrams"))?;
    println!("# list dump: 3000 entries in {dgrams} datagrams");
    Ok(())
}

/// Echo's `served` and `open-dumps` as a fresh echo reports them.
fn echo_counters(c: &mut Client) -> Result<(u64, u32), String> {
    let r = c.echo(&EchoRequest::new(hdr(1, 1)).payload(b"count")).owned().map_err(|e| format!("echo: {e}"))?;
    Ok((r.served.ok_or("echo reply without served")?, r.open_dumps.ok_or("echo reply without open-dumps")?))
}

/// Echo's `pre` hook refuses the reserved channel before the handler runs; its `post` hook
/// counts every request the handler ran for, failed ones included, not the refused ones.
fn hooks_echo() -> R {
    let mut c = client()?;
    let (s0, _) = echo_counters(&mut c)?;
    let (s1, _) = echo_counters(&mut c)?;
    eq("served after one more echo", s1, s0 + 1)?;
    let reserved = nlspec_nlbus::RESERVED_CHANNEL as u32;
    let e = kerr("echo on the reserved channel", c.echo(&EchoRequest::new(hdr(reserved, 0)).payload(b"x")))?;
    let Error::Kernel { errno, msg, .. } = &e else { unreachable!() };
    eq("reserved channel errno", *errno, EINVAL)?;
    eq("reserved channel message", msg.as_deref(), Some("channel is reserved"))?;
    let r = c.echo(&EchoRequest::new(hdr(0, 0)).text("no payload")).map(|_| ());
    rejected("echo without payload", r, EINVAL, None, Some("payload"))?;
    let (s2, _) = echo_counters(&mut c)?;
    // s1's echo, the failed one; not the refused one.
    eq("served after a refused and a failed echo", s2, s1 + 2)
}

/// List's `start` hook sets the cursor from the request's `index` (without it the dump would
/// start at 0).
fn hooks_list_start() -> R {
    let mut c = client()?;
    let mut it = c.list_dump(&ListDumpRequest::new(hdr(2, 2)).count(5).index(40)).map_err(|e| format!("list: {e}"))?;
    let mut got = Vec::new();
    while let Some(m) = it.next() {
        got.push(m.owned().map_err(|e| format!("entry: {e}"))?.index.ok_or("entry without index")?);
    }
    eq("indexes", got, (40..45).collect::<Vec<u32>>())
}

/// Polls echo until `open-dumps` is `want` (a dump's done hook runs when the dump finishes, or
/// when its socket is released, which the kernel may finish from a work item).
fn wait_open_dumps(c: &mut Client, want: u32) -> R {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, open) = echo_counters(c)?;
        if open == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("open-dumps is {open}, want {want} (5 s)"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// List's `start` and `done` hooks keep the count of open dumps: one abandoned half-way is
/// closed when its socket goes, one read to the end when it ends.
fn hooks_list_done() -> R {
    let mut c = client()?;
    wait_open_dumps(&mut c, 0)?;
    {
        let mut other = client()?;
        other.socket().set_rx_buffer(4096, false);
        let mut it =
            other.list_dump(&ListDumpRequest::new(hdr(0, 0)).count(10000)).map_err(|e| format!("list: {e}"))?;
        it.next().ok_or("no first entry")?.read_all().map_err(|e| format!("first entry: {e}"))?;
        wait_open_dumps(&mut c, 1)?;
        drop(it); // not drained: the socket goes with the dump still open
    }
    wait_open_dumps(&mut c, 0)?;
    let mut it = c.list_dump(&ListDumpRequest::new(hdr(0, 0)).count(300)).map_err(|e| format!("list: {e}"))?;
    let mut n = 0;
    while let Some(m) = it.next() {
        m.read_all().map_err(|e| format!("entry {n}: {e}"))?;
        n += 1;
    }
    drop(it);
    eq("entries", n, 300)?;
    wait_open_dumps(&mut c, 0)
}

/// List requests are parsed liberally (`dont-validate: [dump]`): an attribute its policy does
/// not know is ignored, where echo (strict) refuses it (policy-unknown-attribute); the known
/// attributes are still checked (policy-range).
fn dont_validate_dump() -> R {
    let mut s = NlSocket::open(PROTONUM).map_err(|e| e.to_string())?;
    let h = hdr(0, 0).to_bytes();
    let req = NlRequest::new(nlspec_nlbus::cmd::LIST).header(&h);
    let mut it = s
        .dump(&req, |w| {
            w.put_u32(3, 4);
            w.put_raw(99, &[0; 4]);
        })
        .map_err(|e| format!("list with attribute 99: {e}"))?;
    let mut n = 0;
    while let Some(m) = it.next() {
        m.map_err(|e| format!("list with attribute 99, entry {n}: {e}"))?;
        n += 1;
    }
    eq("entries of a list with attribute 99", n, 4)
}

fn spawn_self(args: &[&str]) -> Result<std::process::Child, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    Command::new(exe).args(args).stdout(Stdio::piped()).spawn().map_err(|e| format!("spawn {args:?}: {e}"))
}

fn ticks_of(child: std::process::Child) -> Result<u64, String> {
    let out = child.wait_with_output().map_err(|e| format!("wait: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("TICKS "))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("listener printed no TICKS line: {text:?}"))
}

fn broadcast() -> R {
    // This process subscribes too, to prove ticks went out while the unsubscribed one listened
    // (the debug kernels under TCG tick far slower than the nominal 100 ms).
    let mut witness = client()?;
    witness.subscribe(Group::Ticks).map_err(|e| format!("subscribe: {e}"))?;
    let subs = [spawn_self(&["listen", "1", "60000", "3"])?, spawn_self(&["listen", "1", "60000", "3"])?];
    let other = spawn_self(&["listen", "0", "5000", "0"])?;
    let none = ticks_of(other)?;
    let mut got = Vec::new();
    for s in subs {
        got.push(ticks_of(s)?);
    }
    let mut seen = 0u64;
    while let Some(n) = witness.recv_notification_timeout(Duration::ZERO).map_err(|e| format!("witness: {e}"))? {
        read_all(&n).map_err(|e| format!("witness: {e}"))?;
        if matches!(n, Notification::Tick(_)) {
            seen += 1;
        }
    }
    ensure(got.iter().all(|n| *n >= 3), || {
        format!("subscribed processes got {got:?} ticks (want 3 each within 60 s)")
    })?;
    ensure(seen >= 1, || "no tick was broadcast while the unsubscribed process listened".into())?;
    eq("ticks of the unsubscribed process", none, 0)?;
    println!("# ticks: subscribed processes {got:?}, unsubscribed 0 in 5 s, this process {seen} meanwhile");
    Ok(())
}

fn listen(subscribe: bool, ms: u64, want: u64) -> i32 {
    let run = || -> Result<u64, String> {
        let mut c = client()?;
        if subscribe {
            c.subscribe(Group::Ticks).map_err(|e| format!("subscribe: {e}"))?;
        }
        let deadline = Instant::now() + Duration::from_millis(ms);
        let mut n = 0u64;
        let mut last = 0u64;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(n);
            }
            match c.recv_notification_timeout(left).map_err(|e| format!("recv: {e}"))? {
                Some(Notification::Tick(t)) => {
                    let t = t.attrs.to_owned().map_err(|e| format!("recv: {e}"))?;
                    let tick = t.tick.ok_or("tick without its number")?;
                    if tick <= last {
                        return Err(format!("tick {tick} after {last}"));
                    }
                    last = tick;
                    n += 1;
                    if want > 0 && n >= want {
                        return Ok(n);
                    }
                }
                Some(_) => return Err("a notification other than tick".into()),
                None => return Ok(n),
            }
        }
    };
    match run() {
        Ok(n) => {
            println!("TICKS {n}");
            0
        }
        Err(e) => {
            println!("ERROR {e}");
            1
        }
    }
}

/// A chat message (type 20, fixed header, `text` and `from-port`) for another process.
fn chat_message(text: &str, from: u32) -> Vec<u8> {
    let mut attrs = Vec::new();
    {
        let mut w = AttrWriter::new(&mut attrs);
        BusAttrsEncoder::new(&mut w).text(text).from_port(from);
    }
    let h = hdr(0, 0).to_bytes();
    let len = NLMSG_HDRLEN + h.len() + attrs.len();
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&nlspec_nlbus::cmd::CHAT.to_ne_bytes());
    m.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&from.to_ne_bytes()); // pid
    m.extend_from_slice(&h);
    m.extend_from_slice(&attrs);
    m
}

/// The next chat message on `s`: (sender port id per the socket, text, from-port attribute).
fn recv_chat(s: &mut NlSocket, timeout: Duration) -> Result<(u32, String, Option<u32>), String> {
    let mut buf = Vec::new();
    let (_, sender) =
        s.recv_raw_timeout(&mut buf, timeout).map_err(|e| format!("recv: {e}"))?.ok_or("no chat message arrived")?;
    let m = RawMsg::parse(&buf, BusHdr::SIZE).map_err(|e| format!("decoding: {e}"))?;
    eq("message type", m.msg_type(), nlspec_nlbus::cmd::CHAT)?;
    let c = ChatNotification::decode(&m).and_then(|c| c.attrs.to_owned()).map_err(|e| format!("decoding chat: {e}"))?;
    Ok((sender, c.text.unwrap_or_default(), c.from_port))
}

fn chat_peer() -> i32 {
    let run = || -> R {
        let mut s = NlSocket::open(PROTONUM).map_err(|e| format!("open: {e}"))?;
        // a socket takes unicasts from the kernel only unless told otherwise
        s.set_user_unicast(true).map_err(|e| format!("accepting user unicasts: {e}"))?;
        println!("PORT {}", s.port_id());
        let (sender, text, from) = recv_chat(&mut s, Duration::from_secs(10))?;
        eq("from-port attribute", from, Some(sender))?;
        let answer = format!("re: {text}");
        s.send_raw_to(&chat_message(&answer, s.port_id()), sender, 0).map_err(|e| format!("answer: {e}"))
    };
    match run() {
        Ok(()) => 0,
        Err(e) => {
            println!("ERROR {e}");
            1
        }
    }
}

/// Two processes exchange chat messages by port id (the peer is a child process).
fn user_to_user() -> R {
    let mut peer = spawn_self(&["chat-peer"])?;
    let mut lines = BufReader::new(peer.stdout.take().ok_or("no stdout")?).lines();
    let first = lines.next().ok_or("peer printed nothing")?.map_err(|e| e.to_string())?;
    let port: u32 = first.strip_prefix("PORT ").and_then(|p| p.parse().ok()).ok_or(format!("peer said {first:?}"))?;
    let mut s = NlSocket::open(PROTONUM).map_err(|e| format!("open: {e}"))?;
    s.set_user_unicast(true).map_err(|e| format!("accepting user unicasts: {e}"))?;
    let me = s.port_id();
    s.send_raw_to(&chat_message("ping", me), port, 0).map_err(|e| format!("send to port {port}: {e}"))?;
    let (sender, text, from) = recv_chat(&mut s, Duration::from_secs(10))?;
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = peer.wait().map_err(|e| e.to_string())?;
    ensure(status.success(), || format!("peer failed: {rest:?}"))?;
    eq("answer sender", sender, port)?;
    eq("answer from-port", from, Some(port))?;
    eq("answer text", text.as_str(), "re: ping")
}

fn policy_cases() {
    case("policy-range", || {
        let mut c = client()?;
        let r = c.list_dump(&ListDumpRequest::new(hdr(0, 0)).count(0)).and_then(|mut it| match it.next() {
            Some(Err(e)) => Err(e),
            _ => Ok(()),
        });
        rejected("list count=0 (min 1)", r, ERANGE, Some(".count"), None)?;
        let r = c.list_dump(&ListDumpRequest::new(hdr(0, 0)).count(10001)).and_then(|mut it| match it.next() {
            Some(Err(e)) => Err(e),
            _ => Ok(()),
        });
        rejected("list count=10001 (max 10000)", r, ERANGE, Some(".count"), None)?;
        let r = c.set_period(&SetPeriodRequest::new(hdr(0, 0)).period_ms(5)).map(|_| ());
        rejected("set-period 5 ms (min 10)", r, ERANGE, Some(".period-ms"), None)
    });
    case("policy-length", || {
        let mut c = client()?;
        let r = c.echo(&EchoRequest::new(hdr(0, 0)).payload(b"x").text(&"t".repeat(40))).map(|_| ());
        // A string's max-len is checked through its NUL (NLA_NUL_STRING): EINVAL.
        rejected("text of 40 bytes (max 32)", r, EINVAL, Some(".text"), None)?;
        let big = vec![1u8; 300];
        let r = c.echo(&EchoRequest::new(hdr(0, 0)).payload(&big)).map(|_| ());
        rejected("payload of 300 bytes (max 256)", r, ERANGE, Some(".payload"), None)
    });
    case("policy-wrong-type", || {
        // `period-ms` is a u32: two bytes are the wrong type for it.
        let r = raw_request(nlspec_nlbus::cmd::SET_PERIOD, |w| w.put_raw(5, &100u16.to_ne_bytes()));
        rejected("period-ms as u16", r, EINVAL, Some(".period-ms"), None)
    });
    case("policy-unknown-attribute", || {
        // `from-port` exists in the set but not in echo's policy; 99 exists nowhere.
        let r = raw_request(nlspec_nlbus::cmd::ECHO, |w| {
            w.put_bytes(1, b"p");
            w.put_raw(7, &1u32.to_ne_bytes());
        });
        rejected("echo with from-port", r, EINVAL, Some(".from-port"), None)?;
        let r = raw_request(nlspec_nlbus::cmd::ECHO, |w| {
            w.put_bytes(1, b"p");
            w.put_raw(99, &[0; 4]);
        });
        rejected("echo with attribute 99", r, EINVAL, Some(".99"), None)
    });
    case("policy-missing-attribute", || {
        let mut c = client()?;
        let r = c.echo(&EchoRequest::new(hdr(0, 0)).text("no payload")).map(|_| ());
        rejected("echo without payload", r, EINVAL, None, Some("payload"))
    });
    case("unknown-message-type", || {
        let e = kerr("type 99", raw_request(99, |_| {}))?;
        let Error::Kernel { errno, msg, .. } = &e else { unreachable!() };
        eq("errno", *errno, EOPNOTSUPP)?;
        eq("message", msg.as_deref(), Some("unknown message type"))?;
        // A type of the spec the kernel does not serve (chat goes between processes).
        let e = kerr("chat sent to the kernel", raw_request(nlspec_nlbus::cmd::CHAT, |_| {}))?;
        eq("chat errno", e.errno(), Some(EOPNOTSUPP))
    });
    case("message-too-short-for-header", || {
        let mut s = NlSocket::open(PROTONUM).map_err(|e| e.to_string())?;
        let r = s.request_ack(&NlRequest::new(nlspec_nlbus::cmd::ECHO).header(&[0u8; 4]), |_| {});
        rejected("echo with a 4-byte header", r, EINVAL, None, None)
    });
}

fn as_nobody() -> i32 {
    case("unprivileged-is-nobody", || {
        let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
        let uid =
            status.lines().find_map(|l| l.strip_prefix("Uid:")).unwrap_or("").split_whitespace().next().unwrap_or("");
        eq("uid", uid, "65534")
    });
    case("unprivileged-admin-op-eperm", || {
        let mut c = client()?;
        let r = c.set_period(&SetPeriodRequest::new(hdr(0, 0)).period_ms(200)).map(|_| ());
        rejected("set-period as nobody", r, EPERM, None, None)
    });
    case("unprivileged-echo-allowed", || {
        let mut c = client()?;
        let r = c.echo(&EchoRequest::new(hdr(1, 1)).payload(b"nobody")).owned().map_err(|e| e.to_string())?;
        eq("payload", r.payload.as_deref(), Some(&b"nobody"[..]))
    });
    case("unprivileged-receives-broadcast", || {
        let mut c = client()?;
        c.subscribe(Group::Ticks).map_err(|e| format!("subscribe as nobody: {e}"))?;
        match c.recv_notification_timeout(Duration::from_secs(30)).map_err(|e| e.to_string())? {
            Some(Notification::Tick(t)) => t.attrs.to_owned().map(|_| ()).map_err(|e| e.to_string()),
            other => Err(format!("no tick as nobody within 30 s (got a message: {:?})", other.is_some())),
        }
    });
    case("unprivileged-user-to-user", user_to_user);
    if FAILED.load(Ordering::SeqCst) == 0 {
        0
    } else {
        1
    }
}

/// Root in a new user namespace owning a new network namespace. The protocol is created in
/// every network namespace (`netns: true`), so it is there; the admin-perm message type needs
/// CAP_NET_ADMIN in the initial user namespace (`netlink_capable`): EPERM; the others work.
fn userns(parent_net: &str) -> i32 {
    case("userns-in-new-namespaces", || {
        let net = std::fs::read_link("/proc/self/ns/net").map_err(|e| e.to_string())?;
        let uid_map = std::fs::read_to_string("/proc/self/uid_map").map_err(|e| e.to_string())?;
        eq("uid_map", uid_map.split_whitespace().collect::<Vec<_>>(), vec!["0", "0", "1"])?;
        ensure(net.to_string_lossy() != parent_net, || format!("still in the suite's netns {net:?}"))
    });
    case("userns-admin-op-eperm", || {
        let mut c = client()?;
        let r = c.set_period(&SetPeriodRequest::new(hdr(0, 0)).period_ms(200)).map(|_| ());
        rejected("set-period as root of a user namespace", r, EPERM, None, None)
    });
    case("userns-echo-in-own-netns", || {
        let mut c = client()?;
        let r = c.echo(&EchoRequest::new(hdr(2, 2)).payload(b"userns")).owned().map_err(|e| e.to_string())?;
        eq("payload", r.payload.as_deref(), Some(&b"userns"[..]))
    });
    if FAILED.load(Ordering::SeqCst) == 0 {
        0
    } else {
        1
    }
}

/// Runs [`userns`] under busybox `unshare -r -n` and passes its case lines through.
fn in_userns() -> R {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let net = std::fs::read_link("/proc/self/ns/net").map_err(|e| e.to_string())?;
    let out = Command::new("unshare")
        .args(["-r", "-n", "--"])
        .arg(exe)
        .arg("userns")
        .arg(net)
        .output()
        .map_err(|e| format!("unshare: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    ensure(out.status.success(), || {
        format!("userns run failed: {} {}", out.status, String::from_utf8_lossy(&out.stderr).trim())
    })?;
    ensure(text.matches("NLSPEC-CASE PASS").count() == 3, || "userns run reported too few cases".into())
}

fn unprivileged() -> R {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out =
        Command::new(exe).arg("as-nobody").uid(65534).gid(65534).output().map_err(|e| format!("as nobody: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    ensure(out.status.success(), || format!("as-nobody run failed: {}", out.status))?;
    ensure(text.matches("NLSPEC-CASE PASS").count() >= 5, || "as-nobody reported too few cases".into())
}

fn suite() -> i32 {
    case("echo", echo_round_trip);
    case("echo-to-each-sender", echo_to_each_sender);
    case("dump-spans-many-skbs", dump_many);
    case("broadcast-subscribed-vs-not", broadcast);
    case("user-to-user-unicast", user_to_user);
    case("hooks-echo-pre-post", hooks_echo);
    case("hooks-list-start", hooks_list_start);
    case("hooks-list-done", hooks_list_done);
    case("dont-validate-dump", dont_validate_dump);
    policy_cases();
    case("set-period-as-root", || {
        let mut c = client()?;
        let r = c.set_period(&SetPeriodRequest::new(hdr(0, 0)).period_ms(50)).owned().map_err(|e| e.to_string())?;
        eq("period", r.period_ms, Some(50))?;
        let r = c.set_period(&SetPeriodRequest::new(hdr(0, 0)).period_ms(100)).owned().map_err(|e| e.to_string())?;
        eq("period", r.period_ms, Some(100))
    });
    case("unprivileged", unprivileged);
    case("userns", in_userns);
    if FAILED.load(Ordering::SeqCst) == 0 {
        0
    } else {
        1
    }
}

fn wait_file(p: &std::path::Path) -> R {
    let t = Instant::now();
    while !p.exists() {
        if t.elapsed() > Duration::from_secs(60) {
            return Err(format!("{} never appeared", p.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn touch(p: &std::path::Path) {
    let _ = std::fs::write(p, b"");
}

/// Holds a subscribed socket while the guest script tries to unload the module, closes it,
/// checks the protocol is gone after the unload, and uses the reloaded module.
fn hold(dir: &str) -> i32 {
    let d = std::path::Path::new(dir);
    let r = (|| -> R {
        let mut c = client()?;
        c.subscribe(Group::Ticks).map_err(|e| e.to_string())?;
        c.echo(&EchoRequest::new(hdr(0, 0)).payload(b"held")).read_all().map_err(|e| e.to_string())?;
        touch(&d.join("open"));
        wait_file(&d.join("release"))?;
        // Still served while the unload attempt failed.
        let r = c
            .echo(&EchoRequest::new(hdr(0, 0)).payload(b"still"))
            .owned()
            .map_err(|e| format!("echo after the refused unload: {e}"))?;
        eq("payload", r.payload.as_deref(), Some(&b"still"[..]))?;
        drop(c);
        touch(&d.join("closed"));
        Ok(())
    })();
    if let Err(e) = &r {
        println!("NLSPEC-CASE FAIL held-socket: {e}");
        touch(&d.join("closed"));
    }
    let _ = wait_file(&d.join("unloaded"));
    case("protocol-gone-after-unload", || match NlSocket::open(PROTONUM) {
        Ok(_) => Err("protocol 25 still opens after rmmod".into()),
        Err(e) => eq("errno", e.errno(), Some(EPROTONOSUPPORT)),
    });
    touch(&d.join("checked"));
    let _ = wait_file(&d.join("reloaded"));
    case("echo-after-reload", || {
        let mut c = client()?;
        let r = c.echo(&EchoRequest::new(hdr(5, 5)).payload(b"again")).owned().map_err(|e| e.to_string())?;
        eq("payload", r.payload.as_deref(), Some(&b"again"[..]))?;
        let mut l = client()?;
        l.subscribe(Group::Ticks).map_err(|e| e.to_string())?;
        match l.recv_notification_timeout(Duration::from_secs(30)).map_err(|e| e.to_string())? {
            Some(Notification::Tick(t)) => {
                let t = t.attrs.to_owned().map_err(|e| e.to_string())?;
                ensure(t.tick.is_some_and(|n| n < 100), || "tick count did not restart".into())
            }
            _ => Err("no tick within 30 s after reload".into()),
        }
    });
    if r.is_ok() && FAILED.load(Ordering::SeqCst) == 0 {
        0
    } else {
        1
    }
}

/// Run in a fresh network namespace: the module created a unit there too.
fn in_netns() -> i32 {
    case("netns-echo", || {
        let netns = std::fs::read_link("/proc/self/ns/net").map_err(|e| e.to_string())?;
        let init = std::fs::read_link("/proc/1/ns/net").map_err(|e| e.to_string())?;
        ensure(netns != init, || format!("not in a namespace of its own ({})", netns.display()))?;
        let mut c = client()?;
        let r = c.echo(&EchoRequest::new(hdr(9, 9)).payload(b"in a netns")).owned().map_err(|e| e.to_string())?;
        eq("payload", r.payload.as_deref(), Some(&b"in a netns"[..]))
    });
    case("netns-broadcast", || {
        let mut c = client()?;
        c.subscribe(Group::Ticks).map_err(|e| e.to_string())?;
        match c.recv_notification_timeout(Duration::from_secs(30)).map_err(|e| e.to_string())? {
            Some(Notification::Tick(t)) => t.attrs.to_owned().map(|_| ()).map_err(|e| e.to_string()),
            _ => Err("no tick within 30 s in the namespace".into()),
        }
    });
    if FAILED.load(Ordering::SeqCst) == 0 {
        0
    } else {
        1
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rc = match args.first().map(String::as_str) {
        None | Some("suite") => suite(),
        Some("listen") => {
            let sub = args.get(1).map(String::as_str) == Some("1");
            let ms = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
            let want = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
            listen(sub, ms, want)
        }
        Some("chat-peer") => chat_peer(),
        Some("as-nobody") => as_nobody(),
        Some("userns") => userns(args.get(1).map(String::as_str).unwrap_or("")),
        Some("netns") => in_netns(),
        Some("hold") => hold(args.get(1).map(String::as_str).unwrap_or("/tmp/hold")),
        Some(other) => {
            eprintln!("nlbus-vmtest: unknown mode {other}");
            2
        }
    };
    std::process::exit(rc);
}

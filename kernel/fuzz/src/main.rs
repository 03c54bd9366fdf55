//! `nlspec-kfuzz`: a fuzzer for nlspec-generated kernel modules, run inside the test guest
//! (`cargo xtask vm-test`'s `kfuzz` suite, `cargo xtask vm-fuzz`). It drives any Generic Netlink
//! family from its YNL spec, with no per-family code: the spec is loaded with `nlspec_model`,
//! requests are encoded and replies decoded with the CLI's run-time codec
//! (`nlspec_cli::dynamic`), and the bytes go through a raw socket ([`sys`]).
//!
//! Modes (`nlspec-kfuzz MODE --spec FILE ...`):
//! - `fuzz [--seed N] [--seconds N | --requests N] [--workers N] [--gone-ok] [--case NAME]`:
//!   worker threads (each its own socket) send random valid requests of every op's do and dump
//!   (policy must accept them), boundary cases of every check (validation must accept at the
//!   limit and reject one step beyond, the extended ACK naming the attribute), and mutated
//!   requests ([`mutate`]); a churn thread starts dumps and abandons them after one datagram or
//!   none, and joins every multicast group and drops the socket. Every exchange ends with a sync
//!   marker, so a request the kernel never answers is a hang. Replies must decode per the spec.
//!   Prints the seed first and the counts per op, per mutation and per errno at the end.
//!   `--gone-ok`: the family may vanish mid-run (unload under load): no expectation checks.
//! - `check [--case NAME]`: every boundary case once and a valid request of every form;
//!   after a reload, the module still answers as the spec says.
//! - `hold --dir D`: holds sockets across an unload (one joined to every group, one with a
//!   dump read one datagram in, one idle); see [`hold`] for the signal files.
//!
//! With `--case NAME` the verdict is also printed as `NLSPEC-CASE PASS|FAIL NAME: ...` (the VM
//! suites' protocol). Exit status: 0 clean, 1 failures found, 2 bad usage or setup.

mod gen;
mod mutate;
mod rng;
mod sys;
mod wire;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nlspec_cli::dynamic::{Decoder, Encoder};
use nlspec_model::ir::Family;
use serde_json::Value as J;

use gen::{Case, Form, Gen};
use rng::Rng;
use sys::RawSock;
use wire::{ErrInfo, Msg};

/// How long one exchange may take before it counts as a hang (TCG + KASAN is slow).
const HANG: Duration = Duration::from_secs(20);
/// Unanswered exchanges in a row after which a worker stops (the family or the kernel is stuck:
/// going on would only multiply the timeout).
const MAX_HANGS: u32 = 3;
/// Failures printed in full per run.
const SHOW_FAILURES: usize = 12;

const EINVAL: i32 = 22;
const ERANGE: i32 = 34;

struct Opts {
    mode: String,
    spec: PathBuf,
    seed: Option<u64>,
    seconds: Option<u64>,
    requests: Option<u64>,
    workers: usize,
    gone_ok: bool,
    case: Option<String>,
    dir: Option<PathBuf>,
}

fn parse_args() -> Result<Opts, String> {
    let mut a = std::env::args().skip(1);
    let mode = a.next().ok_or("usage: nlspec-kfuzz fuzz|check|hold --spec FILE [options]")?;
    let mut o = Opts {
        mode,
        spec: PathBuf::new(),
        seed: None,
        seconds: None,
        requests: None,
        workers: 2,
        gone_ok: false,
        case: None,
        dir: None,
    };
    let num = |k: &str, v: Option<String>| -> Result<u64, String> {
        let v = v.ok_or(format!("{k} wants a value"))?;
        let (digits, radix) = match v.strip_prefix("0x") {
            Some(h) => (h, 16),
            None => (v.as_str(), 10),
        };
        u64::from_str_radix(digits, radix).map_err(|_| format!("{k}: `{v}` is not a number"))
    };
    while let Some(k) = a.next() {
        match k.as_str() {
            "--spec" => o.spec = PathBuf::from(a.next().ok_or("--spec wants a file")?),
            "--seed" => o.seed = Some(num(&k, a.next())?),
            "--seconds" => o.seconds = Some(num(&k, a.next())?),
            "--requests" => o.requests = Some(num(&k, a.next())?),
            "--workers" => o.workers = num(&k, a.next())?.clamp(1, 64) as usize,
            "--gone-ok" => o.gone_ok = true,
            "--case" => o.case = Some(a.next().ok_or("--case wants a name")?),
            "--dir" => o.dir = Some(PathBuf::from(a.next().ok_or("--dir wants a directory")?)),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if o.spec.as_os_str().is_empty() {
        return Err("--spec FILE is required".into());
    }
    Ok(o)
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("nlspec-kfuzz: {e}");
            std::process::exit(2);
        }
    };
    let fam = match nlspec_model::load_and_resolve(&o.spec) {
        Ok(f) => f,
        Err(d) => {
            eprintln!("nlspec-kfuzz: {}: {d}", o.spec.display());
            std::process::exit(2);
        }
    };
    let code = match o.mode.as_str() {
        "fuzz" | "check" => run(&o, &fam),
        "hold" => hold(&o, &fam),
        m => {
            eprintln!("nlspec-kfuzz: unknown mode `{m}` (fuzz, check, hold)");
            2
        }
    };
    std::process::exit(code);
}

fn verdict(o: &Opts, ok: bool, detail: &str) {
    if let Some(c) = &o.case {
        println!("NLSPEC-CASE {} {c}: {detail}", if ok { "PASS" } else { "FAIL" });
    }
}

/// Counts of one op form.
#[derive(Default, Clone)]
struct OpStats {
    sent: u64,
    accepted: u64,
    rejected: BTreeMap<String, u64>,
    silent: u64,
}

/// Everything a run counts, merged from the threads.
#[derive(Default)]
struct Stats {
    ops: BTreeMap<String, OpStats>,
    kinds: BTreeMap<String, u64>,
    failures: Vec<String>,
    failure_count: u64,
    decoded: u64,
}

impl Stats {
    fn fail(&mut self, what: String) {
        self.failure_count += 1;
        if self.failures.len() < SHOW_FAILURES {
            self.failures.push(what);
        }
    }
    fn merge(&mut self, o: Stats) {
        for (k, v) in o.ops {
            let e = self.ops.entry(k).or_default();
            e.sent += v.sent;
            e.accepted += v.accepted;
            e.silent += v.silent;
            for (n, c) in v.rejected {
                *e.rejected.entry(n).or_default() += c;
            }
        }
        for (k, v) in o.kinds {
            *self.kinds.entry(k).or_default() += v;
        }
        for f in o.failures {
            if self.failures.len() < SHOW_FAILURES {
                self.failures.push(f);
            }
        }
        self.failure_count += o.failure_count;
        self.decoded += o.decoded;
    }
    fn kind(&mut self, k: &str) {
        *self.kinds.entry(k.to_string()).or_default() += 1;
    }
}

/// What the kernel said to one request.
struct Answer {
    /// The error/ACK (or a dump's DONE status) for the request's sequence number.
    end: Option<ErrInfo>,
    /// Data messages for the request.
    data: Vec<Msg>,
    /// The socket overran (`ENOBUFS`) during the exchange: part of the answer may have been
    /// dropped by the kernel, so what is here is not the whole answer.
    overrun: bool,
}

/// Sends `req` (sequence `seq`) and a sync marker, and reads until the marker's ACK and the
/// request's end (if the request got any answer). `Err` is a hang or a malformed answer.
///
/// The socket can overrun while the request runs (a watch's ticks to this port pile up during a
/// long fill, say): the kernel then drops what does not fit, the sync marker's ACK among it, and
/// the next receive says `ENOBUFS`. The queue is then drained (the kernel queues again only once
/// it has emptied), the marker sent again (its ACK, old or new, still means everything before it
/// was queued or dropped) and the answer marked incomplete.
fn exchange(sock: &RawSock, req: &[u8], seq: u32, buf: &mut Vec<u8>) -> Result<Answer, String> {
    let sync = seq.wrapping_add(1);
    if let Err(e) = sock.send(req) {
        // the kernel refused the datagram itself (e.g. too large): an answer like any other
        return Ok(Answer {
            end: Some(ErrInfo { errno: e.raw_os_error().unwrap_or(0), ..ErrInfo::default() }),
            data: Vec::new(),
            overrun: false,
        });
    }
    let marker = wire::sync_msg(sync);
    sock.send(&marker).map_err(|e| format!("sending the sync marker: {e}"))?;
    let mut ans = Answer { end: None, data: Vec::new(), overrun: false };
    let (mut synced, mut multi, mut draining) = (false, false, false);
    let started = Instant::now();
    loop {
        match sock.recv(buf, draining) {
            Ok(true) => {}
            Ok(false) if draining => {
                draining = false;
                sock.send(&marker).map_err(|e| format!("sending the sync marker again: {e}"))?;
                continue;
            }
            Ok(false) => {
                return Err(format!(
                    "no answer after {:.0} s (synced {synced}, multi {multi}, {} data messages)",
                    started.elapsed().as_secs_f64(),
                    ans.data.len()
                ))
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                ans.overrun = true;
                draining = true;
                continue;
            }
            Err(e) => return Err(format!("recv: {e}")),
        }
        for m in wire::split(buf)? {
            if m.seq == sync && m.ty == wire::NLMSG_ERROR {
                synced = true;
                continue;
            }
            if m.seq != seq {
                continue;
            }
            match m.ty {
                wire::NLMSG_ERROR => ans.end = Some(wire::parse_err(&m.payload, m.flags, false)?),
                wire::NLMSG_DONE => ans.end = Some(wire::parse_err(&m.payload, m.flags, true)?),
                _ => {
                    multi |= m.flags & wire::F_MULTI != 0;
                    ans.data.push(m);
                }
            }
        }
        if synced && (ans.end.is_some() || !multi || ans.overrun) {
            return Ok(ans);
        }
    }
}

/// The family as resolved in the running kernel, and what the run needs of the spec.
struct Target<'f> {
    fam: &'f Family,
    id: u16,
    groups: Vec<u32>,
    forms: Vec<Form<'f>>,
    cases: Vec<Vec<Case>>,
    cmds: Vec<u8>,
}

fn resolve(fam: &Family) -> Result<(u16, Vec<u32>), String> {
    let mut s = nlspec_rt::GenlSocket::new().map_err(|e| format!("socket: {e}"))?;
    let info = s.resolve_family(&fam.name).map_err(|e| format!("resolving family {}: {e}", fam.name))?;
    Ok((info.id, info.mcast_groups.iter().map(|g| g.1).collect()))
}

fn target<'f>(fam: &'f Family) -> Result<Target<'f>, String> {
    let (id, groups) = resolve(fam)?;
    let forms = gen::forms(fam);
    let cases = forms.iter().map(|f| gen::boundary_cases(fam, f)).collect();
    let cmds = fam.ops.list.iter().filter_map(|o| o.req_value).map(|v| v as u8).collect();
    Ok(Target { fam, id, groups, forms, cases, cmds })
}

/// A worker's loop state.
struct Worker<'t, 'f> {
    t: &'t Target<'f>,
    sock: RawSock,
    rng: Rng,
    seq: u32,
    buf: Vec<u8>,
    st: Stats,
    /// Exchanges in a row the kernel did not finish: [`MAX_HANGS`] end the worker.
    hangs: u32,
}

impl<'f> Worker<'_, 'f> {
    fn encode(&mut self, f: &Form<'f>, obj: &serde_json::Map<String, J>) -> Option<(Vec<u8>, usize)> {
        let enc = Encoder::new(self.t.fam);
        match enc.message(f.op.attribute_set, f.op.fixed_header, obj) {
            Ok((hdr, attrs)) => {
                self.seq = self.seq.wrapping_add(2);
                let flags = wire::F_REQUEST | wire::F_ACK | if f.dump { wire::F_DUMP } else { 0 };
                let msg = wire::genl_msg(self.t.id, flags, self.seq, f.cmd(), self.t.fam.version as u8, &hdr, &attrs);
                Some((msg, wire::NLMSG_HDRLEN + wire::GENL_HDRLEN + hdr.len()))
            }
            Err(e) => {
                let j = J::Object(obj.clone());
                self.st.fail(format!("{}: the generator's request does not encode: {e}: {j}", f.label()));
                None
            }
        }
    }

    /// Sends `msg` for form `f`, counts the answer, decodes data replies; `None` on a hang or an
    /// answer the socket's overrun left incomplete (nothing to judge it by).
    fn send(&mut self, f: &Form<'f>, msg: &[u8], kind: &str) -> Option<Answer> {
        self.st.kind(kind);
        let label = f.label();
        let seq = u32::from_ne_bytes(msg.get(8..12).and_then(|b| b.try_into().ok()).unwrap_or([0; 4]));
        let seq = if msg.len() >= 12 { seq } else { self.seq };
        let ans = match exchange(&self.sock, msg, seq, &mut self.buf) {
            Ok(a) => a,
            Err(e) => {
                self.hangs += 1;
                self.st.fail(format!("{label} ({kind}): {e}; request {}", hexdump(msg)));
                // a fresh socket, so one stuck exchange does not fail every later one
                if let Ok(s) = RawSock::open(HANG) {
                    self.sock = s;
                }
                return None;
            }
        };
        self.hangs = 0;
        if ans.overrun {
            // not the whole answer: decode what came, judge nothing
            self.st.kind("answer incomplete: the socket overran (ENOBUFS), resynced");
            for m in &ans.data {
                self.decode(m);
            }
            return None;
        }
        let os = self.st.ops.entry(label.clone()).or_default();
        os.sent += 1;
        match &ans.end {
            Some(e) if e.errno != 0 => *os.rejected.entry(wire::errno_name(e.errno)).or_default() += 1,
            None if ans.data.is_empty() => os.silent += 1,
            _ => os.accepted += 1,
        }
        for m in &ans.data {
            self.decode(m);
        }
        Some(ans)
    }

    fn decode(&mut self, m: &Msg) {
        if m.ty != self.t.id || m.payload.len() < wire::GENL_HDRLEN {
            return;
        }
        let fam = self.t.fam;
        let Some(op) = fam.op_by_rsp_value(m.payload[0] as u32) else {
            self.st.fail(format!("reply with command {} the spec does not have", m.payload[0]));
            return;
        };
        let fixed = op.fixed_header.and_then(|s| fam.struct_(s).size).unwrap_or(0);
        let body = &m.payload[wire::GENL_HDRLEN..];
        if body.len() < fixed {
            self.st.fail(format!("{} reply shorter than its fixed header", op.name));
            return;
        }
        match Decoder::new(fam).message(op.attribute_set, &body[fixed..], op.fixed_header, &body[..fixed]) {
            Ok(_) => self.st.decoded += 1,
            Err(e) => self.st.fail(format!("{} reply does not decode per the spec: {e}", op.name)),
        }
    }

    fn valid(&mut self, fi: usize) {
        let f = self.t.forms[fi];
        let obj = Gen { fam: self.t.fam }.request(&mut self.rng, &f);
        let Some((msg, _)) = self.encode(&f, &obj) else { return };
        let Some(ans) = self.send(&f, &msg, "valid") else { return };
        // a handler may refuse a request naming an attribute (no such key, ...); the policy may not
        if let Some(e) = ans.end.filter(|e| e.by_policy() && self.check_expectations(&f)) {
            self.st.fail(format!(
                "{}: policy validation rejected a valid request: {} ({}) at offset {:?}; request {}",
                f.label(),
                wire::errno_name(e.errno),
                e.msg.unwrap_or_default(),
                e.offs,
                J::Object(obj)
            ));
        }
    }

    fn check_expectations(&self, f: &Form<'_>) -> bool {
        !self.t_gone_ok() && f.op.config_cond.is_none()
    }

    fn t_gone_ok(&self) -> bool {
        GONE_OK.load(Ordering::Relaxed)
    }

    fn boundary(&mut self, fi: usize, ci: usize) {
        let f = self.t.forms[fi];
        let c = self.t.cases[fi][ci].clone();
        let Some((mut msg, attrs_at)) = self.encode(&f, &c.obj) else { return };
        let Some(at) = wire::locate(&msg[attrs_at..], &c.path).map(|o| o + attrs_at) else {
            self.st.fail(format!("{}: {}: attribute not found in the encoding", f.label(), c.what));
            return;
        };
        if c.shorten {
            let l = u16::from_ne_bytes([msg[at], msg[at + 1]]) - 1;
            msg[at..at + 2].copy_from_slice(&l.to_ne_bytes());
        }
        let Some(ans) = self.send(&f, &msg, if c.reject { "boundary-reject" } else { "boundary-accept" }) else {
            return;
        };
        if !self.check_expectations(&f) {
            return;
        }
        let e = ans.end.unwrap_or_default();
        let named = matches!(e.errno, EINVAL | ERANGE) && e.offs == Some(at as u32) && e.by_policy();
        if c.reject != named {
            self.st.fail(format!(
                "{}: {}: expected {}, got {} (extack {:?}, offset {:?}, policy {}, attribute at {at})",
                f.label(),
                c.what,
                if c.reject {
                    "policy validation to reject naming the attribute"
                } else {
                    "policy validation to accept"
                },
                wire::errno_name(e.errno),
                e.msg.unwrap_or_default(),
                e.offs,
                e.policy
            ));
        } else {
            self.st.kind(if c.reject { "boundary-reject-ok" } else { "boundary-accept-ok" });
        }
    }

    fn mutated(&mut self, fi: usize) {
        let f = self.t.forms[fi];
        let obj = Gen { fam: self.t.fam }.request(&mut self.rng, &f);
        let Some((msg, attrs_at)) = self.encode(&f, &obj) else { return };
        let max_type = f.op.attribute_set.map(|s| self.t.fam.set(s).max_value).unwrap_or(0);
        let (m, name) = mutate::mutate(&mut self.rng, &msg, attrs_at, max_type, &self.t.cmds);
        self.st.kind(&format!("mutation {name}"));
        self.send(&f, &m, "mutated");
    }

    fn step(&mut self) {
        let fi = self.rng.below(self.t.forms.len() as u64) as usize;
        match self.rng.below(10) {
            0..=3 => self.valid(fi),
            4..=5 if !self.t.cases[fi].is_empty() => {
                let ci = self.rng.below(self.t.cases[fi].len() as u64) as usize;
                self.boundary(fi, ci)
            }
            _ => self.mutated(fi),
        }
    }

    /// `check`: every boundary case once, then one valid request per form.
    fn check_all(&mut self) {
        for fi in 0..self.t.forms.len() {
            for ci in 0..self.t.cases[fi].len() {
                if self.hangs >= MAX_HANGS {
                    return;
                }
                self.boundary(fi, ci);
            }
            self.valid(fi);
        }
    }
}

static GONE_OK: AtomicBool = AtomicBool::new(false);

/// The churn thread: dumps abandoned after one datagram or none, groups joined and dropped.
fn churn(t: &Target<'_>, seed: u64, stop: &AtomicBool, st: &mut Stats) {
    let mut rng = Rng::for_worker(seed, 1000);
    let dumps: Vec<&Form<'_>> = t.forms.iter().filter(|f| f.dump).collect();
    let g = Gen { fam: t.fam };
    let mut buf = Vec::new();
    let mut seq = 1u32;
    while !stop.load(Ordering::Relaxed) {
        // short receive timeout: a dump that answers nothing yet is abandoned all the same
        let Ok(sock) = RawSock::open(Duration::from_millis(500)) else {
            st.fail("churn: cannot open a socket".into());
            return;
        };
        match (rng.below(3), rng.pick(&dumps)) {
            (0 | 1, Some(f)) => {
                let obj = g.request(&mut rng, f);
                let Ok((hdr, attrs)) = Encoder::new(t.fam).message(f.op.attribute_set, f.op.fixed_header, &obj) else {
                    continue;
                };
                seq = seq.wrapping_add(1);
                let msg = wire::genl_msg(
                    t.id,
                    wire::F_REQUEST | wire::F_DUMP,
                    seq,
                    f.cmd(),
                    t.fam.version as u8,
                    &hdr,
                    &attrs,
                );
                let _ = sock.send(&msg);
                if rng.chance(1, 2) {
                    let _ = sock.recv(&mut buf, false);
                    st.kind("churn dump-abandoned-after-one-read");
                } else {
                    st.kind("churn dump-abandoned-unread");
                }
            }
            _ => {
                for g in &t.groups {
                    if let Err(e) = sock.join(*g) {
                        st.fail(format!("churn: joining group {g}: {e}"));
                    }
                }
                let _ = sock.recv(&mut buf, true);
                st.kind("churn groups-joined-and-dropped");
            }
        }
        drop(sock);
    }
}

fn run(o: &Opts, fam: &Family) -> i32 {
    let check = o.mode == "check";
    GONE_OK.store(o.gone_ok, Ordering::Relaxed);
    let seed = o.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    });
    let t = match target(fam) {
        Ok(t) => t,
        Err(e) if o.gone_ok => {
            println!("kfuzz {}: {e} (family gone, as --gone-ok allows)", fam.name);
            return 0;
        }
        Err(e) => {
            println!("kfuzz {}: {e}", fam.name);
            verdict(o, false, &e);
            return 1;
        }
    };
    if t.forms.is_empty() {
        println!("kfuzz {}: no op a client can send", fam.name);
        verdict(o, true, "no op a client can send");
        return 0;
    }
    let ncases: usize = t.cases.iter().map(Vec::len).sum();
    println!(
        "kfuzz {}: mode {}, seed {seed:#x} (replay: --seed {seed:#x}), family id {}, {} forms, {ncases} boundary cases, {} groups",
        fam.name, o.mode, t.id, t.forms.len(), t.groups.len()
    );
    let started = Instant::now();
    let mut total = Stats::default();
    if check {
        let Ok(sock) = RawSock::open(HANG) else {
            verdict(o, false, "cannot open a socket");
            return 2;
        };
        let mut w =
            Worker { t: &t, sock, rng: Rng::new(seed), seq: 1, buf: Vec::new(), st: Stats::default(), hangs: 0 };
        w.check_all();
        total.merge(w.st);
    } else {
        let deadline = o.seconds.map(|s| started + Duration::from_secs(s));
        let budget = o.requests.unwrap_or(if deadline.is_none() { 1000 } else { u64::MAX });
        let sent = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        let merged = Mutex::new(Stats::default());
        std::thread::scope(|s| {
            for i in 0..o.workers {
                let (t, sent, stop, merged) = (&t, &sent, &stop, &merged);
                s.spawn(move || {
                    let Ok(sock) = RawSock::open(HANG) else { return };
                    let mut w = Worker {
                        t,
                        sock,
                        rng: Rng::for_worker(seed, i as u64),
                        seq: 1,
                        buf: Vec::new(),
                        st: Stats::default(),
                        hangs: 0,
                    };
                    while !stop.load(Ordering::Relaxed) && w.hangs < MAX_HANGS {
                        if sent.fetch_add(1, Ordering::Relaxed) >= budget
                            || deadline.is_some_and(|d| Instant::now() >= d)
                        {
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                        w.step();
                    }
                    merged.lock().unwrap_or_else(|p| p.into_inner()).merge(w.st);
                });
            }
            let (t, stop, merged) = (&t, &stop, &merged);
            s.spawn(move || {
                let mut st = Stats::default();
                churn(t, seed, stop, &mut st);
                merged.lock().unwrap_or_else(|p| p.into_inner()).merge(st);
            });
        });
        total = merged.into_inner().unwrap_or_else(|p| p.into_inner());
    }
    report(o, fam, &total, started.elapsed(), seed)
}

fn report(o: &Opts, fam: &Family, st: &Stats, took: Duration, seed: u64) -> i32 {
    let n = &fam.name;
    let (mut sent, mut accepted, mut silent) = (0, 0, 0);
    let mut rejected: BTreeMap<String, u64> = BTreeMap::new();
    for (label, s) in &st.ops {
        sent += s.sent;
        accepted += s.accepted;
        silent += s.silent;
        let rej: Vec<String> = s.rejected.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        println!(
            "kfuzz {n} op {label}: sent {}, accepted {}, rejected {} [{}], no answer {}",
            s.sent,
            s.accepted,
            s.rejected.values().sum::<u64>(),
            rej.join(" "),
            s.silent
        );
        for (k, v) in &s.rejected {
            *rejected.entry(k.clone()).or_default() += v;
        }
    }
    for (k, v) in &st.kinds {
        println!("kfuzz {n} {k}: {v}");
    }
    let rej: Vec<String> = rejected.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    let summary = format!(
        "{sent} requests in {:.1} s, accepted {accepted}, rejected {} [{}], no answer {silent}, replies decoded {}, failures {} (seed {seed:#x})",
        took.as_secs_f64(),
        rejected.values().sum::<u64>(),
        rej.join(" "),
        st.decoded,
        st.failure_count
    );
    println!("kfuzz {n} total: {summary}");
    for f in &st.failures {
        println!("kfuzz {n} FAILURE: {f}");
    }
    let ok = st.failure_count == 0 && sent > 0;
    let why = match st.failures.first() {
        Some(f) if !ok => format!("{f} ({} failures; {summary})", st.failure_count),
        _ if !ok => format!("nothing sent; {summary}"),
        _ => summary,
    };
    verdict(o, ok, &why);
    if ok {
        0
    } else {
        1
    }
}

fn hexdump(b: &[u8]) -> String {
    let shown: String = b.iter().take(64).map(|x| format!("{x:02x}")).collect();
    if b.len() > 64 {
        format!("{shown}.. ({} bytes)", b.len())
    } else {
        shown
    }
}

fn wait_file(p: &Path, limit: Duration) -> bool {
    let t = Instant::now();
    while !p.exists() {
        if t.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

fn touch(p: &Path) {
    if let Err(e) = std::fs::write(p, b"") {
        eprintln!("nlspec-kfuzz: writing {}: {e}", p.display());
    }
}

/// `hold --dir D`: opens a socket joined to every group, one with a dump read one datagram in,
/// and an idle one; touches `D/held`. On `D/release` it reads the dump to its end and touches
/// `D/released` (the script's first `rmmod` ran while the dump was open: refused or not, it
/// must be clean). On `D/unloaded` the idle socket sends a request to the vanished family,
/// which must be answered (not hang), the subscribed one is read, then `D/done`.
fn hold(o: &Opts, fam: &Family) -> i32 {
    let Some(dir) = &o.dir else {
        eprintln!("nlspec-kfuzz: hold wants --dir");
        return 2;
    };
    let t = match target(fam) {
        Ok(t) => t,
        Err(e) => {
            verdict(o, false, &e);
            return 1;
        }
    };
    let mut fails = Vec::new();
    let mut notes = Vec::new();
    let open = || RawSock::open(HANG).map_err(|e| e.to_string());
    let (sub, dumper, idle) = match (open(), open(), open()) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        _ => {
            verdict(o, false, "cannot open sockets");
            return 1;
        }
    };
    for g in &t.groups {
        if let Err(e) = sub.join(*g) {
            fails.push(format!("joining group {g}: {e}"));
        }
    }
    let mut buf = Vec::new();
    let dump_seq = 77u32;
    if let Some(f) =
        t.forms.iter().find(|f| f.dump && gen::request_attrs(fam, f).is_empty()).or(t.forms.iter().find(|f| f.dump))
    {
        let msg = wire::genl_msg(t.id, wire::F_REQUEST | wire::F_DUMP, dump_seq, f.cmd(), fam.version as u8, &[], &[]);
        match dumper.send(&msg).and_then(|()| dumper.recv(&mut buf, false)) {
            Ok(true) => notes.push(format!("dump {} open after one datagram", f.label())),
            Ok(false) => fails.push(format!("dump {}: no first datagram", f.label())),
            Err(e) => fails.push(format!("dump {}: {e}", f.label())),
        }
    }
    touch(&dir.join("held"));
    if !wait_file(&dir.join("release"), Duration::from_secs(300)) {
        fails.push("no release signal".into());
    }
    // the rest of the dump, to its end (or an error): never a hang
    let mut ended = buf.is_empty();
    let t0 = Instant::now();
    while !ended {
        match wire::split(&buf) {
            Ok(msgs) => ended = msgs.iter().any(|m| m.ty == wire::NLMSG_DONE || m.ty == wire::NLMSG_ERROR),
            Err(e) => {
                fails.push(format!("dump: {e}"));
                break;
            }
        }
        if ended {
            break;
        }
        match dumper.recv(&mut buf, false) {
            Ok(true) => {}
            Ok(false) => {
                fails.push(format!("dump did not end within {:.0} s", t0.elapsed().as_secs_f64()));
                break;
            }
            Err(e) => {
                fails.push(format!("dump recv: {e}"));
                break;
            }
        }
    }
    touch(&dir.join("released"));
    if !wait_file(&dir.join("unloaded"), Duration::from_secs(300)) {
        fails.push("no unloaded signal".into());
    }
    if let Some(f) = t.forms.first() {
        let msg = wire::genl_msg(t.id, wire::F_REQUEST | wire::F_ACK, 91, f.cmd(), fam.version as u8, &[], &[]);
        match exchange(&idle, &msg, 91, &mut buf) {
            Ok(a) => notes.push(format!(
                "request to the unloaded family: {}",
                wire::errno_name(a.end.map(|e| e.errno).unwrap_or(0))
            )),
            Err(e) => fails.push(format!("request after unload: {e}")),
        }
    }
    match sub.recv(&mut buf, true) {
        Ok(_) => {}
        Err(e) => notes.push(format!("subscribed socket after unload: {e}")),
    }
    drop((sub, dumper, idle));
    touch(&dir.join("done"));
    let ok = fails.is_empty();
    verdict(o, ok, &if ok { notes.join("; ") } else { fails.join("; ") });
    if ok {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// nlctrl's getfamily of "nlctrl" with an ACK asked for (the host kernel answers it).
    fn getfamily(seq: u32) -> Vec<u8> {
        let name = b"nlctrl\0";
        let mut attrs = Vec::new();
        attrs.extend_from_slice(&(4 + name.len() as u16).to_ne_bytes());
        attrs.extend_from_slice(&2u16.to_ne_bytes()); // CTRL_ATTR_FAMILY_NAME
        attrs.extend_from_slice(name);
        attrs.resize(attrs.len().next_multiple_of(4), 0);
        wire::genl_msg(0x10, wire::F_REQUEST | wire::F_ACK, seq, 3, 1, &[], &attrs)
    }

    /// A socket that overran before or during an exchange (the kernel dropped answers, the sync
    /// marker's ACK among them) ends the exchange with an incomplete answer instead of waiting
    /// for an ACK that will never come; the next exchange is whole again.
    #[test]
    fn an_overrun_socket_resyncs_instead_of_hanging() {
        let sock = RawSock::open(Duration::from_secs(5)).unwrap();
        // room for one exchange's answers, not for 64
        sock.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, 16 << 10, "SO_RCVBUF").unwrap();
        for i in 0..64 {
            sock.send(&getfamily(1000 + 2 * i)).unwrap();
        }
        let mut buf = Vec::new();
        let started = Instant::now();
        let a = exchange(&sock, &getfamily(2), 2, &mut buf).unwrap();
        assert!(a.overrun, "the socket did not overrun: the test proves nothing");
        assert!(started.elapsed() < Duration::from_secs(4), "waited for the receive timeout");
        let b = exchange(&sock, &getfamily(4), 4, &mut buf).unwrap();
        assert!(!b.overrun);
        assert_eq!(b.end.map(|e| e.errno), Some(0));
        assert_eq!(b.data.len(), 1);
    }
}

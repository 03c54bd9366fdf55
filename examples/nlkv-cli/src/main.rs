//! `nlkv`: a small command-line front end to the nlkv in-kernel key-value store, written against
//! the client nlspec generated from `specs/nlkv.yaml` (crate `nlspec-nlkv`).
//!
//! ```text
//! nlkv set greeting "hello" --label demo --ttl 60000
//! nlkv get greeting
//! nlkv incr hits 5
//! nlkv flags greeting +secret -persistent
//! nlkv list --prefix gr
//! nlkv fill item- 100 && nlkv clear
//! nlkv watch --audit
//! nlkv ticks 5 200
//! ```

use clap::{Arg, ArgAction, ArgMatches, Command};
use nlspec_nlkv::{
    ClearRequest, Client, DeleteRequest, Entry, EntryFlags, FillRequest, GetDumpRequest, GetRequest, Group,
    IncrRequest, Kind, KvHdr, Notification, SetRequest, UpdateFlagsRequest, WatchRequest,
};
use nlspec_rt::{DecodeError, Required};
use std::net::Ipv4Addr;

fn cli() -> Command {
    let key = || Arg::new("key").required(true).help("entry key");
    Command::new("nlkv")
        .about("Talk to the nlkv in-kernel key-value store (Generic Netlink family `nlkv`)")
        .arg(
            Arg::new("ns")
                .long("ns")
                .global(true)
                .default_value("0")
                .value_parser(clap::value_parser!(u32))
                .help("namespace"),
        )
        .subcommand_required(true)
        .subcommand(
            Command::new("set")
                .about("create or replace an entry")
                .arg(key())
                .arg(Arg::new("value").help("the value (text unless --kind says otherwise)"))
                .arg(Arg::new("kind").long("kind").value_parser(["text", "blob", "counter"]))
                .arg(Arg::new("flags").long("flags").help("comma-separated: persistent,readonly,secret"))
                .arg(Arg::new("ttl").long("ttl").value_parser(clap::value_parser!(u64)).help("lifetime in ms"))
                .arg(
                    Arg::new("priority")
                        .long("priority")
                        .value_parser(clap::value_parser!(i8))
                        .allow_negative_numbers(true),
                )
                .arg(Arg::new("tag").long("tag").action(ArgAction::Append).help("NAME or NAME=WEIGHT (repeatable)"))
                .arg(Arg::new("label").long("label").action(ArgAction::Append).help("repeatable"))
                .arg(Arg::new("owner").long("owner").help("IPV4:PORT of the writer"))
                .arg(
                    Arg::new("create-only")
                        .long("create-only")
                        .action(ArgAction::SetTrue)
                        .help("fail if the key exists"),
                ),
        )
        .subcommand(Command::new("get").about("show one entry").arg(key()))
        .subcommand(
            Command::new("list")
                .about("dump the namespace")
                .arg(Arg::new("prefix").long("prefix").help("only keys starting with this"))
                .arg(Arg::new("kind").long("kind").value_parser(["text", "blob", "counter"]))
                .arg(Arg::new("flags").long("flags").help("only entries with all these flags")),
        )
        .subcommand(Command::new("delete").about("remove an entry").arg(key()))
        .subcommand(Command::new("incr").about("add to a counter (created at 0)").arg(key()).arg(
            Arg::new("delta").default_value("1").value_parser(clap::value_parser!(i64)).allow_negative_numbers(true),
        ))
        .subcommand(
            Command::new("flags")
                .about("change flags: +name sets, -name clears")
                .arg(key())
                .arg(Arg::new("changes").required(true).num_args(1..).allow_hyphen_values(true)),
        )
        .subcommand(
            Command::new("fill")
                .about("create COUNT counters PREFIX0..")
                .arg(Arg::new("prefix").required(true))
                .arg(Arg::new("count").required(true).value_parser(clap::value_parser!(u32))),
        )
        .subcommand(Command::new("clear").about("remove every entry that is not persistent"))
        .subcommand(Command::new("watch").about("print change notifications as they come").arg(
            Arg::new("audit").long("audit").action(ArgAction::SetTrue).help("also evictions (needs CAP_NET_ADMIN)"),
        ))
        .subcommand(
            Command::new("ticks")
                .about("ask the module's timer for COUNT ticks, one every PERIOD ms, and print them")
                .arg(Arg::new("count").required(true).value_parser(clap::value_parser!(u32)))
                .arg(Arg::new("period").required(true).value_parser(clap::value_parser!(u32))),
        )
}

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn parse_flags(s: &str) -> Res<EntryFlags> {
    let mut f = EntryFlags::empty();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        f |= EntryFlags::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown flag `{name}` (persistent, readonly, secret)"))?;
    }
    Ok(f)
}

fn kind_arg(m: &ArgMatches) -> Option<Kind> {
    m.get_one::<String>("kind").and_then(|k| Kind::from_name(k))
}

/// One line per entry: key, then the attributes it has (each read here: a malformed one is the
/// error).
fn show(e: &Entry<'_>) -> Result<String, DecodeError> {
    let mut s = e.key()?.unwrap_or("?").to_string();
    let kind = e.kind()?;
    if let Some(k) = kind {
        s += &format!(" kind={}", k.name().unwrap_or("?"));
    }
    if let Some(v) = e.value()? {
        match std::str::from_utf8(v) {
            Ok(t) if kind != Some(Kind::BLOB) => s += &format!(" value={t:?}"),
            _ => s += &format!(" value=0x{}", v.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        }
    }
    if let Some(c) = e.counter()? {
        s += &format!(" counter={c}");
    }
    if let Some(f) = e.flags()?.filter(|f| !f.is_empty()) {
        s += &format!(" flags={}", f.names().collect::<Vec<_>>().join(","));
    }
    if let Some(t) = e.ttl_ms()? {
        s += &format!(" ttl={t}ms");
    }
    if let Some(p) = e.priority()?.filter(|p| *p != 0) {
        s += &format!(" priority={p}");
    }
    let mut tags = Vec::new();
    for t in e.tags()? {
        let (_, t) = t?;
        let name = t.name()?.unwrap_or("");
        tags.push(match t.weight()? {
            Some(w) => format!("{name}={w}"),
            None => name.to_string(),
        });
    }
    if !tags.is_empty() {
        s += &format!(" tags={}", tags.join(","));
    }
    let labels = e.label().collect::<Result<Vec<&str>, _>>()?;
    if !labels.is_empty() {
        s += &format!(" labels={}", labels.join(","));
    }
    if let (Some(a), Some(p)) = (e.owner_addr()?, e.owner_port()?) {
        s += &format!(" owner={a}:{p}");
    }
    if let Some(st) = e.stats()? {
        s += &format!(" reads={} writes={}", st.reads, st.writes);
    }
    if let Some(c) = e.change()? {
        s = format!("{}: {s}", c.name().unwrap_or("?"));
    }
    Ok(s)
}

fn run(m: &ArgMatches) -> Res {
    let h = KvHdr { ns: *m.get_one::<u32>("ns").unwrap_or(&0), reserved: 0 };
    let mut c = Client::new()?;
    if let Err(e) = c.family() {
        return Err(format!(
            "the nlkv Generic Netlink family is not available ({e}); is the module loaded (insmod nlkv.ko)?"
        )
        .into());
    }
    let key = |sm: &ArgMatches| sm.get_one::<String>("key").cloned().unwrap_or_default();
    match m.subcommand() {
        Some(("set", sm)) => {
            let mut r = SetRequest::new(h).key(&key(sm));
            if let Some(k) = kind_arg(sm) {
                r = r.kind(k);
            }
            if let Some(v) = sm.get_one::<String>("value") {
                r = r.value(v.as_bytes());
            }
            if let Some(f) = sm.get_one::<String>("flags") {
                r = r.flags(parse_flags(f)?);
            }
            if let Some(t) = sm.get_one::<u64>("ttl") {
                r = r.ttl_ms(*t);
            }
            if let Some(p) = sm.get_one::<i8>("priority") {
                r = r.priority(*p);
            }
            let tags: Vec<(String, Option<u16>)> = sm
                .get_many::<String>("tag")
                .into_iter()
                .flatten()
                .map(|t| match t.split_once('=') {
                    Some((n, w)) => {
                        w.parse().map(|w| (n.to_string(), Some(w))).map_err(|_| format!("bad tag weight in `{t}`"))
                    }
                    None => Ok((t.clone(), None)),
                })
                .collect::<Result<_, _>>()?;
            if !tags.is_empty() {
                r = r.tags(|a| {
                    for (n, w) in &tags {
                        a.item(|t| {
                            t.name(n);
                            if let Some(w) = w {
                                t.weight(*w);
                            }
                        });
                    }
                });
            }
            for l in sm.get_many::<String>("label").into_iter().flatten() {
                r = r.label(l);
            }
            if let Some(o) = sm.get_one::<String>("owner") {
                let (a, p) = o.split_once(':').ok_or("--owner wants IPV4:PORT")?;
                r = r.owner_addr(a.parse::<Ipv4Addr>()?).owner_port(p.parse()?);
            }
            if sm.get_flag("create-only") {
                r = r.create_only();
            }
            println!("{}", show(&c.set(&r)?.attrs)?);
        }
        Some(("get", sm)) => println!("{}", show(&c.get(&GetRequest::new(h).key(&key(sm)))?.attrs)?),
        Some(("list", sm)) => {
            let (prefix, kind) = (sm.get_one::<String>("prefix").cloned(), kind_arg(sm));
            let flags = sm.get_one::<String>("flags").map(|f| parse_flags(f)).transpose()?;
            let mut req = GetDumpRequest::new(h);
            if prefix.is_some() || kind.is_some() || flags.is_some() {
                req = req.filter(|f| {
                    if let Some(p) = &prefix {
                        f.key(p);
                    }
                    if let Some(k) = kind {
                        f.kind(k);
                    }
                    if let Some(fl) = flags {
                        f.flags(fl);
                    }
                });
            }
            let mut it = c.get_dump(&req)?;
            let mut n = 0;
            while let Some(e) = it.next() {
                println!("{}", show(&e?.attrs)?);
                n += 1;
            }
            eprintln!("{n} entries in namespace {}", h.ns);
        }
        Some(("delete", sm)) => c.delete(&DeleteRequest::new(h).key(&key(sm)))?,
        Some(("incr", sm)) => {
            let d = *sm.get_one::<i64>("delta").unwrap_or(&1);
            let r = c.incr(&IncrRequest::new(h).key(&key(sm)).delta(d))?;
            // nlkv always answers an incr with these three: absent is a broken reply, not a zero.
            let (key, old, new) =
                (r.key().required("key")?, r.old_counter().required("old-counter")?, r.counter().required("counter")?);
            println!("{key} {old} -> {new}");
        }
        Some(("flags", sm)) => {
            let (mut value, mut selector) = (EntryFlags::empty(), EntryFlags::empty());
            for ch in sm.get_many::<String>("changes").into_iter().flatten() {
                let (on, name) = match ch.split_at(1) {
                    ("+", n) => (true, n),
                    ("-", n) => (false, n),
                    _ => return Err(format!("`{ch}`: write +flag or -flag").into()),
                };
                let f = parse_flags(name)?;
                selector |= f;
                if on {
                    value |= f;
                }
            }
            let r = c.update_flags(&UpdateFlagsRequest::new(h).key(&key(sm)).flag_update(value, selector))?;
            println!("{}", show(&r)?);
        }
        Some(("fill", sm)) => {
            let p = sm.get_one::<String>("prefix").cloned().unwrap_or_default();
            let r = c.fill(&FillRequest::new(h).key(&p).count(*sm.get_one::<u32>("count").unwrap_or(&1)))?;
            println!("created {}", r.count().required("count")?);
        }
        Some(("clear", _)) => println!("removed {}", c.clear(&ClearRequest::new(h))?.count().required("count")?),
        Some(("watch", sm)) => {
            c.subscribe(Group::Changes)?;
            if sm.get_flag("audit") {
                c.subscribe(Group::Audit)?;
            }
            loop {
                match c.recv_notification()? {
                    Notification::ChangeNtf(n) => println!("[ns {}] {}", n.header.ns, show(&n)?),
                    Notification::EvictNtf(n) => println!("[ns {}] removed: {}", n.header.ns, show(&n)?),
                    Notification::TickNtf(n) => println!("tick {}", n.tick().required("tick")?),
                    Notification::Other(m) => println!("(unknown notification, command {})", m.cmd()),
                }
            }
        }
        Some(("ticks", sm)) => {
            let count = *sm.get_one::<u32>("count").unwrap_or(&1);
            let period = *sm.get_one::<u32>("period").unwrap_or(&1000);
            c.watch(&WatchRequest::new(h).count(count).period_ms(period))?;
            let mut seen = 0;
            while seen < count {
                // The ticks are unicast to this socket: no subscription needed.
                if let Notification::TickNtf(n) = c.recv_notification()? {
                    seen += 1;
                    let (tick, left) = (n.tick().required("tick")?, n.count().required("count")?);
                    println!("tick {tick} ({left} to come)");
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        _ => unreachable!("clap requires a subcommand"),
    }
    Ok(())
}

fn main() {
    let m = cli().get_matches();
    if let Err(e) = run(&m) {
        // The views read attributes when asked: a malformed one is reported the way a message
        // that cannot be decoded at all is (`nlspec_rt::Error::Decode`).
        match e.downcast_ref::<DecodeError>() {
            Some(e) => eprintln!("nlkv: {}", nlspec_rt::Error::Decode(e.clone())),
            None => eprintln!("nlkv: {e}"),
        }
        std::process::exit(1);
    }
}

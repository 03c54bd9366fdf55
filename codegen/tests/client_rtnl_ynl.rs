//! The generated rt-link, rt-addr, rt-route, rt-rule and tc clients (nlspec's own specs) against
//! the kernel's YNL CLI (`tools/net/ynl/pyynl/cli.py` with the upstream specs of the same 7.3
//! source tarball): the same dump, in the same network namespace, decoded by both; the values
//! of every attribute and fixed-header member both describe must be equal.
//!
//! Pairing: the two dumps of an unchanged namespace come back from the kernel in the same
//! order, so messages are paired by position (and their identities compared like any other
//! value). Names: our specs use the kernel's attribute names, as upstream's do; a member our
//! spec names differently is mapped in [`RENAMED`]. Display: YNL prints enum values by name,
//! flags as a list of names, binaries by display hint (MAC, IP address, hex); ours are kept
//! raw (number and name, bits and names, bytes) and compared in YNL's form.
//!
//! Isolation: the test re-runs this binary under `unshare --net` (a fresh network namespace that
//! dies with the process); `ip`, `tc` and YNL are spawned inside it. Needs root, python3 with
//! yaml and jsonschema, and the kernel source tarball (see `ynl_support.rs`): without them it
//! fails, it does not skip.
//!
//! Run: `cargo test -p nlspec-codegen --test client_rtnl_ynl -- --nocapture`

#[path = "../../cli/tests/ynl_support.rs"]
mod ynl_support;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Command;

use nlspec_rt::DecodeError;
use nlspec_rt_addr as addr;
use nlspec_rt_link as link;
use nlspec_rt_route as route;
use nlspec_rt_rule as rule;
use nlspec_tc as tc;
use serde_json::{json, Map, Value};

const IN_NETNS: &str = "NLSPEC_RTNL_YNL_IN_NETNS";

/// Our member name -> upstream's, where they differ (path-free: applies at any depth).
const RENAMED: &[(&str, &str)] = &[];

/// Our enum/flag value name -> upstream's, where they differ.
const VALUE_RENAMED: &[(&str, &str)] = &[("noarp", "no-arp")];

/// Struct members our spec describes and upstream's does not: upstream's `rta-cacheinfo` stops
/// after `rta-used` (the kernel's struct rta_cacheinfo goes on with rta_id, rta_ts,
/// rta_tsage), so YNL never prints them.
const OURS_ONLY_MEMBERS: &[(&str, &str)] =
    &[("route", "cacheinfo.rta-id"), ("route", "cacheinfo.rta-ts"), ("route", "cacheinfo.rta-tsage")];

/// Keys our spec describes as opaque binary where upstream decodes a structure or nest: the
/// shapes differ, so the bytes are not compared (each is listed, nothing else is skipped).
const OPAQUE_OURS: &[(&str, &str)] = &[
    ("route", "metrics"),
    ("route", "multipath"),
    ("qdisc", "stats"),
    ("qdisc", "stats2"),
    ("qdisc", "xstats"),
    ("link", "linkinfo.data"),
    ("link", "linkinfo.xstats"),
];

fn in_netns(test: &str, body: impl FnOnce()) {
    if std::env::var_os(IN_NETNS).is_some() {
        body();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("unshare")
        .args(["--net", "--"])
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(IN_NETNS, "1")
        .output()
        .expect("running unshare (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("--- {test} in its own network namespace ---\n{stdout}{stderr}");
    assert!(out.status.success(), "{test} failed inside its network namespace");
    assert!(stdout.contains("1 passed"), "{test} did not run inside the namespace");
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("running {cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A YNL dump with the upstream spec `spec`, request header `hdr`, as a JSON array.
fn ynl_dump(spec: &str, op: &str, hdr: Value) -> Vec<Value> {
    let spec = ynl_support::upstream_spec(spec);
    let h = hdr.to_string();
    let o = ynl_support::ynl(&spec, &["--dump", op, "--json", &h, "--output-json"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "YNL {op}: {}\n{text}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("YNL {op} output ({e}): {text}"));
    v.as_array().unwrap_or_else(|| panic!("YNL {op}: not a list: {v}")).clone()
}

// ---- our side, raw values ----

fn en(n: u32, name: Option<&str>) -> Value {
    json!({ "$enum": n, "$name": name })
}

fn fl<'a>(bits: u32, names: impl Iterator<Item = &'a str>) -> Value {
    json!({ "$flags": bits, "$names": names.collect::<Vec<_>>() })
}

fn by(b: &[u8]) -> Value {
    json!({ "$bytes": b.iter().map(|x| format!("{x:02x}")).collect::<String>() })
}

/// Insert `k` (kebab-case) if present.
fn put<T: Into<Value>>(m: &mut Map<String, Value>, k: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(k.to_string(), v.into());
    }
}

fn link_json(r: &link::GetlinkReply<'_>) -> Value {
    let h = &r.header;
    let a = r.attrs.to_owned().expect("link attributes");
    let mut m = Map::new();
    m.insert("ifi-family".into(), json!(h.ifi_family));
    m.insert("ifi-type".into(), json!(h.ifi_type));
    m.insert("ifi-index".into(), json!(h.ifi_index));
    m.insert("ifi-flags".into(), fl(h.ifi_flags.0, h.ifi_flags.names()));
    m.insert("ifi-change".into(), json!(h.ifi_change));
    put(&mut m, "address", a.address.as_deref().map(by));
    put(&mut m, "broadcast", a.broadcast.as_deref().map(by));
    put(&mut m, "ifname", a.ifname);
    put(&mut m, "mtu", a.mtu);
    put(&mut m, "link", a.link);
    put(&mut m, "qdisc", a.qdisc);
    put(&mut m, "master", a.master);
    put(&mut m, "txqlen", a.txqlen);
    put(&mut m, "operstate", a.operstate.map(|o| en(o.0, o.name())));
    put(&mut m, "linkmode", a.linkmode);
    if let Some(li) = &a.linkinfo {
        let mut n = Map::new();
        put(&mut n, "kind", li.kind.clone());
        put(&mut n, "data", li.data.as_deref().map(by));
        put(&mut n, "xstats", li.xstats.as_deref().map(by));
        put(&mut n, "slave-kind", li.slave_kind.clone());
        put(&mut n, "slave-data", li.slave_data.as_deref().map(by));
        m.insert("linkinfo".into(), Value::Object(n));
    }
    put(&mut m, "net-ns-pid", a.net_ns_pid);
    put(&mut m, "ifalias", a.ifalias);
    put(&mut m, "group", a.group);
    put(&mut m, "net-ns-fd", a.net_ns_fd);
    put(&mut m, "ext-mask", a.ext_mask);
    put(&mut m, "promiscuity", a.promiscuity);
    put(&mut m, "num-tx-queues", a.num_tx_queues);
    put(&mut m, "num-rx-queues", a.num_rx_queues);
    put(&mut m, "carrier", a.carrier);
    put(&mut m, "carrier-changes", a.carrier_changes);
    put(&mut m, "link-netnsid", a.link_netnsid);
    put(&mut m, "proto-down", a.proto_down);
    put(&mut m, "gso-max-segs", a.gso_max_segs);
    put(&mut m, "gso-max-size", a.gso_max_size);
    put(&mut m, "carrier-up-count", a.carrier_up_count);
    put(&mut m, "carrier-down-count", a.carrier_down_count);
    put(&mut m, "min-mtu", a.min_mtu);
    put(&mut m, "max-mtu", a.max_mtu);
    if !a.alt_ifname.is_empty() {
        m.insert("alt-ifname".into(), json!(a.alt_ifname));
    }
    put(&mut m, "perm-address", a.perm_address.as_deref().map(by));
    put(&mut m, "allmulti", a.allmulti);
    Value::Object(m)
}

fn addr_json(r: &addr::GetaddrReply<'_>) -> Value {
    let h = &r.header;
    let a = r.attrs.to_owned().expect("address attributes");
    let mut m = Map::new();
    m.insert("ifa-family".into(), json!(h.ifa_family));
    m.insert("ifa-prefixlen".into(), json!(h.ifa_prefixlen));
    m.insert("ifa-flags".into(), fl(h.ifa_flags.0, h.ifa_flags.names()));
    m.insert("ifa-scope".into(), en(h.ifa_scope.0, h.ifa_scope.name()));
    m.insert("ifa-index".into(), json!(h.ifa_index));
    put(&mut m, "address", a.address.as_deref().map(by));
    put(&mut m, "local", a.local.as_deref().map(by));
    put(&mut m, "label", a.label);
    put(&mut m, "broadcast", a.broadcast.as_deref().map(by));
    put(&mut m, "anycast", a.anycast.as_deref().map(by));
    put(
        &mut m,
        "cacheinfo",
        a.cacheinfo.map(|c| {
            json!({ "ifa-prefered": c.ifa_prefered, "ifa-valid": c.ifa_valid, "cstamp": c.cstamp, "tstamp": c.tstamp })
        }),
    );
    put(&mut m, "multicast", a.multicast.as_deref().map(by));
    put(&mut m, "flags", a.flags.map(|f| fl(f.0, f.names())));
    put(&mut m, "rt-priority", a.rt_priority);
    put(&mut m, "target-netnsid", a.target_netnsid);
    put(&mut m, "proto", a.proto);
    Value::Object(m)
}

fn route_json(r: &route::GetrouteReply<'_>) -> Value {
    let h = &r.header;
    let a = r.attrs.to_owned().expect("route attributes");
    let mut m = Map::new();
    m.insert("rtm-family".into(), json!(h.rtm_family));
    m.insert("rtm-dst-len".into(), json!(h.rtm_dst_len));
    m.insert("rtm-src-len".into(), json!(h.rtm_src_len));
    m.insert("rtm-tos".into(), json!(h.rtm_tos));
    m.insert("rtm-table".into(), json!(h.rtm_table));
    m.insert("rtm-protocol".into(), en(h.rtm_protocol.0, h.rtm_protocol.name()));
    m.insert("rtm-scope".into(), en(h.rtm_scope.0, h.rtm_scope.name()));
    m.insert("rtm-type".into(), en(h.rtm_type.0, h.rtm_type.name()));
    m.insert("rtm-flags".into(), json!(h.rtm_flags));
    put(&mut m, "dst", a.dst.as_deref().map(by));
    put(&mut m, "src", a.src.as_deref().map(by));
    put(&mut m, "iif", a.iif);
    put(&mut m, "oif", a.oif);
    put(&mut m, "gateway", a.gateway.as_deref().map(by));
    put(&mut m, "priority", a.priority);
    put(&mut m, "prefsrc", a.prefsrc.as_deref().map(by));
    put(&mut m, "metrics", a.metrics.as_deref().map(by));
    put(&mut m, "multipath", a.multipath.as_deref().map(by));
    put(&mut m, "flow", a.flow);
    put(
        &mut m,
        "cacheinfo",
        a.cacheinfo.map(|c| {
            json!({
                "rta-clntref": c.rta_clntref, "rta-lastuse": c.rta_lastuse, "rta-expires": c.rta_expires,
                "rta-error": c.rta_error, "rta-used": c.rta_used, "rta-id": c.rta_id,
                "rta-ts": c.rta_ts, "rta-tsage": c.rta_tsage,
            })
        }),
    );
    put(&mut m, "table", a.table);
    put(&mut m, "mark", a.mark);
    put(&mut m, "via", a.via.as_deref().map(by));
    put(&mut m, "pref", a.pref);
    put(&mut m, "encap-type", a.encap_type);
    put(&mut m, "expires", a.expires);
    put(&mut m, "uid", a.uid);
    put(&mut m, "ttl-propagate", a.ttl_propagate);
    put(&mut m, "ip-proto", a.ip_proto);
    put(&mut m, "sport", a.sport);
    put(&mut m, "dport", a.dport);
    put(&mut m, "nh-id", a.nh_id);
    Value::Object(m)
}

fn rule_json(r: &rule::GetruleReply<'_>) -> Value {
    let h = &r.header;
    let a = r.attrs.to_owned().expect("rule attributes");
    let mut m = Map::new();
    put(&mut m, "dst", a.dst.as_deref().map(by));
    put(&mut m, "src", a.src.as_deref().map(by));
    put(&mut m, "iifname", a.iifname);
    put(&mut m, "goto", a.goto);
    put(&mut m, "priority", a.priority);
    put(&mut m, "fwmark", a.fwmark);
    put(&mut m, "flow", a.flow);
    put(&mut m, "tun-id", a.tun_id);
    put(&mut m, "suppress-ifgroup", a.suppress_ifgroup);
    put(&mut m, "suppress-prefixlen", a.suppress_prefixlen);
    put(&mut m, "table", a.table);
    put(&mut m, "fwmask", a.fwmask);
    put(&mut m, "oifname", a.oifname);
    put(&mut m, "l3mdev", a.l3mdev);
    put(&mut m, "uid-range", a.uid_range.map(|u| json!({ "start": u.start, "end": u.end })));
    put(&mut m, "protocol", a.protocol);
    put(&mut m, "ip-proto", a.ip_proto);
    put(&mut m, "sport-range", a.sport_range.map(|u| json!({ "start": u.start, "end": u.end })));
    put(&mut m, "dport-range", a.dport_range.map(|u| json!({ "start": u.start, "end": u.end })));
    // The header goes in last: the attribute `table` (FRA_TABLE, u32) and the header member
    // `table` (u8, 252 = RT_TABLE_COMPAT for tables above 255) share a name, and YNL adds the
    // fixed header to its dict after the attributes, so its `table` is the header's. The
    // attribute's value is compared with iproute2's in client_rtnl_live.rs.
    m.insert("family".into(), json!(h.family));
    m.insert("dst-len".into(), json!(h.dst_len));
    m.insert("src-len".into(), json!(h.src_len));
    m.insert("tos".into(), json!(h.tos));
    m.insert("table".into(), json!(h.table));
    m.insert("action".into(), en(h.action.0, h.action.name()));
    m.insert("flags".into(), fl(h.flags.0, h.flags.names()));
    Value::Object(m)
}

fn qdisc_json(r: &tc::GetqdiscReply<'_>) -> Result<Value, DecodeError> {
    let h = &r.header;
    let a = &r.attrs;
    let mut m = Map::new();
    m.insert("family".into(), json!(h.family));
    m.insert("ifindex".into(), json!(h.ifindex));
    m.insert("handle".into(), json!(h.handle));
    m.insert("parent".into(), json!(h.parent));
    m.insert("info".into(), json!(h.info));
    let kind = a.kind()?;
    put(&mut m, "kind", kind);
    let opts = match a.options_msg()? {
        Some(tc::TcaOptionsMsg::Tbf(t)) => {
            let mut n = Map::new();
            // `parms` (struct tc_tbf_qopt: two struct tc_ratespec, limit, buffer, mtu) is left
            // out on purpose: the 7.3 upstream tc.yaml describes tc-ratespec with wrong member
            // widths, so YNL decodes every member of parms from the wrong offsets (garbage such
            // as rate 1207959552 for 1 Mbit/s). Our decoding of parms is checked against `tc -j`
            // in client_rtnl_live.rs instead. The other tbf attributes are compared.
            put(&mut n, "rtab", t.rtab()?.map(by));
            put(&mut n, "ptab", t.ptab()?.map(by));
            put(&mut n, "rate64", t.rate64()?);
            put(&mut n, "prate64", t.prate64()?);
            put(&mut n, "burst", t.burst()?);
            put(&mut n, "pburst", t.pburst()?);
            Some(Value::Object(n))
        }
        Some(tc::TcaOptionsMsg::Htb(t)) => {
            let mut n = Map::new();
            put(&mut n, "parms", t.parms()?.map(by));
            put(
                &mut n,
                "init",
                t.init()?.map(|g| {
                    json!({ "version": g.version, "rate2quantum": g.rate2quantum, "defcls": g.defcls,
                        "debug": g.debug, "direct-pkts": g.direct_pkts })
                }),
            );
            put(&mut n, "ctab", t.ctab()?.map(by));
            put(&mut n, "rtab", t.rtab()?.map(by));
            put(&mut n, "direct-qlen", t.direct_qlen()?);
            put(&mut n, "rate64", t.rate64()?);
            put(&mut n, "ceil64", t.ceil64()?);
            Some(Value::Object(n))
        }
        Some(tc::TcaOptionsMsg::Pfifo(f) | tc::TcaOptionsMsg::Bfifo(f)) => Some(json!({ "limit": f.limit })),
        Some(tc::TcaOptionsMsg::Ingress(b) | tc::TcaOptionsMsg::Noqueue(b)) => {
            assert!(b.is_empty(), "options of {kind:?}: {b:?}");
            Some(json!({}))
        }
        Some(other) => panic!("unexpected options: {other:?}"),
        None => None,
    };
    put(&mut m, "options", opts);
    put(&mut m, "stats", a.stats()?.map(by));
    put(&mut m, "xstats", a.xstats()?.map(by));
    put(&mut m, "rate", a.rate()?.map(by));
    put(&mut m, "fcnt", a.fcnt()?);
    put(&mut m, "stats2", a.stats2()?.map(by));
    put(&mut m, "stab", a.stab()?.map(by));
    put(&mut m, "chain", a.chain()?);
    put(&mut m, "hw-offload", a.hw_offload()?);
    put(&mut m, "ingress-block", a.ingress_block()?);
    put(&mut m, "egress-block", a.egress_block()?);
    put(&mut m, "ext-warn-msg", a.ext_warn_msg()?);
    Ok(Value::Object(m))
}

// ---- comparison ----

fn mac(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":")
}

/// The forms YNL prints a binary in, by display hint: MAC, IPv4/IPv6 address, hex; or a
/// list of byte values (no hint, `--output-json`).
fn bytes_forms(hex: &str) -> (Vec<u8>, Vec<String>) {
    let b: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let mut forms = vec![hex.to_string(), mac(&b)];
    if let Ok(a) = <[u8; 4]>::try_from(b.as_slice()) {
        forms.push(Ipv4Addr::from(a).to_string());
    }
    if let Ok(a) = <[u8; 16]>::try_from(b.as_slice()) {
        forms.push(Ipv6Addr::from(a).to_string());
    }
    (b, forms)
}

fn norm_name(s: &str) -> String {
    let s = s.to_lowercase().replace('_', "-");
    VALUE_RENAMED.iter().find(|(o, _)| *o == s).map_or(s, |(_, u)| u.to_string())
}

#[derive(Default)]
struct Tally {
    /// Leaf values compared, by family and key path.
    compared: BTreeMap<String, usize>,
    /// Keys YNL printed that our spec does not describe, by family.
    ynl_only: BTreeMap<String, usize>,
    differences: Vec<String>,
}

/// Compare one value of ours (raw forms) with YNL's at `path`.
fn same(fam: &str, path: &str, ours: &Value, ynl: &Value, t: &mut Tally) {
    let ok = match (ours, ynl) {
        (Value::Object(o), _) if o.contains_key("$enum") => match ynl {
            Value::String(s) => o["$name"].as_str().map(norm_name) == Some(norm_name(s)),
            _ => ynl == &o["$enum"],
        },
        (Value::Object(o), _) if o.contains_key("$flags") => match ynl {
            Value::Array(names) => {
                let mut a: Vec<String> =
                    o["$names"].as_array().unwrap().iter().map(|n| norm_name(n.as_str().unwrap())).collect();
                let mut b: Vec<String> = names.iter().map(|n| norm_name(n.as_str().unwrap_or("?"))).collect();
                a.sort();
                b.sort();
                a == b
            }
            _ => ynl == &o["$flags"],
        },
        (Value::Object(o), _) if o.contains_key("$bytes") => {
            let (b, forms) = bytes_forms(o["$bytes"].as_str().unwrap());
            match ynl {
                Value::String(s) => forms.iter().any(|f| f == s),
                Value::Array(a) => {
                    a.iter().map(|x| x.as_u64()).collect::<Vec<_>>()
                        == b.iter().map(|x| Some(*x as u64)).collect::<Vec<_>>()
                }
                _ => false,
            }
        }
        (Value::Object(o), Value::Object(y)) => {
            compare_objects(fam, path, o, y, t);
            return;
        }
        (Value::Number(n), Value::String(s)) if s.starts_with("0x") => {
            u64::from_str_radix(&s[2..], 16).ok() == n.as_u64()
        }
        _ => ours == ynl,
    };
    *t.compared.entry(format!("{fam}: {path}")).or_default() += 1;
    if !ok {
        t.differences.push(format!("{fam} {path}: ours {ours}, YNL {ynl}"));
    }
}

fn compare_objects(fam: &str, path: &str, ours: &Map<String, Value>, ynl: &Map<String, Value>, t: &mut Tally) {
    for (k, v) in ours {
        let uk = RENAMED.iter().find(|(o, _)| o == k).map_or(k.as_str(), |(_, u)| u);
        let p = if path.is_empty() { uk.to_string() } else { format!("{path}.{uk}") };
        if OPAQUE_OURS.contains(&(fam, p.as_str())) || OURS_ONLY_MEMBERS.contains(&(fam, p.as_str())) {
            continue;
        }
        match ynl.get(uk) {
            Some(y) => same(fam, &p, v, y, t),
            None => {
                t.differences.push(format!("{fam} {p}: ours {v}, absent from YNL's {}", Value::Object(ynl.clone())))
            }
        }
    }
    for k in ynl.keys() {
        if !ours.contains_key(k) && !RENAMED.iter().any(|(_, u)| u == k) {
            *t.ynl_only
                .entry(format!("{fam}: {}", if path.is_empty() { k.clone() } else { format!("{path}.{k}") }))
                .or_default() += 1;
        }
    }
}

/// Dump with ours, then YNL, then ours again, until the two of ours agree (the namespace is
/// quiet, but a carrier or DAD change could land between the dumps), and compare.
fn compare_family(fam: &str, ours: &mut dyn FnMut() -> Vec<Value>, ynl: &dyn Fn() -> Vec<Value>, t: &mut Tally) {
    for attempt in 1.. {
        let a = ours();
        let y = ynl();
        let b = ours();
        if a != b && attempt < 4 {
            println!("{fam}: the namespace changed during the dumps (attempt {attempt}), again");
            continue;
        }
        assert_eq!(a.len(), y.len(), "{fam}: {} messages ours, {} YNL:\nours {a:#?}\nYNL {y:#?}", a.len(), y.len());
        assert!(!a.is_empty(), "{fam}: empty dump");
        for (o, y) in a.iter().zip(&y) {
            compare_objects(fam, "", o.as_object().unwrap(), y.as_object().unwrap(), t);
        }
        println!("{fam}: {} messages compared", a.len());
        return;
    }
}

fn setup() {
    // No duplicate address detection: IPv6 addresses are final at once (no tentative flags
    // changing between the two dumps).
    for c in ["all", "default"] {
        std::fs::write(format!("/proc/sys/net/ipv6/conf/{c}/accept_dad"), "0").unwrap();
    }
    run("ip", &["link", "set", "lo", "up"]);
    run("ip", &["link", "add", "nyv0", "mtu", "1400", "type", "veth", "peer", "name", "nyv1"]);
    run("ip", &["link", "add", "nyi0", "type", "ifb"]);
    run("ip", &["link", "set", "nyi0", "alias", "an ifb"]);
    for l in ["nyv0", "nyv1", "nyi0"] {
        run("ip", &["link", "set", l, "up"]);
    }
    run("ip", &["addr", "add", "10.20.0.1/24", "dev", "nyv0"]);
    run("ip", &["addr", "add", "10.20.1.1/24", "broadcast", "10.20.1.255", "dev", "nyi0", "label", "nyi0:x"]);
    run("ip", &["addr", "add", "2001:db8::1/64", "dev", "nyv0", "nodad"]);
    run("ip", &["route", "add", "10.99.0.0/16", "via", "10.20.0.254", "metric", "77"]);
    run("ip", &["route", "add", "blackhole", "198.51.100.0/24", "table", "100"]);
    run("ip", &["route", "add", "2001:db8:5::/48", "via", "2001:db8::fe", "dev", "nyv0"]);
    run("ip", &["rule", "add", "from", "10.0.0.0/8", "lookup", "100", "prio", "100"]);
    run(
        "ip",
        &[
            "rule",
            "add",
            "fwmark",
            "0x10/0xff",
            "iif",
            "lo",
            "uidrange",
            "100-200",
            "ipproto",
            "tcp",
            "dport",
            "80-90",
            "lookup",
            "5000",
            "prio",
            "1001",
        ],
    );
    run("ip", &["rule", "add", "not", "to", "192.0.2.0/24", "prio", "1002", "unreachable"]);
    run("ip", &["-6", "rule", "add", "from", "2001:db8::/32", "lookup", "200", "prio", "300"]);
    run(
        "tc",
        &[
            "qdisc", "add", "dev", "nyv0", "root", "handle", "1:", "tbf", "rate", "1mbit", "burst", "32k", "limit",
            "50k",
        ],
    );
    run("tc", &["qdisc", "add", "dev", "nyv0", "ingress"]);
    run("tc", &["qdisc", "add", "dev", "nyi0", "root", "handle", "2:", "pfifo", "limit", "77"]);
    run("tc", &["qdisc", "add", "dev", "nyv1", "root", "handle", "3:", "htb", "default", "10"]);
    // Let the veth pair's carrier settle before dumping.
    std::thread::sleep(std::time::Duration::from_millis(300));
}

#[test]
fn dumps_equal_ynl() {
    in_netns("dumps_equal_ynl", || {
        setup();
        let mut t = Tally::default();

        let mut lc = link::Client::new().unwrap();
        compare_family(
            "link",
            &mut || {
                let mut v = Vec::new();
                let mut it = lc.getlink_dump(&link::GetlinkDumpRequest::new(link::Ifinfomsg::default())).unwrap();
                while let Some(r) = it.next() {
                    v.push(link_json(&r.unwrap()));
                }
                v
            },
            &|| ynl_dump("rt-link.yaml", "getlink", json!({})),
            &mut t,
        );

        let mut ac = addr::Client::new().unwrap();
        compare_family(
            "addr",
            &mut || {
                let mut v = Vec::new();
                let mut it = ac.getaddr_dump(&addr::GetaddrDumpRequest::new(addr::Ifaddrmsg::default())).unwrap();
                while let Some(r) = it.next() {
                    v.push(addr_json(&r.unwrap()));
                }
                v
            },
            &|| ynl_dump("rt-addr.yaml", "getaddr", json!({ "ifa-family": 0 })),
            &mut t,
        );

        let mut rc = route::Client::new().unwrap();
        compare_family(
            "route",
            &mut || {
                let mut v = Vec::new();
                let mut it = rc.getroute_dump(&route::GetrouteDumpRequest::new(route::Rtmsg::default())).unwrap();
                while let Some(r) = it.next() {
                    v.push(route_json(&r.unwrap()));
                }
                v
            },
            &|| ynl_dump("rt-route.yaml", "getroute", json!({ "rtm-family": 0 })),
            &mut t,
        );

        let mut uc = rule::Client::new().unwrap();
        compare_family(
            "rule",
            &mut || {
                let mut v = Vec::new();
                let mut it = uc.getrule_dump(&rule::GetruleDumpRequest::new(rule::FibRuleHdr::default())).unwrap();
                while let Some(r) = it.next() {
                    v.push(rule_json(&r.unwrap()));
                }
                v
            },
            &|| ynl_dump("rt-rule.yaml", "getrule", json!({ "family": 0 })),
            &mut t,
        );

        let mut qc = tc::Client::new().unwrap();
        compare_family(
            "qdisc",
            &mut || {
                let mut v = Vec::new();
                let mut it = qc.getqdisc_dump(&tc::GetqdiscDumpRequest::new(tc::Tcmsg::default())).unwrap();
                while let Some(r) = it.next() {
                    v.push(qdisc_json(&r.unwrap()).unwrap());
                }
                v
            },
            &|| ynl_dump("tc.yaml", "getqdisc", json!({ "family": 0 })),
            &mut t,
        );

        for (k, n) in &t.compared {
            println!("compared {n:4} x {k}");
        }
        for (k, n) in &t.ynl_only {
            println!("YNL only  {n:4} x {k} (not in our spec)");
        }
        assert!(t.differences.is_empty(), "{} differences:\n{}", t.differences.len(), t.differences.join("\n"));
        // The comparison reached what the setup made (so it cannot pass by comparing nothing).
        for key in [
            "link: ifname",
            "link: mtu",
            "link: address",
            "link: operstate",
            "link: ifi-flags",
            "link: linkinfo.kind",
            "link: ifalias",
            "addr: local",
            "addr: label",
            "addr: broadcast",
            "addr: cacheinfo.ifa-valid",
            "addr: ifa-scope",
            "route: dst",
            "route: gateway",
            "route: priority",
            "route: rtm-type",
            "route: table",
            "rule: priority",
            "rule: fwmark",
            "rule: fwmask",
            "rule: uid-range.start",
            "rule: dport-range.end",
            "rule: iifname",
            "rule: action",
            "rule: flags",
            "rule: src",
            "qdisc: kind",
            "qdisc: handle",
            "qdisc: options.init.defcls",
            "qdisc: options.direct-qlen",
            "qdisc: options.limit",
        ] {
            assert!(t.compared.contains_key(key), "{key} was never compared: {:?}", t.compared.keys());
        }
    });
}

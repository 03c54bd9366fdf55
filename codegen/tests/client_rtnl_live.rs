//! The generated netlink-raw clients of nlspec's own rt-link, rt-addr, rt-route, rt-rule and tc
//! specs (`generated/client/rt-*`, `generated/client/tc`) against the host's kernel, each test
//! inside a network namespace of its own, compared with iproute2's JSON (`ip -j ...`,
//! `tc -j ...`) where the two overlap; the blocking and the tokio clients.
//!
//! Isolation: every live test re-runs this test binary, filtered to itself, under
//! `unshare --net` (a fresh network namespace that dies with the process: nothing outside it
//! is touched, nothing to clean up). Needs root (`CAP_SYS_ADMIN` for the namespace); the
//! `ip` commands are spawned from inside the namespace, so they see the same links.
//!
//! Run: `cargo test -p nlspec-codegen --test client_rtnl_live -- --nocapture`

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::{Duration, Instant};

use nlspec_rt::{AttrWriter, DecodeError, DecodeErrorKind, Error, NlMsg};
use nlspec_rt_addr as addr;
use nlspec_rt_link as link;
use nlspec_rt_route as route;
use nlspec_rt_rule as rule;
use nlspec_tc as tc;
use serde_json::{json, Map, Value};

/// Set in the re-executed child that runs inside the namespace.
const IN_NETNS: &str = "NLSPEC_RTNL_IN_NETNS";

/// Run `body` inside a fresh network namespace: in the child, directly; in the parent,
/// re-execute this binary filtered to `test` under `unshare --net` and require it to pass.
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

/// `ip -j <args>` (run inside the namespace), parsed.
fn ip_json(args: &[&str]) -> Value {
    let out = Command::new("ip").arg("-j").args(args).output().expect("running ip (iproute2)");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("ip -j {args:?}: {e}"))
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("running ip (iproute2)");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn mac(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":")
}

fn ip_addr(b: &[u8]) -> String {
    match b.len() {
        4 => Ipv4Addr::from(<[u8; 4]>::try_from(b).unwrap()).to_string(),
        16 => Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap()).to_string(),
        _ => panic!("not an address: {b:?}"),
    }
}

/// The local address of an address message (required), as text.
fn local_of(a: &addr::AddrAttrs<'_>) -> String {
    ip_addr(a.local().unwrap().expect("IFA_LOCAL"))
}

/// The payload of `IFLA_INFO_DATA` for a veth whose peer is named `peer`: `VETH_INFO_PEER`
/// holding a `struct ifinfomsg` and the peer's link attributes (built with the generated
/// encoders).
fn veth_data(peer: &str) -> Vec<u8> {
    let mut peer_msg = link::Ifinfomsg::default().to_bytes().to_vec();
    let mut w = AttrWriter::new(&mut peer_msg);
    link::LinkAttrsEncoder::new(&mut w).ifname(peer);
    w.finish().unwrap();
    let mut data = Vec::new();
    let mut w = AttrWriter::new(&mut data);
    link::LinkinfoVethAttrsEncoder::new(&mut w).peer(&peer_msg);
    w.finish().unwrap();
    data
}

/// Create a stand-alone virtual Ethernet link `name`: a `dummy`, or, on kernels built without
/// the dummy driver (it is a module many minimal kernels leave out; the kernel then answers
/// EOPNOTSUPP "Unknown device type"), an `ifb`, which behaves the same for these tests.
/// Returns the kind used.
fn create_dummy(c: &mut link::Client, name: &str) -> &'static str {
    for kind in ["dummy", "ifb"] {
        let req = link::NewlinkRequest::new(link::Ifinfomsg::default()).create().excl().ifname(name).linkinfo(|li| {
            li.kind(kind);
        });
        match c.newlink(&req) {
            Ok(()) => return kind,
            Err(Error::Kernel { errno: 95, msg, .. }) => {
                println!("no `{kind}` links on this kernel ({msg:?}): trying the next kind");
            }
            Err(e) => panic!("creating {kind} {name}: {e}"),
        }
    }
    panic!("this kernel has neither dummy nor ifb links");
}

fn set_up(c: &mut link::Client, index: i32) {
    let hdr = link::Ifinfomsg {
        ifi_index: index,
        ifi_flags: link::IffFlags::UP,
        ifi_change: link::IffFlags::UP.0,
        ..Default::default()
    };
    c.setlink(&link::SetlinkRequest::new(hdr)).unwrap();
}

fn index_of(c: &mut link::Client, name: &str) -> i32 {
    let r = c.getlink(&link::GetlinkRequest::new(link::Ifinfomsg::default()).ifname(name)).unwrap();
    assert_eq!(r.ifname().unwrap(), Some(name));
    r.header.ifi_index
}

/// Device flags as iproute2 prints them (upper case, `-` as `_`; it leaves out RUNNING).
fn flag_names(f: link::IffFlags) -> BTreeSet<String> {
    f.names().filter(|n| *n != "running").map(|n| n.to_uppercase().replace('-', "_")).collect()
}

#[test]
fn links_match_iproute2() {
    in_netns("links_match_iproute2", || {
        let mut c = link::Client::new().unwrap();
        create_dummy(&mut c, "nld0");
        let req = link::NewlinkRequest::new(link::Ifinfomsg::default())
            .create()
            .excl()
            .ifname("nlv0")
            .mtu(1400)
            .txqlen(321)
            .linkinfo(|li| {
                li.kind("veth").data(&veth_data("nlv1"));
            });
        c.newlink(&req).unwrap();
        let d0 = index_of(&mut c, "nld0");
        set_up(&mut c, d0);
        // setlink by index: MTU and alias.
        let hdr = link::Ifinfomsg { ifi_index: d0, ..Default::default() };
        c.setlink(&link::SetlinkRequest::new(hdr).mtu(1280).ifalias("nlspec dummy")).unwrap();

        // The typed dump, kept as owned values (the views borrow the socket's buffer).
        let mut mine: BTreeMap<i32, (link::Ifinfomsg, link::LinkAttrsOwned)> = BTreeMap::new();
        let mut it = c.getlink_dump(&link::GetlinkDumpRequest::new(link::Ifinfomsg::default())).unwrap();
        while let Some(r) = it.next() {
            let r = r.unwrap();
            assert_eq!(r.msg.msg_type(), link::cmd::GETLINK_REPLY);
            mine.insert(r.header.ifi_index, (r.header, r.attrs.to_owned().unwrap()));
        }
        drop(it);
        let names: BTreeMap<i32, String> =
            mine.iter().map(|(i, (_, a))| (*i, a.ifname.clone().unwrap_or_default())).collect();
        assert_eq!(names.values().map(String::as_str).collect::<BTreeSet<_>>(), ["lo", "nld0", "nlv0", "nlv1"].into());

        let theirs = ip_json(&["-d", "link", "show"]);
        let theirs = theirs.as_array().unwrap();
        assert_eq!(theirs.len(), mine.len(), "same number of links");
        let mut compared = 0;
        for l in theirs {
            let idx = l["ifindex"].as_i64().unwrap() as i32;
            let (h, a) = mine.get(&idx).unwrap_or_else(|| panic!("link {idx} missing from the typed dump"));
            let name = a.ifname.as_deref().unwrap();
            assert_eq!(l["ifname"], name);
            assert_eq!(l["mtu"], a.mtu.unwrap());
            assert_eq!(l["txqlen"], a.txqlen.unwrap(), "{name} txqlen");
            assert_eq!(l["operstate"], a.operstate.unwrap().name().unwrap().to_uppercase(), "{name} operstate");
            let their_flags: BTreeSet<String> = l["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                // States iproute2 derives (no carrier; the lower device is down), not flag bits.
                .filter(|f| f != "NO-CARRIER" && f != "M-DOWN")
                .collect();
            assert_eq!(their_flags, flag_names(h.ifi_flags), "{name} flags");
            let link_type = match h.ifi_type {
                1 => "ether",
                772 => "loopback",
                t => panic!("unexpected ARPHRD {t}"),
            };
            assert_eq!(l["link_type"], link_type);
            assert_eq!(l["address"], mac(a.address.as_deref().unwrap()), "{name} address");
            assert_eq!(l["broadcast"], mac(a.broadcast.as_deref().unwrap()), "{name} broadcast");
            assert_eq!(l["promiscuity"], a.promiscuity.unwrap());
            assert_eq!(l["min_mtu"], a.min_mtu.unwrap(), "{name} min_mtu");
            assert_eq!(l["max_mtu"], a.max_mtu.unwrap(), "{name} max_mtu");
            assert_eq!(l["num_tx_queues"], a.num_tx_queues.unwrap());
            assert_eq!(l["num_rx_queues"], a.num_rx_queues.unwrap());
            assert_eq!(l["group"], if a.group == Some(0) { "default" } else { "?" });
            if let Some(alias) = &a.ifalias {
                assert_eq!(l["ifalias"], alias.as_str());
            }
            if let Some(peer) = a.link {
                assert_eq!(l["link"], names[&(peer as i32)].as_str(), "{name} link");
            }
            match &a.linkinfo {
                Some(li) => assert_eq!(l["linkinfo"]["info_kind"], li.kind.as_deref().unwrap(), "{name} kind"),
                None => assert!(l.get("linkinfo").is_none()),
            }
            compared += 1;
        }
        assert_eq!(compared, 4);
        let (_, d) = &mine[&d0];
        assert_eq!((d.mtu, d.ifalias.as_deref()), (Some(1280), Some("nlspec dummy")));
        let v0 = mine.values().find(|(_, a)| a.ifname.as_deref() == Some("nlv0")).unwrap();
        assert_eq!((v0.1.mtu, v0.1.txqlen), (Some(1400), Some(321)));
        assert!(v0.0.ifi_flags.0 & link::IffFlags::UP.0 == 0);

        // The veth's kind-specific data decodes through the sub-message.
        let r = c.getlink(&link::GetlinkRequest::new(link::Ifinfomsg::default()).ifname("nlv0")).unwrap();
        let li = r.linkinfo().unwrap().expect("linkinfo");
        assert_eq!(li.kind().unwrap(), Some("veth"));

        // dellink by name; the link is gone (a typed kernel error: ENODEV).
        c.dellink(&link::DellinkRequest::new(link::Ifinfomsg::default()).ifname("nlv1")).unwrap();
        let err = c.getlink(&link::GetlinkRequest::new(link::Ifinfomsg::default()).ifname("nlv0")).unwrap_err();
        assert_eq!(err.errno(), Some(19), "ENODEV: {err}");
        assert!(ip_json(&["link", "show"]).as_array().unwrap().iter().all(|l| l["ifname"] != "nlv0"));
    });
}

#[test]
fn kernel_errors_name_the_attribute() {
    in_netns("kernel_errors_name_the_attribute", || {
        let mut c = link::Client::new().unwrap();
        // NLM_F_EXCL on an existing name: EEXIST.
        let kind = create_dummy(&mut c, "nld0");
        let dup = link::NewlinkRequest::new(link::Ifinfomsg::default()).create().excl().ifname("nld0").linkinfo(|li| {
            li.kind(kind);
        });
        let e = c.newlink(&dup).unwrap_err();
        assert_eq!(e.errno(), Some(17), "EEXIST: {e}");
        // An interface name of 16 bytes or more fails IFLA_IFNAME's policy: the extended ACK's
        // offset (after the ifinfomsg header) comes back as the attribute's name.
        let long = link::NewlinkRequest::new(link::Ifinfomsg::default())
            .create()
            .excl()
            .ifname("a-name-far-too-long-for-a-link")
            .linkinfo(|li| {
                li.kind(kind);
            });
        match c.newlink(&long).unwrap_err() {
            Error::Kernel { errno, path, offset, msg, .. } => {
                // ERANGE from the string policy's length check (EINVAL on older kernels).
                assert!(errno == 34 || errno == 22, "errno {errno}");
                println!("kernel said: {msg:?} at {path:?} (offset {offset:?})");
                assert_eq!(path.expect("an attribute path").to_string(), ".ifname");
            }
            other => panic!("expected a kernel error, got {other:?}"),
        }
        // A nested attribute: an unknown link kind is refused (the socket stays usable).
        let bad = link::NewlinkRequest::new(link::Ifinfomsg::default()).create().ifname("nlx0").linkinfo(|li| {
            li.kind("no-such-kind");
        });
        let e = c.newlink(&bad).unwrap_err();
        assert!(e.errno().is_some(), "{e}");
        assert_eq!(index_of(&mut c, "nld0"), index_of(&mut c, "nld0"));
    });
}

#[test]
fn addresses_match_iproute2() {
    in_netns("addresses_match_iproute2", || {
        let mut lc = link::Client::new().unwrap();
        create_dummy(&mut lc, "nld0");
        let idx = index_of(&mut lc, "nld0");
        set_up(&mut lc, idx);
        let mut c = addr::Client::new().unwrap();
        let v4 = addr::Ifaddrmsg { ifa_family: 2, ifa_prefixlen: 24, ifa_index: idx as u32, ..Default::default() };
        let a = Ipv4Addr::new(10, 11, 0, 1).octets();
        c.newaddr(
            &addr::NewaddrRequest::new(v4)
                .create()
                .excl()
                .local(&a)
                .address(&a)
                .broadcast(&Ipv4Addr::new(10, 11, 0, 255).octets())
                .label("nld0:nl"),
        )
        .unwrap();
        let v6 = addr::Ifaddrmsg { ifa_family: 10, ifa_prefixlen: 64, ifa_index: idx as u32, ..Default::default() };
        let a6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        c.newaddr(
            &addr::NewaddrRequest::new(v6)
                .create()
                .excl()
                .local(&a6.octets())
                .address(&a6.octets())
                .flags(addr::IfaFlags::NODAD),
        )
        .unwrap();

        // (family, local, prefixlen) -> (scope, label, broadcast, valid lifetime, flags)
        type Key = (u8, String, u8);
        type Val = (String, Option<String>, Option<String>, Option<u32>);
        let mut mine: BTreeMap<Key, Val> = BTreeMap::new();
        let mut it = c.getaddr_dump(&addr::GetaddrDumpRequest::new(addr::Ifaddrmsg::default())).unwrap();
        while let Some(r) = it.next() {
            let r = r.unwrap();
            if r.header.ifa_index != idx as u32 {
                continue;
            }
            let scope = match r.header.ifa_scope.name().unwrap() {
                "universe" => "global".to_string(),
                s => s.to_string(),
            };
            let local = r.local().unwrap().or(r.address().unwrap()).expect("an address");
            mine.insert(
                (r.header.ifa_family, ip_addr(local), r.header.ifa_prefixlen),
                (
                    scope,
                    r.label().unwrap().map(str::to_string),
                    r.broadcast().unwrap().map(ip_addr),
                    r.cacheinfo().unwrap().map(|ci| ci.ifa_valid),
                ),
            );
        }
        drop(it);
        let theirs = ip_json(&["addr", "show", "dev", "nld0"]);
        let infos = theirs[0]["addr_info"].as_array().unwrap();
        let mut seen = 0;
        for i in infos {
            let fam = if i["family"] == "inet" { 2 } else { 10 };
            let key = (fam, i["local"].as_str().unwrap().to_string(), i["prefixlen"].as_u64().unwrap() as u8);
            let (scope, label, brd, valid) = mine.get(&key).unwrap_or_else(|| panic!("{key:?} missing from the dump"));
            assert_eq!(i["scope"], scope.as_str(), "{key:?} scope");
            if let Some(l) = label {
                assert_eq!(i["label"], l.as_str());
            }
            if let Some(b) = brd {
                assert_eq!(i["broadcast"], b.as_str());
            }
            assert_eq!(i["valid_life_time"].as_u64().map(|v| v as u32), *valid, "{key:?} valid_life_time");
            seen += 1;
        }
        assert_eq!(seen, mine.len(), "same addresses: {mine:?}");
        assert!(mine.contains_key(&(2, "10.11.0.1".into(), 24)));
        assert!(mine.contains_key(&(10, "2001:db8::1".into(), 64)));

        // deladdr, then the address is gone for both.
        c.deladdr(&addr::DeladdrRequest::new(v4).local(&a)).unwrap();
        let theirs = ip_json(&["addr", "show", "dev", "nld0"]);
        assert!(theirs[0]["addr_info"].as_array().unwrap().iter().all(|i| i["local"] != "10.11.0.1"));
        let e = c.deladdr(&addr::DeladdrRequest::new(v4).local(&a)).unwrap_err();
        assert_eq!(e.errno(), Some(99), "EADDRNOTAVAIL: {e}");
    });
}

#[test]
fn routes_match_iproute2() {
    in_netns("routes_match_iproute2", || {
        let mut lc = link::Client::new().unwrap();
        create_dummy(&mut lc, "nld0");
        let idx = index_of(&mut lc, "nld0");
        set_up(&mut lc, idx);
        ip(&["addr", "add", "10.11.0.1/24", "dev", "nld0"]);
        let mut c = route::Client::new().unwrap();
        let hdr = route::Rtmsg {
            rtm_family: 2,
            rtm_dst_len: 16,
            rtm_table: 254,
            rtm_protocol: route::RtProtocol::STATIC,
            rtm_scope: route::RtScope::UNIVERSE,
            rtm_type: route::RtmType::UNICAST,
            ..Default::default()
        };
        let req = route::NewrouteRequest::new(hdr)
            .create()
            .excl()
            .dst(&Ipv4Addr::new(10, 99, 0, 0).octets())
            .gateway(&Ipv4Addr::new(10, 11, 0, 254).octets())
            .oif(idx as u32)
            .priority(77);
        c.newroute(&req).unwrap();
        // The same again with NLM_F_EXCL: EEXIST; with NLM_F_REPLACE: fine.
        assert_eq!(c.newroute(&req).unwrap_err().errno(), Some(17));
        let hdr2 = route::Rtmsg { rtm_dst_len: 16, ..hdr };
        c.newroute(
            &route::NewrouteRequest::new(hdr2)
                .create()
                .replace()
                .dst(&Ipv4Addr::new(10, 99, 0, 0).octets())
                .gateway(&Ipv4Addr::new(10, 11, 0, 254).octets())
                .oif(idx as u32)
                .priority(77),
        )
        .unwrap();

        // Main table, IPv4: dst -> (gateway, dev, protocol, scope, prefsrc, metric)
        type Val = (Option<String>, u32, String, u32, Option<String>, Option<u32>);
        let mut mine: BTreeMap<String, Val> = BTreeMap::new();
        let dump = route::GetrouteDumpRequest::new(route::Rtmsg { rtm_family: 2, ..Default::default() });
        let mut it = c.getroute_dump(&dump).unwrap();
        while let Some(r) = it.next() {
            let r = r.unwrap();
            if r.table().unwrap().unwrap_or(r.header.rtm_table.into()) != 254 {
                continue;
            }
            let dst = match r.dst().unwrap() {
                Some(d) => format!("{}/{}", ip_addr(d), r.header.rtm_dst_len),
                None => "default".into(),
            };
            let dst = dst.trim_end_matches("/32").to_string();
            mine.insert(
                dst,
                (
                    r.gateway().unwrap().map(ip_addr),
                    r.oif().unwrap().expect("oif"),
                    r.header.rtm_protocol.name().unwrap().to_string(),
                    r.header.rtm_scope.0,
                    r.prefsrc().unwrap().map(ip_addr),
                    r.priority().unwrap(),
                ),
            );
        }
        drop(it);
        let theirs = ip_json(&["-4", "route", "show", "table", "main"]);
        let theirs = theirs.as_array().unwrap();
        assert_eq!(theirs.len(), mine.len(), "{theirs:?} vs {mine:?}");
        for r in theirs {
            let dst = r["dst"].as_str().unwrap();
            let (gw, oif, proto, scope, prefsrc, metric) = &mine[dst];
            assert_eq!(r["gateway"].as_str(), gw.as_deref(), "{dst} gateway");
            assert_eq!(r["dev"], "nld0");
            assert_eq!(*oif, idx as u32);
            assert_eq!(r["protocol"], proto.as_str(), "{dst} protocol");
            match *scope {
                0 => assert!(r.get("scope").is_none()),
                253 => assert_eq!(r["scope"], "link"),
                s => panic!("scope {s}"),
            }
            assert_eq!(r["prefsrc"].as_str(), prefsrc.as_deref(), "{dst} prefsrc");
            assert_eq!(r["metric"].as_u64().map(|m| m as u32), *metric, "{dst} metric");
        }
        assert_eq!(mine["10.99.0.0/16"].0.as_deref(), Some("10.11.0.254"));

        // A lookup (do with a reply): the route the kernel would take.
        let hdr = route::Rtmsg { rtm_family: 2, rtm_dst_len: 32, ..Default::default() };
        let r = c.getroute(&route::GetrouteRequest::new(hdr).dst(&Ipv4Addr::new(10, 99, 1, 2).octets())).unwrap();
        assert_eq!(r.oif().unwrap(), Some(idx as u32));
        assert_eq!(r.gateway().unwrap().map(ip_addr).as_deref(), Some("10.11.0.254"));
        assert_eq!(r.header.rtm_type, route::RtmType::UNICAST);

        // delroute, then it is gone for iproute2 too.
        let hdr = route::Rtmsg { rtm_family: 2, rtm_dst_len: 16, rtm_table: 254, ..Default::default() };
        c.delroute(&route::DelrouteRequest::new(hdr).dst(&Ipv4Addr::new(10, 99, 0, 0).octets())).unwrap();
        let theirs = ip_json(&["-4", "route", "show", "table", "main"]);
        assert!(theirs.as_array().unwrap().iter().all(|r| r["dst"] != "10.99.0.0/16"));
        let e = c.delroute(&route::DelrouteRequest::new(hdr).dst(&Ipv4Addr::new(10, 99, 0, 0).octets())).unwrap_err();
        assert_eq!(e.errno(), Some(3), "ESRCH: {e}");
    });
}

#[test]
fn subscriber_gets_typed_notifications() {
    in_netns("subscriber_gets_typed_notifications", || {
        let mut links = link::Client::new().unwrap();
        assert_eq!(links.subscribe(link::Group::RtnlgrpLink).unwrap(), 1);
        let mut addrs = addr::Client::new().unwrap();
        assert_eq!(addrs.subscribe(addr::Group::RtnlgrpIpv4Ifaddr).unwrap(), 5);

        // Another socket makes the changes.
        let mut other = link::Client::new().unwrap();
        create_dummy(&mut other, "nln0");
        let idx = index_of(&mut other, "nln0");
        set_up(&mut other, idx);
        let mut other_addr = addr::Client::new().unwrap();
        let hdr = addr::Ifaddrmsg { ifa_family: 2, ifa_prefixlen: 24, ifa_index: idx as u32, ..Default::default() };
        let a = Ipv4Addr::new(10, 12, 0, 1).octets();
        other_addr.newaddr(&addr::NewaddrRequest::new(hdr).create().local(&a).address(&a)).unwrap();
        other_addr.deladdr(&addr::DeladdrRequest::new(hdr).local(&a)).unwrap();
        other.dellink(&link::DellinkRequest::new(link::Ifinfomsg { ifi_index: idx, ..Default::default() })).unwrap();

        // Link group: RTM_NEWLINK (created, then up ...), then RTM_DELLINK, all typed.
        let deadline = Instant::now() + Duration::from_secs(5);
        let (mut new, mut up, mut del) = (0, false, false);
        while !del && Instant::now() < deadline {
            let Some(n) = links.recv_notification_timeout(Duration::from_millis(500)).unwrap() else { continue };
            match n {
                link::Notification::Newlink(m) => {
                    assert_eq!(m.msg.msg_type(), link::cmd::NEWLINK);
                    if m.ifname().unwrap() == Some("nln0") {
                        assert_eq!(m.header.ifi_index, idx);
                        new += 1;
                        up |= m.header.ifi_flags.0 & link::IffFlags::UP.0 != 0;
                    }
                }
                link::Notification::Dellink(m) => {
                    assert_eq!(m.ifname().unwrap(), Some("nln0"));
                    assert_eq!(m.header.ifi_index, idx);
                    del = true;
                }
                other => panic!("unexpected link notification {other:?}"),
            }
        }
        assert!(new >= 2 && up && del, "RTM_NEWLINK x{new} (up: {up}), RTM_DELLINK: {del}");

        // Address group: RTM_NEWADDR then RTM_DELADDR of 10.12.0.1/24.
        let mut got = Vec::new();
        while got.len() < 2 {
            let n = addrs.recv_notification_timeout(Duration::from_secs(5)).unwrap().expect("an address notification");
            match n {
                addr::Notification::Newaddr(m) => {
                    assert_eq!((m.header.ifa_index, m.header.ifa_prefixlen), (idx as u32, 24));
                    got.push(("new", local_of(&m)));
                }
                addr::Notification::Deladdr(m) => got.push(("del", local_of(&m))),
                other => panic!("unexpected address notification {other:?}"),
            }
        }
        assert_eq!(got, [("new", "10.12.0.1".to_string()), ("del", "10.12.0.1".to_string())]);
    });
}

/// A subscribed socket's own change: without `NLM_F_ECHO` the kernel multicasts it to the group
/// including us (a notification, stamped with our port id and the request's sequence number);
/// with `NLM_F_ECHO` it leaves us out of the multicast and unicasts the group-tagged copy to us,
/// which the socket takes as the request's reply (so nothing is queued), while another
/// subscriber still gets the notification.
#[test]
fn own_change_notification_vs_echo() {
    in_netns("own_change_notification_vs_echo", || {
        let mut lc = link::Client::new().unwrap();
        create_dummy(&mut lc, "nle0");
        let idx = index_of(&mut lc, "nle0");
        set_up(&mut lc, idx);
        let mut me = addr::Client::new().unwrap();
        me.subscribe(addr::Group::RtnlgrpIpv4Ifaddr).unwrap();
        let mut other = addr::Client::new().unwrap();
        other.subscribe(addr::Group::RtnlgrpIpv4Ifaddr).unwrap();
        let hdr = addr::Ifaddrmsg { ifa_family: 2, ifa_prefixlen: 24, ifa_index: idx as u32, ..Default::default() };
        let new_local = |c: &mut addr::Client, t: Duration| -> Option<String> {
            match c.recv_notification_timeout(t).unwrap()? {
                addr::Notification::Newaddr(m) => Some(local_of(&m)),
                n => panic!("unexpected {n:?}"),
            }
        };

        // Without NLM_F_ECHO: our own change comes back as a notification.
        let a = Ipv4Addr::new(10, 13, 0, 1).octets();
        me.newaddr(&addr::NewaddrRequest::new(hdr).create().local(&a).address(&a)).unwrap();
        assert_eq!(new_local(&mut me, Duration::from_secs(5)).as_deref(), Some("10.13.0.1"));
        assert_eq!(new_local(&mut other, Duration::from_secs(5)).as_deref(), Some("10.13.0.1"));

        // With NLM_F_ECHO: the echo is the reply; nothing is queued on our socket.
        let b = Ipv4Addr::new(10, 13, 0, 2).octets();
        let req = addr::NewaddrRequest::new(hdr).create().local(&b).address(&b);
        me.newaddr(&req.nlm_flags(nlspec_rt::msg::NLM_F_ECHO)).unwrap();
        assert_eq!(new_local(&mut other, Duration::from_secs(5)).as_deref(), Some("10.13.0.2"));
        assert_eq!(new_local(&mut me, Duration::from_millis(300)), None, "the echo was filed as a notification");
    });
}

/// A rule of a dump as `ip -j -d rule show` prints it (iproute2's ip/iprule.c: the keys it
/// writes for the header and attributes a rule has).
fn rule_json(h: &rule::FibRuleHdr, a: &rule::RuleAttrsOwned) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("priority", json!(a.priority.unwrap_or(0)));
    if h.flags.0 & rule::FibRuleFlags::INVERT.0 != 0 {
        put("not", Value::Null);
    }
    match &a.src {
        Some(s) => {
            put("src", json!(ip_addr(s)));
            let full = if s.len() == 4 { 32 } else { 128 };
            if h.src_len != full {
                put("srclen", json!(h.src_len));
            }
        }
        None if h.src_len == 0 => put("src", json!("all")),
        None => {}
    }
    if let Some(d) = &a.dst {
        put("dst", json!(ip_addr(d)));
        let full = if d.len() == 4 { 32 } else { 128 };
        if h.dst_len != full {
            put("dstlen", json!(h.dst_len));
        }
    }
    if h.tos != 0 {
        put("tos", json!(format!("{:#x}", h.tos)));
    }
    if let Some(mark) = a.fwmark {
        put("fwmark", json!(format!("{mark:#x}")));
    }
    if let Some(mask) = a.fwmask.filter(|m| *m != u32::MAX) {
        put("fwmask", json!(format!("{mask:#x}")));
    }
    if let Some(i) = &a.iifname {
        put("iif", json!(i));
    }
    if let Some(o) = &a.oifname {
        put("oif", json!(o));
    }
    if let Some(u) = a.uid_range {
        put("uid_start", json!(u.start));
        put("uid_end", json!(u.end));
    }
    if let Some(p) = a.ip_proto {
        put(
            "ipproto",
            json!(match p {
                6 => "tcp".to_string(),
                17 => "udp".to_string(),
                p => p.to_string(),
            }),
        );
    }
    for (name, r) in [("sport", a.sport_range), ("dport", a.dport_range)] {
        if let Some(r) = r {
            if r.start == r.end {
                put(name, json!(r.start));
            } else {
                put(&format!("{name}_start"), json!(r.start));
                put(&format!("{name}_end"), json!(r.end));
            }
        }
    }
    let table = a.table.unwrap_or(h.table.into());
    if table != 0 {
        put(
            "table",
            json!(match table {
                255 => "local".to_string(),
                254 => "main".to_string(),
                253 => "default".to_string(),
                t => t.to_string(),
            }),
        );
    }
    if let Some(g) = a.goto {
        put("goto", json!(g));
    }
    match h.action {
        rule::FrAct::TO_TBL | rule::FrAct::GOTO => {}
        act => put("action", json!(act.name().unwrap())),
    }
    put(
        "protocol",
        json!(match a.protocol.unwrap_or(0) {
            0 => "unspec".to_string(),
            2 => "kernel".to_string(),
            3 => "boot".to_string(),
            4 => "static".to_string(),
            p => p.to_string(),
        }),
    );
    Value::Object(m)
}

#[test]
fn rules_match_iproute2() {
    in_netns("rules_match_iproute2", || {
        let mut c = rule::Client::new().unwrap();
        let v4 =
            |dst_len, src_len, action| rule::FibRuleHdr { family: 2, dst_len, src_len, action, ..Default::default() };
        // from 10.1.0.0/16 lookup 100
        c.newrule(
            &rule::NewruleRequest::new(v4(0, 16, rule::FrAct::TO_TBL))
                .create()
                .excl()
                .src(&Ipv4Addr::new(10, 1, 0, 0).octets())
                .table(100)
                .priority(1000),
        )
        .unwrap();
        // fwmark 0x10/0xff iif lo uidrange 100-200 ipproto tcp dport 80-90 lookup 5000
        c.newrule(
            &rule::NewruleRequest::new(v4(0, 0, rule::FrAct::TO_TBL))
                .create()
                .fwmark(0x10)
                .fwmask(0xff)
                .iifname("lo")
                .uid_range(&rule::FibRuleUidRange { start: 100, end: 200 })
                .ip_proto(6)
                .dport_range(&rule::FibRulePortRange { start: 80, end: 90 })
                .sport_range(&rule::FibRulePortRange { start: 1000, end: 1000 })
                .table(5000)
                .priority(1001)
                .protocol(4),
        )
        .unwrap();
        // to 192.0.2.0/24 unreachable
        c.newrule(
            &rule::NewruleRequest::new(v4(24, 0, rule::FrAct::UNREACHABLE))
                .create()
                .dst(&Ipv4Addr::new(192, 0, 2, 0).octets())
                .priority(1002),
        )
        .unwrap();
        // not from 10.0.0.0/8 tos 0x10 goto 1002
        let mut h = v4(0, 8, rule::FrAct::GOTO);
        h.tos = 0x10;
        h.flags = rule::FibRuleFlags::INVERT;
        c.newrule(
            &rule::NewruleRequest::new(h).create().src(&Ipv4Addr::new(10, 0, 0, 0).octets()).goto(1002).priority(999),
        )
        .unwrap();
        // IPv6: from 2001:db8::/32 lookup 300
        let v6 = rule::FibRuleHdr { family: 10, src_len: 32, action: rule::FrAct::TO_TBL, ..Default::default() };
        let p6: Ipv6Addr = "2001:db8::".parse().unwrap();
        c.newrule(&rule::NewruleRequest::new(v6).create().src(&p6.octets()).table(300).priority(1003)).unwrap();

        let mut compared = 0;
        for (family, flag) in [(2u8, "-4"), (10, "-6")] {
            let mut mine = Vec::new();
            let req = rule::GetruleDumpRequest::new(rule::FibRuleHdr { family, ..Default::default() });
            let mut it = c.getrule_dump(&req).unwrap();
            while let Some(r) = it.next() {
                let r = r.unwrap();
                assert_eq!(r.msg.msg_type(), rule::cmd::GETRULE_REPLY);
                assert_eq!(r.header.family, family);
                mine.push(rule_json(&r.header, &r.attrs.to_owned().unwrap()));
            }
            drop(it);
            let theirs = ip_json(&[flag, "-d", "rule", "show"]);
            // Same rules, in the same order, field by field.
            assert_eq!(theirs.as_array().unwrap().len(), mine.len(), "{flag}: {theirs} vs {mine:?}");
            for (t, m) in theirs.as_array().unwrap().iter().zip(&mine) {
                assert_eq!(t, m, "{flag} rule");
                compared += 1;
            }
        }
        // local, main, default, the five added, local6 and main6.
        assert_eq!(compared, 10);

        // delrule by priority; gone for iproute2 too; again: ENOENT.
        let del = rule::DelruleRequest::new(v4(0, 0, rule::FrAct::UNSPEC)).priority(1001);
        c.delrule(&del).unwrap();
        assert!(ip_json(&["-4", "rule", "show"]).as_array().unwrap().iter().all(|r| r["priority"] != 1001));
        assert_eq!(c.delrule(&del).unwrap_err().errno(), Some(2));
    });
}

/// A tc handle as tc prints it (`1:`, `ffff:fff1`).
fn tc_handle(h: u32) -> String {
    match h & 0xffff {
        0 => format!("{:x}:", h >> 16),
        minor => format!("{:x}:{:x}", h >> 16, minor),
    }
}

/// A qdisc of a dump as `tc -j qdisc show` prints it (tc/tc_qdisc.c and the kinds' q_*.c):
/// header fields and, per kind, the options both show. `tick_ns`: nanoseconds per scheduler
/// tick (`/proc/net/psched`), to turn tbf's bucket back into bytes as tc does.
fn qdisc_json(h: &tc::Tcmsg, a: &tc::TcAttrs<'_>, dev: &str, tick_ns: f64) -> Result<Value, DecodeError> {
    let kind = a.kind()?.expect("a qdisc's kind");
    let mut m = Map::new();
    m.insert("kind".into(), json!(kind));
    m.insert("handle".into(), json!(tc_handle(h.handle)));
    m.insert("dev".into(), json!(dev));
    if h.parent == u32::MAX {
        m.insert("root".into(), json!(true));
    } else {
        m.insert("parent".into(), json!(tc_handle(h.parent)));
    }
    // tc leaves out a reference count of 1.
    if h.info != 1 {
        m.insert("refcnt".into(), json!(h.info));
    }
    let opts = match a.options_msg()? {
        Some(tc::TcaOptionsMsg::Tbf(t)) => {
            let p = t.parms()?.expect("tbf parms");
            let rate = t.rate64()?.unwrap_or(p.rate.into());
            // tc_calc_xmitsize: bytes the rate sends in the bucket's time.
            let burst = (rate as f64 * p.buffer as f64 * tick_ns / 1e9) as u64;
            json!({ "rate": rate, "burst": burst })
        }
        Some(tc::TcaOptionsMsg::Htb(t)) => {
            let g = t.init()?.expect("htb init");
            json!({
                "r2q": g.rate2quantum,
                "default": format!("{:#x}", g.defcls),
                "direct_packets_stat": g.direct_pkts,
                "direct_qlen": t.direct_qlen()?.expect("htb direct_qlen"),
            })
        }
        Some(tc::TcaOptionsMsg::Pfifo(f) | tc::TcaOptionsMsg::Bfifo(f)) => {
            json!({ "limit": if kind == "bfifo" { json!(format!("{}b", f.limit)) } else { json!(f.limit) } })
        }
        Some(tc::TcaOptionsMsg::Ingress(_)) => json!({}),
        other => panic!("unexpected options of {kind}: {other:?}"),
    };
    m.insert("options".into(), opts);
    Ok(Value::Object(m))
}

/// Nanoseconds per scheduler tick, from `/proc/net/psched` (`t2us us2t clock_res hz`: one tick
/// is `t2us / us2t` microseconds... scaled by the clock resolution as tc's tc_core.c does).
fn psched_tick_ns() -> f64 {
    let s = std::fs::read_to_string("/proc/net/psched").unwrap();
    let v: Vec<u32> = s.split_whitespace().map(|x| u32::from_str_radix(x, 16).unwrap()).collect();
    let (t2us, us2t, clock_res) = (v[0] as f64, v[1] as f64, v[2] as f64);
    // tc_core.c: clock_factor = clock_res / TIME_UNITS_PER_SEC (1e6); tick_in_usec = t2us /
    // us2t * clock_factor; a tick is tick_in_usec microseconds... of tc's time units.
    let clock_factor = clock_res / 1e6;
    1000.0 / (t2us / us2t * clock_factor)
}

#[test]
fn qdiscs_match_tc() {
    in_netns("qdiscs_match_tc", || {
        let mut lc = link::Client::new().unwrap();
        let mut idx = BTreeMap::new();
        for name in ["nlq0", "nlq1", "nlq2"] {
            create_dummy(&mut lc, name);
            let i = index_of(&mut lc, name);
            set_up(&mut lc, i);
            idx.insert(i, name);
        }
        let index = |n: &str| *idx.iter().find(|(_, v)| **v == n).unwrap().0;
        let mut c = tc::Client::new().unwrap();
        let root = |ifindex, handle| tc::Tcmsg { ifindex, handle, parent: u32::MAX, ..Default::default() };

        // nlq0: tbf 1 Mbit/s (125000 bytes/s), 32 KiB bucket (in bytes: TCA_TBF_BURST), 50 KiB
        // queue, an Ethernet link layer (so no rate table is needed).
        let parms = tc::TcTbfQopt { rate_linklayer: 1, rate: 125_000, limit: 51_200, ..Default::default() };
        let mut opts = Vec::new();
        let mut w = AttrWriter::new(&mut opts);
        tc::TbfAttrsEncoder::new(&mut w).parms(&parms).burst(32 * 1024);
        w.finish().unwrap();
        c.newqdisc(&tc::NewqdiscRequest::new(root(index("nlq0"), 1 << 16)).create().excl().kind("tbf").options(&opts))
            .unwrap();
        // nlq0 ingress.
        let ingress =
            tc::Tcmsg { ifindex: index("nlq0"), handle: 0xffff_0000, parent: 0xffff_fff1, ..Default::default() };
        c.newqdisc(&tc::NewqdiscRequest::new(ingress).create().excl().kind("ingress")).unwrap();
        // nlq1: pfifo limit 77.
        let fifo = tc::TcFifoQopt { limit: 77 }.to_bytes();
        c.newqdisc(
            &tc::NewqdiscRequest::new(root(index("nlq1"), 2 << 16)).create().excl().kind("pfifo").options(&fifo),
        )
        .unwrap();
        // nlq2: htb, default class 0x10.
        let mut opts = Vec::new();
        let mut w = AttrWriter::new(&mut opts);
        let glob = tc::TcHtbGlob { version: 3, rate2quantum: 10, defcls: 0x10, ..Default::default() };
        tc::HtbAttrsEncoder::new(&mut w).init(&glob).direct_qlen(32);
        w.finish().unwrap();
        c.newqdisc(&tc::NewqdiscRequest::new(root(index("nlq2"), 3 << 16)).create().excl().kind("htb").options(&opts))
            .unwrap();
        // The same tbf again with NLM_F_EXCL: EEXIST.
        let e = c.newqdisc(
            &tc::NewqdiscRequest::new(root(index("nlq1"), 2 << 16)).create().excl().kind("pfifo").options(&fifo),
        );
        assert_eq!(e.unwrap_err().errno(), Some(17));

        let tick_ns = psched_tick_ns();
        let mut mine: BTreeMap<(String, String), Value> = BTreeMap::new();
        let mut it = c.getqdisc_dump(&tc::GetqdiscDumpRequest::new(tc::Tcmsg::default())).unwrap();
        while let Some(r) = it.next() {
            let r = r.unwrap();
            assert_eq!(r.msg.msg_type(), tc::cmd::GETQDISC_REPLY);
            let Some(dev) = idx.get(&r.header.ifindex) else { continue };
            let j = qdisc_json(&r.header, &r.attrs, dev, tick_ns).unwrap();
            mine.insert((dev.to_string(), j["handle"].as_str().unwrap().to_string()), j);
        }
        drop(it);
        let theirs = ip_json_cmd("tc", &["qdisc", "show"]);
        let mut compared = 0;
        for t in theirs.as_array().unwrap() {
            let Some(dev) = t["dev"].as_str().filter(|d| d.starts_with("nlq")) else { continue };
            let key = (dev.to_string(), t["handle"].as_str().unwrap().to_string());
            let m = mine.get(&key).unwrap_or_else(|| panic!("{key:?} missing from the typed dump: {mine:?}"));
            for (k, v) in t.as_object().unwrap() {
                let mv = &m[k];
                if k == "options" && m["kind"] == "tbf" {
                    // tc recomputes the burst from the bucket's ticks: equal up to its rounding.
                    assert_eq!(v["rate"], mv["rate"], "{key:?} tbf rate");
                    let (a, b) = (v["burst"].as_f64().unwrap(), mv["burst"].as_f64().unwrap());
                    assert!((a - b).abs() <= a / 100.0, "{key:?} tbf burst: tc {a}, ours {b}");
                    assert!((a - 32768.0).abs() <= 328.0, "{key:?} tbf burst {a}");
                    continue;
                }
                assert_eq!(v, mv, "{key:?} {k}: tc {t} vs ours {m}");
            }
            assert_eq!(t.as_object().unwrap().len(), m.as_object().unwrap().len(), "same keys: {t} vs {m}");
            compared += 1;
        }
        assert_eq!(compared, 4, "{mine:?}");
        assert_eq!(mine.len(), 4);

        // A do: the root qdisc of nlq1, by its handle. The kernel answers a qdisc get by
        // sending the qdisc to the tc group and, only with NLM_F_ECHO, to the asker too
        // (sch_api.c, qdisc_get_notify): without it the ACK comes alone (NoReply; this socket
        // is not subscribed, so nothing is queued either). The echoed copy is the skb that
        // was multicast, so it arrives tagged with the tc group; it carries our port id and
        // the request's sequence number, and the request asked for the echo, so the socket
        // takes it as the reply (core.rs, `is_echo`).
        let get = tc::GetqdiscRequest::new(root(index("nlq1"), 2 << 16));
        assert!(matches!(c.getqdisc(&get).unwrap_err(), Error::NoReply));
        let r = c.getqdisc(&get.nlm_flags(nlspec_rt::msg::NLM_F_ECHO)).unwrap();
        assert_eq!(r.msg.msg_type(), tc::cmd::GETQDISC_REPLY);
        assert_eq!((r.kind().unwrap(), r.header.handle, r.header.ifindex), (Some("pfifo"), 2 << 16, index("nlq1")));
        assert!(matches!(r.options_msg(), Ok(Some(tc::TcaOptionsMsg::Pfifo(tc::TcFifoQopt { limit: 77 })))));
        assert!(c.recv_notification_timeout(Duration::ZERO).unwrap().is_none(), "the echo was also queued");

        // delqdisc: tc no longer shows the tbf.
        c.delqdisc(&tc::DelqdiscRequest::new(root(index("nlq0"), 1 << 16))).unwrap();
        let theirs = ip_json_cmd("tc", &["qdisc", "show", "dev", "nlq0"]);
        assert!(theirs.as_array().unwrap().iter().all(|q| q["kind"] != "tbf"), "{theirs}");
    });
}

/// `<cmd> -j <args>` (run inside the namespace), parsed.
fn ip_json_cmd(cmd: &str, args: &[&str]) -> Value {
    let out = Command::new(cmd).arg("-j").args(args).output().unwrap_or_else(|e| panic!("running {cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{cmd} -j {args:?}: {e}"))
}

/// A message made by hand: nlmsghdr of type `ty`, the fixed header, attributes from `f`.
fn hand_msg(ty: u16, header: &[u8], f: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b.extend_from_slice(header);
    let mut w = AttrWriter::new(&mut b);
    f(&mut w);
    w.finish().unwrap();
    let len = b.len() as u32;
    b[0..4].copy_from_slice(&len.to_ne_bytes());
    b[4..6].copy_from_slice(&ty.to_ne_bytes());
    b
}

/// Decode `b` through every typed view of the rt-rule client (`tc == false`) or the tc client,
/// reading every attribute, reaching into the sub-message and the structs; `Err` at the first
/// decode error.
fn decode_rule_or_tc(b: &[u8], tc: bool) -> Result<(), DecodeError> {
    use nlspec_rt::typed_raw::DecodeMsg;
    let m = NlMsg::parse(b)?;
    if !tc {
        let r = rule::GetruleReply::decode_msg(&m)?;
        let _ = (r.uid_range()?, r.dport_range()?, r.attrs.to_owned()?);
        let _ = rule::Notification::decode(&m)?;
        return Ok(());
    }
    let q = tc::GetqdiscReply::decode_msg(&m)?;
    let _ = q.attrs.to_owned()?;
    if let Some(tc::TcaOptionsMsg::Tbf(t)) = q.options_msg()? {
        let _ = (t.parms()?, t.burst()?, t.to_owned()?);
    }
    let _ = tc::Notification::decode(&m)?;
    Ok(())
}

#[test]
fn corrupted_rule_and_qdisc_messages_are_typed_errors() {
    let parms = tc::TcTbfQopt { rate_linklayer: 1, rate: 125_000, limit: 51_200, ..Default::default() };
    let tbf =
        hand_msg(tc::cmd::NEWQDISC, &tc::Tcmsg { ifindex: 3, handle: 1 << 16, ..Default::default() }.to_bytes(), |w| {
            let mut e = tc::TcAttrsEncoder::new(w);
            e.kind("tbf");
            let mut opts = Vec::new();
            let mut ow = AttrWriter::new(&mut opts);
            tc::TbfAttrsEncoder::new(&mut ow).parms(&parms).burst(4096);
            ow.finish().unwrap();
            e.options(&opts);
        });
    let m = NlMsg::parse(&tbf).unwrap();
    let q = <tc::GetqdiscReply as nlspec_rt::typed_raw::DecodeMsg>::decode_msg(&m).unwrap();
    match q.options_msg().unwrap().unwrap() {
        tc::TcaOptionsMsg::Tbf(t) => assert_eq!((t.parms().unwrap(), t.burst().unwrap()), (Some(parms), Some(4096))),
        other => panic!("{other:?}"),
    }
    // A tbf whose parms struct is 4 bytes short: a typed error when parms is read, located at
    // `.parms` of the options' view (the sub-message is read lazily, by its own view).
    let short = hand_msg(tc::cmd::NEWQDISC, &tc::Tcmsg::default().to_bytes(), |w| {
        w.put_str(tc::attrs::tc_attrs::KIND, "tbf");
        let mut opts = Vec::new();
        let mut ow = AttrWriter::new(&mut opts);
        ow.put_bytes(tc::attrs::tbf_attrs::PARMS, &parms.to_bytes()[..32]);
        ow.finish().unwrap();
        w.put_bytes(tc::attrs::tc_attrs::OPTIONS, &opts);
    });
    let q = <tc::GetqdiscReply as nlspec_rt::typed_raw::DecodeMsg>::decode_msg(&NlMsg::parse(&short).unwrap()).unwrap();
    let t = match q.options_msg().unwrap() {
        Some(tc::TcaOptionsMsg::Tbf(t)) => t,
        other => panic!("{other:?}"),
    };
    let e = t.parms().unwrap_err();
    assert!(matches!(e.kind(), DecodeErrorKind::BadLength { .. }), "{e:?}");
    assert_eq!(e.path().to_string(), ".parms");
    // `to_owned` of the options' view, which reads every attribute, stops at the same error.
    assert_eq!(t.to_owned().unwrap_err(), e);
    // Rule: header, a uid range and a port range.
    let rl = hand_msg(rule::cmd::NEWRULE, &rule::FibRuleHdr { family: 2, ..Default::default() }.to_bytes(), |w| {
        let mut e = rule::RuleAttrsEncoder::new(w);
        e.priority(7)
            .uid_range(&rule::FibRuleUidRange { start: 1, end: 2 })
            .dport_range(&rule::FibRulePortRange { start: 80, end: 90 });
    });
    decode_rule_or_tc(&rl, false).unwrap();
    decode_rule_or_tc(&tbf, true).unwrap();

    // Every truncation (nlmsg_len adjusted) and every single-byte corruption of both: a typed
    // error or a valid message, never a panic; cuts inside the fixed header are BadMessage.
    let mut errors = 0;
    for (good, is_tc) in [(&rl, false), (&tbf, true)] {
        let hsize = if is_tc { tc::Tcmsg::SIZE } else { rule::FibRuleHdr::SIZE };
        for cut in 16..good.len() {
            let mut b = good[..cut].to_vec();
            b[0..4].copy_from_slice(&(cut as u32).to_ne_bytes());
            match decode_rule_or_tc(&b, is_tc) {
                Ok(()) => {}
                Err(e) => {
                    if cut < 16 + hsize {
                        assert!(matches!(e.kind(), DecodeErrorKind::BadMessage(_)), "cut {cut}: {e:?}");
                    }
                    errors += 1;
                }
            }
        }
        for at in 16..good.len() {
            for v in [0u8, 1, 3, 0x7f, 0xff] {
                let mut b = good.to_vec();
                b[at] = v;
                if decode_rule_or_tc(&b, is_tc).is_err() {
                    errors += 1;
                }
            }
        }
    }
    assert!(errors > 50, "corruptions found: {errors}");
}

/// A current-thread tokio runtime with I/O and timers (the async clients' sockets register
/// with it).
fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn async_link_dump_matches_blocking_and_iproute2() {
    in_netns("async_link_dump_matches_blocking_and_iproute2", || {
        let mut c = link::Client::new().unwrap();
        for i in 0..3 {
            create_dummy(&mut c, &format!("nla{i}"));
        }
        let idx = index_of(&mut c, "nla1");
        set_up(&mut c, idx);
        let mut blocking = BTreeMap::new();
        let mut it = c.getlink_dump(&link::GetlinkDumpRequest::new(link::Ifinfomsg::default())).unwrap();
        while let Some(r) = it.next() {
            let r = r.unwrap();
            blocking.insert(r.header.ifi_index, (r.header, r.attrs.to_owned().unwrap()));
        }
        drop(it);

        tokio_rt().block_on(async {
            let mut ac = link::AsyncClient::new().unwrap();
            let mut mine = BTreeMap::new();
            let mut it = ac.getlink_dump(&link::GetlinkDumpRequest::new(link::Ifinfomsg::default())).await.unwrap();
            while let Some(r) = it.next().await {
                let r = r.unwrap();
                assert_eq!(r.msg.msg_type(), link::cmd::GETLINK_REPLY);
                mine.insert(r.header.ifi_index, (r.header, r.attrs.to_owned().unwrap()));
            }
            drop(it);
            // Same links, same headers and attributes as the blocking client's dump (nothing
            // changes in the namespace between the two; statistics of idle links stay put).
            assert_eq!(mine.len(), 4);
            for (i, (h, a)) in &mine {
                let (bh, ba) = &blocking[i];
                assert_eq!(h, bh, "link {i} header");
                assert_eq!(
                    (&a.ifname, a.mtu, &a.address, &a.operstate),
                    (&ba.ifname, ba.mtu, &ba.address, &ba.operstate)
                );
            }
            let theirs = ip_json(&["link", "show"]);
            let theirs: BTreeMap<i32, String> = theirs
                .as_array()
                .unwrap()
                .iter()
                .map(|l| (l["ifindex"].as_i64().unwrap() as i32, l["ifname"].as_str().unwrap().to_string()))
                .collect();
            let names: BTreeMap<i32, String> = mine.iter().map(|(i, (_, a))| (*i, a.ifname.clone().unwrap())).collect();
            assert_eq!(names, theirs);
            assert!(mine[&idx].0.ifi_flags.0 & link::IffFlags::UP.0 != 0);

            // An async do with a reply, and a kernel error through the async path.
            let r = ac.getlink(&link::GetlinkRequest::new(link::Ifinfomsg::default()).ifname("nla2")).await.unwrap();
            assert_eq!(r.ifname().unwrap(), Some("nla2"));
            let e =
                ac.getlink(&link::GetlinkRequest::new(link::Ifinfomsg::default()).ifname("nope0")).await.unwrap_err();
            assert_eq!(e.errno(), Some(19), "ENODEV: {e}");
            // An async request answered by an ACK alone.
            let hdr = link::Ifinfomsg { ifi_index: idx, ..Default::default() };
            ac.setlink(&link::SetlinkRequest::new(hdr).mtu(1234)).await.unwrap();
        });
        assert_eq!(ip_json(&["link", "show", "nla1"])[0]["mtu"], 1234);
    });
}

#[test]
fn async_subscriber_gets_address_notifications() {
    in_netns("async_subscriber_gets_address_notifications", || {
        let mut lc = link::Client::new().unwrap();
        create_dummy(&mut lc, "nln0");
        let idx = index_of(&mut lc, "nln0");
        set_up(&mut lc, idx);
        tokio_rt().block_on(async {
            let mut sub = addr::AsyncClient::new().unwrap();
            assert_eq!(sub.subscribe(addr::Group::RtnlgrpIpv4Ifaddr).unwrap(), 5);
            // The subscriber waits in a task of its own while another async socket makes the
            // change.
            let waiter = tokio::spawn(async move {
                let mut got = Vec::new();
                while got.len() < 2 {
                    let n = tokio::time::timeout(Duration::from_secs(5), sub.recv_notification())
                        .await
                        .expect("an address notification within 5 s")
                        .unwrap();
                    match n {
                        addr::Notification::Newaddr(m) => {
                            assert_eq!(m.msg.msg_type(), addr::cmd::NEWADDR);
                            got.push(("new", m.header.ifa_index, m.header.ifa_prefixlen, local_of(&m)));
                        }
                        addr::Notification::Deladdr(m) => {
                            got.push(("del", m.header.ifa_index, m.header.ifa_prefixlen, local_of(&m)))
                        }
                        other => panic!("unexpected address notification {other:?}"),
                    }
                }
                got
            });
            let mut ac = addr::AsyncClient::new().unwrap();
            let hdr = addr::Ifaddrmsg { ifa_family: 2, ifa_prefixlen: 24, ifa_index: idx as u32, ..Default::default() };
            let a = Ipv4Addr::new(10, 13, 0, 1).octets();
            ac.newaddr(&addr::NewaddrRequest::new(hdr).create().excl().local(&a).address(&a)).await.unwrap();
            // The address is there for an async dump and for iproute2.
            let mut it = ac.getaddr_dump(&addr::GetaddrDumpRequest::new(addr::Ifaddrmsg::default())).await.unwrap();
            let mut found = 0;
            while let Some(r) = it.next().await {
                let r = r.unwrap();
                if r.header.ifa_index == idx as u32 && r.header.ifa_family == 2 {
                    assert_eq!(r.local().unwrap().map(ip_addr).as_deref(), Some("10.13.0.1"));
                    found += 1;
                }
            }
            drop(it);
            assert_eq!(found, 1);
            let theirs = ip_json(&["-4", "addr", "show", "dev", "nln0"]);
            assert_eq!(theirs[0]["addr_info"][0]["local"], "10.13.0.1");
            ac.deladdr(&addr::DeladdrRequest::new(hdr).local(&a)).await.unwrap();
            let got = waiter.await.unwrap();
            let i = idx as u32;
            assert_eq!(got, [("new", i, 24, "10.13.0.1".to_string()), ("del", i, 24, "10.13.0.1".to_string())]);
        });
    });
}

/// A `RTM_NEWLINK` message made by hand: nlmsghdr, ifinfomsg, IFLA_IFNAME "hand0", IFLA_MTU.
fn newlink_bytes() -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b.extend_from_slice(&link::Ifinfomsg { ifi_index: 7, ..Default::default() }.to_bytes());
    let mut w = AttrWriter::new(&mut b);
    w.put_str(link::attrs::link_attrs::IFNAME, "hand0");
    w.put_u32(link::attrs::link_attrs::MTU, 1500);
    w.finish().unwrap();
    let len = b.len() as u32;
    b[0..4].copy_from_slice(&len.to_ne_bytes());
    b[4..6].copy_from_slice(&link::cmd::NEWLINK.to_ne_bytes());
    b
}

#[test]
fn malformed_and_truncated_replies_are_typed_errors() {
    use nlspec_rt::typed_raw::DecodeMsg;
    let good = newlink_bytes();
    let msg = NlMsg::parse(&good).unwrap();
    match link::Notification::decode(&msg).unwrap() {
        link::Notification::Newlink(m) => {
            assert_eq!((m.ifname().unwrap(), m.mtu().unwrap(), m.header.ifi_index), (Some("hand0"), Some(1500), 7));
        }
        other => panic!("{other:?}"),
    }
    let r = link::GetlinkReply::decode_msg(&msg).unwrap();
    assert_eq!(r.attrs.to_owned().unwrap().ifname.as_deref(), Some("hand0"));

    // Every truncation (nlmsg_len adjusted so the message itself parses): a typed error or a
    // shorter valid message, never a panic. Decoding a message reads its fixed header; the
    // attributes are read when asked for (here by `to_owned`, which reads them all).
    for cut in 16..good.len() {
        let mut b = good[..cut].to_vec();
        let len = cut as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        let m = NlMsg::parse(&b).unwrap();
        let n = link::Notification::decode(&m);
        let r = link::GetlinkReply::decode_msg(&m);
        // Where an attribute ends (IFLA_IFNAME at 32: 10 bytes, padded to 12; IFLA_MTU at 44:
        // 8), padding cut or not, the rest is a valid shorter message.
        let valid = |c: usize| [32, 42, 43, 44, 52].contains(&c);
        if cut < 16 + link::Ifinfomsg::SIZE {
            let e = n.unwrap_err();
            assert!(matches!(e.kind(), DecodeErrorKind::BadMessage(_)), "cut {cut}: {e:?}");
            assert!(r.is_err());
            continue;
        }
        let r = r.unwrap_or_else(|e| panic!("cut {cut}: {e:?}"));
        let n = match n {
            Ok(link::Notification::Newlink(n)) => n,
            other => panic!("cut {cut}: {other:?}"),
        };
        if valid(cut) {
            assert!(n.attrs.to_owned().is_ok() && r.attrs.to_owned().is_ok(), "cut {cut}");
        } else {
            // Cut inside an attribute: its header's length no longer fits.
            let e = r.attrs.to_owned().unwrap_err();
            assert!(
                matches!(e.kind(), DecodeErrorKind::BadAttrLen { .. } | DecodeErrorKind::TruncatedHeader { .. }),
                "cut {cut}: {e:?}"
            );
            assert!(n.attrs.to_owned().is_err());
        }
    }

    // nlmsg_len beyond the bytes: the message itself is refused.
    let mut b = good.clone();
    b[0..4].copy_from_slice(&(good.len() as u32 + 8).to_ne_bytes());
    assert!(NlMsg::parse(&b).is_err());

    // A wrong-length attribute (IFLA_MTU with 2 bytes): a typed error located at `.mtu`.
    let mut b = vec![0u8; 16];
    b.extend_from_slice(&link::Ifinfomsg::default().to_bytes());
    let mut w = AttrWriter::new(&mut b);
    w.put_u16(link::attrs::link_attrs::MTU, 1500);
    w.finish().unwrap();
    let len = b.len() as u32;
    b[0..4].copy_from_slice(&len.to_ne_bytes());
    b[4..6].copy_from_slice(&link::cmd::NEWLINK.to_ne_bytes());
    let r = link::GetlinkReply::decode_msg(&NlMsg::parse(&b).unwrap()).unwrap();
    let e = r.mtu().unwrap_err();
    assert!(matches!(e.kind(), DecodeErrorKind::BadLength { .. }), "{e:?}");
    assert_eq!(e.path().to_string(), ".mtu");
    // `to_owned`, which reads every attribute, stops at the same error.
    assert_eq!(r.attrs.to_owned().unwrap_err(), e);
    // The client's error type carries it.
    let e: Error = e.into();
    assert!(matches!(e, Error::Decode(_)));

    // A message type the client does not know stays `Other`, undecoded.
    let mut b = good.clone();
    b[4..6].copy_from_slice(&1234u16.to_ne_bytes());
    assert!(matches!(link::Notification::decode(&NlMsg::parse(&b).unwrap()).unwrap(), link::Notification::Other(_)));

    // Garbage of every length: decoding never panics.
    let mut seed = 0x2545_f491_u32;
    for len in 0..200 {
        let mut b: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        if b.len() >= 16 {
            b[0..4].copy_from_slice(&(len as u32).to_ne_bytes());
            b[4..6].copy_from_slice(&link::cmd::NEWLINK.to_ne_bytes());
        }
        if let Ok(m) = NlMsg::parse(&b) {
            if let Ok(link::Notification::Newlink(n)) = link::Notification::decode(&m) {
                // The attributes are read when asked for: all of them, by `to_owned` and `Debug`.
                let _ = (n.attrs.to_owned(), format!("{n:?}"));
            }
            let _ = addr::Notification::decode(&m);
            let _ = route::Notification::decode(&m);
        }
    }
}

/// Why a `try_for_each` below stopped: the test's own reason, or the dump's error.
enum Stop {
    Enough,
    Dump(nlspec_rt::Error),
}

impl From<nlspec_rt::Error> for Stop {
    fn from(e: nlspec_rt::Error) -> Self {
        Stop::Dump(e)
    }
}

/// What `link_key` keeps of a link: header, name, MTU, address.
type LinkKey = (link::Ifinfomsg, Option<String>, Option<u32>, Option<Vec<u8>>);

fn link_key(r: &link::GetlinkReply<'_>) -> Result<LinkKey, DecodeError> {
    Ok((r.header, r.ifname()?.map(str::to_owned), r.mtu()?, r.address()?.map(<[u8]>::to_vec)))
}

/// `try_for_each` lends the replies `next` returns (blocking and tokio clients), in the same
/// order; an error from the closure stops the dump there and is returned, and the rest of
/// the dump is drained before the client's next request, which gets its own answer.
#[test]
fn try_for_each_lends_what_next_returns() {
    in_netns("try_for_each_lends_what_next_returns", || {
        let mut c = link::Client::new().unwrap();
        for i in 0..40 {
            create_dummy(&mut c, &format!("nle{i}"));
        }
        let req = link::GetlinkDumpRequest::new(link::Ifinfomsg::default());
        let mut by_next = Vec::new();
        let mut it = c.getlink_dump(&req).unwrap();
        while let Some(r) = it.next() {
            by_next.push(link_key(&r.unwrap()).unwrap());
        }
        drop(it);
        assert_eq!(by_next.len(), 41, "40 links and lo");

        let mut by_each = Vec::new();
        c.getlink_dump(&req)
            .unwrap()
            .try_for_each(|r| {
                by_each.push(link_key(r)?);
                Ok::<_, nlspec_rt::Error>(())
            })
            .unwrap();
        assert_eq!(by_each, by_next);

        let mut seen = 0;
        let stop = c
            .getlink_dump(&req)
            .unwrap()
            .try_for_each(|_| {
                seen += 1;
                if seen == 3 {
                    Err(Stop::Enough)
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        match stop {
            Stop::Enough => assert_eq!(seen, 3, "stopped at the third reply"),
            Stop::Dump(e) => panic!("the dump failed: {e}"),
        }
        let r = c.getlink(&link::GetlinkRequest::new(link::Ifinfomsg::default()).ifname("nle7")).unwrap();
        assert_eq!(r.ifname().unwrap(), Some("nle7"), "the do after the abandoned dump");

        tokio_rt().block_on(async {
            let mut ac = link::AsyncClient::new().unwrap();
            let mut by_async = Vec::new();
            ac.getlink_dump(&req)
                .await
                .unwrap()
                .try_for_each(|r| {
                    by_async.push(link_key(r)?);
                    Ok::<_, nlspec_rt::Error>(())
                })
                .await
                .unwrap();
            assert_eq!(by_async, by_next);
        });
    });
}

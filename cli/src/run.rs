//! `nlspec --spec PATH --do/--dump OP [--json ..]` and `--subscribe GROUP`: the kernel YNL CLI
//! convention, encoding and decoding through [`crate::dynamic`].

use std::time::{Duration, Instant};

use crate::dynamic::{struct_size, Decoder, Encoder, Key, Value};
use nlspec_model::ir::{Family, Op};
use nlspec_rt::{BatchItem, Error, GenlSocket, Request};
use serde_json::{Map as JMap, Value as J};

use crate::args::RunArgs;
use crate::errctx::ErrCtx;
use crate::errors::{sock_err, Fail};
use crate::output::{do_shape, out, print_warning, show};
use crate::spec::load;

fn ops_list(fam: &Family) -> String {
    let v: Vec<String> = fam
        .ops
        .list
        .iter()
        .filter(|o| !o.is_async())
        .map(|o| {
            let mut modes = Vec::new();
            if o.do_.is_some() {
                modes.push("do");
            }
            if o.dump.is_some() {
                modes.push("dump");
            }
            format!("{} [{}]", o.name, modes.join(", "))
        })
        .collect();
    v.join(", ")
}

fn parse_json(text: &str) -> Result<JMap<String, J>, Fail> {
    let v: J = serde_json::from_str(text).map_err(|e| {
        let m = e.to_string();
        let m = m.split(" at line ").next().unwrap_or(&m).to_string();
        Fail::Usage(format!("--json: invalid JSON at line {}, column {}: {m}", e.line(), e.column()))
    })?;
    match v {
        J::Object(o) => Ok(o),
        other => Err(Fail::Usage(format!(
            "--json: expected a JSON object of attributes ({{\"name\": value, ...}}), got {}",
            match other {
                J::Array(_) => "a list",
                J::String(_) => "a string",
                J::Number(_) => "a number",
                J::Bool(_) => "a boolean",
                _ => "null",
            }
        ))),
    }
}

/// Pick the operation and mode; unknown names and missing modes are usage errors.
fn pick_op<'f>(fam: &'f Family, name: &str, dump: bool) -> Result<&'f Op, Fail> {
    pick_op_for(fam, name, dump, false)
}

/// `pick_op`; for `--policy` (`any_mode`) the op need not have that mode: the kernel's
/// answer (`None` when it has no policy for it) is printed, as YNL does.
fn pick_op_for<'f>(fam: &'f Family, name: &str, dump: bool, any_mode: bool) -> Result<&'f Op, Fail> {
    let mode = if dump { "--dump" } else { "--do" };
    let op = fam.op_by_name(name).ok_or_else(|| {
        Fail::Usage(format!(
            "{mode} {name:?}: family {} has no such operation; operations: {}",
            fam.name,
            ops_list(fam)
        ))
    })?;
    if op.is_async() {
        return Err(Fail::Usage(format!(
            "{mode} {name:?}: this is a notification of family {}; use --subscribe {}",
            fam.name,
            op.mcgrp.map(|g| fam.mcgrp(g).name.clone()).unwrap_or_else(|| "GROUP".into())
        )));
    }
    let has = if dump { op.dump.is_some() } else { op.do_.is_some() };
    if !has && !any_mode {
        return Err(Fail::Usage(format!(
            "{mode} {name:?}: the operation has no {}; operations: {}",
            if dump { "dump" } else { "do" },
            ops_list(fam)
        )));
    }
    if op.req_value.is_none() {
        return Err(Fail::Usage(format!("{mode} {name:?}: the operation has no request message")));
    }
    Ok(op)
}

pub fn run(a: RunArgs) -> Result<(), Fail> {
    let fam = load(&a.spec)?;
    // As YNL: --list-ops shows the requests (do/dump), --list-msgs every message.
    for o in fam.ops.list.iter() {
        let mut modes = Vec::new();
        if o.do_.is_some() {
            modes.push("do");
        }
        if o.dump.is_some() {
            modes.push("dump");
        }
        if o.notify.is_some() {
            modes.push("notify");
        }
        if o.event.is_some() {
            modes.push("event");
        }
        if a.list_msgs || (a.list_ops && !o.is_async() && o.attribute_set.is_some()) {
            out(&format!("{}  [ {} ]", o.name, modes.join(", ")))?;
        }
    }
    if a.list_groups {
        for g in &fam.mcast_groups {
            out(&g.name)?;
        }
    }
    if let Some(name) = &a.list_attrs {
        crate::listattrs::list_attrs(&fam, &a.spec, name)?;
    }
    let json = match &a.json {
        Some(t) => parse_json(t)?,
        None => JMap::new(),
    };
    let mut op = match (&a.do_, &a.dump) {
        (Some(n), _) => Some((pick_op_for(&fam, n, false, a.policy)?, false)),
        (_, Some(n)) => Some((pick_op_for(&fam, n, true, a.policy)?, true)),
        _ => None,
    };
    // --multi: every op a do, encoded up front like --do.
    let mut multi = Vec::new();
    for (name, text) in &a.multi {
        let op = pick_op(&fam, name, false)?;
        let j = parse_json(text).map_err(|e| match e {
            Fail::Usage(m) => Fail::Usage(format!("--multi {name}: {}", m.trim_start_matches("--json: "))),
            other => other,
        })?;
        let enc = Encoder::new(&fam)
            .message(op.attribute_set, op.fixed_header, &j)
            .map_err(|e| Fail::Usage(format!("--multi {name}: {e}")))?;
        multi.push((op, enc));
    }
    // --policy replaces running the --do/--dump op (as YNL's cli.py).
    let policy_of = if a.policy { op.take() } else { None };
    if let Some(g) = &a.subscribe {
        if fam.mcgrp_by_name(g).is_none() {
            let names: Vec<&str> = fam.mcast_groups.iter().map(|g| g.name.as_str()).collect();
            return Err(Fail::Usage(format!(
                "--subscribe {g:?}: family {} has no multicast group of that name; groups: {}",
                fam.name,
                if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
            )));
        }
    }
    // Encode before touching the kernel: bad input is a usage error.
    let encoded = match op {
        Some((op, _)) => Some(
            Encoder::new(&fam)
                .message(op.attribute_set, op.fixed_header, &json)
                .map_err(|e| Fail::Usage(format!("--json: {e}")))?,
        ),
        None => None,
    };
    if op.is_none() && a.subscribe.is_none() && multi.is_empty() && policy_of.is_none() {
        return Ok(());
    }
    if !fam.is_genetlink() {
        if policy_of.is_some() || !multi.is_empty() {
            return Err(Fail::Error(format!(
                "nlspec: {} needs a Generic Netlink family ({}); {} is {}",
                if policy_of.is_some() { "--policy" } else { "--multi" },
                if policy_of.is_some() { "nlctrl reports the policies of those" } else { "batched genetlink requests" },
                fam.name,
                fam.protocol.as_str()
            )));
        }
        return crate::raw_run::run(&a, &fam, op, encoded.as_ref());
    }

    let mut sock = GenlSocket::new().map_err(|e| sock_err("cannot open a Generic Netlink socket", e))?;
    if let Some(n) = a.dbg_small_recv {
        sock.set_rx_buffer(n, true);
    }
    run_genl(&a, &fam, &mut sock, op, policy_of, encoded, multi)
}

type Encoded = (Vec<u8>, Vec<u8>);

fn run_genl(
    a: &RunArgs,
    fam: &Family,
    sock: &mut GenlSocket,
    op: Option<(&Op, bool)>,
    policy_of: Option<(&Op, bool)>,
    encoded: Option<Encoded>,
    multi: Vec<(&Op, Encoded)>,
) -> Result<(), Fail> {
    let info = match sock.resolve_family(&fam.name) {
        Ok(i) => i,
        // nlctrl's bare ENOENT, said in words.
        Err(Error::Kernel { errno, .. }) if errno == crate::errors::ENOENT => {
            return Err(Fail::Error(format!(
                "nlspec: family {} is not registered in the running kernel (is its module loaded?)",
                fam.name
            )))
        }
        Err(e) => return Err(sock_err(&format!("resolving family {:?}", fam.name), e)),
    };
    // YNL traces the receives of its request socket, not those of the family lookup.
    if a.dbg_small_recv.is_some() {
        sock.set_recv_trace(Some(crate::recvdbg::print));
    }
    if let Some(g) = &a.subscribe {
        match sock.subscribe(&fam.name, g) {
            Ok(_) => {}
            Err(Error::UnknownGroup { .. }) => {
                let names: Vec<&str> = info.mcast_groups.iter().map(|(n, _)| n.as_str()).collect();
                return Err(Fail::Error(format!(
                    "nlspec: --subscribe {g:?}: the running kernel's {} has no such group (it has: {})",
                    fam.name,
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                )));
            }
            Err(e) => return Err(sock_err(&format!("subscribing to {g:?}"), e)),
        }
    }

    if let Some((op, dump)) = policy_of {
        let v = crate::policy::policy(sock, fam, info.id, op, dump)?;
        show(&v, a.output_json)?;
    }

    let dec = Decoder::new(fam);
    if let (Some((op, dump)), Some((hdr, attrs))) = (op, &encoded) {
        let cmd = op.req_value.unwrap_or(0) as u8;
        let req = Request::new(info.id, cmd, fam.version.min(255) as u8).flags(a.nlm_flags).header(hdr);
        let ctx = ErrCtx { fam, set: op.attribute_set, base: 20 + ((hdr.len() + 3) & !3), attrs };
        let decode = |m: &nlspec_rt::GenlMsg<'_>| -> Result<Option<Value>, Fail> {
            if Some(m.cmd() as u32) != op.rsp_value {
                eprintln!(
                    "nlspec: note: skipped a message with command {} (a reply of {} has {})",
                    m.cmd(),
                    op.name,
                    op.rsp_value.map(|v| v.to_string()).unwrap_or_else(|| "none".into())
                );
                return Ok(None);
            }
            dec.message(op.attribute_set, m.attr_bytes(), op.fixed_header, m.fixed_header())
                .map(Some)
                .map_err(|e| Fail::Error(format!("nlspec: cannot decode the reply to {} per {}: {e}", op.name, a.spec)))
        };
        // A dump prints its replies as a list; a do prints every reply before the ACK shaped
        // as YNL does (one → the reply, several → a list, none → None).
        let (mut it, shape): (nlspec_rt::DumpIter<'_>, fn(Vec<Value>) -> Value) = if dump {
            (sock.dump(&req, |w| w.put_raw_bytes(attrs)).map_err(|e| ctx.fail(e))?, Value::List)
        } else {
            (sock.request_all(&req, |w| w.put_raw_bytes(attrs)).map_err(|e| ctx.fail(e))?, do_shape)
        };
        let mut list = Vec::new();
        while let Some(m) = it.next() {
            let m = m.map_err(|e| ctx.fail(e))?;
            if let Some(v) = decode(&m)? {
                list.push(v);
            }
        }
        if let Some(w) = it.warning() {
            print_warning(w)?;
        }
        drop(it);
        show(&shape(list), a.output_json)?;
    }

    if !multi.is_empty() {
        // One datagram, as YNL's do_multi; results in request order, each shaped as a do.
        let version = fam.version.min(255) as u8;
        let reqs: Vec<(Request<'_>, &[u8])> = multi
            .iter()
            .map(|(op, (hdr, attrs))| {
                (Request::new(info.id, op.req_value.unwrap_or(0) as u8, version).header(hdr), &attrs[..])
            })
            .collect();
        let mut replies: Vec<Vec<Value>> = vec![Vec::new(); multi.len()];
        let mut results: Vec<Option<Value>> = vec![None; multi.len()];
        let mut order = Vec::new();
        let mut it = sock.request_batch(&reqs, a.nlm_flags).map_err(|e| sock_err("sending the --multi batch", e))?;
        while let Some(item) = it.next() {
            match item.map_err(|e| sock_err("--multi", e))? {
                BatchItem::Reply { index, msg } => {
                    let (op, _) = &multi[index];
                    if Some(msg.cmd() as u32) != op.rsp_value {
                        eprintln!(
                            "nlspec: note: skipped a message with command {} (a reply of {} has {:?})",
                            msg.cmd(),
                            op.name,
                            op.rsp_value
                        );
                        continue;
                    }
                    let v = dec
                        .message(op.attribute_set, msg.attr_bytes(), op.fixed_header, msg.fixed_header())
                        .map_err(|e| {
                            Fail::Error(format!("nlspec: cannot decode the reply to {} per {}: {e}", op.name, a.spec))
                        })?;
                    replies[index].push(v);
                }
                BatchItem::Done { index, result } => {
                    let (op, (hdr, attrs)) = &multi[index];
                    match result {
                        Ok(w) => {
                            if let Some(w) = w {
                                print_warning(&w)?;
                            }
                        }
                        Err(e) => {
                            let ctx = ErrCtx { fam, set: op.attribute_set, base: 20 + ((hdr.len() + 3) & !3), attrs };
                            return Err(ctx.fail(e));
                        }
                    }
                    results[index] = Some(do_shape(std::mem::take(&mut replies[index])));
                    order.push(index);
                }
            }
        }
        drop(it);
        // YNL appends each result when its ACK arrives: the kernel answers in request order.
        let list = order.into_iter().filter_map(|i| results[i].take()).collect();
        show(&Value::List(list), a.output_json)?;
    }

    if a.subscribe.is_some() {
        let deadline = a.duration.map(|d| Instant::now() + Duration::from_secs_f64(d.min(1e9)));
        loop {
            let left = match deadline {
                Some(d) => {
                    let l = d.saturating_duration_since(Instant::now());
                    if l.is_zero() {
                        break;
                    }
                    l
                }
                None => Duration::from_secs(3600),
            };
            let n = match sock.recv_notification_timeout(left) {
                Ok(Some(n)) => n,
                Ok(None) => continue,
                Err(e) => {
                    // Lost notifications (queue overflow) are reported but not fatal.
                    if e.errno().is_none() && e.to_string().contains("lost") {
                        eprintln!("nlspec: warning: {e}");
                        continue;
                    }
                    return Err(sock_err("receiving notifications", e));
                }
            };
            let g0 = n.genl(0).map_err(|e| sock_err("malformed notification", e))?;
            let cmd = g0.cmd() as u32;
            if !fam.ops.list.iter().any(|o| o.is_async() && o.rsp_value == Some(cmd)) {
                eprintln!("nlspec: note: unexpected message id {cmd} on the notification socket");
                continue;
            }
            // As YNL: the last message of the spec with that id decides the layout.
            let Some(op) = fam.ops.list.iter().rev().find(|o| o.rsp_value == Some(cmd)) else { continue };
            let set = op.attribute_set.or_else(|| op.notify.and_then(|t| fam.op(t).attribute_set));
            let g = n.genl(struct_size(fam, op.fixed_header)).map_err(|e| sock_err("malformed notification", e))?;
            let msg = dec.message(set, g.attr_bytes(), op.fixed_header, g.fixed_header()).map_err(|e| {
                Fail::Error(format!("nlspec: cannot decode notification {} per {}: {e}", op.name, a.spec))
            })?;
            let v =
                Value::Map(vec![(Key::Str("name".into()), Value::Str(op.name.clone())), (Key::Str("msg".into()), msg)]);
            show(&v, a.output_json)?;
        }
    }
    Ok(())
}

//! `--do/--dump/--subscribe` for netlink-raw families (rt-link, rt-addr, rt-route, ...), over
//! [`super::raw::RawSock`], with the same decoding and output as the Generic Netlink path.

use std::time::{Duration, Instant};

use crate::dynamic::{struct_size, Decoder, Key, Value};
use nlspec_model::ir::{Family, Op};

use super::args::RunArgs;
use super::raw::{reply, Failure, RawSock};
use crate::errctx::ErrCtx;
use crate::errors::Fail;
use crate::output::{do_shape, show};

fn io_fail(what: &str, e: std::io::Error) -> Fail {
    Fail::Error(format!("nlspec: {what}: {e}"))
}

pub fn run(
    a: &RunArgs,
    fam: &Family,
    op: Option<(&Op, bool)>,
    encoded: Option<&(Vec<u8>, Vec<u8>)>,
) -> Result<(), Fail> {
    let proto =
        fam.protonum.ok_or_else(|| Fail::Error(format!("nlspec: {}: a netlink-raw spec needs protonum", a.spec)))?;
    let mut sock =
        RawSock::new(proto).map_err(|e| io_fail(&format!("cannot open a netlink socket of protocol {proto}"), e))?;
    if let Some(n) = a.dbg_small_recv {
        sock.set_rx_buffer(n);
        sock.set_recv_trace(Some(crate::recvdbg::print));
    }
    exchange(a, fam, &mut sock, op, encoded)
}

fn exchange(
    a: &RunArgs,
    fam: &Family,
    sock: &mut RawSock,
    op: Option<(&Op, bool)>,
    encoded: Option<&(Vec<u8>, Vec<u8>)>,
) -> Result<(), Fail> {
    if let Some(g) = &a.subscribe {
        let grp = fam.mcgrp_by_name(g).ok_or_else(|| {
            Fail::Usage(format!("--subscribe {g:?}: family {} has no multicast group of that name", fam.name))
        })?;
        let id =
            grp.value.ok_or_else(|| Fail::Error(format!("nlspec: {}: multicast group {g:?} has no value", a.spec)))?;
        sock.add_membership(id).map_err(|e| io_fail(&format!("joining multicast group {g:?} ({id})"), e))?;
    }
    let dec = Decoder::new(fam);
    if let (Some((op, dump)), Some((hdr, attrs))) = (op, encoded) {
        let hdrsize = struct_size(fam, op.fixed_header);
        let ty = u16::try_from(op.req_value.unwrap_or(0)).map_err(|_| {
            Fail::Error(format!("nlspec: {}: message type of {} does not fit 16 bits", a.spec, op.name))
        })?;
        let ctx = ErrCtx { fam, set: op.attribute_set, base: 16 + ((hdr.len() + 3) & !3), attrs };
        let mut replies = Vec::new();
        let r = sock.exchange(ty, a.nlm_flags, dump, hdr, attrs, |m| {
            let r = reply(m, hdrsize);
            if Some(r.ty as u32) != op.rsp_value {
                eprintln!(
                    "nlspec: note: skipped a message of type {} (a reply of {} has {:?})",
                    r.ty, op.name, op.rsp_value
                );
                return Ok(());
            }
            let v = dec.message(op.attribute_set, r.attrs, op.fixed_header, r.header).map_err(|e| {
                Fail::Error(format!("nlspec: cannot decode the reply to {} per {}: {e}", op.name, a.spec))
            })?;
            replies.push(v);
            Ok(())
        });
        match r {
            Ok(()) => {}
            Err(Failure::Io(e)) => return Err(io_fail("netlink socket", e)),
            Err(Failure::Kernel(e)) => return Err(ctx.fail(e)),
            Err(Failure::Stop(f)) => return Err(f),
        }
        // As YNL: a dump is a list; a do is its reply, null without one, a list of several.
        let v = if dump { Value::List(replies) } else { do_shape(replies) };
        show(&v, a.output_json)?;
    }
    if a.subscribe.is_some() {
        let deadline = a.duration.map(|d| Instant::now() + Duration::from_secs_f64(d.min(1e9)));
        while let Some(d) = sock.notification(deadline).map_err(|e| io_fail("receiving notifications", e))? {
            for m in RawSock::split(&d) {
                let ty = u32::from(m.hdr.ty);
                if ty < 0x10 {
                    continue; // control messages (ACKs of other requests, DONE, NOOP)
                }
                if !fam.ops.list.iter().any(|o| o.is_async() && o.rsp_value == Some(ty)) {
                    eprintln!("nlspec: note: unexpected message type {ty} on the notification socket");
                    continue;
                }
                let Some(op) = fam.ops.list.iter().rev().find(|o| o.rsp_value == Some(ty)) else { continue };
                let set = op.attribute_set.or_else(|| op.notify.and_then(|t| fam.op(t).attribute_set));
                let r = reply(&m, struct_size(fam, op.fixed_header));
                let msg = dec.message(set, r.attrs, op.fixed_header, r.header).map_err(|e| {
                    Fail::Error(format!("nlspec: cannot decode notification {} per {}: {e}", op.name, a.spec))
                })?;
                show(
                    &Value::Map(vec![
                        (Key::Str("name".into()), Value::Str(op.name.clone())),
                        (Key::Str("msg".into()), msg),
                    ]),
                    a.output_json,
                )?;
            }
        }
    }
    Ok(())
}

// SPDX-License-Identifier: GPL-2.0

//! Kernel module `nlbus`: the nlspec classic-netlink showcase, a small message bus on netlink
//! protocol 25, served by the code generated from `specs/nlbus.yaml`.
//!
//! The generated `nlbus_nl.rs` holds everything netlink (the protocol unit in every network
//! namespace, dispatch by message type, policies, typed request views, reply/dump/broadcast
//! builders); this file holds only the handlers and the tick timer, in safe Rust:
//! * `echo` sends the payload (required) and text back to the sender's port id;
//! * `list` dumps `count` entries (default 10), one message each, across as many skbs as needed;
//! * `set-period` (CAP_NET_ADMIN) changes how often the module ticks;
//! * a timer broadcasts `tick` to group `ticks` every period, from atomic context.
//!
//! `chat` messages go from process to process by port id; the kernel never sees them.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

#[path = "../../generated/kmod/nlbus/nlbus_nl.rs"]
mod nlbus_nl;
mod nlspec_support;

use nlbus_nl::*;

module! {
    type: NlbusModule,
    name: "nlbus",
    description: "nlbus: a message bus on its own netlink protocol (nlspec showcase)",
    license: "GPL",
}

/// Entries a list dump produces when the request names no count.
const DEFAULT_COUNT: u32 = 10;
/// Milliseconds between two ticks until `set-period` changes it.
const DEFAULT_PERIOD_MS: u32 = 100;

static ECHOES: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);
static TICK_ERRORS: AtomicU64 = AtomicU64::new(0);
static TICKER: nl::Ticker = nl::Ticker::new();

/// The request handlers.
struct Bus;

#[vtable]
impl NlbusHandler for Bus {
    type ListDumpState = u32;

    fn echo(req: &EchoRequest<'_>) -> nl::Result {
        let payload = req.require_payload()?;
        let text = req.text()?;
        let mut reply = EchoReply::new(req)?;
        reply.payload(payload);
        if let Some(t) = text {
            reply.text(t);
        }
        ECHOES.fetch_add(1, Ordering::Relaxed);
        reply.send()
    }

    fn list_dump(
        req: &ListDumpRequest<'_>,
        dump: &mut ListDump<'_, '_>,
        next: &mut u32,
    ) -> nl::Result<nl::Dumped> {
        let count = req.count()?.unwrap_or(DEFAULT_COUNT);
        while *next < count {
            let i = *next;
            if !dump.entry(|e| {
                e.index(i).text("entry");
            })? {
                return Ok(nl::Dumped::More);
            }
            *next += 1;
        }
        Ok(nl::Dumped::Done)
    }

    fn set_period(req: &SetPeriodRequest<'_>) -> nl::Result {
        let ms = req.require_period_ms()?;
        TICKER.set_period_ms(ms);
        let mut reply = SetPeriodReply::new(req)?;
        reply.period_ms(TICKER.period_ms());
        reply.send()
    }
}

/// The tick timer: broadcasts `tick` to group `ticks` (atomic context, so `Gfp::Atomic`).
struct Tick;

impl nl::TickerSpec for Tick {
    const TICKER: &'static nl::Ticker = &TICKER;

    fn tick() {
        let n = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
        let sent = TickNtf::new(nl::Gfp::Atomic).and_then(|mut m| {
            m.set_header(&BusHdr {
                channel: 0,
                cookie: n as u32,
            });
            m.tick(n).period_ms(TICKER.period_ms());
            m.send()
        });
        if sent.is_err() {
            TICK_ERRORS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct NlbusModule {
    // Dropped first: no tick runs once the protocol goes.
    _ticker: nl::TickerGuard,
    _registration: nl::RawRegistration,
}

impl kernel::Module for NlbusModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let registration = register::<Bus>(module)?;
        let ticker = nl::Ticker::start::<Tick>(DEFAULT_PERIOD_MS)?;
        pr_info!(
            "protocol {} created, ticking every {} ms\n",
            PROTONUM,
            DEFAULT_PERIOD_MS
        );
        Ok(NlbusModule {
            _ticker: ticker,
            _registration: registration,
        })
    }
}

impl Drop for NlbusModule {
    fn drop(&mut self) {
        pr_info!(
            "unloading after {} echoes, {} ticks ({} not sent)\n",
            ECHOES.load(Ordering::Relaxed),
            TICKS.load(Ordering::Relaxed),
            TICK_ERRORS.load(Ordering::Relaxed)
        );
    }
}

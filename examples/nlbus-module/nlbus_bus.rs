// SPDX-License-Identifier: GPL-2.0

//! Kernel module `nlbus`: the nlspec classic-netlink showcase, a small message bus on netlink
//! protocol 25, served by the code generated from `specs/nlbus.yaml`.
//!
//! The generated `nlbus_nl.rs` holds everything netlink (the protocol unit in every network
//! namespace, dispatch by message type, policies, typed request views, reply/dump/broadcast
//! builders); this file holds only the handlers and the tick timer, in safe Rust:
//! * `echo` sends the payload (required) and text back to the sender's port id, with how many
//!   echo requests were handled before (its `post` hook counts them, failed ones too) and how
//!   many list dumps are open; its `pre` hook refuses the reserved channel;
//! * `list` dumps `count` entries (default 10) from `index` (default 0; its `start` hook sets
//!   the cursor there), one message each, across as many skbs as needed; its `done` hook closes
//!   the dump's count, however it ended;
//! * `set-period` (CAP_NET_ADMIN) changes how often the module ticks;
//! * a timer broadcasts `tick` to group `ticks` every period, from atomic context.
//!
//! `chat` messages go from process to process by port id; the kernel never sees them.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

#[path = "../../generated/kmod/nlbus/nlbus_nl.rs"]
mod nlbus_nl;
mod nlspec_support;

/// The support layer, as the family file names it.
use nlspec_support as nl;

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
static OPEN_DUMPS: AtomicU32 = AtomicU32::new(0);
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
        reply
            .served(ECHOES.load(Ordering::Relaxed))
            .open_dumps(OPEN_DUMPS.load(Ordering::Relaxed));
        reply.send()
    }

    fn nlbus_check_channel(req: &nl::RawRequest<'_>) -> nl::Result {
        if BusHdr::from_bytes(req.fixed_header())?.channel == RESERVED_CHANNEL as u32 {
            return Err(nl::Error::EINVAL.msg(c"channel is reserved"));
        }
        Ok(())
    }

    fn nlbus_count_echo(_req: &nl::RawRequest<'_>) {
        ECHOES.fetch_add(1, Ordering::Relaxed);
    }

    fn nlbus_list_start(req: &nl::RawRequest<'_>, next: &mut u32) -> nl::Result {
        if let Some(first) = req.attr(attrs::bus_attrs::INDEX) {
            *next = first
                .get_uint()?
                .try_into()
                .map_err(|_| nl::Error::EINVAL)?;
        }
        OPEN_DUMPS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn nlbus_list_done(_next: &mut u32) {
        OPEN_DUMPS.fetch_sub(1, Ordering::Relaxed);
    }

    fn list_dump(
        req: &ListDumpRequest<'_>,
        dump: &mut ListDump<'_, '_>,
        next: &mut u32,
    ) -> nl::Result<nl::Dumped> {
        // The start hook put the cursor at the request's `index`; the dump ends `count` later.
        let end = req
            .index()?
            .unwrap_or(0)
            .saturating_add(req.count()?.unwrap_or(DEFAULT_COUNT));
        while *next < end {
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

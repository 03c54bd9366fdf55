//! nlspec userspace runtime: what generated Generic Netlink clients are built on.
//!
//! - [`attr`]: zero-copy attribute decoding ([`Attr`], [`Attrs`]) and encoding
//!   ([`AttrWriter`]), with [`DecodeError`]s that carry attribute paths.
//! - [`msg`]: netlink / Generic Netlink headers and borrowed message views ([`GenlMsg`]).
//! - [`GenlSocket`]: requests with sequence numbers and ACKs, dumps ([`DumpIter`]),
//!   notifications, family resolution through nlctrl ([`ctrl`]); `AsyncGenlSocket` is the
//!   same on tokio (cargo feature `tokio`).
//! - [`NlSocket`]: the same machinery for any netlink protocol (rtnetlink and the other
//!   netlink-raw families), with [`NlRequest`]s and [`NlMsg`] replies; [`GenlSocket`] is built
//!   on it. `AsyncNlSocket` / `AsyncGenlSocket` are the same on tokio (feature `tokio`).
//! - [`Error`]: kernel errors with the extended ACK decoded (message, attribute path,
//!   missing attribute, policy).
//! - [`schema`]: attribute-name tables generated clients pass so kernel error paths read
//!   `.ops[2].flags` instead of `.6.2.2`.
//!
//! Inside, the layers depend downwards only: the plain data and codecs (`attr`, `schema`,
//! `msg`, `error`, `ctrl`), the I/O-free protocol state machine (`core`: buffers, sequence
//! matching, the notification queue, dump draining), the syscalls (`sys`), and the drivers that
//! move bytes between them (`nlsocket`, `socket`, `tokio_socket`), with `typed` on top.
//!
//! The syscall layer is `libc`, used directly in one small module (`sys`) where every `unsafe`
//! block has its safety argument (the only other `unsafe` is registering the fd with tokio):
//! the runtime needs `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK`, `NETLINK_GET_STRICT_CHK`,
//! `NETLINK_PKTINFO`, `NETLINK_ADD/DROP_MEMBERSHIP`, a scattering `recvmsg`, `recvfrom`,
//! `MSG_PEEK | MSG_TRUNC`, a `MAP_NORESERVE` mapping and a raw fd for tokio's `AsyncFd`; `libc`
//! provides all of them with the kernel's exact values, where the wrapper crates cover only a
//! subset.
//!
//! Replies and dump messages are views of the socket's receive buffer: decoding allocates
//! nothing per message. A socket's receive buffer is address space it reserves ([`SPILL_SIZE`],
//! `MAP_NORESERVE`; the first 32 KiB, [`DEFAULT_RX_BUFFER`], the kernel's largest ordinary dump
//! datagram, stay mapped in): every datagram lands in it whole with one syscall and is read
//! where it landed. Sockets are connected to the kernel, which then refuses unicasts to them
//! from other processes, so a socket in no multicast group receives with a plain `recv` (no
//! sender address to copy out); a subscribed socket uses `recvmsg` (for `NETLINK_PKTINFO`).
//! So a do is 1 send + 2 receives (reply, ACK) and a dump 1 send + 1 receive per datagram.
//! Without the reservation (e.g. a tight `RLIMIT_AS`), or with a buffer size set explicitly,
//! the buffer is an ordinary one that still grows to fit any datagram through per-thread spill
//! space or a peek at its size. A datagram that still gets cut is reported as
//! [`Error::Truncated`], never silently lost.
//!
//! Resource bounds, each with a typed outcome: a dump (or `request_all`) can be bounded in
//! messages, bytes or time ([`DumpLimit`], `set_dump_limit`: [`Error::DumpLimitExceeded`]);
//! notifications kept while a request waits are bounded in bytes
//! ([`DEFAULT_NOTIFICATION_QUEUE_LIMIT`], `set_notification_queue_limit`), past which they are
//! dropped and reported like a kernel queue overflow ([`Error::NotificationsLost`]); an
//! overflow of the kernel's queue that took a reply with it is [`Error::ReplyLost`].
//!
//! ```
//! use nlspec_rt::{ctrl, GenlSocket, Request};
//!
//! # fn main() -> Result<(), nlspec_rt::Error> {
//! let mut sock = GenlSocket::new()?;
//! let nlctrl = sock.resolve_family("nlctrl")?;
//! // A do request: attributes are written by the closure; the reply borrows the socket.
//! let req = Request::new(nlctrl.id, ctrl::CTRL_CMD_GETFAMILY, 2);
//! let reply = sock.request(&req, |w| w.put_str(ctrl::CTRL_ATTR_FAMILY_NAME, "nlctrl"))?;
//! for attr in reply.attrs() {
//!     let attr = attr?;
//!     if attr.ty() == ctrl::CTRL_ATTR_FAMILY_ID {
//!         println!("id {}", attr.get_u16()?);
//!     }
//! }
//! // A dump: a lending iterator over the messages.
//! let mut dump = sock.dump(&req, |_| {})?;
//! while let Some(msg) = dump.next() {
//!     println!("{:?}", nlspec_rt::FamilyInfo::decode(&msg?)?.name);
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod attr;
mod core;
pub mod ctrl;
pub mod display;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod msg;
mod netns;
mod nlsocket;
#[cfg(feature = "fuzzing")]
mod record;
pub mod schema;
mod socket;
mod sys;
#[cfg(feature = "tokio")]
mod tokio_socket;
pub mod typed;
pub mod typed_raw;

pub use crate::attr::{
    Attr, AttrPath, AttrWalk, AttrWriter, Attrs, Bitfield32, DecodeError, DecodeErrorKind, EncodeError, Nest, PathSeg,
    Required,
};
pub use crate::core::{
    DumpLimit, DumpRetry, Notification, DEFAULT_NOTIFICATION_QUEUE_LIMIT, DEFAULT_RX_BUFFER, SPILL_SIZE,
};
pub use crate::ctrl::FamilyInfo;
pub use crate::error::{Error, MissingAttr, Policy, Warning};
pub use crate::msg::{GenlMsg, NlMsg, NlRequest, OwnedGenlMsg, Request};
pub use crate::netns::{Netns, NETNS_RUN_DIR};
pub use crate::nlsocket::{NlDumpIter, NlSocket};
pub use crate::schema::{AttrInfo, AttrSet, NestKind};
pub use crate::socket::{BatchItem, BatchIter, DumpIter, GenlSocket, ReplyIter};
#[cfg(feature = "tokio")]
pub use crate::tokio_socket::{
    AsyncBatchIter, AsyncDumpIter, AsyncGenlSocket, AsyncNlDumpIter, AsyncNlSocket, AsyncReplyIter,
};
#[cfg(feature = "tokio")]
pub use crate::typed::AsyncTypedDumpIter;
pub use crate::typed::{DecodeMsg, OpRequest, RequestBuf, TypedDumpIter};

#[cfg(test)]
mod send_check {
    fn assert_send<T: Send>() {}
    #[test]
    fn sockets_are_send() {
        assert_send::<crate::GenlSocket>();
        assert_send::<crate::NlSocket>();
        assert_send::<crate::Error>();
        #[cfg(feature = "tokio")]
        assert_send::<crate::AsyncGenlSocket>();
        #[cfg(feature = "tokio")]
        assert_send::<crate::AsyncNlSocket>();
    }
}

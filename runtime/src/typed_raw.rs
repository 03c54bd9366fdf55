//! The generic half of the generated clients of netlink-raw families (rtnetlink, nftables and
//! the other classic netlink protocols), over [`NlSocket`]: what [`crate::typed`] is for Generic
//! Netlink.
//!
//! A netlink-raw message has no `genlmsghdr`: its `nlmsg_type` is the message type (e.g.
//! `RTM_NEWLINK`, a `u16`; nftables puts the subsystem in its high byte), then comes the
//! family's fixed header (e.g. `struct ifinfomsg`), then the attributes. A generated crate
//! describes each op once — its request builder implements [`OpRequest`] (message type, fixed
//! header, attribute-name table, reply type) and its reply implements [`DecodeMsg`] — and its
//! `Client` methods are one call each to [`request`], [`request_ack`] or [`dump`] (tokio, over
//! `AsyncNlSocket`: `async_request`, `async_request_ack`, `async_dump`). Dumps come back as
//! [`TypedDumpIter`] (tokio: `AsyncTypedDumpIter`), which decodes each message in place
//! (nothing allocated per message). Kernel errors are [`Error::Kernel`] with the extended ACK's attribute offsets
//! resolved against the request's fixed header and attribute-name table.

use std::marker::PhantomData;

use crate::attr::{Attrs, DecodeError, DecodeErrorKind};
use crate::error::Error;
use crate::msg::{nlmsg_align, NlMsg, NlMsgHdr, NlRequest};
use crate::nlsocket::{NlDumpIter, NlSocket};
use crate::schema::AttrSet;
use crate::typed::RequestBuf;

/// A borrowed netlink-raw message split after its fixed header: netlink header, fixed header
/// bytes and attribute stream (all inside the receive buffer). `Copy`, no allocation.
#[derive(Debug, Clone, Copy)]
pub struct RawMsg<'a> {
    nl: NlMsgHdr,
    bytes: &'a [u8],
    fixed: &'a [u8],
    attrs: &'a [u8],
}

impl<'a> RawMsg<'a> {
    /// Split `msg` after a fixed header of `hdrsize` bytes (the attributes start at the next
    /// 4-byte boundary). A payload shorter than the fixed header is a
    /// [`DecodeErrorKind::BadMessage`].
    pub fn new(msg: &NlMsg<'a>, hdrsize: usize) -> Result<Self, DecodeError> {
        let p = msg.payload();
        if p.len() < hdrsize {
            return Err(DecodeError::new(DecodeErrorKind::BadMessage(
                "message shorter than the family's fixed header",
            )));
        }
        let start = nlmsg_align(hdrsize).min(p.len());
        Ok(RawMsg { nl: msg.hdr, bytes: msg.bytes(), fixed: &p[..hdrsize], attrs: &p[start..] })
    }
    /// Parse a whole message (netlink header included) with a `hdrsize`-byte fixed header.
    pub fn parse(b: &'a [u8], hdrsize: usize) -> Result<Self, DecodeError> {
        Self::new(&NlMsg::parse(b)?, hdrsize)
    }
    /// The netlink header.
    pub fn nl_header(&self) -> &NlMsgHdr {
        &self.nl
    }
    /// The message type (`nlmsg_type`).
    pub fn msg_type(&self) -> u16 {
        self.nl.ty
    }
    /// `NLM_F_*` flags.
    pub fn flags(&self) -> u16 {
        self.nl.flags
    }
    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.nl.seq
    }
    /// The fixed header, raw.
    pub fn fixed_header(&self) -> &'a [u8] {
        self.fixed
    }
    /// The attribute bytes.
    pub fn attr_bytes(&self) -> &'a [u8] {
        self.attrs
    }
    /// The attributes.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::new(self.attrs)
    }
    /// The whole message, netlink header included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// A message type that decodes in place from a received [`NlMsg`], borrowing it.
///
/// Implemented by the generated `<Op>Reply<'_>` types of netlink-raw clients (`Out<'a>` is the
/// same type with the message's lifetime; they know their fixed header's size) and by
/// [`NlMsg`] itself (no decoding).
pub trait DecodeMsg {
    /// The decoded message, borrowing the receive buffer for `'a`.
    type Out<'a>;
    /// Decode `msg` (its message type is not checked).
    fn decode_msg<'a>(msg: &NlMsg<'a>) -> Result<Self::Out<'a>, DecodeError>;
    /// Decode `msg` and lend it to `f` (generated replies decode it where `f` reads it, instead
    /// of moving it out as [`decode_msg`](Self::decode_msg) does).
    fn decode_msg_with<'a, T>(msg: &NlMsg<'a>, f: impl FnOnce(&Self::Out<'a>) -> T) -> Result<T, DecodeError> {
        Ok(f(&Self::decode_msg(msg)?))
    }
}

impl DecodeMsg for NlMsg<'_> {
    type Out<'a> = NlMsg<'a>;
    fn decode_msg<'a>(msg: &NlMsg<'a>) -> Result<NlMsg<'a>, DecodeError> {
        Ok(*msg)
    }
}

/// A typed request of one op of a netlink-raw family (a generated `<Op>Request` /
/// `<Op>DumpRequest`).
pub trait OpRequest {
    /// Message type (`nlmsg_type`) of the request.
    const MSG_TYPE: u16;
    /// Names of the request's top-level attributes, for extended-ACK paths.
    const SCHEMA: Option<&'static AttrSet>;
    /// What the kernel answers with: a [`DecodeMsg`] type, or `()` for ops answered by an ACK
    /// alone.
    type Reply;
    /// The fixed header's bytes (`[u8; 0]` for ops without one).
    type Header: AsRef<[u8]>;
    /// The fixed header, encoded.
    fn header_bytes(&self) -> Self::Header;
    /// The attributes and flags.
    fn buf(&self) -> &RequestBuf;
}

fn describe<'h, Q: OpRequest>(flags: u16, header: &'h [u8]) -> NlRequest<'h> {
    let r = NlRequest::new(Q::MSG_TYPE).flags(flags).header(header);
    match Q::SCHEMA {
        Some(s) => r.schema(s),
        None => r,
    }
}

/// Send `req` and decode its reply (borrowed from the socket's receive buffer).
pub fn request<'s, Q>(sock: &'s mut NlSocket, req: &Q) -> Result<<Q::Reply as DecodeMsg>::Out<'s>, Error>
where
    Q: OpRequest,
    Q::Reply: DecodeMsg,
{
    let (attrs, flags) = req.buf().parts()?;
    let header = req.header_bytes();
    let msg = sock.request(&describe::<Q>(flags, header.as_ref()), |w| w.put_raw_bytes(attrs))?;
    Ok(Q::Reply::decode_msg(&msg)?)
}

/// Send `req` and wait for the kernel's ACK.
pub fn request_ack<Q: OpRequest>(sock: &mut NlSocket, req: &Q) -> Result<(), Error> {
    let (attrs, flags) = req.buf().parts()?;
    let header = req.header_bytes();
    sock.request_ack(&describe::<Q>(flags, header.as_ref()), |w| w.put_raw_bytes(attrs))
}

/// Start the dump `req`; the replies come one at a time from the returned iterator.
pub fn dump<'s, Q>(sock: &'s mut NlSocket, req: &Q) -> Result<TypedDumpIter<'s, Q::Reply>, Error>
where
    Q: OpRequest,
    Q::Reply: DecodeMsg,
{
    let (attrs, flags) = req.buf().parts()?;
    let header = req.header_bytes();
    Ok(TypedDumpIter::new(sock.dump(&describe::<Q>(flags, header.as_ref()), |w| w.put_raw_bytes(attrs))?))
}

/// The replies of a dump decoded as `R` (e.g. a generated `<Op>Reply`), one at a time: a
/// lending iterator, `while let Some(r) = it.next() { .. }`, each reply borrowing the socket's
/// receive buffer until the next call.
pub struct TypedDumpIter<'s, R> {
    inner: NlDumpIter<'s>,
    _reply: PhantomData<fn() -> R>,
}

impl<'s, R: DecodeMsg> TypedDumpIter<'s, R> {
    /// Decode the messages of `inner` as `R`.
    pub fn new(inner: NlDumpIter<'s>) -> Self {
        Self { inner, _reply: PhantomData }
    }
    /// The next reply; `None` after the last.
    #[allow(clippy::should_implement_trait, reason = "a lending iterator: `Iterator` cannot lend")]
    #[inline]
    pub fn next(&mut self) -> Option<Result<R::Out<'_>, Error>> {
        Some(match self.inner.next()? {
            Ok(m) => R::decode_msg(&m).map_err(Error::from),
            Err(e) => Err(e),
        })
    }
    /// Every remaining reply through `f`, in order, until the end, the dump's first error or
    /// `f`'s (returned). The replies [`next`](Self::next) would return, each decoded in this
    /// loop and lent to `f`, never moved: the quickest way through a large dump. (With
    /// [`crate::DumpRetry::Retry`], check [`restarts`](Self::restarts) afterwards, or use
    /// `next`, to learn that replies of an abandoned attempt were among them.)
    pub fn try_for_each<E: From<Error>>(&mut self, mut f: impl FnMut(&R::Out<'_>) -> Result<(), E>) -> Result<(), E> {
        while let Some(m) = self.inner.next() {
            R::decode_msg_with(&m?, &mut f).map_err(Error::from)??;
        }
        Ok(())
    }
    /// See [`NlDumpIter::restarts`]: when it grows, discard the replies returned before.
    pub fn restarts(&self) -> u32 {
        self.inner.restarts()
    }
    /// The undecoded messages.
    pub fn into_inner(self) -> NlDumpIter<'s> {
        self.inner
    }
}

#[cfg(feature = "tokio")]
pub use self::tokio_impl::*;

#[cfg(feature = "tokio")]
mod tokio_impl {
    use super::*;
    use crate::tokio_socket::{AsyncNlDumpIter, AsyncNlSocket};

    /// See [`request`](super::request).
    pub async fn async_request<'s, Q>(
        sock: &'s mut AsyncNlSocket,
        req: &Q,
    ) -> Result<<Q::Reply as DecodeMsg>::Out<'s>, Error>
    where
        Q: OpRequest,
        Q::Reply: DecodeMsg,
    {
        let (attrs, flags) = req.buf().parts()?;
        let header = req.header_bytes();
        let msg = sock.request(&describe::<Q>(flags, header.as_ref()), |w| w.put_raw_bytes(attrs)).await?;
        Ok(Q::Reply::decode_msg(&msg)?)
    }

    /// See [`request_ack`](super::request_ack).
    pub async fn async_request_ack<Q: OpRequest>(sock: &mut AsyncNlSocket, req: &Q) -> Result<(), Error> {
        let (attrs, flags) = req.buf().parts()?;
        let header = req.header_bytes();
        sock.request_ack(&describe::<Q>(flags, header.as_ref()), |w| w.put_raw_bytes(attrs)).await
    }

    /// See [`dump`](super::dump).
    pub async fn async_dump<'s, Q>(
        sock: &'s mut AsyncNlSocket,
        req: &Q,
    ) -> Result<AsyncTypedDumpIter<'s, Q::Reply>, Error>
    where
        Q: OpRequest,
        Q::Reply: DecodeMsg,
    {
        let (attrs, flags) = req.buf().parts()?;
        let header = req.header_bytes();
        let it = sock.dump(&describe::<Q>(flags, header.as_ref()), |w| w.put_raw_bytes(attrs)).await?;
        Ok(AsyncTypedDumpIter::new(it))
    }

    /// The async counterpart of [`TypedDumpIter`]: `while let Some(r) = it.next().await { .. }`.
    pub struct AsyncTypedDumpIter<'s, R> {
        inner: AsyncNlDumpIter<'s>,
        _reply: PhantomData<fn() -> R>,
    }

    impl<'s, R: DecodeMsg> AsyncTypedDumpIter<'s, R> {
        /// Decode the messages of `inner` as `R`.
        pub fn new(inner: AsyncNlDumpIter<'s>) -> Self {
            Self { inner, _reply: PhantomData }
        }
        /// The next reply; `None` after the last.
        pub async fn next(&mut self) -> Option<Result<R::Out<'_>, Error>> {
            Some(match self.inner.next().await? {
                Ok(m) => R::decode_msg(&m).map_err(Error::from),
                Err(e) => Err(e),
            })
        }
        /// See [`TypedDumpIter::try_for_each`].
        pub async fn try_for_each<E: From<Error>>(
            &mut self,
            mut f: impl FnMut(&R::Out<'_>) -> Result<(), E>,
        ) -> Result<(), E> {
            while let Some(m) = self.inner.next().await {
                R::decode_msg_with(&m?, &mut f).map_err(Error::from)??;
            }
            Ok(())
        }
        /// See [`crate::NlDumpIter::restarts`].
        pub fn restarts(&self) -> u32 {
            self.inner.restarts()
        }
        /// The undecoded messages.
        pub fn into_inner(self) -> AsyncNlDumpIter<'s> {
            self.inner
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(ty: u16, payload: &[u8]) -> Vec<u8> {
        let hdr = NlMsgHdr { len: (16 + payload.len()) as u32, ty, flags: 0, seq: 1, pid: 0 };
        let mut b = hdr.to_bytes().to_vec();
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn splits_after_the_fixed_header() {
        // 6-byte header padded to 8, then one u32 attribute.
        let mut p = vec![1, 2, 3, 4, 5, 6, 0, 0];
        p.extend_from_slice(&[8, 0, 3, 0, 42, 0, 0, 0]);
        let b = msg(16, &p);
        let m = RawMsg::parse(&b, 6).unwrap();
        assert_eq!(m.msg_type(), 16);
        assert_eq!(m.fixed_header(), &[1, 2, 3, 4, 5, 6]);
        let a = m.attrs().next().unwrap().unwrap();
        assert_eq!((a.ty(), a.get_u32().unwrap()), (3, 42));
    }

    #[test]
    fn short_and_malformed_messages_are_errors() {
        let b = msg(16, &[1, 2, 3]);
        assert!(matches!(RawMsg::parse(&b, 16).unwrap_err().kind(), DecodeErrorKind::BadMessage(_)));
        assert!(RawMsg::parse(&b[..10], 0).is_err());
        let mut bad = msg(16, &[0; 4]);
        bad[0] = 200; // nlmsg_len past the datagram
        assert!(RawMsg::parse(&bad, 0).is_err());
        // Header exactly filling the payload: no attributes.
        let b = msg(16, &[9; 5]);
        let m = RawMsg::parse(&b, 5).unwrap();
        assert!(m.attr_bytes().is_empty());
    }
}

//! The generic half of the generated clients: what is the same for every op of every family.
//!
//! A generated crate describes each op once — its request builder implements [`OpRequest`]
//! (family, command, fixed header, attribute-name table, reply type) and its reply implements
//! [`DecodeMsg`] — and its `Client` methods are one call each to [`request`], [`request_ack`]
//! or [`dump`] (with the `tokio` feature also `async_request`, `async_request_ack` and
//! `async_dump`). Dumps come back as [`TypedDumpIter`] (`AsyncTypedDumpIter` with tokio),
//! which decodes each message in place (nothing allocated per message).

use std::marker::PhantomData;

use crate::attr::{AttrWriter, DecodeError, EncodeError};
use crate::error::Error;
use crate::msg::{GenlMsg, Request};
use crate::schema::AttrSet;
use crate::socket::{DumpIter, GenlSocket};

/// A message type that decodes in place from a received [`GenlMsg`], borrowing it.
///
/// Implemented by the generated `<Op>Reply<'_>` types (`Out<'a>` is the same type with the
/// message's lifetime) and by [`GenlMsg`] itself (no decoding).
pub trait DecodeMsg {
    /// The decoded message, borrowing the receive buffer for `'a`.
    type Out<'a>;
    /// Decode `msg` (its command is not checked).
    fn decode_msg<'a>(msg: &GenlMsg<'a>) -> Result<Self::Out<'a>, DecodeError>;
    /// Decode `msg` and lend it to `f` (generated replies decode it where `f` reads it, instead
    /// of moving it out as [`decode_msg`](Self::decode_msg) does).
    fn decode_msg_with<'a, T>(msg: &GenlMsg<'a>, f: impl FnOnce(&Self::Out<'a>) -> T) -> Result<T, DecodeError> {
        Ok(f(&Self::decode_msg(msg)?))
    }
}

impl DecodeMsg for GenlMsg<'_> {
    type Out<'a> = GenlMsg<'a>;
    fn decode_msg<'a>(msg: &GenlMsg<'a>) -> Result<GenlMsg<'a>, DecodeError> {
        Ok(*msg)
    }
}

/// The attributes, extra `NLM_F_*` flags and first encoding error of a request being built
/// (the part of every generated `<Op>Request` that is not the fixed header).
///
/// The attribute buffer of a dropped request is kept for the next request built on the same
/// thread (one buffer per thread, of up to 4 KiB), so a loop that builds,
/// sends and drops a request allocates nothing after its first round.
#[derive(Debug, Clone, Default)]
pub struct RequestBuf {
    attrs: Vec<u8>,
    nlm_flags: u16,
    error: Option<EncodeError>,
}

/// Largest attribute buffer a dropped request leaves to the next one; bigger ones are freed.
const SPARE_CAPACITY: usize = 4096;

thread_local! {
    /// The buffer a dropped request left (empty, or no buffer at all).
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Drop for RequestBuf {
    fn drop(&mut self) {
        let cap = self.attrs.capacity();
        if cap == 0 || cap > SPARE_CAPACITY {
            return;
        }
        let mut v = std::mem::take(&mut self.attrs);
        v.clear();
        // `try_with`: while the thread is being torn down the slot may be gone; the buffer
        // is then simply freed. A buffer already waiting there is freed in its place.
        let _ = SPARE.try_with(|s| drop(s.replace(v)));
    }
}

impl RequestBuf {
    /// Append attributes through `f`; an encoding error is kept (the first one) and reported
    /// when the request is sent.
    pub fn put(&mut self, f: impl FnOnce(&mut AttrWriter<'_>)) {
        if self.attrs.capacity() == 0 {
            self.attrs = SPARE.try_with(std::cell::Cell::take).unwrap_or_default();
        }
        let mut w = AttrWriter::new(&mut self.attrs);
        f(&mut w);
        if let Err(e) = w.finish() {
            self.error.get_or_insert(e);
        }
    }
    /// Add `NLM_F_*` flags.
    pub fn add_nlm_flags(&mut self, flags: u16) {
        self.nlm_flags |= flags;
    }
    /// The attributes encoded so far.
    pub fn attrs(&self) -> &[u8] {
        &self.attrs
    }
    /// The attributes and the extra flags, or the first encoding error.
    pub fn parts(&self) -> Result<(&[u8], u16), EncodeError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok((&self.attrs, self.nlm_flags)),
        }
    }
}

/// A typed request of one op (a generated `<Op>Request` / `<Op>DumpRequest`).
pub trait OpRequest {
    /// Name of the family (resolved through nlctrl, cached by the socket).
    const FAMILY: &'static str;
    /// Family interface version for the `genlmsghdr`.
    const VERSION: u8;
    /// Command number.
    const CMD: u8;
    /// Names of the request's top-level attributes, for extended-ACK paths.
    const SCHEMA: Option<&'static AttrSet>;
    /// What the kernel answers with: a [`DecodeMsg`] type, or `()` for ops answered by an ACK
    /// alone.
    type Reply;
    /// The fixed header's bytes (`[u8; 0]` for families without one).
    type Header: AsRef<[u8]>;
    /// The fixed header, encoded.
    fn header_bytes(&self) -> Self::Header;
    /// The attributes and flags.
    fn buf(&self) -> &RequestBuf;
}

fn describe<'h, Q: OpRequest>(family: u16, flags: u16, header: &'h [u8]) -> Request<'h> {
    let r = Request::new(family, Q::CMD, Q::VERSION).flags(flags).header(header);
    match Q::SCHEMA {
        Some(s) => r.schema(s),
        None => r,
    }
}

/// Send `req` and decode its reply (borrowed from the socket's receive buffer).
pub fn request<'s, Q>(sock: &'s mut GenlSocket, req: &Q) -> Result<<Q::Reply as DecodeMsg>::Out<'s>, Error>
where
    Q: OpRequest,
    Q::Reply: DecodeMsg,
{
    let (attrs, flags) = req.buf().parts()?;
    let family = sock.family_id(Q::FAMILY)?;
    let header = req.header_bytes();
    let r = describe::<Q>(family, flags, header.as_ref());
    let msg = sock.request(&r, |w| w.put_raw_bytes(attrs))?;
    Ok(Q::Reply::decode_msg(&msg)?)
}

/// Send `req` and wait for the kernel's ACK.
pub fn request_ack<Q: OpRequest>(sock: &mut GenlSocket, req: &Q) -> Result<(), Error> {
    let (attrs, flags) = req.buf().parts()?;
    let family = sock.family_id(Q::FAMILY)?;
    let header = req.header_bytes();
    let r = describe::<Q>(family, flags, header.as_ref());
    sock.request_ack(&r, |w| w.put_raw_bytes(attrs))
}

/// Start the dump `req`; the replies come one at a time from the returned iterator.
pub fn dump<'s, Q>(sock: &'s mut GenlSocket, req: &Q) -> Result<TypedDumpIter<'s, Q::Reply>, Error>
where
    Q: OpRequest,
    Q::Reply: DecodeMsg,
{
    let (attrs, flags) = req.buf().parts()?;
    let family = sock.family_id(Q::FAMILY)?;
    let header = req.header_bytes();
    let r = describe::<Q>(family, flags, header.as_ref());
    Ok(TypedDumpIter::new(sock.dump(&r, |w| w.put_raw_bytes(attrs))?))
}

/// The replies of a dump decoded as `R` (e.g. a generated `<Op>Reply`), one at a time: a
/// lending iterator, `while let Some(r) = it.next() { .. }`, each reply borrowing the socket's
/// receive buffer until the next call.
pub struct TypedDumpIter<'s, R> {
    inner: DumpIter<'s>,
    _reply: PhantomData<fn() -> R>,
}

impl<'s, R: DecodeMsg> TypedDumpIter<'s, R> {
    /// Decode the messages of `inner` as `R`.
    pub fn new(inner: DumpIter<'s>) -> Self {
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
    /// See [`DumpIter::restarts`]: when it grows, discard the replies returned before.
    pub fn restarts(&self) -> u32 {
        self.inner.restarts()
    }
    /// The undecoded messages.
    pub fn into_inner(self) -> DumpIter<'s> {
        self.inner
    }
}

#[cfg(feature = "tokio")]
pub use self::tokio_impl::*;

#[cfg(feature = "tokio")]
mod tokio_impl {
    use super::*;
    use crate::tokio_socket::{AsyncDumpIter, AsyncGenlSocket};

    /// See [`request`](super::request).
    pub async fn async_request<'s, Q>(
        sock: &'s mut AsyncGenlSocket,
        req: &Q,
    ) -> Result<<Q::Reply as DecodeMsg>::Out<'s>, Error>
    where
        Q: OpRequest,
        Q::Reply: DecodeMsg,
    {
        let (attrs, flags) = req.buf().parts()?;
        let family = sock.family_id(Q::FAMILY).await?;
        let header = req.header_bytes();
        let r = describe::<Q>(family, flags, header.as_ref());
        let msg = sock.request(&r, |w| w.put_raw_bytes(attrs)).await?;
        Ok(Q::Reply::decode_msg(&msg)?)
    }

    /// See [`request_ack`](super::request_ack).
    pub async fn async_request_ack<Q: OpRequest>(sock: &mut AsyncGenlSocket, req: &Q) -> Result<(), Error> {
        let (attrs, flags) = req.buf().parts()?;
        let family = sock.family_id(Q::FAMILY).await?;
        let header = req.header_bytes();
        let r = describe::<Q>(family, flags, header.as_ref());
        sock.request_ack(&r, |w| w.put_raw_bytes(attrs)).await
    }

    /// See [`dump`](super::dump).
    pub async fn async_dump<'s, Q>(
        sock: &'s mut AsyncGenlSocket,
        req: &Q,
    ) -> Result<AsyncTypedDumpIter<'s, Q::Reply>, Error>
    where
        Q: OpRequest,
        Q::Reply: DecodeMsg,
    {
        let (attrs, flags) = req.buf().parts()?;
        let family = sock.family_id(Q::FAMILY).await?;
        let header = req.header_bytes();
        let r = describe::<Q>(family, flags, header.as_ref());
        Ok(AsyncTypedDumpIter::new(sock.dump(&r, |w| w.put_raw_bytes(attrs)).await?))
    }

    /// The async counterpart of [`TypedDumpIter`]: `while let Some(r) = it.next().await { .. }`.
    pub struct AsyncTypedDumpIter<'s, R> {
        inner: AsyncDumpIter<'s>,
        _reply: PhantomData<fn() -> R>,
    }

    impl<'s, R: DecodeMsg> AsyncTypedDumpIter<'s, R> {
        /// Decode the messages of `inner` as `R`.
        pub fn new(inner: AsyncDumpIter<'s>) -> Self {
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
        /// See [`crate::DumpIter::restarts`].
        pub fn restarts(&self) -> u32 {
            self.inner.restarts()
        }
        /// The undecoded messages.
        pub fn into_inner(self) -> AsyncDumpIter<'s> {
            self.inner
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RequestBuf;

    /// A request built after another was dropped on the same thread starts empty and writes
    /// into the dropped one's buffer; a buffer over the limit is not kept.
    #[test]
    fn dropped_request_buffers_are_reused_empty() {
        let mut a = RequestBuf::default();
        a.put(|w| w.put_u32(1, 7));
        let first = a.attrs().as_ptr();
        drop(a);
        let mut b = RequestBuf::default();
        assert!(b.attrs().is_empty());
        b.put(|w| w.put_u16(2, 1));
        assert_eq!(b.attrs().as_ptr(), first);
        assert_eq!(b.attrs(), [6, 0, 2, 0, 1, 0, 0, 0]);
        let c = b.clone();
        drop(b);
        assert_eq!(c.attrs(), [6, 0, 2, 0, 1, 0, 0, 0]);
        drop(c);

        let mut big = RequestBuf::default();
        big.put(|w| w.put_bytes(1, &[0; 2 * super::SPARE_CAPACITY]));
        let big_ptr = big.attrs().as_ptr();
        drop(big);
        let mut d = RequestBuf::default();
        d.put(|w| w.put_u32(1, 7));
        assert_ne!(d.attrs().as_ptr(), big_ptr);
    }
}

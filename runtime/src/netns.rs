//! Opening sockets inside a chosen network namespace ([`Netns`]): rtnetlink users live in
//! namespaces (`ip netns add NAME` makes `/var/run/netns/NAME`; containers hand out
//! `/proc/PID/ns/net` or a descriptor). A socket belongs to the namespace it was created in, so
//! the socket is created by a short-lived thread that first enters the namespace; the caller's
//! own threads never change namespace.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::sys;

/// Where iproute2 keeps its named network namespaces (`ip netns add NAME`).
pub const NETNS_RUN_DIR: &str = "/var/run/netns";

/// A network namespace to open a socket in.
#[derive(Debug, Clone, Copy)]
pub enum Netns<'a> {
    /// A namespace by iproute2 name: `/var/run/netns/NAME`.
    Named(&'a str),
    /// A namespace file: `/var/run/netns/NAME`, `/proc/PID/ns/net`, a bind mount of one.
    Path(&'a Path),
    /// An open descriptor of a namespace file (or a pidfd's namespace, as `setns(2)` allows).
    Fd(BorrowedFd<'a>),
}

impl Netns<'_> {
    /// The namespace file this names, if it is named by path.
    fn path(&self) -> Result<Option<PathBuf>, Error> {
        match *self {
            Netns::Named(name) => {
                if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
                    return Err(Error::Io(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("`{name}` is not a network namespace name (iproute2 names have no `/`)"),
                    )));
                }
                Ok(Some(Path::new(NETNS_RUN_DIR).join(name)))
            }
            Netns::Path(p) => Ok(Some(p.to_path_buf())),
            Netns::Fd(_) => Ok(None),
        }
    }

    /// Runs `open` on a thread that has entered this namespace, and returns what it made.
    pub(crate) fn enter_and<T: Send>(&self, open: impl FnOnce() -> Result<T, Error> + Send) -> Result<T, Error> {
        let path = self.path()?;
        let file = match &path {
            Some(p) => Some(File::open(p).map_err(|e| in_ns(p, e))?),
            None => None,
        };
        let ns_fd = match (&file, self) {
            (Some(f), _) => f.as_raw_fd(),
            (None, Netns::Fd(fd)) => fd.as_raw_fd(),
            (None, _) => unreachable!("every other kind is named by a path"),
        };
        let shown = path.as_deref().map_or_else(|| format!("descriptor {ns_fd}"), |p| p.display().to_string());
        std::thread::scope(|s| {
            s.spawn(|| {
                sys::setns_net(ns_fd).map_err(|e| {
                    Error::Io(io::Error::new(e.kind(), format!("entering network namespace {shown}: {e}")))
                })?;
                open()
            })
            .join()
            .unwrap_or_else(|_| Err(Error::Io(io::Error::other("the thread opening the socket panicked"))))
        })
    }
}

fn in_ns(p: &Path, e: io::Error) -> Error {
    Error::Io(io::Error::new(e.kind(), format!("network namespace {}: {e}", p.display())))
}

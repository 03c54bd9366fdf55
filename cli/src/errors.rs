//! How a command fails: [`Fail`] (the exit status and the complete message) and the wording of
//! runtime socket errors ([`sock_err`]). Kernel errors of a request, with the attribute they
//! point at named through the spec, are [`crate::errctx`].

use nlspec_rt::Error;

/// `ENOENT` (Linux): what nlctrl answers for a family that is not registered.
pub(crate) const ENOENT: i32 = 2;

/// Why the command failed: usage errors exit 2, everything else 1.
#[derive(Debug, PartialEq)]
pub enum Fail {
    /// Bad command line or bad input given on it (exit 2).
    Usage(String),
    /// Spec, kernel or I/O error (exit 1); the message is already complete.
    Error(String),
    /// Output closed (e.g. piped into `head`): stop quietly.
    Quiet,
    /// Stop with this exit status; everything to say was already printed (on stdout, where
    /// the kernel's YNL CLI prints it, e.g. "Operation X not found").
    Exit(i32),
}

/// A runtime (socket, protocol, kernel) error while doing `what`.
pub(crate) fn sock_err(what: &str, e: Error) -> Fail {
    Fail::Error(format!("nlspec: {what}: {e}"))
}

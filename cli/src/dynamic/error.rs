//! [`CodecError`], the one error type of both directions ([`super::DecodeError`],
//! [`super::EncodeError`]): the path of the offending attribute or JSON value, and what is wrong.

use std::fmt;

/// A codec failure ([`DecodeError`](super::DecodeError), [`EncodeError`](super::EncodeError)):
/// where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    /// Path of the offending attribute or JSON value, outermost first (`.ops[1].flags`);
    /// empty for the top level.
    pub path: String,
    /// What is wrong (and, for input, what would be valid).
    pub msg: String,
}

impl CodecError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        CodecError { path: String::new(), msg: msg.into() }
    }
    /// Prepend an enclosing level (`.name` or `[i]`) while unwinding.
    pub(crate) fn within(mut self, seg: &str) -> Self {
        self.path = format!("{seg}{}", self.path);
        self
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.msg)
        } else {
            write!(f, "at {}: {}", self.path, self.msg)
        }
    }
}

impl std::error::Error for CodecError {}

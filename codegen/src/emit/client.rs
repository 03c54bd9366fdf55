//! Client crate emitter (in progress).

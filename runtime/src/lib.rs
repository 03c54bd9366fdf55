//! nlspec userspace runtime.

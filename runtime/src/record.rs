//! The recorder behind `nlspec_rt::fuzzing::record` (cargo feature `fuzzing`): every datagram
//! the blocking socket driver receives on this thread, appended in the fuzzing script format
//! (see [`crate::fuzzing`]), for seed corpora captured from live traffic. Its own module so
//! that the driver (`nlsocket`) does not import the fuzzing entry point, which imports the
//! typed layers built on the driver.

use std::cell::RefCell;

use crate::msg::RecvInfo;

thread_local! {
    static RECORDING: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Start recording, on this thread, every datagram the sockets receive, in the script format
/// (after a mode byte `mode`). [`take_recording`] returns the script.
pub fn record(mode: u8) {
    RECORDING.with(|r| *r.borrow_mut() = Some(vec![mode]));
}

/// Stop recording; the script recorded since [`record`] (`None` if not recording).
pub fn take_recording() -> Option<Vec<u8>> {
    RECORDING.with(|r| r.borrow_mut().take())
}

/// Called by the socket drivers after each successful receive.
pub(crate) fn recorded(bytes: &[u8], info: &RecvInfo) {
    RECORDING.with(|r| {
        if let Some(script) = r.borrow_mut().as_mut() {
            let kind = if info.group != 0 {
                1 | (info.group.saturating_sub(1).min(63) as u8) << 2
            } else if info.sender != 0 {
                2
            } else {
                0
            };
            let len = info.len.min(bytes.len()).min(u16::MAX as usize);
            script.push(kind);
            script.extend_from_slice(&(len as u16).to_le_bytes());
            script.extend_from_slice(&bytes[..len]);
        }
    });
}

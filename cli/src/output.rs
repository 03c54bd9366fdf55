//! Everything printed on stdout: lines ([`out`], a closed pipe ends quietly), decoded values as
//! YNL's CLI prints them ([`show`]: JSON or `pprint` style), the shape of a do's replies
//! ([`do_shape`]) and extended-ACK warnings of successful requests ([`print_warning`]).

use std::io::Write;

use crate::dynamic::{Key, Value};
use crate::errors::Fail;
use nlspec_rt::Warning;

/// Print one line to stdout; a closed pipe ends the program quietly.
pub(crate) fn out(s: &str) -> Result<(), Fail> {
    let mut o = std::io::stdout().lock();
    writeln!(o, "{s}").and_then(|_| o.flush()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Fail::Quiet
        } else {
            Fail::Error(format!("nlspec: cannot write to stdout: {e}"))
        }
    })
}

/// Terminal width for the readable form: `$COLUMNS`, else 80.
pub(crate) fn width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()).filter(|w| *w > 0).unwrap_or(80)
}

/// Print a decoded value: JSON with `--output-json`, else the readable form.
pub(crate) fn show(v: &Value, json: bool) -> Result<(), Fail> {
    if json {
        out(&v.to_json())
    } else {
        out(&v.to_pretty(width()))
    }
}

/// YNL's shape of a do's replies: `None` without one, the reply itself, a list of several.
pub(crate) fn do_shape(mut replies: Vec<Value>) -> Value {
    match replies.len() {
        0 => Value::Null,
        1 => replies.pop().unwrap_or(Value::Null),
        _ => Value::List(replies),
    }
}

/// As YNL's `_ops` on a successful end that carried an extended ACK: `print("Netlink
/// warning:")` then `print(nl_msg)` (its `NlMsg.__repr__`), both on stdout. The kernel puts
/// only the message (and a cookie) into a successful ACK.
pub(crate) fn print_warning(w: &Warning) -> Result<(), Fail> {
    out("Netlink warning:")?;
    let h = w.header;
    let mut s =
        format!("nl_len = {} ({}) nl_flags = 0x{:x} nl_type = {}", h.len, h.len.saturating_sub(16), h.flags, h.ty);
    if let Some(m) = &w.msg {
        let ext = Value::Map(vec![(Key::Str("msg".into()), Value::Str(m.clone()))]);
        s.push_str("\n\textack: ");
        s.push_str(&ext.to_pretty(1 << 20));
    }
    out(&s)
}

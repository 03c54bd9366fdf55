//! Runs inside the test VM (built with `cargo xtask build-static`): proves that a static binary
//! runs there, that generic netlink answers (nlctrl resolves itself), and that a test can drop
//! to the unprivileged uid 1000 user. Prints `NLSPEC-CASE PASS|FAIL <case>` lines.

use std::io::Error;

const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

fn report(case: &str, r: Result<(), String>) {
    match r {
        Ok(()) => println!("NLSPEC-CASE PASS {case}"),
        Err(e) => println!("NLSPEC-CASE FAIL {case}: {e}"),
    }
}

/// Asks nlctrl for its own family id over a NETLINK_GENERIC socket.
fn resolve_nlctrl() -> Result<(), String> {
    // SAFETY: plain socket(2) call; the result is checked.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_GENERIC) };
    if fd < 0 {
        return Err(format!("socket(AF_NETLINK, NETLINK_GENERIC): {}", Error::last_os_error()));
    }
    let name = b"nlctrl\0";
    let attr_len = 4 + name.len();
    let total = 16 + 4 + ((attr_len + 3) & !3);
    let mut msg = Vec::with_capacity(total);
    msg.extend_from_slice(&(total as u32).to_ne_bytes()); // nlmsg_len
    msg.extend_from_slice(&GENL_ID_CTRL.to_ne_bytes()); // nlmsg_type
    msg.extend_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes()); // seq
    msg.extend_from_slice(&0u32.to_ne_bytes()); // pid
    msg.extend_from_slice(&[CTRL_CMD_GETFAMILY, 1, 0, 0]); // genlmsghdr
    msg.extend_from_slice(&(attr_len as u16).to_ne_bytes());
    msg.extend_from_slice(&CTRL_ATTR_FAMILY_NAME.to_ne_bytes());
    msg.extend_from_slice(name);
    msg.resize(total, 0);
    // SAFETY: msg is a valid buffer of msg.len() bytes; fd is our socket.
    let sent = unsafe { libc::send(fd, msg.as_ptr().cast(), msg.len(), 0) };
    if sent != msg.len() as isize {
        return Err(format!("send: {}", Error::last_os_error()));
    }
    let mut buf = vec![0u8; 8192];
    // SAFETY: buf is writable for buf.len() bytes.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    // SAFETY: closing the fd we opened, once.
    unsafe { libc::close(fd) };
    if n < 20 {
        return Err(format!("recv returned {n}: {}", Error::last_os_error()));
    }
    let buf = &buf[..n as usize];
    let ty = u16::from_ne_bytes([buf[4], buf[5]]);
    if ty != GENL_ID_CTRL {
        return Err(format!("reply type {ty}, expected {GENL_ID_CTRL} (2 = error)"));
    }
    let mut off = 20;
    while off + 4 <= buf.len() {
        let len = u16::from_ne_bytes([buf[off], buf[off + 1]]) as usize;
        let aty = u16::from_ne_bytes([buf[off + 2], buf[off + 3]]) & 0x3fff;
        if len < 4 || off + len > buf.len() {
            break;
        }
        if aty == CTRL_ATTR_FAMILY_ID && len >= 6 {
            let id = u16::from_ne_bytes([buf[off + 4], buf[off + 5]]);
            return if id == GENL_ID_CTRL { Ok(()) } else { Err(format!("nlctrl id {id}")) };
        }
        off += (len + 3) & !3;
    }
    Err("reply has no CTRL_ATTR_FAMILY_ID".into())
}

/// Becomes uid/gid 1000, as EPERM tests do.
fn drop_privileges() -> Result<(), String> {
    // SAFETY: plain id syscalls; results checked.
    unsafe {
        if libc::getuid() != 0 {
            return Err(format!("expected to start as root, uid is {}", libc::getuid()));
        }
        if libc::setgid(1000) != 0 || libc::setuid(1000) != 0 {
            return Err(format!("setgid/setuid(1000): {}", Error::last_os_error()));
        }
        if libc::getuid() != 1000 || libc::geteuid() != 1000 {
            return Err("uid is not 1000 after setuid".into());
        }
        if libc::setuid(0) == 0 {
            return Err("could become root again".into());
        }
    }
    Ok(())
}

fn main() {
    report("static-binary-runs", Ok(()));
    report("genl-nlctrl-resolves", resolve_nlctrl());
    report("drop-to-uid-1000", drop_privileges());
    // Still works unprivileged: getfamily needs no capability.
    report("genl-nlctrl-resolves-unprivileged", resolve_nlctrl());
}

//! Runs inside the test VM (built with `cargo xtask build-static`): proves that a static binary
//! runs there, that generic netlink answers (nlctrl resolves itself, through nlspec-rt's
//! `GenlSocket`), and that a test can drop to the unprivileged uid 1000 user. Prints
//! `NLSPEC-CASE PASS|FAIL <case>` lines.
//!
//! Safe Rust only: the socket is nlspec-rt's, the drop to uid 1000 is a re-run of this binary
//! through `std::process::Command::uid/gid` (`as-user` mode), and ids are read from
//! `/proc/self/status`.

use nlspec_rt::GenlSocket;
use std::os::unix::process::CommandExt;

/// nlctrl's fixed family id (`GENL_ID_CTRL`).
const GENL_ID_CTRL: u16 = 0x10;

fn report(case: &str, r: Result<(), String>) {
    match r {
        Ok(()) => println!("NLSPEC-CASE PASS {case}"),
        Err(e) => println!("NLSPEC-CASE FAIL {case}: {e}"),
    }
}

/// Asks nlctrl for its own family id over a NETLINK_GENERIC socket.
fn resolve_nlctrl() -> Result<(), String> {
    let mut sock = GenlSocket::new().map_err(|e| format!("opening a generic netlink socket: {e}"))?;
    let fam = sock.resolve_family("nlctrl").map_err(|e| format!("resolving nlctrl: {e}"))?;
    if fam.id == GENL_ID_CTRL {
        Ok(())
    } else {
        Err(format!("nlctrl id {}, expected {GENL_ID_CTRL}", fam.id))
    }
}

/// The ids and effective capabilities of this process from `/proc/self/status`:
/// (real, effective, saved uid), (real, effective, saved gid), CapEff.
fn ids() -> Result<([u32; 3], [u32; 3], u64), String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
    let field = |name: &str| -> Result<&str, String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
            .map(str::trim)
            .ok_or_else(|| format!("/proc/self/status has no {name}"))
    };
    let three = |name: &str| -> Result<[u32; 3], String> {
        let v: Vec<u32> = field(name)?.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        match v[..] {
            [r, e, s, ..] => Ok([r, e, s]),
            _ => Err(format!("/proc/self/status: malformed {name}")),
        }
    };
    let cap = u64::from_str_radix(field("CapEff")?, 16).map_err(|e| format!("/proc/self/status CapEff: {e}"))?;
    Ok((three("Uid")?, three("Gid")?, cap))
}

/// Runs this binary again as uid/gid 1000 (`as-user`), passing on the cases it reports.
fn drop_privileges() -> Result<(), String> {
    let (uid, _, _) = ids()?;
    if uid[0] != 0 {
        return Err(format!("expected to start as root, uid is {}", uid[0]));
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let out = std::process::Command::new(exe)
        .arg("as-user")
        .uid(1000)
        .gid(1000)
        .output()
        .map_err(|e| format!("running as uid 1000: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    // A failing check already printed its FAIL line; only a run that reported nothing is one here.
    if !out.status.success() && !text.contains("NLSPEC-CASE") {
        return Err(format!("as-user run failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// The `as-user` side: every uid and gid is 1000 and no capability is left (so setuid(0) cannot
/// succeed), and nlctrl still resolves (getfamily needs no capability).
fn as_user() -> i32 {
    let r = ids().and_then(|(uid, gid, cap)| {
        if uid != [1000; 3] || gid != [1000; 3] {
            Err(format!("uid {uid:?} gid {gid:?} after the drop, want 1000 everywhere"))
        } else if cap != 0 {
            Err(format!("effective capabilities {cap:#x} left: could become root again"))
        } else {
            Ok(())
        }
    });
    let ok = r.is_ok();
    report("drop-to-uid-1000", r);
    let r = resolve_nlctrl();
    let ok = ok && r.is_ok();
    report("genl-nlctrl-resolves-unprivileged", r);
    if ok {
        0
    } else {
        1
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("as-user") {
        std::process::exit(as_user());
    }
    report("static-binary-runs", Ok(()));
    report("genl-nlctrl-resolves", resolve_nlctrl());
    if let Err(e) = drop_privileges() {
        report("drop-to-uid-1000", Err(e));
    }
}

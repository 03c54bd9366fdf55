//! Small helpers shared by the xtask subcommands: errors with context, running commands,
//! hashing, locating tools and directories.

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An xtask error: a message that says where it happened and, for a failed command, the tail of
/// its output.
pub struct Error(pub String);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Builds an [`Error`] from a format string.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::util::Error(format!($($arg)*)) };
}

/// Adds context ("while doing X") to any displayable error.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error(format!("{}: {e}", what())))
    }
}

/// Prints a progress line on stderr (stdout is kept for the results other tools parse).
pub fn note(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

/// A readable rendering of a command line for messages.
pub fn show(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()));
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    if let Some(dir) = cmd.get_current_dir() {
        s.push_str(&format!("  (in {})", dir.display()));
    }
    s
}

/// Last `n` lines of a text.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

/// Runs a command, capturing its output; fails with the command line and its output's tail.
pub fn run_capture(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().context(|| format!("cannot start `{}`", show(cmd)))?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        return Err(err!("`{}` failed ({}); last output:\n{}", show(cmd), out.status, tail(&text, 30)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a command with its output inherited (shown live).
pub fn run_live(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().context(|| format!("cannot start `{}`", show(cmd)))?;
    if !status.success() {
        return Err(err!("`{}` failed ({status}); see its output above", show(cmd)));
    }
    Ok(())
}

/// Runs a command with stdout+stderr appended to `log`; on failure the error carries the log's
/// tail. While it runs, a progress line (elapsed time, the log's last line) goes to stderr every
/// minute so long builds do not look hung.
pub fn run_logged(cmd: &mut Command, log: &Path) -> Result<()> {
    let mut f =
        File::options().create(true).append(true).open(log).context(|| format!("cannot open log {}", log.display()))?;
    writeln!(f, "\n$ {}", show(cmd)).context(|| format!("writing {}", log.display()))?;
    let f2 = f.try_clone().context(|| format!("dup {}", log.display()))?;
    let mut child =
        cmd.stdin(Stdio::null()).stdout(f).stderr(f2).spawn().context(|| format!("cannot start `{}`", show(cmd)))?;
    let started = std::time::Instant::now();
    let mut next_note = started + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().context(|| format!("waiting for `{}`", show(cmd)))? {
            break s;
        }
        if std::time::Instant::now() >= next_note {
            next_note += std::time::Duration::from_secs(60);
            let last = std::fs::read_to_string(log).unwrap_or_default();
            note(format!(
                "  ... {:.0} min, at: {}",
                started.elapsed().as_secs_f64() / 60.0,
                last.lines().last().unwrap_or("").trim()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    if !status.success() {
        let mut text = String::new();
        let _ = File::open(log).and_then(|mut f| f.read_to_string(&mut text));
        return Err(err!(
            "`{}` failed ({status}); full log: {}\nlast lines:\n{}",
            show(cmd),
            log.display(),
            tail(&text, 40)
        ));
    }
    Ok(())
}

/// SHA-256 of some bytes, in hex, via coreutils' `sha256sum` (keeps xtask free of crypto deps).
pub fn sha256_hex(data: &[u8]) -> Result<String> {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context(|| "cannot start sha256sum".to_string())?;
    child.stdin.take().expect("piped stdin").write_all(data).context(|| "writing to sha256sum".to_string())?;
    let out = child.wait_with_output().context(|| "waiting for sha256sum".to_string())?;
    let s = String::from_utf8_lossy(&out.stdout);
    let hex = s.split_whitespace().next().unwrap_or("");
    if !out.status.success() || hex.len() != 64 {
        return Err(err!("sha256sum failed: {s}"));
    }
    Ok(hex.to_string())
}

/// The workspace root (parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives inside the workspace").to_path_buf()
}

/// `$HOME`, required.
pub fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| err!("HOME is not set; cannot locate ~/.cache/nlspec"))
}

/// `~/.cache/nlspec` (or `$XDG_CACHE_HOME/nlspec`).
pub fn cache_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => home()?.join(".cache"),
    };
    Ok(base.join("nlspec"))
}

/// Finds an executable named `name` in `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Creates a directory and its parents, with context.
pub fn mkdir_p(p: &Path) -> Result<()> {
    std::fs::create_dir_all(p).context(|| format!("cannot create directory {}", p.display()))
}

/// Writes a file, with context.
pub fn write(p: &Path, data: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(p, data).context(|| format!("cannot write {}", p.display()))
}

/// Reads a file, with context.
pub fn read(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).context(|| format!("cannot read {}", p.display()))
}

/// Takes an exclusive lock on `path` (created if needed) for as long as the returned file lives,
/// so concurrent xtask runs do not build the same thing twice.
pub fn lock_file(path: &Path) -> Result<File> {
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .context(|| format!("cannot open lock file {}", path.display()))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            note(format!("waiting for another xtask holding {}", path.display()));
            f.lock().context(|| format!("cannot lock {}", path.display()))?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(err!("cannot lock {}: {e}", path.display()));
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_logged_keeps_output_and_reports_the_tail() {
        let dir = std::env::temp_dir().join(format!("xtask-util-test-{}", std::process::id()));
        mkdir_p(&dir).unwrap();
        let log = dir.join("log");
        run_logged(Command::new("sh").args(["-c", "echo first"]), &log).unwrap();
        let e = run_logged(Command::new("sh").args(["-c", "echo boom >&2; exit 3"]), &log).unwrap_err();
        assert!(e.0.contains("boom") && e.0.contains("exit status: 3"), "{e}");
        assert!(std::fs::read_to_string(&log).unwrap().contains("first"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn run_capture_names_the_command() {
        let e = run_capture(Command::new("sh").args(["-c", "echo nope; exit 1"])).unwrap_err();
        assert!(e.0.contains("sh -c") && e.0.contains("nope"), "{e}");
        assert_eq!(sha256_hex(b"").unwrap(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}

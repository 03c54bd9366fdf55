//! Generated Rust laid out by an installed `rustfmt` (from `RUSTFMT` or `PATH`). The client
//! emitter's printer writes close to rustfmt's layout (not exactly: it keeps a closure or
//! struct literal overflowing where rustfmt sometimes breaks the chain before it), and `cargo
//! xtask generate` passes the checked-in crates through rustfmt; the kernel emitter writes the kernel's rustfmt style itself, and
//! [`kernel_style`] is how the tests hold it to that (`tests/kernel_corpus.rs`: rustfmt changes
//! nothing in any module of the upstream corpus).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::emit::kernel::is_support_copy;
use crate::emit::GeneratedFile;

/// The kernel's rustfmt style: its `.rustfmt.toml` (edition 2021, Unix newlines, every other
/// option at rustfmt's default, so 100 columns). The repository's `kernel/rustfmt-kernel.toml`
/// says the same.
pub const KERNEL_STYLE: &str = "edition = \"2021\"\nnewline_style = \"Unix\"\n";

/// Why rustfmt did not format.
#[derive(Debug)]
pub enum RustfmtError {
    /// No rustfmt to run (the program named).
    NotFound(String),
    /// rustfmt could not be run or rejected the input: what it said.
    Failed(String),
}

impl std::fmt::Display for RustfmtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RustfmtError::NotFound(p) => {
                write!(f, "`{p}` not found (install it with `rustup component add rustfmt`, or set RUSTFMT)")
            }
            RustfmtError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RustfmtError {}

/// `source` formatted by `rustfmt --edition 2021` with the config file `config` (and no other:
/// no `rustfmt.toml` above the current directory is consulted).
pub fn rustfmt(source: &str, config: &Path) -> Result<String, RustfmtError> {
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let name = program.to_string_lossy().into_owned();
    let mut child = Command::new(&program)
        .args(["--edition", "2021", "--emit", "stdout", "--config-path"])
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RustfmtError::NotFound(name.clone()),
            _ => RustfmtError::Failed(format!("cannot run `{name}`: {e}")),
        })?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Written from another thread: a large file cannot deadlock against rustfmt's output.
    let (written, out) = std::thread::scope(|s| {
        let writer = s.spawn(move || stdin.write_all(source.as_bytes()));
        let out = child.wait_with_output();
        (writer.join().unwrap_or_else(|_| Err(std::io::Error::other("the stdin writer panicked"))), out)
    });
    let out = out.map_err(|e| RustfmtError::Failed(format!("waiting for `{name}`: {e}")))?;
    if !out.status.success() {
        return Err(RustfmtError::Failed(format!(
            "`{name}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    written.map_err(|e| RustfmtError::Failed(format!("writing to `{name}`: {e}")))?;
    String::from_utf8(out.stdout).map_err(|_| RustfmtError::Failed(format!("`{name}` wrote non-UTF-8 output")))
}

/// Every `.rs` file of `files` (a kernel module directory) in the kernel's style
/// ([`KERNEL_STYLE`]), so an in-tree `make rustfmtcheck` passes on them as written. The
/// support files copied verbatim are in that style already (`cargo xtask fmt-check` checks
/// them) and are left alone: formatting their 200 KB again took most of a module's generation.
pub fn kernel_style(files: &mut [GeneratedFile]) -> Result<(), RustfmtError> {
    // One directory per call: two threads of a process must not remove each other's config.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nlspec-rustfmt-{}-{call}", std::process::id()));
    let io = |e: std::io::Error| RustfmtError::Failed(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let config = dir.join("rustfmt.toml");
    let r = std::fs::write(&config, KERNEL_STYLE).map_err(io).and_then(|()| {
        // One rustfmt per file, all at once (a process's start is most of its time here); the
        // files keep their text until every run is back, so a failure changes none of them.
        let mut todo: Vec<&mut GeneratedFile> =
            files.iter_mut().filter(|f| f.path.extension().is_some_and(|e| e == "rs") && !is_support_copy(f)).collect();
        let config = &config;
        let formatted: Vec<Result<String, RustfmtError>> = std::thread::scope(|s| {
            let runs: Vec<_> = todo.iter().map(|f| s.spawn(|| rustfmt(&f.contents, config))).collect();
            runs.into_iter()
                .map(|r| r.join().unwrap_or_else(|_| Err(RustfmtError::Failed("the rustfmt thread panicked".into()))))
                .collect()
        });
        let formatted = todo
            .iter()
            .zip(formatted)
            .map(|(f, r)| {
                r.map_err(|e| match e {
                    RustfmtError::Failed(m) => RustfmtError::Failed(format!("{}: {m}", f.path.display())),
                    e => e,
                })
            })
            .collect::<Result<Vec<String>, _>>()?;
        for (f, text) in todo.iter_mut().zip(formatted) {
            f.contents = text;
        }
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a rustfmt to run, `kernel_style` says so and leaves every file as it was (the
    /// caller then writes the emitter's layout).
    #[test]
    fn without_rustfmt_the_files_are_unchanged() {
        let mut files = vec![
            GeneratedFile::new("a_genl.rs", "fn a() {}\n"),
            GeneratedFile::new("a_main.rs", "fn  b ( ) { }\n"),
            GeneratedFile::new("Kbuild", "obj-m := a.o\n"),
        ];
        let before = files.clone();
        std::env::set_var("RUSTFMT", "/nonexistent/rustfmt");
        let r = kernel_style(&mut files);
        std::env::remove_var("RUSTFMT");
        assert!(matches!(r, Err(RustfmtError::NotFound(_))), "{r:?}");
        assert_eq!(files, before);
    }

    /// [`KERNEL_STYLE`] is the repository's `kernel/rustfmt-kernel.toml` without its comments.
    #[test]
    fn kernel_style_is_the_repositorys() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../kernel/rustfmt-kernel.toml");
        let file = std::fs::read_to_string(path).unwrap();
        let settings: String =
            file.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|l| format!("{l}\n")).collect();
        assert_eq!(settings, KERNEL_STYLE);
    }
}

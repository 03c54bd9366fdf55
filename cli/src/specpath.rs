//! Finding a spec by family name (`--family NAME`, `--list-families`), as the kernel's YNL CLI
//! does in its install location (`/usr/share/ynl/specs/<family>.yaml`, YNL's
//! `lib/specdir.py`), after the directories the user names: `--spec-dir DIR` (repeatable, in
//! order), then the colon-separated `NLSPEC_SPEC_PATH`.

use std::path::{Path, PathBuf};

use crate::errors::Fail;

/// YNL's installed spec directory (`SYS_SCHEMA_DIR + '/specs'`).
pub const SYSTEM_SPEC_DIR: &str = "/usr/share/ynl/specs";

/// The environment variable holding extra spec directories (colon-separated).
pub const ENV: &str = "NLSPEC_SPEC_PATH";

/// The directories searched, in order: `dirs` (from `--spec-dir`), `$NLSPEC_SPEC_PATH`, then
/// [`SYSTEM_SPEC_DIR`].
pub fn search_path(dirs: &[String]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = dirs.iter().map(PathBuf::from).collect();
    if let Some(p) = std::env::var_os(ENV) {
        v.extend(std::env::split_paths(&p).filter(|d| !d.as_os_str().is_empty()));
    }
    v.push(PathBuf::from(SYSTEM_SPEC_DIR));
    v
}

fn searched(path: &[PathBuf]) -> String {
    path.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The spec of family `name`: `<dir>/<name>.yaml` in the first directory of the search path
/// that has it.
pub fn find(name: &str, dirs: &[String]) -> Result<PathBuf, Fail> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(Fail::Usage(format!("--family {name:?}: not a family name")));
    }
    let path = search_path(dirs);
    path.iter().map(|d| d.join(format!("{name}.yaml"))).find(|p| p.is_file()).ok_or_else(|| {
        Fail::Error(format!(
            "nlspec: --family {name}: no spec {name}.yaml found (searched: {}; add directories with --spec-dir DIR or {ENV})",
            searched(&path)
        ))
    })
}

/// `--list-families`: the names of the specs (`*.yaml`) in every existing directory of the
/// search path, sorted, each once. No directory at all is an error, as in YNL.
pub fn list(dirs: &[String]) -> Result<Vec<String>, Fail> {
    let path = search_path(dirs);
    let mut names = Vec::new();
    let mut any = false;
    for d in &path {
        let Ok(rd) = std::fs::read_dir(d) else { continue };
        any = true;
        for e in rd.flatten() {
            if let Some(n) = e.file_name().to_str().and_then(|n| n.strip_suffix(".yaml")) {
                if is_file(&d.join(e.file_name())) {
                    names.push(n.to_string());
                }
            }
        }
    }
    if !any {
        return Err(Fail::Error(format!(
            "nlspec: --list-families: no spec directory exists (searched: {}; add directories with --spec-dir DIR or {ENV})",
            searched(&path)
        )));
    }
    names.sort();
    names.dedup();
    Ok(names)
}

fn is_file(p: &Path) -> bool {
    p.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_directory_wins_and_list_is_sorted_once() {
        let base = std::env::temp_dir().join(format!("nlspec-specpath-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        for (d, n) in [(&a, "zeta.yaml"), (&a, "alpha.yaml"), (&b, "alpha.yaml"), (&b, "mid.yaml"), (&b, "x.txt")] {
            std::fs::write(d.join(n), "").unwrap();
        }
        let dirs = vec![a.display().to_string(), b.display().to_string()];
        assert_eq!(find("alpha", &dirs).unwrap(), a.join("alpha.yaml"));
        assert_eq!(find("mid", &dirs).unwrap(), b.join("mid.yaml"));
        assert!(matches!(find("nope", &dirs), Err(Fail::Error(m)) if m.contains("no spec nope.yaml")));
        assert!(matches!(find("../etc/x", &dirs), Err(Fail::Usage(_))));
        let l = list(&dirs).unwrap();
        // Other directories of the path (the environment, /usr/share/ynl) may add names.
        let ours: Vec<&String> = l.iter().filter(|n| ["alpha", "mid", "zeta"].contains(&n.as_str())).collect();
        assert_eq!(ours, ["alpha", "mid", "zeta"]);
        assert!(!l.contains(&"x".to_string()));
        let _ = std::fs::remove_dir_all(&base);
    }
}

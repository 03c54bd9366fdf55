//! A tiny command-line parser: `--name value`, `--name=value`, repeated options, flags, and
//! everything after `--` kept verbatim.

use crate::err;
use crate::util::Result;

pub struct Args {
    items: Vec<String>,
    /// Arguments after a literal `--`.
    pub rest: Vec<String>,
}

impl Args {
    pub fn new(mut argv: Vec<String>) -> Args {
        let rest = match argv.iter().position(|a| a == "--") {
            Some(i) => {
                let rest = argv.split_off(i + 1);
                argv.pop();
                rest
            }
            None => Vec::new(),
        };
        Args { items: argv, rest }
    }

    /// Whether the flag `name` is present (removes it).
    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.items.len();
        self.items.retain(|a| a != name);
        self.items.len() != before
    }

    /// All values of a repeatable option `name`.
    pub fn values(&mut self, name: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut i = 0;
        let prefix = format!("{name}=");
        while i < self.items.len() {
            if self.items[i] == name {
                if i + 1 >= self.items.len() {
                    return Err(err!("option {name} needs a value"));
                }
                out.push(self.items.remove(i + 1));
                self.items.remove(i);
            } else if let Some(v) = self.items[i].strip_prefix(&prefix) {
                out.push(v.to_string());
                self.items.remove(i);
            } else {
                i += 1;
            }
        }
        Ok(out)
    }

    /// The value of option `name`, if given (at most once).
    pub fn opt(&mut self, name: &str) -> Result<Option<String>> {
        let mut v = self.values(name)?;
        match v.len() {
            0 => Ok(None),
            1 => Ok(v.pop()),
            _ => Err(err!("option {name} given more than once")),
        }
    }

    /// The value of option `name`, which must be given.
    pub fn required(&mut self, name: &str) -> Result<String> {
        self.opt(name)?.ok_or_else(|| err!("missing required option {name}"))
    }

    /// Fails on anything not consumed.
    pub fn finish(&self) -> Result<()> {
        if self.items.is_empty() {
            Ok(())
        } else {
            Err(err!("unexpected arguments: {}", self.items.join(" ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    fn args(s: &[&str]) -> Args {
        Args::new(s.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn options_flags_and_rest() {
        let mut a = args(&["--kernel", "6.12", "--ko=a.ko", "--ko", "b.ko", "-v", "--", "echo", "--ko", "x"]);
        assert_eq!(a.required("--kernel").unwrap(), "6.12");
        assert_eq!(a.values("--ko").unwrap(), ["a.ko", "b.ko"]);
        assert!(a.flag("-v"));
        assert!(a.finish().is_ok());
        assert_eq!(a.rest, ["echo", "--ko", "x"]);
    }

    #[test]
    fn errors_name_the_option() {
        let mut a = args(&["--timeout"]);
        assert!(a.opt("--timeout").unwrap_err().0.contains("--timeout needs a value"));
        let mut a = args(&["--x", "1", "--x", "2"]);
        assert!(a.opt("--x").unwrap_err().0.contains("more than once"));
        let a = args(&["stray"]);
        assert!(a.finish().unwrap_err().0.contains("stray"));
        let mut a = args(&[]);
        assert!(a.required("--kernel").unwrap_err().0.contains("--kernel"));
    }
}

//! `--list-attrs OP` / `--doc OP`: an operation's attributes, printed as the kernel's YNL CLI
//! prints them (`do_doc` and `print_attr_list` in tools/net/ynl/pyynl/cli.py): the op's doc,
//! then per mode the request and reply attributes with type, enum values, nested sets
//! (recursively) and docs wrapped to the terminal width (Python's `textwrap.fill`), then event
//! or notification attributes and the multicast group. Bold/italic only on a terminal.
//!
//! Which keys are present (`request:` with or without `attributes:`) is read from the spec as
//! written ([`nlspec_model::spec`]); attributes, enums and nests from the resolved family. Two
//! cases where YNL's CLI stops with a Python exception print what the spec has instead: an op
//! without `doc` (YNL: `KeyError`) prints no doc line, and a nest that contains itself
//! (YNL: `RecursionError`) is not expanded again inside itself.

use std::io::IsTerminal;

use nlspec_model::ir::{Attr, AttrKind, EnumKind, Family, SetId};
use nlspec_model::spec;

use crate::errors::Fail;
use crate::output::{out, width};

const BOLD: &str = "\x1b[1m";
const ITALICS: &str = "\x1b[3m";
const RESET: &str = "\x1b[0m";

fn color(text: &str, modifier: &str) -> String {
    if std::io::stdout().is_terminal() {
        format!("{modifier}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// Python's `str.capitalize()` for ASCII words.
fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

/// Print the `--list-attrs` text of message `name` of the spec at `path` (resolved as `fam`).
pub fn list_attrs(fam: &Family, path: &str, name: &str) -> Result<(), Fail> {
    let loaded = nlspec_model::loader::load_file(std::path::Path::new(path)).map_err(|d| Fail::Error(d.to_string()))?;
    let (Some(yop), Some(op)) =
        (loaded.spec.operations.list.iter().find(|o| o.name == name), fam.ops.list.iter().find(|o| o.name == name))
    else {
        out(&format!("Operation {name} not found"))?;
        return Err(Fail::Exit(1));
    };
    let p = Printer { fam, width: width() };
    // YNL: the op's own set, for a notification the set of the op it notifies for.
    let set = op.attribute_set.or_else(|| op.notify.and_then(|n| fam.op(n).attribute_set));
    out(&format!("Operation: {}", color(&op.name, BOLD)))?;
    if let Some(d) = &yop.doc {
        out(d)?;
    }
    let reply_eq = |a: &spec::Msg, b: &spec::Msg| a.attributes == b.attributes && a.value == b.value;
    let consistent = match (&yop.do_, &yop.dump) {
        (Some(d), Some(u)) => match (&d.reply, &u.reply) {
            (Some(a), Some(b)) => reply_eq(a, b),
            _ => false,
        },
        _ => false,
    };
    for (mode, sub) in [("do", &yop.do_), ("dump", &yop.dump)] {
        let Some(sub) = sub else { continue };
        let title = capitalize(mode);
        if let Some(attrs) = sub.request.as_ref().and_then(|r| r.attributes.as_ref()) {
            out(&format!("\n{title} request attributes:"))?;
            p.list(attrs, set, 2, &[])?;
        }
        if let Some(attrs) = sub.reply.as_ref().and_then(|r| r.attributes.as_ref()) {
            let title = match (consistent, mode) {
                (true, "do") => None,
                (true, _) => Some("Do and Dump".to_string()),
                _ => Some(title),
            };
            if let Some(t) = title {
                out(&format!("\n{t} reply attributes:"))?;
                p.list(attrs, set, 2, &[])?;
            }
        }
    }
    if let Some(attrs) = yop.event.as_ref().and_then(|e| e.attributes.as_ref()) {
        out("\nEvent attributes:")?;
        p.list(attrs, set, 2, &[])?;
    }
    if let Some(target) = &yop.notify {
        if let Some(t) = loaded.spec.operations.list.iter().find(|o| &o.name == target) {
            if let Some(sub) = t.do_.as_ref().or(t.dump.as_ref()) {
                out("\nNotification attributes:")?;
                let attrs = sub.reply.as_ref().and_then(|r| r.attributes.clone()).unwrap_or_default();
                p.list(&attrs, set, 2, &[])?;
            }
        }
    }
    if let Some(g) = &yop.mcgrp {
        out(&format!("\nMulticast group: {g}"))?;
    }
    Ok(())
}

struct Printer<'f> {
    fam: &'f Family,
    width: usize,
}

impl Printer<'_> {
    /// YNL's `print_attr_list(ynl, names, attr_set, indent)`; `path`: the sets being expanded.
    fn list(&self, names: &[String], set: Option<SetId>, indent: usize, path: &[SetId]) -> Result<(), Fail> {
        let Some(set) = set else { return Ok(()) };
        let prefix = " ".repeat(indent);
        for name in names {
            let Some(a) = self.fam.set(set).attr(name) else { continue };
            // A subset's attribute is its parent's (YNL hands out the parent's object).
            let a: &Attr = a.origin.map(|r| self.fam.attr(r)).unwrap_or(a);
            let mut info = format!("{prefix}- {}: {}", color(name, BOLD), a.kind.ty().as_str());
            if let Some(e) = a.enum_ {
                let e = self.fam.enum_(e);
                info.push_str(&format!(" (enum: {})", e.name));
                let kind = match e.kind {
                    EnumKind::Enum => "Enum",
                    EnumKind::Flags => "Flags",
                };
                let names: Vec<&str> = e.entries.iter().map(|x| x.name.as_str()).collect();
                info.push_str(&format!("\n{prefix}  {}: {}", color(kind, ITALICS), names.join(", ")));
            }
            let nested = match a.kind {
                AttrKind::Nest { set } => Some(set),
                _ => None,
            };
            if let Some(n) = nested {
                info.push_str(&format!(" -> {}", self.fam.set(n).name));
            }
            if let Some(d) = a.doc.as_deref().filter(|d| !d.is_empty()) {
                let dp = format!("{prefix}    ");
                info.push('\n');
                info.push_str(&fill(d, self.width, &dp));
            }
            out(&info)?;
            if let Some(n) = nested {
                if path.contains(&n) {
                    continue;
                }
                let s = self.fam.set(n);
                let names: Vec<String> =
                    s.attrs.iter().filter(|x| !matches!(x.kind, AttrKind::Unused)).map(|x| x.name.clone()).collect();
                if !names.is_empty() {
                    let mut path = path.to_vec();
                    path.push(set);
                    self.list(&names, Some(n), indent + 4, &path)?;
                }
            }
        }
        Ok(())
    }
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

/// Python's `textwrap` chunks: runs of spaces, and words split after hyphens that join two
/// letters with at least two letters before (`TextWrapper.wordsep_re`, the common cases).
fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let cs: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let start = i;
        if cs[i] == ' ' {
            while i < cs.len() && cs[i] == ' ' {
                i += 1;
            }
            out.push(cs[start..i].iter().collect());
            continue;
        }
        while i < cs.len() && cs[i] != ' ' {
            let hyphen_break = cs[i] == '-'
                && i >= start + 2
                && is_letter(cs[i - 1])
                && is_letter(cs[i - 2])
                && cs.get(i + 1).is_some_and(|c| is_letter(*c));
            i += 1;
            if hyphen_break {
                break;
            }
        }
        out.push(cs[start..i].iter().collect());
    }
    out
}

/// `textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent)`.
pub fn fill(text: &str, width: usize, indent: &str) -> String {
    // expand_tabs (8 columns), then every whitespace character becomes a space.
    let mut t = String::new();
    let mut col = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                t.push_str(&" ".repeat(n));
                col += n;
            }
            '\n' | '\r' => {
                t.push(' ');
                col = 0;
            }
            '\x0b' | '\x0c' => {
                t.push(' ');
                col += 1;
            }
            c => {
                t.push(c);
                col += 1;
            }
        }
    }
    let mut chunks: Vec<String> = chunks(&t);
    chunks.reverse();
    let len = |s: &str| s.chars().count();
    let mut lines: Vec<String> = Vec::new();
    let avail = width.saturating_sub(len(indent));
    while !chunks.is_empty() {
        let mut cur: Vec<String> = Vec::new();
        let mut cur_len = 0;
        if !lines.is_empty() && chunks.last().is_some_and(|c| c.trim().is_empty()) {
            chunks.pop();
        }
        while let Some(c) = chunks.last() {
            let l = len(c);
            if cur_len + l <= avail {
                cur_len += l;
                cur.push(chunks.pop().unwrap_or_default());
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| len(c) > avail) {
            // _handle_long_word: break it, at a hyphen if one fits.
            let c = chunks.pop().unwrap_or_default();
            let space_left = if avail < 1 { 1 } else { avail - cur_len };
            let cc: Vec<char> = c.chars().collect();
            let mut end = space_left;
            if cc.len() > space_left {
                if let Some(h) = cc[..space_left].iter().rposition(|&x| x == '-') {
                    if h > 0 && cc[..h].iter().any(|&x| x != '-') {
                        end = h + 1;
                    }
                }
            }
            let end = end.min(cc.len());
            cur.push(cc[..end].iter().collect());
            chunks.push(cc[end..].iter().collect());
            if cc[end..].is_empty() {
                chunks.pop();
            }
        } else if cur.is_empty() && chunks.is_empty() {
            break;
        }
        if cur.last().is_some_and(|c| c.trim().is_empty()) {
            cur.pop();
        }
        if !cur.is_empty() {
            lines.push(format!("{indent}{}", cur.concat()));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_like_python_textwrap() {
        // Expected values from Python 3's textwrap.fill with the same arguments.
        assert_eq!(fill("Name of the family.\n", 80, "      "), "      Name of the family.");
        assert_eq!(fill("a b  c", 80, "  "), "  a b  c");
        assert_eq!(fill("aaa bbb ccc", 9, "  "), "  aaa bbb\n  ccc");
        assert_eq!(fill("well-known thing", 12, ""), "well-known\nthing");
        assert_eq!(fill("xx well-known", 10, ""), "xx well-\nknown");
        assert_eq!(fill("abcdefghij", 6, "  "), "  abcd\n  efgh\n  ij");
        assert_eq!(fill("", 80, "  "), "");
    }
}

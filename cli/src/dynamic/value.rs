//! Decoded values, shaped like the Python objects the kernel's YNL library produces, and their
//! two renderings: JSON exactly as `json.dumps(..., cls=YnlEncoder)` writes it, and a readable
//! form in the style of Python's `pprint` (what `cli.py` prints without `--output-json`).

use std::fmt::Write as _;

/// A map key: attribute names, or the integer index keys of indexed-array nests.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// An integer key (indexed-array element index).
    Int(u64),
    /// A name.
    Str(String),
}

/// One decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (a do without reply).
    Null,
    /// A flag attribute (always `true` when present).
    Bool(bool),
    /// Any integer.
    Int(i128),
    /// Text (strings, enum names, display-hint renderings).
    Str(String),
    /// Raw bytes: JSON renders them as a hex string, like YNL.
    Bytes(Vec<u8>),
    /// A list (multi-attr, indexed-array, dump replies).
    List(Vec<Value>),
    /// A set of flag names (JSON: sorted list, like YNL's encoder).
    Set(Vec<String>),
    /// An ordered map (attribute set, struct).
    Map(Vec<(Key, Value)>),
}

impl Value {
    /// Empty map.
    pub fn map() -> Value {
        Value::Map(Vec::new())
    }

    /// Map entry by string key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(k, _)| matches!(k, Key::Str(s) if s == key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Render as YNL's `json.dumps` would (`", "` and `": "` separators, ASCII only).
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        json(self, &mut s);
        s
    }

    /// Render like Python's `pprint.pprint(v, width, compact=True)`.
    pub fn to_pretty(&self, width: usize) -> String {
        let mut s = String::new();
        pretty(self, 0, 0, width, &mut s);
        s
    }
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// `[a, b, ...]`, each item written by `item`.
fn json_list<T>(items: impl IntoIterator<Item = T>, out: &mut String, mut item: impl FnMut(T, &mut String)) {
    out.push('[');
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item(x, out);
    }
    out.push(']');
}

fn json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Str(s) => json_str(s, out),
        Value::Bytes(b) => json_str(&hex(b), out),
        Value::List(l) => json_list(l, out, json),
        Value::Set(s) => json_list(sorted_set(s), out, |x, out| json_str(x, out)),
        Value::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match k {
                    Key::Int(n) => {
                        let _ = write!(out, "\"{n}\"");
                    }
                    Key::Str(s) => json_str(s, out),
                }
                out.push_str(": ");
                json(x, out);
            }
            out.push('}');
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pprint-like rendering
// ---------------------------------------------------------------------------------------------

/// Python's `repr` of a str: single quotes unless the text has one and no double quote.
pub(crate) fn py_str(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::new();
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// Python's `repr` of bytes.
pub(crate) fn py_bytes(b: &[u8]) -> String {
    let q = if b.contains(&b'\'') && !b.contains(&b'"') { '"' } else { '\'' };
    let mut out = String::from("b");
    out.push(q);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c as char == q => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(q);
    out
}

fn key_repr(k: &Key) -> String {
    match k {
        Key::Int(n) => n.to_string(),
        Key::Str(s) => py_str(s),
    }
}

/// Sort order of pprint's `_safe_key` for our keys: ints before strings (mixed maps only
/// come from unknown attributes; pprint falls back to type-name order there).
fn sorted_map(m: &[(Key, Value)]) -> Vec<&(Key, Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn sorted_set(s: &[String]) -> Vec<&String> {
    let mut v: Vec<_> = s.iter().collect();
    v.sort();
    v
}

/// The one-line `repr()` of a value (dicts sorted, as pprint does).
fn repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Str(s) => py_str(s),
        Value::Bytes(b) => py_bytes(b),
        Value::List(l) => {
            let items: Vec<String> = l.iter().map(repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Set(s) if s.is_empty() => "set()".into(),
        Value::Set(s) => {
            let items: Vec<String> = sorted_set(s).into_iter().map(|x| py_str(x)).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Map(m) => {
            let items: Vec<String> =
                sorted_map(m).into_iter().map(|(k, x)| format!("{}: {}", key_repr(k), repr(x))).collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Python's `pprint.PrettyPrinter._format` (indent 1, compact, sorted dicts): `indent` is the
/// current column, `allowance` the closing characters that will follow on the same line.
fn pretty(v: &Value, indent: usize, allowance: usize, width: usize, out: &mut String) {
    let r = repr(v);
    if r.len() + indent + allowance <= width {
        out.push_str(&r);
        return;
    }
    match v {
        Value::Map(m) if !m.is_empty() => {
            out.push('{');
            let items = sorted_map(m);
            let inner = indent + 1;
            let last_i = items.len() - 1;
            for (i, (k, x)) in items.iter().enumerate() {
                let last = i == last_i;
                let kr = key_repr(k);
                out.push_str(&kr);
                out.push_str(": ");
                pretty(x, inner + kr.len() + 2, if last { allowance + 1 } else { 1 }, width, out);
                if !last {
                    out.push_str(",\n");
                    out.push_str(&" ".repeat(inner));
                }
            }
            out.push('}');
        }
        Value::List(l) if !l.is_empty() => {
            out.push('[');
            items(&l.iter().collect::<Vec<_>>(), indent, allowance + 1, width, out);
            out.push(']');
        }
        Value::Set(s) if !s.is_empty() => {
            out.push('{');
            let vals: Vec<Value> = sorted_set(s).into_iter().map(|x| Value::Str(x.clone())).collect();
            items(&vals.iter().collect::<Vec<_>>(), indent, allowance + 1, width, out);
            out.push('}');
        }
        _ => out.push_str(&r),
    }
}

/// `PrettyPrinter._format_items` with `compact=True`.
fn items(list: &[&Value], indent: usize, allowance: usize, width: usize, out: &mut String) {
    let indent = indent + 1;
    let delimnl = format!(",\n{}", " ".repeat(indent));
    let mut delim = String::new();
    let mut max_width = width as isize - indent as isize + 1;
    let mut room = max_width;
    for (i, ent) in list.iter().enumerate() {
        let last = i + 1 == list.len();
        if last {
            max_width -= allowance as isize;
            room -= allowance as isize;
        }
        let r = repr(ent);
        let w = r.len() as isize + 2;
        if room < w {
            room = max_width;
            if !delim.is_empty() {
                delim = delimnl.clone();
            }
        }
        if room >= w {
            room -= w;
            out.push_str(&delim);
            delim = ", ".into();
            out.push_str(&r);
            continue;
        }
        out.push_str(&delim);
        delim = delimnl.clone();
        pretty(ent, indent, if last { allowance } else { 1 }, width, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_like_python() {
        let v = Value::Map(vec![
            (Key::Str("a".into()), Value::Int(1)),
            (Key::Str("b".into()), Value::Set(vec!["z".into(), "y".into()])),
            (Key::Str("c".into()), Value::List(vec![Value::Map(vec![(Key::Int(1), Value::Bytes(vec![0xab, 1]))])])),
            (Key::Str("d".into()), Value::Str("é\"".into())),
        ]);
        assert_eq!(v.to_json(), r#"{"a": 1, "b": ["y", "z"], "c": [{"1": "ab01"}], "d": "\u00e9\""}"#);
    }

    #[test]
    fn pretty_like_pprint() {
        let v = Value::Map(vec![
            (Key::Str("family-name".into()), Value::Str("nlctrl".into())),
            (Key::Str("family-id".into()), Value::Int(16)),
        ]);
        assert_eq!(v.to_pretty(80), "{'family-id': 16, 'family-name': 'nlctrl'}");
        assert_eq!(v.to_pretty(20), "{'family-id': 16,\n 'family-name': 'nlctrl'}");
        assert_eq!(Value::Set(vec![]).to_pretty(80), "set()");
        // Python's repr / json.dumps escaping.
        assert_eq!(Value::Str("a\u{7f}\u{85}é\u{1f}\"'".into()).to_pretty(80), r#"'a\x7f\x85é\x1f"\''"#);
        assert_eq!(Value::Str("it's".into()).to_pretty(80), r#""it's""#);
        assert_eq!(Value::Str("a\u{7f}b\u{1f}é😀".into()).to_json(), r#""a\u007fb\u001f\u00e9\ud83d\ude00""#);
        assert_eq!(Value::Bytes(b"\x00a'".to_vec()).to_pretty(80), r#"b"\x00a'""#);
    }
}

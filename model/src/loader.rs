//! Loads a YNL spec file: the only module that touches YAML libraries.
//!
//! Two passes over the text:
//! 1. `serde_yaml` deserializes into [`crate::spec::Spec`] (anchors and aliases resolved,
//!    unknown keys rejected); its errors carry line/column and become [`Diagnostic`]s.
//! 2. `yaml-rust2`'s marked event parser builds a [`Spans`] index from YAML paths
//!    (`attribute-sets[2].attributes[5].nested-attributes`) to the line:col of the key and of
//!    the value, so semantic errors found later can be located too. serde_yaml has no public
//!    API that exposes node positions, hence the second, event-level parser.

use crate::diag::{Diagnostic, Diagnostics};
use crate::spec::Spec;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based position in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// Where a node is: its key (for mapping values) and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpan {
    /// Position of the mapping key naming this node, if it is a mapping value.
    pub key: Option<Pos>,
    /// Position of the value (for an alias: of the `*alias`).
    pub value: Pos,
}

/// YAML path → position index of one document.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    map: HashMap<String, NodeSpan>,
    /// Plain (unquoted) values that YAML 1.1 parsers such as PyYAML, which the kernel's YNL
    /// tools use, read as booleans (`on`, `off`, `yes`, `no`, `y`, `n`): path, text, position.
    pub yaml11_bools: Vec<(String, String, Pos)>,
}

impl Spans {
    /// Exact lookup.
    pub fn get(&self, path: &str) -> Option<NodeSpan> {
        self.map.get(path).copied()
    }

    /// Position of the value at `path`, or of the nearest enclosing node that exists in the
    /// index (paths through an alias end at the alias). Falls back to 1:1.
    pub fn value_pos(&self, path: &str) -> Pos {
        self.nearest(path).map(|s| s.value).unwrap_or(Pos { line: 1, col: 1 })
    }

    /// Position of the key of `path` if it has one (else its value, else the nearest
    /// enclosing node).
    pub fn key_pos(&self, path: &str) -> Pos {
        match self.map.get(path) {
            Some(s) => s.key.unwrap_or(s.value),
            None => self.value_pos(path),
        }
    }

    fn nearest(&self, path: &str) -> Option<NodeSpan> {
        let mut p = path;
        loop {
            if let Some(s) = self.map.get(p) {
                return Some(*s);
            }
            if p.is_empty() {
                return None;
            }
            // strip the last component: `.key` or `[n]`
            let cut = p.rfind(['.', '[']).unwrap_or(0);
            p = &p[..cut];
        }
    }

    /// A diagnostic in `file` at the value of `path` ([`Spans::value_pos`]).
    fn error_at(&self, file: &str, path: &str, message: impl Into<String>) -> Diagnostic {
        let p = self.value_pos(path);
        Diagnostic::new(file, p.line, p.col, path, message)
    }

    /// A diagnostic in `file` at the key of `path` ([`Spans::key_pos`]).
    fn error_at_key(&self, file: &str, path: &str, message: impl Into<String>) -> Diagnostic {
        let p = self.key_pos(path);
        Diagnostic::new(file, p.line, p.col, path, message)
    }

    /// Number of indexed nodes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Is the index empty?
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A loaded, schema-shaped spec with its position index.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// File name used in diagnostics.
    pub file: String,
    /// The deserialized spec.
    pub spec: Spec,
    /// The text it was read from, for the position index.
    text: String,
    /// Positions of its keys and values: a second reading of the text, built when first asked
    /// for (a located diagnostic, the resolver's YAML 1.1 check).
    spans: OnceLock<Spans>,
}

impl Loaded {
    /// Positions of the spec's keys and values.
    pub fn spans(&self) -> &Spans {
        self.spans.get_or_init(|| build_spans(&self.text))
    }

    /// Plain scalars YAML 1.1 parsers read as booleans (`on`, `no`...): path, text and
    /// position. The position index is only built when the text may hold one.
    pub fn yaml11_bools(&self) -> &[(String, String, Pos)] {
        if !may_hold_yaml11_bool(&self.text) {
            return &[];
        }
        &self.spans().yaml11_bools
    }

    /// A diagnostic at the value of `path`.
    pub fn error_at(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.spans().error_at(&self.file, path, message)
    }

    /// The positions of the values of `paths` ([`Spans::value_pos`]): from the position index
    /// if it is built, else from a reading of the text that indexes only the nodes on the way
    /// to them (a few warnings' places, not a path for every node).
    pub fn value_positions(&self, paths: &[&str]) -> Vec<Pos> {
        let only;
        let spans = match self.spans.get() {
            Some(s) => s,
            None => {
                only = build_spans_on(&self.text, Some(paths));
                &only
            }
        };
        paths.iter().map(|p| spans.value_pos(p)).collect()
    }

    /// A diagnostic at the key of `path` (e.g. for a key that is not allowed).
    pub fn error_at_key(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.spans().error_at_key(&self.file, path, message)
    }
}

/// Load a spec file.
pub fn load_file(path: &Path) -> Result<Loaded, Diagnostics> {
    let (file, text) = read_text(path, "cannot read spec")?;
    load_str(&file, &text)
}

/// The longest spec (or schema) read: the kernel's largest spec is a few hundred KiB.
const MAX_SPEC_BYTES: u64 = 16 << 20;

/// The file's name (for diagnostics) and its text; a read error is "`cannot_read`: error", text
/// that is not UTF-8 is located at its first invalid byte.
fn read_text(path: &Path, cannot_read: &str) -> Result<(String, String), Diagnostics> {
    use std::io::Read as _;
    let file = path.display().to_string();
    let fail = |m: String| Diagnostics::from(Diagnostic::new(&file, 0, 0, "", m));
    // At most MAX_SPEC_BYTES: a device or a pipe that never ends (`--spec /dev/zero`) is an
    // error, not a process that reads until it is killed.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SPEC_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(format!("{cannot_read}: {e}")))?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(fail(format!("{cannot_read}: longer than {} MiB", MAX_SPEC_BYTES >> 20)));
    }
    let text =
        String::from_utf8(bytes).map_err(|e| Diagnostics::from(not_utf8(&file, e.as_bytes(), e.utf8_error())))?;
    Ok((file, text))
}

/// A spec that is not UTF-8, located at its first invalid byte.
fn not_utf8(file: &str, bytes: &[u8], e: std::str::Utf8Error) -> Diagnostic {
    let good = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
    let line = 1 + good.matches('\n').count();
    let col = 1 + good.rsplit('\n').next().map_or(0, |l| l.chars().count());
    let bad = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
    Diagnostic::new(file, line, col, "", format!("the spec is not valid UTF-8 (byte {bad:#04x})"))
        .with_help("YNL specs are UTF-8 text; re-save the file as UTF-8")
}

/// A YAML document as plain data (no YAML library type in it), for checks that are not about
/// the spec's shape in this crate, such as validating a spec against a JSON schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `~` / `null` / empty.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order; keys that are not strings are written as YAML would.
    Map(Vec<(String, Node)>),
}

/// A YAML file as a [`Node`] tree with the position index of its nodes.
#[derive(Debug, Clone)]
pub struct Tree {
    /// File name used in diagnostics.
    pub file: String,
    /// The document.
    pub root: Node,
    /// Positions of its keys and values (paths as in [`Spans`]).
    pub spans: Spans,
}

impl Tree {
    /// A diagnostic at the value of `path`.
    pub fn error_at(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.spans.error_at(&self.file, path, message)
    }

    /// A diagnostic at the key of `path` (e.g. for a key that is not allowed).
    pub fn error_at_key(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.spans.error_at_key(&self.file, path, message)
    }
}

/// Load any YAML file (a spec, or a schema) as a [`Tree`], read as the kernel's YNL tools read
/// YAML (PyYAML, YAML 1.1): plain `yes`/`no`/`on`/`off`/`True`/`False` are booleans, `0x` and
/// `0o` integers, and a key given twice keeps its last value (the kernel's own
/// `netlink-raw.yaml` repeats `if:` in one mapping). Aliases are expanded; `<<` merge keys are
/// applied.
pub fn load_tree(path: &Path) -> Result<Tree, Diagnostics> {
    let (file, text) = read_text(path, "cannot read")?;
    if nesting_estimate(&text) > MAX_NESTING {
        return Err(Diagnostics::from(Diagnostic::new(
            &file,
            0,
            0,
            "",
            format!("nested deeper than {MAX_NESTING} levels"),
        )));
    }
    // One reading of the text for both the tree and its position index.
    let mut b = TreeAndSpans::default();
    first_document(&text, &mut b).map_err(|e| {
        let p = pos(e.marker());
        Diagnostics::from(Diagnostic::new(&file, p.line, p.col, "", format!("not YAML: {}", e.info())))
    })?;
    Ok(Tree { root: b.tree.finish(), spans: b.spans.finish(&text), file })
}

/// Builds a [`Node`] tree and its span index from the same events.
#[derive(Default)]
struct TreeAndSpans {
    tree: TreeBuilder,
    spans: SpanBuilder,
}

impl MarkedEventReceiver for TreeAndSpans {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        self.spans.on_event(ev.clone(), mark);
        self.tree.on_event(ev, mark);
    }
}

/// Builds a [`Node`] from parser events (first document only).
#[derive(Default)]
struct TreeBuilder {
    /// Open collections: the node, for a mapping the key waiting for its value, the anchor.
    stack: Vec<(Node, Option<String>, usize)>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
}

impl TreeBuilder {
    fn finish(self) -> Node {
        self.root.unwrap_or(Node::Null)
    }

    fn add(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some((Node::Seq(items), _, _)) => items.push(node),
            Some((Node::Map(entries), key, _)) => match key.take() {
                None => *key = Some(key_text(&node)),
                Some(k) if k == "<<" => merge(entries, node),
                Some(k) => match entries.iter_mut().find(|(e, _)| *e == k) {
                    Some(e) => e.1 = node,
                    None => entries.push((k, node)),
                },
            },
            Some(_) => {}
        }
    }
}

/// A mapping key as text (PyYAML would keep a non-string key; specs have none).
fn key_text(n: &Node) -> String {
    match n {
        Node::Str(s) => s.clone(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => f.to_string(),
        Node::Bool(true) => "True".to_string(),
        Node::Bool(false) => "False".to_string(),
        Node::Null => "None".to_string(),
        Node::Seq(_) | Node::Map(_) => "?".to_string(),
    }
}

/// `<<: *x` / `<<: [*x, *y]`: keys not already present are taken from the merged mappings.
fn merge(entries: &mut Vec<(String, Node)>, from: Node) {
    let maps = match from {
        Node::Seq(items) => items,
        other => vec![other],
    };
    for m in maps {
        if let Node::Map(src) = m {
            for (k, v) in src {
                if !entries.iter().any(|(e, _)| *e == k) {
                    entries.push((k, v));
                }
            }
        }
    }
}

/// A plain scalar as PyYAML resolves it (YAML 1.1 core types).
fn plain_scalar(s: &str) -> Node {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Node::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Node::Bool(false)
        }
        _ => {}
    }
    let t = s.replace('_', "");
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let int = if let Some(h) = digits.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()
    } else if let Some(o) = digits.strip_prefix("0o") {
        i128::from_str_radix(o, 8).ok()
    } else if let Some(b) = digits.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()
    } else if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|c| c.is_ascii_digit()) {
        i128::from_str_radix(&digits[1..], 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        digits.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Node::Int(if neg { -i } else { i });
    }
    let looks_float = digits.contains('.')
        && digits.bytes().any(|c| c.is_ascii_digit())
        && digits.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'));
    match (looks_float, t.parse::<f64>()) {
        (true, Ok(f)) => Node::Float(f),
        _ => match s {
            ".inf" | ".Inf" | ".INF" | "+.inf" => Node::Float(f64::INFINITY),
            "-.inf" | "-.Inf" | "-.INF" => Node::Float(f64::NEG_INFINITY),
            ".nan" | ".NaN" | ".NAN" => Node::Float(f64::NAN),
            _ => Node::Str(s.to_string()),
        },
    }
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.root.is_some() && self.stack.is_empty() {
            return; // later documents
        }
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                let node = match (style, &tag) {
                    (TScalarStyle::Plain, None) => plain_scalar(&s),
                    _ => Node::Str(s),
                };
                self.add(node, anchor);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node::Null);
                self.add(node, 0);
            }
            Event::SequenceStart(anchor, _) => self.stack.push((Node::Seq(Vec::new()), None, anchor)),
            Event::MappingStart(anchor, _) => self.stack.push((Node::Map(Vec::new()), None, anchor)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, _, anchor)) = self.stack.pop() {
                    self.add(node, anchor);
                }
            }
            _ => {}
        }
    }
}

/// Load spec text; `file` names it in diagnostics.
pub fn load_str(file: &str, text: &str) -> Result<Loaded, Diagnostics> {
    let spec: Spec = serde_yaml::from_str(text).map_err(|e| Diagnostics::from(convert_error(file, text, &e)))?;
    Ok(Loaded { file: file.to_string(), spec, text: text.to_string(), spans: OnceLock::new() })
}

/// Whether `text` may hold a plain scalar that YAML 1.1 reads as a boolean: one of the words
/// standing alone between YAML's separators (line start or indentation, `- `, `key: `, `[`,
/// `{`, `,`, `? ` before; line end, ` #`, `:`, `,`, `]`, `}` after). A quick look for
/// [`Loaded::yaml11_bools`]: a yes is confirmed by the event parser, a no is final (a spec of
/// the upstream corpus has none, and building the position index is most of a load).
pub fn may_hold_yaml11_bool(text: &str) -> bool {
    const WORDS: [&str; 16] =
        ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"];
    // one pass a line: a word may start only at y, n or o
    for line in text.split('\n') {
        let b = line.as_bytes();
        // the last byte before `i` that is not a space
        let mut last: Option<u8> = None;
        for i in 0..b.len() {
            if matches!(b[i], b'y' | b'Y' | b'n' | b'N' | b'o' | b'O') {
                let before_ok = match last {
                    None => true,
                    Some(c) => b":-[{,?".contains(&c) || (i > 0 && b"[{,".contains(&b[i - 1])),
                };
                if before_ok {
                    for w in WORDS {
                        if !line[i..].starts_with(w) {
                            continue;
                        }
                        // after: the line's end, a comment, or a separator
                        let rest = line[i + w.len()..].trim_start_matches(' ');
                        if rest.is_empty() || rest.starts_with(['#', ':', ',', ']', '}']) {
                            return true;
                        }
                    }
                }
            }
            if b[i] != b' ' {
                last = Some(b[i]);
            }
        }
    }
    false
}

/// Turn a serde_yaml error into a located diagnostic with a help line where we can say
/// what is valid.
fn convert_error(file: &str, text: &str, e: &serde_yaml::Error) -> Diagnostic {
    // The position index is a second reading of the text: built only for the errors that
    // serde_yaml does not locate itself.
    let index = OnceLock::new();
    let spans = || index.get_or_init(|| build_spans(text));
    let full = e.to_string();
    // serde_yaml renders "<path>: <message> at line L column C"; take the parts apart.
    let stripped = strip_location(&full);
    let PathAndMessage { mut path, message: mut msg } = split_path(&stripped);
    let (mut line, mut col) = match e.location() {
        Some(l) => (l.line(), l.column()),
        None => (0, 0),
    };
    // A missing key is reported by serde_yaml at the end of its mapping; point at the mapping.
    if msg.starts_with("missing field") {
        if let Some(s) = spans().get(&path) {
            line = s.value.line;
            col = s.value.col;
        }
    }
    if line == 0 {
        let p = spans().value_pos(&path);
        line = p.line;
        col = p.col;
    }
    let p = TextBounds::new(text).clamp(Pos { line, col });
    (line, col) = (p.line, p.col);
    let mut help = None;
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        // "unknown field `foo`, expected one of `a`, `b`"
        if let Some((key, expected)) = rest.split_once(", expected ") {
            let key = key.trim_matches('`').to_string();
            let expected = expected.trim_start_matches("one of ");
            let names: Vec<&str> = expected.split(", ").map(|k| k.trim_matches('`')).collect();
            help = Some(match crate::diag::suggest(&key, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? valid keys here: {expected}"),
                None => format!("valid keys here: {expected}"),
            });
            msg = format!("unknown key `{key}`");
            path = if path.is_empty() { key } else { format!("{path}.{key}") };
        }
    } else if let Some(rest) = msg.strip_prefix("unknown variant ") {
        if let Some((val, expected)) = rest.split_once(", expected ") {
            let expected = expected.trim_start_matches("one of ");
            let names: Vec<&str> = expected.split(", ").map(|k| k.trim_matches('`')).collect();
            help = Some(match crate::diag::suggest(val.trim_matches('`'), names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? valid values: {expected}"),
                None => format!("valid values: {expected}"),
            });
            msg = format!("unknown value {val}");
        }
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        msg = format!("missing required key {rest}");
    }
    if help.is_none() && e.location().is_some() && path.is_empty() && !msg.starts_with("missing") {
        // scanner/parser errors
        help = Some("fix the YAML syntax here: keys of one mapping must line up, list items start with `- ` at one indentation, tabs are not allowed".into());
    }
    if help.is_none() {
        if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
            let expected = msg.rsplit_once("expected ").map(|x| x.1).unwrap_or("");
            help = Some(
                if expected.contains("sequence") {
                    "this key takes a list: `[a, b]`, or one `- item` per line"
                } else if expected.contains("boolean") {
                    "this key takes `true` or `false`"
                } else if expected.contains("string") {
                    "this key takes a string (quote values that look like numbers or booleans)"
                } else if expected.contains("i64") || expected.contains("u64") || expected.contains("integer") {
                    "this key takes an integer that fits in 64 bits"
                } else if expected.contains("struct") || expected.contains("map") {
                    "this key takes a mapping (`key: value` lines)"
                } else {
                    "the value here has the wrong shape for this key (see the YNL schema for the spec's protocol level)"
                }
                .into(),
            );
        } else if msg.starts_with("missing required key") {
            help = Some("add the key; the YNL schema requires it here".into());
        } else {
            help = Some("see the YNL schema for the spec's protocol level".into());
        }
    }
    let mut d = Diagnostic::new(file, line, col, path, msg);
    d.help = help;
    d
}

/// Remove serde_yaml's " at line L column C" (it may be followed by more text).
fn strip_location(msg: &str) -> String {
    let mut out = msg.to_string();
    while let Some(i) = out.find(" at line ") {
        let rest = &out[i + " at line ".len()..];
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        let rest2 = &rest[digits..];
        if digits == 0 || !rest2.starts_with(" column ") {
            break;
        }
        let rest3 = &rest2[" column ".len()..];
        let d2 = rest3.chars().take_while(|c| c.is_ascii_digit()).count();
        let end = i + " at line ".len() + digits + " column ".len() + d2;
        out.replace_range(i..end, "");
    }
    out
}

/// A serde_yaml error message taken apart.
struct PathAndMessage {
    /// YAML path of the offending node (empty when the message has none).
    path: String,
    message: String,
}

/// Split `a.b[2].c: message` into path and message (serde_yaml prefixes errors with the path
/// when it has one). Paths never contain ": ", messages may.
fn split_path(msg: &str) -> PathAndMessage {
    if let Some((p, m)) = msg.split_once(": ") {
        let looks_like_path = !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.[]".contains(c));
        if looks_like_path {
            return PathAndMessage { path: p.to_string(), message: m.to_string() };
        }
    }
    PathAndMessage { path: String::new(), message: msg.to_string() }
}

/// Build the span index. Never fails: if the event parser stops on an error the index holds
/// what was seen so far (serde_yaml reports the syntax error itself).
pub fn build_spans(text: &str) -> Spans {
    build_spans_on(text, None)
}

/// [`build_spans`], indexing only the nodes on the way to `paths` when given (enough for
/// [`Spans::value_pos`] of those paths, without a path for every node of the document).
fn build_spans_on(text: &str, paths: Option<&[&str]>) -> Spans {
    // The path of every node is kept: documents nested absurdly deep are not indexed (serde_yaml
    // rejects them anyway, recursion limit 128), so that paths stay short.
    if nesting_estimate(text) > MAX_NESTING {
        return Spans::default();
    }
    let want =
        paths.map(|p| p.iter().map(|s| s.to_string()).collect::<std::collections::BTreeSet<_>>().into_iter().collect());
    let mut b = SpanBuilder { want, ..SpanBuilder::default() };
    // with paths: done one event after the last of them was found (a mapping's position is
    // moved to its first key, the next event)
    let mut settled = false;
    let _ = first_document_until(text, &mut b, |b| {
        b.want.as_ref().is_some_and(|w| b.found == w.len()) && std::mem::replace(&mut settled, true)
    });
    b.finish(text)
}

/// Feed the events of the text's first document to `recv`, as yaml-rust2's `Parser::load`
/// does, but from a flat loop: `load` recurses once per nesting level, this runs in constant
/// stack however deep the document (the receivers keep their own stacks).
fn first_document<R: MarkedEventReceiver>(text: &str, recv: &mut R) -> Result<(), yaml_rust2::ScanError> {
    first_document_until(text, recv, |_| false)
}

/// [`first_document`], stopping early once `enough` says the receiver has what it needs.
fn first_document_until<R: MarkedEventReceiver>(
    text: &str,
    recv: &mut R,
    mut enough: impl FnMut(&R) -> bool,
) -> Result<(), yaml_rust2::ScanError> {
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token()?;
        let last = matches!(ev, Event::DocumentEnd | Event::StreamEnd);
        recv.on_event(ev, mark);
        if last || enough(recv) {
            return Ok(());
        }
    }
}

/// Line widths of a text, to keep positions inside it.
struct TextBounds {
    /// Characters per line (lines split at `\n`; a text ending in a newline has an empty
    /// last line, where a position at column 1 is still inside).
    widths: Vec<usize>,
}

impl TextBounds {
    fn new(text: &str) -> Self {
        TextBounds { widths: text.split('\n').map(|l| l.chars().count()).collect() }
    }

    /// `p` moved to the nearest position inside the text: at most the last line, at most
    /// one column past its line's last character. 0 (unknown) stays 0.
    fn clamp(&self, p: Pos) -> Pos {
        if p.line == 0 {
            return p;
        }
        let last = self.widths.len().max(1);
        if p.line > last {
            return Pos { line: last, col: self.widths.last().map_or(1, |w| w + 1) };
        }
        Pos { line: p.line, col: p.col.min(self.widths[p.line - 1] + 1) }
    }
}

/// Nesting beyond which no span index is built (far above anything a spec needs).
const MAX_NESTING: usize = 1000;

/// Upper bound on the block nesting: the deepest indentation (counting `- `, `? `, `: `
/// prefixes). Flow nesting (`[[[`) needs no estimate: yaml-rust2 limits it itself.
fn nesting_estimate(text: &str) -> usize {
    text.lines().map(|line| line.len() - line.trim_start_matches([' ', '-', '?', ':']).len()).max().unwrap_or(0)
}

enum Frame {
    /// `first`: no key seen yet (the mapping's own position is then moved to its first key,
    /// since the event parser marks a block mapping where it recognised the first `key:`).
    Map {
        path: String,
        key: Option<(String, Pos)>,
        first: bool,
    },
    Seq {
        path: String,
        idx: usize,
    },
    /// A complex (non-scalar) mapping key being skipped; counts nesting.
    Skip {
        depth: usize,
    },
}

#[derive(Default)]
struct SpanBuilder {
    spans: Spans,
    stack: Vec<Frame>,
    docs: usize,
    /// Index only these paths and the nodes on the way to them (all nodes when `None`).
    want: Option<Vec<String>>,
    /// How many of them were found.
    found: usize,
}

impl SpanBuilder {
    /// The index of what was read, every position kept inside `text`: the event parser marks
    /// the end of a document one line past a last line that has no newline (a spec of comments
    /// only, say).
    fn finish(self, text: &str) -> Spans {
        let mut spans = self.spans;
        let bounds = TextBounds::new(text);
        for s in spans.map.values_mut() {
            s.value = bounds.clamp(s.value);
            s.key = s.key.map(|k| bounds.clamp(k));
        }
        for (_, _, p) in spans.yaml11_bools.iter_mut() {
            *p = bounds.clamp(*p);
        }
        spans
    }
}

fn pos(m: &Marker) -> Pos {
    // yaml-rust2 lines are 1-based, columns 0-based.
    Pos { line: m.line(), col: m.col() + 1 }
}

impl SpanBuilder {
    /// Count `path` if it is one of the wanted paths, indexed for the first time.
    fn found(&mut self, path: &str) {
        if self.want.as_ref().is_some_and(|w| w.iter().any(|x| x == path)) {
            self.found += 1;
        }
    }

    /// Whether the node at `path` is to be indexed: all are, or it is on the way to a wanted
    /// path (that path, or one of its ancestors).
    fn wanted(&self, path: &str) -> bool {
        let Some(want) = &self.want else { return true };
        want.iter().any(|w| w.strip_prefix(path).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '['])))
    }

    /// A node starts at `p`; returns its path if it is a value to index (None for a key, or for
    /// a node not [`SpanBuilder::wanted`]: a container's content is then skipped).
    fn node(&mut self, p: Pos, scalar: Option<&str>, opens: bool) -> Option<String> {
        match self.stack.last_mut() {
            None => {
                if self.docs > 1 {
                    return None;
                }
                self.spans.map.insert(String::new(), NodeSpan { key: None, value: p });
                self.found("");
                Some(String::new())
            }
            Some(Frame::Skip { depth }) => {
                if opens {
                    *depth += 1;
                }
                None
            }
            Some(Frame::Seq { path, idx }) => {
                let child = format!("{path}[{idx}]");
                *idx += 1;
                if !self.wanted(&child) {
                    return None;
                }
                self.spans.map.insert(child.clone(), NodeSpan { key: None, value: p });
                self.found(&child);
                Some(child)
            }
            Some(Frame::Map { path, key, first }) => match key.take() {
                None => {
                    if std::mem::take(first) {
                        if let Some(s) = self.spans.map.get_mut(path.as_str()) {
                            s.value = p;
                        }
                    }
                    match scalar {
                        Some(s) => *key = Some((s.to_string(), p)),
                        None => {
                            // complex key: skip its content; the value is then keyed by "?"
                            *key = Some(("?".to_string(), p));
                            if opens {
                                self.stack.push(Frame::Skip { depth: 1 });
                            }
                        }
                    }
                    None
                }
                Some((k, kp)) => {
                    let child = if path.is_empty() { k } else { format!("{path}.{k}") };
                    if !self.wanted(&child) {
                        return None;
                    }
                    // first occurrence wins for duplicate keys (serde_yaml rejects them anyway)
                    if let std::collections::hash_map::Entry::Vacant(e) = self.spans.map.entry(child.clone()) {
                        e.insert(NodeSpan { key: Some(kp), value: p });
                        self.found(&child);
                    }
                    Some(child)
                }
            },
        }
    }
}

impl MarkedEventReceiver for SpanBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let p = pos(&mark);
        match ev {
            Event::DocumentStart => self.docs += 1,
            Event::Scalar(s, style, ..) => {
                let path = self.node(p, Some(&s), false);
                if let Some(path) = path {
                    let ambiguous = matches!(
                        s.as_str(),
                        "y" | "Y"
                            | "yes"
                            | "Yes"
                            | "YES"
                            | "n"
                            | "N"
                            | "no"
                            | "No"
                            | "NO"
                            | "on"
                            | "On"
                            | "ON"
                            | "off"
                            | "Off"
                            | "OFF"
                    );
                    if ambiguous && style == TScalarStyle::Plain {
                        self.spans.yaml11_bools.push((path, s.clone(), p));
                    }
                }
            }
            Event::Alias(_) => {
                self.node(p, Some("*alias"), false);
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let skipping = matches!(self.stack.last(), Some(Frame::Skip { .. }));
                let path = self.node(p, None, true);
                if skipping {
                    return;
                }
                match path {
                    Some(path) if is_map => self.stack.push(Frame::Map { path, key: None, first: true }),
                    Some(path) => self.stack.push(Frame::Seq { path, idx: 0 }),
                    // a complex key pushed its own Skip frame; a second document is ignored
                    None => {
                        if !matches!(self.stack.last(), Some(Frame::Skip { .. })) {
                            self.stack.push(Frame::Skip { depth: 1 });
                        }
                    }
                }
            }
            Event::MappingEnd | Event::SequenceEnd => match self.stack.last_mut() {
                Some(Frame::Skip { depth }) => {
                    *depth -= 1;
                    if *depth == 0 {
                        self.stack.pop();
                    }
                }
                Some(_) => {
                    self.stack.pop();
                }
                None => {}
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_a_few_paths_are_the_index_s() {
        let t = "name: x\nattribute-sets:\n  -\n    name: a\n    attributes:\n      - name: b\n        type: u8\n      -\n        name: c\n        checks: { max: 3 }\n  - name: d\n    attributes: []\noperations:\n  list: []\n";
        let paths = [
            "attribute-sets[0].attributes[1].checks.max",
            "attribute-sets[0].attributes[0].type.zzz",
            "attribute-sets[1].name",
            "attribute-sets[7]",
            "",
            "nope",
        ];
        let full = build_spans(t);
        let loaded = load_str("f.yaml", t).unwrap();
        let at = loaded.value_positions(&paths);
        for (p, got) in paths.iter().zip(at) {
            assert_eq!(got, full.value_pos(p), "{p}");
        }
        // found early (a mapping's place is its first key's, one event later)
        for p in ["attribute-sets[0].attributes[1]", "attribute-sets[0]", "attribute-sets[0].attributes[0].type"] {
            assert_eq!(loaded.value_positions(&[p]), [full.value_pos(p)], "{p}");
        }
        // only the way to them is indexed
        let only = build_spans_on(t, Some(&paths[2..3]));
        assert!(only.get("attribute-sets[0].name").is_none());
        assert!(only.len() < full.len());
    }

    #[test]
    fn spans_paths() {
        let t = "name: x\nattribute-sets:\n  -\n    name: a\n    attributes:\n      - name: b\n        type: u8\n";
        let s = build_spans(t);
        assert_eq!(s.get("name").unwrap().value, Pos { line: 1, col: 7 });
        assert_eq!(s.get("name").unwrap().key, Some(Pos { line: 1, col: 1 }));
        assert_eq!(s.get("attribute-sets[0].name").unwrap().value, Pos { line: 4, col: 11 });
        assert_eq!(s.get("attribute-sets[0].attributes[0].type").unwrap().value, Pos { line: 7, col: 15 });
        assert_eq!(s.value_pos("attribute-sets[0].attributes[0].type.zzz"), Pos { line: 7, col: 15 });
    }

    /// The index and the tree reader walk the parser's events in a flat loop: documents nested
    /// as deep as the parser allows (255 flow levels inside 900 block levels) are read on a
    /// test thread's small stack, in a debug build, without a thread of their own.
    #[test]
    fn deep_documents_need_no_deep_stack() {
        let mut t = String::new();
        for i in 0..900 {
            t.push_str(&" ".repeat(i));
            t.push_str("k:\n");
        }
        t.push_str(&" ".repeat(900));
        t.push_str(&format!("v: {}x{}\n", "[".repeat(255), "]".repeat(255)));
        let s = build_spans(&t);
        assert!(s.get(&vec!["k"; 900].join(".")).is_some());
        let dir = std::env::temp_dir().join(format!("nlspec-deep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("deep.yaml");
        std::fs::write(&f, &t).unwrap();
        let tree = load_tree(&f);
        std::fs::remove_dir_all(&dir).unwrap();
        let tree = tree.unwrap();
        // The tree's index, read in the same pass, is the spec loader's.
        assert_eq!(tree.spans.len(), s.len());
        assert_eq!(tree.spans.get(&vec!["k"; 900].join(".")), s.get(&vec!["k"; 900].join(".")));
        let mut node = &tree.root;
        for _ in 0..900 {
            let Node::Map(m) = node else { panic!("not a mapping: {node:?}") };
            node = &m[0].1;
        }
        assert!(matches!(node, Node::Map(m) if m[0].0 == "v"));
        // serde_yaml refuses it (its recursion limit), with a position.
        let e = load_str("deep.yaml", &t).unwrap_err();
        assert!(e.iter().all(|d| d.line > 0), "{e:?}");
    }

    /// Found by the `spec_load` fuzz target: a spec of comments only whose last line has no
    /// newline was reported one line past the end of the file.
    #[test]
    fn positions_stay_inside_the_text() {
        for (text, want) in [("# one\n# two", (2, 6)), ("# one\n# two\n", (3, 1)), ("", (1, 1)), ("doc: x", (1, 1))] {
            let d = load_str("t.yaml", text).err().unwrap_or_default();
            let d = d.iter().next().unwrap_or_else(|| panic!("{text:?} loads"));
            assert_eq!((d.line, d.col), want, "{text:?}: {d}");
        }
        let b = TextBounds::new("ab\ncde");
        assert_eq!(b.clamp(Pos { line: 1, col: 9 }), Pos { line: 1, col: 3 });
        assert_eq!(b.clamp(Pos { line: 5, col: 1 }), Pos { line: 2, col: 4 });
        assert_eq!(b.clamp(Pos { line: 0, col: 0 }), Pos { line: 0, col: 0 });
    }
}

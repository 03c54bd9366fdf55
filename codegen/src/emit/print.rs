//! The layout printer of generated Rust: token trees in, source text out, with no parser in
//! between.
//!
//! The client emitter builds its code as `quote!` token streams. Parsing those again with syn
//! to print them with prettyplease was three quarters of a generator run, so this prints the
//! tokens directly, laying them out the way rustfmt does for the code the emitters write:
//!
//! - items and statements one per line, attributes on their own lines, `#[doc = "..."]` as
//!   `///` comments;
//! - a block (the body of a `fn`, `impl`, `if`, `match` arm, closure...) always broken, its
//!   statements indented by four columns; a `match` body one arm a line;
//! - anything else on one line when it fits in 100 columns, else: a `||`/`&&`/`|` operand
//!   sequence one operand a line, a method chain of two or more calls one call a line, a call's
//!   arguments (or an array's elements, a struct literal's fields) one a line, with a trailing
//!   comma, except that a last argument that is a closure or ends in a brace block stays on the
//!   call's line and only its body breaks.
//!
//! What it prints is the tokens it was given (in tests: parsing the text again gives the same
//! token stream), so a layout rule can only make a line less pretty, never the code different.
//! The `(long, short)` path table of [`super::print_file`] is applied while reading the
//! tokens.

use std::rc::Rc;

pub(crate) use crate::tokens::{Delim, Tok};
use crate::tokens::{Str, TokenStream};

/// The statement macro whose string argument is written as it is (`VERBATIM!("text");`, each
/// line at the statement's indentation): how an emitter splices in text it lays out itself
/// (the kernel emitter's support-layer macro invocations).
pub(crate) const VERBATIM: &str = "nl_verbatim";

/// Line width, as rustfmt's default.
const WIDTH: usize = 100;
/// Indentation step.
const INDENT: usize = 4;

/// Operators printed as one token.
const OPS: &[&str] = &[
    "<<=", ">>=", "...", "..=", "::", "->", "=>", "..", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=",
    "*=", "/=", "%=", "^=", "&=", "|=", "#", "!", "&", "*", "-", "+", "/", "%", "^", "|", "<", ">", "=", ".", ",", ";",
    ":", "?", "@", "$", "~", "'",
];

/// The `(long, short)` replacements, as token patterns.
pub(crate) struct Paths {
    rules: Vec<(Vec<Atom>, Vec<Atom>)>,
    /// The operators a rule can start with, and whether one starts with a word: a token that
    /// starts none is not matched against the rules.
    first_ops: Vec<&'static str>,
    first_words: bool,
}

/// One token of a pattern: an operator or a word.
enum Atom {
    Op(&'static str),
    Word(&'static str),
}

impl Atom {
    fn matches(&self, t: &Tok) -> bool {
        match (self, t) {
            (Atom::Op(a), Tok::Op(b)) => a == b,
            (Atom::Word(a), Tok::Word(b)) => **b == **a,
            _ => false,
        }
    }
}

impl Paths {
    /// The table's patterns: both sides written as words and operators separated by spaces
    /// (`":: core :: option :: Option"`).
    pub(crate) fn new(table: &[(&'static str, &'static str)]) -> Self {
        fn op(s: &str, long: &str) -> Option<&'static str> {
            let o = OPS.iter().find(|o| **o == s).copied();
            if o.is_none() && !s.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                panic!("shortening table: words and operators only in `{long}`");
            }
            o
        }
        let rules = table
            .iter()
            .map(|(long, short)| {
                let atoms = |side: &'static str| {
                    side.split_whitespace()
                        .map(|w| match op(w, side) {
                            Some(o) => Atom::Op(o),
                            None => Atom::Word(w),
                        })
                        .collect()
                };
                let (pattern, replacement): (Vec<Atom>, Vec<Atom>) = (atoms(long), atoms(short));
                assert!(replacement.len() <= pattern.len(), "shortening table: `{short}` is longer than `{long}`");
                (pattern, replacement)
            })
            .collect::<Vec<(Vec<Atom>, Vec<Atom>)>>();
        let mut first_ops: Vec<&'static str> = rules
            .iter()
            .filter_map(|(l, _)| match l.first() {
                Some(Atom::Op(o)) => Some(*o),
                _ => None,
            })
            .collect();
        // each once: every token is looked up in them
        first_ops.sort_unstable();
        first_ops.dedup();
        let first_words = rules.iter().any(|(l, _)| matches!(l.first(), Some(Atom::Word(_))));
        Paths { rules, first_ops, first_words }
    }

    /// `toks` with every pattern replaced (at each position the first rule that matches), in
    /// place: no replacement is longer than its pattern (checked in [`Paths::new`]).
    fn read(&self, toks: &mut Vec<Tok>) {
        // `w` trails `i`: tokens before `w` are the output, from `i` on the input
        let (mut w, mut i) = (0, 0);
        'next: while i < toks.len() {
            let may_match = match &toks[i] {
                Tok::Op(o) => self.first_ops.contains(o),
                Tok::Word(_) => self.first_words,
                _ => false,
            };
            if may_match {
                for (long, short) in &self.rules {
                    let hit = toks.len() - i >= long.len() && long.iter().zip(&toks[i..]).all(|(a, t)| a.matches(t));
                    if hit {
                        for (k, a) in short.iter().enumerate() {
                            toks[w + k] = match a {
                                Atom::Op(o) => Tok::Op(o),
                                Atom::Word(s) => Tok::Word(Str::Static(s)),
                            };
                        }
                        w += short.len();
                        i += long.len();
                        continue 'next;
                    }
                }
            }
            if let Tok::Group(_, inner) = &mut toks[i] {
                // copied only if the emitter interpolated the same stream twice
                self.read(Rc::make_mut(inner));
            }
            toks.swap(w, i);
            w += 1;
            i += 1;
        }
        toks.truncate(w);
    }
}

/// Print `ts` as a sequence of items, `paths` shortened. Ends with a newline unless empty.
pub(crate) fn items(ts: TokenStream, paths: &Paths) -> String {
    let mut toks = ts.into_toks();
    paths.read(&mut toks);
    let mut p = Printer::default();
    p.out.reserve(toks.len() * 8);
    p.stmts(&toks, 0);
    if !p.out.is_empty() && !p.out.ends_with('\n') {
        p.out.push('\n');
    }
    p.out
}

/// `ts` written on one line (no width), `paths` shortened: an expression as rustfmt writes it
/// when it fits, for the text of macro bodies.
pub(crate) fn one_line(ts: TokenStream, paths: &Paths) -> String {
    let mut toks = ts.into_toks();
    paths.read(&mut toks);
    let mut p = Printer { width: usize::MAX, ..Printer::default() };
    p.flat(&toks);
    p.out
}

/// What the last token written was: decides the space before the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// Line start or after an opening delimiter.
    Start,
    /// An identifier, literal or closed group: an operand ends here.
    Operand,
    /// `::`, `.`, `#`, a prefix operator, a generic `<`: the next token sticks.
    Glue,
    /// `,`, `;`, `:`, binary operators: a space follows.
    Spaced,
    /// A keyword (`mut`, `as`, `if`, `impl`...): a space follows, also before a group.
    Keyword,
    /// A lifetime: a space follows unless `>`, `,` or `:`.
    Life,
}

/// What a brace group is, from what comes before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seg {
    /// Nothing that takes a block: a brace here is a struct literal.
    Plain,
    /// `fn`, `impl`, `if`, `else`, `for`, `while`, `loop`, `unsafe`, `mod`, `trait`, a closure's
    /// parameters, `=>`: a brace here is a block.
    Block,
    /// `match`: a brace here holds arms.
    Match,
    /// `struct`, `enum`, `union`: a brace here holds fields or variants.
    Fields,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Brace {
    Empty,
    Block,
    Match,
    Fields,
    Literal,
}

#[derive(Clone, Copy)]
struct State {
    col: usize,
    line_indent: usize,
    st: St,
    seg: Seg,
    /// Open generic `<`s.
    angle: usize,
    /// Inside a closure's `|...|`.
    closure: bool,
    /// The next `<` opens generics (after a type name, `impl`, a fn's name, `::`).
    generic: bool,
    /// The last word was `fn`: the next word is a name taking generics.
    after_fn: bool,
    /// The generics `<` would open are declared (`impl<`, `fn f<`), not arguments.
    decl: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            col: 0,
            line_indent: 0,
            st: St::Start,
            seg: Seg::Plain,
            angle: 0,
            closure: false,
            generic: false,
            after_fn: false,
            decl: false,
        }
    }
}

struct Printer {
    out: String,
    s: State,
    /// Where a flat run gives up ([`WIDTH`]; unbounded for [`one_line`]).
    width: usize,
    /// Only follow the columns and the state, write nothing (a look ahead).
    measure: bool,
}

impl Default for Printer {
    fn default() -> Self {
        Printer { out: String::new(), s: State::default(), width: WIDTH, measure: false }
    }
}

impl Printer {
    /// A printer that measures from state `s` and writes nothing.
    fn measuring(s: State) -> Self {
        Printer { out: String::new(), s, width: WIDTH, measure: true }
    }
}

/// Keywords after which a space follows (also before a group: `mut [u8]`, `in [..]`).
fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "as" | "async"
            | "break"
            | "const"
            | "continue"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "ref"
            | "return"
            | "static"
            | "struct"
            | "trait"
            | "type"
            | "union"
            | "unsafe"
            | "use"
            | "where"
            | "while"
    )
}

/// Words that start an item (its layout is never a chain or an operator sequence).
fn starts_item(w: &str) -> bool {
    matches!(
        w,
        "pub"
            | "fn"
            | "impl"
            | "struct"
            | "enum"
            | "union"
            | "mod"
            | "trait"
            | "type"
            | "const"
            | "static"
            | "use"
            | "unsafe"
            | "extern"
            | "async"
    )
}

fn is_attr_start(toks: &[Tok]) -> Option<usize> {
    match toks {
        [Tok::Op("#"), Tok::Group(Delim::Bracket, _), ..] => Some(2),
        [Tok::Op("#"), Tok::Op("!"), Tok::Group(Delim::Bracket, _), ..] => Some(3),
        _ => None,
    }
}

/// The value of a string literal as `Literal::string` writes it, or of a raw string (`None`
/// if `lit` is neither).
pub(crate) fn string_value(lit: &str) -> Option<String> {
    if let Some(raw) = lit.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        return raw.get(hashes + 1..raw.len().checked_sub(hashes + 1)?).map(str::to_string);
    }
    let body = lit.strip_prefix('"')?.strip_suffix('"')?;
    if !body.contains('\\') {
        return Some(body.to_string());
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let mut chars = rest[at + 1..].chars();
        match chars.next()? {
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'u' => {
                let rest: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let hex = rest.strip_prefix('{')?;
                out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
            }
            _ => return None,
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    Some(out)
}

/// A doc attribute's text for a `///` comment (`None` if it holds a line break: it stays an
/// attribute then).
fn doc_text(lit: &str) -> Option<String> {
    string_value(lit).filter(|t| !t.contains(['\n', '\r']))
}

/// Whether a group's contents cannot be one element a line: an array type or repeat
/// expression (`[T; N]`, `[0; 4]`) stays on one line.
fn unbreakable(inner: &[Tok]) -> bool {
    inner.iter().any(|t| matches!(t, Tok::Op(";")))
}

/// Where a closure's body starts (after `|params|`, `||`, `move`).
fn closure_body(toks: &[Tok]) -> Option<usize> {
    let start = usize::from(matches!(toks.first(), Some(Tok::Word(w)) if w == "move"));
    match toks.get(start)? {
        Tok::Op("||") => Some(start + 1),
        Tok::Op("|") => toks[start + 1..].iter().position(|t| matches!(t, Tok::Op("|"))).map(|p| start + p + 2),
        _ => None,
    }
}

/// Split `toks` at top-level commas, not those between generic `<>` (a trailing comma gives
/// no empty element).
fn split_commas(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut p = Printer::measuring(State::default());
    let mut v = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if matches!(t, Tok::Op(",")) && p.s.angle == 0 {
            v.push(&toks[start..i]);
            start = i + 1;
        }
        p.skim(t);
    }
    if start < toks.len() {
        v.push(&toks[start..]);
    }
    v
}

impl Printer {
    // ---- token writing (the spacing rules)

    fn push(&mut self, s: &str) {
        if !self.measure {
            self.out.push_str(s);
        }
        self.s.col += if s.is_ascii() { s.len() } else { s.chars().count() };
    }

    fn space(&mut self) {
        self.push(" ");
    }

    /// Start a new line at `indent`.
    fn line(&mut self, indent: usize) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        for _ in 0..indent {
            self.out.push(' ');
        }
        self.s.col = indent;
        self.s.line_indent = indent;
        self.s.st = St::Start;
        self.s.seg = Seg::Plain;
        self.s.angle = 0;
        self.s.closure = false;
        self.s.generic = false;
        self.s.after_fn = false;
    }

    fn word(&mut self, w: &str) {
        if matches!(self.s.st, St::Operand | St::Spaced | St::Keyword | St::Life) {
            self.space();
        }
        self.push(w);
        let kw = is_keyword(w);
        self.s.decl = w == "impl" || self.s.after_fn;
        self.s.generic = self.s.decl || w.starts_with(|c: char| c.is_ascii_uppercase());
        self.s.after_fn = w == "fn";
        self.s.st = if kw { St::Keyword } else { St::Operand };
        match w {
            "fn" | "impl" | "trait" | "mod" | "if" | "else" | "for" | "while" | "loop" | "unsafe" | "async"
            | "move" | "extern" => self.s.seg = Seg::Block,
            "match" => self.s.seg = Seg::Match,
            "struct" | "enum" | "union" => self.s.seg = Seg::Fields,
            "let" if self.s.seg != Seg::Block => self.s.seg = Seg::Plain,
            _ => {}
        }
    }

    /// A literal (`st` [`St::Operand`]) or a lifetime ([`St::Life`]).
    fn atom(&mut self, text: &str, st: St) {
        if matches!(self.s.st, St::Operand | St::Spaced | St::Keyword | St::Life) {
            self.space();
        }
        self.push(text);
        self.s.st = st;
        self.s.generic = false;
        self.s.after_fn = false;
    }

    fn binary(&mut self, o: &str) {
        if self.s.st != St::Start {
            self.space();
        }
        self.push(o);
        self.s.st = St::Spaced;
    }

    fn prefix(&mut self, o: &str) {
        if matches!(self.s.st, St::Spaced | St::Keyword) {
            self.space();
        }
        self.push(o);
        self.s.st = St::Glue;
    }

    fn op(&mut self, o: &'static str) {
        let generic = std::mem::take(&mut self.s.generic);
        self.s.after_fn = false;
        let st = self.s.st;
        match o {
            "::" => {
                if matches!(st, St::Spaced | St::Keyword) {
                    self.space();
                }
                self.push(o);
                self.s.st = St::Glue;
                self.s.generic = true;
            }
            "." => {
                self.push(o);
                self.s.st = St::Glue;
            }
            ".." | "..=" => {
                if matches!(st, St::Spaced | St::Keyword) {
                    self.space();
                }
                self.push(o);
                self.s.st = St::Glue;
            }
            "?" => {
                self.push(o);
                self.s.st = St::Operand;
            }
            "," | ";" => {
                self.push(o);
                self.s.st = St::Spaced;
                if self.s.angle == 0 {
                    self.s.seg = Seg::Plain;
                }
            }
            ":" => {
                self.push(o);
                self.s.st = St::Spaced;
            }
            "#" => {
                if matches!(st, St::Operand | St::Spaced | St::Keyword | St::Life) {
                    self.space();
                }
                self.push(o);
                self.s.st = St::Glue;
            }
            "!" if st == St::Operand => {
                self.push(o);
                self.s.st = St::Glue;
            }
            "!" => self.prefix(o),
            "&" | "&&" | "*" | "-" if !matches!(st, St::Operand | St::Life) => self.prefix(o),
            "|" if self.s.closure => {
                self.push(o);
                self.s.closure = false;
                self.s.st = St::Spaced;
                self.s.seg = Seg::Block;
            }
            "|" if st != St::Operand => {
                self.prefix(o);
                self.s.closure = true;
            }
            "||" if st != St::Operand => {
                self.prefix(o);
                self.s.st = St::Spaced;
                self.s.seg = Seg::Block;
            }
            "<" if generic => {
                self.push(o);
                self.s.angle += 1;
                self.s.st = St::Glue;
            }
            ">" if self.s.angle > 0 => {
                self.push(o);
                self.s.angle -= 1;
                self.s.st = St::Operand;
            }
            ">>" if self.s.angle > 1 => {
                self.push(o);
                self.s.angle -= 2;
                self.s.st = St::Operand;
            }
            "=>" => {
                self.binary(o);
                self.s.seg = Seg::Block;
            }
            _ => self.binary(o),
        }
    }

    /// The space before a group's opening delimiter.
    fn open(&mut self, d: Delim) {
        let st = self.s.st;
        let space = match d {
            Delim::Brace => !matches!(st, St::Start | St::Glue),
            _ => matches!(st, St::Spaced | St::Keyword | St::Life),
        };
        if space {
            self.space();
        }
        self.s.generic = false;
        self.s.after_fn = false;
    }

    /// What a brace group with contents `inner` is here.
    fn brace_kind(&self, inner: &[Tok]) -> Brace {
        if inner.is_empty() {
            return Brace::Empty;
        }
        if inner.iter().any(|t| matches!(t, Tok::Op(";"))) {
            return Brace::Block;
        }
        match self.s.seg {
            Seg::Block => Brace::Block,
            Seg::Match => Brace::Match,
            Seg::Fields => Brace::Fields,
            Seg::Plain => Brace::Literal,
        }
    }

    // ---- flat writing

    /// Write `toks` on the current line. `false` (the output then half written: the caller
    /// restores) when they cannot be on one line (a block, arms, fields) or pass the width.
    fn flat(&mut self, toks: &[Tok]) -> bool {
        for t in toks {
            if !self.flat_tok(t) || self.s.col > self.width {
                return false;
            }
        }
        true
    }

    /// Follow `t`'s effect on the spacing state only (groups are skipped as operands).
    fn skim(&mut self, t: &Tok) {
        match t {
            Tok::Group(..) => {
                self.s.st = St::Operand;
                self.s.generic = false;
                self.s.after_fn = false;
            }
            t => {
                self.flat_tok(t);
            }
        }
    }

    fn flat_tok(&mut self, t: &Tok) -> bool {
        match t {
            Tok::Word(w) => self.word(w),
            Tok::Lit(l) => self.atom(l, St::Operand),
            Tok::Life(l) => self.atom(l, St::Life),
            Tok::Op(o) => self.op(o),
            Tok::Group(d, inner) => {
                let kind = if *d == Delim::Brace { self.brace_kind(inner) } else { Brace::Literal };
                if !matches!(kind, Brace::Empty | Brace::Literal) {
                    return false;
                }
                self.open(*d);
                let outer = self.s;
                self.s.st = St::Start;
                self.s.seg = Seg::Plain;
                self.s.angle = 0;
                self.s.closure = false;
                let ok = match (d, kind) {
                    (Delim::Brace, Brace::Empty) => {
                        self.push("{}");
                        true
                    }
                    (Delim::Brace, _) => {
                        // a trailing comma is layout in a struct literal
                        let inner = match inner.split_last() {
                            Some((Tok::Op(","), rest)) => rest,
                            _ => inner,
                        };
                        // a use list (`a::{b, c}`) has no spaces inside
                        let pad = if outer.st == St::Glue { "" } else { " " };
                        self.push("{");
                        self.push(pad);
                        let ok = self.flat(inner);
                        self.push(pad);
                        self.push("}");
                        ok
                    }
                    (Delim::Paren, _) => {
                        // a trailing comma is layout, but in a one-element tuple
                        let inner = match inner.split_last() {
                            Some((Tok::Op(","), rest)) if outer.st == St::Operand || split_commas(rest).len() > 1 => {
                                rest
                            }
                            _ => inner,
                        };
                        self.push("(");
                        let ok = self.flat(inner);
                        self.push(")");
                        ok
                    }
                    (Delim::Bracket, _) => {
                        let inner = match inner.split_last() {
                            Some((Tok::Op(","), rest)) => rest,
                            _ => inner,
                        };
                        self.push("[");
                        let ok = self.flat(inner);
                        self.push("]");
                        ok
                    }
                };
                self.close(outer);
                return ok;
            }
        }
        true
    }

    /// After a group: the state outside it, an operand ending at the current column.
    fn close(&mut self, outer: State) {
        let col = self.s.col;
        let line_indent = self.s.line_indent;
        self.s = outer;
        self.s.col = col;
        self.s.line_indent = line_indent;
        self.s.st = St::Operand;
        self.s.generic = false;
        self.s.after_fn = false;
    }

    fn snapshot(&self) -> (usize, State) {
        (self.out.len(), self.s)
    }

    fn restore(&mut self, snap: (usize, State)) {
        self.out.truncate(snap.0);
        self.s = snap.1;
    }

    /// Width of `rest` written flat from here up to where a line may break after it (a comma
    /// or semicolon, a block's brace, or the end, then `tail` more). Large when it cannot be
    /// flat.
    fn tail_len(&self, rest: &[Tok], tail: usize) -> usize {
        let mut p = Printer::measuring(self.s);
        let start = p.s.col;
        for t in rest {
            match t {
                Tok::Op(",") | Tok::Op(";") if p.s.angle == 0 => return p.s.col + 1 - start,
                Tok::Group(Delim::Brace, inner) if !matches!(p.brace_kind(inner), Brace::Literal | Brace::Empty) => {
                    return p.s.col + 2 - start
                }
                Tok::Group(_, inner) => {
                    let before = p.s.col;
                    if !p.flat_tok(t) || p.s.col > WIDTH {
                        // it breaks (a block, or too long): its opening delimiter ends this
                        // line, unless it cannot break (`[T; N]`)
                        if unbreakable(inner) {
                            return WIDTH;
                        }
                        return before + 2 - start;
                    }
                }
                _ => {
                    p.flat_tok(t);
                    if p.s.col > WIDTH {
                        return WIDTH;
                    }
                }
            }
        }
        p.s.col - start + tail
    }

    // ---- layout

    /// Statements (or items) of a block or file, each on its own line at `indent`.
    fn stmts(&mut self, toks: &[Tok], indent: usize) {
        let mut i = 0;
        while i < toks.len() {
            if let [Tok::Word(m), Tok::Op("!"), Tok::Group(Delim::Paren, arg), Tok::Op(";"), ..] = &toks[i..] {
                if let (VERBATIM, [Tok::Lit(l)]) = (&**m, arg.as_slice()) {
                    self.verbatim(l, indent);
                    i += 4;
                    continue;
                }
            }
            if let Some(n) = is_attr_start(&toks[i..]) {
                self.line(indent);
                self.attr(&toks[i..i + n]);
                i += n;
                continue;
            }
            let end = self.stmt_end(toks, i);
            self.line(indent);
            self.expr(&toks[i..end], 0);
            i = end;
        }
    }

    /// The lines of the string literal `lit` at `indent` (empty lines empty).
    fn verbatim(&mut self, lit: &str, indent: usize) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        for l in string_value(lit).unwrap_or_default().lines() {
            if !l.is_empty() {
                self.out.extend(std::iter::repeat_n(' ', indent));
                self.out.push_str(l);
            }
            self.out.push('\n');
        }
        self.s.st = St::Start;
    }

    /// Where the statement starting at `start` ends (exclusive).
    fn stmt_end(&self, toks: &[Tok], start: usize) -> usize {
        let mut p = Printer::measuring(State::default());
        let mut j = start;
        while j < toks.len() {
            match &toks[j] {
                Tok::Op(";") => return j + 1,
                Tok::Group(Delim::Brace, inner) => {
                    let kind = p.brace_kind(inner);
                    p.s.seg = Seg::Plain;
                    p.s.st = St::Operand;
                    let continues = match toks.get(j + 1) {
                        None => false,
                        Some(Tok::Word(w)) => w == "else" || w == "as",
                        Some(Tok::Op(o)) => !matches!(*o, "#"),
                        Some(_) => false,
                    };
                    if !continues && kind != Brace::Literal {
                        return j + 1;
                    }
                }
                t => {
                    p.flat_tok(t);
                }
            }
            j += 1;
        }
        toks.len()
    }

    /// An attribute (`#[...]` or `#![...]`), a doc attribute as a `///` or `//!` comment.
    fn attr(&mut self, toks: &[Tok]) {
        let inner = matches!(toks.get(1), Some(Tok::Op("!")));
        if let Some(Tok::Group(_, body)) = toks.last() {
            if let [Tok::Word(d), Tok::Op("="), Tok::Lit(l)] = body.as_slice() {
                if d == "doc" {
                    if let Some(text) = doc_text(l) {
                        self.push(if inner { "//!" } else { "///" });
                        self.push(text.trim_end());
                        self.s.st = St::Start;
                        return;
                    }
                }
            }
        }
        self.flat(toks);
        self.s.st = St::Start;
    }

    /// An expression, statement or item at the current position, `tail` more columns after it
    /// on its last line.
    fn expr(&mut self, toks: &[Tok], tail: usize) {
        let snap = self.snapshot();
        if self.flat(toks) && self.s.col + tail <= WIDTH {
            return;
        }
        self.restore(snap);
        let item = matches!(toks.first(), Some(Tok::Word(w)) if starts_item(w));
        // a statement with a block (`if a && b {`) keeps its head on the block's line
        let block = toks.iter().any(|t| matches!(t, Tok::Group(Delim::Brace, inner) if !matches!(self.brace_kind(inner), Brace::Literal | Brace::Empty)));
        if !item && !block {
            if let Some(ops) = self.operators(toks) {
                return self.operator_lines(toks, &ops, tail);
            }
            if self.chain(toks, tail) {
                return;
            }
        }
        if self.assignment(toks, tail) {
            return;
        }
        self.greedy(toks, tail);
    }

    /// `let x =` / `type T =` / `const C: T =` with the value on the next line, one step in,
    /// when it fits there and not after the `=`. `false` (nothing written) otherwise.
    fn assignment(&mut self, toks: &[Tok], tail: usize) -> bool {
        let mut p = Printer::measuring(self.s);
        let mut eq = None;
        for (i, t) in toks.iter().enumerate() {
            match t {
                Tok::Op("=") if p.s.angle == 0 => {
                    eq = Some(i);
                    break;
                }
                Tok::Group(Delim::Brace, _) => return false,
                t => p.skim(t),
            }
        }
        let Some(eq) = eq else { return false };
        let rhs = &toks[eq + 1..];
        // a value ending in a group (`[...]`, `f(...)`) breaks inside it, on the `=`'s line
        let rhs_end = rhs.iter().rposition(|t| !matches!(t, Tok::Op(";")));
        if rhs.iter().any(|t| matches!(t, Tok::Group(Delim::Brace, _)))
            || rhs_end.is_some_and(|e| matches!(rhs[e], Tok::Group(..)))
        {
            return false;
        }
        let snap = self.snapshot();
        if !self.flat(&toks[..=eq]) {
            self.restore(snap);
            return false;
        }
        let indent = self.s.line_indent + INDENT;
        self.line(indent);
        let start = self.out.len();
        if !self.flat(rhs) || self.s.col + tail > WIDTH || self.out[start..].contains('\n') {
            self.restore(snap);
            return false;
        }
        true
    }

    /// Where the generic `<` at `open` closes: the index of its `>` (`None` if it closes
    /// inside a `>>` or not at all).
    fn generic_close(toks: &[Tok], open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in toks.iter().enumerate().skip(open) {
            match t {
                Tok::Op("<") => depth += 1,
                Tok::Op(">") => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                Tok::Op(">>") => {
                    if depth <= 2 {
                        return None;
                    }
                    depth -= 2;
                }
                Tok::Op(";") | Tok::Group(Delim::Brace, _) => return None,
                _ => {}
            }
        }
        None
    }

    /// Positions of the top-level binary operators of the loosest kind present (`||`, then
    /// `&&`, then `|`), if any.
    fn operators(&self, toks: &[Tok]) -> Option<Vec<usize>> {
        let mut p = Printer::measuring(self.s);
        let mut found: [Vec<usize>; 3] = Default::default();
        for (i, t) in toks.iter().enumerate() {
            if let Tok::Op(o @ ("||" | "&&" | "|")) = t {
                let binary = p.s.st == St::Operand && !p.s.closure;
                if binary {
                    found[match *o {
                        "||" => 0,
                        "&&" => 1,
                        _ => 2,
                    }]
                    .push(i);
                }
            }
            if !p.flat_tok(t) {
                // a block: what follows is its own layout
                p.s.st = St::Operand;
            }
        }
        found.into_iter().find(|v| !v.is_empty())
    }

    /// `a || b || c` one operand a line, the operators leading, indented one step.
    fn operator_lines(&mut self, toks: &[Tok], ops: &[usize], tail: usize) {
        let indent = self.s.line_indent + INDENT;
        let mut start = 0;
        for (k, &at) in ops.iter().chain(std::iter::once(&toks.len())).enumerate() {
            if k > 0 {
                self.line(indent);
                self.s.st = St::Start;
                let Tok::Op(o) = toks[start - 1] else { unreachable!() };
                self.push(o);
                self.s.st = St::Spaced;
            }
            let last = at == toks.len();
            self.expr(&toks[start..at], if last { tail } else { 0 });
            start = at + 1;
        }
    }

    /// A method chain of two or more calls, one call a line. `false` (nothing written) if
    /// `toks` is not one.
    fn chain(&mut self, toks: &[Tok], tail: usize) -> bool {
        // top-level dots
        let dots: Vec<usize> =
            toks.iter().enumerate().filter(|(_, t)| matches!(t, Tok::Op("."))).map(|(i, _)| i).collect();
        let Some(&first) = dots.first() else { return false };
        // a chain before a block (`if a.b().c() {`) stays on the block's line
        if toks.iter().any(|t| matches!(t, Tok::Group(Delim::Brace, _))) {
            return false;
        }
        // segments: `.name`, then an optional turbofish, call and `?`s; field accesses before the
        // first call join the root
        let calls: Vec<usize> = dots
            .iter()
            .copied()
            .filter(|&d| {
                toks[d + 1..]
                    .iter()
                    .take_while(|t| !matches!(t, Tok::Op(".")))
                    .any(|t| matches!(t, Tok::Group(Delim::Paren, _)))
            })
            .collect();
        // a root that is a call (`Attrs::new(raw)`) counts as one
        let root_call = first > 0 && matches!(toks[first - 1], Tok::Group(Delim::Paren, _));
        if calls.len() + usize::from(root_call) < 2 {
            return false;
        }
        // on one line but for a last argument that overflows (`a.b().c(|x| {`): so be it
        let snap = self.snapshot();
        self.greedy(toks, tail);
        let written = &self.out[snap.0..];
        let first_line = written.split('\n').next().unwrap_or("");
        let last_line = written.rsplit('\n').next().unwrap_or("");
        let closes_only = last_line.trim_start().chars().all(|c| matches!(c, '}' | ')' | ']' | '?' | ';' | ','));
        if first_line.ends_with('{') && closes_only && snap.1.col + first_line.len() <= WIDTH {
            return true;
        }
        self.restore(snap);
        let mut breaks: Vec<usize> = dots.into_iter().skip_while(|d| *d < calls[0]).collect();
        // a short root (`self`, `f`) keeps its first call
        if breaks.len() > 1 && breaks[0] == 1 && matches!(&toks[0], Tok::Word(w) if w.len() <= INDENT) {
            breaks.remove(0);
        }
        let indent = self.s.line_indent + INDENT;
        self.greedy(&toks[..breaks[0]], 0);
        for (k, &d) in breaks.iter().enumerate() {
            let end = breaks.get(k + 1).copied().unwrap_or(toks.len());
            self.line(indent);
            self.greedy(&toks[d..end], if end == toks.len() { tail } else { 0 });
        }
        true
    }

    /// Tokens left to right, each group on one line if it fits, else broken.
    fn greedy(&mut self, toks: &[Tok], tail: usize) {
        let mut skip_to = 0;
        for (k, t) in toks.iter().enumerate() {
            if k < skip_to {
                continue;
            }
            if matches!(t, Tok::Op("<")) && self.s.generic && !self.s.decl {
                if let Some(close) = Self::generic_close(toks, k) {
                    let snap = self.snapshot();
                    let fits = self.flat(&toks[k..=close])
                        && self.s.col <= WIDTH
                        && self.s.col + self.tail_len(&toks[close + 1..], tail) <= WIDTH;
                    self.restore(snap);
                    if !fits {
                        // generic arguments one a line
                        let outer = self.s;
                        self.push("<");
                        self.vertical("", "", &toks[k + 1..close], true);
                        self.push(">");
                        self.close(outer);
                        skip_to = close + 1;
                        continue;
                    }
                }
            }
            let Tok::Group(d, inner) = t else {
                self.flat_tok(t);
                continue;
            };
            let kind = if *d == Delim::Brace { self.brace_kind(inner) } else { Brace::Literal };
            match kind {
                Brace::Block | Brace::Match => {
                    self.open(Delim::Brace);
                    let outer = self.s;
                    let base = self.s.line_indent;
                    self.push("{");
                    if kind == Brace::Block {
                        self.stmts(inner, base + INDENT);
                    } else {
                        self.arms(inner, base + INDENT);
                    }
                    self.line(base);
                    self.push("}");
                    self.close(outer);
                    self.s.seg = Seg::Plain;
                }
                Brace::Fields => {
                    self.open(Delim::Brace);
                    let outer = self.s;
                    self.vertical("{", "}", inner, true);
                    self.close(outer);
                    self.s.seg = Seg::Plain;
                }
                Brace::Empty | Brace::Literal => {
                    let snap = self.snapshot();
                    let fits = self.flat_tok(t)
                        && self.s.col <= WIDTH
                        && self.s.col + self.tail_len(&toks[k + 1..], tail) <= WIDTH;
                    if fits || *d != Delim::Brace && unbreakable(inner) {
                        // an array type or repeat expression stays whole, even when too long
                        if !fits {
                            self.restore(snap);
                            self.flat_tok(t);
                        }
                        continue;
                    }
                    self.restore(snap);
                    // a trailing comma must not turn `(x)` into a tuple
                    let macro_args = k > 0 && matches!(toks[k - 1], Tok::Op("!"));
                    let comma = matches!(inner.last(), Some(Tok::Op(",")))
                        || !macro_args
                            && (*d != Delim::Paren || self.s.st == St::Operand || split_commas(inner).len() > 1);
                    self.open(*d);
                    let outer = self.s;
                    let (o, c) = match d {
                        Delim::Paren => ("(", ")"),
                        Delim::Bracket => ("[", "]"),
                        Delim::Brace => ("{", "}"),
                    };
                    let after = if k + 1 == toks.len() { tail } else { self.tail_len(&toks[k + 1..], tail) };
                    if *d == Delim::Brace || !self.overflow(o, c, inner, after) {
                        self.vertical(o, c, inner, comma);
                    }
                    self.close(outer);
                }
            }
        }
    }

    /// `(a, b, |x| {` ... `})`: the last element (a closure, or one ending in a block or
    /// struct literal) on the call's line, only its body broken. `false` (nothing written) when
    /// it does not suit.
    fn overflow(&mut self, open: &str, close: &str, inner: &[Tok], tail: usize) -> bool {
        let elems = split_commas(inner);
        let Some((last, rest)) = elems.split_last() else { return false };
        let closure = match last.first() {
            Some(Tok::Op(o)) => matches!(*o, "|" | "||"),
            Some(Tok::Word(w)) => w == "move",
            _ => false,
        };
        // a struct literal or block last, or a lone tuple or array (`Ok((a, b))`)
        let braced = matches!(last.last(), Some(Tok::Group(Delim::Brace, _)))
            || rest.is_empty() && matches!(last, [Tok::Group(Delim::Paren | Delim::Bracket, _)]);
        if !closure && !braced {
            return false;
        }
        let snap = self.snapshot();
        self.push(open);
        self.s.st = St::Start;
        self.s.seg = Seg::Plain;
        for e in rest {
            if !self.flat(e) {
                self.restore(snap);
                return false;
            }
            self.op(",");
        }
        let line_start = self.out.rfind('\n').map_or(0, |n| n + 1);
        let before = self.out.len();
        match closure.then(|| closure_body(last)).flatten() {
            // a closure's body that is not a block: in braces, as rustfmt writes it
            Some(body) if !matches!(last[body..], [Tok::Group(Delim::Brace, _)] | [Tok::Op("->"), ..]) => {
                let base = self.s.line_indent;
                self.flat(&last[..body]);
                self.push(" {");
                self.line(base + INDENT);
                self.expr(&last[body..], 0);
                self.line(base);
                self.push("}");
            }
            _ => self.expr(last, close.len() + tail),
        }
        let first_line = &self.out[before..];
        let broke_at_end = match first_line.find('\n') {
            Some(n) => first_line[..n].ends_with(['{', '(', '[']),
            None => false,
        };
        let first_line_len = self.out[line_start..].find('\n').unwrap_or(0);
        if !broke_at_end || first_line_len > WIDTH {
            self.restore(snap);
            return false;
        }
        self.push(close);
        true
    }

    /// `open`, each comma-separated element of `inner` on its own line one step in (its
    /// attributes on lines before it) with a comma after it (the last one only if `comma`),
    /// `close` on a line of its own.
    fn vertical(&mut self, open: &str, close: &str, inner: &[Tok], comma: bool) {
        let base = self.s.line_indent;
        self.push(open);
        let elems = split_commas(inner);
        let n = elems.len();
        for (k, e) in elems.into_iter().enumerate() {
            let mut e = e;
            self.line(base + INDENT);
            while let Some(n) = is_attr_start(e) {
                self.attr(&e[..n]);
                e = &e[n..];
                self.line(base + INDENT);
            }
            self.expr(e, 1);
            if comma || k + 1 < n {
                self.op(",");
            }
        }
        self.line(base);
        self.push(close);
    }

    /// A `match` body: one arm a line, a block body broken, others followed by a comma.
    fn arms(&mut self, toks: &[Tok], indent: usize) {
        let mut i = 0;
        while i < toks.len() {
            if let Some(n) = is_attr_start(&toks[i..]) {
                self.line(indent);
                self.attr(&toks[i..i + n]);
                i += n;
                continue;
            }
            let Some(arrow) = toks[i..].iter().position(|t| matches!(t, Tok::Op("=>"))).map(|p| p + i) else {
                self.line(indent);
                self.expr(&toks[i..], 0);
                return;
            };
            let (end, next, comma) = match toks.get(arrow + 1) {
                Some(Tok::Group(Delim::Brace, _)) => {
                    let next = if matches!(toks.get(arrow + 2), Some(Tok::Op(","))) { arrow + 3 } else { arrow + 2 };
                    (arrow + 2, next, false)
                }
                _ => {
                    let end =
                        toks[arrow..].iter().position(|t| matches!(t, Tok::Op(","))).map_or(toks.len(), |p| p + arrow);
                    (end, end + 1, true)
                }
            };
            self.line(indent);
            self.expr(&toks[i..end], usize::from(comma));
            if comma {
                self.op(",");
            }
            i = next;
        }
    }
}

#[cfg(test)]
#[path = "../../tests/support/token_words.rs"]
mod token_words;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::quote;

    fn print(ts: TokenStream) -> String {
        items(ts, &Paths::new(&[]))
    }

    /// The printed text reads back as the same tokens.
    fn same_tokens(ts: TokenStream) -> String {
        let text = print(ts.clone());
        let back: proc_macro2::TokenStream = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
        let built = ts.to_proc_macro2();
        assert_eq!(super::token_words::token_words(back), super::token_words::token_words(built), "\n{text}");
        text
    }

    #[test]
    fn items_read_as_rustfmt_writes_them() {
        let text = same_tokens(quote! {
            /// A view.
            #[derive(Clone, Copy, Default)]
            pub struct Header<'a> {
                raw: &'a [u8],
            }
            impl<'a> Header<'a> {
                #[inline]
                pub fn new(raw: &'a [u8]) -> Self {
                    Self { raw }
                }
                pub fn decode_nested(raw: &'a [u8], depth: u32) -> ::core::result::Result<Self, nlspec_rt::DecodeError> {
                    if depth > MAX_NEST_DEPTH {
                        return Err(nlspec_rt::DecodeError::other("attributes nested too deeply"));
                    }
                    Ok(Self { raw })
                }
                pub fn flags(&self) -> Result<Option<HeaderFlags>, nlspec_rt::DecodeError> {
                    Ok(nlspec_rt::Attrs::new(self.raw).read(attrs::header::FLAGS, "flags", |attr| attr.get_u32())?.map(HeaderFlags))
                }
            }
        });
        let want = "\
/// A view.
#[derive(Clone, Copy, Default)]
pub struct Header<'a> {
    raw: &'a [u8],
}
impl<'a> Header<'a> {
    #[inline]
    pub fn new(raw: &'a [u8]) -> Self {
        Self { raw }
    }
    pub fn decode_nested(
        raw: &'a [u8],
        depth: u32,
    ) -> ::core::result::Result<Self, nlspec_rt::DecodeError> {
        if depth > MAX_NEST_DEPTH {
            return Err(nlspec_rt::DecodeError::other(\"attributes nested too deeply\"));
        }
        Ok(Self { raw })
    }
    pub fn flags(&self) -> Result<Option<HeaderFlags>, nlspec_rt::DecodeError> {
        Ok(
            nlspec_rt::Attrs::new(self.raw)
                .read(attrs::header::FLAGS, \"flags\", |attr| attr.get_u32())?
                .map(HeaderFlags),
        )
    }
}
";
        assert_eq!(text, want);
    }

    #[test]
    fn closures_arms_and_operators() {
        let text = same_tokens(quote! {
            fn f(&self) -> impl Iterator<Item = u8> + Clone + 'a {
                nlspec_rt::Attrs::new(self.raw).filter(|attr| {
                    attr.as_ref().map_or(true, |attr| !matches!(attr.ty(), attrs::header::UNSPEC | attrs::header::DEV_INDEX | attrs::header::DEV_NAME | attrs::header::FLAGS))
                })
            }
            fn g(&self) {
                match self.x() {
                    Ok(Some(v)) => { d.field("x", &v); }
                    Ok(None) => {}
                    Err(e) => d.field("x", &e),
                }
                let v: Vec<&[u8]> = vec![];
                for x in 0..n { a += *x; }
            }
        });
        assert!(text.contains("    nlspec_rt::Attrs::new(self.raw).filter(|attr| {\n"), "{text}");
        assert!(text.contains("\n                    | attrs::header::DEV_NAME\n"), "{text}");
        assert!(text.contains("        Ok(None) => {}\n        Err(e) => d.field(\"x\", &e),\n"), "{text}");
        assert!(text.contains("let v: Vec<&[u8]> = vec![];"), "{text}");
        assert!(text.contains("for x in 0..n {\n        a += *x;\n    }"), "{text}");
    }

    /// A long `let` whose type is an array type: the value breaks, the type stays whole (one
    /// element a line would put a comma after `N` in `[T; N]`).
    #[test]
    fn array_types_stay_whole() {
        let text = same_tokens(quote! {
            impl X {
                pub fn from_name(name: &str) -> Option<Self> {
                    let table: [(&str, Self); 3] = [("incremental", Self::INCREMENTAL), ("random", Self::RANDOM), ("other", Self::OTHER)];
                    None
                }
            }
        });
        assert!(text.contains("        let table: [(&str, Self); 3] = [\n            (\"incremental\""), "{text}");
    }

    #[test]
    fn verbatim_text_is_written_as_it_is_at_its_indentation() {
        let text = "nl::x! {\n    a => b,\n\n}";
        let ts = quote! { mod m { nl_verbatim!(#text); const C: u8 = 1; } };
        assert_eq!(print(ts), "mod m {\n    nl::x! {\n        a => b,\n\n    }\n    const C: u8 = 1;\n}\n");
    }

    #[test]
    fn docs_become_comments_unless_they_hold_a_line_break() {
        let text = same_tokens(quote! {
            #![doc = " crate \"x\" \\ y"]
            #[doc = "a\nb"]
            pub const A: u8 = 1;
        });
        assert_eq!(text, "//! crate \"x\" \\ y\n#[doc = \"a\\nb\"]\npub const A: u8 = 1;\n");
    }
}

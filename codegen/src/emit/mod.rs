//! Emitters: turn a resolved [`nlspec_model::ir::Family`] into files.
//!
//! - [`client`]: the typed userspace client crate (quote → syn → prettyplease).
//! - [`kernel`]: the Rust-for-Linux module directory (policies, ops, groups, family, handler
//!   trait; minijinja scaffolding from `kmod-template/`).
//! - [`defs`]: consts, enums, flags and structs, one body for both sides.
//!
//! Both emitters use the per-kind [`crate::attr`] (which imports nothing from here).
//!
//! Every emitter returns [`GeneratedFile`]s with paths relative to its output directory, so
//! `cargo xtask generate`, `nlspec gen` and the build.rs [`crate::Builder`] all write (or
//! compare) the same bytes.

pub mod client;
pub mod defs;
pub mod kernel;

use std::path::{Path, PathBuf};

use proc_macro2::{Group, TokenStream, TokenTree};

/// One output file: path relative to the output directory, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

impl GeneratedFile {
    pub fn new(path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        GeneratedFile { path: path.into(), contents: contents.into() }
    }
}

/// Format Rust tokens as a file with prettyplease. A token stream that does not parse is a
/// generator bug; the error carries syn's message.
pub fn format_file(tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Format Rust tokens as a file with prettyplease after replacing each `(long, short)` path of
/// `table` (prelude paths spelled out in full while generating; both sides written as tokens
/// separated by spaces, `::` as one token).
///
/// The replacement works on the tokens, not on their printed text, and the tokens go to syn
/// as they are: printing a large file and lexing it again used to be most of a generator run.
pub(crate) fn format_shortened(tokens: TokenStream, table: &[(&str, &str)]) -> Result<String, String> {
    let rules = Shortener::new(table);
    let file: syn::File =
        syn::parse2(rules.apply(tokens)).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Format a file made of `parts` (each a sequence of items; only the first may carry inner
/// attributes), the parts built and formatted on up to `available_parallelism` threads and
/// joined in order. Gives the same text as [`format_shortened`] on the parts' concatenation:
/// prettyplease lays out each top-level item on its own and puts no blank line between items.
pub(crate) fn format_parts_shortened<F>(parts: &[F], table: &[(&str, &str)]) -> Result<String, String>
where
    F: Fn() -> TokenStream + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(parts.len()).max(1);
    if threads == 1 {
        let mut all = TokenStream::new();
        for p in parts {
            all.extend(p());
        }
        return format_shortened(all, table);
    }
    // Token streams are not `Send`: each thread builds, parses and prints its own parts.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<std::sync::Mutex<Option<Result<String, String>>>> =
        parts.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(part) = parts.get(i) else { break };
                let text = format_shortened(part(), table);
                *done[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
            });
        }
    });
    let mut out = String::new();
    for slot in done {
        let text = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        out.push_str(&text.ok_or("a formatting thread stopped early")??);
    }
    Ok(out)
}

/// `ts` (an expression or a path: calls, method calls, turbofish, references, casts, unary
/// minus, literals) written as Rust source the way rustfmt would on one line, after the
/// `(long, short)` replacements of [`format_shortened`]: for the text of macro bodies, which
/// no formatter lays out.
pub(crate) fn expr_text(ts: TokenStream, table: &[(&str, &str)]) -> String {
    let mut out = String::new();
    write_tokens(&mut out, Shortener::new(table).apply(ts));
    out
}

fn write_tokens(out: &mut String, ts: TokenStream) {
    // What the previous token was: decides the space before the next one.
    #[derive(PartialEq, Clone, Copy)]
    enum Prev {
        Start,
        /// An identifier, literal or closed group: an operand ends here.
        Operand,
        /// `::`, `.`, `&`, `!`, `#`, a unary `-` or a turbofish's `<`: the next token sticks.
        Glue,
        /// `,` `=>` and binary operators: a space follows.
        Spaced,
        /// A keyword operator (`as`).
        Word,
    }
    let mut prev = Prev::Start;
    let mut angle = 0usize; // open turbofish/generic `<`s
    let mut toks = ts.into_iter().peekable();
    while let Some(t) = toks.next() {
        match t {
            TokenTree::Ident(i) => {
                if matches!(prev, Prev::Operand | Prev::Spaced | Prev::Word) {
                    out.push(' ');
                }
                let s = i.to_string();
                out.push_str(&s);
                prev = if s == "as" { Prev::Word } else { Prev::Operand };
            }
            TokenTree::Literal(l) => {
                if matches!(prev, Prev::Operand | Prev::Spaced | Prev::Word) {
                    out.push(' ');
                }
                out.push_str(&l.to_string());
                prev = Prev::Operand;
            }
            TokenTree::Group(g) => {
                use proc_macro2::Delimiter;
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                // a call or an index sticks to its operand; a brace block after one does not
                let sticks = prev == Prev::Operand && g.delimiter() != Delimiter::Brace;
                if matches!(prev, Prev::Spaced | Prev::Word) || (prev == Prev::Operand && !sticks) {
                    out.push(' ');
                }
                out.push_str(open);
                write_tokens(out, g.stream());
                out.push_str(close);
                prev = Prev::Operand;
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let joint = p.spacing() == proc_macro2::Spacing::Joint;
                match c {
                    ':' if joint => {
                        // `::` (the second `:` is the next token)
                        toks.next();
                        out.push_str("::");
                        prev = Prev::Glue;
                    }
                    '.' | '#' => {
                        out.push(c);
                        prev = Prev::Glue;
                    }
                    '!' if prev == Prev::Operand => {
                        out.push('!');
                        prev = Prev::Glue;
                    }
                    '<' if prev == Prev::Glue || prev == Prev::Operand && angle > 0 => {
                        out.push('<');
                        angle += 1;
                        prev = Prev::Glue;
                    }
                    '>' if angle > 0 => {
                        out.push('>');
                        angle -= 1;
                        prev = Prev::Operand;
                    }
                    ',' | ';' => {
                        out.push(c);
                        prev = Prev::Spaced;
                    }
                    '&' | '-' | '!' | '*' if !matches!(prev, Prev::Operand) => {
                        // a prefix operator: `&X`, `-1`, `!m`, `*p`
                        if matches!(prev, Prev::Spaced | Prev::Word) {
                            out.push(' ');
                        }
                        out.push(c);
                        if joint {
                            // `&&`, `-=`...: keep the operator whole
                            if let Some(TokenTree::Punct(q)) = toks.next() {
                                out.push(q.as_char());
                            }
                        }
                        prev = Prev::Glue;
                    }
                    _ => {
                        // a binary operator, whole (`=>`, `<<`, `+`, `|`)
                        if prev != Prev::Start {
                            out.push(' ');
                        }
                        out.push(c);
                        let mut last = p;
                        while last.spacing() == proc_macro2::Spacing::Joint {
                            match toks.next() {
                                Some(TokenTree::Punct(q)) => {
                                    out.push(q.as_char());
                                    last = q;
                                }
                                _ => break,
                            }
                        }
                        prev = Prev::Spaced;
                    }
                }
            }
        }
    }
}

/// The `(long, short)` table of [`format_shortened`] as token sequences.
struct Shortener {
    rules: Vec<(Vec<Atom>, TokenStream)>,
}

/// One token of a pattern: punctuation by character, an identifier by name.
enum Atom {
    Punct(char),
    Ident(String),
}

impl Atom {
    fn matches(&self, t: &TokenTree) -> bool {
        match (self, t) {
            (Atom::Punct(c), TokenTree::Punct(p)) => p.as_char() == *c,
            (Atom::Ident(s), TokenTree::Ident(i)) => i == s,
            _ => false,
        }
    }
}

impl Shortener {
    fn new(table: &[(&str, &str)]) -> Self {
        let tokens = |s: &str| -> TokenStream { s.parse().unwrap_or_else(|e| panic!("shortening table `{s}`: {e}")) };
        let rules = table
            .iter()
            .map(|(long, short)| {
                let long = tokens(long)
                    .into_iter()
                    .map(|t| match t {
                        TokenTree::Punct(p) => Atom::Punct(p.as_char()),
                        TokenTree::Ident(i) => Atom::Ident(i.to_string()),
                        _ => panic!("shortening table: punctuation and identifiers only in `{long}`"),
                    })
                    .collect();
                (long, tokens(short))
            })
            .collect();
        Shortener { rules }
    }

    /// `ts` with every pattern replaced, at each position the first rule of the table that
    /// matches there, inside groups too.
    fn apply(&self, ts: TokenStream) -> TokenStream {
        let toks: Vec<TokenTree> = ts.into_iter().collect();
        let mut out = Vec::with_capacity(toks.len());
        let mut i = 0;
        'next: while i < toks.len() {
            for (long, short) in &self.rules {
                let hit = toks.len() - i >= long.len() && long.iter().zip(&toks[i..]).all(|(a, t)| a.matches(t));
                if hit {
                    out.extend(short.clone());
                    i += long.len();
                    continue 'next;
                }
            }
            match &toks[i] {
                TokenTree::Group(g) => {
                    let mut ng = Group::new(g.delimiter(), self.apply(g.stream()));
                    ng.set_span(g.span());
                    out.push(TokenTree::Group(ng));
                }
                t => out.push(t.clone()),
            }
            i += 1;
        }
        out.into_iter().collect()
    }
}

/// Write `files` under `dir` (creating directories), leaving files whose contents are already
/// equal untouched (so mtimes and cargo's fingerprints stay put). Returns the paths written.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in files {
        let p = dir.join(&f.path);
        if std::fs::read(&p).ok().as_deref() == Some(f.contents.as_bytes()) {
            continue;
        }
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.contents)?;
        written.push(p);
    }
    Ok(written)
}

/// Files under `dir` whose contents differ from `files` (or are missing). Used by
/// `cargo xtask generate --check`.
pub fn drifted(dir: &Path, files: &[GeneratedFile]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| std::fs::read(dir.join(&f.path)).ok().as_deref() != Some(f.contents.as_bytes()))
        .map(|f| dir.join(&f.path))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    const TABLE: &[(&str, &str)] =
        &[(":: core :: option :: Option :: ", ""), (":: core :: option :: Option", "Option"), (":: std ::", "std ::")];

    #[test]
    fn paths_are_shortened_inside_groups_and_in_table_order() {
        let ts = quote! {
            fn f(x: ::core::option::Option<u8>) -> ::std::vec::Vec<u8> {
                match x { ::core::option::Option::Some(v) => vec![v], ::core::option::Option::None => { [::std::string::String::new()]; vec![] } }
            }
        };
        let got = format_shortened(ts, TABLE).unwrap();
        assert!(got.contains("fn f(x: Option<u8>) -> std::vec::Vec<u8>"), "{got}");
        assert!(got.contains("Some(v) => vec![v]"), "{got}");
        assert!(got.contains("[std::string::String::new()];"), "{got}");
        assert!(!got.contains("core"), "{got}");
        // a name that only ends like a pattern's first word is left alone
        let got = format_shortened(
            quote!(
                type T = my_std::X;
            ),
            &[("std ::", "")],
        )
        .unwrap();
        assert_eq!(got, "type T = my_std::X;\n");
    }

    /// The expressions of policy entries, as rustfmt writes them on one line.
    #[test]
    fn expressions_read_as_rustfmt_writes_them() {
        let cases: &[(TokenStream, &str)] = &[
            (quote!(nl::Policy::u32().mask(EntryFlags::ALL.bits())), "Policy::u32().mask(EntryFlags::ALL.bits())"),
            (quote!(nl::Policy::u32().check::<Kind>()), "Policy::u32().check::<Kind>()"),
            (quote!(nl::Policy::s8().range(-10, MAX as i64)), "Policy::s8().range(-10, MAX as i64)"),
            (quote!(nl::Policy::nested_array(&META_POLICY)), "Policy::nested_array(&META_POLICY)"),
            (quote!(attrs::entry::KEY), "attrs::entry::KEY"),
            (quote!(u32::MAX as u64 + 1), "u32::MAX as u64 + 1"),
            (quote!(f(a, &[1, 2], !x, -y)), "f(a, &[1, 2], !x, -y)"),
            (quote!(cfg!(CONFIG_NET)), "cfg!(CONFIG_NET)"),
            (quote!(a << 3 | b), "a << 3 | b"),
        ];
        for (ts, want) in cases {
            assert_eq!(expr_text(ts.clone(), &[("nl :: Policy ::", "Policy ::")]), *want);
        }
    }

    #[test]
    fn parts_format_like_their_concatenation() {
        let parts: Vec<Box<dyn Fn() -> TokenStream + Sync>> = vec![
            Box::new(|| {
                quote!(#![doc = "crate"] /// one
            pub const A: u8 = 1;)
            }),
            Box::new(|| quote!(impl X { fn y(&self) -> ::core::option::Option<u8> { None } })),
            Box::new(|| quote!()),
            Box::new(|| {
                quote!(
                    pub mod m {
                        pub struct S;
                    }
                    pub fn z() {}
                )
            }),
        ];
        let whole = format_shortened(parts.iter().flat_map(|p| p()).collect(), TABLE).unwrap();
        assert_eq!(format_parts_shortened(&parts, TABLE).unwrap(), whole);
        let bad: Vec<Box<dyn Fn() -> TokenStream + Sync>> = vec![
            Box::new(|| quote!(fn)),
            Box::new(|| {
                quote!(
                    fn g() {}
                )
            }),
        ];
        assert!(format_parts_shortened(&bad, TABLE).unwrap_err().contains("does not parse"));
    }
}

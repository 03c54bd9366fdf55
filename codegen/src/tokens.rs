//! The token trees the emitters build, and `quote!` to build them.
//!
//! The emitters write generated Rust as token trees, spelled as Rust inside `quote!`, and
//! `crate::emit::print` lays them out as text. proc-macro2's token streams, built by the
//! `quote` crate, cost an allocation for every identifier (and one more each time a stream is
//! interpolated into another, which copies it) and had to be converted into the printer's
//! tokens again: a third of a generator run. These are the printer's own tokens: a word or an
//! operator the emitter spelled out is a `&'static str` taken from the macro's input, a group
//! is shared when it is interpolated, and the printer reads them as they are.
//!
//! `quote!` here takes what the `quote` crate's takes, as far as the emitters use it: `#var`
//! (anything [`ToTokens`]: these streams, [`Ident`]s from `format_ident!`, proc-macro2's
//! `Literal`, strings as string literals, integers as suffixed literals, `bool`, `char`,
//! `Option`), and `#(...)*` or `#(...) SEP *` repeating over the one `#var` inside (a `Vec`, a
//! slice, or any iterator).

use std::fmt;
use std::rc::Rc;

/// A word's or a literal's text: spelled out by an emitter (static), or made at run time.
#[derive(Clone, Debug)]
pub enum Str {
    Static(&'static str),
    Shared(Rc<str>),
}

impl std::ops::Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Str::Static(s) => s,
            Str::Shared(s) => s,
        }
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, o: &str) -> bool {
        **self == *o
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, o: &&str) -> bool {
        **self == **o
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Str::Shared(s.into())
    }
}

/// A token: operators whole (`::`, `->`, `&&`), a group with its delimiters.
#[derive(Clone, Debug)]
pub enum Tok {
    /// An identifier or keyword (`r#type` included).
    Word(Str),
    /// A literal, as written.
    Lit(Str),
    /// A lifetime (`'a`).
    Life(Str),
    /// Punctuation: one operator (`::`, `->`, `=>`, `&&`, `.`...).
    Op(&'static str),
    /// A delimited group.
    Group(Delim, Rc<Vec<Tok>>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delim {
    Paren,
    Bracket,
    Brace,
}

impl Tok {
    /// The token a `quote!` input token tree is written as when it is neither a group, a word,
    /// a lifetime nor a literal (`quote!` tells those apart itself): an operator, or `_`.
    pub fn spelled(s: &'static str) -> Tok {
        match s {
            "_" => Tok::Word(Str::Static(s)),
            _ => Tok::Op(s),
        }
    }
}

/// Equal when written the same: words, literals and lifetimes by their text.
impl PartialEq for Tok {
    fn eq(&self, o: &Tok) -> bool {
        match (self, o) {
            (Tok::Word(a), Tok::Word(b)) | (Tok::Lit(a), Tok::Lit(b)) | (Tok::Life(a), Tok::Life(b)) => **a == **b,
            (Tok::Op(a), Tok::Op(b)) => a == b,
            (Tok::Group(d, a), Tok::Group(e, b)) => d == e && a == b,
            _ => false,
        }
    }
}

/// An identifier the emitters make at run time (a type, a method, a constant).
///
/// Interpolated as a word (cloning it shares its text). Never raw: the model already gives
/// keywords a suffix (`type_`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(Rc<str>);

impl Ident {
    pub fn new(s: &str) -> Ident {
        debug_assert!(
            s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "not an identifier: `{s}`"
        );
        Ident(s.into())
    }
}

impl From<String> for Ident {
    fn from(s: String) -> Ident {
        Ident::new(&s)
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Ident {
    fn eq(&self, o: &str) -> bool {
        *self.0 == *o
    }
}

impl PartialEq<&str> for Ident {
    fn eq(&self, o: &&str) -> bool {
        *self.0 == **o
    }
}

impl ToTokens for Ident {
    fn to_tokens(&self, ts: &mut TokenStream) {
        ts.0.push(Tok::Word(Str::Shared(self.0.clone())));
    }
}

/// An [`Ident`] from `format!` arguments.
macro_rules! format_ident {
    ($($arg:tt)*) => {
        $crate::tokens::Ident::from(format!($($arg)*))
    };
}

/// `text` as a raw string literal (`r#"..."#`, as few `#` as it needs): no escaping pass over
/// text that is only carried (the kernel emitter's verbatim items).
pub fn raw_string(text: &str) -> Tok {
    let mut hashes = String::new();
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    Tok::Lit(format!("r{hashes}\"{text}\"{hashes}").into())
}

/// A sequence of token trees.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenStream(pub(crate) Vec<Tok>);

impl TokenStream {
    pub fn new() -> Self {
        TokenStream(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        TokenStream(Vec::with_capacity(n))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tokens.
    pub fn toks(&self) -> &[Tok] {
        &self.0
    }

    pub fn into_toks(self) -> Vec<Tok> {
        self.0
    }

    #[doc(hidden)]
    pub fn push(&mut self, t: Tok) {
        self.0.push(t);
    }

    #[doc(hidden)]
    pub fn push_spelled(&mut self, s: &'static str) {
        self.0.push(Tok::spelled(s));
    }

    #[doc(hidden)]
    pub fn push_group(&mut self, d: Delim, inner: TokenStream) {
        self.0.push(Tok::Group(d, Rc::new(inner.0)));
    }

    /// As proc-macro2's token stream (through its text: for tests).
    pub fn to_proc_macro2(&self) -> proc_macro2::TokenStream {
        self.to_string().parse().unwrap_or_else(|e| panic!("generated tokens do not lex: {e}"))
    }
}

impl IntoIterator for TokenStream {
    type Item = Tok;
    type IntoIter = std::vec::IntoIter<Tok>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Extend<TokenStream> for TokenStream {
    fn extend<I: IntoIterator<Item = TokenStream>>(&mut self, iter: I) {
        for ts in iter {
            if self.0.is_empty() {
                self.0 = ts.0;
            } else {
                self.0.extend(ts.0);
            }
        }
    }
}

impl Extend<Tok> for TokenStream {
    fn extend<I: IntoIterator<Item = Tok>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl FromIterator<TokenStream> for TokenStream {
    fn from_iter<I: IntoIterator<Item = TokenStream>>(iter: I) -> Self {
        let mut ts = TokenStream::new();
        ts.extend(iter);
        ts
    }
}

impl FromIterator<Tok> for TokenStream {
    fn from_iter<I: IntoIterator<Item = Tok>>(iter: I) -> Self {
        TokenStream(iter.into_iter().collect())
    }
}

/// Written as proc-macro2 writes its token streams: a space between tokens, `{ ... }` braces.
impl fmt::Display for TokenStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn write(toks: &[Tok], f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for (i, t) in toks.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                match t {
                    Tok::Word(s) | Tok::Lit(s) | Tok::Life(s) => f.write_str(s)?,
                    Tok::Op(o) => f.write_str(o)?,
                    Tok::Group(d, inner) => {
                        let (open, close) = match d {
                            Delim::Paren => ("(", ")"),
                            Delim::Bracket => ("[", "]"),
                            Delim::Brace => ("{ ", "}"),
                        };
                        f.write_str(open)?;
                        write(inner, f)?;
                        if *d == Delim::Brace && !inner.is_empty() {
                            f.write_str(" ")?;
                        }
                        f.write_str(close)?;
                    }
                }
            }
            Ok(())
        }
        write(&self.0, f)
    }
}

/// What `#var` in `quote!` writes.
pub trait ToTokens {
    fn to_tokens(&self, ts: &mut TokenStream);

    fn to_token_stream(&self) -> TokenStream {
        let mut ts = TokenStream::new();
        self.to_tokens(&mut ts);
        ts
    }
}

impl ToTokens for TokenStream {
    fn to_tokens(&self, ts: &mut TokenStream) {
        ts.0.extend(self.0.iter().cloned());
    }
}

impl ToTokens for Tok {
    fn to_tokens(&self, ts: &mut TokenStream) {
        ts.0.push(self.clone());
    }
}

impl<T: ToTokens + ?Sized> ToTokens for &T {
    fn to_tokens(&self, ts: &mut TokenStream) {
        (**self).to_tokens(ts);
    }
}

impl<T: ToTokens + ?Sized> ToTokens for Box<T> {
    fn to_tokens(&self, ts: &mut TokenStream) {
        (**self).to_tokens(ts);
    }
}

impl<T: ToTokens> ToTokens for Option<T> {
    fn to_tokens(&self, ts: &mut TokenStream) {
        if let Some(t) = self {
            t.to_tokens(ts);
        }
    }
}

impl ToTokens for proc_macro2::Literal {
    fn to_tokens(&self, ts: &mut TokenStream) {
        ts.0.push(Tok::Lit(self.to_string().into()));
    }
}

/// A string literal (as the `quote` crate writes one).
impl ToTokens for str {
    fn to_tokens(&self, ts: &mut TokenStream) {
        // printable ASCII (most docs) needs only `"` and `\` escaped
        if self.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            let mut lit = String::with_capacity(self.len() + 2);
            lit.push('"');
            let mut rest = self;
            while let Some(at) = rest.find(['"', '\\']) {
                lit.push_str(&rest[..at]);
                lit.push('\\');
                lit.push_str(&rest[at..at + 1]);
                rest = &rest[at + 1..];
            }
            lit.push_str(rest);
            lit.push('"');
            ts.0.push(Tok::Lit(lit.into()));
        } else {
            proc_macro2::Literal::string(self).to_tokens(ts);
        }
    }
}

impl ToTokens for String {
    fn to_tokens(&self, ts: &mut TokenStream) {
        self.as_str().to_tokens(ts);
    }
}

impl ToTokens for char {
    fn to_tokens(&self, ts: &mut TokenStream) {
        proc_macro2::Literal::character(*self).to_tokens(ts);
    }
}

impl ToTokens for bool {
    fn to_tokens(&self, ts: &mut TokenStream) {
        ts.0.push(Tok::Word(Str::Static(if *self { "true" } else { "false" })));
    }
}

macro_rules! suffixed {
    ($($t:ty => $f:ident),*) => {$(
        /// A suffixed literal (`1u16`), as the `quote` crate writes one.
        impl ToTokens for $t {
            fn to_tokens(&self, ts: &mut TokenStream) {
                proc_macro2::Literal::$f(*self).to_tokens(ts);
            }
        }
    )*};
}
suffixed!(u8 => u8_suffixed, u16 => u16_suffixed, u32 => u32_suffixed, u64 => u64_suffixed,
    usize => usize_suffixed, i8 => i8_suffixed, i16 => i16_suffixed, i32 => i32_suffixed,
    i64 => i64_suffixed, isize => isize_suffixed);

/// How `#(...)*` iterates: an iterator by value, a collection by reference (as the `quote`
/// crate does, so a `Vec` can be repeated over and used again).
#[doc(hidden)]
pub mod rep {
    pub trait ByValue: Iterator + Sized {
        fn rep_iter(self) -> Self {
            self
        }
    }
    impl<I: Iterator> ByValue for I {}

    pub trait ByRef<'q> {
        type Iter: Iterator;
        fn rep_iter(&'q self) -> Self::Iter;
    }
    impl<'q, T: 'q> ByRef<'q> for [T] {
        type Iter = std::slice::Iter<'q, T>;
        fn rep_iter(&'q self) -> Self::Iter {
            self.iter()
        }
    }
    impl<'q, T: 'q> ByRef<'q> for Vec<T> {
        type Iter = std::slice::Iter<'q, T>;
        fn rep_iter(&'q self) -> Self::Iter {
            self.iter()
        }
    }
    impl<'q, T: 'q, const N: usize> ByRef<'q> for [T; N] {
        type Iter = std::slice::Iter<'q, T>;
        fn rep_iter(&'q self) -> Self::Iter {
            self.iter()
        }
    }
    impl<'q, T: 'q> ByRef<'q> for std::collections::BTreeSet<T> {
        type Iter = std::collections::btree_set::Iter<'q, T>;
        fn rep_iter(&'q self) -> Self::Iter {
            self.iter()
        }
    }
}

/// Token trees spelled as Rust, with `#var` and `#(...)*` interpolation (module docs).
macro_rules! quote {
    () => { $crate::tokens::TokenStream::new() };
    ($($tt:tt)+) => {{
        let mut _s = $crate::tokens::TokenStream::with_capacity(<[()]>::len(&[$($crate::tokens::unit!($tt)),+]));
        $crate::tokens::quote_into!(_s; $($tt)+);
        _s
    }};
}

/// `quote!` into an existing stream: the token muncher behind `quote!`.
macro_rules! quote_into {
    ($s:ident;) => {};
    // `#(...)*`, `#(...) SEP *`: repeated over the `#var` inside
    ($s:ident; # ( $($body:tt)* ) * $($rest:tt)*) => {
        $crate::tokens::quote_rep!($s [] ($($body)*) $($body)*);
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; # ( $($body:tt)* ) $sep:tt * $($rest:tt)*) => {
        $crate::tokens::quote_rep!($s [$sep] ($($body)*) $($body)*);
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; # $v:ident $($rest:tt)*) => {
        $crate::tokens::ToTokens::to_tokens(&$v, &mut $s);
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; ( $($g:tt)* ) $($rest:tt)*) => {
        $s.push_group($crate::tokens::Delim::Paren, $crate::tokens::quote!($($g)*));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; [ $($g:tt)* ] $($rest:tt)*) => {
        $s.push_group($crate::tokens::Delim::Bracket, $crate::tokens::quote!($($g)*));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; { $($g:tt)* } $($rest:tt)*) => {
        $s.push_group($crate::tokens::Delim::Brace, $crate::tokens::quote!($($g)*));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    // what a token is, known here (operators and `_` are told apart at run time)
    ($s:ident; $w:ident $($rest:tt)*) => {
        $s.push($crate::tokens::Tok::Word($crate::tokens::Str::Static(stringify!($w))));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; $l:lifetime $($rest:tt)*) => {
        $s.push($crate::tokens::Tok::Life($crate::tokens::Str::Static(stringify!($l))));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    // before `literal`, which would take `- 1` as one literal
    ($s:ident; - $($rest:tt)*) => {
        $s.push($crate::tokens::Tok::Op("-"));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; $l:literal $($rest:tt)*) => {
        $s.push($crate::tokens::Tok::Lit($crate::tokens::Str::Static(stringify!($l))));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
    ($s:ident; $t:tt $($rest:tt)*) => {
        $s.push_spelled(stringify!($t));
        $crate::tokens::quote_into!($s; $($rest)*);
    };
}

/// A repetition's loop: finds the `#var` in the body (`$($scan)*`), then writes the body once
/// for each of its items.
macro_rules! quote_rep {
    ($s:ident [$($sep:tt)?] ($($body:tt)*) # $v:ident $($scan:tt)*) => {{
        #[allow(unused_imports)]
        use $crate::tokens::rep::{ByRef as _, ByValue as _};
        let mut _first = true;
        for $v in $v.rep_iter() {
            if !_first {
                $( $s.push_spelled(stringify!($sep)); )?
            }
            _first = false;
            $crate::tokens::quote_into!($s; $($body)*);
        }
    }};
    ($s:ident [$($sep:tt)?] ($($body:tt)*) ( $($g:tt)* ) $($scan:tt)*) => {
        $crate::tokens::quote_rep!($s [$($sep)?] ($($body)*) $($g)* $($scan)*)
    };
    ($s:ident [$($sep:tt)?] ($($body:tt)*) [ $($g:tt)* ] $($scan:tt)*) => {
        $crate::tokens::quote_rep!($s [$($sep)?] ($($body)*) $($g)* $($scan)*)
    };
    ($s:ident [$($sep:tt)?] ($($body:tt)*) { $($g:tt)* } $($scan:tt)*) => {
        $crate::tokens::quote_rep!($s [$($sep)?] ($($body)*) $($g)* $($scan)*)
    };
    ($s:ident [$($sep:tt)?] ($($body:tt)*) $t:tt $($scan:tt)*) => {
        $crate::tokens::quote_rep!($s [$($sep)?] ($($body)*) $($scan)*)
    };
}

/// `()` for a token tree: counts them (`<[()]>::len(&[$(unit!($tt)),*])`).
macro_rules! unit {
    ($t:tt) => {
        ()
    };
}

pub(crate) use {format_ident, quote, quote_into, quote_rep, unit};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_are_written_as_proc_macro2_writes_them() {
        for s in ["plain doc", "a \"quoted\" word", r"back\slash \\ two", "it's", "tab\there", "é ü", "nul\0", ""] {
            let ours = quote!(#s).to_string();
            assert_eq!(ours, proc_macro2::Literal::string(s).to_string(), "{s:?}");
            assert_eq!(crate::emit::print::string_value(&ours).as_deref(), Some(s), "{s:?}");
        }
    }

    #[test]
    fn tokens_are_told_apart_as_rustc_lexes_them() {
        let ts = quote!(
            fn f<'a>(x: &'a [u8]) -> i32 {
                -1 + 'c' as i32 + b'x' as i32 + r#type::<_>()
            }
        );
        let back: proc_macro2::TokenStream = ts.to_string().parse().unwrap();
        assert_eq!(back.to_string(), ts.to_proc_macro2().to_string());
        let words: Vec<String> = ts.toks().iter().map(|t| format!("{t:?}")).collect();
        assert!(words.iter().any(|w| w == "Life(Static(\"'a\"))"), "{words:?}");
        let Some(Tok::Group(Delim::Brace, body)) = ts.toks().last() else { panic!("{words:?}") };
        assert!(matches!(&body[..2], [Tok::Op("-"), Tok::Lit(l)] if *l == "1"));
        assert!(body.iter().any(|t| matches!(t, Tok::Lit(l) if *l == "'c'")));
        assert!(body.iter().any(|t| matches!(t, Tok::Lit(l) if *l == "b'x'")));
        assert!(body.iter().any(|t| matches!(t, Tok::Word(w) if *w == "r#type")));
    }

    #[test]
    fn repetitions_iterate_the_one_variable_inside() {
        let xs = vec![quote!(a), quote!(b)];
        let names = ["x", "y"];
        let ts = quote!(#(#xs)* [#(Self::#xs),*] #(#names;)*);
        assert_eq!(ts.to_string(), "a b [Self :: a , Self :: b] \"x\" ; \"y\" ;");
        // a collection can be used again
        assert_eq!(xs.len(), 2);
    }
}

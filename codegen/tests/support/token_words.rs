//! How the printer's tests compare printed text with the tokens it was given (used by the
//! unit tests of `src/emit/print.rs` and by `client_corpus.rs`).

/// `ts` as its tokens' texts: spacing ignored, string literals by value, no comma before a
/// closing delimiter.
pub fn token_words(ts: proc_macro2::TokenStream) -> Vec<String> {
    use proc_macro2::{Delimiter, TokenTree};
    let mut v: Vec<String> = Vec::new();
    for t in ts {
        // a closure's or an arm's body in braces is the body (prettyplease adds them)
        if let TokenTree::Group(g) = &t {
            let after_body_start = v.last().is_some_and(|l| l == "|") || v.ends_with(&["=".into(), ">".into()]);
            let one_expr = !g.stream().is_empty()
                && !g.stream().into_iter().any(|t| matches!(&t, TokenTree::Punct(p) if p.as_char() == ';'));
            if g.delimiter() == Delimiter::Brace && after_body_start && one_expr {
                let arm = v.last().is_some_and(|l| l == ">");
                v.extend(token_words(g.stream()));
                if arm {
                    v.push(",".into());
                }
                continue;
            }
        }
        match t {
            TokenTree::Group(g) => {
                let (o, c) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                v.push(o.to_string());
                v.extend(token_words(g.stream()));
                v.push(c.to_string());
            }
            TokenTree::Literal(l) => match syn::parse_str::<syn::LitStr>(&l.to_string()) {
                // a doc comment's trailing blanks are not printed
                Ok(s) if v.ends_with(&["doc".into(), "=".into()]) => v.push(format!("{:?}", s.value().trim_end())),
                Ok(s) => v.push(format!("{:?}", s.value())),
                Err(_) => v.push(l.to_string()),
            },
            TokenTree::Punct(p) => v.push(p.as_char().to_string()),
            TokenTree::Ident(i) => v.push(i.to_string()),
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for w in v {
        if matches!(w.as_str(), ")" | "]" | "}" | ">" | "|") && out.last().is_some_and(|l| l == ",") {
            out.pop();
        }
        // nor one after a block (a match arm's)
        if w == "," && out.last().is_some_and(|l| l == "}") {
            continue;
        }
        out.push(w);
    }
    out
}

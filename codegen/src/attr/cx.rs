//! The generation context both emitters pass to the kinds ([`Cx`]: the family and its name
//! table, with the Rust names of every generated item of both sides) and small token helpers
//! shared by the kinds and the emitters.

use crate::tokens::{format_ident, quote, Delim, Ident, Tok, TokenStream};

use super::names::TypeNames;
use nlspec_model::ir::{self, AttrType, EnumId, EnumKind, Family, SetId, StructId};

/// What token generation needs: the family and the names of its generated types.
pub struct Cx<'f> {
    /// The family being emitted.
    pub fam: &'f Family,
    /// Rust names of its generated types.
    pub names: TypeNames,
}

/// An identifier (raw identifiers are not needed: [`nlspec_model::names`] already escapes keywords).
pub fn ident(s: &str) -> Ident {
    Ident::new(s)
}

impl<'f> Cx<'f> {
    /// Context for `fam`, with collision-free type names.
    pub fn new(fam: &'f Family) -> Self {
        Cx { fam, names: TypeNames::new(fam) }
    }
    /// View type of a set (`Entry`).
    pub fn set_ty(&self, id: SetId) -> Ident {
        ident(&self.names.sets[id.0])
    }
    /// Owned type of a set (`EntryOwned`).
    pub fn set_owned(&self, id: SetId) -> Ident {
        ident(&format!("{}Owned", self.names.sets[id.0]))
    }
    /// Encoder type of a set (`EntryEncoder`).
    pub fn set_encoder(&self, id: SetId) -> Ident {
        ident(&format!("{}Encoder", self.names.sets[id.0]))
    }
    /// Encoder of arrays whose elements are nests of a set (`TagArrayEncoder`).
    pub fn set_array_encoder(&self, id: SetId) -> Ident {
        ident(&format!("{}ArrayEncoder", self.names.sets[id.0]))
    }
    /// Schema table static of a set (`schema::ENTRY`).
    pub fn set_schema(&self, id: SetId) -> Ident {
        ident(&nlspec_model::names::screaming(&self.fam.set(id).name))
    }
    /// Module of a set's attribute-type constants (`attrs::entry`).
    /// A set named `attrs` gets `attrs_set` (not a module named like its parent).
    pub fn set_attrs_mod(&self, id: SetId) -> Ident {
        let m = nlspec_model::names::snake(&self.fam.set(id).name);
        ident(if m == "attrs" { "attrs_set" } else { &m })
    }
    /// Name of an attribute's type constant in its set's module (`KEY`).
    pub fn attr_const_name(a: &ir::Attr) -> Ident {
        ident(&nlspec_model::names::screaming(&a.name))
    }
    /// Path of an attribute's type constant (`attrs::entry::KEY`), usable as an expression
    /// and as a pattern.
    pub fn attr_const(&self, set: SetId, a: &ir::Attr) -> TokenStream {
        let m = self.set_attrs_mod(set);
        let c = Self::attr_const_name(a);
        quote!(attrs::#m::#c)
    }
    /// Rust type of enum `id`.
    pub fn enum_ty(&self, id: EnumId) -> Ident {
        ident(&self.names.enums[id.0])
    }
    /// Integer type behind enum `id` (`u32`, or `u64` for wide values).
    pub fn enum_repr(&self, id: EnumId) -> Ident {
        ident(self.names.enum_repr[id.0])
    }
    /// Rust type of struct `id`.
    pub fn struct_ty(&self, id: StructId) -> Ident {
        ident(&self.names.structs[id.0])
    }
    /// Kernel: typed view of a received nest of a set (`EntryView`).
    pub fn set_view(&self, id: SetId) -> Ident {
        format_ident!("{}View", self.names.sets[id.0])
    }
    /// Kernel: writer of a nest of a set (`EntryWriter`).
    pub fn set_writer(&self, id: SetId) -> Ident {
        format_ident!("{}Writer", self.names.sets[id.0])
    }
    /// Kernel: writer of an indexed array of nests of a set (`EntryArray`).
    pub fn set_array_writer(&self, id: SetId) -> Ident {
        format_ident!("{}Array", self.names.sets[id.0])
    }
    /// Kernel: writer of type-value nests of a set (`EntrySlots`).
    pub fn set_slots_writer(&self, id: SetId) -> Ident {
        format_ident!("{}Slots", self.names.sets[id.0])
    }
    /// Kernel: trait of the setters of a set's attributes (`EntryAttrs`).
    pub fn set_attrs_trait(&self, id: SetId) -> Ident {
        format_ident!("{}Attrs", self.names.sets[id.0])
    }
    /// Kernel: policy table of a nest of a set (`ENTRY_NEST_POLICY`).
    pub fn nest_policy(&self, id: SetId) -> Ident {
        format_ident!("{}_NEST_POLICY", nlspec_model::names::screaming(&self.fam.set(id).name))
    }
    /// Kernel: the policy value-check type of an enum (`KindCheck`).
    pub fn enum_check(&self, id: EnumId) -> Ident {
        format_ident!("{}Check", self.names.enums[id.0])
    }
    /// Whether the set's owned form must be boxed when nested.
    pub fn boxed(&self, id: SetId) -> bool {
        self.names.recursive[id.0]
    }
    /// Type of an integer-valued attribute's value as the user sees it: an enum or flags
    /// newtype if it names one, else the plain integer.
    pub fn int_value_ty(&self, a: &ir::Attr, plain: &TokenStream) -> TokenStream {
        match self.value_enum(a.enum_, a.enum_as_flags) {
            Some(e) => {
                let t = self.enum_ty(e);
                quote!(#t)
            }
            None => plain.clone(),
        }
    }
    /// The enum/flags newtype a value is typed with: its `enum`, unless `enum-as-flags` names
    /// a plain enum (whose values are bit numbers, so the mask stays a plain integer).
    pub fn value_enum(&self, e: Option<EnumId>, as_flags: bool) -> Option<EnumId> {
        value_enum(self.fam, e, as_flags)
    }
}

/// The enum/flags definition a value is typed with (see [`Cx::value_enum`]); shared by the
/// client and kernel emitters.
pub fn value_enum(f: &Family, e: Option<EnumId>, as_flags: bool) -> Option<EnumId> {
    e.filter(|e| !as_flags || f.enum_(*e).kind == EnumKind::Flags)
}

/// Rust integer type of a fixed-width or variable-width YNL integer type.
pub fn int_ty(t: AttrType) -> Option<TokenStream> {
    Some(match t {
        AttrType::U8 => quote!(u8),
        AttrType::U16 => quote!(u16),
        AttrType::U32 => quote!(u32),
        AttrType::U64 | AttrType::Uint => quote!(u64),
        AttrType::S8 => quote!(i8),
        AttrType::S16 => quote!(i16),
        AttrType::S32 => quote!(i32),
        AttrType::S64 | AttrType::Sint => quote!(i64),
        _ => return None,
    })
}

/// `recv.map(|v| body)` for a closure over `v`, written without the closure where it is the
/// identity (`recv`) or a call of a path on `v` alone (`recv.map(path)`), as clippy wants.
pub fn map_v(recv: TokenStream, body: &TokenStream) -> TokenStream {
    match closure_shape(body) {
        Shape::Identity => recv,
        Shape::PathCall(path) => quote!(#recv.map(#path)),
        Shape::Other => quote!(#recv.map(|v| #body)),
    }
}

enum Shape {
    Identity,
    PathCall(TokenStream),
    Other,
}

/// Whether `body` (over the variable `v`) is `v` itself or `some::path(v)`.
fn closure_shape(body: &TokenStream) -> Shape {
    let is_v = |t: &Tok| matches!(t, Tok::Word(w) if *w == "v");
    match body.toks() {
        [t] if is_v(t) => Shape::Identity,
        [path @ .., Tok::Group(Delim::Paren, inner)]
            if !path.is_empty()
                && matches!(inner.as_slice(), [t] if is_v(t))
                && path.iter().all(|t| matches!(t, Tok::Word(_) | Tok::Op(_))) =>
        {
            Shape::PathCall(path.iter().cloned().collect())
        }
        _ => Shape::Other,
    }
}

/// Whether `ts` is the one token `word` (an identifier or a literal): a cheaper
/// `ts.to_string() == word` for the emitters' checks of what a kind gave them.
pub fn is_token(ts: &TokenStream, word: &str) -> bool {
    matches!(ts.toks(), [Tok::Word(w) | Tok::Lit(w)] if *w == word)
}

/// Whether `ts` holds the punctuation `c` anywhere (inside groups too).
pub fn has_punct(ts: &TokenStream, c: char) -> bool {
    fn any(toks: &[Tok], c: char) -> bool {
        toks.iter().any(|t| match t {
            Tok::Op(o) => o.contains(c),
            Tok::Group(_, inner) => any(inner, c),
            _ => false,
        })
    }
    any(ts.toks(), c)
}

/// `expr as to`, or `expr` when it already has type `to` (`from`).
pub fn cast(expr: TokenStream, from: &TokenStream, to: &TokenStream) -> TokenStream {
    if from == to {
        expr
    } else {
        quote!(#expr as #to)
    }
}

/// The nesting depth below `depth`: `depth + 1`, or the literal `1` below a literal `0`
/// (no `0 + 1` in generated code).
pub fn next_depth(depth: &TokenStream) -> TokenStream {
    if is_token(depth, "0") {
        quote!(1)
    } else {
        quote!(#depth + 1)
    }
}

/// Whether `ts` uses the variable `depth` (the nesting depth a getter binds for the nested
/// views it makes): an identifier, not text in a literal (an attribute named `depth-ids`).
pub fn uses_depth(ts: &TokenStream) -> bool {
    fn any(toks: &[Tok]) -> bool {
        toks.iter().any(|t| match t {
            Tok::Word(w) => *w == "depth",
            Tok::Group(_, inner) => any(inner),
            _ => false,
        })
    }
    any(ts.toks())
}

/// Whether `ts` reads the view's `self.depth` (a getter named `depth` does not).
pub fn reads_self_depth(ts: &TokenStream) -> bool {
    fn any(toks: &[Tok]) -> bool {
        toks.windows(3)
            .any(|w| matches!(w, [Tok::Word(s), Tok::Op("."), Tok::Word(d)] if *s == "self" && *d == "depth"))
            || toks.iter().any(|t| matches!(t, Tok::Group(_, inner) if any(inner)))
    }
    any(ts.toks())
}

/// `Ok(conv)` as a closure's result; a conversion that ends in `?` is the result itself
/// (without it: no `Ok(x?)`).
pub fn ok_of(conv: TokenStream) -> TokenStream {
    if let [rest @ .., Tok::Op("?")] = conv.toks() {
        return rest.iter().cloned().collect();
    }
    quote!(::core::result::Result::<_, ::nlspec_rt::DecodeError>::Ok(#conv))
}

/// A literal `u16` attribute type number.
pub fn ty_lit(v: u16) -> proc_macro2::Literal {
    proc_macro2::Literal::u16_unsuffixed(v)
}

/// Method names the generated client types use themselves; an attribute with one of these
/// names gets the suffix `_attr` on its getter/setter.
const RESERVED_METHODS: &[&str] = &[
    "new",
    "decode",
    "decode_nested",
    "decode_with",
    "raw",
    "unknown_attrs",
    "to_owned",
    "item",
    "item_at",
    "nlm_flags",
    "encoded_attrs",
    "fixed_header",
    "default",
    "clone",
    "fmt",
    "into_inner",
    // netlink-raw do requests: NLM_F_CREATE / EXCL / REPLACE / APPEND
    "create",
    "excl",
    "replace",
    "append",
];

/// Client: getter/setter name of an attribute.
pub fn method_name(a: &ir::Attr) -> Ident {
    if RESERVED_METHODS.contains(&a.rust_name.as_str()) {
        format_ident!("{}_attr", a.rust_name)
    } else {
        ident(&a.rust_name)
    }
}

/// Rust expression for a spec's doc text as `#[doc]` attributes (nothing for `None`).
pub fn doc_attrs(doc: Option<&str>) -> TokenStream {
    match doc {
        Some(d) if !d.trim().is_empty() => {
            let lines = doc_lines(d).into_iter().map(|l| quote!(#[doc = #l]));
            quote!(#(#lines)*)
        }
        _ => TokenStream::new(),
    }
}

/// A spec's doc text as rustdoc lines (each with its leading space). Leading indentation is
/// dropped (rustdoc would read it as a code block), except that the lines continuing a
/// markdown list item are indented to the item's text (rendered the same, and not a lazy
/// continuation).
pub fn doc_lines(d: &str) -> Vec<String> {
    let mut cont = 0usize; // indentation of the current list item's continuation lines
    d.trim_end()
        .lines()
        .map(|l| {
            let t = l.trim();
            if t.is_empty() {
                cont = 0;
            } else if let Some(w) = list_marker_width(t) {
                cont = w;
            } else {
                return format!(" {}{t}", " ".repeat(cont));
            }
            format!(" {t}")
        })
        .collect()
}

/// Width of the markdown list marker starting `line` with its space (`- `, `* `, `+ `,
/// `1. `, `2) `), if it starts with one.
fn list_marker_width(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line.as_bytes()[digits..];
    let marker = match (digits, rest) {
        (0, [b'-' | b'*' | b'+', b' ', ..]) => 1,
        (1..=9, [b'.' | b')', b' ', ..]) => digits + 1,
        _ => return None,
    };
    Some(marker + 1)
}

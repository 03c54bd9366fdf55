//! Rust (and C) identifiers from YNL names (`family-id`, `ipv4-or-v6`, `6lowpan`, `type`).

/// Rust keywords (strict and reserved, all editions) that cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Is `s` a Rust keyword?
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// `family-id` → `family_id`; keywords get a trailing `_` (`type` → `type_`); a leading digit
/// gets a leading `_` (`6lowpan` → `_6lowpan`); an empty result becomes `_`.
pub fn snake(name: &str) -> String {
    ident_fixup(joined(name, "_", |b, _| b.to_ascii_lowercase()), true)
}

/// The words of a YNL name (split at `-`, `_`, `.`, spaces and any other non-alphanumeric
/// character) joined by `sep`, each byte mapped by `f(byte, index in its word)`.
fn joined(name: &str, sep: &str, f: impl Fn(u8, usize) -> u8) -> String {
    let mut s = String::with_capacity(name.len() + 1);
    for w in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !s.is_empty() {
            s.push_str(sep);
        }
        // words are ASCII alphanumerics only
        s.extend(w.bytes().enumerate().map(|(i, b)| char::from(f(b, i))));
    }
    s
}

/// `family-id` → `FamilyId`; a leading digit gets a leading `_` (`6lowpan` → `_6lowpan`);
/// keywords get a trailing `_` (`Self` → `Self_`).
pub fn upper_camel(name: &str) -> String {
    let s = joined(name, "", |b, i| if i == 0 { b.to_ascii_uppercase() } else { b.to_ascii_lowercase() });
    ident_fixup(s, true)
}

/// `family-id` → `FAMILY_ID` (Rust consts); leading digit gets `_`.
pub fn screaming(name: &str) -> String {
    ident_fixup(joined(name, "_", |b, _| b.to_ascii_uppercase()), false)
}

/// Make `s` a valid identifier: empty → `_`, a leading digit gets a leading `_`, and (when
/// `keywords`) a keyword gets a trailing `_`.
fn ident_fixup(mut s: String, keywords: bool) -> String {
    if s.is_empty() {
        return "_".into();
    }
    if s.as_bytes()[0].is_ascii_digit() {
        s.insert(0, '_');
    }
    if keywords && is_keyword(&s) {
        s.push('_');
    }
    s
}

/// C upper-case rendering as the kernel's generator does: `-` → `_`, upper-cased.
pub fn c_upper(name: &str) -> String {
    name.replace(['-', '.'], "_").to_ascii_uppercase()
}

/// C lower-case rendering: `-` → `_`, lower-cased.
pub fn c_lower(name: &str) -> String {
    name.replace(['-', '.'], "_").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("family-id"), "family_id");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("do"), "do_");
        assert_eq!(snake("6lowpan"), "_6lowpan");
        assert_eq!(snake("IFLA_X"), "ifla_x");
        assert_eq!(upper_camel("family-id"), "FamilyId");
        assert_eq!(upper_camel("ipv4-or-v6"), "Ipv4OrV6");
        assert_eq!(upper_camel("6lowpan"), "_6lowpan");
        assert_eq!(upper_camel("self"), "Self_");
        assert_eq!(screaming("u32-max"), "U32_MAX");
        assert_eq!(c_upper("family-id"), "FAMILY_ID");
    }
}

//! Attribute-name tables: the hook through which generated code lets the runtime name
//! attributes in kernel error paths.
//!
//! The runtime only knows numbers. When the kernel's extended ACK points at an offset inside
//! the request, the runtime walks the request bytes and, where an [`AttrSet`] is available,
//! turns the type numbers into names (`.ops[2].flags`); without one it falls back to numbers
//! (`.6.2.2`: without a table an array cannot be told from a nest). Generated clients emit these tables as `static`s (they may refer to each other,
//! cycles included) and attach the root set to each request via
//! [`crate::Request::schema`].

/// An attribute set: the attributes one nest level may contain.
#[derive(Debug)]
pub struct AttrSet {
    /// The set's spec name (e.g. `"ctrl-attrs"`).
    pub name: &'static str,
    /// Its attributes (any order).
    pub attrs: &'static [AttrInfo],
}

/// One attribute of an [`AttrSet`].
#[derive(Debug)]
pub struct AttrInfo {
    /// Type number.
    pub ty: u16,
    /// Spec name (e.g. `"family-name"`).
    pub name: &'static str,
    /// What its payload contains.
    pub nest: NestKind,
}

/// What an attribute's payload is, as far as path naming is concerned.
#[derive(Debug, Clone, Copy)]
pub enum NestKind {
    /// A scalar, string or binary: the path ends here.
    None,
    /// A nest of attributes from the given set.
    Nest(&'static AttrSet),
    /// An indexed array (or nest-type-value): children's types are indices (`[i]`); each child
    /// is a nest of the given set, or a scalar when `None`.
    Array(Option<&'static AttrSet>),
    /// Nested, but the inner names are unknown (e.g. a sub-message): numeric path.
    Opaque,
}

impl AttrSet {
    /// Look up an attribute by type number.
    pub fn get(&self, ty: u16) -> Option<&'static AttrInfo> {
        self.attrs.iter().find(|a| a.ty == ty)
    }
    /// The name of attribute `ty`, if known.
    pub fn name_of(&self, ty: u16) -> Option<&'static str> {
        self.get(ty).map(|a| a.name)
    }
}

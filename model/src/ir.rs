//! Resolved model (IR) of one YNL family: what every emitter and the dynamic CLI consume.
//!
//! Produced by [`crate::resolve`] from a [`crate::spec::Spec`] that passed validation, so every
//! reference in here is valid: ids index straight into the `Family` vectors (use the lookup
//! helpers on [`Family`]), attribute and command numbers are final, subsets are merged with
//! their parent's definitions, and `checks` bounds are concrete numbers.
//!
//! Naming: `name` fields keep the spec's spelling (`family-id`); `rust_name` is the Rust
//! identifier (UpperCamel for types and variants, snake_case for fields/methods, keywords
//! escaped — see [`crate::names`]); `c_name` fields are the C uAPI names (as the kernel's
//! ynl-gen-c would render them), useful for docs and for kernel-side cross-checks.

pub use crate::spec::{ByteOrder, DisplayHint, DontValidate, EnumModel, KernelPolicy, Protocol, Scope};

/// Index of an attribute set in [`Family::sets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetId(pub usize);

/// An attribute: set plus index into [`AttrSet::attrs`] (NOT the attribute's wire value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrRef {
    /// The set.
    pub set: SetId,
    /// Index into the set's `attrs`.
    pub idx: usize,
}

/// Index of an enum or flags definition in [`Family::enums`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub usize);

/// Index of a struct definition in [`Family::structs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructId(pub usize);

/// Index of a const definition in [`Family::consts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConstId(pub usize);

/// Index of an operation in [`Operations::list`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub usize);

/// Index of a multicast group in [`Family::mcast_groups`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct McgrpId(pub usize);

/// Index of a sub-message in [`Family::sub_messages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubMsgId(pub usize);

/// A definition in spec order (see [`Family::definitions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefRef {
    /// A const.
    Const(ConstId),
    /// An enum or flags.
    Enum(EnumId),
    /// A struct.
    Struct(StructId),
}

/// One resolved family.
#[derive(Debug, Clone)]
pub struct Family {
    /// Family name as in the spec (`nlctrl`); the name registered with / resolved via nlctrl.
    pub name: String,
    /// Rust names derived from the family name.
    pub rust_name: String,
    /// snake_case of the family name (crate / module names).
    pub rust_mod: String,
    /// Spec file the family was loaded from (as given to the loader).
    pub source: String,
    /// Protocol level (spec `protocol`, default genetlink).
    pub protocol: Protocol,
    /// Spec documentation.
    pub doc: Option<String>,
    /// Family version (spec `version`, default 1).
    pub version: u32,
    /// netlink-raw: the netlink protocol number.
    pub protonum: Option<u32>,
    /// Kernel policy layout (default `split`).
    pub kernel_policy: KernelPolicy,
    /// C naming keys, with defaults applied.
    pub c: CNaming,
    /// `kernel-family` keys.
    pub kernel_family: KernelFamily,
    /// All definitions in spec order.
    pub definitions: Vec<DefRef>,
    /// Const definitions.
    pub consts: Vec<Const>,
    /// Enums and flags.
    pub enums: Vec<Enum>,
    /// Struct definitions.
    pub structs: Vec<Struct>,
    /// Attribute sets in spec order.
    pub sets: Vec<AttrSet>,
    /// Sub-messages (netlink-raw).
    pub sub_messages: Vec<SubMessage>,
    /// Operations.
    pub ops: Operations,
    /// Multicast groups in spec order.
    pub mcast_groups: Vec<McastGroup>,
    /// Non-fatal findings (quirks tolerated because upstream specs have them, e.g. an attribute
    /// listed twice in an op, a key that has no meaning for the attribute's type). Located like
    /// errors; `nlspec check` prints them.
    pub warnings: Vec<crate::diag::Diagnostic>,
}

/// C naming keys (genetlink-c and up), defaults applied.
#[derive(Debug, Clone)]
pub struct CNaming {
    /// uAPI header path; default `linux/<family>.h`.
    pub uapi_header: String,
    /// Define holding the family name; default `<FAMILY>_FAMILY_NAME`.
    pub c_family_name: String,
    /// Define holding the version; default `<FAMILY>_FAMILY_VERSION`.
    pub c_version_name: String,
    /// Counts are rendered as defines rather than enum members.
    pub max_by_define: bool,
    /// Name of the last-command member/define; default `<command prefix>MAX`
    /// (e.g. `CTRL_CMD_MAX`).
    pub cmd_max_name: String,
    /// Name of the command count member; default `__<command prefix>MAX`.
    pub cmd_cnt_name: String,
}

/// `kernel-family`.
#[derive(Debug, Clone, Default)]
pub struct KernelFamily {
    /// Extra headers for the kernel C code.
    pub headers: Vec<String>,
    /// C type of the per-socket private data.
    pub sock_priv: Option<String>,
}

/// A `const` definition.
#[derive(Debug, Clone)]
pub struct Const {
    /// Spec name.
    pub name: String,
    /// SCREAMING_SNAKE Rust const name.
    pub rust_name: String,
    /// C define name (`<FAMILY>_<NAME>`).
    pub c_name: String,
    /// Spec documentation.
    pub doc: Option<String>,
    /// Header that already defines it (the value in the spec may then be a placeholder).
    pub header: Option<String>,
    /// Where it is rendered (default uapi).
    pub scope: Scope,
    /// Its value.
    pub value: ConstValue,
}

/// Value of a const.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstValue {
    /// An integer value.
    Int(i128),
    /// A literal string value (e.g. a C expression).
    Str(String),
}

/// enum or flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnumKind {
    /// Values are listed one by one.
    Enum,
    /// Entries are bits; a value is a set of them.
    Flags,
}

/// An `enum` or `flags` definition.
#[derive(Debug, Clone)]
pub struct Enum {
    /// Spec name.
    pub name: String,
    /// UpperCamel Rust type name.
    pub rust_name: String,
    /// Enum or flags.
    pub kind: EnumKind,
    /// Spec documentation.
    pub doc: Option<String>,
    /// Header already defining it (C).
    pub header: Option<String>,
    /// Where it is rendered (default uapi).
    pub scope: Scope,
    /// Entries in spec order.
    pub entries: Vec<EnumEntry>,
    /// Render a max member.
    pub render_max: bool,
    /// C enum type name; `None` = anonymous. Default `<family>_<name>`.
    pub c_enum_name: Option<String>,
    /// C prefix of entry names; default `<FAMILY>_<NAME>_`.
    pub c_name_prefix: String,
    /// genetlink-c: name of the render-max counter entry.
    pub enum_cnt_name: Option<String>,
}

/// One entry of an enum or flags.
#[derive(Debug, Clone)]
pub struct EnumEntry {
    /// Spec name.
    pub name: String,
    /// UpperCamel variant name.
    pub rust_name: String,
    /// C name: `c_name_prefix` + upper-cased name.
    pub c_name: String,
    /// Spec documentation.
    pub doc: Option<String>,
    /// The spec value: the enum value, or for flags the bit *index*.
    pub raw: u64,
    /// The value on the wire: equal to `raw` for enums, `1 << raw` for flags.
    pub value: u64,
}

impl Enum {
    /// Bit mask of all entries as flags (`1 << raw` each), for flags and enum-as-flags.
    pub fn flags_mask(&self) -> u64 {
        self.entries.iter().fold(0, |m, e| m | 1u64.checked_shl(e.raw as u32).unwrap_or(0))
    }
    /// Largest wire value (`value`) of any entry.
    pub fn max_value(&self) -> u64 {
        self.entries.iter().map(|e| e.value).max().unwrap_or(0)
    }
    /// Entry with wire value `v` (as flags: `1 << raw == v` for flags enums).
    pub fn entry_by_value(&self, v: u64) -> Option<&EnumEntry> {
        self.entries.iter().find(|e| e.value == v)
    }
    /// Entry by spec name.
    pub fn entry(&self, name: &str) -> Option<&EnumEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
    /// Whether the entry values are 0..n without holes (enum only).
    pub fn is_dense(&self) -> bool {
        let mut v: Vec<u64> = self.entries.iter().map(|e| e.value).collect();
        v.sort_unstable();
        v.iter().enumerate().all(|(i, x)| *x == v[0] + i as u64)
    }
}

/// A `struct` definition (genetlink-legacy / netlink-raw): a fixed C layout.
#[derive(Debug, Clone)]
pub struct Struct {
    /// Spec name.
    pub name: String,
    /// UpperCamel Rust type name.
    pub rust_name: String,
    /// Spec documentation.
    pub doc: Option<String>,
    /// Header already defining it (C).
    pub header: Option<String>,
    /// Where it is rendered (default uapi).
    pub scope: Scope,
    /// Members in layout order.
    pub members: Vec<Member>,
    /// Size in bytes as the members are laid out back to back (YNL structs are packed as
    /// listed; explicit `pad` members supply any padding). `None` if a member has no length.
    pub size: Option<usize>,
}

/// Member type.
pub use crate::spec::MemberType;

/// A struct member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Spec name.
    pub name: String,
    /// snake_case field name (keywords escaped).
    pub rust_name: String,
    /// Spec documentation.
    pub doc: Option<String>,
    /// Member type.
    pub ty: MemberType,
    /// Byte length: for scalars their width; for string/binary/pad the resolved `len`
    /// (definition names resolved); `None` if a string/binary has no `len`.
    pub len: Option<usize>,
    /// Byte offset in the struct (`None` after a member of unknown length).
    pub offset: Option<usize>,
    /// Explicit byte order (scalars); `None` = host order.
    pub byte_order: Option<ByteOrder>,
    /// Enum/flags definition of the value.
    pub enum_: Option<EnumId>,
    /// The enum's values are bit indexes of a mask.
    pub enum_as_flags: bool,
    /// How to print the value.
    pub display_hint: Option<DisplayHint>,
    /// Binary member laid out as this struct.
    pub struct_: Option<StructId>,
}

/// A resolved attribute set.
#[derive(Debug, Clone)]
pub struct AttrSet {
    /// Its own id.
    pub id: SetId,
    /// Spec name.
    pub name: String,
    /// UpperCamel Rust type name.
    pub rust_name: String,
    /// Spec documentation.
    pub doc: Option<String>,
    /// The parent if this is a subset (`subset-of`).
    pub subset_of: Option<SetId>,
    /// C prefix of attribute names; default `<FAMILY>_A_<SET>_` (inherited by subsets).
    pub c_name_prefix: String,
    /// C enum name; `None` = anonymous.
    pub c_enum_name: Option<String>,
    /// C name of the count member; default `__<prefix>MAX`.
    pub attr_cnt_name: String,
    /// C name of the max member; default `<prefix>MAX`.
    pub attr_max_name: String,
    /// Header already defining this set (C).
    pub header: Option<String>,
    /// Attributes in spec order; for a subset, the listed attributes with the parent's
    /// definition merged under the subset's own keys (and the parent's value).
    pub attrs: Vec<Attr>,
    /// Largest attribute value in this set (for subsets: of the parent set), i.e. maxattr.
    pub max_value: u16,
}

impl AttrSet {
    /// Attribute by spec name.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
    /// Index (into `attrs`) of the attribute named `name`.
    pub fn attr_idx(&self, name: &str) -> Option<usize> {
        self.attrs.iter().position(|a| a.name == name)
    }
    /// Attribute with wire value `v`.
    pub fn attr_by_value(&self, v: u16) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.value == v)
    }
}

/// Simple attribute type tag (no payload); see [`AttrKind`] for the resolved form.
pub use crate::spec::AttrType;

/// Attribute kind with its resolved payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrKind {
    /// `unused`.
    Unused,
    /// `pad`.
    Pad,
    /// `flag`.
    Flag,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `s8`.
    S8,
    /// `s16`.
    S16,
    /// `s32`.
    S32,
    /// `s64`.
    S64,
    /// Variable width unsigned (4 or 8 bytes on the wire).
    Uint,
    /// Variable width signed (4 or 8 bytes on the wire).
    Sint,
    /// `string`.
    String,
    /// Raw bytes; [`Attr::struct_`] says if they are a struct.
    Binary,
    /// A nest of `set`.
    Nest {
        /// The nested set.
        set: SetId,
    },
    /// A nest whose members are indexed 0..n (type = index), each of `sub_type`; for
    /// `sub_type == Nest` each element is a nest of `set`.
    IndexedArray {
        /// Element type.
        sub_type: AttrType,
        /// Set of nest elements.
        set: Option<SetId>,
    },
    /// A nest whose member types carry values (`type_value` names them), each a nest of `set`.
    NestTypeValue {
        /// Names of the value-carrying levels, outermost first.
        type_value: Vec<String>,
        /// Set of the innermost nest.
        set: SetId,
    },
    /// struct nla_bitfield32 {value, selector}.
    Bitfield32,
    /// netlink-raw: the payload format is chosen by the value of attribute `selector`.
    SubMessage {
        /// The sub-message definition.
        sub_message: SubMsgId,
        /// Where its selector is.
        selector: Selector,
    },
}

/// Where a sub-message's selector attribute lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Spec name of the selector attribute.
    pub name: String,
    /// The selector attribute: a sibling in the same set, or else an attribute of an enclosing
    /// set (a set that has a nest pointing to this one). `None` if only resolvable at run time.
    pub attr: Option<AttrRef>,
}

impl AttrKind {
    /// The plain YNL type of this kind.
    pub fn ty(&self) -> AttrType {
        match self {
            AttrKind::Unused => AttrType::Unused,
            AttrKind::Pad => AttrType::Pad,
            AttrKind::Flag => AttrType::Flag,
            AttrKind::U8 => AttrType::U8,
            AttrKind::U16 => AttrType::U16,
            AttrKind::U32 => AttrType::U32,
            AttrKind::U64 => AttrType::U64,
            AttrKind::S8 => AttrType::S8,
            AttrKind::S16 => AttrType::S16,
            AttrKind::S32 => AttrType::S32,
            AttrKind::S64 => AttrType::S64,
            AttrKind::Uint => AttrType::Uint,
            AttrKind::Sint => AttrType::Sint,
            AttrKind::String => AttrType::String,
            AttrKind::Binary => AttrType::Binary,
            AttrKind::Nest { .. } => AttrType::Nest,
            AttrKind::IndexedArray { .. } => AttrType::IndexedArray,
            AttrKind::NestTypeValue { .. } => AttrType::NestTypeValue,
            AttrKind::Bitfield32 => AttrType::Bitfield32,
            AttrKind::SubMessage { .. } => AttrType::SubMessage,
        }
    }
    /// The nested set, for nest / indexed-array (of nests) / nest-type-value.
    pub fn nested_set(&self) -> Option<SetId> {
        match self {
            AttrKind::Nest { set } | AttrKind::NestTypeValue { set, .. } => Some(*set),
            AttrKind::IndexedArray { set, .. } => *set,
            _ => None,
        }
    }
}

impl AttrType {
    /// Fixed-width integer: (width in bytes, signed). `uint`/`sint` are not fixed.
    pub fn int_width(self) -> Option<(usize, bool)> {
        match self {
            AttrType::U8 => Some((1, false)),
            AttrType::U16 => Some((2, false)),
            AttrType::U32 => Some((4, false)),
            AttrType::U64 => Some((8, false)),
            AttrType::S8 => Some((1, true)),
            AttrType::S16 => Some((2, true)),
            AttrType::S32 => Some((4, true)),
            AttrType::S64 => Some((8, true)),
            _ => None,
        }
    }
    /// Any integer type incl. uint/sint: (max width in bytes, signed).
    pub fn int_range_width(self) -> Option<(usize, bool)> {
        match self {
            AttrType::Uint => Some((8, false)),
            AttrType::Sint => Some((8, true)),
            t => t.int_width(),
        }
    }
}

/// One resolved attribute.
#[derive(Debug, Clone)]
pub struct Attr {
    /// Spec name.
    pub name: String,
    /// snake_case accessor name (keywords escaped: `type` → `type_`, leading digit → `_1x`).
    pub rust_name: String,
    /// UpperCamel name (enum variants, type names).
    pub rust_type_name: String,
    /// C enum member name (`<set prefix><NAME>`).
    pub c_name: String,
    /// Spec documentation.
    pub doc: Option<String>,
    /// The attribute's number (nla_type).
    pub value: u16,
    /// Type, with what it nests resolved.
    pub kind: AttrKind,
    /// May repeat.
    pub multi_attr: bool,
    /// Explicit byte order (scalars); `None` = host order.
    pub byte_order: Option<ByteOrder>,
    /// Enum/flags definition of the value.
    pub enum_: Option<EnumId>,
    /// The enum's values are bit indexes of a mask.
    pub enum_as_flags: bool,
    /// How to print the value.
    pub display_hint: Option<DisplayHint>,
    /// Binary laid out as this struct.
    pub struct_: Option<StructId>,
    /// `sub-type` of a binary attribute: the binary is a C array of this scalar type
    /// (the element type of an indexed-array is in [`AttrKind::IndexedArray`]).
    pub sub_type: Option<AttrType>,
    /// Resolved kernel validation.
    pub checks: Checks,
    /// genetlink-c: per-attribute C name prefix override (as given).
    pub c_attr_name_prefix: Option<String>,
    /// For attributes of a subset: the parent set's attribute it refines.
    pub origin: Option<AttrRef>,
}

/// A resolved bound from `checks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The concrete number.
    pub value: i128,
    /// How the spec spelled it.
    pub source: BoundSource,
}

/// How a bound was spelled in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundSource {
    /// A literal number (also a length spelled `<const> - 1`, resolved to its number).
    Literal,
    /// A type limit such as `u32-max`, `s16-min`.
    Limit(String),
    /// A `const` definition. When the const has a `header`, the number in `Bound::value` may be
    /// a placeholder and kernel code should use the C name (`Const::c_name`) instead.
    Const(ConstId),
}

/// Resolved `checks` of an attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checks {
    /// Smallest value.
    pub min: Option<Bound>,
    /// Largest value.
    pub max: Option<Bound>,
    /// Smallest payload length.
    pub min_len: Option<Bound>,
    /// Largest payload length.
    pub max_len: Option<Bound>,
    /// Required payload length.
    pub exact_len: Option<Bound>,
    /// Allowed bits, from a flags definition (`checks.flags-mask`).
    pub flags_mask: Option<FlagsMask>,
    /// String need not be NUL-terminated.
    pub unterminated_ok: bool,
}

impl Checks {
    /// No check at all.
    pub fn is_empty(&self) -> bool {
        *self == Checks::default()
    }
}

/// A mask derived from a flags definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagsMask {
    /// The flags definition.
    pub enum_: EnumId,
    /// Its bits (`Enum::flags_mask`).
    pub mask: u64,
}

/// A sub-message definition (netlink-raw).
#[derive(Debug, Clone)]
pub struct SubMessage {
    /// Spec name.
    pub name: String,
    /// UpperCamel Rust type name.
    pub rust_name: String,
    /// One format per selector value.
    pub formats: Vec<Format>,
}

/// One sub-message format.
#[derive(Debug, Clone)]
pub struct Format {
    /// Selector value (as text) that selects this format.
    pub value: String,
    /// UpperCamel variant name.
    pub rust_name: String,
    /// Struct that starts the payload.
    pub fixed_header: Option<StructId>,
    /// Set of the attributes after the fixed header.
    pub attribute_set: Option<SetId>,
}

/// `operations`.
#[derive(Debug, Clone)]
pub struct Operations {
    /// Command numbering model (default unified).
    pub enum_model: EnumModel,
    /// C prefix of command names; default `<FAMILY>_CMD_`.
    pub c_name_prefix: String,
    /// C enum name; `None` = anonymous.
    pub c_enum_name: Option<String>,
    /// C prefix for notifications/events in a separate enum, if any.
    pub async_prefix: Option<String>,
    /// C enum name for the async enum, if given.
    pub async_enum: Option<Option<String>>,
    /// Family-wide fixed header.
    pub fixed_header: Option<StructId>,
    /// The operations in spec order; `OpId` indexes it.
    pub list: Vec<Op>,
}

/// Op flags (also used for multicast groups).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OpFlags {
    /// GENL_ADMIN_PERM: needs CAP_NET_ADMIN in the initial user namespace.
    pub admin_perm: bool,
    /// GENL_UNS_ADMIN_PERM: needs CAP_NET_ADMIN in the netns' user namespace.
    pub uns_admin_perm: bool,
}

/// `dont-validate` set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DontValidateFlags {
    /// `strict`: GENL_DONT_VALIDATE_STRICT.
    pub strict: bool,
    /// `dump`: GENL_DONT_VALIDATE_DUMP.
    pub dump: bool,
    /// `dump-strict`: GENL_DONT_VALIDATE_DUMP_STRICT.
    pub dump_strict: bool,
}

/// One operation.
#[derive(Debug, Clone)]
pub struct Op {
    /// Its own id.
    pub id: OpId,
    /// Spec name.
    pub name: String,
    /// UpperCamel (types: `GetfamilyRequest` …).
    pub rust_name: String,
    /// snake_case (methods: `getfamily`).
    pub fn_name: String,
    /// C command name (`<prefix><NAME>`, the async prefix for notify/event ops if given).
    pub c_name: String,
    /// Spec documentation.
    pub doc: Option<String>,
    /// Message id of requests (user → kernel). Unified model: the op's value. Directional:
    /// `None` for ops without a request (notifications/events).
    pub req_value: Option<u32>,
    /// Message id of replies/notifications (kernel → user). Unified: the op's value.
    /// Directional: `None` if the op sends no reply.
    pub rsp_value: Option<u32>,
    /// Attribute set of the top-level attributes.
    pub attribute_set: Option<SetId>,
    /// Fixed header: the op's own, else the family-wide one.
    pub fixed_header: Option<StructId>,
    /// Permission flags.
    pub flags: OpFlags,
    /// Kernel validation to skip.
    pub dont_validate: DontValidateFlags,
    /// Kernel config option gating the op (without `CONFIG_`).
    pub config_cond: Option<String>,
    /// The do form, if any.
    pub do_: Option<SubOp>,
    /// The dump form, if any.
    pub dump: Option<SubOp>,
    /// This is a notification whose message has the reply attrs of that op's do (or dump).
    pub notify: Option<OpId>,
    /// This is an event with these attributes (in `attribute_set`).
    pub event: Option<Vec<AttrRef>>,
    /// Multicast group the notification/event is sent to.
    pub mcgrp: Option<McgrpId>,
}

impl Op {
    /// Notification or event (sent by the kernel on its own).
    pub fn is_async(&self) -> bool {
        self.notify.is_some() || self.event.is_some()
    }
    /// The value when request and reply share one (always in the unified model).
    pub fn value(&self) -> Option<u32> {
        if self.req_value == self.rsp_value {
            self.req_value
        } else {
            None
        }
    }
}

/// `do` or `dump` of an op.
#[derive(Debug, Clone)]
pub struct SubOp {
    /// Request attributes, if listed.
    pub request: Option<Msg>,
    /// Reply attributes, if listed.
    pub reply: Option<Msg>,
    /// pre_doit / start hook name.
    pub pre: Option<String>,
    /// post_doit / done hook name.
    pub post: Option<String>,
}

/// A request or reply message.
#[derive(Debug, Clone)]
pub struct Msg {
    /// Message id in this direction (see [`Op::req_value`] / [`Op::rsp_value`]).
    pub value: Option<u32>,
    /// The listed attributes, references into the op's `attribute_set`, in spec order.
    pub attrs: Vec<AttrRef>,
}

/// A multicast group.
#[derive(Debug, Clone)]
pub struct McastGroup {
    /// Its own id.
    pub id: McgrpId,
    /// Group name as registered (and resolved via nlctrl).
    pub name: String,
    /// UpperCamel Rust name.
    pub rust_name: String,
    /// C define name; default `<FAMILY>_MCGRP_<NAME>`.
    pub c_define_name: String,
    /// netlink-raw: fixed group number.
    pub value: Option<u32>,
    /// Permission flags for joining it.
    pub flags: OpFlags,
    /// Position in the family's group list (the kernel's group offset).
    pub index: usize,
}

impl Family {
    /// Attribute set by id.
    pub fn set(&self, id: SetId) -> &AttrSet {
        &self.sets[id.0]
    }
    /// Attribute set by spec name.
    pub fn set_by_name(&self, name: &str) -> Option<&AttrSet> {
        self.sets.iter().find(|s| s.name == name)
    }
    /// Attribute by reference.
    pub fn attr(&self, r: AttrRef) -> &Attr {
        &self.sets[r.set.0].attrs[r.idx]
    }
    /// Reference to the attribute `attr` of set `set`.
    pub fn attr_ref(&self, set: SetId, attr: &str) -> Option<AttrRef> {
        self.set(set).attr_idx(attr).map(|idx| AttrRef { set, idx })
    }
    /// Enum/flags by id.
    pub fn enum_(&self, id: EnumId) -> &Enum {
        &self.enums[id.0]
    }
    /// Enum/flags by spec name.
    pub fn enum_by_name(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }
    /// Struct by id.
    pub fn struct_(&self, id: StructId) -> &Struct {
        &self.structs[id.0]
    }
    /// Struct by spec name.
    pub fn struct_by_name(&self, name: &str) -> Option<&Struct> {
        self.structs.iter().find(|e| e.name == name)
    }
    /// Const by id.
    pub fn const_(&self, id: ConstId) -> &Const {
        &self.consts[id.0]
    }
    /// Op by id.
    pub fn op(&self, id: OpId) -> &Op {
        &self.ops.list[id.0]
    }
    /// Op by spec name.
    pub fn op_by_name(&self, name: &str) -> Option<&Op> {
        self.ops.list.iter().find(|o| o.name == name)
    }
    /// Multicast group by id.
    pub fn mcgrp(&self, id: McgrpId) -> &McastGroup {
        &self.mcast_groups[id.0]
    }
    /// Multicast group by name.
    pub fn mcgrp_by_name(&self, name: &str) -> Option<&McastGroup> {
        self.mcast_groups.iter().find(|g| g.name == name)
    }
    /// Sub-message by id.
    pub fn sub_message(&self, id: SubMsgId) -> &SubMessage {
        &self.sub_messages[id.0]
    }
    /// Op whose request carries message id `v` (directional: request ids; unified: op value).
    pub fn op_by_req_value(&self, v: u32) -> Option<&Op> {
        self.ops.list.iter().find(|o| o.req_value == Some(v))
    }
    /// Op whose reply/notification carries message id `v`.
    pub fn op_by_rsp_value(&self, v: u32) -> Option<&Op> {
        self.ops.list.iter().find(|o| o.rsp_value == Some(v))
    }
    /// Attributes of a notification / event message: event attrs, or the reply attrs of the
    /// op it notifies for (its do reply, else its dump reply).
    pub fn async_attrs(&self, op: OpId) -> Option<&[AttrRef]> {
        let o = self.op(op);
        if let Some(ev) = &o.event {
            return Some(ev);
        }
        let n = self.op(o.notify?);
        let sub =
            n.do_.as_ref().and_then(|s| s.reply.as_ref()).or_else(|| n.dump.as_ref().and_then(|s| s.reply.as_ref()))?;
        Some(&sub.attrs)
    }
    /// Is this a generic netlink family (anything but netlink-raw)?
    pub fn is_genetlink(&self) -> bool {
        self.protocol != Protocol::NetlinkRaw
    }
    /// The ops a kernel serves: a do or a dump with a request id (not notifications or events,
    /// nor a placeholder with neither, such as mptcp_pm's `unspec`).
    pub fn served_ops(&self) -> impl Iterator<Item = &Op> {
        self.ops.list.iter().filter(|o| !o.is_async() && (o.do_.is_some() || o.dump.is_some()) && o.req_value.is_some())
    }
    /// A netlink-raw family on a protocol number the kernel defines for its own users
    /// (`include/uapi/linux/netlink.h`: rt-link's `NETLINK_ROUTE`): that constant's name. Such a
    /// protocol is served by the kernel (or one of its modules), not by a module of its spec's.
    pub fn kernel_protocol(&self) -> Option<&'static str> {
        let p = self.protonum.filter(|_| !self.is_genetlink())?;
        KERNEL_PROTOCOLS.get(usize::try_from(p).ok()?).copied()
    }
}

/// The protocol numbers `include/uapi/linux/netlink.h` gives the kernel's own users
/// (`NETLINK_ROUTE` 0 to `NETLINK_SMC` 22), by number.
const KERNEL_PROTOCOLS: [&str; 23] = [
    "NETLINK_ROUTE",
    "NETLINK_UNUSED",
    "NETLINK_USERSOCK",
    "NETLINK_FIREWALL",
    "NETLINK_SOCK_DIAG",
    "NETLINK_NFLOG",
    "NETLINK_XFRM",
    "NETLINK_SELINUX",
    "NETLINK_ISCSI",
    "NETLINK_AUDIT",
    "NETLINK_FIB_LOOKUP",
    "NETLINK_CONNECTOR",
    "NETLINK_NETFILTER",
    "NETLINK_IP6_FW",
    "NETLINK_DNRTMSG",
    "NETLINK_KOBJECT_UEVENT",
    "NETLINK_GENERIC",
    "NETLINK_17",
    "NETLINK_SCSITRANSPORT",
    "NETLINK_ECRYPTFS",
    "NETLINK_RDMA",
    "NETLINK_CRYPTO",
    "NETLINK_SMC",
];

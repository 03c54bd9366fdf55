//! Raw, serde-shaped model of a YNL spec.
//!
//! These structs mirror the kernel's YNL JSON schemas (`Documentation/netlink/genetlink.yaml`,
//! `genetlink-c.yaml`, `genetlink-legacy.yaml`, `netlink-raw.yaml`) key for key. The structs accept
//! the *union* of the keys of all four protocol levels and reject anything else
//! (`deny_unknown_fields`, like the schemas' `additionalProperties: false`); which key is allowed
//! at which level is checked afterwards by [`crate::resolve`], so that the error can say which
//! protocol level would allow the key.
//!
//! Nothing here knows about YAML: the loader (`crate::loader`) deserializes into these types.
//! Field names are the YNL keys in snake case; `Option` means "key absent".

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A whole spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Spec {
    /// Family name (the genetlink family name the kernel registers).
    pub name: String,
    /// Family documentation.
    pub doc: Option<String>,
    /// Schema compatibility level; absent means `genetlink`.
    pub protocol: Option<Protocol>,
    /// Path of the uAPI header (default `linux/<name>.h`).
    pub uapi_header: Option<String>,
    /// genetlink-c+: name of the define holding the family name.
    pub c_family_name: Option<String>,
    /// genetlink-c+: name of the define holding the family version.
    pub c_version_name: Option<String>,
    /// genetlink-c+: counts of attrs/cmds are defines, not enum members.
    pub max_by_define: Option<bool>,
    /// genetlink-c+: name of the define for the last command.
    pub cmd_max_name: Option<String>,
    /// genetlink-c+: name of the define for the command count.
    pub cmd_cnt_name: Option<String>,
    /// genetlink-legacy / netlink-raw: kernel input policy layout.
    pub kernel_policy: Option<KernelPolicy>,
    /// genetlink-legacy: family version (default 1).
    pub version: Option<i64>,
    /// netlink-raw: netlink protocol number.
    pub protonum: Option<i64>,
    /// Type and constant definitions.
    #[serde(default)]
    pub definitions: Vec<Definition>,
    /// Attribute sets.
    pub attribute_sets: Vec<AttrSet>,
    /// Operations.
    pub operations: Operations,
    /// Multicast groups.
    pub mcast_groups: Option<McastGroups>,
    /// genetlink*: extra data for kernel C code generation.
    pub kernel_family: Option<KernelFamily>,
    /// netlink-raw: sub-message definitions.
    pub sub_messages: Option<Vec<SubMessage>>,
}

/// Schema compatibility level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// `genetlink`.
    Genetlink,
    /// `genetlink-c`.
    GenetlinkC,
    /// `genetlink-legacy`.
    GenetlinkLegacy,
    /// `netlink-raw`.
    NetlinkRaw,
}

impl Protocol {
    /// The YNL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Genetlink => "genetlink",
            Protocol::GenetlinkC => "genetlink-c",
            Protocol::GenetlinkLegacy => "genetlink-legacy",
            Protocol::NetlinkRaw => "netlink-raw",
        }
    }
}

/// Layout of the kernel's input policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelPolicy {
    /// `split`.
    Split,
    /// `per-op`.
    PerOp,
    /// `global`.
    Global,
}

/// Visibility of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// `uapi`.
    Uapi,
    /// `kernel`.
    Kernel,
    /// `user`.
    User,
}

/// Kind of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefType {
    /// `const`.
    Const,
    /// `enum`.
    Enum,
    /// `flags`.
    Flags,
    /// `struct`.
    Struct,
}

/// One entry of `definitions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Definition {
    /// Definition name (C name source; referenced by `enum`, `struct`, limits).
    pub name: String,
    /// Header that already defines this value (C).
    pub header: Option<String>,
    /// Where the definition is rendered (uAPI header, kernel or user code).
    pub scope: Option<Scope>,
    /// `type`: const, enum, flags or struct.
    #[serde(rename = "type")]
    pub ty: DefType,
    /// Documentation.
    pub doc: Option<String>,
    /// const: the value.
    pub value: Option<IntOrName>,
    /// enum/flags: initializer of the first entry.
    pub value_start: Option<IntOrName>,
    /// enum/flags: entries.
    pub entries: Option<Vec<EnumEntry>>,
    /// enum/flags: render a max member.
    pub render_max: Option<bool>,
    /// genetlink-c+: C enum name; `null` = anonymous enum.
    #[serde(default, deserialize_with = "nullable")]
    pub enum_name: Option<Option<String>>,
    /// genetlink-c+: prefix of the C entry names.
    pub name_prefix: Option<String>,
    /// genetlink-c / genetlink-legacy: name of the render-max counter entry.
    pub enum_cnt_name: Option<String>,
    /// genetlink-legacy / netlink-raw: struct members.
    pub members: Option<Vec<Member>>,
}

/// An enum/flags entry: either a bare name or `{name, value, doc}`.
#[derive(Debug, Clone)]
pub struct EnumEntry {
    /// Entry name.
    pub name: String,
    /// Explicit value (enum) or bit number (flags); `None`: the previous one plus one.
    pub value: Option<i64>,
    /// Documentation.
    pub doc: Option<String>,
    /// Written as a mapping (`- name: x`), not a bare name: where its name is in the file.
    pub mapping: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnumEntryFull {
    name: String,
    value: Option<i64>,
    doc: Option<String>,
}

impl<'de> Deserialize<'de> for EnumEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnumEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an entry name or a mapping with `name`, `value`, `doc`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnumEntry, E> {
                Ok(EnumEntry { name: v.to_string(), value: None, doc: None, mapping: false })
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<EnumEntry, A::Error> {
                let f = EnumEntryFull::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(EnumEntry { name: f.name, value: f.value, doc: f.doc, mapping: true })
            }
        }
        d.deserialize_any(V)
    }
}

/// Struct member type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberType {
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
    /// `string`.
    String,
    /// `binary`.
    Binary,
    /// netlink-raw only.
    Pad,
}

/// A struct member (genetlink-legacy / netlink-raw).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Member {
    /// Member name.
    pub name: String,
    /// `type`: the member's scalar, string, binary or pad type.
    #[serde(rename = "type")]
    pub ty: MemberType,
    /// Byte length (string/binary/pad), a number or a definition name.
    pub len: Option<IntOrName>,
    /// Byte order of a scalar member.
    pub byte_order: Option<ByteOrder>,
    /// Documentation.
    pub doc: Option<String>,
    /// `enum`: the enum or flags definition naming its values.
    #[serde(rename = "enum")]
    pub enum_: Option<String>,
    /// netlink-raw only.
    pub enum_as_flags: Option<bool>,
    /// How to print the value.
    pub display_hint: Option<DisplayHint>,
    /// `struct`: a binary member laid out as this struct.
    #[serde(rename = "struct")]
    pub struct_: Option<String>,
}

/// Byte order of a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ByteOrder {
    /// `little-endian`.
    LittleEndian,
    /// `big-endian`.
    BigEndian,
}

/// Display hint of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisplayHint {
    /// `hex`.
    Hex,
    /// `mac`.
    Mac,
    /// `fddi`.
    Fddi,
    /// `ipv4`.
    Ipv4,
    /// `ipv6`.
    Ipv6,
    /// `ipv4-or-v6`.
    Ipv4OrV6,
    /// `uuid`.
    Uuid,
}

impl DisplayHint {
    /// The YNL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayHint::Hex => "hex",
            DisplayHint::Mac => "mac",
            DisplayHint::Fddi => "fddi",
            DisplayHint::Ipv4 => "ipv4",
            DisplayHint::Ipv6 => "ipv6",
            DisplayHint::Ipv4OrV6 => "ipv4-or-v6",
            DisplayHint::Uuid => "uuid",
        }
    }
}

/// One attribute set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AttrSet {
    /// Set name (referenced by `nested-attributes`, ops, `subset-of`).
    pub name: String,
    /// Prefix of the C names of its attributes.
    pub name_prefix: Option<String>,
    /// `null` (genetlink-c+) = anonymous enum.
    #[serde(default, deserialize_with = "nullable")]
    pub enum_name: Option<Option<String>>,
    /// Documentation.
    pub doc: Option<String>,
    /// The set this one is a subset of (its attributes reuse the parent's definitions).
    pub subset_of: Option<String>,
    /// genetlink-c+.
    pub attr_cnt_name: Option<String>,
    /// genetlink-c+.
    pub attr_max_name: Option<String>,
    /// genetlink-c+.
    pub header: Option<String>,
    /// The attributes.
    pub attributes: Vec<Attr>,
}

/// Attribute type, as spelled in YNL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttrType {
    /// `unused`.
    Unused,
    /// `pad`.
    Pad,
    /// `flag`.
    Flag,
    /// `binary`.
    Binary,
    /// genetlink-legacy / netlink-raw.
    Bitfield32,
    /// `uint`.
    Uint,
    /// `sint`.
    Sint,
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
    /// `string`.
    String,
    /// `nest`.
    Nest,
    /// `indexed-array`.
    IndexedArray,
    /// `nest-type-value`.
    NestTypeValue,
    /// netlink-raw.
    SubMessage,
}

impl AttrType {
    /// The YNL spelling.
    pub fn as_str(self) -> &'static str {
        use AttrType::*;
        match self {
            Unused => "unused",
            Pad => "pad",
            Flag => "flag",
            Binary => "binary",
            Bitfield32 => "bitfield32",
            Uint => "uint",
            Sint => "sint",
            U8 => "u8",
            U16 => "u16",
            U32 => "u32",
            U64 => "u64",
            S8 => "s8",
            S16 => "s16",
            S32 => "s32",
            S64 => "s64",
            String => "string",
            Nest => "nest",
            IndexedArray => "indexed-array",
            NestTypeValue => "nest-type-value",
            SubMessage => "sub-message",
        }
    }
}

/// One attribute of a set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Attr {
    /// Attribute name.
    pub name: String,
    /// Required except in subsets.
    #[serde(rename = "type")]
    pub ty: Option<AttrType>,
    /// Documentation.
    pub doc: Option<String>,
    /// Explicit type number; `None`: the previous one plus one.
    pub value: Option<i64>,
    /// nest-type-value: names of the levels whose attribute types carry values.
    pub type_value: Option<Vec<String>>,
    /// Byte order of a scalar.
    pub byte_order: Option<ByteOrder>,
    /// The attribute may appear more than once.
    pub multi_attr: Option<bool>,
    /// nest / indexed-array / nest-type-value: the set inside.
    pub nested_attributes: Option<String>,
    /// `enum`: the enum or flags definition naming its values.
    #[serde(rename = "enum")]
    pub enum_: Option<String>,
    /// Treat the enum's values as bit numbers.
    pub enum_as_flags: Option<bool>,
    /// Kernel input validation.
    pub checks: Option<Checks>,
    /// indexed-array / binary: the element type.
    pub sub_type: Option<AttrType>,
    /// How to print the value.
    pub display_hint: Option<DisplayHint>,
    /// genetlink-c+.
    pub name_prefix: Option<String>,
    /// genetlink-legacy / netlink-raw.
    #[serde(rename = "struct")]
    pub struct_: Option<String>,
    /// netlink-raw.
    pub sub_message: Option<String>,
    /// netlink-raw.
    pub selector: Option<String>,
}

/// Kernel input validation of an attribute.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Checks {
    /// Definition name of the flags whose bits are allowed.
    pub flags_mask: Option<String>,
    /// Smallest value (number, definition name or limit like `u32-max`).
    pub min: Option<IntOrName>,
    /// Largest value.
    pub max: Option<IntOrName>,
    /// Smallest payload length.
    pub min_len: Option<IntOrName>,
    /// Largest payload length.
    pub max_len: Option<IntOrName>,
    /// Required payload length.
    pub exact_len: Option<IntOrName>,
    /// genetlink-c+.
    pub unterminated_ok: Option<bool>,
}

/// `operations`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Operations {
    /// How request and reply commands are numbered.
    pub enum_model: Option<EnumModel>,
    /// Prefix of the C command names.
    pub name_prefix: Option<String>,
    /// C name of the command enum; `Some(None)` (`null`): anonymous.
    #[serde(default, deserialize_with = "nullable")]
    pub enum_name: Option<Option<String>>,
    /// Prefix of the C names of notification commands.
    pub async_prefix: Option<String>,
    /// C name of a separate notification enum; `Some(None)` (`null`): anonymous.
    #[serde(default, deserialize_with = "nullable")]
    pub async_enum: Option<Option<String>>,
    /// genetlink-legacy / netlink-raw.
    pub fixed_header: Option<String>,
    /// The operations, in numbering order.
    pub list: Vec<Op>,
}

/// Operation numbering model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnumModel {
    /// `unified`.
    Unified,
    /// genetlink-legacy / netlink-raw.
    Directional,
}

/// Op / mcast group flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpFlag {
    /// `admin-perm`.
    AdminPerm,
    /// `uns-admin-perm`.
    UnsAdminPerm,
}

/// `dont-validate` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DontValidate {
    /// `strict`.
    Strict,
    /// `dump`.
    Dump,
    /// `dump-strict`.
    DumpStrict,
}

/// One operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Op {
    /// Operation name.
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Explicit command number; `None`: the previous one plus one.
    pub value: Option<i64>,
    /// The set its requests and replies draw attributes from.
    pub attribute_set: Option<String>,
    /// Permission flags.
    pub flags: Option<Vec<OpFlag>>,
    /// Kernel validation to skip.
    pub dont_validate: Option<Vec<DontValidate>>,
    /// genetlink*.
    pub config_cond: Option<String>,
    /// genetlink-legacy / netlink-raw.
    pub fixed_header: Option<String>,
    /// `do`: the single request/reply form.
    #[serde(rename = "do")]
    pub do_: Option<SubOp>,
    /// The dump form.
    pub dump: Option<SubOp>,
    /// A notification with the attributes of the named operation's reply.
    pub notify: Option<String>,
    /// A notification with its own attribute list.
    pub event: Option<Event>,
    /// Multicast group of the notification.
    pub mcgrp: Option<String>,
}

/// `do` / `dump`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SubOp {
    /// Request attributes.
    pub request: Option<Msg>,
    /// Reply attributes.
    pub reply: Option<Msg>,
    /// Kernel `pre_doit` hook name.
    pub pre: Option<String>,
    /// Kernel `post_doit` hook name.
    pub post: Option<String>,
}

/// `request` / `reply`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Msg {
    /// Attribute names, from the operation's set.
    pub attributes: Option<Vec<String>>,
    /// genetlink-legacy / netlink-raw: per-direction message id.
    pub value: Option<i64>,
}

/// `event`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Event {
    /// Attribute names, from the operation's set.
    pub attributes: Option<Vec<String>>,
}

/// `mcast-groups`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct McastGroups {
    /// The groups.
    pub list: Vec<McastGroup>,
}

/// One multicast group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct McastGroup {
    /// Group name.
    pub name: String,
    /// genetlink-c+.
    pub c_define_name: Option<String>,
    /// Permission flags for joining it.
    pub flags: Option<Vec<OpFlag>>,
    /// netlink-raw: group number.
    pub value: Option<i64>,
}

/// `kernel-family` (genetlink*).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KernelFamily {
    /// Extra headers for the kernel C code.
    pub headers: Option<Vec<String>>,
    /// C type of the per-socket private data.
    pub sock_priv: Option<String>,
}

/// One sub-message (netlink-raw).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SubMessage {
    /// Sub-message name (referenced by attributes' `sub-message`).
    pub name: String,
    /// One format per selector value.
    pub formats: Vec<Format>,
}

/// One format of a sub-message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Format {
    /// Selector value this format applies to (a string, as the schema says; quote numbers).
    pub value: String,
    /// Struct that starts the payload.
    pub fixed_header: Option<String>,
    /// Set of the attributes after the fixed header.
    pub attribute_set: Option<String>,
}

/// A YAML value that is an integer or a name (limits like `u32-max`, definition names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrName {
    /// An integer.
    Int(i128),
    /// A name (definition or limit).
    Name(String),
}

impl fmt::Display for IntOrName {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            IntOrName::Int(i) => write!(f, "{i}"),
            IntOrName::Name(n) => f.write_str(n),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IntOrName;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrName, E> {
                Ok(IntOrName::Int(v as i128))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrName, E> {
                Ok(IntOrName::Int(v as i128))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<IntOrName, E> {
                Ok(IntOrName::Int(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<IntOrName, E> {
                i128::try_from(v).map(IntOrName::Int).map_err(|_| E::custom("integer too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrName, E> {
                Ok(IntOrName::Name(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `Some(None)` for an explicit `null`, `Some(Some(s))` for a string, `None` (via default) when
/// the key is absent.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

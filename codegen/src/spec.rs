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
    Genetlink,
    GenetlinkC,
    GenetlinkLegacy,
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
    Split,
    PerOp,
    Global,
}

/// Visibility of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    Uapi,
    Kernel,
    User,
}

/// Kind of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefType {
    Const,
    Enum,
    Flags,
    Struct,
}

/// One entry of `definitions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Definition {
    pub name: String,
    /// Header that already defines this value (C).
    pub header: Option<String>,
    pub scope: Option<Scope>,
    #[serde(rename = "type")]
    pub ty: DefType,
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
    pub name: String,
    pub value: Option<i64>,
    pub doc: Option<String>,
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
                Ok(EnumEntry { name: v.to_string(), value: None, doc: None })
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<EnumEntry, A::Error> {
                let f = EnumEntryFull::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(EnumEntry { name: f.name, value: f.value, doc: f.doc })
            }
        }
        d.deserialize_any(V)
    }
}

/// Struct member type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberType {
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    String,
    Binary,
    /// netlink-raw only.
    Pad,
}

/// A struct member (genetlink-legacy / netlink-raw).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Member {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: MemberType,
    pub len: Option<IntOrName>,
    pub byte_order: Option<ByteOrder>,
    pub doc: Option<String>,
    #[serde(rename = "enum")]
    pub enum_: Option<String>,
    /// netlink-raw only.
    pub enum_as_flags: Option<bool>,
    pub display_hint: Option<DisplayHint>,
    #[serde(rename = "struct")]
    pub struct_: Option<String>,
}

/// Byte order of a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ByteOrder {
    LittleEndian,
    BigEndian,
}

/// Display hint of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisplayHint {
    Hex,
    Mac,
    Fddi,
    Ipv4,
    Ipv6,
    Ipv4OrV6,
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
    pub name: String,
    pub name_prefix: Option<String>,
    /// `null` (genetlink-c+) = anonymous enum.
    #[serde(default, deserialize_with = "nullable")]
    pub enum_name: Option<Option<String>>,
    pub doc: Option<String>,
    pub subset_of: Option<String>,
    /// genetlink-c+.
    pub attr_cnt_name: Option<String>,
    /// genetlink-c+.
    pub attr_max_name: Option<String>,
    /// genetlink-c+.
    pub header: Option<String>,
    pub attributes: Vec<Attr>,
}

/// Attribute type, as spelled in YNL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttrType {
    Unused,
    Pad,
    Flag,
    Binary,
    /// genetlink-legacy / netlink-raw.
    Bitfield32,
    Uint,
    Sint,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    String,
    Nest,
    IndexedArray,
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
    pub name: String,
    /// Required except in subsets.
    #[serde(rename = "type")]
    pub ty: Option<AttrType>,
    pub doc: Option<String>,
    pub value: Option<i64>,
    pub type_value: Option<Vec<String>>,
    pub byte_order: Option<ByteOrder>,
    pub multi_attr: Option<bool>,
    pub nested_attributes: Option<String>,
    #[serde(rename = "enum")]
    pub enum_: Option<String>,
    pub enum_as_flags: Option<bool>,
    pub checks: Option<Checks>,
    pub sub_type: Option<AttrType>,
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
    pub flags_mask: Option<String>,
    pub min: Option<IntOrName>,
    pub max: Option<IntOrName>,
    pub min_len: Option<IntOrName>,
    pub max_len: Option<IntOrName>,
    pub exact_len: Option<IntOrName>,
    /// genetlink-c+.
    pub unterminated_ok: Option<bool>,
}

/// `operations`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Operations {
    pub enum_model: Option<EnumModel>,
    pub name_prefix: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub enum_name: Option<Option<String>>,
    pub async_prefix: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub async_enum: Option<Option<String>>,
    /// genetlink-legacy / netlink-raw.
    pub fixed_header: Option<String>,
    pub list: Vec<Op>,
}

/// Operation numbering model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnumModel {
    Unified,
    /// genetlink-legacy / netlink-raw.
    Directional,
}

/// Op / mcast group flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpFlag {
    AdminPerm,
    UnsAdminPerm,
}

/// `dont-validate` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DontValidate {
    Strict,
    Dump,
    DumpStrict,
}

/// One operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Op {
    pub name: String,
    pub doc: Option<String>,
    pub value: Option<i64>,
    pub attribute_set: Option<String>,
    pub flags: Option<Vec<OpFlag>>,
    pub dont_validate: Option<Vec<DontValidate>>,
    /// genetlink*.
    pub config_cond: Option<String>,
    /// genetlink-legacy / netlink-raw.
    pub fixed_header: Option<String>,
    #[serde(rename = "do")]
    pub do_: Option<SubOp>,
    pub dump: Option<SubOp>,
    pub notify: Option<String>,
    pub event: Option<Event>,
    pub mcgrp: Option<String>,
}

/// `do` / `dump`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SubOp {
    pub request: Option<Msg>,
    pub reply: Option<Msg>,
    pub pre: Option<String>,
    pub post: Option<String>,
}

/// `request` / `reply`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Msg {
    pub attributes: Option<Vec<String>>,
    /// genetlink-legacy / netlink-raw: per-direction message id.
    pub value: Option<i64>,
}

/// `event`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Event {
    pub attributes: Option<Vec<String>>,
}

/// `mcast-groups`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct McastGroups {
    pub list: Vec<McastGroup>,
}

/// One multicast group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct McastGroup {
    pub name: String,
    /// genetlink-c+.
    pub c_define_name: Option<String>,
    pub flags: Option<Vec<OpFlag>>,
    /// netlink-raw: group number.
    pub value: Option<i64>,
}

/// `kernel-family` (genetlink*).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KernelFamily {
    pub headers: Option<Vec<String>>,
    pub sock_priv: Option<String>,
}

/// One sub-message (netlink-raw).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SubMessage {
    pub name: String,
    pub formats: Vec<Format>,
}

/// One format of a sub-message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Format {
    /// Selector value this format applies to (a string, as the schema says; quote numbers).
    pub value: String,
    pub fixed_header: Option<String>,
    pub attribute_set: Option<String>,
}

/// A YAML value that is an integer or a name (limits like `u32-max`, definition names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrName {
    Int(i128),
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
                i128::try_from(v)
                    .map(IntOrName::Int)
                    .map_err(|_| E::custom("integer too large"))
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

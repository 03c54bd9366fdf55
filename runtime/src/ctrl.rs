//! Just enough of nlctrl (the Generic Netlink controller, family id 0x10), hand-decoded, for
//! the runtime to bootstrap: family and multicast-group resolution, the family list, and the
//! policy dump. (The generated nlctrl client covers the whole family; the runtime must not
//! depend on it.) Requests and decoders only, no I/O: the sockets send them
//! ([`crate::GenlSocket::resolve_family`], [`crate::GenlSocket::family_policy`], ...).

use crate::attr::{AttrWriter, DecodeError};
use crate::error::{Error, Policy};
use crate::msg::{GenlMsg, Request};

/// nlctrl's fixed family id (`GENL_ID_CTRL`).
pub const GENL_ID_CTRL: u16 = 0x10;
/// nlctrl interface version we speak.
pub const CTRL_VERSION: u8 = 2;
/// `CTRL_CMD_NEWFAMILY` (notification: family registered).
pub const CTRL_CMD_NEWFAMILY: u8 = 1;
/// `CTRL_CMD_DELFAMILY` (notification: family unregistered).
pub const CTRL_CMD_DELFAMILY: u8 = 2;
/// `CTRL_CMD_GETFAMILY`.
pub const CTRL_CMD_GETFAMILY: u8 = 3;
/// `CTRL_CMD_NEWMCAST_GRP` (notification).
pub const CTRL_CMD_NEWMCAST_GRP: u8 = 7;
/// `CTRL_CMD_DELMCAST_GRP` (notification).
pub const CTRL_CMD_DELMCAST_GRP: u8 = 8;
/// `CTRL_CMD_GETPOLICY` (dump only).
pub const CTRL_CMD_GETPOLICY: u8 = 10;

/// `CTRL_ATTR_FAMILY_ID` (u16).
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// `CTRL_ATTR_FAMILY_NAME` (string).
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
/// `CTRL_ATTR_VERSION` (u32).
pub const CTRL_ATTR_VERSION: u16 = 3;
/// `CTRL_ATTR_HDRSIZE` (u32).
pub const CTRL_ATTR_HDRSIZE: u16 = 4;
/// `CTRL_ATTR_MAXATTR` (u32).
pub const CTRL_ATTR_MAXATTR: u16 = 5;
/// `CTRL_ATTR_OPS` (array of nests).
pub const CTRL_ATTR_OPS: u16 = 6;
/// `CTRL_ATTR_MCAST_GROUPS` (array of nests).
pub const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
/// `CTRL_ATTR_POLICY` (nest: policy index → attribute type → policy).
pub const CTRL_ATTR_POLICY: u16 = 8;
/// `CTRL_ATTR_OP_POLICY` (nest: op → do/dump policy index).
pub const CTRL_ATTR_OP_POLICY: u16 = 9;
/// `CTRL_ATTR_OP` (u32).
pub const CTRL_ATTR_OP: u16 = 10;
/// `CTRL_ATTR_OP_ID` inside an ops entry (u32).
pub const CTRL_ATTR_OP_ID: u16 = 1;
/// `CTRL_ATTR_OP_FLAGS` inside an ops entry (u32).
pub const CTRL_ATTR_OP_FLAGS: u16 = 2;
/// `CTRL_ATTR_MCAST_GRP_NAME` inside a group entry (string).
pub const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
/// `CTRL_ATTR_MCAST_GRP_ID` inside a group entry (u32).
pub const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;
/// `CTRL_ATTR_POLICY_DO` inside an op-policy entry (u32).
pub const CTRL_ATTR_POLICY_DO: u16 = 1;
/// `CTRL_ATTR_POLICY_DUMP` inside an op-policy entry (u32).
pub const CTRL_ATTR_POLICY_DUMP: u16 = 2;

/// Op flag: needs `CAP_NET_ADMIN`.
pub const GENL_ADMIN_PERM: u32 = 0x01;
/// Op flag: has a do handler.
pub const GENL_CMD_CAP_DO: u32 = 0x02;
/// Op flag: has a dump handler.
pub const GENL_CMD_CAP_DUMP: u32 = 0x04;
/// Op flag: has a policy.
pub const GENL_CMD_CAP_HASPOL: u32 = 0x08;
/// Op flag: needs `CAP_NET_ADMIN` in the user namespace.
pub const GENL_UNS_ADMIN_PERM: u32 = 0x10;

/// A socket's resolved families by name. A list, not a hash map: a socket resolves a handful
/// of families, and comparing a few short names costs less than hashing one (every typed
/// request looks its family up).
#[derive(Debug, Default)]
pub(crate) struct FamilyCache(Vec<(String, std::sync::Arc<FamilyInfo>)>);

impl FamilyCache {
    pub(crate) fn get(&self, name: &str) -> Option<&std::sync::Arc<FamilyInfo>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }
    pub(crate) fn insert(&mut self, name: String, info: std::sync::Arc<FamilyInfo>) {
        self.remove(&name);
        self.0.push((name, info));
    }
    pub(crate) fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

/// What nlctrl reports about a family.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FamilyInfo {
    /// Family name.
    pub name: String,
    /// Family id (the `nlmsg_type` of its messages).
    pub id: u16,
    /// Interface version.
    pub version: u32,
    /// Fixed header size.
    pub hdrsize: u32,
    /// Highest attribute type.
    pub maxattr: u32,
    /// Operations: (command, `GENL_*` flags).
    pub ops: Vec<(u32, u32)>,
    /// Multicast groups: (name, id).
    pub mcast_groups: Vec<(String, u32)>,
}

impl FamilyInfo {
    /// The id of multicast group `name`.
    pub fn group(&self, name: &str) -> Option<u32> {
        self.mcast_groups.iter().find(|(n, _)| n == name).map(|&(_, id)| id)
    }

    /// The id of multicast group `group` of this family (`family` is its name, for the error).
    pub(crate) fn group_id(&self, family: &str, group: &str) -> Result<u32, Error> {
        self.group(group).ok_or_else(|| Error::UnknownGroup { family: family.to_owned(), group: group.to_owned() })
    }

    /// Decode a `CTRL_CMD_NEWFAMILY` message (reply to getfamily, dump entry or notification).
    pub fn decode(msg: &GenlMsg<'_>) -> Result<FamilyInfo, DecodeError> {
        let mut f = FamilyInfo::default();
        let mut have_id = false;
        for a in msg.attrs() {
            let a = a?;
            match a.ty() {
                CTRL_ATTR_FAMILY_ID => {
                    f.id = a.get_u16().map_err(|e| e.in_attr("family-id"))?;
                    have_id = true;
                }
                CTRL_ATTR_FAMILY_NAME => f.name = a.get_str().map_err(|e| e.in_attr("family-name"))?.to_owned(),
                CTRL_ATTR_VERSION => f.version = a.get_u32().map_err(|e| e.in_attr("version"))?,
                CTRL_ATTR_HDRSIZE => f.hdrsize = a.get_u32().map_err(|e| e.in_attr("hdrsize"))?,
                CTRL_ATTR_MAXATTR => f.maxattr = a.get_u32().map_err(|e| e.in_attr("maxattr"))?,
                CTRL_ATTR_OPS => {
                    for (i, op) in a.nested().enumerate() {
                        let wrap = |e: DecodeError| e.at_index(i).in_attr("ops");
                        let op = op.map_err(wrap)?;
                        let (mut id, mut flags) = (0, 0);
                        for x in op.nested() {
                            let x = x.map_err(wrap)?;
                            match x.ty() {
                                CTRL_ATTR_OP_ID => id = x.get_u32().map_err(|e| wrap(e.in_attr("id")))?,
                                CTRL_ATTR_OP_FLAGS => flags = x.get_u32().map_err(|e| wrap(e.in_attr("flags")))?,
                                _ => {}
                            }
                        }
                        f.ops.push((id, flags));
                    }
                }
                CTRL_ATTR_MCAST_GROUPS => {
                    for (i, g) in a.nested().enumerate() {
                        let wrap = |e: DecodeError| e.at_index(i).in_attr("mcast-groups");
                        let g = g.map_err(wrap)?;
                        let (mut name, mut id) = (String::new(), 0);
                        for x in g.nested() {
                            let x = x.map_err(wrap)?;
                            match x.ty() {
                                CTRL_ATTR_MCAST_GRP_NAME => {
                                    name = x.get_str().map_err(|e| wrap(e.in_attr("name")))?.to_owned()
                                }
                                CTRL_ATTR_MCAST_GRP_ID => id = x.get_u32().map_err(|e| wrap(e.in_attr("id")))?,
                                _ => {}
                            }
                        }
                        f.mcast_groups.push((name, id));
                    }
                }
                _ => {} // newer kernels may add attributes
            }
        }
        if !have_id {
            return Err(DecodeError::missing("family-id"));
        }
        Ok(f)
    }
}

/// A `CTRL_CMD_GETFAMILY` request header.
pub fn getfamily_request() -> Request<'static> {
    Request::new(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_VERSION)
}

/// A `CTRL_CMD_GETPOLICY` request header (dump).
pub fn getpolicy_request() -> Request<'static> {
    Request::new(GENL_ID_CTRL, CTRL_CMD_GETPOLICY, CTRL_VERSION)
}

/// Write `CTRL_ATTR_FAMILY_NAME`.
pub fn put_family_name(w: &mut AttrWriter<'_>, name: &str) {
    w.put_str(CTRL_ATTR_FAMILY_NAME, name);
}

/// One entry of a policy dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyDumpEntry {
    /// Attribute `attr` of policy table `policy_idx` has this policy.
    Attr {
        /// Policy table index.
        policy_idx: u32,
        /// Attribute type within the table.
        attr: u16,
        /// Its policy.
        policy: Policy,
    },
    /// Operation `cmd` validates do/dump requests with these policy tables.
    Op {
        /// Command.
        cmd: u32,
        /// Table for do requests.
        do_policy: Option<u32>,
        /// Table for dump requests.
        dump_policy: Option<u32>,
    },
}

/// Decode one `CTRL_CMD_GETPOLICY` dump message into `out`.
pub fn decode_policy_msg(msg: &GenlMsg<'_>, out: &mut Vec<PolicyDumpEntry>) -> Result<(), DecodeError> {
    for a in msg.attrs() {
        let a = a?;
        match a.ty() {
            CTRL_ATTR_POLICY => {
                for t in a.nested() {
                    let t = t.map_err(|e| e.in_attr("policy"))?;
                    for at in t.nested() {
                        let at = at.map_err(|e| e.in_type(t.ty()).in_attr("policy"))?;
                        let policy = Policy::decode(at.nested())
                            .map_err(|e| e.in_type(at.ty()).in_type(t.ty()).in_attr("policy"))?;
                        out.push(PolicyDumpEntry::Attr { policy_idx: t.ty() as u32, attr: at.ty(), policy });
                    }
                }
            }
            CTRL_ATTR_OP_POLICY => {
                for op in a.nested() {
                    let op = op.map_err(|e| e.in_attr("op-policy"))?;
                    let (mut d, mut u) = (None, None);
                    for x in op.nested() {
                        let x = x.map_err(|e| e.in_type(op.ty()).in_attr("op-policy"))?;
                        match x.ty() {
                            CTRL_ATTR_POLICY_DO => d = Some(x.get_u32()?),
                            CTRL_ATTR_POLICY_DUMP => u = Some(x.get_u32()?),
                            _ => {}
                        }
                    }
                    out.push(PolicyDumpEntry::Op { cmd: op.ty() as u32, do_policy: d, dump_policy: u });
                }
            }
            _ => {}
        }
    }
    Ok(())
}

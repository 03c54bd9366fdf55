//! Family-level values: `version` and `protonum` in range, the C names of the family and of
//! its command enum's max/count, and `kernel-family`.

use super::Ctx;
use crate::ir;
use crate::names::{c_lower, c_upper};
use crate::spec::Protocol;

/// The family-level values of [`ir::Family`].
pub(super) struct FamilyHeader {
    pub(super) version: u32,
    pub(super) protonum: Option<u32>,
    pub(super) c: ir::CNaming,
    pub(super) kernel_family: ir::KernelFamily,
}

/// Family-level values; `ops` gives the command prefix the default cmd max/count names use.
pub(super) fn resolve_header(cx: &mut Ctx<'_>, ops: &ir::Operations) -> FamilyHeader {
    let s = cx.spec;
    let version = match s.version {
        None => 1,
        Some(v) if (1..=u32::MAX as i64).contains(&v) => v as u32,
        Some(v) => {
            cx.err(
                "version",
                format!("version {v} is out of range"),
                Some(
                    "a version is an integer from 1 to 4294967295 \
                     (genl header version is u8: 1..=255 for generic netlink)"
                        .into(),
                ),
            );
            1
        }
    };
    if cx.level != Protocol::NetlinkRaw && version > 255 {
        cx.err(
            "version",
            format!("version {version} does not fit the genetlink header's u8 version field"),
            Some("use a version from 1 to 255".into()),
        );
    }
    let protonum = match s.protonum {
        None => None,
        Some(v) if (0..=u32::MAX as i64).contains(&v) => Some(v as u32),
        Some(v) => {
            cx.err(
                "protonum",
                format!("protonum {v} is out of range"),
                Some("a netlink protocol number is a small non-negative integer (NETLINK_ROUTE is 0)".into()),
            );
            None
        }
    };
    let ident = cx.fam_ident;
    let c = ir::CNaming {
        uapi_header: s.uapi_header.clone().unwrap_or_else(|| format!("linux/{}.h", c_lower(ident))),
        c_family_name: c_upper(&s.c_family_name.clone().unwrap_or_else(|| format!("{}_FAMILY_NAME", s.name))),
        c_version_name: c_upper(&s.c_version_name.clone().unwrap_or_else(|| format!("{}_FAMILY_VERSION", s.name))),
        max_by_define: s.max_by_define.unwrap_or(false),
        cmd_max_name: c_upper(&s.cmd_max_name.clone().unwrap_or_else(|| format!("{}MAX", ops.c_name_prefix))),
        cmd_cnt_name: c_upper(&s.cmd_cnt_name.clone().unwrap_or_else(|| format!("__{}MAX", ops.c_name_prefix))),
    };
    let kernel_family = s
        .kernel_family
        .as_ref()
        .map(|k| ir::KernelFamily { headers: k.headers.clone().unwrap_or_default(), sock_priv: k.sock_priv.clone() })
        .unwrap_or_default();
    FamilyHeader { version, protonum, c, kernel_family }
}

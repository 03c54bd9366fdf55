//! `specs/nlctrl.yaml` resolves to the numbers of the uAPI (include/uapi/linux/genetlink.h
//! and netlink.h).

use nlspec_model::ir::{AttrKind, AttrType, EnumKind, EnumModel, Protocol};

fn nlctrl() -> nlspec_model::ir::Family {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/nlctrl.yaml");
    match nlspec_model::load_and_resolve(path) {
        Ok(f) => f,
        Err(d) => panic!("{d}"),
    }
}

#[test]
fn family() {
    let f = nlctrl();
    assert_eq!(f.name, "nlctrl");
    assert_eq!(f.protocol, Protocol::GenetlinkLegacy);
    assert_eq!(f.version, 2);
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    assert_eq!(f.c.uapi_header, "linux/genetlink.h");
}

#[test]
fn attribute_numbers() {
    let f = nlctrl();
    let ctrl = f.set_by_name("ctrl-attrs").unwrap();
    let want = [
        ("family-id", 1, AttrType::U16),
        ("family-name", 2, AttrType::String),
        ("version", 3, AttrType::U32),
        ("hdrsize", 4, AttrType::U32),
        ("maxattr", 5, AttrType::U32),
        ("ops", 6, AttrType::IndexedArray),
        ("mcast-groups", 7, AttrType::IndexedArray),
        ("policy", 8, AttrType::NestTypeValue),
        ("op-policy", 9, AttrType::NestTypeValue),
        ("op", 10, AttrType::U32),
    ];
    for (name, v, ty) in want {
        let a = ctrl.attr(name).unwrap();
        assert_eq!((a.value, a.kind.ty()), (v, ty), "{name}");
    }
    assert_eq!(ctrl.max_value, 10);
    assert_eq!(ctrl.attr("family-id").unwrap().c_name, "CTRL_ATTR_FAMILY_ID");
    assert_eq!(ctrl.attr("family-name").unwrap().checks.max_len.as_ref().unwrap().value, 15);
    let AttrKind::IndexedArray { sub_type, set } = &ctrl.attr("ops").unwrap().kind else { panic!() };
    assert_eq!(*sub_type, AttrType::Nest);
    assert_eq!(f.set(set.unwrap()).name, "op-attrs");
    let pol = f.set_by_name("policy-attrs").unwrap();
    for (name, v) in [
        ("type", 1),
        ("min-value-s", 2),
        ("max-value-u", 5),
        ("policy-maxtype", 9),
        ("bitfield32-mask", 10),
        ("pad", 11),
        ("mask", 12),
    ] {
        assert_eq!(pol.attr(name).unwrap().value, v, "{name}");
    }
    assert_eq!(pol.attr("type").unwrap().rust_name, "type_");
    let opp = f.set_by_name("op-policy-attrs").unwrap();
    assert_eq!(opp.attr("do").unwrap().rust_name, "do_");
    assert_eq!(f.set_by_name("mcast-group-attrs").unwrap().attr("id").unwrap().value, 2);
}

#[test]
fn enums() {
    let f = nlctrl();
    let fl = f.enum_by_name("op-flags").unwrap();
    assert_eq!(fl.kind, EnumKind::Flags);
    let vals: Vec<u64> = fl.entries.iter().map(|e| e.value).collect();
    assert_eq!(vals, [0x1, 0x2, 0x4, 0x8, 0x10]);
    let t = f.enum_by_name("attr-type").unwrap();
    assert_eq!(t.entry("nul-string").unwrap().value, 12);
    assert_eq!(t.entry("uint").unwrap().value, 17);
    let flags = f.set_by_name("op-attrs").unwrap().attr("flags").unwrap();
    assert!(flags.enum_as_flags);
    assert_eq!(f.enum_(flags.enum_.unwrap()).name, "op-flags");
}

#[test]
fn operations() {
    let f = nlctrl();
    assert_eq!(f.ops.enum_model, EnumModel::Directional);
    let gf = f.op_by_name("getfamily").unwrap();
    assert_eq!((gf.req_value, gf.rsp_value), (Some(3), Some(1)));
    let d = gf.do_.as_ref().unwrap();
    assert_eq!(d.request.as_ref().unwrap().attrs.len(), 1);
    assert_eq!(d.reply.as_ref().unwrap().attrs.len(), 7);
    assert!(gf.dump.is_some());
    let gp = f.op_by_name("getpolicy").unwrap();
    assert_eq!((gp.req_value, gp.rsp_value), (Some(10), Some(10)));
    assert!(gp.do_.is_none());
    for (name, v) in [("newfamily", 1), ("delfamily", 2), ("newmcast-grp", 7), ("delmcast-grp", 8)] {
        let o = f.op_by_name(name).unwrap();
        assert!(o.is_async(), "{name}");
        assert_eq!((o.req_value, o.rsp_value), (None, Some(v)), "{name}");
        assert_eq!(f.mcgrp(o.mcgrp.unwrap()).name, "notify");
        assert!(f.async_attrs(o.id).is_some_and(|a| !a.is_empty()), "{name}");
    }
    assert_eq!(f.op_by_name("newfamily").unwrap().c_name, "CTRL_CMD_NEWFAMILY");
    assert_eq!(f.mcast_groups.len(), 1);
}

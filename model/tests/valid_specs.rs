//! Specs using every key of their protocol level resolve, and the IR carries what they say.

use nlspec_model::ir::*;

fn load(name: &str) -> Family {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid").join(name);
    nlspec_model::load_and_resolve(&p).unwrap_or_else(|d| panic!("{d}"))
}

#[test]
fn legacy_family_keys() {
    let f = load("legacy_all_keys.yaml");
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    assert_eq!(f.protocol, Protocol::GenetlinkLegacy);
    assert_eq!(f.version, 3);
    assert_eq!(f.kernel_policy, KernelPolicy::PerOp);
    assert_eq!(f.c.uapi_header, "linux/kitchen_uapi.h");
    assert_eq!(f.c.c_family_name, "KITCHEN_GENL_NAME");
    assert_eq!(f.c.c_version_name, "KITCHEN_GENL_VERSION");
    assert!(f.c.max_by_define);
    assert_eq!(f.c.cmd_max_name, "KITCHEN_CMD_MAX");
    assert_eq!(f.c.cmd_cnt_name, "KITCHEN_CMD_CNT");
    assert_eq!(f.kernel_family.headers, ["linux/kitchen_priv.h"]);
    assert_eq!(f.kernel_family.sock_priv.as_deref(), Some("struct kitchen_sock"));
    assert_eq!(f.definitions.len(), 6);
}

#[test]
fn legacy_definitions() {
    let f = load("legacy_all_keys.yaml");
    let c = &f.consts[0];
    assert_eq!((c.name.as_str(), &c.value, c.scope), ("max-name", &ConstValue::Int(32), Scope::Kernel));
    assert_eq!(c.header.as_deref(), Some("linux/kitchen_consts.h"));
    let mode = f.enum_by_name("mode").unwrap();
    assert_eq!(mode.entries.iter().map(|e| e.value).collect::<Vec<_>>(), [2, 3, 10]);
    assert_eq!(mode.entries[1].doc.as_deref(), Some("Doing things."));
    assert!(mode.render_max);
    assert_eq!(mode.c_enum_name.as_deref(), Some("kitchen_mode_enum"));
    assert_eq!(mode.entries[0].c_name, "KITCHEN_MODE_IDLE");
    assert_eq!(mode.enum_cnt_name.as_deref(), Some("kitchen-mode-cnt"));
    assert!(!mode.is_dense());
    let caps = f.enum_by_name("caps").unwrap();
    assert_eq!(caps.kind, EnumKind::Flags);
    assert_eq!(caps.c_enum_name, None);
    assert_eq!(caps.entries.iter().map(|e| (e.raw, e.value)).collect::<Vec<_>>(), [(1, 2), (2, 4), (5, 32)]);
    assert_eq!(caps.flags_mask(), 2 | 4 | 32);
    let hdr = f.struct_by_name("hdr").unwrap();
    assert_eq!(hdr.size, Some(8));
    assert_eq!(hdr.members[3].offset, Some(6));
    assert_eq!(hdr.members[3].byte_order, Some(ByteOrder::BigEndian));
    assert_eq!(hdr.members[3].display_hint, Some(DisplayHint::Hex));
    assert_eq!(f.enum_(hdr.members[1].enum_.unwrap()).name, "mode");
    let pair = f.struct_by_name("pair").unwrap();
    assert_eq!(pair.members.iter().map(|m| m.len).collect::<Vec<_>>(), [Some(8), Some(32), Some(4)]);
    assert_eq!(pair.size, Some(44));
}

#[test]
fn legacy_attribute_sets() {
    let f = load("legacy_all_keys.yaml");
    let main = f.set_by_name("main").unwrap();
    assert_eq!(main.c_name_prefix, "KITCHEN_A_");
    assert_eq!(main.c_enum_name.as_deref(), Some("kitchen_attrs"));
    assert_eq!(main.attr_cnt_name, "KITCHEN_A_CNT");
    assert_eq!(main.attr_max_name, "KITCHEN_A_LAST");
    assert_eq!(main.attr("unspec").unwrap().value, 0);
    assert_eq!(main.attr("pad").unwrap().value, 1);
    assert_eq!(main.attr("items").unwrap().value, 40);
    assert_eq!(main.attr("prefixed").unwrap().value, 41);
    assert_eq!(main.attr("prefixed").unwrap().c_name, "KITCHEN_SPECIAL_PREFIXED");
    assert_eq!(main.max_value, 41);
    assert!(main.attr("items").unwrap().multi_attr);
    let small = main.attr("small").unwrap();
    assert_eq!(small.checks.min.as_ref().unwrap().value, 1);
    assert_eq!(small.checks.max.as_ref().unwrap().source, BoundSource::Limit("u8-max".into()));
    assert_eq!(small.checks.max.as_ref().unwrap().value, 255);
    let label = main.attr("label").unwrap();
    assert_eq!(label.checks.max_len.as_ref().unwrap().value, 32);
    assert!(matches!(label.checks.max_len.as_ref().unwrap().source, BoundSource::Const(_)));
    assert!(label.checks.unterminated_ok);
    assert_eq!(main.attr("neg8").unwrap().checks.min.as_ref().unwrap().value, -128);
    assert_eq!(main.attr("neg8").unwrap().checks.max.as_ref().unwrap().value, -1);
    assert_eq!(main.attr("neg32").unwrap().checks.min.as_ref().unwrap().value, -1);
    assert_eq!(main.attr("count").unwrap().checks.max.as_ref().unwrap().value, u64::MAX as i128);
    assert_eq!(main.attr("delta").unwrap().checks.min.as_ref().unwrap().value, i64::MIN as i128);
    let caps = main.attr("caps").unwrap();
    assert!(caps.enum_as_flags);
    assert_eq!(caps.checks.flags_mask.as_ref().unwrap().mask, 2 | 4 | 32);
    assert_eq!(main.attr("port").unwrap().byte_order, Some(ByteOrder::BigEndian));
    assert_eq!(main.attr("blob").unwrap().display_hint, Some(DisplayHint::Mac));
    assert_eq!(main.attr("key").unwrap().checks.exact_len.as_ref().unwrap().value, 16);
    assert_eq!(f.struct_(main.attr("header").unwrap().struct_.unwrap()).name, "hdr");
    assert_eq!(main.attr("u32s").unwrap().sub_type, Some(AttrType::U32));
    let inner = f.set_by_name("inner").unwrap().id;
    assert_eq!(main.attr("inner").unwrap().kind, AttrKind::Nest { set: inner });
    assert_eq!(main.attr("list").unwrap().kind, AttrKind::IndexedArray { sub_type: AttrType::Nest, set: Some(inner) });
    assert_eq!(main.attr("ids").unwrap().kind, AttrKind::IndexedArray { sub_type: AttrType::U32, set: None });
    assert_eq!(
        main.attr("table").unwrap().kind,
        AttrKind::NestTypeValue { type_value: vec!["row".into(), "col".into()], set: inner }
    );
    assert_eq!(main.attr("bits").unwrap().kind, AttrKind::Bitfield32);
    // a set nesting back into main (recursion) is fine
    assert_eq!(f.set(inner).attr("deeper").unwrap().kind, AttrKind::Nest { set: main.id });

    let sub = f.set_by_name("main-small").unwrap();
    assert_eq!(sub.subset_of, Some(main.id));
    assert_eq!(sub.c_name_prefix, "KITCHEN_A_");
    assert_eq!(sub.max_value, 41);
    assert_eq!(
        sub.attrs.iter().map(|a| (a.name.as_str(), a.value)).collect::<Vec<_>>(),
        [("small", 3), ("label", 14), ("inner", 19)]
    );
    // merged: small is the parent's definition, label refined by the subset
    assert_eq!(sub.attr("small").unwrap().checks, small.checks);
    assert_eq!(sub.attr("label").unwrap().checks.max_len.as_ref().unwrap().value, 8);
    assert!(!sub.attr("label").unwrap().checks.unterminated_ok);
    assert_eq!(sub.attr("label").unwrap().kind, AttrKind::String);
    assert_eq!(sub.attr("inner").unwrap().kind, AttrKind::Nest { set: inner });
    assert_eq!(sub.attr("small").unwrap().origin, f.attr_ref(main.id, "small"));
    let anon = f.set_by_name("anon").unwrap();
    assert_eq!(anon.c_enum_name, None);
    assert_eq!(anon.header.as_deref(), Some("linux/kitchen_other.h"));
}

#[test]
fn legacy_operations() {
    let f = load("legacy_all_keys.yaml");
    assert_eq!(f.ops.enum_model, EnumModel::Directional);
    assert_eq!(f.ops.c_enum_name.as_deref(), Some("kitchen_cmds"));
    assert_eq!(f.ops.async_prefix.as_deref(), Some("KITCHEN_NTF_"));
    let hdr = f.struct_by_name("hdr").unwrap();
    assert_eq!(f.ops.fixed_header.map(|s| f.struct_(s).name.clone()), Some(hdr.name.clone()));
    let get = f.op_by_name("get").unwrap();
    assert_eq!((get.req_value, get.rsp_value), (Some(5), Some(6)));
    assert_eq!(get.value(), None);
    assert!(get.flags.admin_perm && get.flags.uns_admin_perm);
    assert!(get.dont_validate.strict && get.dont_validate.dump && get.dont_validate.dump_strict);
    assert_eq!(get.config_cond.as_deref(), Some("kitchen-debug"));
    let d = get.do_.as_ref().unwrap();
    assert_eq!(d.pre.as_deref(), Some("kitchen-pre"));
    assert_eq!(d.post.as_deref(), Some("kitchen-post"));
    assert_eq!(d.request.as_ref().unwrap().value, Some(5));
    let names: Vec<_> = d.reply.as_ref().unwrap().attrs.iter().map(|r| f.attr(*r).name.as_str()).collect();
    assert_eq!(names, ["small", "label", "inner"]);
    assert_eq!(get.c_name, "KITCHEN_CMD_GET");
    assert_eq!(get.fixed_header.map(|s| f.struct_(s).name.as_str()), Some("hdr"));
    let set = f.op_by_name("set").unwrap();
    // directional numbering: request ids continue after 5, no reply so rsp stays
    assert_eq!((set.req_value, set.rsp_value), (Some(6), None));
    assert_eq!(set.fixed_header.map(|s| f.struct_(s).name.as_str()), Some("pair"));
    let changed = f.op_by_name("changed").unwrap();
    assert_eq!((changed.req_value, changed.rsp_value), (None, Some(7)));
    assert_eq!(changed.notify, Some(get.id));
    assert_eq!(changed.attribute_set, get.attribute_set);
    assert_eq!(changed.c_name, "KITCHEN_NTF_CHANGED");
    assert_eq!(f.async_attrs(changed.id).unwrap().len(), 3);
    let poked = f.op_by_name("poked").unwrap();
    assert_eq!((poked.req_value, poked.rsp_value), (None, Some(20)));
    assert_eq!(poked.event.as_ref().unwrap().len(), 2);
    assert_eq!(f.mcgrp(poked.mcgrp.unwrap()).name, "admins");
    let g = &f.mcast_groups;
    assert_eq!(g[0].c_define_name, "KITCHEN_MCGRP_WATCHERS");
    assert_eq!(g[1].c_define_name, "KITCHEN_MCGRP_ADMINS");
    assert!(g[1].flags.admin_perm && g[1].flags.uns_admin_perm);
    assert_eq!(g[1].index, 1);
    assert_eq!(f.op_by_req_value(6).unwrap().name, "set");
    assert_eq!(f.op_by_rsp_value(6).unwrap().name, "get");
}

#[test]
fn raw_keys() {
    let f = load("raw_all_keys.yaml");
    assert_eq!(f.protocol, Protocol::NetlinkRaw);
    assert_eq!(f.protonum, Some(0));
    assert!(!f.is_genetlink());
    assert_eq!(f.kernel_policy, KernelPolicy::Global);
    let msg = f.struct_by_name("msg").unwrap();
    assert_eq!(msg.size, Some(8));
    assert_eq!(msg.members[1].ty, MemberType::Pad);
    assert!(msg.members[2].enum_as_flags);
    let sm = &f.sub_messages[0];
    assert_eq!(sm.formats.iter().map(|x| x.value.as_str()).collect::<Vec<_>>(), ["vlan", "veth", "dummy", "7"]);
    assert_eq!(sm.formats[0].attribute_set.map(|s| f.set(s).name.as_str()), Some("vlan"));
    assert_eq!(sm.formats[1].fixed_header.map(|s| f.struct_(s).name.as_str()), Some("kind-hdr"));
    let info = f.set_by_name("info").unwrap();
    let AttrKind::SubMessage { sub_message, selector } = &info.attr("data").unwrap().kind else { panic!() };
    assert_eq!(*sub_message, SubMsgId(0));
    assert_eq!(selector.attr, f.attr_ref(info.id, "kind"));
    // the selector may live in the enclosing nest
    let opts = f.set_by_name("options").unwrap();
    let AttrKind::SubMessage { selector, .. } = &opts.attr("opt").unwrap().kind else { panic!() };
    assert_eq!(selector.attr, f.attr_ref(info.id, "kind"));
    let getlink = f.op_by_name("getlink").unwrap();
    assert_eq!((getlink.req_value, getlink.rsp_value), (Some(18), Some(16)));
    let ntf = f.op_by_name("newlink-ntf").unwrap();
    assert_eq!((ntf.req_value, ntf.rsp_value), (None, Some(16)));
    assert_eq!(f.mcast_groups[0].value, Some(1));
    assert_eq!(f.ops.c_name_prefix, "RTM_");
}

#[test]
fn genetlink_c_keys() {
    let f = load("genetlink_c_keys.yaml");
    assert_eq!(f.protocol, Protocol::GenetlinkC);
    assert_eq!(f.c.c_family_name, "CKIT_NAME");
    assert_eq!(f.c.c_version_name, "CKIT_FAMILY_VERSION");
    assert_eq!(f.version, 1);
    assert_eq!(f.ops.c_enum_name, None);
    let main = f.set_by_name("main").unwrap();
    assert_eq!(main.attr_cnt_name, "CKIT_CNT");
    assert_eq!(main.attr_max_name, "CKIT_A_MAIN_MAX");
    assert_eq!(main.attr("b").unwrap().c_name, "CKIT_B_B");
    let get = f.op_by_name("get").unwrap();
    assert_eq!(get.value(), Some(1));
    assert_eq!(f.mcast_groups[0].c_define_name, "CKIT_G");
}

//! Kernel emitter: golden test of the generated nlkv family code, and generation of every
//! module file for the project's specs.
//!
//! `NLSPEC_BLESS=1 cargo test -p nlspec-codegen --test kernel_golden` rewrites the golden file.

use std::path::{Path, PathBuf};

use nlspec_codegen::emit::kernel::{generate, KernelOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn gen(spec: &str) -> Vec<nlspec_codegen::emit::GeneratedFile> {
    let fam =
        nlspec_codegen::load_and_resolve(root().join("specs").join(spec)).unwrap_or_else(|e| panic!("{spec}: {e}"));
    generate(&fam, &KernelOptions::default()).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

#[test]
fn nlkv_genl_matches_golden() {
    let files = gen("nlkv.yaml");
    let genl = files.iter().find(|f| f.path == Path::new("nlkv_genl.rs")).expect("nlkv_genl.rs");
    let golden = root().join("codegen/tests/golden/nlkv_genl.rs");
    if std::env::var_os("NLSPEC_BLESS").is_some() {
        std::fs::write(&golden, &genl.contents).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden).expect("golden file (NLSPEC_BLESS=1 writes it)");
    if want != genl.contents {
        let line = want
            .lines()
            .zip(genl.contents.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or(want.lines().count().min(genl.contents.lines().count()) + 1);
        panic!("generated nlkv_genl.rs differs from codegen/tests/golden/nlkv_genl.rs at line {line} (NLSPEC_BLESS=1 to accept)");
    }
}

#[test]
fn module_files_for_project_specs() {
    for spec in ["nlkv.yaml", "nlctrl.yaml"] {
        let files = gen(spec);
        let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        let stem = spec.trim_end_matches(".yaml");
        for want in [
            format!("{stem}_genl.rs"),
            format!("{stem}_main.rs"),
            format!("{stem}.mk"),
            "Kbuild".into(),
            "Makefile".into(),
            "nlspec_support.rs".into(),
            "nlspec_macros.rs".into(),
            "nlspec_helper.h".into(),
            "nlspec_bindgen.py".into(),
            "nlspec.mk".into(),
        ] {
            assert!(names.contains(&want), "{spec}: no {want} in {names:?}");
        }
        let genl = &files[0].contents;
        assert!(!genl.contains("unsafe"), "{spec}: generated family code must be safe Rust");
        if let Some(out) = std::env::var_os("NLSPEC_KMOD_OUT") {
            let dir = Path::new(&out).join(stem);
            nlspec_codegen::emit::write_files(&dir, &files).unwrap();
        }
    }
}

#[test]
fn nlkv_policies() {
    let genl = &gen("nlkv.yaml")[0].contents;
    // split policy: per-op do/dump tables keyed by attribute constant, listing only the op's
    // request attributes, sized by the highest of them
    assert!(genl.contains("static SET_DO_POLICY[attrs::entry::CREATE_ONLY + 1] {"));
    assert!(genl.contains("static GET_DUMP_POLICY[attrs::entry::FILTER + 1] {"));
    assert!(!genl.contains("Policy::unspec()"), "no positional padding");
    // bounds by the spec's definitions: consts and type limits by name
    assert!(genl.contains("attrs::entry::KEY => Policy::string(MAX_KEY_LEN),"));
    assert!(genl.contains("static ENTRY_TTL_MS_RANGE: RangeU(1, u32::MAX as u64);"));
    assert!(genl.contains("Policy::s8().range(MIN_PRIORITY, MAX_PRIORITY as i64)"));
    assert!(genl.contains("Policy::u32().range(1, MAX_FILL as i64)"));
    // sparse enum validated by the enum type's value check, flags by mask, exact length,
    // unterminated string
    assert!(genl.contains("Policy::u32().check::<Kind>()"));
    assert!(genl.contains("Policy::u32().mask(EntryFlags::ALL.bits())"));
    assert!(genl.contains("Policy::binary_exact_len(32)"));
    assert!(genl.contains("Policy::string_unterminated(32)"));
    assert!(genl.contains("Policy::nested_array(&TAG_NEST_POLICY)"));
    assert!(genl.contains("do SetOp(cmd::SET).flags(nl::ADMIN_PERM),"));
    assert!(genl.contains("dump GetOp(cmd::GET),"));
    assert!(genl.contains(".validate(nl::DONT_VALIDATE_STRICT)"));
    assert!(genl.contains("nl::McGroup::new(c\"audit\").cap_net_admin()"));
    assert!(genl.contains("pub static FAMILY: nl::Family = nl::family(nl::FamilyDef {"));
    assert!(genl.contains("hdrsize: 8,"));
    assert!(genl.contains("resv_start_op: 8"));
}

/// `netnsok` (not a key of the YNL spec format: ynl-gen-c sets it for every family, and so does
/// the default here) reaches the family definition when turned off; the admin-perm multicast
/// group carries GENL_MCAST_CAP_NET_ADMIN (`cap_net_admin()`) and the other does not. (The
/// kernel side of both is exercised in the VM suites: `proof/netnsok-*`, `userns-*`.)
#[test]
fn netnsok_option_and_group_permission_reach_the_family() {
    let fam = nlspec_codegen::load_and_resolve(root().join("specs/nlkv.yaml")).unwrap();
    let genl = |opts: &KernelOptions| {
        let files = generate(&fam, opts).unwrap();
        files.into_iter().find(|f| f.path == Path::new("nlkv_genl.rs")).expect("nlkv_genl.rs").contents
    };
    let on = genl(&KernelOptions::default());
    let off = genl(&KernelOptions { netnsok: false, ..KernelOptions::default() });
    assert_eq!(on.matches("netnsok: true,").count(), 1);
    assert_eq!(off.matches("netnsok: false,").count(), 1);
    assert!(!off.contains("netnsok: true"));
    assert!(on.contains(r#"nl::McGroup::new(c"audit").cap_net_admin()"#), "audit group without its flag");
    assert!(on.contains(r#"nl::McGroup::new(c"changes"),"#), "changes group with a flag");
}

/// `kernel-family: sock-priv`: the family file names the crate root's per-socket state type and
/// builds the family with it, and the skeleton defines it as `()` (compiled for netdev by the
/// kmod corpus and, in tree, by the intree corpus). Without it, no such item.
#[test]
fn sock_priv_is_the_crate_roots_type() {
    let text = std::fs::read_to_string(root().join("specs/nlkv.yaml")).unwrap();
    assert!(!text.contains("kernel-family"));
    let with = format!("{text}\nkernel-family:\n  sock-priv: struct nlkv_sock\n");
    let fam = nlspec_codegen::resolve_str("nlkv.yaml", &with).unwrap_or_else(|e| panic!("{e}"));
    let files = generate(&fam, &KernelOptions::default()).unwrap();
    let genl = &files.iter().find(|f| f.path == Path::new("nlkv_genl.rs")).unwrap().contents;
    assert!(genl.contains("/// Per-socket state (`sock-priv: struct nlkv_sock` in the spec)"), "{genl}");
    // The crate root's type: the kernel needs its size when the family is built (in tree, the
    // series takes it in `FamilyOps`), before any handler type is known.
    assert!(genl.contains("pub(crate) type SockPriv = crate::NlkvSockPriv;"), "{genl}");
    let flat: String = genl.split_whitespace().collect();
    assert!(flat.contains("pubstaticFAMILY:nl::Family=nl::family_sock_priv::<SockPriv"), "{genl}");
    assert!(genl.contains("nl::Registration::register_with(&FAMILY, Ops::<H>::TABLE.as_ref(), None, module)"));
    let main = &files.iter().find(|f| f.path == Path::new("nlkv_main.rs")).unwrap().contents;
    assert!(main.contains("type NlkvSockPriv = ();"), "{main}");

    let plain = gen("nlkv.yaml");
    assert!(!plain[0].contents.contains("SockPriv"));
    assert!(plain[0]
        .contents
        .contains("nl::Registration::register_with(&FAMILY, Ops::<H>::TABLE.as_ref(), None, module)"));
}

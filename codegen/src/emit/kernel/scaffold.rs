//! Module scaffolding: `Kbuild`, `Makefile`, `<module>.mk`, `.gitignore` and the skeleton
//! `<module>_main.rs` rendered from the minijinja templates in `kmod-template/`, and the
//! family-independent support files copied from `kernel/support/`.

use nlspec_model::names;

use super::common::{KernelGenError, KernelOptions};
use super::handler::dump_states_of;
use crate::attr::Cx;
use crate::emit::GeneratedFile;

// `codegen/kernel-support` and `codegen/kmod-template` are symlinks to the top-level
// `kernel/support/` and `kmod-template/`: the files stay where the tree's layout puts them, and
// `cargo package` still ships them inside the crate (it packages a symlink's target).
const SUPPORT_FILES: &[(&str, &str)] = &[
    ("nlspec_support.rs", include_str!("../../../kernel-support/nlspec_support.rs")),
    MACROS,
    ("nlspec_helper.h", include_str!("../../../kernel-support/nlspec_helper.h")),
    ("nlspec_bindgen.py", include_str!("../../../kernel-support/nlspec_bindgen.py")),
    ("nlspec.mk", include_str!("../../../kernel-support/nlspec.mk")),
];

const TEMPLATES: &[(&str, &str)] = &[
    ("Kbuild", include_str!("../../../kmod-template/Kbuild.j2")),
    ("Makefile", include_str!("../../../kmod-template/Makefile.j2")),
    ("family.mk", include_str!("../../../kmod-template/family.mk.j2")),
    ("main.rs", include_str!("../../../kmod-template/main.rs.j2")),
    ("intree-Kconfig", include_str!("../../../kmod-template/intree-Kconfig.j2")),
    ("intree-Makefile", include_str!("../../../kmod-template/intree-Makefile.j2")),
    ("gitignore", include_str!("../../../kmod-template/gitignore.j2")),
];

/// The scaffolding files of module `module` (everything but `<module>_genl.rs`).
pub(super) fn files(cx: &Cx, module: &str, opts: &KernelOptions) -> Result<Vec<GeneratedFile>, KernelGenError> {
    let env = template_env();
    let ctx = TemplateCtx::new(cx, module, false);
    let render = |name: &str| -> Result<String, KernelGenError> {
        env.get_template(name).and_then(|t| t.render(&ctx)).map_err(|e| KernelGenError(format!("template {name}: {e}")))
    };
    let mut out = vec![
        GeneratedFile::new("Kbuild", render("Kbuild")?),
        GeneratedFile::new("Makefile", render("Makefile")?),
        GeneratedFile::new(format!("{module}.mk"), render("family.mk")?),
        GeneratedFile::new(".gitignore", render("gitignore")?),
    ];
    if opts.skeleton {
        out.push(GeneratedFile::new(skeleton_name(module, false), render("main.rs")?));
    }
    if opts.support {
        for (name, text) in SUPPORT_FILES {
            out.push(GeneratedFile::new(name.to_string(), text.to_string()));
        }
    }
    Ok(out)
}

/// The skeleton of module `module`, the handlers' file: the crate root `<module>.rs` in tree,
/// `<module>_main.rs` out of tree.
pub(super) fn skeleton_name(module: &str, in_tree: bool) -> String {
    if in_tree {
        format!("{module}.rs")
    } else {
        format!("{module}_main.rs")
    }
}

/// The macros family files are written in, shared by both layers.
const MACROS: (&str, &str) = ("nlspec_macros.rs", include_str!("../../../kernel-support/nlspec_macros.rs"));

/// Whether `f` is a verbatim copy of one of the support files (checked in already in the
/// kernel's rustfmt style, so formatting them again per module is wasted work).
pub(crate) fn is_support_copy(f: &GeneratedFile) -> bool {
    SUPPORT_FILES
        .iter()
        .chain([&MACROS, &IN_TREE_LAYER])
        .any(|(name, text)| f.path.as_os_str() == *name && f.contents == *text)
}

/// The in-tree layer: safe code over `kernel::net::genetlink`.
const IN_TREE_LAYER: (&str, &str) = ("nlspec_genl.rs", include_str!("../../../kernel-support/nlspec_genl.rs"));

/// The files of an in-tree driver directory besides `<module>_genl.rs`: `Kconfig`, `Makefile`,
/// the skeleton `<module>.rs` and the in-tree layer.
pub(super) fn in_tree_files(cx: &Cx, module: &str, opts: &KernelOptions) -> Result<Vec<GeneratedFile>, KernelGenError> {
    let env = template_env();
    let ctx = TemplateCtx::new(cx, module, true);
    let render = |name: &str| -> Result<String, KernelGenError> {
        env.get_template(name).and_then(|t| t.render(&ctx)).map_err(|e| KernelGenError(format!("template {name}: {e}")))
    };
    let mut out = vec![
        GeneratedFile::new("Kconfig", render("intree-Kconfig")?),
        GeneratedFile::new("Makefile", render("intree-Makefile")?),
    ];
    if opts.skeleton {
        out.push(GeneratedFile::new(skeleton_name(module, true), render("main.rs")?));
    }
    if opts.support {
        out.push(GeneratedFile::new(IN_TREE_LAYER.0, IN_TREE_LAYER.1.to_string()));
        out.push(GeneratedFile::new(MACROS.0, MACROS.1.to_string()));
    }
    Ok(out)
}

fn template_env() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    for (n, t) in TEMPLATES {
        env.add_template(n, t).expect("built-in template parses");
    }
    env
}

/// What the templates see.
#[derive(serde::Serialize)]
struct TemplateCtx {
    family: String,
    module: String,
    module_upper: String,
    handler_trait: String,
    doc: Vec<String>,
    source: String,
    /// Associated types of the handler trait the skeleton sets to `()`: dump states.
    unit_types: Vec<String>,
    /// The spec's `sock-priv` (C type), for a Generic Netlink family with per-socket state.
    sock_priv: Option<String>,
    /// The crate root's per-socket state type the family file names (`<Family>SockPriv`).
    sock_priv_type: String,
    ops: Vec<String>,
    /// `<module>_genl` or `<module>_nl`.
    family_file: String,
    /// The skeleton's `mod` lines: the family file and the support layer, in rustfmt's order.
    mods: Vec<String>,
    /// The load message's `pr_info!` as rustfmt lays it out (one line, or one argument per line).
    pr_info: Vec<String>,
    /// A classic netlink protocol (netlink-raw spec).
    raw: bool,
    /// "Generic Netlink family" or "classic netlink protocol".
    kind: String,
    /// An in-tree driver (the layer is `nlspec_genl`, not `nlspec_support`).
    in_tree: bool,
    /// The Kconfig symbol of an in-tree driver (without `CONFIG_`).
    config: String,
}

/// `pr_info!(...);` announcing the registration, as rustfmt writes it inside `init` (eight
/// columns in): on one line when its arguments take at most 60 columns (rustfmt's
/// `fn_call_width`) and the line fits in 100, else one argument per line.
fn pr_info(f: &nlspec_model::ir::Family) -> Vec<String> {
    let args = if f.is_genetlink() {
        [format!("\"Generic Netlink family {} registered (id {{}})\\n\"", f.name), "FAMILY.id()".to_string()]
    } else {
        [format!("\"netlink protocol {} created (protocol {{}})\\n\"", f.name), "PROTONUM".to_string()]
    };
    let one = format!("pr_info!({});", args.join(", "));
    if args.join(", ").len() <= 60 && 8 + one.len() <= 100 {
        return vec![one];
    }
    let mut v = vec!["pr_info!(".to_string()];
    v.extend(args.iter().enumerate().map(|(i, a)| format!("    {a}{}", if i == 0 { "," } else { "" })));
    v.push(");".into());
    v
}

/// The skeleton's `mod` items: the family file and the support layer (`nlspec_genl` in tree,
/// `nlspec_support` out of tree), in rustfmt's order of consecutive `mod` items (these names
/// are lower-case ASCII: byte order).
fn skeleton_mods(family_file: String, in_tree: bool) -> Vec<String> {
    let layer = if in_tree { "nlspec_genl" } else { "nlspec_support" };
    let mut mods = vec![family_file, layer.to_string()];
    mods.sort();
    mods
}

impl TemplateCtx {
    /// The context of module `module`: an in-tree driver (`in_tree`) or an out-of-tree module.
    fn new(cx: &Cx, module: &str, in_tree: bool) -> Self {
        let f = cx.fam;
        let doc = f.doc.as_deref().unwrap_or("").trim().lines().map(|l| l.trim().to_string()).collect();
        let mut unit_types: Vec<String> = Vec::new();
        if let Ok(states) = dump_states_of(cx) {
            for st in states.values() {
                if !unit_types.contains(st) {
                    unit_types.push(st.clone());
                }
            }
        }
        let ops = f
            .served_ops()
            .map(|op| {
                let kinds: Vec<&str> = [(op.do_.is_some(), "do"), (op.dump.is_some(), "dump")]
                    .into_iter()
                    .filter_map(|(has, k)| has.then_some(k))
                    .collect();
                format!("{} ({})", op.name, kinds.join(", "))
            })
            .collect();
        TemplateCtx {
            family: f.name.clone(),
            module: module.to_string(),
            module_upper: names::upper_camel(module),
            handler_trait: format!("{}Handler", f.rust_name),
            doc,
            source: super::common::spec_file_name(f),
            unit_types,
            ops,
            family_file: super::family_file(f, module),
            mods: skeleton_mods(super::family_file(f, module), in_tree),
            pr_info: pr_info(f),
            raw: !f.is_genetlink(),
            kind: if f.is_genetlink() { "Generic Netlink family" } else { "classic netlink protocol" }.into(),
            in_tree,
            config: module.to_uppercase(),
            sock_priv: f.kernel_family.sock_priv.clone().filter(|_| f.is_genetlink()),
            sock_priv_type: super::common::sock_priv_type(f),
        }
    }
}

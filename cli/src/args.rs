//! Command-line parsing (hand-written: a dozen options, and every mistake must name the option
//! and exit 2 with a clear message).

use crate::errors::Fail;

pub const USAGE: &str = "\
nlspec — one YNL spec, both sides of a Generic Netlink family

USAGE:
    nlspec check --spec PATH
        Validate the spec; print located diagnostics. Exit 0 ok, 1 on errors.
    nlspec gen --spec PATH --out DIR [--kernel [--in-tree]] [--rt-path P]
        Write the client crate (with --kernel: the kernel module) for the spec into DIR.
        With --in-tree: a driver directory for a kernel tree that has kernel::net::genetlink
        (Kconfig, Makefile, <module>.rs, <module>_genl.rs, nlspec_genl.rs; no bindgen, no C).
        The client depends on nlspec-rt by version (crates.io); --rt-path P adds a path
        dependency (P: the nlspec-rt crate's directory, relative to DIR or absolute).
        Generated files carry an @generated marker and are rewritten; a file without it at a
        generated path is an error (nothing is written). The module's <module>_main.rs
        (in tree: <module>.rs), where you write the handlers, is written only when absent
        (stderr: kept FILE (yours)).
    nlspec doc --spec PATH [--format md|rst] [--out FILE]
        A reference of the family (as the kernel's generated netlink docs): operations with
        their request/reply attributes and flags, multicast groups, definitions, attribute
        sets with types and checks, sub-messages, all cross-linked. Markdown (default) or
        reStructuredText (Sphinx labels); on stdout, or into FILE.
    nlspec abi-check OLD NEW
        What changed from spec OLD to spec NEW that breaks existing userspace or kernels
        (error) or looks suspicious (warning), one per line at file:line:col of NEW (of OLD
        for removals). Exit 0 compatible (warnings allowed), 1 breaking or invalid spec.
    nlspec --spec PATH (--do OP | --dump OP) [--json JSON] [--output-json]
           [--subscribe GROUP [--duration SECS]] [--create] [--excl] [--replace] [--append]
        Talk to the running kernel, encoding and decoding per the spec (the convention of
        the kernel's YNL CLI, tools/net/ynl/pyynl/cli.py).
    nlspec --spec PATH --multi OP JSON [--multi OP JSON ...] [--output-json]
        Several do requests sent together in one datagram; prints the list of their replies.
    nlspec --spec PATH --policy (--do OP | --dump OP) [--output-json]
        Print the running kernel's policy for that mode of OP (nlctrl getpolicy) instead of
        running it.
    nlspec --spec PATH --subscribe GROUP [--duration SECS] [--output-json]
        Print the family's notifications on GROUP as they arrive.
    nlspec --spec PATH --list-ops | --list-msgs | --list-groups
    nlspec --spec PATH (--list-attrs | --doc) OP
        The operation's request/reply attributes with types, enums, nests and docs (as YNL).
    nlspec --spec PATH --validate [--schema FILE | --no-schema]
        Validate the spec (nlspec's own validator plus YNL's SPDX-line rule); silent and exit 0
        when valid, else the located errors and exit 1.
    nlspec --spec PATH --check-kernel
        Compare the spec with what the running kernel says about the family (nlctrl
        getfamily and getpolicy): registered, version, fixed header size, ops present or
        absent with their do/dump capability and admin-perm/uns-admin-perm flags, each op's
        request attributes as the kernel's policy accepts them (type, bounds, lengths,
        masks, nested sets), multicast groups. One line per difference naming the op and
        attribute path; exit 0 when they match, 1 when anything differs.
    nlspec --list-families [--spec-dir DIR ...]
        The families with a spec in the spec search path (below), sorted.

    --family NAME can replace --spec PATH everywhere above: the spec is NAME.yaml in the first
    directory of the spec search path that has it. Spec search path, in order: every
    --spec-dir DIR (repeatable), then the colon-separated directories of $NLSPEC_SPEC_PATH,
    then YNL's install location /usr/share/ynl/specs.

OPTIONS:
    --json JSON       request attributes (and fixed-header fields) as a JSON object
    --output-json     one JSON document per request (a dump is one list, a do its reply,
                      null without one, a list of several); default: pretty form
    --duration SECS   stop listening after SECS seconds (default: until interrupted);
                      --sleep SECS is the same (YNL's alias)
    --schema FILE     --validate also holds the spec to this JSON schema, as YNL does (default:
                      <spec dir>/../<protocol>.yaml when present, where YNL looks); errors
                      in jsonschema's words at the spec's file:line:col
    --no-schema       no JSON schema check (nlspec's own validator still runs)
    --dbg-small-recv [N]  receive with an N-byte buffer (default 4000, at least 4000), so the
                      kernel splits dumps into many small datagrams (as YNL); each receive
                      is traced on stderr as YNL does (`Recv: read N bytes, M messages`, then
                      each message's length, flags, type, error and extended ACK)
    --process-unknown accepted for YNL compatibility: unknown attributes and values are
                      always printed (UnknownAttr(N), Unknown(N)), never fatal
    -h, --help        this text;  -V, --version  the version

Exit status: 0 ok; 1 spec, kernel or I/O error; 2 usage error (bad option, malformed --json,
unknown operation or attribute).";

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Help,
    Version,
    Check { spec: String },
    Gen { spec: String, out: String, kernel: bool, in_tree: bool, rt_path: Option<String> },
    AbiCheck { old: String, new: String },
    Doc { spec: String, format: crate::doc::Format, out: Option<String> },
    Run(Box<RunArgs>),
}

/// The YNL-style mode.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunArgs {
    pub spec: String,
    pub do_: Option<String>,
    pub dump: Option<String>,
    pub json: Option<String>,
    pub output_json: bool,
    pub subscribe: Option<String>,
    pub duration: Option<f64>,
    pub nlm_flags: u16,
    pub list_ops: bool,
    pub list_msgs: bool,
    pub list_groups: bool,
    /// `--multi OP JSON`, in order.
    pub multi: Vec<(String, String)>,
    /// `--policy`: print the kernel's policy of the `--do`/`--dump` op instead of running it.
    pub policy: bool,
    /// `--family NAME` (then `spec` is found in the spec search path).
    pub family: Option<String>,
    /// `--spec-dir DIR`, in order.
    pub spec_dirs: Vec<String>,
    /// `--list-families`.
    pub list_families: bool,
    /// `--list-attrs OP` / `--doc OP`.
    pub list_attrs: Option<String>,
    /// `--validate`.
    pub validate: bool,
    /// `--schema FILE`.
    pub schema: Option<String>,
    /// `--no-schema`.
    pub no_schema: bool,
    /// `--dbg-small-recv [N]`: the receive buffer size.
    pub dbg_small_recv: Option<usize>,
    /// `--check-kernel`: compare the spec with the running kernel's view of the family.
    pub check_kernel: bool,
}

/// YNL's `--dbg-small-recv` without a value.
const DBG_SMALL_RECV_DEFAULT: usize = 4000;

const NLM_F_REPLACE: u16 = 0x100;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_APPEND: u16 = 0x800;

struct Args {
    items: Vec<String>,
    pos: usize,
}

impl Args {
    /// Next option and its inline `=value`, if any.
    fn next(&mut self) -> Option<(String, Option<String>)> {
        let a = self.items.get(self.pos)?.clone();
        self.pos += 1;
        if a.starts_with("--") {
            if let Some((k, v)) = a.split_once('=') {
                return Some((k.to_string(), Some(v.to_string())));
            }
        }
        Some((a, None))
    }
    fn value(&mut self, opt: &str, inline: Option<String>, what: &str) -> Result<String, Fail> {
        if let Some(v) = inline {
            return Ok(v);
        }
        match self.items.get(self.pos) {
            Some(v) if !(v.starts_with("--") && v.len() > 2) => {
                self.pos += 1;
                Ok(v.clone())
            }
            _ => Err(Fail::Usage(format!("{opt} needs a value ({what})"))),
        }
    }
    /// The option's value (as [`Args::value`]) into `slot`, which must still be empty.
    fn value_once(
        &mut self,
        opt: &str,
        inline: Option<String>,
        what: &str,
        slot: &mut Option<String>,
    ) -> Result<(), Fail> {
        let v = self.value(opt, inline, what)?;
        if slot.is_some() {
            return Err(Fail::Usage(format!("{opt} given twice")));
        }
        *slot = Some(v);
        Ok(())
    }
}

fn no_value(opt: &str, inline: &Option<String>) -> Result<(), Fail> {
    if inline.is_some() {
        return Err(Fail::Usage(format!("{opt} takes no value")));
    }
    Ok(())
}

/// A switch without a value: sets `flag`.
fn set_flag(opt: &str, inline: &Option<String>, flag: &mut bool) -> Result<(), Fail> {
    no_value(opt, inline)?;
    *flag = true;
    Ok(())
}

/// Parse the arguments after the program name.
pub fn parse(argv: Vec<String>) -> Result<Command, Fail> {
    let sub = argv.first().map(String::as_str);
    match sub {
        Some("check") => return parse_check(&argv[1..]),
        Some("gen") => return parse_gen(&argv[1..]),
        Some("help") => return Ok(Command::Help),
        Some("abi-check") => return parse_abi_check(&argv[1..]),
        Some("doc") => return parse_doc(&argv[1..]),
        Some(s) if !s.starts_with('-') => {
            return Err(Fail::Usage(format!(
                "unknown command {s:?}; commands: check, gen, doc, abi-check (or the YNL-style options, see --help)"
            )));
        }
        None => return Err(Fail::Usage("no command given".into())),
        _ => {}
    }
    let mut a = Args { items: argv, pos: 0 };
    let mut r = RunArgs::default();
    let mut spec = None;
    let mut duration = None;
    while let Some((opt, inline)) = a.next() {
        match opt.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--spec" => a.value_once(&opt, inline, "path of a YNL spec", &mut spec)?,
            "--family" => a.value_once(&opt, inline, "a family name", &mut r.family)?,
            "--spec-dir" => r.spec_dirs.push(a.value(&opt, inline, "a directory of specs")?),
            "--list-families" => set_flag(&opt, &inline, &mut r.list_families)?,
            "--list-attrs" | "--doc" => a.value_once(&opt, inline, "an operation name", &mut r.list_attrs)?,
            "--validate" => set_flag(&opt, &inline, &mut r.validate)?,
            "--check-kernel" => set_flag(&opt, &inline, &mut r.check_kernel)?,
            "--schema" => a.value_once(&opt, inline, "a JSON schema file", &mut r.schema)?,
            "--no-schema" => set_flag(&opt, &inline, &mut r.no_schema)?,
            "--dbg-small-recv" => {
                // An optional value, as argparse's nargs='?': the next argument if it is one.
                let v = match inline {
                    Some(v) => Some(v),
                    None => match a.items.get(a.pos) {
                        Some(v) if !v.starts_with('-') => {
                            a.pos += 1;
                            Some(v.clone())
                        }
                        _ => None,
                    },
                };
                let n = match v {
                    None => DBG_SMALL_RECV_DEFAULT,
                    Some(v) => v
                        .parse()
                        .map_err(|_| Fail::Usage(format!("--dbg-small-recv {v:?}: expected a buffer size in bytes")))?,
                };
                // YNL refuses less (ConfigError): the kernel never sends less than a page.
                if n < DBG_SMALL_RECV_DEFAULT {
                    return Err(Fail::Usage(format!(
                        "--dbg-small-recv {n}: at least {DBG_SMALL_RECV_DEFAULT} bytes (netlink messages are at least a page)"
                    )));
                }
                r.dbg_small_recv = Some(n);
            }
            "--do" => a.value_once(&opt, inline, "an operation name", &mut r.do_)?,
            "--dump" => a.value_once(&opt, inline, "an operation name", &mut r.dump)?,
            "--json" => a.value_once(&opt, inline, "a JSON object", &mut r.json)?,
            "--subscribe" => a.value_once(&opt, inline, "a multicast group name", &mut r.subscribe)?,
            "--duration" | "--sleep" => a.value_once(&opt, inline, "seconds", &mut duration)?,
            "--output-json" => set_flag(&opt, &inline, &mut r.output_json)?,
            "--list-ops" => set_flag(&opt, &inline, &mut r.list_ops)?,
            "--list-groups" => set_flag(&opt, &inline, &mut r.list_groups)?,
            "--list-msgs" => set_flag(&opt, &inline, &mut r.list_msgs)?,
            "--policy" => set_flag(&opt, &inline, &mut r.policy)?,
            "--multi" => {
                let op = a.value(&opt, inline, "an operation name and a JSON object")?;
                let json = match a.items.get(a.pos) {
                    Some(v) => {
                        a.pos += 1;
                        v.clone()
                    }
                    None => {
                        return Err(Fail::Usage(format!("--multi {op}: needs a JSON object after the operation name")))
                    }
                };
                r.multi.push((op, json));
            }
            // YNL's switch for tolerating unknown attributes/values: always on here.
            "--process-unknown" => no_value(&opt, &inline)?,
            "--create" | "--excl" | "--replace" | "--append" => {
                no_value(&opt, &inline)?;
                r.nlm_flags |= match opt.as_str() {
                    "--create" => NLM_F_CREATE,
                    "--excl" => NLM_F_EXCL,
                    "--replace" => NLM_F_REPLACE,
                    _ => NLM_F_APPEND,
                };
            }
            other if other.starts_with('-') => {
                return Err(Fail::Usage(format!("unknown option {other:?}")));
            }
            other => return Err(Fail::Usage(format!("unexpected argument {other:?}"))),
        }
    }
    // One of --spec, --family, --list-families (YNL's required exclusive group).
    match (&spec, &r.family, r.list_families) {
        (None, None, false) => {
            return Err(Fail::Usage("--spec PATH is required (or --family NAME, or --list-families)".into()))
        }
        (Some(_), Some(_), _) => return Err(Fail::Usage("--spec and --family cannot be used together".into())),
        (Some(_), _, true) | (_, Some(_), true) => {
            return Err(Fail::Usage("--list-families takes no --spec or --family".into()))
        }
        _ => {}
    }
    r.spec = spec.unwrap_or_default();
    if r.do_.is_some() && r.dump.is_some() {
        return Err(Fail::Usage("--do and --dump cannot be used together".into()));
    }
    if !r.multi.is_empty() && (r.do_.is_some() || r.dump.is_some()) {
        return Err(Fail::Usage("--multi cannot be used together with --do or --dump".into()));
    }
    // The rest of YNL's exclusive group of operations.
    let given: Vec<&str> = [
        (r.do_.is_some(), "--do"),
        (r.dump.is_some(), "--dump"),
        (!r.multi.is_empty(), "--multi"),
        (r.list_ops, "--list-ops"),
        (r.list_msgs, "--list-msgs"),
        (r.list_attrs.is_some(), "--list-attrs"),
        (r.validate, "--validate"),
        (r.check_kernel, "--check-kernel"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| *n)
    .collect();
    if given.len() > 1 {
        return Err(Fail::Usage(format!("{} cannot be used together", given.join(" and "))));
    }
    if r.list_families {
        return Ok(Command::Run(Box::new(r)));
    }
    if let Some(d) = duration {
        let secs: f64 = d
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| Fail::Usage(format!("--duration {d:?}: expected a non-negative number of seconds")))?;
        // YNL accepts (and ignores) it without --subscribe; so does nlspec.
        r.duration = Some(secs);
    }
    if r.json.is_some() && r.do_.is_none() && r.dump.is_none() {
        return Err(Fail::Usage("--json needs --do OP or --dump OP".into()));
    }
    if r.do_.is_none()
        && r.dump.is_none()
        && r.multi.is_empty()
        && r.subscribe.is_none()
        && !r.list_ops
        && !r.list_msgs
        && !r.list_groups
        && r.list_attrs.is_none()
        && !r.validate
        && !r.check_kernel
    {
        return Err(Fail::Usage(
            "nothing to do: give --do OP, --dump OP, --subscribe GROUP, --list-ops, --list-attrs OP, --validate or --check-kernel"
                .into(),
        ));
    }
    Ok(Command::Run(Box::new(r)))
}

fn parse_check(rest: &[String]) -> Result<Command, Fail> {
    let mut a = Args { items: rest.to_vec(), pos: 0 };
    let mut spec = None;
    while let Some((opt, inline)) = a.next() {
        match opt.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--spec" => a.value_once(&opt, inline, "path of a YNL spec", &mut spec)?,
            other => {
                return Err(Fail::Usage(format!(
                    "check: unexpected argument {other:?} (usage: nlspec check --spec PATH)"
                )))
            }
        }
    }
    let spec = spec.ok_or_else(|| Fail::Usage("check: --spec PATH is required".into()))?;
    Ok(Command::Check { spec })
}

fn parse_doc(rest: &[String]) -> Result<Command, Fail> {
    let mut a = Args { items: rest.to_vec(), pos: 0 };
    let (mut spec, mut format, mut out) = (None, None, None);
    while let Some((opt, inline)) = a.next() {
        match opt.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--spec" => a.value_once(&opt, inline, "path of a YNL spec", &mut spec)?,
            "--format" => a.value_once(&opt, inline, "md or rst", &mut format)?,
            "--out" | "-o" => a.value_once(&opt, inline, "output file", &mut out)?,
            other => {
                let usage = "nlspec doc --spec PATH [--format md|rst] [--out FILE]";
                return Err(Fail::Usage(format!("doc: unexpected argument {other:?} (usage: {usage})")));
            }
        }
    }
    let spec = spec.ok_or_else(|| Fail::Usage("doc: --spec PATH is required".into()))?;
    let format = match format {
        None => crate::doc::Format::Md,
        Some(f) => crate::doc::Format::parse(&f)
            .ok_or_else(|| Fail::Usage(format!("doc: --format {f:?}: expected md or rst")))?,
    };
    Ok(Command::Doc { spec, format, out })
}

fn parse_abi_check(rest: &[String]) -> Result<Command, Fail> {
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help);
    }
    match rest {
        [old, new] if !old.starts_with('-') && !new.starts_with('-') => {
            Ok(Command::AbiCheck { old: old.clone(), new: new.clone() })
        }
        _ => Err(Fail::Usage("abi-check: expected two spec paths (usage: nlspec abi-check OLD NEW)".into())),
    }
}

fn parse_gen(rest: &[String]) -> Result<Command, Fail> {
    let mut a = Args { items: rest.to_vec(), pos: 0 };
    let (mut spec, mut out, mut kernel, mut in_tree, mut rt_path) = (None, None, false, false, None);
    while let Some((opt, inline)) = a.next() {
        match opt.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--spec" => a.value_once(&opt, inline, "path of a YNL spec", &mut spec)?,
            "--out" | "-o" => a.value_once(&opt, inline, "output directory", &mut out)?,
            "--kernel" => set_flag(&opt, &inline, &mut kernel)?,
            "--in-tree" => set_flag(&opt, &inline, &mut in_tree)?,
            "--rt-path" => a.value_once(&opt, inline, "path from DIR to the nlspec-rt crate", &mut rt_path)?,
            other => {
                let usage = "nlspec gen --spec PATH --out DIR [--kernel [--in-tree]] [--rt-path P]";
                return Err(Fail::Usage(format!("gen: unexpected argument {other:?} (usage: {usage})")));
            }
        }
    }
    let spec = spec.ok_or_else(|| Fail::Usage("gen: --spec PATH is required".into()))?;
    let out = out.ok_or_else(|| Fail::Usage("gen: --out DIR is required".into()))?;
    if in_tree && !kernel {
        return Err(Fail::Usage("gen: --in-tree needs --kernel (it writes a kernel driver directory)".into()));
    }
    if in_tree && rt_path.is_some() {
        return Err(Fail::Usage("gen: --rt-path is for client crates, not with --kernel".into()));
    }
    Ok(Command::Gen { spec, out, kernel, in_tree, rt_path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, Fail> {
        parse(s.split_whitespace().map(String::from).collect())
    }

    #[test]
    fn forms() {
        assert_eq!(p("check --spec a.yaml").unwrap(), Command::Check { spec: "a.yaml".into() });
        assert_eq!(
            p("gen --spec=a.yaml --out d --kernel").unwrap(),
            Command::Gen { spec: "a.yaml".into(), out: "d".into(), kernel: true, in_tree: false, rt_path: None }
        );
        assert_eq!(
            p("gen --spec a.yaml --out d --kernel --in-tree").unwrap(),
            Command::Gen { spec: "a.yaml".into(), out: "d".into(), kernel: true, in_tree: true, rt_path: None }
        );
        assert!(
            matches!(p("gen --spec a.yaml --out d --in-tree"), Err(Fail::Usage(m)) if m.contains("needs --kernel"))
        );
        let Command::Run(r) = p("--spec a.yaml --dump getfamily --output-json").unwrap() else { panic!() };
        assert_eq!(r.dump.as_deref(), Some("getfamily"));
        assert!(r.output_json);
        let Command::Run(r) = p("--spec a.yaml --multi getfamily {} --multi getfamily {\"x\":1} --policy").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            r.multi,
            [("getfamily".to_string(), "{}".to_string()), ("getfamily".to_string(), "{\"x\":1}".to_string())]
        );
        assert!(r.policy);
        let Command::Run(r) = p("--family netdev --spec-dir a --spec-dir=b --dump dev-get --dbg-small-recv").unwrap()
        else {
            panic!()
        };
        assert_eq!((r.family.as_deref(), &r.spec_dirs[..]), (Some("netdev"), &["a".to_string(), "b".to_string()][..]));
        assert_eq!(r.dbg_small_recv, Some(4000));
        let Command::Run(r) = p("--spec a --dbg-small-recv 8192 --doc getfamily").unwrap() else { panic!() };
        assert_eq!((r.dbg_small_recv, r.list_attrs.as_deref()), (Some(8192), Some("getfamily")));
        let Command::Run(r) = p("--list-families").unwrap() else { panic!() };
        assert!(r.list_families);
        let Command::Run(r) = p("--spec a --validate --no-schema").unwrap() else { panic!() };
        assert!(r.validate && r.no_schema);
        let Command::Run(r) = p("--spec a --check-kernel").unwrap() else { panic!() };
        assert!(r.check_kernel);
        let Command::Run(r) = p("--spec a --do x --sleep 3").unwrap() else { panic!() };
        assert_eq!(r.duration, Some(3.0));
    }

    #[test]
    fn usage_errors() {
        for bad in [
            "",
            "--dump x",
            "--spec a --do x --dump y",
            "--spec a --do",
            "--spec a --bogus",
            "--spec a --subscribe g --duration -1",
            "--spec a --family b --do x",
            "--list-families --spec a",
            "--spec a --list-ops --do x",
            "--spec a --validate --list-attrs x",
            "--spec a --check-kernel --dump x",
            "--spec a --do x --dbg-small-recv 100",
            "--spec a --do x --dbg-small-recv=big",
            "--spec a --list-attrs",
            "--spec a --spec b --do x",
            "--spec a --do x --output-json=1",
            "gen --spec a --out d --kernel=yes",
            "--spec a --json {}",
            "--spec a --multi x",
            "--spec a --do x --multi y {}",
            "check",
            "gen --spec a",
            "frobnicate",
            "abi-check a",
            "abi-check a b c",
            "abi-check --x b",
            "doc",
            "doc --spec a --format html",
            "doc --spec a --bogus",
        ] {
            assert!(matches!(p(bad), Err(Fail::Usage(_))), "{bad}");
        }
    }
}

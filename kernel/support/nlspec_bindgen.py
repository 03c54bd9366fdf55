#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Module-local bindgen for nlspec kernel modules.

Runs bindgen over nlspec_helper.h with the exact C flags the target kernel used
for its own Rust bindings (recorded by kbuild in
$KDIR/rust/bindings/.bindings_generated.rs.cmd), so every struct layout in the
module comes from that kernel's headers. Writes two files into --out:

  nlspec_bindings.rs   the Rust declarations (included by nlspec_support.rs)
  nlspec_wrappers.c    C bodies for the static inline helpers we call
                       (bindgen --wrap-static-fns), compiled by kbuild

The kernel's saved command is cleaned before reuse:
  * make escapes are undone ($(pound) -> '#', $$ -> $);
  * only bindgen options on an allowlist are kept (later kernels add options
    that would not work here, e.g. MaybeZeroable derives needing pin_init, or
    custom enum attributes emitting cfi_encoding);
  * dependency-file flags (-Wp,-MMD,...) are dropped so nothing is written into
    the kernel build tree.
"""

import argparse
import os
import shlex
import subprocess
import sys

# Kernel bindgen options we keep, and whether they take a value.
KEEP_OPTS = {
    "--blocklist-type": True,
    "--blocklist-function": True,
    "--blocklist-item": True,
    "--opaque-type": True,
    "--rust-target": True,
    "--no-debug": True,
    "--use-core": False,
    "--no-layout-tests": False,
    "--no-doc-comments": False,
    "--enable-function-attribute-detection": False,
}
# Kernel bindgen options we drop, and whether they take a value (so the value
# token is skipped too). Anything not listed in either table is dropped; an
# unknown option written as `--opt value` is detected by the value not starting
# with '-'.
DROP_OPTS_WITH_VALUE = {"--ctypes-prefix", "-o", "--output", "--newtype-enum",
                        "--with-derive-custom-struct", "--with-derive-custom-union",
                        "--with-derive-custom-enum", "--with-derive-custom",
                        "--with-attribute-custom-enum", "--with-attribute-custom-struct",
                        "--with-attribute-custom-union", "--with-attribute-custom",
                        "--allowlist-function", "--allowlist-var", "--allowlist-type",
                        "--allowlist-item"}

# Exported kernel functions and static inline helpers the support module calls.
FUNCTIONS = [
    # exported
    "genl_register_family", "genl_unregister_family", "genlmsg_put",
    "genlmsg_multicast_allns", "nla_put", "nla_put_64bit", "nla_reserve",
    # static inline (wrapped into nlspec_wrappers.c)
    "genlmsg_new", "genlmsg_put_reply", "genlmsg_end", "genlmsg_cancel",
    "genlmsg_reply", "genlmsg_unicast", "genlmsg_multicast", "genl_info_net",
    "nlmsg_free", "genl_has_listeners",
    # classic netlink protocols (exported)
    "__netlink_kernel_create", "netlink_kernel_release", "netlink_rcv_skb",
    "__netlink_dump_start", "netlink_broadcast", "netlink_capable", "netlink_net_capable",
    "__nla_parse", "register_pernet_subsys", "unregister_pernet_subsys",
    "timer_shutdown_sync", "synchronize_rcu",
    # classic netlink protocols (static inline)
    "nlmsg_new", "nlmsg_put", "nlmsg_end", "nlmsg_cancel", "nlmsg_unicast",
    "nlspec_skb_portid", "nlspec_skb_sk", "nlspec_init_net",
    "nlspec_net_admin_capable", "nlspec_pernet_slot", "nlspec_broadcast_allns",
    "nlspec_broadcast_one",
    "nlspec_timer_setup", "nlspec_timer_arm_ms",
    # kernel-initiated sends into a chosen namespace / to a stored port (static inline)
    "genlmsg_multicast_netns", "nlspec_get_net", "nlspec_put_net",
    # per-socket private memory (static inline)
    "nlspec_skb_sender_sk", "nlspec_genl_sk_priv",
]
TYPES = [
    "genl_family", "genl_ops", "genl_split_ops", "genl_small_ops", "genl_info",
    "genl_dumpit_info", "genl_multicast_group", "nla_policy", "nlattr",
    "netlink_callback", "netlink_ext_ack", "netlink_range_validation",
    "netlink_range_validation_signed", "nla_bitfield32", "genlmsghdr",
    "nlmsghdr", "sk_buff",
    "netlink_kernel_cfg", "netlink_dump_control", "pernet_operations", "timer_list",
]
# We only ever pass pointers to these around; keeping them opaque keeps the
# bindings small.
OPAQUE = ["net", "sock", "module", "xarray", "net_device", "sk_buff_head",
          "page", "sec_path", "nf_conntrack", "skb_ext"]


def read_saved_cmd(kdir):
    path = os.path.join(kdir, "rust", "bindings", ".bindings_generated.rs.cmd")
    with open(path, encoding="utf-8") as f:
        for line in f:
            for prefix in ("savedcmd_", "cmd_"):
                if line.startswith(prefix) and " := " in line:
                    return path, line.split(" := ", 1)[1].strip()
    sys.exit(f"nlspec_bindgen: no saved bindgen command in {path}")


def unescape_make(s):
    return s.replace("$(pound)", "#").replace("$$", "$")


def split_kernel_cmd(cmd):
    words = shlex.split(unescape_make(cmd))
    if ";" in words:
        words = words[: words.index(";")]
    if "--" not in words:
        sys.exit("nlspec_bindgen: saved command has no '--' separator")
    sep = words.index("--")
    # words[0] = bindgen, words[1] = input header
    return words[0], words[2:sep], words[sep + 1:]


def filter_bindgen_opts(opts):
    kept = []
    i = 0
    while i < len(opts):
        w = opts[i]
        name, eq, val = w.partition("=")
        if name in KEEP_OPTS:
            if KEEP_OPTS[name] and not eq:
                kept += [w, opts[i + 1]]
                i += 2
            else:
                kept.append(w)
                i += 1
            continue
        # dropped option: skip its value too
        if not eq and i + 1 < len(opts) and (
            name in DROP_OPTS_WITH_VALUE or not opts[i + 1].startswith("-")
        ):
            i += 2
        else:
            i += 1
    return kept


def filter_clang_flags(flags):
    out = []
    for f in flags:
        if f.startswith("-Wp,-MMD") or f.startswith("-Wp,-MD"):
            continue
        out.append(f)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kdir", required=True, help="kernel build dir (objtree)")
    ap.add_argument("--header", required=True, help="path of nlspec_helper.h")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--bindgen", default=os.environ.get("BINDGEN"),
                    help="bindgen binary (default: $BINDGEN, else the kernel's)")
    ap.add_argument("--print", action="store_true", help="print the command")
    a = ap.parse_args()

    kdir = os.path.abspath(a.kdir)
    header = os.path.abspath(a.header)
    out = os.path.abspath(a.out)
    cmd_path, saved = read_saved_cmd(kdir)
    kbindgen, kopts, kflags = split_kernel_cmd(saved)
    bindgen = a.bindgen or kbindgen

    argv = [bindgen, header]
    argv += filter_bindgen_opts(kopts)
    for flag in ("--use-core", "--no-layout-tests"):
        if flag not in argv:
            argv.append(flag)
    argv += ["--ctypes-prefix", "core::ffi", "--no-prepend-enum-name"]
    for fn in FUNCTIONS:
        argv += ["--allowlist-function", fn]
    for ty in TYPES:
        argv += ["--allowlist-type", ty]
    for ty in OPAQUE:
        argv += ["--opaque-type", ty]
    argv += ["--allowlist-var", "NLSPEC_.*"]
    argv += ["--wrap-static-fns",
             "--wrap-static-fns-path", os.path.join(out, "nlspec_wrappers"),
             "--wrap-static-fns-suffix", "__nlspec"]
    argv += ["-o", os.path.join(out, "nlspec_bindings.rs"), "--"]
    argv += filter_clang_flags(kflags)

    if a.print:
        print(" ".join(shlex.quote(w) for w in argv))
    # The kernel's flags hold include paths relative to its build dir.
    r = subprocess.run(argv, cwd=kdir)
    if r.returncode != 0:
        sys.exit(f"nlspec_bindgen: bindgen failed (flags from {cmd_path})")
    if not os.path.exists(os.path.join(out, "nlspec_wrappers.c")):
        sys.exit("nlspec_bindgen: bindgen wrote no nlspec_wrappers.c")


if __name__ == "__main__":
    main()

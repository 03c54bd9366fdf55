#!/usr/bin/env bash
# Installs everything the nlspec tests need on a fresh Debian bookworm machine:
# kernel sources (6.12 LTS, 7.3), the Rust-for-Linux toolchain (rustc-web + rust-src + clippy, clang/llvm 19,
# bindgen-cli), qemu, busybox, iproute2 (genl) and the kernel's own YNL CLI dependencies.
# cargo-fuzz (for `cargo xtask fuzz`).
# Idempotent: a second run on a prepared machine is quick.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo --preserve-env=DEBIAN_FRONTEND); fi
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 -y -q)
# Writes stdin to a root-owned file.
put() { "${SUDO[@]}" tee "$1" >/dev/null; }

need_suite() { grep -rqs "Suites: $1\$" /etc/apt/sources.list.d/nlspec-*.sources; }
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
changed=0
# rustc-web and the LLVM 19 toolchain come from bookworm-updates (in Debian's default sources,
# but not in every image).
if ! grep -rqs "bookworm-updates" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  put /etc/apt/sources.list.d/nlspec-bookworm-updates.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  changed=1
fi
if ! need_suite bookworm-backports; then
  put /etc/apt/sources.list.d/nlspec-bookworm-backports.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  changed=1
fi
if ! need_suite trixie-backports; then
  put /etc/apt/sources.list.d/nlspec-trixie-backports.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # Only the kernel source is taken from trixie-backports; never upgrade anything else from it.
  put /etc/apt/preferences.d/nlspec-trixie <<PREF
Package: *
Pin: release n=trixie-backports
Pin-Priority: 50
PREF
  changed=1
fi

PKGS=(build-essential make bc flex bison cpio xz-utils zstd libelf-dev libssl-dev dwarves
      busybox-static clang-19 llvm-19 lld-19 libclang-19-dev rustc-web rust-web-src cargo-web
      rust-web-clippy patch
      iproute2 python3-yaml python3-jsonschema python3-docutils util-linux)
missing=()
for p in "${PKGS[@]}" linux-source-6.12 linux-source-7.3 qemu-system-x86; do
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]})) || ((changed)); then
  "${APT[@]}" update
fi
if ((${#missing[@]})); then
  "${APT[@]}" install --no-install-recommends "${PKGS[@]}"
  "${APT[@]}" install --no-install-recommends -t bookworm-backports linux-source-6.12 qemu-system-x86
  "${APT[@]}" install --no-install-recommends -t trixie-backports linux-source-7.3
fi

# bindgen-cli goes where `cargo xtask kernel` looks for it: $CARGO_HOME/bin (default ~/.cargo/bin).
BINDGEN="${CARGO_HOME:-$HOME/.cargo}/bin/bindgen"
if ! [ -x "$BINDGEN" ] || ! "$BINDGEN" --version | grep -q '^bindgen 0\.7[1-9]'; then
  LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install --locked bindgen-cli --version 0.72.1
fi
# cargo-fuzz for `cargo xtask fuzz` (it runs on the stable toolchain with RUSTC_BOOTSTRAP=1).
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
echo "install-deps: ok"

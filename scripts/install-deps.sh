#!/usr/bin/env bash
# Installs what building and testing rvx needs on Debian 12 (run as root, or with sudo):
# the RISC-V bare-metal toolchain and picolibc (the project's own ISA tests and benchmarks are
# assembled/compiled at test time), cmake (SoftFloat's build), device-tree-compiler; for the
# Linux boot tests: debian-archive-keyring (Debian's riscv64 packages through apt), python3
# (the initramfs writer), e2fsprogs (the virtio-blk test's ext4 image), xz-utils (modules).
set -euo pipefail
pkgs=(gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf
      cmake device-tree-compiler debian-archive-keyring python3 e2fsprogs xz-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "rvx build dependencies present: ${pkgs[*]}"

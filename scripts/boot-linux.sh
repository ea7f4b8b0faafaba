#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install what rvx needs, build it, download
# Debian's riscv64 kernel and busybox (cached in ~/.cache/rvx-boot), make a busybox initramfs
# and boot Linux on rvx to a shell. Ctrl-a x quits (Ctrl-a h lists the keys); `poweroff -f` in
# the guest ends rvx too. Extra arguments go to rvx (e.g. --smp 4, -m 2G, --accel interp).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build --release -p emu-frontend
eval "$(test-suites/boot/fetch-debian.sh)"
initrd=target/boot/initrd-shell.cpio.gz
mkdir -p target/boot
test-suites/boot/mkinitramfs.sh --no-poweroff "$initrd" 'uname -a'
cmd=(target/release/rvx run --kernel "$RVX_BOOT_KERNEL" --initrd "$initrd"
     --append "console=ttyS0" -m 1G --smp 2 "$@")
echo "+ ${cmd[*]}"
exec "${cmd[@]}"

#!/usr/bin/env bash
# Downloads Debian's riscv64 Linux kernel, busybox-static and OpenSBI (release "trixie") and
# unpacks them into a cache, for the boot tests and the boot benchmark.
#
# Usage: test-suites/boot/fetch-debian.sh [CACHE_DIR]
#   CACHE_DIR   where everything is kept (default: $RVX_BOOT_CACHE or ~/.cache/rvx-boot)
# Environment:
#   DEBIAN_MIRROR   archive URL (default http://deb.debian.org/debian)
#   DEBIAN_SUITE    release (default trixie)
#   APT_MAX_AGE_MIN re-read the package lists only when older than this (default 1440 = 1 day)
#
# Prints shell assignments on stdout (progress goes to stderr), so a caller can
#     eval "$(test-suites/boot/fetch-debian.sh)"
# and use:
#   RVX_BOOT_KERNEL      boot/vmlinux-* (despite the name, a flat RISC-V Linux "Image" with an EFI
#                        stub: no ELF; text_offset 2 MiB, i.e. loaded at 0x80200000)
#   RVX_BOOT_MODULES     (usr/)lib/modules/<version> (no modules.dep: Debian's depmod makes it)
#   RVX_BOOT_BUSYBOX     the static riscv64 busybox binary
#   RVX_BOOT_FW_DYNAMIC  OpenSBI's generic fw_dynamic.bin (for --bios)
#   RVX_BOOT_VERSIONS    "package=version ..." of what was unpacked
#
# Nothing touches the machine's own apt state: apt runs with a private configuration under
# CACHE_DIR/apt (see docs/boot-tests.md). .deb files are kept by name (package_version_arch),
# and each is unpacked once into CACHE_DIR/pkg/<package>_<version>, so a second run with fresh
# lists does no network access at all, and a new kernel version in the archive is picked up
# by the next run after the lists expire.
set -euo pipefail

cache=${1:-${RVX_BOOT_CACHE:-$HOME/.cache/rvx-boot}}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-trixie}
max_age=${APT_MAX_AGE_MIN:-1440}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

log() { echo "fetch-debian: $*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in apt-get apt-cache dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool not found (this script needs a Debian/Ubuntu host)"
done
[ -r "$keyring" ] || die "$keyring missing (install debian-archive-keyring)"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc" \
    "$cache/debs" "$cache/pkg"
: >"$apt_dir/status" # an empty dpkg status: nothing "installed" for riscv64
src="deb [arch=riscv64 signed-by=$keyring] $mirror $suite main"
if [ "$(cat "$apt_dir/etc/sources.list" 2>/dev/null)" != "$src" ]; then
    echo "$src" >"$apt_dir/etc/sources.list"
    rm -f "$apt_dir/lists/"*Packages* # another mirror or suite: old lists are stale
fi
apt_opts=(
    -oAPT::Architecture=riscv64 -oAPT::Architectures=riscv64
    -oDir::State::Lists="$apt_dir/lists" -oDir::State::status="$apt_dir/status"
    -oDir::Etc::SourceList="$apt_dir/etc/sources.list" -oDir::Etc::SourceParts=/dev/null
    -oDir::Etc::Preferences=/dev/null -oDir::Etc::PreferencesParts=/dev/null
    -oDir::Cache="$apt_dir/cache" -oAPT::Sandbox::User="$(id -un)"
    -oDebug::NoLocking=1 -qq
)

# Refresh the package lists only when none is younger than max_age minutes.
if [ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*_Packages*' -mmin "-$max_age" 2>/dev/null)" ]; then
    log "apt-get update ($suite riscv64)"
    apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed"
else
    log "package lists are fresh (< $max_age min), no apt-get update"
fi

# candidate_version PKG: the version apt would pick.
candidate_version() {
    apt-cache "${apt_opts[@]}" policy "$1" | awk '/Candidate:/ { print $2; exit }'
}

# linux-image-riscv64 is a meta package: the kernel is in the versioned package it depends on.
kpkg=$(apt-cache "${apt_opts[@]}" depends linux-image-riscv64 |
    awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || die "cannot find the kernel package linux-image-riscv64 depends on"

versions=""
# fetch_unpack PKG: downloads PKG (unless its .deb for the candidate version is cached) and
# unpacks it once; sets $dir to the unpacked tree.
fetch_unpack() {
    local pkg=$1 ver deb
    ver=$(candidate_version "$pkg")
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "package $pkg not found in $suite riscv64"
    # apt names downloaded files package_version_arch.deb with the epoch colon as %3a; the
    # arch is riscv64 or "all" (opensbi).
    deb=$(ls -1 "$cache/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$deb" ] || [ ! -s "$deb" ]; then
        log "downloading $pkg $ver"
        (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "$pkg=$ver" >&2) ||
            die "apt-get download $pkg=$ver failed"
        deb=$(ls -1 "$cache/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
        [ -n "$deb" ] && [ -s "$deb" ] || die "no ${pkg}_${ver}_*.deb after the download"
    else
        log "cached $pkg $ver"
    fi
    dir=$cache/pkg/${pkg}_${ver//:/%3a}
    if [ ! -e "$dir/.unpacked" ]; then
        log "unpacking $(basename "$deb")"
        rm -rf "$dir"
        mkdir -p "$dir"
        dpkg-deb -x "$deb" "$dir"
        touch "$dir/.unpacked"
    fi
    versions="$versions $pkg=$ver"
}

fetch_unpack "$kpkg"
kdir=$dir
fetch_unpack busybox-static
bdir=$dir
fetch_unpack opensbi
odir=$dir

kernel=$(ls -1 "$kdir"/boot/vmlinux-* 2>/dev/null | head -n 1 || true)
[ -n "$kernel" ] || die "no boot/vmlinux-* in $kpkg"
# trixie ships modules under usr/lib/modules (merged /usr); older releases under lib/modules.
modules=$(ls -1d "$kdir"/usr/lib/modules/*/ "$kdir"/lib/modules/*/ 2>/dev/null | head -n 1 || true)
modules=${modules%/}
# The package has no modules.dep (depmod writes it at install time): mkinitramfs.sh reads the
# dependencies from each module's .modinfo instead.
[ -n "$modules" ] && [ -d "$modules/kernel" ] || die "no lib/modules/*/kernel in $kpkg"
busybox=$bdir/bin/busybox
[ -x "$busybox" ] || busybox=$bdir/usr/bin/busybox
[ -x "$busybox" ] || die "no bin/busybox in busybox-static"
fw=$(ls -1 "$odir"/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin 2>/dev/null | head -n 1 || true)
[ -n "$fw" ] || die "no generic/fw_dynamic.bin in opensbi"

printf 'RVX_BOOT_KERNEL=%q\n' "$kernel"
printf 'RVX_BOOT_MODULES=%q\n' "$modules"
printf 'RVX_BOOT_BUSYBOX=%q\n' "$busybox"
printf 'RVX_BOOT_FW_DYNAMIC=%q\n' "$fw"
printf 'RVX_BOOT_VERSIONS=%q\n' "${versions# }"
printf 'export RVX_BOOT_KERNEL RVX_BOOT_MODULES RVX_BOOT_BUSYBOX RVX_BOOT_FW_DYNAMIC RVX_BOOT_VERSIONS\n'

#!/usr/bin/env bash
# Builds a small initramfs (cpio "newc", gzip) from a static riscv64 busybox: its /init mounts
# proc, sysfs and devtmpfs, loads kernel modules, prints a marker line, runs the given shell
# commands and powers the machine off.
#
# Usage: test-suites/boot/mkinitramfs.sh [options] OUTPUT [COMMAND...]
#   OUTPUT            the initramfs to write (e.g. initrd.cpio.gz)
#   COMMAND...        shell lines /init runs, in order, after the marker; a command that fails
#                     prints "RVX-CMD-FAIL status=N: COMMAND"
# Options:
#   -b, --busybox FILE    busybox binary (default: $RVX_BOOT_BUSYBOX)
#   -k, --kmod-dir DIR    the kernel's lib/modules/<version> (default: $RVX_BOOT_MODULES)
#   -M, --modules "LIST"  modules to load, e.g. "virtio_mmio virtio_blk ext4". Their
#                         dependencies (.modinfo depends=, and softdep pre: resolved through
#                         module aliases) are added and everything is loaded in dependency
#                         order; .ko.xz/.ko.gz/.ko.zst are decompressed on the host, because
#                         busybox insmod takes plain ELF modules
#   --marker TEXT         the line printed once userspace runs (default RVX-BOOT-OK)
#   --no-poweroff         drop to an interactive shell instead of powering off
# /init prints these lines (the boot tests and benchmark look for them):
#   RVX-BOOT-OK               userspace is up and the modules are loaded
#   RVX-INSMOD-FAIL NAME      a module failed to load
#   RVX-CMD-FAIL status=N: C  command C exited with status N
#   RVX-BOOT-DONE             all commands ran; poweroff follows
# The archive is written directly (no cpio tool, no root: /dev/console is a cpio entry).
# Needs python3 (with lzma/gzip, as every CPython has) and, for .ko.zst, the zstd tool.
set -euo pipefail

busybox=${RVX_BOOT_BUSYBOX:-}
kmod_dir=${RVX_BOOT_MODULES:-}
modules=""
marker=RVX-BOOT-OK
poweroff=1

usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    -b | --busybox) [ $# -ge 2 ] || usage; busybox=$2; shift 2 ;;
    -k | --kmod-dir) [ $# -ge 2 ] || usage; kmod_dir=$2; shift 2 ;;
    -M | --modules) [ $# -ge 2 ] || usage; modules="$modules $2"; shift 2 ;;
    --marker) [ $# -ge 2 ] || usage; marker=$2; shift 2 ;;
    --no-poweroff) poweroff=0; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "mkinitramfs: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || usage
output=$1
shift
[ -n "$busybox" ] && [ -f "$busybox" ] ||
    { echo "mkinitramfs: busybox not found (use -b or run fetch-debian.sh)" >&2; exit 1; }
if [ -n "${modules// /}" ] && { [ -z "$kmod_dir" ] || [ ! -d "$kmod_dir/kernel" ]; }; then
    echo "mkinitramfs: modules requested but no kernel module dir (use -k)" >&2
    exit 1
fi

exec python3 - "$output" "$busybox" "$kmod_dir" "$modules" "$marker" "$poweroff" "$@" <<'PYEOF'
import gzip, lzma, os, shlex, struct, subprocess, sys

output, busybox, kmod_dir, modules, marker, poweroff = sys.argv[1:7]
commands = sys.argv[7:]


def die(msg):
    sys.exit(f"mkinitramfs: error: {msg}")


# ---- kernel modules: find files, read .modinfo, order by dependencies -------------------

def mod_name(filename):
    base = os.path.basename(filename)
    for ext in (".ko.xz", ".ko.gz", ".ko.zst", ".ko"):
        if base.endswith(ext):
            # The kernel treats '-' and '_' in module names alike; modinfo uses '_'.
            return base[: -len(ext)].replace("-", "_")
    return None


def read_module(path):
    """The module's ELF bytes, decompressed."""
    if path.endswith(".xz"):
        return lzma.decompress(open(path, "rb").read())
    if path.endswith(".gz"):
        return gzip.decompress(open(path, "rb").read())
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return open(path, "rb").read()


def modinfo(elf):
    """The key=value strings of the module's .modinfo section (ELF64 little-endian)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        die("not an ELF64 little-endian module")
    e_shoff, = struct.unpack_from("<Q", elf, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    def sh(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from("<IIQQQQ", elf, e_shoff + i * e_shentsize)
    stroff = sh(e_shstrndx)[4]
    info = []
    for i in range(e_shnum):
        name, _, _, _, off, size = sh(i)
        end = elf.index(b"\0", stroff + name)
        if elf[stroff + name:end] == b".modinfo":
            for item in elf[off:off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("utf-8", "replace").split("=", 1)
                    info.append((k, v))
    return info


order, elfs = [], {}
if modules.strip():
    paths = {}
    for root, _, files in os.walk(os.path.join(kmod_dir, "kernel")):
        for f in files:
            n = mod_name(f)
            if n:
                paths[n] = os.path.join(root, f)
    infos = {}

    def info_of(n):
        if n not in infos:
            elfs[n] = read_module(paths[n])
            infos[n] = modinfo(elfs[n])
        return infos[n]

    alias_index = None

    def resolve(name):
        """A module name, or an alias (softdeps name aliases such as crypto-crc32c)."""
        global alias_index
        n = name.replace("-", "_")
        if n in paths:
            return n
        if alias_index is None:
            # Only when needed: decompressing all ~3000 modules takes a while, so look where
            # the usual soft dependencies (crypto and library code) live first.
            alias_index = {}
            pref = [n for n, p in paths.items() if "/kernel/crypto/" in p or "/kernel/lib/" in p
                    or "/kernel/arch/" in p]
            for group in (pref, list(paths)):
                for m in group:
                    for k, v in info_of(m):
                        if k == "alias":
                            alias_index.setdefault(v, m)
                if name in alias_index:
                    break
        if name in alias_index:
            return alias_index[name]
        die(f"no module named or aliased {name!r} in {kmod_dir}")

    state = {}

    def visit(n, chain):
        if state.get(n) == "done":
            return
        if state.get(n) == "visiting":
            die("module dependency cycle: " + " -> ".join(chain + [n]))
        state[n] = "visiting"
        info = info_of(n)
        pre = []
        for k, v in info:
            if k == "softdep":
                # "pre: a b post: c" (post: modules are optional helpers; not loaded)
                words, section = v.split(), None
                for w in words:
                    if w.endswith(":"):
                        section = w[:-1]
                    elif section == "pre":
                        pre.append(w)
        deps = [d for k, v in info if k == "depends" for d in v.split(",") if d]
        for d in pre:
            visit(resolve(d), chain + [n])
        for d in deps:
            visit(resolve(d), chain + [n])
        state[n] = "done"
        order.append(n)

    for m in modules.split():
        visit(resolve(m), [])
    print("mkinitramfs: modules in load order: " + " ".join(order), file=sys.stderr)

# ---- /init ------------------------------------------------------------------------------

q = shlex.quote
init = ["#!/bin/sh",
        "# Generated by rvx test-suites/boot/mkinitramfs.sh",
        "/bin/busybox --install -s",
        "export PATH=/sbin:/bin:/usr/sbin:/usr/bin",
        "mount -t proc proc /proc",
        "mount -t sysfs sysfs /sys",
        "mount -t devtmpfs devtmpfs /dev",
        "mkdir -p /dev/pts /tmp && mount -t tmpfs tmpfs /tmp"]
for n in order:
    init.append(f"insmod /lib/modules/{n}.ko || echo RVX-INSMOD-FAIL {n}")
init.append(f"echo {q(marker)}")
for c in commands:
    init.append(f"( {c}\n) || echo \"RVX-CMD-FAIL status=$?: \"{q(c)}")
init.append("echo RVX-BOOT-DONE")
if poweroff == "1":
    init += ["sync", "poweroff -f", "sleep 5", "echo RVX-POWEROFF-FAILED"]
else:
    init += ["exec setsid cttyhack sh"]
init_text = ("\n".join(init) + "\n").encode()

# ---- cpio newc --------------------------------------------------------------------------

entries = []  # (name, mode, data, rdevmajor, rdevminor)
def d(name): entries.append((name, 0o040755, b"", 0, 0))
for name in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "etc",
             "root", "mnt", "lib", "lib/modules"):
    d(name)
entries.append(("dev/console", 0o020600, b"", 5, 1))  # the kernel opens it before devtmpfs
entries.append(("bin/busybox", 0o100755, open(busybox, "rb").read(), 0, 0))
entries.append(("bin/sh", 0o120777, b"busybox", 0, 0))
entries.append(("init", 0o100755, init_text, 0, 0))
for n in order:
    entries.append((f"lib/modules/{n}.ko", 0o100644, elfs[n], 0, 0))

out = bytearray()
def put(ino, name, mode, data, rmaj, rmin):
    nb = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08X}" for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, rmaj, rmin, len(nb), 0))
    out.extend(hdr.encode() + nb)
    out.extend(b"\0" * (-len(out) % 4))
    out.extend(data)
    out.extend(b"\0" * (-len(out) % 4))
for i, e in enumerate(entries, 1):
    put(i, *e)
put(0, "TRAILER!!!", 0, b"", 0, 0)
with open(output, "wb") as f:
    f.write(gzip.compress(bytes(out), compresslevel=9, mtime=0))
print(f"mkinitramfs: wrote {output} ({os.path.getsize(output)} bytes)", file=sys.stderr)
PYEOF

#!/usr/bin/env bash
# Boots Debian's riscv64 Linux kernel (6.12, trixie) with a busybox initramfs on rvx, or on
# QEMU to validate the tests themselves, and checks what the guest reports.
#
# Usage: test-suites/boot/run-boot-tests.sh [options] [TEST...]
#   TEST           any of: smp1 smp4 opensbi virtio-blk (default: all four, in that order)
#     smp1         built-in SBI (no --bios), --smp 1: userspace runs, one processor, poweroff
#     smp4         the same with --smp 4: the guest counts 4 processors in /proc/cpuinfo
#     opensbi      --bios fw_dynamic.bin from Debian's opensbi package (its banner must show)
#     virtio-blk   an ext4 image made on the host with mke2fs: the guest loads virtio_mmio,
#                  virtio_blk and ext4 (+ dependencies), reads a file the host put there,
#                  writes one, syncs and unmounts; the host then reads it back with debugfs
#                  and checks the image with e2fsck
# Options:
#   -t, --timeout SECS   per-test limit, only a hang guard (default 300)
#   -k, --keep           keep the work directory (logs, initramfs, disk image) even on success
#   -v, --verbose        print the whole console log of failing tests (default: the last 40 lines)
# Environment:
#   EMU=rvx|qemu   the emulator (default rvx)
#   RVX=path       rvx binary (default: $CARGO_TARGET_DIR or <repo>/target, then release/rvx)
#   QEMU=path      qemu-system-riscv64 (default: from PATH)
#   RVX_ARGS="..." extra arguments for rvx (e.g. "--accel interp"); QEMU_ARGS likewise
#   APPEND="..."   extra kernel command line after "console=ttyS0" (e.g. "earlycon=sbi")
#   MEM=512M       guest RAM
#   RVX_BOOT_CACHE where fetch-debian.sh keeps the Debian packages (default ~/.cache/rvx-boot)
#   WORK=dir       work directory (default: a new temporary one)
# Each test prints "NAME PASS|FAIL <seconds> s [reason]" (the time from starting the emulator
# until it exited). A console log with "Kernel panic" ends the test at once. Exit status: 0 if
# every test passed, 1 otherwise, 2 on usage errors.
#
# The rvx command line is `rvx run --kernel K --initrd I --append A -m MEM --smp N [--bios F]
# [--drive file=D,format=raw] --nographic`; with EMU=qemu the same test runs as
# `qemu-system-riscv64 -M virt -nographic -no-reboot -kernel K -initrd I -append A -m MEM
# -smp N -bios default|F [-drive file=D,format=raw,if=virtio]`.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
PATH=$PATH:/usr/sbin:/sbin # mke2fs, debugfs and e2fsck live there; not in every user's PATH
repo=$(cd "$here/../.." && pwd)
EMU=${EMU:-rvx}
RVX=${RVX:-${CARGO_TARGET_DIR:-$repo/target}/release/rvx}
QEMU=${QEMU:-qemu-system-riscv64}
MEM=${MEM:-512M}
timeout_s=300
keep=0
verbose=0
all_tests="smp1 smp4 opensbi virtio-blk"

usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
tests=()
while [ $# -gt 0 ]; do
    case $1 in
    -t | --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    -k | --keep) keep=1; shift ;;
    -v | --verbose) verbose=1; shift ;;
    -h | --help) usage ;;
    -*) echo "run-boot-tests: unknown option $1" >&2; usage ;;
    *)
        case " $all_tests " in *" $1 "*) ;; *) echo "run-boot-tests: unknown test $1" >&2; usage ;; esac
        tests+=("$1")
        shift
        ;;
    esac
done
[ ${#tests[@]} -eq 0 ] && read -r -a tests <<<"$all_tests"

case $EMU in
rvx)
    [ -x "$RVX" ] || { echo "run-boot-tests: rvx binary $RVX not found (cargo build --release, or set RVX)" >&2; exit 2; }
    emu_desc="rvx ($RVX)"
    ;;
qemu)
    command -v "$QEMU" >/dev/null || { echo "run-boot-tests: $QEMU not found" >&2; exit 2; }
    emu_desc="QEMU ($("$QEMU" --version | head -n 1))"
    ;;
*) echo "run-boot-tests: EMU must be rvx or qemu" >&2; exit 2 ;;
esac

eval "$("$here/fetch-debian.sh" ${RVX_BOOT_CACHE:+"$RVX_BOOT_CACHE"})" ||
    { echo "run-boot-tests: fetch-debian.sh failed" >&2; exit 1; }

if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/rvx-boot.XXXXXX")
fi
echo "Emulator: $emu_desc"
echo "Debian:   $RVX_BOOT_VERSIONS"
echo "Work dir: $work"

# emu_cmd SMP BIOS INITRD DRIVE: sets the array `cmd` to the emulator's command line.
# BIOS "" = the emulator's default firmware (rvx: its built-in SBI; QEMU: its bundled
# OpenSBI); DRIVE "" = no disk.
emu_cmd() {
    local smp=$1 bios=$2 initrd=$3 drive=$4
    local append="console=ttyS0${APPEND:+ $APPEND}"
    if [ "$EMU" = rvx ]; then
        cmd=("$RVX" run --kernel "$RVX_BOOT_KERNEL" --initrd "$initrd" --append "$append"
            -m "$MEM" --smp "$smp" --nographic)
        [ -n "$bios" ] && cmd+=(--bios "$bios")
        [ -n "$drive" ] && cmd+=(--drive "file=$drive,format=raw")
        # shellcheck disable=SC2206 # RVX_ARGS is a list of words on purpose
        cmd+=(${RVX_ARGS:-})
    else
        cmd=("$QEMU" -M virt -nographic -no-reboot -kernel "$RVX_BOOT_KERNEL" -initrd "$initrd"
            -append "$append" -m "$MEM" -smp "$smp" -bios "${bios:-default}")
        [ -n "$drive" ] && cmd+=(-drive "file=$drive,format=raw,if=virtio")
        # shellcheck disable=SC2206
        cmd+=(${QEMU_ARGS:-})
    fi
}

# run_guest LOG: runs "${cmd[@]}" with stdin from /dev/null and the console in LOG, under the
# timeout; stops it early when the kernel panics. Sets `status` (the emulator's exit status;
# 124 = timed out, 125 = stopped after a panic) and `elapsed` (seconds).
run_guest() {
    local log=$1 t0 pid
    printf "%q " "${cmd[@]}" >"$log.cmd" # a line that can be pasted into a shell
    t0=$(date +%s.%N)
    timeout -k 10 "$timeout_s" "${cmd[@]}" </dev/null >"$log" 2>&1 &
    pid=$!
    local panicked=0
    while kill -0 "$pid" 2>/dev/null; do
        if grep -qsE 'Kernel panic|RVX-POWEROFF-FAILED' "$log"; then
            sleep 2 # let the rest of the message reach the log
            kill "$pid" 2>/dev/null
            panicked=1
            break
        fi
        sleep 0.2
    done
    wait "$pid"
    status=$?
    [ $panicked = 1 ] && status=125
    elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

# check_common LOG: the checks every test makes; appends to `why`.
check_common() {
    local log=$1
    case $status in
    0) ;;
    124) why+="timed out after ${timeout_s} s; " ;;
    125) why+="kernel panic or poweroff failed; " ;;
    *) why+="exit status $status; " ;;
    esac
    grep -q '^RVX-BOOT-OK' "$log" || why+="no RVX-BOOT-OK marker (userspace not reached); "
    grep -q '^RVX-BOOT-DONE' "$log" || why+="no RVX-BOOT-DONE; "
    if grep -qE '^RVX-(INSMOD|CMD)-FAIL' "$log"; then
        why+="$(grep -E '^RVX-(INSMOD|CMD)-FAIL' "$log" | tr -d '\r' | paste -sd ';' -); "
    fi
}

# guest_value LOG KEY: the value of the guest's "KEY=value" line.
guest_value() { grep -a "^$2=" "$1" | head -n 1 | cut -d= -f2- | tr -d '\r'; }

mk() { "$here/mkinitramfs.sh" "$@" 2>>"$work/mkinitramfs.log"; }

failed=0
passed=0
report() { # NAME LOG
    if [ -z "$why" ]; then
        printf '%-11s PASS  %6s s\n' "$1" "$elapsed"
        passed=$((passed + 1))
    else
        printf '%-11s FAIL  %6s s  %s\n' "$1" "$elapsed" "${why%; }"
        echo "    command: $(cat "$2.cmd")"
        echo "    console log: $2"
        if [ $verbose = 1 ]; then sed 's/^/    | /' "$2"; else tail -n 40 "$2" | sed 's/^/    | /'; fi
        failed=$((failed + 1))
    fi
}

basic_initrd=$work/basic.cpio.gz
if [[ " ${tests[*]} " =~ \ (smp1|smp4|opensbi)\  ]]; then
    mk "$basic_initrd" 'echo "RVX-NPROC=$(grep -c ^processor /proc/cpuinfo)"' 'uname -a' \
        'cat /proc/cmdline' ||
        { echo "run-boot-tests: mkinitramfs failed (see $work/mkinitramfs.log)" >&2; exit 1; }
fi

for t in "${tests[@]}"; do
    log=$work/$t.log
    why=""
    case $t in
    smp1 | smp4)
        n=${t#smp}
        emu_cmd "$n" "" "$basic_initrd" ""
        run_guest "$log"
        check_common "$log"
        got=$(guest_value "$log" RVX-NPROC)
        [ "$got" = "$n" ] || why+="guest counted ${got:-no} processors, expected $n; "
        ;;
    opensbi)
        emu_cmd 1 "$RVX_BOOT_FW_DYNAMIC" "$basic_initrd" ""
        run_guest "$log"
        check_common "$log"
        # Debian's OpenSBI prints its banner with its version (package 1.6-1 -> "OpenSBI v1.6");
        # a different firmware (QEMU's bundled one, rvx's built-in SBI) would not.
        want=$(echo " $RVX_BOOT_VERSIONS " | sed -n 's/.* opensbi=\([0-9]*:\)\{0,1\}\([^ -]*\).*/\2/p')
        grep -q "OpenSBI v$want" "$log" || why+="no \"OpenSBI v$want\" banner; "
        got=$(guest_value "$log" RVX-NPROC)
        [ "$got" = 1 ] || why+="guest counted ${got:-no} processors, expected 1; "
        ;;
    virtio-blk)
        disk=$work/disk.img
        seed=$work/disk-seed
        rm -rf "$disk" "$seed"
        mkdir -p "$seed"
        # Fresh tokens each run, so a stale image or a log from another run cannot pass.
        host_token="host-$(date +%s%N)-$RANDOM"
        guest_token="guest-$(date +%s%N)-$RANDOM"
        echo "$host_token" >"$seed/from-host"
        if ! mke2fs -q -F -t ext4 -L rvxboot -d "$seed" "$disk" 64M >"$work/mke2fs.log" 2>&1; then
            why+="mke2fs failed (install e2fsprogs): $(head -n 3 "$work/mke2fs.log" | paste -sd ' ' -); "
            elapsed=0.0
            report "$t" "$work/mke2fs.log"
            continue
        fi
        mk -M "virtio_mmio virtio_blk ext4" "$work/blk.cpio.gz" \
            'i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -b /dev/vda ]' \
            'mount -t ext4 /dev/vda /mnt' \
            'echo "RVX-HOST-FILE=$(cat /mnt/from-host)"' \
            "echo $guest_token > /mnt/from-guest" \
            'sync' \
            'umount /mnt' ||
            { echo "run-boot-tests: mkinitramfs failed (see $work/mkinitramfs.log)" >&2; exit 1; }
        emu_cmd 1 "" "$work/blk.cpio.gz" "$disk"
        run_guest "$log"
        check_common "$log"
        got=$(guest_value "$log" RVX-HOST-FILE)
        [ "$got" = "$host_token" ] || why+="guest read '${got}' from the disk, expected '$host_token'; "
        got=$(debugfs -R "cat /from-guest" "$disk" 2>/dev/null)
        [ "$got" = "$guest_token" ] || why+="the host read '${got}' back from the image, expected '$guest_token'; "
        if ! e2fsck -fn "$disk" >"$work/e2fsck.log" 2>&1; then
            why+="e2fsck found errors in the image (see $work/e2fsck.log); "
        fi
        ;;
    esac
    report "$t" "$log"
done

echo "$passed passed, $failed failed"
if [ $failed = 0 ] && [ $keep = 0 ] && [ -z "${WORK:-}" ]; then
    rm -rf "$work"
fi
[ $failed = 0 ]

#!/usr/bin/env bash
# Boots a built xv6-riscv (https://github.com/mit-pdos/xv6-riscv; not part of this repository)
# on rvx, or on QEMU to validate, types `usertests -q` at its shell and waits for
# "ALL TESTS PASSED". See docs/boot-tests.md for how to build xv6.
#
# Usage: test-suites/xv6/run-xv6.sh [options] XV6_DIR
#   XV6_DIR        an xv6-riscv tree after `make kernel/kernel fs.img` (the runner uses
#                  XV6_DIR/kernel/kernel and a copy of XV6_DIR/fs.img; the tree is not changed)
# Options:
#   -t, --timeout SECS   limit for boot + usertests (default 1800)
#   -c, --command CMD    what to type at the shell (default "usertests -q"; "usertests" runs
#                        the slow tests too)
#   -k, --keep           keep the work directory (console log, disk copy)
# Environment:
#   EMU=rvx|qemu   the emulator (default rvx)
#   RVX=path       rvx binary (default: $CARGO_TARGET_DIR or <repo>/target, then release/rvx)
#   QEMU=path      qemu-system-riscv64 (default: from PATH)
#   RVX_ARGS / QEMU_ARGS   extra emulator arguments
#   SMP=3          harts (xv6's default CPUS)
# Commands (xv6's `make qemu` line, and the same machine on rvx):
#   rvx run --bios none --kernel K -m 128M --smp 3 --drive file=fs.img,format=raw --nographic
#   qemu-system-riscv64 -machine virt -bios none -kernel K -m 128M -smp 3 -nographic
#     -global virtio-mmio.force-legacy=false -drive file=fs.img,if=none,format=raw,id=x0
#     -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
# xv6 drives the virtio-mmio transport at 0x10001000 (IRQ 1) and needs the modern (version 2)
# interface, so rvx must put its first --drive there.
# Prints PASS/FAIL with the times to the shell prompt and for the whole run; exit status 0 on
# "ALL TESTS PASSED", 1 on a failure, a panic or the timeout, 2 on usage errors.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
EMU=${EMU:-rvx}
RVX=${RVX:-${CARGO_TARGET_DIR:-$repo/target}/release/rvx}
QEMU=${QEMU:-qemu-system-riscv64}
SMP=${SMP:-3}
timeout_s=1800
command="usertests -q"
keep=0

usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
xv6=""
while [ $# -gt 0 ]; do
    case $1 in
    -t | --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    -c | --command) [ $# -ge 2 ] || usage; command=$2; shift 2 ;;
    -k | --keep) keep=1; shift ;;
    -h | --help) usage ;;
    -*) echo "run-xv6: unknown option $1" >&2; usage ;;
    *) [ -z "$xv6" ] || usage; xv6=$1; shift ;;
    esac
done
[ -n "$xv6" ] || usage
kernel=$xv6/kernel/kernel
[ -f "$kernel" ] && [ -f "$xv6/fs.img" ] ||
    { echo "run-xv6: $xv6 has no kernel/kernel and fs.img (run make kernel/kernel fs.img there)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/rvx-xv6.XXXXXX")
cp "$xv6/fs.img" "$work/fs.img" # usertests writes to the disk: keep the original clean
log=$work/console.log

case $EMU in
rvx)
    [ -x "$RVX" ] || { echo "run-xv6: rvx binary $RVX not found (cargo build --release, or set RVX)" >&2; exit 2; }
    cmd=("$RVX" run --bios none --kernel "$kernel" -m 128M --smp "$SMP"
        --drive "file=$work/fs.img,format=raw" --nographic)
    # shellcheck disable=SC2206 # a list of words on purpose
    cmd+=(${RVX_ARGS:-})
    ;;
qemu)
    cmd=("$QEMU" -machine virt -bios none -kernel "$kernel" -m 128M -smp "$SMP" -nographic
        -global virtio-mmio.force-legacy=false
        -drive "file=$work/fs.img,if=none,format=raw,id=x0"
        -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0)
    # shellcheck disable=SC2206
    cmd+=(${QEMU_ARGS:-})
    ;;
*) echo "run-xv6: EMU must be rvx or qemu" >&2; exit 2 ;;
esac
echo "run-xv6: $(printf "%q " "${cmd[@]}")"

# The console's input is a FIFO this script holds open read-write (so opening it never blocks
# and the emulator never sees end-of-file); typed text goes in through fd 3.
mkfifo "$work/stdin"
exec 3<>"$work/stdin"
t0=$EPOCHREALTIME
timeout -k 10 "$timeout_s" "${cmd[@]}" <"$work/stdin" >"$log" 2>&1 &
pid=$!
since() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

result="" prompt_t="-" typed=0
while kill -0 "$pid" 2>/dev/null; do
    if [ $typed = 0 ] && grep -qs 'init: starting sh' "$log" && grep -qsF '$ ' "$log"; then
        prompt_t=$(since)
        printf '%s\n' "$command" >&3
        typed=1
    fi
    if grep -qs 'ALL TESTS PASSED' "$log"; then
        result=pass
        break
    fi
    if grep -qsE 'SOME TESTS FAILED|^panic|FAILED' "$log"; then
        sleep 2 # let the rest of the message arrive
        result="usertests or the kernel reported a failure"
        break
    fi
    sleep 0.5
done
total_t=$(since)
if kill -0 "$pid" 2>/dev/null; then
    # xv6 has no power-off: stop the emulator once the result is in.
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
else
    wait "$pid"
    status=$?
    [ -n "$result" ] || result="emulator exited (status $status$([ "$status" = 124 ] && echo ": timed out after $timeout_s s"))"
fi
exec 3>&-

if [ "$result" = pass ]; then
    echo "xv6 '$command' PASS  (shell prompt after $prompt_t s, total $total_t s)"
    [ $keep = 1 ] && echo "run-xv6: work directory $work" || rm -rf "$work"
    exit 0
fi
echo "xv6 '$command' FAIL after $total_t s (shell prompt after $prompt_t s): $result"
grep -E 'FAILED|panic' "$log" | head -n 10 | sed 's/^/    ! /'
tail -n 30 "$log" | sed 's/^/    | /'
echo "run-xv6: console log $log"
exit 1

#!/usr/bin/env bash
# Boots the same Debian riscv64 kernel and busybox initramfs on rvx and on QEMU, in one run,
# and times the boot and a few workloads inside the guest. Prints a markdown table.
#
# Usage: bench/boot-bench.sh
# Environment:
#   RVX=path     rvx binary (default: $CARGO_TARGET_DIR or <repo>/target, then release/rvx);
#                RVX=none skips rvx
#   QEMU=path    qemu-system-riscv64 (default: from PATH); QEMU=none skips QEMU
#   RVX_ARGS / QEMU_ARGS   extra emulator arguments (e.g. RVX_ARGS="--accel interp")
#   MEM=512M     guest RAM (the 64 MiB file lives in tmpfs, which may use half of it)
#   SMP=1        harts
#   RUNS=1       boots per emulator (alternating between them); each figure is the best
#                (smallest) of the runs
#   TIMEOUT=600  limit per boot in seconds
#   RVX_BOOT_CACHE  Debian package cache of test-suites/boot/fetch-debian.sh
# What is measured (both emulators get the same kernel, initramfs, -m, -smp and firmware
# choice: their default, i.e. rvx's built-in SBI and QEMU's bundled OpenSBI):
#   boot      host clock, from starting the emulator to the RVX-BOOT-OK line of /init
#   dd        guest clock (/proc/uptime), writing a 64 MiB file of zeros into tmpfs (dd bs=1M)
#   md5sum    guest clock, md5sum of that file (zeros, so the host checks the checksum)
#   shell     guest clock, a busybox sh loop of 200,000 iterations (i=$((i+1)))
#   fork+exec guest clock, 1,000 runs of /bin/true
#   total     host clock, from start to the emulator's exit after poweroff
#   cpu       host CPU time (user + system, all threads) the emulator used for the whole run:
#             less disturbed than the clock figures when the host is busy
# The guest figures rely on the emulator's timer running at wall-clock speed (both derive
# mtime from the host clock); the host figures include emulator start-up and exit.
# Exit status: non-zero if a boot fails, times out, or a checksum is wrong.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
boot=$repo/test-suites/boot
RVX=${RVX:-${CARGO_TARGET_DIR:-$repo/target}/release/rvx}
QEMU=${QEMU:-qemu-system-riscv64}
MEM=${MEM:-512M}
SMP=${SMP:-1}
RUNS=${RUNS:-1}
TIMEOUT=${TIMEOUT:-600}

case ${1:-} in -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac

emus=()
if [ "$RVX" != none ]; then
    [ -x "$RVX" ] || { echo "boot-bench: rvx binary $RVX not found (cargo build --release, or RVX=none)" >&2; exit 2; }
    emus+=(rvx)
fi
if [ "$QEMU" != none ]; then
    command -v "$QEMU" >/dev/null || { echo "boot-bench: $QEMU not found (or QEMU=none)" >&2; exit 2; }
    emus+=(qemu)
fi
[ ${#emus[@]} -gt 0 ] || { echo "boot-bench: nothing to run (RVX=none and QEMU=none)" >&2; exit 2; }

eval "$("$boot/fetch-debian.sh" ${RVX_BOOT_CACHE:+"$RVX_BOOT_CACHE"})" ||
    { echo "boot-bench: fetch-debian.sh failed" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/rvx-boot-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Each workload prints "RVX-BENCH name seconds" measured with the guest's /proc/uptime
# (10 ms resolution; every workload runs for a second or more on QEMU).
tm='tm() { n=$1; shift; s=$(cut -d" " -f1 /proc/uptime); "$@" >/dev/null || echo "RVX-CMD-FAIL $n"; e=$(cut -d" " -f1 /proc/uptime); echo "RVX-BENCH $n $(awk "BEGIN { printf \"%.2f\", $e - $s }")"; }'
loop='loop() { i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done; }'
forks='forks() { i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i + 1)); done; }'
"$boot/mkinitramfs.sh" "$work/bench.cpio.gz" \
    "$tm; tm dd dd if=/dev/zero of=/tmp/zero bs=1M count=64" \
    "$tm; tm md5sum md5sum /tmp/zero; echo \"RVX-MD5=\$(md5sum /tmp/zero | cut -d' ' -f1)\"" \
    "$tm; $loop; tm shell loop" \
    "$tm; $forks; tm fork+exec forks" \
    2>"$work/mkinitramfs.log" || { cat "$work/mkinitramfs.log" >&2; exit 1; }
md5_want=$(head -c $((64 << 20)) /dev/zero | md5sum | cut -d' ' -f1)

append="console=ttyS0 quiet"
emu_cmd() {
    if [ "$1" = rvx ]; then
        cmd=("$RVX" run --kernel "$RVX_BOOT_KERNEL" --initrd "$work/bench.cpio.gz"
            --append "$append" -m "$MEM" --smp "$SMP" --nographic)
        # shellcheck disable=SC2206 # a list of words on purpose
        cmd+=(${RVX_ARGS:-})
    else
        cmd=("$QEMU" -M virt -nographic -no-reboot -kernel "$RVX_BOOT_KERNEL"
            -initrd "$work/bench.cpio.gz" -append "$append" -m "$MEM" -smp "$SMP" -bios default)
        # shellcheck disable=SC2206
        cmd+=(${QEMU_ARGS:-})
    fi
}

declare -A best
failed=0
# child_cpu VAR: sets VAR to the user + system seconds of this shell's waited-for children so
# far (bash `times`, which must run in this shell, not in a $(...) subshell).
child_cpu() {
    times >"$work/times"
    printf -v "$1" '%s' "$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%.2f", t }' "$work/times")"
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
record() { # EMU NAME SECONDS: keep the smallest
    local k="$1:$2" v=$3
    if [ -z "${best[$k]:-}" ] || awk -v a="$v" -v b="${best[$k]}" 'BEGIN { exit !(a < b) }'; then
        best[$k]=$v
    fi
}

# The runs alternate between the emulators (rvx, QEMU, rvx, ...), so a change in the shared
# host's speed during the benchmark reaches both alike.
for run in $(seq "$RUNS"); do
    for emu in "${emus[@]}"; do
        emu_cmd "$emu"
        log=$work/$emu-$run.log
        echo "boot-bench: $emu run $run/$RUNS: $(printf "%q " "${cmd[@]}")" >&2
        t0=$EPOCHREALTIME
        child_cpu cpu0
        ok=0
        md5=""
        # Read the console line by line, stamping the marker with the host clock.
        rm -f "$work/console"
        mkfifo "$work/console"
        timeout -k 10 "$TIMEOUT" "${cmd[@]}" </dev/null >"$work/console" 2>&1 &
        pid=$!
        while IFS= read -r line; do
            line=${line%$'\r'}
            printf '%s\n' "$line" >>"$log"
            case $line in
            RVX-BOOT-OK*) record "$emu" boot "$(since "$t0")" ;;
            "RVX-BENCH "*) read -r _ name secs <<<"$line" && record "$emu" "$name" "$secs" ;;
            RVX-MD5=*) md5=${line#RVX-MD5=} ;;
            RVX-BOOT-DONE*) ok=1 ;;
            RVX-CMD-FAIL*) echo "boot-bench: $emu: $line" >&2; failed=1 ;;
            *"Kernel panic"*) echo "boot-bench: $emu: $line" >&2; failed=1; kill "$pid" 2>/dev/null ;;
            esac
        done <"$work/console"
        wait "$pid"
        status=$?
        record "$emu" total "$(since "$t0")"
        child_cpu cpu1
        record "$emu" cpu "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')"
        if [ $ok != 1 ] || [ $status != 0 ]; then
            echo "boot-bench: $emu run $run failed (exit status $status, completed: $ok); last lines:" >&2
            tail -n 20 "$log" | sed 's/^/    | /' >&2
            failed=1
        fi
        if [ "$md5" != "$md5_want" ]; then
            echo "boot-bench: $emu: md5sum in the guest gave '$md5', expected $md5_want" >&2
            failed=1
        fi
    done
done

echo
echo "Kernel $(basename "$RVX_BOOT_KERNEL"), -m $MEM, -smp $SMP, best of $RUNS run(s); seconds."
[ "${emus[*]}" = "rvx qemu" ] && ratio_head=" rvx/QEMU |" && ratio_rule="---------:|"
printf '| %-34s |' measure
for emu in "${emus[@]}"; do printf ' %8s |' "$([ "$emu" = rvx ] && echo rvx || echo QEMU)"; done
echo "${ratio_head:-}"
printf '|%s|' "------------------------------------"
for _ in "${emus[@]}"; do printf '%s|' "---------:"; done
echo "${ratio_rule:-}"
for m in "boot:boot to RVX-BOOT-OK (host clock)" "dd:dd 64 MiB /dev/zero -> tmpfs" \
    "md5sum:md5sum 64 MiB (tmpfs)" "shell:sh loop, 200,000 iterations" \
    "fork+exec:fork+exec /bin/true x 1,000" "total:start to exit (host clock)" \
    "cpu:emulator CPU time (host, user+sys)"; do
    key=${m%%:*}
    printf '| %-34s |' "${m#*:}"
    for emu in "${emus[@]}"; do printf ' %8s |' "${best[$emu:$key]:--}"; done
    if [ -n "${ratio_head:-}" ]; then
        printf ' %8s |' "$(awk -v a="${best[rvx:$key]:-}" -v b="${best[qemu:$key]:-}" \
            'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }')"
    fi
    echo
done
echo
echo "Host: $(uname -m), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ " ${emus[*]} " != *" qemu "* ] || echo "QEMU: $("$QEMU" --version | head -n 1)"
[ " ${emus[*]} " != *" rvx "* ] || echo "rvx: $("$RVX" --version 2>/dev/null | head -n 1)"
exit $failed

#!/usr/bin/env bash
# Builds the rvx benchmark programs and times them under rvx and QEMU on this machine, in one run.
# Prints a markdown table (the one in docs/performance.md) and the machine it ran on.
#
# Usage: bench/run.sh [--host] [--build-only] [program...]
#   program        any of: intmix memory branchy fp bytecode (default: all)
#   --host         build the programs for the build machine and print their checksums (to
#                  compute bench_expected after changing a program); no emulator runs
#   --build-only   only build the RISC-V ELFs
# Environment:
#   RVX=path       rvx binary (default: $CARGO_TARGET_DIR or <repo>/target, then release/rvx);
#                  RVX=none skips rvx (QEMU only; instruction counts then come from QEMU -icount)
#   ACCELS="interp jit"  rvx --accel values to time, one column pair each (default: interp)
#   QEMU=path      qemu-system-riscv64 (default: from PATH); QEMU=none skips QEMU
#   RUNS=n         runs per program and emulator; the best (shortest) time is reported (default 3)
#   SCALE=n        override every program's round count (default: each program's own SCALE)
#   TIMEOUT=s      limit per run in seconds (default 600)
#   OUT=dir        build directory (default: <target>/bench)
# Exit status: non-zero if any program fails to build, fails its checksum, or fails to exit
# cleanly on any emulator.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
OUT=${OUT:-$target/bench}
RVX=${RVX:-$target/release/rvx}
ACCELS=${ACCELS:-interp}
QEMU=${QEMU:-qemu-system-riscv64}
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-600}
CC=${CC:-riscv64-unknown-elf-gcc}
HOSTCC=${HOSTCC:-cc}
ALL_PROGRAMS="intmix memory branchy fp bytecode"

# -ffp-contract=off: every FP operation rounds as written, so the checksums are exact on any
# correct RISC-V implementation and on the host build. -fno-strict-aliasing: memory.c reads
# one buffer at several widths.
COMMON_CFLAGS="-O2 -ffp-contract=off -fno-math-errno -fno-strict-aliasing -Wall -Wextra -I$here/rt"
RV_CFLAGS="-march=rv64gc -mabi=lp64d -mcmodel=medany --specs=picolibc.specs -nostartfiles \
-T $here/rt/link.ld -Wl,--no-warn-rwx-segments"

mode=run
programs=()
for arg in "$@"; do
    case $arg in
    --host) mode=host ;;
    --build-only) mode=build ;;
    -h | --help)
        sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "run.sh: unknown option $arg" >&2
        exit 2
        ;;
    *) programs+=("$arg") ;;
    esac
done
[ ${#programs[@]} -eq 0 ] && read -r -a programs <<<"$ALL_PROGRAMS"
for p in "${programs[@]}"; do
    [ -f "$here/src/$p.c" ] || { echo "run.sh: no program bench/src/$p.c" >&2; exit 2; }
done
scale_flag=()
[ -n "${SCALE:-}" ] && scale_flag=("-DSCALE=$SCALE")

mkdir -p "$OUT"
status=0

if [ "$mode" = host ]; then
    for p in "${programs[@]}"; do
        # shellcheck disable=SC2086
        $HOSTCC $COMMON_CFLAGS -o "$OUT/$p.host" "$here/src/$p.c" "$here/rt/host.c" -lm &&
            "$OUT/$p.host" || status=1
    done
    exit $status
fi

for p in "${programs[@]}"; do
    # shellcheck disable=SC2086
    $CC $COMMON_CFLAGS $RV_CFLAGS "${scale_flag[@]}" -o "$OUT/$p.elf" \
        "$here/rt/crt0.S" "$here/rt/rt.c" "$here/src/$p.c" -lm ||
        { echo "run.sh: building $p failed" >&2; exit 1; }
done
[ "$mode" = build ] && { echo "built into $OUT"; exit 0; }

use_rvx=1
[ "$RVX" = none ] && use_rvx=0
if [ $use_rvx = 1 ] && [ ! -x "$RVX" ]; then
    echo "run.sh: no rvx binary at $RVX (cargo build --release -p emu-frontend, or RVX=none)" >&2
    exit 2
fi
use_qemu=1
[ "$QEMU" = none ] && use_qemu=0
[ $use_rvx = 0 ] && [ $use_qemu = 0 ] && { echo "run.sh: nothing to run" >&2; exit 2; }
read -r -a accels <<<"$ACCELS"

# time_run LOGFILE CMD...: runs CMD once; prints its wall time and CPU time (user + sys) in
# seconds. Fails if CMD exits non-zero or its output lacks the benchmark's PASS line.
time_run() {
    local log=$1
    shift
    local t0 t1 rc
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$log.cpu" timeout "$TIMEOUT" "$@" </dev/null >"$log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    if [ $rc -ne 0 ] || ! grep -q '^rvx-bench .* PASS' "$log"; then
        echo "run.sh: FAILED (exit $rc): $*" >&2
        sed 's/^/    | /' "$log" | tail -n 20 >&2
        return 1
    fi
    awk -v a="$t0" -v b="$t1" '{ printf "%.3f %.2f\n", b - a, $1 + $2 }' "$log.cpu"
}

# best_of LOGFILE CMD...: "wall cpu" of the run with the shortest wall time of RUNS runs, or
# "FAIL FAIL".
best_of() {
    local best="" t
    for _ in $(seq "$RUNS"); do
        t=$(time_run "$@") || { echo FAIL FAIL; return 1; }
        best=$(echo "$t $best" | awk '{ print (NF == 2 || $1 < $3) ? $1 " " $2 : $3 " " $4 }')
    done
    echo "$best"
}

instret_of() { sed -n 's/^rvx-bench .* instret=\([0-9]*\).*/\1/p' "$1" | tr -d '\r' | head -n 1; }
mips() { awk -v n="$1" -v t="$2" 'BEGIN { if (t == "FAIL" || n == "" || t <= 0) print "-"; else printf "%.0f\n", n / t / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "FAIL" || b == "FAIL" || b <= 0) print "-"; else printf "%.2f\n", a / b }'; }

# Other work on the machine skews wall times; record how busy it was when we started.
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A secs cpus insns
insn_source="rvx (minstret)"
for p in "${programs[@]}"; do
    elf="$OUT/$p.elf"
    if [ $use_rvx = 1 ]; then
        for a in "${accels[@]}"; do
            echo "running $p on rvx --accel $a ..." >&2
            read -r secs[$p,$a] cpus[$p,$a] < <(best_of "$OUT/$p.rvx-$a.log" \
                "$RVX" run --bios none --kernel "$elf" --accel "$a")
            [ "${secs[$p,$a]}" = FAIL ] && status=1
            n=$(instret_of "$OUT/$p.rvx-$a.log")
            if [ -z "${insns[$p]:-}" ]; then
                insns[$p]=$n
            elif [ -n "$n" ] && [ "$n" != "${insns[$p]}" ]; then
                # minstret is exact in every engine, so the same ELF must retire the same count.
                echo "run.sh: $p: --accel $a retired $n instructions, ${accels[0]} ${insns[$p]}" >&2
                status=1
            fi
        done
    fi
    if [ $use_qemu = 1 ]; then
        echo "running $p on qemu ..." >&2
        read -r secs[$p,qemu] cpus[$p,qemu] < <(best_of "$OUT/$p.qemu.log" \
            "$QEMU" -M virt -bios none -nographic -kernel "$elf")
        [ "${secs[$p,qemu]}" = FAIL ] && status=1
        if [ $use_rvx = 0 ]; then
            # No rvx: count instructions with QEMU's icount mode instead (a separate, untimed run).
            # With -icount shift=0,sleep=off QEMU's minstret is its executed-instruction counter;
            # with the default sleep=on, clock warps add a run-to-run varying bias of up to 1%.
            insn_source="QEMU -icount shift=0,sleep=off (minstret), no rvx run"
            timeout "$TIMEOUT" "$QEMU" -M virt -bios none -nographic -icount shift=0,sleep=off -kernel "$elf" \
                </dev/null >"$OUT/$p.qemu-icount.log" 2>&1 || status=1
            insns[$p]=$(instret_of "$OUT/$p.qemu-icount.log")
        fi
    fi
done

# The table.
header="| program | instructions |"
rule="|---|---:|"
if [ $use_rvx = 1 ]; then
    for a in "${accels[@]}"; do
        header+=" rvx $a s | rvx $a MIPS |"
        rule+="---:|---:|"
    done
fi
if [ $use_qemu = 1 ]; then
    header+=" qemu s | qemu MIPS |"
    rule+="---:|---:|"
    if [ $use_rvx = 1 ]; then
        for a in "${accels[@]}"; do
            header+=" rvx $a / qemu time |"
            rule+="---:|"
        done
    fi
fi

row() { # row NAME INSNS KEY-PREFIX: one table row from secs[KEY-PREFIX,<emulator>]
    local name=$1 n=$2 k=$3 line
    line="| $name | $n |"
    if [ $use_rvx = 1 ]; then
        for a in "${accels[@]}"; do
            line+=" ${secs[$k,$a]:-FAIL} | $(mips "$n" "${secs[$k,$a]:-FAIL}") |"
        done
    fi
    if [ $use_qemu = 1 ]; then
        line+=" ${secs[$k,qemu]:-FAIL} | $(mips "$n" "${secs[$k,qemu]:-FAIL}") |"
        if [ $use_rvx = 1 ]; then
            for a in "${accels[@]}"; do
                line+=" $(ratio "${secs[$k,$a]:-FAIL}" "${secs[$k,qemu]:-FAIL}") |"
            done
        fi
    fi
    echo "$line"
}

# A total row when more than one program ran: all instructions over all (best) times.
total_n=0
emulators=()
[ $use_rvx = 1 ] && emulators+=("${accels[@]}")
[ $use_qemu = 1 ] && emulators+=(qemu)
for e in "${emulators[@]}"; do secs[total,$e]=0; cpus[total,$e]=0; done
for p in "${programs[@]}"; do
    total_n=$((total_n + ${insns[$p]:-0}))
    for e in "${emulators[@]}"; do
        s=${secs[$p,$e]:-FAIL}
        if [ "$s" = FAIL ] || [ "${secs[total,$e]}" = FAIL ]; then
            secs[total,$e]=FAIL
            cpus[total,$e]=FAIL
        else
            secs[total,$e]=$(awk -v a="${secs[total,$e]}" -v b="$s" 'BEGIN { printf "%.3f\n", a + b }')
            cpus[total,$e]=$(awk -v a="${cpus[total,$e]}" -v b="${cpus[$p,$e]}" 'BEGIN { printf "%.2f\n", a + b }')
        fi
    done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "- Machine: ${cpu:-unknown CPU}, $(nproc) host CPUs, $(uname -sr)"
echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average at start: $loadavg"
if [ $use_rvx = 1 ]; then
    rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
    git -C "$repo" diff --quiet HEAD -- 2>/dev/null || rev+=" (with uncommitted changes)"
    echo "- rvx: git $rev, $RVX"
fi
[ $use_qemu = 1 ] && echo "- QEMU: $("$QEMU" --version | head -n 1)"
echo "- Compiler: $($CC --version | head -n 1), picolibc"
echo "- Best of $RUNS runs each; instructions counted by $insn_source."
echo
echo "$header"
echo "$rule"
for p in "${programs[@]}"; do
    row "$p" "${insns[$p]:-?}" "$p"
done
[ ${#programs[@]} -gt 1 ] && row "**all**" "$total_n" total

# The same best runs in CPU seconds (user + sys, all the emulator's threads): on a busy machine
# wall time also counts time spent waiting for a CPU, CPU time does not.
echo
echo "CPU time of the same runs (user + sys) and instructions per CPU second:"
echo
line="| program |"
sep="|---|"
for e in "${emulators[@]}"; do
    label=$e
    [ "$e" != qemu ] && label="rvx $e"
    line+=" $label cpu s | $label MIPS/cpu |"
    sep+="---:|---:|"
done
echo "$line"
echo "$sep"
names=("${programs[@]}")
[ ${#programs[@]} -gt 1 ] && names+=(total)
for p in "${names[@]}"; do
    if [ "$p" = total ]; then line="| **all** |"; n=$total_n; else line="| $p |"; n=${insns[$p]:-}; fi
    for e in "${emulators[@]}"; do
        line+=" ${cpus[$p,$e]:-FAIL} | $(mips "$n" "${cpus[$p,$e]:-FAIL}") |"
    done
    echo "$line"
done
exit $status

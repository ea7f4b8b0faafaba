#!/usr/bin/env bash
# Validate the rvx ISA tests against QEMU's spike board (QEMU is the reference
# here, never a way to run rvx). Usage:
#   test-suites/isa/check-qemu.sh [--mutate] [test.S ...]
# Each test is assembled and run with
#   qemu-system-riscv64 -M spike -bios none -nographic -kernel t.elf
# and must exit 0. A test whose source contains a line "QEMU-SKIP: reason" is
# reported as skipped (QEMU lacks what it tests). Tests are assembled with
# -DRVX_QEMU so a file may leave out single documented cases QEMU gets wrong.
# A test marked "QEMU-VIRT: reason" runs on QEMU's virt board instead (it
# needs something spike lacks, e.g. the time CSR); it is built with
# -DRVX_QEMU_VIRT and reports through the sifive_test device.
# --mutate also rebuilds each test once per case n with -DRVX_FLIP=n (which
# inverts that case's expectations) and checks that QEMU then exits with n,
# i.e. that every case can actually fail.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mutate=0
if [ "${1:-}" = "--mutate" ]; then mutate=1; shift; fi
if [ $# -eq 0 ]; then set -- "$here"/*.S; fi
cc=${RISCV_CC:-riscv64-unknown-elf-gcc}
march=rv64gc_zba_zbb_zbs_zbc_zfh_zicsr_zifencei_zicbom_zicboz
cpu="rv64,zba=true,zbb=true,zbc=true,zbs=true,Zfh=true,sstc=true"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0

board=spike
build() { # src out extra-flags...
  local src=$1 out=$2; shift 2
  local virt=""
  [ $board = virt ] && virt=-DRVX_QEMU_VIRT
  "$cc" $virt -march=$march -mabi=lp64d -nostdlib -nostartfiles -static \
    -I"$here/env" -T "$here/env/link.ld" -DRVX_QEMU "$@" "$src" -o "$out"
}
run() {
  timeout 20 qemu-system-riscv64 -M $board -cpu "$cpu" -bios none -nographic \
    -kernel "$1" </dev/null
}

for src in "$@"; do
  name=$(basename "$src" .S)
  if grep -q 'QEMU-SKIP:' "$src"; then
    echo "$name: SKIP ($(grep -o 'QEMU-SKIP:.*' "$src" | head -1 | cut -c12-))"
    skip=$((skip + 1)); continue
  fi
  board=spike
  if grep -q 'QEMU-VIRT:' "$src"; then board=virt; fi
  if ! build "$src" "$tmp/$name.elf"; then
    echo "$name: BUILD FAILED"; fail=$((fail + 1)); continue
  fi
  out=$(run "$tmp/$name.elf" 2>&1); st=$?
  if [ $st -ne 0 ]; then
    echo "$name: FAIL($st) $out"; fail=$((fail + 1)); continue
  fi
  if [ $mutate -eq 1 ]; then
    riscv64-unknown-elf-objcopy --dump-section .rvx_cases="$tmp/$name.cases" \
      "$tmp/$name.elf" "$tmp/junk.elf"
    cases=$(od -An -v -tu1 "$tmp/$name.cases" | tr -s ' \n' '\n' | sort -un)
    bad=""
    n_cases=0
    [ -s "$tmp/$name.cases" ] || bad=" (no case list)"
    for n in $cases; do
      n_cases=$((n_cases + 1))
      build "$src" "$tmp/m.elf" -DRVX_FLIP=$n || { bad="$bad $n(build)"; continue; }
      run "$tmp/m.elf" >/dev/null 2>&1; st=$?
      [ $st -eq $n ] || bad="$bad $n(got $st)"
    done
    if [ -n "$bad" ]; then
      echo "$name: PASS, but flipped cases not detected:$bad"; fail=$((fail + 1)); continue
    fi
    echo "$name: PASS ($n_cases cases, each shown to fail when flipped)"
  else
    echo "$name: PASS"
  fi
  pass=$((pass + 1))
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]

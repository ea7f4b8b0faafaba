#!/usr/bin/env bash
# Run a directory of prebuilt riscv-tests binaries (rv64ui-p-add, rv64ui-v-add,
# ...) on rvx and print one line per test plus a summary. See docs/testing.md
# for how to get and build riscv-tests; nothing of riscv-tests is kept here.
#
# Usage: test-suites/run-riscv-tests.sh [options] DIR [-- extra rvx args]
#   -s, --suites "LIST"   suites to run (default: rv64ui rv64um rv64ua rv64uf
#                         rv64ud rv64uc rv64mi rv64si rv64uzba rv64uzbb
#                         rv64uzbs rv64uzbc rv64uzfh); each runs its -p- and
#                         -v- variants
#   -t, --timeout SECS    per-test timeout (default 30)
#   -x, --skip "NAMES"    test names to skip (shell globs, e.g. "rv64mi-p-*")
#   -v, --verbose         print the output of failing tests
# Environment: RVX = path of the rvx binary (default: target/release/rvx in
# the repository root).
# Each test runs as `rvx run --bios none --kernel FILE [extra args]`; exit
# status 0 is a pass (riscv-tests report through HTIF tohost: a failing test
# exits with its test number). Exit status: 0 if nothing failed, 1 otherwise,
# 2 on usage errors.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
rvx=${RVX:-$repo/target/release/rvx}
suites="rv64ui rv64um rv64ua rv64uf rv64ud rv64uc rv64mi rv64si rv64uzba rv64uzbb rv64uzbs rv64uzbc rv64uzfh"
timeout_s=30
skip=""
verbose=0

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dir=""
while [ $# -gt 0 ]; do
  case $1 in
    -s|--suites) [ $# -ge 2 ] || usage; suites=$2; shift 2 ;;
    -t|--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    -x|--skip) [ $# -ge 2 ] || usage; skip=$2; shift 2 ;;
    -v|--verbose) verbose=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) [ -z "$dir" ] || usage; dir=$1; shift ;;
  esac
done
extra=("$@")

[ -n "$dir" ] || usage
if [ ! -d "$dir" ]; then
  echo "error: $dir is not a directory of riscv-tests binaries" >&2; exit 2
fi
if [ ! -x "$rvx" ]; then
  echo "error: rvx binary not found at $rvx (build with 'cargo build --release' or set RVX)" >&2
  exit 2
fi

is_skipped() {
  local name=$1 pat
  for pat in $skip; do
    # shellcheck disable=SC2053 # glob match on purpose
    [[ $name == $pat ]] && return 0
  done
  return 1
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
pass=0 fail=0 skipped=0 found=0

for suite in $suites; do
  for variant in p v; do
    for file in "$dir/$suite-$variant-"*; do
      [ -f "$file" ] || continue
      case $file in *.dump|*.o|*.hex|*.bin|*.S|*.elf.*) continue ;; esac
      name=$(basename "$file")
      found=$((found + 1))
      if is_skipped "$name"; then
        printf '%-32s SKIP\n' "$name"
        skipped=$((skipped + 1))
        continue
      fi
      timeout -k 5 "$timeout_s" "$rvx" run --bios none --kernel "$file" "${extra[@]}" \
        </dev/null >"$log" 2>&1
      st=$?
      if [ $st -eq 0 ]; then
        printf '%-32s PASS\n' "$name"
        pass=$((pass + 1))
        continue
      fi
      if [ $st -eq 124 ] || [ $st -eq 137 ]; then
        printf '%-32s TIMEOUT\n' "$name"
      else
        printf '%-32s FAIL(%d)\n' "$name" "$st"
      fi
      fail=$((fail + 1))
      if [ $verbose -eq 1 ]; then sed 's/^/    /' "$log" | tail -n 20; fi
    done
  done
done

if [ $found -eq 0 ]; then
  echo "error: no test binaries for suites '$suites' in $dir" >&2
  exit 2
fi
if [ $skipped -gt 0 ]; then
  echo "$pass passed, $fail failed, $skipped skipped"
else
  echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]

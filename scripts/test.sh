#!/usr/bin/env bash
# The test command (README): unit tests, insta snapshots, the decoder's objdump cross-check,
# and the project's own ISA tests run on the rvx binary. Release mode: the tests boot guests.
# Ends with one summary line "N passed, N failed" over every test binary.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --release --lib --bins --tests "$@" 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
echo "$passed passed, $failed failed"
exit "$status"

#!/usr/bin/env bash
# The test command (README): unit tests, insta snapshots, the decoder's objdump cross-check,
# the project's own ISA tests run on the rvx binary, then the Linux boot tests (Debian's
# kernel, downloaded and cached by test-suites/boot/fetch-debian.sh). Release mode: the tests
# boot guests. Ends with one summary line "N passed, N failed" over all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --release --lib --bins --tests "$@" 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
# The boot tests use the release binary the cargo run above built.
boot_log=$(mktemp)
trap 'rm -f "$log" "$boot_log"' EXIT
RVX="${CARGO_TARGET_DIR:-target}/release/rvx" bash test-suites/boot/run-boot-tests.sh 2>&1 | tee "$boot_log" || status=1
passed=$((passed + $(grep -Ec '^[a-z0-9-]+ +PASS' "$boot_log" || true)))
failed=$((failed + $(grep -Ec '^[a-z0-9-]+ +FAIL' "$boot_log" || true)))
echo "$passed passed, $failed failed"
exit "$status"

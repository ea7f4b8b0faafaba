#!/usr/bin/env bash
# The test command (README): unit tests, insta snapshots, the decoder's objdump cross-check,
# and the project's own ISA tests run on the rvx binary. Release mode: the tests boot guests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --release "$@"

#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install the toolchain, build rvx, compile a
# bare-metal C program with picolibc, and run it on rvx.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build --release -p emu-frontend
out=target/examples; mkdir -p "$out"
riscv64-unknown-elf-gcc --specs=picolibc.specs --oslib=semihost --crt0=semihost -march=rv64gc -mabi=lp64d \
  -mcmodel=medany -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x400000 \
  -Wl,--defsym=__ram=0x80400000 -Wl,--defsym=__ram_size=0x400000 \
  -O2 -o "$out/hello.elf" examples/hello.c
echo "+ target/release/rvx run --bios none --kernel $out/hello.elf --semihosting"
exec target/release/rvx run --bios none --kernel "$out/hello.elf" --semihosting

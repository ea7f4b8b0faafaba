# Zicond conditional zeroing (Zicond spec 1.0): czero.eqz rd, rs1, rs2
# gives 0 if rs2 == 0 else rs1; czero.nez gives 0 if rs2 != 0 else rs1.
# binutils 2.40 has no Zicond mnemonics, so they are encoded with .insn
# (OP opcode 0x33, funct7 0000111, funct3 101 / 111).
# QEMU-SKIP: QEMU 7.2 has no Zicond (the instructions are illegal there).
#include "rvx_test.h"

.macro czero.eqz rd, rs1, rs2
  .insn r 0x33, 5, 7, \rd, \rs1, \rs2
.endm
.macro czero.nez rd, rs1, rs2
  .insn r 0x33, 7, 7, \rd, \rs1, \rs2
.endm

.macro TEST_CZ n, which, exp, v1, v2
  CASE \n
  li a1, \v1
  li a2, \v2
  li a0, 0x5a5a
  \which a0, a1, a2
  CHECK a0, \exp
.endm

RVX_TEST_BEGIN
  CASE 1                        # the encoding is the one the spec gives
  la a0, enc
  lwu a1, 0(a0)
  CHECK a1, 0x0ec5d533
  lwu a1, 4(a0)
  CHECK a1, 0x0ec5f533

  TEST_CZ 2, czero.eqz, 0, 0x1234, 0
  TEST_CZ 3, czero.eqz, 0x1234, 0x1234, 1
  TEST_CZ 4, czero.eqz, -1, -1, 0x8000000000000000    # any nonzero bit
  TEST_CZ 5, czero.nez, 0x1234, 0x1234, 0
  TEST_CZ 6, czero.nez, 0, 0x1234, 1
  TEST_CZ 7, czero.nez, 0, -1, 0x8000000000000000
  CASE 8                        # rs2 = x0: eqz always zero, nez always rs1
  li a1, 77
  czero.eqz a0, a1, x0
  CHECK a0, 0
  czero.nez a0, a1, x0
  CHECK a0, 77
  CASE 9                        # rd == rs2
  li a1, 5
  li a2, 3
  czero.eqz a2, a1, a2
  CHECK a2, 5
RVX_TEST_END

  .section .rodata
  .balign 4
enc:
  czero.eqz a0, a1, a2
  czero.nez a0, a1, a2

# Conditional branches (taken / not taken, signed / unsigned, forward and
# backward), jal and jalr link values, and jalr clearing bit 0 of the target
# (unprivileged spec 2.5).
#
# Trap cause 0 (instruction address misaligned) cannot be raised on rvx:
# with the C extension every target is 2-byte aligned once jalr has cleared
# bit 0, and branch/jal offsets are multiples of 2 (spec 2.5: with IALIGN=16
# no misaligned-target exception is possible). This test checks the bit-0
# clearing and that jumping to a 2-byte aligned (not 4-byte aligned) target
# works, which is what would trap without C.
#include "rvx_test.h"

/* a0 = 2 if `insn v1, v2` branches, 1 if it falls through. */
.macro TEST_BR n, insn, v1, v2, expect
  CASE \n
  li a1, \v1
  li a2, \v2
  \insn a1, a2, .Ltaken\@
  li a0, 1
  j .Ldone\@
.Ltaken\@:
  li a0, 2
.Ldone\@:
  CHECK a0, \expect
.endm

RVX_TEST_BEGIN
  TEST_BR 1, beq, 5, 5, 2
  TEST_BR 2, beq, 5, 6, 1
  TEST_BR 3, bne, 5, 6, 2
  TEST_BR 4, bne, -1, -1, 1
  TEST_BR 5, blt, -1, 0, 2
  TEST_BR 6, blt, 0, -1, 1
  TEST_BR 7, blt, 3, 3, 1
  TEST_BR 8, bge, 3, 3, 2
  TEST_BR 9, bge, -1, 0, 1
  TEST_BR 10, bge, 0x7fffffffffffffff, 0x8000000000000000, 2
  TEST_BR 11, bltu, 0, -1, 2
  TEST_BR 12, bltu, -1, 0, 1
  TEST_BR 13, bgeu, -1, 0, 2
  TEST_BR 14, bgeu, 0, 1, 1
  TEST_BR 15, bgeu, 7, 7, 2

  CASE 20                       # backward branch loop
  li a0, 0
  li a1, 10
1:
  addi a0, a0, 3
  addi a1, a1, -1
  bnez a1, 1b
  CHECK a0, 30

  CASE 21                       # jal links pc+4
  jal ra, 2f
3:
  j rvx_fail
2:
  la a1, 3b
  CHECKR ra, a1

  CASE 22                       # jal with rd=x0 does not link
  li a0, 0
  j 4f
  li a0, 1
4:
  CHECK a0, 0

  CASE 23                       # jalr: target = rs1 + imm, link pc+4
  la a1, 5f
  addi a1, a1, -8
  jalr t0, 8(a1)
6:
  j rvx_fail
5:
  la a2, 6b
  CHECKR t0, a2

  CASE 24                       # jalr clears bit 0 of the target
  la a1, 7f
  addi a1, a1, 1
  jalr t0, 0(a1)
  j rvx_fail
7:
  auipc a0, 0
  la a2, 7b
  CHECKR a0, a2

  CASE 25                       # rd == rs1: the target uses the old value
  la a1, 8f
  jalr a1, 0(a1)
9:
  j rvx_fail
8:
  la a2, 9b
  CHECKR a1, a2

  CASE 26                       # odd immediate offset, bit 0 cleared
  la a1, 10f
  addi a1, a1, -3
  jalr x0, 3(a1)
  j rvx_fail
10:
  auipc a0, 0
  la a2, 10b
  CHECKR a0, a2

  CASE 27                       # target only 2-byte aligned (C extension)
  la a1, half
  jalr ra, 0(a1)
  CHECK a0, 0x27

  CASE 28                       # a branch to a 2-byte aligned target
  li a1, 1
  bnez a1, half_branch_target
  j rvx_fail
half_branch_back:
  CHECK a0, 0x28
RVX_TEST_END

  .text
  .option push
  .option norvc
  .balign 4
  .option rvc
  c.nop                         # makes `half` 2 mod 4
  .option norvc
half:
  li a0, 0x27
  ret
  .balign 4
  .option rvc
  c.nop
  .option norvc
half_branch_target:
  li a0, 0x28
  j half_branch_back
  .option pop

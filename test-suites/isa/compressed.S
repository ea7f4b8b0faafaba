# C extension: every RV64C instruction written with its explicit c.*
# mnemonic (unprivileged spec 16): immediates and sign extension, the
# 3-bit register forms, stack-pointer-relative loads/stores, c.jalr linking
# pc+2, c.beqz/c.bnez, and c.j/c.jr.
#include "rvx_test.h"
RVX_TEST_BEGIN
  .option push
  .option rvc
  CASE 1
  c.li a0, -32
  CHECK a0, -32
  CASE 2
  c.lui a0, 0xfffe0              # nzimm[17:12] = -32, sign-extended
  CHECK a0, 0xfffffffffffe0000
  CASE 3
  c.lui a0, 1
  CHECK a0, 0x1000
  CASE 4
  c.li a0, 5
  c.addi a0, -6
  CHECK a0, -1
  CASE 5
  li a0, 0x7fffffff
  c.addiw a0, 1                  # 32-bit wrap, sign-extended
  CHECK a0, 0xffffffff80000000
  CASE 6
  li a0, 0x100000001
  c.addiw a0, 0                  # sext.w
  CHECK a0, 1
  CASE 7
  mv s2, sp
  c.addi16sp sp, -64
  sub a0, s2, sp
  CHECK a0, 64
  CASE 8
  c.addi4spn a1, sp, 8
  sub a0, a1, sp
  CHECK a0, 8
  c.addi16sp sp, 64
  CASE 9
  li a0, 1
  c.slli a0, 63
  CHECK a0, 0x8000000000000000
  CASE 10
  c.srai a0, 62
  CHECK a0, -2
  CASE 11
  c.srli a0, 60
  CHECK a0, 15
  CASE 12
  li a0, 0xff
  c.andi a0, -16
  CHECK a0, 0xf0
  CASE 13
  li a1, 0x1234
  c.mv a0, a1
  CHECK a0, 0x1234
  CASE 14
  li a1, 7
  c.add a0, a1
  CHECK a0, 0x123b
  CASE 15
  li a0, 5
  li a1, 7
  c.sub a0, a1
  CHECK a0, -2
  CASE 16
  li a0, 0xff00
  li a1, 0x0ff0
  c.xor a0, a1
  CHECK a0, 0xf0f0
  CASE 17
  c.or a0, a1
  CHECK a0, 0xfff0
  CASE 18
  c.and a0, a1
  CHECK a0, 0x0ff0
  CASE 19
  li a0, 0x80000000
  li a1, 1
  c.subw a0, a1
  CHECK a0, 0x7fffffff
  CASE 20
  c.addw a0, a1
  CHECK a0, 0xffffffff80000000

  la s0, buf
  CASE 30
  li a1, 0x8899aabbccddeeff
  c.sd a1, 8(s0)
  c.ld a0, 8(s0)
  CHECK a0, 0x8899aabbccddeeff
  CASE 31
  c.lw a0, 8(s0)                # sign-extends
  CHECK a0, 0xffffffffccddeeff
  CASE 32
  li a1, 0x12345678
  c.sw a1, 12(s0)
  c.ld a0, 8(s0)
  CHECK a0, 0x12345678ccddeeff

  CASE 40
  mv s2, sp
  mv sp, s0
  li a1, 0x0102030405060708
  c.sdsp a1, 16(sp)
  c.ldsp a2, 16(sp)
  li a3, 0xfffffffff0000000
  c.swsp a3, 24(sp)
  c.lwsp a4, 24(sp)
  mv sp, s2
  CHECK a2, 0x0102030405060708
  CASE 41
  CHECK a4, 0xfffffffff0000000

  CASE 42                       # FP loads/stores
  li a1, 0x400921fb54442d18
  c.sd a1, 0(s0)
  c.fld fa0, 0(s0)
  c.fsd fa0, 24(s0)
  c.ld a0, 24(s0)
  CHECK a0, 0x400921fb54442d18
  CASE 43
  mv s2, sp
  mv sp, s0
  c.fldsp fa1, 0(sp)
  c.fsdsp fa1, 32(sp)
  mv sp, s2
  c.ld a0, 32(s0)
  CHECK a0, 0x400921fb54442d18

  CASE 50                       # c.j
  li a0, 0
  c.j 1f
  li a0, 1
1:
  CHECK a0, 0
  CASE 51                       # c.jr
  la a1, 2f
  li a3, 0
  c.jr a1
  li a3, 1
2:
  CHECK a3, 0
  CASE 52                       # c.jalr links pc+2
  la a1, 3f
  c.jalr a1
4:
  j rvx_fail
3:
  la a2, 4b
  CHECKR ra, a2
  CASE 53                       # c.beqz taken / not taken
  li a0, 0
  li a3, 0
  c.beqz a0, 5f
  li a3, 1
5:
  CHECK a3, 0
  li a0, 1
  c.beqz a0, 7f
  li a3, 1
7:
  CHECK a3, 1
  CASE 54                       # c.bnez taken / not taken
  li a3, 0
  c.bnez a0, 6f
  li a3, 1
6:
  CHECK a3, 0
  li a0, 0
  c.bnez a0, 8f
  li a3, 1
8:
  CHECK a3, 1
  CASE 55
  c.nop
  li a0, 55
  CHECK a0, 55
  .option pop
RVX_TEST_END

  .data
  .balign 8
buf: .zero 64

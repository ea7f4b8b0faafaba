# A extension: LR/SC success and failure, and every AMO in .w and .d form
# (unprivileged spec 9). Checks the old value returned in rd (sign-extended
# for .w), the value left in memory, and that a .w AMO leaves the other half
# of the doubleword alone. Also the aq/rl encodings.
#include "rvx_test.h"

/* mem[s0] = init (64 bits); rd = insn(operand); check rd and the doubleword. */
.macro TEST_AMO n, insn, init, operand, old, new
  CASE \n
  la s0, amo_buf
  li a1, \init
  sd a1, 0(s0)
  li a2, \operand
  \insn a0, a2, (s0)
  CHECK a0, \old
  ld a3, 0(s0)
  CHECK a3, \new
.endm

RVX_TEST_BEGIN
  TEST_AMO 1, amoswap.w, 0xdeadbeef80000001, 0x12345678, 0xffffffff80000001, 0xdeadbeef12345678
  TEST_AMO 2, amoadd.w, 0xdeadbeef7fffffff, 1, 0x7fffffff, 0xdeadbeef80000000
  TEST_AMO 3, amoand.w, 0xdeadbeefff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xdeadbeef0f000f00
  TEST_AMO 4, amoor.w, 0xdeadbeef0000ff00, 0x80000000, 0xff00, 0xdeadbeef8000ff00
  TEST_AMO 5, amoxor.w, 0xdeadbeefffffffff, 0x0000ffff, -1, 0xdeadbeefffff0000
  TEST_AMO 6, amomin.w, 0xdeadbeef00000005, -3, 5, 0xdeadbeeffffffffd
  TEST_AMO 7, amomin.w, 0xdeadbeeffffffffd, 5, -3, 0xdeadbeeffffffffd
  TEST_AMO 8, amomax.w, 0xdeadbeef00000005, -3, 5, 0xdeadbeef00000005
  TEST_AMO 9, amomax.w, 0xdeadbeef80000000, 0x7fffffff, 0xffffffff80000000, 0xdeadbeef7fffffff
  TEST_AMO 10, amominu.w, 0xdeadbeef00000005, -3, 5, 0xdeadbeef00000005
  TEST_AMO 11, amominu.w, 0xdeadbeefffffffff, 0x7fffffff, -1, 0xdeadbeef7fffffff
  TEST_AMO 12, amomaxu.w, 0xdeadbeef00000005, -3, 5, 0xdeadbeeffffffffd
  TEST_AMO 13, amomaxu.w, 0xdeadbeef80000000, 0x7fffffff, 0xffffffff80000000, 0xdeadbeef80000000
  # rs2 upper bits are ignored by the .w forms
  TEST_AMO 14, amoadd.w, 0xdeadbeef00000001, 0x1234567800000001, 1, 0xdeadbeef00000002
  TEST_AMO 15, amominu.w, 0x0000000000000002, 0xffffffff00000001, 2, 0x0000000000000001

  TEST_AMO 20, amoswap.d, 0x1122334455667788, -1, 0x1122334455667788, -1
  TEST_AMO 21, amoadd.d, 0x7fffffffffffffff, 1, 0x7fffffffffffffff, 0x8000000000000000
  TEST_AMO 22, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00
  TEST_AMO 23, amoor.d, 0x00000000000000ff, 0x8000000000000000, 0xff, 0x80000000000000ff
  TEST_AMO 24, amoxor.d, -1, 0xffff, -1, 0xffffffffffff0000
  TEST_AMO 25, amomin.d, 5, -3, 5, -3
  TEST_AMO 26, amomin.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000000
  TEST_AMO 27, amomax.d, 5, -3, 5, 5
  TEST_AMO 28, amomax.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff
  TEST_AMO 29, amominu.d, 5, -3, 5, 5
  TEST_AMO 30, amominu.d, -1, 0, -1, 0
  TEST_AMO 31, amomaxu.d, 5, -3, 5, -3
  TEST_AMO 32, amomaxu.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000000
  TEST_AMO 33, amoadd.d.aqrl, 40, 2, 40, 42
  TEST_AMO 34, amoswap.w.aq, 0, 9, 0, 9
  TEST_AMO 35, amoor.d.rl, 1, 2, 1, 3

  CASE 40                       # amo with rd = x0 still writes memory
  la s0, amo_buf
  li a1, 10
  sd a1, 0(s0)
  li a2, 5
  amoadd.d x0, a2, (s0)
  ld a3, 0(s0)
  CHECK a3, 15

  CASE 50                       # lr.d / sc.d success: sc writes 0 to rd
  la s0, amo_buf
  li a1, 100
  sd a1, 0(s0)
  lr.d a0, (s0)
  CHECK a0, 100
  addi a0, a0, 1
  sc.d a4, a0, (s0)
  CHECK a4, 0
  ld a3, 0(s0)
  CHECK a3, 101

  CASE 51                       # a second sc without lr fails (reservation gone)
  li a0, 7
  sc.d a4, a0, (s0)
  CHECK a4, 1
  ld a3, 0(s0)
  CHECK a3, 101

  CASE 52                       # sc to another address than the lr fails
  lr.d a0, (s0)
  addi s1, s0, 8
  sd zero, 0(s1)
  li a0, 9
  sc.d a4, a0, (s1)
  bnez a4, 1f                   # failure code is nonzero
  j rvx_fail
1:
  ld a3, 0(s1)
  CHECK a3, 0

  CASE 53                       # lr.w sign-extends; sc.w success
  la s0, amo_buf
  li a1, 0x00000000fffffffe
  sd a1, 0(s0)
  lr.w a0, (s0)
  CHECK a0, -2
  li a0, 0x12345678
  sc.w a4, a0, (s0)
  CHECK a4, 0
  ld a3, 0(s0)
  CHECK a3, 0x12345678

  CASE 55                       # lr/sc loop with aq/rl (the usual CAS)
  la s0, amo_buf
  li a1, 3
  sd a1, 0(s0)
3:
  lr.d.aq a0, (s0)
  addi a0, a0, 4
  sc.d.rl a4, a0, (s0)
  bnez a4, 3b
  ld a3, 0(s0)
  CHECK a3, 7
RVX_TEST_END

  .data
  .balign 16
amo_buf: .dword 0, 0

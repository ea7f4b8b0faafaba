# Misaligned atomics: LR raises load address misaligned (cause 4), every
# AMO raises store/AMO address misaligned (cause 6), mtval = the address
# (unprivileged spec 9.4: AMOs and LR/SC must be naturally aligned, rvx
# traps; plain loads/stores are done in hardware, see loadstore.S). The
# memory must be left unchanged.
#include "rvx_test.h"

#ifdef RVX_QEMU
/* QEMU 7.2 reports a misaligned AMO as a load address misaligned (cause 4);
 * the spec (privileged 3.1.15) says store/AMO address misaligned (6). */
#define AMO_MISALIGNED_CAUSE CAUSE_MISALIGNED_LOAD
#else
#define AMO_MISALIGNED_CAUSE CAUSE_MISALIGNED_STORE
#endif

.macro TEST_MISALIGNED_AMO n, insn, off
  CASE \n
  EXPECT_MTRAP AMO_MISALIGNED_CAUSE, .Lresume\@
  la a1, buf
  addi a1, a1, \off
  li a2, 1
  \insn a0, a2, (a1)
  j rvx_fail
.Lresume\@:
  la a1, buf
  addi a1, a1, \off
  GET_MTRAP t5, TR_TVAL
  CHECKR t5, a1
  ld a3, 0(a1)
  CHECK a3, 0
.endm

RVX_TEST_BEGIN
  CASE 1
  EXPECT_MTRAP CAUSE_MISALIGNED_LOAD, 1f
  la a1, buf
  addi a1, a1, 2
  lr.w a0, (a1)
  j rvx_fail
1:
  la a1, buf
  addi a1, a1, 2
  GET_MTRAP t5, TR_TVAL
  CHECKR t5, a1
  CASE 2
  EXPECT_MTRAP CAUSE_MISALIGNED_LOAD, 2f
  la a1, buf
  addi a1, a1, 4
  lr.d a0, (a1)
  j rvx_fail
2:
  la a1, buf
  addi a1, a1, 4
  GET_MTRAP t5, TR_TVAL
  CHECKR t5, a1
  TEST_MISALIGNED_AMO 10, amoswap.w, 1
  TEST_MISALIGNED_AMO 11, amoadd.w, 2
  TEST_MISALIGNED_AMO 12, amoand.w, 3
  TEST_MISALIGNED_AMO 13, amoor.w, 5
  TEST_MISALIGNED_AMO 14, amoxor.w, 6
  TEST_MISALIGNED_AMO 15, amomin.w, 7
  TEST_MISALIGNED_AMO 16, amomax.w, 9
  TEST_MISALIGNED_AMO 17, amominu.w, 10
  TEST_MISALIGNED_AMO 18, amomaxu.w, 11
  TEST_MISALIGNED_AMO 20, amoswap.d, 4
  TEST_MISALIGNED_AMO 21, amoadd.d, 1
  TEST_MISALIGNED_AMO 22, amoand.d, 2
  TEST_MISALIGNED_AMO 23, amoor.d, 3
  TEST_MISALIGNED_AMO 24, amoxor.d, 5
  TEST_MISALIGNED_AMO 25, amomin.d, 6
  TEST_MISALIGNED_AMO 26, amomax.d, 7
  TEST_MISALIGNED_AMO 27, amominu.d, 12
  TEST_MISALIGNED_AMO 28, amomaxu.d, 4
RVX_TEST_END

  .data
  .balign 16
buf: .zero 32

# A CSR write that makes a pending interrupt takeable stops execution before
# the next instruction (privileged spec 3.1.9: an interrupt is taken when it is
# pending and enabled), also in hot translated code, where a CSR access may go
# straight on to the next instruction's block when nothing needs the
# dispatcher.
#
# `bump` runs `csrsi mstatus, MIE; addi a0, a0, 1; csrci mstatus, MIE`.
#   1  200 calls with no interrupt pending: a0 counts them (the code is hot,
#      translated and its blocks chained)
#   2  with msip raised (mip.MSIP, mie.MSIE set), each of 20 calls takes the
#      interrupt with mepc = the addi and a0 unchanged
#include "rvx_test.h"
RVX_TEST_BEGIN
  li s0, CLINT_MSIP
  li t0, 1 << IRQ_M_SOFT
  csrs mie, t0
  CASE 1
  li a0, 0
  li s1, 200
1:
  call bump
  addi s1, s1, -1
  bnez s1, 1b
  CHECK a0, 200
  CASE 2
  li s1, 20
lap:
  li t0, 1
  sw t0, 0(s0)
  fence
  li a2, 1000                   # wait until msip shows in mip
2:
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_SOFT
  bnez a0, 3f
  addi a2, a2, -1
  bnez a2, 2b
3:
  CHECK a0, 1 << IRQ_M_SOFT
  li a0, 0
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_SOFT, 4f
  call bump
  j rvx_fail                    # (not reached: the interrupt is taken in bump)
4:
  sw zero, 0(s0)
  csrci mstatus, MSTATUS_MIE
  CHECK a0, 0
  GET_MTRAP a0, TR_EPC
  la a1, enabled
  CHECKR a0, a1
  addi s1, s1, -1
  bnez s1, lap
RVX_TEST_END

bump:
  csrsi mstatus, MSTATUS_MIE
enabled:
  addi a0, a0, 1
  csrci mstatus, MSTATUS_MIE
  ret

# WFI (privileged spec 3.3.3): it returns when an interrupt is pending and
# enabled in mie, even with mstatus.MIE = 0 (then no trap is taken); with
# the interrupt globally enabled the trap is taken with mepc = the
# instruction after the wfi (or the wfi itself, if it returned early and the
# loop around it went to sleep again); a sleeping hart is woken by the CLINT timer;
# wfi in S-mode (TW = 0) is allowed. A hart that never wakes is caught by
# the runner timeout.
#include "rvx_test.h"
RVX_TEST_BEGIN
  li s0, CLINT_MSIP
  li s1, CLINT_MTIMECMP
  li s2, CLINT_MTIME
  li t0, -1
  sd t0, 0(s1)
  CASE 1                        # already pending, MIE = 0: falls through
  csrsi mie, 1 << IRQ_M_SOFT
  li t0, 1
  sw t0, 0(s0)
  fence
  GET_MTRAP s3, TR_COUNT
  wfi
  GET_MTRAP a0, TR_COUNT        # no trap was taken
  CHECKR a0, s3
  sw zero, 0(s0)
  CASE 3                        # woken by the timer (MIE = 0, MTIE = 1)
  csrw mie, zero
  li t0, 1 << IRQ_M_TIMER
  csrw mie, t0
  ld a1, 0(s2)
  addi a1, a1, 2000             # 200 us
  sd a1, 0(s1)
3:
  wfi                           # (wfi may return early: loop until due)
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_TIMER
  beqz a0, 3b
  ld a0, 0(s2)
  sltu a0, a0, a1
  CHECK a0, 0
  li t0, -1
  sd t0, 0(s1)
  CASE 4                        # sleeping with MIE = 1: trap after the wfi
  ld a1, 0(s2)
  addi a1, a1, 2000
  sd a1, 0(s1)
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 4f
  csrsi mstatus, MSTATUS_MIE
5:
  wfi
after_wfi:
  j 5b                          # (spurious wake-up: sleep again)
4:
  li t0, -1
  sd t0, 0(s1)
  GET_MTRAP a0, TR_EPC          # mepc is the wfi or the instruction after
  la a1, after_wfi              # it (an early wake ends in the loop)
  la a2, 5b
  beq a0, a2, 6f
  CHECKR a0, a1
6:
  CASE 5                        # S-mode wfi with TW = 0, M interrupt pending
  li t0, 1
  sw t0, 0(s0)
  li t0, 1 << IRQ_M_SOFT
  csrw mie, t0
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_SOFT, 7f
  GOTO_MODE PRV_S, s_wfi
s_wfi:
  wfi
  j s_wfi
7:
  sw zero, 0(s0)
  csrw mie, zero
  GET_MTRAP a0, TR_STATUS
  li a1, MSTATUS_MPP
  and a0, a0, a1
  CHECK a0, MSTATUS_MPP_S
RVX_TEST_END

# Machine software interrupt through the CLINT msip register (privileged
# spec 3.1.9; CLINT at 0x2000000): mip.MSIP follows msip, the interrupt is
# taken only with mie.MSIE and mstatus.MIE (in M-mode), is always enabled in
# lower modes, mcause = interrupt bit | 3 and mepc = the interrupted pc.
#include "rvx_test.h"
RVX_TEST_BEGIN
  li s0, CLINT_MSIP
  CASE 1                        # msip -> mip.MSIP, nothing taken while MIE = 0
  li t0, 1 << IRQ_M_SOFT
  csrs mie, t0
  li t0, 1
  sw t0, 0(s0)
  fence
  li a2, 1000                   # (the write reaches mip within a bounded time)
1:
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_SOFT
  bnez a0, 2f
  addi a2, a2, -1
  bnez a2, 1b
2:
  CHECK a0, 1 << IRQ_M_SOFT
  CASE 2                        # enabling MIE takes it at once
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_SOFT, 3f
  csrsi mstatus, MSTATUS_MIE
  li a0, 0
4:
  addi a0, a0, 1               # (a short window in case delivery lags)
  j 4b
3:
  sw zero, 0(s0)
  GET_MTRAP a0, TR_STATUS
  andi a0, a0, MSTATUS_MPIE | MSTATUS_MIE
  CHECK a0, MSTATUS_MPIE
  CASE 3                        # msip cleared -> mip.MSIP clear
  fence
  li a2, 1000
5:
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_SOFT
  beqz a0, 6f
  addi a2, a2, -1
  bnez a2, 5b
6:
  CHECK a0, 0
  CASE 4                        # in U-mode the interrupt is taken though MIE = 0
  csrci mstatus, MSTATUS_MIE
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_SOFT, 7f
  GOTO_MODE PRV_U, u_spin
u_spin:
  li t0, 1
  sw t0, 0(s0)
8:
  j 8b
7:
  sw zero, 0(s0)
  GET_MTRAP a0, TR_STATUS
  li a1, MSTATUS_MPP
  and a0, a0, a1
  CHECK a0, 0
  GET_MTRAP a0, TR_EPC          # mepc is inside the spin loop
  la a1, 8b
  CHECKR a0, a1
  CASE 5                        # mie.MSIE = 0 masks it even in U-mode
  li t0, 1 << IRQ_M_SOFT
  csrc mie, t0
  li t0, 1
  sw t0, 0(s0)
  EXPECT_MTRAP CAUSE_ECALL_U, 9f
  GOTO_MODE PRV_U, u_masked
u_masked:
  li a0, 200
10:
  addi a0, a0, -1
  bnez a0, 10b
  ecall
9:
  sw zero, 0(s0)
  GET_MTRAP a0, TR_CAUSE
  CHECK a0, CAUSE_ECALL_U
RVX_TEST_END

# Vectored trap vectors (privileged spec 3.1.7, 4.1.2): with mtvec.MODE = 1
# exceptions go to BASE and interrupt i to BASE + 4*i; the same for stvec
# with delegated interrupts. Each vector entry sets s5 to its number and
# then enters the ordinary handler, which records the cause.
#include "rvx_test.h"
RVX_TEST_BEGIN
  la t0, mvec
  ori t0, t0, 1
  csrw mtvec, t0
  li s0, CLINT_MSIP
  CASE 1                        # mtvec reads back with MODE = 1
  csrr a0, mtvec
  andi a0, a0, 3
  CHECK a0, 1
  CASE 2                        # exceptions use BASE
  li s5, -1
  EXPECT_MTRAP CAUSE_ECALL_M, 1f
  ecall
1:
  CHECK s5, 0
  CASE 3                        # machine software interrupt: BASE + 12
  li s5, -1
  li t0, 1 << IRQ_M_SOFT
  csrw mie, t0
  li t0, 1
  sw t0, 0(s0)
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_SOFT, 2f
  csrsi mstatus, MSTATUS_MIE
3:
  j 3b
2:
  sw zero, 0(s0)
  CHECK s5, IRQ_M_SOFT
  CASE 4                        # machine timer interrupt: BASE + 28
  li s5, -1
  li t0, 1 << IRQ_M_TIMER
  csrw mie, t0
  li t1, CLINT_MTIMECMP
  sd zero, 0(t1)
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 4f
  csrsi mstatus, MSTATUS_MIE
5:
  j 5b
4:
  li t0, -1
  li t1, CLINT_MTIMECMP
  sd t0, 0(t1)
  CHECK s5, IRQ_M_TIMER
  CASE 5                        # undelegated supervisor software: BASE + 4
  li s5, -1
  li t0, 1 << IRQ_S_SOFT
  csrw mie, t0
  csrs mip, t0
  EXPECT_MTRAP CAUSE_IRQ | IRQ_S_SOFT, 6f
  csrsi mstatus, MSTATUS_MIE
7:
  j 7b
6:
  csrci mip, 1 << IRQ_S_SOFT
  CHECK s5, IRQ_S_SOFT
  CASE 6                        # stvec vectored, delegated SSIP from U-mode
  la t0, svec
  ori t0, t0, 1
  csrw stvec, t0
  csrwi mideleg, 1 << IRQ_S_SOFT
  li t0, 1 << CAUSE_BREAKPOINT  # (for case 7, which runs in S-mode)
  csrw medeleg, t0
  csrsi mip, 1 << IRQ_S_SOFT
  li s5, -1
  EXPECT_STRAP CAUSE_IRQ | IRQ_S_SOFT, 8f
  GOTO_MODE PRV_U, u_spin
u_spin:
  j u_spin
8:
  csrci sip, 1 << IRQ_S_SOFT
  CHECK s5, 0x100 + IRQ_S_SOFT
  CASE 7                        # exceptions delegated to S use stvec BASE
  li s5, -1
  EXPECT_STRAP CAUSE_BREAKPOINT, 9f
  ebreak
9:
  CHECK s5, 0x100
  RETURN_TO_M CAUSE_ECALL_S, 10f
10:
  csrw mie, zero
  csrw mideleg, zero
  csrw medeleg, zero
  la t0, rvx_mtrap
  csrw mtvec, t0
  la t0, rvx_strap
  csrw stvec, t0
RVX_TEST_END

  .text
  .option push
  .option norvc                 # every vector entry is one 4-byte jump
  .balign 256
mvec:
  j mvec_0
  j mvec_1
  j rvx_fail
  j mvec_3
  j rvx_fail
  j rvx_fail
  j rvx_fail
  j mvec_7
  j rvx_fail
  j rvx_fail
  j rvx_fail
  j rvx_fail
mvec_0:
  li s5, 0
  j rvx_mtrap
mvec_1:
  li s5, 1
  j rvx_mtrap
mvec_3:
  li s5, 3
  j rvx_mtrap
mvec_7:
  li s5, 7
  j rvx_mtrap

  .balign 256
svec:
  j svec_0
  j svec_1
  j rvx_fail
  j rvx_fail
  j rvx_fail
  j rvx_fail
svec_0:
  li s5, 0x100
  j rvx_strap
svec_1:
  li s5, 0x101
  j rvx_strap
  .option pop

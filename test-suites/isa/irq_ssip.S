# Supervisor software interrupt through mip/sip writes (privileged spec
# 3.1.9, 4.1.3): SSIP is software-writable; undelegated it traps to M
# (even from S-mode with mstatus.MIE = 0); delegated through mideleg it is
# visible and writable in sip and is taken in S-mode with sstatus.SIE, or
# from U-mode regardless of SIE.
#include "rvx_test.h"
RVX_TEST_BEGIN
  CASE 1                        # M writes mip.SSIP, reads it back
  csrsi mip, 1 << IRQ_S_SOFT
  csrr a0, mip
  andi a0, a0, 1 << IRQ_S_SOFT
  CHECK a0, 1 << IRQ_S_SOFT
  CASE 2                        # undelegated, enabled: taken in M
  csrsi mie, 1 << IRQ_S_SOFT
  EXPECT_MTRAP CAUSE_IRQ | IRQ_S_SOFT, 1f
  csrsi mstatus, MSTATUS_MIE
ssip_next:
  j rvx_fail
1:
  csrci mip, 1 << IRQ_S_SOFT
  CHECK_MEPC_LABEL ssip_next    # taken right after the csrsi
  CASE 3                        # undelegated, pending while in S-mode: to M
  csrci mstatus, MSTATUS_MIE
  csrsi mip, 1 << IRQ_S_SOFT
  EXPECT_MTRAP CAUSE_IRQ | IRQ_S_SOFT, 2f
  GOTO_MODE PRV_S, s_spin
s_spin:
  j s_spin
2:
  csrci mip, 1 << IRQ_S_SOFT
  GET_MTRAP a0, TR_STATUS
  li a1, MSTATUS_MPP
  and a0, a0, a1
  CHECK a0, MSTATUS_MPP_S
  CASE 4                        # delegated: S sets sip.SSIP and takes it
  csrwi mideleg, 1 << IRQ_S_SOFT
  GOTO_MODE PRV_S, s_soft
s_soft:
  csrsi sie, 1 << IRQ_S_SOFT
  csrsi sip, 1 << IRQ_S_SOFT
  csrr a0, sip
  andi a0, a0, 1 << IRQ_S_SOFT
  CHECK a0, 1 << IRQ_S_SOFT     # pending, not taken while SIE = 0
  EXPECT_STRAP CAUSE_IRQ | IRQ_S_SOFT, 3f
  csrsi sstatus, MSTATUS_SIE
  j rvx_fail
3:
  csrci sip, 1 << IRQ_S_SOFT
  GET_STRAP a0, TR_STATUS
  andi a0, a0, MSTATUS_SPP | MSTATUS_SPIE
  CHECK a0, MSTATUS_SPP | MSTATUS_SPIE
  CASE 5                        # sip.SSIP cleared in S is clear in mip
  RETURN_TO_M CAUSE_ECALL_S, 4f
4:
  csrr a0, mip
  andi a0, a0, 1 << IRQ_S_SOFT
  CHECK a0, 0
  CASE 6                        # delegated, pending in U-mode with SIE = 0
  csrci mstatus, MSTATUS_SIE
  csrsi mip, 1 << IRQ_S_SOFT
  EXPECT_STRAP CAUSE_IRQ | IRQ_S_SOFT, 5f
  GOTO_MODE PRV_U, u_spin
u_spin:
  j u_spin
5:                              # in S-mode now
  csrci sip, 1 << IRQ_S_SOFT
  GET_STRAP a0, TR_STATUS
  andi a0, a0, MSTATUS_SPP
  CHECK a0, 0
  CHECK_SEPC_LABEL u_spin
  RETURN_TO_M CAUSE_ECALL_S, 6f
6:
  csrw mideleg, zero
  csrw mie, zero
RVX_TEST_END

# Privilege transitions through mret and sret (privileged spec 3.1.6.1,
# 3.3.2): xRET sets xIE = xPIE, xPIE = 1, xPP = U (the least-privileged
# mode), returns to the mode in xPP, and clears MPRV when that mode is not
# M. Trap entry sets MPIE = MIE, MIE = 0, MPP = the previous mode.
#include "rvx_test.h"

/* a0 = recorded mstatus of the last M trap masked with `mask` */
.macro TRAP_STATUS_FIELD mask
  GET_MTRAP a0, TR_STATUS
  li a1, \mask
  and a0, a0, a1
.endm

RVX_TEST_BEGIN
  CASE 1                        # mret to M with MPIE = 1, MIE = 0
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  li t0, MSTATUS_MPIE | MSTATUS_MPP
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
  j rvx_fail
1:
  csrr a0, mstatus
  li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  and a0, a0, a1
  CHECK a0, MSTATUS_MIE | MSTATUS_MPIE    # MPP became U
  CASE 2                        # mret with MPIE = 0, MIE = 1 (nothing pending)
  li t0, MSTATUS_MPIE
  csrc mstatus, t0
  li t0, MSTATUS_MPP
  csrs mstatus, t0
  la t0, 2f
  csrw mepc, t0
  mret
  j rvx_fail
2:
  csrr a0, mstatus
  li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  and a0, a0, a1
  CHECK a0, MSTATUS_MPIE

  CASE 3                        # trap entry from M with MIE = 1
  csrsi mstatus, MSTATUS_MIE
  EXPECT_MTRAP CAUSE_ECALL_M, 3f
  ecall
  j rvx_fail
3:
  TRAP_STATUS_FIELD MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  CHECK a0, MSTATUS_MPIE | MSTATUS_MPP
  csrr a0, mstatus              # handler returned with MPIE cleared: MIE = 0
  andi a0, a0, MSTATUS_MIE
  CHECK a0, 0

  CASE 4                        # mret to S clears MPRV; the ecall is cause 9
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  EXPECT_MTRAP CAUSE_ECALL_S, 4f
  GOTO_MODE PRV_S, s_ecall
s_ecall:
  ecall
  j rvx_fail
4:
#ifdef RVX_QEMU
  /* QEMU 7.2 predates the privileged 1.12 rule that mret to a mode other
   * than M clears MPRV, so only the mode is checked there. */
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  TRAP_STATUS_FIELD MSTATUS_MPP
#else
  TRAP_STATUS_FIELD MSTATUS_MPRV | MSTATUS_MPP
#endif
  CHECK a0, MSTATUS_MPP_S

  CASE 5                        # mret to U: ecall is cause 8
  EXPECT_MTRAP CAUSE_ECALL_U, 5f
  GOTO_MODE PRV_U, u_ecall
u_ecall:
  ecall
  j rvx_fail
5:
  TRAP_STATUS_FIELD MSTATUS_MPP
  CHECK a0, 0

  CASE 6                        # sret from S to U with SPIE = 1, SIE = 0
  GOTO_MODE PRV_S, s_to_u
s_to_u:
  csrci sstatus, MSTATUS_SIE
  li t0, MSTATUS_SPIE
  csrs sstatus, t0
  li t0, MSTATUS_SPP
  csrc sstatus, t0
  la t0, u_after_sret
  csrw sepc, t0
  EXPECT_MTRAP CAUSE_ECALL_U, 6f
  sret
  j rvx_fail
u_after_sret:
  ecall
  j rvx_fail
6:
  TRAP_STATUS_FIELD MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  CHECK a0, MSTATUS_SIE | MSTATUS_SPIE
  csrci mstatus, MSTATUS_SIE

  CASE 7                        # sret with SPP = S stays in S and sets SPP = U
  GOTO_MODE PRV_S, s_to_s
s_to_s:
  li t0, MSTATUS_SPP
  csrs sstatus, t0
  li t0, MSTATUS_SPIE
  csrc sstatus, t0
  la t0, s_after_sret
  csrw sepc, t0
  EXPECT_MTRAP CAUSE_ECALL_S, 7f
  sret
  j rvx_fail
s_after_sret:
  ecall
  j rvx_fail
7:
  TRAP_STATUS_FIELD MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  CHECK a0, MSTATUS_SPIE

  CASE 8                        # sret executed in M-mode goes to SPP (= S)
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  la t0, s_from_m_sret
  csrw sepc, t0
  EXPECT_MTRAP CAUSE_ECALL_S, 8f
  sret
  j rvx_fail
s_from_m_sret:
  ecall
  j rvx_fail
8:
  GET_MTRAP a0, TR_CAUSE
  CHECK a0, CAUSE_ECALL_S

  CASE 9                        # mepc is where mret goes, even mid-function
  la t0, 9f
  csrw mepc, t0
  li t0, MSTATUS_MPP
  csrs mstatus, t0
  li a0, 1
  mret
  li a0, 2
9:
  CHECK a0, 1
RVX_TEST_END

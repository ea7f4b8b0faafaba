# Exception delegation to S-mode with medeleg (privileged spec 3.1.8):
# delegated traps from U and S go to stvec with scause/sepc/stval and
# sstatus.SPP/SPIE set, and are handled in S; traps taken in M are never
# delegated; undelegated causes still go to M; medeleg[11] (ecall from M)
# is read-only zero.
#include "rvx_test.h"
RVX_TEST_BEGIN
#ifndef RVX_QEMU
  /* Privileged spec 1.12, 3.1.8: medeleg[11] is read-only zero. QEMU 7.2
   * lets it be set, so check-qemu.sh leaves this case out. */
  CASE 1
  li t0, 1 << CAUSE_ECALL_M
  csrw medeleg, t0
  csrr a0, medeleg
  CHECK a0, 0
#endif
  CASE 2                        # the usual delegable bits hold their value
  li t0, (1 << 0) | (1 << 3) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
  csrw medeleg, t0
  csrr a0, medeleg
  CHECK a0, (1 << 0) | (1 << 3) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
  csrw medeleg, zero

  CASE 3                        # U ecall delegated: scause 8, SPP = U
  li t0, 1 << CAUSE_ECALL_U
  csrw medeleg, t0
  EXPECT_STRAP CAUSE_ECALL_U, s_after_u_ecall
  GOTO_MODE PRV_U, u_ecall
u_ecall:
  ecall
  j rvx_fail
s_after_u_ecall:                # now in S-mode
  CHECK_SEPC_LABEL u_ecall
  GET_STRAP a0, TR_STATUS
  andi a0, a0, MSTATUS_SPP
  CHECK a0, 0
  CHECK_STVAL 0
  RETURN_TO_M CAUSE_ECALL_S, 3f  # ecall from S is not delegated
3:
  CASE 4                        # U illegal instruction delegated, stval = bits
  li t0, (1 << CAUSE_ILLEGAL)
  csrw medeleg, t0
  EXPECT_STRAP CAUSE_ILLEGAL, s_after_illegal
  GOTO_MODE PRV_U, u_illegal
u_illegal:
  csrr a0, mscratch
  j rvx_fail
s_after_illegal:
  CHECK_SEPC_LABEL u_illegal
  GET_STRAP t5, TR_TVAL
  la t4, u_illegal
  lwu t4, 0(t4)
  CHECKR t5, t4
  RETURN_TO_M CAUSE_ECALL_S, 4f
4:
  CASE 5                        # S-mode trap delegated to S: SPP = S, SPIE = SIE
  li t0, (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_LOAD_ACCESS)
  csrw medeleg, t0
  GOTO_MODE PRV_S, s_bp
s_bp:
  csrsi sstatus, MSTATUS_SIE    # (no interrupt is enabled in sie)
  EXPECT_STRAP CAUSE_BREAKPOINT, 5f
s_bp_insn:
  ebreak
  j rvx_fail
5:
  CHECK_SEPC_LABEL s_bp_insn
  GET_STRAP a0, TR_STATUS
  andi a0, a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
  CHECK a0, MSTATUS_SPP | MSTATUS_SPIE
  CASE 6                        # delegated load access fault: stval = address
  EXPECT_STRAP CAUSE_LOAD_ACCESS, 6f
  li a1, 0x28
  ld a0, 0(a1)
  j rvx_fail
6:
  CHECK_STVAL 0x28
  RETURN_TO_M CAUSE_ECALL_S, 7f
7:
  CASE 7                        # a trap in M-mode is not delegated
  EXPECT_MTRAP CAUSE_BREAKPOINT, 8f
  ebreak
  j rvx_fail
8:
  GET_MTRAP a0, TR_CAUSE
  CHECK a0, CAUSE_BREAKPOINT
  CASE 8                        # an undelegated cause from U goes to M
  EXPECT_MTRAP CAUSE_ECALL_U, 9f
  GOTO_MODE PRV_U, u_ecall2
u_ecall2:
  ecall
  j rvx_fail
9:
  CHECK_MEPC_LABEL u_ecall2
  CASE 9                        # scause/sepc were not touched by the M trap
  csrr a0, scause
  CHECK a0, CAUSE_LOAD_ACCESS
  csrw medeleg, zero
RVX_TEST_END

# Supervisor timer through Sstc (Sstc spec; privileged spec 3.1.9): with
# menvcfg.STCE (bit 63) set, mip.STIP reflects time >= stimecmp; S-mode may
# access stimecmp only with STCE = 1 and mcounteren.TM = 1; the interrupt is
# delegated with mideleg and taken in S-mode (scause = interrupt bit | 5)
# when sstatus.SIE and sie.STIE are set.
# QEMU-VIRT: QEMU's spike board has no time source for the time CSR / Sstc.
#include "rvx_test.h"
#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG 0x30a
#define MENVCFG_STCE (1 << 63)
RVX_TEST_BEGIN
  CASE 1                        # with STCE = 0, S-mode stimecmp is illegal
  csrw CSR_MENVCFG, zero
  li t0, 2
  csrw mcounteren, t0           # TM
  EXPECT_MTRAP CAUSE_ILLEGAL, 1f
  GOTO_MODE PRV_S, s_stimecmp_off
s_stimecmp_off:
  csrr a0, CSR_STIMECMP
  j rvx_fail
1:
  CHECK_MTVAL_INSN s_stimecmp_off
  CASE 2                        # STCE is writable
  li t0, MENVCFG_STCE
  csrs CSR_MENVCFG, t0
  csrr a0, CSR_MENVCFG
  and a0, a0, t0
  CHECKR a0, t0
  CASE 3                        # stimecmp far away: STIP clear
  li t0, -1
  csrw CSR_STIMECMP, t0
  csrr a0, mip
  andi a0, a0, 1 << IRQ_S_TIMER
  CHECK a0, 0
  CASE 4                        # stimecmp in the past: STIP set
  csrw CSR_STIMECMP, zero
  li a2, 10000
2:
  csrr a0, mip
  andi a0, a0, 1 << IRQ_S_TIMER
  bnez a0, 3f
  addi a2, a2, -1
  bnez a2, 2b
3:
  CHECK a0, 1 << IRQ_S_TIMER
  CASE 5                        # ... and it is not cleared by writing mip
  li t0, 1 << IRQ_S_TIMER
  csrc mip, t0
  csrr a0, mip
  andi a0, a0, 1 << IRQ_S_TIMER
  CHECK a0, 1 << IRQ_S_TIMER
  li t0, -1
  csrw CSR_STIMECMP, t0
  CASE 6                        # S-mode without mcounteren.TM: illegal
  csrw mcounteren, zero
  EXPECT_MTRAP CAUSE_ILLEGAL, 4f
  GOTO_MODE PRV_S, s_stimecmp_tm
s_stimecmp_tm:
  csrw CSR_STIMECMP, a0
  j rvx_fail
4:
  CHECK_MTVAL_INSN s_stimecmp_tm
  CASE 7                        # delegated timer interrupt taken in S-mode
  li t0, 2
  csrw mcounteren, t0
  li t0, 1 << IRQ_S_TIMER
  csrw mideleg, t0
  csrw mie, t0
  GOTO_MODE PRV_S, s_timer
s_timer:
  csrsi sstatus, MSTATUS_SIE
  rdtime a1
  addi a1, a1, 1000             # 100 us at 10 MHz
  EXPECT_STRAP CAUSE_IRQ | IRQ_S_TIMER, 5f
  csrw CSR_STIMECMP, a1
6:
  j 6b
5:
  rdtime a0                     # not early
  sltu a0, a0, a1
  CHECK a0, 0
  li t0, -1
  csrw CSR_STIMECMP, t0
  csrr a0, sip                  # the new stimecmp clears STIP
  andi a0, a0, 1 << IRQ_S_TIMER
  CHECK a0, 0
  RETURN_TO_M CAUSE_ECALL_S, 7f
7:
  CASE 8                        # undelegated, it is taken in M-mode
  csrw mideleg, zero
  csrw CSR_STIMECMP, zero
  EXPECT_MTRAP CAUSE_IRQ | IRQ_S_TIMER, 8f
  csrsi mstatus, MSTATUS_MIE
9:
  j 9b
8:
  li t0, -1
  csrw CSR_STIMECMP, t0
  csrw mie, zero
  GET_MTRAP a0, TR_CAUSE
  CHECK a0, CAUSE_IRQ | IRQ_S_TIMER
RVX_TEST_END

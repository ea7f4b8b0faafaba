# Machine timer interrupt through the CLINT (privileged spec 3.2.1): mtime
# advances, mip.MTIP is set while mtime >= mtimecmp and cleared by writing a
# later mtimecmp, the interrupt (cause interrupt bit | 7) is taken with
# mie.MTIE and mstatus.MIE, and the time CSR reads mtime.
# QEMU-VIRT: QEMU's spike board has no time CSR (rdtime is illegal there).
#include "rvx_test.h"
RVX_TEST_BEGIN
  li s0, CLINT_MTIMECMP
  li s1, CLINT_MTIME
  CASE 1                        # mtime advances
  ld a1, 0(s1)
  li a2, 100000
1:
  ld a0, 0(s1)
  bne a0, a1, 2f
  addi a2, a2, -1
  bnez a2, 1b
2:
  sltu a0, a1, a0
  CHECK a0, 1
  CASE 2                        # the time CSR follows mtime
  ld a1, 0(s1)
  rdtime a0
  ld a2, 0(s1)
  sltu a3, a0, a1               # a1 <= time <= a2
  CHECK a3, 0
  sltu a3, a2, a0
  CHECK a3, 0
  CASE 3                        # mtimecmp far in the future: MTIP clear
  li t0, -1
  sd t0, 0(s0)
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_TIMER
  CHECK a0, 0
  CASE 4                        # mtimecmp in the past: MTIP set (bounded wait)
  sd zero, 0(s0)
  li a2, 10000
3:
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_TIMER
  bnez a0, 4f
  addi a2, a2, -1
  bnez a2, 3b
4:
  CHECK a0, 1 << IRQ_M_TIMER
  CASE 5                        # and writing a later mtimecmp clears it
  li t0, -1
  sd t0, 0(s0)
  li a2, 10000
5:
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_TIMER
  beqz a0, 6f
  addi a2, a2, -1
  bnez a2, 5b
6:
  CHECK a0, 0
  CASE 6                        # the interrupt fires after mtimecmp is reached
  li t0, 1 << IRQ_M_TIMER
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  ld a1, 0(s1)
  addi a1, a1, 1000             # 100 us at 10 MHz
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 7f
  sd a1, 0(s0)
8:
  j 8b                          # (a hang here is caught by the runner timeout)
7:
  ld a0, 0(s1)                  # it did not fire early
  sltu a0, a0, a1
  CHECK a0, 0
  csrr a0, mip
  andi a0, a0, 1 << IRQ_M_TIMER
  CHECK a0, 1 << IRQ_M_TIMER
  li t0, -1
  sd t0, 0(s0)
  csrw mie, zero
RVX_TEST_END

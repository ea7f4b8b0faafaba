# Interrupts reach a hart spinning in a tight loop (privileged spec 3.1.9:
# a pending, enabled interrupt is taken; 3.2.1 machine timer; Sstc). Each
# case spins in a loop that never exits by itself (`1: j 1b` is one block
# that jumps to itself, so an engine that chains blocks runs it without
# returning to its dispatcher); the timer interrupt is the only way out. A
# missing interrupt check shows as a hang (the runner's timeout).
# The interrupt is enabled by the instruction just before the loop, so even
# when the timer has already fired, the trap is taken on the loop's own
# instruction: xepc is checked exactly (within the loop for longer loops).
#   1     M-mode, `j .`, machine timer (CLINT mtimecmp)
#   2     M-mode, `c.j .`
#   3     S-mode, `j .`, machine timer taken to M (mstatus.MIE does not matter
#         below M)
#   4     U-mode, `j .`, machine timer
#   5     S-mode with Sv39 at a virtual alias of the loop: mepc is virtual
#   6     a loop of several chained blocks in one page
#   7     a loop longer than any block (150 instructions); the counter it
#         increments matches the interrupted instruction
#   8     S-mode, `j .`, Sstc stimecmp, delegated: taken in S
# QEMU-VIRT: the time CSR (case 8) needs QEMU's virt board.
#include "rvx_test.h"
#include "rvx_vm.h"
#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG 0x30a
#define MENVCFG_STCE (1 << 63)
#define VA_LOOP 0x50000         /* l0[0x50] -> loop_page */

/* mtimecmp = mtime + ticks (10 MHz: 1000 ticks = 100 us); clobbers t0..t2 */
.macro TIMER_IN ticks
  li t0, CLINT_MTIME
  ld t1, 0(t0)
  li t2, \ticks
  add t1, t1, t2
  li t0, CLINT_MTIMECMP
  sd t1, 0(t0)
.endm
.macro TIMER_OFF
  li t0, CLINT_MTIMECMP
  li t1, -1
  sd t1, 0(t0)
.endm

RVX_TEST_BEGIN
  li t0, 1 << IRQ_M_TIMER
  csrw mie, t0
  .option push
  .option norvc

  CASE 1                        # M-mode, j .
  TIMER_IN 1000
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 1f
  csrsi mstatus, MSTATUS_MIE
m_loop:
  j m_loop
1:
  CHECK_MEPC_LABEL m_loop
  TIMER_OFF

  CASE 2                        # M-mode, c.j .
  TIMER_IN 1000
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 2f
  csrsi mstatus, MSTATUS_MIE
  .option push
  .option rvc
m_cloop:
  c.j m_cloop
  .option pop
2:
  CHECK_MEPC_LABEL m_cloop
  TIMER_OFF

  CASE 3                        # S-mode loop, machine timer
  csrw mie, zero
  TIMER_IN 1000
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 3f
  li t0, 1 << IRQ_M_TIMER
  csrw mie, t0
  GOTO_MODE PRV_S, s_loop
s_loop:
  j s_loop
3:
  CHECK_MEPC_LABEL s_loop
  GET_MTRAP a0, TR_STATUS       # taken from S
  li t0, MSTATUS_MPP
  and a0, a0, t0
  CHECK a0, MSTATUS_MPP_S
  TIMER_OFF

  CASE 4                        # U-mode loop
  csrw mie, zero
  TIMER_IN 1000
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 4f
  li t0, 1 << IRQ_M_TIMER
  csrw mie, t0
  GOTO_MODE PRV_U, u_loop
u_loop:
  j u_loop
4:
  CHECK_MEPC_LABEL u_loop
  GET_MTRAP a0, TR_STATUS       # taken from U
  li t0, MSTATUS_MPP
  and a0, a0, t0
  CHECK a0, 0
  TIMER_OFF

  CASE 5                        # S-mode, Sv39, the loop at a virtual alias
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 0x50, loop_page, PTE_V | PTE_X | PTE_A
  SATP_SET SATP_SV39, root
  csrw mie, zero
  TIMER_IN 1000
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 5f
  li t0, 1 << IRQ_M_TIMER
  csrw mie, t0
  li s1, VA_LOOP
  GOTO_MODE_REG PRV_S, s1
5:
  GET_MTRAP a0, TR_EPC
  CHECK a0, VA_LOOP
  TIMER_OFF
  csrw satp, zero
  sfence.vma

  CASE 6                        # several chained blocks
  TIMER_IN 1000
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 6f
  li a0, 0
  li a1, 0
  csrsi mstatus, MSTATUS_MIE
m_loop2:
  addi a0, a0, 1
  andi t0, a0, 1
  beqz t0, 7f
  addi a1, a1, 1
7:
  j m_loop2
m_loop2_end:
6:
  GET_MTRAP a2, TR_EPC          # m_loop2 <= mepc < m_loop2_end
  la t0, m_loop2
  sltu a3, a2, t0
  CHECK a3, 0
  la t0, m_loop2_end
  sltu a3, a2, t0
  CHECK a3, 1
  TIMER_OFF

  CASE 7                        # a loop longer than a block
  TIMER_IN 1000
  EXPECT_MTRAP CAUSE_IRQ | IRQ_M_TIMER, 8f
  li a0, 0
  csrsi mstatus, MSTATUS_MIE
m_loop3:
  .rept 150
  addi a0, a0, 1
  .endr
  j m_loop3
m_loop3_end:
8:
  GET_MTRAP a2, TR_EPC
  la t0, m_loop3
  sltu a3, a2, t0
  CHECK a3, 0
  la t0, m_loop3_end
  sltu a3, a2, t0
  CHECK a3, 1
  la t0, m_loop3                # a0 is exact at the interrupted instruction:
  sub a2, a2, t0                # a0 mod 150 == its index mod 150
  srli a2, a2, 2
  li t0, 150
  remu a2, a2, t0
  remu a3, a0, t0
  CHECKR a3, a2
  TIMER_OFF

  CASE 8                        # Sstc: S-mode loop, taken in S
  csrw mie, zero
  li t0, MENVCFG_STCE
  csrs CSR_MENVCFG, t0
  li t0, 1 << IRQ_S_TIMER
  csrw mideleg, t0
  csrw mie, t0
  rdtime t0
  li t1, 1000
  add t0, t0, t1
  csrw CSR_STIMECMP, t0
  EXPECT_STRAP CAUSE_IRQ | IRQ_S_TIMER, 9f
  GOTO_MODE PRV_S, s_sloop_pre
s_sloop_pre:
  csrsi sstatus, MSTATUS_SIE
s_sloop:
  j s_sloop
9:
  CHECK_SEPC_LABEL s_sloop
  RETURN_TO_M CAUSE_ECALL_S, 10f
10:
  li t0, -1
  csrw CSR_STIMECMP, t0
  csrw mie, zero
  csrw mideleg, zero
  .option pop
RVX_TEST_END

  .text
  .balign 4096
loop_page:                      /* S-mode at VA_LOOP */
  j loop_page

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0

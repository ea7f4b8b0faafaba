# Code-cache coherence across a remapped page (privileged spec 4.2.1
# sfence.vma; unprivileged spec "Zifencei"). Instruction fetch is physically
# addressed: after a PTE of an executable page changes and sfence.vma is
# executed, fetches through that virtual page use the new mapping, with no
# fence.i needed (a remap is not a store to instruction memory: the model is
# rv64si icache-alias). A fresh physical page that was written with stores
# needs fence.i before its code is executed.
#
# In S-mode with Sv39, a loop runs across two virtual pages: its head is on
# page A (VA_A), falls through into page B (VA_B), whose tail branches back
# to A. Inside each page the loop has short forward branches, so an engine
# that translates and chains blocks inside a page does so on every lap.
#   1     200,000 laps; every counter is checked.
#   2, 3  B is unmapped (PTE cleared, sfence.vma): falling through from A into
#         B, and jumping into the middle of B, raise an instruction page fault
#         with stval = sepc = the address in B.
#   4     B is mapped to a fresh physical page written with stores (+ fence.i):
#         its different code runs for 200,000 laps.
#   5-7   B is switched between physical pages that already hold code (ELF
#         image, or stored and fenced in case 4) with sfence.vma only
#         (case 7: sfence.vma for the one address): each time the code of the
#         new page runs.
#   8-10  A second virtual alias of the same physical page A, followed by a
#         different physical page B: the shared A code reports the alias's own
#         pc (auipc), and each alias continues into its own B; unmapping the
#         alias's B faults there while the first alias still runs.
#   11    freshB, mapped and hot at VA_B, rewritten through its RW identity
#         alias (+ fence.i): the new instruction runs at VA_B
#   12    B entered straight by jalr (20 calls, one lap each), remapped to
#         another page, then unmapped: each time what is mapped now runs, or
#         the fetch faults at VA_B
#
# Physical layout (.text, consecutive 4 KiB pages): pageA, pageB1, pageB2,
# pageB3 (template copied to the data page freshB at run time). Each B page
# is assembled with its loop branch aimed at loop_top + (its offset from
# pageB1), so that mapped at VA_B it branches back to VA_A's loop_top.
#include "rvx_test.h"
#include "rvx_vm.h"

  .option norelax               /* constant page offsets for .fill/.skip */

#define VA_A  0x10000           /* l0[0x10] */
#define VA_B  0x11000           /* l0[0x11] */
#define VA_A2 0x20000           /* l0[0x20]: second alias of pageA */
#define VA_B2 0x21000           /* l0[0x21] */
#define X_PTE (PTE_V | PTE_X | PTE_A)
#define N_LONG 200000
#define N_SHORT 1000
/* c.addi a1, imm (RV64C quadrant 1, funct3 000, rd = x11) */
#define C_ADDI_A1(imm) (0x0001 | (11 << 7) | ((imm) << 2))

/* The loop's counters: a0 laps (A), a1 += inc (B), a2 = B's signature,
 * a3 odd laps (A), a4 += 3 (A), a5 laps with a0 % 4 == 0 (B),
 * a6 = pc of loop_top (A), a7 = pc of B's first instruction. */
.macro CLEAR_COUNTERS
  li a0, 0
  li a1, 0
  li a2, 0
  li a3, 0
  li a4, 0
  li a5, 0
  li a6, 0
  li a7, 0
.endm

/* Run the loop at the virtual address in `entry` for `n` laps; it returns
 * with ret from page B. */
.macro RUN_LOOP entry, n
  CLEAR_COUNTERS
  li s2, \n
  jalr ra, 0(\entry)
.endm

/* Call page B at s7 (one lap: s2 = 1) `n` times; B's a1 and a2 of the last
 * call are left (clobbers s8). */
.macro CALL_B n
  li s8, \n
77:
  li a1, 0
  li a2, 0
  li s2, 1
  jalr ra, 0(s7)
  addi s8, s8, -1
  bnez s8, 77b
.endm

/* l0[index] = X leaf for `sym`, then sfence.vma (clobbers t0..t3). */
.macro MAP_X index, sym
  PTE_LEAF_SYM l0, \index, \sym, X_PTE
  sfence.vma
.endm

/* Page B's code: `inc` per lap, signature `sig`, branch back to `top`. */
.macro B_CODE inc, sig, top
  auipc a7, 0
  addi a1, a1, \inc
  andi t0, a0, 3
  bnez t0, 2f
  addi a5, a5, 1
2:
  addi s2, s2, -1
  bnez s2, \top
  li a2, \sig
  ret
.endm

RVX_TEST_BEGIN
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD   /* identity: test, data, tables */
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 0x10, pageA, X_PTE
  PTE_LEAF_SYM l0, 0x11, pageB1, X_PTE
  li t0, 1 << CAUSE_FETCH_PAGE
  csrw medeleg, t0
  SATP_SET SATP_SV39, root
  /* s4 / s6 = loop_top through VA_A / VA_A2 */
  la s4, loop_top
  la t0, pageA
  sub s4, s4, t0
  li t0, VA_A2
  add s6, s4, t0
  li t0, VA_A
  add s4, s4, t0
  GOTO_MODE PRV_S, s_start
s_start:

  CASE 1                        # 200,000 laps across the page boundary
  RUN_LOOP s4, N_LONG
  CHECK a0, N_LONG
  CHECK a1, 2 * N_LONG
  CHECK a2, 0xB1
  CHECK a3, N_LONG / 2
  CHECK a4, 3 * N_LONG
  CHECK a5, N_LONG / 4
  CHECKR a6, s4
  CHECK a7, VA_B

  CASE 2                        # B unmapped: falling through from A faults
  PTE_ADDR t2, l0, 0x11
  sd zero, 0(t2)
  sfence.vma
  CLEAR_COUNTERS
  li s2, 5
  EXPECT_STRAP CAUSE_FETCH_PAGE, 1f
  jalr ra, 0(s4)
  j rvx_fail
1:
  CHECK_STVAL VA_B
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_B
  CHECK a0, 1                   # A's part of the lap ran, B's did not
  CHECK a4, 3
  CHECKR a6, s4
  CHECK a1, 0
  CHECK a7, 0
  CHECK s2, 5

  CASE 3                        # ... and so does a jump into B
  li t2, VA_B + 8
  EXPECT_STRAP CAUSE_FETCH_PAGE, 2f
  jalr ra, 0(t2)
  j rvx_fail
2:
  CHECK_STVAL VA_B + 8
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_B + 8

  CASE 4                        # B -> a fresh page written with stores
  la a0, pageB3
  la a1, freshB
  li a2, 4096 / 8
3:
  ld t2, 0(a0)
  sd t2, 0(a1)
  addi a0, a0, 8
  addi a1, a1, 8
  addi a2, a2, -1
  bnez a2, 3b
  fence.i
  MAP_X 0x11, freshB
  RUN_LOOP s4, N_LONG
  CHECK a0, N_LONG
  CHECK a1, 7 * N_LONG
  CHECK a2, 0xB3
  CHECK a3, N_LONG / 2
  CHECK a4, 3 * N_LONG
  CHECK a5, N_LONG / 4
  CHECK a7, VA_B

  CASE 5                        # B -> pageB2, sfence.vma only
  MAP_X 0x11, pageB2
  RUN_LOOP s4, N_SHORT
  CHECK a0, N_SHORT
  CHECK a1, 5 * N_SHORT
  CHECK a2, 0xB2
  CHECK a7, VA_B

  CASE 6                        # back to pageB1 (code that ran in case 1)
  MAP_X 0x11, pageB1
  RUN_LOOP s4, N_SHORT
  CHECK a1, 2 * N_SHORT
  CHECK a2, 0xB1
  CHECK a5, N_SHORT / 4

  CASE 7                        # back to freshB, sfence.vma for VA_B only
  PTE_LEAF_SYM l0, 0x11, freshB, X_PTE
  li t2, VA_B
  sfence.vma t2, zero
  RUN_LOOP s4, N_SHORT
  CHECK a0, N_SHORT
  CHECK a1, 7 * N_SHORT
  CHECK a2, 0xB3

  CASE 8                        # second alias: pageA then pageB2
  PTE_LEAF_SYM l0, 0x20, pageA, X_PTE
  MAP_X 0x21, pageB2
  RUN_LOOP s6, N_SHORT
  CHECK a0, N_SHORT
  CHECK a1, 5 * N_SHORT
  CHECK a2, 0xB2
  CHECK a3, N_SHORT / 2
  CHECKR a6, s6
  CHECK a7, VA_B2

  CASE 9                        # the first alias still continues into freshB
  RUN_LOOP s4, N_SHORT
  CHECK a1, 7 * N_SHORT
  CHECK a2, 0xB3
  CHECKR a6, s4
  CHECK a7, VA_B

  CASE 10                       # the alias's B unmapped: it faults there ...
  PTE_ADDR t2, l0, 0x21
  sd zero, 0(t2)
  li t2, VA_B2
  sfence.vma t2, zero
  CLEAR_COUNTERS
  li s2, N_SHORT
  EXPECT_STRAP CAUSE_FETCH_PAGE, 4f
  jalr ra, 0(s6)
  j rvx_fail
4:
  CHECK_STVAL VA_B2
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_B2
  CHECK a0, 1
  CHECKR a6, s6
  RUN_LOOP s4, N_SHORT          # ... while the first alias runs on
  CHECK a0, N_SHORT
  CHECK a1, 7 * N_SHORT
  CHECK a2, 0xB3

  CASE 11                       # freshB rewritten through its RW alias
  la t1, freshB                 # (c.addi a1, 7 -> c.addi a1, 9), fence.i
  lhu t2, 4(t1)
  CHECK t2, C_ADDI_A1(7)
  li t2, C_ADDI_A1(9)
  sh t2, 4(t1)
  fence.i
  RUN_LOOP s4, N_SHORT
  CHECK a0, N_SHORT
  CHECK a1, 9 * N_SHORT
  CHECK a2, 0xB3

  CASE 12                       # B called straight through jalr, hot, remapped
  li s7, VA_B
  MAP_X 0x11, pageB1
  CALL_B 20
  CHECK a1, 2
  CHECK a2, 0xB1
  CHECK s2, 0
  MAP_X 0x11, pageB2
  CALL_B 20
  CHECK a1, 5
  CHECK a2, 0xB2
  PTE_ADDR t2, l0, 0x11         # unmapped: the jalr target faults
  sd zero, 0(t2)
  sfence.vma
  li s2, 1
  li a2, 0
  EXPECT_STRAP CAUSE_FETCH_PAGE, 6f
  jalr ra, 0(s7)
  j rvx_fail
6:
  CHECK_STVAL VA_B
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_B
  CHECK a2, 0

  RETURN_TO_M CAUSE_ECALL_S, 5f
5:
  csrw satp, zero
  sfence.vma
  csrw medeleg, zero
RVX_TEST_END

  .text
  .balign 4096
pageA:                          /* mapped at VA_A (and VA_A2) */
  .skip 0xf80
loop_top:
  auipc a6, 0
  addi a0, a0, 1
  andi t0, a0, 1
  beqz t0, 1f
  addi a3, a3, 1
1:
  addi a4, a4, 3
  /* c.nops up to the page end: the lap falls through into page B */
  .fill (0x1000 - (. - pageA)) / 2, 2, 0x0001    /* c.nop */
pageB1:                         /* VA_B at first */
  B_CODE 2, 0xB1, loop_top
  .skip 0x1000 - (. - pageB1)
pageB2:
  B_CODE 5, 0xB2, loop_top + 0x1000
  .skip 0x1000 - (. - pageB2)
pageB3:                         /* template, copied to freshB */
  B_CODE 7, 0xB3, loop_top + 0x2000
  .skip 0x1000 - (. - pageB3)

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
  PT_PAGE freshB
